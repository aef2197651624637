/* SPDX-License-Identifier: MIT */
/* time_test.c: unit tests for timestamps, durations and relative times. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_log.h"
#include "iiot_time.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BAD INT64_MIN		/* the text must be rejected */

/* 2026-11-29T15:17:45Z in ms, the reference of most cases. */
#define T0 1795965465000LL

static const struct {
	const char *s;		/* the text */
	int64_t ms;		/* the time it gives, or BAD */
} parse_cases[] = {
	{ "2026-11-29T15:17:45Z", T0 },			/* plain UTC */
	{ "2026-11-29t15:17:45z", T0 },			/* lower-case t, z */
	{ "2026-11-29 15:17:45Z", T0 },			/* space separator */
	{ "2026-11-29T16:17:45+01:00", T0 },		/* east offset */
	{ "2026-11-29T10:47:45-04:30", T0 },		/* west offset */
	{ "2026-11-30T00:17:45+09:00", T0 },		/* the next day */
	{ "2026-11-29T15:17:45+00:00", T0 },		/* +00:00 */
	{ "2026-11-29T15:17:45-00:00", T0 },		/* -00:00 */
	{ "2026-11-29T15:17:45.1Z", T0 + 100 },		/* one digit */
	{ "2026-11-29T15:17:45.12Z", T0 + 120 },	/* two digits */
	{ "2026-11-29T15:17:45.123Z", T0 + 123 },	/* three digits */
	{ "2026-11-29T15:17:45.1239Z", T0 + 123 },	/* four, truncated */
	{ "2026-11-29T15:17:45.999999999Z", T0 + 999 },	/* nine, truncated */
	{ "2026-11-29T15:17:45.123456789012345Z",	/* fifteen digits */
	    T0 + 123 },
	{ "2026-11-29T15:17:45.000Z", T0 },		/* zero fraction */
	{ "2026-11-29T15:17:45.5+01:00", T0 - 3600000 + 500 }, /* fraction
							 * and offset */
	{ "1970-01-01T00:00:00Z", 0 },			/* the epoch */
	{ "1969-12-31T23:59:59.999Z", -1 },		/* just before it */
	{ "1900-01-01T00:00:00Z", -2208988800000LL },	/* pre-1970 */
	{ "0000-01-01T00:00:00Z", -62167219200000LL },	/* year zero */
	{ "9999-12-31T23:59:59.999Z", 253402300799999LL }, /* last year */
	{ "2024-02-29T00:00:00Z", 1709164800000LL },	/* leap day */
	{ "2000-02-29T12:00:00Z", 951825600000LL },	/* 400-year leap */
	{ "2016-12-31T23:59:60Z", 1483228799000LL },	/* leap second */
	{ "2023-02-29T00:00:00Z", BAD },		/* not a leap year */
	{ "1900-02-29T00:00:00Z", BAD },		/* century, no leap */
	{ "2026-04-31T00:00:00Z", BAD },		/* April has 30 days */
	{ "2026-00-10T00:00:00Z", BAD },		/* month 0 */
	{ "2026-13-10T00:00:00Z", BAD },		/* month 13 */
	{ "2026-01-00T00:00:00Z", BAD },		/* day 0 */
	{ "2026-01-32T00:00:00Z", BAD },		/* day 32 */
	{ "2026-01-01T24:00:00Z", BAD },		/* hour 24 */
	{ "2026-01-01T00:60:00Z", BAD },		/* minute 60 */
	{ "2026-01-01T00:00:61Z", BAD },		/* second 61 */
	{ "2026-11-29T15:17:45", BAD },			/* no zone */
	{ "2026-11-29T15:17:45ZZ", BAD },		/* trailing junk */
	{ "2026-11-29T15:17:45Z ", BAD },		/* trailing blank */
	{ " 2026-11-29T15:17:45Z", BAD },		/* leading blank */
	{ "2026-11-29T15:17:45.Z", BAD },		/* empty fraction */
	{ "2026-11-29T15:17:45,5Z", BAD },		/* comma fraction */
	{ "2026-11-29T15:17:45+01", BAD },		/* short offset */
	{ "2026-11-29T15:17:45+0100", BAD },		/* offset sans colon */
	{ "2026-11-29T15:17:45+24:00", BAD },		/* offset hour 24 */
	{ "2026-11-29T15:17:45+01:60", BAD },		/* offset minute 60 */
	{ "2026-11-29X15:17:45Z", BAD },		/* bad separator */
	{ "2026-11-29", BAD },				/* a date only */
	{ "2026-11-29T15:17Z", BAD },			/* no seconds */
	{ "26-11-29T15:17:45Z", BAD },			/* two-digit year */
	{ "2026-1-29T15:17:45Z", BAD },			/* one-digit month */
	{ "2026-11-29T5:17:45Z", BAD },			/* one-digit hour */
	{ "+2026-11-29T15:17:45Z", BAD },		/* signed year */
	{ "", BAD },					/* empty */
	{ "Z", BAD },					/* a zone alone */
	{ "now", BAD },					/* a word */
	{ "9999-12-31T23:59:59.999-14:00", BAD },	/* UTC in 10000 */
	{ "0000-01-01T00:00:00+00:01", BAD },		/* UTC before 0000 */
};

