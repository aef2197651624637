/* SPDX-License-Identifier: MIT */
/* actions.c: iiot-alert's actions, run by workers off a bounded queue. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mosquitto.h>

#include "iiot.h"
#include "iiot_mb.h"
#include "iiot_thresh.h"
#include "alert.h"

#define NWORKERS	4
#define OUTMAX		1024	/* bytes of a hook's output kept */
#define MAXRCPT		16
#define MAXHDR		8

enum kind { K_EXEC, K_MAIL, K_WEBHOOK, K_COIL, K_MQTT, K_SYSLOG, K_BELL };

struct action {
	const char *name;
	enum kind kind;
	int64_t timeout;
	int retries;
	char **argv;		/* K_EXEC; K_MAIL with sendmail */
	size_t argc;
	char *url;		/* K_MAIL via SMTP, K_WEBHOOK, K_COIL, K_MQTT */
	const char *rcpt[MAXRCPT];
	size_t nrcpt;
	const char *from, *subject, *user, *pwfile, *body;
	const char *cafile;	/* K_MAIL, K_WEBHOOK: CAs to trust for TLS */
	const char *hdr[MAXHDR];
	size_t nhdr;
	int starttls;
	int unit, addr;		/* K_COIL */
	char host[256];		/* K_MQTT */
	int port, qos, retain;
	const char *topic;
	int facility;		/* K_SYSLOG */
	const char *logsock;	/* K_SYSLOG: the socket, /dev/log */
};

/* A program started for a job, and the pipes to it. */
struct child {
	pid_t pid;		/* 0: not started */
	int in, out;		/* our ends of its stdin and stdout */
	int64_t deadline;	/* monotonic ms */
};

struct job {
	struct action *act;
	char *alert, *state, *json;
	char **env;		/* IIOT_*=... */
	size_t nenv;
	int on;			/* the alarm is active after the event */
	int tries;
	int64_t due;		/* monotonic ms */
	struct child *early;	/* exec: started at once by actions_run */
	struct job *next;
};

struct actions {
	struct action *v;
	size_t n;
	int dry;
	size_t max, len;
	struct job *head, *tail;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[NWORKERS];
	int nth, stop, abandon, running;
	unsigned long failed;
	struct iiot_ratelimit rl;
};

static int
find_exe(const char *name, char **out)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	const char *p, *c;
	char buf[PATH_MAX];
	int n;

	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) == -1)
			return -1;
		*out = strdup(name);
		return *out ? 0 : -1;
	}
	for (p = path; *p; p = *c ? c + 1 : c) {
		c = strchrnul(p, ':');
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(c - p), p,
		    name);
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, X_OK) == 0) {
			*out = strdup(buf);
			return *out ? 0 : -1;
		}
	}
	errno = ENOENT;
	return -1;
}

/* "modbus-tcp://HOST[:PORT]/UNIT/coil/ADDR" into base URL, unit, addr. */
static int
parse_coil(struct action *a, const char *url)
{
	const char *p, *slash;
	long long unit, addr;
	char num[32];
	size_t n;

	if (strncmp(url, "modbus-tcp://", 13) != 0 ||
	    (slash = strchr(url + 13, '/')) == NULL)
		return -1;
	if ((a->url = strndup(url, slash - url)) == NULL)
		return -1;
	p = slash + 1;
	if ((slash = strchr(p, '/')) == NULL || (n = slash - p) == 0 ||
	    n >= sizeof(num))
		return -1;
	memcpy(num, p, n);
	num[n] = '\0';
	if (iiot_int_parse(num, 0, 255, &unit) == -1)
		return -1;
	p = slash + 1;
	if (strncmp(p, "coil/", 5) == 0)
		p += 5;
	if (iiot_int_parse(p, 0, 65535, &addr) == -1)
		return -1;
	a->unit = (int)unit;
	a->addr = (int)addr;
	return 0;
}

/* "mqtt://HOST[:PORT]/TOPIC". */
static int
parse_mqtt(struct action *a, const char *url)
{
	const char *p, *slash, *colon;
	long long port = 1883;

	if (strncmp(url, "mqtt://", 7) != 0)
		return -1;
	p = url + 7;
	if ((slash = strchr(p, '/')) == NULL || slash[1] == '\0')
		return -1;
	colon = memchr(p, ':', slash - p);
	if ((size_t)((colon ? colon : slash) - p) >= sizeof(a->host))
		return -1;
	snprintf(a->host, sizeof(a->host), "%.*s",
	    (int)((colon ? colon : slash) - p), p);
	if (colon != NULL) {
		char num[16];

		if ((size_t)(slash - colon - 1) >= sizeof(num))
			return -1;
		snprintf(num, sizeof(num), "%.*s", (int)(slash - colon - 1),
		    colon + 1);
		if (iiot_int_parse(num, 1, 65535, &port) == -1)
			return -1;
	}
	a->port = (int)port;
	a->topic = slash + 1;
	return strpbrk(a->topic, "+#") ? -1 : 0;
}

