/* SPDX-License-Identifier: MIT */
/* mqtt.c: the MQTT source of iiot-read: subscribe and turn messages into records. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "iiot.h"
#include "iiot_mqtt.h"
#include "read.h"

#define MAXFIELDS	16
#define FIELDSZ		256

/* Fields taken from a topic's levels. */
struct tfields {
	size_t n;
	int bad;		/* a level too long or not UTF-8 */
	char name[MAXFIELDS][64];
	char value[MAXFIELDS][FIELDSZ];
};

struct mq {
	const struct read_opts *o;
	struct iiot_mqtt *m;
	struct iiot_topic *tmpl;
	struct iiot_rec rec;
	struct tfields tf;
	unsigned long long nrec, bad;
	int64_t last;			/* mono ms of the last message */
	int done, wfail;
	int watch;			/* stdout when a pipe, else -1 */
	struct iiot_ratelimit rl;
	struct iiot_complain down;
	const char *host;
	int port;
};

static void
add_field(void *arg, const char *name, const char *value)
{
	struct tfields *tf = arg;

	if (tf->n >= MAXFIELDS)
		return;
	/* Cut, a name or a value could end inside a UTF-8 sequence. */
	if (strlen(name) >= sizeof(tf->name[0]) ||
	    strlen(value) >= sizeof(tf->value[0]) ||
	    !iiot_utf8_valid(value, strlen(value))) {
		tf->bad = 1;
		return;
	}
	snprintf(tf->name[tf->n], sizeof(tf->name[0]), "%s", name);
	snprintf(tf->value[tf->n], sizeof(tf->value[0]), "%s", value);
	tf->n++;
}

/*
 * Fields from the topic: by the --topic-format template, else the last
 * level is the sensor and the one before it the source.
 */
static void
topic_fields(struct mq *q, const char *topic)
{
	const char *last, *prev;
	size_t len;

	q->tf.n = 0;
	q->tf.bad = 0;
	if (q->tmpl != NULL &&
	    iiot_topic_match(q->tmpl, topic, add_field, &q->tf))
		return;
	q->tf.n = 0;
	q->tf.bad = 0;
	last = strrchr(topic, '/');
	if (last == NULL) {
		add_field(&q->tf, "sensor", topic);
		return;
	}
	for (prev = last; prev > topic && prev[-1] != '/'; prev--)
		;
	len = (size_t)(last - prev);
	if (len >= FIELDSZ || !iiot_utf8_valid(prev, len))
		q->tf.bad = 1;
	else if (len > 0) {
		snprintf(q->tf.name[0], sizeof(q->tf.name[0]), "source");
		memcpy(q->tf.value[0], prev, len);
		q->tf.value[0][len] = '\0';
		q->tf.n = 1;
	}
	if (last[1] != '\0')
		add_field(&q->tf, "sensor", last + 1);
}

static const char *
tfield(const struct mq *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->tf.n; i++)
		if (strcmp(q->tf.name[i], name) == 0)
			return q->tf.value[i];
	return NULL;
}

static int
has_field(const struct iiot_rec *r, const char *key)
{
	double d;

	return iiot_rec_str(r, key) != NULL || iiot_rec_num(r, key, &d) == 0;
}

/* Add the topic's fields that the record lacks. */
static int
fill_missing(struct mq *q, struct iiot_rec *r)
{
	size_t i;

	for (i = 0; i < q->tf.n; i++)
		if (!has_field(r, q->tf.name[i]) &&
		    iiot_rec_set_str(r, q->tf.name[i], q->tf.value[i]) < 0)
			return -1;
	return 0;
}

/* Parse a boolean word: returns 1 or 0, or -1 if it is none. */
static int
boolword(const char *s)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "on") == 0)
		return 1;
	if (strcasecmp(s, "false") == 0 || strcasecmp(s, "off") == 0)
		return 0;
	return -1;
}

