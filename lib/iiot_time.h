/* SPDX-License-Identifier: MIT */
/* iiot_time.h: timestamps, durations and relative times, in milliseconds. */
#ifndef IIOT_TIME_H
#define IIOT_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Size of a buffer that holds "2026-11-29T15:17:45.123Z" and its NUL. */
#define IIOT_TIME_BUFSZ 32

/* A time that is not set. */
#define IIOT_TS_NONE INT64_MIN

/*
 * Return the current time in milliseconds since the Unix epoch (UTC),
 * or, with monotonic set, from CLOCK_MONOTONIC for measuring intervals.
 */
int64_t iiot_now_ms(void);
int64_t iiot_mono_ms(void);

/*
 * Parse an RFC 3339 time: "2026-11-29T15:17:45Z", with a fraction of any
 * length, 't' or ' ' for 'T', 'z' for 'Z', or a "+01:00" offset.
 * s, n: the text, not necessarily NUL-terminated.
 * ms: receives milliseconds since the epoch (fractions are truncated).
 * Returns 0, or -1 with errno IIOT_ETS.
 */
int iiot_time_parse(const char *s, size_t n, int64_t *ms);

/*
 * Convert a number from a record's "ts" field: epoch seconds, or epoch
 * milliseconds when it is above 1e11.  Returns 0, or -1 with errno
 * IIOT_ETS when it is not finite or out of range.
 */
int iiot_time_from_number(double d, int64_t *ms);

/*
 * Format ms as RFC 3339 UTC with milliseconds into buf, which must hold
 * IIOT_TIME_BUFSZ bytes.  Returns the length written (without the NUL).
 */
size_t iiot_time_format(int64_t ms, char *buf);

/*
 * Parse a duration: a number and a unit (ms, s, m, h, d, w), repeated
 * ("1h30m"); a bare number is seconds.  Fractions are allowed ("1.5s").
 * Returns 0 with *ms set, or -1 with errno EINVAL or ERANGE.
 */
int iiot_duration_parse(const char *s, int64_t *ms);

/*
 * Format a duration in the shortest exact form ("90s" gives "1m30s").
 * buf must hold 32 bytes.  Returns the length written.
 */
size_t iiot_duration_format(int64_t ms, char *buf);

/*
 * Parse a point in time for options such as --since: RFC 3339, a date
 * "YYYY-MM-DD" (midnight UTC), epoch seconds or milliseconds, "now",
 * "today", "yesterday", or "-DUR"/"+DUR" relative to now.
 * now: the reference time in ms.  Returns 0, or -1 with errno EINVAL.
 */
int iiot_when_parse(const char *s, int64_t now, int64_t *ms);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back.
 */
int64_t iiot_days_from_civil(int64_t y, unsigned m, unsigned d);
void iiot_civil_from_days(int64_t days, int64_t *y, unsigned *m,
    unsigned *d);

#endif /* IIOT_TIME_H */
