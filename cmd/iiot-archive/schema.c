/* SPDX-License-Identifier: MIT */
/* schema.c: the archive's schema, its migrations, and opening a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "iiot_db.h"
#include "iiot_log.h"
#include "iiot_x.h"

#include "archive.h"

/*
 * Version 1: a series is what a record's source, sensor, unit and tags
 * (its other string fields, as a JSON object) name; samples are keyed by
 * series and time, without a rowid, so a sample costs little more than
 * its time and value.  Version 2 adds the records view for sqlite3 users.
 * See iiot-archive(1).
 */
const char *const schema_steps[] = {
	"CREATE TABLE series (\n"
	"    id INTEGER PRIMARY KEY,\n"
	"    source TEXT NOT NULL,\n"
	"    sensor TEXT NOT NULL,\n"
	"    unit TEXT,\n"
	"    tags TEXT\n"
	");\n"
	"CREATE INDEX series_name ON series (source, sensor);\n"
	"CREATE TABLE samples (\n"
	"    series_id INTEGER NOT NULL,\n"
	"    ts INTEGER NOT NULL,\n"
	"    value REAL NOT NULL,\n"
	"    quality TEXT,\n"
	"    extra TEXT,\n"
	"    PRIMARY KEY (series_id, ts)\n"
	") WITHOUT ROWID;\n",

	"CREATE VIEW records AS\n"
	"    SELECT strftime('%Y-%m-%dT%H:%M:%fZ', s.ts / 1000.0,\n"
	"        'unixepoch') AS time, s.ts, r.source, r.sensor, s.value,\n"
	"        r.unit, s.quality, r.tags, s.extra\n"
	"    FROM samples AS s JOIN series AS r ON r.id = s.series_id;\n",
};
const int schema_version = sizeof(schema_steps) / sizeof(schema_steps[0]);

void
archive_describe(struct iiot_db *db, const char *what, const char *path,
    char *buf, size_t n)
{
	const char *why = "";

	switch (iiot_db_errclass(db)) {
	case IIOT_DB_EBUSY:
		why = " (another writer holds the lock; see --busy-timeout)";
		break;
	case IIOT_DB_EFULL:
		why = " (disk or file size limit full)";
		break;
	case IIOT_DB_ERDONLY:
		why = " (read-only file or directory)";
		break;
	case IIOT_DB_ECORRUPT:
		why = " (damaged file: restore a backup or archived days)";
		break;
	}
	snprintf(buf, n, "%s: '%s': %s%s", what, path, iiot_db_errmsg(db),
	    why);
}

void
archive_fail(struct iiot_db *db, const char *what, const char *path,
    unsigned long long lost)
{
	char msg[1024];

	archive_describe(db, what, path, msg, sizeof(msg));
	fprintf(stderr, "%s: %s\n", iiot_progname(), msg);
	if (lost > 0)
		fprintf(stderr, "%s: %llu records not committed\n",
		    iiot_progname(), lost);
	exit(IIOT_EXIT_FAIL);
}

static struct iiot_db *
try_open(const char *path, int flags, int64_t busy_ms, char *err, size_t n)
{
	struct iiot_db *db;
	char *msg;

	db = iiot_db_open(path, flags, busy_ms > 0x7fffffff ? 0x7fffffff :
	    (int)busy_ms, &msg);
	if (db == NULL) {
		snprintf(err, n, "cannot open archive: '%s': %s%s", path,
		    msg != NULL ? msg : iiot_strerror(errno),
		    !(flags & IIOT_DB_RDONLY) && access(path, W_OK) < 0 &&
		    errno == EACCES ? " (read-only file or directory)" : "");
		free(msg);
	}
	return db;
}

static struct iiot_db *
open_or_die(const char *path, int flags, int64_t busy_ms)
{
	struct iiot_db *db;
	char err[1024];

	if ((db = try_open(path, flags, busy_ms, err, sizeof(err))) == NULL)
		iiot_errx(IIOT_EXIT_FAIL, "%s", err);
	return db;
}

struct iiot_db *
archive_try_open_write(const char *path, int64_t busy_ms, char *err,
    size_t n)
{
	struct iiot_db *db = try_open(path, IIOT_DB_CREATE, busy_ms, err, n);

	if (db == NULL)
		return NULL;
	if (iiot_db_migrate(db, schema_steps, schema_version) < 0) {
		archive_describe(db, "cannot set up the schema", path, err, n);
		iiot_db_close(db);
		return NULL;
	}
	/* Room for a whole batch of dirty pages, so none spill early. */
	if (iiot_db_exec(db, "PRAGMA cache_size = -16384") < 0) {
		archive_describe(db, "cannot set the cache size", path, err, n);
		iiot_db_close(db);
		return NULL;
	}
	return db;
}

struct iiot_db *
archive_open_write(const char *path, int64_t busy_ms)
{
	struct iiot_db *db;
	char err[1024];

	db = archive_try_open_write(path, busy_ms, err, sizeof(err));
	if (db == NULL)
		iiot_errx(IIOT_EXIT_FAIL, "%s", err);
	return db;
}

static const char *const empty_sql =
    "CREATE TEMP TABLE series (id INTEGER PRIMARY KEY, source TEXT, "
    "sensor TEXT, unit TEXT, tags TEXT);"
    "CREATE TEMP TABLE samples (series_id INTEGER, ts INTEGER, "
    "value REAL, quality TEXT, extra TEXT, PRIMARY KEY (series_id, ts)) "
    "WITHOUT ROWID;";

int
archive_is_blank(struct iiot_db *db)
{
	struct iiot_stmt *st;
	int blank;

	st = iiot_db_prepare(db, "SELECT count(*) FROM sqlite_master");
	blank = st != NULL && iiot_stmt_step(st) == 1 &&
	    iiot_stmt_int(st, 0) == 0;
	iiot_stmt_free(st);
	return blank;
}

struct iiot_db *
archive_open_read(const char *path, int64_t busy_ms)
{
	struct iiot_db *db = open_or_die(path, IIOT_DB_RDONLY, busy_ms);
	int v;

	if (iiot_db_version(db, &v) < 0)
		archive_fail(db, "cannot read the schema version", path, 0);
	/*
	 * A writer that died before its first commit leaves a database with
	 * no tables: an empty archive.  Empty temporary tables stand in.
	 */
	if (v == 0 && archive_is_blank(db)) {
		if (iiot_db_exec(db, empty_sql) < 0)
			archive_fail(db, "cannot read", path, 0);
		return db;
	}
	if (v == 0)
		iiot_errx(IIOT_EXIT_FAIL, "cannot read archive: '%s': not an "
		    "iiot-archive file (schema version 0)", path);
	if (v < 0 || v > schema_version)
		iiot_errx(IIOT_EXIT_FAIL, "cannot read archive: '%s': schema "
		    "version %d is newer than this program's %d", path, v,
		    schema_version);
	return db;
}
