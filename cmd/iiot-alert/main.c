/* SPDX-License-Identifier: MIT */
/* iiot-alert: fire alarms when sensor records cross the limits of rules. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <mosquitto.h>

#include "iiot.h"
#include "iiot_mb.h"
#include "iiot_thresh.h"
#include "iiot_x.h"
#include "alert.h"

#define SYNOPSIS \
"iiot-alert [-cnpquVv] [-f rules] [-r rule] [-s state] [--silence spec]\n" \
"                  [--queue n] [file]\n" \
"       iiot-alert ack pattern ... -s state"

/* The state file is saved at most this often while records flow (ms). */
#define SAVE_EVERY	100

/* Before the first record, how long the clock waits for it (ms). */
#define START_GRACE	2000

/* Nagios plugin statuses, for --check. */
#define NAGIOS_OK	0
#define NAGIOS_WARNING	1
#define NAGIOS_CRITICAL	2
#define NAGIOS_UNKNOWN	3

struct list {
	const char **v;
	size_t n;
};

struct options {
	struct list files, rules, silences;
	const char *state, *input;
	size_t queue;
	int check, dry, pass, unbuffered;
};

struct run {
	const struct options *o;
	struct iiot_thresh *t;
	struct actions *act;
	struct iiot_rec rec, ev;
	struct iiot_buf buf;
	struct iiot_ratelimit rl;
	int64_t last_ts, last_mono;	/* data time and when it came */
	int64_t start_mono, last_merge, last_save;
	int dirty, failed;
	unsigned long events;
};

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Read sensor records (JSON Lines) from a file or stdin, evaluate alarm\n"
"rules (see iiot-rules(5)) on them, write one record per alarm event to\n"
"stdout and run the rules' actions: programs, e-mail, webhooks, Modbus\n"
"coils, MQTT messages, syslog, the terminal bell.\n\n"
"  -f, --rules FILE       read rules from FILE (repeatable)\n"
"  -r, --rule RULE        add a rule, same syntax (repeatable)\n"
"  -s, --state FILE       keep the alarms' state in FILE across restarts\n"
"      --silence SPEC     silence RULE[@SOURCE]:DUR or RULE[@SOURCE]:\n"
"                         FROM..TO (globs; repeatable)\n"
"  -p, --pass             pass the input through instead of events\n"
"  -n, --dry-run          write events but run no action\n"
"      --queue N          at most N actions waiting (default 1024)\n"
"  -c, --check            evaluate once and exit like a Nagios plugin\n"
"  -u, --unbuffered       flush after every record\n"
"  -q, --quiet            no warnings\n"
"  -v, --verbose          report actions as they run (repeatable)\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n\n"
"  iiot-alert ack PATTERN... -s FILE\n"
"                         acknowledge firing alarms (RULE or\n"
"                         RULE@SOURCE/SENSOR globs): no more reminders\n\n"
"Exit status: 0 success, 1 a run-time error (malformed records, failed\n"
"actions), 2 usage or rules error.  With --check: 0 OK, 1 WARNING,\n"
"2 CRITICAL, 3 UNKNOWN (including usage errors).\n", stdout);
}

static void
version(void)
{
	char cjson[32], curl[64], mosq[32];
	const char *libs[] = { cjson, curl, mosq, iiot_mb_version(), NULL };
	int ma, mi, re;

	snprintf(cjson, sizeof(cjson), "cJSON %s", cJSON_Version());
	snprintf(curl, sizeof(curl), "libcurl %s",
	    curl_version_info(CURLVERSION_NOW)->version);
	mosquitto_lib_version(&ma, &mi, &re);
	snprintf(mosq, sizeof(mosq), "libmosquitto %d.%d.%d", ma, mi, re);
	iiot_version_print(stdout, libs);
}

/* A usage error: exit 2, or UNKNOWN in check mode. */
static int check_mode;

