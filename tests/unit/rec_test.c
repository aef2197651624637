/* SPDX-License-Identifier: MIT */
/* rec_test.c: unit tests for parsing, changing and writing records. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_rec.h"
#include "iiot_time.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NOTS INT64_MIN		/* the record has no "ts" */
#define T0 1795965465000LL	/* 2026-11-29T15:17:45Z */
#define NOVIEW NULL, NULL, NULL, NULL, 0, 0	/* for errors */

static const struct {
	const char *line;	/* the record */
	int err;		/* errno, or 0 when it parses */
	const char *sensor, *source, *unit, *quality;	/* its views */
	double value;
	int64_t ts;		/* or NOTS */
} parse_cases[] = {
	/* Flat records: the fast path. */
	{ "{\"sensor\":\"t1\",\"value\":21.5}", 0,		/* minimal */
	    "t1", "", NULL, NULL, 21.5, NOTS },
	{ "{\"ts\":\"2026-11-29T15:17:45Z\",\"source\":\"plc1\","
	  "\"sensor\":\"t1\",\"value\":-3,\"unit\":\"degC\","
	  "\"quality\":\"bad\"}", 0,				/* all */
	    "t1", "plc1", "degC", "bad", -3, T0 },
	{ "{\"value\":1,\"sensor\":\"t1\",\"ts\":1795965465}", 0, /* order */
	    "t1", "", NULL, NULL, 1, T0 },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1795965465123}", 0, /* ms */
	    "t", "", NULL, NULL, 1, T0 + 123 },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1795965465.25}", 0, /* frac */
	    "t", "", NULL, NULL, 1, T0 + 250 },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1795965465.1234567}", 0,
	    "t", "", NULL, NULL, 1, T0 + 123 },		/* 17 digits */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":0}", 0,	/* the epoch */
	    "t", "", NULL, NULL, 1, 0 },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1.7959654651e9}", 0,
	    "t", "", NULL, NULL, 1, T0 + 100 },		/* exponent */
	{ "{\"sensor\":\"t\",\"value\":true}", 0,		/* true is 1 */
	    "t", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\",\"value\":false}", 0,		/* false: 0 */
	    "t", "", NULL, NULL, 0, NOTS },
	{ "{\"sensor\":\"t\",\"value\":-0}", 0,		/* minus zero */
	    "t", "", NULL, NULL, -0.0, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1e300}", 0,		/* large */
	    "t", "", NULL, NULL, 1e300, NOTS },
	{ "{\"sensor\":\"t\",\"value\":0.1e-30}", 0,		/* small */
	    "t", "", NULL, NULL, 0.1e-30, NOTS },
	{ "{\"sensor\":\"t\",\"value\":12345678901234567890}", 0, /* 20 dig */
	    "t", "", NULL, NULL, 12345678901234567890.0, NOTS },
	{ "{\"sensor\":\"t\",\"value\":9007199254740993}", 0,	/* 2^53+1 */
	    "t", "", NULL, NULL, 9007199254740992.0, NOTS },
	{ "{\"sensor\":\"t\",\"value\":0.30000000000000004}", 0, /* 17 dig */
	    "t", "", NULL, NULL, 0.30000000000000004, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1E+2}", 0,		/* E+ */
	    "t", "", NULL, NULL, 100, NOTS },
	{ "{\"sensor\":\"t\",\"value\":5e-324}", 0,		/* subnormal */
	    "t", "", NULL, NULL, 5e-324, NOTS },
	{ "  {  \"sensor\" :\t\"t\" ,\r\n\"value\"  :  7  }  ", 0, /* blanks */
	    "t", "", NULL, NULL, 7, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1}\r\n\t ", 0,	/* trailing blanks */
	    "t", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"\",\"value\":1}", 0,		/* empty sensor */
	    "", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1,\"tag\":\"a\\\"b\\\\c\\u00e9\"}", 0,
	    "t", "", NULL, NULL, 1, NOTS },		/* escaped tag */
	{ "{\"sensor\":\"t\",\"value\":1,\"n\":null,\"b\":true,\"x\":-1.5}",
	    0, "t", "", NULL, NULL, 1, NOTS },		/* other types */
	{ "{\"sensor\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\","
	  "\"value\":1}", 0,					/* UTF-8 */
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", "", NULL, NULL, 1,
	    NOTS },
	{ "{\"sensor\":\"a\",\"sensor\":\"b\",\"value\":1,\"value\":2}", 0,
	    "b", "", NULL, NULL, 2, NOTS },		/* last key wins */
	{ "{\"sensor\":\"t\",\"value\":1,\"unit\":\"a\",\"unit\":\"b\"}", 0,
	    "t", "", "b", NULL, 1, NOTS },		/* last unit wins */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1,\"ts\":1795965465}", 0,
	    "t", "", NULL, NULL, 1, T0 },		/* last ts wins */
	{ "{\"sensor\":\"t\",\"value\":1,\"unit\":null}", 0, /* null unit */
	    "t", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1,\"source\":7}", 0, /* odd source */
	    "t", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1,\"unit\":\"a\",\"unit\":5}", 0,
	    "t", "", NULL, NULL, 1, NOTS },		/* last unit wins */

	/* Records cJSON parses: nesting and escapes. */
	{ "{\"sensor\":\"t\",\"value\":1,\"x\":[1,{\"y\":2}]}", 0,
	    "t", "", NULL, NULL, 1, NOTS },		/* nested */
	{ "{\"sensor\":\"t\",\"value\":1,\"o\":{}}", 0,	/* empty object */
	    "t", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\\\"1\",\"value\":1}", 0,	/* escaped sensor */
	    "t\"1", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\\u00e9\\n\",\"value\":1}", 0,	/* \u */
	    "t\xc3\xa9\n", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\",\"source\":\"a\\/b\",\"value\":1}", 0,
	    "t", "a/b", NULL, NULL, 1, NOTS },		/* escaped source */
	{ "{\"sen\\u0073or\":\"t\",\"value\":1}", 0,	/* escaped key */
	    "t", "", NULL, NULL, 1, NOTS },
	{ "{\"sensor\":\"t\",\"\\u0076alue\":3}", 0,	/* escaped value key */
	    "t", "", NULL, NULL, 3, NOTS },
	{ "{\"sensor\":\"t\",\"value\":1,\"unit\":\"\\u00b0C\"}", 0,
	    "t", "", "\xc2\xb0" "C", NULL, 1, NOTS },	/* escaped unit */
	{ "{\"sensor\":\"t\",\"value\":1,"
	  "\"ts\":\"2026-11-29T15:17:45\\u005a\"}",
	    0, "t", "", NULL, NULL, 1, T0 },		/* escaped ts */
	{ "{\"sensor\":\"a\",\"value\":1,\"x\":[1],\"sensor\":\"b\","
	  "\"value\":2}", 0, "b", "", NULL, NULL, 2, NOTS }, /* last wins */
	{ "{\"sensor\":\"t\",\"value\":1,\"s\":\"\\ud83d\\udd25\"}", 0,
	    "t", "", NULL, NULL, 1, NOTS },		/* surrogate pair */

	/* Errors. */
	/* overlong */
	{ "{\"sensor\":\"\xc0\xaf\",\"value\":1}", IIOT_EUTF8, NOVIEW },
	/* overlong 3 */
	{ "{\"sensor\":\"\xe0\x80\xaf\",\"value\":1}", IIOT_EUTF8, NOVIEW },
	/* surrogate */
	{ "{\"sensor\":\"\xed\xa0\x80\",\"value\":1}", IIOT_EUTF8, NOVIEW },
	{ "{\"sensor\":\"\xf4\x90\x80\x80\",\"value\":1}",
	    IIOT_EUTF8, NOVIEW },
							/* above U+10FFFF */
	/* truncated */
	{ "{\"sensor\":\"\xe2\x82\",\"value\":1}", IIOT_EUTF8, NOVIEW },
	/* cut at end */
	{ "{\"sensor\":\"t\",\"value\":1}\xc3", IIOT_EUTF8, NOVIEW },
	/* lone cont. */
	{ "{\"sensor\":\"\x80\",\"value\":1}", IIOT_EUTF8, NOVIEW },
	/* 0xff */
	{ "{\"sensor\":\"\xff\",\"value\":1}", IIOT_EUTF8, NOVIEW },
	/* empty */
	{ "", IIOT_EJSON, NOVIEW },
	/* blanks */
	{ "   ", IIOT_EJSON, NOVIEW },
	/* cut short */
	{ "{", IIOT_EJSON, NOVIEW },
	/* no brace */
	{ "{\"sensor\":\"t\",\"value\":1", IIOT_EJSON, NOVIEW },
	/* extra comma */
	{ "{\"sensor\":\"t\",\"value\":1,}", IIOT_EJSON, NOVIEW },
	/* numbers that cJSON would take but JSON does not */
	{ "{\"sensor\":\"t\",\"value\":09.4}", IIOT_EJSON, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1.}", IIOT_EJSON, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":-01}", IIOT_EJSON, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1,\"a\":{\"b\":[1.e3]}}",
	    IIOT_EJSON, NOVIEW },
	/* no comma */
	{ "{\"sensor\":\"t\" \"value\":1}", IIOT_EJSON, NOVIEW },
	/* bare key */
	{ "{sensor:\"t\",\"value\":1}", IIOT_EJSON, NOVIEW },
	/* quote ' */
	{ "{\"sensor\":'t',\"value\":1}", IIOT_EJSON, NOVIEW },
	/* garbage */
	{ "{\"sensor\":\"t\",\"value\":1}x", IIOT_EJSON, NOVIEW },
	/* two objects */
	{ "{\"sensor\":\"t\",\"value\":1}{}", IIOT_EJSON, NOVIEW },
	/* and a number */
	{ "{\"sensor\":\"t\",\"value\":1} 1", IIOT_EJSON, NOVIEW },
	/* bad nest */
	{ "{\"sensor\":\"t\",\"value\":1,\"x\":[1}", IIOT_EJSON, NOVIEW },
	/* bad escape */
	{ "{\"sensor\":\"t\\x\",\"value\":1}", IIOT_EJSON, NOVIEW },
	/* 1e */
	{ "{\"sensor\":\"t\",\"value\":1e}", IIOT_EJSON, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":-}", IIOT_EJSON, NOVIEW },	/* - */
	/* tru */
	{ "{\"sensor\":\"t\",\"value\":tru}", IIOT_EJSON, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1,\"s\":\"\\ud800\"}",
	    IIOT_EJSON, NOVIEW },
							/* lone surrogate */
	{ "{\"sensor\":\"t\",\"value\":1,\"s\":\"\\udc00x\"}",
	    IIOT_EJSON, NOVIEW },
							/* low surrogate */
	/* an array */
	{ "[1,2]", IIOT_ENOTOBJ, NOVIEW },
	/* a string */
	{ "\"sensor\"", IIOT_ENOTOBJ, NOVIEW },
	/* a number */
	{ "42", IIOT_ENOTOBJ, NOVIEW },
	/* null */
	{ "null", IIOT_ENOTOBJ, NOVIEW },
	/* true */
	{ " true ", IIOT_ENOTOBJ, NOVIEW },
	/* empty */
	{ "{}", IIOT_ENOSENSOR, NOVIEW },
	/* no sensor */
	{ "{\"value\":1}", IIOT_ENOSENSOR, NOVIEW },
	/* a number */
	{ "{\"sensor\":5,\"value\":1}", IIOT_ENOSENSOR, NOVIEW },
	/* null */
	{ "{\"sensor\":null,\"value\":1}", IIOT_ENOSENSOR, NOVIEW },
	/* array */
	{ "{\"sensor\":[\"t\"],\"value\":1}", IIOT_ENOSENSOR, NOVIEW },
	{ "{\"sensor\":\"t\",\"sensor\":1,\"value\":1}",
	    IIOT_ENOSENSOR, NOVIEW },
							/* last one bad */
	/* case */
	{ "{\"Sensor\":\"t\",\"value\":1}", IIOT_ENOSENSOR, NOVIEW },
	/* no value */
	{ "{\"sensor\":\"t\"}", IIOT_ENOVALUE, NOVIEW },
	/* string */
	{ "{\"sensor\":\"t\",\"value\":\"1\"}", IIOT_ENOVALUE, NOVIEW },
	/* null */
	{ "{\"sensor\":\"t\",\"value\":null}", IIOT_ENOVALUE, NOVIEW },
	/* array */
	{ "{\"sensor\":\"t\",\"value\":[1]}", IIOT_ENOVALUE, NOVIEW },
	/* object */
	{ "{\"sensor\":\"t\",\"value\":{}}", IIOT_ENOVALUE, NOVIEW },
	/* case */
	{ "{\"sensor\":\"t\",\"Value\":1}", IIOT_ENOVALUE, NOVIEW },
	/* overflow: infinite, it would be written as null */
	{ "{\"sensor\":\"t\",\"value\":2e308}", IIOT_ENOVALUE, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":-1e999}", IIOT_ENOVALUE, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":\"yesterday\"}",
	    IIOT_ETS, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":\"2026-02-30T00:00:00Z\"}",
	    IIOT_ETS, NOVIEW },					/* bad day */
	/* empty */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":\"\"}", IIOT_ETS, NOVIEW },
	/* < 0 */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":-1}", IIOT_ETS, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":-1795965465}",
	    IIOT_ETS, NOVIEW },
	/* inf */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1e400}", IIOT_ETS, NOVIEW },
	/* far */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":5e14}", IIOT_ETS, NOVIEW },
	/* object */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":{}}", IIOT_ETS, NOVIEW },
	/* array */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":[1]}", IIOT_ETS, NOVIEW },
	/* null */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":null}", IIOT_ETS, NOVIEW },
	/* bool */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":true}", IIOT_ETS, NOVIEW },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":\"bad\",\"x\":[1]}",
	    IIOT_ETS, NOVIEW },					/* nested */
};

