/* SPDX-License-Identifier: MIT */
/* iiot_x.h: wrappers that exit on failure, for code in cmd/ only. */
#ifndef IIOT_X_H
#define IIOT_X_H

#include <stddef.h>
#include <stdint.h>

struct iiot_mqtt_opts;

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

/*
 * The entries of the options every program shares, for a program's
 * getopt_long() table: -h/--help, -q/--quiet, -u/--unbuffered,
 * -v/--verbose and -V/--version.  The program's optstring lists their
 * letters ("hquVv") among its own.
 */
#define IIOT_OPT_COMMON_LONGOPTS \
	{ "help",	no_argument,	NULL, 'h' }, \
	{ "quiet",	no_argument,	NULL, 'q' }, \
	{ "unbuffered",	no_argument,	NULL, 'u' }, \
	{ "version",	no_argument,	NULL, 'V' }, \
	{ "verbose",	no_argument,	NULL, 'v' }

/*
 * How a program answers the shared options, for iiot_opt_common().
 * Every pointer is borrowed; only usage and version are required.
 */
struct iiot_opt_common {
	void (*usage)(void);	/* -h: print the full usage on stdout */
	void (*version)(void);	/* -V: print the versions on stdout */
	int *unbuffered;	/* -u sets it to 1; NULL: no -u */
	int *quiet;		/* -q also sets it to 1; may be NULL */
	int64_t *interval;	/* -i: a positive duration, ms; NULL: no -i */
	const char *synopsis;	/* for the usage error of a bad -i */
};

/*
 * Handle one option returned by getopt_long() if it is a shared one:
 * -h prints the usage and exits 0; -V prints the version and exits 0;
 * -q sets iiot_verbosity to -1; -v raises it unless -q was given; -u
 * and -i set what oc points to (a bad or non-positive -i is a usage
 * error: exit 2).  arg is optarg.
 * Returns 1 when c was handled, 0 when it is not a shared option (the
 * caller reports it).
 */
int iiot_opt_common(int c, const char *arg, const struct iiot_opt_common *oc);

/*
 * Store one option returned by getopt_long() in m if it is one of the
 * broker options of IIOT_MQTT_LONGOPTS (iiot_mqtt.h).  arg is optarg,
 * borrowed by m.  A --qos other than 0, 1 or 2 is a usage error: exit 2.
 * Returns 1 when c was stored, 0 when it is not a broker option.
 */
int iiot_opt_mqtt(int c, const char *arg, struct iiot_mqtt_opts *m);

#endif /* IIOT_X_H */
