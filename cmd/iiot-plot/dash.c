/* SPDX-License-Identifier: MIT */
/* dash.c: dashboard files (iiot-dashboard(5)) and -p quick panels. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_opt.h"
#include "iiot_time.h"
#include "iiot_x.h"
#include "plot.h"

static const char *const kinds[] = {
	[P_LINE] = "line", [P_GAUGE] = "gauge", [P_BAR] = "bar",
	[P_TABLE] = "table", [P_STAT] = "stat",
};

static const char *const aggs[] = {
	[A_LAST] = "last", [A_MEAN] = "mean", [A_MIN] = "min",
	[A_MAX] = "max", [A_SUM] = "sum", [A_DELTA] = "delta",
};

static int
msg(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static struct panel *
panel_new(int kind, int line)
{
	struct panel *p = iiot_xcalloc(1, sizeof(*p));

	p->kind = kind;
	p->line = line;
	p->min = p->max = NOVAL;
	p->warn = p->crit = p->warn_low = p->crit_low = NOVAL;
	p->cols = p->rows = 1;
	p->dial = 1;
	p->agg = A_LAST;
	return p;
}

static void
panel_free(struct panel *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->title);
	for (i = 0; i < p->nglobs; i++)
		free(p->globs[i]);
	free(p->globs);
	free(p->ylabel);
	free(p->unit);
	for (i = 0; i < p->ncolors; i++)
		free(p->colors[i]);
	free(p->ser);
	free(p);
}

static void
add_panel(struct dash *d, struct panel *p)
{
	d->panels = iiot_xrealloc(d->panels,
	    (d->npanels + 1) * sizeof(*d->panels));
	d->panels[d->npanels++] = p;
}

/* Add one glob; a pattern without '/' names a sensor of any source. */
static void
add_glob(struct panel *p, const char *g)
{
	struct iiot_buf b = IIOT_BUF_INIT;

	if (strchr(g, '/') == NULL && strcmp(g, "*") != 0) {
		if (iiot_buf_addf(&b, "*/%s", g) < 0)
			iiot_err(1, "cannot allocate");
	} else if (strcmp(g, "*") == 0) {
		if (iiot_buf_adds(&b, "*") < 0)
			iiot_err(1, "cannot allocate");
	} else if (iiot_buf_adds(&b, g) < 0)
		iiot_err(1, "cannot allocate");
	p->globs = iiot_xrealloc(p->globs, (p->nglobs + 1) *
	    sizeof(*p->globs));
	p->globs[p->nglobs++] = b.data;
}

/* Split a list on spaces and commas. */
static void
add_globs(struct panel *p, char *list)
{
	char *s = list, *e;

	for (;;) {
		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		e = s + strcspn(s, " ,\t");
		if (*e != '\0')
			*e++ = '\0';
		else
			e = s + strlen(s);
		add_glob(p, s);
		s = e;
	}
}

