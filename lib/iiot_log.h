/* SPDX-License-Identifier: MIT */
/* iiot_log.h: diagnostics on stderr, rate limiting, and error codes. */
#ifndef IIOT_LOG_H
#define IIOT_LOG_H

#include <stdint.h>

/*
 * Domain error codes, stored in errno by library functions.  They sit
 * above a private base so that they never collide with system errnos.
 */
#define IIOT_EBASE	0x1000
#define IIOT_EJSON	(IIOT_EBASE + 1)	/* not valid JSON */
#define IIOT_ENOTOBJ	(IIOT_EBASE + 2)	/* JSON, but not an object */
#define IIOT_ENOSENSOR	(IIOT_EBASE + 3)	/* no string "sensor" field */
#define IIOT_ENOVALUE	(IIOT_EBASE + 4)	/* no numeric "value" field */
#define IIOT_ETS	(IIOT_EBASE + 5)	/* invalid "ts" field */
#define IIOT_EUTF8	(IIOT_EBASE + 6)	/* invalid UTF-8 */
#define IIOT_ETOOLONG	(IIOT_EBASE + 7)	/* line longer than the limit */
#define IIOT_ESYNTAX	(IIOT_EBASE + 8)	/* syntax error in a config file */
#define IIOT_EMODBUS	(IIOT_EBASE + 9)	/* Modbus protocol error */
#define IIOT_EMQTT	(IIOT_EBASE + 10)	/* MQTT client error */
#define IIOT_EDB	(IIOT_EBASE + 11)	/* database error */
#define IIOT_ELAST	(IIOT_EBASE + 12)

/*
 * Verbosity shared by the whole program: -1 with -q, 0 by default, one
 * more for each -v.  Programs set it while parsing options.
 */
extern int iiot_verbosity;

/*
 * Set the name that prefixes every diagnostic.
 * name: the program name; only its last path component is kept; the
 * string is borrowed and must outlive the program (argv[0] does).
 */
void iiot_setprogname(const char *name);

/*
 * Return the program name set by iiot_setprogname(), or "iiot".
 */
const char *iiot_progname(void);

/*
 * Describe an error code: IIOT_E* codes or a system errno.
 * Returns a static string; never NULL.
 */
const char *iiot_strerror(int code);

/*
 * Print "prog: message: strerror(errno)" on stderr, like warn(3).
 * iiot_warnx() leaves out the errno part.  Both print nothing with -q
 * (iiot_verbosity < 0).  errno is preserved.
 */
void iiot_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void iiot_warnx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Print "prog: message" on stderr only with -v (iiot_verbosity >= level).
 */
void iiot_debug(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Rate limiter for warnings about individual bad records.  Zero it
 * before use.  The first IIOT_RATELIMIT_BURST warnings are printed;
 * after that only the 2nd, 4th, 8th... so a flood of bad lines costs a
 * logarithmic number of messages.  count is the number of calls.
 */
#define IIOT_RATELIMIT_BURST 10
struct iiot_ratelimit {
	unsigned long count;
};

/*
 * Count one event and print the warning if the limiter lets it through,
 * with a note of how many similar messages were suppressed.
 */
void iiot_warnx_limited(struct iiot_ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Complaint about a failure that repeats, such as a dead device (after
 * collectd's c_complain).  The first failure is reported at once; while
 * it lasts, reminders come at doubling intervals up to one hour; the
 * recovery is reported once.  Zero the struct before use.
 */
struct iiot_complain {
	int64_t next;		/* ms: earliest time of the next reminder */
	int64_t interval;	/* ms: current reminder interval */
	unsigned long count;	/* failures since the first report */
};

/*
 * Report a failure at time now (ms) if it is due.  Returns 1 if printed.
 */
int iiot_complain(struct iiot_complain *c, int64_t now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Report a recovery if a failure was being reported, and reset c.
 * Returns 1 if printed.
 */
int iiot_complain_clear(struct iiot_complain *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* IIOT_LOG_H */
