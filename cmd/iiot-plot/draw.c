/* SPDX-License-Identifier: MIT */
/* draw.c: the gnuplot commands that draw a dashboard, panel by panel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iiot_buf.h"
#include "iiot_time.h"
#include "plot.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Colours of a theme. */
struct theme {
	const char *bg, *card, *text, *muted, *grid, *track;
	const char *ok, *warn, *crit, *stale, *head, *stripe;
};

static const struct theme light = {
	"#eef0f3", "#ffffff", "#1f2328", "#6e7781", "#d8dee4", "#e4e7eb",
	"#2ca02c", "#f0a30a", "#d62728", "#9a6700", "#e9edf2", "#f6f8fa",
};

static const struct theme dark = {
	"#111217", "#1c1e24", "#e0e1e3", "#9a9ca2", "#33363d", "#2c2f36",
	"#56a64b", "#f2cc0c", "#e02f44", "#ff9830", "#262930", "#212329",
};

static const char *const palette[MAXCOLORS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78",
	"#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
	"#dbdb8d", "#9edae5",
};

static const char *const dark_palette[MAXCOLORS] = {
	"#5794f2", "#ff9830", "#b877d9", "#73bf69", "#8ab8ff", "#f2495c",
	"#fade2a", "#ff780a", "#37872d", "#f2cc0c", "#96d98d", "#ffb357",
	"#c0d8ff", "#ffa6b0", "#ca95e5", "#1f60c4", "#fff899", "#8f3bb8",
	"#c4162a", "#e0b400",
};

/* The state of one redraw. */
struct ctx {
	struct iiot_buf *b;
	const struct view *v;
	const struct theme *th;
	double W, H;			/* canvas in pixels (characters: dumb) */
	double cw, lh;			/* a character's width, a line's height */
	int text;			/* a text terminal: no fills */
	int fs;				/* base font size */
	int obj;			/* next object tag */
	int blk;			/* next datablock number */
	const struct dash *d;
};

#define SX(c, x) ((x) / (c)->W)
#define SY(c, y) (1.0 - (y) / (c)->H)

/*
 * Append s as a gnuplot single-quoted string, for commands: gnuplot runs
 * `backquoted` text inside double quotes through the shell, and names
 * and units come from the records.  A quote is written twice.
 */
static void
qstr(struct iiot_buf *b, const char *s)
{
	iiot_buf_addc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			iiot_buf_addc(b, '\'');
		iiot_buf_addc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
	}
	iiot_buf_addc(b, '\'');
}

/* Append s as a double-quoted string of an inline data block. */
static void
dstr(struct iiot_buf *b, const char *s)
{
	iiot_buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			iiot_buf_addc(b, '\\');
		if ((unsigned char)*s < 0x20)
			iiot_buf_addc(b, ' ');
		else
			iiot_buf_addc(b, *s);
	}
	iiot_buf_addc(b, '"');
}

/* A unit for display: degC as °C, counts without a unit. */
static const char *
nice_unit(const char *u)
{
	if (u == NULL || strcmp(u, "count") == 0)
		return "";
	if (strcmp(u, "degC") == 0)
		return "\xc2\xb0" "C";
	if (strcmp(u, "degF") == 0)
		return "\xc2\xb0" "F";
	return u;
}

