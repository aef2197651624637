/* SPDX-License-Identifier: MIT */
/* map.c: the plant catalogue: parse, look up, and iterate (iiot-map(5)). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_map.h"
#include "iiot_mb.h"
#include "iiot_opt.h"
#include "iiot_rec.h"
#include "iiot_time.h"

#define MAX_TOKENS	64

struct iiot_map {
	struct iiot_map_dev **devs;
	size_t ndevs;
	struct iiot_map_point **points;
	size_t npoints;
	struct iiot_map_point **index;	/* points sorted by series */
	char **tags;
	size_t ntags;
};

/* The state of one parse, for messages. */
struct parse {
	struct iiot_map *m;
	const char *name;
	unsigned long line;
	char *err;
	size_t errsz;
	int failed;		/* a message is in err */
};

static int
fail(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record the first error as "name:line: what"; always returns -1. */
static int
fail(struct parse *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!ps->failed && ps->errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(ps->err, ps->errsz, "%s:%lu: %s", ps->name, ps->line,
		    msg);
	}
	ps->failed = 1;
	errno = IIOT_ESYNTAX;
	return -1;
}

/* Out of memory: a message too, so callers can always print err. */
static int
nomem(struct parse *ps)
{
	if (!ps->failed && ps->errsz > 0)
		snprintf(ps->err, ps->errsz, "%s: out of memory", ps->name);
	ps->failed = 1;
	errno = ENOMEM;
	return -1;
}

static char *
dup(struct parse *ps, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		nomem(ps);
	return d;
}

/* Grow an array of pointers by one slot; returns 0 or -1. */
static int
push(struct parse *ps, void *arrayp, size_t *n, void *elem)
{
	void ***a = arrayp;
	void **na = realloc(*a, (*n + 1) * sizeof(**a));

	if (na == NULL)
		return nomem(ps);
	na[(*n)++] = elem;
	*a = na;
	return 0;
}

static void
kv_free(struct iiot_map_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

/* Add or replace key in a key/value array. */
static int
kv_set(struct parse *ps, struct iiot_map_kv **kv, size_t *n, const char *key,
    const char *val)
{
	struct iiot_map_kv *nkv;
	char *v;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*kv)[i].key, key) == 0) {
			if ((v = dup(ps, val)) == NULL)
				return -1;
			free((*kv)[i].val);
			(*kv)[i].val = v;
			return 0;
		}
	if ((nkv = realloc(*kv, (*n + 1) * sizeof(**kv))) == NULL)
		return nomem(ps);
	*kv = nkv;
	nkv[*n].key = dup(ps, key);
	nkv[*n].val = dup(ps, val);
	if (nkv[*n].key == NULL || nkv[*n].val == NULL) {
		free(nkv[*n].key);
		free(nkv[*n].val);
		return -1;
	}
	(*n)++;
	return 0;
}

static const char *
kv_get(const struct iiot_map_kv *kv, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].val;
	return NULL;
}

static void
point_free(struct iiot_map_point *p)
{
	if (p == NULL)
		return;
	free(p->source);
	free(p->sensor);
	kv_free(p->kv, p->nkv);
	free(p);
}

static void
dev_free(struct iiot_map_dev *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->url);
	kv_free(d->kv, d->nkv);
	free(d);
}

void
iiot_map_free(struct iiot_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npoints; i++)
		point_free(m->points[i]);
	for (i = 0; i < m->ndevs; i++)
		dev_free(m->devs[i]);
	for (i = 0; i < m->ntags; i++)
		free(m->tags[i]);
	free(m->points);
	free(m->index);
	free(m->devs);
	free(m->tags);
	free(m);
}

/* A key is a letter or '_', then letters, digits, '_', '-' or '.'. */
static int
valid_key(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	return 1;
}

/*
 * Split a line in place into tokens: runs of non-blank characters, or
 * double-quoted strings (after "key=" too) where \" and \\ escape.  A
 * '#' at the start of a token starts a comment.  Returns the number of
 * tokens, or -1.
 */
static int
tokenize(struct parse *ps, char *s, char **tok, int max)
{
	int n = 0;
	char *w;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return fail(ps, "too many fields");
		tok[n++] = w = s;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			if (*s != '"') {
				*w++ = *s++;
				continue;
			}
			for (s++; *s != '"'; s++) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				if (*s == '\0')
					return fail(ps, "unterminated quote");
				*w++ = *s;
			}
			s++;
		}
		if (*s != '\0')
			s++;
		*w = '\0';
	}
}

