/* SPDX-License-Identifier: MIT */
/* rec.c: the record, one JSON object per line, parsed with cJSON. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_rec.h"
#include "iiot_time.h"

/*
 * cJSON allocates every node with malloc.  For a stream of records that
 * costs more than the parse itself, so each record owns an arena: while
 * a record's tree is built or changed, cJSON's hooks allocate from it,
 * and the whole tree is dropped at once when the record is parsed anew.
 * Outside that window the hooks are plain malloc and free, so other
 * users of cJSON in the process are unaffected.
 */
#define CHUNK_MIN (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct iiot__doc {
	struct chunk *chunks;
	cJSON *root;
	cJSON *ts_node;		/* the "ts" field, serialized from r->ts */
};

static _Thread_local struct iiot__doc *cur;

static void *
hook_malloc(size_t n)
{
	struct chunk *c;
	size_t size;

	if (cur == NULL)
		return malloc(n);
	n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	c = cur->chunks;
	if (c == NULL || c->size - c->used < n) {
		size = n > CHUNK_MIN ? n : CHUNK_MIN;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = cur->chunks;
		cur->chunks = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static void
hook_free(void *p)
{
	if (cur == NULL)
		free(p);
}

static void
hooks_once(void)
{
	static int done;
	cJSON_Hooks h = { hook_malloc, hook_free };

	if (!done) {
		cJSON_InitHooks(&h);
		done = 1;
	}
}

/* Drop every tree the arena holds, keeping its newest chunk. */
static void
arena_reset(struct iiot__doc *d)
{
	struct chunk *c, *next;

	if (d->chunks == NULL)
		return;
	for (c = d->chunks->next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	d->chunks->next = NULL;
	d->chunks->used = 0;
	d->root = NULL;
	d->ts_node = NULL;
}

static char *
arena_strdup(struct iiot__doc *d, const char *s)
{
	size_t n = strlen(s) + 1;
	struct iiot__doc *saved = cur;
	char *p;

	cur = d;
	p = hook_malloc(n);
	cur = saved;
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

int
iiot_rec_init(struct iiot_rec *r)
{
	hooks_once();
	memset(r, 0, sizeof(*r));
	if ((r->doc = calloc(1, sizeof(*r->doc))) == NULL)
		return -1;
	r->source = "";
	r->sensor = "";
	return 0;
}

void
iiot_rec_release(struct iiot_rec *r)
{
	struct chunk *c, *next;

	if (r->doc != NULL) {
		for (c = r->doc->chunks; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		free(r->doc);
	}
	memset(r, 0, sizeof(*r));
}

int
iiot_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint64_t w;
	unsigned c;

	while (p < end) {
		/* Most records are ASCII: check eight bytes at a time. */
		while (end - p >= 8) {
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ULL)
				break;
			p += 8;
		}
		if (p >= end)
			break;
		c = *p;
		if (c < 0x80) {
			p++;
		} else if (c >= 0xc2 && c <= 0xdf) {
			if (end - p < 2 || (p[1] & 0xc0) != 0x80)
				return 0;
			p += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (end - p < 3 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 ||
			    (c == 0xe0 && p[1] < 0xa0) ||
			    (c == 0xed && p[1] > 0x9f))
				return 0;
			p += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (end - p < 4 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80 ||
			    (c == 0xf0 && p[1] < 0x90) ||
			    (c == 0xf4 && p[1] > 0x8f))
				return 0;
			p += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Refresh the cached view of one well-known field from its node. */
static int
cache_field(struct iiot_rec *r, cJSON *it)
{
	const char *k = it->string;

	switch (k[0]) {
	case 's':
		if (strcmp(k, "sensor") == 0)
			r->sensor = cJSON_IsString(it) ? it->valuestring : NULL;
		else if (strcmp(k, "source") == 0)
			r->source = cJSON_IsString(it) ? it->valuestring : "";
		break;
	case 'u':
		if (strcmp(k, "unit") == 0)
			r->unit = cJSON_IsString(it) ? it->valuestring : NULL;
		break;
	case 'q':
		if (strcmp(k, "quality") == 0)
			r->quality = cJSON_IsString(it) ?
			    it->valuestring : NULL;
		break;
	case 'v':
		if (strcmp(k, "value") == 0) {
			/* 2e308 overflows: it could not be written back. */
			if (cJSON_IsNumber(it) && isfinite(it->valuedouble))
				r->value = it->valuedouble;
			else if (cJSON_IsBool(it))
				r->value = cJSON_IsTrue(it);
			else
				return IIOT_ENOVALUE;
		}
		break;
	case 't':
		if (strcmp(k, "ts") == 0) {
			r->doc->ts_node = it;
			r->has_ts = 1;
			if (cJSON_IsString(it)) {
				if (iiot_time_parse(it->valuestring,
				    strlen(it->valuestring), &r->ts) < 0)
					return IIOT_ETS;
			} else if (!cJSON_IsNumber(it) ||
			    iiot_time_from_number(it->valuedouble, &r->ts) < 0) {
				return IIOT_ETS;
			}
		}
		break;
	}
	return 0;
}

static void
clear_view(struct iiot_rec *r)
{
	r->line = NULL;
	r->len = 0;
	r->has_ts = 0;
	r->value = 0;
	r->source = "";
	r->sensor = NULL;
	r->unit = NULL;
	r->quality = NULL;
}


/*
 * The fast path.  Most records are flat objects of strings and numbers
 * with plain keys; for them a single strict scan finds the well-known
 * fields without building a tree, and the tree is built by cJSON only
 * if the record is later changed or asked for another field.  Anything
 * unusual (nesting, escapes in a key or a well-known string, a number
 * the scan does not convert exactly) returns 0, and cJSON parses the
 * whole line: the scan decides nothing cJSON would decide otherwise.
 */

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Scan a string at p (after its opening quote).  Returns the closing
 * quote, or NULL if invalid or holding a \u escape (cJSON rejects an
 * unpaired surrogate); *esc tells whether it holds escapes. */
static const char *
scan_string(const char *p, const char *end, int *esc)
{
	*esc = 0;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			*esc = 1;
			if (++p >= end)
				return NULL;
			if (*p == 'u' || strchr("\"\\/bfnrt", *p) == NULL ||
			    *p == '\0') {
				return NULL;
			}
		}
	}
	return NULL;
}

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Scan a JSON number at p.  Returns its end, or NULL if it is not one;
 * *exact tells whether *out is the correctly rounded value (Clinger's
 * fast path: at most 15 significant digits and a power of ten below
 * 1e23, both exact in a double, so one operation rounds once).
 */
static const char *
scan_number(const char *p, const char *end, double *out, int *exact)
{
	uint64_t m = 0;
	int digits = 0, scale = 0, e = 0, eneg = 0, neg = 0;

	*exact = 1;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || !isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0') {
		p++;
	} else {
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (digits < 19)
				m = m * 10 + (uint64_t)(*p - '0');
			else
				*exact = 0;
			digits += m != 0;
		}
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !isdigit((unsigned char)*p))
			return NULL;
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (digits < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				scale--;
			} else {
				*exact = 0;
			}
			digits += m != 0;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || !isdigit((unsigned char)*p))
			return NULL;
		for (; p < end && isdigit((unsigned char)*p); p++)
			if (e < 10000)
				e = e * 10 + (*p - '0');
	}
	scale += eneg ? -e : e;
	if (digits > 15 || m > (1ULL << 53) || scale > 22 || scale < -22)
		*exact = 0;
	if (*exact) {
		*out = scale < 0 ? (double)m / pow10_exact[-scale] :
		    (double)m * pow10_exact[scale];
		if (neg)
			*out = -*out;
	}
	return p;
}