/* A value with as many decimals as its size calls for. */
static void
fmtval(char *buf, size_t n, double v)
{
	double a = fabs(v);
	size_t l;

	if (isnan(v)) {
		snprintf(buf, n, "-");
		return;
	}
	if (a >= 1e5)
		snprintf(buf, n, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, n, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3g", v);
	/* No trailing zeros: "58.4", "204". */
	if (strchr(buf, '.') != NULL && strchr(buf, 'e') == NULL) {
		l = strlen(buf);
		while (l > 0 && buf[l - 1] == '0')
			buf[--l] = '\0';
		if (l > 0 && buf[l - 1] == '.')
			buf[--l] = '\0';
	}
}

static void
fmttime(const struct view *v, int64_t ms, char *buf, size_t n,
    const char *fmt)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (v->utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	if (strftime(buf, n, fmt, &tm) == 0)
		buf[0] = '\0';
}

static const char *
color_of(const struct ctx *c, const struct panel *p, size_t i)
{
	if (p->ncolors > 0)
		return p->colors[i % p->ncolors];
	return (c->v->dark ? dark_palette : palette)[i % MAXCOLORS];
}

/* A "#rrggbb" colour as a number; other names give the fallback's. */
static long
rgb_int(const char *col, const char *fallback)
{
	if (col[0] != '#')
		col = fallback;
	return strtol(col + 1, NULL, 16);
}

/* The zone of a value: 0 ok, 1 warn, 2 crit. */
static int
zone(const struct panel *p, double v)
{
	if ((p->crit != NOVAL && v >= p->crit) ||
	    (p->crit_low != NOVAL && v <= p->crit_low))
		return 2;
	if ((p->warn != NOVAL && v >= p->warn) ||
	    (p->warn_low != NOVAL && v <= p->warn_low))
		return 1;
	return 0;
}

static int
has_limits(const struct panel *p)
{
	return p->warn != NOVAL || p->crit != NOVAL || p->warn_low != NOVAL ||
	    p->crit_low != NOVAL;
}

static const char *
zone_color(const struct ctx *c, int z)
{
	return z == 2 ? c->th->crit : z == 1 ? c->th->warn : c->th->ok;
}

static int
is_stale(const struct ctx *c, const struct panel *p, const struct series *s)
{
	int64_t st = p->stale > 0 ? p->stale : c->v->stale;

	return s->last_ts == IIOT_TS_NONE || c->v->now - s->last_ts > st;
}

/* A label at pixel (x, y) of the canvas. */
static void
label(struct ctx *c, double x, double y, const char *just, const char *col,
    double size, int bold, const char *text)
{
	iiot_buf_adds(c->b, "set label ");
	qstr(c->b, text);
	iiot_buf_addf(c->b, " at screen %.5f, screen %.5f %s tc rgb \"%s\"",
	    SX(c, x), SY(c, y), just, col);
	if (!c->text)
		iiot_buf_addf(c->b, " font \"DejaVu Sans%s,%.0f\"",
		    bold ? " Bold" : "", size);
	iiot_buf_adds(c->b, " front\n");
}

/* The largest font size (up to max) at which text fits in width px. */
static double
fit(const struct ctx *c, const char *text, double width, double max)
{
	size_t n = 0;
	double size;

	(void)c;
	for (; *text != '\0'; text++)
		if (((unsigned char)*text & 0xc0) != 0x80)
			n++;
	size = width / ((n ? (double)n : 1) * 0.85);
	return size < max ? size : max;
}

/* A filled rectangle in pixels of the canvas. */
static void
rect(struct ctx *c, double x0, double y0, double x1, double y1,
    const char *col, const char *where)
{
	if (c->text)
		return;
	iiot_buf_addf(c->b, "set object %d rect from screen %.5f, screen %.5f"
	    " to screen %.5f, screen %.5f %s fc rgb \"%s\" fs solid 1.0 "
	    "noborder\n", c->obj++, SX(c, x0), SY(c, y1), SX(c, x1),
	    SY(c, y0), where, col);
}

/* Margins of the next plot, in pixels of the canvas. */
static void
margins(struct ctx *c, double x0, double y0, double x1, double y1)
{
	iiot_buf_addf(c->b, "set lmargin at screen %.5f\nset rmargin at "
	    "screen %.5f\nset tmargin at screen %.5f\nset bmargin at screen "
	    "%.5f\n", SX(c, x0), SX(c, x1), SY(c, y0), SY(c, y1));
}

/* Reset between panels, and the theme's colours. */
static void
panel_begin(struct ctx *c)
{
	const struct theme *th = c->th;

	iiot_buf_addf(c->b, "reset\nunset key\nset border lc rgb \"%s\"\n"
	    "set tics textcolor rgb \"%s\" nomirror out scale 0.5\n"
	    "set grid lc rgb \"%s\" lw 0.8\nset xlabel tc rgb \"%s\"\n"
	    "set ylabel tc rgb \"%s\"\nset key textcolor rgb \"%s\"\n"
	    "set datafile missing NaN\n",
	    th->grid, th->muted, th->grid, th->muted, th->muted, th->text);
	c->obj = 1;
}

/* The card of a panel and its title; returns the top of its inside. */
static double
card(struct ctx *c, const struct panel *p, double *x0, double *y0,
    double *x1, double *y1, const char *title)
{
	double pad = c->text ? 0 : 5;

	(void)p;
	*x0 += pad;
	*y0 += pad;
	*x1 -= pad;
	*y1 -= pad;
	rect(c, *x0, *y0, *x1, *y1, c->th->card, "behind");
	if (title != NULL && *title != '\0') {
		char buf[256];
		size_t room = sizeof(buf) - 1;

		/* Text cells do not overlap: cut the title to the panel. */
		if (c->text && *x1 - *x0 - 2 < (double)room)
			room = *x1 - *x0 - 2 > 1 ? (size_t)(*x1 - *x0 - 2) : 1;
		snprintf(buf, sizeof(buf), "%.*s", (int)room, title);
		label(c, *x0 + (c->text ? 1 : 10), *y0 + (c->text ? 1 :
		    c->lh * 1.1), "left", c->th->text, c->fs + 1, 1, buf);
	}
	return *y0 + (c->text ? 1.5 : c->lh * 2.0);
}

/* An empty plot, so that the objects and labels set are drawn. */
static void
blank(struct ctx *c)
{
	iiot_buf_adds(c->b, "unset border\nunset tics\nunset grid\n"
	    "set xrange [0:1]\nset yrange [0:1]\nplot NaN notitle\n");
}

/* The first point at or after t (points are in time order). */
static size_t
lower(const struct series *s, int64_t t)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ser_ts(s, mid) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Write a series as a datablock decimated to ncol columns over [t0, t1]:
 * the minimum and the maximum of each column, in time order, and a
 * blank line (a break in the line) over a gap longer than gap.
 */
static size_t
datablock(struct ctx *c, const struct series *s, int64_t t0, int64_t t1,
    int ncol, int64_t gap, double *lo, double *hi)
{
	size_t i = lower(s, t0), imin = 0, imax = 0, n = 0, first, second;
	long col = -1, k;
	double span = (double)(t1 - t0);
	int64_t prev = IIOT_TS_NONE, ts;
	double off = c->v->tzoff / 1000.0;
	char buf[64];
	int len, prec;

	/* Milliseconds only where a pixel column is shorter than 10 s. */
	prec = span / ncol < 10000 ? 3 : 0;
	iiot_buf_addf(c->b, "$d%d << EOD\n", c->blk);
	/* One point before the window, so the line starts at its edge. */
	if (i > 0)
		i--;
	for (;; i++) {
		ts = i < s->n ? ser_ts(s, i) : IIOT_TS_NONE;
		k = i < s->n ? (long)((double)(ts - t0) / span * ncol) : -2;
		if (k != col && col != -1) {
			/* Flush the column: its min and max in time order. */
			first = imin < imax ? imin : imax;
			second = imin < imax ? imax : imin;
			if (ser_v(s, imin) < *lo)
				*lo = ser_v(s, imin);
			if (ser_v(s, imax) > *hi)
				*hi = ser_v(s, imax);
			if (prev != IIOT_TS_NONE &&
			    ser_ts(s, first) - prev > gap)
				iiot_buf_adds(c->b, "\n");
			len = snprintf(buf, sizeof(buf), "%.*f %.7g\n", prec,
			    ser_ts(s, first) / 1000.0 + off, ser_v(s, first));
			iiot_buf_add(c->b, buf, (size_t)len);
			n++;
			if (second != first) {
				len = snprintf(buf, sizeof(buf), "%.*f %.7g\n",
				    prec, ser_ts(s, second) / 1000.0 + off,
				    ser_v(s, second));
				iiot_buf_add(c->b, buf, (size_t)len);
				n++;
			}
			prev = ser_ts(s, second);
		}
		if (i >= s->n)
			break;
		if (k != col) {
			col = k;
			imin = imax = i;
		} else {
			if (ser_v(s, i) < ser_v(s, imin))
				imin = i;
			if (ser_v(s, i) > ser_v(s, imax))
				imax = i;
		}
	}
	iiot_buf_adds(c->b, "EOD\n");
	return n;
}

/* Tics on a time axis: a round interval giving about one per px. */
static void
time_axis(struct ctx *c, int64_t window, double width, double px)
{
	static const int64_t steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
		7200, 10800, 21600, 43200, 86400, 172800, 604800,
	};
	double want = (window / 1000.0) / (width / px);
	size_t i;
	int64_t st = steps[0];
	const char *fmt;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		st = steps[i];
		if (st >= want)
			break;
	}
	if (st < 60)
		fmt = "%H:%M:%S";
	else if (st < 86400 && window <= 86400000)
		fmt = "%H:%M";
	else if (st < 86400)
		fmt = "%d/%m %H:%M";
	else
		fmt = "%d/%m";
	iiot_buf_addf(c->b, "set xtics %lld\nset format x \"%s\" timedate\n",
	    (long long)st, fmt);
}

