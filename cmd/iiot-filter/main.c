/* SPDX-License-Identifier: MIT */
/* iiot-filter: select, reduce and shape sensor records, like grep and sed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "iiot.h"
#include "iiot_expr.h"
#include "iiot_x.h"

#define SYNOPSIS \
"iiot-filter [-cquVvx] [-e expr] [-m num] [-o format] [-s glob]\n" \
"                   [-t key=glob] [--agg func] [--deadband x[%]] [--dedupe]\n" \
"                   [--every dur] [--fields list] [--heartbeat dur]\n" \
"                   [--max x] [--min x] [--offset f] [--quality q]\n" \
"                   [--rate[=dur]] [--scale f] [--scope expr]\n" \
"                   [--set key=value]\n" \
"                   [--since time] [--source glob] [--strict] [--unit u]\n" \
"                   [--until time] [file ...]"

/* Reductions: at most one per run. */
enum reduce { R_NONE, R_DEADBAND, R_DEDUPE, R_EVERY, R_RATE };
enum agg { A_MEAN, A_MIN, A_MAX, A_FIRST, A_LAST, A_SUM, A_COUNT, A_DELTA };
static const char *const agg_names[] = {
	"mean", "min", "max", "first", "last", "sum", "count", "delta", NULL
};

/* A list of strings given by a repeated option. */
struct list {
	const char **v;
	size_t n;
};

/* A field an expression uses, resolved once to where it is found. */
enum var { V_VALUE, V_SENSOR, V_SOURCE, V_UNIT, V_QUALITY, V_OTHER };

struct where {
	struct iiot_expr *e;
	size_t nvars;
	enum var *kind;
	const char **name;
};

struct options {
	struct list sensors, sources, tags, qualities, sets, fields;
	struct where *wheres;
	size_t nwheres;
	struct where scope;		/* --scope: what conversion and
					   reduction apply to */
	int invert, count, strict, unbuffered, format;
	long long max_count;
	int has_min, has_max;
	double min, max;
	int64_t since, until;		/* IIOT_TS_NONE when not given */
	enum reduce reduce;
	double deadband;
	int deadband_pct;
	int64_t heartbeat, every, rate_per;
	enum agg agg;
	int has_scale, has_offset;
	double scale, offset;
	const char *unit, *rate_unit;
	char **files;
	int nfiles;
	/* Literal prefilters: '"temp7"' must occur in a line to match. */
	struct list lit_sensors, lit_sources;
};

/* Per-series state of the reductions; one per series, never per record. */
struct series {
	int seen;
	double last;		/* value last emitted (deadband, dedupe) */
	int64_t last_ts;	/* time last emitted (heartbeat) */
	char last_q[12];	/* quality last emitted, "" for good */
	double prev;		/* previous input value (rate, delta) */
	int64_t prev_ts;
	int64_t bucket;		/* --every: start of the open bucket */
	int open;
	unsigned long n;
	double sum, min, max, first, lastv, delta;
	struct iiot_rec tmpl;	/* --every: the bucket's first record */
};

