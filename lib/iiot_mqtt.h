/* SPDX-License-Identifier: MIT */
/* iiot_mqtt.h: MQTT client over libmosquitto: URLs, TLS, topic templates. */
#ifndef IIOT_MQTT_H
#define IIOT_MQTT_H

#include <stddef.h>
#include <stdint.h>

struct iiot_buf;
struct iiot_rec;
struct iiot_mqtt;	/* opaque client: a connection that reconnects */
struct iiot_topic;	/* opaque compiled topic template */

/* Default ports of mqtt:// and mqtts:// URLs. */
#define IIOT_MQTT_PORT		1883
#define IIOT_MQTTS_PORT		8883

/* The environment variable that holds the broker password. */
#define IIOT_MQTT_PASSWORD_ENV	"IIOT_MQTT_PASSWORD"

/*
 * A broker URL, mqtt[s]://[user@]host[:port][/topic/filter], split up.
 * The strings are owned by the struct; free them with
 * iiot_mqtt_url_release().
 */
struct iiot_mqtt_url {
	int tls;		/* mqtts:// */
	char *user;		/* NULL when absent */
	char *host;		/* a name, an IPv4 address or [IPv6] inside */
	int port;
	char *topic;		/* the path without its leading '/'; NULL if none */
};

/*
 * Parse a URL into u.  A password in the URL (user:pass@) is refused,
 * since argv is visible to every user of the machine.
 * Returns 0, or -1 with errno EINVAL (not such a URL; *why, when not
 * NULL, says what is wrong with a static string) or ENOMEM.
 */
int iiot_mqtt_url_parse(const char *url, struct iiot_mqtt_url *u,
    const char **why);

/*
 * Free the strings of a parsed URL and zero it.
 */
void iiot_mqtt_url_release(struct iiot_mqtt_url *u);

/*
 * Read the broker password: from the file when file is not NULL (the
 * first line, without its newline), else from IIOT_MQTT_PASSWORD.
 * A file that other users may read is refused: errno EPERM.
 * Returns a string the caller frees, NULL with errno 0 when there is no
 * password, or NULL with errno (EPERM, ENOMEM, or open/read errors).
 */
char *iiot_mqtt_password(const char *file);

/*
 * The broker options that every MQTT program takes, as given on the
 * command line (--cafile, --cert, --key, --insecure, --client-id,
 * --password-file, --qos).  The strings are borrowed, usually from
 * argv.  Start from IIOT_MQTT_OPTS_INIT.
 */
struct iiot_mqtt_opts {
	const char *cafile;		/* CA bundle; NULL: the system's */
	const char *cert, *key;		/* client certificate, key */
	int insecure;			/* do not check the server's name */
	const char *client_id;		/* NULL: a random one */
	const char *password_file;	/* NULL: $IIOT_MQTT_PASSWORD */
	int qos;			/* 0, 1 or 2 */
};

#define IIOT_MQTT_OPTS_INIT	{ .qos = 1 }

/* The getopt_long() values of those options, above a program's own. */
enum {
	IIOT_MQTT_OPT_CAFILE = 0x1000,
	IIOT_MQTT_OPT_CERT,
	IIOT_MQTT_OPT_CLIENT_ID,
	IIOT_MQTT_OPT_INSECURE,
	IIOT_MQTT_OPT_KEY,
	IIOT_MQTT_OPT_PASSWORD_FILE,
	IIOT_MQTT_OPT_QOS,
};

/*
 * The entries of those options for a program's getopt_long() table;
 * iiot_opt_mqtt() (iiot_x.h) stores what they return.
 */
#define IIOT_MQTT_LONGOPTS \
	{ "cafile", required_argument, NULL, IIOT_MQTT_OPT_CAFILE }, \
	{ "cert", required_argument, NULL, IIOT_MQTT_OPT_CERT }, \
	{ "client-id", required_argument, NULL, IIOT_MQTT_OPT_CLIENT_ID }, \
	{ "insecure", no_argument, NULL, IIOT_MQTT_OPT_INSECURE }, \
	{ "key", required_argument, NULL, IIOT_MQTT_OPT_KEY }, \
	{ "password-file", required_argument, NULL, \
	    IIOT_MQTT_OPT_PASSWORD_FILE }, \
	{ "qos", required_argument, NULL, IIOT_MQTT_OPT_QOS }