static void
bad_usage(const char *fmt, const char *arg)
{
	if (check_mode) {
		printf("IIOT-ALERT UNKNOWN - ");
		printf(fmt, arg);
		printf("\n");
		exit(NAGIOS_UNKNOWN);
	}
	iiot_usage_error(SYNOPSIS, fmt, arg);
}

static void
list_add(struct list *l, const char *s)
{
	l->v = iiot_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = s;
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "pass", no_argument, NULL, 'p' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "rule", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "silence", required_argument, NULL, 'S' },
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered,
	};
	long long n;
	int c, i;

	/* Check mode changes how usage errors end: look for it first. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--check") == 0 ||
		    strcmp(argv[i], "-c") == 0)
			check_mode = 1;
	o->queue = 1024;
	while ((c = getopt_long(argc, argv, "cf:hnpqr:s:uVv", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			o->check = 1;
			break;
		case 'f':
			list_add(&o->files, optarg);
			break;
		case 'n':
			o->dry = 1;
			break;
		case 'p':
			o->pass = 1;
			break;
		case 'Q':
			if (iiot_int_parse(optarg, 1, 1000000, &n) == -1)
				bad_usage("bad --queue '%s': want 1 to "
				    "1000000", optarg);
			o->queue = (size_t)n;
			break;
		case 'r':
			list_add(&o->rules, optarg);
			break;
		case 's':
			o->state = optarg;
			break;
		case 'S':
			list_add(&o->silences, optarg);
			break;
		default:
			if (iiot_opt_common(c, optarg, &common))
				break;
			if (check_mode) {
				printf("IIOT-ALERT UNKNOWN - bad option\n");
				exit(NAGIOS_UNKNOWN);
			}
			iiot_usage_error(SYNOPSIS, "bad option");
		}
	}
	if (argc - optind > 1)
		bad_usage("too many operands: '%s'", argv[optind + 1]);
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		o->input = argv[optind];
	if (o->files.n == 0 && o->rules.n == 0)
		bad_usage("no rules: give -f FILE or -r RULE%s", "");
	if (o->check && (o->pass || o->state))
		bad_usage("--check goes without --pass and --state%s", "");
}

/* Build the rule set of the options; NULL with err filled in. */
static struct iiot_thresh *
load_rules(const struct options *o, char *err, size_t errsz)
{
	struct iiot_thresh *t;
	int64_t now = iiot_now_ms();
	char where[32];
	size_t i;

	if ((t = iiot_thresh_new(o->check ? IIOT_THRESH_INSTANT : 0)) == NULL) {
		snprintf(err, errsz, "%s", strerror(errno));
		return NULL;
	}
	for (i = 0; i < o->files.n; i++)
		if (iiot_thresh_load(t, o->files.v[i], now, err, errsz) == -1)
			goto fail;
	for (i = 0; i < o->rules.n; i++) {
		snprintf(where, sizeof(where), "-r #%zu", i + 1);
		if (iiot_thresh_parse(t, o->rules.v[i], where, 0, now, err,
		    errsz) == -1)
			goto fail;
	}
	for (i = 0; i < o->silences.n; i++)
		if (iiot_thresh_add_silence(t, o->silences.v[i], now) == -1) {
			snprintf(err, errsz, "bad --silence '%s': want "
			    "RULE[@SOURCE]:DUR or RULE[@SOURCE]:FROM..TO",
			    o->silences.v[i]);
			goto fail;
		}
	if (iiot_thresh_finish(t, err, errsz) == -1)
		goto fail;
	return t;
fail:
	iiot_thresh_free(t);
	return NULL;
}

