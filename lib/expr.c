/* SPDX-License-Identifier: MIT */
/* expr.c: compile filter expressions to flat code and evaluate them. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_expr.h"

/*
 * An expression compiles to postfix code for a stack machine: one flat
 * array of instructions, a table of constants and a list of field names
 * whose positions are the variable slots.  Evaluation walks the array once
 * with a fixed stack on the C stack, so it never allocates.  "&&" and "||"
 * compile to conditional jumps, which gives short-circuit evaluation.
 *
 * The compiler folds operations on constants and fuses the common shape
 * "field <op> constant" into one instruction, so "value > 40" runs as a
 * single step.
 *
 * Both limits below are checked at compile time; the second one keeps the
 * recursive-descent parser from running out of C stack.
 */
#define STACK_MAX 64		/* values on the evaluation stack */
#define NEST_MAX 64		/* nested "(", "!" and unary "-" */

#define NONE UINT_MAX		/* end of a list of jumps to patch */

/* Instructions. */
enum {
	OP_VAR,			/* push vars[a] */
	OP_CONST,		/* push k[a] */
	OP_CMPVK,		/* push vars[a] <sub> k[b] */
	OP_CMP,			/* pop r, l; push l <sub> r */
	OP_NEG,			/* negate the top */
	OP_ADD,			/* pop r, l; push l + r; same for the next four */
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_NOT,			/* replace the top by 1 or 0, negated */
	OP_BOOL,		/* replace the top by 1 or 0 */
	OP_JF,			/* if the top is false, make it 0 and go to a */
	OP_JT			/* if the top is true, make it 1 and go to a */
};

/* Comparisons, in the sub field of OP_CMP and OP_CMPVK. */
enum {
	C_EQ,
	C_NE,
	C_LT,
	C_LE,
	C_GT,
	C_GE,
	C_MATCH,
	C_NMATCH
};

struct ins {
	unsigned char op;
	unsigned char sub;
	unsigned int a;
	unsigned int b;
};

struct iiot_expr {
	struct ins *code;
	size_t ncode;
	struct iiot_val *k;	/* constants; strings point into pool */
	size_t nk;
	char **vars;		/* field names, in pool */
	size_t nvars;
	char *pool;		/* decoded strings and names, never moved */
};

enum tok {
	T_END,
	T_NUM,
	T_STR,
	T_IDENT,
	T_TRUE,
	T_FALSE,
	T_NULL,
	T_OR,
	T_AND,
	T_NOT,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_MATCH,
	T_NMATCH,
	T_PLUS,
	T_MINUS,
	T_MUL,
	T_DIV,
	T_MOD,
	T_LPAREN,
	T_RPAREN
};

struct token {
	enum tok type;
	const char *start;	/* in the source */
	size_t len;
	double num;		/* T_NUM */
	const char *str;	/* T_STR, decoded into the pool */
	size_t slen;
};

struct parser {
	const char *src;
	const char *pos;	/* where the next token starts */
	struct token tok;	/* the current token */
	struct iiot_expr *e;
	size_t capcode;
	size_t capk;
	size_t capvars;
	size_t poolused;
	int depth;		/* stack depth after the code so far */
	int nest;
	int err;		/* errno to return */
	char *errbuf;
	size_t errsz;
};

static int parse_or(struct parser *);

/*
 * Evaluation.
 */

static void
setbool(struct iiot_val *v, int b)
{
	v->type = IIOT_V_NUM;
	v->num = b;
	v->str = NULL;
	v->len = 0;
}

static void
setnull(struct iiot_val *v)
{
	v->type = IIOT_V_NULL;
	v->num = 0;
	v->str = NULL;
	v->len = 0;
}

static void
setnum(struct iiot_val *v, double d)
{
	/* JSON has no NaN; like jq, show it as null. */
	if (d != d) {
		setnull(v);
		return;
	}
	v->type = IIOT_V_NUM;
	v->num = d;
	v->str = NULL;
	v->len = 0;
}

static int
truthy(const struct iiot_val *v)
{
	switch (v->type) {
	case IIOT_V_NUM:
		return v->num != 0;
	case IIOT_V_STR:
		return v->len != 0;
	default:
		return 0;
	}
}