struct state {
	struct iiot_rec rec;
	struct iiot_stab *series;
	struct iiot_val *vars;
	size_t maxvars;
	unsigned long long lines, kept, emitted, skipped;
	struct iiot_ratelimit rl;
	int failed;		/* exit status 1 at the end */
	int done;		/* --max-count reached */
	int64_t newest;		/* --every: the latest bucket seen */
};

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Read sensor records (JSON Lines) from files or stdin, keep the relevant\n"
"ones, reduce and reshape them, and write them to stdout.\n\n"
"Select (repeating an option ORs its values; different options AND):\n"
"  -s, --sensor GLOB      sensor name matches GLOB\n"
"      --source GLOB      source (machine) matches GLOB\n"
"  -t, --tag KEY=GLOB     string field KEY matches GLOB\n"
"      --min X, --max X   value at least / at most X\n"
"      --since TIME       ts at or after TIME (RFC 3339, date, -1h, today)\n"
"      --until TIME       ts before TIME\n"
"      --quality Q        quality is Q (good matches records without one)\n"
"  -e, --where EXPR       EXPR is true (see iiot-filter(1) for the grammar)\n"
"  -x, --invert           keep the records that do not match\n\n"
"Reduce (one of):\n"
"      --deadband X[%]    emit a series only when it moved more than X\n"
"                         (or X percent) from the last value emitted\n"
"      --heartbeat DUR    with --deadband: also emit after DUR unchanged\n"
"      --dedupe           drop consecutive repeats of a series\n"
"      --every DUR        aggregate each series over buckets of DUR,\n"
"      --agg FUNC           FUNC one of mean min max first last sum\n"
"                           count delta (default mean)\n"
"      --rate[=DUR]       a counter's increase per second (or per DUR)\n\n"
"Scope:\n"
"      --scope EXPR       convert and reduce only the records where EXPR\n"
"                         is true; pass the others on unchanged\n\n"
"Shape:\n"
"      --fields LIST      keep only these comma-separated fields\n"
"      --set KEY=VALUE    add or replace a string field\n"
"      --scale F, --offset F, --unit U\n"
"                         convert: value * F + offset, in unit U\n"
"  -m, --max-count N      stop after N records\n"
"  -c, --count            print only the number of records\n"
"  -o, --output FORMAT    json (default), csv, tsv or influx\n\n"
"Other:\n"
"      --strict           stop at the first malformed line\n"
"  -u, --unbuffered       flush after every record\n"
"  -q, --quiet            no warnings for malformed lines\n"
"  -v, --verbose          report counts at exit\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n\n"
"Exit status: 0 success, 1 a run-time error or malformed lines skipped,\n"
"2 usage error.\n", stdout);
}

static void
version(void)
{
	char cjson[32];
	const char *libs[] = { cjson, NULL };

	snprintf(cjson, sizeof(cjson), "cJSON %s", cJSON_Version());
	iiot_version_print(stdout, libs);
}

static void
list_add(struct list *l, const char *s)
{
	l->v = iiot_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = s;
}

/* Compile the expression of option opt into w. */
static void
compile_where(struct where *w, const char *opt, const char *src)
{
	static const char *const known[] = {
		"value", "sensor", "source", "unit", "quality",
	};
	char err[128];
	size_t i, k;

	if ((w->e = iiot_expr_new(src, err, sizeof(err))) == NULL) {
		if (errno == ENOMEM)
			iiot_err(IIOT_EXIT_FAIL, "%s", opt);
		iiot_errx(IIOT_EXIT_USAGE, "%s: %s: '%s'", opt, err, src);
	}
	w->nvars = iiot_expr_nvars(w->e);
	w->kind = iiot_xcalloc(w->nvars, sizeof(*w->kind));
	w->name = iiot_xcalloc(w->nvars, sizeof(*w->name));
	for (i = 0; i < w->nvars; i++) {
		w->name[i] = iiot_expr_var(w->e, i);
		w->kind[i] = V_OTHER;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(w->name[i], known[k]) == 0)
				w->kind[i] = (enum var)k;
	}
}

static void
add_where(struct options *o, const char *src)
{
	o->wheres = iiot_xrealloc(o->wheres, (o->nwheres + 1) *
	    sizeof(*o->wheres));
	compile_where(&o->wheres[o->nwheres++], "--where", src);
}

static void
free_where(struct where *w)
{
	iiot_expr_free(w->e);
	free(w->kind);
	free(w->name);
}

static void
parse_deadband(struct options *o, const char *s)
{
	char buf[64];
	size_t n = strlen(s);

	if (n > 0 && n < sizeof(buf) && s[n - 1] == '%') {
		memcpy(buf, s, n - 1);
		buf[n - 1] = '\0';
		o->deadband = iiot_xnum("--deadband", buf, 0, 1e6);
		o->deadband_pct = 1;
	} else {
		o->deadband = iiot_xnum("--deadband", s, 0, 1e300);
	}
}

static enum agg
parse_agg(const char *s)
{
	int i;

	for (i = 0; agg_names[i] != NULL; i++)
		if (strcmp(s, agg_names[i]) == 0)
			return (enum agg)i;
	iiot_usage_error(SYNOPSIS, "--agg: unknown function '%s' (try mean, "
	    "min, max, first, last, sum, count, delta)", s);
}