/* Write an event as a record; run its actions unless silenced. */
static void
on_event(void *arg, const struct iiot_thresh_event *e)
{
	struct run *r = arg;
	char since[IIOT_TIME_BUFSZ];
	int rc = 0;

	if (e->rec != NULL) {
		rc |= iiot_rec_copy(&r->ev, e->rec);
	} else {
		rc |= iiot_rec_clear(&r->ev);
		rc |= iiot_rec_set_ts(&r->ev, e->ts);
		rc |= iiot_rec_set_str(&r->ev, "source", e->source);
		rc |= iiot_rec_set_str(&r->ev, "sensor", e->sensor);
		if (e->has_value)
			rc |= iiot_rec_set_value(&r->ev, e->value);
		if (e->unit != NULL)
			rc |= iiot_rec_set_str(&r->ev, "unit", e->unit);
	}
	iiot_time_format(e->since, since);
	rc |= iiot_rec_set_str(&r->ev, "alert", e->alert);
	rc |= iiot_rec_set_str(&r->ev, "severity", e->severity);
	rc |= iiot_rec_set_str(&r->ev, "state", e->state);
	if (e->has_threshold)
		rc |= iiot_rec_set_num(&r->ev, "threshold", e->threshold);
	rc |= iiot_rec_set_str(&r->ev, "since", since);
	if (e->silenced)
		rc |= iiot_rec_set_num(&r->ev, "silenced", 1);
	iiot_buf_reset(&r->buf);
	rc |= iiot_rec_format(&r->ev, &r->buf);
	if (rc)
		iiot_err(IIOT_EXIT_FAIL, "cannot build event");
	r->events++;
	r->dirty = 1;
	iiot_debug(1, "%s %s %s/%s", e->alert, e->state, e->source,
	    e->sensor);
	if (!r->o->pass && !r->o->check) {
		fwrite(r->buf.data, 1, r->buf.len, stdout);
		putchar('\n');
		iiot_out_record();
	}
	if (!e->silenced && r->act != NULL)
		actions_run(r->act, e, r->buf.data);
}

/*
 * Save the state if it changed: at once when force is set (idle input,
 * exit), else at most every SAVE_EVERY ms, so that a flood of events
 * costs a few fsyncs a second, not one per record.
 */
static void
save_state(struct run *r, int force)
{
	int64_t now;

	if (r->o->state == NULL || !r->dirty)
		return;
	now = iiot_mono_ms();
	if (!force && now - r->last_save < SAVE_EVERY)
		return;
	r->last_save = now;
	r->dirty = 0;
	if (state_save(r->o->state, r->t) == -1) {
		iiot_warn("cannot write state file '%s'", r->o->state);
		r->failed = 1;
	}
}

/*
 * With no input, time goes on: the data clock advances with the wall
 * clock from the time of the last record (or is the wall clock before
 * any), so stale series and "for" delays are caught on time.
 */
static void
idle_tick(struct run *r)
{
	int64_t now;

	if (r->last_ts == IIOT_TS_NONE) {
		/* Give the first record time to come before the clock. */
		if (iiot_mono_ms() - r->start_mono < START_GRACE)
			return;
		now = iiot_now_ms();
	} else {
		now = r->last_ts + (iiot_mono_ms() - r->last_mono);
	}
	if (r->o->state != NULL)
		state_merge_acks(r->o->state, r->t);
	iiot_thresh_tick(r->t, now, on_event, r);
	save_state(r, 1);
	fflush(stdout);
}

/* How long to wait for input before the next tick. */
static int
idle_timeout(const struct run *r)
{
	int64_t d = iiot_thresh_deadline(r->t), clock, left, wait;

	wait = START_GRACE - (iiot_mono_ms() - r->start_mono);
	if (r->last_ts == IIOT_TS_NONE && wait > 0)
		return wait > 1000 ? 1000 : (int)wait;
	if (r->last_ts == IIOT_TS_NONE)
		clock = iiot_now_ms();
	else
		clock = r->last_ts + (iiot_mono_ms() - r->last_mono);
	left = d == INT64_MAX ? 1000 : d - clock;
	/* A state not saved yet is saved as soon as the input pauses. */
	if (r->dirty && r->o->state != NULL && left > 0)
		left = 0;
	if (left < 5)
		left = 5;
	return left > 1000 ? 1000 : (int)left;
}