/* Copy n bytes into the record's arena as a C string. */
static char *
arena_strndup(struct iiot__doc *d, const char *s, size_t n)
{
	struct iiot__doc *saved = cur;
	char *p;

	cur = d;
	p = hook_malloc(n + 1);
	cur = saved;
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/*
 * Check every number outside strings against the JSON grammar, which
 * cJSON does not: it takes 09.4 and 1. (through strtod), and such a line
 * would be passed on byte for byte.  Outside strings, a digit or '-'
 * only starts a number.  Returns 1 when all are valid.
 */
static int
strict_numbers(const char *p, const char *end)
{
	const char *q;
	int exact;
	double d;

	while (p < end) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (*p == '-' || isdigit((unsigned char)*p)) {
			if ((q = scan_number(p, end, &d, &exact)) == NULL ||
			    (q < end && (isdigit((unsigned char)*q) ||
			    *q == '.' || *q == 'e' || *q == 'E' ||
			    *q == '+' || *q == '-')))
				return 0;
			p = q;
		} else {
			p++;
		}
	}
	return 1;
}

/*
 * Scan a flat record.  Returns 1 with the views filled, 0 when cJSON
 * must parse it, or -1 with errno for an error cJSON would not fix.
 */
static int
scan_flat(struct iiot_rec *r, int *have_value)
{
	const char *p = r->line, *end = p + r->len, *k, *v, *q;
	size_t kn, vn;
	int esc, exact, type;
	double num = 0;
	char **dst;

	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return skip_ws(p + 1, end) == end;
	for (;;) {
		if (p >= end || *p != '"')
			return 0;
		k = p + 1;
		if ((q = scan_string(k, end, &esc)) == NULL || esc)
			return 0;
		kn = (size_t)(q - k);
		p = skip_ws(q + 1, end);
		if (p >= end || *p != ':')
			return 0;
		p = skip_ws(p + 1, end);
		if (p >= end)
			return 0;
		v = p;
		if (*p == '"') {
			if ((q = scan_string(p + 1, end, &esc)) == NULL)
				return 0;
			type = cJSON_String;
			v = p + 1;
			vn = (size_t)(q - v);
			p = q + 1;
		} else if (*p == '-' || isdigit((unsigned char)*p)) {
			if ((p = scan_number(p, end, &num, &exact)) == NULL)
				return 0;
			type = cJSON_Number;
			vn = (size_t)(p - v);
			if (!exact && kn == 5 && memcmp(k, "value", 5) == 0)
				return 0;
		} else if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			type = cJSON_True;
			vn = 4;
			p += 4;
		} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			type = cJSON_False;
			vn = 5;
			p += 5;
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			type = cJSON_NULL;
			vn = 4;
			p += 4;
		} else {
			return 0;	/* nested, or not JSON */
		}
		/* The well-known fields; the last of duplicate keys wins. */
		dst = NULL;
		switch (kn) {
		case 2:
			if (memcmp(k, "ts", 2) != 0)
				break;
			r->has_ts = 1;
			/*
			 * cJSON decides on anything else: an inexact number
			 * (1795965465.1234567) may still be a valid time, and
			 * a bad one must not hide a later syntax error.
			 */
			if (type == cJSON_String) {
				if (esc || iiot_time_parse(v, vn, &r->ts) < 0)
					return 0;
			} else if (type != cJSON_Number || !exact ||
			    iiot_time_from_number(num, &r->ts) < 0) {
				return 0;
			}
			break;
		case 4:
			if (memcmp(k, "unit", 4) == 0)
				dst = (char **)&r->unit;
			break;
		case 5:
			if (memcmp(k, "value", 5) != 0)
				break;
			if (type == cJSON_Number)
				r->value = num;
			else if (type == cJSON_True || type == cJSON_False)
				r->value = type == cJSON_True;
			else
				return 0;	/* cJSON reports it */
			*have_value = 1;
			break;
		case 6:
			if (memcmp(k, "sensor", 6) == 0)
				dst = (char **)&r->sensor;
			else if (memcmp(k, "source", 6) == 0)
				dst = (char **)&r->source;
			break;
		case 7:
			if (memcmp(k, "quality", 7) == 0)
				dst = (char **)&r->quality;
			break;
		}
		if (dst != NULL) {
			if (type != cJSON_String || esc)
				return 0;
			if ((*dst = arena_strndup(r->doc, v, vn)) == NULL)
				return -1;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}' && skip_ws(p + 1, end) == end)
			return 1;
		return 0;
	}
}