/* Parse a number for key in a point or device line. */
static int
num(struct parse *ps, const char *key, const char *val, double min,
    double max, double *out)
{
	if (iiot_num_parse(val, min, max, out) == -1)
		return fail(ps, "invalid %s: '%s'", key, val);
	return 0;
}

/* Apply a "key = value" line of a [device] section. */
static int
dev_setting(struct parse *ps, struct iiot_map_dev *d, const char *key,
    const char *val)
{
	struct iiot_mb_url u;
	double n;

	if (strcmp(key, "url") == 0) {
		if (iiot_mb_url_parse(val, &u) == -1)
			return fail(ps, "invalid url: '%s'", val);
		free(d->url);
		return (d->url = dup(ps, val)) == NULL ? -1 : 0;
	}
	if (strcmp(key, "unit") == 0) {
		if (num(ps, key, val, 0, 255, &n) == -1 || n != (int)n)
			return fail(ps, "invalid unit: '%s'", val);
		d->unit = (int)n;
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		/* A request never blocks more than a second (signals). */
		if (iiot_duration_parse(val, &d->timeout) == -1 ||
		    d->timeout <= 0 || d->timeout > 1000)
			return fail(ps, "invalid timeout: '%s' (1ms to 1s)",
			    val);
		return 0;
	}
	if (strcmp(key, "gap") == 0) {
		if (num(ps, key, val, 0, IIOT_MB_MAX_REGS, &n) == -1 ||
		    n != (int)n)
			return fail(ps, "invalid gap: '%s'", val);
		d->gap = (unsigned)n;
		return 0;
	}
	return kv_set(ps, &d->kv, &d->nkv, key, val);
}

/* Apply a key=value of a point, checking the keys with a meaning. */
static int
point_key(struct parse *ps, struct iiot_map_point *p, const char *key,
    const char *val)
{
	double n;

	if (!valid_key(key))
		return fail(ps, "invalid key: '%s'", key);
	if (strcmp(key, "scale") == 0) {
		if (num(ps, key, val, -1e300, 1e300, &p->scale) == -1)
			return -1;
	} else if (strcmp(key, "offset") == 0) {
		if (num(ps, key, val, -1e300, 1e300, &p->offset) == -1)
			return -1;
	} else if (strcmp(key, "interval") == 0) {
		if (iiot_duration_parse(val, &p->interval) == -1 ||
		    p->interval < 0)
			return fail(ps, "invalid interval: '%s'", val);
	} else if (strcmp(key, "min") == 0 || strcmp(key, "max") == 0) {
		if (num(ps, key, val, -1e300, 1e300, &n) == -1)
			return -1;
	}
	return kv_set(ps, &p->kv, &p->nkv, key, val);
}

/* Parse "source sensor table address type [order] key=value...". */
static int
point_line(struct parse *ps, struct iiot_map_dev *d, char **tok, int n)
{
	struct iiot_map_point *p;
	const char *unit;
	double addr;
	char *eq;
	int i;

	if (n < 5)
		return fail(ps, "expected: source sensor table address type");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return nomem(ps);
	p->dev = d;
	p->scale = 1;
	p->line = ps->line;
	if ((p->source = dup(ps, tok[0])) == NULL ||
	    (p->sensor = dup(ps, tok[1])) == NULL)
		goto bad;
	if ((p->table = iiot_mb_table_parse(tok[2])) == -1) {
		fail(ps, "invalid table: '%s' (coil, discrete, input, holding)",
		    tok[2]);
		goto bad;
	}
	if (iiot_num_parse(tok[3], 0, 65535, &addr) == -1 ||
	    addr != (unsigned)addr) {
		fail(ps, "invalid address: '%s'", tok[3]);
		goto bad;
	}
	p->addr = (unsigned)addr;
	if ((p->type = iiot_mb_type_parse(tok[4], &p->bit)) == -1) {
		fail(ps, "invalid type: '%s'", tok[4]);
		goto bad;
	}
	if (!iiot_mb_type_fits(p->type, p->table)) {
		fail(ps, "a %s holds only bool, not '%s'",
		    iiot_mb_table_name(p->table), tok[4]);
		goto bad;
	}
	if (p->addr + iiot_mb_type_words(p->type) > 65536) {
		fail(ps, "%s at %u goes past the last register", tok[4],
		    p->addr);
		goto bad;
	}
	i = 5;
	if (i < n && strchr(tok[i], '=') == NULL) {
		if ((p->order = iiot_mb_order_parse(tok[i])) == -1) {
			fail(ps, "invalid order: '%s' (abcd, badc, cdab, dcba)",
			    tok[i]);
			goto bad;
		}
		i++;
	}
	for (; i < n; i++) {
		if ((eq = strchr(tok[i], '=')) == NULL) {
			fail(ps, "expected key=value: '%s'", tok[i]);
			goto bad;
		}
		*eq = '\0';
		if (point_key(ps, p, tok[i], eq + 1) == -1)
			goto bad;
	}
	unit = kv_get(p->kv, p->nkv, "unit");
	p->unit = unit != NULL ? unit : kv_get(d->kv, d->nkv, "unit");
	if (p->unit != NULL && *p->unit == '\0')
		p->unit = NULL;
	if (push(ps, &ps->m->points, &ps->m->npoints, p) == -1)
		goto bad;
	return 0;
bad:
	point_free(p);
	return -1;
}