static void
set_reduce(struct options *o, enum reduce r)
{
	if (o->reduce != R_NONE && o->reduce != r)
		iiot_usage_error(SYNOPSIS, "--deadband, --dedupe, --every and "
		    "--rate exclude each other");
	o->reduce = r;
}

/* Split "a,b,c" into a list; the string is kept and cut in place. */
static void
split_fields(struct list *l, char *s)
{
	char *p;

	for (p = s; p != NULL; ) {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		if (*p != '\0')
			list_add(l, p);
		p = comma != NULL ? comma + 1 : NULL;
	}
	if (l->n == 0 || l->n > 64)
		iiot_usage_error(SYNOPSIS, "--fields: give 1 to 64 names");
}

enum {
	OPT_AGG = 256, OPT_DEADBAND, OPT_DEDUPE, OPT_EVERY, OPT_FIELDS,
	OPT_HEARTBEAT, OPT_MAX, OPT_MIN, OPT_OFFSET, OPT_QUALITY, OPT_RATE,
	OPT_SCALE, OPT_SCOPE, OPT_SET, OPT_SINCE, OPT_SOURCE, OPT_STRICT,
	OPT_UNIT,
	OPT_UNTIL,
};

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "agg", required_argument, NULL, OPT_AGG },
		{ "count", no_argument, NULL, 'c' },
		{ "deadband", required_argument, NULL, OPT_DEADBAND },
		{ "dedupe", no_argument, NULL, OPT_DEDUPE },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
		{ "invert", no_argument, NULL, 'x' },
		{ "max", required_argument, NULL, OPT_MAX },
		{ "max-count", required_argument, NULL, 'm' },
		{ "min", required_argument, NULL, OPT_MIN },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "output", required_argument, NULL, 'o' },
		{ "quality", required_argument, NULL, OPT_QUALITY },
		{ "rate", optional_argument, NULL, OPT_RATE },
		{ "scale", required_argument, NULL, OPT_SCALE },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "sensor", required_argument, NULL, 's' },
		{ "set", required_argument, NULL, OPT_SET },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "tag", required_argument, NULL, 't' },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "where", required_argument, NULL, 'e' },
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered,
	};
	int c;

	o->since = o->until = IIOT_TS_NONE;
	o->rate_per = 1000;
	while ((c = getopt_long(argc, argv, "ce:hm:o:qs:t:uVvx", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			o->count = 1;
			break;
		case 'e':
			add_where(o, optarg);
			break;
		case 'm':
			o->max_count = iiot_xint("--max-count", optarg, 0,
			    LLONG_MAX);
			break;
		case 'o':
			if ((o->format = iiot_fmt_parse(optarg)) < 0)
				iiot_usage_error(SYNOPSIS, "--output: unknown "
				    "format '%s' (try json, csv, tsv, influx)",
				    optarg);
			break;
		case 's':
			list_add(&o->sensors, optarg);
			break;
		case 't':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				iiot_usage_error(SYNOPSIS, "--tag: expected "
				    "KEY=GLOB, got '%s'", optarg);
			list_add(&o->tags, optarg);
			break;
		case 'v':
			/* Here, -v after -q brings warnings back. */
			iiot_verbosity++;
			break;
		case 'x':
			o->invert = 1;
			break;
		case OPT_AGG:
			o->agg = parse_agg(optarg);
			break;
		case OPT_DEADBAND:
			set_reduce(o, R_DEADBAND);
			parse_deadband(o, optarg);
			break;
		case OPT_DEDUPE:
			set_reduce(o, R_DEDUPE);
			break;
		case OPT_EVERY:
			set_reduce(o, R_EVERY);
			o->every = iiot_xduration("--every", optarg);
			break;
		case OPT_FIELDS:
			split_fields(&o->fields, optarg);
			break;
		case OPT_HEARTBEAT:
			o->heartbeat = iiot_xduration("--heartbeat", optarg);
			break;
		case OPT_MAX:
			o->has_max = 1;
			o->max = iiot_xnum("--max", optarg, -1e300, 1e300);
			break;
		case OPT_MIN:
			o->has_min = 1;
			o->min = iiot_xnum("--min", optarg, -1e300, 1e300);
			break;
		case OPT_OFFSET:
			o->has_offset = 1;
			o->offset = iiot_xnum("--offset", optarg, -1e300, 1e300);
			break;
		case OPT_QUALITY:
			list_add(&o->qualities, optarg);
			break;
		case OPT_RATE:
			set_reduce(o, R_RATE);
			if (optarg != NULL)
				o->rate_per = iiot_xduration("--rate", optarg);
			break;
		case OPT_SCALE:
			o->has_scale = 1;
			o->scale = iiot_xnum("--scale", optarg, -1e300, 1e300);
			break;
		case OPT_SCOPE:
			if (o->scope.e != NULL)
				iiot_usage_error(SYNOPSIS, "--scope: give it "
				    "once (combine with ||)");
			compile_where(&o->scope, "--scope", optarg);
			break;
		case OPT_SET:
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				iiot_usage_error(SYNOPSIS, "--set: expected "
				    "KEY=VALUE, got '%s'", optarg);
			list_add(&o->sets, optarg);
			break;
		case OPT_SINCE:
			o->since = iiot_xwhen("--since", optarg);
			break;
		case OPT_SOURCE:
			list_add(&o->sources, optarg);
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		case OPT_UNIT:
			o->unit = optarg;
			break;
		case OPT_UNTIL:
			o->until = iiot_xwhen("--until", optarg);
			break;
		default:
			if (!iiot_opt_common(c, optarg, &common))
				iiot_usage_error(SYNOPSIS, NULL);
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
}

/* Check that the options make sense together; prepare prefilters. */
static void
check_args(struct options *o)
{
	static char units[32];
	size_t i;

	if (o->heartbeat && o->reduce != R_DEADBAND)
		iiot_usage_error(SYNOPSIS, "--heartbeat needs --deadband");
	if (o->agg != A_MEAN && o->reduce != R_EVERY)
		iiot_usage_error(SYNOPSIS, "--agg needs --every");
	if ((o->reduce == R_EVERY && o->every <= 0) ||
	    (o->reduce == R_RATE && o->rate_per <= 0))
		iiot_usage_error(SYNOPSIS, "durations must be above zero");
	if (o->count && o->format != IIOT_FMT_JSON)
		iiot_usage_error(SYNOPSIS, "--count and --output exclude "
		    "each other");
	for (i = 0; i < o->sets.n; i++)
		if (strncmp(o->sets.v[i], "ts=", 3) == 0 ||
		    strncmp(o->sets.v[i], "value=", 6) == 0)
			iiot_usage_error(SYNOPSIS, "--set: cannot set ts or "
			    "value (see --scale and --offset)");
	if (o->reduce == R_RATE) {
		units[0] = '/';
		if (o->rate_per == 1000)
			memcpy(units + 1, "s", 2);
		else if (o->rate_per == 60000)
			memcpy(units + 1, "min", 4);
		else if (o->rate_per == 3600000)
			memcpy(units + 1, "h", 2);
		else
			iiot_duration_format(o->rate_per, units + 1);
		o->rate_unit = units;
	}
	/*
	 * A line that does not contain a wanted name between quotes cannot
	 * match, unless escapes spell it differently: such lines are
	 * rejected without parsing.  Not with --invert or --strict, which
	 * need every line parsed.
	 */
	if (o->invert || o->strict)
		return;
	for (i = 0; i < o->sensors.n; i++)
		if (!iiot_glob_is_literal(o->sensors.v[i]))
			break;
	if (i == o->sensors.n)
		o->lit_sensors = o->sensors;
	for (i = 0; i < o->sources.n; i++)
		if (!iiot_glob_is_literal(o->sources.v[i]))
			break;
	if (i == o->sources.n)
		o->lit_sources = o->sources;
}

/* Could this line hold one of the literal names?  See check_args(). */
static int
may_hold(const struct list *lits, const char *line, size_t len)
{
	char quoted[256];
	size_t i, n;

	if (lits->n == 0)
		return 1;
	for (i = 0; i < lits->n; i++) {
		n = strlen(lits->v[i]);
		if (n + 2 > sizeof(quoted))
			return 1;
		quoted[0] = '"';
		memcpy(quoted + 1, lits->v[i], n);
		quoted[n + 1] = '"';
		if (memmem(line, len, quoted, n + 2) != NULL)
			return 1;
	}
	return memchr(line, '\\', len) != NULL;
}

static int
any_glob(const struct list *l, const char *s)
{
	size_t i;

	if (l->n == 0)
		return 1;
	for (i = 0; i < l->n; i++)
		if (iiot_glob_match(l->v[i], s))
			return 1;
	return 0;
}

static int
any_tag(const struct list *l, const struct iiot_rec *r)
{
	char key[128];
	const char *eq;
	size_t i, n;

	if (l->n == 0)
		return 1;
	for (i = 0; i < l->n; i++) {
		eq = strchr(l->v[i], '=');
		n = (size_t)(eq - l->v[i]);
		if (n >= sizeof(key))
			continue;
		memcpy(key, l->v[i], n);
		key[n] = '\0';
		if (iiot_glob_match(eq + 1, iiot_rec_str(r, key)))
			return 1;
	}
	return 0;
}

static int
any_quality(const struct list *l, const struct iiot_rec *r)
{
	const char *q = r->quality != NULL ? r->quality : "good";
	size_t i;

	if (l->n == 0)
		return 1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], q) == 0)
			return 1;
	return 0;
}