/*
 * Check that the options o go together with the broker URL u: TLS
 * options need an mqtts:// URL, and --cert needs --key and back.
 * Returns 0, or -1 with errno EINVAL and *why (when not NULL) set to a
 * static message for a usage error.
 */
int iiot_mqtt_opts_check(const struct iiot_mqtt_opts *o,
    const struct iiot_mqtt_url *u, const char **why);

/*
 * Return the TLS file to name when iiot_mqtt_new() failed with ENOENT
 * or EACCES: the first of o's CA, certificate and key files that cannot
 * be read (the key, which is read last, when the others can).  Returns
 * a string owned by o, or "?" when o names no TLS file.  errno is that
 * of the failed access(2) when a file cannot be read, else unchanged.
 */
const char *iiot_mqtt_opts_tls_file(const struct iiot_mqtt_opts *o);

/*
 * Read the password of o, as iiot_mqtt_password() does with its
 * --password-file (else IIOT_MQTT_PASSWORD), into *password (a string
 * the caller frees, or NULL when there is none).  Returns 0, or -1 with
 * errno set and err (n bytes) saying why: "cannot use password file
 * 'F': other users can read it (chmod 600)" or "cannot read password
 * file 'F': why".
 */
int iiot_mqtt_opts_password(const struct iiot_mqtt_opts *o,
    char **password, char *err, size_t n);

/*
 * How to reach a broker.  All strings are borrowed and must outlive
 * the client.  Zero the struct, then set what is needed.
 */
struct iiot_mqtt_conf {
	const char *host;
	int port;
	int tls;			/* TLS; certificates checked */
	const char *cafile;		/* CA bundle; NULL: the system's */
	const char *cert, *key;		/* client certificate, key */
	int insecure;			/* do not check the server's name */
	const char *user, *password;
	const char *client_id;		/* NULL: a random one */
	int clean_session;		/* 0: persistent session */
	int keepalive;			/* seconds; 0 means 30 */
	int max_inflight;		/* QoS >= 1 messages in flight; 0: 20;
					 * QoS 2: at most the broker's limit
					 * (mosquitto drops a client that sends
					 * more than 20) */
	const char *will_topic;		/* last will, or NULL */
	const char *will_payload;
	int will_qos, will_retain;
	const char *const *topics;	/* subscribed on every connect */
	size_t ntopics;
	int sub_qos;

	/*
	 * Callbacks, called from iiot_mqtt_poll() only, never from a
	 * signal handler or another thread.  Any may be NULL.
	 * on_connect: the session is up (subscriptions already sent);
	 *   session_present tells whether the broker kept our session.
	 * on_disconnect: the connection was lost or closed.
	 * on_message: topic is a C string; payload has len bytes followed
	 *   by a NUL; both are valid during the call only.
	 * on_publish: the message with this id has left (QoS 0) or was
	 *   acknowledged by the broker (QoS 1 and 2).
	 */
	void (*on_connect)(void *arg, int session_present);
	void (*on_disconnect)(void *arg);
	void (*on_message)(void *arg, const char *topic,
	    const char *payload, size_t len);
	void (*on_publish)(void *arg, int mid);
	void *arg;
};

/*
 * Set up c to reach the broker of URL u with the options o and the
 * password (NULL for none): every other field is zeroed, except
 * clean_session, which is 1.  The caller then sets its callbacks,
 * topics and the like.  c borrows the strings of o, u and password,
 * which must outlive the client.
 */
void iiot_mqtt_conf_init(struct iiot_mqtt_conf *c,
    const struct iiot_mqtt_opts *o, const struct iiot_mqtt_url *u,
    const char *password);

/* States of a client, as returned by iiot_mqtt_state(). */
#define IIOT_MQTT_DOWN		0	/* not connected; retrying */
#define IIOT_MQTT_CONNECTING	1	/* TCP up, waiting for CONNACK */
#define IIOT_MQTT_UP		2	/* connected */

/*
 * Make a client for conf.  Nothing is sent before iiot_mqtt_poll().
 * Checks the TLS files now: a missing or unreadable file is errno ENOENT
 * or EACCES and iiot_mqtt_error() is not available (the caller names
 * the file).
 * Returns a client owned by the caller (free with iiot_mqtt_free), or
 * NULL with errno ENOMEM, EINVAL, ENOENT, EACCES.
 */