static int
is_color(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= 16)
		return 0;
	if (s[0] == '#') {
		if (n != 7)
			return 0;
		for (i = 1; i < n; i++)
			if (!isxdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
num(const char *key, const char *val, double *out, char *err, size_t errsz)
{
	if (iiot_num_parse(val, -1e300, 1e300, out) < 0)
		return msg(err, errsz, "%s: not a number: '%s'", key, val);
	return 0;
}

static int
dur(const char *key, const char *val, int64_t *out, char *err, size_t errsz)
{
	if (iiot_duration_parse(val, out) < 0 || *out <= 0)
		return msg(err, errsz, "%s: not a duration: '%s'", key, val);
	return 0;
}

/* "0=OFF:grey 1=RUN:green" */
static int
parse_states(struct panel *p, char *val, char *err, size_t errsz)
{
	char *s = val, *e, *eq, *col;
	struct state *st;

	p->nstates = 0;
	for (;;) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		e = s + strcspn(s, " ,");
		if (*e != '\0')
			*e++ = '\0';
		else
			e = s + strlen(s);
		if (p->nstates == MAXSTATES)
			return msg(err, errsz, "states: more than %d",
			    MAXSTATES);
		st = &p->states[p->nstates];
		if ((eq = strchr(s, '=')) == NULL)
			return msg(err, errsz, "states: expected "
			    "VALUE=TEXT[:COLOR]: '%s'", s);
		*eq++ = '\0';
		if ((col = strchr(eq, ':')) != NULL)
			*col++ = '\0';
		if (iiot_num_parse(s, -1e300, 1e300, &st->value) < 0)
			return msg(err, errsz, "states: not a number: '%s'", s);
		if (strlen(eq) >= sizeof(st->text) || *eq == '\0')
			return msg(err, errsz, "states: bad text: '%s'", eq);
		memcpy(st->text, eq, strlen(eq) + 1);
		st->color[0] = '\0';
		if (col != NULL) {
			if (!is_color(col))
				return msg(err, errsz, "states: not a colour:"
				    " '%s'", col);
			memcpy(st->color, col, strlen(col) + 1);
		}
		p->nstates++;
		s = e;
	}
	return 0;
}

static int
parse_span(const char *val, int *a, int *b)
{
	char *end;
	long x, y = 1;

	errno = 0;
	x = strtol(val, &end, 10);
	if (*end == 'x') {
		y = strtol(end + 1, &end, 10);
	}
	if (*end != '\0' || errno != 0 || x < 1 || x > 12 || y < 1 || y > 12)
		return -1;
	*a = (int)x;
	*b = (int)y;
	return 0;
}

/* Set one key of a panel. */
static int
panel_set(struct panel *p, const char *key, char *val, char *err,
    size_t errsz)
{
	size_t i;
	char *s, *e;

	if (strcmp(key, "title") == 0) {
		free(p->title);
		p->title = iiot_xstrdup(val);
	} else if (strcmp(key, "series") == 0) {
		add_globs(p, val);
	} else if (strcmp(key, "unit") == 0) {
		free(p->unit);
		p->unit = iiot_xstrdup(val);
	} else if (strcmp(key, "ylabel") == 0) {
		free(p->ylabel);
		p->ylabel = iiot_xstrdup(val);
	} else if (strcmp(key, "min") == 0) {
		return num(key, val, &p->min, err, errsz);
	} else if (strcmp(key, "max") == 0) {
		return num(key, val, &p->max, err, errsz);
	} else if (strcmp(key, "warn") == 0) {
		return num(key, val, &p->warn, err, errsz);
	} else if (strcmp(key, "crit") == 0) {
		return num(key, val, &p->crit, err, errsz);
	} else if (strcmp(key, "warn_low") == 0) {
		return num(key, val, &p->warn_low, err, errsz);
	} else if (strcmp(key, "crit_low") == 0) {
		return num(key, val, &p->crit_low, err, errsz);
	} else if (strcmp(key, "window") == 0) {
		return dur(key, val, &p->window, err, errsz);
	} else if (strcmp(key, "bucket") == 0) {
		return dur(key, val, &p->bucket, err, errsz);
	} else if (strcmp(key, "stale") == 0) {
		return dur(key, val, &p->stale, err, errsz);
	} else if (strcmp(key, "agg") == 0) {
		for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
			if (strcmp(val, aggs[i]) == 0)
				break;
		if (i == sizeof(aggs) / sizeof(aggs[0]))
			return msg(err, errsz, "agg: expected last, mean, "
			    "min, max, sum or delta: '%s'", val);
		p->agg = (int)i;
	} else if (strcmp(key, "style") == 0) {
		if (strcmp(val, "dial") == 0)
			p->dial = 1;
		else if (strcmp(val, "bar") == 0)
			p->dial = 0;
		else
			return msg(err, errsz, "style: expected dial or bar: "
			    "'%s'", val);
	} else if (strcmp(key, "scale") == 0) {
		if (strcmp(val, "log") == 0)
			p->logscale = 1;
		else if (strcmp(val, "linear") == 0)
			p->logscale = 0;
		else
			return msg(err, errsz, "scale: expected linear or "
			    "log: '%s'", val);
	} else if (strcmp(key, "span") == 0) {
		if (parse_span(val, &p->cols, &p->rows) < 0)
			return msg(err, errsz, "span: expected COLSxROWS "
			    "(1 to 12): '%s'", val);
	} else if (strcmp(key, "colors") == 0 || strcmp(key, "colours") == 0) {
		for (i = 0; i < p->ncolors; i++)
			free(p->colors[i]);
		p->ncolors = 0;
		for (s = val; *s != '\0'; s = e) {
			while (*s == ' ' || *s == ',')
				s++;
			if (*s == '\0')
				break;
			e = s + strcspn(s, " ,");
			if (*e != '\0')
				*e++ = '\0';
			else
				e = s + strlen(s);
			if (!is_color(s))
				return msg(err, errsz, "%s: not a colour: "
				    "'%s'", key, s);
			if (p->ncolors == MAXCOLORS)
				return msg(err, errsz, "%s: more than %d",
				    key, MAXCOLORS);
			p->colors[p->ncolors++] = iiot_xstrdup(s);
		}
	} else if (strcmp(key, "states") == 0) {
		return parse_states(p, val, err, errsz);
	} else
		return msg(err, errsz, "unknown key '%s'", key);
	return 0;
}

static int
check_panel(struct panel *p, char *err, size_t errsz)
{
	if (p->kind == P_GAUGE && p->nglobs != 1)
		return msg(err, errsz, "a gauge shows exactly one series "
		    "(series = SOURCE/SENSOR)");
	if (p->kind != P_TABLE && p->nglobs == 0)
		return msg(err, errsz, "%s panel without series",
		    kinds[p->kind]);
	if (p->min != NOVAL && p->max != NOVAL && p->min >= p->max)
		return msg(err, errsz, "min must be below max");
	if (p->kind == P_TABLE && p->nglobs == 0)
		add_glob(p, "*");
	return 0;
}

static int
kind_of(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, kinds[i]) == 0)
			return (int)i;
	return -1;
}

