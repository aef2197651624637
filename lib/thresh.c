/* SPDX-License-Identifier: MIT */
/* thresh.c: alarm rules, their parser and the per-series state machine. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_opt.h"
#include "iiot_rec.h"
#include "iiot_series.h"
#include "iiot_thresh.h"
#include "iiot_time.h"

/* Comparison operators. */
#define OP_GT	1
#define OP_GE	2
#define OP_LT	3
#define OP_LE	4
#define OP_EQ	5
#define OP_NE	6

/* Kinds of condition. */
#define C_NONE	0
#define C_CMP	1	/* value OP a */
#define C_OUT	2	/* value < a or value > b */
#define C_IN	3	/* a <= value <= b */
#define C_RATE	4	/* change per second OP a */
#define C_DEV	5	/* |value - moving mean| OP a */
#define C_STALE	6	/* no record for dur */
#define C_QUAL	7	/* quality OP word */

/* Alarm states. */
#define ST_OK		0
#define ST_PEND		1	/* condition holds, waiting for "for" */
#define ST_FIRING	2
#define ST_CLEARING	3	/* clear condition holds, waiting */

#define MAXESC	4
#define MAXFLAP	32
#define MAXWORDS 256

/* Quantifiers of a "while" condition. */
#define W_NONE	0
#define W_SAME	1	/* another sensor of the same source */
#define W_ALL	2
#define W_ANY	3

struct cond {
	int kind, op;
	double a, b;
	int64_t dur;		/* C_STALE; C_DEV: the mean's time constant */
	char *word;		/* C_QUAL */
};

struct when {
	int quant;
	char *src, *sensor;	/* globs; src NULL for W_SAME */
	int op;			/* 0: value != 0 */
	double num;
};

struct rule {
	char *name, *src, *sensor;
	char **tagk, **tagv;
	size_t ntag;
	struct cond fire, clear;
	int has_clear;
	int64_t for_ms, clear_for_ms;
	int has_clear_for;
	int sev;
	struct {
		int sev;
		struct cond c;
	} esc[MAXESC];
	size_t nesc;
	int64_t repeat, cap;
	int flap_n;
	int64_t flap_win;
	char **actions;
	size_t nactions;
	struct when wh;
	const char *file;
	int line;
};

struct series;

struct inst {
	struct rule *rule;
	struct series *ser;
	int st, sev, prev_sev;
	int64_t since, clr, last_notify, last_fire_notify, seen;
	int notified, acked, flapping, muted;
	int64_t flap[MAXFLAP];
	int nflap;
	double prev_v, mean;
	int64_t prev_t, mean_t;
	int has_prev, has_mean;
	double thr;
	int has_thr;
};

struct cand {
	struct rule *rule;
	struct inst *inst;
};

struct series {
	int init;
	char *source, *sensor, *unit;
	struct cand *c;
	size_t n;
	double value;
	int64_t ts;
	int has_value;
	int watched;		/* a "while" of some rule looks at it */
};

struct silence {
	char *rule, *src;
	int64_t from, to;
};

struct route {
	int sev;
	char *action;
	const char *file;
	int line;
};

struct iiot_thresh {
	int flags;
	struct rule **rules;
	size_t nrules;
	struct iiot_thresh_action *acts;
	size_t nacts;
	struct route *routes;
	size_t nroutes;
	struct silence *sil;
	size_t nsil;
	char **files;
	size_t nfiles;
	struct rule defaults;
	struct iiot_stab *series;
	struct inst **insts;
	size_t ninsts;
	struct inst **winsts;	/* those of rules with a "while" */
	size_t nwinsts;
	int64_t clock, deadline;
	const char *acts_buf[64];
};

static const char *const sev_names[] = { "info", "warning", "critical" };
static const char *const st_names[] = { "ok", "pending", "firing",
    "clearing" };

const char *
iiot_thresh_sev_name(int sev)
{
	if (sev < 0 || sev > IIOT_SEV_CRITICAL)
		return "unknown";
	return sev_names[sev];
}

int
iiot_thresh_sev_parse(const char *s)
{
	int i;

	for (i = 0; i <= IIOT_SEV_CRITICAL; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	errno = EINVAL;
	return -1;
}

struct iiot_thresh *
iiot_thresh_new(int flags)
{
	struct iiot_thresh *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->flags = flags;
	t->clock = IIOT_TS_NONE;
	t->deadline = INT64_MAX;
	t->defaults.sev = IIOT_SEV_WARNING;
	if ((t->series = iiot_stab_new(sizeof(struct series))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

static void
cond_release(struct cond *c)
{
	free(c->word);
	c->word = NULL;
}

/* Free what a rule owns, not the rule: also for the defaults. */
static void
rule_release(struct rule *r)
{
	size_t i;

	free(r->name);
	free(r->src);
	free(r->sensor);
	for (i = 0; i < r->ntag; i++) {
		free(r->tagk[i]);
		free(r->tagv[i]);
	}
	free(r->tagk);
	free(r->tagv);
	cond_release(&r->fire);
	cond_release(&r->clear);
	for (i = 0; i < r->nesc; i++)
		cond_release(&r->esc[i].c);
	for (i = 0; i < r->nactions; i++)
		free(r->actions[i]);
	free(r->actions);
	free(r->wh.src);
	free(r->wh.sensor);
}

static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	rule_release(r);
	free(r);
}

void
iiot_thresh_free(struct iiot_thresh *t)
{
	size_t i, j, it = 0;
	struct series *s;
	const char *a, *b;

	if (t == NULL)
		return;
	while ((s = iiot_stab_next(t->series, &it, &a, &b)) != NULL) {
		free(s->source);
		free(s->sensor);
		free(s->unit);
		free(s->c);
	}
	iiot_stab_free(t->series);
	for (i = 0; i < t->ninsts; i++)
		free(t->insts[i]);
	free(t->insts);
	free(t->winsts);
	for (i = 0; i < t->nrules; i++)
		rule_free(t->rules[i]);
	free(t->rules);
	rule_release(&t->defaults);	/* "default action ..." */
	for (i = 0; i < t->nacts; i++) {
		free((char *)t->acts[i].name);
		for (j = 0; j < t->acts[i].argc; j++)
			free(t->acts[i].argv[j]);
		free(t->acts[i].argv);
	}
	free(t->acts);
	for (i = 0; i < t->nroutes; i++)
		free(t->routes[i].action);
	free(t->routes);
	for (i = 0; i < t->nsil; i++) {
		free(t->sil[i].rule);
		free(t->sil[i].src);
	}
	free(t->sil);
	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t);
}

size_t
iiot_thresh_nrules(const struct iiot_thresh *t)
{
	return t->nrules;
}

size_t
iiot_thresh_nactions(const struct iiot_thresh *t)
{
	return t->nacts;
}

const struct iiot_thresh_action *
iiot_thresh_action(const struct iiot_thresh *t, size_t i)
{
	if (i >= t->nacts) {
		errno = EINVAL;
		return NULL;
	}
	return &t->acts[i];
}

int64_t
iiot_thresh_clock(const struct iiot_thresh *t)
{
	return t->clock;
}

int64_t
iiot_thresh_deadline(const struct iiot_thresh *t)
{
	return t->deadline;
}

/*
 * The parser.  A statement is a line and the indented lines after it;
 * words are separated by blanks, may be quoted with double quotes, and
 * "#" at the start of a word comments out the rest of the line.
 */
struct parser {
	struct iiot_thresh *t;
	const char *file;
	int line;
	char *w[MAXWORDS];
	int nw, pos;
	int64_t now;
	char *err;
	size_t errsz;
};

static int
perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errsz > 0) {
		n = snprintf(p->err, p->errsz, "%s:%d: ", p->file, p->line);
		if (n >= 0 && (size_t)n < p->errsz) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errsz - n, fmt, ap);
			va_end(ap);
		}
	}
	errno = IIOT_ESYNTAX;
	return -1;
}

