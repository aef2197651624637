/* SPDX-License-Identifier: MIT */
/* read.h: the sources of iiot-read, one file each, and their options. */
#ifndef READ_H
#define READ_H

#include <stddef.h>
#include <stdint.h>

#include "iiot_mqtt.h"

/*
 * Options of iiot-read, filled by parse_args() in main.c and read by
 * every source.  Each source uses the fields it needs.
 */
struct read_opts {
	/* common */
	int64_t interval;		/* ms between cycles (Modbus) */
	long long count;		/* stop after this many records/cycles */
	int once;			/* one cycle, then exit */
	int64_t timeout;		/* ms: -W, exit when nothing arrives */
	int unbuffered;
	int emit_errors;		/* failed reads as quality "bad" */
	const char *map;		/* plant catalogue file */

	/* MQTT (mqtt.c) */
	const char **topics;		/* -t filters, repeatable */
	size_t ntopics;
	struct iiot_mqtt_opts mqtt;	/* qos, TLS, client id, password */
	int session;			/* persistent session */
	const char *topic_format;	/* 'plant/{location}/{source}/{sensor}' */

	/* files (file.c) */
	const char *format;		/* csv, tsv, json, influx, or NULL */
	const char *col_ts, *col_source, *col_sensor, *col_value;
	const char *source;		/* fixed source for wide CSV */
};

/*
 * Each source runs until done and returns the exit status of
 * iiot-read (0, 1 or 2); it writes records to stdout.
 */
int modbus_run(const struct read_opts *o, char **urls, int nurls);
int mqtt_run(const struct read_opts *o, const char *url);
int file_run(const struct read_opts *o, char **paths, int npaths);

#endif /* READ_H */