static int
class_match(const char *name, size_t len, unsigned char c)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} classes[] = {
		{ "alnum", isalnum }, { "alpha", isalpha },
		{ "blank", isblank }, { "cntrl", iscntrl },
		{ "digit", isdigit }, { "graph", isgraph },
		{ "lower", islower }, { "print", isprint },
		{ "punct", ispunct }, { "space", isspace },
		{ "upper", isupper }, { "xdigit", isxdigit },
	};
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].name) == len &&
		    memcmp(classes[i].name, name, len) == 0)
			return classes[i].fn(c) != 0;
	return -1;
}

/*
 * Match the byte c against the bracket expression whose members start at
 * p (just past the '[').  Returns 1 or 0 and sets *next past the closing
 * ']'; or returns -1 when there is no closing ']', in which case the '['
 * is an ordinary character, as fnmatch(3) has it.  Returns -2 where
 * glibc's fnmatch(3) rejects the whole pattern: at an unknown class name
 * met before any member matched, and at a range that the end of the
 * pattern cuts short, as in "[a-".  A differential test keeps the two in
 * step.
 */
static int
bracket(const char *p, const char *pe, unsigned char c, const char **next)
{
	const char *first, *name;
	unsigned char lo, hi;
	int neg = 0, match = 0, r;

	if (p < pe && (*p == '!' || *p == '^')) {
		neg = 1;
		p++;
	}
	first = p;
	for (;;) {
		if (p >= pe)
			return -1;
		if (*p == ']' && p > first)
			break;
		if (*p == '[' && p + 1 < pe && p[1] == ':') {
			/* Only lowercase letters can form a class name. */
			for (name = p + 2; name < pe && *name >= 'a' &&
			    *name <= 'z'; name++)
				;
			if (name + 1 < pe && name[0] == ':' && name[1] == ']') {
				r = class_match(p + 2, name - (p + 2), c);
				if (r < 0 && !match)
					return -2;
				if (r > 0)
					match = 1;
				p = name + 2;
				continue;
			}
		}
		if (*p == '\\' && p + 1 < pe)
			p++;
		lo = *p++;
		if (p + 1 == pe && *p == '-')
			return -2;	/* a range cut short: see above */
		if (p + 1 < pe && *p == '-' && p[1] != ']') {
			p++;
			if (*p == '\\' && p + 1 < pe)
				p++;
			hi = *p++;
			if (lo <= c && c <= hi)
				match = 1;
		} else if (lo == c)
			match = 1;
	}
	*next = p + 1;
	return match != neg;
}

/*
 * Match the string s against the glob pattern p, both given as bytes and a
 * length, so neither needs a NUL and neither is copied.  Only the latest
 * '*' needs to be retried: whatever an earlier '*' could absorb, the
 * latest one can absorb too.  That keeps the cost at O(plen * slen).
 */
static int
glob(const char *p, size_t plen, const char *s, size_t slen)
{
	const char *pe = p + plen, *se = s + slen;
	const char *star = NULL, *mark = NULL, *next;
	unsigned char c;
	int r;

	for (;;) {
		if (p < pe) {
			c = *p;
			if (c == '*') {
				while (p < pe && *p == '*')
					p++;
				if (p == pe)
					return 1;
				star = p;
				mark = s;
				continue;
			}
			if (c == '\\' && p + 1 == pe)
				return 0;	/* fnmatch(3) rejects it */
			if (s < se) {
				if (c == '?') {
					p++;
					s++;
					continue;
				}
				if (c == '[') {
					r = bracket(p + 1, pe, *s, &next);
					if (r == -2)
						return 0;	/* bad pattern */
					if (r == 1) {
						p = next;
						s++;
						continue;
					}
				} else
					r = -1;
				if (r == -1) {
					if (c == '\\')
						c = *++p;
					if ((unsigned char)*s == c) {
						p++;
						s++;
						continue;
					}
				}
			}
		} else if (s == se)
			return 1;
		if (star == NULL || mark == se)
			return 0;
		p = star;
		s = ++mark;
	}
}

