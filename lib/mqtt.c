/* SPDX-License-Identifier: MIT */
/* mqtt.c: MQTT client over libmosquitto: URLs, TLS, topic templates. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_mqtt.h"
#include "iiot_rec.h"
#include "iiot_time.h"

#define BACKOFF_MIN	250		/* ms */
#define BACKOFF_CAP	30000		/* ms */
#define PROBE_MS	1000		/* TCP connect timeout */
#define CONNACK_MS	10000		/* wait for CONNACK at most */

struct iiot_mqtt {
	struct mosquitto *mosq;
	struct iiot_mqtt_conf c;
	int state;
	int fatal;
	int64_t next_try;	/* mono ms of the next connection attempt */
	int64_t deadline;	/* mono ms: give up waiting for CONNACK */
	int64_t backoff, cap;
	unsigned long connects;
	size_t pending;
	char err[256];
	char tlserr[256];
};

static int lib_users;

/* ---- URLs and passwords ---- */

static char *
dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
iiot_mqtt_url_release(struct iiot_mqtt_url *u)
{
	free(u->user);
	free(u->host);
	free(u->topic);
	memset(u, 0, sizeof(*u));
}

static int
url_fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	errno = EINVAL;
	return -1;
}

int
iiot_mqtt_url_parse(const char *url, struct iiot_mqtt_url *u,
    const char **why)
{
	const char *p, *at, *slash, *hend, *colon;
	long port;
	char *end;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "mqtt://", 7) == 0) {
		p = url + 7;
		u->port = IIOT_MQTT_PORT;
	} else if (strncmp(url, "mqtts://", 8) == 0) {
		p = url + 8;
		u->tls = 1;
		u->port = IIOT_MQTTS_PORT;
	} else
		return url_fail(why, "not an mqtt:// or mqtts:// URL");
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	at = memchr(p, '@', (size_t)(slash - p));
	if (at != NULL) {
		if (memchr(p, ':', (size_t)(at - p)) != NULL)
			return url_fail(why, "a password does not belong in "
			    "a URL: use --password-file or "
			    IIOT_MQTT_PASSWORD_ENV);
		if (at == p)
			return url_fail(why, "empty user name");
		if ((u->user = dupn(p, (size_t)(at - p))) == NULL)
			goto nomem;
		p = at + 1;
	}
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(slash - p));
		if (hend == NULL) {
			iiot_mqtt_url_release(u);
			return url_fail(why, "unclosed '[' in host");
		}
		u->host = dupn(p + 1, (size_t)(hend - p - 1));
		colon = hend + 1 < slash && hend[1] == ':' ? hend + 1 : NULL;
		if (hend + 1 < slash && colon == NULL) {
			iiot_mqtt_url_release(u);
			return url_fail(why, "junk after ']' in host");
		}
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hend = colon != NULL ? colon : slash;
		u->host = dupn(p, (size_t)(hend - p));
	}
	if (u->host == NULL)
		goto nomem;
	if (u->host[0] == '\0') {
		iiot_mqtt_url_release(u);
		return url_fail(why, "no host");
	}
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (end != slash || colon + 1 == slash || errno != 0 ||
		    port < 1 || port > 65535) {
			iiot_mqtt_url_release(u);
			return url_fail(why, "bad port");
		}
		u->port = (int)port;
	}
	if (*slash == '/' && slash[1] != '\0') {
		if ((u->topic = strdup(slash + 1)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	iiot_mqtt_url_release(u);
	errno = ENOMEM;
	return -1;
}

char *
iiot_mqtt_password(const char *file)
{
	struct stat st;
	char buf[1024], *nl, *pw;
	const char *env;
	ssize_t n;
	size_t len = 0;
	int fd, e;

	if (file == NULL) {
		env = getenv(IIOT_MQTT_PASSWORD_ENV);
		if (env == NULL) {
			errno = 0;
			return NULL;
		}
		return strdup(env);
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (st.st_mode & S_IROTH) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if ((nl = strchr(buf, '\r')) != NULL)
		*nl = '\0';
	pw = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
fail:
	e = errno;
	close(fd);
	errno = e;
	return NULL;
}

/* ---- the client ---- */

static void
set_err(struct iiot_mqtt *m, const char *msg)
{
	snprintf(m->err, sizeof(m->err), "%s", msg);
}

static void
schedule_retry(struct iiot_mqtt *m)
{
	m->next_try = iiot_mono_ms() + m->backoff;
	m->backoff *= 2;
	if (m->backoff > m->cap)
		m->backoff = m->cap;
}

static void
went_down(struct iiot_mqtt *m)
{
	int was = m->state;

	if (was == IIOT_MQTT_DOWN)
		return;
	m->state = IIOT_MQTT_DOWN;
	m->pending = 0;
	schedule_retry(m);
	if (was == IIOT_MQTT_UP && m->c.on_disconnect != NULL)
		m->c.on_disconnect(m->c.arg);
}

static void
cb_connect(struct mosquitto *mosq, void *obj, int rc, int flags)
{
	struct iiot_mqtt *m = obj;
	size_t i;

	if (rc != 0) {
		set_err(m, rc == 4 ? "refused: bad user name or password" :
		    rc == 5 ? "refused: not authorized (check the user name "
		    "and password)" : mosquitto_connack_string(rc));
		/* Credentials and authorization do not fix themselves. */
		if (rc == 4 || rc == 5)
			m->fatal = 1;
		return;
	}
	m->state = IIOT_MQTT_UP;
	m->backoff = BACKOFF_MIN;
	m->connects++;
	m->err[0] = '\0';
	for (i = 0; i < m->c.ntopics; i++)
		mosquitto_subscribe(mosq, NULL, m->c.topics[i], m->c.sub_qos);
	if (m->c.on_connect != NULL)
		m->c.on_connect(m->c.arg, flags & 1);
}

static void
cb_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct iiot_mqtt *m = obj;

	(void)mosq;
	if (rc != 0 && m->err[0] == '\0')
		set_err(m, "connection lost");
	went_down(m);
}

static void
cb_message(struct mosquitto *mosq, void *obj,
    const struct mosquitto_message *msg)
{
	struct iiot_mqtt *m = obj;

	(void)mosq;
	if (m->c.on_message != NULL)
		m->c.on_message(m->c.arg, msg->topic,
		    msg->payload != NULL ? msg->payload : "",
		    (size_t)msg->payloadlen);
}

static void
cb_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct iiot_mqtt *m = obj;

	(void)mosq;
	if (m->pending > 0)
		m->pending--;
	if (m->c.on_publish != NULL)
		m->c.on_publish(m->c.arg, mid);
}

/* Keep the library's TLS complaints: they say why a handshake failed. */
static void
cb_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
	struct iiot_mqtt *m = obj;
	const char *p;

	(void)mosq;
	(void)level;
	if (strstr(str, "OpenSSL Error") == NULL &&
	    strstr(str, "certificate") == NULL)
		return;
	/* "OpenSSL Error[0]: error:0A000086:SSL routines::certificate..." */
	if ((p = strstr(str, "::")) != NULL)
		str = p + 2;
	if (strstr(str, "verify failed") != NULL)
		snprintf(m->tlserr, sizeof(m->tlserr), "TLS: %s (is the "
		    "broker's certificate signed by --cafile?)", str);
	else if (m->tlserr[0] == '\0')
		snprintf(m->tlserr, sizeof(m->tlserr), "TLS: %s", str);
}