/* Horizontal limit lines and the shaded zones beyond them. */
static void
limit_lines(struct ctx *c, const struct panel *p)
{
	const double lims[4] = { p->warn, p->crit, p->warn_low, p->crit_low };
	const char *names[4] = { "warn", "crit", "warn", "crit" };
	char buf[64], v[32];
	int i;

	for (i = 0; i < 4; i++) {
		if (lims[i] == NOVAL)
			continue;
		iiot_buf_addf(c->b, "set arrow from graph 0, first %.9g to "
		    "graph 1, first %.9g nohead lc rgb \"%s\" lw 1.5 dt 2 "
		    "front\n", lims[i], lims[i],
		    zone_color(c, i % 2 == 0 ? 1 : 2));
		fmtval(v, sizeof(v), lims[i]);
		snprintf(buf, sizeof(buf), "%s %s", names[i], v);
		iiot_buf_adds(c->b, "set label ");
		qstr(c->b, buf);
		iiot_buf_addf(c->b, " at graph 0.995, first %.9g right "
		    "offset 0,0.6 tc rgb \"%s\" front\n", lims[i],
		    zone_color(c, i % 2 == 0 ? 1 : 2));
		if (c->text)
			continue;
		if (i == 1)
			iiot_buf_addf(c->b, "set object %d rect from graph 0, "
			    "first %.9g to graph 1, graph 1 behind fc rgb "
			    "\"%s\" fs transparent solid 0.08 noborder\n",
			    c->obj++, lims[i], c->th->crit);
		if (i == 3)
			iiot_buf_addf(c->b, "set object %d rect from graph 0, "
			    "graph 0 to graph 1, first %.9g behind fc rgb "
			    "\"%s\" fs transparent solid 0.08 noborder\n",
			    c->obj++, lims[i], c->th->crit);
	}
}

/*
 * A datablock of invisible points at the limits, so that autoscaling
 * keeps the limit lines in view.  Returns its number, or -1 if none.
 */
static int
limit_block(struct ctx *c, const struct panel *p, double x)
{
	const double lims[4] = { p->warn, p->crit, p->warn_low, p->crit_low };
	int i;

	if (!has_limits(p))
		return -1;
	iiot_buf_addf(c->b, "$d%d << EOD\n", c->blk);
	for (i = 0; i < 4; i++)
		if (lims[i] != NOVAL)
			iiot_buf_addf(c->b, "%.3f %.9g\n", x, lims[i]);
	iiot_buf_adds(c->b, "EOD\n");
	return c->blk++;
}

/* The plot command, with the limits' block first. */
static void
plot_begin(struct ctx *c, int lim)
{
	iiot_buf_adds(c->b, "plot ");
	if (lim >= 0)
		iiot_buf_addf(c->b, "$d%d using 1:2 with points pt 7 ps 0 "
		    "lc rgb \"%s\" notitle, \\\n  ", lim, c->th->card);
}

/* The unit of a panel: its own, else its first series'. */
static const char *
panel_unit(const struct panel *p)
{
	size_t i;

	if (p->unit != NULL)
		return p->unit;
	for (i = 0; i < p->nser; i++)
		if (p->ser[i]->unit[0] != '\0')
			return p->ser[i]->unit;
	return NULL;
}

static void
axis_label(struct ctx *c, const struct panel *p)
{
	const char *u = nice_unit(panel_unit(p));
	char buf[128];

	if (p->ylabel != NULL && *u != '\0')
		snprintf(buf, sizeof(buf), "%s [%s]", p->ylabel, u);
	else if (p->ylabel != NULL)
		snprintf(buf, sizeof(buf), "%s", p->ylabel);
	else
		snprintf(buf, sizeof(buf), "%s", u);
	if (buf[0] == '\0')
		return;
	iiot_buf_adds(c->b, "set ylabel ");
	qstr(c->b, buf);
	iiot_buf_adds(c->b, c->text ? "\n" : " offset 1,0\n");
}

static void
yrange(struct ctx *c, const struct panel *p)
{
	char lo[32] = "*", hi[32] = "*";

	if (p->min != NOVAL)
		snprintf(lo, sizeof(lo), "%.9g", p->min);
	if (p->max != NOVAL)
		snprintf(hi, sizeof(hi), "%.9g", p->max);
	iiot_buf_addf(c->b, "set yrange [%s:%s]\n", lo, hi);
	if (p->logscale)
		iiot_buf_adds(c->b, "set logscale y\n");
}

static void
no_data(struct ctx *c, double x0, double y0, double x1, double y1)
{
	label(c, (x0 + x1) / 2, (y0 + y1) / 2, "center", c->th->muted,
	    c->fs + 2, 0, "no data");
}

