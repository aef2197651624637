/* SPDX-License-Identifier: MIT */
/* rotate.c: iiot-archive rotate, verify and backup: daily files, manifest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_io.h"
#include "iiot_log.h"
#include "iiot_sha256.h"
#include "iiot_time.h"
#include "iiot_x.h"

#include "archive.h"

#define DAY_MS		86400000LL
#define MANIFEST	"MANIFEST"

/*
 * One manifest line: "DAY FILE ROWS SHA256 CHAIN", where FILE is
 * relative to the archive directory, SHA256 is the digest of that file,
 * and CHAIN is the digest of the previous line's CHAIN (64 zeros for the
 * first), a space, and this line up to its SHA256: editing, removing or
 * reordering a line breaks every chain after it.
 */
struct entry {
	char day[11];
	char file[32];
	long long rows;
	char sha[IIOT_SHA256_HEX];
	char chain[IIOT_SHA256_HEX];
	int chain_ok;
};

struct manifest {
	struct entry *e;
	size_t n;
	char last[IIOT_SHA256_HEX];	/* chain of the last line */
	int broken;			/* a line unreadable or chain bad */
};

/* The days of the archive: UTC, or local days of --tz. */
static int use_tz;

static void
tz_init(const char *tz)
{
	if (tz == NULL)
		return;
	if (setenv("TZ", tz, 1) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot set TZ");
	tzset();
	use_tz = 1;
}

/* The day (days since 1970-01-01 of its date) that holds time ms. */
static int64_t
day_of(int64_t ms)
{
	struct tm tm;
	time_t t;
	int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);

	if (!use_tz)
		return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	t = (time_t)s;
	if (localtime_r(&t, &tm) == NULL)
		return s / 86400;
	return iiot_days_from_civil(tm.tm_year + 1900,
	    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

/* The first millisecond of a day. */
static int64_t
day_start(int64_t day)
{
	struct tm tm;
	int64_t y;
	unsigned m, d;

	if (!use_tz)
		return day * DAY_MS;
	iiot_civil_from_days(day, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static void
day_name(int64_t day, char *buf, size_t n)
{
	int64_t y;
	unsigned m, d;

	iiot_civil_from_days(day, &y, &m, &d);
	snprintf(buf, n, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void
chain_of(const char *prev, const struct entry *e, char *out)
{
	char text[256];
	int n;

	n = snprintf(text, sizeof(text), "%s %s %s %lld %s", prev, e->day,
	    e->file, e->rows, e->sha);
	iiot_sha256_hex_of(text, (size_t)n, out);
}

static void
manifest_path(const char *dir, const char *name, char *buf, size_t n)
{
	if ((size_t)snprintf(buf, n, "%s/%s", dir, name) >= n)
		iiot_errx(IIOT_EXIT_USAGE, "path too long: '%s'", dir);
}

/* Read DIR/MANIFEST (a missing one is empty) and check its chain. */
static void
manifest_read(const char *dir, struct manifest *m)
{
	char path[4096], line[512];
	struct entry e;
	FILE *f;
	size_t cap = 0;
	int n;

	memset(m, 0, sizeof(*m));
	memset(m->last, '0', 64);
	manifest_path(dir, MANIFEST, path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return;
		iiot_err(IIOT_EXIT_FAIL, "cannot open '%s'", path);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		memset(&e, 0, sizeof(e));
		if (sscanf(line, "%10s %31s %lld %64s %64s%n", e.day, e.file,
		    &e.rows, e.sha, e.chain, &n) != 5 ||
		    strlen(e.chain) != 64) {
			iiot_warnx("%s: line %zu: unreadable", path, m->n + 1);
			m->broken = 1;
			snprintf(e.chain, sizeof(e.chain), "%s", "-");
		}
		{
			char want[IIOT_SHA256_HEX];

			chain_of(m->last, &e, want);
			e.chain_ok = strcmp(want, e.chain) == 0;
			if (!e.chain_ok)
				m->broken = 1;
		}
		memcpy(m->last, e.chain, sizeof(m->last));
		if (m->n == cap) {
			cap = cap ? 2 * cap : 64;
			m->e = iiot_xrealloc(m->e, cap * sizeof(*m->e));
		}
		m->e[m->n++] = e;
	}
	if (ferror(f))
		iiot_err(IIOT_EXIT_FAIL, "cannot read '%s'", path);
	fclose(f);
}

static const struct entry *
manifest_find(const struct manifest *m, const char *day)
{
	size_t i;

	for (i = m->n; i-- > 0;)
		if (strcmp(m->e[i].day, day) == 0)
			return &m->e[i];
	return NULL;
}

static int
fsync_path(const char *path, int dir)
{
	int fd, rc;

	fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Append an entry to the manifest, durably. */
static void
manifest_append(const char *dir, struct manifest *m, struct entry *e)
{
	char path[4096];
	FILE *f;
	int fd;

	chain_of(m->last, e, e->chain);
	manifest_path(dir, MANIFEST, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || (f = fdopen(fd, "a")) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot open '%s'", path);
	fprintf(f, "%s %s %lld %s %s\n", e->day, e->file, e->rows, e->sha,
	    e->chain);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot write '%s'", path);
	memcpy(m->last, e->chain, sizeof(m->last));
	e->chain_ok = 1;
	m->e = iiot_xrealloc(m->e, (m->n + 1) * sizeof(*m->e));
	m->e[m->n++] = *e;
}

/*
 * The SQLite archive as a live store: the day is copied by attaching
 * the day file to the archive's own connection.
 */
static int
run(struct iiot_db *db, const char *sql, int64_t t0, int64_t t1,
    const char *text)
{
	struct iiot_stmt *st = iiot_db_prepare(db, sql);
	int rc;

	if (st == NULL)
		return -1;
	if (text != NULL)
		iiot_stmt_bind_text(st, 1, text, -1);
	else {
		iiot_stmt_bind_int(st, 1, t0);
		iiot_stmt_bind_int(st, 2, t1);
	}
	rc = iiot_stmt_step(st);
	iiot_stmt_free(st);
	return rc < 0 ? -1 : 0;
}

/* One count(*) of sql, with ?1 = t0 and ?2 = t1 when given. */
static long long
count_of(struct iiot_db *db, const char *sql, int64_t t0, int64_t t1,
    const char *path)
{
	struct iiot_stmt *st;
	long long n = -1;

	if ((st = iiot_db_prepare(db, sql)) == NULL)
		archive_fail(db, "cannot count", path, 0);
	if (t1 > t0) {
		iiot_stmt_bind_int(st, 1, t0);
		iiot_stmt_bind_int(st, 2, t1);
	}
	if (iiot_stmt_step(st) == 1)
		n = iiot_stmt_int(st, 0);
	iiot_stmt_free(st);
	if (n < 0)
		archive_fail(db, "cannot count", path, 0);
	return n;
}

static int64_t
sq_first(struct live *l)
{
	struct iiot_stmt *st;
	int64_t t = IIOT_TS_NONE;
	int rc;

	st = iiot_db_prepare(l->h, "SELECT min((SELECT min(ts) FROM samples "
	    "WHERE series_id = s.id)) FROM series AS s");
	if (st == NULL)
		archive_fail(l->h, "cannot read", l->name, 0);
	rc = iiot_stmt_step(st);
	if (rc == 1 && !iiot_stmt_isnull(st, 0))
		t = iiot_stmt_int(st, 0);
	iiot_stmt_free(st);
	if (rc < 0)
		archive_fail(l->h, "cannot read", l->name, 0);
	return t;
}

static long long
sq_count(struct live *l, int64_t t0, int64_t t1)
{
	return count_of(l->h, "SELECT count(*) FROM samples WHERE "
	    "series_id IN (SELECT id FROM series) AND ts >= ?1 AND ts < ?2",
	    t0, t1, l->name);
}

static long long
sq_copy(struct live *l, int64_t t0, int64_t t1, const char *path)
{
	struct iiot_db *db = l->h;
	long long n;

	if (run(db, "ATTACH ?1 AS day", 0, 0, path) < 0)
		archive_fail(db, "cannot attach", path, 0);
	if (iiot_db_exec(db, "BEGIN") < 0 ||
	    run(db, "INSERT INTO day.series SELECT * FROM main.series AS s "
	    "WHERE EXISTS (SELECT 1 FROM main.samples WHERE series_id = s.id "
	    "AND ts >= ?1 AND ts < ?2)", t0, t1, NULL) < 0 ||
	    run(db, "INSERT INTO day.samples SELECT * FROM main.samples "
	    "WHERE series_id IN (SELECT id FROM main.series) "
	    "AND ts >= ?1 AND ts < ?2", t0, t1, NULL) < 0) {
		iiot_db_rollback(db);
		archive_fail(db, "cannot copy a day", path, 0);
	}
	n = count_of(db, "SELECT count(*) FROM day.samples", 0, 0, path);
	if (iiot_db_commit(db) < 0)
		archive_fail(db, "cannot copy a day", path, 0);
	if (iiot_db_exec(db, "DETACH day") < 0)
		archive_fail(db, "cannot detach", path, 0);
	return n;
}

static long long
sq_lacking(struct live *l, int64_t t0, int64_t t1, const char *path)
{
	struct iiot_db *db = l->h;
	long long n;

	if (run(db, "ATTACH ?1 AS day", 0, 0, path) < 0)
		archive_fail(db, "cannot attach", path, 0);
	n = count_of(db, "SELECT count(*) FROM main.samples "
	    "AS m WHERE series_id IN (SELECT id FROM main.series) "
	    "AND ts >= ?1 AND ts < ?2 AND NOT EXISTS (SELECT 1 FROM "
	    "day.samples AS d WHERE d.series_id = m.series_id AND "
	    "d.ts = m.ts AND d.value = m.value)", t0, t1, path);
	if (iiot_db_exec(db, "DETACH day") < 0)
		archive_fail(db, "cannot detach", path, 0);
	return n;
}

static void
sq_drop(struct live *l, int64_t t0, int64_t t1)
{
	struct iiot_db *db = l->h;

	if (iiot_db_begin(db) < 0 ||
	    run(db, "DELETE FROM samples WHERE series_id IN "
	    "(SELECT id FROM series) AND ts >= ?1 AND ts < ?2",
	    t0, t1, NULL) < 0 || iiot_db_commit(db) < 0) {
		iiot_db_rollback(db);
		archive_fail(db, "cannot delete an archived day", l->name, 0);
	}
}

/* Create an empty day file at path, with the archive's schema. */
static void
day_create(const char *path)
{
	struct iiot_db *db;
	char *msg;

	unlink(path);
	db = iiot_db_open(path, IIOT_DB_CREATE | IIOT_DB_NOWAL, 1000, &msg);
	if (db == NULL)
		iiot_errx(IIOT_EXIT_FAIL, "cannot create '%s': %s", path,
		    msg != NULL ? msg : "?");
	if (iiot_db_migrate(db, schema_steps, schema_version) < 0)
		archive_fail(db, "cannot set up the schema", path, 0);
	iiot_db_close(db);
}

/* The samples in a day file, counted from the file itself. */
static long long
day_rows(const char *path)
{
	struct iiot_db *d = archive_open_read(path, 1000);
	long long n = count_of(d, "SELECT count(*) FROM samples", 0, 0, path);

	iiot_db_close(d);
	return n;
}

/* Copy the day [t0, t1) of the live archive into a new day file. */
static void
archive_day(struct live *l, const struct options *o, int64_t day,
    int64_t t0, int64_t t1, struct manifest *m)
{
	char name[16], dir[4096], tmp[4300], path[4200];
	struct entry e;
	long long copied, landed;

	memset(&e, 0, sizeof(e));
	day_name(day, e.day, sizeof(e.day));
	memcpy(name, e.day, 4);
	name[4] = '\0';
	snprintf(e.file, sizeof(e.file), "%s/%s.db", name, e.day);
	manifest_path(o->dir, name, dir, sizeof(dir));
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		iiot_err(IIOT_EXIT_FAIL, "cannot create '%s'", dir);
	snprintf(path, sizeof(path), "%s/%s", o->dir, e.file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	day_create(tmp);
	copied = l->copy(l, t0, t1, tmp);
	/* Count what landed, from the file itself. */
	if ((landed = day_rows(tmp)) != copied)
		iiot_errx(IIOT_EXIT_FAIL, "cannot archive %s: %lld rows "
		    "in '%s' of %lld copied", e.day, landed, tmp, copied);
	if (fsync_path(tmp, 0) < 0 || rename(tmp, path) < 0 ||
	    fsync_path(dir, 1) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot store '%s'", path);
	if (iiot_sha256_file(path, e.sha) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot hash '%s'", path);
	e.rows = copied;
	manifest_append(o->dir, m, &e);
	iiot_debug(1, "archived %s: %lld rows in '%s'", e.day, copied, path);
}

/*
 * Rows of an archived day that reached the live archive after it was
 * archived: more rows than archived, or, once the day was deleted by
 * --retention, rows its file does not hold.  Reported, never dropped.
 */
static long long
late_rows(struct live *l, const struct options *o,
    const struct entry *e, long long rows, int64_t t0, int64_t t1)
{
	char path[4200];
	long long late;

	if (rows == 0 || rows == e->rows)
		return 0;
	if (rows > e->rows) {
		late = rows - e->rows;
	} else {
		snprintf(path, sizeof(path), "%s/%s", o->dir, e->file);
		late = l->lacking(l, t0, t1, path);
	}
	if (late > 0)
		iiot_warnx("%s: %lld rows arrived after it was archived: "
		    "kept in '%s'", e->day, late, l->name);
	return late;
}

/* Delete archived days older than the retention from the live archive. */
static int
expire(struct live *l, const struct options *o, const struct manifest *m)
{
	char path[4200], sha[IIOT_SHA256_HEX];
	const struct entry *e;
	int64_t cutoff = iiot_now_ms() - o->retention, day, t0, t1;
	long long live;
	size_t i;
	int status = IIOT_EXIT_OK;
	unsigned mo, d;
	long long y;

	for (i = 0; i < m->n; i++) {
		e = &m->e[i];
		if (manifest_find(m, e->day) != e ||
		    sscanf(e->day, "%lld-%u-%u", &y, &mo, &d) != 3)
			continue;
		day = iiot_days_from_civil(y, mo, d);
		t0 = day_start(day);
		t1 = day_start(day + 1);
		if (t1 > cutoff)
			continue;
		if ((live = l->count(l, t0, t1)) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", o->dir, e->file);
		if (iiot_sha256_file(path, sha) < 0 ||
		    strcmp(sha, e->sha) != 0) {
			iiot_warnx("%s: '%s' does not match the manifest: "
			    "kept in '%s'", e->day, path, l->name);
			status = IIOT_EXIT_FAIL;
			continue;
		}
		if (live != e->rows) {
			/* Late rows: reported by the rotation pass. */
			status = IIOT_EXIT_FAIL;
			continue;
		}
		l->drop(l, t0, t1);
		iiot_debug(1, "deleted %s from '%s': %lld rows", e->day,
		    l->name, live);
	}
	return status;
}

int
rotate_live(const struct options *o, struct live *l)
{
	struct manifest m;
	const struct entry *e;
	char name[16];
	int64_t first, day, last, t0, t1;
	long long rows;
	int status = IIOT_EXIT_OK;

	tz_init(o->tz);
	if (mkdir(o->dir, 0750) < 0 && errno != EEXIST)
		iiot_err(IIOT_EXIT_FAIL, "cannot create '%s'", o->dir);
	manifest_read(o->dir, &m);
	if (m.broken)
		iiot_errx(IIOT_EXIT_FAIL, "'%s/%s': chain broken; run "
		    "'iiot-archive verify' and repair it first", o->dir,
		    MANIFEST);
	/*
	 * Archive the days that ended by --before (default now): those
	 * before the day that holds it.
	 */
	last = day_of(o->before != IIOT_TS_NONE ? o->before : iiot_now_ms());
	if ((first = l->first(l)) != IIOT_TS_NONE) {
		for (day = day_of(first); day < last; day++) {
			t0 = day_start(day);
			t1 = day_start(day + 1);
			rows = l->count(l, t0, t1);
			day_name(day, name, sizeof(name));
			if ((e = manifest_find(&m, name)) != NULL) {
				if (late_rows(l, o, e, rows, t0, t1) > 0)
					status = IIOT_EXIT_FAIL;
				continue;
			}
			if (rows > 0)
				archive_day(l, o, day, t0, t1, &m);
		}
	}
	if (o->retention >= 0 && expire(l, o, &m) != IIOT_EXIT_OK)
		status = IIOT_EXIT_FAIL;
	free(m.e);
	return status;
}

int
cmd_rotate(const struct options *o)
{
	struct live l;
	int status;

	memset(&l, 0, sizeof(l));
	l.name = o->db;
	l.first = sq_first;
	l.count = sq_count;
	l.copy = sq_copy;
	l.lacking = sq_lacking;
	l.drop = sq_drop;
	l.h = archive_open_write(o->db, o->busy);
	status = rotate_live(o, &l);
	if (iiot_db_close(l.h) < 0)
		iiot_warnx("cannot close '%s'", o->db);
	return status;
}

/* Check one file: SQLite integrity and, if rows >= 0, its row count. */
static int
check_file(const char *path, long long rows, const char *label)
{
	struct iiot_buf rep = IIOT_BUF_INIT;
	struct iiot_stmt *st;
	struct iiot_db *db;
	long long n = -1;
	char *msg;
	int r, bad = 0;

	db = iiot_db_open(path, IIOT_DB_RDONLY, 5000, &msg);
	if (db == NULL) {
		printf("FAIL %s: cannot open '%s': %s\n", label, path,
		    msg != NULL ? msg : "?");
		free(msg);
		return 1;
	}
	r = iiot_db_integrity(db, &rep);
	if (r != 0) {
		printf("FAIL %s: '%s' integrity check: %s\n", label, path,
		    r < 0 ? iiot_db_errmsg(db) : rep.data);
		bad = 1;
	}
	if (!bad && (st = iiot_db_prepare(db, "SELECT count(*) FROM samples"))
	    != NULL) {
		if (iiot_stmt_step(st) == 1)
			n = iiot_stmt_int(st, 0);
		iiot_stmt_free(st);
	}
	if (!bad && n < 0 && rows < 0 && archive_is_blank(db))
		n = 0;		/* a new archive, empty */
	if (!bad && n < 0) {
		printf("FAIL %s: '%s': not an archive: %s\n", label, path,
		    iiot_db_errmsg(db));
		bad = 1;
	} else if (!bad && rows >= 0 && n != rows) {
		printf("FAIL %s: '%s' has %lld rows, the manifest %lld\n",
		    label, path, n, rows);
		bad = 1;
	} else if (!bad && iiot_verbosity > 0) {
		printf("ok %s: '%s': %lld rows\n", label, path, n);
	}
	iiot_buf_release(&rep);
	iiot_db_close(db);
	return bad;
}

/* Day files under the archive directory that the manifest lacks. */
static int
check_strays(const char *dir, const struct manifest *m)
{
	char sub[4096], rel[300];
	struct dirent *y, *f;
	DIR *dy, *df;
	size_t i, n;
	int bad = 0, found;

	if ((dy = opendir(dir)) == NULL)
		return 0;
	while ((y = readdir(dy)) != NULL) {
		if (strlen(y->d_name) != 4 || y->d_name[0] == '.')
			continue;
		manifest_path(dir, y->d_name, sub, sizeof(sub));
		if ((df = opendir(sub)) == NULL)
			continue;
		while ((f = readdir(df)) != NULL) {
			n = strlen(f->d_name);
			if (n < 3 || strcmp(f->d_name + n - 3, ".db") != 0)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", y->d_name,
			    f->d_name);
			for (found = 0, i = 0; i < m->n && !found; i++)
				found = strcmp(m->e[i].file, rel) == 0;
			if (!found) {
				printf("FAIL '%s/%s': not in the manifest\n",
				    dir, rel);
				bad++;
			}
		}
		closedir(df);
	}
	closedir(dy);
	return bad;
}

int
cmd_verify(const struct options *o)
{
	iiot_out_init(o->unbuffered);
	return verify_days(o, check_file(o->db, -1, "live"));
}

int
verify_days(const struct options *o, int bad)
{
	struct manifest m;
	const struct entry *e;
	char path[4200], sha[IIOT_SHA256_HEX];
	long long rows = 0;
	size_t i;

	if (o->dir != NULL && access(o->dir, F_OK) < 0) {
		printf("FAIL archive directory '%s': %s\n", o->dir,
		    strerror(errno));
		bad++;
	} else if (o->dir != NULL) {
		manifest_read(o->dir, &m);
		for (i = 0; i < m.n; i++) {
			e = &m.e[i];
			if (!e->chain_ok) {
				printf("FAIL %s/%s line %zu (%s): chain "
				    "broken: the manifest was edited\n",
				    o->dir, MANIFEST, i + 1, e->day);
				bad++;
			}
			snprintf(path, sizeof(path), "%s/%s", o->dir, e->file);
			if (iiot_sha256_file(path, sha) < 0) {
				printf("FAIL %s: '%s': %s\n", e->day, path,
				    errno == ENOENT ? "missing (day deleted)" :
				    strerror(errno));
				bad++;
				continue;
			}
			if (strcmp(sha, e->sha) != 0) {
				printf("FAIL %s: '%s': SHA-256 differs from "
				    "the manifest: changed since archived\n",
				    e->day, path);
				bad++;
			}
			bad += check_file(path, e->rows, e->day);
			rows += e->rows;
		}
		bad += check_strays(o->dir, &m);
		printf("%s: %zu archived days, %lld rows, %d problems\n",
		    bad ? "FAIL" : "ok", m.n, rows, bad);
		free(m.e);
	} else {
		printf("%s: %d problems\n", bad ? "FAIL" : "ok", bad);
	}
	if (iiot_out_close() < 0)
		iiot_warn("cannot write to stdout");
	if (bad)
		iiot_warnx("verify: %d problems", bad);
	return bad ? IIOT_EXIT_FAIL : IIOT_EXIT_OK;
}

int
cmd_backup(const struct options *o)
{
	struct iiot_db *db = archive_open_read(o->db, o->busy);

	if (iiot_db_backup(db, o->dest) < 0)
		archive_fail(db, "cannot back up to", o->dest, 0);
	iiot_db_close(db);
	if (chmod(o->dest, 0640) < 0)
		iiot_warn("cannot set the mode of '%s'", o->dest);
	return IIOT_EXIT_OK;
}