/*
 * Build a record from parts: a value, an optional time and the JSON
 * object it came in (for its other fields), plus the topic's fields.
 */
static int
build(struct mq *q, double value, int64_t ts, const cJSON *obj,
    const char **why)
{
	struct iiot_rec *r = &q->rec;
	const cJSON *it;
	const char *s;

	if (iiot_rec_clear(r) < 0 || iiot_rec_set_ts(r, ts) < 0)
		return -1;
	s = obj ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj,
	    "source")) : NULL;
	if (s == NULL)
		s = tfield(q, "source");
	if (s != NULL && iiot_rec_set_str(r, "source", s) < 0)
		return -1;
	s = obj ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj,
	    "sensor")) : NULL;
	if (s == NULL)
		s = tfield(q, "sensor");
	if (s == NULL || *s == '\0') {
		*why = "no sensor in the payload or the topic";
		errno = IIOT_ENOSENSOR;
		return -1;
	}
	if (iiot_rec_set_str(r, "sensor", s) < 0 ||
	    iiot_rec_set_value(r, value) < 0)
		return -1;
	for (it = obj ? obj->child : NULL; it != NULL; it = it->next) {
		if (strcmp(it->string, "ts") == 0 ||
		    strcmp(it->string, "source") == 0 ||
		    strcmp(it->string, "sensor") == 0 ||
		    strcmp(it->string, "value") == 0)
			continue;
		if (cJSON_IsString(it)) {
			if (iiot_rec_set_str(r, it->string,
			    it->valuestring) < 0)
				return -1;
		} else if (cJSON_IsNumber(it)) {
			if (iiot_rec_set_num(r, it->string,
			    it->valuedouble) < 0)
				return -1;
		}
	}
	return fill_missing(q, r);
}

/* A JSON object that is not a whole record: it needs a "value". */
static int
decode_object(struct mq *q, const char *p, size_t len, int64_t now,
    const char **why)
{
	const cJSON *v, *t;
	cJSON *obj;
	double value;
	int64_t ts = now;
	int rc = -1, b;

	if ((obj = cJSON_ParseWithLength(p, len)) == NULL) {
		*why = "not valid JSON";
		return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "value");
	t = cJSON_GetObjectItemCaseSensitive(obj, "ts");
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
		value = v->valuedouble;
	else if (cJSON_IsBool(v))
		value = cJSON_IsTrue(v);
	else if (cJSON_IsString(v) && (b = boolword(v->valuestring)) >= 0)
		value = b;
	else {
		*why = "no numeric \"value\"";
		goto out;
	}
	if (t != NULL && ((cJSON_IsString(t) &&
	    iiot_time_parse(t->valuestring, strlen(t->valuestring), &ts) < 0) ||
	    (cJSON_IsNumber(t) && iiot_time_from_number(t->valuedouble,
	    &ts) < 0) || (!cJSON_IsString(t) && !cJSON_IsNumber(t)))) {
		*why = "invalid \"ts\"";
		goto out;
	}
	rc = build(q, value, ts, obj, why);
out:
	cJSON_Delete(obj);
	return rc;
}

/*
 * Turn one payload into q->rec: a record, an object with a value, a
 * number or a boolean word.  Returns 0, or -1 with *why set.
 */
