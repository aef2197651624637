/* SPDX-License-Identifier: MIT */
/* iiot_x.h: wrappers that exit on failure, for code in cmd/ only. */
#ifndef IIOT_X_H
#define IIOT_X_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses shared by the suite (see iiot(7)). */
#define IIOT_EXIT_OK	0	/* success */
#define IIOT_EXIT_FAIL	1	/* run-time failure, or input skipped */
#define IIOT_EXIT_USAGE	2	/* usage or configuration error */

/*
 * Print "prog: message: strerror(errno)" (iiot_err) or "prog: message"
 * (iiot_errx) on stderr and exit with status.  Printed even with -q.
 */
void iiot_err(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void iiot_errx(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * Report a usage error: the message, then the synopsis and a hint to
 * try --help, on stderr; exit 2.  synopsis is the usage text's first
 * line(s), without "usage: ".
 */
void iiot_usage_error(const char *synopsis, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * Allocation that exits 1 with a message on failure.
 */
void *iiot_xmalloc(size_t n);
void *iiot_xcalloc(size_t n, size_t size);
void *iiot_xrealloc(void *p, size_t n);
char *iiot_xstrdup(const char *s);

/*
 * Parse an option's value or exit 2 with a message naming the option:
 * a number in [min, max], an integer, a duration in ms, a time in ms.
 */
double iiot_xnum(const char *opt, const char *s, double min, double max);
long long iiot_xint(const char *opt, const char *s, long long min,
    long long max);
int64_t iiot_xduration(const char *opt, const char *s);
int64_t iiot_xwhen(const char *opt, const char *s);

#endif /* IIOT_X_H */
