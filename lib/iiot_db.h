/* SPDX-License-Identifier: MIT */
/* iiot_db.h: a thin SQLite layer: WAL, busy timeout, migrations, statements. */
#ifndef IIOT_DB_H
#define IIOT_DB_H

#include <stddef.h>
#include <stdint.h>

struct iiot_buf;
struct iiot_db;		/* opaque: an open database */
struct iiot_stmt;	/* opaque: a prepared statement */

/* Flags of iiot_db_open(). */
#define IIOT_DB_RDONLY	0x1	/* open read-only; never create */
#define IIOT_DB_CREATE	0x2	/* create a missing file, mode 0640 */
#define IIOT_DB_NOWAL	0x4	/* rollback journal: one file */

/* Error classes of iiot_db_errclass(), after SQLite's primary codes. */
#define IIOT_DB_EOTHER	0
#define IIOT_DB_EBUSY	1	/* locked by another connection */
#define IIOT_DB_EFULL	2	/* disk or file size limit full */
#define IIOT_DB_ERDONLY	3	/* read-only file or directory */
#define IIOT_DB_ECORRUPT 4	/* damaged, or not a database */
#define IIOT_DB_EIO	5	/* input/output error */
#define IIOT_DB_ECANTOPEN 6	/* cannot open the file */

/*
 * Open the database at path.  Unless IIOT_DB_RDONLY or IIOT_DB_NOWAL,
 * the journal is WAL with synchronous=NORMAL; every connection waits
 * up to busy_ms for a lock held by another (0: fails at once).  With
 * IIOT_DB_CREATE a missing file is created with mode 0640 (before the
 * umask); its -wal and -shm files get the same mode.
 * path: borrowed.  Returns a handle owned by the caller (iiot_db_close),
 * or NULL with errno IIOT_EDB; *errmsg (if not NULL) then receives a
 * malloc'ed message the caller frees with free().
 * Every connection has three aggregate SQL functions for time series:
 * iiot_first(ts, v) and iiot_last(ts, v), the v of the earliest and of
 * the latest ts in the group, and iiot_delta(ts, v), their difference.
 */
struct iiot_db *iiot_db_open(const char *path, int flags, int busy_ms,
    char **errmsg);

/*
 * Close a database, finalizing any statement left.  NULL is allowed.
 * Returns 0, or -1 with errno IIOT_EDB.
 */
int iiot_db_close(struct iiot_db *db);

/*
 * The message and class (IIOT_DB_E*) of the last failed call on db.
 * The message is owned by db and valid until the next call.
 */
const char *iiot_db_errmsg(const struct iiot_db *db);
int iiot_db_errclass(const struct iiot_db *db);

/*
 * Run SQL text without parameters or results (one or more statements).
 * Returns 0, or -1 with errno IIOT_EDB.
 */
int iiot_db_exec(struct iiot_db *db, const char *sql);

/*
 * Transactions: begin (immediate: takes the write lock now, waiting up
 * to the busy timeout), commit, roll back.  Return 0, or -1 with errno
 * IIOT_EDB.  iiot_db_in_txn() returns 1 inside a transaction.
 */
int iiot_db_begin(struct iiot_db *db);
int iiot_db_commit(struct iiot_db *db);
int iiot_db_rollback(struct iiot_db *db);
int iiot_db_in_txn(const struct iiot_db *db);

/*
 * Read the schema version (PRAGMA user_version).
 * Returns 0 with *version set, or -1 with errno IIOT_EDB.
 */
int iiot_db_version(struct iiot_db *db, int *version);

/*
 * Bring the schema to version n: steps[i] is the SQL that takes version
 * i to version i + 1, so an empty file gets every step and an older one
 * only those it lacks, all in one transaction.
 * steps: borrowed array of n SQL texts.
 * Returns 0, or -1 with errno IIOT_EDB (a failed step, or a file of a
 * newer version than n: the class is IIOT_DB_EOTHER and the message
 * says so).
 */
int iiot_db_migrate(struct iiot_db *db, const char *const *steps, int n);

/*
 * Run PRAGMA integrity_check.  Appends every problem found, one per
 * line, to report (borrowed).  Returns 0 if the file is sound, 1 if
 * not, or -1 with errno IIOT_EDB if the check could not run.
 */
int iiot_db_integrity(struct iiot_db *db, struct iiot_buf *report);

/*
 * Write a consistent, compact copy of the database to path (which must
 * not exist) with VACUUM INTO; safe while writers run.
 * Returns 0, or -1 with errno IIOT_EDB.
 */
int iiot_db_backup(struct iiot_db *db, const char *path);

/*
 * Prepare one SQL statement.  Returns a statement owned by the caller
 * (iiot_stmt_free; it must be freed before the database is closed), or
 * NULL with errno IIOT_EDB.
 */
struct iiot_stmt *iiot_db_prepare(struct iiot_db *db, const char *sql);

/*
 * Bind parameter i (from 1).  Text is not copied: s must stay valid and
 * unchanged until the statement is reset; n < 0 means strlen(s); a NULL
 * s binds SQL NULL.  Return 0, or -1 with errno IIOT_EDB.
 */
int iiot_stmt_bind_int(struct iiot_stmt *st, int i, int64_t v);
int iiot_stmt_bind_double(struct iiot_stmt *st, int i, double v);
int iiot_stmt_bind_text(struct iiot_stmt *st, int i, const char *s,
    long n);
int iiot_stmt_bind_null(struct iiot_stmt *st, int i);

/*
 * Step a statement.  Returns 1 with a row, 0 when done, or -1 with
 * errno IIOT_EDB (the message and class are on the database).
 */
int iiot_stmt_step(struct iiot_stmt *st);

/*
 * Column i (from 0) of the current row.  Text is owned by the statement
 * and valid until the next step or reset; NULL for SQL NULL.  len, if
 * not NULL, receives its length.
 */
int iiot_stmt_isnull(struct iiot_stmt *st, int i);
int64_t iiot_stmt_int(struct iiot_stmt *st, int i);
double iiot_stmt_double(struct iiot_stmt *st, int i);
const char *iiot_stmt_text(struct iiot_stmt *st, int i, size_t *len);

/*
 * Reset a statement for another run and clear its bindings.
 */
void iiot_stmt_reset(struct iiot_stmt *st);

/*
 * Free a statement.  NULL is allowed.
 */
void iiot_stmt_free(struct iiot_stmt *st);

/*
 * The version of the SQLite library, for --version ("sqlite 3.40.1").
 * Returns a static string.
 */
const char *iiot_db_libversion(void);

#endif /* IIOT_DB_H */