/* Parse "[device NAME]"; returns the new device or NULL. */
static struct iiot_map_dev *
section(struct parse *ps, char *s)
{
	struct iiot_map_dev *d;
	char *tok[4], *end;
	size_t i;
	int n;

	if ((end = strchr(s, ']')) == NULL) {
		fail(ps, "expected ']'");
		return NULL;
	}
	*end++ = '\0';
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0' && *end != '#') {
		fail(ps, "unexpected text after ']'");
		return NULL;
	}
	if ((n = tokenize(ps, s + 1, tok, 4)) == -1)
		return NULL;
	if (n != 2 || strcmp(tok[0], "device") != 0) {
		fail(ps, "expected [device NAME]");
		return NULL;
	}
	for (i = 0; i < ps->m->ndevs; i++)
		if (strcmp(ps->m->devs[i]->name, tok[1]) == 0) {
			fail(ps, "device '%s' already defined on line %lu",
			    tok[1], ps->m->devs[i]->line);
			return NULL;
		}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		nomem(ps);
		return NULL;
	}
	d->unit = 1;
	d->gap = 4;
	d->line = ps->line;
	if ((d->name = dup(ps, tok[1])) == NULL ||
	    push(ps, &ps->m->devs, &ps->m->ndevs, d) == -1) {
		dev_free(d);
		return NULL;
	}
	return d;
}

/* Fields of a record that a tag may not replace. */
static int
reserved_field(const char *s)
{
	static const char *const f[] = {
		"ts", "source", "sensor", "value", "unit", "quality",
		"origin", "error"
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(*f); i++)
		if (strcmp(s, f[i]) == 0)
			return 1;
	return 0;
}

/* The "tags = a b c" line, before any section. */
static int
tags_line(struct parse *ps, char *val)
{
	char *tok[MAX_TOKENS];
	char *t;
	int i, n;

	if ((n = tokenize(ps, val, tok, MAX_TOKENS)) == -1)
		return -1;
	for (i = 0; i < (int)ps->m->ntags; i++)
		free(ps->m->tags[i]);
	ps->m->ntags = 0;
	for (i = 0; i < n; i++) {
		if (!valid_key(tok[i]) || reserved_field(tok[i]))
			return fail(ps, "invalid tag name: '%s'", tok[i]);
		if ((t = dup(ps, tok[i])) == NULL)
			return -1;
		if (push(ps, &ps->m->tags, &ps->m->ntags, t) == -1) {
			free(t);
			return -1;
		}
	}
	return 0;
}

/*
 * If s is "key = value" (or "key=value"), split it and return 1;
 * value is the rest of the line without comment, unquoted if quoted.
 */
static int
setting(struct parse *ps, char *s, char **key, char **val)
{
	char *p = s, *q, *tok[1];
	int n, inq = 0;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')
		p++;
	if (p == s)
		return 0;
	*key = s;
	while (*p == ' ' || *p == '\t')
		*p++ = '\0';
	if (*p != '=')
		return 0;
	*p++ = '\0';
	*val = p;
	if (strcmp(*key, "tags") == 0)
		return 1;
	/* The rest of the line, minus a comment and outer blanks. */
	while (*p == ' ' || *p == '\t')
		p++;
	*val = p;
	for (q = p; *q != '\0'; q++) {
		if (*q == '"' && (q == p || q[-1] != '\\'))
			inq = !inq;
		else if (!inq && *q == '#' && (q == p || q[-1] == ' ' ||
		    q[-1] == '\t')) {
			*q = '\0';
			break;
		}
	}
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		*--q = '\0';
	/* A quoted value is one string: unquote it. */
	if (*p == '"') {
		if ((n = tokenize(ps, p, tok, 1)) == -1)
			return -1;
		*val = tok[0];
	}
	return 1;
}