static int
facility_parse(const char *s)
{
	static const struct {
		const char *name;
		int fac;
	} f[] = {
		{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(s, f[i].name) == 0)
			return f[i].fac;
	return -1;
}

#define BAD(...) do { \
	snprintf(err, errsz, "%s:%d: action '%s': ", d->file, d->line, \
	    d->name); \
	snprintf(err + strlen(err), errsz - strlen(err), __VA_ARGS__); \
	return -1; \
} while (0)

static int
compile(struct action *a, const struct iiot_thresh_action *d, char *err,
    size_t errsz)
{
	char **w = d->argv;
	size_t n = d->argc, i = 0;
	long long v;
	const char *type, *arg;

	a->name = d->name;
	a->timeout = 10000;
	a->retries = 3;
	a->qos = 1;
	for (; i + 1 < n; i += 2) {
		if (strcmp(w[i], "timeout") == 0) {
			if (iiot_duration_parse(w[i + 1], &a->timeout) == -1 ||
			    a->timeout <= 0)
				BAD("bad timeout '%s'", w[i + 1]);
		} else if (strcmp(w[i], "retries") == 0) {
			if (iiot_int_parse(w[i + 1], 0, 10, &v) == -1)
				BAD("bad retries '%s': want 0 to 10",
				    w[i + 1]);
			a->retries = (int)v;
		} else {
			break;
		}
	}
	if (i >= n)
		BAD("missing type");
	type = w[i++];
	if (strcmp(type, "exec") == 0) {
		a->kind = K_EXEC;
		if (i >= n)
			BAD("missing program");
		a->argv = calloc(n - i + 1, sizeof(char *));
		if (a->argv == NULL)
			BAD("%s", strerror(errno));
		if (find_exe(w[i], &a->argv[0]) == -1)
			BAD("cannot find program '%s': %s", w[i],
			    strerror(errno));
		for (a->argc = 1, i++; i < n; i++)
			a->argv[a->argc++] = w[i];
		return 0;
	}
	if (strcmp(type, "mail") == 0) {
		a->kind = K_MAIL;
		a->from = "iiot-alert@localhost";
		for (; i < n; i++) {
			if (strcmp(w[i], "starttls") == 0) {
				a->starttls = 1;
				continue;
			}
			if (i + 1 >= n)
				BAD("missing value after '%s'", w[i]);
			arg = w[i + 1];
			if (strcmp(w[i], "to") == 0) {
				if (a->nrcpt == MAXRCPT)
					BAD("too many recipients");
				a->rcpt[a->nrcpt++] = arg;
			} else if (strcmp(w[i], "from") == 0) {
				a->from = arg;
			} else if (strcmp(w[i], "subject") == 0) {
				a->subject = arg;
			} else if (strcmp(w[i], "via") == 0) {
				if (strncmp(arg, "smtp://", 7) != 0 &&
				    strncmp(arg, "smtps://", 8) != 0)
					BAD("via wants smtp:// or smtps://");
				free(a->url);
				if ((a->url = strdup(arg)) == NULL)
					BAD("%s", strerror(errno));
			} else if (strcmp(w[i], "sendmail") == 0) {
				free(a->argv);
				a->argv = calloc(4 + MAXRCPT, sizeof(char *));
				if (a->argv == NULL)
					BAD("%s", strerror(errno));
				if (find_exe(arg, &a->argv[0]) == -1)
					BAD("cannot find program '%s': %s", arg,
					    strerror(errno));
			} else if (strcmp(w[i], "user") == 0) {
				a->user = arg;
			} else if (strcmp(w[i], "cafile") == 0) {
				if (access(arg, R_OK) < 0)
					BAD("cannot read CA file '%s': %s",
					    arg, strerror(errno));
				a->cafile = arg;
			} else if (strcmp(w[i], "password-file") == 0) {
				struct stat st;

				if (stat(arg, &st) == 0 &&
				    (st.st_mode & S_IROTH))
					BAD("password file '%s' is readable "
					    "by others (chmod o-r)", arg);
				a->pwfile = arg;
			} else {
				BAD("unknown mail option '%s'", w[i]);
			}
			i++;
		}
		if (a->nrcpt == 0)
			BAD("mail needs 'to ADDRESS'");
		if (a->url == NULL && a->argv == NULL) {
			a->argv = calloc(4 + MAXRCPT, sizeof(char *));
			if (a->argv == NULL ||
			    find_exe("/usr/sbin/sendmail", &a->argv[0]) == -1)
				BAD("no 'via smtp://...' and no "
				    "/usr/sbin/sendmail");
		}
		if (a->argv != NULL) {
			/* sendmail -i -- rcpt...: the message on stdin. */
			a->argv[1] = "-i";
			a->argv[2] = "--";
			for (a->argc = 3; a->argc - 3 < a->nrcpt; a->argc++)
				a->argv[a->argc] = (char *)a->rcpt[a->argc - 3];
		}
		return 0;
	}
	if (strcmp(type, "webhook") == 0) {
		a->kind = K_WEBHOOK;
		if (i >= n || (strncmp(w[i], "http://", 7) != 0 &&
		    strncmp(w[i], "https://", 8) != 0))
			BAD("webhook wants an http:// or https:// URL");
		if ((a->url = strdup(w[i++])) == NULL)
			BAD("%s", strerror(errno));
		for (; i < n; i += 2) {
			if (i + 1 >= n)
				BAD("missing value after '%s'", w[i]);
			if (strcmp(w[i], "body") == 0)
				a->body = w[i + 1];
			else if (strcmp(w[i], "header") == 0 && a->nhdr < MAXHDR)
				a->hdr[a->nhdr++] = w[i + 1];
			else if (strcmp(w[i], "cafile") == 0 &&
			    access(w[i + 1], R_OK) < 0)
				BAD("cannot read CA file '%s': %s", w[i + 1],
				    strerror(errno));
			else if (strcmp(w[i], "cafile") == 0)
				a->cafile = w[i + 1];
			else
				BAD("unknown webhook option '%s'", w[i]);
		}
		return 0;
	}
	if (strcmp(type, "coil") == 0) {
		a->kind = K_COIL;
		if (i + 1 != n || parse_coil(a, w[i]) == -1)
			BAD("coil wants modbus-tcp://HOST[:PORT]/UNIT/coil/"
			    "ADDR");
		return 0;
	}
	if (strcmp(type, "mqtt") == 0) {
		a->kind = K_MQTT;
		if (i >= n || parse_mqtt(a, w[i]) == -1)
			BAD("mqtt wants mqtt://HOST[:PORT]/TOPIC without "
			    "wildcards");
		for (i++; i < n; i++) {
			if (strcmp(w[i], "retain") == 0) {
				a->retain = 1;
			} else if (strcmp(w[i], "qos") == 0 && i + 1 < n &&
			    iiot_int_parse(w[i + 1], 0, 2, &v) == 0) {
				a->qos = (int)v;
				i++;
			} else if (strcmp(w[i], "payload") == 0 && i + 1 < n) {
				a->body = w[++i];
			} else {
				BAD("unknown mqtt option '%s'", w[i]);
			}
		}
		return 0;
	}
	if (strcmp(type, "syslog") == 0) {
		a->kind = K_SYSLOG;
		a->facility = LOG_DAEMON;
		a->logsock = "/dev/log";
		if (i < n && strcmp(w[i], "socket") != 0 &&
		    (a->facility = facility_parse(w[i++])) == -1)
			BAD("bad syslog facility '%s'", w[i - 1]);
		if (i + 1 < n && strcmp(w[i], "socket") == 0) {
			a->logsock = w[i + 1];
			i += 2;
		}
		if (i < n)
			BAD("unexpected '%s'", w[i]);
		if (strlen(a->logsock) >= sizeof(((struct sockaddr_un *)0)->
		    sun_path))
			BAD("socket path too long");
		return 0;
	}
	if (strcmp(type, "bell") == 0) {
		a->kind = K_BELL;
		if (i < n)
			BAD("unexpected '%s'", w[i]);
		return 0;
	}
	BAD("unknown type '%s': want exec, mail, webhook, coil, mqtt, syslog "
	    "or bell", type);
}

