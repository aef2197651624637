/* SPDX-License-Identifier: MIT */
/* iiot_io.h: line input with the suite's flush-before-block policy. */
#ifndef IIOT_IO_H
#define IIOT_IO_H

#include <stddef.h>

/* The longest line accepted; longer ones are skipped whole. */
#define IIOT_LINE_MAX (1024 * 1024)

struct iiot_lines;	/* opaque line reader */

/*
 * Make a reader of newline-delimited lines on fd.
 * fd: borrowed; the reader never closes it.
 * Returns a reader owned by the caller (free with iiot_lines_free), or
 * NULL with errno ENOMEM.
 */
struct iiot_lines *iiot_lines_new(int fd);

/*
 * Set the stream to flush before every read(2) that may block.  This is
 * what keeps pipelines live: output is batched while input is waiting,
 * and flushed as soon as the reader would have to wait.
 * out: borrowed stdio stream, usually stdout; NULL for none.
 */
void iiot_lines_set_flush(struct iiot_lines *l, void *out);

/*
 * Bound how long iiot_lines_next() waits for input: timeout_ms < 0 waits
 * for ever (the default).
 */
void iiot_lines_set_timeout(struct iiot_lines *l, int timeout_ms);

/*
 * Read the next line.  A trailing "\r" is removed with the "\n"; a last
 * line without "\n" is returned at end of input.
 * line, len: receive the line, valid until the next call; the byte after
 * it is writable and set to NUL, so line is a C string.
 * Returns 1 with a line, 0 at end of input, or -1 with errno:
 *   IIOT_ETOOLONG: a line over IIOT_LINE_MAX was skipped (call again);
 *   ETIMEDOUT: nothing arrived within the timeout (call again);
 *   EINTR: a signal arrived (check the flags, then call again);
 *   any read(2) error.
 */
int iiot_lines_next(struct iiot_lines *l, const char **line, size_t *len);

/*
 * Return the number of the line last returned (or skipped), from 1.
 */
unsigned long iiot_lines_lineno(const struct iiot_lines *l);

/*
 * Return the number of bytes read but not yet returned as lines.
 */
size_t iiot_lines_pending(const struct iiot_lines *l);

/*
 * Return the reader's file descriptor, for poll(2) loops.
 */
int iiot_lines_fd(const struct iiot_lines *l);

/*
 * Free a reader.  NULL is allowed.
 */
void iiot_lines_free(struct iiot_lines *l);

/*
 * Return 1 if a line holds only blanks (space, tab, CR): programs skip
 * such lines silently, as JSON parsers skip white space.
 */
int iiot_line_blank(const char *line, size_t len);

/*
 * Set up stdout for records: a large buffer, flushed by the line reader
 * before it blocks, or after every record when unbuffered is set.
 */
void iiot_out_init(int unbuffered);

/*
 * End of one record on stdout: flushes it when unbuffered.
 */
void iiot_out_record(void);

/*
 * Flush and close stdout.  Returns 0, or -1 with errno on a write error
 * (the caller reports it and exits 1).  After SIGINT or SIGTERM it waits
 * about a second at most for a stalled reader, then fails with EINTR.
 */
int iiot_out_close(void);

#endif /* IIOT_IO_H */