/* Parse one line (NUL-terminated, writable). */
static int
parse_line(struct parse *ps, char *s, struct iiot_map_dev **dev)
{
	char *tok[MAX_TOKENS], *key, *val, *copy;
	int n, r;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[') {
		if (*dev != NULL && (*dev)->url == NULL)
			return fail(ps, "device '%s' (line %lu) has no url",
			    (*dev)->name, (*dev)->line);
		return (*dev = section(ps, s)) == NULL ? -1 : 0;
	}
	/* A point line never has '=' in its first field. */
	if ((copy = dup(ps, s)) == NULL)
		return -1;
	r = setting(ps, copy, &key, &val);
	if (r == 1) {
		if (*dev == NULL && strcmp(key, "tags") == 0)
			r = tags_line(ps, val);
		else if (*dev == NULL)
			r = fail(ps, "setting '%s' outside a [device] section",
			    key);
		else if (!valid_key(key))
			r = fail(ps, "invalid key: '%s'", key);
		else
			r = dev_setting(ps, *dev, key, val);
		free(copy);
		return r;
	}
	free(copy);
	if (r == -1)
		return -1;
	if ((n = tokenize(ps, s, tok, MAX_TOKENS)) == -1)
		return -1;
	if (*dev == NULL)
		return fail(ps, "point outside a [device] section");
	return point_line(ps, *dev, tok, n);
}

static int
series_cmp(const void *a, const void *b)
{
	const struct iiot_map_point *x = *(struct iiot_map_point *const *)a;
	const struct iiot_map_point *y = *(struct iiot_map_point *const *)b;
	int c = strcmp(x->source, y->source);

	return c != 0 ? c : strcmp(x->sensor, y->sensor);
}

/* Build the lookup index; a series may appear only once. */
static int
build_index(struct parse *ps)
{
	struct iiot_map *m = ps->m;
	size_t i;

	if (m->npoints == 0)
		return 0;
	if ((m->index = malloc(m->npoints * sizeof(*m->index))) == NULL)
		return nomem(ps);
	memcpy(m->index, m->points, m->npoints * sizeof(*m->index));
	qsort(m->index, m->npoints, sizeof(*m->index), series_cmp);
	for (i = 1; i < m->npoints; i++)
		if (series_cmp(&m->index[i - 1], &m->index[i]) == 0) {
			const struct iiot_map_point *a = m->index[i - 1];
			const struct iiot_map_point *b = m->index[i];

			ps->line = a->line > b->line ? a->line : b->line;
			return fail(ps, "point %s %s already defined on "
			    "line %lu", a->source, a->sensor,
			    a->line < b->line ? a->line : b->line);
		}
	return 0;
}

struct iiot_map *
iiot_map_parse(const char *text, size_t len, const char *name, char *err,
    size_t errsz)
{
	static const char *const default_tags[] = {
		"location", "line", "kind"
	};
	struct parse ps;
	struct iiot_map_dev *dev = NULL;
	struct iiot_buf line = IIOT_BUF_INIT;
	const char *p = text, *end = text + len, *nl;
	size_t i;
	char *t;

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.err = err;
	ps.errsz = errsz;
	if (errsz > 0)
		err[0] = '\0';
	if ((ps.m = calloc(1, sizeof(*ps.m))) == NULL) {
		nomem(&ps);
		return NULL;
	}
	for (i = 0; i < sizeof(default_tags) / sizeof(*default_tags); i++) {
		if ((t = dup(&ps, default_tags[i])) == NULL)
			goto bad;
		if (push(&ps, &ps.m->tags, &ps.m->ntags, t) == -1) {
			free(t);
			goto bad;
		}
	}
	while (p < end) {
		ps.line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		iiot_buf_reset(&line);
		if (iiot_buf_add(&line, p, (size_t)(nl - p)) == -1 ||
		    iiot_buf_addc(&line, '\0') == -1) {
			nomem(&ps);
			goto bad;
		}
		if (strlen(line.data) != line.len - 1) {
			fail(&ps, "NUL byte in line");
			goto bad;
		}
		if (line.len >= 2 && line.data[line.len - 2] == '\r')
			line.data[line.len - 2] = '\0';
		if (!iiot_utf8_valid(line.data, strlen(line.data))) {
			fail(&ps, "invalid UTF-8");
			goto bad;
		}
		if (parse_line(&ps, line.data, &dev) == -1)
			goto bad;
		p = nl + 1;
	}
	if (dev != NULL && dev->url == NULL) {
		fail(&ps, "device '%s' (line %lu) has no url", dev->name,
		    dev->line);
		goto bad;
	}
	if (build_index(&ps) == -1)
		goto bad;
	iiot_buf_release(&line);
	return ps.m;
bad:
	i = (size_t)errno;
	iiot_buf_release(&line);
	iiot_map_free(ps.m);
	errno = (int)i;
	return NULL;
}