static void *worker(void *arg);
static int spawn_prog(const struct action *act, char *const *argv,
    char *const *env, struct child *c, char *why, size_t whysz);

static void
action_release(struct action *a)
{
	if (a->kind == K_EXEC || a->kind == K_MAIL) {
		if (a->argv != NULL)
			free(a->argv[0]);
		free(a->argv);
	}
	free(a->url);
}

struct actions *
actions_new(const struct iiot_thresh *t, size_t queue, int dry, char *err,
    size_t errsz)
{
	struct actions *a;
	sigset_t all, old;
	size_t i;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errsz, "%s", strerror(errno));
		return NULL;
	}
	a->n = iiot_thresh_nactions(t);
	a->max = queue;
	a->dry = dry;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (a->n > 0 && (a->v = calloc(a->n, sizeof(*a->v))) == NULL) {
		snprintf(err, errsz, "%s", strerror(errno));
		actions_free(a, 1);
		return NULL;
	}
	for (i = 0; i < a->n; i++)
		if (compile(&a->v[i], iiot_thresh_action(t, i), err,
		    errsz) == -1) {
			actions_free(a, 1);
			return NULL;
		}
	if (a->n == 0 || dry)
		return a;
	/* Workers take no signals: the main thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < NWORKERS; i++) {
		if (pthread_create(&a->th[i], NULL, worker, a) != 0)
			break;
		a->nth++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (a->nth == 0) {
		snprintf(err, errsz, "cannot start worker threads");
		actions_free(a, 1);
		return NULL;
	}
	return a;
}

static int
add_env(struct job *j, const char *key, const char *val)
{
	char *s;

	if (val == NULL)
		return 0;
	if (asprintf(&s, "%s=%s", key, val) == -1)
		return -1;
	j->env[j->nenv++] = s;
	return 0;
}

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nenv; i++)
		free(j->env[i]);
	free(j->env);
	free(j->alert);
	free(j->state);
	free(j->json);
	free(j->early);
	free(j);
}

/* A number in the shortest form that reads back the same. */
static const char *
shortest(double d, char *buf, size_t n)
{
	struct iiot_buf b = IIOT_BUF_INIT;

	if (iiot_buf_add_json_num(&b, d) == 0)
		snprintf(buf, n, "%s", b.data);
	else
		snprintf(buf, n, "%.17g", d);
	iiot_buf_release(&b);
	return buf;
}

