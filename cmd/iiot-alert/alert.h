/* SPDX-License-Identifier: MIT */
/* alert.h: interfaces between iiot-alert's main loop, actions and state. */
#ifndef ALERT_H
#define ALERT_H

#include <stddef.h>
#include <stdint.h>

struct iiot_thresh;
struct iiot_thresh_event;
struct actions;		/* the action definitions and their workers */

/*
 * Compile the action definitions of a rule set and start the workers.
 * queue: the most jobs waiting; dry: record but run nothing.
 * err, errsz: receive "file:line: what" for a bad definition.
 * Returns the actions, or NULL (err filled in).
 */
struct actions *actions_new(const struct iiot_thresh *t, size_t queue,
    int dry, char *err, size_t errsz);

/*
 * Queue the actions an event names; never blocks: when the queue is
 * full the job is dropped and reported.  json: the event record.
 */
void actions_run(struct actions *a, const struct iiot_thresh_event *ev,
    const char *json);

/*
 * Wait until every queued job is done, stop the workers and free
 * everything.  With abandon set (a signal), failed jobs are not retried
 * and jobs waiting for a retry run at once.  Returns the number of jobs
 * that failed for good or were dropped.
 */
unsigned long actions_free(struct actions *a, int abandon);

/*
 * Load a state file into t.  A missing file is no error.
 * Returns 0, or -1 with errno.
 */
int state_load(const char *path, struct iiot_thresh *t);

/*
 * Save t's state to path atomically (temporary file, fsync, rename),
 * mode 0600, under a lock shared with "ack", after taking the
 * acknowledgements it wrote.  Returns 0, or -1 with errno.
 */
int state_save(const char *path, struct iiot_thresh *t);

/*
 * Take acknowledgements written to the state file by another process
 * since this one last saved it.  Cheap when nothing changed (a stat).
 */
void state_merge_acks(const char *path, struct iiot_thresh *t);

/*
 * "iiot-alert ack PATTERN... --state FILE": returns the exit status.
 */
int state_ack(const char *path, char **patterns, int n);

#endif /* ALERT_H */