/* A time-series panel: every matched series as a line. */
static void
draw_line(struct ctx *c, struct panel *p, double x0, double y0, double x1,
    double y1)
{
	int64_t win = p->window > 0 ? p->window : c->v->window;
	int64_t t1 = c->v->now, t0 = t1 - win, gap;
	double top, lm, keyh = 0, namew = 0, off;
	double lo = HUGE_VAL, hi = -HUGE_VAL;
	size_t i, n = 0, len, maxlen = 0;
	int ncol, percol = 1, keyrows = 0, *blks;

	top = card(c, p, &x0, &y0, &x1, &y1, p->title != NULL ? p->title :
	    (p->nglobs > 0 ? p->globs[0] : ""));
	for (i = 0; i < p->nser; i++) {
		len = strlen(p->ser[i]->name);
		if (len > maxlen)
			maxlen = len;
	}
	/* The key goes below the graph, in as many columns as fit. */
	if (p->nser > 1) {
		namew = (double)maxlen * c->cw + (c->text ? 6 : 40);
		percol = (int)((x1 - x0 - 2 * c->cw) / namew);
		if (percol < 1)
			percol = 1;
		keyrows = (int)((p->nser + (size_t)percol - 1) /
		    (size_t)percol);
		keyh = c->text ? keyrows + 1 : keyrows * c->lh * 1.15;
	}
	lm = c->text ? 10 : c->cw * 9 + c->lh * 1.4;
	margins(c, x0 + lm, top, x1 - (c->text ? 2 : 14),
	    y1 - (c->text ? 2 : c->lh * 1.9) - keyh);
	ncol = (int)(x1 - x0 - lm);
	if (ncol < 10)
		ncol = 10;
	time_axis(c, win, x1 - x0 - lm, c->text ? 12 : 90);
	off = c->v->tzoff / 1000.0;
	iiot_buf_addf(c->b, "set xrange [%.3f:%.3f]\n", t0 / 1000.0 + off,
	    t1 / 1000.0 + off);
	yrange(c, p);
	axis_label(c, p);
	limit_lines(c, p);
	if (p->nser > 1)
		iiot_buf_addf(c->b, "set key at screen %.5f, screen %.5f left "
		    "top vertical maxcols %d maxrows %d samplen 2 width %d "
		    "reverse Left noenhanced noautotitle\n", SX(c, x0 + (c->text ? 1 :
		    10)), SY(c, y1 - keyh - (c->text ? 0 : 4)), percol,
		    keyrows, c->text ? 0 : 1);
	/* A heartbeat every stale period is no gap; silence beyond it is. */
	gap = (p->stale > 0 ? p->stale : c->v->stale) * 3 / 2;
	if (gap < 3 * win / ncol)
		gap = 3 * win / ncol;
	blks = calloc(p->nser + 1, sizeof(*blks));
	for (i = 0; i < p->nser && blks != NULL; i++) {
		blks[i] = c->blk;
		if (datablock(c, p->ser[i], t0, t1, ncol, gap, &lo,
		    &hi) > 0)
			n++;
		c->blk++;
	}
	if (n == 0 || blks == NULL) {
		no_data(c, x0, top, x1, y1);
		iiot_buf_addf(c->b, "set yrange [%s:%s]\nplot NaN notitle\n",
		    p->min != NOVAL ? "" : "0", p->max != NOVAL ? "" : "1");
		free(blks);
		return;
	}
	/* A flat line gets a range of its own, not gnuplot's warning. */
	if (lo == hi && p->min == NOVAL && p->max == NOVAL &&
	    !has_limits(p))
		iiot_buf_addf(c->b, "set yrange [%.9g:%.9g]\n", lo - 1, hi + 1);
	plot_begin(c, limit_block(c, p, t1 / 1000.0 + off));
	for (i = 0; i < p->nser; i++) {
		iiot_buf_addf(c->b, "%s$d%d using 1:2 with lines lw %s lc rgb "
		    "\"%s\" title ", i ? ", \\\n  " : "", blks[i],
		    c->text ? "1" : "1.6", color_of(c, p, i));
		qstr(c->b, p->nser > 1 ? p->ser[i]->name : "");
	}
	iiot_buf_adds(c->b, "\n");
	free(blks);
}

/* Aggregate a series over [t0, t1). */
static double
aggregate(const struct series *s, int agg, int64_t t0, int64_t t1)
{
	size_t i = lower(s, t0), j = lower(s, t1), k;
	double r = NAN, v;

	if (i >= j)
		return NAN;
	switch (agg) {
	case A_LAST:
		return ser_v(s, j - 1);
	case A_DELTA:
		/* A counter's increase: from the last value before. */
		v = i > 0 ? ser_v(s, i - 1) : ser_v(s, i);
		r = ser_v(s, j - 1) - v;
		return r < 0 ? ser_v(s, j - 1) : r;
	default:
		break;
	}
	for (k = i; k < j; k++) {
		v = ser_v(s, k);
		if (k == i)
			r = v;
		else if (agg == A_MIN && v < r)
			r = v;
		else if (agg == A_MAX && v > r)
			r = v;
		else if (agg == A_SUM || agg == A_MEAN)
			r += v;
	}
	if (agg == A_MEAN)
		r /= (double)(j - i);
	return r;
}

/* The aligned bucket holding t (local time when not --utc). */
static int64_t
bucket_start(const struct view *v, int64_t t, int64_t bucket)
{
	int64_t l = t + v->tzoff, r = l % bucket;

	if (r < 0)
		r += bucket;
	return l - r - v->tzoff;
}

/*
 * A short name for series i of a bar panel: the source when every
 * series is the same sensor, the sensor when they share the source.
 */
static const char *
short_name(const struct panel *p, size_t i)
{
	const char *n = p->ser[i]->name, *sl = strchr(n, '/'), *o;
	size_t k;
	int same_sensor = 1, same_source = 1;
	static char buf[128];

	if (p->nser < 2 || sl == NULL)
		return n;
	for (k = 0; k < p->nser; k++) {
		o = strchr(p->ser[k]->name, '/');
		if (o == NULL)
			return n;
		if (strcmp(o, sl) != 0)
			same_sensor = 0;
		if (o - p->ser[k]->name != sl - n ||
		    strncmp(p->ser[k]->name, n, (size_t)(sl - n)) != 0)
			same_source = 0;
	}
	if (same_source)
		return sl + 1;
	if (same_sensor && (size_t)(sl - n) < sizeof(buf)) {
		memcpy(buf, n, (size_t)(sl - n));
		buf[sl - n] = '\0';
		return buf;
	}
	return n;
}

