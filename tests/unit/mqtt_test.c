/* SPDX-License-Identifier: MIT */
/* mqtt_test.c: unit tests for broker URLs, passwords and topic templates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_mqtt.h"
#include "iiot_rec.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *url;
	int ok;			/* parses */
	int tls, port;
	const char *user, *host, *topic;
} url_cases[] = {
	{ "mqtt://broker", 1, 0, 1883, NULL, "broker", NULL },	/* bare */
	{ "mqtts://broker", 1, 1, 8883, NULL, "broker", NULL },	/* TLS port */
	{ "mqtt://h:1884/a/+/#", 1, 0, 1884, NULL, "h", "a/+/#" }, /* all */
	{ "mqtts://edge1@h/plant/#", 1, 1, 8883, "edge1", "h",	/* a user */
	    "plant/#" },
	{ "mqtt://[::1]:1999/t", 1, 0, 1999, NULL, "::1", "t" },	/* IPv6 */
	{ "mqtt://h/", 1, 0, 1883, NULL, "h", NULL },		/* empty path */
	{ "mqtt://u:pw@h", 0, 0, 0, NULL, NULL, NULL },		/* password */
	{ "mqtt://h:0", 0, 0, 0, NULL, NULL, NULL },		/* port 0 */
	{ "mqtt://h:70000", 0, 0, 0, NULL, NULL, NULL },	/* port range */
	{ "mqtt://h:12x", 0, 0, 0, NULL, NULL, NULL },		/* port junk */
	{ "mqtt://", 0, 0, 0, NULL, NULL, NULL },		/* no host */
	{ "mqtt://@h", 0, 0, 0, NULL, NULL, NULL },		/* empty user */
	{ "http://h", 0, 0, 0, NULL, NULL, NULL },		/* other scheme */
	{ "mqtt://[::1", 0, 0, 0, NULL, NULL, NULL },		/* open [ */
};

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
test_urls(void)
{
	struct iiot_mqtt_url u;
	char desc[128];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(url_cases); i++) {
		snprintf(desc, sizeof(desc), "url %s", url_cases[i].url);
		rc = iiot_mqtt_url_parse(url_cases[i].url, &u, NULL);
		if (!url_cases[i].ok) {
			tap_ok(rc < 0 && errno == EINVAL, desc);
			continue;
		}
		tap_ok(rc == 0 && u.tls == url_cases[i].tls &&
		    u.port == url_cases[i].port &&
		    same(u.user, url_cases[i].user) &&
		    same(u.host, url_cases[i].host) &&
		    same(u.topic, url_cases[i].topic), desc);
		iiot_mqtt_url_release(&u);
	}
}

static const struct {
	const char *tmpl;
	const char *filter;	/* NULL: the template is refused */
} tmpl_cases[] = {
	{ "plant/{location}/{source}/{sensor}", "plant/+/+/+" },	/* usual */
	{ "iiot/{source}/{sensor}", "iiot/+/+" },		/* default */
	{ "fixed/topic", "fixed/topic" },			/* no field */
	{ "{sensor}", "+" },					/* one level */
	{ "a/{}/b", NULL },					/* empty name */
	{ "a/{x", NULL },					/* unclosed */
	{ "a/x}/b", NULL },					/* stray } */
	{ "a/+/b", NULL },					/* wildcard */
	{ "a/#", NULL },					/* wildcard */
	{ "a/pre{x}", NULL },					/* part level */
};

static void
test_templates(void)
{
	struct iiot_topic *t;
	char desc[128];
	size_t i;

	for (i = 0; i < NELEM(tmpl_cases); i++) {
		snprintf(desc, sizeof(desc), "template %s", tmpl_cases[i].tmpl);
		t = iiot_topic_new(tmpl_cases[i].tmpl);
		if (tmpl_cases[i].filter == NULL)
			tap_ok(t == NULL && errno == EINVAL, desc);
		else
			tap_ok(t != NULL && strcmp(iiot_topic_filter(t),
			    tmpl_cases[i].filter) == 0, desc);
		iiot_topic_free(t);
	}
}

static const struct {
	const char *tmpl;
	const char *record;
	const char *topic;	/* NULL: a field is missing */
} build_cases[] = {
	{ "plant/{location}/{source}/{sensor}",			/* usual */
	  "{\"source\":\"press1\",\"sensor\":\"oil_temp\",\"value\":1,"
	  "\"location\":\"hall-A\"}", "plant/hall-A/press1/oil_temp" },
	{ "x/{source}/{sensor}",				/* reserved */
	  "{\"source\":\"a/b+c#\",\"sensor\":\"s\",\"value\":1}",
	  "x/a_b_c_/s" },
	{ "x/{line}/{sensor}",					/* a number */
	  "{\"sensor\":\"s\",\"value\":1,\"line\":7}", "x/7/s" },
	{ "x/{location}/{sensor}",				/* missing */
	  "{\"sensor\":\"s\",\"value\":1}", NULL },
	{ "x/{source}/{sensor}",				/* empty */
	  "{\"source\":\"\",\"sensor\":\"s\",\"value\":1}", NULL },
};

