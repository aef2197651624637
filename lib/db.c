/* SPDX-License-Identifier: MIT */
/* db.c: a thin SQLite layer: WAL, busy timeout, migrations, statements. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_log.h"

struct iiot_db {
	sqlite3 *h;
	int errclass;
	char msg[512];
};

struct iiot_stmt {
	sqlite3_stmt *s;
	struct iiot_db *db;
};

static int
classify(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return IIOT_DB_EBUSY;
	case SQLITE_FULL:
		return IIOT_DB_EFULL;
	case SQLITE_READONLY:
		return IIOT_DB_ERDONLY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return IIOT_DB_ECORRUPT;
	case SQLITE_IOERR:
		return IIOT_DB_EIO;
	case SQLITE_CANTOPEN:
		return IIOT_DB_ECANTOPEN;
	}
	return IIOT_DB_EOTHER;
}

/* Record the connection's last error; always returns -1. */
static int
fail(struct iiot_db *db, int rc)
{
	int ext = sqlite3_extended_errcode(db->h), saved = errno;

	db->errclass = classify(rc ? rc : ext);
	/*
	 * A file grown past RLIMIT_FSIZE (EFBIG) or a full disk may come
	 * back as a write error: it is a full disk for our purpose.  SQLite
	 * does not always keep the errno, but errno still holds it.
	 */
	if ((ext & 0xff) == SQLITE_IOERR &&
	    (sqlite3_system_errno(db->h) == EFBIG ||
	    sqlite3_system_errno(db->h) == ENOSPC ||
	    saved == EFBIG || saved == ENOSPC))
		db->errclass = IIOT_DB_EFULL;
	snprintf(db->msg, sizeof(db->msg), "%s", sqlite3_errmsg(db->h));
	errno = IIOT_EDB;
	return -1;
}

static int
failx(struct iiot_db *db, int class, const char *msg)
{
	db->errclass = class;
	snprintf(db->msg, sizeof(db->msg), "%s", msg);
	errno = IIOT_EDB;
	return -1;
}

const char *
iiot_db_errmsg(const struct iiot_db *db)
{
	return db->msg;
}

int
iiot_db_errclass(const struct iiot_db *db)
{
	return db->errclass;
}

/* Aggregate state of iiot_first, iiot_last and iiot_delta. */
struct tsagg {
	int n;
	sqlite3_int64 t0, t1;
	double v0, v1;
};

static void
tsagg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct tsagg *a = sqlite3_aggregate_context(ctx, sizeof(*a));
	sqlite3_int64 t;
	double v;

	(void)argc;
	if (a == NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	t = sqlite3_value_int64(argv[0]);
	v = sqlite3_value_double(argv[1]);
	if (a->n++ == 0) {
		a->t0 = a->t1 = t;
		a->v0 = a->v1 = v;
		return;
	}
	if (t < a->t0) {
		a->t0 = t;
		a->v0 = v;
	}
	if (t >= a->t1) {
		a->t1 = t;
		a->v1 = v;
	}
}

static void
tsagg_final(sqlite3_context *ctx)
{
	struct tsagg *a = sqlite3_aggregate_context(ctx, 0);
	intptr_t which = (intptr_t)sqlite3_user_data(ctx);

	if (a == NULL || a->n == 0) {
		sqlite3_result_null(ctx);
		return;
	}
	if (which == 0)
		sqlite3_result_double(ctx, a->v0);
	else if (which == 1)
		sqlite3_result_double(ctx, a->v1);
	else
		sqlite3_result_double(ctx, a->v1 - a->v0);
}

static int
add_functions(sqlite3 *h)
{
	static const char *const names[] = {
		"iiot_first", "iiot_last", "iiot_delta",
	};
	intptr_t i;

	for (i = 0; i < 3; i++)
		if (sqlite3_create_function(h, names[i], 2,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)i, NULL,
		    tsagg_step, tsagg_final) != SQLITE_OK)
			return -1;
	return 0;
}

