/* SPDX-License-Identifier: MIT */
/* main.c: iiot-read, turn Modbus devices, MQTT topics or files into records. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>
#include <mosquitto.h>

#include "iiot.h"
#include "iiot_x.h"
#include "read.h"

#define SYNOPSIS \
	"iiot-read [-1hquVv] [-c count] [-i interval] [-m map] " \
	"[-W timeout]\n" \
	"                 [--emit-errors] [-t filter] [--qos n] " \
	"[--client-id id]\n" \
	"                 [--session] [--topic-format template] " \
	"[--cafile file]\n" \
	"                 [--cert file] [--key file] [--insecure]\n" \
	"                 [--password-file file] [-f format] " \
	"[--ts-column name]\n" \
	"                 [--source-column name] [--sensor-column name]\n" \
	"                 [--value-column name] [--source name] " \
	"[url | file ...]"

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Read sensors and write one JSON record per value on stdout.  The operand\n"
"says where: Modbus points (modbus-tcp://HOST[:PORT]/UNIT/TABLE/ADDRESS\n"
"[/TYPE[/ORDER]], modbus-rtu://DEVICE[?baud=...]/UNIT/..., or --map and\n"
"the catalogue's points), mqtt://HOST[:PORT] or mqtts://..., or files of\n"
"records (none or '-' for stdin).\n"
"\n"
"  -1, --once             one cycle, then exit (1 if a device failed)\n"
"  -c, -C, --count N      stop after N cycles (Modbus) or records\n"
"      --emit-errors      a failed read gives a record with quality bad\n"
"  -h, --help             print this help and exit\n"
"  -i, --interval DUR     time between Modbus cycles (default 1s)\n"
"  -m, --map FILE         plant catalogue (see iiot-map(5))\n"
"  -q, --quiet            print fewer diagnostics\n"
"  -u, --unbuffered       flush every record\n"
"  -V, --version          print the version and exit\n"
"  -v, --verbose          more diagnostics (repeatable)\n"
"  -W, --timeout DUR      exit when nothing arrives for DUR\n"
"\n"
"MQTT (mqtt[s]://[user@]host[:port][/filter]):\n"
"      --cafile FILE      CA certificates that sign the broker's\n"
"      --cert FILE        client certificate\n"
"      --client-id ID     MQTT client identifier\n"
"      --insecure         do not check the broker's host name\n"
"      --key FILE         client private key\n"
"      --password-file F  broker password (else $IIOT_MQTT_PASSWORD)\n"
"      --qos N            subscription QoS: 0, 1 (default) or 2\n"
"      --session          persistent session (needs --client-id)\n"
"  -t, --topic FILTER     subscribe to FILTER (repeatable; + and #)\n"
"      --topic-format T   fields from topic levels, such as\n"
"                         'plant/{location}/{source}/{sensor}'\n"
"\n"
"Files:\n"
"  -f, --format FMT       csv, tsv, json or influx (default: guessed)\n"
"      --sensor-column C  CSV column of the sensor name\n"
"      --source NAME      source of records from a wide CSV\n"
"      --source-column C  CSV column of the source\n"
"      --ts-column C      CSV column of the time (default ts)\n"
"      --value-column C   CSV column of the value\n",
	    stdout);
}

static void
version(void)
{
	char mb[64], mq[64];
	const char *libs[3];
	int maj, min, rev;

	snprintf(mb, sizeof(mb), "libmodbus %d.%d.%d",
	    libmodbus_version_major, libmodbus_version_minor,
	    libmodbus_version_micro);
	mosquitto_lib_version(&maj, &min, &rev);
	snprintf(mq, sizeof(mq), "libmosquitto %d.%d.%d", maj, min, rev);
	libs[0] = mb;
	libs[1] = mq;
	libs[2] = NULL;
	iiot_version_print(stdout, libs);
}

/* Long options without a short form. */
enum {
	OPT_EMIT_ERRORS = 256,
	OPT_SENSOR_COL, OPT_SESSION, OPT_SOURCE, OPT_SOURCE_COL,
	OPT_TOPIC_FORMAT, OPT_TS_COL, OPT_VALUE_COL,
};

/* The -t filters; a fixed array, so nothing needs freeing. */
#define MAX_TOPICS 64
static const char *topics[MAX_TOPICS];

