/* SPDX-License-Identifier: MIT */
/* iiot-publish: publish records to an MQTT broker, storing them while it is away. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "iiot.h"
#include "iiot_mqtt.h"
#include "iiot_x.h"

#define SYNOPSIS \
"iiot-publish [-hqruVv] [-t topic] [-W wait] [--qos n] [--payload what]\n" \
"                    [--queue file] [--queue-max n] [--status-topic topic]\n" \
"                    [--client-id id] [--cafile file] [--cert file]\n" \
"                    [--key file] [--insecure] [--password-file file] url"

#define DEFAULT_TOPIC	"iiot/{source}/{sensor}"
#define DEFAULT_QMAX	1000000LL
#define WINDOW		1000	/* messages in flight at once */
#define WINDOW_QOS2	20	/* mosquitto's limit of incoming QoS 2 */
#define BATCH		4096	/* input lines per transaction */
#define MIDS		65536	/* MQTT message ids */

struct options {
	struct iiot_mqtt_url url;
	const char *topic;
	int payload_value;
	int retain, unbuffered;
	struct iiot_mqtt_opts mqtt;	/* qos, TLS, client id, password */
	const char *queue, *status_topic;
	long long queue_max;
	int64_t wait;			/* ms at end of input; -1: for ever */
};

struct state {
	struct iiot_mqtt *m;
	struct iiot_topic *tmpl;
	char *password;
	sqlite3 *db;
	sqlite3_stmt *ins, *del, *sel;
	struct iiot_lines *in;
	struct iiot_rec rec;
	struct iiot_buf topic, payload;
	int64_t *idof;			/* message id -> queue row */
	int64_t *acked;			/* rows to delete */
	size_t nacked;
	int64_t last_sent;		/* highest row handed to the broker */
	long long queued;		/* rows in the queue */
	size_t inflight;
	size_t window;			/* WINDOW, or WINDOW_QOS2 */
	int status_mid, in_status;
	int in_publish, early;		/* an ack inside iiot_mqtt_publish */
	unsigned long long nread, sent, skipped, dropped;
	int eof, failed, fatal;
	struct iiot_ratelimit rl;
	struct iiot_complain down;
	const struct options *o;
};

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Read records on stdin and publish each to an MQTT broker, at\n"
"mqtt://[user@]host[:port] or mqtts://...  Records wait in a queue (in\n"
"memory, or in --queue FILE to survive a restart) until the broker has\n"
"them, so a broker outage loses nothing.\n"
"\n"
"      --cafile FILE      CA certificates that sign the broker's (mqtts)\n"
"      --cert FILE        client certificate (mqtts)\n"
"      --client-id ID     MQTT client identifier (default: random)\n"
"  -h, --help             print this help and exit\n"
"      --insecure         do not check the broker's host name (mqtts)\n"
"      --key FILE         client private key (mqtts)\n"
"      --password-file F  broker password (else $IIOT_MQTT_PASSWORD)\n"
"      --payload WHAT     record (default, the JSON line) or value\n"
"  -q, --quiet            print fewer diagnostics\n"
"      --qos N            0, 1 (default) or 2\n"
"      --queue FILE       SQLite file that keeps unsent records\n"
"      --queue-max N      records the queue holds (default 1000000)\n"
"  -r, --retain           publish with the retain flag\n"
"      --status-topic T   retained online/offline status (last will)\n"
"  -t, --topic TEMPLATE   topic from record fields\n"
"                         (default " DEFAULT_TOPIC ")\n"
"  -u, --unbuffered       send every record at once (the default)\n"
"  -V, --version          print the version and exit\n"
"  -v, --verbose          more diagnostics (repeatable)\n"
"  -W, --wait DUR         at end of input, wait at most DUR for the\n"
"                         broker (default: until all is sent)\n",
	    stdout);
}