/* Split one statement into words.  Returns 0, or -1. */
static int
split(struct parser *p, const char *s, const char *end)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	int quoted;

	p->nw = 0;
	p->pos = 0;
	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' ||
		    *s == '\r'))
			s++;
		if (s >= end)
			break;
		if (*s == '#') {
			while (s < end && *s != '\n')
				s++;
			continue;
		}
		if (p->nw >= MAXWORDS - 1)
			return perr(p, "too many words");
		iiot_buf_reset(&b);
		quoted = 0;
		while (s < end && (quoted || (*s != ' ' && *s != '\t' &&
		    *s != '\n' && *s != '\r'))) {
			if (*s == '"') {
				quoted = !quoted;
				s++;
				continue;
			}
			if (quoted && *s == '\\' && s + 1 < end &&
			    (s[1] == '"' || s[1] == '\\')) {
				s++;
			} else if (quoted && *s == '\\' && s + 1 < end &&
			    s[1] == 'n') {
				s += 2;
				if (iiot_buf_addc(&b, '\n') == -1)
					goto nomem;
				continue;
			}
			if (iiot_buf_addc(&b, *s++) == -1)
				goto nomem;
		}
		if (quoted) {
			iiot_buf_release(&b);
			return perr(p, "unterminated quote");
		}
		if (iiot_buf_addc(&b, '\0') == -1)
			goto nomem;
		p->w[p->nw++] = b.data;
		b.data = NULL;
		b.len = b.cap = 0;
	}
	iiot_buf_release(&b);
	return 0;
nomem:
	iiot_buf_release(&b);
	return -1;
}

static void
words_free(struct parser *p)
{
	int i;

	for (i = 0; i < p->nw; i++)
		free(p->w[i]);
	p->nw = 0;
}

static const char *
peek(struct parser *p)
{
	return p->pos < p->nw ? p->w[p->pos] : NULL;
}

static const char *
next(struct parser *p, const char *what)
{
	if (p->pos >= p->nw) {
		perr(p, "missing %s", what);
		return NULL;
	}
	return p->w[p->pos++];
}

static int
parse_op(const char *s)
{
	static const char *const ops[] = { "", ">", ">=", "<", "<=", "==",
	    "!=" };
	int i;

	if (s == NULL)
		return 0;
	for (i = 1; i <= OP_NE; i++)
		if (strcmp(s, ops[i]) == 0)
			return i;
	return 0;
}

static int
get_num(struct parser *p, const char *what, double *out)
{
	const char *s;

	if ((s = next(p, what)) == NULL)
		return -1;
	if (iiot_num_parse(s, -HUGE_VAL, HUGE_VAL, out) == -1)
		return perr(p, "bad %s: '%s'", what, s);
	return 0;
}

static int
get_dur(struct parser *p, const char *what, int64_t *out)
{
	const char *s;

	if ((s = next(p, what)) == NULL)
		return -1;
	if (iiot_duration_parse(s, out) == -1 || *out < 0)
		return perr(p, "bad duration for %s: '%s'", what, s);
	return 0;
}