static int
decode(struct mq *q, const char *p, size_t len, int64_t now,
    const char **why)
{
	char word[64];
	double d;
	int b;

	*why = NULL;
	if (q->tf.bad) {
		*why = "a topic level is too long or not UTF-8";
		return -1;
	}
	while (len > 0 && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0) {
		*why = "empty payload";
		return -1;
	}
	if (!iiot_utf8_valid(p, len)) {
		*why = iiot_strerror(IIOT_EUTF8);
		return -1;
	}
	if (*p == '{') {
		if (iiot_rec_parse(&q->rec, p, len) == 0) {
			if (fill_missing(q, &q->rec) < 0)
				return -1;
			if (!q->rec.has_ts &&
			    iiot_rec_set_ts(&q->rec, now) < 0)
				return -1;
			return 0;
		}
		if (errno != IIOT_ENOSENSOR && errno != IIOT_ENOVALUE) {
			*why = iiot_strerror(errno);
			return -1;
		}
		return decode_object(q, p, len, now, why);
	}
	if (len >= sizeof(word)) {
		*why = "not a record, a number or a boolean";
		return -1;
	}
	memcpy(word, p, len);
	word[len] = '\0';
	if (iiot_num_parse(word, -HUGE_VAL, HUGE_VAL, &d) == 0)
		return build(q, d, now, NULL, why);
	if ((b = boolword(word)) >= 0)
		return build(q, b, now, NULL, why);
	*why = "not a record, a number or a boolean";
	return -1;
}

static void
on_message(void *arg, const char *topic, const char *payload, size_t len)
{
	struct mq *q = arg;
	const char *why;
	int64_t now = iiot_now_ms();

	q->last = iiot_mono_ms();
	if (q->done)
		return;
	topic_fields(q, topic);
	if (decode(q, payload, len, now, &why) < 0) {
		q->bad++;
		iiot_warnx_limited(&q->rl, "cannot decode payload on topic "
		    "'%s': %s", topic, why ? why : iiot_strerror(errno));
		return;
	}
	if (iiot_rec_write(&q->rec, stdout) < 0)
		q->wfail = 1;
	iiot_out_record();
	/*
	 * libmosquitto has acknowledged the message before this call: at
	 * QoS 1 and 2, hand the record on at once rather than hold it in
	 * our buffer, where a crash would lose it.
	 */
	if (q->o->mqtt.qos > 0 && fflush(stdout) != 0)
		q->wfail = 1;
	q->nrec++;
	if (q->o->count > 0 && q->nrec >= (unsigned long long)q->o->count)
		q->done = 1;
}

static void
on_connect(void *arg, int session_present)
{
	struct mq *q = arg;

	if (!iiot_complain_clear(&q->down, "connected to '%s:%d' again",
	    q->host, q->port))
		iiot_debug(1, "connected to '%s:%d'%s", q->host, q->port,
		    session_present ? " (session resumed)" : "");
}

/* A write error on stdout: EPIPE ends us like the signal would. */
static int
out_broken(void)
{
	if (!ferror(stdout))
		return 0;
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return 1;
}

