/* SPDX-License-Identifier: MIT */
/* write.c: iiot-archive write: store records in batches, pass them on. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_io.h"
#include "iiot_log.h"
#include "iiot_rec.h"
#include "iiot_series.h"
#include "iiot_sig.h"
#include "iiot_time.h"
#include "iiot_x.h"

#include "archive.h"

/* One series id per (source, sensor, unit, tags) seen. */
struct variant {
	struct variant *next;
	int64_t id;
	char *unit;		/* NULL when absent */
	char *tags;		/* JSON object, NULL when none */
};

struct slot {
	struct variant *head;
};

/* The writer's state: the archive, its statements, the open batch. */
struct writer {
	const struct options *o;
	struct iiot_db *db;
	struct iiot_stmt *insert, *find, *add;
	struct iiot_stab *cache;
	unsigned long long pending;	/* records in the open batch */
	int64_t batch_start;		/* mono ms of its first record */
	struct iiot_buf tags, extra;
};

static const char *const insert_sql =
    "INSERT OR REPLACE INTO samples (series_id, ts, value, quality, extra) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
static const char *const find_sql =
    "SELECT id FROM series WHERE source = ?1 AND sensor = ?2 "
    "AND unit IS ?3 AND tags IS ?4";
static const char *const add_sql =
    "INSERT INTO series (source, sensor, unit, tags) VALUES (?1, ?2, ?3, ?4) "
    "RETURNING id";

static void
cache_free(struct iiot_stab *t)
{
	const char *src, *sen;
	struct variant *v, *next;
	struct slot *s;
	size_t it = 0;

	while ((s = iiot_stab_next(t, &it, &src, &sen)) != NULL) {
		for (v = s->head; v != NULL; v = next) {
			next = v->next;
			free(v->unit);
			free(v->tags);
			free(v);
		}
	}
	iiot_stab_free(t);
}