/* Do two possibly NULL strings match? */
static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
same_num(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int
check_parse(struct iiot_rec *r, size_t i)
{
	const char *line = parse_cases[i].line;
	int rc;

	errno = 0;
	rc = iiot_rec_parse(r, line, strlen(line));
	if (parse_cases[i].err != 0) {
		if (rc != -1 || errno != parse_cases[i].err) {
			printf("# rc %d errno %d (%s)\n", rc, errno,
			    iiot_strerror(errno));
			return 0;
		}
		return 1;
	}
	if (rc != 0) {
		printf("# rc %d errno %d (%s)\n", rc, errno,
		    iiot_strerror(errno));
		return 0;
	}
	if (!same(r->sensor, parse_cases[i].sensor) ||
	    !same(r->source, parse_cases[i].source) ||
	    !same(r->unit, parse_cases[i].unit) ||
	    !same(r->quality, parse_cases[i].quality) ||
	    !same_num(r->value, parse_cases[i].value) ||
	    r->has_ts != (parse_cases[i].ts != NOTS) ||
	    (r->has_ts && r->ts != parse_cases[i].ts) ||
	    r->line != line || r->len != strlen(line) || r->dirty) {
		printf("# sensor '%s' source '%s' value %.17g ts %lld/%d\n",
		    r->sensor ? r->sensor : "(null)", r->source, r->value,
		    (long long)r->ts, r->has_ts);
		return 0;
	}
	/* The lookup through the tree agrees with the views. */
	if (!same(iiot_rec_str(r, "sensor"), r->sensor) ||
	    !same(iiot_rec_str(r, "unit"), r->unit)) {
		printf("# lookup disagrees with the views\n");
		return 0;
	}
	return 1;
}

/*
 * Changes to a record, then the JSON it writes.  key is a field, or for
 * PROJECT a comma-separated list.
 */
enum { SET_STR, SET_NUM, SET_VALUE, SET_TS, DEL, PROJECT };
#define R0 "{\"ts\":\"2026-11-29T15:17:45Z\",\"sensor\":\"t\",\"value\":1}"
#define R1 "{\"sensor\":\"t\",\"value\":1,\"unit\":\"C\"}"
#define R2 "{\"sensor\":\"t\",\"value\":1,\"x\":[1,{\"a\":null}]}"
#define TS0 "\"ts\":\"2026-11-29T15:17:45.000Z\""

static const struct {
	const char *in;		/* the record */
	int op;			/* the change */
	const char *key;	/* the field(s) */
	const char *str;	/* SET_STR: the string */
	double num;		/* SET_NUM, SET_VALUE, SET_TS: the number */
	int err;		/* errno, or 0 when it succeeds */
	const char *out;	/* the record written */
} edit_cases[] = {
	{ R1, SET_STR, "unit", "K", 0, 0,			/* in place */
	    "{\"sensor\":\"t\",\"value\":1,\"unit\":\"K\"}" },
	{ R1, SET_STR, "tag", "a\"\n", 0, 0,			/* appended */
	    "{\"sensor\":\"t\",\"value\":1,\"unit\":\"C\","
	    "\"tag\":\"a\\\"\\n\"}" },
	{ R1, SET_STR, "value", "x", 0, 0,			/* new type */
	    "{\"sensor\":\"t\",\"value\":\"x\",\"unit\":\"C\"}" },
	{ R2, SET_STR, "x", "flat", 0, 0,			/* unnests */
	    "{\"sensor\":\"t\",\"value\":1,\"x\":\"flat\"}" },
	{ R1, SET_NUM, "unit", NULL, 2.5, 0,			/* to number */
	    "{\"sensor\":\"t\",\"value\":1,\"unit\":2.5}" },
	{ R1, SET_NUM, "n", NULL, 0.1, 0,			/* appended */
	    "{\"sensor\":\"t\",\"value\":1,\"unit\":\"C\",\"n\":0.1}" },
	{ R1, SET_NUM, "n", NULL, NAN, 0,			/* NaN: null */
	    "{\"sensor\":\"t\",\"value\":1,\"unit\":\"C\",\"n\":null}" },
	{ R1, SET_VALUE, NULL, NULL, -7.25, 0,			/* value */
	    "{\"sensor\":\"t\",\"value\":-7.25,\"unit\":\"C\"}" },
	{ R1, SET_VALUE, NULL, NULL, 1e21, 0,			/* large */
	    "{\"sensor\":\"t\",\"value\":1e+21,\"unit\":\"C\"}" },
	{ R1, SET_TS, NULL, NULL, T0, 0,			/* ts first */
	    "{" TS0 ",\"sensor\":\"t\",\"value\":1,\"unit\":\"C\"}" },
	{ R0, SET_TS, NULL, NULL, T0 + 5, 0,			/* in place */
	    "{\"ts\":\"2026-11-29T15:17:45.005Z\",\"sensor\":\"t\","
	    "\"value\":1}" },
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1795965465}", SET_TS, NULL,
	    NULL, T0, 0,					/* stays put */
	    "{\"sensor\":\"t\",\"value\":1," TS0 "}" },
	{ R0, SET_STR, "unit", "C", 0, 0,			/* ts anew */
	    "{" TS0 ",\"sensor\":\"t\",\"value\":1,\"unit\":\"C\"}" },
	{ R1, DEL, "unit", NULL, 0, 0,				/* delete */
	    "{\"sensor\":\"t\",\"value\":1}" },
	{ R1, DEL, "sensor", NULL, 0, 0,			/* the first */
	    "{\"value\":1,\"unit\":\"C\"}" },
	{ R0, DEL, "ts", NULL, 0, 0,				/* the time */
	    "{\"sensor\":\"t\",\"value\":1}" },
	{ R1, DEL, "nope", NULL, 0, ENOENT, R1 },		/* absent */
	{ R2, DEL, "x", NULL, 0, 0,				/* nested */
	    "{\"sensor\":\"t\",\"value\":1}" },
	{ R1, PROJECT, "value,sensor", NULL, 0, 0,		/* reorder */
	    "{\"value\":1,\"sensor\":\"t\"}" },
	{ R0, PROJECT, "sensor,ts,nope", NULL, 0, 0,		/* missing */
	    "{\"sensor\":\"t\"," TS0 "}" },
	{ R1, PROJECT, "", NULL, 0, 0, "{}" },			/* nothing */
	{ R2, PROJECT, "x", NULL, 0, 0,				/* nested */
	    "{\"x\":[1,{\"a\":null}]}" },
	{ "{\"sensor\":\"a\",\"sensor\":\"b\",\"value\":1}", PROJECT,
	    "sensor,value", NULL, 0, 0,				/* dup keys */
	    "{\"sensor\":\"b\",\"value\":1}" },
	{ "{\"sensor\":\"t\",\"value\":1,\"unit\":\"a\",\"unit\":\"b\"}",
	    DEL, "unit", NULL, 0, 0,				/* dup keys */
	    "{\"sensor\":\"t\",\"value\":1,\"unit\":\"a\"}" },
	{ "{\"sensor\" : \"t\", \"value\" : 1e0}", SET_STR, "a", "b", 0, 0,
	    "{\"sensor\":\"t\",\"value\":1,\"a\":\"b\"}" },	/* rewritten */
};

