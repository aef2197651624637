/* SPDX-License-Identifier: MIT */
/* archive.h: the parts of iiot-archive, one file per subcommand. */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct iiot_buf;
struct iiot_db;
struct iiot_rec;

/* Subcommands. */
enum {
	CMD_WRITE, CMD_QUERY, CMD_SERIES, CMD_ROTATE, CMD_VERIFY, CMD_BACKUP
};

/* Aggregates of --agg, in the order of agg_names[]. */
enum {
	AGG_NONE = -1, AGG_MEAN, AGG_MIN, AGG_MAX, AGG_FIRST, AGG_LAST,
	AGG_SUM, AGG_COUNT, AGG_DELTA
};
extern const char *const agg_names[];

/*
 * Options of iiot-archive, filled by parse_args() in main.c and read by
 * each subcommand.
 */
struct options {
	int cmd;
	const char *db;			/* -d, IIOT_DB, or "iiot.db" */
	int unbuffered;

	/* write */
	long long batch;		/* commit every N records */
	int64_t interval;		/* ms: or when the batch is this old */
	int64_t busy;			/* ms: wait for another writer */

	/* query and series */
	const char **sensors, **sources;	/* globs */
	const char **tags;		/* KEY=GLOB */
	size_t nsensors, nsources, ntags;
	int64_t since, until;		/* ms, or IIOT_TS_NONE */
	int64_t every;			/* ms; 0 without --every */
	int agg;
	int last;
	int fmt;			/* IIOT_FMT_* */
	int replay;
	double speed;

	/* rotate, verify, backup */
	const char *dir;		/* -a: archive directory */
	const char *tz;			/* --tz, NULL for UTC */
	int64_t before;			/* rotate days ended by then */
	int64_t retention;		/* ms; -1 for none */
	const char *dest;		/* backup target */
};

/* The schema: SQL steps from version i to i + 1 (schema.c). */
extern const char *const schema_steps[];
extern const int schema_version;

/*
 * Open the archive for writing (created and migrated as needed) or for
 * reading (any known schema version); exit 1 with a message on failure.
 */
struct iiot_db *archive_open_write(const char *path, int64_t busy_ms);
struct iiot_db *archive_open_read(const char *path, int64_t busy_ms);

/*
 * Return 1 if db has no schema object at all: a new archive whose
 * writer died before its first commit, which reads as empty.
 */
int archive_is_blank(struct iiot_db *db);

/*
 * The same for writing without exiting: NULL, with the reason in err
 * (n bytes), on failure.
 */
struct iiot_db *archive_try_open_write(const char *path, int64_t busy_ms,
    char *err, size_t n);

/*
 * Describe the last failure on db into buf (n bytes): "what: 'path':
 * SQLite's message (what it likely means)".
 */
void archive_describe(struct iiot_db *db, const char *what,
    const char *path, char *buf, size_t n);

/*
 * Report a database failure on path and exit 1 (after what, if any
 * records were not committed, their count).
 */
void archive_fail(struct iiot_db *db, const char *what, const char *path,
    unsigned long long lost) __attribute__((noreturn));

/*
 * The live archive as rotate sees it: the SQLite file (rotate.c) or a
 * PostgreSQL database (postgres.c).  Each operation exits 1 with a
 * message on failure.
 */
struct live {
	const char *name;		/* its path or URL, for messages */
	void *h;			/* its handle */
	/* The time of the oldest sample, or IIOT_TS_NONE. */
	int64_t (*first)(struct live *l);
	/* The number of samples with ts in [t0, t1). */
	long long (*count)(struct live *l, int64_t t0, int64_t t1);
	/*
	 * Copy those samples and their series into the day file at path
	 * (new, with the schema) in one transaction; return how many.
	 */
	long long (*copy)(struct live *l, int64_t t0, int64_t t1,
	    const char *path);
	/* How many of them the day file at path lacks or holds changed. */
	long long (*lacking)(struct live *l, int64_t t0, int64_t t1,
	    const char *path);
	/* Delete them. */
	void (*drop)(struct live *l, int64_t t0, int64_t t1);
};

/*
 * rotate on a live archive (rotate.c); returns the exit status.
 */
int rotate_live(const struct options *o, struct live *l);

/*
 * verify's checks of the daily archive of -a, after those of the live
 * archive found bad problems; prints the summary and returns the exit
 * status (rotate.c).  Output must be set up (iiot_out_init).
 */
int verify_days(const struct options *o, int bad);

/*
 * One sample as query writes it: its series' preformatted parts
 * (',"source":..,"sensor":..,"value":', ',"unit":".."' or "", the tags
 * ',"k":"v"..' or ""), its quality and extra fields (a JSON object's
 * text) with their lengths, NULL when absent.
 */
struct sample {
	int64_t ts;
	double value;
	const char *pre, *unit, *tags;
	const char *quality, *extra;
	size_t qlen, elen;
};

/*
 * Write s to stdout as a record in the format of o, building it in b
 * (and parsing it into rec for the formats other than JSON).
 */
void sample_write(const struct options *o, const struct sample *s,
    struct iiot_buf *b, struct iiot_rec *rec);

/*
 * Replay: wait until record time ts is due at speed times the recorded
 * pace, *t0 being the first record's time (IIOT_TS_NONE before it) and
 * *w0 its monotonic wall time; stdout is flushed before each wait.
 * Returns 1, or 0 if SIGTERM or SIGINT came (query.c).
 */
int replay_pace(double speed, int64_t ts, int64_t *t0, int64_t *w0);

/* The subcommands; each returns the exit status. */
int cmd_write(const struct options *o);
int cmd_query(const struct options *o);
int cmd_series(const struct options *o);
int cmd_rotate(const struct options *o);
int cmd_verify(const struct options *o);
int cmd_backup(const struct options *o);

#endif /* ARCHIVE_H */