/* Build the tree of a record parsed by the fast path, on demand. */
static cJSON *
tree(const struct iiot_rec *cr)
{
	struct iiot_rec *r = (struct iiot_rec *)cr;	/* a lazy cache */
	struct iiot__doc *d = r->doc;
	cJSON *it;

	if (d->root != NULL || r->line == NULL)
		return d->root;
	cur = d;
	d->root = cJSON_ParseWithLength(r->line, r->len);
	cur = NULL;
	if (d->root == NULL)
		return NULL;
	for (it = d->root->child; it != NULL; it = it->next)
		if (strcmp(it->string, "ts") == 0)
			d->ts_node = it;
	return d->root;
}

int
iiot_rec_parse(struct iiot_rec *r, const char *line, size_t len)
{
	struct iiot__doc *d = r->doc;
	const char *end = NULL;
	int have_value = 0, e;
	cJSON *it;

	arena_reset(d);
	clear_view(r);
	r->dirty = 0;
	r->line = line;
	r->len = len;
	if (!iiot_utf8_valid(line, len)) {
		errno = IIOT_EUTF8;
		return -1;
	}
	switch (scan_flat(r, &have_value)) {
	case 1:
		goto check;
	case -1:
		return -1;
	}
	/* Start again from a clean view, for cJSON. */
	arena_reset(d);
	clear_view(r);
	r->line = line;
	r->len = len;
	have_value = 0;
	cur = d;
	d->root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	cur = NULL;
	if (d->root == NULL) {
		errno = IIOT_EJSON;
		return -1;
	}
	for (; end < line + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r' &&
		    *end != '\n') {
			errno = IIOT_EJSON;
			return -1;
		}
	}
	if (!strict_numbers(line, line + len)) {
		errno = IIOT_EJSON;
		return -1;
	}
	if (!cJSON_IsObject(d->root)) {
		errno = IIOT_ENOTOBJ;
		return -1;
	}
	for (it = d->root->child; it != NULL; it = it->next) {
		if ((e = cache_field(r, it)) != 0) {
			errno = e;
			return -1;
		}
		if (strcmp(it->string, "value") == 0)
			have_value = 1;
	}
