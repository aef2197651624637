/* SPDX-License-Identifier: MIT */
/* main.c: iiot-archive options, dispatch to the subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iiot_db.h"
#include "iiot_fmt.h"
#include "iiot_log.h"
#include "iiot_opt.h"
#include "iiot_pg.h"
#include "iiot_time.h"
#include "iiot_x.h"

#include "archive.h"
#include "postgres.h"

#define SYNOPSIS \
    "iiot-archive [write] [-quVv] [-d file] [--batch n]\n" \
    "           [--busy-timeout dur] [--commit-interval dur]\n" \
    "       iiot-archive query [-uv] [-d file] [-o format] [--agg func]\n" \
    "           [--every dur] [--last] [--replay] [--sensor glob]\n" \
    "           [--since when] [--source glob] [--speed x]\n" \
    "           [--tag key=glob] [--until when]\n" \
    "       iiot-archive series [-d file] [--sensor glob] [--source glob]\n" \
    "           [--tag key=glob]\n" \
    "       iiot-archive rotate [-v] [-d file] -a dir [--before when]\n" \
    "           [--retention dur] [--tz zone]\n" \
    "       iiot-archive verify [-v] [-d file] [-a dir]\n" \
    "       iiot-archive backup [-d file] dest"

const char *const agg_names[] = {
	"mean", "min", "max", "first", "last", "sum", "count", "delta", NULL,
};

static const char *const cmd_names[] = {
	"write", "query", "series", "rotate", "verify", "backup", NULL,
};

enum {
	OPT_AGG = 256, OPT_BATCH, OPT_BEFORE, OPT_BUSY, OPT_COMMIT, OPT_EVERY,
	OPT_LAST, OPT_REPLAY, OPT_RETENTION, OPT_SENSOR, OPT_SINCE,
	OPT_SOURCE, OPT_SPEED, OPT_TAG, OPT_TZ, OPT_UNTIL
};

/* Which subcommands accept an option (a bit per CMD_*). */
#define W	(1 << CMD_WRITE)
#define Q	(1 << CMD_QUERY)
#define S	(1 << CMD_SERIES)
#define R	(1 << CMD_ROTATE)
#define C	(1 << CMD_VERIFY)
static const struct {
	int opt;
	int cmds;
	const char *name;
} allowed[] = {
	{ 'a', R | C, "--archive-dir" },
	{ 'o', Q, "--output" },
	{ OPT_AGG, Q, "--agg" },
	{ OPT_BATCH, W, "--batch" },
	{ OPT_BEFORE, R, "--before" },
	{ OPT_COMMIT, W, "--commit-interval" },
	{ OPT_EVERY, Q, "--every" },
	{ OPT_LAST, Q, "--last" },
	{ OPT_REPLAY, Q, "--replay" },
	{ OPT_RETENTION, R, "--retention" },
	{ OPT_SENSOR, Q | S, "--sensor" },
	{ OPT_SINCE, Q, "--since" },
	{ OPT_SOURCE, Q | S, "--source" },
	{ OPT_SPEED, Q, "--speed" },
	{ OPT_TAG, Q | S, "--tag" },
	{ OPT_TZ, R, "--tz" },
	{ OPT_UNTIL, Q, "--until" },
};

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Archive records in SQLite, passing them on (write, the default); print\n"
"them back (query), list the series (series), move finished days to\n"
"daily files (rotate), check the archive (verify), or copy it (backup).\n"
"\n"
"  -d, --db FILE            the archive (default $IIOT_DB, else iiot.db)\n"
"  -q, --quiet              write: no pass-through, no warnings\n"
"  -u, --unbuffered         flush every record\n"
"  -v, --verbose            say more (repeatable)\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version and the SQLite version\n"
"write:\n"
"      --batch N            commit every N records (default 100000)\n"
"      --commit-interval DUR  or when the batch is DUR old (default 1s)\n"
"      --busy-timeout DUR   wait so long for another writer (default 5s)\n"
"query and series:\n"
"      --sensor GLOB        only sensors matching (repeatable)\n"
"      --source GLOB        only sources matching (repeatable)\n"
"      --tag KEY=GLOB       only series with tag KEY matching (repeatable)\n"
"      --since WHEN         from this time on (RFC 3339, today, -1h, ...)\n"
"      --until WHEN         before this time\n"
"      --every DUR          one record per series and interval, with\n"
"      --agg FUNC           mean, min, max, first, last, sum, count, delta\n"
"      --last               the latest record of each series\n"
"  -o, --output FORMAT      json (default), csv, tsv or influx\n"
"      --replay             emit paced as recorded\n"
"      --speed X            X times faster (with --replay)\n"
"rotate and verify:\n"
"  -a, --archive-dir DIR    daily files DIR/YYYY/YYYY-MM-DD.db, DIR/MANIFEST\n"
"      --before WHEN        rotate days ending by then (default today)\n"
"      --retention DUR      delete archived days older than DUR from FILE\n"
"      --tz ZONE            days in this time zone (default UTC)\n",
	    stdout);
	exit(IIOT_EXIT_OK);
}