static const struct {
	double d;		/* the number in "ts" */
	int64_t ms;		/* the time it gives, or BAD */
} number_cases[] = {
	{ 0, 0 },				/* the epoch */
	{ 1795965465, T0 },			/* seconds */
	{ 1795965465.123, T0 + 123 },		/* seconds and ms */
	{ 1795965465.1235, T0 + 124 },		/* rounded to ms */
	{ 1795965465123.0, T0 + 123 },		/* ms, above 1e11 */
	{ 99999999999.0, 99999999999000LL },	/* just below 1e11: s */
	{ 100000000001.0, 100000000001LL },	/* just above 1e11: ms */
	{ 253402300799999.0, 253402300799999LL }, /* the largest ms */
	{ 253402300800000.0, BAD },		/* year 10000 */
	{ 4e14, BAD },				/* beyond it */
	{ -1, BAD },				/* negative */
	{ -0.0, 0 },				/* negative zero */
	{ NAN, BAD },				/* not a number */
	{ INFINITY, BAD },			/* infinity */
	{ -INFINITY, BAD },			/* minus infinity */
};

static const struct {
	int64_t ms;		/* the time */
	const char *s;		/* its text */
} format_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },		/* the epoch */
	{ T0 + 123, "2026-11-29T15:17:45.123Z" },	/* ms */
	{ T0 + 7, "2026-11-29T15:17:45.007Z" },		/* leading zeros */
	{ T0 + 70, "2026-11-29T15:17:45.070Z" },	/* middle zero */
	{ -1, "1969-12-31T23:59:59.999Z" },		/* one ms before */
	{ -1000, "1969-12-31T23:59:59.000Z" },		/* one s before */
	{ -86400000, "1969-12-31T00:00:00.000Z" },	/* one day before */
	{ -86400001, "1969-12-30T23:59:59.999Z" },	/* and one ms */
	{ -2208988800000LL, "1900-01-01T00:00:00.000Z" }, /* 1900 */
	{ -62167219200000LL, "0000-01-01T00:00:00.000Z" }, /* year zero */
	{ 253402300799999LL, "9999-12-31T23:59:59.999Z" }, /* the last ms */
	{ 951825600000LL, "2000-02-29T12:00:00.000Z" },	/* leap day */
	{ 253402300800000LL, "0000-00-00T00:00:00.000Z" }, /* year 10000 */
	{ -62167219200001LL, "0000-00-00T00:00:00.000Z" }, /* year -1 */
	{ INT64_MAX, "0000-00-00T00:00:00.000Z" },	/* the largest */
	{ INT64_MIN, "0000-00-00T00:00:00.000Z" },	/* IIOT_TS_NONE */
};