/* A rate: "5/min", "0.5/s", "10/5m"; the number per second. */
static int
get_rate(struct parser *p, double *out)
{
	const char *s, *slash;
	char num[64], unit[64];
	int64_t ms;
	double v;

	if ((s = next(p, "rate")) == NULL)
		return -1;
	if ((slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof(num))
		return perr(p, "bad rate '%s': want N/UNIT such as 5/min",
		    s);
	memcpy(num, s, slash - s);
	num[slash - s] = '\0';
	slash++;
	if (strcmp(slash, "min") == 0)
		slash = "m";
	if (strchr("smhdw", *slash) != NULL && *slash != '\0' &&
	    slash[1] == '\0')
		snprintf(unit, sizeof(unit), "1%s", slash);
	else
		snprintf(unit, sizeof(unit), "%s", slash);
	if (iiot_num_parse(num, -HUGE_VAL, HUGE_VAL, &v) == -1 ||
	    iiot_duration_parse(unit, &ms) == -1 || ms <= 0)
		return perr(p, "bad rate '%s': want N/UNIT such as 5/min",
		    s);
	*out = v * 1000.0 / (double)ms;
	return 0;
}

/* A value condition: "OP N", "outside A B" or "inside A B". */
static int
parse_vcond(struct parser *p, struct cond *c)
{
	const char *s;

	if ((s = next(p, "condition")) == NULL)
		return -1;
	if ((c->op = parse_op(s)) != 0) {
		c->kind = C_CMP;
		return get_num(p, "threshold", &c->a);
	}
	if (strcmp(s, "outside") == 0 || strcmp(s, "inside") == 0) {
		c->kind = s[0] == 'o' ? C_OUT : C_IN;
		if (get_num(p, "lower limit", &c->a) == -1 ||
		    get_num(p, "upper limit", &c->b) == -1)
			return -1;
		if (c->a > c->b)
			return perr(p, "lower limit above upper limit");
		return 0;
	}
	return perr(p, "bad condition '%s': want > >= < <= == != outside "
	    "inside", s);
}

/* The firing condition of a rule. */
static int
parse_cond(struct parser *p, struct cond *c)
{
	const char *s;

	if ((s = peek(p)) == NULL)
		return perr(p, "missing condition");
	if (strcmp(s, "rate") == 0) {
		p->pos++;
		c->kind = C_RATE;
		if ((c->op = parse_op(next(p, "operator"))) == 0)
			return perr(p, "bad operator after rate");
		return get_rate(p, &c->a);
	}
	if (strcmp(s, "deviation") == 0) {
		p->pos++;
		c->kind = C_DEV;
		if ((c->op = parse_op(next(p, "operator"))) == 0)
			return perr(p, "bad operator after deviation");
		if (get_num(p, "deviation", &c->a) == -1)
			return -1;
		c->dur = 60000;
		if ((s = peek(p)) != NULL && strcmp(s, "over") == 0) {
			p->pos++;
			if (get_dur(p, "over", &c->dur) == -1)
				return -1;
			if (c->dur == 0)
				return perr(p, "zero time for the mean");
		}
		return 0;
	}
	if (strcmp(s, "stale") == 0) {
		p->pos++;
		c->kind = C_STALE;
		if (get_dur(p, "stale", &c->dur) == -1)
			return -1;
		c->a = c->dur / 1000.0;
		return 0;
	}
	if (strcmp(s, "quality") == 0) {
		p->pos++;
		c->kind = C_QUAL;
		c->op = parse_op(next(p, "operator"));
		if (c->op != OP_EQ && c->op != OP_NE)
			return perr(p, "quality takes == or !=");
		if ((s = next(p, "quality")) == NULL)
			return -1;
		if ((c->word = strdup(s)) == NULL)
			return -1;
		return 0;
	}
	return parse_vcond(p, c);
}

static int
parse_while(struct parser *p, struct when *w)
{
	const char *s, *slash;

	if ((s = next(p, "while condition")) == NULL)
		return -1;
	w->quant = W_SAME;
	if (strcmp(s, "all") == 0 || strcmp(s, "any") == 0) {
		w->quant = s[1] == 'l' ? W_ALL : W_ANY;
		if ((s = next(p, "series after all/any")) == NULL)
			return -1;
	}
	if ((slash = strrchr(s, '/')) != NULL) {
		if (w->quant == W_SAME)
			w->quant = W_ALL;
		if ((w->src = strndup(s, slash - s)) == NULL)
			return -1;
		s = slash + 1;
	}
	if ((w->sensor = strdup(s)) == NULL)
		return -1;
	if ((w->op = parse_op(peek(p))) != 0) {
		p->pos++;
		if (get_num(p, "while value", &w->num) == -1)
			return -1;
	}
	return 0;
}

static int
add_str(char ***v, size_t *n, const char *s)
{
	char **nv;

	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* Rule clauses, also used by "default". */
static int
parse_clauses(struct parser *p, struct rule *r)
{
	const char *s, *eq;
	double d;
	int sev;

	while ((s = next(p, "clause")) != NULL) {
		if (strcmp(s, "clear") == 0) {
			cond_release(&r->clear);
			if (parse_vcond(p, &r->clear) == -1)
				return -1;
			r->has_clear = 1;
		} else if (strcmp(s, "for") == 0) {
			if (get_dur(p, "for", &r->for_ms) == -1)
				return -1;
		} else if (strcmp(s, "clear-for") == 0) {
			if (get_dur(p, "clear-for", &r->clear_for_ms) == -1)
				return -1;
			r->has_clear_for = 1;
		} else if (strcmp(s, "severity") == 0) {
			if ((s = next(p, "severity")) == NULL)
				return -1;
			if ((r->sev = iiot_thresh_sev_parse(s)) == -1)
				return perr(p, "bad severity '%s'", s);
		} else if (strcmp(s, "escalate") == 0) {
			if (r->nesc >= MAXESC)
				return perr(p, "too many escalations");
			if ((s = next(p, "severity")) == NULL)
				return -1;
			if ((sev = iiot_thresh_sev_parse(s)) == -1)
				return perr(p, "bad severity '%s'", s);
			r->esc[r->nesc].sev = sev;
			if (parse_vcond(p, &r->esc[r->nesc++].c) == -1)
				return -1;
		} else if (strcmp(s, "repeat") == 0) {
			if (get_dur(p, "repeat", &r->repeat) == -1)
				return -1;
		} else if (strcmp(s, "at") == 0) {
			if ((s = next(p, "most")) == NULL ||
			    strcmp(s, "most") != 0 ||
			    (s = next(p, "once")) == NULL ||
			    strcmp(s, "once") != 0 ||
			    (s = next(p, "per")) == NULL ||
			    strcmp(s, "per") != 0)
				return perr(p, "want 'at most once per DUR'");
			if (get_dur(p, "at most once per", &r->cap) == -1)
				return -1;
		} else if (strcmp(s, "flap") == 0) {
			if (get_num(p, "flap count", &d) == -1)
				return -1;
			if (d < 2 || d > MAXFLAP || d != floor(d))
				return perr(p, "flap count must be 2 to %d",
				    MAXFLAP);
			r->flap_n = (int)d;
			if ((s = next(p, "in")) == NULL ||
			    strcmp(s, "in") != 0)
				return perr(p, "want 'flap N in DUR'");
			if (get_dur(p, "flap window", &r->flap_win) == -1)
				return -1;
		} else if (strcmp(s, "action") == 0) {
			if ((s = next(p, "action name")) == NULL)
				return -1;
			if (add_str(&r->actions, &r->nactions, s) == -1)
				return -1;
		} else if (strcmp(s, "while") == 0) {
			if (r->wh.quant != W_NONE)
				return perr(p, "only one while per rule");
			if (parse_while(p, &r->wh) == -1)
				return -1;
		} else if (strcmp(s, "tag") == 0) {
			if ((s = next(p, "tag")) == NULL)
				return -1;
			if ((eq = strchr(s, '=')) == NULL || eq == s)
				return perr(p, "bad tag '%s': want KEY=GLOB",
				    s);
			if (add_str(&r->tagv, &r->ntag, eq + 1) == -1)
				return -1;
			r->ntag--;
			if (add_str(&r->tagk, &r->ntag, s) == -1)
				return -1;
			r->tagk[r->ntag - 1][eq - s] = '\0';
		} else {
			return perr(p, "unknown clause '%s'", s);
		}
		if (peek(p) == NULL)
			break;
	}
	return 0;
}

/* Copy the defaults into a new rule; only scalars and actions. */
static int
rule_from_defaults(const struct rule *d, struct rule *r)
{
	size_t i;

	r->sev = d->sev;
	r->for_ms = d->for_ms;
	r->clear_for_ms = d->clear_for_ms;
	r->has_clear_for = d->has_clear_for;
	r->repeat = d->repeat;
	r->cap = d->cap;
	r->flap_n = d->flap_n;
	r->flap_win = d->flap_win;
	for (i = 0; i < d->nactions; i++)
		if (add_str(&r->actions, &r->nactions, d->actions[i]) == -1)
			return -1;
	return 0;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	return 1;
}

static int
parse_rule(struct parser *p)
{
	struct iiot_thresh *t = p->t;
	struct rule *r, **nr;
	const char *s, *slash;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	if (rule_from_defaults(&t->defaults, r) == -1)
		goto fail;
	r->file = p->file;
	r->line = p->line;
	if ((s = next(p, "rule name")) == NULL)
		goto fail;
	if (!valid_name(s)) {
		perr(p, "bad rule name '%s': letters, digits, - _ . only", s);
		goto fail;
	}
	for (i = 0; i < t->nrules; i++)
		if (strcmp(t->rules[i]->name, s) == 0) {
			perr(p, "rule '%s' already defined at %s:%d", s,
			    t->rules[i]->file, t->rules[i]->line);
			goto fail;
		}
	if ((r->name = strdup(s)) == NULL)
		goto fail;
	if ((s = next(p, "series")) == NULL)
		goto fail;
	if ((slash = strrchr(s, '/')) != NULL) {
		r->src = strndup(s, slash - s);
		r->sensor = strdup(slash + 1);
	} else {
		r->src = strdup("*");
		r->sensor = strdup(s);
	}
	if (r->src == NULL || r->sensor == NULL)
		goto fail;
	if (parse_cond(p, &r->fire) == -1)
		goto fail;
	if (peek(p) != NULL && parse_clauses(p, r) == -1)
		goto fail;
	if (r->has_clear && r->fire.kind != C_CMP && r->fire.kind != C_OUT &&
	    r->fire.kind != C_IN) {
		perr(p, "clear needs a value condition");
		goto fail;
	}
	if (r->nesc > 0 && r->fire.kind != C_CMP && r->fire.kind != C_OUT &&
	    r->fire.kind != C_IN) {
		perr(p, "escalate needs a value condition");
		goto fail;
	}
	if (!r->has_clear_for)
		r->clear_for_ms = r->for_ms;
	if (t->flags & IIOT_THRESH_INSTANT) {
		r->for_ms = r->clear_for_ms = 0;
		r->flap_n = 0;
		r->cap = 0;
	}
	if ((nr = realloc(t->rules, (t->nrules + 1) * sizeof(*nr))) == NULL)
		goto fail;
	t->rules = nr;
	t->rules[t->nrules++] = r;
	return 0;
fail:
	rule_free(r);
	return -1;
}

static int
parse_action(struct parser *p)
{
	struct iiot_thresh *t = p->t;
	struct iiot_thresh_action *a, *na;
	const char *s;
	size_t i;

	if ((s = next(p, "action name")) == NULL)
		return -1;
	if (!valid_name(s))
		return perr(p, "bad action name '%s'", s);
	for (i = 0; i < t->nacts; i++)
		if (strcmp(t->acts[i].name, s) == 0)
			return perr(p, "action '%s' already defined at %s:%d",
			    s, t->acts[i].file, t->acts[i].line);
	if (p->pos >= p->nw)
		return perr(p, "missing action type");
	if ((na = realloc(t->acts, (t->nacts + 1) * sizeof(*na))) == NULL)
		return -1;
	t->acts = na;
	a = &t->acts[t->nacts];
	memset(a, 0, sizeof(*a));
	a->file = p->file;
	a->line = p->line;
	if ((a->name = strdup(s)) == NULL)
		return -1;
	t->nacts++;
	if ((a->argv = calloc(p->nw - p->pos + 1, sizeof(char *))) == NULL)
		return -1;
	while (p->pos < p->nw) {
		a->argv[a->argc++] = p->w[p->pos];
		p->w[p->pos++] = NULL;
	}
	return 0;
}

static int
parse_route(struct parser *p)
{
	struct iiot_thresh *t = p->t;
	struct route *nr;
	const char *s;
	int sev;

	if ((s = next(p, "severity")) == NULL)
		return -1;
	if ((sev = iiot_thresh_sev_parse(s)) == -1)
		return perr(p, "bad severity '%s'", s);
	if (p->pos >= p->nw)
		return perr(p, "missing action name");
	while ((s = peek(p)) != NULL) {
		p->pos++;
		if (strcmp(s, "action") == 0)
			continue;
		nr = realloc(t->routes, (t->nroutes + 1) * sizeof(*nr));
		if (nr == NULL)
			return -1;
		t->routes = nr;
		nr[t->nroutes].sev = sev;
		nr[t->nroutes].file = p->file;
		nr[t->nroutes].line = p->line;
		if ((nr[t->nroutes].action = strdup(s)) == NULL)
			return -1;
		t->nroutes++;
	}
	return 0;
}

static int
add_silence(struct iiot_thresh *t, const char *target, int64_t from,
    int64_t to)
{
	struct silence *ns;
	const char *at;

	if ((ns = realloc(t->sil, (t->nsil + 1) * sizeof(*ns))) == NULL)
		return -1;
	t->sil = ns;
	ns += t->nsil;
	if ((at = strchr(target, '@')) != NULL) {
		ns->rule = strndup(target, at - target);
		ns->src = strdup(at + 1);
	} else {
		ns->rule = strdup(target);
		ns->src = strdup("*");
	}
	ns->from = from;
	ns->to = to;
	if (ns->rule == NULL || ns->src == NULL) {
		free(ns->rule);
		free(ns->src);
		return -1;
	}
	t->nsil++;
	return 0;
}

/* "TARGET DUR", "TARGET from TIME to TIME" or "TARGET FROM..TO". */
static int
parse_silence_words(struct iiot_thresh *t, const char *target,
    const char *a, const char *b, int64_t now)
{
	int64_t from, to, d;
	const char *dots;
	char tmp[128];

	if (b != NULL) {
		if (iiot_when_parse(a, now, &from) == -1 ||
		    iiot_when_parse(b, now, &to) == -1)
			goto bad;
	} else if ((dots = strstr(a, "..")) != NULL) {
		if ((size_t)(dots - a) >= sizeof(tmp))
			goto bad;
		memcpy(tmp, a, dots - a);
		tmp[dots - a] = '\0';
		if (iiot_when_parse(tmp, now, &from) == -1 ||
		    iiot_when_parse(dots + 2, now, &to) == -1)
			goto bad;
	} else {
		if (iiot_duration_parse(a, &d) == -1)
			goto bad;
		from = now;
		to = now + d;
	}
	if (to < from)
		goto bad;
	return add_silence(t, target, from, to);
bad:
	errno = EINVAL;
	return -1;
}

int
iiot_thresh_add_silence(struct iiot_thresh *t, const char *spec,
    int64_t now)
{
	const char *colon;
	char target[256];
	size_t n;

	/* The target has no ':', the times may have. */
	if ((colon = strchr(spec, ':')) == NULL ||
	    (n = colon - spec) == 0 || n >= sizeof(target)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(target, spec, n);
	target[n] = '\0';
	return parse_silence_words(t, target, colon + 1, NULL, now);
}

static int
parse_silence(struct parser *p)
{
	const char *target, *a, *b = NULL;

	if ((target = next(p, "silence target")) == NULL ||
	    (a = next(p, "silence time")) == NULL)
		return -1;
	if (strcmp(a, "from") == 0) {
		if ((a = next(p, "start time")) == NULL)
			return -1;
		if ((b = next(p, "to")) == NULL || strcmp(b, "to") != 0)
			return perr(p, "want 'silence TARGET from T to T'");
		if ((b = next(p, "end time")) == NULL)
			return -1;
	}
	if (peek(p) != NULL)
		return perr(p, "unexpected '%s'", peek(p));
	if (parse_silence_words(p->t, target, a, b, p->now) == -1) {
		if (errno == EINVAL)
			return perr(p, "bad silence time");
		return -1;
	}
	return 0;
}

static int
statement(struct parser *p)
{
	const char *kw = p->w[0];

	p->pos = 1;
	if (strcmp(kw, "rule") == 0)
		return parse_rule(p);
	if (strcmp(kw, "action") == 0)
		return parse_action(p);
	if (strcmp(kw, "on") == 0)
		return parse_route(p);
	if (strcmp(kw, "silence") == 0)
		return parse_silence(p);
	if (strcmp(kw, "default") == 0) {
		if (p->nw < 2)
			return perr(p, "missing clause");
		return parse_clauses(p, &p->t->defaults);
	}
	return perr(p, "unknown statement '%s': want rule, action, on, "
	    "silence or default", kw);
}

/* Keep a copy of a file name for the lifetime of the rule set. */
static const char *
keep_file(struct iiot_thresh *t, const char *file)
{
	char **nf;

	if ((nf = realloc(t->files, (t->nfiles + 1) * sizeof(*nf))) == NULL)
		return NULL;
	t->files = nf;
	if ((nf[t->nfiles] = strdup(file)) == NULL)
		return NULL;
	return nf[t->nfiles++];
}

static int
starts_statement(const char *s, const char *end)
{
	static const char *const kws[] = { "rule", "action", "on", "silence",
	    "default" };
	size_t i, n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		n = strlen(kws[i]);
		if ((size_t)(end - s) > n && memcmp(s, kws[i], n) == 0 &&
		    (s[n] == ' ' || s[n] == '\t'))
			return 1;
	}
	return 0;
}

int
iiot_thresh_parse(struct iiot_thresh *t, const char *text,
    const char *file, int line, int64_t now, char *err, size_t errsz)
{
	struct parser p;
	const char *s = text, *end, *eol, *stmt;
	int first, rc = 0, bare;

	memset(&p, 0, sizeof(p));
	p.t = t;
	p.now = now;
	p.err = err;
	p.errsz = errsz;
	if ((p.file = keep_file(t, file)) == NULL)
		return -1;
	end = text + strlen(text);
	/* A command-line rule may leave out the leading "rule". */
	bare = line == 0 && !starts_statement(text, end);
	if (line == 0)
		line = 1;
	while (s < end) {
		stmt = s;
		first = line;
		eol = memchr(s, '\n', end - s);
		s = eol ? eol + 1 : end;
		line++;
		/* Indented lines continue the statement. */
		while (s < end && (*s == ' ' || *s == '\t')) {
			eol = memchr(s, '\n', end - s);
			s = eol ? eol + 1 : end;
			line++;
		}
		p.line = first;
		if (split(&p, stmt, s) == -1) {
			rc = -1;
			break;
		}
		if (p.nw == 0)
			continue;
		if (bare) {
			memmove(p.w + 1, p.w, p.nw * sizeof(p.w[0]));
			p.nw++;
			if ((p.w[0] = strdup("rule")) == NULL) {
				rc = -1;
				break;
			}
		}
		rc = statement(&p);
		words_free(&p);
		if (rc == -1)
			break;
	}
	words_free(&p);
	if (rc == -1 && errno != IIOT_ESYNTAX && errsz > 0)
		snprintf(err, errsz, "%s:%d: %s", p.file, p.line,
		    strerror(errno));
	return rc;
}

int
iiot_thresh_load(struct iiot_thresh *t, const char *path, int64_t now,
    char *err, size_t errsz)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd, rc, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto syserr;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			errno = e;
			goto syserr;
		}
		if (iiot_buf_add(&b, chunk, n) == -1) {
			close(fd);
			goto syserr;
		}
	}
	close(fd);
	if (memchr(b.data ? b.data : "", '\0', b.len) != NULL) {
		iiot_buf_release(&b);
		snprintf(err, errsz, "%s: binary file", path);
		errno = IIOT_ESYNTAX;
		return -1;
	}
	rc = iiot_thresh_parse(t, b.data ? b.data : "", path, 1, now, err,
	    errsz);
	iiot_buf_release(&b);
	return rc;
