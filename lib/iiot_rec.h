/* SPDX-License-Identifier: MIT */
/* iiot_rec.h: the record, one JSON object per line (see iiot(7)). */
#ifndef IIOT_REC_H
#define IIOT_REC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct iiot_buf;
struct iiot__doc;	/* the parsed document and its memory */

/*
 * A record.  The fields below are read-only views kept up to date by
 * the functions of this module; change a record only through them.
 * Strings are NUL-terminated and valid until the record is parsed,
 * cleared, changed in that field, or released.
 */
struct iiot_rec {
	const char *line;	/* the line as read, or NULL once built */
	size_t len;		/* its length, without newline */
	int64_t ts;		/* ms since the epoch (now when absent) */
	int has_ts;		/* the record carries a "ts" */
	double value;		/* "value"; booleans are 1 and 0 */
	const char *source;	/* "source", "" when absent */
	const char *sensor;	/* "sensor", never NULL once parsed */
	const char *unit;	/* "unit", NULL when absent */
	const char *quality;	/* "quality", NULL when absent (good) */
	int dirty;		/* changed: written anew, not as read */
	struct iiot__doc *doc;
};

/* Field types, for iteration. */
#define IIOT_F_NULL	0
#define IIOT_F_NUM	1
#define IIOT_F_STR	2
#define IIOT_F_BOOL	3
#define IIOT_F_OTHER	4	/* an array or an object */

/* One field of a record, as returned by iiot_rec_next_field(). */
struct iiot_field {
	const char *key;
	int type;
	const char *str;	/* IIOT_F_STR: the string */
	double num;		/* IIOT_F_NUM and IIOT_F_BOOL: the number */
};

/*
 * Set up a record the caller owns.  Returns 0, or -1 with errno ENOMEM.
 */
int iiot_rec_init(struct iiot_rec *r);

/*
 * Release a record's memory.  The struct may be initialized again.
 */
void iiot_rec_release(struct iiot_rec *r);

/*
 * Parse a line into r, replacing what it held.
 * line: NUL-terminated at len; borrowed, and must stay unchanged while
 * r refers to it (the record is written back from it unless changed).
 * Returns 0, or -1 with errno: IIOT_EUTF8, IIOT_EJSON, IIOT_ENOTOBJ,
 * IIOT_ENOSENSOR, IIOT_ENOVALUE, IIOT_ETS, ENOMEM.
 */
int iiot_rec_parse(struct iiot_rec *r, const char *line, size_t len);

/*
 * Empty r to build a new record: add fields in the order they are to be
 * written (ts, source, sensor, value, unit, then tags).
 * Returns 0, or -1 with errno ENOMEM.
 */
int iiot_rec_clear(struct iiot_rec *r);

/*
 * Copy src into dst (both initialized); dst owns its copy.
 * Returns 0, or -1 with errno ENOMEM.
 */
int iiot_rec_copy(struct iiot_rec *dst, const struct iiot_rec *src);

/*
 * Look up a field: a string (NULL if absent or not a string), or a
 * number (booleans as 1/0; returns 0 and sets *out, or -1).
 */
const char *iiot_rec_str(const struct iiot_rec *r, const char *key);
int iiot_rec_num(const struct iiot_rec *r, const char *key, double *out);

/*
 * Set a field, replacing its value in place or adding it at the end:
 * a string (copied), a number, the value, the time.
 * Return 0, or -1 with errno ENOMEM.
 */
int iiot_rec_set_str(struct iiot_rec *r, const char *key, const char *val);
int iiot_rec_set_num(struct iiot_rec *r, const char *key, double val);
int iiot_rec_set_value(struct iiot_rec *r, double val);
int iiot_rec_set_ts(struct iiot_rec *r, int64_t ms);

/*
 * Remove a field.  Returns 0, or -1 with errno ENOENT if absent.
 */
int iiot_rec_del(struct iiot_rec *r, const char *key);

/*
 * Keep only the listed fields, in the order listed.  Returns 0.
 */
int iiot_rec_project(struct iiot_rec *r, const char *const *keys, size_t n);

/*
 * Iterate over the fields in order.  Set *it to NULL first; each call
 * fills f and returns 1, or returns 0 after the last field.
 */
int iiot_rec_next_field(const struct iiot_rec *r, void **it,
    struct iiot_field *f);

/*
 * Append the JSON text of field key's value (any type) to out.
 * Returns 0, or -1 with errno ENOENT or ENOMEM.
 */
int iiot_rec_field_json(const struct iiot_rec *r, const char *key,
    struct iiot_buf *out);

/*
 * Append the record as one line of JSON, without newline, to out: the
 * line as read when unchanged, byte for byte.  Returns 0, or -1 with
 * errno ENOMEM.
 */
int iiot_rec_format(const struct iiot_rec *r, struct iiot_buf *out);

/*
 * Write the record and a newline to f.  Returns 0, or -1 with errno.
 */
int iiot_rec_write(const struct iiot_rec *r, FILE *f);

/*
 * Check that n bytes at s are valid UTF-8.  Returns 1 if so.
 */
int iiot_utf8_valid(const char *s, size_t n);

#endif /* IIOT_REC_H */