static int
check_edit(struct iiot_rec *r, size_t i)
{
	struct iiot_buf b = IIOT_BUF_INIT, v = IIOT_BUF_INIT;
	const char *keys[8];
	char list[64], *p;
	size_t nk = 0;
	int rc = -1, ok;

	if (iiot_rec_parse(r, edit_cases[i].in, strlen(edit_cases[i].in)) <
	    0)
		return 0;
	errno = 0;
	switch (edit_cases[i].op) {
	case SET_STR:
		rc = iiot_rec_set_str(r, edit_cases[i].key, edit_cases[i].str);
		break;
	case SET_NUM:
		rc = iiot_rec_set_num(r, edit_cases[i].key, edit_cases[i].num);
		break;
	case SET_VALUE:
		rc = iiot_rec_set_value(r, edit_cases[i].num);
		break;
	case SET_TS:
		rc = iiot_rec_set_ts(r, (int64_t)edit_cases[i].num);
		break;
	case DEL:
		rc = iiot_rec_del(r, edit_cases[i].key);
		break;
	case PROJECT:
		snprintf(list, sizeof(list), "%s", edit_cases[i].key);
		for (p = list; *p != '\0' && nk < NELEM(keys); ) {
			keys[nk++] = p;
			p += strcspn(p, ",");
			if (*p == ',')
				*p++ = '\0';
		}
		rc = iiot_rec_project(r, keys, nk);
		break;
	}
	iiot_rec_format(r, &b);
	ok = (edit_cases[i].err == 0 ? rc == 0 : rc == -1 &&
	    errno == edit_cases[i].err) && strcmp(b.data,
	    edit_cases[i].out) == 0;
	/* The views follow the change. */
	if (ok && edit_cases[i].op != PROJECT && edit_cases[i].op != DEL)
		ok = same(iiot_rec_str(r, "unit"), r->unit) &&
		    same(iiot_rec_str(r, "sensor"), r->sensor);
	if (ok && (edit_cases[i].op == PROJECT || edit_cases[i].op == DEL))
		ok = same(iiot_rec_str(r, "unit"), r->unit) &&
		    same(iiot_rec_str(r, "sensor"), r->sensor != NULL &&
		    *r->sensor == '\0' ? NULL : r->sensor);
	if (ok && edit_cases[i].op == SET_VALUE)
		ok = same_num(r->value, edit_cases[i].num);
	if (ok && edit_cases[i].op == SET_TS)
		ok = r->ts == (int64_t)edit_cases[i].num && r->has_ts;
	if (!ok)
		printf("# rc %d errno %d: %s\n", rc, errno, b.data);
	iiot_buf_release(&b);
	iiot_buf_release(&v);
	return ok;
}