struct iiot_db *
iiot_db_open(const char *path, int flags, int busy_ms, char **errmsg)
{
	struct iiot_db *db;
	int oflags, rc, fd;

	if (errmsg != NULL)
		*errmsg = NULL;
	/*
	 * Memory statistics cost a global mutex per allocation; nobody
	 * reads them.  Only possible before SQLite initializes: a later
	 * call fails harmlessly.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if (flags & IIOT_DB_RDONLY) {
		oflags = SQLITE_OPEN_READONLY;
	} else {
		oflags = SQLITE_OPEN_READWRITE;
		if (flags & IIOT_DB_CREATE) {
			/*
			 * SQLite would create the file 0644; make it ourselves
			 * so the archive is not world-readable.  SQLite then
			 * gives its -wal and -shm files the same mode.
			 */
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0640);
			if (fd >= 0)
				close(fd);
		}
	}
	rc = sqlite3_open_v2(path, &db->h, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_extended_result_codes(db->h, 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db->h, busy_ms);
	if (rc == SQLITE_OK && add_functions(db->h) < 0)
		rc = SQLITE_ERROR;
	/* Reading the schema tells a database from any other file. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->h, "SELECT count(*) FROM sqlite_master",
		    NULL, NULL, NULL);
	if (rc == SQLITE_OK && !(flags & IIOT_DB_RDONLY)) {
		if (flags & IIOT_DB_NOWAL)
			rc = sqlite3_exec(db->h, "PRAGMA journal_mode=DELETE",
			    NULL, NULL, NULL);
		else
			rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; "
			    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		if (errmsg != NULL && db->h != NULL)
			*errmsg = strdup(sqlite3_errmsg(db->h));
		else if (errmsg != NULL)
			*errmsg = strdup(sqlite3_errstr(rc));
		sqlite3_close_v2(db->h);
		free(db);
		errno = IIOT_EDB;
		return NULL;
	}
	return db;
}

int
iiot_db_close(struct iiot_db *db)
{
	int rc;

	if (db == NULL)
		return 0;
	rc = sqlite3_close_v2(db->h);
	free(db);
	if (rc != SQLITE_OK) {
		errno = IIOT_EDB;
		return -1;
	}
	return 0;
}

int
iiot_db_exec(struct iiot_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(db, rc);
}

int
iiot_db_begin(struct iiot_db *db)
{
	return iiot_db_exec(db, "BEGIN IMMEDIATE");
}

int
iiot_db_commit(struct iiot_db *db)
{
	return iiot_db_exec(db, "COMMIT");
}

int
iiot_db_rollback(struct iiot_db *db)
{
	int class = db->errclass, r;
	char msg[sizeof(db->msg)];

	if (sqlite3_get_autocommit(db->h))
		return 0;
	/* Keep the error that made us roll back for the caller. */
	memcpy(msg, db->msg, sizeof(msg));
	r = iiot_db_exec(db, "ROLLBACK");
	if (r == 0) {
		db->errclass = class;
		memcpy(db->msg, msg, sizeof(msg));
	}
	return r;
}

int
iiot_db_in_txn(const struct iiot_db *db)
{
	return !sqlite3_get_autocommit(db->h);
}

int
iiot_db_version(struct iiot_db *db, int *version)
{
	struct iiot_stmt *st;
	int r;

	if ((st = iiot_db_prepare(db, "PRAGMA user_version")) == NULL)
		return -1;
	r = iiot_stmt_step(st);
	if (r == 1)
		*version = (int)iiot_stmt_int(st, 0);
	iiot_stmt_free(st);
	if (r == 0)
		return failx(db, IIOT_DB_EOTHER, "no user_version");
	return r == 1 ? 0 : -1;
}

int
iiot_db_migrate(struct iiot_db *db, const char *const *steps, int n)
{
	char sql[64], msg[128];
	int v, i;

	/* Up to date: no need for the write lock. */
	if (iiot_db_version(db, &v) < 0)
		return -1;
	if (v == n)
		return 0;
	if (iiot_db_begin(db) < 0)
		return -1;
	if (iiot_db_version(db, &v) < 0)
		goto fail;
	if (v > n) {
		snprintf(msg, sizeof(msg), "schema version %d is newer than "
		    "this program's %d", v, n);
		iiot_db_rollback(db);
		return failx(db, IIOT_DB_EOTHER, msg);
	}
	for (i = v; i < n; i++)
		if (iiot_db_exec(db, steps[i]) < 0)
			goto fail;
	if (v < n) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", n);
		if (iiot_db_exec(db, sql) < 0)
			goto fail;
	}
	if (iiot_db_commit(db) < 0)
		goto fail;
	return 0;
