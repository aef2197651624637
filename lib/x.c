/* SPDX-License-Identifier: MIT */
/* x.c: wrappers that exit on failure, for code in cmd/ only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_log.h"
#include "iiot_mqtt.h"
#include "iiot_opt.h"
#include "iiot_time.h"
#include "iiot_x.h"

void
iiot_err(int status, const char *fmt, ...)
{
	int saved = errno;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", iiot_progname(), msg,
	    iiot_strerror(saved));
	exit(status);
}

void
iiot_errx(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", iiot_progname(), msg);
	exit(status);
}

void
iiot_usage_error(const char *synopsis, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		fprintf(stderr, "%s: %s\n", iiot_progname(), msg);
	}
	fprintf(stderr, "usage: %s\nTry '%s --help' for more information.\n",
	    synopsis, iiot_progname());
	exit(IIOT_EXIT_USAGE);
}

void *
iiot_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate %zu bytes", n);
	return p;
}

void *
iiot_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate %zu bytes", n * size);
	return p;
}

void *
iiot_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate %zu bytes", n);
	return q;
}

char *
iiot_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate a string");
	return p;
}

double
iiot_xnum(const char *opt, const char *s, double min, double max)
{
	double v;

	if (iiot_num_parse(s, min, max, &v) < 0) {
		if (errno == ERANGE)
			iiot_errx(IIOT_EXIT_USAGE,
			    "%s: '%s' is out of range (%g to %g)", opt, s, min,
			    max);
		iiot_errx(IIOT_EXIT_USAGE, "%s: invalid number '%s'", opt, s);
	}
	return v;
}

long long
iiot_xint(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (iiot_int_parse(s, min, max, &v) < 0) {
		if (errno == ERANGE)
			iiot_errx(IIOT_EXIT_USAGE,
			    "%s: '%s' is out of range (%lld to %lld)", opt, s,
			    min, max);
		iiot_errx(IIOT_EXIT_USAGE, "%s: invalid integer '%s'", opt, s);
	}
	return v;
}

int64_t
iiot_xduration(const char *opt, const char *s)
{
	int64_t ms;

	if (iiot_duration_parse(s, &ms) < 0)
		iiot_errx(IIOT_EXIT_USAGE,
		    "%s: invalid duration '%s' (try 250ms, 10s, 5m, 2h, 1d)",
		    opt, s);
	return ms;
}

int64_t
iiot_xwhen(const char *opt, const char *s)
{
	int64_t ms;

	if (iiot_when_parse(s, iiot_now_ms(), &ms) < 0)
		iiot_errx(IIOT_EXIT_USAGE,
		    "%s: invalid time '%s' (try 2026-11-29T08:00:00Z, "
		    "today, -1h)", opt, s);
	return ms;
}

int
iiot_opt_common(int c, const char *arg, const struct iiot_opt_common *oc)
{
	switch (c) {
	case 'h':
		oc->usage();
		exit(IIOT_EXIT_OK);
	case 'i':
		if (oc->interval == NULL)
			return 0;
		*oc->interval = iiot_xduration("--interval", arg);
		if (*oc->interval <= 0)
			iiot_usage_error(oc->synopsis, "invalid --interval: "
			    "'%s'", arg);
		return 1;
	case 'q':
		iiot_verbosity = -1;
		if (oc->quiet != NULL)
			*oc->quiet = 1;
		return 1;
	case 'u':
		if (oc->unbuffered == NULL)
			return 0;
		*oc->unbuffered = 1;
		return 1;
	case 'V':
		oc->version();
		exit(IIOT_EXIT_OK);
	case 'v':
		if (iiot_verbosity >= 0)
			iiot_verbosity++;
		return 1;
	default:
		return 0;
	}
}

/*
 * This lives here, not in mqtt.c, so that it may exit: it uses only the
 * struct of iiot_mqtt.h, and links no MQTT code into other programs.
 */
int
iiot_opt_mqtt(int c, const char *arg, struct iiot_mqtt_opts *m)
{
	switch (c) {
	case IIOT_MQTT_OPT_CAFILE:
		m->cafile = arg;
		break;
	case IIOT_MQTT_OPT_CERT:
		m->cert = arg;
		break;
	case IIOT_MQTT_OPT_CLIENT_ID:
		m->client_id = arg;
		break;
	case IIOT_MQTT_OPT_INSECURE:
		m->insecure = 1;
		break;
	case IIOT_MQTT_OPT_KEY:
		m->key = arg;
		break;
	case IIOT_MQTT_OPT_PASSWORD_FILE:
		m->password_file = arg;
		break;
	case IIOT_MQTT_OPT_QOS:
		m->qos = (int)iiot_xint("--qos", arg, 0, 2);
		break;
	default:
		return 0;
	}
	return 1;
}