/* Set a key of the dashboard itself. */
static int
dash_set(struct dash *d, const char *key, const char *val, char *err,
    size_t errsz)
{
	int a, b;

	if (strcmp(key, "title") == 0) {
		free(d->title);
		d->title = iiot_xstrdup(val);
	} else if (strcmp(key, "layout") == 0) {
		if (parse_span(val, &a, &b) < 0)
			return msg(err, errsz, "layout: expected ROWSxCOLS "
			    "(1 to 12): '%s'", val);
		d->rows = a;
		d->cols = b;
	} else if (strcmp(key, "size") == 0) {
		char *end;
		long w, h;

		errno = 0;
		w = strtol(val, &end, 10);
		h = *end == 'x' ? strtol(end + 1, &end, 10) : 0;
		if (*end != '\0' || errno || w < 80 || w > 10000 || h < 24 ||
		    h > 10000)
			return msg(err, errsz, "size: expected WIDTHxHEIGHT: "
			    "'%s'", val);
		d->width = (int)w;
		d->height = (int)h;
	} else if (strcmp(key, "refresh") == 0) {
		return dur(key, val, &d->refresh, err, errsz);
	} else if (strcmp(key, "window") == 0) {
		return dur(key, val, &d->window, err, errsz);
	} else if (strcmp(key, "theme") == 0) {
		if (strcmp(val, "dark") == 0)
			d->dark = 1;
		else if (strcmp(val, "light") == 0)
			d->dark = 0;
		else
			return msg(err, errsz, "theme: expected light or "
			    "dark: '%s'", val);
	} else
		return msg(err, errsz, "unknown key '%s'", key);
	return 0;
}

