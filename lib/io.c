/* SPDX-License-Identifier: MIT */
/* io.c: line input with the suite's flush-before-block policy. */
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iiot_io.h"
#include "iiot_log.h"
#include "iiot_sig.h"

#define CHUNK (256 * 1024)
#define BUFSZ (IIOT_LINE_MAX + CHUNK + 1)

struct iiot_lines {
	int fd;
	int eof;
	int skipping;		/* discarding the rest of a long line */
	int timeout;
	FILE *flush;
	unsigned long lineno;
	size_t start, end;	/* unread bytes are buf[start..end) */
	char *buf;
};

struct iiot_lines *
iiot_lines_new(int fd)
{
	struct iiot_lines *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if ((l->buf = malloc(BUFSZ)) == NULL) {
		free(l);
		return NULL;
	}
	l->fd = fd;
	l->timeout = -1;
	return l;
}

void
iiot_lines_set_flush(struct iiot_lines *l, void *out)
{
	l->flush = out;
}

void
iiot_lines_set_timeout(struct iiot_lines *l, int timeout_ms)
{
	l->timeout = timeout_ms;
}

unsigned long
iiot_lines_lineno(const struct iiot_lines *l)
{
	return l->lineno;
}

size_t
iiot_lines_pending(const struct iiot_lines *l)
{
	return l->end - l->start;
}

int
iiot_lines_fd(const struct iiot_lines *l)
{
	return l->fd;
}

void
iiot_lines_free(struct iiot_lines *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}

/* Read more input after the unread bytes.  Returns read(2)'s result. */
static ssize_t
fill(struct iiot_lines *l)
{
	struct pollfd pfd;
	size_t room;
	ssize_t n;
	int r;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	room = BUFSZ - 1 - l->end;
	if (room > CHUNK)
		room = CHUNK;
	/* Stopping: no flush that a stalled reader could hold up. */
	if (iiot_sig_term) {
		errno = EINTR;
		return -1;
	}
	/* Nothing we hold may wait while we wait for input. */
	if (l->flush != NULL)
		fflush(l->flush);
	if (l->timeout >= 0) {
		pfd.fd = l->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, l->timeout);
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	n = read(l->fd, l->buf + l->end, room);
	if (n > 0)
		l->end += (size_t)n;
	return n;
}

int
iiot_lines_next(struct iiot_lines *l, const char **line, size_t *len)
{
	char *p, *nl;
	size_t n, scanned = 0;
	ssize_t r;

	for (;;) {
		p = l->buf + l->start;
		n = l->end - l->start;
		nl = memchr(p + scanned, '\n', n - scanned);
		if (nl != NULL) {
			l->start += (size_t)(nl - p) + 1;
			if (l->skipping) {
				/* The end of a line already reported. */
				l->skipping = 0;
				scanned = 0;
				continue;
			}
			l->lineno++;
			n = (size_t)(nl - p);
			if (n > IIOT_LINE_MAX) {
				errno = IIOT_ETOOLONG;
				return -1;
			}
			if (n > 0 && p[n - 1] == '\r')
				n--;
			p[n] = '\0';
			*line = p;
			*len = n;
			return 1;
		}
		scanned = n;
		if (n > IIOT_LINE_MAX) {
			/* Drop what we hold of an over-long line. */
			l->start = l->end;
			scanned = 0;
			if (!l->skipping) {
				l->skipping = 1;
				errno = IIOT_ETOOLONG;
				l->lineno++;
				return -1;
			}
		}
		if (l->eof)
			break;
		r = fill(l);
		if (r < 0)
			return -1;
		if (r == 0)
			l->eof = 1;
	}
	n = l->end - l->start;
	if (n == 0 || l->skipping) {
		l->start = l->end;
		return 0;
	}
	p = l->buf + l->start;
	l->start = l->end;
	l->lineno++;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	*line = p;
	*len = n;
	return 1;
}

int
iiot_line_blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

static int unbuffered_out;

void
iiot_out_init(int unbuffered)
{
	static char buf[1 << 16];

	unbuffered_out = unbuffered;
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

void
iiot_out_record(void)
{
	if (unbuffered_out)
		fflush(stdout);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * After SIGINT or SIGTERM a stalled reader must not hold the exit: the
 * last flush gets a second (a timer interrupts the blocked write, again
 * every 100 ms), then what is left is dropped and reported.
 */
int
iiot_out_close(void)
{
	struct itimerval it = { { 0, 100000 }, { 1, 0 } }, off;
	struct sigaction sa, old;
	struct pollfd pfd;
	int timed = 0, bad, saved;

	if (iiot_sig_term) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigemptyset(&sa.sa_mask);
		timed = sigaction(SIGALRM, &sa, &old) == 0;
		if (timed && setitimer(ITIMER_REAL, &it, NULL) < 0) {
			sigaction(SIGALRM, &old, NULL);
			timed = 0;
		}
	}
	bad = fflush(stdout) != 0 || ferror(stdout);
	saved = errno;
	/* An earlier failed write left no errno: a reader gone is EPIPE. */
	pfd.fd = STDOUT_FILENO;
	pfd.events = POLLOUT;
	if (bad && saved != EPIPE && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & POLLERR))
		saved = EPIPE;
	if (timed) {
		memset(&off, 0, sizeof(off));
		setitimer(ITIMER_REAL, &off, NULL);
		sigaction(SIGALRM, &old, NULL);
		if (bad)
			__fpurge(stdout);
	}
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		errno = saved ? saved : EIO;
		return -1;
	}
	return 0;
}
