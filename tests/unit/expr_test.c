/* SPDX-License-Identifier: MIT */
/* expr_test.c: unit tests for the filter expression language. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_expr.h"
#include "tap.h"

#define NUL IIOT_V_NULL
#define NUM IIOT_V_NUM
#define STR IIOT_V_STR
#define ERR (-1)		/* the expression must not compile */

/*
 * The record every case is evaluated against.  raw is "temp7" without a
 * NUL after it, and nul holds a NUL byte, to show that strings are
 * handled as bytes and a length.  Any other field is absent, so null.
 */
static const char rawbuf[] = "temp7XYZ";
static const struct {
	const char *name;
	struct iiot_val v;
} env[] = {
	{ "value", { NUM, 42.5, NULL, 0 } },
	{ "ts", { NUM, 1700000000, NULL, 0 } },
	{ "zero", { NUM, 0, NULL, 0 } },
	{ "sensor", { STR, 0, "temp7", 5 } },
	{ "source", { STR, 0, "plc1/line2", 10 } },
	{ "unit", { STR, 0, "degC", 4 } },
	{ "quality", { STR, 0, "good", 4 } },
	{ "empty", { STR, 0, "", 0 } },
	{ "raw", { STR, 0, rawbuf, 5 } },
	{ "nul", { STR, 0, "a\0b", 3 } },
};

