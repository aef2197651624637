/* SPDX-License-Identifier: MIT */
/* postgres.c: iiot-archive write, query and series on a PostgreSQL server. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "iiot_buf.h"
#include "iiot_db.h"
#include "iiot_fmt.h"
#include "iiot_io.h"
#include "iiot_log.h"
#include "iiot_opt.h"
#include "iiot_pg.h"
#include "iiot_rec.h"
#include "iiot_series.h"
#include "iiot_sig.h"
#include "iiot_time.h"
#include "iiot_x.h"

#include "archive.h"
#include "postgres.h"

/*
 * The same commands as on SQLite, over lib/pg.c: records in with the
 * same series and extra fields, records out in the same form and order.
 * A lost connection is retried for at least this long.
 */
#define PG_RETRY_MIN_MS	30000

/* One (source, sensor, unit, tags) seen while writing, with its id. */
struct pvar {
	struct pvar *next;
	char *unit, *tags;
	int64_t id;
};

struct pslot {
	struct pvar *head;
};

static struct iiot_pg *
open_or_die(const struct options *o, int flags)
{
	struct iiot_pg *pg;
	int64_t retry = o->busy > PG_RETRY_MIN_MS ? o->busy : PG_RETRY_MIN_MS;
	char *msg;

	if ((pg = iiot_pg_open(o->db, flags, retry, &msg)) == NULL) {
		fprintf(stderr, "%s: cannot open archive: '%s': %s\n",
		    iiot_progname(), o->db, msg != NULL ? msg :
		    iiot_strerror(errno));
		free(msg);
		exit(IIOT_EXIT_FAIL);
	}
	iiot_debug(1, "'%s': %s", o->db, iiot_pg_timescale(pg) ?
	    "TimescaleDB hypertable" : "plain PostgreSQL tables");
	return pg;
}

/* Report the last failure on pg, on stdout's heels, and exit 1. */
static void __attribute__((noreturn))
pg_fail(struct iiot_pg *pg, const char *url)
{
	fflush(stdout);
	fprintf(stderr, "%s: '%s': %s\n", iiot_progname(), url,
	    iiot_pg_errmsg(pg));
	iiot_pg_close(pg);
	exit(IIOT_EXIT_FAIL);
}

/* Write. */

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Split the fields other than ts, source, sensor, value, unit and
 * quality as the SQLite archive does: strings are tags, anything else
 * is extra, each a JSON object in record order.
 */
static int
split_fields(const struct iiot_rec *r, struct iiot_buf *tags,
    struct iiot_buf *extra)
{
	struct iiot_field f;
	struct iiot_buf *b;
	void *it = NULL;
	int rc = 0, str;