/* Unchanged records are written back byte for byte. */
static int
test_verbatim(struct iiot_rec *r)
{
	static const char *const lines[] = {
		"  {\"sensor\" : \"t\",\"value\":1.000e0 }  ",
		"{\"sensor\":\"t\\u0041\",\"value\":1,\"x\":[ 1 ,2 ]}",
		"{\"ts\":1795965465,\"sensor\":\"t\",\"value\":-0.0}",
	};
	struct iiot_buf b = IIOT_BUF_INIT;
	char path[] = "/tmp/rec_testXXXXXX", got[256];
	size_t i, n;
	FILE *f;
	int ok = 1, fd;

	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w+")) == NULL)
		return 0;
	unlink(path);
	for (i = 0; i < NELEM(lines); i++) {
		iiot_buf_reset(&b);
		if (iiot_rec_parse(r, lines[i], strlen(lines[i])) < 0 ||
		    iiot_rec_format(r, &b) < 0 ||
		    strcmp(b.data, lines[i]) != 0 ||
		    iiot_rec_write(r, f) < 0)
			ok = 0;
		/* Asking for a field builds the tree: still verbatim. */
		iiot_buf_reset(&b);
		if (iiot_rec_str(r, "zzz") != NULL ||
		    iiot_rec_format(r, &b) < 0 ||
		    strcmp(b.data, lines[i]) != 0)
			ok = 0;
	}
	rewind(f);
	for (i = 0; i < NELEM(lines); i++) {
		if (fgets(got, sizeof(got), f) == NULL)
			ok = 0;
		n = strlen(got);
		if (n == 0 || got[n - 1] != '\n' ||
		    strncmp(got, lines[i], n - 1) != 0)
			ok = 0;
	}
	fclose(f);
	iiot_buf_release(&b);
	return ok;
}