static void
writer_open(struct writer *w)
{
	const char *path = w->o->db;

	w->db = archive_open_write(path, w->o->busy);
	if ((w->insert = iiot_db_prepare(w->db, insert_sql)) == NULL ||
	    (w->find = iiot_db_prepare(w->db, find_sql)) == NULL ||
	    (w->add = iiot_db_prepare(w->db, add_sql)) == NULL)
		archive_fail(w->db, "cannot prepare statements", path, 0);
	if ((w->cache = iiot_stab_new(sizeof(struct slot))) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate the series cache");
}

static void
writer_close(struct writer *w)
{
	iiot_stmt_free(w->insert);
	iiot_stmt_free(w->find);
	iiot_stmt_free(w->add);
	cache_free(w->cache);
	if (iiot_db_close(w->db) < 0)
		iiot_warnx("cannot close archive: '%s'", w->o->db);
	w->insert = w->find = w->add = NULL;
	w->cache = NULL;
	w->db = NULL;
}

/* Roll back, report the records lost with the batch, and exit 1. */
static void
writer_die(struct writer *w, const char *what)
{
	unsigned long long lost = w->pending;

	/* The error message outlives the rollback in the handle. */
	iiot_db_rollback(w->db);
	archive_fail(w->db, what, w->o->db, lost);
}

static void
commit(struct writer *w)
{
	if (w->pending == 0)
		return;
	if (iiot_db_commit(w->db) < 0)
		writer_die(w, "cannot commit");
	iiot_debug(2, "committed %llu records", w->pending);
	w->pending = 0;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The id of a series, from the cache, the file, or a new row. */
static int64_t
series_id(struct writer *w, const struct iiot_rec *r, const char *tags)
{
	struct slot *s;
	struct variant *v;
	int64_t id = -1;
	int rc;

	s = iiot_stab_get(w->cache, r->source, r->sensor, 1, NULL);
	if (s == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate the series cache");
	for (v = s->head; v != NULL; v = v->next)
		if (same(v->unit, r->unit) && same(v->tags, tags))
			return v->id;
	iiot_stmt_bind_text(w->find, 1, r->source, -1);
	iiot_stmt_bind_text(w->find, 2, r->sensor, -1);
	iiot_stmt_bind_text(w->find, 3, r->unit, -1);
	iiot_stmt_bind_text(w->find, 4, tags, -1);
	rc = iiot_stmt_step(w->find);
	if (rc == 1)
		id = iiot_stmt_int(w->find, 0);
	iiot_stmt_reset(w->find);
	if (rc < 0)
		writer_die(w, "cannot look up a series");
	if (id < 0) {
		iiot_stmt_bind_text(w->add, 1, r->source, -1);
		iiot_stmt_bind_text(w->add, 2, r->sensor, -1);
		iiot_stmt_bind_text(w->add, 3, r->unit, -1);
		iiot_stmt_bind_text(w->add, 4, tags, -1);
		if (iiot_stmt_step(w->add) == 1)
			id = iiot_stmt_int(w->add, 0);
		iiot_stmt_reset(w->add);
		if (id < 0)
			writer_die(w, "cannot add a series");
	}
	v = iiot_xcalloc(1, sizeof(*v));
	v->id = id;
	v->unit = r->unit != NULL ? iiot_xstrdup(r->unit) : NULL;
	v->tags = tags != NULL ? iiot_xstrdup(tags) : NULL;
	v->next = s->head;
	s->head = v;
	return id;
}

static int
known_key(const char *k)
{
	return strcmp(k, "ts") == 0 || strcmp(k, "sensor") == 0 ||
	    strcmp(k, "value") == 0;
}

static int
string_key(const char *k)
{
	return strcmp(k, "source") == 0 || strcmp(k, "unit") == 0 ||
	    strcmp(k, "quality") == 0;
}

/*
 * Split the fields other than ts, source, sensor, value, unit and
 * quality: strings are tags (part of the series), anything else is
 * extra (kept with the sample), each a JSON object in record order.
 */
static int
split_fields(struct writer *w, const struct iiot_rec *r)
{
	struct iiot_field f;
	struct iiot_buf *b;
	void *it = NULL;
	int rc = 0;

	iiot_buf_reset(&w->tags);
	iiot_buf_reset(&w->extra);
	while (rc == 0 && iiot_rec_next_field(r, &it, &f)) {
		if (known_key(f.key))
			continue;
		if (string_key(f.key) && f.type == IIOT_F_STR)
			continue;
		b = f.type == IIOT_F_STR && !string_key(f.key) ? &w->tags :
		    &w->extra;
		rc = iiot_buf_addc(b, b->len == 0 ? '{' : ',');
		if (rc == 0)
			rc = iiot_buf_add_json_str(b, f.key, strlen(f.key));
		if (rc == 0)
			rc = iiot_buf_addc(b, ':');
		if (rc == 0 && f.type == IIOT_F_STR)
			rc = iiot_buf_add_json_str(b, f.str, strlen(f.str));
		else if (rc == 0)
			rc = iiot_rec_field_json(r, f.key, b);
	}
	if (rc == 0 && w->tags.len > 0)
		rc = iiot_buf_addc(&w->tags, '}');
	if (rc == 0 && w->extra.len > 0)
		rc = iiot_buf_addc(&w->extra, '}');
	return rc;
}

static void
store(struct writer *w, const struct iiot_rec *r)
{
	const char *tags, *extra;
	int64_t id;

	if (split_fields(w, r) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot store record");
	tags = w->tags.len > 0 ? w->tags.data : NULL;
	extra = w->extra.len > 0 ? w->extra.data : NULL;
	if (w->pending == 0) {
		w->pending = 1;		/* this record, if we cannot */
		if (iiot_db_begin(w->db) < 0)
			writer_die(w, "cannot begin a transaction");
		w->pending = 0;
		w->batch_start = iiot_mono_ms();
	}
	/* Counted first: a failure below loses this record too. */
	w->pending++;
	id = series_id(w, r, tags);
	if (iiot_stmt_bind_int(w->insert, 1, id) < 0 ||
	    iiot_stmt_bind_int(w->insert, 2, r->ts) < 0 ||
	    iiot_stmt_bind_double(w->insert, 3, r->value) < 0 ||
	    iiot_stmt_bind_text(w->insert, 4, r->quality, -1) < 0 ||
	    iiot_stmt_bind_text(w->insert, 5, extra, (long)w->extra.len) < 0 ||
	    iiot_stmt_step(w->insert) < 0) {
		iiot_stmt_reset(w->insert);
		writer_die(w, "cannot store record");
	}
	iiot_stmt_reset(w->insert);
}

/* How long the reader may wait: until the open batch is due. */
static int
wait_ms(const struct writer *w)
{
	int64_t left;

	if (w->pending == 0)
		return -1;
	left = w->batch_start + w->o->interval - iiot_mono_ms();
	return left < 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

static void
reopen(struct writer *w)
{
	commit(w);
	writer_close(w);
	iiot_sig_hup = 0;
	writer_open(w);
	iiot_debug(1, "reopened '%s'", w->o->db);
}

/* Stdout is gone: keep what we have, then end as a filter would. */
static void
out_broken(struct writer *w)
{
	commit(w);
	writer_close(w);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	iiot_err(IIOT_EXIT_FAIL, "cannot write to stdout");
}

int
cmd_write(const struct options *o)
{
	struct writer w;
	struct iiot_ratelimit rl = { 0 };
	struct iiot_lines *in;
	struct iiot_rec r;
	const char *line;
	int pass = iiot_verbosity >= 0, status = IIOT_EXIT_OK, rc;
	size_t len;

	memset(&w, 0, sizeof(w));
	w.o = o;
	writer_open(&w);
	if ((in = iiot_lines_new(STDIN_FILENO)) == NULL ||
	    iiot_rec_init(&r) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	if (iiot_sig_install(IIOT_SIG_HUP | IIOT_SIG_NOPIPE) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o->unbuffered);
	if (pass)
		iiot_lines_set_flush(in, stdout);
	while (!iiot_sig_term) {
		if (iiot_sig_hup)
			reopen(&w);
		iiot_lines_set_timeout(in, wait_ms(&w));
		rc = iiot_lines_next(in, &line, &len);
		if (pass && ferror(stdout))
			out_broken(&w);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (errno == ETIMEDOUT) {
				commit(&w);
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != IIOT_ETOOLONG) {
				iiot_warn("cannot read stdin");
				status = IIOT_EXIT_FAIL;
				break;
			}
		}
		if (rc < 0 || iiot_rec_parse(&r, line, len) < 0) {
			iiot_warnx_limited(&rl, "line %lu: %s",
			    iiot_lines_lineno(in), iiot_strerror(errno));
			status = IIOT_EXIT_FAIL;
			continue;
		}
		store(&w, &r);
		if ((unsigned long long)o->batch <= w.pending ||
		    iiot_mono_ms() - w.batch_start >= o->interval)
			commit(&w);
		if (pass) {
			if (iiot_rec_write(&r, stdout) < 0)
				out_broken(&w);
			iiot_out_record();
		}
	}
	commit(&w);
	iiot_rec_release(&r);
	iiot_lines_free(in);
	writer_close(&w);
	iiot_buf_release(&w.tags);
	iiot_buf_release(&w.extra);
	if (iiot_out_close() < 0 && errno != EPIPE) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}