syserr:
	e = errno;
	iiot_buf_release(&b);
	snprintf(err, errsz, "%s: %s", path, strerror(e));
	errno = e;
	return -1;
}

static int
have_action(const struct iiot_thresh *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nacts; i++)
		if (strcmp(t->acts[i].name, name) == 0)
			return 1;
	return 0;
}

int
iiot_thresh_finish(struct iiot_thresh *t, char *err, size_t errsz)
{
	size_t i, j;
	struct rule *r;

	for (i = 0; i < t->nrules; i++) {
		r = t->rules[i];
		for (j = 0; j < r->nactions; j++)
			if (!have_action(t, r->actions[j])) {
				snprintf(err, errsz, "%s:%d: no action '%s'",
				    r->file, r->line, r->actions[j]);
				errno = IIOT_ESYNTAX;
				return -1;
			}
	}
	for (i = 0; i < t->nroutes; i++)
		if (!have_action(t, t->routes[i].action)) {
			snprintf(err, errsz, "%s:%d: no action '%s'",
			    t->routes[i].file, t->routes[i].line,
			    t->routes[i].action);
			errno = IIOT_ESYNTAX;
			return -1;
		}
	return 0;
}

/*
 * Evaluation.
 */

static int
cmp(int op, double v, double a)
{
	switch (op) {
	case OP_GT:
		return v > a;
	case OP_GE:
		return v >= a;
	case OP_LT:
		return v < a;
	case OP_LE:
		return v <= a;
	case OP_EQ:
		return v == a;
	case OP_NE:
		return v != a;
	}
	return 0;
}

