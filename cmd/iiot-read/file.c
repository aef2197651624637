/* SPDX-License-Identifier: MIT */
/* file.c: the file source of iiot-read: CSV, TSV, JSON Lines and InfluxDB exports. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "iiot.h"
#include "read.h"

/* What a CSV column holds. */
enum role { C_TAG, C_TS, C_SOURCE, C_SENSOR, C_VALUE, C_SERIES };

struct cell {
	const char *p;
	size_t n;
};

struct fsrc {
	const struct read_opts *o;
	const char *name;
	struct iiot_lines *in;
	int fmt;
	char sep;
	struct iiot_buf out;		/* the record being written */
	struct iiot_buf join;		/* a CSV row spread over lines */
	struct iiot_buf unq;		/* unquoted cells */
	struct iiot_buf hdr;		/* header names, NUL-separated */
	struct iiot_rec rec;
	char **cols;
	enum role *role;
	size_t ncols, cap;
	struct cell *cells;
	int wide, its, isrc, isen, ival;
	unsigned long long nrec, bad;
	unsigned long long base;	/* records of the files before */
	int64_t now, next_progress;
	int progress;
	struct iiot_ratelimit rl;
};

static void
bad_line(struct fsrc *f, const char *what)
{
	f->bad++;
	iiot_warnx_limited(&f->rl, "%s:%lu: %s", f->name,
	    iiot_lines_lineno(f->in), what);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* The format of a file by its name, or -1 when the name does not say. */
static int
format_by_name(const char *path)
{
	if (ends_with(path, ".csv"))
		return IIOT_FMT_CSV;
	if (ends_with(path, ".tsv") || ends_with(path, ".tab"))
		return IIOT_FMT_TSV;
	if (ends_with(path, ".json") || ends_with(path, ".jsonl") ||
	    ends_with(path, ".ndjson"))
		return IIOT_FMT_JSON;
	if (ends_with(path, ".influx") || ends_with(path, ".lp"))
		return IIOT_FMT_INFLUX;
	return -1;
}

/* The format of a file by its first line. */
static int
format_by_content(const char *line)
{
	const char *sp;

	line += strspn(line, " \t");
	if (*line == '{' || *line == '\0')
		return IIOT_FMT_JSON;
	if (strchr(line, '\t') != NULL)
		return IIOT_FMT_TSV;
	/* measurement,tag=v field=1 1700000000000000000 */
	sp = strchr(line, ' ');
	if (sp != NULL && strchr(sp, '=') != NULL && *line != '"')
		return IIOT_FMT_INFLUX;
	return IIOT_FMT_CSV;
}

/* ---- numbers and times ---- */

/* Whether s[0..n) is a number in JSON's grammar, to copy it as is. */
static int
json_number(const char *s, size_t n)
{
	const char *p = s, *e = s + n;

	if (p < e && *p == '-')
		p++;
	if (p >= e)
		return 0;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	if (p < e && *p == '.') {
		if (++p >= e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	return p == e;
}

/*
 * Append the value in s[0..n) as a JSON number.  -1 if it is none.
 * With comma set, a decimal comma is read as a point (exports that
 * separate cells with ';').
 */
static int
add_value(struct iiot_buf *b, const char *s, size_t n, int comma)
{
	char tmp[64], *c;
	double d;

	if (json_number(s, n))
		return iiot_buf_add(b, s, n);
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (comma && (c = strchr(tmp, ',')) != NULL &&
	    strchr(c + 1, ',') == NULL) {
		*c = '.';
		if (json_number(tmp, n))
			return iiot_buf_add(b, tmp, n);
	}
	if (strcasecmp(tmp, "true") == 0 || strcasecmp(tmp, "on") == 0)
		return iiot_buf_addc(b, '1');
	if (strcasecmp(tmp, "false") == 0 || strcasecmp(tmp, "off") == 0)
		return iiot_buf_addc(b, '0');
	if (iiot_num_parse(tmp, -1.7e308, 1.7e308, &d) < 0)
		return -1;
	return iiot_buf_add_json_num(b, d);
}

/*
 * Append "ts":"..." for the time in s[0..n): RFC 3339 (a time without
 * a zone is UTC) or epoch seconds or milliseconds.  -1 if it is none.
 */
static int
add_ts(struct iiot_buf *b, const char *s, size_t n)
{
	char tmp[64], out[IIOT_TIME_BUFSZ];
	int64_t ms;
	double d;

	/* Already in the suite's form: copy it. */
	if (n == 24 && s[10] == 'T' && s[19] == '.' && s[23] == 'Z' &&
	    iiot_time_parse(s, n, &ms) == 0)
		return iiot_buf_add(b, "\"ts\":\"", 6) < 0 ||
		    iiot_buf_add(b, s, n) < 0 || iiot_buf_add(b, "\",", 2) < 0 ?
		    -1 : 0;
	if (n == 0 || n >= sizeof(tmp) - 1)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (iiot_time_parse(tmp, n, &ms) < 0) {
		tmp[n] = 'Z';
		tmp[n + 1] = '\0';
		if (iiot_time_parse(tmp, n + 1, &ms) < 0) {
			tmp[n] = '\0';
			if (iiot_num_parse(tmp, 0, 4e14, &d) < 0 ||
			    iiot_time_from_number(d, &ms) < 0)
				return -1;
		}
	}
	n = iiot_time_format(ms, out);
	return iiot_buf_add(b, "\"ts\":\"", 6) < 0 ||
	    iiot_buf_add(b, out, n) < 0 || iiot_buf_add(b, "\",", 2) < 0 ?
	    -1 : 0;
}

static int
add_now(struct fsrc *f, struct iiot_buf *b)
{
	char out[IIOT_TIME_BUFSZ];
	size_t n = iiot_time_format(f->now, out);

	return iiot_buf_add(b, "\"ts\":\"", 6) < 0 ||
	    iiot_buf_add(b, out, n) < 0 || iiot_buf_add(b, "\",", 2) < 0 ?
	    -1 : 0;
}

/* Append ,"key":"value" (or without the comma when first). */
static int
add_str(struct iiot_buf *b, const char *key, const char *s, size_t n)
{
	if (iiot_buf_addc(b, '"') < 0 || iiot_buf_adds(b, key) < 0 ||
	    iiot_buf_add(b, "\":", 2) < 0)
		return -1;
	return iiot_buf_add_json_str(b, s, n);
}

static void
emit(struct fsrc *f)
{
	if (f->o->count > 0 && (long long)(f->base + f->nrec) >= f->o->count)
		return;		/* -c: enough */
	if (iiot_buf_addc(&f->out, '\n') < 0 ||
	    fwrite(f->out.data, 1, f->out.len, stdout) != f->out.len)
		return;
	iiot_out_record();
	f->nrec++;
}

/* ---- CSV and TSV ---- */

/*
 * Split a row into f->cells.  Quoted CSV cells are unquoted into f->unq.
 * Returns the number of cells, -1 when a quoted cell goes on past the
 * end of the line, or -2 when quotes are misplaced.
 */
static long
split(struct fsrc *f, const char *p, size_t n)
{
	const char *e = p + n, *c;
	size_t k = 0;
	char *u;

	if (iiot_buf_grow(&f->unq, n + 1) < 0)
		return -2;
	u = f->unq.data;
	for (;;) {
		if (k == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 64;
			f->cells = realloc(f->cells, f->cap *
			    sizeof(*f->cells));
			if (f->cells == NULL)
				return -2;
		}
		if (f->fmt == IIOT_FMT_CSV && p < e && *p == '"') {
			f->cells[k].p = u;
			for (p++;; p++) {
				if (p >= e)
					return -1;
				if (*p == '"') {
					if (p + 1 < e && p[1] == '"') {
						*u++ = '"';
						p++;
						continue;
					}
					p++;
					break;
				}
				*u++ = *p;
			}
			f->cells[k].n = (size_t)(u - f->cells[k].p);
			if (p < e && *p != f->sep)
				return -2;
		} else if (f->fmt == IIOT_FMT_TSV && p < e &&
		    memchr(p, '\\', (size_t)(e - p)) != NULL) {
			f->cells[k].p = u;
			for (; p < e && *p != '\t'; p++) {
				if (*p == '\\' && p + 1 < e) {
					p++;
					*u++ = *p == 't' ? '\t' : *p == 'n' ?
					    '\n' : *p == 'r' ? '\r' : *p;
				} else
					*u++ = *p;
			}
			f->cells[k].n = (size_t)(u - f->cells[k].p);
		} else {
			c = memchr(p, f->sep, (size_t)(e - p));
			if (c == NULL)
				c = e;
			f->cells[k].p = p;
			f->cells[k].n = (size_t)(c - p);
			p = c;
		}
		k++;
		if (p >= e)
			return (long)k;
		p++;	/* the separator */
	}
}

static int
col_is(const char *name, const char *want, const char *const *dflt)
{
	if (want != NULL)
		return strcmp(name, want) == 0;
	for (; *dflt != NULL; dflt++)
		if (strcasecmp(name, *dflt) == 0)
			return 1;
	return 0;
}

/* Read the header row and decide what each column holds. */
static int
header(struct fsrc *f, const char *line, size_t len)
{
	static const char *const ts_names[] = { "ts", "time", "timestamp",
	    "datetime", "date", "_time", NULL };
	static const char *const src_names[] = { "source", NULL };
	static const char *const sen_names[] = { "sensor", NULL };
	static const char *const val_names[] = { "value", "_value", NULL };
	const struct read_opts *o = f->o;
	long n;
	size_t i, off;

	if (f->fmt == IIOT_FMT_CSV && memchr(line, ',', len) == NULL &&
	    memchr(line, ';', len) != NULL)
		f->sep = ';';
	if ((n = split(f, line, len)) < 0) {
		bad_line(f, "bad quoting in header");
		return -1;
	}
	f->ncols = (size_t)n;
	f->its = f->isrc = f->isen = f->ival = -1;
	iiot_buf_reset(&f->hdr);
	for (i = 0; i < f->ncols; i++)
		if (iiot_buf_add(&f->hdr, f->cells[i].p, f->cells[i].n) < 0 ||
		    iiot_buf_addc(&f->hdr, '\0') < 0)
			return -1;
	f->cols = calloc(f->ncols, sizeof(*f->cols));
	f->role = calloc(f->ncols, sizeof(*f->role));
	if (f->cols == NULL || f->role == NULL)
		return -1;
	for (i = 0, off = 0; i < f->ncols; i++) {
		f->cols[i] = f->hdr.data + off;
		off += strlen(f->cols[i]) + 1;
		if (!iiot_utf8_valid(f->cols[i], strlen(f->cols[i]))) {
			bad_line(f, "header is not UTF-8");
			return -1;
		}
		if (f->its < 0 && col_is(f->cols[i], o->col_ts, ts_names))
			f->role[f->its = (int)i] = C_TS;
		else if (f->isrc < 0 && col_is(f->cols[i], o->col_source,
		    src_names))
			f->role[f->isrc = (int)i] = C_SOURCE;
		else if (f->isen < 0 && col_is(f->cols[i], o->col_sensor,
		    sen_names))
			f->role[f->isen = (int)i] = C_SENSOR;
		else if (f->ival < 0 && col_is(f->cols[i], o->col_value,
		    val_names))
			f->role[f->ival = (int)i] = C_VALUE;
	}
	if ((o->col_ts && f->its < 0) || (o->col_source && f->isrc < 0) ||
	    (o->col_sensor && f->isen < 0) || (o->col_value && f->ival < 0)) {
		iiot_warnx("%s: a column named by an option is not in the "
		    "header", f->name);
		return -1;
	}
	/* Without a value column, every other column is a series. */
	f->wide = f->ival < 0;
	if (f->wide) {
		for (i = 0; i < f->ncols; i++)
			if (f->role[i] == C_TAG)
				f->role[i] = C_SERIES;
	} else if (f->isen < 0) {
		iiot_warnx("%s: no sensor column (use --sensor-column, or "
		    "drop the value column for a wide table)", f->name);
		return -1;
	}
	return 0;
}

/* Write the records of one long-format row. */
static void
row_long(struct fsrc *f)
{
	struct iiot_buf *b = &f->out;
	const struct cell *c = f->cells;
	size_t i;

	iiot_buf_reset(b);
	iiot_buf_addc(b, '{');
	if (f->its >= 0 && c[f->its].n > 0) {
		if (add_ts(b, c[f->its].p, c[f->its].n) < 0) {
			bad_line(f, "invalid time");
			return;
		}
	} else if (add_now(f, b) < 0)
		return;
	if (f->isrc >= 0 && c[f->isrc].n > 0) {
		add_str(b, "source", c[f->isrc].p, c[f->isrc].n);
		iiot_buf_addc(b, ',');
	} else if (f->o->source != NULL) {
		add_str(b, "source", f->o->source, strlen(f->o->source));
		iiot_buf_addc(b, ',');
	}
	if (c[f->isen].n == 0) {
		bad_line(f, "empty sensor");
		return;
	}
	add_str(b, "sensor", c[f->isen].p, c[f->isen].n);
	iiot_buf_add(b, ",\"value\":", 9);
	if (add_value(b, c[f->ival].p, c[f->ival].n, f->sep == ';') < 0) {
		bad_line(f, "value is not a number");
		return;
	}
	for (i = 0; i < f->ncols; i++) {
		if (f->role[i] != C_TAG || c[i].n == 0)
			continue;
		iiot_buf_addc(b, ',');
		add_str(b, f->cols[i], c[i].p, c[i].n);
	}
	iiot_buf_addc(b, '}');
	emit(f);
}

/* Write one record per filled cell of a wide row. */
static void
row_wide(struct fsrc *f)
{
	struct iiot_buf *b = &f->out;
	const struct cell *c = f->cells;
	size_t i, head;
	int bad = 0;

	iiot_buf_reset(b);
	iiot_buf_addc(b, '{');
	if (f->its >= 0 && c[f->its].n > 0) {
		if (add_ts(b, c[f->its].p, c[f->its].n) < 0) {
			bad_line(f, "invalid time");
			return;
		}
	} else if (add_now(f, b) < 0)
		return;
	if (f->isrc >= 0 && c[f->isrc].n > 0) {
		add_str(b, "source", c[f->isrc].p, c[f->isrc].n);
		iiot_buf_addc(b, ',');
	} else if (f->o->source != NULL) {
		add_str(b, "source", f->o->source, strlen(f->o->source));
		iiot_buf_addc(b, ',');
	}
	head = b->len;
	for (i = 0; i < f->ncols; i++) {
		if (f->role[i] != C_SERIES || c[i].n == 0)
			continue;
		b->len = head;
		add_str(b, "sensor", f->cols[i], strlen(f->cols[i]));
		iiot_buf_add(b, ",\"value\":", 9);
		if (add_value(b, c[i].p, c[i].n, f->sep == ';') < 0) {
			bad = 1;
			continue;
		}
		iiot_buf_addc(b, '}');
		emit(f);
	}
	if (bad)
		bad_line(f, "a cell is not a number");
}

static void
table_line(struct fsrc *f, const char *line, size_t len)
{
	const char *p = line;
	size_t n = len;
	long k;
	int r;

	for (;;) {
		k = split(f, p, n);
		if (k != -1)
			break;
		/* A quoted cell holds a newline: take the next line too. */
		if (f->join.len == 0 && iiot_buf_add(&f->join, line, len) < 0)
			return;
		r = iiot_lines_next(f->in, &p, &n);
		if (r <= 0 || f->join.len + n > IIOT_LINE_MAX) {
			bad_line(f, "unclosed quote");
			iiot_buf_reset(&f->join);
			return;
		}
		if (iiot_buf_addc(&f->join, '\n') < 0 ||
		    iiot_buf_add(&f->join, p, n) < 0)
			return;
		p = f->join.data;
		n = f->join.len;
	}
	/* The cells may point into f->join: empty it only after use. */
	if (k < 0)
		bad_line(f, "misplaced quote");
	else if ((size_t)k != f->ncols) {
		if (k != 1 || f->cells[0].n != 0)	/* not an empty line */
			bad_line(f, "wrong number of cells");
	} else if (!iiot_utf8_valid(p, n))
		bad_line(f, iiot_strerror(IIOT_EUTF8));
	else if (f->wide)
		row_wide(f);
	else
		row_long(f);
	iiot_buf_reset(&f->join);
}

/* ---- JSON Lines and the InfluxDB line protocol ---- */

static void
json_line(struct fsrc *f, const char *line, size_t len)
{
	if (len == 0)
		return;
	if (iiot_rec_parse(&f->rec, line, len) < 0) {
		bad_line(f, iiot_strerror(errno));
		return;
	}
	if (iiot_rec_write(&f->rec, stdout) < 0)
		return;
	iiot_out_record();
	f->nrec++;
}

/* Take one escaped token up to any of stop; unescape it into dst. */
static const char *
influx_token(const char *p, const char *stop, struct iiot_buf *dst)
{
	iiot_buf_reset(dst);
	while (*p != '\0' && strchr(stop, *p) == NULL) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (iiot_buf_addc(dst, *p++) < 0)
			return NULL;
	}
	if (dst->data == NULL && iiot_buf_adds(dst, "") < 0)
		return NULL;
	return p;
}

static void
influx_line(struct fsrc *f, const char *line, size_t len)
{
	struct iiot_buf meas = IIOT_BUF_INIT, k = IIOT_BUF_INIT,
	    v = IIOT_BUF_INIT, src = IIOT_BUF_INIT, tags = IIOT_BUF_INIT,
	    sensor = IIOT_BUF_INIT, *b = &f->out;
	const char *p = line, *fields, *tsp;
	char tsbuf[IIOT_TIME_BUFSZ], *end;
	long long ns;
	int64_t ms;
	size_t n;

	if (len == 0 || *line == '#')
		return;
	if (!iiot_utf8_valid(line, len)) {
		bad_line(f, iiot_strerror(IIOT_EUTF8));
		return;
	}
	if ((p = influx_token(p, ", ", &meas)) == NULL)
		goto out;
	if (meas.len == 0)
		goto bad;
	/* Tags: the source tag names the source; the others are kept. */
	while (*p == ',') {
		if ((p = influx_token(p + 1, "=, ", &k)) == NULL)
			goto out;
		if (*p != '=' || (p = influx_token(p + 1, ", ", &v)) == NULL)
			goto bad;
		if (strcmp(k.data, "source") == 0) {
			iiot_buf_reset(&src);
			if (add_str(&src, "source", v.data, v.len) < 0 ||
			    iiot_buf_addc(&src, ',') < 0)
				goto out;
		} else if (iiot_buf_addc(&tags, ',') < 0 ||
		    add_str(&tags, k.data, v.data, v.len) < 0)
			goto out;
	}
	if (*p != ' ')
		goto bad;
	fields = ++p;
	/* The time, if any, follows the last space. */
	tsp = strrchr(fields, ' ');
	if (tsp != NULL) {
		errno = 0;
		ns = strtoll(tsp + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == tsp + 1 || ns < 0)
			goto bad;
		ms = ns / 1000000;
	} else
		ms = f->now;
	n = iiot_time_format(ms, tsbuf);
	for (p = fields; *p != '\0' && p != tsp;) {
		if ((p = influx_token(p, "=, ", &k)) == NULL)
			goto out;
		if (*p != '=' || (p = influx_token(p + 1, ", ", &v)) == NULL)
			goto bad;
		if (*p == ',')
			p++;
		if (v.len > 1 && (v.data[v.len - 1] == 'i' ||
		    v.data[v.len - 1] == 'u') && v.data[0] != '"')
			v.data[--v.len] = '\0';
		if (v.len > 0 && v.data[0] == '"')
			continue;	/* string fields are not values */
		/* The field "value" is the measurement; others qualify it. */
		iiot_buf_reset(&sensor);
		if (iiot_buf_add(&sensor, meas.data, meas.len) < 0 ||
		    (strcmp(k.data, "value") != 0 &&
		    (iiot_buf_addc(&sensor, '.') < 0 ||
		    iiot_buf_add(&sensor, k.data, k.len) < 0)))
			goto out;
		iiot_buf_reset(b);
		if (iiot_buf_add(b, "{\"ts\":\"", 7) < 0 ||
		    iiot_buf_add(b, tsbuf, n) < 0 ||
		    iiot_buf_add(b, "\",", 2) < 0 ||
		    (src.len > 0 && iiot_buf_add(b, src.data, src.len) < 0) ||
		    add_str(b, "sensor", sensor.data, sensor.len) < 0 ||
		    iiot_buf_add(b, ",\"value\":", 9) < 0)
			goto out;
		if (add_value(b, v.data, v.len, 0) < 0) {
			bad_line(f, "field value is not a number");
			continue;
		}
		if ((tags.len > 0 && iiot_buf_add(b, tags.data, tags.len) <
		    0) || iiot_buf_addc(b, '}') < 0)
			goto out;
		emit(f);
	}
	goto out;
bad:
	bad_line(f, "not InfluxDB line protocol");
out:
	iiot_buf_release(&meas);
	iiot_buf_release(&k);
	iiot_buf_release(&v);
	iiot_buf_release(&src);
	iiot_buf_release(&tags);
	iiot_buf_release(&sensor);
}

/* ---- the driver ---- */

static void
progress(struct fsrc *f, int last)
{
	int64_t now = iiot_mono_ms();

	if (!f->progress || (!last && now < f->next_progress))
		return;
	f->next_progress = now + 500;
	fprintf(stderr, "\r%s: %s: %llu records%s", iiot_progname(),
	    f->name, f->nrec, last ? "\n" : "");
}

static int
read_one(const struct read_opts *o, const char *path, unsigned long long *nbad,
    unsigned long long *nrec)
{
	struct fsrc f;
	const char *line;
	size_t len;
	unsigned long n = 0;
	int fd, r, status = 0, first = 1;

	memset(&f, 0, sizeof(f));
	f.o = o;
	f.sep = ',';
	f.name = strcmp(path, "-") == 0 ? "stdin" : path;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		iiot_warn("cannot open '%s'", path);
		return 1;
	}
	if ((f.in = iiot_lines_new(fd)) == NULL ||
	    iiot_rec_init(&f.rec) < 0) {
		iiot_warn("cannot allocate input buffer");
		status = 1;
		goto out;
	}
	iiot_lines_set_flush(f.in, stdout);
	if (o->timeout >= 0)
		iiot_lines_set_timeout(f.in, o->timeout > 1000000000 ?
		    1000000000 : (int)o->timeout);
	f.fmt = o->format ? iiot_fmt_parse(o->format) : format_by_name(path);
	f.progress = isatty(STDERR_FILENO) && iiot_verbosity >= 0;
	f.now = iiot_now_ms();
	f.base = *nrec;
	while (!iiot_sig_term) {
		r = iiot_lines_next(f.in, &line, &len);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ETIMEDOUT) {
				iiot_debug(1, "%s: nothing for %lld ms",
				    f.name, (long long)o->timeout);
				break;
			}
			if (errno == IIOT_ETOOLONG) {
				bad_line(&f, "line too long");
				continue;
			}
			iiot_warn("cannot read '%s'", f.name);
			status = 1;
			break;
		}
		if (first) {
			first = 0;
			if (f.fmt < 0)
				f.fmt = format_by_content(line);
			if (f.fmt == IIOT_FMT_TSV)
				f.sep = '\t';
			if (f.fmt == IIOT_FMT_CSV || f.fmt == IIOT_FMT_TSV) {
				if (header(&f, line, len) < 0) {
					status = 1;
					break;
				}
				continue;
			}
		}
		switch (f.fmt) {
		case IIOT_FMT_CSV:
		case IIOT_FMT_TSV:
			table_line(&f, line, len);
			break;
		case IIOT_FMT_INFLUX:
			influx_line(&f, line, len);
			break;
		default:
			json_line(&f, line, len);
			break;
		}
		if ((++n & 0xffff) == 0) {
			f.now = iiot_now_ms();
			progress(&f, 0);
		}
		if (ferror(stdout) || (o->count > 0 &&
		    (long long)(f.base + f.nrec) >= o->count))
			break;
	}
	*nrec += f.nrec;
	progress(&f, 1);