struct iiot_map *
iiot_map_load(const char *path, char *err, size_t errsz)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct iiot_map *m;
	FILE *f;
	size_t n;
	int e;

	if (errsz > 0)
		err[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		goto fail;
	for (;;) {
		if (iiot_buf_grow(&b, 65536) == -1)
			goto fail;
		n = fread(b.data + b.len, 1, 65536, f);
		b.len += n;
		if (n < 65536)
			break;
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	fclose(f);
	f = NULL;
	m = iiot_map_parse(b.data != NULL ? b.data : "", b.len, path, err,
	    errsz);
	e = errno;
	iiot_buf_release(&b);
	errno = e;
	return m;
fail:
	e = errno;
	if (errsz > 0)
		snprintf(err, errsz, "cannot read '%s': %s", path,
		    strerror(e));
	if (f != NULL)
		fclose(f);
	iiot_buf_release(&b);
	errno = e;
	return NULL;
}

size_t
iiot_map_ndevs(const struct iiot_map *m)
{
	return m->ndevs;
}

const struct iiot_map_dev *
iiot_map_dev(const struct iiot_map *m, size_t i)
{
	return m->devs[i];
}

size_t
iiot_map_npoints(const struct iiot_map *m)
{
	return m->npoints;
}

const struct iiot_map_point *
iiot_map_point(const struct iiot_map *m, size_t i)
{
	return m->points[i];
}

const struct iiot_map_point *
iiot_map_find(const struct iiot_map *m, const char *source,
    const char *sensor)
{
	struct iiot_map_point key, *kp = &key, **r;

	if (m->npoints == 0 || source == NULL || sensor == NULL)
		return NULL;
	key.source = (char *)source;
	key.sensor = (char *)sensor;
	r = bsearch(&kp, m->index, m->npoints, sizeof(*m->index),
	    series_cmp);
	return r != NULL ? *r : NULL;
}

const char *
iiot_map_get(const struct iiot_map_point *p, const char *key)
{
	const char *v = kv_get(p->kv, p->nkv, key);

	return v != NULL ? v : kv_get(p->dev->kv, p->dev->nkv, key);
}

int
iiot_map_get_num(const struct iiot_map_point *p, const char *key,
    double *out)
{
	const char *v = iiot_map_get(p, key);

	if (v == NULL || iiot_num_parse(v, -1e308, 1e308, out) == -1)
		return -1;
	return 0;
}

int
iiot_map_next_kv(const struct iiot_map_point *p, size_t *it,
    const char **key, const char **val)
{
	const struct iiot_map_dev *d = p->dev;
	size_t i;

	while (*it < p->nkv + d->nkv) {
		i = (*it)++;
		if (i < p->nkv) {
			*key = p->kv[i].key;
			*val = p->kv[i].val;
			return 1;
		}
		i -= p->nkv;
		if (kv_get(p->kv, p->nkv, d->kv[i].key) != NULL)
			continue;
		*key = d->kv[i].key;
		*val = d->kv[i].val;
		return 1;
	}
	return 0;
}

int
iiot_map_is_tag(const struct iiot_map *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->ntags; i++)
		if (strcmp(m->tags[i], key) == 0)
			return 1;
	return 0;
}

size_t
iiot_map_ntags(const struct iiot_map *m)
{
	return m->ntags;
}

const char *
iiot_map_tag(const struct iiot_map *m, size_t i)
{
	return m->tags[i];
}
