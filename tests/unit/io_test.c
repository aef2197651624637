/* SPDX-License-Identifier: MIT */
/* io_test.c: unit tests for the line reader on files and pipes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iiot_io.h"
#include "iiot_log.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define TOOLONG "\001"		/* the line is skipped with IIOT_ETOOLONG */

static const struct {
	const char *in;			/* the input */
	size_t n;			/* its length */
	const char *lines[6];		/* the lines read, NULL-terminated */
} cases[] = {
	{ "a\nb\n", 4, { "a", "b" } },			/* two lines */
	{ "a\r\nbc\r\n", 7, { "a", "bc" } },		/* CRLF */
	{ "a\nb", 3, { "a", "b" } },			/* last, no newline */
	{ "a\nb\r", 4, { "a", "b" } },			/* last, with CR */
	{ "\n\n", 2, { "", "" } },			/* empty lines */
	{ "\r\n", 2, { "" } },				/* CRLF alone */
	{ "", 0, { NULL } },				/* no input */
	{ "a\rb\n", 4, { "a\rb" } },			/* inner CR kept */
	{ "a\r\r\n", 4, { "a\r" } },			/* one CR removed */
	{ " \t \n", 4, { " \t " } },			/* blanks kept */
	{ "\n", 1, { "" } },				/* one empty line */
	{ "x", 1, { "x" } },				/* one byte */
};

/*
 * Give the input on a pipe, written by a child in pieces of chunk bytes
 * (0: random sizes), or in a file when chunk is negative.
 */
