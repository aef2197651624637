/* SPDX-License-Identifier: MIT */
/* state.c: iiot-alert's state file, written atomically, and "ack". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "iiot.h"
#include "iiot_thresh.h"
#include "iiot_x.h"
#include "alert.h"

static void merge_acks(const char *path, struct iiot_thresh *t);

/* The identity of the file as this process last wrote or read it. */
static dev_t last_dev;
static ino_t last_ino;
static struct timespec last_mtime;

static int
read_all(const char *path, struct iiot_buf *b)
{
	char chunk[8192];
	ssize_t n;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || iiot_buf_add(b, chunk, n) == -1) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	close(fd);
	return iiot_buf_addc(b, '\0');
}

int
state_load(const char *path, struct iiot_thresh *t)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct stat sb;

	if (read_all(path, &b) == -1) {
		iiot_buf_release(&b);
		return errno == ENOENT ? 0 : -1;
	}
	if (stat(path, &sb) == 0) {
		last_dev = sb.st_dev;
		last_ino = sb.st_ino;
		last_mtime = sb.st_mtim;
	}
	iiot_thresh_state_read(t, b.data, 0);
	iiot_buf_release(&b);
	return 0;
}

/*
 * The directory that holds path, opened; -1 on failure.  Its lock
 * (flock) serializes the writers of the state file, this program and
 * "iiot-alert ack", so that an acknowledgement is never overwritten.
 */
static int
open_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int
lock_dir(const char *path)
{
	int fd;

	if ((fd = open_dir(path)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static void
unlock_dir(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the lock */
}

/* Make a rename durable: fsync the directory that holds path. */
static void
sync_dir(const char *path)
{
	int fd;

	if ((fd = open_dir(path)) != -1) {
		fsync(fd);
		close(fd);
	}
}

static int
write_atomic(const char *path, const struct iiot_buf *b)
{
	char tmp[4096];
	struct stat sb;
	int fd, e, n;
	size_t off = 0;
	ssize_t w;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	while (off < b->len) {
		w = write(fd, b->data + off, b->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			goto fail;
		off += w;
	}
	if (fchmod(fd, 0600) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	sync_dir(path);
	if (stat(path, &sb) == 0) {
		last_dev = sb.st_dev;
		last_ino = sb.st_ino;
		last_mtime = sb.st_mtim;
	}
	return 0;
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

int
state_save(const char *path, struct iiot_thresh *t)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	int rc = -1, lk;

	lk = lock_dir(path);
	/* Acknowledgements written since: take them before writing over. */
	merge_acks(path, t);
	if (iiot_buf_adds(&b, "") == 0 &&
	    iiot_thresh_state_write(t, &b) == 0)
		rc = write_atomic(path, &b);
	unlock_dir(lk);
	iiot_buf_release(&b);
	return rc;
}

void
state_merge_acks(const char *path, struct iiot_thresh *t)
{
	int lk = lock_dir(path);

	merge_acks(path, t);
	unlock_dir(lk);
}

static void
merge_acks(const char *path, struct iiot_thresh *t)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct stat sb;

	/* A new file (rename), or the same one edited in place. */
	if (stat(path, &sb) == -1 ||
	    (sb.st_dev == last_dev && sb.st_ino == last_ino &&
	    sb.st_mtim.tv_sec == last_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == last_mtime.tv_nsec))
		return;
	last_dev = sb.st_dev;
	last_ino = sb.st_ino;
	last_mtime = sb.st_mtim;
	if (read_all(path, &b) == 0 &&
	    iiot_thresh_state_read(t, b.data, 1) > 0)
		iiot_debug(1, "state file '%s' read again for "
		    "acknowledgements", path);
	iiot_buf_release(&b);
}

/*
 * Set "acked" on the active alarms of the state file that match one of
 * the patterns, without knowing the rules: the file is edited as text.
 */
int
state_ack(const char *path, char **patterns, int n)
{
	struct iiot_buf in = IIOT_BUF_INIT, out = IIOT_BUF_INIT;
	const char *s, *eol;
	cJSON *o, *j;
	char full[1024], *txt;
	const char *alert, *src, *sen, *st;
	int i, hit, lk, count = 0, status = IIOT_EXIT_OK;

	lk = lock_dir(path);
	if (read_all(path, &in) == -1) {
		iiot_warn("cannot read state file '%s'", path);
		unlock_dir(lk);
		return IIOT_EXIT_FAIL;
	}
	for (s = in.data; *s; s = eol ? eol + 1 : s + strlen(s)) {
		eol = strchr(s, '\n');
		o = cJSON_ParseWithLength(s, eol ? (size_t)(eol - s) :
		    strlen(s));
		if (o == NULL)
			continue;
		alert = cJSON_GetStringValue(cJSON_GetObjectItem(o, "alert"));
		src = cJSON_GetStringValue(cJSON_GetObjectItem(o, "source"));
		sen = cJSON_GetStringValue(cJSON_GetObjectItem(o, "sensor"));
		st = cJSON_GetStringValue(cJSON_GetObjectItem(o, "state"));
		hit = 0;
		if (alert && src && sen && st && (strcmp(st, "firing") == 0 ||
		    strcmp(st, "clearing") == 0)) {
			snprintf(full, sizeof(full), "%s@%s/%s", alert, src,
			    sen);
			for (i = 0; i < n; i++)
				if (iiot_glob_match(patterns[i], alert) ||
				    iiot_glob_match(patterns[i], full))
					hit = 1;
		}
		if (hit && (j = cJSON_GetObjectItem(o, "acked")) != NULL &&
		    !cJSON_IsTrue(j)) {
			cJSON_ReplaceItemInObject(o, "acked",
			    cJSON_CreateTrue());
			count++;
			printf("acknowledged %s\n", full);
		}
		if ((txt = cJSON_PrintUnformatted(o)) == NULL) {
			cJSON_Delete(o);
			status = IIOT_EXIT_FAIL;
			break;
		}
		iiot_buf_adds(&out, txt);
		iiot_buf_addc(&out, '\n');
		free(txt);
		cJSON_Delete(o);
	}
	if (status == IIOT_EXIT_OK && count == 0) {
		iiot_warnx("no active alarm matches");
		status = IIOT_EXIT_FAIL;
	} else if (status == IIOT_EXIT_OK) {
		if (iiot_buf_adds(&out, "") == -1 ||
		    write_atomic(path, &out) == -1) {
			iiot_warn("cannot write state file '%s'", path);
			status = IIOT_EXIT_FAIL;
		}
	}
	unlock_dir(lk);
	iiot_buf_release(&in);
	iiot_buf_release(&out);
	return status;
}
