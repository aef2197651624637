/* SPDX-License-Identifier: MIT */
/* write.c: iiot-archive write: store records in batches, pass them on. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/*
 * Two threads share the work, as parsing JSON and inserting into SQLite
 * each cost about half: the main thread reads, parses and passes records
 * on, and hands samples over in blocks; the store thread owns the
 * database connection and commits.  Only the store thread touches the
 * database; the blocks, a bounded queue, keep memory flat.
 */

/* One (source, sensor, unit, tags) seen: a series of the archive. */
struct variant {
	struct variant *next;
	char *source, *sensor;
	char *unit;		/* NULL when absent */
	char *tags;		/* JSON object, NULL when none */
	int64_t id;		/* store thread only: id in the file, */
	unsigned gen;		/* valid while gen is the file's */
};

struct slot {
	struct variant *head;
};

#define QUAL_MAX	16	/* qualities up to this size stay inline */

struct item {
	struct variant *v;
	int64_t ts;
	double value;
	char *quality;		/* NULL, qbuf, or malloc'ed */
	char *extra;		/* NULL or malloc'ed */
	char qbuf[QUAL_MAX];
};

#define BLOCK_ITEMS	4096
#define QUEUE_BLOCKS	8

struct block {
	struct block *next;
	size_t n;
	int reopen;		/* reopen the file after these items */
	struct item it[BLOCK_ITEMS];
};

struct writer {
	const struct options *o;

	/* Main thread only. */
	struct iiot_stab *cache;
	struct block *cur;		/* being filled */
	struct iiot_buf tags, extra;
	unsigned long long handed;	/* items handed to the store thread */

	/* Shared, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	struct block *head, *tail;	/* the queue */
	size_t queued;
	struct block *spare;		/* free blocks for reuse */
	int done;			/* no more blocks will come */
	int failed;			/* the store thread gave up */
	unsigned long long committed;	/* items committed so far */
	char errbuf[600];

	/* Store thread only. */
	pthread_t thread;
	struct iiot_db *db;
	struct iiot_stmt *insert, *find, *add;
	unsigned gen;
	int fd;				/* the file, to see it deleted */
	unsigned long long pending;	/* items in the open transaction */
	int64_t batch_start;		/* mono ms of its first item */
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

/* Store thread. */

/* Open the archive and prepare.  0, or -1 with the reason in err. */
static int
db_open(struct writer *w, char *err, size_t n)
{
	const char *path = w->o->db;

	w->fd = -1;
	w->db = archive_try_open_write(path, w->o->busy, err, n);
	if (w->db == NULL)
		return -1;
	if ((w->insert = iiot_db_prepare(w->db, insert_sql)) == NULL ||
	    (w->find = iiot_db_prepare(w->db, find_sql)) == NULL ||
	    (w->add = iiot_db_prepare(w->db, add_sql)) == NULL) {
		archive_describe(w->db, "cannot prepare statements", path,
		    err, n);
		return -1;
	}
	w->gen++;
	/* Opened after SQLite, closed after it: its locks stay. */
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

static void
db_close(struct writer *w)
{
	iiot_stmt_free(w->insert);
	iiot_stmt_free(w->find);
	iiot_stmt_free(w->add);
	if (iiot_db_close(w->db) < 0)
		iiot_warnx("cannot close archive: '%s'", w->o->db);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->insert = w->find = w->add = NULL;
	w->db = NULL;
}

/*
 * Give up: roll back and let the main thread report.  Returns -1.  The
 * message is made here, where the connection's error is.
 */
static int
store_fail(struct writer *w, const char *what)
{
	char msg[sizeof(w->errbuf)];

	archive_describe(w->db, what, w->o->db, msg, sizeof(msg));
	iiot_db_rollback(w->db);
	pthread_mutex_lock(&w->mu);
	memcpy(w->errbuf, msg, sizeof(msg));
	w->failed = 1;
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->mu);
	return -1;
}

/*
 * The file deleted (or replaced by another) under us: a commit would go
 * to a file nobody sees again.  Give up, so the records count as lost.
 * A file renamed (rotated before SIGHUP) is still linked: that is fine.
 */
static int
deleted(struct writer *w)
{
	struct stat st;

	if (w->fd < 0 || fstat(w->fd, &st) < 0 || st.st_nlink > 0)
		return 0;
	iiot_db_rollback(w->db);
	pthread_mutex_lock(&w->mu);
	snprintf(w->errbuf, sizeof(w->errbuf), "cannot commit: '%s': %s",
	    w->o->db, "file deleted or replaced while open");
	w->failed = 1;
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->mu);
	return -1;
}

