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

int
main(void)
{
	tap_plan((int)(NELEM(url_cases) + NELEM(tmpl_cases) +
	    NELEM(build_cases) + NELEM(match_cases) + 4));
	test_urls();
	test_templates();
	test_build();
	test_match();
	test_password();
	return tap_status();
}