/* SIGHUP: read the rules again, keep the alarms' state. */
static void
reload(struct run *r)
{
	struct iiot_thresh *t;
	struct actions *act;
	struct iiot_buf b = IIOT_BUF_INIT;
	char err[512];

	if ((t = load_rules(r->o, err, sizeof(err))) == NULL) {
		iiot_warnx("%s: keeping the old rules", err);
		return;
	}
	if ((act = actions_new(t, r->o->queue, r->o->dry, err,
	    sizeof(err))) == NULL) {
		iiot_warnx("%s: keeping the old rules", err);
		iiot_thresh_free(t);
		return;
	}
	if (iiot_buf_adds(&b, "") == 0 &&
	    iiot_thresh_state_write(r->t, &b) == 0)
		iiot_thresh_state_read(t, b.data, 0);
	iiot_buf_release(&b);
	if (actions_free(r->act, 0) > 0)
		r->failed = 1;
	iiot_thresh_free(r->t);
	r->t = t;
	r->act = act;
	iiot_debug(1, "rules reloaded: %zu rules", iiot_thresh_nrules(t));
}

static void
bad_line(struct run *r, unsigned long lineno, int err)
{
	r->failed = 1;
	iiot_warnx_limited(&r->rl, "line %lu: %s", lineno,
	    iiot_strerror(err));
}

/* The main loop: read, evaluate, write, until end of input or signal. */
static void
run(struct run *r, int fd)
{
	struct iiot_lines *in;
	const char *line;
	size_t len;
	int rc;

	if ((in = iiot_lines_new(fd)) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot read input");
	iiot_lines_set_flush(in, stdout);
	while (!iiot_sig_term && !ferror(stdout)) {
		if (iiot_sig_hup) {
			iiot_sig_hup = 0;
			reload(r);
		}
		iiot_lines_set_timeout(in, idle_timeout(r));
		rc = iiot_lines_next(in, &line, &len);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (errno == ETIMEDOUT) {
				idle_tick(r);
			} else if (errno == IIOT_ETOOLONG) {
				bad_line(r, iiot_lines_lineno(in), errno);
			} else if (errno != EINTR) {
				iiot_warn("cannot read input");
				r->failed = 1;
				break;
			}
			continue;
		}
		if (iiot_sig_hup) {
			iiot_sig_hup = 0;
			reload(r);
		}
		if (iiot_rec_parse(&r->rec, line, len) == -1) {
			bad_line(r, iiot_lines_lineno(in), errno);
			continue;
		}
		if (r->o->pass && iiot_rec_write(&r->rec, stdout) == 0)
			iiot_out_record();
		r->last_ts = iiot_thresh_clock(r->t) > r->rec.ts ?
		    iiot_thresh_clock(r->t) : r->rec.ts;
		r->last_mono = iiot_mono_ms();
		if (iiot_thresh_feed(r->t, &r->rec, on_event, r) == -1)
			iiot_err(IIOT_EXIT_FAIL, "cannot evaluate rules");
		/* Input that never pauses still takes acknowledgements. */
		if (r->o->state != NULL &&
		    r->last_mono - r->last_merge >= 1000) {
			r->last_merge = r->last_mono;
			state_merge_acks(r->o->state, r->t);
		}
		save_state(r, 0);
	}
	iiot_lines_free(in);
}

/*
 * Nagios performance data thresholds: ";WARN;CRIT", the first firing
 * limits of warning and critical rules on the series.
 */