/* A record built from scratch: fields in order, the time first. */
static int
test_build(struct iiot_rec *r)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	int ok;

	ok = iiot_rec_clear(r) == 0 && r->dirty && r->line == NULL &&
	    iiot_rec_set_str(r, "source", "plc1") == 0 &&
	    iiot_rec_set_str(r, "sensor", "t1") == 0 &&
	    iiot_rec_set_value(r, 21.5) == 0 &&
	    iiot_rec_set_str(r, "unit", "degC") == 0 &&
	    iiot_rec_set_ts(r, T0) == 0 &&
	    iiot_rec_set_num(r, "raw", 4095) == 0 &&
	    iiot_rec_format(r, &b) == 0;
	ok = ok && strcmp(b.data, "{" TS0 ",\"source\":\"plc1\","
	    "\"sensor\":\"t1\",\"value\":21.5,\"unit\":\"degC\","
	    "\"raw\":4095}") == 0;
	ok = ok && strcmp(r->sensor, "t1") == 0 &&
	    strcmp(r->source, "plc1") == 0 && r->value == 21.5 &&
	    strcmp(r->unit, "degC") == 0 && r->ts == T0 && r->has_ts;
	/* Written with a newline. */
	{
		char *text = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&text, &size);

		if (f == NULL)
			return 0;
		ok = ok && iiot_rec_write(r, f) == 0;
		ok = fclose(f) == 0 && ok && size == b.len + 1 &&
		    strncmp(text, b.data, b.len) == 0 && text[b.len] == '\n';
		free(text);
	}
	/* Cleared again, it is empty, and reads back as written. */
	iiot_buf_reset(&b);
	ok = ok && iiot_rec_clear(r) == 0 && iiot_rec_format(r, &b) == 0 &&
	    strcmp(b.data, "{}") == 0 && !r->has_ts &&
	    strcmp(r->sensor, "") == 0 && r->unit == NULL;
	iiot_buf_release(&b);
	return ok;
}