static void
str_val(struct iiot_val *v, const char *s)
{
	if (s == NULL) {
		v->type = IIOT_V_NULL;
		return;
	}
	v->type = IIOT_V_STR;
	v->str = s;
	v->len = strlen(s);
}

/* Fill the expression's variables from the record. */
static void
load_vars(const struct where *w, const struct iiot_rec *r,
    struct iiot_val *vars)
{
	const char *s;
	size_t i;
	double d;

	for (i = 0; i < w->nvars; i++) {
		switch (w->kind[i]) {
		case V_VALUE:
			vars[i].type = IIOT_V_NUM;
			vars[i].num = r->value;
			break;
		case V_SENSOR:
			str_val(&vars[i], r->sensor);
			break;
		case V_SOURCE:
			str_val(&vars[i], iiot_rec_str(r, "source"));
			break;
		case V_UNIT:
			str_val(&vars[i], r->unit);
			break;
		case V_QUALITY:
			str_val(&vars[i], r->quality);
			break;
		default:
			if ((s = iiot_rec_str(r, w->name[i])) != NULL) {
				str_val(&vars[i], s);
			} else if (iiot_rec_num(r, w->name[i], &d) == 0) {
				vars[i].type = IIOT_V_NUM;
				vars[i].num = d;
			} else {
				vars[i].type = IIOT_V_NULL;
			}
		}
	}
}