static int
commit(struct writer *w)
{
	if (w->pending == 0)
		return 0;
	if (deleted(w) < 0)
		return -1;
	if (iiot_db_commit(w->db) < 0)
		return store_fail(w, "cannot commit");
	iiot_debug(2, "committed %llu records", w->pending);
	pthread_mutex_lock(&w->mu);
	w->committed += w->pending;
	pthread_mutex_unlock(&w->mu);
	w->pending = 0;
	return 0;
}

/* The id of a series in the open file: cached, found or added. */
static int
resolve(struct writer *w, struct variant *v)
{
	int64_t id = -1;
	int rc;

	if (v->gen == w->gen)
		return 0;
	iiot_stmt_bind_text(w->find, 1, v->source, -1);
	iiot_stmt_bind_text(w->find, 2, v->sensor, -1);
	iiot_stmt_bind_text(w->find, 3, v->unit, -1);
	iiot_stmt_bind_text(w->find, 4, v->tags, -1);
	rc = iiot_stmt_step(w->find);
	if (rc == 1)
		id = iiot_stmt_int(w->find, 0);
	iiot_stmt_reset(w->find);
	if (rc < 0)
		return store_fail(w, "cannot look up a series");
	if (id < 0) {
		iiot_stmt_bind_text(w->add, 1, v->source, -1);
		iiot_stmt_bind_text(w->add, 2, v->sensor, -1);
		iiot_stmt_bind_text(w->add, 3, v->unit, -1);
		iiot_stmt_bind_text(w->add, 4, v->tags, -1);
		if (iiot_stmt_step(w->add) == 1)
			id = iiot_stmt_int(w->add, 0);
		iiot_stmt_reset(w->add);
		if (id < 0)
			return store_fail(w, "cannot add a series");
	}
	v->id = id;
	v->gen = w->gen;
	return 0;
}

static int
store_item(struct writer *w, const struct item *it)
{
	int rc;

	w->pending++;
	rc = iiot_stmt_bind_int(w->insert, 1, it->v->id) < 0 ||
	    iiot_stmt_bind_int(w->insert, 2, it->ts) < 0 ||
	    iiot_stmt_bind_double(w->insert, 3, it->value) < 0 ||
	    iiot_stmt_bind_text(w->insert, 4, it->quality, -1) < 0 ||
	    iiot_stmt_bind_text(w->insert, 5, it->extra, -1) < 0 ||
	    iiot_stmt_step(w->insert) < 0;
	iiot_stmt_reset(w->insert);
	if (rc)
		return store_fail(w, "cannot store record");
	return 0;
}

/* Order of items in a block: by series, then time, then arrival. */
static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a;
	const struct item *y = *(const struct item *const *)b;

	if (x->v->id != y->v->id)
		return x->v->id < y->v->id ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Store a block.  Its rows go in sorted by key, so that consecutive
 * inserts land on the same pages; a commit happens only between blocks,
 * so what is committed is always a prefix of the input.
 */
static int
store_block(struct writer *w, struct block *b)
{
	struct item *order[BLOCK_ITEMS];
	size_t i;

	if (b->n == 0)
		return 0;
	if (w->pending == 0) {
		if (iiot_db_begin(w->db) < 0)
			return store_fail(w, "cannot begin a transaction");
		w->batch_start = iiot_mono_ms();
	}
	for (i = 0; i < b->n; i++) {
		if (resolve(w, b->it[i].v) < 0)
			return -1;
		order[i] = &b->it[i];
	}
	qsort(order, b->n, sizeof(order[0]), item_cmp);
	for (i = 0; i < b->n; i++)
		if (store_item(w, order[i]) < 0)
			return -1;
	if ((unsigned long long)w->o->batch <= w->pending ||
	    iiot_mono_ms() - w->batch_start >= w->o->interval)
		return commit(w);
	return 0;
}

static void
block_clear(struct block *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (b->it[i].quality != b->it[i].qbuf)
			free(b->it[i].quality);
		free(b->it[i].extra);
	}
	b->n = 0;
	b->reopen = 0;
}