/* A copy keeps every field and view, and outlives its source. */
static int
test_copy(struct iiot_rec *r)
{
	static const char line[] = "{\"ts\":\"2026-11-29T15:17:45.5Z\","
	    "\"source\":\"s\",\"sensor\":\"t\",\"value\":0.1,\"unit\":\"u\","
	    "\"quality\":\"q\",\"x\":[1,{\"y\":\"z\"}]}";
	struct iiot_buf a = IIOT_BUF_INIT, b = IIOT_BUF_INIT;
	struct iiot_rec c;
	char *dup = strdup(line);
	int ok;

	if (dup == NULL || iiot_rec_init(&c) < 0)
		return 0;
	ok = iiot_rec_parse(r, dup, strlen(dup)) == 0 &&
	    iiot_rec_copy(&c, r) == 0;
	/* Destroy the source's text and record. */
	memset(dup, 'x', strlen(dup));
	iiot_rec_clear(r);
	ok = ok && strcmp(c.sensor, "t") == 0 && strcmp(c.source, "s") == 0 &&
	    strcmp(c.unit, "u") == 0 && strcmp(c.quality, "q") == 0 &&
	    c.value == 0.1 && c.ts == T0 + 500 && c.has_ts && !c.dirty &&
	    iiot_rec_format(&c, &a) == 0 && strcmp(a.data, line) == 0;
	/* A changed record copies as changed. */
	ok = ok && iiot_rec_parse(r, line, strlen(line)) == 0 &&
	    iiot_rec_set_value(r, 2) == 0 && iiot_rec_set_ts(r, T0) == 0 &&
	    iiot_rec_copy(&c, r) == 0 && c.value == 2 && c.ts == T0 &&
	    iiot_rec_format(r, &b) == 0 && (iiot_buf_reset(&a), 1) &&
	    iiot_rec_format(&c, &a) == 0 && strcmp(a.data, b.data) == 0;
	/* A copy without a time keeps the source's. */
	ok = ok && iiot_rec_parse(r, line + 55, strlen(line + 55)) < 0 &&
	    iiot_rec_parse(r, R1, strlen(R1)) == 0 &&
	    iiot_rec_copy(&c, r) == 0 && !c.has_ts && c.ts == r->ts;
	iiot_rec_release(&c);
	iiot_buf_release(&a);
	iiot_buf_release(&b);
	free(dup);
	return ok;
}

/* Iteration gives every field in order, with its type. */
static int
test_fields(struct iiot_rec *r)
{
	static const char line[] = "{\"ts\":1795965465,\"sensor\":\"t\","
	    "\"value\":true,\"n\":-2.5,\"z\":null,\"a\":[1],\"o\":{}}";
	static const struct {
		const char *key;
		int type;
		const char *str;
		double num;
	} want[] = {
		{ "ts", IIOT_F_STR, "2026-11-29T15:17:45.000Z", 0 },
		{ "sensor", IIOT_F_STR, "t", 0 },
		{ "value", IIOT_F_BOOL, NULL, 1 },
		{ "n", IIOT_F_NUM, NULL, -2.5 },
		{ "z", IIOT_F_NULL, NULL, 0 },
		{ "a", IIOT_F_OTHER, NULL, 0 },
		{ "o", IIOT_F_OTHER, NULL, 0 },
	};
	struct iiot_field f;
	void *it = NULL;
	size_t i = 0;
	double d;

	if (iiot_rec_parse(r, line, strlen(line)) < 0)
		return 0;
	while (iiot_rec_next_field(r, &it, &f)) {
		if (i >= NELEM(want) || strcmp(f.key, want[i].key) != 0 ||
		    f.type != want[i].type || !same(f.str, want[i].str) ||
		    f.num != want[i].num)
			return 0;
		i++;
	}
	/* Lookups by type. */
	return i == NELEM(want) && iiot_rec_num(r, "value", &d) == 0 &&
	    d == 1 && iiot_rec_num(r, "n", &d) == 0 && d == -2.5 &&
	    iiot_rec_num(r, "sensor", &d) < 0 &&
	    iiot_rec_num(r, "z", &d) < 0 && iiot_rec_num(r, "no", &d) < 0 &&
	    iiot_rec_str(r, "n") == NULL && iiot_rec_str(r, "a") == NULL &&
	    strcmp(iiot_rec_str(r, "sensor"), "t") == 0;
}

