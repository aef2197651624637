/* SPDX-License-Identifier: MIT */
/* query.c: iiot-archive query and series: records back out, in time order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_fmt.h"
#include "iiot_io.h"
#include "iiot_log.h"
#include "iiot_rec.h"
#include "iiot_sig.h"
#include "iiot_time.h"
#include "iiot_x.h"

#include "archive.h"

/*
 * One matching series and its cursor over samples.  The JSON text that
 * every record of the series shares is made once: what goes between the
 * time and the value, and the unit and tags after it.
 */
struct cursor {
	struct iiot_stmt *st;
	int64_t id;
	int64_t ts;		/* time of the current row */
	char *pre;		/* ,"source":..,"sensor":..,"value": */
	char *unit;		/* ,"unit":"..", or "" */
	char *tags;		/* ,"k":"v".. from the tags object, or "" */
};

struct query {
	const struct options *o;
	struct iiot_db *db;
	struct cursor *cur;
	size_t ncur;
	size_t *heap;		/* cursors with a row, by time */
	size_t nheap;
	struct iiot_buf line;
	struct iiot_rec rec;	/* for the non-JSON formats */
};

/* Aggregates as SQL, in the order of agg_names[]. */
static const char *const agg_sql[] = {
	"avg(value)", "min(value)", "max(value)", "iiot_first(ts, value)",
	"iiot_last(ts, value)", "sum(value)", "count(*)",
	"iiot_delta(ts, value)",
};

/*
 * Translate a glob of fnmatch(3) (what the other programs take) into
 * SQLite's GLOB: a backslash escape becomes a one-character class, and
 * "[!" becomes "[^".
 */
static char *
glob_to_sql(const char *g)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	int inclass = 0, rc = 0;

	for (; *g != '\0' && rc == 0; g++) {
		if (inclass) {
			if (*g == ']')
				inclass = 0;
			rc = iiot_buf_addc(&b, *g);
		} else if (*g == '\\' && g[1] != '\0') {
			g++;
			rc = iiot_buf_addf(&b, strchr("*?[", *g) != NULL ?
			    "[%c]" : "%c", *g);
		} else if (*g == '[') {
			inclass = 1;
			rc = iiot_buf_addc(&b, '[');
			if (g[1] == '!') {
				rc = iiot_buf_addc(&b, '^');
				g++;
			}
			if (g[1] == ']') {
				rc = iiot_buf_addc(&b, ']');
				g++;
			}
		} else {
			rc = iiot_buf_addc(&b, *g);
		}
	}
	if (rc == 0)
		rc = iiot_buf_addc(&b, '\0');
	if (rc < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	return b.data;
}

/*
 * The statement that selects the matching series: SQL text made of
 * fixed pieces only, every glob a bound parameter.
 */