/* The job's variables, also used by templates: IIOT_<KEY>=value. */
static struct job *
job_new(struct action *act, const struct iiot_thresh_event *ev,
    const char *json)
{
	struct job *j;
	char num[64], since[IIOT_TIME_BUFSZ], ts[IIOT_TIME_BUFSZ];
	const char *unit = ev->rec ? ev->rec->unit : ev->unit;
	int rc = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->env = calloc(16, sizeof(char *))) == NULL ||
	    (j->alert = strdup(ev->alert)) == NULL ||
	    (j->state = strdup(ev->state)) == NULL ||
	    (j->json = strdup(json)) == NULL) {
		job_free(j);
		return NULL;
	}
	j->act = act;
	j->on = strcmp(ev->state, "resolved") != 0;
	iiot_time_format(ev->since, since);
	iiot_time_format(ev->ts, ts);
	rc |= add_env(j, "PATH", "/usr/local/bin:/usr/bin:/bin");
	rc |= add_env(j, "IIOT_ALERT", ev->alert);
	rc |= add_env(j, "IIOT_STATE", ev->state);
	rc |= add_env(j, "IIOT_SEVERITY", ev->severity);
	rc |= add_env(j, "IIOT_SOURCE", ev->source);
	rc |= add_env(j, "IIOT_SENSOR", ev->sensor);
	rc |= add_env(j, "IIOT_TS", ts);
	rc |= add_env(j, "IIOT_SINCE", since);
	rc |= add_env(j, "IIOT_UNIT", unit);
	if (ev->has_value)
		rc |= add_env(j, "IIOT_VALUE", shortest(ev->value, num,
		    sizeof(num)));
	if (ev->has_threshold)
		rc |= add_env(j, "IIOT_THRESHOLD", shortest(ev->threshold,
		    num, sizeof(num)));
	rc |= add_env(j, "IIOT_ACTIVE", j->on ? "1" : "0");
	if (rc) {
		job_free(j);
		return NULL;
	}
	return j;
}

/*
 * A hook starts sooner from this thread than after a worker wakes up:
 * when a worker is free to look after it at once, start it here.
 */
static void
maybe_start(struct actions *a, struct job *j)
{
	char why[512];
	int idle;

	if (j->act->kind != K_EXEC)
		return;
	pthread_mutex_lock(&a->mu);
	idle = a->len == 0 && a->running < a->nth;
	pthread_mutex_unlock(&a->mu);
	if (!idle || (j->early = calloc(1, sizeof(*j->early))) == NULL)
		return;
	j->early->in = j->early->out = -1;
	/* On failure the worker tries again, and reports. */
	if (spawn_prog(j->act, j->act->argv, j->env, j->early, why,
	    sizeof(why)) == -1)
		j->early->pid = 0;
}

void
actions_run(struct actions *a, const struct iiot_thresh_event *ev,
    const char *json)
{
	struct job *j;
	size_t i, k;

	for (i = 0; i < ev->nactions; i++) {
		for (k = 0; k < a->n; k++)
			if (strcmp(a->v[k].name, ev->actions[i]) == 0)
				break;
		if (k == a->n || a->dry)
			continue;
		/* A stack light follows the alarm, not its reminders. */
		if (strcmp(ev->state, "flapping") == 0 &&
		    (a->v[k].kind == K_COIL))
			continue;
		pthread_mutex_lock(&a->mu);
		if (a->len >= a->max) {
			a->failed++;
			pthread_mutex_unlock(&a->mu);
			iiot_warnx_limited(&a->rl, "action queue full: dropped "
			    "action '%s' for alert '%s'", a->v[k].name,
			    ev->alert);
			continue;
		}
		pthread_mutex_unlock(&a->mu);
		if ((j = job_new(&a->v[k], ev, json)) == NULL) {
			iiot_warn("cannot queue action '%s'", a->v[k].name);
			a->failed++;
			continue;
		}
		j->due = iiot_mono_ms();
		maybe_start(a, j);
		pthread_mutex_lock(&a->mu);
		if (a->tail)
			a->tail->next = j;
		else
			a->head = j;
		a->tail = j;
		a->len++;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
}

/* Take the first job that is due; wait for one.  NULL: stop. */
static struct job *
take(struct actions *a)
{
	struct job *j, *prev;
	int64_t now, first;
	struct timespec ts;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->stop && a->head == NULL) {
			pthread_mutex_unlock(&a->mu);
			return NULL;
		}
		now = iiot_mono_ms();
		first = INT64_MAX;
		for (prev = NULL, j = a->head; j; prev = j, j = j->next) {
			if (j->due <= now)
				break;
			if (j->due < first)
				first = j->due;
		}
		if (j != NULL) {
			if (prev)
				prev->next = j->next;
			else
				a->head = j->next;
			if (a->tail == j)
				a->tail = prev;
			j->next = NULL;
			a->len--;
			a->running++;
			pthread_mutex_unlock(&a->mu);
			return j;
		}
		if (first == INT64_MAX) {
			pthread_cond_wait(&a->cv, &a->mu);
		} else {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			first -= now;
			ts.tv_sec += first / 1000;
			ts.tv_nsec += (first % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&a->cv, &a->mu, &ts);
		}
	}
}