/* A value condition on v; sets *thr to the limit concerned. */
static int
vcond(const struct cond *c, double v, double *thr)
{
	switch (c->kind) {
	case C_CMP:
		*thr = c->a;
		return cmp(c->op, v, c->a);
	case C_OUT:
		*thr = v < c->a ? c->a : c->b;
		return v < c->a || v > c->b;
	case C_IN:
		*thr = v - c->a < c->b - v ? c->a : c->b;
		return v >= c->a && v <= c->b;
	}
	return 0;
}

/* The "while" condition, on the latest value of other series. */
static int
while_holds(struct iiot_thresh *t, const struct rule *r,
    const struct series *self)
{
	const struct when *w = &r->wh;
	const struct series *s;
	size_t it = 0;
	const char *a, *b;
	int seen = 0, v;

	if (w->quant == W_NONE)
		return 1;
	if (w->quant == W_SAME) {
		s = iiot_stab_get(t->series, self->source, w->sensor, 0, NULL);
		if (s == NULL || !s->has_value)
			return 0;
		return w->op ? cmp(w->op, s->value, w->num) : s->value != 0;
	}
	while ((s = iiot_stab_next(t->series, &it, &a, &b)) != NULL) {
		if (!s->has_value || !iiot_glob_match(w->sensor, b) ||
		    !iiot_glob_match(w->src, a))
			continue;
		seen = 1;
		v = w->op ? cmp(w->op, s->value, w->num) : s->value != 0;
		if (w->quant == W_ALL && !v)
			return 0;
		if (w->quant == W_ANY && v)
			return 1;
	}
	/* No series to look at: the condition is unknown, so false. */
	return w->quant == W_ALL ? seen : 0;
}

static int
silenced(const struct iiot_thresh *t, const struct inst *in, int64_t ts)
{
	size_t i;

	for (i = 0; i < t->nsil; i++)
		if (ts >= t->sil[i].from && ts < t->sil[i].to &&
		    iiot_glob_match(t->sil[i].rule, in->rule->name) &&
		    iiot_glob_match(t->sil[i].src, in->ser->source))
			return 1;
	return 0;
}

static void
emit(struct iiot_thresh *t, struct inst *in, const char *state, int64_t ts,
    const struct iiot_rec *rec, iiot_thresh_cb *cb, void *arg)
{
	struct iiot_thresh_event ev;
	const struct rule *r = in->rule;
	size_t i, n = 0, max = sizeof(t->acts_buf) / sizeof(t->acts_buf[0]);

	memset(&ev, 0, sizeof(ev));
	ev.alert = r->name;
	ev.source = in->ser->source;
	ev.sensor = in->ser->sensor;
	ev.unit = in->ser->unit;
	ev.state = state;
	ev.sev = in->sev;
	ev.severity = iiot_thresh_sev_name(in->sev);
	ev.threshold = in->thr;
	ev.has_threshold = in->has_thr;
	if (rec != NULL) {
		ev.value = rec->value;
		ev.has_value = 1;
	} else if (in->ser->has_value) {
		ev.value = in->ser->value;
		ev.has_value = 1;
	}
	ev.ts = ts;
	ev.since = in->since;
	ev.rec = rec;
	ev.silenced = silenced(t, in, ts);
	for (i = 0; i < r->nactions && n < max; i++)
		t->acts_buf[n++] = r->actions[i];
	for (i = 0; i < t->nroutes && n < max; i++)
		if (t->routes[i].sev == in->sev)
			t->acts_buf[n++] = t->routes[i].action;
	ev.actions = t->acts_buf;
	ev.nactions = n;
	if (cb != NULL)
		cb(arg, &ev);
}

static void
set_deadline(struct iiot_thresh *t, int64_t d)
{
	if (d < t->deadline)
		t->deadline = d;
}

/* The next time-driven event of an alarm, or INT64_MAX. */
static int64_t
inst_deadline(const struct inst *in)
{
	const struct rule *r = in->rule;
	int64_t d = INT64_MAX;

	if (r->fire.kind == C_STALE && in->st == ST_OK && in->seen !=
	    IIOT_TS_NONE)
		d = in->seen + r->fire.dur;
	if (in->st == ST_PEND)
		d = in->since + r->for_ms;
	if (in->st == ST_CLEARING)
		d = in->clr + r->clear_for_ms;
	if ((in->st == ST_FIRING || in->st == ST_CLEARING) && r->repeat > 0 &&
	    in->notified && !in->acked && !in->flapping && !in->muted &&
	    in->last_notify + r->repeat < d)
		d = in->last_notify + r->repeat;
	if (in->flapping && in->nflap > 0 &&
	    in->flap[in->nflap - 1] + r->flap_win < d)
		d = in->flap[in->nflap - 1] + r->flap_win;
	return d;
}

/* Count a transition; start flapping when there are too many. */
static void
flap_count(struct iiot_thresh *t, struct inst *in, int64_t ts,
    const struct iiot_rec *rec, iiot_thresh_cb *cb, void *arg)
{
	const struct rule *r = in->rule;
	int i, n = 0;

	if (r->flap_n == 0)
		return;
	if (in->nflap == MAXFLAP) {
		memmove(in->flap, in->flap + 1, (MAXFLAP - 1) *
		    sizeof(in->flap[0]));
		in->nflap--;
	}
	in->flap[in->nflap++] = ts;
	for (i = 0; i < in->nflap; i++)
		if (in->flap[i] > ts - r->flap_win)
			n++;
	if (n >= r->flap_n && !in->flapping) {
		in->flapping = 1;
		if (!in->muted)
			emit(t, in, "flapping", ts, rec, cb, arg);
	}
}

static int
esc_sev(const struct inst *in, double v, double *thr)
{
	const struct rule *r = in->rule;
	double th;
	size_t i;
	int sev = r->sev;

	for (i = 0; i < r->nesc; i++)
		if (r->esc[i].sev > sev && vcond(&r->esc[i].c, v, &th)) {
			sev = r->esc[i].sev;
			*thr = th;
		}
	return sev;
}

static void
do_fire(struct iiot_thresh *t, struct inst *in, int64_t ts,
    const struct iiot_rec *rec, iiot_thresh_cb *cb, void *arg)
{
	const struct rule *r = in->rule;

	in->st = ST_FIRING;
	in->acked = 0;
	/* After a delay, the severity is that of the value now. */
	if (r->nesc > 0 && in->ser->has_value)
		in->sev = esc_sev(in, in->ser->value, &in->thr);
	in->muted = r->cap > 0 && in->last_fire_notify != IIOT_TS_NONE &&
	    ts - in->last_fire_notify < r->cap;
	flap_count(t, in, ts, rec, cb, arg);
	if (in->muted || in->flapping)
		return;
	in->notified = 1;
	in->last_notify = in->last_fire_notify = ts;
	in->prev_sev = in->sev;
	emit(t, in, "firing", ts, rec, cb, arg);
}