/* A bar panel: per series, or per time bucket. */
static void
draw_bar(struct ctx *c, struct panel *p, double x0, double y0, double x1,
    double y1)
{
	int64_t win = p->window > 0 ? p->window : c->v->window;
	int64_t t1 = c->v->now, b0, b;
	double top, lm, val, off = c->v->tzoff / 1000.0, bw;
	size_t i, n = 0, nb;
	char vb[32];
	int z, base;

	top = card(c, p, &x0, &y0, &x1, &y1, p->title != NULL ? p->title :
	    (p->nglobs > 0 ? p->globs[0] : ""));
	lm = c->text ? 10 : c->cw * 9 + c->lh * 1.4;
	axis_label(c, p);
	yrange(c, p);
	if (p->min == NOVAL && !p->logscale)
		iiot_buf_adds(c->b, "set yrange [0:*]\n");
	limit_lines(c, p);
	iiot_buf_adds(c->b, "set offsets 0, 0, graph 0.1, 0\n");
	iiot_buf_adds(c->b, "set grid noxtics ytics\nset boxwidth 1.0 "
	    "absolute\nset style fill solid 0.85 noborder\n");
	if (p->bucket > 0) {
		/* Bars over time: one group per bucket. */
		margins(c, x0 + lm, top, x1 - 14, y1 - (c->text ? 2 :
		    c->lh * 1.9) - (p->nser > 1 ? c->lh * 1.3 : 0));
		b0 = bucket_start(c->v, t1 - win + p->bucket, p->bucket);
		nb = (size_t)((t1 - b0) / p->bucket + 1);
		bw = p->bucket / 1000.0 * 0.8 / (double)(p->nser ? p->nser : 1);
		time_axis(c, win, x1 - x0 - lm, c->text ? 12 : 70);
		iiot_buf_addf(c->b, "set xrange [%.3f:%.3f]\n", b0 / 1000.0 +
		    off, (b0 + (int64_t)nb * p->bucket) / 1000.0 + off);
		base = c->blk;
		c->blk += (int)p->nser;
		for (i = 0; i < p->nser; i++) {
			iiot_buf_addf(c->b, "$d%d << EOD\n", base + (int)i);
			for (b = b0; b <= t1; b += p->bucket) {
				val = aggregate(p->ser[i], p->agg, b,
				    b + p->bucket);
				if (isnan(val))
					continue;
				fmtval(vb, sizeof(vb), val);
				iiot_buf_addf(c->b, "%.3f %.9g %s\n",
				    b / 1000.0 + off + p->bucket / 1000.0 *
				    0.1 + bw * ((double)i + 0.5), val, vb);
				n++;
			}
			iiot_buf_adds(c->b, "EOD\n");
		}
		if (n == 0) {
			no_data(c, x0, top, x1, y1);
			iiot_buf_adds(c->b, "set yrange [0:1]\nplot NaN "
			    "notitle\n");
			return;
		}
		if (p->nser > 1)
			iiot_buf_addf(c->b, "set key at screen %.5f, screen "
			    "%.5f left top horizontal samplen 1 reverse Left "
			    "noenhanced\n",
			    SX(c, x0 + 10), SY(c, y1 - c->lh * 1.1));
		plot_begin(c, limit_block(c, p, b0 / 1000.0 + off));
		for (i = 0; i < p->nser; i++) {
			iiot_buf_addf(c->b, "%s$d%d using 1:2:(%.3f) with "
			    "boxes lc rgb \"%s\" title ", i ? ", \\\n  " :
			    "", base + (int)i, bw * 0.95,
			    color_of(c, p, i));
			qstr(c->b, p->nser > 1 ? p->ser[i]->name : "");
			if (nb <= 36 && p->nser <= 2 && !c->text)
				iiot_buf_addf(c->b, ", $d%d using 1:2:3 with "
				    "labels offset 0,0.7 tc rgb \"%s\" font "
				    "\",%d\" notitle", base + (int)i,
				    c->th->muted, c->fs - 2);
		}
		iiot_buf_adds(c->b, "\n");
		return;
	}
	/* One bar per series: its aggregate over the window. */
	base = c->blk++;
	margins(c, x0 + lm, top + c->lh * 0.8, x1 - 14, y1 - (c->text ? 2 :
	    c->lh * 2.2));
	iiot_buf_addf(c->b, "$d%d << EOD\n", base);
	for (i = 0; i < p->nser; i++) {
		val = aggregate(p->ser[i], p->agg, t1 - win, t1 + 1);
		if (isnan(val))
			continue;
		fmtval(vb, sizeof(vb), val);
		z = zone(p, val);
		iiot_buf_addf(c->b, "%zu %.9g \"%s\" %ld ", i, val, vb,
		    rgb_int(has_limits(p) ? zone_color(c, z) :
		    color_of(c, p, i), (c->v->dark ? dark_palette :
		    palette)[i % MAXCOLORS]));
		dstr(c->b, short_name(p, i));
		iiot_buf_adds(c->b, "\n");
		n++;
	}
	iiot_buf_adds(c->b, "EOD\n");
	if (n == 0) {
		no_data(c, x0, top, x1, y1);
		iiot_buf_adds(c->b, "set yrange [0:1]\nplot NaN notitle\n");
		return;
	}
	iiot_buf_addf(c->b, "set xrange [-0.6:%zu.4]\nset boxwidth 0.7 "
	    "relative\nset xtics nomirror scale 0 noenhanced%s\n",
	    p->nser - 1, (x1 - x0) / (double)p->nser < (double)12 * c->cw ?
	    " rotate by -25" : "");
	plot_begin(c, limit_block(c, p, 0));
	iiot_buf_addf(c->b, "$d%d using 1:2:(0.7):($4)"
	    ":xtic(5) with boxes lc rgb variable notitle", base);
	if (p->nser <= 24 && !c->text)
		iiot_buf_addf(c->b, ", $d%d using 1:2:3 with labels offset "
		    "0,0.7 tc rgb \"%s\" notitle", base, c->th->text);
	iiot_buf_adds(c->b, "\n");
}

/* The engineering range of a gauge: its own, else a guess. */
static void
gauge_range(const struct panel *p, const struct series *s, double *lo,
    double *hi)
{
	double top = 0;

	*lo = p->min != NOVAL ? p->min : 0;
	if (p->max != NOVAL) {
		*hi = p->max;
		return;
	}
	if (p->crit != NOVAL)
		top = p->crit * 1.25;
	if (s != NULL && s->n > 0 && s->last * 1.2 > top)
		top = s->last * 1.2;
	if (top <= *lo)
		top = *lo + 100;
	*hi = pow(10, floor(log10(top - *lo)));
	*hi = ceil((top - *lo) / *hi) * *hi + *lo;
}

static double
angle(double v, double lo, double hi)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return 225 - 270 * (v - lo) / (hi - lo);
}

/* One wedge of the dial: a filled arc of a circle. */
static void
wedge(struct ctx *c, double r, double a0, double a1, const char *col)
{
	iiot_buf_addf(c->b, "set object %d circle at 0,0 size %.3f arc "
	    "[%.3f:%.3f] fc rgb \"%s\" fs solid 1.0 noborder front\n",
	    c->obj++, r, a0, a1, col);
}

/* The zones of a gauge between lo and hi, as (from, to, zone) runs. */
static size_t
zones(const struct panel *p, double lo, double hi, double *from,
    double *to, int *z)
{
	double cuts[6] = { lo, p->crit_low, p->warn_low, p->warn, p->crit,
	    hi };
	double pts[6];
	size_t i, n = 0, k = 0;

	for (i = 0; i < 6; i++)
		if (cuts[i] != NOVAL && cuts[i] >= lo && cuts[i] <= hi)
			pts[n++] = cuts[i];
	for (i = 0; i + 1 < n; i++) {
		if (pts[i + 1] <= pts[i])
			continue;
		from[k] = pts[i];
		to[k] = pts[i + 1];
		z[k] = zone(p, (pts[i] + pts[i + 1]) / 2);
		k++;
	}
	return k;
}