static const struct {
	const char *s;		/* the duration */
	int64_t ms;		/* its length, or BAD */
	int err;		/* errno when BAD */
} dur_cases[] = {
	{ "250ms", 250, 0 },				/* milliseconds */
	{ "10s", 10000, 0 },				/* seconds */
	{ "5m", 300000, 0 },				/* minutes */
	{ "2h", 7200000, 0 },				/* hours */
	{ "1d", 86400000, 0 },				/* days */
	{ "1w", 604800000, 0 },				/* weeks */
	{ "1h30m", 5400000, 0 },			/* two units */
	{ "1d2h3m4s5ms", 93784005, 0 },			/* all units */
	{ "1.5s", 1500, 0 },				/* a fraction */
	{ ".5s", 500, 0 },				/* leading point */
	{ "0.0015s", 2, 0 },				/* rounds to ms */
	{ "30", 30000, 0 },				/* bare: seconds */
	{ "0", 0, 0 },					/* zero */
	{ "0s", 0, 0 },					/* zero seconds */
	{ "2.5", 2500, 0 },				/* bare fraction */
	{ "1m1m", 120000, 0 },				/* repeated unit */
	{ "", BAD, EINVAL },				/* empty */
	{ "5x", BAD, EINVAL },				/* unknown unit */
	{ "-1s", BAD, EINVAL },				/* negative */
	{ "+1s", BAD, EINVAL },				/* signed */
	{ "1h-", BAD, EINVAL },				/* trailing sign */
	{ "1h30", BAD, EINVAL },			/* bare after a unit */
	{ "0h30", BAD, EINVAL },			/* the same at zero */
	{ "s", BAD, EINVAL },				/* a unit alone */
	{ "1 s", BAD, EINVAL },				/* inner blank */
	{ " 1s", BAD, EINVAL },				/* leading blank */
	{ "1s ", BAD, EINVAL },				/* trailing blank */
	{ "1.s", 1000, 0 },				/* trailing point */
	{ ".", BAD, EINVAL },				/* a point alone */
	{ "nan", BAD, EINVAL },				/* not a number */
	{ "inf", BAD, EINVAL },				/* infinity */
	{ "0x10s", BAD, EINVAL },			/* hexadecimal */
	{ "1e3s", BAD, EINVAL },			/* an exponent */
	{ "1e3", BAD, EINVAL },				/* bare, too */
	{ "00.5s", 500, 0 },				/* leading zero */
	{ "1.5.5s", BAD, EINVAL },			/* two points */
	{ "99999999999999999999s", BAD, ERANGE },	/* far too long */
	{ "20000000w", BAD, ERANGE },		/* too long */
};

static const struct {
	int64_t ms;		/* the duration */
	const char *s;		/* its text */
} dfmt_cases[] = {
	{ 0, "0s" },					/* zero */
	{ 1, "1ms" },					/* one ms */
	{ 250, "250ms" },				/* ms only */
	{ 1000, "1s" },					/* one second */
	{ 90000, "1m30s" },				/* mixed */
	{ 5400000, "1h30m" },				/* hours */
	{ 86400000, "1d" },				/* a day */
	{ 604800000, "7d" },				/* a week in days */
	{ 93784005, "1d2h3m4s5ms" },			/* every unit */
	{ 3600001, "1h1ms" },				/* a gap */
	{ -1500, "-1s500ms" },				/* negative */
	{ INT64_MAX, "106751991167d7h12m55s807ms" },	/* the longest */
	{ INT64_MIN, "-106751991167d7h12m55s808ms" }, /* the most negative */
};

/* A fixed now: 2026-11-29T15:17:45.123Z. */
#define NOW (T0 + 123)
#define TODAY 1795910400000LL		/* 2026-11-29T00:00:00Z */