static void
do_resolve(struct iiot_thresh *t, struct inst *in, int64_t ts,
    const struct iiot_rec *rec, iiot_thresh_cb *cb, void *arg)
{
	in->st = ST_OK;
	flap_count(t, in, ts, rec, cb, arg);
	if (in->notified && !in->muted && !in->flapping)
		emit(t, in, "resolved", ts, rec, cb, arg);
	if (!in->flapping)
		in->notified = 0;
	in->acked = 0;
	in->muted = 0;
	in->sev = in->rule->sev;
}

/* Time-driven events of one alarm up to now. */
static void
inst_tick(struct iiot_thresh *t, struct inst *in, int64_t now,
    iiot_thresh_cb *cb, void *arg)
{
	const struct rule *r = in->rule;
	int64_t d;
	int active;

	if (in->flapping && in->nflap > 0 &&
	    in->flap[in->nflap - 1] + r->flap_win <= now) {
		d = in->flap[in->nflap - 1] + r->flap_win;
		in->flapping = 0;
		active = in->st == ST_FIRING || in->st == ST_CLEARING;
		if (active && !in->notified && !in->muted) {
			in->notified = 1;
			in->last_notify = in->last_fire_notify = d;
			emit(t, in, "firing", d, NULL, cb, arg);
		} else if (!active && in->notified) {
			if (!in->muted)
				emit(t, in, "resolved", d, NULL, cb, arg);
			in->notified = 0;
		}
	}
	if (r->fire.kind == C_STALE && in->st == ST_OK &&
	    in->seen != IIOT_TS_NONE && in->seen + r->fire.dur <= now) {
		d = in->seen + r->fire.dur;
		in->since = d;
		in->thr = r->fire.a;
		in->has_thr = 1;
		do_fire(t, in, d, NULL, cb, arg);
	}
	if (in->st == ST_PEND && in->since + r->for_ms <= now)
		do_fire(t, in, in->since + r->for_ms, NULL, cb, arg);
	if (in->st == ST_CLEARING && in->clr + r->clear_for_ms <= now)
		do_resolve(t, in, in->clr + r->clear_for_ms, NULL, cb, arg);
	if ((in->st == ST_FIRING || in->st == ST_CLEARING) && r->repeat > 0 &&
	    in->notified && !in->acked && !in->flapping && !in->muted &&
	    in->last_notify + r->repeat <= now) {
		d = in->last_notify + r->repeat;
		emit(t, in, "reminder", d, NULL, cb, arg);
		while (d + r->repeat <= now)
			d += r->repeat;
		in->last_notify = d;
	}
}

int
iiot_thresh_tick(struct iiot_thresh *t, int64_t now, iiot_thresh_cb *cb,
    void *arg)
{
	size_t i;
	int64_t d;

	if (t->clock != IIOT_TS_NONE && now < t->clock)
		now = t->clock;
	t->clock = now;
	if (now < t->deadline)
		return 0;
	t->deadline = INT64_MAX;
	for (i = 0; i < t->ninsts; i++) {
		inst_tick(t, t->insts[i], now, cb, arg);
		d = inst_deadline(t->insts[i]);
		set_deadline(t, d);
	}
	return 0;
}

static struct inst *
inst_new(struct iiot_thresh *t, struct rule *r, struct series *s)
{
	struct inst *in, **ni;

	ni = realloc(t->insts, (t->ninsts + 1) * sizeof(*ni));
	if (ni == NULL)
		return NULL;
	t->insts = ni;
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	in->rule = r;
	in->ser = s;
	in->sev = in->prev_sev = r->sev;
	in->since = in->clr = in->last_notify = IIOT_TS_NONE;
	in->last_fire_notify = in->seen = IIOT_TS_NONE;
	t->insts[t->ninsts++] = in;
	if (r->wh.quant != W_NONE) {
		if ((ni = realloc(t->winsts, (t->nwinsts + 1) *
		    sizeof(*ni))) == NULL)
			return NULL;
		t->winsts = ni;
		t->winsts[t->nwinsts++] = in;
	}
	return in;
}

/* 1 if the "while" w looks at the series (source, sensor) of some alarm. */
static int
when_watches(const struct when *w, const char *source, const char *sensor)
{
	switch (w->quant) {
	case W_SAME:
		return iiot_glob_match(w->sensor, sensor);
	case W_ALL:
	case W_ANY:
		return iiot_glob_match(w->sensor, sensor) &&
		    iiot_glob_match(w->src, source);
	}
	return 0;
}

/* Find or make a series and the rules whose globs match it. */
static struct series *
series_get(struct iiot_thresh *t, const char *source, const char *sensor)
{
	struct series *s;
	struct cand *c;
	size_t i, n = 0;

	if ((s = iiot_stab_get(t->series, source, sensor, 1, NULL)) == NULL)
		return NULL;
	if (s->init)
		return s;
	if ((s->source = strdup(source)) == NULL ||
	    (s->sensor = strdup(sensor)) == NULL)
		return NULL;
	for (i = 0; i < t->nrules; i++)
		if (iiot_glob_match(t->rules[i]->sensor, sensor) &&
		    iiot_glob_match(t->rules[i]->src, source))
			n++;
	if (n > 0) {
		if ((c = calloc(n, sizeof(*c))) == NULL)
			return NULL;
		s->c = c;
		for (i = 0; i < t->nrules; i++)
			if (iiot_glob_match(t->rules[i]->sensor, sensor) &&
			    iiot_glob_match(t->rules[i]->src, source))
				s->c[s->n++].rule = t->rules[i];
	}
	for (i = 0; i < t->nrules && !s->watched; i++)
		s->watched = when_watches(&t->rules[i]->wh, source, sensor);
	s->ts = IIOT_TS_NONE;
	s->init = 1;
	return s;
}

static int
tags_match(const struct rule *r, const struct iiot_rec *rec)
{
	size_t i;

	for (i = 0; i < r->ntag; i++)
		if (!iiot_glob_match(r->tagv[i], iiot_rec_str(rec, r->tagk[i])))
			return 0;
	return 1;
}

/* The firing condition on a record: 1, 0, or -1 when unknown. */
static int
fire_cond(struct inst *in, const struct iiot_rec *rec, int good, double *thr,
    int *has_thr)
{
	const struct rule *r = in->rule;
	const struct cond *c = &r->fire;
	double v = rec->value, rate, alpha, dev;
	int64_t dt;
	int res = -1;
	const char *q;

	switch (c->kind) {
	case C_QUAL:
		q = rec->quality ? rec->quality : "good";
		*has_thr = 0;
		return (strcmp(q, c->word) == 0) == (c->op == OP_EQ);
	case C_STALE:
		return 0;
	}
	if (!good)
		return -1;
	switch (c->kind) {
	case C_RATE:
		if (in->has_prev && rec->ts > in->prev_t) {
			dt = rec->ts - in->prev_t;
			rate = (v - in->prev_v) * 1000.0 / (double)dt;
			res = cmp(c->op, rate, c->a);
		} else if (in->has_prev) {
			res = -1;
		}
		if (!in->has_prev || rec->ts > in->prev_t) {
			in->prev_v = v;
			in->prev_t = rec->ts;
			in->has_prev = 1;
		}
		*thr = c->a * 60;	/* per minute, for people */
		return res;
	case C_DEV:
		if (in->has_mean) {
			dev = fabs(v - in->mean);
			res = cmp(c->op, dev, c->a);
			dt = rec->ts - in->mean_t;
			if (dt < 0)
				dt = 0;
			alpha = 1.0 - exp(-(double)dt / (double)c->dur);
			in->mean += alpha * (v - in->mean);
		} else {
			in->mean = v;
			in->has_mean = 1;
		}
		in->mean_t = rec->ts;
		*thr = c->a;
		return res;
	default:
		return vcond(c, v, thr);
	}
}

static void inst_step(struct iiot_thresh *, struct inst *, int, double, int,
    int64_t, int, double, const struct iiot_rec *, iiot_thresh_cb *, void *);

