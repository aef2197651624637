/* SPDX-License-Identifier: MIT */
/* iiot_thresh.h: alarm rules (see iiot-rules(5)) and their state machine. */
#ifndef IIOT_THRESH_H
#define IIOT_THRESH_H

#include <stddef.h>
#include <stdint.h>

struct iiot_rec;
struct iiot_buf;
struct iiot_thresh;	/* opaque: a rule set with its alarms' state */

/* Severities, in increasing order. */
#define IIOT_SEV_INFO		0
#define IIOT_SEV_WARNING	1
#define IIOT_SEV_CRITICAL	2

/* Flags for iiot_thresh_new(). */
#define IIOT_THRESH_INSTANT	0x1	/* check mode: ignore for, flap, cap */

/*
 * An alarm event, handed to the callback of iiot_thresh_feed() and
 * iiot_thresh_tick().  Every pointer is owned by the rule set and valid
 * only during the callback.
 */
struct iiot_thresh_event {
	const char *alert;	/* the rule's name */
	const char *source;	/* the series */
	const char *sensor;
	const char *unit;	/* its last unit, or NULL */
	const char *state;	/* firing resolved escalated reminder flapping */
	const char *severity;	/* info warning critical */
	int sev;		/* IIOT_SEV_* */
	double threshold;	/* the limit crossed, when has_threshold */
	int has_threshold;
	double value;		/* the series' last value, when has_value */
	int has_value;
	int64_t ts;		/* data time of the event (ms) */
	int64_t since;		/* when the condition began to hold (ms) */
	const struct iiot_rec *rec;	/* the triggering record, or NULL */
	int silenced;		/* a silence covers it: record, don't act */
	const char *const *actions;	/* action names: rule's, severity's */
	size_t nactions;
};

/* The callback: called once for each event, in order. */
typedef void iiot_thresh_cb(void *arg, const struct iiot_thresh_event *ev);

/* An action definition: "action NAME [OPTIONS] TYPE ARGS...". */
struct iiot_thresh_action {
	const char *name;
	char **argv;		/* the words after the name */
	size_t argc;
	const char *file;	/* where it was defined */
	int line;
};

/* The state of one alarm (one rule on one series), for reports. */
struct iiot_thresh_alarm {
	const char *alert, *source, *sensor;
	const char *state;	/* ok pending firing clearing */
	int active;		/* firing or clearing */
	int sev;
	int64_t since;
	double value, threshold;
	int has_value, has_threshold;
	int acked;
};

/*
 * Make an empty rule set.  flags: IIOT_THRESH_*.
 * Returns a rule set owned by the caller (iiot_thresh_free), or NULL
 * with errno ENOMEM.
 */
struct iiot_thresh *iiot_thresh_new(int flags);

/*
 * Add rules, actions, routes, silences and defaults from text in the
 * syntax of iiot-rules(5).  file, line: where the text starts, for
 * messages (file is copied).  now: wall clock in ms, for silences given
 * as a duration.  err, errsz: receive "file:line: what" on failure.
 * Returns 0, or -1 with errno IIOT_ESYNTAX or ENOMEM.
 */
int iiot_thresh_parse(struct iiot_thresh *t, const char *text,
    const char *file, int line, int64_t now, char *err, size_t errsz);

/*
 * Read and parse a rules file, as iiot_thresh_parse().  Returns 0, or
 * -1 with errno IIOT_ESYNTAX, ENOMEM or the error opening or reading it
 * (then err holds "file: strerror").
 */
int iiot_thresh_load(struct iiot_thresh *t, const char *path, int64_t now,
    char *err, size_t errsz);

/*
 * Add a silence "RULE[@SOURCE]:DUR" (from now) or
 * "RULE[@SOURCE]:FROM..TO" (times as for --since); RULE and SOURCE are
 * globs.  Returns 0, or -1 with errno EINVAL or ENOMEM.
 */
int iiot_thresh_add_silence(struct iiot_thresh *t, const char *spec,
    int64_t now);