static const struct {
	const char *s;		/* the option value */
	int64_t ms;		/* the time it gives at NOW, or BAD */
} when_cases[] = {
	{ "now", NOW },					/* now */
	{ "today", TODAY },				/* midnight */
	{ "yesterday", TODAY - 86400000 },		/* midnight before */
	{ "-1h", NOW - 3600000 },			/* an hour ago */
	{ "+5m", NOW + 300000 },			/* in five minutes */
	{ "-1h30m", NOW - 5400000 },			/* compound */
	{ "-30", NOW - 30000 },				/* bare seconds */
	{ "2026-11-29T15:17:45Z", T0 },			/* RFC 3339 */
	{ "2026-11-29T15:17:45.5+01:00",		/* with offset */
	    T0 - 3600000 + 500 },
	{ "2026-11-28", TODAY - 86400000 },		/* a date */
	{ "2024-02-29", 1709164800000LL },		/* a leap day */
	{ "2023-02-29", BAD },				/* not a day */
	{ "2026-13-01", BAD },				/* not a month */
	{ "1795965465", T0 },				/* epoch seconds */
	{ "1795965465123", T0 + 123 },			/* epoch ms */
	{ "1795965465.5", T0 + 500 },			/* fractional s */
	{ "0", 0 },					/* the epoch */
	{ "", BAD },					/* empty */
	{ "Now", BAD },					/* case matters */
	{ "now ", BAD },				/* trailing blank */
	{ "-", BAD },					/* a sign alone */
	{ "-1x", BAD },					/* bad unit */
	{ "123abc", BAD },				/* trailing junk */
	{ "tomorrow", BAD },				/* not a keyword */
	{ "2026-11-29T", BAD },				/* cut short */
	{ "nan", BAD },					/* not a number */
};

static char desc[256];

static const char *
describe(const char *what, const char *s)
{
	snprintf(desc, sizeof(desc), "%s: '%s'", what, s);
	return desc;
}

/* Format then parse random times over years 0..9999: the same ms. */
static int
test_roundtrip(void)
{
	char buf[IIOT_TIME_BUFSZ];
	int64_t ms, back, lo = -62167219200000LL, hi = 253402300799999LL;
	size_t n;
	int i;

	srandom(1);
	for (i = 0; i < 200000; i++) {
		ms = lo + (int64_t)(((uint64_t)random() << 31 ^
		    (uint64_t)random()) % (uint64_t)(hi - lo + 1));
		if (i < 1000)
			ms = (int64_t)(random() % 2000000) - 1000000;
		n = iiot_time_format(ms, buf);
		if (n != 24 || strlen(buf) != 24 ||
		    iiot_time_parse(buf, n, &back) < 0 || back != ms) {
			printf("# %lld gives '%s'\n", (long long)ms, buf);
			return 0;
		}
	}
	return 1;
}

/* Durations written by iiot_duration_format() read back the same. */
static int
test_dur_roundtrip(void)
{
	char buf[32];
	int64_t ms, back;
	int i;

	srandom(2);
	for (i = 0; i < 100000; i++) {
		ms = (int64_t)random() * (i % 7 + 1) * (i % 3 ? 1 : 997);
		iiot_duration_format(ms, buf);
		if (iiot_duration_parse(buf, &back) < 0 || back != ms) {
			printf("# %lld gives '%s'\n", (long long)ms, buf);
			return 0;
		}
	}
	return 1;
}

/* Days and civil dates agree both ways over a wide range. */
static int
test_civil(void)
{
	int64_t z, y;
	unsigned m, d;

	for (z = -800000; z <= 3000000; z += 7) {
		iiot_civil_from_days(z, &y, &m, &d);
		if (iiot_days_from_civil(y, m, d) != z)
			return 0;
	}
	return 1;
}

/* The parser reads n bytes, not up to a NUL. */
static int
test_not_nul_terminated(void)
{
	static const char s[] = "2026-11-29T15:17:45Z123";
	int64_t ms;

	return iiot_time_parse(s, 20, &ms) == 0 && ms == T0 &&
	    iiot_time_parse(s, 19, &ms) < 0 &&
	    iiot_time_parse(s, 23, &ms) < 0;
}