static void
inst_feed(struct iiot_thresh *t, struct inst *in, const struct iiot_rec *rec,
    int good, iiot_thresh_cb *cb, void *arg)
{
	const struct rule *r = in->rule;
	int64_t ts = rec->ts;
	double fthr = 0;
	int f, has_fthr = 1;

	in->seen = ts;
	if (r->fire.kind == C_STALE) {
		if (in->st == ST_FIRING)
			do_resolve(t, in, ts, rec, cb, arg);
		in->st = ST_OK;
		return;
	}
	f = fire_cond(in, rec, good, &fthr, &has_fthr);
	if (f == -1)
		return;
	if (f && r->wh.quant != W_NONE && !while_holds(t, r, in->ser))
		f = 0;
	inst_step(t, in, f, fthr, has_fthr, ts, good, rec->value, rec, cb, arg);
}

/*
 * The state machine of one alarm, given whether its firing condition
 * holds (f) at ts, with the value v (good or not), for the record rec
 * (NULL when the step comes from another series).
 */
static void
inst_step(struct iiot_thresh *t, struct inst *in, int f, double fthr,
    int has_fthr, int64_t ts, int good, double v, const struct iiot_rec *rec,
    iiot_thresh_cb *cb, void *arg)
{
	const struct rule *r = in->rule;
	double thr = 0, ethr;
	int c, sev;

	switch (in->st) {
	case ST_OK:
		if (!f)
			break;
		in->since = ts;
		in->sev = r->sev;
		in->thr = fthr;
		in->has_thr = has_fthr;
		if (r->nesc > 0)
			in->sev = esc_sev(in, v, &in->thr);
		if (r->for_ms == 0)
			do_fire(t, in, ts, rec, cb, arg);
		else
			in->st = ST_PEND;
		break;
	case ST_PEND:
		if (!f)
			in->st = ST_OK;
		else if (ts >= in->since + r->for_ms)
			do_fire(t, in, ts, rec, cb, arg);
		break;
	case ST_FIRING:
	case ST_CLEARING:
		if (r->has_clear && good)
			c = vcond(&r->clear, v, &thr);
		else
			c = !f;
		if (c && in->st == ST_FIRING) {
			if (r->clear_for_ms == 0) {
				do_resolve(t, in, ts, rec, cb, arg);
				break;
			}
			in->st = ST_CLEARING;
			in->clr = ts;
		} else if (c && ts >= in->clr + r->clear_for_ms) {
			do_resolve(t, in, ts, rec, cb, arg);
			break;
		} else if (!c) {
			in->st = ST_FIRING;
		}
		if (r->nesc > 0 && good) {
			ethr = in->thr;
			sev = esc_sev(in, v, &ethr);
			/*
			 * Step down only while the base condition still
			 * holds; below it the alarm is on its way out.
			 */
			if (sev < in->sev && !f)
				sev = in->sev;
			if (sev != in->sev) {
				in->sev = sev;
				in->thr = sev == r->sev ? r->fire.a : ethr;
				if (in->notified && !in->muted &&
				    !in->flapping) {
					in->last_notify = ts;
					emit(t, in, "escalated", ts, rec, cb,
					    arg);
				}
			}
		}
		break;
	}
}

/*
 * The series s, which a "while" looks at, changed at ts: evaluate again,
 * on the latest value of their own series, the alarms of rules whose
 * "while" looks at it, so that a steady series reported only on change
 * still fires or clears when the other series does.  Only conditions on
 * the value itself: a rate or a deviation needs a new sample.
 */
static void
rewhile(struct iiot_thresh *t, const struct series *s, int64_t ts,
    iiot_thresh_cb *cb, void *arg)
{
	struct inst *in;
	const struct rule *r;
	double thr = 0;
	size_t i;
	int f;

	for (i = 0; i < t->nwinsts; i++) {
		in = t->winsts[i];
		r = in->rule;
		if (in->ser == s || !in->ser->has_value ||
		    (r->fire.kind != C_CMP && r->fire.kind != C_OUT &&
		    r->fire.kind != C_IN) ||
		    !when_watches(&r->wh, s->source, s->sensor) ||
		    (r->wh.quant == W_SAME &&
		    strcmp(in->ser->source, s->source) != 0))
			continue;
		f = vcond(&r->fire, in->ser->value, &thr) &&
		    while_holds(t, r, in->ser);
		inst_step(t, in, f, thr, 1, ts, 1, in->ser->value, NULL, cb,
		    arg);
		set_deadline(t, inst_deadline(in));
	}
}

int
iiot_thresh_feed(struct iiot_thresh *t, const struct iiot_rec *rec,
    iiot_thresh_cb *cb, void *arg)
{
	int changed;
	struct series *s;
	struct cand *c;
	size_t i;
	int good;

	/*
	 * What fell due strictly before this record happened without it;
	 * what falls due at its very time is decided by the record.
	 */
	if (rec->ts != IIOT_TS_NONE && rec->ts - 1 >= t->deadline)
		iiot_thresh_tick(t, rec->ts - 1, cb, arg);
	if (t->clock == IIOT_TS_NONE || rec->ts > t->clock)
		t->clock = rec->ts;
	if ((s = series_get(t, rec->source, rec->sensor)) == NULL)
		return -1;
	good = rec->quality == NULL || strcmp(rec->quality, "good") == 0;
	changed = good && s->watched &&
	    (!s->has_value || s->value != rec->value);
	if (good) {
		s->value = rec->value;
		s->ts = rec->ts;
		s->has_value = 1;
	}
	/* The unit, for events that have no record of their own. */
	if (rec->unit != NULL && s->n > 0 &&
	    (s->unit == NULL || strcmp(s->unit, rec->unit) != 0)) {
		free(s->unit);
		if ((s->unit = strdup(rec->unit)) == NULL)
			return -1;
	}
	for (i = 0; i < s->n; i++) {
		c = &s->c[i];
		if (c->rule->ntag > 0 && !tags_match(c->rule, rec))
			continue;
		if (c->inst == NULL &&
		    (c->inst = inst_new(t, c->rule, s)) == NULL)
			return -1;
		inst_feed(t, c->inst, rec, good, cb, arg);
		set_deadline(t, inst_deadline(c->inst));
	}
	if (changed)
		rewhile(t, s, rec->ts, cb, arg);
	return 0;
}

int
iiot_thresh_alarm_next(const struct iiot_thresh *t, size_t *it,
    struct iiot_thresh_alarm *a)
{
	const struct inst *in;

	if (*it >= t->ninsts)
		return 0;
	in = t->insts[(*it)++];
	memset(a, 0, sizeof(*a));
	a->alert = in->rule->name;
	a->source = in->ser->source;
	a->sensor = in->ser->sensor;
	a->state = st_names[in->st];
	a->active = in->st == ST_FIRING || in->st == ST_CLEARING;
	a->sev = in->sev;
	a->since = in->since;
	a->value = in->ser->value;
	a->has_value = in->ser->has_value;
	a->threshold = in->thr;
	a->has_threshold = in->has_thr;
	a->acked = in->acked;
	return 1;
}

static int
inst_matches(const struct inst *in, const char *pattern)
{
	char full[1024];
	int n;

	if (iiot_glob_match(pattern, in->rule->name))
		return 1;
	n = snprintf(full, sizeof(full), "%s@%s/%s", in->rule->name,
	    in->ser->source, in->ser->sensor);
	return n > 0 && (size_t)n < sizeof(full) &&
	    iiot_glob_match(pattern, full);
}

size_t
iiot_thresh_ack(struct iiot_thresh *t, const char *pattern)
{
	size_t i, n = 0;
	struct inst *in;

	for (i = 0; i < t->ninsts; i++) {
		in = t->insts[i];
		if ((in->st == ST_FIRING || in->st == ST_CLEARING) &&
		    !in->acked && inst_matches(in, pattern)) {
			in->acked = 1;
			n++;
		}
	}
	return n;
}

static int
add_ts(struct iiot_buf *b, const char *key, int64_t ms)
{
	if (ms == IIOT_TS_NONE)
		return 0;
	return iiot_buf_addf(b, ",\"%s\":%lld", key, (long long)ms);
}

