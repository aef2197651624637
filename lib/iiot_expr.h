/* SPDX-License-Identifier: MIT */
/* iiot_expr.h: filter expressions over record fields, compiled once. */
#ifndef IIOT_EXPR_H
#define IIOT_EXPR_H

#include <stddef.h>

/*
 * Grammar, lowest precedence first ("word" is a keyword, '|' separates
 * alternatives, {} repeats, [] is optional):
 *
 *	expr    = or
 *	or      = and { ("||" | "or") and }
 *	and     = not { ("&&" | "and") not }
 *	not     = ("!" | "not") not | cmp
 *	cmp     = sum [ cmpop sum ]
 *	cmpop   = "==" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~"
 *	sum     = prod { ("+" | "-") prod }
 *	prod    = unary { ("*" | "/" | "%") unary }
 *	unary   = "-" unary | primary
 *	primary = NUMBER | STRING | "true" | "false" | "null" | IDENT
 *	        | "(" expr ")"
 *
 *	NUMBER  = digits [ "." [digits] ] [ exp ] | "." digits [ exp ]
 *	exp     = ("e" | "E") [ "+" | "-" ] digits
 *	STRING  = '"' chars '"' | "'" chars "'"
 *	          with the escapes \" \' \\ \n \t and no others
 *	IDENT   = [A-Za-z_][A-Za-z0-9_]*, other than the keywords
 *	          and or not true false null
 *
 * Blanks (space, tab, CR, LF) separate tokens.  A negative number such
 * as -1.5e3 is unary minus applied to a literal.  Comparisons do not
 * chain: "a < b < c" is an error; write "a < b && b < c".  Since "!"
 * binds more loosely than comparisons, "!a == b" means "!(a == b)".
 *
 * Values are null, numbers (doubles) and strings.  An identifier names a
 * record field (value, ts, sensor, source, unit, quality, or a tag); a
 * field absent from the record is null.  true and false are the numbers
 * 1 and 0.
 *
 * Semantics:
 *  - "+ - * /" and unary "-" need numbers; otherwise the result is null.
 *    Division by zero and a NaN result give null.  "%" works as in jq:
 *    both operands are truncated to 64-bit integers (saturating) and the
 *    sign follows the dividend; a zero divisor gives null.
 *  - Comparisons give 1 or 0.  Numbers compare numerically, strings
 *    bytewise (memcmp over the shorter length, then the shorter string is
 *    less).  When either side is null or the types differ, a comparison
 *    is false, except "!=", which is true; but null == null is true.
 *  - "s ~ p" is true when the string s matches the glob pattern p as by
 *    fnmatch(3) with no flags: "*" (which also matches "/" and a leading
 *    "."), "?", brackets with ranges, "!" or "^" negation and [:class:]
 *    names (but not [. .] or [= =]), and "\" quoting the next
 *    character; no NUL terminator or copy is needed.  Both sides must be
 *    strings, or the match is false.  "!~" is the negation of "~", so it
 *    is true when a side is not a string.
 *  - "!", "&&", "||" and the final result use truthiness: null is false,
 *    a number is true when non-zero, a string when non-empty.  "&&" and
 *    "||" evaluate their right side only when needed and give 1 or 0.
 *
 * These rules match jq's select() for comparisons of same-typed values;
 * unlike jq, the number 0 and the empty string are false.
 */

/* Value types for struct iiot_val. */
#define IIOT_V_NULL 0
#define IIOT_V_NUM 1
#define IIOT_V_STR 2

/* A value handed to or returned from evaluation. */
struct iiot_val {
	int type;		/* IIOT_V_* */
	double num;		/* the number, for IIOT_V_NUM */
	const char *str;	/* the bytes, for IIOT_V_STR; no NUL needed */
	size_t len;		/* their count */
};

/* A compiled expression; opaque. */
struct iiot_expr;

/*
 * Compile an expression.
 * src: the NUL-terminated source; only read during the call.
 * errbuf, errsz: on a syntax error, receive "column N: what is wrong"
 *     (N counts bytes from 1), truncated to fit and always NUL-terminated
 *     when errsz > 0; errbuf may be NULL when errsz is 0.
 * Returns a new expression, owned by the caller, who releases it with
 * iiot_expr_free(); or NULL with errno EINVAL (a syntax error, more
 * than 64 nested parentheses, "!" or "-", an expression that needs more
 * than 64 intermediate values, or src NULL) or ENOMEM.
 */
struct iiot_expr *iiot_expr_new(const char *src, char *errbuf,
    size_t errsz);

/*
 * Count the distinct field names an expression uses.
 * e: the expression.
 * Returns the count; the slots are numbered from 0 in order of first use.
 */
size_t iiot_expr_nvars(const struct iiot_expr *e);

/*
 * Name the field that variable slot i stands for.
 * e: the expression; i: a slot below iiot_expr_nvars(e).
 * Returns the NUL-terminated name, owned by e and valid until
 * iiot_expr_free(e); or NULL with errno EINVAL when i is out of range.
 */
const char *iiot_expr_var(const struct iiot_expr *e, size_t i);

/*
 * Evaluate an expression to a value.  Does not allocate, and is safe to
 * call from several threads on the same expression.
 * e: the expression.
 * vars: iiot_expr_nvars(e) values, vars[i] being the field named
 *     iiot_expr_var(e, i) (IIOT_V_NULL when the record lacks it); may be
 *     NULL when there are none.  Only read.
 * out: receives the result.  A string result points into e or into the
 *     strings of vars, so it is valid as long as both are.
 * Returns 0.
 */
int iiot_expr_value(const struct iiot_expr *e, const struct iiot_val *vars,
    struct iiot_val *out);

/*
 * Evaluate an expression as a condition, as iiot_expr_value() does, and
 * apply truthiness to the result.
 * e, vars: as for iiot_expr_value().
 * Returns 1 when the result is true, 0 when it is false.
 */
int iiot_expr_test(const struct iiot_expr *e, const struct iiot_val *vars);

/*
 * Release an expression and the names and strings it owns.
 * e: the expression, or NULL for no effect.
 */
void iiot_expr_free(struct iiot_expr *e);

#endif /* IIOT_EXPR_H */