static int
feed(const char *data, size_t n, int chunk, pid_t *pid)
{
	char path[] = "/tmp/io_testXXXXXX";
	size_t off, k;
	int fd[2];

	*pid = -1;
	if (chunk < 0) {
		if ((fd[0] = mkstemp(path)) < 0)
			return -1;
		unlink(path);
		if (write(fd[0], data, n) != (ssize_t)n ||
		    lseek(fd[0], 0, SEEK_SET) != 0)
			return -1;
		return fd[0];
	}
	if (pipe(fd) < 0 || (*pid = fork()) < 0)
		return -1;
	if (*pid == 0) {
		close(fd[0]);
		srandom((unsigned)getpid());
		for (off = 0; off < n; off += k) {
			k = chunk ? (size_t)chunk :
			    (size_t)random() % 70000 + 1;
			if (k > n - off)
				k = n - off;
			if (write(fd[1], data + off, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(fd[1]);
	return fd[0];
}

static int
reap(pid_t pid)
{
	int st;

	if (pid < 0)
		return 1;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

/* Read every line of a case; chunk as for feed(). */
static int
check_case(size_t i, int chunk)
{
	struct iiot_lines *l;
	const char *line;
	size_t len, k = 0;
	pid_t pid;
	int fd, rc, ok = 1;

	if ((fd = feed(cases[i].in, cases[i].n, chunk, &pid)) < 0 ||
	    (l = iiot_lines_new(fd)) == NULL)
		return 0;
	while ((rc = iiot_lines_next(l, &line, &len)) == 1) {
		if (k >= NELEM(cases[i].lines) || cases[i].lines[k] == NULL ||
		    len != strlen(cases[i].lines[k]) ||
		    memcmp(line, cases[i].lines[k], len) != 0 ||
		    line[len] != '\0' || iiot_lines_lineno(l) != k + 1)
			ok = 0;
		k++;
	}
	ok = ok && rc == 0 && (k == NELEM(cases[i].lines) ||
	    cases[i].lines[k] == NULL) && iiot_lines_pending(l) == 0 &&
	    iiot_lines_next(l, &line, &len) == 0 && iiot_lines_fd(l) == fd;
	iiot_lines_free(l);
	close(fd);
	return reap(pid) && ok;
}

/*
 * Lines at and over the limit: exactly IIOT_LINE_MAX bytes is read,
 * one more is skipped with IIOT_ETOOLONG, then the next line comes
 * right, numbered right.
 */
static int
check_long(int chunk)
{
	static const struct {
		char c;			/* the byte the line is made of */
		size_t n;		/* its length */
		const char *end;	/* how it ends */
		int skipped;		/* read as IIOT_ETOOLONG */
	} shape[] = {
		{ 'f', 5, "\n", 0 },
		{ 'a', IIOT_LINE_MAX, "\n", 0 },
		{ 'b', IIOT_LINE_MAX + 1, "\n", 1 },
		{ 'g', 5, "\n", 0 },
		{ 'c', 3 * IIOT_LINE_MAX + 7, "\r\n", 1 },
		{ 'd', IIOT_LINE_MAX - 1, "\r\n", 0 },
		{ 'h', 0, "\n", 0 },
		{ 'e', IIOT_LINE_MAX + 1, "", 1 },
	};
	struct iiot_lines *l;
	const char *line;
	char *data;
	size_t i, len, n = 0, k;
	pid_t pid;
	int fd, rc, ok = 1;

	if ((data = malloc(8 * IIOT_LINE_MAX)) == NULL)
		return 0;
	for (i = 0; i < NELEM(shape); i++) {
		memset(data + n, shape[i].c, shape[i].n);
		n += shape[i].n;
		memcpy(data + n, shape[i].end, strlen(shape[i].end));
		n += strlen(shape[i].end);
	}
	if ((fd = feed(data, n, chunk, &pid)) < 0 ||
	    (l = iiot_lines_new(fd)) == NULL) {
		free(data);
		return 0;
	}
	for (i = 0; i < NELEM(shape) && ok; i++) {
		errno = 0;
		rc = iiot_lines_next(l, &line, &len);
		if (shape[i].skipped) {
			ok = rc == -1 && errno == IIOT_ETOOLONG;
		} else {
			ok = rc == 1 && len == shape[i].n && line[len] == '\0';
			for (k = 0; k < len && ok; k++)
				ok = line[k] == shape[i].c;
		}
		if (iiot_lines_lineno(l) != i + 1)
			ok = 0;
		if (!ok)
			printf("# line %zu: rc %d errno %d len %zu "
			    "lineno %lu\n", i + 1, rc, errno, len,
			    iiot_lines_lineno(l));
	}
	ok = ok && iiot_lines_next(l, &line, &len) == 0;
	iiot_lines_free(l);
	close(fd);
	free(data);
	return reap(pid) && ok;
}

/* Many lines of every length cross the buffer's boundaries. */
static int
check_many(int chunk)
{
	struct iiot_lines *l;
	const char *line;
	char *data;
	size_t i, j, len, n = 0, nlines = 100000, want;
	pid_t pid;
	int fd, ok = 1;

	if ((data = malloc(nlines * 400)) == NULL)
		return 0;
	for (i = 0; i < nlines; i++) {
		want = (i * 7919) % 397;
		for (j = 0; j < want; j++)
			data[n++] = (char)('!' + (i + j) % 90);
		if (i % 5 == 0)
			data[n++] = '\r';
		data[n++] = '\n';
	}
	if ((fd = feed(data, n, chunk, &pid)) < 0 ||
	    (l = iiot_lines_new(fd)) == NULL) {
		free(data);
		return 0;
	}
	for (i = 0; i < nlines && ok; i++) {
		want = (i * 7919) % 397;
		ok = iiot_lines_next(l, &line, &len) == 1 && len == want &&
		    iiot_lines_lineno(l) == i + 1;
		for (j = 0; j < len && ok; j++)
			ok = line[j] == (char)('!' + (i + j) % 90);
		if (!ok)
			printf("# line %zu: len %zu, not %zu\n", i + 1, len,
			    want);
	}
	ok = ok && iiot_lines_next(l, &line, &len) == 0;
	iiot_lines_free(l);
	close(fd);
	free(data);
	return reap(pid) && ok;
}

/*
 * On an idle pipe: ETIMEDOUT after the timeout, with what was pending
 * flushed first; a partial line waits, then comes whole.
 */
static int
check_timeout(void)
{
	struct iiot_lines *l;
	const char *line;
	char *text = NULL;
	size_t len, size = 0;
	FILE *out;
	int fd[2], ok;

	if (pipe(fd) < 0 || (l = iiot_lines_new(fd[0])) == NULL ||
	    (out = open_memstream(&text, &size)) == NULL)
		return 0;
	iiot_lines_set_timeout(l, 20);
	iiot_lines_set_flush(l, out);
	fputs("held", out);
	errno = 0;
	ok = iiot_lines_next(l, &line, &len) == -1 && errno == ETIMEDOUT &&
	    size == 4;
	ok = ok && write(fd[1], "ab", 2) == 2;
	errno = 0;
	ok = ok && iiot_lines_next(l, &line, &len) == -1 &&
	    errno == ETIMEDOUT && iiot_lines_pending(l) == 2;
	ok = ok && write(fd[1], "c\r\nd\n", 5) == 5 &&
	    iiot_lines_next(l, &line, &len) == 1 && len == 3 &&
	    strcmp(line, "abc") == 0 && iiot_lines_lineno(l) == 1 &&
	    iiot_lines_next(l, &line, &len) == 1 && strcmp(line, "d") == 0;
	errno = 0;
	ok = ok && iiot_lines_next(l, &line, &len) == -1 &&
	    errno == ETIMEDOUT;
	close(fd[1]);
	ok = ok && iiot_lines_next(l, &line, &len) == 0 &&
	    iiot_lines_lineno(l) == 2;
	iiot_lines_free(l);
	iiot_lines_free(NULL);
	close(fd[0]);
	fclose(out);
	free(text);
	return ok;
}

/* A read error is returned with its errno. */
static int
check_error(void)
{
	struct iiot_lines *l = iiot_lines_new(-1);
	const char *line;
	size_t len;
	int ok;

	if (l == NULL)
		return 0;
	errno = 0;
	ok = iiot_lines_next(l, &line, &len) == -1 && errno == EBADF;
	iiot_lines_free(l);
	return ok;
}

int
main(void)
{
	static const int chunks[] = { -1, 1, 0 };
	char desc[128];
	size_t i, j;

	signal(SIGPIPE, SIG_IGN);
	tap_plan((int)(NELEM(cases) * NELEM(chunks) + 2 * NELEM(chunks)) + 2);
	for (i = 0; i < NELEM(cases); i++) {
		for (j = 0; j < NELEM(chunks); j++) {
			snprintf(desc, sizeof(desc), "lines (%s): case %zu",
			    chunks[j] < 0 ? "file" : chunks[j] ? "pipe, "
			    "bytewise" : "pipe", i);
			tap_ok(check_case(i, chunks[j]), desc);
		}
	}
	for (j = 0; j < NELEM(chunks); j++) {
		snprintf(desc, sizeof(desc), "long lines (%s)",
		    chunks[j] < 0 ? "file" : chunks[j] ?
		    "pipe, 4093 B writes" : "pipe");
		tap_ok(check_long(chunks[j] > 0 ? 4093 : chunks[j]), desc);
		snprintf(desc, sizeof(desc), "100000 lines (%s)",
		    chunks[j] < 0 ? "file" : chunks[j] ?
		    "pipe, 1000 B writes" : "pipe");
		tap_ok(check_many(chunks[j] > 0 ? 1000 : chunks[j]), desc);
	}
	tap_ok(check_timeout(), "timeout: ETIMEDOUT on an idle pipe, flushed");
	tap_ok(check_error(), "read error: EBADF");
	return tap_status();
}