static int
readable(const char *path)
{
	if (path != NULL && access(path, R_OK) < 0)
		return -1;
	return 0;
}

struct iiot_mqtt *
iiot_mqtt_new(const struct iiot_mqtt_conf *conf)
{
	struct iiot_mqtt *m;

	if (conf->host == NULL || conf->port <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if (readable(conf->cafile) < 0 || readable(conf->cert) < 0 ||
	    readable(conf->key) < 0)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->c = *conf;
	if (m->c.keepalive <= 0)
		m->c.keepalive = 30;
	if (m->c.max_inflight <= 0)
		m->c.max_inflight = 20;
	m->state = IIOT_MQTT_DOWN;
	m->backoff = BACKOFF_MIN;
	m->cap = BACKOFF_CAP;
	m->next_try = 0;
	if (lib_users++ == 0)
		mosquitto_lib_init();
	return m;
}

void
iiot_mqtt_set_backoff(struct iiot_mqtt *m, int64_t cap_ms)
{
	m->cap = cap_ms < BACKOFF_MIN ? BACKOFF_MIN : cap_ms;
}

int
iiot_mqtt_state(const struct iiot_mqtt *m)
{
	return m->state;
}

unsigned long
iiot_mqtt_connects(const struct iiot_mqtt *m)
{
	return m->connects;
}

const char *
iiot_mqtt_error(const struct iiot_mqtt *m)
{
	return m->err;
}

size_t
iiot_mqtt_pending(const struct iiot_mqtt *m)
{
	return m->pending;
}

int
iiot_mqtt_opts_check(const struct iiot_mqtt_opts *o,
    const struct iiot_mqtt_url *u, const char **why)
{
	const char *msg = NULL;

	if (!u->tls && (o->cafile || o->cert || o->key || o->insecure))
		msg = "TLS options need an mqtts:// URL";
	else if ((o->cert == NULL) != (o->key == NULL))
		msg = "--cert and --key go together";
	if (msg == NULL)
		return 0;
	if (why != NULL)
		*why = msg;
	errno = EINVAL;
	return -1;
}

const char *
iiot_mqtt_opts_tls_file(const struct iiot_mqtt_opts *o)
{
	if (o->cafile != NULL && access(o->cafile, R_OK) < 0)
		return o->cafile;
	if (o->cert != NULL && access(o->cert, R_OK) < 0)
		return o->cert;
	return o->key != NULL ? o->key : "?";
}

int
iiot_mqtt_opts_password(const struct iiot_mqtt_opts *o, char **password,
    char *err, size_t n)
{
	int e;

	errno = 0;
	if ((*password = iiot_mqtt_password(o->password_file)) != NULL ||
	    errno == 0)
		return 0;
	e = errno;
	if (e == EPERM)
		snprintf(err, n, "cannot use password file '%s': other users "
		    "can read it (chmod 600)", o->password_file);
	else
		snprintf(err, n, "cannot read password file '%s': %s",
		    o->password_file != NULL ? o->password_file : "?",
		    strerror(e));
	errno = e;
	return -1;
}

void
iiot_mqtt_conf_init(struct iiot_mqtt_conf *c, const struct iiot_mqtt_opts *o,
    const struct iiot_mqtt_url *u, const char *password)
{
	memset(c, 0, sizeof(*c));
	c->host = u->host;
	c->port = u->port;
	c->tls = u->tls;
	c->cafile = o->cafile;
	c->cert = o->cert;
	c->key = o->key;
	c->insecure = o->insecure;
	c->user = u->user;
	c->password = password;
	c->client_id = o->client_id;
	c->clean_session = 1;
}

const char *
iiot_mqtt_version(void)
{
	static char buf[48];
	int a, b, c;

	mosquitto_lib_version(&a, &b, &c);
	snprintf(buf, sizeof(buf), "libmosquitto %d.%d.%d", a, b, c);
	return buf;
}

/*
 * libmosquitto connects with a blocking connect(2), which can hang for
 * minutes on a silent network.  A non-blocking probe with a short
 * timeout first keeps every wait of the program under a second.
 */
static int
probe(struct iiot_mqtt *m)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char port[16];
	socklen_t sl;
	int fd, e = ECONNREFUSED, rc, soerr;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", m->c.port);
	if ((rc = getaddrinfo(m->c.host, port, &hints, &res)) != 0) {
		snprintf(m->err, sizeof(m->err), "%s", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, PROBE_MS);
			if (rc == 0) {
				errno = ETIMEDOUT;
				rc = -1;
			} else if (rc > 0) {
				sl = sizeof(soerr);
				soerr = 0;
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
				    &sl);
				errno = soerr;
				rc = soerr ? -1 : 0;
			}
		}
		e = errno;
		close(fd);
		if (rc == 0) {
			freeaddrinfo(res);
			return 0;
		}
	}
	freeaddrinfo(res);
	set_err(m, strerror(e));
	return -1;
}