/* Look up a job variable by template name ("alert" is IIOT_ALERT). */
static const char *
job_var(const struct job *j, const char *name, size_t n)
{
	size_t i, k;

	if (n == 5 && memcmp(name, "event", 5) == 0)
		return j->json;
	for (i = 0; i < j->nenv; i++) {
		const char *e = j->env[i];

		if (strncmp(e, "IIOT_", 5) != 0)
			continue;
		for (k = 0; k < n && e[5 + k] != '='; k++)
			if ((name[k] & ~0x20) != e[5 + k])
				break;
		if (k == n && e[5 + k] == '=')
			return e + 6 + k;
	}
	return NULL;
}

/*
 * Expand "{{name}}" in a template: json set escapes values for a JSON
 * string ("{{event}}" stays raw JSON); otherwise control characters
 * become spaces, so that a value cannot add a header line.
 */
static int
expand(const struct job *j, const char *tmpl, int json, struct iiot_buf *b)
{
	const char *p, *end, *v;
	size_t i;

	for (p = tmpl; *p; p++) {
		if (p[0] == '{' && p[1] == '{' &&
		    (end = strstr(p + 2, "}}")) != NULL) {
			v = job_var(j, p + 2, end - p - 2);
			if (v == NULL)
				v = "";
			if (v == j->json)
				iiot_buf_adds(b, v);
			else if (json) {
				/* Escaped as in a JSON string, no quotes. */
				size_t pos = b->len;

				if (iiot_buf_add_json_str(b, v, strlen(v)) ==
				    0) {
					memmove(b->data + pos, b->data + pos + 1,
					    b->len - pos - 2);
					b->len -= 2;
					b->data[b->len] = '\0';
				}
			} else {
				for (i = 0; v[i]; i++)
					iiot_buf_addc(b, (unsigned char)v[i] <
					    ' ' ? ' ' : v[i]);
			}
			p = end + 1;
			continue;
		}
		iiot_buf_addc(b, *p);
	}
	return iiot_buf_adds(b, "");
}

/*
 * Start a program with posix_spawn (no shell): the job's variables as
 * its whole environment, its stdin and stdout/stderr on pipes, in its
 * own process group.  Returns 0, or -1 with why filled in.
 */