/*
 * Check the rule set once everything is parsed: every action a rule or
 * route names must be defined.  Returns 0, or -1 with errno
 * IIOT_ESYNTAX and err filled in.
 */
int iiot_thresh_finish(struct iiot_thresh *t, char *err, size_t errsz);

/*
 * Return the number of rules, and of actions; an action by index.
 */
size_t iiot_thresh_nrules(const struct iiot_thresh *t);
size_t iiot_thresh_nactions(const struct iiot_thresh *t);
const struct iiot_thresh_action *iiot_thresh_action(
    const struct iiot_thresh *t, size_t i);

/*
 * Feed one parsed record: first time-driven events up to its time
 * (stale series, elapsed "for" delays, reminders), then its own.
 * Time is the record's ts (data time); it never goes backwards.
 * Returns 0, or -1 with errno ENOMEM.
 */
int iiot_thresh_feed(struct iiot_thresh *t, const struct iiot_rec *r,
    iiot_thresh_cb *cb, void *arg);

/*
 * Advance the clock to now (ms, data time) without a record and emit
 * what is due.  Returns 0.
 */
int iiot_thresh_tick(struct iiot_thresh *t, int64_t now,
    iiot_thresh_cb *cb, void *arg);

/*
 * Return the data clock (the latest time fed or ticked, IIOT_TS_NONE
 * before any), and the time of the next time-driven event (INT64_MAX
 * when none is pending).
 */
int64_t iiot_thresh_clock(const struct iiot_thresh *t);
int64_t iiot_thresh_deadline(const struct iiot_thresh *t);

/*
 * Iterate over the alarms.  Set *it to 0 first.  Returns 1 and fills a
 * (pointers owned by t, valid until the next feed), or 0 after the last.
 */
int iiot_thresh_alarm_next(const struct iiot_thresh *t, size_t *it,
    struct iiot_thresh_alarm *a);

/*
 * Acknowledge the active alarms matching a glob on "RULE" or
 * "RULE@SOURCE/SENSOR": no reminders until they resolve.
 * Returns the number of alarms acknowledged.
 */
size_t iiot_thresh_ack(struct iiot_thresh *t, const char *pattern);

/*
 * Append the state of every alarm to out, one JSON object a line.
 * Returns 0, or -1 with errno ENOMEM.
 */
int iiot_thresh_state_write(const struct iiot_thresh *t, struct iiot_buf *out);

/*
 * Restore alarms from text written by iiot_thresh_state_write(); alarms
 * of rules that no longer exist are dropped.  With acks_only, only the
 * acknowledgements of alarms already known are taken.  Returns the
 * number of lines taken, or -1 with errno ENOMEM; bad lines are skipped.
 */
int iiot_thresh_state_read(struct iiot_thresh *t, const char *text,
    int acks_only);

/* A limit a rule sets on a series, for drawing it (iiot-plot). */
struct iiot_thresh_limit {
	const char *alert;	/* the rule, owned by the rule set */
	double value;
	int sev;		/* the severity of crossing it */
	int clear;		/* 1 for a clear level (hysteresis) */
};

/*
 * List the limits of the value rules that apply to series (source,
 * sensor): firing limits (both ends of a range), clear levels and
 * escalation levels.  Fills at most n entries of out (may be NULL when
 * n is 0).  Returns the number of limits there are.
 */
size_t iiot_thresh_limits(const struct iiot_thresh *t, const char *source,
    const char *sensor, struct iiot_thresh_limit *out, size_t n);

/*
 * Return the name of a severity, and parse one ("info", "warning",
 * "critical"; -1 with errno EINVAL otherwise).
 */
const char *iiot_thresh_sev_name(int sev);
int iiot_thresh_sev_parse(const char *s);

/*
 * Free a rule set.  NULL is allowed.
 */
void iiot_thresh_free(struct iiot_thresh *t);

#endif /* IIOT_THRESH_H */
