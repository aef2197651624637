/* SPDX-License-Identifier: MIT */
/* plot.h: the parts of iiot-plot: dashboard, series store, drawing, outputs. */
#ifndef PLOT_H
#define PLOT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iiot_buf.h"
#include "iiot_log.h"

/* Panel kinds. */
enum { P_LINE, P_GAUGE, P_BAR, P_TABLE, P_STAT };

/* Aggregations for bar and stat panels. */
enum { A_LAST, A_MEAN, A_MIN, A_MAX, A_SUM, A_DELTA };

#define NOVAL (-1e308)		/* a limit or range bound that is not set */
#define MAXCOLORS 20
#define MAXSTATES 8

struct series;

/* One state label of a stat panel: value, text and colour. */
struct state {
	double value;
	char text[24];
	char color[16];
};

/* One panel, from -p or from a [section] of a dashboard file. */
struct panel {
	int kind;
	char *title;
	char **globs;			/* "source/sensor" patterns */
	size_t nglobs;
	char *ylabel, *unit;
	double min, max;		/* engineering or axis range */
	double warn, crit;		/* high limits */
	double warn_low, crit_low;	/* low limits */
	int64_t window;			/* ms; 0: the dashboard's */
	int64_t bucket;			/* ms; bar/stat: aligned buckets */
	int64_t stale;			/* ms; table: rows older are stale */
	int agg;
	int dial;			/* gauge: dial (1) or bar (0) */
	int cols, rows;			/* span in grid cells */
	int logscale;
	char *colors[MAXCOLORS];
	size_t ncolors;
	struct state states[MAXSTATES];
	size_t nstates;
	int line;			/* line of the file, for messages */

	/* Filled at run time. */
	struct series **ser;		/* matched series, sorted by name */
	size_t nser, capser;
	int gx, gy;			/* place on the grid, in cells */
};

/* A dashboard: title, grid and panels. */
struct dash {
	char *title;
	int rows, cols;			/* 0: automatic */
	int width, height;		/* 0: not set by the file */
	int64_t refresh, window;	/* ms; 0: not set by the file */
	int dark;
	struct iiot_map *map;		/* --map: units, ranges, limits */
	int grows, gcols;		/* the grid, set by dash_layout */
	struct panel **panels;
	size_t npanels;
};

/*
 * Parse a dashboard file into d (zeroed by the caller).  On error,
 * writes "file:line: what" into err and returns -1.
 */
int dash_load(struct dash *d, const char *path, char *err, size_t errsz);

/*
 * Add a panel from the quick form "kind[:glob[,glob...]][,key=value...]".
 * Returns 0, or -1 with a message in err.
 */
int dash_add_quick(struct dash *d, const char *spec, char *err,
    size_t errsz);

/* Place the panels on the grid. */
void dash_layout(struct dash *d);

void dash_free(struct dash *d);

/* A series: a ring of (time, value) points bounded by the window. */
struct series {
	char *name;			/* "source/sensor" */
	char unit[24];
	int64_t *ts;
	double *v;
	size_t head, n, cap;		/* oldest at head */
	int64_t last_ts;
	double last;
	int bad;			/* last record's quality not good */
	double lim[4];			/* warn, crit, warn_low, crit_low */
};

struct store;

struct store *store_new(int64_t keep, size_t maxpoints);
void store_free(struct store *s);

/*
 * Add a point; returns the series (created and matched against the
 * panels when new), or NULL on allocation failure.
 */
struct series *store_add(struct store *s, struct dash *d, const char *source,
    const char *sensor, int64_t ts, double v, const char *unit,
    const char *quality);

/* The newest time seen, or IIOT_TS_NONE. */
int64_t store_tmax(const struct store *s);
size_t store_points(const struct store *s);

/* Point i (0 = oldest) of a series. */
static inline int64_t
ser_ts(const struct series *s, size_t i)
{
	return s->ts[(s->head + i) % s->cap];
}

static inline double
ser_v(const struct series *s, size_t i)
{
	return s->v[(s->head + i) % s->cap];
}

/* Output kinds. */
enum { T_PNG, T_SVG, T_PDF, T_DUMB, T_SIXEL, T_WINDOW };

/* How a redraw is to be drawn, for draw_script(). */
struct view {
	int term;			/* T_* */
	int width, height;		/* pixels, or characters for dumb */
	int utc;
	int64_t tzoff;			/* ms added to times for local time */
	int64_t now;			/* the right edge of time axes */
	int empty;			/* no record yet: now is the clock */
	int64_t window;			/* default window */
	int64_t stale;
	int dark;
};

/*
 * Append the gnuplot commands that draw the dashboard (multiplot) to
 * out: everything between "set output" and "unset output".
 */
void draw_script(struct iiot_buf *out, struct dash *d, const struct view *v);

/* An output: one gnuplot process, fed by its own thread. */
struct output {
	int term;
	char *path;			/* the file written, or NULL */
	char *tmp;			/* path.tmp */
	char *termname;			/* qt, x11, wxt for a window */
	char *dir;			/* -o DIR/: the page's folder */
	char *cmddir, *cmdfile;		/* the commands of a redraw */
	int width, height;

	pid_t pid;			/* gnuplot, or 0 */
	int to_gp, from_gp;
	unsigned long seq;
	struct iiot_buf job;		/* the script being drawn */
	struct iiot_buf frame;		/* text frames (dumb, sixel) */
	int busy;			/* a job is queued or drawing */
	int quit;
	int failed;			/* last redraw failed */
	int64_t last_ms;		/* how long the last redraw took */
	unsigned long drawn;		/* redraws finished */
	unsigned long gen;		/* data generation last submitted */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;
	struct iiot_complain nogp;	/* gnuplot cannot be started */
};

/* Start the output's thread; 0, or -1 with errno. */
int out_start(struct output *o);

/*
 * Give the output a script to draw (the commands of draw_script); the
 * output wraps them with its terminal and file handling.  Returns 1 if
 * accepted, 0 if the output is still busy with the previous redraw.
 */
int out_submit(struct output *o, const struct iiot_buf *script);

/* 1 if the output is ready for a redraw. */
int out_idle(struct output *o);

/* Wait until the output is idle (at most timeout_ms). */
void out_wait(struct output *o, int64_t timeout_ms);

/* Stop the thread and gnuplot; free what the output holds. */
void out_stop(struct output *o);

/* Check that gnuplot runs and knows terminal name; 0 or -1 (message). */
int gp_check(const char *term, char *err, size_t errsz);

/* The gnuplot program: $IIOT_GNUPLOT or "gnuplot". */
const char *gp_prog(void);

/* Write DIR/index.html (atomically); 0 or -1 with errno. */
int web_write_page(const char *dir, const char *title, int64_t refresh);

/* Serve DIR over HTTP on addr ("127.0.0.1:8080"); 0 or -1 (message). */
int web_listen(const char *addr, const char *dir, const char *title,
    int64_t refresh, char *err, size_t errsz);
void web_stop(void);
const char *web_version(void);

/* Write a file atomically: path.tmp, then rename. 0 or -1 with errno. */
int write_atomic(const char *path, const char *data, size_t len);

#endif /* PLOT_H */