out:
	*nbad += f.bad;
	if (f.bad > IIOT_RATELIMIT_BURST)
		iiot_warnx("%s: %llu bad lines skipped", f.name, f.bad);
	iiot_lines_free(f.in);
	iiot_rec_release(&f.rec);
	iiot_buf_release(&f.out);
	iiot_buf_release(&f.join);
	iiot_buf_release(&f.unq);
	iiot_buf_release(&f.hdr);
	free(f.cols);
	free(f.role);
	free(f.cells);
	if (fd != STDIN_FILENO)
		close(fd);
	return status;
}

int
file_run(const struct read_opts *o, char **paths, int npaths)
{
	unsigned long long bad = 0, nrec = 0;
	int i, status = 0;

	if (iiot_sig_install(0) < 0) {
		iiot_warn("cannot install signal handlers");
		return 1;
	}
	iiot_out_init(o->unbuffered);
	for (i = 0; i < npaths && !iiot_sig_term; i++) {
		if (o->count > 0 && (long long)nrec >= o->count)
			break;
		if (read_one(o, paths[i], &bad, &nrec) != 0)
			status = 1;
		if (ferror(stdout))
			break;
	}
	if (bad > 0)
		status = 1;
	/* A write cut short by SIGTERM is no error of its own. */
	if (iiot_out_close() < 0 && !(iiot_sig_term && errno == EINTR)) {
		iiot_warn("cannot write to stdout");
		status = 1;
	}
	iiot_sig_reraise();
	return status;
}
