/* SPDX-License-Identifier: MIT */
/* iiot_pg.h: the archive on PostgreSQL (libpq): schema, batches, queries. */
#ifndef IIOT_PG_H
#define IIOT_PG_H

#include <stddef.h>
#include <stdint.h>

struct iiot_pg;		/* opaque: an archive on a PostgreSQL server */

/* Flags of iiot_pg_open(). */
#define IIOT_PG_CREATE	0x1	/* create the schema if it is missing */

/*
 * 1 if s names a PostgreSQL database ("postgresql://..." or
 * "postgres://..."), 0 if it is a file name.
 */
int iiot_pg_is_url(const char *s);

/*
 * Connect to the server named by url (a libpq connection URI: user,
 * host, port, database, sslmode=...; the password comes from
 * PGPASSWORD or PGPASSFILE, never from the caller).  With
 * IIOT_PG_CREATE the schema is created if missing: a series table and a
 * samples table keyed by (series_id, ts); a TimescaleDB hypertable with
 * compression when the server offers the extension, a BRIN time index
 * otherwise.  Without it the schema must exist.
 * retry_ms: how long a lost connection is retried (0: not at all).
 * Returns a handle owned by the caller (iiot_pg_close), or NULL with
 * errno IIOT_EDB; *errmsg (if not NULL) then receives a malloc'ed
 * message the caller frees with free().
 */
struct iiot_pg *iiot_pg_open(const char *url, int flags, int64_t retry_ms,
    char **errmsg);

/*
 * Close the connections.  Samples added and not committed are dropped.
 * NULL is allowed.
 */
void iiot_pg_close(struct iiot_pg *pg);

/*
 * The message of the last failed call on pg, owned by pg, valid until
 * the next call.
 */
const char *iiot_pg_errmsg(const struct iiot_pg *pg);

/* 1 if the samples table is a TimescaleDB hypertable. */
int iiot_pg_timescale(const struct iiot_pg *pg);

/*
 * The id of the series (source, sensor, unit, tags), added (and
 * committed at once) if new.  unit and tags (a JSON object's text) may
 * be NULL.  Returns 0 with *id set, or -1 with errno IIOT_EDB.
 */
int iiot_pg_series_id(struct iiot_pg *pg, const char *source,
    const char *sensor, const char *unit, const char *tags, int64_t *id);

/*
 * Add a sample to the open batch; it is streamed to the server with
 * COPY and kept until iiot_pg_commit() succeeds.  quality and extra
 * may be NULL.  Returns 0, or -1 with errno IIOT_EDB (out of memory).
 */
int iiot_pg_add(struct iiot_pg *pg, int64_t series_id, int64_t ts,
    double value, const char *quality, const char *extra);

/* The number of samples in the open batch. */
unsigned long long iiot_pg_pending(const struct iiot_pg *pg);

/*
 * Commit the open batch, atomically.  A sample with the key (series_id,
 * ts) of one already stored replaces it (the last one wins, also within
 * a batch).  A connection lost on the way is reconnected and the whole
 * batch sent again for up to retry_ms, so a server restart loses
 * nothing and stores nothing twice.  Returns 0, or -1 with errno
 * IIOT_EDB (the batch is kept: iiot_pg_pending() tells its size).
 */
int iiot_pg_commit(struct iiot_pg *pg);

/* A series, as iiot_pg_series_list() reports it. */
struct iiot_pg_series {
	int64_t id;
	const char *source, *sensor;
	const char *unit, *tags;	/* NULL when absent */
	int64_t count;			/* samples; 0 without stats */
	int64_t first, last;		/* their time span, if count > 0 */
};

/*
 * Call fn for every series in the order of their ids; with stats, the
 * count and time span of their samples are filled in.  The strings are
 * valid during the call only.  A non-zero return of fn stops the list
 * and is returned.  Returns 0, or -1 with errno IIOT_EDB.
 */
int iiot_pg_series_list(struct iiot_pg *pg, int stats,
    int (*fn)(void *arg, const struct iiot_pg_series *s), void *arg);

/* A sample, as iiot_pg_samples() reports it. */
struct iiot_pg_sample {
	int64_t series_id;
	int64_t ts;
	double value;
	const char *quality, *extra;	/* NULL when absent */
};

/* Aggregates of struct iiot_pg_query, in the archive's order. */
enum {
	IIOT_PG_NOAGG = -1, IIOT_PG_MEAN, IIOT_PG_MIN, IIOT_PG_MAX,
	IIOT_PG_FIRST, IIOT_PG_LAST, IIOT_PG_SUM, IIOT_PG_COUNT,
	IIOT_PG_DELTA
};

/* What iiot_pg_samples() selects. */
struct iiot_pg_query {
	const int64_t *ids;	/* these series */
	size_t nids;
	int64_t since, until;	/* ts in [since, until) */
	int last;		/* only the latest sample of each series */
	int64_t every;		/* > 0: one per series and interval, */
	int agg;		/* aggregated so (IIOT_PG_*) */
};

/*
 * Call fn for every matching sample, ordered by time then series id
 * (with every, ts is the start of the interval and quality and extra
 * are NULL), streamed from one consistent snapshot.  The strings are
 * valid during the call only.  A non-zero return of fn stops the query
 * and is returned.  Returns 0, or -1 with errno IIOT_EDB.
 */
int iiot_pg_samples(struct iiot_pg *pg, const struct iiot_pg_query *q,
    int (*fn)(void *arg, const struct iiot_pg_sample *s), void *arg);

/*
 * The time of the oldest sample into *first, IIOT_TS_NONE when there is
 * none.  Returns 0, or -1 with errno IIOT_EDB.
 */
int iiot_pg_first(struct iiot_pg *pg, int64_t *first);

/*
 * The number of samples with ts in [t0, t1), or -1 with errno IIOT_EDB.
 */
long long iiot_pg_count(struct iiot_pg *pg, int64_t t0, int64_t t1);

/*
 * Delete the samples with ts in [t0, t1), atomically.  Returns how
 * many, or -1 with errno IIOT_EDB.
 */
long long iiot_pg_delete(struct iiot_pg *pg, int64_t t0, int64_t t1);

/*
 * The version of libpq, for --version ("libpq 15.5").  Returns a static
 * string.
 */
const char *iiot_pg_libversion(void);

#endif /* IIOT_PG_H */