static void
version(void)
{
	const char *libs[] = { iiot_db_libversion(), iiot_pg_libversion(),
	    NULL };

	iiot_version_print(stdout, libs);
}

static void
add_glob(const char ***v, size_t *n, const char *s)
{
	*v = iiot_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static int
find_name(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void
check_allowed(int opt, int cmd)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].opt == opt && !(allowed[i].cmds & (1 << cmd)))
			iiot_usage_error(SYNOPSIS, "option '%s' is not valid "
			    "with '%s'", allowed[i].name, cmd_names[cmd]);
}

/*
 * A time zone glibc knows: a POSIX TZ string (it has an offset) or a
 * zone file.  Unknown names would silently mean UTC.
 */
static int
tz_known(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[1024];

	if (strpbrk(tz, "0123456789") != NULL)
		return 1;
	if (*tz == ':')
		tz++;
	if (*tz == '\0' || strstr(tz, "..") != NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir :
	    "/usr/share/zoneinfo", tz);
	return access(path, R_OK) == 0;
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "agg", required_argument, NULL, OPT_AGG },
		{ "archive-dir", required_argument, NULL, 'a' },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "before", required_argument, NULL, OPT_BEFORE },
		{ "busy-timeout", required_argument, NULL, OPT_BUSY },
		{ "commit-interval", required_argument, NULL, OPT_COMMIT },
		{ "db", required_argument, NULL, 'd' },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "last", no_argument, NULL, OPT_LAST },
		{ "output", required_argument, NULL, 'o' },
		{ "replay", no_argument, NULL, OPT_REPLAY },
		{ "retention", required_argument, NULL, OPT_RETENTION },
		{ "sensor", required_argument, NULL, OPT_SENSOR },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "until", required_argument, NULL, OPT_UNTIL },
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered,
	};
	int c, speed_set = 0;

	o->db = getenv("IIOT_DB");
	if (o->db == NULL || *o->db == '\0')
		o->db = "iiot.db";
	o->batch = 100000;
	o->interval = 1000;
	o->busy = 5000;
	o->since = o->until = o->before = IIOT_TS_NONE;
	o->agg = AGG_NONE;
	o->speed = 1;
	o->retention = -1;
	if (argc > 1 && (o->cmd = find_name(cmd_names, argv[1])) >= 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
	} else {
		o->cmd = CMD_WRITE;
	}
	while ((c = getopt_long(argc, argv, "a:d:ho:quVv", longopts,
	    NULL)) != -1) {
		check_allowed(c, o->cmd);
		switch (c) {
		case 'a':
			o->dir = optarg;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'o':
			if ((o->fmt = iiot_fmt_parse(optarg)) < 0)
				iiot_usage_error(SYNOPSIS, "-o: unknown format "
				    "'%s' (json, csv, tsv, influx)", optarg);
			break;
		case OPT_AGG:
			if ((o->agg = find_name(agg_names, optarg)) < 0)
				iiot_usage_error(SYNOPSIS, "--agg: unknown "
				    "function '%s'", optarg);
			break;
		case OPT_BATCH:
			o->batch = iiot_xint("--batch", optarg, 1, 10000000);
			break;
		case OPT_BEFORE:
			o->before = iiot_xwhen("--before", optarg);
			break;
		case OPT_BUSY:
			o->busy = iiot_xduration("--busy-timeout", optarg);
			break;
		case OPT_COMMIT:
			o->interval = iiot_xduration("--commit-interval",
			    optarg);
			break;
		case OPT_EVERY:
			o->every = iiot_xduration("--every", optarg);
			if (o->every <= 0)
				iiot_usage_error(SYNOPSIS, "--every: must be "
				    "positive");
			break;
		case OPT_LAST:
			o->last = 1;
			break;
		case OPT_REPLAY:
			o->replay = 1;
			break;
		case OPT_RETENTION:
			o->retention = iiot_xduration("--retention", optarg);
			break;
		case OPT_SENSOR:
			add_glob(&o->sensors, &o->nsensors, optarg);
			break;
		case OPT_SINCE:
			o->since = iiot_xwhen("--since", optarg);
			break;
		case OPT_SOURCE:
			add_glob(&o->sources, &o->nsources, optarg);
			break;
		case OPT_SPEED:
			o->speed = iiot_xnum("--speed", optarg, 1e-6, 1e9);
			speed_set = 1;
			break;
		case OPT_TAG:
			if (strchr(optarg, '=') == NULL ||
			    optarg[0] == '=')
				iiot_usage_error(SYNOPSIS, "--tag: expected "
				    "KEY=GLOB, not '%s'", optarg);
			add_glob(&o->tags, &o->ntags, optarg);
			break;
		case OPT_TZ:
			o->tz = optarg;
			break;
		case OPT_UNTIL:
			o->until = iiot_xwhen("--until", optarg);
			break;
		default:
			if (!iiot_opt_common(c, optarg, &common))
				iiot_usage_error(SYNOPSIS, NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (o->cmd == CMD_BACKUP && argc == 1) {
		o->dest = argv[0];
		argc--;
	}
	if (argc > 0)
		iiot_usage_error(SYNOPSIS, "unexpected argument '%s'", argv[0]);
	if (o->cmd == CMD_BACKUP && o->dest == NULL)
		iiot_usage_error(SYNOPSIS, "backup: no destination file");
	if (o->cmd == CMD_ROTATE && o->dir == NULL)
		iiot_usage_error(SYNOPSIS, "rotate: no archive directory (-a)");
	if ((o->every > 0) != (o->agg != AGG_NONE))
		iiot_usage_error(SYNOPSIS, "--every and --agg go together");
	if (o->last && (o->every > 0 || o->replay))
		iiot_usage_error(SYNOPSIS, "--last excludes --every and "
		    "--replay");
	if (o->tz != NULL && !tz_known(o->tz))
		iiot_usage_error(SYNOPSIS, "--tz: unknown time zone '%s'",
		    o->tz);
	if (speed_set && !o->replay)
		iiot_usage_error(SYNOPSIS, "--speed needs --replay");
	if (o->fmt != IIOT_FMT_JSON && o->replay)
		iiot_usage_error(SYNOPSIS, "--replay writes JSON records");
}

/*
 * iiot-archive: keep records in a SQLite archive and get them back.
 * Without a subcommand it reads records on stdin, stores each one in
 * the archive and passes it on unchanged; the subcommands query, list,
 * rotate into daily files, verify and back up the archive.
 */
int
main(int argc, char **argv)
{
	struct options o;
	int status;

	iiot_setprogname(argv[0]);
	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	switch (iiot_pg_is_url(o.db) ? -1 : o.cmd) {
	case -1:		/* postgresql://...: the server's archive */
		status = cmd_pg(&o);
		break;
	case CMD_QUERY:
		status = cmd_query(&o);
		break;
	case CMD_SERIES:
		status = cmd_series(&o);
		break;
	case CMD_ROTATE:
		status = cmd_rotate(&o);
		break;
	case CMD_VERIFY:
		status = cmd_verify(&o);
		break;
	case CMD_BACKUP:
		status = cmd_backup(&o);
		break;
	default:
		status = cmd_write(&o);
		break;
	}
	free(o.sensors);
	free(o.sources);
	free(o.tags);
	return status;
}