static void
test_build(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct iiot_topic *t;
	struct iiot_rec r;
	const char *missing;
	char desc[160];
	size_t i;
	int rc;

	iiot_rec_init(&r);
	for (i = 0; i < NELEM(build_cases); i++) {
		snprintf(desc, sizeof(desc), "build %s from %s",
		    build_cases[i].tmpl, build_cases[i].record);
		t = iiot_topic_new(build_cases[i].tmpl);
		iiot_rec_parse(&r, build_cases[i].record,
		    strlen(build_cases[i].record));
		iiot_buf_reset(&b);
		missing = NULL;
		rc = iiot_topic_build(t, &r, &b, &missing);
		if (build_cases[i].topic == NULL)
			tap_ok(rc < 0 && errno == ENOENT && missing != NULL,
			    desc);
		else
			tap_ok(rc == 0 && strcmp(b.data,
			    build_cases[i].topic) == 0, desc);
		iiot_topic_free(t);
	}
	iiot_rec_release(&r);
	iiot_buf_release(&b);
}

static void
collect(void *arg, const char *name, const char *value)
{
	struct iiot_buf *b = arg;

	iiot_buf_addf(b, "%s=%s;", name, value);
}

static const struct {
	const char *topic;
	const char *fields;	/* NULL: no match */
} match_cases[] = {
	{ "plant/hall-A/press1/oil_temp",			/* match */
	  "location=hall-A;source=press1;sensor=oil_temp;" },
	{ "plant/hall-A/press1", NULL },			/* too short */
	{ "plant/hall-A/press1/oil_temp/x", NULL },		/* too long */
	{ "other/hall-A/press1/oil_temp", NULL },		/* literal */
	{ "plant//press1/oil_temp", "source=press1;sensor=oil_temp;" },
								/* empty */
};

static void
test_match(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct iiot_topic *t;
	char desc[128];
	size_t i;
	int m;

	t = iiot_topic_new("plant/{location}/{source}/{sensor}");
	for (i = 0; i < NELEM(match_cases); i++) {
		snprintf(desc, sizeof(desc), "match %s", match_cases[i].topic);
		iiot_buf_reset(&b);
		iiot_buf_adds(&b, "");
		m = iiot_topic_match(t, match_cases[i].topic, collect, &b);
		if (match_cases[i].fields == NULL)
			tap_ok(m == 0 && b.len == 0, desc);
		else
			tap_ok(m == 1 && strcmp(b.data,
			    match_cases[i].fields) == 0, desc);
	}
	iiot_topic_free(t);
	iiot_buf_release(&b);
}

static void
test_password(void)
{
	char path[] = "/tmp/mqtt_test.XXXXXX";
	char *pw;
	int fd;

	fd = mkstemp(path);
	if (fd < 0 || write(fd, "s3cret\nrest\n", 12) != 12) {
		tap_ok(0, "password file set up");
		return;
	}
	close(fd);
	chmod(path, 0600);
	pw = iiot_mqtt_password(path);
	tap_ok(pw != NULL && strcmp(pw, "s3cret") == 0,
	    "password: the first line of a private file");
	free(pw);
	chmod(path, 0644);
	errno = 0;
	pw = iiot_mqtt_password(path);
	tap_ok(pw == NULL && errno == EPERM,
	    "password: a world-readable file is refused");
	free(pw);
	{
		struct iiot_mqtt_opts o = IIOT_MQTT_OPTS_INIT;
		char err[512], want[600];

		o.password_file = path;
		snprintf(want, sizeof(want), "cannot use password file '%s': "
		    "other users can read it (chmod 600)", path);
		pw = NULL;
		tap_ok(iiot_mqtt_opts_password(&o, &pw, err, sizeof(err)) < 0
		    && pw == NULL && strcmp(err, want) == 0,
		    "password: the options' file, refused, says why");
		unlink(path);
		snprintf(want, sizeof(want), "cannot read password file '%s': "
		    "%s", path, strerror(ENOENT));
		tap_ok(iiot_mqtt_opts_password(&o, &pw, err, sizeof(err)) < 0
		    && errno == ENOENT && strcmp(err, want) == 0,
		    "password: a missing file says why");
	}
	unlink(path);
	setenv(IIOT_MQTT_PASSWORD_ENV, "fromenv", 1);
	pw = iiot_mqtt_password(NULL);
	tap_ok(pw != NULL && strcmp(pw, "fromenv") == 0,
	    "password: from the environment");
	free(pw);
	unsetenv(IIOT_MQTT_PASSWORD_ENV);
	errno = 5;
	pw = iiot_mqtt_password(NULL);
	tap_ok(pw == NULL && errno == 0, "password: none at all");
}