/* The JSON text of single fields, nested or not. */
static int
test_field_json(struct iiot_rec *r)
{
	static const char line[] = "{\"sensor\":\"t\\n\",\"value\":0.5,"
	    "\"ts\":1795965465,\"x\":[1,\"a\",{\"b\":[true,null]},[]],"
	    "\"o\":{\"k\":{\"l\":-1e-7}}}";
	static const struct {
		const char *key;
		const char *json;
	} want[] = {
		{ "sensor", "\"t\\n\"" },
		{ "value", "0.5" },
		{ "ts", "\"2026-11-29T15:17:45.000Z\"" },
		{ "x", "[1,\"a\",{\"b\":[true,null]},[]]" },
		{ "o", "{\"k\":{\"l\":-1e-07}}" },
	};
	struct iiot_buf b = IIOT_BUF_INIT;
	size_t i;
	int ok;

	ok = iiot_rec_parse(r, line, strlen(line)) == 0;
	for (i = 0; ok && i < NELEM(want); i++) {
		iiot_buf_reset(&b);
		ok = iiot_rec_field_json(r, want[i].key, &b) == 0 &&
		    strcmp(b.data, want[i].json) == 0;
		if (!ok)
			printf("# %s: %s\n", want[i].key, b.data);
	}
	errno = 0;
	ok = ok && iiot_rec_field_json(r, "missing", &b) == -1 &&
	    errno == ENOENT;
	iiot_buf_release(&b);
	return ok;
}

/* A random number in JSON, in the forms a device may write. */
static void
rand_number(char *buf, size_t n)
{
	static const char *const fixed[] = {
		"0", "-0", "1e300", "0.1e-30", "12345678901234567890",
		"9007199254740993", "1.7976931348623157e308", "5e-324",
		"0.1", "-0.0", "1E+2", "123456789012345.6", "1e22", "1e23",
		"3.0000000000000004", "4.35", "0.000001", "100e-2",
	};
	unsigned long long m;
	int k = (int)(random() % 6);

	m = (unsigned long long)random() << 31 |
	    (unsigned long long)random();
	switch (k) {
	case 0:
		snprintf(buf, n, "%s", fixed[random() % NELEM(fixed)]);
		break;
	case 1:
		snprintf(buf, n, "%lld", (long long)(m % 100000) - 50000);
		break;
	case 2:
		snprintf(buf, n, "%s%llu.%0*llu", random() % 2 ? "-" : "",
		    m % 1000, (int)(random() % 19 + 1),
		    (unsigned long long)random());
		break;
	case 3:
		snprintf(buf, n, "%llu.%llue%s%d", m % 100, m % 97,
		    random() % 2 ? "-" : "+", (int)(random() % 40));
		break;
	case 4:
		snprintf(buf, n, "%.*g", (int)(random() % 17 + 1),
		    (double)m / (double)(random() + 1));
		break;
	default:
		snprintf(buf, n, "%llu", m);
		break;
	}
}

/* Random printable text, sometimes needing escapes or UTF-8. */
static void
rand_text(char *buf, size_t n)
{
	static const char *const bits[] = {
		"a", "b", "7", "_", "/", " ", "\\\"", "\\\\", "\\n", "\\u00e9",
		"\xc3\xa9", "\xe2\x82\xac", "-", "\\/", "\\t", "ab",
	};
	size_t len = 0;
	int k = (int)(random() % 8);

	buf[0] = '\0';
	while (k-- > 0 && len + 8 < n) {
		len += (size_t)snprintf(buf + len, n - len, "%s",
		    bits[random() % (random() % 3 ? 6 : NELEM(bits))]);
	}
}

/* Random JSON blanks. */
static const char *
ws(void)
{
	static const char *const w[] = { "", "", "", "", " ", "\t", "\r\n" };

	return w[random() % NELEM(w)];
}

/*
 * Parse a few thousand random records as they are (the fast path, when
 * flat) and with a nested field added (cJSON): the views must agree,
 * and the value must be strtod's.
 */