static void
version(void)
{
	const char *libs[3];
	char sq[64];

	snprintf(sq, sizeof(sq), "sqlite %s", sqlite3_libversion());
	libs[0] = iiot_mqtt_version();
	libs[1] = sq;
	libs[2] = NULL;
	iiot_version_print(stdout, libs);
}

enum {
	OPT_PAYLOAD = 256, OPT_QUEUE, OPT_QUEUE_MAX, OPT_STATUS_TOPIC,
};

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "payload",	   required_argument, NULL, OPT_PAYLOAD },
		{ "queue",	   required_argument, NULL, OPT_QUEUE },
		{ "queue-max",	   required_argument, NULL, OPT_QUEUE_MAX },
		{ "retain",	   no_argument,	      NULL, 'r' },
		{ "status-topic",  required_argument, NULL, OPT_STATUS_TOPIC },
		{ "topic",	   required_argument, NULL, 't' },
		{ "wait",	   required_argument, NULL, 'W' },
		IIOT_MQTT_LONGOPTS,
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL,		   0,		      NULL, 0 }
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered,
	};
	const char *why = NULL;
	int ch;

	o->mqtt = (struct iiot_mqtt_opts)IIOT_MQTT_OPTS_INIT;
	o->queue_max = DEFAULT_QMAX;
	o->wait = -1;
	while ((ch = getopt_long(argc, argv, "hqrt:uVvW:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r':
			o->retain = 1;
			break;
		case 't':
			o->topic = optarg;
			break;
		case 'W':
			o->wait = iiot_xduration("--wait", optarg);
			break;
		case OPT_PAYLOAD:
			if (strcmp(optarg, "value") == 0)
				o->payload_value = 1;
			else if (strcmp(optarg, "record") == 0)
				o->payload_value = 0;
			else
				iiot_usage_error(SYNOPSIS, "invalid --payload: "
				    "'%s': record or value", optarg);
			break;
		case OPT_QUEUE:
			o->queue = optarg;
			break;
		case OPT_QUEUE_MAX:
			o->queue_max = iiot_xint("--queue-max", optarg, 1,
			    LLONG_MAX);
			break;
		case OPT_STATUS_TOPIC:
			o->status_topic = optarg;
			break;
		default:
			if (!iiot_opt_common(ch, optarg, &common) &&
			    !iiot_opt_mqtt(ch, optarg, &o->mqtt))
				iiot_usage_error(SYNOPSIS, NULL);
		}
	}
	if (argc - optind != 1)
		iiot_usage_error(SYNOPSIS, argc == optind ?
		    "no broker URL" : "one broker URL only");
	if (iiot_mqtt_url_parse(argv[optind], &o->url, &why) < 0) {
		if (errno == ENOMEM)
			iiot_err(IIOT_EXIT_FAIL, "cannot parse URL");
		iiot_usage_error(SYNOPSIS, "invalid URL: '%s': %s",
		    argv[optind], why);
	}
}

static void
check_args(struct options *o)
{
	const char *why = NULL;

	if (o->topic != NULL && o->url.topic != NULL)
		iiot_usage_error(SYNOPSIS, "both --topic and a topic in the "
		    "URL");
	if (o->topic == NULL)
		o->topic = o->url.topic != NULL ? o->url.topic : DEFAULT_TOPIC;
	if (iiot_mqtt_opts_check(&o->mqtt, &o->url, &why) < 0)
		iiot_usage_error(SYNOPSIS, "%s", why);
}

/* ---- the queue ---- */

static void
db_fail(struct state *st, const char *what)
{
	iiot_errx(IIOT_EXIT_FAIL, "cannot %s queue '%s': %s", what,
	    st->o->queue ? st->o->queue : ":memory:", sqlite3_errmsg(st->db));
}

static void
db_exec(struct state *st, const char *sql)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		db_fail(st, "write");
}

