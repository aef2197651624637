/* SPDX-License-Identifier: MIT */
/* buf.c: a growable byte buffer (after git's strbuf). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_buf.h"

int
iiot_buf_grow(struct iiot_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
iiot_buf_add(struct iiot_buf *b, const void *p, size_t n)
{
	if (iiot_buf_grow(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
iiot_buf_adds(struct iiot_buf *b, const char *s)
{
	return iiot_buf_add(b, s, strlen(s));
}

int
iiot_buf_addc(struct iiot_buf *b, char c)
{
	if (iiot_buf_grow(b, 1) < 0)
		return -1;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
	return 0;
}

int
iiot_buf_addf(struct iiot_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->data ? b->data + b->len : NULL,
	    b->cap > b->len ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (b->len + (size_t)n + 1 > b->cap) {
		if (iiot_buf_grow(b, (size_t)n) < 0)
			return -1;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

int
iiot_buf_add_json_str(struct iiot_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	unsigned char c;
	char esc[6];

	if (iiot_buf_grow(b, n + 2) < 0)
		return -1;
	b->data[b->len++] = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (iiot_buf_add(b, s + run, i - run) < 0)
			return -1;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			if (iiot_buf_add(b, "\\u00", 4) < 0 ||
			    iiot_buf_addc(b, hex[c >> 4]) < 0 ||
			    iiot_buf_addc(b, hex[c & 15]) < 0)
				return -1;
			continue;
		}
		if (iiot_buf_add(b, esc, 2) < 0)
			return -1;
	}
	if (iiot_buf_add(b, s + run, n - run) < 0)
		return -1;
	return iiot_buf_addc(b, '"');
}

/*
 * If d is a decimal with at most 3 digits after the point (|d| < 1e12),
 * write its shortest form into tmp (32 bytes), set *n and return 1: the
 * double nearest that decimal is d, and no shorter decimal is as near,
 * so it reads back as d and is what "%.15g" would write.
 */
static int
milli(double d, char *tmp, int *n)
{
	char buf[32], *p = buf + sizeof(buf);
	long long k = llround(d * 1000), m;
	int frac, digits = 3;

	if ((double)k / 1000.0 != d)
		return 0;
	m = k < 0 ? -k : k;
	frac = (int)(m % 1000);
	m /= 1000;
	if (frac != 0) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		while (digits-- > 0) {
			*--p = (char)('0' + frac % 10);
			frac /= 10;
		}
		*--p = '.';
	}
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m > 0);
	if (k < 0)
		*--p = '-';
	*n = (int)(buf + sizeof(buf) - p);
	memcpy(tmp, p, (size_t)*n);
	return 1;
}

int
iiot_buf_add_json_num(struct iiot_buf *b, double d)
{
	char tmp[32];
	int n;

	if (!isfinite(d))
		return iiot_buf_add(b, "null", 4);
	/* Range first: converting a larger double to long long is UB. */
	if (fabs(d) < 1e15 && d == (double)(long long)d) {
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
	} else if (fabs(d) < 1e12 && milli(d, tmp, &n)) {
		/* Most readings: a few decimals, written without printf. */
	} else {
		/* The shortest of 15, 16 or 17 digits that reads back. */
		n = snprintf(tmp, sizeof(tmp), "%.15g", d);
		if (strtod(tmp, NULL) != d)
			n = snprintf(tmp, sizeof(tmp), "%.16g", d);
		if (strtod(tmp, NULL) != d)
			n = snprintf(tmp, sizeof(tmp), "%.17g", d);
	}
	return iiot_buf_add(b, tmp, (size_t)n);
}

void
iiot_buf_reset(struct iiot_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
iiot_buf_release(struct iiot_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