static struct iiot_stmt *
select_series(struct iiot_db *db, const struct options *o, char ***params,
    size_t *nparams)
{
	struct iiot_buf sql = IIOT_BUF_INIT;
	struct iiot_stmt *st;
	char **p;
	size_t i, n = 0;
	const char *eq;

	p = iiot_xcalloc(o->nsensors + o->nsources + 2 * o->ntags + 1,
	    sizeof(*p));
	iiot_buf_adds(&sql, "SELECT id, source, sensor, unit, tags "
	    "FROM series WHERE 1");
	for (i = 0; i < o->nsensors; i++) {
		iiot_buf_adds(&sql, i == 0 ? " AND (" : " OR ");
		iiot_buf_adds(&sql, "sensor GLOB ?");
		p[n++] = glob_to_sql(o->sensors[i]);
	}
	if (o->nsensors > 0)
		iiot_buf_addc(&sql, ')');
	for (i = 0; i < o->nsources; i++) {
		iiot_buf_adds(&sql, i == 0 ? " AND (" : " OR ");
		iiot_buf_adds(&sql, "source GLOB ?");
		p[n++] = glob_to_sql(o->sources[i]);
	}
	if (o->nsources > 0)
		iiot_buf_addc(&sql, ')');
	for (i = 0; i < o->ntags; i++) {
		eq = strchr(o->tags[i], '=');
		iiot_buf_adds(&sql, " AND EXISTS (SELECT 1 FROM "
		    "json_each(series.tags) WHERE key = ? AND value GLOB ?)");
		p[n++] = iiot_xstrdup(o->tags[i]);
		p[n - 1][eq - o->tags[i]] = '\0';
		p[n++] = glob_to_sql(eq + 1);
	}
	if (iiot_buf_adds(&sql, " ORDER BY id") < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	st = iiot_db_prepare(db, sql.data);
	iiot_buf_release(&sql);
	if (st == NULL)
		archive_fail(db, "cannot select series", o->db, 0);
	for (i = 0; i < n; i++)
		iiot_stmt_bind_text(st, (int)i + 1, p[i], -1);
	*params = p;
	*nparams = n;
	return st;
}

static void
free_params(char **p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

/* Make the shared JSON pieces of a series. */
static void
cursor_text(struct cursor *c, const char *source, const char *sensor,
    const char *unit, const char *tags, size_t tagslen)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	int rc = 0;

	if (*source != '\0') {
		rc |= iiot_buf_adds(&b, ",\"source\":");
		rc |= iiot_buf_add_json_str(&b, source, strlen(source));
	}
	rc |= iiot_buf_adds(&b, ",\"sensor\":");
	rc |= iiot_buf_add_json_str(&b, sensor, strlen(sensor));
	rc |= iiot_buf_adds(&b, ",\"value\":");
	c->pre = b.data;
	memset(&b, 0, sizeof(b));
	rc |= iiot_buf_adds(&b, "");
	if (unit != NULL) {
		rc |= iiot_buf_adds(&b, ",\"unit\":");
		rc |= iiot_buf_add_json_str(&b, unit, strlen(unit));
	}
	c->unit = b.data;
	memset(&b, 0, sizeof(b));
	rc |= iiot_buf_adds(&b, "");
	/* The object without its braces, after a comma. */
	if (tags != NULL && tagslen > 2) {
		rc |= iiot_buf_addc(&b, ',');
		rc |= iiot_buf_add(&b, tags + 1, tagslen - 2);
	}
	c->tags = b.data;
	if (rc != 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
}

static const char *
samples_sql(const struct options *o, char *buf, size_t n)
{
	if (o->agg != AGG_NONE) {
		snprintf(buf, n, "SELECT ts - ((ts %% ?4) + ?4) %% ?4 AS b, "
		    "%s FROM samples WHERE series_id = ?1 AND ts >= ?2 "
		    "AND ts < ?3 GROUP BY b ORDER BY b", agg_sql[o->agg]);
		return buf;
	}
	if (o->last)
		return "SELECT ts, value, quality, extra FROM samples "
		    "WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 "
		    "ORDER BY ts DESC LIMIT 1";
	return "SELECT ts, value, quality, extra FROM samples "
	    "WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts";
}

/* Find the matching series and open a cursor on each. */
static void
open_cursors(struct query *q)
{
	const struct options *o = q->o;
	struct iiot_stmt *sel;
	struct cursor *c;
	char sqlbuf[512], **params;
	const char *sql = samples_sql(o, sqlbuf, sizeof(sqlbuf)), *tags;
	size_t nparams, cap = 0, len;
	int rc;

	sel = select_series(q->db, o, &params, &nparams);
	while ((rc = iiot_stmt_step(sel)) == 1) {
		if (q->ncur == cap) {
			cap = cap ? 2 * cap : 64;
			q->cur = iiot_xrealloc(q->cur, cap * sizeof(*q->cur));
		}
		c = &q->cur[q->ncur++];
		memset(c, 0, sizeof(*c));
		c->id = iiot_stmt_int(sel, 0);
		tags = iiot_stmt_text(sel, 4, &len);
		cursor_text(c, iiot_stmt_text(sel, 1, NULL),
		    iiot_stmt_text(sel, 2, NULL), iiot_stmt_text(sel, 3, NULL),
		    tags, len);
		if ((c->st = iiot_db_prepare(q->db, sql)) == NULL)
			archive_fail(q->db, "cannot query", o->db, 0);
		iiot_stmt_bind_int(c->st, 1, c->id);
		iiot_stmt_bind_int(c->st, 2, o->since == IIOT_TS_NONE ?
		    INT64_MIN : o->since);
		iiot_stmt_bind_int(c->st, 3, o->until == IIOT_TS_NONE ?
		    INT64_MAX : o->until);
		if (o->agg != AGG_NONE)
			iiot_stmt_bind_int(c->st, 4, o->every);
	}
	iiot_stmt_free(sel);
	free_params(params, nparams);
	if (rc < 0)
		archive_fail(q->db, "cannot select series", o->db, 0);
	q->heap = iiot_xcalloc(q->ncur + 1, sizeof(*q->heap));
}

static int
before(const struct query *q, size_t a, size_t b)
{
	const struct cursor *x = &q->cur[a], *y = &q->cur[b];

	return x->ts < y->ts || (x->ts == y->ts && x->id < y->id);
}

static void
sift_down(struct query *q, size_t i)
{
	size_t l, m, t;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < q->nheap && before(q, q->heap[l], q->heap[m]))
			m = l;
		if (l + 1 < q->nheap && before(q, q->heap[l + 1], q->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = q->heap[i];
		q->heap[i] = q->heap[m];
		q->heap[m] = t;
		i = m;
	}
}

static void
sift_up(struct query *q, size_t i)
{
	size_t p, t;

	while (i > 0) {
		p = (i - 1) / 2;
		if (!before(q, q->heap[i], q->heap[p]))
			return;
		t = q->heap[i];
		q->heap[i] = q->heap[p];
		q->heap[p] = t;
		i = p;
	}
}

/* Step cursor k; 1 if it has a row. */
static int
advance(struct query *q, size_t k)
{
	struct cursor *c = &q->cur[k];
	int rc = iiot_stmt_step(c->st);

	if (rc < 0)
		archive_fail(q->db, "cannot query", q->o->db, 0);
	if (rc == 1)
		c->ts = iiot_stmt_int(c->st, 0);
	return rc;
}

void
sample_write(const struct options *o, const struct sample *s,
    struct iiot_buf *b, struct iiot_rec *rec)
{
	char ts[IIOT_TIME_BUFSZ];
	size_t n;
	int rc = 0;

	iiot_buf_reset(b);
	n = iiot_time_format(s->ts, ts);
	rc |= iiot_buf_add(b, "{\"ts\":\"", 7);
	rc |= iiot_buf_add(b, ts, n);
	rc |= iiot_buf_addc(b, '"');
	rc |= iiot_buf_adds(b, s->pre);
	rc |= iiot_buf_add_json_num(b, s->value);
	if (o->agg != AGG_COUNT)
		rc |= iiot_buf_adds(b, s->unit);
	if (s->quality != NULL) {
		rc |= iiot_buf_adds(b, ",\"quality\":");
		rc |= iiot_buf_add_json_str(b, s->quality, s->qlen);
	}
	rc |= iiot_buf_adds(b, s->tags);
	if (s->extra != NULL && s->elen > 2) {
		rc |= iiot_buf_addc(b, ',');
		rc |= iiot_buf_add(b, s->extra + 1, s->elen - 2);
	}
	rc |= iiot_buf_adds(b, "}\n");
	if (rc != 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	if (o->fmt == IIOT_FMT_JSON)
		fwrite(b->data, 1, b->len, stdout);
	else if (iiot_rec_parse(rec, b->data, b->len - 1) < 0 ||
	    iiot_fmt_write(stdout, o->fmt, rec, NULL, 0) < 0)
		iiot_warn("cannot write a record");
	iiot_out_record();
}

/* Write the current row of cursor c. */
static void
emit(struct query *q, struct cursor *c)
{
	struct sample s;

	memset(&s, 0, sizeof(s));
	s.ts = c->ts;
	s.value = iiot_stmt_double(c->st, 1);
	s.pre = c->pre;
	s.unit = c->unit;
	s.tags = c->tags;
	if (q->o->agg == AGG_NONE) {
		s.quality = iiot_stmt_text(c->st, 2, &s.qlen);
		s.extra = iiot_stmt_text(c->st, 3, &s.elen);
	}
	sample_write(q->o, &s, &q->line, &q->rec);
}

int
replay_pace(double speed, int64_t ts, int64_t *t0, int64_t *w0)
{
	struct timespec d;
	int64_t left;

	if (*t0 == IIOT_TS_NONE) {
		*t0 = ts;
		*w0 = iiot_mono_ms();
		return 1;
	}
	for (;;) {
		left = *w0 + (int64_t)((double)(ts - *t0) / speed) -
		    iiot_mono_ms();
		if (left <= 0)
			return 1;
		/* Nothing we hold may wait while we sleep. */
		fflush(stdout);
		if (left > 200)
			left = 200;
		d.tv_sec = 0;
		d.tv_nsec = left * 1000000;
		nanosleep(&d, NULL);
		if (iiot_sig_term)
			return 0;
	}
}

static void
query_free(struct query *q)
{
	size_t i;

	for (i = 0; i < q->ncur; i++) {
		iiot_stmt_free(q->cur[i].st);
		free(q->cur[i].pre);
		free(q->cur[i].unit);
		free(q->cur[i].tags);
	}
	free(q->cur);
	free(q->heap);
	iiot_buf_release(&q->line);
	iiot_rec_release(&q->rec);
	iiot_db_close(q->db);
}

int
cmd_query(const struct options *o)
{
	struct query q;
	int64_t t0 = IIOT_TS_NONE, w0 = 0;
	size_t k;
	int status = IIOT_EXIT_OK;

	memset(&q, 0, sizeof(q));
	q.o = o;
	q.db = archive_open_read(o->db, o->busy);
	if (iiot_rec_init(&q.rec) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	if (iiot_sig_install(0) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o->unbuffered);
	/* One read transaction: a consistent view while a writer runs. */
	if (iiot_db_exec(q.db, "BEGIN") < 0)
		archive_fail(q.db, "cannot query", o->db, 0);
	open_cursors(&q);
	for (k = 0; k < q.ncur; k++)
		if (advance(&q, k) == 1) {
			q.heap[q.nheap++] = k;
			sift_up(&q, q.nheap - 1);
		}
	iiot_fmt_header(stdout, o->fmt, NULL, 0);
	while (q.nheap > 0 && !iiot_sig_term) {
		k = q.heap[0];
		if (o->replay && !replay_pace(o->speed, q.cur[k].ts, &t0, &w0))
			break;
		emit(&q, &q.cur[k]);
		if (advance(&q, k) == 0)
			q.heap[0] = q.heap[--q.nheap];
		sift_down(&q, 0);
	}
	iiot_db_exec(q.db, "COMMIT");
	query_free(&q);
	if (iiot_out_close() < 0) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}

int
cmd_series(const struct options *o)
{
	struct iiot_db *db = archive_open_read(o->db, o->busy);
	struct iiot_stmt *sel, *st;
	struct iiot_buf b = IIOT_BUF_INIT;
	char **params, ts[IIOT_TIME_BUFSZ];
	const char *s;
	size_t nparams, n;
	int rc, status = IIOT_EXIT_OK;

	iiot_out_init(o->unbuffered);
	if (iiot_db_exec(db, "BEGIN") < 0)
		archive_fail(db, "cannot list series", o->db, 0);
	sel = select_series(db, o, &params, &nparams);
	st = iiot_db_prepare(db, "SELECT min(ts), max(ts), count(*) "
	    "FROM samples WHERE series_id = ?1");
	if (st == NULL)
		archive_fail(db, "cannot list series", o->db, 0);
	while ((rc = iiot_stmt_step(sel)) == 1) {
		iiot_stmt_bind_int(st, 1, iiot_stmt_int(sel, 0));
		if (iiot_stmt_step(st) != 1)
			archive_fail(db, "cannot list series", o->db, 0);
		iiot_buf_reset(&b);
		s = iiot_stmt_text(sel, 1, &n);
		iiot_buf_adds(&b, "{\"source\":");
		iiot_buf_add_json_str(&b, s, n);
		s = iiot_stmt_text(sel, 2, &n);
		iiot_buf_adds(&b, ",\"sensor\":");
		iiot_buf_add_json_str(&b, s, n);
		if ((s = iiot_stmt_text(sel, 3, &n)) != NULL) {
			iiot_buf_adds(&b, ",\"unit\":");
			iiot_buf_add_json_str(&b, s, n);
		}
		if ((s = iiot_stmt_text(sel, 4, &n)) != NULL) {
			iiot_buf_adds(&b, ",\"tags\":");
			iiot_buf_add(&b, s, n);
		}
		if (!iiot_stmt_isnull(st, 0)) {
			iiot_time_format(iiot_stmt_int(st, 0), ts);
			iiot_buf_addf(&b, ",\"first\":\"%s\"", ts);
			iiot_time_format(iiot_stmt_int(st, 1), ts);
			iiot_buf_addf(&b, ",\"last\":\"%s\"", ts);
		}
		iiot_buf_addf(&b, ",\"count\":%lld}\n",
		    (long long)iiot_stmt_int(st, 2));
		fwrite(b.data, 1, b.len, stdout);
		iiot_out_record();
		iiot_stmt_reset(st);
	}
	if (rc < 0)
		archive_fail(db, "cannot list series", o->db, 0);
	iiot_stmt_free(st);
	iiot_stmt_free(sel);
	free_params(params, nparams);
	iiot_buf_release(&b);
	iiot_db_exec(db, "COMMIT");
	iiot_db_close(db);
	if (iiot_out_close() < 0) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	return status;
}
