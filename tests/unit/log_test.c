/* SPDX-License-Identifier: MIT */
/* log_test.c: unit tests for diagnostics, rate limiting and complaints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iiot_log.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* stderr goes to a temporary file while a test runs. */
static FILE *cap;
static int saved_fd = -1;

static void
capture(void)
{
	fflush(stderr);
	if ((cap = tmpfile()) == NULL)
		exit(1);
	saved_fd = dup(2);
	dup2(fileno(cap), 2);
}

/* Stop capturing; return what was written (caller frees). */
static char *
captured(void)
{
	size_t n;
	long len;
	char *s;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	len = ftell(cap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		exit(1);
	rewind(cap);
	n = fread(s, 1, (size_t)len, cap);
	s[n] = '\0';
	fclose(cap);
	return s;
}

/* The calls of the rate limiter that print, and what they print. */
static const struct {
	unsigned long n;	/* the call */
	const char *out;	/* its line, or NULL when silent */
} limit_cases[] = {
	{ 1, "iiot-t: bad 1\n" },			/* the first */
	{ 2, "iiot-t: bad 2\n" },			/* the burst */
	{ 9, "iiot-t: bad 9\n" },			/* ... */
	{ 10, "iiot-t: bad 10\n" },			/* its last */
	{ 11, NULL },					/* then quiet */
	{ 15, NULL },					/* quiet */
	{ 16, "iiot-t: bad 16 (5 similar messages suppressed)\n" },
							/* 2^4 */
	{ 17, NULL },					/* quiet */
	{ 31, NULL },					/* quiet */
	{ 32, "iiot-t: bad 32 (15 similar messages suppressed)\n" },
							/* 2^5 */
	{ 33, NULL },					/* quiet */
	{ 64, "iiot-t: bad 64 (31 similar messages suppressed)\n" },
							/* 2^6 */
	{ 100, NULL },					/* quiet */
	{ 1024, "iiot-t: bad 1024 (511 similar messages suppressed)\n" },
							/* 2^10 */
	{ 4095, NULL },					/* quiet */
	{ 4096, "iiot-t: bad 4096 (2047 similar messages suppressed)\n" },
							/* 2^12 */
};

/* A repeated failure at these times (ms), and what is printed. */
static const struct {
	int64_t now;		/* the time of the failure, or -1: clear */
	const char *out;	/* what is printed, or "" */
} complain_cases[] = {
	{ 1000, "iiot-t: down\n" },				/* first */
	{ 1001, "" },						/* at once */
	{ 10999, "" },						/* < 10 s */
	{ 11000, "iiot-t: down (4 times so far)\n" },		/* 10 s on */
	{ 30999, "" },						/* < 20 s */
	{ 31000, "iiot-t: down (6 times so far)\n" },		/* 20 s on */
	{ 71000, "iiot-t: down (7 times so far)\n" },		/* 40 s on */
	{ 150000, "" },						/* < 80 s */
	{ 151000, "iiot-t: down (9 times so far)\n" },		/* 80 s on */
	{ -1, "iiot-t: up\n" },					/* recovered */
	{ -1, "" },						/* once only */
	{ 200000, "iiot-t: down\n" },				/* anew */
	{ 200001, "" },						/* at once */
	{ -1, "iiot-t: up\n" },					/* recovered */
};

static int
test_limited(void)
{
	struct iiot_ratelimit rl = { 0 };
	size_t k = 0;
	unsigned long n;
	char *out, want[4096] = "";
	size_t len = 0;
	int ok;

	capture();
	for (n = 1; n <= 4096; n++) {
		iiot_warnx_limited(&rl, "bad %lu", n);
		if (k < NELEM(limit_cases) && limit_cases[k].n == n)
			k++;
	}
	out = captured();
	/* Every printed call is 1..10 or a power of two: build the text. */
	for (n = 1; n <= 4096; n++) {
		if (n <= 10)
			len += (size_t)snprintf(want + len, sizeof(want) - len,
			    "iiot-t: bad %lu\n", n);
		else if ((n & (n - 1)) == 0)
			len += (size_t)snprintf(want + len, sizeof(want) - len,
			    "iiot-t: bad %lu (%lu similar messages "
			    "suppressed)\n", n, n - (n / 2 > 10 ? n / 2 : 10) -
			    1);
	}
	ok = strcmp(out, want) == 0 && rl.count == 4096;
	/* And the table's lines are there, or not. */
	for (k = 0; k < NELEM(limit_cases) && ok; k++) {
		char line[128];

		if (limit_cases[k].out != NULL) {
			ok = strstr(out, limit_cases[k].out) != NULL;
		} else {
			snprintf(line, sizeof(line), "bad %lu\n",
			    limit_cases[k].n);
			ok = strstr(out, line) == NULL;
			snprintf(line, sizeof(line), "bad %lu (",
			    limit_cases[k].n);
			ok = ok && strstr(out, line) == NULL;
		}
		if (!ok)
			printf("# call %lu\n", limit_cases[k].n);
	}
	free(out);
	return ok;
}

static int
test_limited_quiet(void)
{
	struct iiot_ratelimit rl = { 0 };
	char *out;
	int i, ok;

	iiot_verbosity = -1;
	capture();
	for (i = 0; i < 20; i++)
		iiot_warnx_limited(&rl, "bad %d", i);
	out = captured();
	iiot_verbosity = 0;
	ok = out[0] == '\0' && rl.count == 20;
	free(out);
	/* Counting went on while quiet: the next print is call 32. */
	capture();
	for (i = 0; i < 12; i++)
		iiot_warnx_limited(&rl, "bad");
	out = captured();
	ok = ok && strcmp(out, "iiot-t: bad (15 similar messages "
	    "suppressed)\n") == 0;
	free(out);
	return ok;
}

static int
check_complain(void)
{
	struct iiot_complain c = { 0, 0, 0 };
	char *out;
	size_t i;
	int rc, ok = 1;

	for (i = 0; i < NELEM(complain_cases) && ok; i++) {
		capture();
		if (complain_cases[i].now < 0)
			rc = iiot_complain_clear(&c, "up");
		else
			rc = iiot_complain(&c, complain_cases[i].now, "down");
		out = captured();
		ok = strcmp(out, complain_cases[i].out) == 0 &&
		    rc == (complain_cases[i].out[0] != '\0');
		if (!ok)
			printf("# step %zu: rc %d '%s'\n", i, rc, out);
		free(out);
	}
	return ok;
}

/* Reminders double up to an hour, then stay hourly. */
static int
test_complain_cap(void)
{
	struct iiot_complain c = { 0, 0, 0 };
	int64_t t, last = 0, gap = 0;
	int printed = 0, ok = 1;
	char *out;

	capture();
	for (t = 0; t < 40LL * 3600000; t += 1000) {
		if (iiot_complain(&c, t, "down") == 1) {
			if (printed > 0)
				gap = t - last;
			last = t;
			printed++;
		}
	}
	out = captured();
	ok = gap == 3600000 && printed < 60 && c.count == 144000;
	free(out);
	iiot_verbosity = -1;
	capture();
	ok = ok && iiot_complain_clear(&c, "up") == 0 && c.count == 0;
	ok = ok && iiot_complain(&c, 0, "down") == 0 && c.count == 1;
	out = captured();
	iiot_verbosity = 0;
	ok = ok && out[0] == '\0';
	free(out);
	return ok;
}

static const struct {
	int code;		/* an error code */
	const char *msg;	/* its text */
} err_cases[] = {
	{ IIOT_EJSON, "not valid JSON" },			/* JSON */
	{ IIOT_ENOTOBJ, "not a JSON object" },			/* object */
	{ IIOT_ENOSENSOR, "no string field 'sensor'" },		/* sensor */
	{ IIOT_ENOVALUE, "no numeric field 'value'" },		/* value */
	{ IIOT_ETS, "invalid time in field 'ts'" },		/* ts */
	{ IIOT_EUTF8, "invalid UTF-8" },			/* UTF-8 */
	{ IIOT_ETOOLONG, "line too long" },			/* too long */
	{ IIOT_EDB, "database error" },				/* the last */
	{ ENOENT, "No such file or directory" },		/* system */
};

int
main(void)
{
	char *out;
	size_t i;
	int ok;

	tap_plan((int)NELEM(err_cases) + 7);
	iiot_setprogname("/usr/local/bin/iiot-t");
	for (i = 0; i < NELEM(err_cases); i++)
		tap_ok(strcmp(iiot_strerror(err_cases[i].code),
		    err_cases[i].msg) == 0, err_cases[i].msg);
	tap_ok(strcmp(iiot_progname(), "iiot-t") == 0,
	    "progname: the last path component");
	capture();
	errno = ENOENT;
	iiot_warn("cannot open '%s'", "x");
	ok = errno == ENOENT;
	errno = IIOT_ETS;
	iiot_warn("line %d", 3);
	iiot_warnx("plain %s", "text");
	ok = ok && errno == IIOT_ETS;
	iiot_debug(1, "hidden");
	iiot_verbosity = 2;
	iiot_debug(2, "shown");
	iiot_verbosity = -1;
	iiot_warnx("quiet");
	iiot_warn("quiet");
	iiot_verbosity = 0;
	out = captured();
	tap_ok(ok && strcmp(out, "iiot-t: cannot open 'x': No such file or "
	    "directory\niiot-t: line 3: invalid time in field 'ts'\n"
	    "iiot-t: plain text\niiot-t: shown\n") == 0,
	    "warn, warnx, debug, -q; errno kept");
	free(out);
	tap_ok(test_limited(), "warnx_limited: 10, then powers of two");
	tap_ok(test_limited_quiet(), "warnx_limited: counts while quiet");
	tap_ok(check_complain(), "complain: doubling reminders, recovery");
	tap_ok(test_complain_cap(), "complain: hourly at most; quiet");
	/* A long message is cut, not overflowed. */
	{
		char big[3000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		capture();
		iiot_warnx("%s", big);
		out = captured();
		tap_ok(strlen(out) > 1000 && strlen(out) < 1100 &&
		    out[strlen(out) - 1] == '\n', "long message truncated");
		free(out);
	}
	return tap_status();
}