/* A gauge: a dial (or a bar) with its zones and the current value. */
static void
draw_gauge(struct ctx *c, struct panel *p, double x0, double y0, double x1,
    double y1)
{
	struct series *s = p->nser > 0 ? p->ser[0] : NULL;
	double top, lo, hi, w, h, r, cy, from[6], to[6], a;
	double vx, big;
	char vb[48], ub[48], title[160];
	int z[6], zc = 0, stale;
	size_t nz, i;
	const char *vcol, *u;

	snprintf(title, sizeof(title), "%s", p->title != NULL ? p->title :
	    (s != NULL ? s->name : p->globs[0]));
	top = card(c, p, &x0, &y0, &x1, &y1, title);
	gauge_range(p, s, &lo, &hi);
	nz = zones(p, lo, hi, from, to, z);
	stale = s == NULL || is_stale(c, p, s);
	if (s != NULL && s->n + (s->last_ts != IIOT_TS_NONE) > 0) {
		fmtval(vb, sizeof(vb), s->last);
		zc = zone(p, s->last);
		vcol = stale ? c->th->muted : zone_color(c, zc);
	} else {
		snprintf(vb, sizeof(vb), "-");
		vcol = c->th->muted;
	}
	u = nice_unit(p->unit != NULL ? p->unit : (s != NULL ? s->unit : ""));
	snprintf(ub, sizeof(ub), "%s%s", u, stale && s != NULL ? " (stale)" :
	    "");
	if (c->text) {
		/* A text gauge: the value, its zone, and a bar. */
		char bar[128];
		int len = (int)(x1 - x0 - 4), k, fill;

		if (len > (int)sizeof(bar) - 3)
			len = (int)sizeof(bar) - 3;
		if (len < 4)
			len = 4;
		fill = s != NULL && s->last_ts != IIOT_TS_NONE ?
		    (int)lround((s->last - lo) / (hi - lo) * (len - 2)) : 0;
		if (fill < 0)
			fill = 0;
		if (fill > len - 2)
			fill = len - 2;
		bar[0] = '[';
		for (k = 0; k < len - 2; k++)
			bar[k + 1] = k < fill ? '#' : '.';
		bar[len - 1] = ']';
		bar[len] = '\0';
		snprintf(title, sizeof(title), "%s %s  %s", vb, u, stale ?
		    "STALE" : zc == 2 ? "CRIT" : zc == 1 ? "WARN" : "OK");
		label(c, x0 + 2, top + 1, "left", vcol, 0, 1, title);
		label(c, x0 + 2, top + 2.5, "left", vcol, 0, 0, bar);
		margins(c, x0, y0, x1, y1);
		blank(c);
		return;
	}
	w = x1 - x0 - 8;
	h = y1 - top - 4;
	margins(c, x0 + 4, top, x1 - 4, y1 - 4);
	iiot_buf_addf(c->b, "unset border\nunset tics\nunset grid\n"
	    "set xrange [%.3f:%.3f]\nset yrange [%.3f:%.3f]\n",
	    -w / 2, w / 2, -h, 0.0);
	if (!p->dial) {
		/* A horizontal bar gauge. */
		double bx0 = -w / 2 + 12, bx1 = w / 2 - 12, by = -h * 0.62;
		double bh = h * 0.16 < 28 ? h * 0.16 : 28, span = bx1 - bx0;

		iiot_buf_addf(c->b, "set object %d rect from %.2f,%.2f to "
		    "%.2f,%.2f fc rgb \"%s\" fs solid 1.0 noborder front\n",
		    c->obj++, bx0, by - bh / 2, bx1, by + bh / 2,
		    c->th->track);
		for (i = 0; i < nz; i++)
			iiot_buf_addf(c->b, "set object %d rect from %.2f,%.2f "
			    "to %.2f,%.2f fc rgb \"%s\" fs solid 1.0 noborder "
			    "front\n", c->obj++, bx0 + span * (from[i] - lo) /
			    (hi - lo), by - bh / 2 - 7, bx0 + span * (to[i] -
			    lo) / (hi - lo), by - bh / 2 - 3,
			    zone_color(c, z[i]));
		if (s != NULL && s->last_ts != IIOT_TS_NONE) {
			a = (s->last - lo) / (hi - lo);
			a = a < 0 ? 0 : a > 1 ? 1 : a;
			if (a > 0)
				iiot_buf_addf(c->b, "set object %d rect from "
				    "%.2f,%.2f to %.2f,%.2f fc rgb \"%s\" fs "
				    "solid 1.0 noborder front\n", c->obj++,
				    bx0, by - bh / 2, bx0 + span * a,
				    by + bh / 2, vcol);
		}
		big = h * 0.22 > 40 ? 40 : h * 0.22;
		snprintf(title, sizeof(title), "%s %s", vb, ub);
		iiot_buf_adds(c->b, "set label ");
		qstr(c->b, title);
		iiot_buf_addf(c->b, " at 0,%.2f center tc rgb \"%s\" font "
		    "\"DejaVu Sans Bold,%.0f\" front\n", -h * 0.3, vcol,
		    big * 0.75 < 10 ? 10 : big * 0.75);
		fmtval(vb, sizeof(vb), lo);
		iiot_buf_addf(c->b, "set label \"%s\" at %.2f,%.2f left tc rgb "
		    "\"%s\" front\n", vb, bx0, by - bh / 2 - 16,
		    c->th->muted);
		fmtval(vb, sizeof(vb), hi);
		iiot_buf_addf(c->b, "set label \"%s\" at %.2f,%.2f right tc "
		    "rgb \"%s\" front\n", vb, bx1, by - bh / 2 - 16,
		    c->th->muted);
		iiot_buf_adds(c->b, "plot NaN notitle\n");
		return;
	}
	/* The dial: 270 degrees, the zones on a thin outer ring. */
	r = w / 2 - 10;
	if (r > (h - 10) / 1.72)
		r = (h - 10) / 1.72;
	if (r < 10)
		r = 10;
	cy = -(h - 1.707 * r) / 2 - r;
	iiot_buf_addf(c->b, "set xrange [%.3f:%.3f]\nset yrange [%.3f:%.3f]\n",
	    -w / 2, w / 2, -h - cy, -cy);
	for (i = 0; i < nz; i++)
		wedge(c, r, angle(to[i], lo, hi), angle(from[i], lo, hi),
		    zone_color(c, z[i]));
	if (nz == 0)
		wedge(c, r, -45, 225, c->th->muted);
	wedge(c, r * 0.93, 0, 360, c->th->card);
	wedge(c, r * 0.89, -45, 225, c->th->track);
	if (s != NULL && s->last_ts != IIOT_TS_NONE && s->last > lo)
		wedge(c, r * 0.89, angle(s->last, lo, hi), 225, vcol);
	wedge(c, r * 0.66, 0, 360, c->th->card);
	/* The value in the middle, the range at the ends. */
	big = fit(c, vb, r * 1.1, r * 0.3 > 44 ? 44 : r * 0.3);
	iiot_buf_adds(c->b, "set label ");
	qstr(c->b, vb);
	iiot_buf_addf(c->b, " at 0,%.2f center tc rgb \"%s\" font "
	    "\"DejaVu Sans Bold,%.0f\" front\n", big * 0.25, vcol,
	    big < 9 ? 9 : big);
	iiot_buf_adds(c->b, "set label ");
	qstr(c->b, ub);
	iiot_buf_addf(c->b, " at 0,%.2f center tc rgb \"%s\" font "
	    "\"DejaVu Sans,%.0f\" front\n", -r * 0.42, c->th->muted,
	    big * 0.4 < 8 ? 8 : big * 0.4);
	vx = r * 0.78 * cos(225 * M_PI / 180);
	fmtval(vb, sizeof(vb), lo);
	iiot_buf_addf(c->b, "set label \"%s\" at %.2f,%.2f center tc rgb "
	    "\"%s\" front\n", vb, vx, -r * 0.88, c->th->muted);
	fmtval(vb, sizeof(vb), hi);
	iiot_buf_addf(c->b, "set label \"%s\" at %.2f,%.2f center tc rgb "
	    "\"%s\" front\n", vb, -vx, -r * 0.88, c->th->muted);
	iiot_buf_adds(c->b, "plot NaN notitle\n");
}

