/* SPDX-License-Identifier: MIT */
/* buf_test.c: unit tests for the growable buffer and its JSON writers. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_buf.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;		/* the bytes */
	size_t n;		/* how many */
	const char *out;	/* the JSON string */
} str_cases[] = {
	{ "", 0, "\"\"" },					/* empty */
	{ "abc", 3, "\"abc\"" },				/* plain */
	{ "a\"b", 3, "\"a\\\"b\"" },				/* quote */
	{ "a\\b", 3, "\"a\\\\b\"" },				/* backslash */
	{ "\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"" },		/* short */
	{ "\x01", 1, "\"\\u0001\"" },				/* SOH */
	{ "\x1f", 1, "\"\\u001f\"" },				/* unit sep. */
	{ "\x1b[0m", 4, "\"\\u001b[0m\"" },			/* ESC */
	{ "a\0b", 3, "\"a\\u0000b\"" },				/* NUL */
	{ "\x7f", 1, "\"\x7f\"" },				/* DEL */
	{ "/", 1, "\"/\"" },					/* solidus */
	{ "caf\xc3\xa9 \xf0\x9f\x94\xa5", 10,			/* UTF-8 */
	    "\"caf\xc3\xa9 \xf0\x9f\x94\xa5\"" },
	{ "abcdef", 3, "\"abc\"" },				/* n bytes */
	{ "\"\"\"", 3, "\"\\\"\\\"\\\"\"" },			/* quotes */
	{ "x\n", 2, "\"x\\n\"" },				/* last */
};

static const struct {
	double d;		/* the number */
	const char *out;	/* its JSON */
} num_cases[] = {
	{ 0, "0" },					/* zero */
	{ -0.0, "0" },					/* minus zero */
	{ 1, "1" },					/* one */
	{ -5, "-5" },					/* negative */
	{ 0.1, "0.1" },					/* 0.1 */
	{ 0.5, "0.5" },					/* exact half */
	{ -2.25, "-2.25" },				/* negative fraction */
	{ 1.0 / 3, "0.3333333333333333" },		/* 16 digits */
	{ 2.0 / 3, "0.6666666666666666" },		/* 16, rounded */
	{ 6.010000000000001, "6.010000000000001" },	/* 16 digits */
	{ 0.30000000000000004, "0.30000000000000004" },	/* 17 digits */
	{ 0.1 + 0.7, "0.7999999999999999" },		/* 16 digits */
	{ 1e21, "1e+21" },				/* large */
	{ 1e15, "1e+15" },				/* where %lld stops */
	{ 999999999999999, "999999999999999" },		/* below it */
	{ -999999999999999, "-999999999999999" },	/* and negative */
	{ 9007199254740993.0, "9007199254740992" },	/* 2^53 */
	{ 123456789012345678.0, "1.2345678901234568e+17" }, /* 17 digits */
	{ 1e300, "1e+300" },				/* huge */
	{ -1e300, "-1e+300" },				/* huge negative */
	{ DBL_MAX, "1.7976931348623157e+308" },		/* the largest */
	{ 1e-7, "1e-07" },				/* small */
	{ DBL_MIN, "2.2250738585072014e-308" },		/* smallest normal */
	{ 4.35, "4.35" },				/* inexact decimal */
	{ 21.5, "21.5" },				/* a temperature */
	{ NAN, "null" },				/* NaN */
	{ INFINITY, "null" },				/* infinity */
	{ -INFINITY, "null" },				/* minus infinity */
};

/* One byte at a time to 100000: content, NUL and capacity right. */
static int
test_growth(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	size_t i;
	int ok = 1;

	for (i = 0; i < 100000 && ok; i++) {
		ok = iiot_buf_addc(&b, (char)('a' + i % 26)) == 0 &&
		    b.len == i + 1 && b.cap > b.len && b.data[b.len] == '\0';
	}
	for (i = 0; i < 100000 && ok; i++)
		ok = b.data[i] == (char)('a' + i % 26);
	iiot_buf_reset(&b);
	ok = ok && b.len == 0 && b.data[0] == '\0' && b.cap >= 100000;
	ok = ok && iiot_buf_grow(&b, 1000000) == 0 && b.cap >= 1000001 &&
	    b.len == 0;
	iiot_buf_release(&b);
	ok = ok && b.data == NULL && b.len == 0 && b.cap == 0;
	/* Released, it can be used again. */
	ok = ok && iiot_buf_adds(&b, "again") == 0 &&
	    strcmp(b.data, "again") == 0;
	iiot_buf_release(&b);
	iiot_buf_release(&b);
	return ok;
}

/* addf: empty buffer, long output, output that just fits, appends. */
static int
test_addf(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	char *big = malloc(100001), *want = malloc(200100);
	size_t i, n;
	int ok;

	if (big == NULL || want == NULL)
		return 0;
	memset(big, 'x', 100000);
	big[100000] = '\0';
	ok = iiot_buf_addf(&b, "%d-%s", 42, "a") == 0 &&
	    strcmp(b.data, "42-a") == 0 && b.len == 4;
	ok = ok && iiot_buf_addf(&b, "[%s]", big) == 0 && b.len == 100006 &&
	    b.data[4] == '[' && b.data[100005] == ']' &&
	    b.data[100006] == '\0';
	ok = ok && iiot_buf_addf(&b, "%s", "") == 0 && b.len == 100006;
	/* Fill to exactly the capacity, then one more byte. */
	for (n = 1; n < 8 && ok; n++) {
		iiot_buf_release(&b);
		ok = iiot_buf_add(&b, big, 200) == 0;
		i = b.cap - b.len - n;
		ok = ok && iiot_buf_addf(&b, "%.*s", (int)i, big) == 0 &&
		    b.len == 200 + i && b.data[b.len] == '\0' &&
		    strspn(b.data, "x") == b.len;
	}
	/* Many appends agree with one snprintf. */
	iiot_buf_release(&b);
	n = 0;
	for (i = 0; i < 20000 && ok; i++) {
		ok = iiot_buf_addf(&b, "%zu,", i) == 0;
		n += (size_t)snprintf(want + n, 200100 - n, "%zu,", i);
	}
	ok = ok && b.len == n && strcmp(b.data, want) == 0;
	iiot_buf_release(&b);
	free(big);
	free(want);
	return ok;
}

/* Random doubles read back bit for bit. */
static int
test_num_roundtrip(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	uint64_t u;
	double d, back;
	int i, bad = 0;

	srandom(4);
	for (i = 0; i < 200000 && bad < 5; i++) {
		u = (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^
		    (uint64_t)random();
		memcpy(&d, &u, sizeof(d));
		if (i % 3 == 0)
			d = (double)(random() % 2000000) / 1000 - 1000;
		if (!isfinite(d) || d == 0)
			continue;
		iiot_buf_reset(&b);
		iiot_buf_add_json_num(&b, d);
		back = strtod(b.data, NULL);
		if (memcmp(&back, &d, sizeof(d)) != 0 || b.len > 24) {
			printf("# %.17g gives %s\n", d, b.data);
			bad++;
		}
	}
	iiot_buf_release(&b);
	return bad == 0;
}

/*
 * Values with a few decimals, written without printf, are written as
 * the shortest of %.15g, %.16g and %.17g that reads back would be.
 */
static int
test_num_decimals(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	char want[32];
	double d;
	int i, bad = 0, scale;

	srandom(5);
	for (i = 0; i < 300000 && bad < 5; i++) {
		scale = (int[]){ 1, 10, 100, 1000 }[i % 4];
		d = (double)(random() % 2000000001 - 1000000000) / scale;
		if (i % 7 == 0)
			d /= 1e6;
		snprintf(want, sizeof(want), "%.15g", d);
		if (strtod(want, NULL) != d)
			snprintf(want, sizeof(want), "%.16g", d);
		if (strtod(want, NULL) != d)
			snprintf(want, sizeof(want), "%.17g", d);
		iiot_buf_reset(&b);
		iiot_buf_add_json_num(&b, d);
		if (strcmp(b.data, want) != 0) {
			printf("# %.17g gives %s, not %s\n", d, b.data, want);
			bad++;
		}
	}
	iiot_buf_release(&b);
	return bad == 0;
}

int
main(void)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	char desc[64];
	size_t i;
	int ok;

	tap_plan((int)(NELEM(str_cases) + NELEM(num_cases)) + 5);
	for (i = 0; i < NELEM(str_cases); i++) {
		iiot_buf_reset(&b);
		iiot_buf_addc(&b, '>');
		ok = iiot_buf_add_json_str(&b, str_cases[i].in,
		    str_cases[i].n) == 0 && b.data[0] == '>' &&
		    strcmp(b.data + 1, str_cases[i].out) == 0 &&
		    b.len == strlen(str_cases[i].out) + 1;
		if (!ok)
			printf("# got %s\n", b.data);
		snprintf(desc, sizeof(desc), "json string %zu", i);
		tap_ok(ok, desc);
	}
	for (i = 0; i < NELEM(num_cases); i++) {
		iiot_buf_reset(&b);
		ok = iiot_buf_add_json_num(&b, num_cases[i].d) == 0 &&
		    strcmp(b.data, num_cases[i].out) == 0;
		if (!ok)
			printf("# got %s\n", b.data);
		snprintf(desc, sizeof(desc), "json number %s",
		    num_cases[i].out);
		tap_ok(ok, desc);
	}
	iiot_buf_release(&b);
	tap_ok(test_growth(), "growth: byte by byte, reset, release");
	tap_ok(test_addf(), "addf: long, exact fit, many appends");
	tap_ok(test_num_roundtrip(), "json number: random doubles read back");
	tap_ok(test_num_decimals(), "json number: decimals as printf's shortest");
	/* Appending a string to itself is not supported; add to another. */
	ok = iiot_buf_adds(&b, "ab") == 0 && iiot_buf_add(&b, "", 0) == 0 &&
	    b.len == 2 && strcmp(b.data, "ab") == 0;
	iiot_buf_release(&b);
	tap_ok(ok, "add: empty append keeps the buffer");
	return tap_status();
}