static int
any_where(const struct options *o, struct state *st)
{
	size_t i;

	if (o->nwheres == 0)
		return 1;
	for (i = 0; i < o->nwheres; i++) {
		load_vars(&o->wheres[i], &st->rec, st->vars);
		if (iiot_expr_test(o->wheres[i].e, st->vars))
			return 1;
	}
	return 0;
}

static int
selected(const struct options *o, struct state *st)
{
	const struct iiot_rec *r = &st->rec;
	int ok;

	ok = any_glob(&o->sensors, r->sensor) &&
	    any_glob(&o->sources, r->source) &&
	    any_tag(&o->tags, r) && any_quality(&o->qualities, r) &&
	    (!o->has_min || r->value >= o->min) &&
	    (!o->has_max || r->value <= o->max) &&
	    (o->since == IIOT_TS_NONE || r->ts >= o->since) &&
	    (o->until == IIOT_TS_NONE || r->ts < o->until) &&
	    any_where(o, st);
	return ok != o->invert;
}

static void
fail_nomem(void)
{
	iiot_err(IIOT_EXIT_FAIL, "cannot change a record");
}

/* Apply --scale, --offset, --unit and --set. */
static void
convert(const struct options *o, struct iiot_rec *r)
{
	char key[128];
	const char *eq;
	size_t i, n;

	if (o->has_scale || o->has_offset) {
		double v = r->value * (o->has_scale ? o->scale : 1) +
		    (o->has_offset ? o->offset : 0);

		if (iiot_rec_set_value(r, v) < 0)
			fail_nomem();
	}
	if (o->unit != NULL && iiot_rec_set_str(r, "unit", o->unit) < 0)
		fail_nomem();
	for (i = 0; i < o->sets.n; i++) {
		eq = strchr(o->sets.v[i], '=');
		n = (size_t)(eq - o->sets.v[i]);
		if (n >= sizeof(key))
			iiot_errx(IIOT_EXIT_USAGE, "--set: key too long");
		memcpy(key, o->sets.v[i], n);
		key[n] = '\0';
		if (iiot_rec_set_str(r, key, eq + 1) < 0)
			fail_nomem();
	}
}