int
dash_load(struct dash *d, const char *path, char *err, size_t errsz)
{
	FILE *f;
	char *buf = NULL, *s, *eq, *key, *val, m[256];
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, kind, rc = -1;
	struct panel *p = NULL;

	if ((f = fopen(path, "r")) == NULL)
		return msg(err, errsz, "cannot open '%s': %s", path,
		    strerror(errno));
	while ((n = getline(&buf, &cap, f)) >= 0) {
		lineno++;
		if (memchr(buf, '\0', (size_t)n) != NULL) {
			msg(err, errsz, "%s:%d: NUL byte", path, lineno);
			goto out;
		}
		s = trim(buf);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (s[strlen(s) - 1] != ']') {
				msg(err, errsz, "%s:%d: expected [KIND]",
				    path, lineno);
				goto out;
			}
			s[strlen(s) - 1] = '\0';
			s = trim(s + 1);
			if ((kind = kind_of(s)) < 0) {
				msg(err, errsz, "%s:%d: unknown panel kind "
				    "'%s' (line, gauge, bar, stat, table)",
				    path, lineno, s);
				goto out;
			}
			if (p != NULL && check_panel(p, m, sizeof(m)) < 0) {
				msg(err, errsz, "%s:%d: %s", path, p->line, m);
				goto out;
			}
			p = panel_new(kind, lineno);
			add_panel(d, p);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			msg(err, errsz, "%s:%d: expected KEY = VALUE or "
			    "[KIND]", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (*val == '\0') {
			msg(err, errsz, "%s:%d: %s: empty value", path,
			    lineno, key);
			goto out;
		}
		if ((p != NULL ? panel_set(p, key, val, m, sizeof(m)) :
		    dash_set(d, key, val, m, sizeof(m))) < 0) {
			msg(err, errsz, "%s:%d: %s", path, lineno, m);
			goto out;
		}
	}
	if (ferror(f)) {
		msg(err, errsz, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (p != NULL && check_panel(p, m, sizeof(m)) < 0) {
		msg(err, errsz, "%s:%d: %s", path, p->line, m);
		goto out;
	}
	if (d->npanels == 0) {
		msg(err, errsz, "%s:%d: no panels", path, lineno);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

int
dash_add_quick(struct dash *d, const char *spec, char *err, size_t errsz)
{
	char *copy = iiot_xstrdup(spec), *s, *e, *colon, *eq, m[256];
	struct panel *p;
	int kind;

	colon = strchr(copy, ':');
	if (colon != NULL)
		*colon = '\0';
	s = strchr(copy, ',');
	if (s != NULL && colon == NULL)
		*s = '\0';
	if ((kind = kind_of(trim(copy))) < 0) {
		msg(err, errsz, "-p '%s': unknown panel kind '%s' (line, "
		    "gauge, bar, stat, table)", spec, copy);
		free(copy);
		return -1;
	}
	p = panel_new(kind, 0);
	s = colon != NULL ? colon + 1 : (s != NULL ? s + 1 : NULL);
	for (; s != NULL && *s != '\0'; s = e) {
		e = strchr(s, ',');
		if (e != NULL)
			*e++ = '\0';
		s = trim(s);
		if (*s == '\0')
			continue;
		if ((eq = strchr(s, '=')) != NULL) {
			*eq = '\0';
			if (panel_set(p, trim(s), trim(eq + 1), m,
			    sizeof(m)) < 0)
				goto fail;
		} else
			add_glob(p, s);
	}
	if (check_panel(p, m, sizeof(m)) < 0)
		goto fail;
	add_panel(d, p);
	free(copy);
	return 0;
fail:
	msg(err, errsz, "-p '%s': %s", spec, m);
	panel_free(p);
	free(copy);
	return -1;
}

/*
 * Place the panels left to right, top to bottom on the grid, each
 * taking cols x rows cells at the first place where it fits.
 */
void
dash_layout(struct dash *d)
{
	int rows = d->rows, cols = d->cols, r, c, i, j, ok, placed;
	size_t k, cells = 0;
	unsigned char *used;
	struct panel *p;

	for (k = 0; k < d->npanels; k++)
		cells += (size_t)(d->panels[k]->cols * d->panels[k]->rows);
	if (cols == 0) {
		cols = 1;
		while ((size_t)(cols * cols) < cells)
			cols++;
	}
	for (k = 0; k < d->npanels; k++)
		if (d->panels[k]->cols > cols)
			d->panels[k]->cols = cols;
	if (rows < 1)
		rows = 1;
	used = iiot_xcalloc((cells + 1) * (size_t)cols * 12, 1);
	for (k = 0; k < d->npanels; k++) {
		p = d->panels[k];
		placed = 0;
		for (r = 0; !placed; r++)
			for (c = 0; c + p->cols <= cols && !placed; c++) {
				ok = 1;
				for (i = 0; i < p->rows && ok; i++)
					for (j = 0; j < p->cols; j++)
						if (used[(size_t)(r + i) *
						    (size_t)cols +
						    (size_t)(c + j)])
							ok = 0;
				if (!ok)
					continue;
				for (i = 0; i < p->rows; i++)
					for (j = 0; j < p->cols; j++)
						used[(size_t)(r + i) *
						    (size_t)cols +
						    (size_t)(c + j)] = 1;
				p->gx = c;
				p->gy = r;
				placed = 1;
				if (r + p->rows > rows)
					rows = r + p->rows;
			}
	}
	free(used);
	d->grows = rows;
	d->gcols = cols;
}

void
dash_free(struct dash *d)
{
	size_t k;

	for (k = 0; k < d->npanels; k++)
		panel_free(d->panels[k]);
	free(d->panels);
	free(d->title);
	memset(d, 0, sizeof(*d));
}