static void
perf_limits(const struct iiot_thresh *t, const char *source,
    const char *sensor, struct iiot_buf *perf)
{
	struct iiot_thresh_limit l[32];
	size_t i, n;
	int has_w = 0, has_c = 0;
	double w = 0, c = 0;

	n = iiot_thresh_limits(t, source, sensor, l, 32);
	for (i = 0; i < n && i < 32; i++) {
		if (l[i].clear)
			continue;
		if (l[i].sev == IIOT_SEV_WARNING && !has_w) {
			w = l[i].value;
			has_w = 1;
		} else if (l[i].sev == IIOT_SEV_CRITICAL && !has_c) {
			c = l[i].value;
			has_c = 1;
		}
	}
	if (!has_w && !has_c)
		return;
	iiot_buf_addc(perf, ';');
	if (has_w)
		iiot_buf_addf(perf, "%.10g", w);
	iiot_buf_addc(perf, ';');
	if (has_c)
		iiot_buf_addf(perf, "%.10g", c);
}

/* --check: evaluate the latest records once; print one status line. */
static int
check(struct run *r, int fd)
{
	static const char *const names[] = { "OK", "WARNING", "CRITICAL",
	    "UNKNOWN" };
	struct iiot_lines *in;
	struct iiot_buf all = IIOT_BUF_INIT, msg = IIOT_BUF_INIT,
	    perf = IIOT_BUF_INIT;
	struct iiot_thresh_alarm a;
	const char *line, *prev_src = NULL, *prev_sen = NULL;
	size_t len, it = 0, nrec = 0, nalarm = 0, off;
	int rc, pass, status = NAGIOS_OK;

	if ((in = iiot_lines_new(fd)) == NULL)
		iiot_err(NAGIOS_UNKNOWN, "cannot read input");
	while ((rc = iiot_lines_next(in, &line, &len)) != 0) {
		if (rc < 0 && errno == EINTR && !iiot_sig_term)
			continue;
		if (rc < 0 && errno != IIOT_ETOOLONG)
			break;
		if (rc > 0)
			iiot_buf_add(&all, line, len + 1);
	}
	iiot_lines_free(in);
	/* Twice, so that "while" sees every series whatever the order. */
	for (pass = 0; pass < 2; pass++)
		for (off = 0; off < all.len; off += strlen(all.data + off) + 1) {
			if (iiot_rec_parse(&r->rec, all.data + off,
			    strlen(all.data + off)) == -1) {
				if (pass == 0)
					r->failed = 1;
				continue;
			}
			nrec += pass == 0;
			iiot_thresh_feed(r->t, &r->rec, NULL, NULL);
		}
	iiot_thresh_tick(r->t, iiot_now_ms(), NULL, NULL);
	while (iiot_thresh_alarm_next(r->t, &it, &a)) {
		/* Performance data: each series once. */
		if (a.has_value && (prev_src == NULL ||
		    strcmp(prev_src, a.source) != 0 ||
		    strcmp(prev_sen, a.sensor) != 0)) {
			prev_src = a.source;
			prev_sen = a.sensor;
			iiot_buf_addf(&perf, "%s'%s/%s'=", perf.len ? " " : "",
			    a.source, a.sensor);
			iiot_buf_addf(&perf, "%.10g", a.value);
			perf_limits(r->t, a.source, a.sensor, &perf);
		}
		if (!a.active)
			continue;
		nalarm++;
		if (a.sev == IIOT_SEV_CRITICAL)
			status = NAGIOS_CRITICAL;
		else if (a.sev == IIOT_SEV_WARNING && status == NAGIOS_OK)
			status = NAGIOS_WARNING;
		iiot_buf_addf(&msg, "%s%s %s %s/%s", nalarm > 1 ? ", " : "",
		    iiot_thresh_sev_name(a.sev), a.alert, a.source, a.sensor);
		if (a.has_value)
			iiot_buf_addf(&msg, "=%.10g", a.value);
		if (a.has_threshold)
			iiot_buf_addf(&msg, " (limit %.10g)", a.threshold);
	}
	if (nrec == 0) {
		status = NAGIOS_UNKNOWN;
		iiot_buf_adds(&msg, "no records on input");
	} else if (nalarm == 0) {
		iiot_buf_addf(&msg, "%zu records, %zu rules, no alarm", nrec,
		    iiot_thresh_nrules(r->t));
	}
	printf("IIOT-ALERT %s - %s", names[status], msg.data ? msg.data : "");
	if (perf.len > 0)
		printf("|%s", perf.data);
	putchar('\n');
	iiot_buf_release(&all);
	iiot_buf_release(&msg);
	iiot_buf_release(&perf);
	return status;
}