/* Set up a new libmosquitto client: a fresh one for every connection. */
static int
setup(struct iiot_mqtt *m)
{
	struct mosquitto *mq;
	int rc;

	if (m->mosq != NULL) {
		mosquitto_destroy(m->mosq);
		m->mosq = NULL;
	}
	mq = mosquitto_new(m->c.client_id,
	    m->c.client_id == NULL ? true : m->c.clean_session != 0, m);
	if (mq == NULL) {
		set_err(m, strerror(errno));
		return -1;
	}
	m->mosq = mq;
	mosquitto_int_option(mq, MOSQ_OPT_PROTOCOL_VERSION,
	    MQTT_PROTOCOL_V311);
	mosquitto_connect_with_flags_callback_set(mq, cb_connect);
	mosquitto_disconnect_callback_set(mq, cb_disconnect);
	mosquitto_message_callback_set(mq, cb_message);
	mosquitto_publish_callback_set(mq, cb_publish);
	mosquitto_log_callback_set(mq, cb_log);
	mosquitto_max_inflight_messages_set(mq,
	    (unsigned)m->c.max_inflight);
	/* Acknowledgements are small writes: Nagle would hold them. */
	mosquitto_int_option(mq, MOSQ_OPT_TCP_NODELAY, 1);
	if (m->c.tls) {
		if (m->c.cafile == NULL)
			mosquitto_int_option(mq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		rc = mosquitto_tls_set(mq, m->c.cafile,
		    m->c.cafile == NULL ? "/etc/ssl/certs" : NULL,
		    m->c.cert, m->c.key, NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			set_err(m, mosquitto_strerror(rc));
			m->fatal = 1;
			return -1;
		}
		mosquitto_tls_insecure_set(mq, m->c.insecure != 0);
	}
	if (m->c.user != NULL)
		mosquitto_username_pw_set(mq, m->c.user, m->c.password);
	if (m->c.will_topic != NULL)
		mosquitto_will_set(mq, m->c.will_topic,
		    (int)strlen(m->c.will_payload), m->c.will_payload,
		    m->c.will_qos, m->c.will_retain != 0);
	return 0;
}

static void
try_connect(struct iiot_mqtt *m)
{
	int rc;

	m->tlserr[0] = '\0';
	if (probe(m) < 0 || setup(m) < 0) {
		schedule_retry(m);
		return;
	}
	rc = mosquitto_connect(m->mosq, m->c.host, m->c.port,
	    m->c.keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		if (rc == MOSQ_ERR_ERRNO)
			set_err(m, strerror(errno));
		else if (rc == MOSQ_ERR_TLS && m->tlserr[0] != '\0')
			set_err(m, m->tlserr);
		else
			set_err(m, mosquitto_strerror(rc));
		/* A certificate that is not trusted stays so. */
		if (rc == MOSQ_ERR_TLS)
			m->fatal = 1;
		schedule_retry(m);
		return;
	}
	m->state = IIOT_MQTT_CONNECTING;
	m->deadline = iiot_mono_ms() + CONNACK_MS;
}

/* The connection failed while in use or while connecting. */
static void
lost(struct iiot_mqtt *m, int rc)
{
	if (m->state == IIOT_MQTT_CONNECTING && m->tlserr[0] != '\0') {
		set_err(m, m->tlserr);
		m->fatal = 1;
	} else if (rc == MOSQ_ERR_ERRNO)
		set_err(m, strerror(errno));
	else if (m->fatal == 0 && m->err[0] == '\0')
		set_err(m, mosquitto_strerror(rc));
	if (m->state != IIOT_MQTT_DOWN)
		went_down(m);
}

int
iiot_mqtt_poll(struct iiot_mqtt *m, int fd, int timeout_ms)
{
	struct pollfd pfd[2];
	int64_t now;
	int n = 0, sock = -1, r, rc, wait = timeout_ms, fd_ready = 0;

	if (m->fatal) {
		errno = IIOT_EMQTT;
		return -1;
	}
	now = iiot_mono_ms();
	if (m->state == IIOT_MQTT_DOWN && now >= m->next_try) {
		try_connect(m);
		if (m->fatal) {
			errno = IIOT_EMQTT;
			return -1;
		}
		now = iiot_mono_ms();
	}
	if (m->state == IIOT_MQTT_CONNECTING && now >= m->deadline) {
		set_err(m, "no answer to CONNECT");
		mosquitto_disconnect(m->mosq);
		went_down(m);
	}
	/* Nothing else to watch: one wait, in the library's own loop. */
	if (fd < 0 && m->state != IIOT_MQTT_DOWN && m->mosq != NULL &&
	    mosquitto_socket(m->mosq) >= 0) {
		rc = mosquitto_loop(m->mosq, wait, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			lost(m, rc);
		if (m->fatal) {
			errno = IIOT_EMQTT;
			return -1;
		}
		return 0;
	}
	if (fd >= 0) {
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		n++;
	}
	if (m->state != IIOT_MQTT_DOWN && m->mosq != NULL &&
	    (sock = mosquitto_socket(m->mosq)) >= 0) {
		pfd[n].fd = sock;
		pfd[n].events = POLLIN;
		if (mosquitto_want_write(m->mosq))
			pfd[n].events |= POLLOUT;
		n++;
	} else if (wait > m->next_try - now) {
		wait = (int)(m->next_try - now);
		if (wait < 0)
			wait = 0;
	}
	r = poll(pfd, (nfds_t)n, wait);
	if (r < 0)
		return -1;
	if (fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
		fd_ready = 1;
	if (sock >= 0) {
		rc = mosquitto_loop(m->mosq, 0, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			lost(m, rc);
	}
	if (m->fatal) {
		errno = IIOT_EMQTT;
		return -1;
	}
	return fd_ready;
}

int
iiot_mqtt_publish(struct iiot_mqtt *m, const char *topic,
    const void *payload, size_t len, int qos, int retain, int *mid)
{
	int rc;

	if (m->state != IIOT_MQTT_UP) {
		errno = ENOTCONN;
		return -1;
	}
	if (len > INT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	rc = mosquitto_publish(m->mosq, mid, topic, (int)len, payload, qos,
	    retain != 0);
	switch (rc) {
	case MOSQ_ERR_SUCCESS:
		m->pending++;
		return 0;
	case MOSQ_ERR_NOMEM:
		errno = ENOMEM;
		return -1;
	case MOSQ_ERR_PAYLOAD_SIZE:
	case MOSQ_ERR_OVERSIZE_PACKET:
		errno = EMSGSIZE;
		return -1;
	case MOSQ_ERR_INVAL:
	case MOSQ_ERR_MALFORMED_UTF8:
		errno = EINVAL;
		return -1;
	default:
		errno = ENOTCONN;
		return -1;
	}
}

int
iiot_mqtt_disconnect(struct iiot_mqtt *m, int timeout_ms)
{
	int64_t end = iiot_mono_ms() + timeout_ms;

	if (m->mosq == NULL || m->state == IIOT_MQTT_DOWN)
		return 0;
	mosquitto_disconnect(m->mosq);
	while (m->state != IIOT_MQTT_DOWN && iiot_mono_ms() < end) {
		if (mosquitto_loop(m->mosq, 100, 1) != MOSQ_ERR_SUCCESS)
			break;
	}
	m->state = IIOT_MQTT_DOWN;
	return 0;
}

void
iiot_mqtt_free(struct iiot_mqtt *m)
{
	if (m == NULL)
		return;
	if (m->mosq != NULL) {
		if (m->state != IIOT_MQTT_DOWN)
			mosquitto_disconnect(m->mosq);
		mosquitto_destroy(m->mosq);
	}
	free(m);
	if (--lib_users == 0)
		mosquitto_lib_cleanup();
}

/* ---- topic templates ---- */

struct level {
	char *text;		/* literal text, or the field name */
	int field;
};

struct iiot_topic {
	struct level *lv;
	size_t n;
	char *filter;
};

void
iiot_topic_free(struct iiot_topic *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->lv[i].text);
	free(t->lv);
	free(t->filter);
	free(t);
}

struct iiot_topic *
iiot_topic_new(const char *tmpl)
{
	struct iiot_topic *t;
	struct iiot_buf f = IIOT_BUF_INIT;
	const char *p = tmpl, *e;
	size_t n = 1, len;
	struct level *lv;

	for (e = tmpl; *e != '\0'; e++)
		if (*e == '/')
			n++;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->lv = calloc(n, sizeof(*t->lv))) == NULL)
		goto nomem;
	for (;;) {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		lv = &t->lv[t->n];
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			lv->field = 1;
			lv->text = dupn(p + 1, len - 2);
		} else
			lv->text = dupn(p, len);
		if (lv->text == NULL)
			goto nomem;
		t->n++;
		if (strpbrk(lv->text, "{}+#") != NULL ||
		    (lv->field && lv->text[0] == '\0'))
			goto inval;
		if (t->n > 1 && iiot_buf_addc(&f, '/') < 0)
			goto nomem;
		if (iiot_buf_adds(&f, lv->field ? "+" : lv->text) < 0)
			goto nomem;
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (f.data == NULL && iiot_buf_adds(&f, "") < 0)
		goto nomem;
	t->filter = f.data;
	return t;
inval:
	iiot_buf_release(&f);
	iiot_topic_free(t);
	errno = EINVAL;
	return NULL;
nomem:
	iiot_buf_release(&f);
	iiot_topic_free(t);
	errno = ENOMEM;
	return NULL;
}

const char *
iiot_topic_filter(const struct iiot_topic *t)
{
	return t->filter;
}

int
iiot_topic_build(const struct iiot_topic *t, const struct iiot_rec *r,
    struct iiot_buf *out, const char **missing)
{
	size_t i, start;
	const char *s;
	double d;
	char *p;

	for (i = 0; i < t->n; i++) {
		if (i > 0 && iiot_buf_addc(out, '/') < 0)
			return -1;
		if (!t->lv[i].field) {
			if (iiot_buf_adds(out, t->lv[i].text) < 0)
				return -1;
			continue;
		}
		start = out->len;
		if ((s = iiot_rec_str(r, t->lv[i].text)) != NULL) {
			if (iiot_buf_adds(out, s) < 0)
				return -1;
		} else if (iiot_rec_num(r, t->lv[i].text, &d) == 0) {
			if (iiot_buf_add_json_num(out, d) < 0)
				return -1;
		}
		if (out->len == start) {
			if (missing != NULL)
				*missing = t->lv[i].text;
			errno = ENOENT;
			return -1;
		}
		for (p = out->data + start; p < out->data + out->len; p++)
			if (*p == '/' || *p == '+' || *p == '#')
				*p = '_';
	}
	if (out->data == NULL && iiot_buf_adds(out, "") < 0)
		return -1;
	return 0;
}

int
iiot_topic_match(const struct iiot_topic *t, const char *topic,
    void (*set)(void *arg, const char *name, const char *value),
    void *arg)
{
	char buf[512];
	const char *p = topic, *e;
	size_t i, len;

	/* First check, then call: a mismatch sets nothing. */
	for (i = 0; i < t->n; i++) {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (!t->lv[i].field && (strlen(t->lv[i].text) != len ||
		    memcmp(t->lv[i].text, p, len) != 0))
			return 0;
		if ((e == NULL) != (i == t->n - 1))
			return 0;
		if (e != NULL)
			p = e + 1;
	}
	p = topic;
	for (i = 0; i < t->n; i++) {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (t->lv[i].field && len > 0 && len < sizeof(buf)) {
			memcpy(buf, p, len);
			buf[len] = '\0';
			set(arg, t->lv[i].text, buf);
		}
		if (e != NULL)
			p = e + 1;
	}
	return 1;
}
