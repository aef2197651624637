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
	"                 [--emit-errors] [url | file ...]"

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Read sensors and write one JSON record per value on stdout.  The operand\n"
"says where: modbus-tcp://HOST[:PORT] or modbus-rtu://DEVICE[?baud=...]\n"
"(with --map, the catalogue's devices), mqtt://HOST[:PORT] or\n"
"mqtts://..., or files of records (none or '-' for stdin).\n"
"\n"
"  -1, --once             one cycle, then exit (1 if a device failed)\n"
"  -c, --count N          stop after N cycles (Modbus) or records\n"
"      --emit-errors      a failed read gives a record with quality bad\n"
"  -h, --help             print this help and exit\n"
"  -i, --interval DUR     time between Modbus cycles (default 1s)\n"
"  -m, --map FILE         plant catalogue (see iiot-map(5))\n"
"  -q, --quiet            print fewer diagnostics\n"
"  -u, --unbuffered       flush every record\n"
"  -V, --version          print the version and exit\n"
"  -v, --verbose          more diagnostics (repeatable)\n"
"  -W, --timeout DUR      exit when nothing arrives for DUR\n",
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
};

static int
parse_args(int argc, char **argv, struct read_opts *o)
{
	static const struct option longopts[] = {
		{ "once",		no_argument,		NULL, '1' },
		{ "count",		required_argument,	NULL, 'c' },
		{ "emit-errors",	no_argument,	NULL, OPT_EMIT_ERRORS },
		{ "help",		no_argument,		NULL, 'h' },
		{ "interval",		required_argument,	NULL, 'i' },
		{ "map",		required_argument,	NULL, 'm' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "unbuffered",		no_argument,		NULL, 'u' },
		{ "version",		no_argument,		NULL, 'V' },
		{ "verbose",		no_argument,		NULL, 'v' },
		{ "timeout",		required_argument,	NULL, 'W' },
		{ NULL,			0,			NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->interval = 1000;
	o->count = -1;
	o->timeout = -1;
	o->qos = 1;
	while ((ch = getopt_long(argc, argv, "1c:hi:m:quVvW:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '1':
			o->once = 1;
			break;
		case 'c':
			o->count = iiot_xint("--count", optarg, 1, LLONG_MAX);
			break;
		case 'h':
			usage();
			exit(IIOT_EXIT_OK);
		case 'i':
			o->interval = iiot_xduration("--interval", optarg);
			if (o->interval <= 0)
				iiot_usage_error(SYNOPSIS,
				    "invalid --interval: '%s'", optarg);
			break;
		case 'm':
			o->map = optarg;
			break;
		case 'q':
			iiot_verbosity = -1;
			break;
		case 'u':
			o->unbuffered = 1;
			break;
		case 'V':
			version();
			exit(IIOT_EXIT_OK);
		case 'v':
			if (iiot_verbosity >= 0)
				iiot_verbosity++;
			break;
		case 'W':
			o->timeout = iiot_xduration("--timeout", optarg);
			break;
		case OPT_EMIT_ERRORS:
			o->emit_errors = 1;
			break;
		default:
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