check:
	if (r->sensor == NULL) {
		errno = IIOT_ENOSENSOR;
		return -1;
	}
	if (!have_value) {
		errno = IIOT_ENOVALUE;
		return -1;
	}
	if (!r->has_ts)
		r->ts = iiot_now_ms();
	return 0;
}

int
iiot_rec_clear(struct iiot_rec *r)
{
	struct iiot__doc *d = r->doc;

	arena_reset(d);
	clear_view(r);
	r->sensor = "";
	r->ts = iiot_now_ms();
	r->dirty = 1;
	cur = d;
	d->root = cJSON_CreateObject();
	cur = NULL;
	if (d->root == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
iiot_rec_copy(struct iiot_rec *dst, const struct iiot_rec *src)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct iiot__doc *d = dst->doc;
	int rc = -1;

	if (iiot_rec_format(src, &b) < 0)
		goto out;
	arena_reset(d);
	cur = d;
	/* The copy owns its text, kept in its own arena. */
	dst->line = hook_malloc(b.len + 1);
	cur = NULL;
	if (dst->line == NULL)
		goto out;
	memcpy((char *)dst->line, b.data, b.len + 1);
	{
		/* Parse without resetting the arena that holds the text. */
		const char *line = dst->line;
		size_t len = b.len;
		cJSON *it;

		clear_view(dst);
		cur = d;
		d->root = cJSON_ParseWithLength(line, len);
		cur = NULL;
		if (d->root == NULL)
			goto out;
		dst->line = line;
		dst->len = len;
		for (it = d->root->child; it != NULL; it = it->next)
			cache_field(dst, it);
	}
	dst->ts = src->ts;
	dst->has_ts = src->has_ts;
	dst->dirty = 0;
	rc = 0;
out:
	iiot_buf_release(&b);
	return rc;
}

static cJSON *
find(const struct iiot_rec *r, const char *key)
{
	cJSON *root = tree(r), *it, *found = NULL;

	if (root == NULL)
		return NULL;
	/* The last of duplicate keys wins, as with the fast path. */
	for (it = root->child; it != NULL; it = it->next)
		if (strcmp(it->string, key) == 0)
			found = it;
	return found;
}

const char *
iiot_rec_str(const struct iiot_rec *r, const char *key)
{
	cJSON *it = find(r, key);

	return it != NULL && cJSON_IsString(it) ? it->valuestring : NULL;
}

int
iiot_rec_num(const struct iiot_rec *r, const char *key, double *out)
{
	cJSON *it = find(r, key);

	if (it == NULL)
		return -1;
	if (cJSON_IsNumber(it))
		*out = it->valuedouble;
	else if (cJSON_IsBool(it))
		*out = cJSON_IsTrue(it);
	else
		return -1;
	return 0;
}

/* Find key's node, or append a new null one.  NULL on ENOMEM. */
static cJSON *
slot(struct iiot_rec *r, const char *key)
{
	struct iiot__doc *d = r->doc;
	cJSON *it = find(r, key);
	char *k;

	if (it != NULL) {
		it->child = NULL;
		return it;
	}
	if ((k = arena_strdup(d, key)) == NULL)
		return NULL;
	cur = d;
	it = cJSON_CreateNull();
	if (it != NULL && !cJSON_AddItemToObjectCS(d->root, k, it))
		it = NULL;
	cur = NULL;
	if (it == NULL)
		errno = ENOMEM;
	return it;
}

int
iiot_rec_set_str(struct iiot_rec *r, const char *key, const char *val)
{
	cJSON *it = slot(r, key);
	char *v;

	if (it == NULL || (v = arena_strdup(r->doc, val)) == NULL)
		return -1;
	it->type = cJSON_String;
	it->valuestring = v;
	r->dirty = 1;
	cache_field(r, it);
	return 0;
}

int
iiot_rec_set_num(struct iiot_rec *r, const char *key, double val)
{
	cJSON *it = slot(r, key);

	if (it == NULL)
		return -1;
	it->type = cJSON_Number;
	it->valuestring = NULL;
	cJSON_SetNumberValue(it, val);
	r->dirty = 1;
	cache_field(r, it);
	return 0;
}

int
iiot_rec_set_value(struct iiot_rec *r, double val)
{
	return iiot_rec_set_num(r, "value", val);
}

int
iiot_rec_set_ts(struct iiot_rec *r, int64_t ms)
{
	struct iiot__doc *d = r->doc;
	cJSON *it;

	if (tree(r) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	it = d->ts_node;
	if (it == NULL) {
		if ((it = slot(r, "ts")) == NULL)
			return -1;
		/* The time leads a record: move the new field first. */
		if (d->root->child != it) {
			cJSON_DetachItemViaPointer(d->root, it);
			cur = d;
			cJSON_InsertItemInArray(d->root, 0, it);
			cur = NULL;
		}
		d->ts_node = it;
	}
	it->type = cJSON_NULL;	/* written from r->ts */
	r->ts = ms;
	r->has_ts = 1;
	r->dirty = 1;
	return 0;
}

int
iiot_rec_del(struct iiot_rec *r, const char *key)
{
	cJSON *it = find(r, key);

	if (it == NULL) {
		errno = ENOENT;
		return -1;
	}
	cJSON_DetachItemViaPointer(r->doc->root, it);
	if (it == r->doc->ts_node) {
		r->doc->ts_node = NULL;
		r->has_ts = 0;
	}
	it->type = cJSON_NULL;
	cache_field(r, it);
	/* An earlier field of the same name now wins. */
	if ((it = find(r, key)) != NULL)
		cache_field(r, it);
	r->dirty = 1;
	return 0;
}

int
iiot_rec_project(struct iiot_rec *r, const char *const *keys, size_t n)
{
	struct iiot__doc *d = r->doc;
	cJSON *kept[64], *it;
	size_t i, nk = 0;

	if (tree(r) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n && nk < 64; i++) {
		if ((it = find(r, keys[i])) == NULL)
			continue;
		cJSON_DetachItemViaPointer(d->root, it);
		kept[nk++] = it;
	}
	while ((it = d->root->child) != NULL) {
		cJSON_DetachItemViaPointer(d->root, it);
		if (it == d->ts_node) {
			d->ts_node = NULL;
			r->has_ts = 0;
		}
		it->type = cJSON_NULL;
		cache_field(r, it);
	}
	cur = d;
	for (i = 0; i < nk; i++)
		cJSON_AddItemToArray(d->root, kept[i]);
	cur = NULL;
	/* Dropping a duplicate of a kept field cleared its view. */
	for (i = 0; i < nk; i++)
		cache_field(r, kept[i]);
	r->dirty = 1;
	return 0;
}

int
iiot_rec_next_field(const struct iiot_rec *r, void **itp,
    struct iiot_field *f)
{
	cJSON *it = *itp;

	if (tree(r) == NULL)
		return 0;
	it = it == NULL ? r->doc->root->child : it->next;
	*itp = it;
	if (it == NULL)
		return 0;
	memset(f, 0, sizeof(*f));
	f->key = it->string;
	if (it == r->doc->ts_node) {
		static _Thread_local char tbuf[IIOT_TIME_BUFSZ];

		iiot_time_format(r->ts, tbuf);
		f->type = IIOT_F_STR;
		f->str = tbuf;
	} else if (cJSON_IsString(it)) {
		f->type = IIOT_F_STR;
		f->str = it->valuestring;
	} else if (cJSON_IsNumber(it)) {
		f->type = IIOT_F_NUM;
		f->num = it->valuedouble;
	} else if (cJSON_IsBool(it)) {
		f->type = IIOT_F_BOOL;
		f->num = cJSON_IsTrue(it);
	} else if (cJSON_IsNull(it)) {
		f->type = IIOT_F_NULL;
	} else {
		f->type = IIOT_F_OTHER;
	}
	return 1;
}

static int put_node(struct iiot_buf *b, const struct iiot_rec *r,
    const cJSON *it);

static int
put_members(struct iiot_buf *b, const struct iiot_rec *r, const cJSON *it,
    int object)
{
	int first = 1;

	for (; it != NULL; it = it->next) {
		if (!first && iiot_buf_addc(b, ',') < 0)
			return -1;
		first = 0;
		if (object && (iiot_buf_add_json_str(b, it->string,
		    strlen(it->string)) < 0 || iiot_buf_addc(b, ':') < 0))
			return -1;
		if (put_node(b, r, it) < 0)
			return -1;
	}
	return 0;
}

static int
put_node(struct iiot_buf *b, const struct iiot_rec *r, const cJSON *it)
{
	char tbuf[IIOT_TIME_BUFSZ];
	size_t n;

	if (r != NULL && it == r->doc->ts_node) {
		n = iiot_time_format(r->ts, tbuf);
		return iiot_buf_add_json_str(b, tbuf, n);
	}
	switch (it->type & 0xff) {
	case cJSON_False:
		return iiot_buf_add(b, "false", 5);
	case cJSON_True:
		return iiot_buf_add(b, "true", 4);
	case cJSON_Number:
		return iiot_buf_add_json_num(b, it->valuedouble);
	case cJSON_String:
		return iiot_buf_add_json_str(b, it->valuestring,
		    strlen(it->valuestring));
	case cJSON_Array:
		if (iiot_buf_addc(b, '[') < 0 ||
		    put_members(b, NULL, it->child, 0) < 0)
			return -1;
		return iiot_buf_addc(b, ']');
	case cJSON_Object:
		if (iiot_buf_addc(b, '{') < 0 ||
		    put_members(b, NULL, it->child, 1) < 0)
			return -1;
		return iiot_buf_addc(b, '}');
	default:
		return iiot_buf_add(b, "null", 4);
	}
}

int
iiot_rec_field_json(const struct iiot_rec *r, const char *key,
    struct iiot_buf *out)
{
	cJSON *it = find(r, key);

	if (it == NULL) {
		errno = ENOENT;
		return -1;
	}
	return put_node(out, r, it);
}

int
iiot_rec_format(const struct iiot_rec *r, struct iiot_buf *out)
{
	if (!r->dirty && r->line != NULL)
		return iiot_buf_add(out, r->line, r->len);
	if (iiot_buf_addc(out, '{') < 0 ||
	    put_members(out, r, r->doc->root ? r->doc->root->child : NULL,
	    1) < 0)
		return -1;
	return iiot_buf_addc(out, '}');
}

int
iiot_rec_write(const struct iiot_rec *r, FILE *f)
{
	static _Thread_local struct iiot_buf b;

	if (!r->dirty && r->line != NULL) {
		if (fwrite(r->line, 1, r->len, f) != r->len ||
		    putc('\n', f) == EOF)
			return -1;
		return 0;
	}
	iiot_buf_reset(&b);
	if (iiot_rec_format(r, &b) < 0 || iiot_buf_addc(&b, '\n') < 0)
		return -1;
	if (fwrite(b.data, 1, b.len, f) != b.len)
		return -1;
	return 0;
}