static int
loop(struct mq *q)
{
	const struct read_opts *o = q->o;
	int64_t now, wait;
	int r, status = 0;

	q->last = iiot_mono_ms();
	while (!iiot_sig_term && !q->done) {
		wait = 1000;
		if (o->timeout >= 0) {
			now = iiot_mono_ms();
			if (now - q->last >= o->timeout) {
				iiot_debug(1, "nothing for %lld ms: exiting",
				    (long long)o->timeout);
				break;
			}
			if (q->last + o->timeout - now < wait)
				wait = q->last + o->timeout - now;
		}
		/* Nothing we hold may wait while we wait for the broker. */
		fflush(stdout);
		if (out_broken() || q->wfail) {
			if (!(iiot_sig_term && errno == EINTR))
				iiot_warn("cannot write to stdout");
			return 1;
		}
		r = iiot_mqtt_poll(q->m, q->watch, (int)wait);
		if (r == 1) {
			/* The reader of our pipe is gone, as for a filter. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		if (r < 0 && errno == IIOT_EMQTT) {
			iiot_warnx("cannot connect to '%s:%d': %s", q->host,
			    q->port, iiot_mqtt_error(q->m));
			return 1;
		}
		if (r < 0 && errno != EINTR) {
			iiot_warn("cannot wait for the broker");
			return 1;
		}
		if (iiot_mqtt_state(q->m) == IIOT_MQTT_DOWN &&
		    iiot_mqtt_error(q->m)[0] != '\0')
			iiot_complain(&q->down, iiot_mono_ms(),
			    "cannot reach broker '%s:%d': %s", q->host,
			    q->port, iiot_mqtt_error(q->m));
	}
	return status;
}

/* The first of the TLS files that cannot be read. */
int
mqtt_run(const struct read_opts *o, const char *url)
{
	static const char *filters[64];
	struct iiot_mqtt_url u;
	struct iiot_mqtt_conf c;
	struct stat st;
	struct mq q;
	const char *why = NULL;
	char *password = NULL, err[512];
	size_t nf = 0, i;
	int status = 2;

	memset(&q, 0, sizeof(q));
	q.o = o;
	if (iiot_mqtt_url_parse(url, &u, &why) < 0) {
		iiot_warnx("invalid URL: '%s': %s", url,
		    why ? why : iiot_strerror(errno));
		return 2;
	}
	q.host = u.host;
	q.port = u.port;
	if (o->session && o->mqtt.client_id == NULL) {
		iiot_warnx("--session needs --client-id");
		goto out;
	}
	if (iiot_mqtt_opts_check(&o->mqtt, &u, &why) < 0) {
		iiot_warnx("%s", why);
		goto out;
	}
	if (o->topic_format != NULL &&
	    (q.tmpl = iiot_topic_new(o->topic_format)) == NULL) {
		iiot_warnx("invalid --topic-format: '%s'", o->topic_format);
		goto out;
	}
	if (u.topic != NULL)
		filters[nf++] = u.topic;
	for (i = 0; i < o->ntopics && nf < 64; i++)
		filters[nf++] = o->topics[i];
	if (nf == 0)
		filters[nf++] = q.tmpl ? iiot_topic_filter(q.tmpl) : "#";
	if (iiot_mqtt_opts_password(&o->mqtt, &password, err,
	    sizeof(err)) < 0) {
		iiot_warnx("%s", err);
		goto out;
	}
	iiot_mqtt_conf_init(&c, &o->mqtt, &u, password);
	c.clean_session = !o->session;
	c.topics = filters;
	c.ntopics = nf;
	c.sub_qos = o->mqtt.qos;
	c.on_message = on_message;
	c.on_connect = on_connect;
	c.arg = &q;
	if ((q.m = iiot_mqtt_new(&c)) == NULL) {
		if (errno == ENOENT || errno == EACCES)
			iiot_warn("cannot read TLS file '%s'",
			    iiot_mqtt_opts_tls_file(&o->mqtt));
		else
			iiot_warn("cannot set up the MQTT client");
		goto out;
	}
	if (iiot_rec_init(&q.rec) < 0) {
		iiot_warn("cannot allocate a record");
		status = 1;
		goto out;
	}
	if (iiot_sig_install(IIOT_SIG_NOPIPE) < 0) {
		iiot_warn("cannot install signal handlers");
		status = 1;
		goto out;
	}
	iiot_out_init(o->unbuffered);
	/*
	 * A pipe on stdout reports an error as soon as its reader leaves:
	 * watch it, so that "| head -1" ends us without waiting for the
	 * next message.
	 */
	q.watch = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode) ?
	    STDOUT_FILENO : -1;

	status = loop(&q);
	if (q.bad > 0) {
		if (q.bad > IIOT_RATELIMIT_BURST)
			iiot_warnx("%llu undecodable messages skipped", q.bad);
		status = 1;
	}
	iiot_debug(1, "%llu records, %llu bad messages", q.nrec, q.bad);
	iiot_mqtt_disconnect(q.m, 500);
	if (iiot_out_close() < 0) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		if (!(iiot_sig_term && errno == EINTR)) {
			iiot_warn("cannot write to stdout");
			status = 1;
		}
	}
out:
	iiot_rec_release(&q.rec);
	iiot_mqtt_free(q.m);
	iiot_topic_free(q.tmpl);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	iiot_mqtt_url_release(&u);
	iiot_sig_reraise();
	return status;
}