/* The text of a state, from the panel's states or the value. */
static const struct state *
state_of(const struct panel *p, double v)
{
	size_t i;

	for (i = 0; i < p->nstates; i++)
		if (p->states[i].value == v)
			return &p->states[i];
	return NULL;
}

/* Stat tiles: one big number (or state) per series. */
static void
draw_stat(struct ctx *c, struct panel *p, double x0, double y0, double x1,
    double y1)
{
	int64_t win = p->window > 0 ? p->window : c->v->window;
	int64_t t1 = c->v->now, t0;
	double top, tw, tx, big, val, size;
	size_t i, n = p->nser ? p->nser : 1;
	char vb[64], nb[160];
	const char *col, *u;
	const struct state *st;

	top = card(c, p, &x0, &y0, &x1, &y1, p->title != NULL ? p->title :
	    p->globs[0]);
	if (p->nser == 0)
		no_data(c, x0, top, x1, y1);
	tw = (x1 - x0) / (double)n;
	big = (y1 - top) * 0.32;
	if (big > tw / 5)
		big = tw / 5;
	if (big > 44)
		big = 44;
	if (big < 9)
		big = 9;
	t0 = p->bucket > 0 ? bucket_start(c->v, t1, p->bucket) : t1 - win;
	for (i = 0; i < p->nser; i++) {
		const struct series *s = p->ser[i];

		tx = x0 + tw * ((double)i + 0.5);
		val = p->agg == A_LAST ? (s->last_ts != IIOT_TS_NONE ?
		    s->last : NAN) : aggregate(s, p->agg, t0, t1 + 1);
		st = isnan(val) ? NULL : state_of(p, val);
		u = nice_unit(p->unit != NULL ? p->unit : s->unit);
		if (st != NULL) {
			snprintf(vb, sizeof(vb), "%s", st->text);
			col = st->color[0] != '\0' ? st->color : c->th->text;
		} else {
			fmtval(vb, sizeof(vb), val);
			if (*u != '\0' && !isnan(val)) {
				size_t l = strlen(vb);

				snprintf(vb + l, sizeof(vb) - l, " %s", u);
			}
			col = has_limits(p) && !isnan(val) ?
			    zone_color(c, zone(p, val)) : c->th->text;
		}
		if (is_stale(c, p, s))
			col = c->th->muted;
		size = fit(c, vb, (tw - 16) * 0.8, big);
		if (!c->text && st != NULL && st->color[0] != '\0')
			rect(c, tx - tw / 2 + 8, top + (y1 - top) * 0.12,
			    tx + tw / 2 - 8, y1 - (y1 - top) * 0.30,
			    st->color, "behind");
		label(c, tx, top + (y1 - top) * (c->text ? 0.3 : 0.42),
		    "center", st != NULL && st->color[0] != '\0' && !c->text ?
		    "#ffffff" : col, size, 1, vb);
		snprintf(nb, sizeof(nb), "%s", s->name);
		label(c, tx, y1 - (y1 - top) * (c->text ? 0.2 : 0.13),
		    "center", c->th->muted, c->fs, 0, nb);
	}
	margins(c, x0, y0, x1, y1);
	blank(c);
}

/*
 * The limits for a table row: the table's own, else the catalogue's
 * for the series, else those of a panel that shows it.
 */
static const struct panel *
limits_of(const struct ctx *c, const struct panel *self,
    const struct series *s, struct panel *tmp)
{
	const struct panel *p;
	size_t k, i;

	if (has_limits(self))
		return self;
	memset(tmp, 0, sizeof(*tmp));
	tmp->warn = s->lim[0];
	tmp->crit = s->lim[1];
	tmp->warn_low = s->lim[2];
	tmp->crit_low = s->lim[3];
	if (has_limits(tmp))
		return tmp;
	for (k = 0; k < c->d->npanels; k++) {
		p = c->d->panels[k];
		if (p == self || !has_limits(p))
			continue;
		for (i = 0; i < p->nser; i++)
			if (p->ser[i] == s)
				return p;
	}
	return self;
}