int
main(void)
{
	char buf[IIOT_TIME_BUFSZ + 8];
	size_t i, n;
	int64_t ms;
	int ok, rc;

	tap_plan((int)(NELEM(parse_cases) + NELEM(number_cases) +
	    NELEM(format_cases) + NELEM(dur_cases) + NELEM(dfmt_cases) +
	    NELEM(when_cases)) + 4);
	for (i = 0; i < NELEM(parse_cases); i++) {
		ms = 42;
		errno = 0;
		rc = iiot_time_parse(parse_cases[i].s,
		    strlen(parse_cases[i].s), &ms);
		if (parse_cases[i].ms == BAD)
			ok = rc == -1 && errno == IIOT_ETS && ms == 42;
		else
			ok = rc == 0 && ms == parse_cases[i].ms;
		if (!ok)
			printf("# rc %d ms %lld\n", rc, (long long)ms);
		tap_ok(ok, describe("parse", parse_cases[i].s));
	}
	for (i = 0; i < NELEM(number_cases); i++) {
		ms = 42;
		errno = 0;
		rc = iiot_time_from_number(number_cases[i].d, &ms);
		if (number_cases[i].ms == BAD)
			ok = rc == -1 && errno == IIOT_ETS && ms == 42;
		else
			ok = rc == 0 && ms == number_cases[i].ms;
		if (!ok)
			printf("# rc %d ms %lld\n", rc, (long long)ms);
		snprintf(buf, sizeof(buf), "%.17g", number_cases[i].d);
		tap_ok(ok, describe("number", buf));
	}
	for (i = 0; i < NELEM(format_cases); i++) {
		memset(buf, 'x', sizeof(buf));
		n = iiot_time_format(format_cases[i].ms, buf);
		ok = n == strlen(format_cases[i].s) && n < IIOT_TIME_BUFSZ &&
		    strcmp(buf, format_cases[i].s) == 0;
		if (!ok)
			printf("# got '%.*s'\n", IIOT_TIME_BUFSZ, buf);
		tap_ok(ok, describe("format", format_cases[i].s));
	}
	for (i = 0; i < NELEM(dur_cases); i++) {
		ms = 42;
		errno = 0;
		rc = iiot_duration_parse(dur_cases[i].s, &ms);
		if (dur_cases[i].ms == BAD)
			ok = rc == -1 && errno == dur_cases[i].err;
		else
			ok = rc == 0 && ms == dur_cases[i].ms;
		if (!ok)
			printf("# rc %d errno %d ms %lld\n", rc, errno,
			    (long long)ms);
		tap_ok(ok, describe("duration", dur_cases[i].s));
	}
	for (i = 0; i < NELEM(dfmt_cases); i++) {
		memset(buf, 'x', sizeof(buf));
		n = iiot_duration_format(dfmt_cases[i].ms, buf);
		ok = n < 32 && n == strlen(dfmt_cases[i].s) &&
		    strcmp(buf, dfmt_cases[i].s) == 0;
		if (!ok)
			printf("# got '%.*s'\n", 32, buf);
		tap_ok(ok, describe("duration format", dfmt_cases[i].s));
	}
	for (i = 0; i < NELEM(when_cases); i++) {
		ms = 42;
		errno = 0;
		rc = iiot_when_parse(when_cases[i].s, NOW, &ms);
		if (when_cases[i].ms == BAD)
			ok = rc == -1 && errno == EINVAL;
		else
			ok = rc == 0 && ms == when_cases[i].ms;
		if (!ok)
			printf("# rc %d ms %lld\n", rc, (long long)ms);
		tap_ok(ok, describe("when", when_cases[i].s));
	}
	tap_ok(test_roundtrip(), "format then parse: 200000 random times");
	tap_ok(test_dur_roundtrip(), "duration format then parse: random");
	tap_ok(test_civil(), "days from civil and back");
	tap_ok(test_not_nul_terminated(), "parse: reads exactly n bytes");
	return tap_status();
}