static void
write_rec(const struct options *o, struct state *st, struct iiot_rec *r)
{
	if (st->done)
		return;
	st->emitted++;
	if (!o->count) {
		if (o->fields.n > 0)
			iiot_rec_project(r, o->fields.v, o->fields.n);
		if (iiot_fmt_write(stdout, o->format, r, o->fields.n ?
		    o->fields.v : NULL, o->fields.n) < 0)
			iiot_err(IIOT_EXIT_FAIL, "cannot write to stdout");
		iiot_out_record();
	}
	if (o->max_count > 0 && st->emitted >= (unsigned long long)o->max_count)
		st->done = 1;
}

static struct series *
series_of(struct state *st, const struct iiot_rec *r)
{
	struct series *s;
	int created = 0;

	s = iiot_stab_get(st->series, r->source, r->sensor, 1, &created);
	if (s == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot track series '%s/%s'",
		    r->source, r->sensor);
	if (created && iiot_rec_init(&s->tmpl) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot track a series");
	return s;
}

/* A counter's increase from prev to v: a drop means it was reset. */
static double
increase(double prev, double v)
{
	return v >= prev ? v - prev : v;
}

static void
deadband(const struct options *o, struct state *st, struct iiot_rec *r)
{
	struct series *s = series_of(st, r);
	const char *q = r->quality != NULL ? r->quality : "";
	double band = o->deadband_pct ? fabs(s->last) * o->deadband / 100 :
	    o->deadband;
	int changed_q = strncmp(q, s->last_q, sizeof(s->last_q) - 1) != 0;

	if (s->seen && !changed_q) {
		int moved = o->reduce == R_DEDUPE ? r->value != s->last :
		    fabs(r->value - s->last) > band;
		int beat = o->heartbeat > 0 &&
		    r->ts - s->last_ts >= o->heartbeat;

		if (!moved && !beat)
			return;
	}
	s->seen = 1;
	s->last = r->value;
	s->last_ts = r->ts;
	snprintf(s->last_q, sizeof(s->last_q), "%s", q);
	write_rec(o, st, r);
}

static void
rate(const struct options *o, struct state *st, struct iiot_rec *r)
{
	struct series *s = series_of(st, r);
	int64_t dt = r->ts - s->prev_ts;
	double v = r->value, d;
	char unit[64];

	if (s->seen && dt > 0) {
		d = increase(s->prev, v) * (double)o->rate_per / (double)dt;
		snprintf(unit, sizeof(unit), "%s%s", r->unit ? r->unit : "",
		    o->rate_unit);
		if (iiot_rec_set_value(r, d) < 0 ||
		    iiot_rec_set_str(r, "unit", unit) < 0)
			fail_nomem();
		write_rec(o, st, r);
	}
	if (!s->seen || dt > 0) {
		s->prev = v;
		s->prev_ts = r->ts;
	}
	s->seen = 1;
}

static void
emit_bucket(const struct options *o, struct state *st, struct series *s)
{
	double v;

	switch (o->agg) {
	case A_MEAN: v = s->sum / (double)s->n; break;
	case A_MIN: v = s->min; break;
	case A_MAX: v = s->max; break;
	case A_FIRST: v = s->first; break;
	case A_LAST: v = s->lastv; break;
	case A_SUM: v = s->sum; break;
	case A_COUNT: v = (double)s->n; break;
	default: v = s->delta; break;
	}
	if (iiot_rec_set_ts(&s->tmpl, s->bucket) < 0 ||
	    iiot_rec_set_value(&s->tmpl, v) < 0 ||
	    iiot_rec_set_str(&s->tmpl, "agg", agg_names[o->agg]) < 0)
		fail_nomem();
	s->open = 0;
	write_rec(o, st, &s->tmpl);
}

/*
 * Emit the open buckets that start before limit, oldest first (series
 * of the same bucket in the order they were first seen).
 */
static void
flush_buckets(const struct options *o, struct state *st, int64_t limit)
{
	struct series *s, **open;
	size_t it = 0, n = 0, i, j;

	if (o->reduce != R_EVERY)
		return;
	open = iiot_xcalloc(iiot_stab_count(st->series), sizeof(*open));
	/* A stable insertion sort: only at the end, over open series. */
	while ((s = iiot_stab_next(st->series, &it, NULL, NULL)) != NULL) {
		if (!s->open || s->bucket >= limit)
			continue;
		for (j = n++; j > 0 && open[j - 1]->bucket > s->bucket; j--)
			open[j] = open[j - 1];
		open[j] = s;
	}
	for (i = 0; i < n; i++)
		emit_bucket(o, st, open[i]);
	free(open);
}

/*
 * Add a record to its series' bucket.  Input comes in time order, so a
 * record of a later bucket than any seen closes every older bucket, of
 * all series: each is emitted as soon as it is complete.
 */
static void
every(const struct options *o, struct state *st, struct iiot_rec *r)
{
	struct series *s = series_of(st, r);
	int64_t b = r->ts - ((r->ts % o->every) + o->every) % o->every;
	double v = r->value;

	if (b > st->newest) {
		st->newest = b;
		flush_buckets(o, st, b);
	}
	if (s->open && b != s->bucket)
		emit_bucket(o, st, s);
	if (!s->open) {
		s->open = 1;
		s->bucket = b;
		s->n = 0;
		s->sum = s->delta = 0;
		s->min = s->max = s->first = v;
		if (iiot_rec_copy(&s->tmpl, r) < 0)
			fail_nomem();
	}
	s->n++;
	s->sum += v;
	s->min = v < s->min ? v : s->min;
	s->max = v > s->max ? v : s->max;
	s->lastv = v;
	if (s->seen)
		s->delta += increase(s->prev, v);
	s->prev = v;
	s->seen = 1;
}

static void
process(const struct options *o, struct state *st)
{
	struct iiot_rec *r = &st->rec;

	st->kept++;
	if (o->scope.e != NULL) {
		load_vars(&o->scope, r, st->vars);
		if (!iiot_expr_test(o->scope.e, st->vars)) {
			write_rec(o, st, r);
			return;
		}
	}
	convert(o, r);
	switch (o->reduce) {
	case R_DEADBAND:
	case R_DEDUPE:
		deadband(o, st, r);
		break;
	case R_EVERY:
		every(o, st, r);
		break;
	case R_RATE:
		rate(o, st, r);
		break;
	default:
		write_rec(o, st, r);
	}
}

/* Warn about a malformed line; with --strict, that ends the run. */
static void
bad_line(const struct options *o, struct state *st, const char *name,
    unsigned long lineno, int err)
{
	st->skipped++;
	st->failed = 1;
	if (o->strict) {
		iiot_warnx("%s%s%lu: %s", name ? name : "line ", name ? ":" :
		    "", lineno, iiot_strerror(err));
		st->done = 1;
		return;
	}
	iiot_warnx_limited(&st->rl, "%s%s%lu: %s", name ? name : "line ",
	    name ? ":" : "", lineno, iiot_strerror(err));
}

/* Filter one input; name is NULL for stdin. */
static void
filter_fd(const struct options *o, struct state *st, int fd,
    const char *name)
{
	struct iiot_lines *in = iiot_lines_new(fd);
	const char *line;
	size_t len;
	int rc;

	if (in == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate an input buffer");
	iiot_lines_set_flush(in, stdout);
	while (!st->done && !iiot_sig_term) {
		rc = iiot_lines_next(in, &line, &len);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			if (errno == IIOT_ETOOLONG) {
				bad_line(o, st, name, iiot_lines_lineno(in),
				    errno);
				continue;
			}
			iiot_warn("cannot read '%s'", name ? name : "stdin");
			st->failed = 1;
			break;
		}
		st->lines++;
		if (iiot_line_blank(line, len))
			continue;
		if (!may_hold(&o->lit_sensors, line, len) ||
		    !may_hold(&o->lit_sources, line, len))
			continue;
		if (iiot_rec_parse(&st->rec, line, len) < 0) {
			if (errno == ENOMEM)
				iiot_err(IIOT_EXIT_FAIL, "cannot parse");
			bad_line(o, st, name, iiot_lines_lineno(in), errno);
			continue;
		}
		if (selected(o, st))
			process(o, st);
	}
	iiot_lines_free(in);
}

static void
run(const struct options *o, struct state *st)
{
	const char *name;
	int i, fd;

	if (o->nfiles == 0) {
		filter_fd(o, st, STDIN_FILENO, NULL);
		return;
	}
	for (i = 0; i < o->nfiles && !st->done && !iiot_sig_term; i++) {
		name = o->files[i];
		if (strcmp(name, "-") == 0) {
			filter_fd(o, st, STDIN_FILENO, NULL);
			continue;
		}
		if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
			iiot_warn("cannot open '%s'", name);
			st->failed = 1;
			continue;
		}
		filter_fd(o, st, fd, name);
		close(fd);
	}
}