	iiot_buf_reset(tags);
	iiot_buf_reset(extra);
	while (rc == 0 && iiot_rec_next_field(r, &it, &f)) {
		if (strcmp(f.key, "ts") == 0 || strcmp(f.key, "sensor") == 0 ||
		    strcmp(f.key, "value") == 0)
			continue;
		str = strcmp(f.key, "source") == 0 ||
		    strcmp(f.key, "unit") == 0 ||
		    strcmp(f.key, "quality") == 0;
		if (str && f.type == IIOT_F_STR)
			continue;
		b = f.type == IIOT_F_STR && !str ? tags : extra;
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
	if (rc == 0 && tags->len > 0)
		rc = iiot_buf_addc(tags, '}');
	if (rc == 0 && extra->len > 0)
		rc = iiot_buf_addc(extra, '}');
	return rc;
}

/* The series id of a record: cached, else found or added. */
static int
series_of(struct iiot_pg *pg, struct iiot_stab *cache,
    const struct iiot_rec *r, const char *tags, int64_t *id)
{
	struct pslot *s;
	struct pvar *v;

	s = iiot_stab_get(cache, r->source, r->sensor, 1, NULL);
	if (s == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate the series cache");
	for (v = s->head; v != NULL; v = v->next)
		if (same(v->unit, r->unit) && same(v->tags, tags)) {
			*id = v->id;
			return 0;
		}
	if (iiot_pg_series_id(pg, r->source, r->sensor, r->unit, tags,
	    id) < 0)
		return -1;
	v = iiot_xcalloc(1, sizeof(*v));
	v->unit = r->unit != NULL ? iiot_xstrdup(r->unit) : NULL;
	v->tags = tags != NULL ? iiot_xstrdup(tags) : NULL;
	v->id = *id;
	v->next = s->head;
	s->head = v;
	return 0;
}

static void
cache_free(struct iiot_stab *t)
{
	const char *src, *sen;
	struct pvar *v, *next;
	struct pslot *s;
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

/* Report a failed store with the records lost, and exit 1. */
static void
store_failed(struct iiot_pg *pg, const struct options *o)
{
	fprintf(stderr, "%s: cannot store: '%s': %s\n", iiot_progname(),
	    o->db, iiot_pg_errmsg(pg));
	if (iiot_pg_pending(pg) > 0)
		fprintf(stderr, "%s: %llu records not committed\n",
		    iiot_progname(), iiot_pg_pending(pg));
	iiot_pg_close(pg);
	exit(IIOT_EXIT_FAIL);
}

static int
pg_write(const struct options *o)
{
	struct iiot_ratelimit rl = { 0 };
	struct iiot_buf tags = IIOT_BUF_INIT, extra = IIOT_BUF_INIT;
	struct iiot_stab *cache;
	struct iiot_lines *in;
	struct iiot_pg *pg;
	struct iiot_rec r;
	const char *line;
	int64_t start = 0, left, id;
	int pass = iiot_verbosity >= 0, status = IIOT_EXIT_OK, rc, broken = 0;
	size_t len;

	pg = open_or_die(o, IIOT_PG_CREATE);
	if ((cache = iiot_stab_new(sizeof(struct pslot))) == NULL ||
	    (in = iiot_lines_new(STDIN_FILENO)) == NULL ||
	    iiot_rec_init(&r) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	if (iiot_sig_install(IIOT_SIG_HUP | IIOT_SIG_NOPIPE) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o->unbuffered);
	if (pass)
		iiot_lines_set_flush(in, stdout);
	while (!iiot_sig_term) {
		/* SIGHUP: nothing to reopen; commit what is open. */
		if (iiot_sig_hup) {
			iiot_sig_hup = 0;
			if (iiot_pg_commit(pg) < 0)
				store_failed(pg, o);
		}
		left = -1;
		if (iiot_pg_pending(pg) > 0) {
			left = start + o->interval - iiot_mono_ms();
			if (left <= 0) {
				if (iiot_pg_commit(pg) < 0)
					store_failed(pg, o);
				iiot_debug(2, "committed (interval)");
				left = -1;
			}
		}
		iiot_lines_set_timeout(in, left < 0 ? -1 : (int)left);
		rc = iiot_lines_next(in, &line, &len);
		if (rc < 0 && errno == ETIMEDOUT)
			continue;
		if (pass && ferror(stdout)) {
			broken = 1;
			break;
		}
		if (rc == 0)
			break;
		if (rc < 0) {
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
		if (split_fields(&r, &tags, &extra) < 0)
			iiot_err(IIOT_EXIT_FAIL, "cannot store record");
		if (series_of(pg, cache, &r, tags.len > 0 ? tags.data : NULL,
		    &id) < 0)
			store_failed(pg, o);
		if (iiot_pg_pending(pg) == 0)
			start = iiot_mono_ms();
		if (iiot_pg_add(pg, id, r.ts, r.value, r.quality,
		    extra.len > 0 ? extra.data : NULL) < 0)
			store_failed(pg, o);
		if (iiot_pg_pending(pg) >= (unsigned long long)o->batch &&
		    iiot_pg_commit(pg) < 0)
			store_failed(pg, o);
		if (pass) {
			if (iiot_rec_write(&r, stdout) < 0) {
				broken = 1;
				break;
			}
			iiot_out_record();
		}
	}
	iiot_rec_release(&r);
	iiot_lines_free(in);
	cache_free(cache);
	iiot_buf_release(&tags);
	iiot_buf_release(&extra);
	if (iiot_pg_commit(pg) < 0)
		store_failed(pg, o);
	iiot_pg_close(pg);
	if (broken) {
		/* Stdout is gone: end as a filter would. */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		iiot_err(IIOT_EXIT_FAIL, "cannot write to stdout");
	}
	if (iiot_out_close() < 0 && errno != EPIPE) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}

/* Query and series. */

/* A matching series and the JSON text its records share. */
struct pser {
	int64_t id;
	char *pre;		/* ,"source":..,"sensor":..,"value": */
	char *unit;		/* ,"unit":"..", or "" */
	char *tags;		/* ,"k":"v".. or "" */
};

struct pquery {
	const struct options *o;
	struct pser *ser;
	size_t nser, cap;
	struct iiot_buf line, list;
	struct iiot_rec rec;
	int64_t t0, w0;		/* replay: first record and its wall time */
	int stats;		/* series: list them, not gather */
};

/* Does a series pass --sensor, --source and --tag? */
static int
wanted(const struct options *o, const struct iiot_pg_series *s)
{
	cJSON *tags = NULL, *t;
	const char *eq;
	char key[256];
	size_t i;
	int ok = o->nsensors == 0;

	for (i = 0; i < o->nsensors && !ok; i++)
		ok = iiot_glob_match(o->sensors[i], s->sensor);
	if (!ok)
		return 0;
	ok = o->nsources == 0;
	for (i = 0; i < o->nsources && !ok; i++)
		ok = iiot_glob_match(o->sources[i], s->source);
	if (!ok)
		return 0;
	if (o->ntags > 0 && (s->tags == NULL ||
	    (tags = cJSON_Parse(s->tags)) == NULL))
		return 0;
	for (i = 0; i < o->ntags && ok; i++) {
		eq = strchr(o->tags[i], '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - o->tags[i]),
		    o->tags[i]);
		t = cJSON_GetObjectItemCaseSensitive(tags, key);
		ok = cJSON_IsString(t) && iiot_glob_match(eq + 1,
		    t->valuestring);
	}
	cJSON_Delete(tags);
	return ok;
}

static char *
done_buf(struct iiot_buf *b, int rc)
{
	if (rc != 0 || iiot_buf_addc(b, '\0') < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	return b->data;
}

static int
gather(void *arg, const struct iiot_pg_series *s)
{
	struct pquery *q = arg;
	struct iiot_buf b = IIOT_BUF_INIT;
	struct pser *p;
	size_t n;
	int rc = 0;

	if (!wanted(q->o, s))
		return 0;
	if (q->nser == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->ser = iiot_xrealloc(q->ser, q->cap * sizeof(*q->ser));
	}
	p = &q->ser[q->nser++];
	p->id = s->id;
	if (*s->source != '\0') {
		rc |= iiot_buf_adds(&b, ",\"source\":");
		rc |= iiot_buf_add_json_str(&b, s->source, strlen(s->source));
	}
	rc |= iiot_buf_adds(&b, ",\"sensor\":");
	rc |= iiot_buf_add_json_str(&b, s->sensor, strlen(s->sensor));
	rc |= iiot_buf_adds(&b, ",\"value\":");
	p->pre = done_buf(&b, rc);
	memset(&b, 0, sizeof(b));
	if (s->unit != NULL) {
		rc |= iiot_buf_adds(&b, ",\"unit\":");
		rc |= iiot_buf_add_json_str(&b, s->unit, strlen(s->unit));
	}
	p->unit = done_buf(&b, rc);
	memset(&b, 0, sizeof(b));
	n = s->tags != NULL ? strlen(s->tags) : 0;
	if (n > 2) {
		rc |= iiot_buf_addc(&b, ',');
		rc |= iiot_buf_add(&b, s->tags + 1, n - 2);
	}
	p->tags = done_buf(&b, rc);
	return 0;
}

static const struct pser *
find_ser(const struct pquery *q, int64_t id)
{
	size_t lo = 0, hi = q->nser, m;

	/* Gathered in the order of their ids. */
	while (lo < hi) {
		m = (lo + hi) / 2;
		if (q->ser[m].id < id)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < q->nser && q->ser[lo].id == id ? &q->ser[lo] : NULL;
}

static int
row(void *arg, const struct iiot_pg_sample *s)
{
	struct pquery *q = arg;
	const struct pser *p = find_ser(q, s->series_id);
	struct sample out;

	if (iiot_sig_term)
		return 1;
	if (p == NULL)
		return 0;
	if (q->o->replay && !replay_pace(q->o->speed, s->ts, &q->t0, &q->w0))
		return 1;
	memset(&out, 0, sizeof(out));
	out.ts = s->ts;
	out.value = s->value;
	out.pre = p->pre;
	out.unit = p->unit;
	out.tags = p->tags;
	if ((out.quality = s->quality) != NULL)
		out.qlen = strlen(s->quality);
	if ((out.extra = s->extra) != NULL)
		out.elen = strlen(s->extra);
	sample_write(q->o, &out, &q->line, &q->rec);
	return 0;
}

static int
pg_query(const struct options *o)
{
	struct iiot_pg_query pq;
	struct pquery q;
	struct iiot_pg *pg;
	int64_t *ids;
	size_t i;
	int status = IIOT_EXIT_OK, rc;

	memset(&q, 0, sizeof(q));
	q.o = o;
	q.t0 = IIOT_TS_NONE;
	pg = open_or_die(o, 0);
	if (iiot_rec_init(&q.rec) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	if (iiot_sig_install(0) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o->unbuffered);
	if (iiot_pg_series_list(pg, 0, gather, &q) < 0)
		goto fail;
	ids = iiot_xcalloc(q.nser + 1, sizeof(*ids));
	for (i = 0; i < q.nser; i++)
		ids[i] = q.ser[i].id;
	memset(&pq, 0, sizeof(pq));
	pq.ids = ids;
	pq.nids = q.nser;
	pq.since = o->since == IIOT_TS_NONE ? INT64_MIN : o->since;
	pq.until = o->until == IIOT_TS_NONE ? INT64_MAX : o->until;
	pq.last = o->last;
	pq.every = o->every;
	pq.agg = o->agg;
	iiot_fmt_header(stdout, o->fmt, NULL, 0);
	rc = q.nser > 0 ? iiot_pg_samples(pg, &pq, row, &q) : 0;
	free(ids);
	if (rc < 0)
		goto fail;
	for (i = 0; i < q.nser; i++) {
		free(q.ser[i].pre);
		free(q.ser[i].unit);
		free(q.ser[i].tags);
	}
	free(q.ser);
	iiot_buf_release(&q.line);
	iiot_rec_release(&q.rec);
	iiot_pg_close(pg);
	if (iiot_out_close() < 0) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
fail:
	pg_fail(pg, o->db);
}

static int
list_one(void *arg, const struct iiot_pg_series *s)
{
	struct pquery *q = arg;
	struct iiot_buf *b = &q->list;
	char ts[IIOT_TIME_BUFSZ];
	int rc = 0;

	if (!wanted(q->o, s))
		return 0;
	iiot_buf_reset(b);
	rc |= iiot_buf_adds(b, "{\"source\":");
	rc |= iiot_buf_add_json_str(b, s->source, strlen(s->source));
	rc |= iiot_buf_adds(b, ",\"sensor\":");
	rc |= iiot_buf_add_json_str(b, s->sensor, strlen(s->sensor));
	if (s->unit != NULL) {
		rc |= iiot_buf_adds(b, ",\"unit\":");
		rc |= iiot_buf_add_json_str(b, s->unit, strlen(s->unit));
	}
	if (s->tags != NULL) {
		rc |= iiot_buf_adds(b, ",\"tags\":");
		rc |= iiot_buf_adds(b, s->tags);
	}
	if (s->count > 0) {
		iiot_time_format(s->first, ts);
		rc |= iiot_buf_addf(b, ",\"first\":\"%s\"", ts);
		iiot_time_format(s->last, ts);
		rc |= iiot_buf_addf(b, ",\"last\":\"%s\"", ts);
	}
	rc |= iiot_buf_addf(b, ",\"count\":%lld}\n", (long long)s->count);
	if (rc != 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	fwrite(b->data, 1, b->len, stdout);
	iiot_out_record();
	return 0;
}

static int
pg_series(const struct options *o)
{
	struct pquery q;
	struct iiot_pg *pg = open_or_die(o, 0);
	int status = IIOT_EXIT_OK;

	memset(&q, 0, sizeof(q));
	q.o = o;
	iiot_out_init(o->unbuffered);
	if (iiot_pg_series_list(pg, 1, list_one, &q) < 0)
		pg_fail(pg, o->db);
	iiot_buf_release(&q.list);
	iiot_pg_close(pg);
	if (iiot_out_close() < 0) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	return status;
}

/* Rotate and verify: the same daily files and manifest as on SQLite. */

/* A day file being filled from the server, or compared with it. */
struct pday {
	struct iiot_db *db;
	struct iiot_stmt *st;		/* insert, or look up a sample */
	int64_t *ids;			/* every series of the server */
	size_t nids, cap;
	long long n;			/* samples copied, or lacking */
};

static int
day_series(void *arg, const struct iiot_pg_series *s)
{
	struct pday *d = arg;

	if (d->st != NULL) {
		iiot_stmt_reset(d->st);
		iiot_stmt_bind_int(d->st, 1, s->id);
		iiot_stmt_bind_text(d->st, 2, s->source, -1);
		iiot_stmt_bind_text(d->st, 3, s->sensor, -1);
		iiot_stmt_bind_text(d->st, 4, s->unit, -1);
		iiot_stmt_bind_text(d->st, 5, s->tags, -1);
		if (iiot_stmt_step(d->st) < 0)
			return 1;
	}
	if (d->nids == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->ids = iiot_xrealloc(d->ids, d->cap * sizeof(*d->ids));
	}
	d->ids[d->nids++] = s->id;
	return 0;
}

static int
day_sample(void *arg, const struct iiot_pg_sample *s)
{
	struct pday *d = arg;

	iiot_stmt_reset(d->st);
	iiot_stmt_bind_int(d->st, 1, s->series_id);
	iiot_stmt_bind_int(d->st, 2, s->ts);
	iiot_stmt_bind_double(d->st, 3, s->value);
	iiot_stmt_bind_text(d->st, 4, s->quality, -1);
	iiot_stmt_bind_text(d->st, 5, s->extra, -1);
	if (iiot_stmt_step(d->st) < 0)
		return 1;
	d->n++;
	return 0;
}

static int
day_lacks(void *arg, const struct iiot_pg_sample *s)
{
	struct pday *d = arg;
	int rc;

	iiot_stmt_reset(d->st);
	iiot_stmt_bind_int(d->st, 1, s->series_id);
	iiot_stmt_bind_int(d->st, 2, s->ts);
	iiot_stmt_bind_double(d->st, 3, s->value);
	if ((rc = iiot_stmt_step(d->st)) < 0)
		return 1;
	d->n += rc == 0;
	return 0;
}

/*
 * Stream the samples of [t0, t1) of every series into fn, with the day
 * file d->db open at path; a failure of either side exits.
 */
static void
day_run(struct live *l, struct pday *d, const char *path, const char *sql,
    int64_t t0, int64_t t1, int (*fn)(void *, const struct iiot_pg_sample *))
{
	struct iiot_pg_query q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.since = t0;
	q.until = t1;
	q.agg = IIOT_PG_NOAGG;
	if ((rc = iiot_pg_series_list(l->h, 0, day_series, d)) == 0) {
		iiot_stmt_free(d->st);
		if ((d->st = iiot_db_prepare(d->db, sql)) == NULL)
			archive_fail(d->db, "cannot prepare", path, 0);
		q.ids = d->ids;
		q.nids = d->nids;
		rc = d->nids > 0 ? iiot_pg_samples(l->h, &q, fn, d) : 0;
	}
	if (rc > 0)
		archive_fail(d->db, "cannot write", path, 0);
	if (rc < 0)
		pg_fail(l->h, l->name);
	iiot_stmt_free(d->st);
	d->st = NULL;
	free(d->ids);
}

static struct iiot_db *
day_open(const char *path, int flags)
{
	struct iiot_db *db;
	char *msg;

	if ((db = iiot_db_open(path, flags, 1000, &msg)) == NULL)
		iiot_errx(IIOT_EXIT_FAIL, "cannot open '%s': %s", path,
		    msg != NULL ? msg : "?");
	return db;
}

static long long
pl_copy(struct live *l, int64_t t0, int64_t t1, const char *path)
{
	struct pday d;

	memset(&d, 0, sizeof(d));
	d.db = day_open(path, IIOT_DB_NOWAL);
	if (iiot_db_begin(d.db) < 0 || (d.st = iiot_db_prepare(d.db,
	    "INSERT INTO series (id, source, sensor, unit, tags) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL)
		archive_fail(d.db, "cannot write", path, 0);
	day_run(l, &d, path, "INSERT INTO samples (series_id, ts, value, "
	    "quality, extra) VALUES (?1, ?2, ?3, ?4, ?5)", t0, t1, day_sample);
	/* Only the series that have a sample that day, as on SQLite. */
	if (iiot_db_exec(d.db, "DELETE FROM series WHERE NOT EXISTS "
	    "(SELECT 1 FROM samples WHERE series_id = series.id)") < 0 ||
	    iiot_db_commit(d.db) < 0)
		archive_fail(d.db, "cannot write", path, 0);
	if (iiot_db_close(d.db) < 0)
		iiot_errx(IIOT_EXIT_FAIL, "cannot close '%s'", path);
	return d.n;
}

static long long
pl_lacking(struct live *l, int64_t t0, int64_t t1, const char *path)
{
	struct pday d;

	memset(&d, 0, sizeof(d));
	d.db = day_open(path, IIOT_DB_RDONLY);
	day_run(l, &d, path, "SELECT 1 FROM samples WHERE series_id = ?1 "
	    "AND ts = ?2 AND value = ?3", t0, t1, day_lacks);
	iiot_db_close(d.db);
	return d.n;
}

static int64_t
pl_first(struct live *l)
{
	int64_t t;

	if (iiot_pg_first(l->h, &t) < 0)
		pg_fail(l->h, l->name);
	return t;
}

static long long
pl_count(struct live *l, int64_t t0, int64_t t1)
{
	long long n = iiot_pg_count(l->h, t0, t1);

	if (n < 0)
		pg_fail(l->h, l->name);
	return n;
}

static void
pl_drop(struct live *l, int64_t t0, int64_t t1)
{
	if (iiot_pg_delete(l->h, t0, t1) < 0)
		pg_fail(l->h, l->name);
}

static int
pg_rotate(const struct options *o)
{
	struct live l;
	int status;

	memset(&l, 0, sizeof(l));
	l.name = o->db;
	l.h = open_or_die(o, 0);
	l.first = pl_first;
	l.count = pl_count;
	l.copy = pl_copy;
	l.lacking = pl_lacking;
	l.drop = pl_drop;
	status = rotate_live(o, &l);
	iiot_pg_close(l.h);
	return status;
}

/* The live check of verify: the server answers with our schema. */
static int
pg_verify(const struct options *o)
{
	struct iiot_pg *pg;
	char *msg;
	int bad = 0;

	iiot_out_init(o->unbuffered);
	if ((pg = iiot_pg_open(o->db, 0, 0, &msg)) == NULL) {
		printf("FAIL live: '%s': %s\n", o->db,
		    msg != NULL ? msg : iiot_strerror(errno));
		free(msg);
		bad = 1;
	} else if (iiot_verbosity > 0) {
		printf("ok live: '%s': %s\n", o->db, iiot_pg_timescale(pg) ?
		    "TimescaleDB hypertable" : "plain PostgreSQL tables");
	}
	iiot_pg_close(pg);
	return verify_days(o, bad);
}

/*
 * A password in the URL would be on the command line, for any user to
 * see in ps(1): refused, as the other programs refuse it in theirs.
 */
static int
url_has_password(const char *url)
{
	const char *p = strstr(url, "://") + 3;
	size_t host = strcspn(p, "/?");
	const char *at = memchr(p, '@', host);

	return (at != NULL && memchr(p, ':', (size_t)(at - p)) != NULL) ||
	    strstr(url, "password=") != NULL;
}

int
cmd_pg(const struct options *o)
{
	if (url_has_password(o->db))
		iiot_errx(IIOT_EXIT_USAGE, "-d: a password in the URL shows "
		    "on the command line: put it in PGPASSFILE or PGPASSWORD");
	switch (o->cmd) {
	case CMD_WRITE:
		return pg_write(o);
	case CMD_QUERY:
		return pg_query(o);
	case CMD_SERIES:
		return pg_series(o);
	case CMD_ROTATE:
		return pg_rotate(o);
	case CMD_VERIFY:
		return pg_verify(o);
	default:
		iiot_errx(IIOT_EXIT_FAIL, "'%s': backup works on SQLite files "
		    "only (use pg_dump for PostgreSQL)", o->db);
	}
	return IIOT_EXIT_FAIL;
}