static void
db_open(struct state *st)
{
	const char *path = st->o->queue ? st->o->queue : ":memory:";
	sqlite3_stmt *s;
	int fd;

	/* SQLite would create it 0644: the records are for us alone. */
	if (st->o->queue != NULL && (fd = open(path, O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	if (sqlite3_open(path, &st->db) != SQLITE_OK)
		db_fail(st, "open");
	sqlite3_busy_timeout(st->db, 1000);
	/* One publisher per queue: a second would send the rows twice. */
	if (st->o->queue != NULL) {
		db_exec(st, "PRAGMA locking_mode=EXCLUSIVE");
		db_exec(st, "PRAGMA journal_mode=WAL");
		db_exec(st, "PRAGMA synchronous=NORMAL");
	}
	db_exec(st, "CREATE TABLE IF NOT EXISTS queue ("
	    "id INTEGER PRIMARY KEY AUTOINCREMENT, "
	    "topic TEXT NOT NULL, payload BLOB NOT NULL)");
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM queue", -1, &s,
	    NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		db_fail(st, "read");
	st->queued = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(st->db, "INSERT INTO queue (topic, payload) "
	    "VALUES (?, ?)", -1, &st->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM queue WHERE id = ?", -1,
	    &st->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "SELECT id, topic, payload FROM queue "
	    "WHERE id > ? ORDER BY id LIMIT ?", -1, &st->sel, NULL) !=
	    SQLITE_OK)
		db_fail(st, "prepare");
	if (st->queued > 0)
		iiot_debug(1, "%lld records queued from a previous run",
		    st->queued);
}

static void
db_close(struct state *st)
{
	sqlite3_finalize(st->ins);
	sqlite3_finalize(st->del);
	sqlite3_finalize(st->sel);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		iiot_warnx("cannot close queue: %s", sqlite3_errmsg(st->db));
}

/* Delete the rows the broker has acknowledged. */
static void
forget_acked(struct state *st)
{
	size_t i;

	for (i = 0; i < st->nacked; i++) {
		sqlite3_bind_int64(st->del, 1, st->acked[i]);
		if (sqlite3_step(st->del) != SQLITE_DONE)
			db_fail(st, "delete from");
		sqlite3_reset(st->del);
		st->queued--;
	}
	st->nacked = 0;
}

/* ---- MQTT callbacks ---- */

static void
on_publish(void *arg, int mid)
{
	struct state *st = arg;
	int64_t id;

	if (st->in_status)
		return;
	if (mid == st->status_mid) {
		st->status_mid = -1;
		return;
	}
	/* QoS 0 can be done before iiot_mqtt_publish() even returns. */
	if (st->in_publish) {
		st->early = mid;
		return;
	}
	id = st->idof[mid & (MIDS - 1)];
	if (id > 0) {
		st->acked[st->nacked++] = id;
		st->idof[mid & (MIDS - 1)] = 0;
		if (st->inflight > 0)
			st->inflight--;
		st->sent++;
	}
}

static void
publish_status(struct state *st, const char *what)
{
	const char *t = st->o->status_topic;

	if (t == NULL)
		return;
	st->in_status = 1;
	if (iiot_mqtt_publish(st->m, t, what, strlen(what), 1, 1,
	    &st->status_mid) < 0)
		iiot_warn("cannot publish status to '%s'", t);
	st->in_status = 0;
}

static void
on_connect(void *arg, int session_present)
{
	struct state *st = arg;

	(void)session_present;
	if (!iiot_complain_clear(&st->down, "connected to '%s:%d' again",
	    st->o->url.host, st->o->url.port))
		iiot_debug(1, "connected to '%s:%d'", st->o->url.host,
		    st->o->url.port);
	publish_status(st, "online");
}

/*
 * The connection is gone, and the client with it: what was in flight
 * is sent again, from the queue, on the next connection.
 */
static void
on_disconnect(void *arg)
{
	struct state *st = arg;

	memset(st->idof, 0, MIDS * sizeof(*st->idof));
	st->inflight = 0;
	st->last_sent = 0;
}

/* ---- the work ---- */

/* Turn one input line into a queued message. */
static void
ingest_line(struct state *st, const char *line, size_t len)
{
	const char *missing = NULL, *p;
	size_t plen;

	st->nread++;
	if (iiot_rec_parse(&st->rec, line, len) < 0) {
		st->skipped++;
		iiot_warnx_limited(&st->rl, "line %lu: %s",
		    iiot_lines_lineno(st->in), iiot_strerror(errno));
		return;
	}
	iiot_buf_reset(&st->topic);
	if (iiot_topic_build(st->tmpl, &st->rec, &st->topic, &missing) < 0) {
		if (errno == ENOMEM)
			iiot_err(IIOT_EXIT_FAIL, "cannot build topic");
		st->skipped++;
		iiot_warnx_limited(&st->rl, "line %lu: no field '%s' for the "
		    "topic", iiot_lines_lineno(st->in), missing);
		return;
	}
	if (st->o->payload_value) {
		iiot_buf_reset(&st->payload);
		if (iiot_buf_add_json_num(&st->payload, st->rec.value) < 0)
			iiot_err(IIOT_EXIT_FAIL, "cannot format value");
		p = st->payload.data;
		plen = st->payload.len;
	} else {
		p = line;
		plen = len;
	}
	if (st->queued >= st->o->queue_max) {
		if (st->dropped++ == 0)
			iiot_warnx("queue full (%lld records): dropping new "
			    "records until the broker takes some",
			    st->o->queue_max);
		return;
	}
	sqlite3_bind_text(st->ins, 1, st->topic.data, (int)st->topic.len,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st->ins, 2, p, (int)plen, SQLITE_STATIC);
	if (sqlite3_step(st->ins) != SQLITE_DONE)
		db_fail(st, "write to");
	sqlite3_reset(st->ins);
	st->queued++;
}

/* Read what input is waiting, up to a batch, without blocking. */
static void
ingest(struct state *st)
{
	const char *line;
	size_t len;
	int i, r;

	for (i = 0; i < BATCH && !iiot_sig_term; i++) {
		r = iiot_lines_next(st->in, &line, &len);
		if (r == 0) {
			st->eof = 1;
			return;
		}
		if (r < 0) {
			if (errno == ETIMEDOUT || errno == EINTR)
				return;
			if (errno == IIOT_ETOOLONG) {
				st->skipped++;
				iiot_warnx_limited(&st->rl, "line %lu: %s",
				    iiot_lines_lineno(st->in),
				    iiot_strerror(errno));
				continue;
			}
			iiot_warn("cannot read stdin");
			st->failed = 1;
			st->eof = 1;
			return;
		}
		ingest_line(st, line, len);
	}
}

/* Hand queued rows to the broker, oldest first, up to the window. */
static void
send_queued(struct state *st)
{
	const void *payload;
	const char *topic;
	int64_t id;
	int mid, n, rc, step;

	while (st->inflight < st->window &&
	    iiot_mqtt_state(st->m) == IIOT_MQTT_UP) {
		sqlite3_bind_int64(st->sel, 1, st->last_sent);
		sqlite3_bind_int(st->sel, 2, (int)(st->window - st->inflight));
		n = 0;
		while ((step = sqlite3_step(st->sel)) == SQLITE_ROW) {
			id = sqlite3_column_int64(st->sel, 0);
			topic = (const char *)sqlite3_column_text(st->sel, 1);
			payload = sqlite3_column_blob(st->sel, 2);
			st->in_publish = 1;
			st->early = -1;
			rc = iiot_mqtt_publish(st->m, topic, payload,
			    (size_t)sqlite3_column_bytes(st->sel, 2),
			    st->o->mqtt.qos, st->o->retain, &mid);
			st->in_publish = 0;
			if (rc < 0) {
				if (errno == ENOTCONN)
					break;
				/* This one can never go: say so, drop it. */
				iiot_warn("cannot publish to '%s'", topic);
				st->acked[st->nacked++] = id;
				st->last_sent = id;
				st->failed = 1;
				continue;
			}
			st->last_sent = id;
			st->inflight++;
			n++;
			if (st->early == mid) {
				st->acked[st->nacked++] = id;
				st->inflight--;
				st->sent++;
			} else
				st->idof[mid] = id;
		}
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			db_fail(st, "read");
		sqlite3_reset(st->sel);
		if (n == 0)
			break;
		/* Acknowledged rows are deleted in the next transaction. */
		if (st->nacked > 0)
			break;
	}
}

static void
run(struct state *st)
{
	const struct options *o = st->o;
	int64_t deadline = -1, now;
	int want_in, r, timeout, busy;

	while (!iiot_sig_term && !st->fatal) {
		if (st->eof) {
			if (st->queued - (long long)st->nacked <= 0)
				break;
			now = iiot_mono_ms();
			if (deadline < 0 && o->wait >= 0)
				deadline = now + o->wait;
			if (deadline >= 0 && now >= deadline)
				break;
		}
		/* While the broker takes them, the input waits for it. */
		want_in = !st->eof && (iiot_mqtt_state(st->m) != IIOT_MQTT_UP ||
		    st->queued < 4 * WINDOW);
		/* Do not wait while there is work: acks to forget, rows to send. */
		busy = st->nacked > 0 || (want_in &&
		    iiot_lines_pending(st->in) > 0) ||
		    (iiot_mqtt_state(st->m) == IIOT_MQTT_UP &&
		    st->inflight < st->window && st->queued -
		    (long long)(st->inflight + st->nacked) > 0);
		timeout = busy ? 0 : 1000;
		if (st->eof && deadline >= 0 && deadline - iiot_mono_ms() <
		    timeout)
			timeout = (int)(deadline - iiot_mono_ms());
		if (timeout < 0)
			timeout = 0;
		r = iiot_mqtt_poll(st->m, want_in ? iiot_lines_fd(st->in) :
		    -1, timeout);
		if (r < 0 && errno == IIOT_EMQTT) {
			iiot_warnx("cannot connect to '%s:%d': %s",
			    o->url.host, o->url.port,
			    iiot_mqtt_error(st->m));
			st->fatal = 1;
		} else if (r < 0 && errno != EINTR) {
			iiot_warn("cannot wait for input");
			st->fatal = 1;
		}
		if (!st->fatal && iiot_mqtt_state(st->m) == IIOT_MQTT_DOWN &&
		    iiot_mqtt_error(st->m)[0] != '\0')
			iiot_complain(&st->down, iiot_mono_ms(),
			    "cannot reach broker '%s:%d': %s (records are "
			    "queued)", o->url.host, o->url.port,
			    iiot_mqtt_error(st->m));
		db_exec(st, "BEGIN");
		if (want_in && (r == 1 || iiot_lines_pending(st->in) > 0)) {
			ingest(st);
			iiot_debug(2, "%lld records queued", st->queued);
		}
		forget_acked(st);
		db_exec(st, "COMMIT");
		send_queued(st);
	}
}

static void
state_init(const struct options *o, struct state *st)
{
	struct iiot_mqtt_conf c;
	char why[512];

	st->o = o;
	if ((st->tmpl = iiot_topic_new(o->topic)) == NULL)
		iiot_usage_error(SYNOPSIS, "invalid topic template: '%s'",
		    o->topic);
	if (iiot_mqtt_opts_password(&o->mqtt, &st->password, why,
	    sizeof(why)) < 0)
		iiot_errx(IIOT_EXIT_USAGE, "%s", why);
	iiot_mqtt_conf_init(&c, &o->mqtt, &o->url, st->password);
	/*
	 * A broker takes only so many QoS 2 messages awaiting release
	 * (mosquitto: 20, else it drops the connection).
	 */
	st->window = o->mqtt.qos == 2 ? WINDOW_QOS2 : WINDOW;
	c.max_inflight = (int)st->window;
	if (o->status_topic != NULL) {
		c.will_topic = o->status_topic;
		c.will_payload = "offline";
		c.will_qos = 1;
		c.will_retain = 1;
	}
	c.on_connect = on_connect;
	c.on_disconnect = on_disconnect;
	c.on_publish = on_publish;
	c.arg = st;
	if ((st->m = iiot_mqtt_new(&c)) == NULL) {
		if (errno == ENOENT || errno == EACCES)
			iiot_err(IIOT_EXIT_USAGE, "cannot read TLS file '%s'",
			    iiot_mqtt_opts_tls_file(&o->mqtt));
		iiot_err(IIOT_EXIT_FAIL, "cannot make MQTT client");
	}
	st->status_mid = -1;
	st->idof = iiot_xcalloc(MIDS, sizeof(*st->idof));
	st->acked = iiot_xcalloc(2 * WINDOW + 16, sizeof(*st->acked));
	if (iiot_rec_init(&st->rec) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate record");
	if ((st->in = iiot_lines_new(STDIN_FILENO)) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate input buffer");
	iiot_lines_set_timeout(st->in, 0);
	db_open(st);
}

/* Say goodbye on the status topic and wait briefly for it to leave. */
static void
say_offline(struct state *st)
{
	int i;

	if (st->o->status_topic == NULL ||
	    iiot_mqtt_state(st->m) != IIOT_MQTT_UP)
		return;
	publish_status(st, "offline");
	for (i = 0; i < 10 && iiot_mqtt_pending(st->m) > 0 &&
	    iiot_mqtt_state(st->m) == IIOT_MQTT_UP; i++)
		iiot_mqtt_poll(st->m, -1, 100);
}

static void
state_release(struct state *st)
{
	iiot_mqtt_disconnect(st->m, 1000);
	iiot_mqtt_free(st->m);
	db_close(st);
	iiot_lines_free(st->in);
	iiot_rec_release(&st->rec);
	iiot_buf_release(&st->topic);
	iiot_buf_release(&st->payload);
	iiot_topic_free(st->tmpl);
	free(st->idof);
	free(st->acked);
	if (st->password != NULL) {
		explicit_bzero(st->password, strlen(st->password));
		free(st->password);
	}
}

/*
 * iiot-publish reads records and publishes each to an MQTT broker, on a
 * topic built from its fields.  Every record goes through a queue (an
 * SQLite file with --queue) and leaves it only when the broker has
 * acknowledged it, so records survive a broker outage and, with a
 * queue file, a restart.
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
	if (iiot_sig_install(IIOT_SIG_NOPIPE) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");

	run(&st);
	say_offline(&st);
	db_exec(&st, "BEGIN");
	forget_acked(&st);
	db_exec(&st, "COMMIT");

	status = st.failed || st.fatal || st.skipped ? IIOT_EXIT_FAIL :
	    IIOT_EXIT_OK;
	if (st.dropped > 0) {
		iiot_warnx("%llu records dropped: the queue was full",
		    st.dropped);
		status = IIOT_EXIT_FAIL;
	}
	if (st.queued > 0) {
		if (o.queue != NULL)
			iiot_warnx("%lld records left in queue '%s', sent on "
			    "the next run", st.queued, o.queue);
		else
			iiot_warnx("%lld records not sent", st.queued);
		status = IIOT_EXIT_FAIL;
	}
	if (st.skipped > IIOT_RATELIMIT_BURST)
		iiot_warnx("%llu malformed lines skipped", st.skipped);
	iiot_debug(1, "%llu lines read, %llu published, %llu skipped",
	    st.nread, st.sent, st.skipped);
	state_release(&st);
	iiot_mqtt_url_release(&o.url);
	iiot_sig_reraise();
	return status;
}