static int
spawn_prog(const struct action *act, char *const *argv, char *const *env,
    struct child *c, char *why, size_t whysz)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, st;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	c->deadline = iiot_mono_ms() + act->timeout;
	st = posix_spawn(&c->pid, argv[0], &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(out[1]);
	if (st != 0) {
		snprintf(why, whysz, "cannot run '%s': %s", argv[0],
		    strerror(st));
		close(in[1]);
		close(out[0]);
		c->pid = 0;
		return -1;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	c->in = in[1];
	c->out = out[0];
	return 0;
fail:
	if (in[0] != -1) {
		close(in[0]);
		close(in[1]);
	}
	return -1;
}

/*
 * Feed a started program its input, keep its output up to OUTMAX bytes,
 * and wait for it; kill it, with its process group, at the deadline.
 * Returns 0 if it exited with status 0, or -1 with why filled in.
 */
static int
supervise(const char *prog, int64_t timeout, struct child *c,
    const char *input, char *why, size_t whysz)
{
	int st = 0, rc = -1, done = 0, pidfd;
	size_t off = 0, len = strlen(input), kept = 0;
	char buf[4096], keep[OUTMAX + 1];
	struct pollfd pf[2];
	int64_t left;
	ssize_t n;

	if (len == 0) {
		close(c->in);
		c->in = -1;
	}
	while (c->out != -1 || c->in != -1) {
		left = c->deadline - iiot_mono_ms();
		if (left <= 0)
			break;
		pf[0].fd = c->out;
		pf[0].events = POLLIN;
		pf[1].fd = c->in;
		pf[1].events = POLLOUT;
		if (poll(pf, 2, left > 100 ? 100 : (int)left) == -1 &&
		    errno != EINTR)
			break;
		if (pf[1].revents) {
			n = write(c->in, input + off, len - off);
			if (n > 0)
				off += n;
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				off = len;	/* it does not read: fine */
			if (off >= len) {
				close(c->in);
				c->in = -1;
			}
		}
		if (pf[0].revents) {
			n = read(c->out, buf, sizeof(buf));
			if (n > 0 && kept < OUTMAX) {
				size_t k = (size_t)n < OUTMAX - kept ?
				    (size_t)n : OUTMAX - kept;

				memcpy(keep + kept, buf, k);
				kept += k;
			} else if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN)) {
				close(c->out);
				c->out = -1;
			}
		}
	}
	/*
	 * Output closed: wait for the exit, still within the time, on a
	 * pidfd where there is one (no polling), else checking every 2 ms.
	 */
	pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	while (!done) {
		if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
			done = 1;
			break;
		}
		left = c->deadline - iiot_mono_ms();
		if (left <= 0)
			break;
		if (pidfd >= 0) {
			pf[0].fd = pidfd;
			pf[0].events = POLLIN;
			poll(pf, 1, left > 1000 ? 1000 : (int)left);
		} else {
			usleep(2000);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!done) {
		char d[32];

		kill(-c->pid, SIGKILL);
		waitpid(c->pid, &st, 0);
		iiot_duration_format(timeout, d);
		snprintf(why, whysz, "'%s' killed after %s", prog, d);
		goto out;
	}
	keep[kept] = '\0';
	keep[strcspn(keep, "\n")] = '\0';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		rc = 0;
	else if (WIFEXITED(st))
		snprintf(why, whysz, "'%s' exited with status %d%s%.200s",
		    prog, WEXITSTATUS(st), kept ? ": " : "", keep);
	else
		snprintf(why, whysz, "'%s' killed by signal %d", prog,
		    WTERMSIG(st));
out:
	if (c->in != -1)
		close(c->in);
	if (c->out != -1)
		close(c->out);
	c->in = c->out = -1;
	c->pid = 0;
	return rc;
}

/* Run a program to the end: spawn_prog() then supervise(). */
static int
run_prog(const struct action *act, char *const *argv, char *const *env,
    const char *input, char *why, size_t whysz)
{
	struct child c = { 0, -1, -1, 0 };

	if (spawn_prog(act, argv, env, &c, why, whysz) == -1)
		return -1;
	return supervise(argv[0], act->timeout, &c, input, why, whysz);
}

