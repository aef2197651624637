/* SPDX-License-Identifier: MIT */
/* time.c: timestamps, durations and relative times, in milliseconds. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iiot_log.h"
#include "iiot_time.h"

#define DAY_MS 86400000LL

int64_t
iiot_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
iiot_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Howard Hinnant's days_from_civil and civil_from_days: exact for the
 * whole proleptic Gregorian calendar and much faster than timegm(3).
 */
int64_t
iiot_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
iiot_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Read exactly n digits at *p; advance.  Returns -1 on a non-digit. */
static int
digits(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static const unsigned char mdays[] = {
	31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
};

int
iiot_time_parse(const char *s, size_t n, int64_t *out)
{
	const char *p = s, *end = s + n;
	int y, mo, d, h, mi, sec, ms = 0, scale = 100, off = 0, oh, om;
	int64_t t;

	if ((y = digits(&p, end, 4)) < 0 || p >= end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 0 || p >= end || *p++ != '-' ||
	    (d = digits(&p, end, 2)) < 0 || p >= end ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		goto bad;
	p++;
	if ((h = digits(&p, end, 2)) < 0 || p >= end || *p++ != ':' ||
	    (mi = digits(&p, end, 2)) < 0 || p >= end || *p++ != ':' ||
	    (sec = digits(&p, end, 2)) < 0)
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || !(y % 400)))) ||
	    h > 23 || mi > 59 || sec > 60)
		goto bad;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !isdigit((unsigned char)*p))
			goto bad;
		for (; p < end && isdigit((unsigned char)*p); p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (p >= end)
		goto bad;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if ((oh = digits(&p, end, 2)) < 0 || p >= end || *p++ != ':' ||
		    (om = digits(&p, end, 2)) < 0 || oh > 23 || om > 59)
			goto bad;
		off = sign * (oh * 60 + om);
	} else {
		goto bad;
	}
	if (p != end)
		goto bad;
	if (sec == 60)
		sec = 59;	/* a leap second folds onto the one before */
	t = (iiot_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - off * 60) * 1000 + ms;
	/* An offset must not carry the time outside the years 0000-9999. */
	if (t < iiot_days_from_civil(0, 1, 1) * DAY_MS ||
	    t >= iiot_days_from_civil(10000, 1, 1) * DAY_MS)
		goto bad;
	*out = t;
	return 0;
bad:
	errno = IIOT_ETS;
	return -1;
}

int
iiot_time_from_number(double v, int64_t *ms)
{
	/* Up to 9999-12-31T23:59:59.999Z, the last time it can write. */
	if (!isfinite(v) || v < 0 || v > 253402300799999.0) {
		errno = IIOT_ETS;
		return -1;
	}
	*ms = v > 1e11 ? (int64_t)v : (int64_t)llround(v * 1000.0);
	return 0;
}

static char *
put2(char *p, unsigned v)
{
	p[0] = '0' + v / 10;
	p[1] = '0' + v % 10;
	return p + 2;
}

size_t
iiot_time_format(int64_t ms, char *buf)
{
	int64_t days, y, rem;
	unsigned m, d, sod;
	char *p = buf;

	/* Floor division, which also holds for INT64_MIN (IIOT_TS_NONE). */
	days = ms / DAY_MS;
	rem = ms % DAY_MS;
	if (rem < 0) {
		rem += DAY_MS;
		days--;
	}
	iiot_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(buf, "0000-00-00T00:00:00.000Z", 25);
		return 24;
	}
	sod = (unsigned)(rem / 1000);
	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	*p++ = '.';
	*p++ = '0' + rem % 1000 / 100;
	p = put2(p, rem % 100);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

int
iiot_duration_parse(const char *s, int64_t *out)
{
	double total = 0, v;
	const char *p = s, *start;
	char *end;
	int64_t unit;

	if (*p == '\0')
		goto bad;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		errno = 0;
		start = p;
		v = strtod(p, &end);
		/* Plain decimals only: strtod also reads "0x10" and "1e3". */
		if (end == p || errno || v < 0 ||
		    strspn(p, "0123456789.") != (size_t)(end - p))
			goto bad;
		p = end;
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'd') {
			unit = DAY_MS;
			p++;
		} else if (*p == 'w') {
			unit = 7 * DAY_MS;
			p++;
		} else if (*p == '\0' && start == s) {
			unit = 1000;	/* a bare number is seconds */
		} else {
			goto bad;
		}
		total += v * (double)unit;
		if (total > 9.2e15) {
			errno = ERANGE;
			return -1;
		}
	}
	*out = (int64_t)llround(total);
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

size_t
iiot_duration_format(int64_t ms, char *buf)
{
	static const struct {
		uint64_t ms;
		char name[3];
	} units[] = {
		{ DAY_MS, "d" }, { 3600000, "h" }, { 60000, "m" },
		{ 1000, "s" }, { 1, "ms" },
	};
	size_t i, len = 0;
	uint64_t left;
	int n;

	if (ms == 0) {
		memcpy(buf, "0s", 3);
		return 2;
	}
	/* A negative duration is its length with a sign ("-1m30s"). */
	left = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
	if (ms < 0)
		buf[len++] = '-';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (left < units[i].ms)
			continue;
		n = snprintf(buf + len, 32 - len, "%llu%s",
		    (unsigned long long)(left / units[i].ms), units[i].name);
		if (n < 0 || (size_t)n >= 32 - len)
			break;
		len += (size_t)n;
		left %= units[i].ms;
	}
	return len;
}

int
iiot_when_parse(const char *s, int64_t now, int64_t *out)
{
	int64_t d, today = now - ((now % DAY_MS) + DAY_MS) % DAY_MS;
	size_t n = strlen(s);
	char *end;
	double v;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcmp(s, "today") == 0) {
		*out = today;
		return 0;
	}
	if (strcmp(s, "yesterday") == 0) {
		*out = today - DAY_MS;
		return 0;
	}
	if ((s[0] == '-' || s[0] == '+') && iiot_duration_parse(s + 1, &d) == 0) {
		*out = s[0] == '-' ? now - d : now + d;
		return 0;
	}
	if (iiot_time_parse(s, n, out) == 0)
		return 0;
	if (n == 10 && s[4] == '-' && s[7] == '-') {
		char full[32];

		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		if (iiot_time_parse(full, strlen(full), out) == 0)
			return 0;
	}
	if (isdigit((unsigned char)s[0])) {
		errno = 0;
		v = strtod(s, &end);
		if (*end == '\0' && errno == 0 && iiot_time_from_number(v, out) == 0)
			return 0;
	}
	errno = EINVAL;
	return -1;
}