static int
parse_args(int argc, char **argv, struct read_opts *o)
{
	static const struct option longopts[] = {
		{ "once",		no_argument,		NULL, '1' },
		{ "count",		required_argument,	NULL, 'c' },
		{ "emit-errors",	no_argument,	NULL, OPT_EMIT_ERRORS },
		{ "interval",		required_argument,	NULL, 'i' },
		{ "map",		required_argument,	NULL, 'm' },
		{ "timeout",		required_argument,	NULL, 'W' },
		{ "format",	required_argument,	NULL, 'f' },
		{ "sensor-column", required_argument,	NULL, OPT_SENSOR_COL },
		{ "session",	no_argument,		NULL, OPT_SESSION },
		{ "source",	required_argument,	NULL, OPT_SOURCE },
		{ "source-column", required_argument,	NULL, OPT_SOURCE_COL },
		{ "topic",	required_argument,	NULL, 't' },
		{ "topic-format", required_argument,	NULL,
		    OPT_TOPIC_FORMAT },
		{ "ts-column",	required_argument,	NULL, OPT_TS_COL },
		{ "value-column", required_argument,	NULL, OPT_VALUE_COL },
		IIOT_MQTT_LONGOPTS,
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL,			0,			NULL, 0 }
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered, .interval = &o->interval,
		.synopsis = SYNOPSIS,
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->interval = 1000;
	o->mqtt = (struct iiot_mqtt_opts)IIOT_MQTT_OPTS_INIT;
	o->count = -1;
	o->timeout = -1;
	while ((ch = getopt_long(argc, argv, "1C:c:f:hi:m:qt:uVvW:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '1':
			o->once = 1;
			break;
		case 'C':
		case 'c':
			o->count = iiot_xint("--count", optarg, 1, LLONG_MAX);
			break;
		case 'f':
			if (iiot_fmt_parse(optarg) < 0)
				iiot_usage_error(SYNOPSIS, "invalid --format: "
				    "'%s'", optarg);
			o->format = optarg;
			break;
		case 'm':
			o->map = optarg;
			break;
		case 't':
			if (o->ntopics >= MAX_TOPICS)
				iiot_usage_error(SYNOPSIS, "too many -t");
			topics[o->ntopics++] = optarg;
			o->topics = topics;
			break;
		case 'W':
			o->timeout = iiot_xduration("--timeout", optarg);
			break;
		case OPT_EMIT_ERRORS:
			o->emit_errors = 1;
			break;
		case OPT_SENSOR_COL:
			o->col_sensor = optarg;
			break;
		case OPT_SESSION:
			o->session = 1;
			break;
		case OPT_SOURCE:
			o->source = optarg;
			break;
		case OPT_SOURCE_COL:
			o->col_source = optarg;
			break;
		case OPT_TOPIC_FORMAT:
			o->topic_format = optarg;
			break;
		case OPT_TS_COL:
			o->col_ts = optarg;
			break;
		case OPT_VALUE_COL:
			o->col_value = optarg;
			break;
		default:
			if (!iiot_opt_common(ch, optarg, &common) &&
			    !iiot_opt_mqtt(ch, optarg, &o->mqtt))
				iiot_usage_error(SYNOPSIS, NULL);
		}
	}
	return optind;
}

/* The kind of source an operand names. */
enum { SRC_FILE, SRC_MODBUS, SRC_MQTT };

static int
source_kind(const char *s)
{
	if (strncmp(s, "modbus-tcp://", 13) == 0 ||
	    strncmp(s, "modbus-rtu://", 13) == 0)
		return SRC_MODBUS;
	if (strncmp(s, "mqtt://", 7) == 0 || strncmp(s, "mqtts://", 8) == 0)
		return SRC_MQTT;
	return SRC_FILE;
}

/*
 * iiot-read reads sensors and writes records: it polls Modbus devices
 * on a fixed clock (the points come from a catalogue or the command
 * line), subscribes to MQTT topics, or reads files of records in any
 * of the suite's formats, and writes one JSON record per value.
 */
int
main(int argc, char **argv)
{
	static char stdin_name[] = "-";
	static char *stdin_args[] = { stdin_name, NULL };
	struct read_opts o;
	int i, kind, nargs;
	char **args;

	iiot_setprogname(argv[0]);
	i = parse_args(argc, argv, &o);
	args = argv + i;
	nargs = argc - i;

	kind = o.map != NULL ? SRC_MODBUS :
	    nargs > 0 ? source_kind(args[0]) : SRC_FILE;
	for (i = 0; i < nargs; i++)
		if (source_kind(args[i]) != kind)
			iiot_usage_error(SYNOPSIS,
			    "cannot mix kinds of sources: '%s'", args[i]);
	if (kind == SRC_MQTT && nargs != 1)
		iiot_usage_error(SYNOPSIS, "one MQTT broker at a time");
	if (kind == SRC_MODBUS && o.once && o.count > 0)
		iiot_usage_error(SYNOPSIS, "--once and --count conflict");

	switch (kind) {
	case SRC_MODBUS:
		return modbus_run(&o, args, nargs);
	case SRC_MQTT:
		return mqtt_run(&o, args[0]);
	default:
		if (nargs == 0) {
			args = stdin_args;
			nargs = 1;
		}
		return file_run(&o, args, nargs);
	}
}