static int
compare(int op, const struct iiot_val *l, const struct iiot_val *r)
{
	size_t n;
	int c;

	if (op >= C_MATCH) {
		c = l->type == IIOT_V_STR && r->type == IIOT_V_STR &&
		    glob(r->str, r->len, l->str, l->len);
		return op == C_MATCH ? c : !c;
	}
	if (l->type != r->type)
		return op == C_NE;
	switch (l->type) {
	case IIOT_V_NUM:
		switch (op) {
		case C_EQ:
			return l->num == r->num;
		case C_NE:
			return l->num != r->num;
		case C_LT:
			return l->num < r->num;
		case C_LE:
			return l->num <= r->num;
		case C_GT:
			return l->num > r->num;
		default:
			return l->num >= r->num;
		}
	case IIOT_V_STR:
		if (op == C_EQ || op == C_NE) {
			c = l->len == r->len &&
			    (l->len == 0 || memcmp(l->str, r->str, l->len) == 0);
			return op == C_EQ ? c : !c;
		}
		n = l->len < r->len ? l->len : r->len;
		c = n > 0 ? memcmp(l->str, r->str, n) : 0;
		if (c == 0)
			c = (l->len > r->len) - (l->len < r->len);
		switch (op) {
		case C_LT:
			return c < 0;
		case C_LE:
			return c <= 0;
		case C_GT:
			return c > 0;
		default:
			return c >= 0;
		}
	default:
		/* Both null, or both of an unknown type. */
		return op == C_EQ;
	}
}

/* Convert to an integer as jq's "%" does, but saturating on overflow. */
static long long
toint(double d)
{
	if (d >= 0x1p63)
		return LLONG_MAX;
	if (d < -0x1p63)
		return LLONG_MIN;
	return (long long)d;
}

static void
arith(int op, const struct iiot_val *l, const struct iiot_val *r,
    struct iiot_val *out)
{
	long long a, b;

	if (l->type != IIOT_V_NUM || r->type != IIOT_V_NUM) {
		setnull(out);
		return;
	}
	switch (op) {
	case OP_ADD:
		setnum(out, l->num + r->num);
		break;
	case OP_SUB:
		setnum(out, l->num - r->num);
		break;
	case OP_MUL:
		setnum(out, l->num * r->num);
		break;
	case OP_DIV:
		if (r->num == 0)
			setnull(out);
		else
			setnum(out, l->num / r->num);
		break;
	default:
		/* Check for NaN first: converting it is undefined. */
		if (l->num != l->num || r->num != r->num ||
		    (b = toint(r->num)) == 0) {
			setnull(out);
			break;
		}
		a = toint(l->num);
		setnum(out, b == -1 ? 0 : (double)(a % b));
		break;
	}
}

static void
negate(struct iiot_val *v)
{
	if (v->type == IIOT_V_NUM)
		v->num = -v->num;
	else
		setnull(v);
}

/*
 * Run the code with the stack st, which holds STACK_MAX values; the
 * compiler made sure that is enough.  Returns the result, on the stack.
 */
static const struct iiot_val *
run(const struct iiot_expr *e, const struct iiot_val *vars,
    struct iiot_val *st)
{
	const struct ins *code = e->code, *ip = code, *end = code + e->ncode;
	const struct iiot_val *k = e->k;
	struct iiot_val *sp = st;	/* the next free slot */

	while (ip < end) {
		switch (ip->op) {
		case OP_VAR:
			*sp++ = vars[ip->a];
			break;
		case OP_CONST:
			*sp++ = k[ip->a];
			break;
		case OP_CMPVK:
			setbool(sp++, compare(ip->sub, &vars[ip->a], &k[ip->b]));
			break;
		case OP_CMP:
			sp--;
			setbool(sp - 1, compare(ip->sub, sp - 1, sp));
			break;
		case OP_NEG:
			negate(sp - 1);
			break;
		case OP_ADD:
		case OP_SUB:
		case OP_MUL:
		case OP_DIV:
		case OP_MOD:
			sp--;
			arith(ip->op, sp - 1, sp, sp - 1);
			break;
		case OP_NOT:
			setbool(sp - 1, !truthy(sp - 1));
			break;
		case OP_BOOL:
			setbool(sp - 1, truthy(sp - 1));
			break;
		case OP_JF:
			if (!truthy(sp - 1)) {
				setbool(sp - 1, 0);
				ip = code + ip->a;
				continue;
			}
			sp--;
			break;
		case OP_JT:
			if (truthy(sp - 1)) {
				setbool(sp - 1, 1);
				ip = code + ip->a;
				continue;
			}
			sp--;
			break;
		}
		ip++;
	}
	return sp - 1;
}