static const struct {
	int tls;		/* mqtts:// */
	const char *cafile, *cert, *key;
	int insecure;
	const char *why;	/* NULL: the options go together */
} check_cases[] = {
	{ 0, NULL, NULL, NULL, 0, NULL },			/* plain */
	{ 1, NULL, NULL, NULL, 0, NULL },			/* TLS alone */
	{ 1, "ca", "crt", "key", 1, NULL },			/* every TLS file */
	{ 0, "ca", NULL, NULL, 0,				/* CA, mqtt:// */
	    "TLS options need an mqtts:// URL" },
	{ 0, NULL, NULL, NULL, 1,				/* insecure */
	    "TLS options need an mqtts:// URL" },
	{ 1, NULL, "crt", NULL, 0, "--cert and --key go together" },
	{ 1, NULL, NULL, "key", 0, "--cert and --key go together" },
	{ 0, NULL, "crt", NULL, 0,				/* TLS first */
	    "TLS options need an mqtts:// URL" },
};

static void
test_opts_check(void)
{
	struct iiot_mqtt_opts o = IIOT_MQTT_OPTS_INIT;
	struct iiot_mqtt_url u;
	const char *why;
	char desc[128];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(check_cases); i++) {
		memset(&u, 0, sizeof(u));
		u.tls = check_cases[i].tls;
		o.cafile = check_cases[i].cafile;
		o.cert = check_cases[i].cert;
		o.key = check_cases[i].key;
		o.insecure = check_cases[i].insecure;
		why = NULL;
		errno = 0;
		rc = iiot_mqtt_opts_check(&o, &u, &why);
		snprintf(desc, sizeof(desc), "opts check #%zu: %s", i + 1,
		    check_cases[i].why ? check_cases[i].why : "fine");
		if (check_cases[i].why == NULL)
			tap_ok(rc == 0 && why == NULL, desc);
		else
			tap_ok(rc == -1 && errno == EINVAL && why != NULL &&
			    strcmp(why, check_cases[i].why) == 0, desc);
	}
}

static void
test_conf_init(void)
{
	struct iiot_mqtt_opts o = IIOT_MQTT_OPTS_INIT;
	struct iiot_mqtt_url u;
	struct iiot_mqtt_conf c;

	tap_ok(o.qos == 1 && o.cafile == NULL && o.insecure == 0,
	    "opts: QoS 1 and nothing else by default");
	if (iiot_mqtt_url_parse("mqtts://edge@broker:8884/t", &u, NULL) < 0) {
		tap_ok(0, "conf: URL parsed");
		return;
	}
	o.cafile = "ca.pem";
	o.cert = "c.pem";
	o.key = "k.pem";
	o.insecure = 1;
	o.client_id = "id1";
	memset(&c, 0xff, sizeof(c));
	iiot_mqtt_conf_init(&c, &o, &u, "pw");
	tap_ok(strcmp(c.host, "broker") == 0 && c.port == 8884 && c.tls == 1 &&
	    strcmp(c.user, "edge") == 0 && strcmp(c.password, "pw") == 0 &&
	    c.cafile == o.cafile && c.cert == o.cert && c.key == o.key &&
	    c.insecure == 1 && c.client_id == o.client_id &&
	    c.clean_session == 1 && c.topics == NULL && c.ntopics == 0 &&
	    c.max_inflight == 0 && c.will_topic == NULL &&
	    c.on_message == NULL && c.arg == NULL,
	    "conf: from the options and the URL, the rest zeroed");
	iiot_mqtt_url_release(&u);
}

static void
test_tls_file(void)
{
	struct iiot_mqtt_opts o = IIOT_MQTT_OPTS_INIT;

	tap_ok(strcmp(iiot_mqtt_opts_tls_file(&o), "?") == 0,
	    "tls file: none given");
	o.cafile = "/dev/null";
	o.cert = "/nonexistent/c.pem";
	o.key = "/nonexistent/k.pem";
	tap_ok(strcmp(iiot_mqtt_opts_tls_file(&o), o.cert) == 0,
	    "tls file: the first that cannot be read");
	o.cert = "/dev/null";
	tap_ok(strcmp(iiot_mqtt_opts_tls_file(&o), o.key) == 0,
	    "tls file: else the key");
}

int
main(void)
{
	tap_plan((int)(NELEM(url_cases) + NELEM(tmpl_cases) +
	    NELEM(build_cases) + NELEM(match_cases) + 4 +
	    NELEM(check_cases) + 2 + 3));
	test_urls();
	test_templates();
	test_build();
	test_match();
	test_password();
	test_opts_check();
	test_conf_init();
	test_tls_file();
	return tap_status();
}