fail:
	iiot_db_rollback(db);
	return -1;
}

int
iiot_db_integrity(struct iiot_db *db, struct iiot_buf *report)
{
	struct iiot_stmt *st;
	const char *t;
	int r, bad = 0;

	if ((st = iiot_db_prepare(db, "PRAGMA integrity_check")) == NULL)
		return -1;
	while ((r = iiot_stmt_step(st)) == 1) {
		t = iiot_stmt_text(st, 0, NULL);
		if (t != NULL && strcmp(t, "ok") == 0)
			continue;
		bad = 1;
		if (iiot_buf_adds(report, t != NULL ? t : "?") < 0 ||
		    iiot_buf_addc(report, '\n') < 0)
			break;
	}
	iiot_stmt_free(st);
	if (r < 0)
		return -1;
	return bad;
}

int
iiot_db_backup(struct iiot_db *db, const char *path)
{
	struct iiot_stmt *st;
	int r;

	if ((st = iiot_db_prepare(db, "VACUUM INTO ?")) == NULL)
		return -1;
	r = iiot_stmt_bind_text(st, 1, path, -1);
	if (r == 0)
		r = iiot_stmt_step(st);
	iiot_stmt_free(st);
	return r < 0 ? -1 : 0;
}

struct iiot_stmt *
iiot_db_prepare(struct iiot_db *db, const char *sql)
{
	struct iiot_stmt *st;
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->db = db;
	rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->s, NULL);
	if (rc != SQLITE_OK) {
		fail(db, rc);
		free(st);
		errno = IIOT_EDB;
		return NULL;
	}
	return st;
}

int
iiot_stmt_bind_int(struct iiot_stmt *st, int i, int64_t v)
{
	int rc = sqlite3_bind_int64(st->s, i, v);

	return rc == SQLITE_OK ? 0 : fail(st->db, rc);
}

int
iiot_stmt_bind_double(struct iiot_stmt *st, int i, double v)
{
	int rc = sqlite3_bind_double(st->s, i, v);

	return rc == SQLITE_OK ? 0 : fail(st->db, rc);
}

int
iiot_stmt_bind_text(struct iiot_stmt *st, int i, const char *s, long n)
{
	int rc;

	if (s == NULL)
		rc = sqlite3_bind_null(st->s, i);
	else
		rc = sqlite3_bind_text(st->s, i, s, (int)n, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : fail(st->db, rc);
}

int
iiot_stmt_bind_null(struct iiot_stmt *st, int i)
{
	int rc = sqlite3_bind_null(st->s, i);

	return rc == SQLITE_OK ? 0 : fail(st->db, rc);
}

int
iiot_stmt_step(struct iiot_stmt *st)
{
	int rc = sqlite3_step(st->s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	fail(st->db, rc);
	sqlite3_reset(st->s);
	return -1;
}

int
iiot_stmt_isnull(struct iiot_stmt *st, int i)
{
	return sqlite3_column_type(st->s, i) == SQLITE_NULL;
}

int64_t
iiot_stmt_int(struct iiot_stmt *st, int i)
{
	return sqlite3_column_int64(st->s, i);
}

double
iiot_stmt_double(struct iiot_stmt *st, int i)
{
	return sqlite3_column_double(st->s, i);
}

const char *
iiot_stmt_text(struct iiot_stmt *st, int i, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(st->s, i);

	if (len != NULL)
		*len = t != NULL ? (size_t)sqlite3_column_bytes(st->s, i) : 0;
	return t;
}

void
iiot_stmt_reset(struct iiot_stmt *st)
{
	sqlite3_reset(st->s);
	sqlite3_clear_bindings(st->s);
}

void
iiot_stmt_free(struct iiot_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->s);
	free(st);
}

const char *
iiot_db_libversion(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "sqlite %s", sqlite3_libversion());
	return v;
}