/* The table: latest value, unit, time and state of each series. */
static void
draw_table(struct ctx *c, struct panel *p, double x0, double y0, double x1,
    double y1)
{
	double top, rh, y, cx[5], w;
	size_t i, rows, shown;
	char vb[48], tb[32], buf[64];
	const char *st, *col;
	struct panel tmp;
	int z;

	top = card(c, p, &x0, &y0, &x1, &y1, p->title != NULL ? p->title :
	    "Latest values");
	rh = c->text ? 1 : c->lh * 1.3;
	w = x1 - x0;
	cx[0] = x0 + (c->text ? 1 : 12);
	cx[1] = x0 + w * 0.56;		/* value: right-aligned */
	cx[2] = x0 + w * 0.585;		/* unit */
	cx[3] = x0 + w * 0.69;		/* time */
	cx[4] = x0 + w * 0.86;		/* state */
	y = top + (c->text ? 0 : rh * 0.1);
	/* Roomier rows when there is room. */
	if (!c->text && (y1 - y - 6) / (double)(p->nser + 1) > rh)
		rh = (y1 - y - 6) / (double)(p->nser + 1) < c->lh * 2.2 ?
		    (y1 - y - 6) / (double)(p->nser + 1) : c->lh * 2.2;
	rows = (size_t)((y1 - y - (c->text ? 0 : 6)) / rh);
	if (rows < 2)
		rows = 2;
	rows--;				/* the header */
	shown = p->nser <= rows ? p->nser : rows - 1;
	rect(c, x0 + 4, y - rh * 0.1, x1 - 4, y + rh * 0.9, c->th->head,
	    "behind");
	label(c, cx[0], y + rh * 0.5, "left", c->th->muted, c->fs, 1,
	    "Series");
	label(c, cx[1], y + rh * 0.5, "right", c->th->muted, c->fs, 1,
	    "Value");
	label(c, cx[2], y + rh * 0.5, "left", c->th->muted, c->fs, 1, "Unit");
	label(c, cx[3], y + rh * 0.5, "left", c->th->muted, c->fs, 1, "Time");
	label(c, cx[4], y + rh * 0.5, "left", c->th->muted, c->fs, 1,
	    "State");
	for (i = 0; i < shown; i++) {
		const struct series *s = p->ser[i];

		y += rh;
		if (i % 2 == 1)
			rect(c, x0 + 4, y - rh * 0.1, x1 - 4, y + rh * 0.9,
			    c->th->stripe, "behind");
		fmtval(vb, sizeof(vb), s->last_ts != IIOT_TS_NONE ? s->last :
		    NAN);
		fmttime(c->v, s->last_ts, tb, sizeof(tb), "%H:%M:%S");
		z = zone(limits_of(c, p, s, &tmp), s->last);
		if (s->bad) {
			st = "BAD";
			col = c->th->crit;
		} else if (is_stale(c, p, s)) {
			st = "STALE";
			col = c->th->stale;
		} else if (z > 0) {
			st = z == 2 ? "CRIT" : "WARN";
			col = zone_color(c, z);
		} else {
			st = "OK";
			col = c->th->ok;
		}
		label(c, cx[0], y + rh * 0.5, "left", c->th->text, c->fs, 0,
		    s->name);
		label(c, cx[1], y + rh * 0.5, "right", strcmp(st, "OK") ?
		    col : c->th->text, c->fs, 1, vb);
		label(c, cx[2], y + rh * 0.5, "left", c->th->muted, c->fs, 0,
		    nice_unit(s->unit));
		label(c, cx[3], y + rh * 0.5, "left", c->th->muted, c->fs, 0,
		    tb);
		label(c, cx[4], y + rh * 0.5, "left", col, c->fs, 1, st);
	}
	if (shown < p->nser) {
		y += rh;
		snprintf(buf, sizeof(buf), "... and %zu more", p->nser - shown);
		label(c, cx[0], y + rh * 0.5, "left", c->th->muted, c->fs, 0,
		    buf);
	}
	if (p->nser == 0)
		no_data(c, x0, top, x1, y1);
	margins(c, x0, y0, x1, y1);
	blank(c);
}

/* The band at the top: the title and the time of the last record. */
static double
header(struct ctx *c, const struct dash *d)
{
	double h = c->text ? 1 : c->lh * 2.6;
	char tb[64], buf[128];

	iiot_buf_adds(c->b, "reset\n");
	c->obj = 1;
	rect(c, 0, 0, c->W, c->H, c->th->bg, "behind");
	label(c, c->text ? 1 : 14, h * 0.5, "left", c->th->text, c->fs + 6,
	    1, d->title != NULL ? d->title : "iiot-plot");
	if (!c->v->empty) {
		fmttime(c->v, c->v->now, tb, sizeof(tb),
		    c->v->utc ? "%Y-%m-%d %H:%M:%S UTC" :
		    "%Y-%m-%d %H:%M:%S %Z");
		snprintf(buf, sizeof(buf), "last update %s", tb);
	} else
		snprintf(buf, sizeof(buf), "waiting for data");
	label(c, c->W - (c->text ? 1 : 14), h * 0.5, "right", c->th->muted,
	    c->fs + 1, 0, buf);
	margins(c, 0, 0, c->W, c->H);
	blank(c);
	return h;
}

void
draw_script(struct iiot_buf *out, struct dash *d, const struct view *v)
{
	struct ctx c;
	double top, cw, ch, x0, y0, x1, y1, pad;
	size_t k;
	struct panel *p;

	memset(&c, 0, sizeof(c));
	c.b = out;
	c.d = d;
	c.v = v;
	c.th = v->dark ? &dark : &light;
	c.W = v->width;
	c.H = v->height;
	c.text = v->term == T_DUMB;
	c.fs = v->width >= 1600 ? 12 : 10;
	c.cw = c.text ? 1 : c.fs * 0.75;
	c.lh = c.text ? 1 : c.fs * 1.5;
	iiot_buf_adds(out, "set encoding utf8\nset multiplot\n");
	top = header(&c, d);
	pad = c.text ? 0 : 4;
	cw = (c.W - 2 * pad) / d->gcols;
	ch = (c.H - top - pad) / d->grows;
	for (k = 0; k < d->npanels; k++) {
		p = d->panels[k];
		x0 = pad + p->gx * cw;
		y0 = top + p->gy * ch;
		x1 = x0 + p->cols * cw;
		y1 = y0 + p->rows * ch;
		panel_begin(&c);
		switch (p->kind) {
		case P_LINE:
			draw_line(&c, p, x0, y0, x1, y1);
			break;
		case P_GAUGE:
			draw_gauge(&c, p, x0, y0, x1, y1);
			break;
		case P_BAR:
			draw_bar(&c, p, x0, y0, x1, y1);
			break;
		case P_STAT:
			draw_stat(&c, p, x0, y0, x1, y1);
			break;
		case P_TABLE:
			draw_table(&c, p, x0, y0, x1, y1);
			break;
		}
	}
	iiot_buf_adds(out, "unset multiplot\n");
	/* Free the datablocks: memory stays flat over days. */
	for (k = 0; k < (size_t)c.blk; k++)
		iiot_buf_addf(out, "%s$d%zu%s", k % 16 ? " " : "undefine ", k,
		    k % 16 == 15 || k + 1 == (size_t)c.blk ? "\n" : "");
}