static void
deadline(struct timespec *ts, int64_t ms_from_now)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms_from_now / 1000;
	ts->tv_nsec += (ms_from_now % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* SIGHUP: the file again, perhaps a new one. */
static int
reopen(struct writer *w)
{
	char msg[sizeof(w->errbuf)];

	if (db_open(w, msg, sizeof(msg)) < 0) {
		pthread_mutex_lock(&w->mu);
		memcpy(w->errbuf, msg, sizeof(msg));
		w->failed = 1;
		pthread_cond_broadcast(&w->room);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	iiot_debug(1, "reopened '%s'", w->o->db);
	return 0;
}

static void *
store_main(void *arg)
{
	struct writer *w = arg;
	struct timespec until;
	struct block *b;
	int64_t left;
	int ok = 1;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->done) {
			if (w->pending == 0) {
				pthread_cond_wait(&w->work, &w->mu);
				continue;
			}
			/* Idle with an open batch: commit once it is due. */
			left = w->batch_start + w->o->interval - iiot_mono_ms();
			if (left <= 0) {
				pthread_mutex_unlock(&w->mu);
				ok = commit(w) == 0;
				pthread_mutex_lock(&w->mu);
				if (!ok)
					break;
				continue;
			}
			deadline(&until, left);
			pthread_cond_timedwait(&w->work, &w->mu, &until);
		}
		if (!ok || (b = w->head) == NULL)
			break;
		w->head = b->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->queued--;
		pthread_mutex_unlock(&w->mu);
		ok = store_block(w, b) == 0;
		if (ok && b->reopen) {
			ok = commit(w) == 0;
			if (ok) {
				db_close(w);
				ok = reopen(w) == 0;
			}
		}
		block_clear(b);
		pthread_mutex_lock(&w->mu);
		b->next = w->spare;
		w->spare = b;
		pthread_cond_broadcast(&w->room);
		if (!ok)
			break;
	}
	pthread_mutex_unlock(&w->mu);
	if (ok)
		commit(w);
	return NULL;
}

/* Main thread. */

/* Hand the block being filled to the store thread.  0, or -1 if failed. */
static int
hand_over(struct writer *w, int reopen)
{
	struct block *b = w->cur;
	int failed;

	if (b == NULL || (b->n == 0 && !reopen)) {
		pthread_mutex_lock(&w->mu);
		failed = w->failed;
		pthread_mutex_unlock(&w->mu);
		return failed ? -1 : 0;
	}
	b->reopen = reopen;
	pthread_mutex_lock(&w->mu);
	w->handed += b->n;
	if (w->tail != NULL)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	b->next = NULL;
	w->queued++;
	w->cur = NULL;
	pthread_cond_signal(&w->work);
	failed = w->failed;
	pthread_mutex_unlock(&w->mu);
	return failed ? -1 : 0;
}

