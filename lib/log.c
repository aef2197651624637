/* SPDX-License-Identifier: MIT */
/* log.c: diagnostics on stderr, rate limiting, and error codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iiot_log.h"

int iiot_verbosity;
static const char *progname = "iiot";

static const char *const messages[] = {
	[IIOT_EJSON - IIOT_EBASE] = "not valid JSON",
	[IIOT_ENOTOBJ - IIOT_EBASE] = "not a JSON object",
	[IIOT_ENOSENSOR - IIOT_EBASE] = "no string field 'sensor'",
	[IIOT_ENOVALUE - IIOT_EBASE] = "no numeric field 'value'",
	[IIOT_ETS - IIOT_EBASE] = "invalid time in field 'ts'",
	[IIOT_EUTF8 - IIOT_EBASE] = "invalid UTF-8",
	[IIOT_ETOOLONG - IIOT_EBASE] = "line too long",
	[IIOT_ESYNTAX - IIOT_EBASE] = "syntax error",
	[IIOT_EMODBUS - IIOT_EBASE] = "Modbus error",
	[IIOT_EMQTT - IIOT_EBASE] = "MQTT error",
	[IIOT_EDB - IIOT_EBASE] = "database error",
};

void
iiot_setprogname(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

const char *
iiot_progname(void)
{
	return progname;
}

const char *
iiot_strerror(int code)
{
	if (code > IIOT_EBASE && code < IIOT_ELAST)
		return messages[code - IIOT_EBASE];
	return strerror(code);
}

static void
vlog(int code, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code)
		fprintf(stderr, "%s: %s: %s\n", progname, msg,
		    iiot_strerror(code));
	else
		fprintf(stderr, "%s: %s\n", progname, msg);
}

void
iiot_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (iiot_verbosity >= 0) {
		va_start(ap, fmt);
		vlog(saved, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
iiot_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (iiot_verbosity >= 0) {
		va_start(ap, fmt);
		vlog(0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
iiot_debug(int level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (iiot_verbosity >= level) {
		va_start(ap, fmt);
		vlog(0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

/* Is n (1-based) one of the events the limiter prints? */
static int
due(unsigned long n)
{
	return n <= IIOT_RATELIMIT_BURST || (n & (n - 1)) == 0;
}

void
iiot_warnx_limited(struct iiot_ratelimit *rl, const char *fmt, ...)
{
	unsigned long n = ++rl->count, prev, skipped = 0;
	char msg[1024];
	va_list ap;

	if (!due(n) || iiot_verbosity < 0)
		return;
	if (n > IIOT_RATELIMIT_BURST) {
		prev = n / 2 > IIOT_RATELIMIT_BURST ? n / 2 :
		    IIOT_RATELIMIT_BURST;
		skipped = n - prev - 1;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (skipped)
		fprintf(stderr, "%s: %s (%lu similar messages suppressed)\n",
		    progname, msg, skipped);
	else
		fprintf(stderr, "%s: %s\n", progname, msg);
}

#define COMPLAIN_MIN 10000		/* first reminder after 10 s */
#define COMPLAIN_MAX 3600000		/* then at most hourly */

int
iiot_complain(struct iiot_complain *c, int64_t now, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	c->count++;
	if (c->count > 1 && now < c->next)
		return 0;
	c->interval = c->interval ? c->interval * 2 : COMPLAIN_MIN;
	if (c->interval > COMPLAIN_MAX)
		c->interval = COMPLAIN_MAX;
	c->next = now + c->interval;
	if (iiot_verbosity < 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->count > 1)
		fprintf(stderr, "%s: %s (%lu times so far)\n", progname, msg,
		    c->count);
	else
		fprintf(stderr, "%s: %s\n", progname, msg);
	return 1;
}

int
iiot_complain_clear(struct iiot_complain *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int was = c->count > 0;

	memset(c, 0, sizeof(*c));
	if (!was || iiot_verbosity < 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", progname, msg);
	return 1;
}