/* "iiot-alert ack PATTERN... -s FILE". */
static int
ack_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *state = getenv("IIOT_ALERT_STATE");
	int c;

	while ((c = getopt_long(argc, argv, "hqs:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: iiot-alert ack pattern ... -s state\n");
			return IIOT_EXIT_OK;
		case 'q':
			iiot_verbosity = -1;
			break;
		case 's':
			state = optarg;
			break;
		default:
			iiot_usage_error(SYNOPSIS, "bad option");
		}
	}
	if (state == NULL)
		iiot_usage_error(SYNOPSIS, "ack needs --state FILE");
	if (optind >= argc)
		iiot_usage_error(SYNOPSIS, "ack needs a pattern");
	return state_ack(state, argv + optind, argc - optind);
}

/*
 * Read records, keep a state machine per rule and series, and on every
 * change of an alarm's state write an event record and run the rule's
 * actions; or, with --check, evaluate once and answer like a Nagios
 * plugin.
 */
int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct run r = { 0 };
	char err[512];
	int fd = STDIN_FILENO, status;

	iiot_setprogname(argv[0]);
	if (argc > 1 && strcmp(argv[1], "ack") == 0)
		return ack_main(argc - 1, argv + 1);
	parse_args(argc, argv, &o);
	r.o = &o;
	r.last_ts = IIOT_TS_NONE;
	r.start_mono = iiot_mono_ms();
	if ((r.t = load_rules(&o, err, sizeof(err))) == NULL) {
		if (o.check) {
			printf("IIOT-ALERT UNKNOWN - %s\n", err);
			status = NAGIOS_UNKNOWN;
			goto out;
		}
		iiot_errx(IIOT_EXIT_USAGE, "%s", err);
	}
	if (o.input && (fd = open(o.input, O_RDONLY | O_CLOEXEC)) == -1) {
		if (o.check) {
			printf("IIOT-ALERT UNKNOWN - cannot open '%s': %s\n",
			    o.input, strerror(errno));
			fd = STDIN_FILENO;
			status = NAGIOS_UNKNOWN;
			goto out;
		}
		iiot_err(IIOT_EXIT_FAIL, "cannot open '%s'", o.input);
	}
	if (iiot_rec_init(&r.rec) == -1 || iiot_rec_init(&r.ev) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate records");
	if (o.check) {
		status = check(&r, fd);
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mosquitto_lib_init();
	if ((r.act = actions_new(r.t, o.queue, o.dry, err,
	    sizeof(err))) == NULL)
		iiot_errx(IIOT_EXIT_USAGE, "%s", err);
	if (o.state != NULL && state_load(o.state, r.t) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot read state file '%s'",
		    o.state);
	if (iiot_sig_install(IIOT_SIG_HUP | IIOT_SIG_NOPIPE) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o.unbuffered);

	run(&r, fd);
	r.dirty = 1;
	save_state(&r, 1);
	if (actions_free(r.act, iiot_sig_term != 0) > 0)
		r.failed = 1;
	mosquitto_lib_cleanup();
	curl_global_cleanup();
	status = r.failed ? IIOT_EXIT_FAIL : IIOT_EXIT_OK;
out:
	iiot_rec_release(&r.rec);
	iiot_rec_release(&r.ev);
	iiot_buf_release(&r.buf);
	iiot_thresh_free(r.t);
	free(o.files.v);
	free(o.rules.v);
	free(o.silences.v);
	if (fd != STDIN_FILENO)
		close(fd);
	if (iiot_out_close() == -1) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		iiot_warn("cannot write to stdout");
		status = o.check ? NAGIOS_UNKNOWN : IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}