static const struct {
	const char *src;	/* the expression */
	int type;		/* the result's type, or ERR */
	double num;		/* the number it gives */
	const char *str;	/* the string it gives, or the error message */
} cases[] = {
	/* Literals. */
	{ "40", NUM, 40, NULL },			/* integer */
	{ "-1.5e3", NUM, -1500, NULL },			/* sign, exponent */
	{ ".5", NUM, 0.5, NULL },			/* leading point */
	{ "2.", NUM, 2, NULL },				/* trailing point */
	{ "1E+2", NUM, 100, NULL },			/* E and + */
	{ "25e-1", NUM, 2.5, NULL },			/* negative exponent */
	{ "\"temp\"", STR, 0, "temp" },			/* double quotes */
	{ "'single'", STR, 0, "single" },		/* single quotes */
	{ "\"\"", STR, 0, "" },				/* empty string */
	{ "\"a\\\"b\\'c\\\\d\\ne\\tf\"", STR, 0,	/* every escape */
	    "a\"b'c\\d\ne\tf" },
	{ "'it\\'s'", STR, 0, "it's" },			/* \' in '' */
	{ "\"say 'hi'\"", STR, 0, "say 'hi'" },		/* ' in "" */
	{ "true", NUM, 1, NULL },			/* true is 1 */
	{ "false", NUM, 0, NULL },			/* false is 0 */
	{ "null", NUL, 0, NULL },			/* null */

	/* Identifiers. */
	{ "value", NUM, 42.5, NULL },			/* a number field */
	{ "sensor", STR, 0, "temp7" },			/* a string field */
	{ "missing", NUL, 0, NULL },			/* absent is null */
	{ "Value", NUL, 0, NULL },			/* case matters */
	{ "_x1", NUL, 0, NULL },			/* _ and digits */
	{ "notvalue", NUL, 0, NULL },			/* not a keyword */
	{ "raw", STR, 0, "temp7" },			/* no NUL needed */
	{ " \tvalue\n>\r40 ", NUM, 1, NULL },		/* all blanks */

	/* Arithmetic and its precedence. */
	{ "1 + 2 * 3", NUM, 7, NULL },			/* * over + */
	{ "(1 + 2) * 3", NUM, 9, NULL },		/* parentheses */
	{ "10 - 4 - 3", NUM, 3, NULL },			/* left assoc - */
	{ "8 / 2 / 2", NUM, 2, NULL },			/* left assoc / */
	{ "2 * 3 % 4", NUM, 2, NULL },			/* * % same level */
	{ "1 + 7 % 4 * 2", NUM, 7, NULL },		/* (7%4)*2 */
	{ "-2 * 3", NUM, -6, NULL },			/* unary - first */
	{ "- -2", NUM, 2, NULL },			/* double minus */
	{ "--2", NUM, 2, NULL },			/* also */
	{ "value * 2", NUM, 85, NULL },			/* field * */
	{ "value - -1", NUM, 43.5, NULL },		/* binary, unary */
	{ "-value", NUM, -42.5, NULL },			/* negate field */
	{ "value + ts - ts", NUM, 42.5, NULL },		/* two fields */
	{ "value / 4", NUM, 10.625, NULL },		/* division */
	{ "value / zero", NUL, 0, NULL },		/* x / 0 */
	{ "1 / 0", NUL, 0, NULL },			/* folded x / 0 */
	{ "0 / 0", NUL, 0, NULL },			/* 0 / 0 */
	{ "7 % 3", NUM, 1, NULL },			/* modulo */
	{ "-7 % 3", NUM, -1, NULL },			/* dividend sign */
	{ "7 % -3", NUM, 1, NULL },			/* as jq */
	{ "5.5 % 2", NUM, 1, NULL },			/* truncates */
	{ "value % 5", NUM, 2, NULL },			/* 42 % 5 */
	{ "7 % 0.5", NUL, 0, NULL },			/* divisor 0 */
	{ "value % zero", NUL, 0, NULL },		/* divisor 0 */
	{ "1e300 * 1e300 - 1e300 * 1e300", NUL, 0, NULL }, /* NaN */
	{ "\"a\" + 1", NUL, 0, NULL },			/* string + */
	{ "sensor * 2", NUL, 0, NULL },			/* string * */
	{ "missing + 1", NUL, 0, NULL },		/* null + */
	{ "-sensor", NUL, 0, NULL },			/* - string */
	{ "-missing", NUL, 0, NULL },			/* - null */
	{ "-'x'", NUL, 0, NULL },			/* folded - string */

	/* Numeric comparisons. */
	{ "value > 40", NUM, 1, NULL },			/* > */
	{ "value > 42.5", NUM, 0, NULL },		/* > equal */
	{ "value >= 42.5", NUM, 1, NULL },		/* >= */
	{ "value < 42.5", NUM, 0, NULL },		/* < */
	{ "value <= 42.5", NUM, 1, NULL },		/* <= */
	{ "value == 42.5", NUM, 1, NULL },		/* == */
	{ "value != 42.5", NUM, 0, NULL },		/* != */
	{ "value>-40", NUM, 1, NULL },			/* no blanks */
	{ "40 < value", NUM, 1, NULL },			/* constant left */
	{ "43 <= value", NUM, 0, NULL },		/* constant left */
	{ "42.5 == value", NUM, 1, NULL },		/* constant left */
	{ "ts > value", NUM, 1, NULL },			/* two fields */
	{ "value * 2 == 85", NUM, 1, NULL },		/* + over == */
	{ "1 < 2", NUM, 1, NULL },			/* folded */
	{ "true == 1", NUM, 1, NULL },			/* true is 1 */
	{ "-value < -40", NUM, 1, NULL },		/* negatives */

	/* String comparisons: bytewise, then length. */
	{ "sensor == \"temp7\"", NUM, 1, NULL },	/* == */
	{ "sensor != \"temp7\"", NUM, 0, NULL },	/* != */
	{ "sensor == \"temp\"", NUM, 0, NULL },		/* prefix */
	{ "sensor < \"temp8\"", NUM, 1, NULL },		/* < */
	{ "\"temp\" < sensor", NUM, 1, NULL },		/* shorter less */
	{ "sensor <= 'temp7'", NUM, 1, NULL },		/* <= */
	{ "sensor >= 'temp7'", NUM, 1, NULL },		/* >= */
	{ "\"b\" > \"abc\"", NUM, 1, NULL },		/* bytes first */
	{ "\"10\" < \"9\"", NUM, 1, NULL },		/* not numeric */
	{ "\"\" < \"a\"", NUM, 1, NULL },		/* empty least */
	{ "empty == \"\"", NUM, 1, NULL },		/* empty equal */
	{ "raw == sensor", NUM, 1, NULL },		/* no NUL in raw */
	{ "raw < \"temp7X\"", NUM, 1, NULL },		/* raw is short */
	{ "nul > \"a\"", NUM, 1, NULL },		/* NUL is a byte */
	{ "nul < \"ab\"", NUM, 1, NULL },		/* 0 < 'b' */
	{ "nul == \"a\"", NUM, 0, NULL },		/* not a C string */

	/* Null and mixed types. */
	{ "missing == null", NUM, 1, NULL },		/* absent is null */
	{ "null == null", NUM, 1, NULL },		/* null == null */
	{ "null != null", NUM, 0, NULL },		/* null != null */
	{ "missing != null", NUM, 0, NULL },		/* null != null */
	{ "null <= null", NUM, 0, NULL },		/* no order */
	{ "null >= null", NUM, 0, NULL },		/* no order */
	{ "missing < 1", NUM, 0, NULL },		/* null < num */
	{ "missing > 1", NUM, 0, NULL },		/* null > num */
	{ "missing == 0", NUM, 0, NULL },		/* null is not 0 */
	{ "missing != 0", NUM, 1, NULL },		/* != is true */
	{ "missing == \"\"", NUM, 0, NULL },		/* null is not "" */
	{ "value == null", NUM, 0, NULL },		/* num vs null */
	{ "value != null", NUM, 1, NULL },		/* num vs null */
	{ "value == \"42.5\"", NUM, 0, NULL },		/* num vs str */
	{ "value != \"42.5\"", NUM, 1, NULL },		/* num vs str */
	{ "sensor > 1", NUM, 0, NULL },			/* str vs num */
	{ "sensor < 1", NUM, 0, NULL },			/* str vs num */
	{ "1 <= \"1\"", NUM, 0, NULL },			/* folded mixed */
	{ "1 != \"1\"", NUM, 1, NULL },			/* folded mixed */

	/* Glob matching. */
	{ "sensor ~ \"temp*\"", NUM, 1, NULL },		/* * */
	{ "sensor ~ \"temp?\"", NUM, 1, NULL },		/* ? */
	{ "sensor ~ \"temp??\"", NUM, 0, NULL },	/* ? needs a byte */
	{ "sensor ~ \"temp\"", NUM, 0, NULL },		/* whole string */
	{ "sensor ~ \"*7\"", NUM, 1, NULL },		/* leading * */
	{ "sensor ~ \"*e*p*\"", NUM, 1, NULL },		/* several * */
	{ "sensor ~ \"t[a-f]mp[0-9]\"", NUM, 1, NULL },	/* ranges */
	{ "sensor ~ \"t[!e]mp7\"", NUM, 0, NULL },	/* [!] */
	{ "sensor ~ \"t[^a]mp7\"", NUM, 1, NULL },	/* [^] */
	{ "sensor ~ \"[[:alpha:]]*[[:digit:]]\"", NUM, 1, NULL }, /* classes */
	{ "sensor ~ \"[[:bogus:]]*\"", NUM, 0, NULL },	/* bad class */
	{ "\"]\" ~ \"[]]\"", NUM, 1, NULL },		/* ] first */
	{ "\"-\" ~ \"[a-]\"", NUM, 1, NULL },		/* - last */
	{ "\"[x\" ~ \"[x\"", NUM, 1, NULL },		/* unclosed [ */
	{ "\"a*b\" ~ \"a\\\\*b\"", NUM, 1, NULL },	/* \* literal */
	{ "\"axb\" ~ \"a\\\\*b\"", NUM, 0, NULL },	/* \* literal */
	{ "\"a\\\\\" ~ \"a\\\\\"", NUM, 0, NULL },	/* trailing \ */
	{ "source ~ \"plc1*\"", NUM, 1, NULL },		/* * matches / */
	{ "source ~ \"*line?\"", NUM, 1, NULL },	/* * then ? */
	{ "\"\" ~ \"*\"", NUM, 1, NULL },		/* * matches "" */
	{ "\"\" ~ \"?\"", NUM, 0, NULL },		/* ? does not */
	{ "raw ~ \"temp7\"", NUM, 1, NULL },		/* no NUL in raw */
	{ "raw ~ \"temp7?*\"", NUM, 0, NULL },		/* stops at len */
	{ "nul ~ \"a?b\"", NUM, 1, NULL },		/* ? matches NUL */
	{ "sensor ~ sensor", NUM, 1, NULL },		/* field pattern */
	{ "sensor !~ \"hum*\"", NUM, 1, NULL },		/* !~ */
	{ "sensor !~ \"temp*\"", NUM, 0, NULL },	/* !~ */
	{ "value ~ \"4*\"", NUM, 0, NULL },		/* number: false */
	{ "value !~ \"4*\"", NUM, 1, NULL },		/* !~ negates */
	{ "missing ~ \"*\"", NUM, 0, NULL },		/* null: false */
	{ "missing !~ \"*\"", NUM, 1, NULL },		/* !~ negates */
	{ "sensor ~ 1", NUM, 0, NULL },			/* number pattern */
	{ "\"temp7\" ~ sensor", NUM, 1, NULL },		/* constant left */

	/* Logic, truthiness and precedence. */
	{ "!value", NUM, 0, NULL },			/* number true */
	{ "!zero", NUM, 1, NULL },			/* 0 false */
	{ "!missing", NUM, 1, NULL },			/* null false */
	{ "!empty", NUM, 1, NULL },			/* "" false */
	{ "!!sensor", NUM, 1, NULL },			/* str true */
	{ "not 0", NUM, 1, NULL },			/* not */
	{ "!value == 42.5", NUM, 0, NULL },		/* !(value == ..) */
	{ "not value > 50", NUM, 1, NULL },		/* not (..) */
	{ "value > 40 && sensor == \"temp7\"", NUM, 1, NULL }, /* && */
	{ "value > 50 && sensor == \"temp7\"", NUM, 0, NULL }, /* && */
	{ "value > 50 || sensor == \"temp7\"", NUM, 1, NULL }, /* || */
	{ "value > 50 || sensor == \"hum\"", NUM, 0, NULL },   /* || */
	{ "1 || 0 && 0", NUM, 1, NULL },		/* && over || */
	{ "(1 || 0) && 0", NUM, 0, NULL },		/* parentheses */
	{ "0 && 1 || 1", NUM, 1, NULL },		/* && over || */
	{ "true and false or true", NUM, 1, NULL },	/* words */
	{ "value > 40 and not (sensor ~ \"hum*\")", NUM, 1, NULL },
	{ "sensor and value", NUM, 1, NULL },		/* gives 1 */
	{ "value || 0", NUM, 1, NULL },			/* gives 1 */
	{ "0 || value", NUM, 1, NULL },			/* gives 1 */
	{ "0 || missing", NUM, 0, NULL },		/* gives 0 */
	{ "missing or zero", NUM, 0, NULL },		/* or */
	{ "empty || sensor", NUM, 1, NULL },		/* strings */
	{ "\"x\" && \"\"", NUM, 0, NULL },		/* strings */
	{ "1 && 2 && 3", NUM, 1, NULL },		/* chain */
	{ "0 || 0 || 5", NUM, 1, NULL },		/* chain */
	{ "1 && 2 && 0", NUM, 0, NULL },		/* chain */
	{ "missing && missing + 1", NUM, 0, NULL },	/* short circuit */
	{ "(1 || missing) + 1", NUM, 2, NULL },		/* JT leaves 1 */
	{ "(0 && 1) + 1", NUM, 1, NULL },		/* JF leaves 0 */
	{ "(value > 40) == 1", NUM, 1, NULL },		/* bool is 1 */
	{ "value > 40 && (sensor ~ \"hum*\" || sensor ~ \"temp*\")",
	    NUM, 1, NULL },				/* nested chains */
	{ "value > 40 && ts > 1600000000 && quality == \"good\" && "
	    "unit == \"degC\"", NUM, 1, NULL },		/* long chain */
	{ "((((value))))", NUM, 42.5, NULL },		/* parentheses */

	/* Syntax errors and their columns. */
	{ "", ERR, 0,					/* empty */
	    "column 1: expected a value, found end of expression" },
	{ "value >", ERR, 0,				/* no operand */
	    "column 8: expected a value, found end of expression" },
	{ "value > 40 x", ERR, 0,			/* trailing word */
	    "column 12: unexpected 'x'" },
	{ "value > 40)", ERR, 0,			/* extra ) */
	    "column 11: unexpected ')'" },
	{ "(value > 40", ERR, 0,			/* missing ) */
	    "column 12: expected ')' for the '(' at column 1, "
	    "found end of expression" },
	{ "()", ERR, 0,					/* empty () */
	    "column 2: expected a value, found ')'" },
	{ "* 2", ERR, 0,				/* no left side */
	    "column 1: expected a value, found '*'" },
	{ "a and", ERR, 0,				/* no right side */
	    "column 6: expected a value, found end of expression" },
	{ "a > 1 and or 1", ERR, 0,			/* two operators */
	    "column 11: expected a value, found 'or'" },
	{ "a == !b", ERR, 0,				/* ! is low */
	    "column 6: expected a value, found '!'" },
	{ "\"abc", ERR, 0,				/* unterminated */
	    "column 1: unterminated string" },
	{ "x == 'ab\\", ERR, 0,				/* \ at the end */
	    "column 6: unterminated string" },
	{ "x == \"ab\\q\"", ERR, 0,			/* bad escape */
	    "column 9: unknown escape '\\q'" },
	{ "a < b < c", ERR, 0,				/* chained */
	    "column 7: comparisons do not chain; use '&&' or parentheses" },
	{ "a ~ 'x' ~ 'y'", ERR, 0,			/* chained ~ */
	    "column 9: comparisons do not chain; use '&&' or parentheses" },
	{ "value > 40 == 1", ERR, 0,			/* chained */
	    "column 12: comparisons do not chain; use '&&' or parentheses" },
	{ "a = 1", ERR, 0,				/* = for == */
	    "column 3: unexpected '='; did you mean '=='?" },
	{ "a & b", ERR, 0,				/* & for && */
	    "column 3: unexpected '&'; did you mean '&&'?" },
	{ "a | b", ERR, 0,				/* | for || */
	    "column 3: unexpected '|'; did you mean '||'?" },
	{ "a # b", ERR, 0,				/* stray char */
	    "column 3: unexpected character '#'" },
	{ "a \001", ERR, 0,				/* control byte */
	    "column 3: unexpected byte 0x01" },
	{ "a == \xc3\xa9", ERR, 0,			/* UTF-8 */
	    "column 6: unexpected byte 0xc3" },
	{ "1e", ERR, 0,					/* no exponent */
	    "column 1: malformed number '1e'" },
	{ "x > 1e+", ERR, 0,				/* no exponent */
	    "column 5: malformed number '1e+'" },
	{ "1.2.3", ERR, 0,				/* two points */
	    "column 1: malformed number '1.2.3'" },
	{ "12abc", ERR, 0,				/* letters */
	    "column 1: malformed number '12abc'" },
	{ "0x10", ERR, 0,				/* no hex */
	    "column 1: malformed number '0x10'" },
	{ "value>40and 1", ERR, 0,			/* needs a blank */
	    "column 7: malformed number '40and'" },
	{ "1e999", ERR, 0,				/* overflow */
	    "column 1: number out of range '1e999'" },
	{ "1 abcdefghijklmnopqrstuvwxyz0123", ERR, 0,	/* long token */
	    "column 3: unexpected 'abcdefghijklmnopqrstuvwx...'" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define NEXTRA 9		/* the tests after the table */

/* Fill vars with the fields of env that e uses; the rest are null. */
static void
bind(const struct iiot_expr *e, struct iiot_val *vars)
{
	size_t i, j;

	for (i = 0; i < iiot_expr_nvars(e); i++) {
		memset(&vars[i], 0, sizeof(vars[i]));
		vars[i].type = NUL;
		for (j = 0; j < sizeof(env) / sizeof(env[0]); j++)
			if (strcmp(env[j].name, iiot_expr_var(e, i)) == 0)
				vars[i] = env[j].v;
	}
}

/* Make a TAP description from an expression, on one line, without '#'. */
static const char *
describe(const char *what, const char *src, char *buf, size_t sz)
{
	size_t n, i;

	n = (size_t)snprintf(buf, sz, "%s: ", what);
	for (i = 0; src[i] != '\0' && n + 3 < sz; i++) {
		if (src[i] == '#')
			buf[n++] = '\\';
		buf[n++] = (unsigned char)src[i] < ' ' ? '?' : src[i];
	}
	buf[n] = '\0';
	return buf;
}

static int
run_case(size_t i)
{
	struct iiot_val vars[8], out;
	struct iiot_expr *e;
	char err[128];
	int ok, t;

	e = iiot_expr_new(cases[i].src, err, sizeof(err));
	if (cases[i].type == ERR) {
		ok = e == NULL && errno == EINVAL &&
		    strcmp(err, cases[i].str) == 0;
		if (!ok)
			printf("# got \"%s\"\n", e ? "(compiled)" : err);
		iiot_expr_free(e);
		return ok;
	}
	if (e == NULL) {
		printf("# compile error: %s\n", err);
		return 0;
	}
	if (iiot_expr_nvars(e) > sizeof(vars) / sizeof(vars[0])) {
		iiot_expr_free(e);
		return 0;
	}
	bind(e, vars);
	iiot_expr_value(e, vars, &out);
	t = iiot_expr_test(e, vars);
	ok = out.type == cases[i].type;
	if (ok && out.type == NUM)
		ok = out.num == cases[i].num && t == (out.num != 0);
	else if (ok && out.type == STR)
		ok = out.len == strlen(cases[i].str) &&
		    memcmp(out.str, cases[i].str, out.len) == 0 &&
		    t == (out.len != 0);
	else if (ok)
		ok = t == 0;
	if (!ok)
		printf("# got type %d num %g len %zu test %d\n", out.type,
		    out.num, out.len, t);
	iiot_expr_free(e);
	return ok;
}

/* Field names are listed once each, in order of first use. */
static int
test_vars(void)
{
	struct iiot_expr *e;
	const char *p;
	int ok;

	e = iiot_expr_new("b > 1 && a < b || c ~ a", NULL, 0);
	if (e == NULL)
		return 0;
	ok = iiot_expr_nvars(e) == 3 &&
	    strcmp(iiot_expr_var(e, 0), "b") == 0 &&
	    strcmp(iiot_expr_var(e, 1), "a") == 0 &&
	    strcmp(iiot_expr_var(e, 2), "c") == 0;
	errno = 0;
	p = iiot_expr_var(e, 3);
	ok = ok && p == NULL && errno == EINVAL;
	iiot_expr_free(e);
	return ok;
}

/* A constant expression has no variables and takes vars NULL. */
static int
test_novars(void)
{
	struct iiot_expr *e;
	struct iiot_val out;
	int ok;

	if ((e = iiot_expr_new("(1 + 2) * 3 > 8", NULL, 0)) == NULL)
		return 0;
	ok = iiot_expr_nvars(e) == 0 && iiot_expr_value(e, NULL, &out) == 0 &&
	    out.type == NUM && out.num == 1 && iiot_expr_test(e, NULL) == 1;
	iiot_expr_free(e);
	return ok;
}

/* A string result points into the caller's vars, not a copy. */
static int
test_strptr(void)
{
	struct iiot_expr *e;
	struct iiot_val v = { STR, 0, rawbuf, 5 }, out;
	int ok;

	if ((e = iiot_expr_new("s", NULL, 0)) == NULL)
		return 0;
	iiot_expr_value(e, &v, &out);
	ok = out.type == STR && out.str == rawbuf && out.len == 5;
	iiot_expr_free(e);
	return ok;
}

/* One expression gives different results for different records. */
static int
test_reuse(void)
{
	struct iiot_expr *e;
	struct iiot_val v[2];
	int ok;

	e = iiot_expr_new("sensor ~ 't*' && value > 40", NULL, 0);
	if (e == NULL)
		return 0;
	v[0] = (struct iiot_val){ STR, 0, "t1", 2 };
	v[1] = (struct iiot_val){ NUM, 41, NULL, 0 };
	ok = iiot_expr_test(e, v) == 1;
	v[1].num = 39;
	ok = ok && iiot_expr_test(e, v) == 0;
	v[1].type = NUL;
	ok = ok && iiot_expr_test(e, v) == 0;
	v[0].str = "h1";
	v[1] = (struct iiot_val){ NUM, 41, NULL, 0 };
	ok = ok && iiot_expr_test(e, v) == 0;
	iiot_expr_free(e);
	return ok;
}

/* A short error buffer gets a truncated, NUL-terminated message. */
static int
test_errtrunc(void)
{
	char err[8];

	memset(err, 'x', sizeof(err));
	return iiot_expr_new("a &", err, sizeof(err)) == NULL &&
	    errno == EINVAL && strcmp(err, "column ") == 0;
}

/* No error buffer at all is fine, and success leaves an empty message. */
static int
test_errnone(void)
{
	struct iiot_expr *e;
	char err[16] = "junk";
	int ok;

	ok = iiot_expr_new("(", NULL, 0) == NULL && errno == EINVAL;
	e = iiot_expr_new("1", err, sizeof(err));
	ok = ok && e != NULL && err[0] == '\0';
	iiot_expr_free(e);
	iiot_expr_free(NULL);
	return ok;
}

/* A NULL source is EINVAL. */
static int
test_nullsrc(void)
{
	return iiot_expr_new(NULL, NULL, 0) == NULL && errno == EINVAL;
}

/* Build "open x close" with n copies of open and close around x. */
static char *
nested(const char *open, const char *x, const char *close, int n)
{
	size_t lo = strlen(open), lx = strlen(x), lc = strlen(close);
	char *s, *p;
	int i;

	if ((s = malloc(n * (lo + lc) + lx + 1)) == NULL)
		return NULL;
	p = s;
	for (i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, x, lx);
	p += lx;
	for (i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

/* Check that nesting n deep compiles, or fails with msg. */
static int
try_nested(const char *open, const char *x, const char *close, int n,
    const char *msg)
{
	struct iiot_val a = { NUL, 0, NULL, 0 };	/* the field a */
	struct iiot_expr *e;
	char err[128], *s;
	int ok;

	if ((s = nested(open, x, close, n)) == NULL)
		return 0;
	e = iiot_expr_new(s, err, sizeof(err));
	if (msg == NULL)
		ok = e != NULL && iiot_expr_test(e, &a) == 0;
	else
		ok = e == NULL && errno == EINVAL && strstr(err, msg) != NULL;
	if (!ok)
		printf("# n=%d: %s\n", n, e ? "(compiled)" : err);
	iiot_expr_free(e);
	free(s);
	return ok;
}

/* The limits: 64 nested parentheses and 64 values on the stack. */
static int
test_limits(void)
{
	return try_nested("(", "0", ")", 64, NULL) &&
	    try_nested("(", "0", ")", 65, "nested too deeply") &&
	    try_nested("!", "0", "", 64, NULL) &&
	    try_nested("-", "0", "", 65, "nested too deeply") &&
	    try_nested("a+(", "a", ")", 63, NULL) &&
	    try_nested("a+(", "a", ")", 64, "too complex");
}

/* A small deterministic generator, so a failure can be reproduced. */
static unsigned
rnd(unsigned long *seed, unsigned n)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) % n;
}

/*
 * The glob matcher agrees with fnmatch(3) on random patterns and strings
 * drawn from an alphabet rich in special characters.
 */
static int
test_fnmatch(void)
{
	static const char pa[] = "ab*?[]!^-\\:", sa[] = "ab-]![\\:*";
	struct iiot_expr *e;
	struct iiot_val v[2], out;
	char pat[12], str[10];
	unsigned long seed = 12345;
	int i, j, n, want, bad = 0;

	if ((e = iiot_expr_new("s ~ p", NULL, 0)) == NULL)
		return 0;
	for (i = 0; i < 200000; i++) {
		n = rnd(&seed, sizeof(pat));
		for (j = 0; j < n; j++)
			pat[j] = pa[rnd(&seed, sizeof(pa) - 1)];
		pat[n] = '\0';
		n = rnd(&seed, sizeof(str));
		for (j = 0; j < n; j++)
			str[j] = sa[rnd(&seed, sizeof(sa) - 1)];
		str[n] = '\0';
		v[0] = (struct iiot_val){ STR, 0, str, strlen(str) };
		v[1] = (struct iiot_val){ STR, 0, pat, strlen(pat) };
		iiot_expr_value(e, v, &out);
		want = fnmatch(pat, str, 0) == 0;
		if (out.num != want && bad++ < 5)
			printf("# '%s' ~ '%s': got %g, fnmatch %d\n", str, pat,
			    out.num, want);
	}
	iiot_expr_free(e);
	return bad == 0;
}

int
main(void)
{
	char desc[128];
	size_t i;

	tap_plan(NCASES + NEXTRA);
	for (i = 0; i < NCASES; i++)
		tap_ok(run_case(i), describe(cases[i].type == ERR ? "error" :
		    "eval", cases[i].src, desc, sizeof(desc)));
	tap_ok(test_vars(), "names: listed once, in order of first use");
	tap_ok(test_novars(), "names: none, vars may be NULL");
	tap_ok(test_strptr(), "value: string result points into vars");
	tap_ok(test_reuse(), "test: one expression, several records");
	tap_ok(test_errtrunc(), "error: message truncated to errsz");
	tap_ok(test_errnone(), "error: NULL errbuf, cleared on success");
	tap_ok(test_nullsrc(), "error: NULL source is EINVAL");
	tap_ok(test_limits(), "limits: nesting and stack depth");
	tap_ok(test_fnmatch(), "glob: agrees with fnmatch(3)");
	return tap_status();
}