struct iiot_mqtt *iiot_mqtt_new(const struct iiot_mqtt_conf *conf);

/*
 * Run the client for at most timeout_ms (<= 1000 is advised): connect
 * or reconnect when due (backoff doubling from 250 ms to cap_ms), send
 * and receive, call the callbacks.  When fd >= 0 it is watched too, and
 * the call returns as soon as it is readable.  The caller flushes its
 * output before calling with a timeout.
 * Returns 1 when fd is readable, 0 otherwise, or -1 with errno:
 *   EINTR: a signal arrived;
 *   IIOT_EMQTT: a fatal refusal (bad user or password, not authorized,
 *     certificate not trusted): see iiot_mqtt_error(); the client does
 *     not retry.
 */
int iiot_mqtt_poll(struct iiot_mqtt *m, int fd, int timeout_ms);

/*
 * Set the longest wait between two connection attempts (default 30 s).
 */
void iiot_mqtt_set_backoff(struct iiot_mqtt *m, int64_t cap_ms);

/*
 * Return the state: IIOT_MQTT_DOWN, IIOT_MQTT_CONNECTING, IIOT_MQTT_UP.
 */
int iiot_mqtt_state(const struct iiot_mqtt *m);

/*
 * Return the number of times the session came up.
 */
unsigned long iiot_mqtt_connects(const struct iiot_mqtt *m);

/*
 * Return the last connection error as a static or client-owned string
 * ("Connection refused", "not authorized"), or "" when none; valid
 * until the next call on m.
 */
const char *iiot_mqtt_error(const struct iiot_mqtt *m);

/*
 * Publish a message.  Only while IIOT_MQTT_UP.
 * mid: receives the message id that on_publish will report; may be NULL.
 * Returns 0, or -1 with errno ENOTCONN (not connected: keep the message
 * and try later), EMSGSIZE, EINVAL or ENOMEM.
 */
int iiot_mqtt_publish(struct iiot_mqtt *m, const char *topic,
    const void *payload, size_t len, int qos, int retain, int *mid);

/*
 * Return the number of messages handed to the library and not yet sent
 * or acknowledged.
 */
size_t iiot_mqtt_pending(const struct iiot_mqtt *m);

/*
 * Disconnect cleanly (no last will) and wait up to timeout_ms for the
 * DISCONNECT to leave.  Returns 0.
 */
int iiot_mqtt_disconnect(struct iiot_mqtt *m, int timeout_ms);

/*
 * Free a client; it disconnects first when still connected (without
 * waiting).  NULL is allowed.
 */
void iiot_mqtt_free(struct iiot_mqtt *m);

/*
 * Return "libmosquitto X.Y.Z" for --version; a static string.
 */
const char *iiot_mqtt_version(void);

/*
 * Compile a topic template such as "plant/{location}/{source}/{sensor}":
 * levels separated by '/', each a literal or one "{field}".
 * Returns a template owned by the caller (free with iiot_topic_free), or
 * NULL with errno EINVAL (an unclosed brace, an empty or misplaced
 * field, a wildcard) or ENOMEM.
 */
struct iiot_topic *iiot_topic_new(const char *tmpl);

/*
 * Build the topic of record r into out (appended, NUL-terminated).
 * A field that is a number is written in its shortest form; characters
 * that MQTT reserves in a topic level ('/', '+', '#') become '_'.
 * Returns 0, or -1 with errno ENOENT when a field is missing or empty
 * (*missing, when not NULL, is set to its name, owned by t), or ENOMEM.
 */
int iiot_topic_build(const struct iiot_topic *t, const struct iiot_rec *r,
    struct iiot_buf *out, const char **missing);

/*
 * Match a received topic against the template.  On a match, each field
 * the template names is passed to set(arg, name, value) in order.
 * Returns 1 on a match, 0 otherwise.
 */
int iiot_topic_match(const struct iiot_topic *t, const char *topic,
    void (*set)(void *arg, const char *name, const char *value),
    void *arg);

/*
 * Return the subscription filter of the template: each field level
 * becomes '+' ("plant/+/+/+").  Owned by t.
 */
const char *iiot_topic_filter(const struct iiot_topic *t);

/*
 * Free a template.  NULL is allowed.
 */
void iiot_topic_free(struct iiot_topic *t);

#endif /* IIOT_MQTT_H */