static void
mail_message(const struct job *j, struct iiot_buf *b)
{
	const struct action *a = j->act;
	char date[64], host[256];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	iiot_buf_addf(b, "From: %s\r\nTo: ", a->from);
	for (i = 0; i < a->nrcpt; i++)
		iiot_buf_addf(b, "%s%s", i ? ", " : "", a->rcpt[i]);
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	iiot_buf_addf(b, "\r\nDate: %s\r\nMessage-ID: <%lld.%ld.%lx@%s>"
	    "\r\nSubject: ", date, (long long)iiot_now_ms(), (long)getpid(),
	    (unsigned long)(uintptr_t)j, host);
	expand(j, a->subject ? a->subject : "[{{severity}}] {{alert}} "
	    "{{state}}: {{source}}/{{sensor}} = {{value}}", 0, b);
	iiot_buf_adds(b, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n");
	for (i = 0; i < j->nenv; i++)
		if (strncmp(j->env[i], "IIOT_", 5) == 0) {
			const char *e = j->env[i] + 5, *v = strchr(e, '=') + 1;
			size_t k;

			for (k = 0; e + k < v - 1; k++)
				iiot_buf_addc(b, e[k] >= 'A' && e[k] <= 'Z' ?
				    e[k] - 'A' + 'a' : e[k]);
			iiot_buf_adds(b, ": ");
			for (k = 0; v[k]; k++)
				iiot_buf_addc(b, (unsigned char)v[k] < ' ' ?
				    ' ' : v[k]);
			iiot_buf_adds(b, "\r\n");
		}
	iiot_buf_addf(b, "\r\nevent: %s\r\n", j->json);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

static size_t
sink_cb(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

/* The first line of a file, for a password. */
static int
read_secret(const char *path, char *buf, size_t n)
{
	FILE *f;

	struct stat st;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	/* A secret that others can read is no secret: refuse it. */
	if (fstat(fileno(f), &st) == -1 || (st.st_mode & S_IROTH)) {
		fclose(f);
		errno = EPERM;
		return -1;
	}
	if (fgets(buf, (int)n, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int
do_smtp(const struct job *j, const char *msg, char *why, size_t whysz)
{
	const struct action *a = j->act;
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, strlen(msg) };
	char pw[512], cerr[CURL_ERROR_SIZE] = "";
	const char *user, *pass;
	CURL *c;
	CURLcode rc;
	size_t i;

	if ((c = curl_easy_init()) == NULL) {
		snprintf(why, whysz, "cannot start libcurl");
		return -1;
	}
	for (i = 0; i < a->nrcpt; i++)
		rcpt = curl_slist_append(rcpt, a->rcpt[i]);
	curl_easy_setopt(c, CURLOPT_URL, a->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, a->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (a->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (a->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, a->cafile);
	user = a->user ? a->user : getenv("IIOT_SMTP_USER");
	pass = getenv("IIOT_SMTP_PASSWORD");
	if (a->pwfile != NULL) {
		if (read_secret(a->pwfile, pw, sizeof(pw)) == -1) {
			snprintf(why, whysz, "cannot read '%s': %s",
			    a->pwfile, errno == EPERM ? "readable by others "
			    "(chmod o-r)" : strerror(errno));
			curl_slist_free_all(rcpt);
			curl_easy_cleanup(c);
			return -1;
		}
		pass = pw;
	}
	if (user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		if (pass != NULL)
			curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	rc = curl_easy_perform(c);
	explicit_bzero(pw, sizeof(pw));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(why, whysz, "%s: %s", a->url, cerr[0] ? cerr :
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

static int
do_webhook(const struct job *j, char *why, size_t whysz)
{
	const struct action *a = j->act;
	struct iiot_buf body = IIOT_BUF_INIT;
	struct curl_slist *h = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURL *c;
	CURLcode rc;
	size_t i;
	int ret = 0;

	if ((c = curl_easy_init()) == NULL) {
		snprintf(why, whysz, "cannot start libcurl");
		return -1;
	}
	expand(j, a->body ? a->body : "{{event}}", 1, &body);
	h = curl_slist_append(h, "Content-Type: application/json");
	for (i = 0; i < a->nhdr; i++)
		h = curl_slist_append(h, a->hdr[i]);
	curl_easy_setopt(c, CURLOPT_URL, a->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_cb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "iiot-alert/" IIOT_VERSION);
	if (a->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, a->cafile);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		snprintf(why, whysz, "%s: %s", a->url, cerr[0] ? cerr :
		    curl_easy_strerror(rc));
		ret = -1;
	} else if (code >= 300) {
		snprintf(why, whysz, "%s: HTTP status %ld", a->url, code);
		ret = -1;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	iiot_buf_release(&body);
	return ret;
}

static int
do_mqtt(const struct job *j, char *why, size_t whysz)
{
	const struct action *a = j->act;
	struct iiot_buf pl = IIOT_BUF_INIT;
	struct mosquitto *m;
	int rc, mid = 0, ret = -1;
	int64_t deadline = iiot_mono_ms() + a->timeout;

	if ((m = mosquitto_new(NULL, true, NULL)) == NULL) {
		snprintf(why, whysz, "cannot make an MQTT client");
		return -1;
	}
	expand(j, a->body ? a->body : "{{event}}", 0, &pl);
	if ((rc = mosquitto_connect(m, a->host, a->port, 10)) !=
	    MOSQ_ERR_SUCCESS) {
		snprintf(why, whysz, "cannot connect to '%s:%d': %s", a->host,
		    a->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) :
		    mosquitto_strerror(rc));
		goto out;
	}
	rc = mosquitto_publish(m, &mid, a->topic, (int)pl.len, pl.data,
	    a->qos, a->retain);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(why, whysz, "cannot publish to '%s': %s", a->topic,
		    mosquitto_strerror(rc));
		goto out;
	}
	/* Run the client until the message is out (and acknowledged). */
	while (iiot_mono_ms() < deadline) {
		rc = mosquitto_loop(m, 100, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			break;
		if (mosquitto_want_write(m) == 0 && a->qos == 0)
			break;
		if (a->qos > 0) {
			/* The in-flight count drops when acknowledged. */
			if (mosquitto_loop_misc(m) == MOSQ_ERR_SUCCESS &&
			    mosquitto_want_write(m) == 0) {
				rc = mosquitto_loop(m, 50, 1);
				break;
			}
		}
	}
	mosquitto_disconnect(m);
	ret = 0;
out:
	mosquitto_destroy(m);
	iiot_buf_release(&pl);
	return ret;
}

/*
 * Log to the syslog socket (RFC 3164 without a timestamp, which the
 * daemon adds): "<PRI>iiot-alert[PID]: ALERT STATE: EVENT".  Done here
 * rather than with syslog(3) so that a failure is seen and retried.
 */
static int
send_syslog(const struct action *a, int pri, const struct job *j, char *why,
    size_t whysz)
{
	struct sockaddr_un sa;
	char buf[4096];
	int fd, n, k, type, e = 0, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, a->logsock, strlen(a->logsock));
	n = snprintf(buf, sizeof(buf), "<%d>iiot-alert[%ld]: %s %s: %s", pri,
	    (long)getpid(), j->alert, j->state, j->json);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	/* A datagram socket, as journald's; a stream one, as some. */
	for (k = 0; k < 2 && rc == -1; k++) {
		type = k == 0 ? SOCK_DGRAM : SOCK_STREAM;
		if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1) {
			e = errno;
			break;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    send(fd, buf, (size_t)n + (type == SOCK_STREAM),
		    MSG_NOSIGNAL) >= 0)
			rc = 0;
		else
			e = errno;
		close(fd);
		if (rc == -1 && e != EPROTOTYPE)
			break;
	}
	if (rc == -1)
		snprintf(why, whysz, "cannot log to '%s': %s", a->logsock,
		    strerror(e));
	return rc;
}

static int
perform(struct job *j, char *why, size_t whysz)
{
	const struct action *a = j->act;
	struct iiot_buf msg = IIOT_BUF_INIT;
	int rc = 0, prio;

	switch (a->kind) {
	case K_EXEC:
		/* The event, as one line of JSON Lines. */
		if (iiot_buf_adds(&msg, j->json) == -1 ||
		    iiot_buf_addc(&msg, '\n') == -1) {
			snprintf(why, whysz, "out of memory");
			return -1;
		}
		if (j->early != NULL && j->early->pid > 0)
			rc = supervise(a->argv[0], a->timeout, j->early,
			    msg.data, why, whysz);
		else
			rc = run_prog(a, a->argv, j->env, msg.data, why,
			    whysz);
		iiot_buf_release(&msg);
		return rc;
	case K_MAIL:
		mail_message(j, &msg);
		if (msg.data == NULL) {
			snprintf(why, whysz, "out of memory");
			return -1;
		}
		if (a->url != NULL)
			rc = do_smtp(j, msg.data, why, whysz);
		else
			rc = run_prog(a, a->argv, j->env, msg.data, why,
			    whysz);
		iiot_buf_release(&msg);
		return rc;
	case K_WEBHOOK:
		return do_webhook(j, why, whysz);
	case K_COIL:
		if (iiot_mb_write_coil(a->url, a->unit, (unsigned)a->addr,
		    j->on, a->timeout < 3000 ? a->timeout : 3000) == -1) {
			snprintf(why, whysz, "cannot write coil %d of unit %d "
			    "at '%s': %s", a->addr, a->unit, a->url,
			    iiot_mb_strerror(errno));
			return -1;
		}
		return 0;
	case K_MQTT:
		return do_mqtt(j, why, whysz);
	case K_SYSLOG:
		prio = strcmp(j->state, "resolved") == 0 ? LOG_NOTICE :
		    strstr(j->json, "\"severity\":\"critical\"") ? LOG_CRIT :
		    strstr(j->json, "\"severity\":\"warning\"") ? LOG_WARNING :
		    LOG_INFO;
		return send_syslog(a, a->facility | prio, j, why, whysz);
	case K_BELL:
		if (write(STDERR_FILENO, "\a", 1) != 1) {
			snprintf(why, whysz, "cannot ring: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct actions *a = arg;
	struct job *j;
	char why[512], name[128], alert[128];
	int64_t backoff;
	int ok, retry;

	while ((j = take(a)) != NULL) {
		why[0] = '\0';
		iiot_debug(1, "action '%s' for alert '%s' %s", j->act->name,
		    j->alert, j->state);
		ok = perform(j, why, sizeof(why)) == 0;
		snprintf(name, sizeof(name), "%s", j->act->name);
		snprintf(alert, sizeof(alert), "%s", j->alert);
		pthread_mutex_lock(&a->mu);
		a->running--;
		retry = 0;
		if (!ok && ++j->tries <= j->act->retries && !a->abandon) {
			retry = j->tries;
			backoff = 1000LL << (j->tries - 1);
			j->due = iiot_mono_ms() + (backoff > 60000 ? 60000 :
			    backoff);
			j->next = a->head;
			a->head = j;
			if (a->tail == NULL)
				a->tail = j;
			a->len++;
			j = NULL;
		} else if (!ok) {
			a->failed++;
		}
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		if (retry)
			iiot_warnx("action '%s' for alert '%s' failed (try %d), "
			    "will retry: %s", name, alert, retry, why);
		else if (!ok)
			iiot_warnx("action '%s' for alert '%s' failed: %s",
			    name, alert, why);
		job_free(j);
	}
	return NULL;
}

unsigned long
actions_free(struct actions *a, int abandon)
{
	struct job *j;
	unsigned long failed;
	size_t i;
	int k;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	if (abandon) {
		/* In a hurry: each waiting job runs once more, at once. */
		a->abandon = 1;
		for (j = a->head; j; j = j->next)
			j->due = 0;
	}
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	for (k = 0; k < a->nth; k++)
		pthread_join(a->th[k], NULL);
	while ((j = a->head) != NULL) {
		a->head = j->next;
		a->failed++;
		job_free(j);
	}
	failed = a->failed;
	for (i = 0; i < a->n; i++)
		action_release(&a->v[i]);
	free(a->v);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
	return failed;
}
