/* SPDX-License-Identifier: MIT */
/* db_test.c: unit tests for the SQLite layer, on real files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_log.h"
#include "tap.h"

static const char *const steps[] = {
	"CREATE TABLE t (k INTEGER PRIMARY KEY, ts INTEGER, v REAL)",
	"ALTER TABLE t ADD COLUMN note TEXT",
};

/* One query with a single numeric result. */
static double
scalar(struct iiot_db *db, const char *sql)
{
	struct iiot_stmt *st = iiot_db_prepare(db, sql);
	double d = -1;

	if (st != NULL && iiot_stmt_step(st) == 1)
		d = iiot_stmt_double(st, 0);
	iiot_stmt_free(st);
	return d;
}

static const struct {
	const char *sql;	/* an aggregate over t */
	double want;
} aggs[] = {
	/* the value at the earliest time, whatever the row order */
	{ "SELECT iiot_first(ts, v) FROM t", 10 },
	/* the value at the latest time */
	{ "SELECT iiot_last(ts, v) FROM t", 30 },
	/* last minus first */
	{ "SELECT iiot_delta(ts, v) FROM t", 20 },
	/* NULL for an empty group */
	{ "SELECT coalesce(iiot_first(ts, v), -7) FROM t WHERE 0", -7 },
};

int
main(void)
{
	char dir[] = "/tmp/db_testXXXXXX", path[64], copy[64], junk[64];
	struct iiot_buf rep = IIOT_BUF_INIT;
	struct iiot_db *db, *db2;
	struct iiot_stmt *st;
	struct stat sb;
	size_t i, len;
	char *msg;
	int v = -1, rc;
	FILE *f;

	tap_plan(19);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/a.db", dir);
	snprintf(copy, sizeof(copy), "%s/b.db", dir);
	snprintf(junk, sizeof(junk), "%s/junk.db", dir);

	db = iiot_db_open(path, IIOT_DB_RDONLY, 0, &msg);
	tap_ok(db == NULL && errno == IIOT_EDB && msg != NULL,
	    "read-only open of a missing file fails with a message");
	free(msg);

	umask(022);
	db = iiot_db_open(path, IIOT_DB_CREATE, 1000, NULL);
	tap_ok(db != NULL, "create");
	tap_ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640,
	    "a new file is 0640");
	tap_ok(iiot_db_migrate(db, steps, 1) == 0 &&
	    iiot_db_version(db, &v) == 0 && v == 1, "migrate to version 1");
	tap_ok(iiot_db_migrate(db, steps, 2) == 0 &&
	    iiot_db_version(db, &v) == 0 && v == 2,
	    "migrate an older file to version 2");
	tap_ok(iiot_db_migrate(db, steps, 1) < 0 &&
	    strstr(iiot_db_errmsg(db), "newer") != NULL,
	    "refuse a file newer than the program");

	st = iiot_db_prepare(db,
	    "INSERT INTO t (ts, v, note) VALUES (?1, ?2, ?3)");
	rc = st != NULL && iiot_db_begin(db) == 0 && iiot_db_in_txn(db);
	for (i = 0; rc && i < 3; i++) {
		/* Out of time order on purpose: 20 at t=2, 30 at 3, 10 at 1. */
		int64_t t = (int64_t)(i + 1) % 3 + 1;

		rc = iiot_stmt_bind_int(st, 1, t) == 0 &&
		    iiot_stmt_bind_double(st, 2, 10.0 * (double)t) == 0 &&
		    iiot_stmt_bind_text(st, 3, i == 0 ? "x\"y" : NULL,
		    -1) == 0 && iiot_stmt_step(st) == 0;
		iiot_stmt_reset(st);
	}
	tap_ok(rc && iiot_db_commit(db) == 0 && !iiot_db_in_txn(db),
	    "insert three rows in a transaction");
	iiot_stmt_free(st);

	st = iiot_db_prepare(db,
	    "SELECT note, v FROM t WHERE note IS NOT NULL");
	tap_ok(st != NULL && iiot_stmt_step(st) == 1 &&
	    strcmp(iiot_stmt_text(st, 0, &len), "x\"y") == 0 && len == 3 &&
	    iiot_stmt_double(st, 1) == 20 && iiot_stmt_step(st) == 0,
	    "text and number columns read back");
	iiot_stmt_free(st);

	for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		tap_ok(scalar(db, aggs[i].sql) == aggs[i].want, aggs[i].sql);

	tap_ok(iiot_db_prepare(db, "SELECT nocolumn FROM nowhere") == NULL &&
	    errno == IIOT_EDB && strstr(iiot_db_errmsg(db), "nowhere") != NULL,
	    "a bad statement reports SQLite's message");

	/* A second connection finds the write lock taken. */
	db2 = iiot_db_open(path, 0, 0, NULL);
	tap_ok(db2 != NULL && iiot_db_begin(db) == 0 &&
	    iiot_db_begin(db2) < 0 && iiot_db_errclass(db2) == IIOT_DB_EBUSY,
	    "a locked database is IIOT_DB_EBUSY");
	tap_ok(scalar(db2, "SELECT count(*) FROM t") == 3,
	    "readers still read while a writer holds the lock");
	iiot_db_rollback(db);
	iiot_db_close(db2);

	tap_ok(iiot_db_integrity(db, &rep) == 0 && rep.len == 0,
	    "integrity_check passes");
	tap_ok(iiot_db_backup(db, copy) == 0 && iiot_db_backup(db, copy) < 0,
	    "VACUUM INTO makes a copy, and will not overwrite one");
	tap_ok(iiot_db_close(db) == 0, "close");

	if ((f = fopen(junk, "w")) != NULL) {
		for (i = 0; i < 1000; i++)
			fputs("not a database ", f);
		fclose(f);
	}
	db = iiot_db_open(junk, 0, 0, &msg);
	tap_ok(db == NULL && msg != NULL && strstr(msg, "not a database"),
	    "a file that is not a database is refused");
	free(msg);

	iiot_buf_release(&rep);
	unlink(path);
	unlink(copy);
	unlink(junk);
	snprintf(junk, sizeof(junk), "%s/a.db-wal", dir);
	unlink(junk);
	snprintf(junk, sizeof(junk), "%s/a.db-shm", dir);
	unlink(junk);
	rmdir(dir);
	return tap_status();
}