/* A block to fill: a spare one, a new one, or wait for room. */
static int
next_block(struct writer *w)
{
	struct block *b = NULL;
	int failed;

	pthread_mutex_lock(&w->mu);
	while (!w->failed && w->spare == NULL && w->queued >= QUEUE_BLOCKS)
		pthread_cond_wait(&w->room, &w->mu);
	if (w->spare != NULL) {
		b = w->spare;
		w->spare = b->next;
	}
	failed = w->failed;
	pthread_mutex_unlock(&w->mu);
	if (failed) {
		if (b != NULL)
			free(b);
		return -1;
	}
	if (b == NULL && (b = calloc(1, sizeof(*b))) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	b->n = 0;
	b->reopen = 0;
	w->cur = b;
	return 0;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static struct variant *
variant_of(struct writer *w, const struct iiot_rec *r, const char *tags)
{
	struct slot *s;
	struct variant *v;

	s = iiot_stab_get(w->cache, r->source, r->sensor, 1, NULL);
	if (s == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate the series cache");
	for (v = s->head; v != NULL; v = v->next)
		if (same(v->unit, r->unit) && same(v->tags, tags))
			return v;
	v = iiot_xcalloc(1, sizeof(*v));
	v->source = iiot_xstrdup(r->source);
	v->sensor = iiot_xstrdup(r->sensor);
	v->unit = r->unit != NULL ? iiot_xstrdup(r->unit) : NULL;
	v->tags = tags != NULL ? iiot_xstrdup(tags) : NULL;
	v->next = s->head;
	s->head = v;
	return v;
}

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
			free(v->source);
			free(v->sensor);
			free(v->unit);
			free(v->tags);
			free(v);
		}
	}
	iiot_stab_free(t);
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

/* Queue a record's sample.  0, or -1 if the store thread failed. */
static int
store(struct writer *w, const struct iiot_rec *r)
{
	struct item *it;
	size_t n;

	if (w->cur == NULL && next_block(w) < 0)
		return -1;
	if (split_fields(w, r) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot store record");
	it = &w->cur->it[w->cur->n++];
	it->v = variant_of(w, r, w->tags.len > 0 ? w->tags.data : NULL);
	it->ts = r->ts;
	it->value = r->value;
	it->quality = NULL;
	it->extra = NULL;
	if (r->quality != NULL) {
		n = strlen(r->quality) + 1;
		it->quality = n <= QUAL_MAX ? it->qbuf :
		    iiot_xmalloc(n);
		memcpy(it->quality, r->quality, n);
	}
	if (w->extra.len > 0)
		it->extra = iiot_xstrdup(w->extra.data);
	if (w->cur->n == BLOCK_ITEMS)
		return hand_over(w, 0);
	return 0;
}

/*
 * End the store thread: hand over what is left, let it commit, join.
 * Exits 1 with the count of records lost if it failed.
 */
static void
finish(struct writer *w)
{
	struct block *b;
	unsigned long long lost;

	hand_over(w, 0);
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	if (w->db != NULL)
		db_close(w);
	lost = w->handed - w->committed + (w->cur != NULL ? w->cur->n : 0);
	while ((b = w->head) != NULL) {
		w->head = b->next;
		block_clear(b);
		free(b);
	}
	while ((b = w->spare) != NULL) {
		w->spare = b->next;
		free(b);
	}
	if (w->cur != NULL) {
		block_clear(w->cur);
		free(w->cur);
	}
	cache_free(w->cache);
	iiot_buf_release(&w->tags);
	iiot_buf_release(&w->extra);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	if (w->failed) {
		fprintf(stderr, "%s: %s\n", iiot_progname(), w->errbuf);
		if (lost > 0)
			fprintf(stderr, "%s: %llu records not committed\n",
			    iiot_progname(), lost);
		exit(IIOT_EXIT_FAIL);
	}
}

static void
start(struct writer *w)
{
	pthread_condattr_t ca;
	sigset_t all, old;

	if ((w->cache = iiot_stab_new(sizeof(struct slot))) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate the series cache");
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->room, NULL);
	/* Opened here, so open failures exit before anything is read. */
	if (db_open(w, w->errbuf, sizeof(w->errbuf)) < 0)
		iiot_errx(IIOT_EXIT_FAIL, "%s", w->errbuf);
	/* Signals are for the main thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&w->thread, NULL, store_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot start the store thread");
}

/*
 * Stdout failed: keep what we have, then end as a filter would, by
 * SIGPIPE if its reader went away, else with a message and status 1.
 */
static void
out_broken(struct writer *w)
{
	int e = errno;

	struct pollfd pfd = { STDOUT_FILENO, POLLOUT, 0 };

	/* A flush that failed before a read left no errno: is it EPIPE? */
	if (e != EPIPE && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
		e = EPIPE;
	finish(w);
	if (e == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	errno = e;
	iiot_err(IIOT_EXIT_FAIL, "cannot write to stdout");
}

int
cmd_write(const struct options *o)
{
	static struct writer w;
	struct iiot_ratelimit rl = { 0 };
	struct iiot_lines *in;
	struct iiot_rec r;
	const char *line;
	int pass = iiot_verbosity >= 0, status = IIOT_EXIT_OK, rc;
	size_t len;

	w.o = o;
	start(&w);
	if ((in = iiot_lines_new(STDIN_FILENO)) == NULL ||
	    iiot_rec_init(&r) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot allocate");
	if (iiot_sig_install(IIOT_SIG_HUP | IIOT_SIG_NOPIPE) < 0)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o->unbuffered);
	if (pass)
		iiot_lines_set_flush(in, stdout);
	while (!iiot_sig_term) {
		if (iiot_sig_hup) {
			iiot_sig_hup = 0;
			if ((w.cur == NULL && next_block(&w) < 0) ||
			    hand_over(&w, 1) < 0)
				break;
		}
		/*
		 * Look without waiting first: if nothing is there, hand over
		 * what we hold before we wait.  While waiting, look every
		 * second whether the store thread failed on a timed commit.
		 */
		iiot_lines_set_timeout(in, w.cur != NULL ? 0 : 1000);
		rc = iiot_lines_next(in, &line, &len);
		if (rc < 0 && errno == ETIMEDOUT) {
			if (hand_over(&w, 0) < 0)
				break;
			continue;
		}
		if (pass && ferror(stdout))
			out_broken(&w);
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
		if (store(&w, &r) < 0)
			break;
		if (pass) {
			if (iiot_rec_write(&r, stdout) < 0)
				out_broken(&w);
			iiot_out_record();
		}
	}
	iiot_rec_release(&r);
	iiot_lines_free(in);
	finish(&w);
	if (iiot_out_close() < 0 && errno != EPIPE) {
		iiot_warn("cannot write to stdout");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}