static void
state_init(const struct options *o, struct state *st)
{
	size_t i;

	if (iiot_rec_init(&st->rec) < 0 ||
	    (st->series = iiot_stab_new(sizeof(struct series))) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	for (i = 0; i < o->nwheres; i++)
		if (o->wheres[i].nvars > st->maxvars)
			st->maxvars = o->wheres[i].nvars;
	if (o->scope.nvars > st->maxvars)
		st->maxvars = o->scope.nvars;
	st->vars = iiot_xcalloc(st->maxvars + 1, sizeof(*st->vars));
	st->newest = INT64_MIN;
}

static void
release(struct options *o, struct state *st)
{
	struct series *s;
	size_t i, it = 0;

	while ((s = iiot_stab_next(st->series, &it, NULL, NULL)) != NULL)
		iiot_rec_release(&s->tmpl);
	iiot_stab_free(st->series);
	iiot_rec_release(&st->rec);
	free(st->vars);
	for (i = 0; i < o->nwheres; i++)
		free_where(&o->wheres[i]);
	if (o->scope.e != NULL)
		free_where(&o->scope);
	free(o->wheres);
	free(o->sensors.v);
	free(o->sources.v);
	free(o->tags.v);
	free(o->qualities.v);
	free(o->sets.v);
	free(o->fields.v);
}

/*
 * iiot-filter reads records from files or stdin, keeps those that match
 * every selection, converts them, reduces each series (deadband, dedupe,
 * aggregation buckets or rate) and writes them in the chosen format.
 */
int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct state st = { 0 };
	int status;

	iiot_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	check_args(&o);
	state_init(&o, &st);
	if (iiot_sig_install(0) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o.unbuffered);
	if (!o.count && iiot_fmt_header(stdout, o.format,
	    o.fields.n ? o.fields.v : NULL, o.fields.n) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot write to stdout");

	run(&o, &st);
	flush_buckets(&o, &st, INT64_MAX);
	if (o.count)
		printf("%llu\n", st.emitted);

	status = st.failed ? IIOT_EXIT_FAIL : IIOT_EXIT_OK;
	if (iiot_verbosity > 0)
		iiot_debug(1, "%llu lines read, %llu selected, %llu written, "
		    "%llu skipped", st.lines, st.kept, st.emitted, st.skipped);
	else if (st.skipped > 0 && iiot_verbosity == 0 && st.rl.count >
	    IIOT_RATELIMIT_BURST)
		iiot_warnx("%llu malformed lines skipped", st.skipped);
	release(&o, &st);
	if (iiot_out_close() < 0) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}