static int
test_fast_vs_cjson(void)
{
	static const char *const keys[] = {
		"sensor", "source", "unit", "quality", "value", "ts", "tag",
		"n", "b", "z",
	};
	char rec[2][1024], val[80], txt[64], last_val[80];
	struct iiot_buf out = IIOT_BUF_INIT;
	struct iiot_rec r[2];
	size_t len[2], k;
	int i, j, nf, rc[2], e[2], at, bad = 0, nok = 0;
	double want;

	iiot_rec_init(&r[0]);
	iiot_rec_init(&r[1]);
	srandom(3);
	for (i = 0; i < 5000 && bad < 5; i++) {
		nf = (int)(random() % 8) + 2;
		at = (int)(random() % nf);
		len[0] = len[1] = 0;
		last_val[0] = '\0';
		for (j = 0; j < 2; j++)
			len[j] += (size_t)snprintf(rec[j] + len[j],
			    sizeof(rec[j]) - len[j], "%s{%s", ws(), ws());
		for (j = 0; j < nf; j++) {
			/* sensor and value are likely, in any order. */
			k = j == 0 && random() % 8 ? 0 : j == 1 &&
			    random() % 8 ? 4 : (size_t)random() % NELEM(keys);
			switch (k) {
			case 4:
				if (random() % 10 == 0) {
					snprintf(val, sizeof(val), "%s",
					    random() % 2 ? "true" : "false");
				} else {
					rand_number(val, sizeof(val));
				}
				snprintf(last_val, sizeof(last_val), "%s",
				    val);
				break;
			case 5:
				if (random() % 2) {
					snprintf(val, sizeof(val),
					    "%lld.%03d", 1795965465LL +
					    random() % 100000000,
					    (int)(random() % 1000));
				} else if (random() % 2) {
					iiot_time_format(random() *
					    (int64_t)1000 + random() % 1000,
					    txt);
					snprintf(val, sizeof(val), "\"%s\"",
					    txt);
				} else {
					rand_number(val, sizeof(val));
				}
				break;
			case 7:
				rand_number(val, sizeof(val));
				break;
			case 8:
				snprintf(val, sizeof(val), "%s",
				    random() % 2 ? "true" : "null");
				break;
			default:
				rand_text(txt, sizeof(txt));
				snprintf(val, sizeof(val), "\"%s\"", txt);
				break;
			}
			len[0] += (size_t)snprintf(rec[0] + len[0],
			    sizeof(rec[0]) - len[0], "%s\"%s\"%s:%s%s%s",
			    j ? "," : "", keys[k], ws(), ws(), val, ws());
			if (j == at)
				len[1] += (size_t)snprintf(rec[1] + len[1],
				    sizeof(rec[1]) - len[1], "%s\"x\":[1],",
				    j ? "," : "");
			len[1] += (size_t)snprintf(rec[1] + len[1],
			    sizeof(rec[1]) - len[1], "%s\"%s\"%s:%s%s%s",
			    j && j != at ? "," : "", keys[k], ws(), ws(), val,
			    ws());
		}
		for (j = 0; j < 2; j++) {
			len[j] += (size_t)snprintf(rec[j] + len[j],
			    sizeof(rec[j]) - len[j], "}%s", ws());
			errno = 0;
			rc[j] = iiot_rec_parse(&r[j], rec[j], len[j]);
			e[j] = rc[j] < 0 ? errno : 0;
		}
		if (rc[0] != rc[1] || e[0] != e[1] || (rc[0] == 0 &&
		    (!same(r[0].sensor, r[1].sensor) ||
		    !same(r[0].source, r[1].source) ||
		    !same(r[0].unit, r[1].unit) ||
		    !same(r[0].quality, r[1].quality) ||
		    !same_num(r[0].value, r[1].value) ||
		    r[0].has_ts != r[1].has_ts ||
		    (r[0].has_ts && r[0].ts != r[1].ts)))) {
			printf("# %s\n# %s\n# rc %d/%d errno %d/%d\n", rec[0],
			    rec[1], rc[0], rc[1], e[0], e[1]);
			bad++;
			continue;
		}
		/* Changed, written and read again, it says the same. */
		if (rc[0] == 0) {
			nok++;
			iiot_buf_reset(&out);
			if (iiot_rec_set_str(&r[0], "zz", "1") < 0 ||
			    iiot_rec_format(&r[0], &out) < 0 ||
			    iiot_rec_parse(&r[1], out.data, out.len) < 0 ||
			    !same(r[0].sensor, r[1].sensor) ||
			    !same(r[0].source, r[1].source) ||
			    !same(r[0].unit, r[1].unit) ||
			    !same(r[0].quality, r[1].quality) ||
			    r[0].value != r[1].value ||
			    r[0].has_ts != r[1].has_ts ||
			    (r[0].has_ts && r[0].ts != r[1].ts)) {
				printf("# %s\n# written as %s\n", rec[0],
				    out.data);
				bad++;
			}
		}
		if (rc[0] == 0 && last_val[0] != '\0') {
			want = last_val[0] == 't' ? 1 : last_val[0] == 'f' ?
			    0 : strtod(last_val, NULL);
			if (!same_num(r[0].value, want)) {
				printf("# %s: %.17g not %.17g\n", rec[0],
				    r[0].value, want);
				bad++;
			}
		}
	}
	printf("# %d of %d random records parsed\n", nok, i);
	iiot_rec_release(&r[0]);
	iiot_rec_release(&r[1]);
	iiot_buf_release(&out);
	return bad == 0;
}

/* A TAP description: the record with control characters escaped. */
static const char *
describe(char *buf, size_t n, const char *what, const char *s)
{
	size_t len = (size_t)snprintf(buf, n, "%s: ", what);

	for (; *s != '\0' && len + 5 < n; s++) {
		if ((unsigned char)*s < 0x20)
			len += (size_t)snprintf(buf + len, n - len, "\\x%02x",
			    (unsigned char)*s);
		else
			buf[len++] = *s;
	}
	buf[len < n ? len : n - 1] = '\0';
	return buf;
}

int
main(void)
{
	char desc[160];
	struct iiot_rec r;
	size_t i;

	tap_plan((int)(NELEM(parse_cases) + NELEM(edit_cases)) + 7);
	if (iiot_rec_init(&r) < 0)
		return 1;
	for (i = 0; i < NELEM(parse_cases); i++) {
		tap_ok(check_parse(&r, i), describe(desc, sizeof(desc),
		    "parse", parse_cases[i].line));
	}
	for (i = 0; i < NELEM(edit_cases); i++) {
		snprintf(desc, sizeof(desc), "edit %d %s: %s",
		    edit_cases[i].op, edit_cases[i].key ? edit_cases[i].key :
		    "", edit_cases[i].in);
		tap_ok(check_edit(&r, i), desc);
	}
	tap_ok(test_verbatim(&r), "format: unchanged records byte for byte");
	tap_ok(test_build(&r), "build: insertion order, ts first");
	tap_ok(test_copy(&r), "copy: every field, owned by the copy");
	tap_ok(test_fields(&r), "fields: iteration in order with types");
	tap_ok(test_field_json(&r), "field json: nested values");
	tap_ok(test_fast_vs_cjson(), "fast path and cJSON agree: random");
	tap_ok(iiot_utf8_valid("", 0) && iiot_utf8_valid("\xf4\x8f\xbf\xbf",
	    4) && !iiot_utf8_valid("\xf5\x80\x80\x80", 4) &&
	    iiot_utf8_valid("a\0b", 3), "utf8: edges");
	iiot_rec_release(&r);
	return tap_status();
}