int
iiot_expr_value(const struct iiot_expr *e, const struct iiot_val *vars,
    struct iiot_val *out)
{
	struct iiot_val st[STACK_MAX];

	*out = *run(e, vars, st);
	return 0;
}

int
iiot_expr_test(const struct iiot_expr *e, const struct iiot_val *vars)
{
	struct iiot_val st[STACK_MAX];

	return truthy(run(e, vars, st));
}

size_t
iiot_expr_nvars(const struct iiot_expr *e)
{
	return e->nvars;
}

const char *
iiot_expr_var(const struct iiot_expr *e, size_t i)
{
	if (i >= e->nvars) {
		errno = EINVAL;
		return NULL;
	}
	return e->vars[i];
}

void
iiot_expr_free(struct iiot_expr *e)
{
	if (e == NULL)
		return;
	free(e->pool);
	free(e->vars);
	free(e->k);
	free(e->code);
	free(e);
}

/*
 * Errors.
 */

/*
 * Report a syntax error at the byte at.  A message longer than the
 * caller's buffer is cut short, which is why vsnprintf's result is not
 * checked.
 */
static int
fail(struct parser *p, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	p->err = EINVAL;
	if (p->errsz == 0)
		return -1;
	n = snprintf(p->errbuf, p->errsz, "column %zu: ",
	    (size_t)(at - p->src) + 1);
	if (n >= 0 && (size_t)n < p->errsz) {
		va_start(ap, fmt);
		vsnprintf(p->errbuf + n, p->errsz - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
nomem(struct parser *p)
{
	p->err = ENOMEM;
	if (p->errsz > 0)
		snprintf(p->errbuf, p->errsz, "out of memory");
	return -1;
}

/* Describe the current token for a message: "'foo'" or "end of expression". */
static const char *
describe(const struct token *t, char *buf, size_t sz)
{
	if (t->type == T_END)
		return "end of expression";
	if (t->len > 24)
		snprintf(buf, sz, "'%.24s...'", t->start);
	else
		snprintf(buf, sz, "'%.*s'", (int)t->len, t->start);
	return buf;
}

/*
 * Lexer.
 */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
lex_number(struct parser *p, const char *s)
{
	struct token *t = &p->tok;
	const char *e = s, *x;
	char *end;

	while (is_digit(*e))
		e++;
	if (*e == '.')
		for (e++; is_digit(*e); e++)
			;
	if (*e == 'e' || *e == 'E') {
		x = e + 1;
		if (*x == '+' || *x == '-')
			x++;
		if (!is_digit(*x))
			e = x;		/* report it below */
		else
			for (e = x; is_digit(*e); e++)
				;
	}
	/* The number must end where strtod(3) stops and a token may start. */
	t->num = strtod(s, &end);
	if (end != e || is_alpha(*e) || is_digit(*e) || *e == '.') {
		while (is_alpha(*e) || is_digit(*e) || *e == '.')
			e++;
		return fail(p, s, "malformed number '%.*s'", (int)(e - s), s);
	}
	if (t->num > DBL_MAX)
		return fail(p, s, "number out of range '%.*s'", (int)(e - s),
		    s);
	t->type = T_NUM;
	t->len = e - s;
	p->pos = e;
	return 0;
}

/*
 * Decode a quoted string into the pool.  A decoded string is never longer
 * than its source, so the pool, sized from the source, always has room.
 */
static int
lex_string(struct parser *p, const char *s)
{
	struct token *t = &p->tok;
	char *d = p->e->pool + p->poolused;
	const char *r = s + 1;
	size_t n = 0;

	for (; *r != *s; r++) {
		if (*r == '\0')
			return fail(p, s, "unterminated string");
		if (*r != '\\') {
			d[n++] = *r;
			continue;
		}
		switch (*++r) {
		case '"':
		case '\'':
		case '\\':
			d[n++] = *r;
			break;
		case 'n':
			d[n++] = '\n';
			break;
		case 't':
			d[n++] = '\t';
			break;
		case '\0':
			return fail(p, s, "unterminated string");
		default:
			if (*r > ' ' && *r < 0x7f)
				return fail(p, r - 1, "unknown escape '\\%c'",
				    *r);
			return fail(p, r - 1, "unknown escape");
		}
	}
	d[n] = '\0';
	p->poolused += n + 1;
	t->type = T_STR;
	t->str = d;
	t->slen = n;
	t->len = r + 1 - s;
	p->pos = r + 1;
	return 0;
}

static int
lex_word(struct parser *p, const char *s)
{
	static const struct {
		const char *word;
		enum tok type;
	} keywords[] = {
		{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT },
		{ "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
	};
	struct token *t = &p->tok;
	const char *e = s;
	size_t i;

	while (is_alpha(*e) || is_digit(*e))
		e++;
	t->type = T_IDENT;
	t->len = e - s;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].word) == t->len &&
		    memcmp(keywords[i].word, s, t->len) == 0)
			t->type = keywords[i].type;
	p->pos = e;
	return 0;
}

/* Read the next token into p->tok. */
static int
lex(struct parser *p)
{
	struct token *t = &p->tok;
	const char *s = p->pos;
	unsigned char c;
	size_t len = 1;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	t->start = s;
	c = *s;
	if (is_digit(c) || (c == '.' && is_digit(s[1])))
		return lex_number(p, s);
	if (c == '"' || c == '\'')
		return lex_string(p, s);
	if (is_alpha(c))
		return lex_word(p, s);
	switch (c) {
	case '\0':
		t->type = T_END;
		len = 0;
		break;
	case '|':
	case '&':
		if (s[1] != c)
			return fail(p, s, "unexpected '%c'; did you mean "
			    "'%c%c'?", c, c, c);
		t->type = c == '|' ? T_OR : T_AND;
		len = 2;
		break;
	case '=':
		if (s[1] != '=')
			return fail(p, s, "unexpected '='; did you mean "
			    "'=='?");
		t->type = T_EQ;
		len = 2;
		break;
	case '!':
		t->type = s[1] == '=' ? T_NE : s[1] == '~' ? T_NMATCH : T_NOT;
		len = t->type == T_NOT ? 1 : 2;
		break;
	case '<':
	case '>':
		if (s[1] == '=') {
			t->type = c == '<' ? T_LE : T_GE;
			len = 2;
		} else
			t->type = c == '<' ? T_LT : T_GT;
		break;
	case '~':
		t->type = T_MATCH;
		break;
	case '+':
		t->type = T_PLUS;
		break;
	case '-':
		t->type = T_MINUS;
		break;
	case '*':
		t->type = T_MUL;
		break;
	case '/':
		t->type = T_DIV;
		break;
	case '%':
		t->type = T_MOD;
		break;
	case '(':
		t->type = T_LPAREN;
		break;
	case ')':
		t->type = T_RPAREN;
		break;
	default:
		if (c > ' ' && c < 0x7f)
			return fail(p, s, "unexpected character '%c'", c);
		return fail(p, s, "unexpected byte 0x%02x", c);
	}
	t->len = len;
	p->pos = s + len;
	return 0;
}

/*
 * Code generation.
 */

/* How an instruction changes the stack depth (jumps: when not taken). */
static int
effect(int op)
{
	switch (op) {
	case OP_VAR:
	case OP_CONST:
	case OP_CMPVK:
		return 1;
	case OP_NEG:
	case OP_NOT:
	case OP_BOOL:
		return 0;
	default:
		return -1;
	}
}

static int
emit(struct parser *p, int op, int sub, size_t a, size_t b)
{
	struct iiot_expr *e = p->e;
	struct ins *code;
	size_t cap;

	if (e->ncode == p->capcode) {
		cap = p->capcode ? 2 * p->capcode : 16;
		if (cap >= NONE)
			return fail(p, p->tok.start, "expression too long");
		code = realloc(e->code, cap * sizeof(*code));
		if (code == NULL)
			return nomem(p);
		e->code = code;
		p->capcode = cap;
	}
	/* The operands are below NONE: no more code and constants than that. */
	e->code[e->ncode].op = (unsigned char)op;
	e->code[e->ncode].sub = (unsigned char)sub;
	e->code[e->ncode].a = (unsigned int)a;
	e->code[e->ncode].b = (unsigned int)b;
	e->ncode++;
	p->depth += effect(op);
	if (p->depth > STACK_MAX)
		return fail(p, p->tok.start, "expression too complex");
	return 0;
}

/* Drop the code from index to on, as when folding constants. */
static void
cut(struct parser *p, size_t to)
{
	while (p->e->ncode > to)
		p->depth -= effect(p->e->code[--p->e->ncode].op);
}

static int
emit_const(struct parser *p, const struct iiot_val *v)
{
	struct iiot_expr *e = p->e;
	struct iiot_val *k;
	size_t cap;

	if (e->nk == p->capk) {
		cap = p->capk ? 2 * p->capk : 8;
		if (cap >= NONE)
			return fail(p, p->tok.start, "expression too long");
		k = realloc(e->k, cap * sizeof(*k));
		if (k == NULL)
			return nomem(p);
		e->k = k;
		p->capk = cap;
	}
	e->k[e->nk] = *v;
	return emit(p, OP_CONST, 0, e->nk++, 0);
}

/* The slot of the field named by the current token, added if new. */
static int
emit_var(struct parser *p)
{
	struct iiot_expr *e = p->e;
	const struct token *t = &p->tok;
	char **vars, *name;
	size_t i, cap;

	for (i = 0; i < e->nvars; i++)
		if (strncmp(e->vars[i], t->start, t->len) == 0 &&
		    e->vars[i][t->len] == '\0')
			return emit(p, OP_VAR, 0, i, 0);
	if (e->nvars == p->capvars) {
		cap = p->capvars ? 2 * p->capvars : 8;
		vars = realloc(e->vars, cap * sizeof(*vars));
		if (vars == NULL)
			return nomem(p);
		e->vars = vars;
		p->capvars = cap;
	}
	/* An identifier needs at most twice its length, which the pool has. */
	name = e->pool + p->poolused;
	memcpy(name, t->start, t->len);
	name[t->len] = '\0';
	p->poolused += t->len + 1;
	e->vars[e->nvars] = name;
	return emit(p, OP_VAR, 0, e->nvars++, 0);
}

/* The constant that the code from index start on consists of, or NULL. */
static struct iiot_val *
constant(struct parser *p, size_t start)
{
	struct iiot_expr *e = p->e;

	if (e->ncode == start + 1 && e->code[start].op == OP_CONST)
		return &e->k[e->code[start].a];
	return NULL;
}

/*
 * Replace the two constants at lstart and lstart + 1 by the constant v.
 * The right one was the last added, so it is dropped from the table.
 */
static void
fold2(struct parser *p, size_t lstart, const struct iiot_val *v)
{
	struct iiot_expr *e = p->e;

	e->k[e->code[lstart].a] = *v;
	if (e->code[lstart + 1].a == e->nk - 1)
		e->nk--;
	cut(p, lstart + 1);
}

static int
emit_arith(struct parser *p, size_t lstart, size_t mid, int op)
{
	const struct ins *c = p->e->code;
	const struct iiot_val *r;
	struct iiot_val v;

	if (mid == lstart + 1 && c[lstart].op == OP_CONST &&
	    (r = constant(p, mid)) != NULL) {
		arith(op, &p->e->k[c[lstart].a], r, &v);
		fold2(p, lstart, &v);
		return 0;
	}
	return emit(p, op, 0, 0, 0);
}

static int
emit_cmp(struct parser *p, size_t lstart, size_t mid, int sub)
{
	static const unsigned char flip[] = {
		[C_EQ] = C_EQ, [C_NE] = C_NE, [C_LT] = C_GT, [C_LE] = C_GE,
		[C_GT] = C_LT, [C_GE] = C_LE,
	};
	struct ins *c = p->e->code;
	struct iiot_val v;
	size_t a, b;

	if (mid != lstart + 1 || p->e->ncode != mid + 1)
		return emit(p, OP_CMP, sub, 0, 0);
	if (c[lstart].op == OP_CONST && c[mid].op == OP_CONST) {
		setbool(&v, compare(sub, &p->e->k[c[lstart].a],
		    &p->e->k[c[mid].a]));
		fold2(p, lstart, &v);
		return 0;
	}
	if (c[lstart].op == OP_VAR && c[mid].op == OP_CONST) {
		a = c[lstart].a;
		b = c[mid].a;
	} else if (c[lstart].op == OP_CONST && c[mid].op == OP_VAR &&
	    sub < C_MATCH) {
		a = c[mid].a;
		b = c[lstart].a;
		sub = flip[sub];
	} else
		return emit(p, OP_CMP, sub, 0, 0);
	cut(p, lstart);
	return emit(p, OP_CMPVK, sub, a, b);
}

/*
 * Whether the code so far leaves 1 or 0, so "&&" and "||" need no
 * OP_BOOL.  Looking at the last instruction is enough: the jumps into the
 * end of a subexpression come from OP_JF and OP_JT, which leave 1 or 0.
 */
static int
ends_bool(const struct parser *p)
{
	int op = p->e->code[p->e->ncode - 1].op;

	return op == OP_CMP || op == OP_CMPVK || op == OP_NOT ||
	    op == OP_BOOL;
}

/*
 * Parser: one function per precedence level, as in the grammar.
 */

static int
enter(struct parser *p)
{
	if (++p->nest > NEST_MAX)
		return fail(p, p->tok.start, "expression nested too deeply");
	return 0;
}

static int
cmpop(enum tok t)
{
	switch (t) {
	case T_EQ:
		return C_EQ;
	case T_NE:
		return C_NE;
	case T_LT:
		return C_LT;
	case T_LE:
		return C_LE;
	case T_GT:
		return C_GT;
	case T_GE:
		return C_GE;
	case T_MATCH:
		return C_MATCH;
	case T_NMATCH:
		return C_NMATCH;
	default:
		return -1;
	}
}

static int
parse_primary(struct parser *p)
{
	struct token *t = &p->tok;
	struct iiot_val v = { IIOT_V_NULL, 0, NULL, 0 };
	const char *open;
	char buf[40];

	switch (t->type) {
	case T_NUM:
		v.type = IIOT_V_NUM;
		v.num = t->num;
		break;
	case T_STR:
		v.type = IIOT_V_STR;
		v.str = t->str;
		v.len = t->slen;
		break;
	case T_TRUE:
	case T_FALSE:
		v.type = IIOT_V_NUM;
		v.num = t->type == T_TRUE;
		break;
	case T_NULL:
		break;
	case T_IDENT:
		if (emit_var(p) == -1)
			return -1;
		return lex(p);
	case T_LPAREN:
		open = t->start;
		if (enter(p) == -1 || lex(p) == -1 || parse_or(p) == -1)
			return -1;
		if (t->type != T_RPAREN)
			return fail(p, t->start, "expected ')' for the '(' at "
			    "column %zu, found %s", (size_t)(open - p->src) + 1,
			    describe(t, buf, sizeof(buf)));
		p->nest--;
		return lex(p);
	default:
		return fail(p, t->start, "expected a value, found %s",
		    describe(t, buf, sizeof(buf)));
	}
	if (emit_const(p, &v) == -1)
		return -1;
	return lex(p);
}

static int
parse_unary(struct parser *p)
{
	struct iiot_val *v;
	size_t start;

	if (p->tok.type != T_MINUS)
		return parse_primary(p);
	if (enter(p) == -1 || lex(p) == -1)
		return -1;
	start = p->e->ncode;
	if (parse_unary(p) == -1)
		return -1;
	p->nest--;
	if ((v = constant(p, start)) != NULL) {
		negate(v);
		return 0;
	}
	return emit(p, OP_NEG, 0, 0, 0);
}

static int
parse_prod(struct parser *p)
{
	size_t lstart = p->e->ncode, mid;
	int op;

	if (parse_unary(p) == -1)
		return -1;
	for (;;) {
		switch (p->tok.type) {
		case T_MUL:
			op = OP_MUL;
			break;
		case T_DIV:
			op = OP_DIV;
			break;
		case T_MOD:
			op = OP_MOD;
			break;
		default:
			return 0;
		}
		mid = p->e->ncode;
		if (lex(p) == -1 || parse_unary(p) == -1 ||
		    emit_arith(p, lstart, mid, op) == -1)
			return -1;
	}
}

static int
parse_sum(struct parser *p)
{
	size_t lstart = p->e->ncode, mid;
	int op;

	if (parse_prod(p) == -1)
		return -1;
	while (p->tok.type == T_PLUS || p->tok.type == T_MINUS) {
		op = p->tok.type == T_PLUS ? OP_ADD : OP_SUB;
		mid = p->e->ncode;
		if (lex(p) == -1 || parse_prod(p) == -1 ||
		    emit_arith(p, lstart, mid, op) == -1)
			return -1;
	}
	return 0;
}

static int
parse_cmp(struct parser *p)
{
	size_t lstart = p->e->ncode, mid;
	int sub;

	if (parse_sum(p) == -1)
		return -1;
	if ((sub = cmpop(p->tok.type)) < 0)
		return 0;
	mid = p->e->ncode;
	if (lex(p) == -1 || parse_sum(p) == -1)
		return -1;
	if (cmpop(p->tok.type) >= 0)
		return fail(p, p->tok.start, "comparisons do not chain; "
		    "use '&&' or parentheses");
	return emit_cmp(p, lstart, mid, sub);
}

static int
parse_not(struct parser *p)
{
	struct iiot_val *v;
	size_t start;

	if (p->tok.type != T_NOT)
		return parse_cmp(p);
	if (enter(p) == -1 || lex(p) == -1)
		return -1;
	start = p->e->ncode;
	if (parse_not(p) == -1)
		return -1;
	p->nest--;
	if ((v = constant(p, start)) != NULL) {
		setbool(v, !truthy(v));
		return 0;
	}
	return emit(p, OP_NOT, 0, 0, 0);
}

/*
 * Parse "x op y op z" for "&&" (jump JF) or "||" (jump JT).  Every jump
 * goes to the end of the chain; until that is known, the pending jumps
 * form a list through their a fields.
 */
static int
parse_chain(struct parser *p, enum tok t, int jump,
    int (*next)(struct parser *))
{
	struct ins *code;
	size_t pending = NONE, i;

	if (next(p) == -1)
		return -1;
	while (p->tok.type == t) {
		if (emit(p, jump, 0, pending, 0) == -1 || lex(p) == -1)
			return -1;
		pending = p->e->ncode - 1;
		if (next(p) == -1)
			return -1;
	}
	if (pending == NONE)
		return 0;
	if (!ends_bool(p) && emit(p, OP_BOOL, 0, 0, 0) == -1)
		return -1;
	code = p->e->code;
	while (pending != NONE) {
		i = pending;
		pending = code[i].a;
		code[i].a = (unsigned int)p->e->ncode;
	}
	return 0;
}

static int
parse_and(struct parser *p)
{
	return parse_chain(p, T_AND, OP_JF, parse_not);
}

static int
parse_or(struct parser *p)
{
	return parse_chain(p, T_OR, OP_JT, parse_and);
}

struct iiot_expr *
iiot_expr_new(const char *src, char *errbuf, size_t errsz)
{
	struct parser p;
	struct iiot_expr *e;
	char buf[40];
	size_t n;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (src == NULL) {
		errno = EINVAL;
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.src = p.pos = src;
	p.errbuf = errbuf;
	p.errsz = errsz;
	n = strlen(src);
	if (n > SIZE_MAX / 2 - 1 || (e = calloc(1, sizeof(*e))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p.e = e;
	/* Room for every string and name in the source; see emit_var(). */
	if ((e->pool = malloc(2 * n + 2)) == NULL) {
		nomem(&p);
		goto fail;
	}
	if (lex(&p) == -1 || parse_or(&p) == -1)
		goto fail;
	if (p.tok.type != T_END) {
		fail(&p, p.tok.start, "unexpected %s",
		    describe(&p.tok, buf, sizeof(buf)));
		goto fail;
	}
	return e;
fail:
	iiot_expr_free(e);
	errno = p.err;
	return NULL;
}