int
iiot_thresh_state_write(const struct iiot_thresh *t, struct iiot_buf *b)
{
	const struct inst *in;
	size_t i;
	int rc = 0, k;

	for (i = 0; i < t->ninsts && rc == 0; i++) {
		in = t->insts[i];
		/* An idle alarm matters only for stale detection. */
		if (in->st == ST_OK && !in->notified &&
		    in->last_fire_notify == IIOT_TS_NONE &&
		    in->rule->fire.kind != C_STALE)
			continue;
		rc |= iiot_buf_adds(b, "{\"alert\":");
		rc |= iiot_buf_add_json_str(b, in->rule->name,
		    strlen(in->rule->name));
		rc |= iiot_buf_adds(b, ",\"source\":");
		rc |= iiot_buf_add_json_str(b, in->ser->source,
		    strlen(in->ser->source));
		rc |= iiot_buf_adds(b, ",\"sensor\":");
		rc |= iiot_buf_add_json_str(b, in->ser->sensor,
		    strlen(in->ser->sensor));
		rc |= iiot_buf_addf(b, ",\"state\":\"%s\",\"severity\":\"%s\"",
		    st_names[in->st], iiot_thresh_sev_name(in->sev));
		rc |= iiot_buf_addf(b, ",\"notified\":%s,\"acked\":%s",
		    in->notified ? "true" : "false",
		    in->acked ? "true" : "false");
		if (in->flapping || in->muted)
			rc |= iiot_buf_addf(b, ",\"flapping\":%s,\"muted\":%s",
			    in->flapping ? "true" : "false",
			    in->muted ? "true" : "false");
		rc |= add_ts(b, "since", in->since);
		rc |= add_ts(b, "clear_since", in->clr);
		rc |= add_ts(b, "last_notify", in->last_notify);
		rc |= add_ts(b, "last_fire_notify", in->last_fire_notify);
		rc |= add_ts(b, "seen", in->seen);
		if (in->has_thr) {
			rc |= iiot_buf_adds(b, ",\"threshold\":");
			rc |= iiot_buf_add_json_num(b, in->thr);
		}
		if (in->ser->has_value) {
			rc |= iiot_buf_adds(b, ",\"value\":");
			rc |= iiot_buf_add_json_num(b, in->ser->value);
		}
		if (in->nflap > 0) {
			rc |= iiot_buf_adds(b, ",\"flaps\":[");
			for (k = 0; k < in->nflap; k++)
				rc |= iiot_buf_addf(b, "%s%lld", k ? "," : "",
				    (long long)in->flap[k]);
			rc |= iiot_buf_addc(b, ']');
		}
		rc |= iiot_buf_adds(b, "}\n");
	}
	return rc ? -1 : 0;
}

static int64_t
jts(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : IIOT_TS_NONE;
}

static int
jbool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static struct inst *
find_inst(struct iiot_thresh *t, const char *alert, const char *source,
    const char *sensor, int create)
{
	struct series *s;
	size_t i;

	if (create) {
		if ((s = series_get(t, source, sensor)) == NULL)
			return NULL;
	} else if ((s = iiot_stab_get(t->series, source, sensor, 0,
	    NULL)) == NULL) {
		return NULL;
	}
	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].rule->name, alert) == 0) {
			if (s->c[i].inst == NULL && create)
				s->c[i].inst = inst_new(t, s->c[i].rule, s);
			return s->c[i].inst;
		}
	return NULL;
}

static void
restore_one(struct inst *in, const cJSON *o)
{
	const char *s;
	const cJSON *j, *f;
	int k, sev;

	for (k = ST_OK; k <= ST_CLEARING; k++)
		if ((s = jstr(o, "state")) != NULL && strcmp(s, st_names[k]) == 0)
			in->st = k;
	if ((s = jstr(o, "severity")) != NULL &&
	    (sev = iiot_thresh_sev_parse(s)) != -1)
		in->sev = sev;
	in->notified = jbool(o, "notified");
	in->acked = jbool(o, "acked");
	in->flapping = jbool(o, "flapping");
	in->muted = jbool(o, "muted");
	in->since = jts(o, "since");
	in->clr = jts(o, "clear_since");
	in->last_notify = jts(o, "last_notify");
	in->last_fire_notify = jts(o, "last_fire_notify");
	in->seen = jts(o, "seen");
	if (cJSON_IsNumber(j = cJSON_GetObjectItemCaseSensitive(o,
	    "threshold"))) {
		in->thr = j->valuedouble;
		in->has_thr = 1;
	}
	if (cJSON_IsNumber(j = cJSON_GetObjectItemCaseSensitive(o, "value")) &&
	    !in->ser->has_value) {
		in->ser->value = j->valuedouble;
		in->ser->has_value = 1;
	}
	in->nflap = 0;
	j = cJSON_GetObjectItemCaseSensitive(o, "flaps");
	cJSON_ArrayForEach(f, j) {
		if (cJSON_IsNumber(f) && in->nflap < MAXFLAP)
			in->flap[in->nflap++] = (int64_t)f->valuedouble;
	}
	if ((in->st == ST_PEND && in->since == IIOT_TS_NONE) ||
	    (in->st == ST_CLEARING && in->clr == IIOT_TS_NONE))
		in->st = ST_OK;
	if (in->last_notify == IIOT_TS_NONE)
		in->last_notify = in->since;
}

int
iiot_thresh_state_read(struct iiot_thresh *t, const char *text,
    int acks_only)
{
	const char *s = text, *eol, *alert, *source, *sensor;
	cJSON *o;
	struct inst *in;
	int n = 0;

	while (*s) {
		eol = strchr(s, '\n');
		o = cJSON_ParseWithLength(s, eol ? (size_t)(eol - s) :
		    strlen(s));
		s = eol ? eol + 1 : s + strlen(s);
		if (o == NULL)
			continue;
		alert = jstr(o, "alert");
		source = jstr(o, "source");
		sensor = jstr(o, "sensor");
		if (alert != NULL && source != NULL && sensor != NULL &&
		    (in = find_inst(t, alert, source, sensor,
		    !acks_only)) != NULL) {
			if (acks_only) {
				if (jbool(o, "acked") && (in->st == ST_FIRING ||
				    in->st == ST_CLEARING))
					in->acked = 1;
			} else {
				restore_one(in, o);
			}
			set_deadline(t, inst_deadline(in));
			n++;
		}
		cJSON_Delete(o);
	}
	return n;
}

static void
add_limit(struct iiot_thresh_limit *out, size_t n, size_t *k,
    const struct rule *r, double v, int sev, int clear)
{
	if (*k < n) {
		out[*k].alert = r->name;
		out[*k].value = v;
		out[*k].sev = sev;
		out[*k].clear = clear;
	}
	(*k)++;
}

static void
cond_limits(const struct cond *c, struct iiot_thresh_limit *out, size_t n,
    size_t *k, const struct rule *r, int sev, int clear)
{
	if (c->kind == C_CMP) {
		add_limit(out, n, k, r, c->a, sev, clear);
	} else if (c->kind == C_OUT || c->kind == C_IN) {
		add_limit(out, n, k, r, c->a, sev, clear);
		add_limit(out, n, k, r, c->b, sev, clear);
	}
}

size_t
iiot_thresh_limits(const struct iiot_thresh *t, const char *source,
    const char *sensor, struct iiot_thresh_limit *out, size_t n)
{
	const struct rule *r;
	size_t i, j, k = 0;

	for (i = 0; i < t->nrules; i++) {
		r = t->rules[i];
		if (!iiot_glob_match(r->sensor, sensor) ||
		    !iiot_glob_match(r->src, source))
			continue;
		cond_limits(&r->fire, out, n, &k, r, r->sev, 0);
		if (r->has_clear)
			cond_limits(&r->clear, out, n, &k, r, r->sev, 1);
		for (j = 0; j < r->nesc; j++)
			cond_limits(&r->esc[j].c, out, n, &k, r,
			    r->esc[j].sev, 0);
	}
	return k;
}
