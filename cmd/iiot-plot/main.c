/* SPDX-License-Identifier: MIT */
/* main.c: iiot-plot, live dashboards of a record stream through gnuplot. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "iiot.h"
#include "iiot_map.h"
#include "iiot_x.h"
#include "plot.h"

#define SYNOPSIS \
	"iiot-plot [-hqUuVv] [-d file] [-l addr] [-m map] [-o file | dir/]\n" \
	"                 [-p panel] [-r dur] [-s WxH] [-T term] [-t title] " \
	"[-w dur]\n" \
	"                 [--stale dur] [--theme dark | light] [file]"

#define MAXOUT 8

struct options {
	const char *dashboard;
	const char *map;
	const char **panels;
	size_t npanels;
	const char *outputs[MAXOUT];
	size_t nout;
	const char *term;
	const char *listen;
	const char *title;
	int64_t refresh, window, stale;
	int width, height;
	int sized;			/* --size given */
	int utc, quiet, unbuffered, theme;	/* theme: -1 unset */
	const char *input;
};

/* Everything a run holds, released at one place. */
struct run {
	struct options *opt;
	struct dash dash;
	struct store *store;
	struct output out[MAXOUT + 2];
	size_t nout;
	char *webdir;			/* a private folder for --listen */
	int passthrough;
	int gd_png;			/* no pngcairo: libgd's png */
	unsigned long gen;		/* data generation */
	int64_t next_due;
	struct iiot_buf script;
};

static void
usage(void)
{
	printf("usage: %s\n\n"
	    "Draw a live dashboard of the records read (file or stdin) with "
	    "gnuplot,\nand pass every record on unchanged to stdout.\n\n"
	    "  -d, --dashboard FILE  panels, layout and limits from FILE "
	    "(iiot-dashboard(5))\n"
	    "  -m, --map FILE        units, ranges and alarm limits from the "
	    "plant catalogue\n"
	    "  -p, --panel PANEL     add a panel: KIND[:SERIES[,SERIES...]]"
	    "[,KEY=VALUE...]\n"
	    "                        KIND is line, gauge, bar, stat or "
	    "table (repeatable)\n"
	    "  -o, --output FILE     write FILE.png, .svg or .pdf at each "
	    "refresh, atomically;\n"
	    "                        DIR/ writes DIR/index.html and "
	    "DIR/dashboard.png\n"
	    "  -T, --term TERM       draw live on dumb or sixel (stdout), or "
	    "in a window\n"
	    "                        (qt, x11, wxt) where gnuplot has it\n"
	    "  -l, --listen ADDR     serve the page and image over HTTP on "
	    "ADDR (127.0.0.1:8080)\n"
	    "  -r, --refresh DUR     redraw at most every DUR (default 1s)\n"
	    "  -w, --window DUR      the time span of line panels (default "
	    "10m)\n"
	    "  -s, --size WxH        the image size in pixels (default "
	    "1280x720)\n"
	    "  -t, --title TITLE     the dashboard's title\n"
	    "  -U, --utc             times in UTC, not local time\n"
	    "      --stale DUR       series silent this long are stale "
	    "(default 60s)\n"
	    "      --theme THEME     dark or light\n"
	    "  -q, --quiet           pass no records on, and say less\n"
	    "  -u, --unbuffered      flush every record passed on\n"
	    "  -v, --verbose         say more (repeatable): redraw times\n"
	    "  -h, --help            print this help and exit\n"
	    "  -V, --version         print the version and exit\n",
	    SYNOPSIS);
}

static void
version(void)
{
	char mhd[64];
	const char *libs[] = { mhd, "gnuplot (run as a separate process)",
	    NULL };

	snprintf(mhd, sizeof(mhd), "libmicrohttpd %s", web_version());
	iiot_version_print(stdout, libs);
}

static void
parse_size(const char *s, int *w, int *h)
{
	char *end;
	long a, b = 0;

	errno = 0;
	a = strtol(s, &end, 10);
	if (*end == 'x')
		b = strtol(end + 1, &end, 10);
	if (*end != '\0' || errno != 0 || a < 20 || a > 10000 || b < 10 ||
	    b > 10000)
		iiot_usage_error(SYNOPSIS, "--size: expected WIDTHxHEIGHT: "
		    "'%s'", s);
	*w = (int)a;
	*h = (int)b;
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "dashboard", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "map", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "panel", required_argument, NULL, 'p' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "stale", required_argument, NULL, 'S' },
		{ "term", required_argument, NULL, 'T' },
		{ "theme", required_argument, NULL, 'H' },
		{ "title", required_argument, NULL, 't' },
		{ "utc", no_argument, NULL, 'U' },
		{ "window", required_argument, NULL, 'w' },
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered, .quiet = &o->quiet,
	};
	int c;

	o->theme = -1;
	while ((c = getopt_long(argc, argv, "d:hl:m:o:p:qr:s:T:t:UuVvw:",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dashboard = optarg;
			break;
		case 'H':
			if (strcmp(optarg, "dark") == 0)
				o->theme = 1;
			else if (strcmp(optarg, "light") == 0)
				o->theme = 0;
			else
				iiot_usage_error(SYNOPSIS, "--theme: expected "
				    "dark or light: '%s'", optarg);
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'm':
			o->map = optarg;
			break;
		case 'o':
			if (o->nout == MAXOUT)
				iiot_usage_error(SYNOPSIS, "at most %d -o",
				    MAXOUT);
			o->outputs[o->nout++] = optarg;
			break;
		case 'p':
			o->panels = iiot_xrealloc(o->panels, (o->npanels + 1) *
			    sizeof(*o->panels));
			o->panels[o->npanels++] = optarg;
			break;
		case 'r':
			o->refresh = iiot_xduration("--refresh", optarg);
			break;
		case 'S':
			o->stale = iiot_xduration("--stale", optarg);
			break;
		case 's':
			parse_size(optarg, &o->width, &o->height);
			o->sized = 1;
			break;
		case 'T':
			o->term = optarg;
			break;
		case 't':
			o->title = optarg;
			break;
		case 'U':
			o->utc = 1;
			break;
		case 'v':
			/* Here, -v after -q says more again. */
			iiot_verbosity++;
			break;
		case 'w':
			o->window = iiot_xduration("--window", optarg);
			break;
		default:
			if (!iiot_opt_common(c, optarg, &common))
				iiot_usage_error(SYNOPSIS, NULL);
		}
	}
	if (argc - optind > 1)
		iiot_usage_error(SYNOPSIS, "at most one input file");
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		o->input = argv[optind];
}

/* The size of the terminal on stdout, in characters. */
static void
tty_size(int *w, int *h)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS"), *l = getenv("LINES");

	*w = 120;
	*h = 40;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		*w = ws.ws_col;
		*h = ws.ws_row - 1;
	} else {
		if (c != NULL && atoi(c) >= 40)
			*w = atoi(c);
		if (l != NULL && atoi(l) >= 12)
			*h = atoi(l) - 1;
	}
}

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcasecmp(s + n - m, suf) == 0;
}

static struct output *
add_out(struct run *r, int term, const char *path)
{
	struct output *o = &r->out[r->nout++];
	struct iiot_buf b = IIOT_BUF_INIT;

	memset(o, 0, sizeof(*o));
	o->term = term;
	o->width = r->opt->width;
	o->height = r->opt->height;
	if (path != NULL) {
		o->path = iiot_xstrdup(path);
		if (iiot_buf_addf(&b, "%s.tmp", path) < 0)
			iiot_err(1, "cannot allocate");
		o->tmp = b.data;
	}
	return o;
}

/*
 * Check that gnuplot runs and has each output's terminal, so that a
 * missing gnuplot is said once, at the start.  Without cairo, PNG
 * falls back to libgd's png terminal.
 */
static void
check_terms(struct run *r)
{
	static const char *const names[] = {
		[T_PNG] = "pngcairo", [T_SVG] = "svg", [T_PDF] = "pdfcairo",
		[T_DUMB] = "dumb", [T_SIXEL] = "sixelgd", [T_WINDOW] = NULL,
	};
	char err[512];
	size_t i;
	int t, seen = 0;

	for (i = 0; i < r->nout; i++) {
		t = r->out[i].term;
		if (names[t] == NULL || (seen & (1 << t)))
			continue;
		seen |= 1 << t;
		if (gp_check(names[t], err, sizeof(err)) == 0)
			continue;
		if (r->webdir != NULL)
			rmdir(r->webdir);
		if (strncmp(err, "cannot run", 10) == 0)
			iiot_errx(1, "%s", err);
		if (t == T_PNG && gp_check("png", err, sizeof(err)) == 0) {
			r->gd_png = 1;
			if (r->webdir != NULL)
				mkdir(r->webdir, 0700);
			continue;
		}
		iiot_errx(2, "%s", err);
	}
	for (i = 0; i < r->nout; i++)
		if (r->out[i].term == T_PNG && r->gd_png)
			r->out[i].termname = iiot_xstrdup("png");
}

/* Turn -o, --term and --listen into outputs.  Usage errors exit 2. */
static void
make_outputs(struct run *r)
{
	struct options *o = r->opt;
	struct iiot_buf b = IIOT_BUF_INIT;
	struct output *out;
	struct stat st;
	char err[512], tmpl[] = "/tmp/iiot-plot.XXXXXX";
	const char *p, *dir = NULL;
	size_t i;
	int w, h;

	for (i = 0; i < o->nout; i++) {
		p = o->outputs[i];
		if (ends_with(p, "/") || (stat(p, &st) == 0 &&
		    S_ISDIR(st.st_mode))) {
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				iiot_err(1, "cannot make folder '%s'", p);
			iiot_buf_reset(&b);
			iiot_buf_addf(&b, "%s%sdashboard.png", p,
			    ends_with(p, "/") ? "" : "/");
			out = add_out(r, T_PNG, b.data);
			out->dir = iiot_xstrdup(p);
			if (dir == NULL)
				dir = out->dir;
		} else if (ends_with(p, ".png"))
			add_out(r, T_PNG, p);
		else if (ends_with(p, ".svg"))
			add_out(r, T_SVG, p);
		else if (ends_with(p, ".pdf"))
			add_out(r, T_PDF, p);
		else
			iiot_usage_error(SYNOPSIS, "-o: expected FILE.png, "
			    "FILE.svg, FILE.pdf or DIR/: '%s'", p);
	}
	iiot_buf_release(&b);
	if (o->term != NULL) {
		if (strcmp(o->term, "dumb") == 0 ||
		    strcmp(o->term, "sixel") == 0) {
			out = add_out(r, strcmp(o->term, "dumb") == 0 ?
			    T_DUMB : T_SIXEL, NULL);
			if (out->term == T_DUMB) {
				tty_size(&w, &h);
				/* --size counts characters here. */
				out->width = o->sized ? o->width : w;
				out->height = o->sized ? o->height : h;
			}
			r->passthrough = 0;
		} else if (strcmp(o->term, "qt") == 0 ||
		    strcmp(o->term, "x11") == 0 ||
		    strcmp(o->term, "wxt") == 0) {
			if (gp_check(o->term, err, sizeof(err)) < 0)
				iiot_errx(2, "%s", err);
			out = add_out(r, T_WINDOW, NULL);
			out->termname = iiot_xstrdup(o->term);
		} else
			iiot_usage_error(SYNOPSIS, "--term: expected dumb, "
			    "sixel, qt, x11 or wxt: '%s'", o->term);
	}
	if (o->listen != NULL && dir == NULL) {
		/* Serve from a private folder, removed at exit. */
		if (mkdtemp(tmpl) == NULL)
			iiot_err(1, "cannot make a folder in /tmp");
		r->webdir = iiot_xstrdup(tmpl);
		iiot_buf_addf(&b, "%s/dashboard.png", tmpl);
		out = add_out(r, T_PNG, b.data);
		out->dir = iiot_xstrdup(tmpl);
		dir = out->dir;
		iiot_buf_release(&b);
	}
	if (r->nout == 0)
		iiot_usage_error(SYNOPSIS, "nothing to draw on: give -o, "
		    "--term or --listen");
	check_terms(r);
	for (i = 0; i < r->nout; i++)
		if (r->out[i].dir != NULL && (r->webdir == NULL ||
		    strcmp(r->out[i].dir, r->webdir) != 0) &&
		    web_write_page(r->out[i].dir, r->dash.title,
		    o->refresh) < 0)
			iiot_err(1, "cannot write '%s/index.html'",
			    r->out[i].dir);
	if (o->listen != NULL && web_listen(o->listen, dir, r->dash.title,
	    o->refresh, err, sizeof(err)) < 0)
		iiot_errx(1, "%s", err);
}

/* Read the dashboard and the quick panels; bad ones exit 2. */
static void
load_dashboard(struct run *r)
{
	struct options *o = r->opt;
	char err[512];
	size_t i;
	int64_t keep;

	if (o->dashboard != NULL && dash_load(&r->dash, o->dashboard, err,
	    sizeof(err)) < 0)
		iiot_errx(2, "%s", err);
	for (i = 0; i < o->npanels; i++)
		if (dash_add_quick(&r->dash, o->panels[i], err,
		    sizeof(err)) < 0)
			iiot_usage_error(SYNOPSIS, "%s", err);
	if (r->dash.npanels == 0)
		iiot_usage_error(SYNOPSIS, "no panels: give -p or -d");
	if (o->map != NULL && (r->dash.map = iiot_map_load(o->map, err,
	    sizeof(err))) == NULL)
		iiot_errx(errno == IIOT_ESYNTAX ? 2 : 1, "%s", errno ==
		    IIOT_ESYNTAX ? err : err[0] ? err : strerror(errno));
	if (o->title != NULL) {
		free(r->dash.title);
		r->dash.title = iiot_xstrdup(o->title);
	}
	if (r->dash.title == NULL)
		r->dash.title = iiot_xstrdup("iiot-plot");
	/* The command line overrides the file, which overrides defaults. */
	if (o->refresh == 0)
		o->refresh = r->dash.refresh ? r->dash.refresh : 1000;
	if (o->window == 0)
		o->window = r->dash.window ? r->dash.window : 600000;
	if (o->stale == 0)
		o->stale = 60000;
	if (o->width == 0) {
		o->width = r->dash.width ? r->dash.width : 1280;
		o->height = r->dash.width ? r->dash.height : 720;
	}
	if (o->theme >= 0)
		r->dash.dark = o->theme;
	dash_layout(&r->dash);
	keep = o->window;
	for (i = 0; i < r->dash.npanels; i++) {
		if (r->dash.panels[i]->window > keep)
			keep = r->dash.panels[i]->window;
		if (r->dash.panels[i]->bucket > 0 &&
		    r->dash.panels[i]->bucket * 2 > keep)
			keep = r->dash.panels[i]->bucket * 2;
	}
	r->store = store_new(keep, 1u << 22);
}

/* Draw on every output that is idle and has not drawn this data. */
static void
redraw(struct run *r, int force)
{
	struct view v;
	struct output *o;
	struct tm tm;
	time_t t;
	size_t i;
	int64_t now = iiot_mono_ms(), t0;

	if (!force && now < r->next_due)
		return;
	for (i = 0; i < r->nout; i++) {
		o = &r->out[i];
		if (o->gen == r->gen || !out_idle(o))
			continue;
		memset(&v, 0, sizeof(v));
		v.term = o->term;
		v.width = o->width;
		v.height = o->height;
		v.utc = r->opt->utc;
		v.now = store_tmax(r->store);
		if (v.now == IIOT_TS_NONE) {
			v.now = iiot_now_ms();
			v.empty = 1;
		}
		v.window = r->opt->window;
		v.stale = r->opt->stale;
		v.dark = r->dash.dark;
		t = (time_t)(v.now / 1000);
		if (!v.utc && localtime_r(&t, &tm) != NULL)
			v.tzoff = (int64_t)tm.tm_gmtoff * 1000;
		iiot_buf_reset(&r->script);
		t0 = iiot_mono_ms();
		draw_script(&r->script, &r->dash, &v);
		iiot_debug(1, "commands built in %lld ms from %zu points",
		    (long long)(iiot_mono_ms() - t0), store_points(r->store));
		if (out_submit(o, &r->script))
			o->gen = r->gen;
	}
	r->next_due = now + r->opt->refresh;
}

/* How long the reader may wait: until the next redraw that is due. */
static int
wait_ms(struct run *r)
{
	size_t i;
	int64_t left;

	for (i = 0; i < r->nout; i++)
		if (r->out[i].gen != r->gen) {
			left = r->next_due - iiot_mono_ms();
			if (!out_idle(&r->out[i]) && left < 20)
				left = 20;
			return left < 0 ? 0 : (int)left;
		}
	return -1;
}

/* Set when the reader of stdout went away: we end as SIGPIPE would. */
static int broken_pipe;

/*
 * A write error on stdout.  A closed pipe stops the reading, so that
 * the outputs are released before SIGPIPE is raised at the end.
 */
static void
check_stdout(void)
{
	struct pollfd pfd = { 1, 0, 0 };

	if (!ferror(stdout) || broken_pipe)
		return;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) {
		broken_pipe = 1;
		return;
	}
	iiot_errx(1, "cannot write to stdout");
}

/* Read, keep and pass on records; redraw on time.  Returns bad count. */
static unsigned long
read_loop(struct run *r, struct iiot_lines *in)
{
	struct iiot_ratelimit rl = { 0 };
	struct iiot_rec rec;
	const char *line;
	size_t len;
	unsigned long bad = 0;
	int n;

	if (iiot_rec_init(&rec) < 0)
		iiot_err(1, "cannot allocate");
	for (;;) {
		iiot_lines_set_timeout(in, wait_ms(r));
		n = iiot_lines_next(in, &line, &len);
		check_stdout();
		if (iiot_sig_term || broken_pipe)
			break;
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == ETIMEDOUT || errno == EINTR) {
				redraw(r, 0);
				continue;
			}
			if (errno != IIOT_ETOOLONG)
				iiot_err(1, "cannot read '%s'",
				    r->opt->input ? r->opt->input : "stdin");
			bad++;
			iiot_warnx_limited(&rl, "line %lu: %s",
			    iiot_lines_lineno(in), iiot_strerror(errno));
			continue;
		}
		if (iiot_rec_parse(&rec, line, len) < 0) {
			bad++;
			iiot_warnx_limited(&rl, "line %lu: %s",
			    iiot_lines_lineno(in), iiot_strerror(errno));
			continue;
		}
		if (store_add(r->store, &r->dash, rec.source, rec.sensor,
		    rec.ts, rec.value, rec.unit, rec.quality) == NULL)
			iiot_err(1, "cannot keep a point");
		r->gen++;
		if (r->passthrough) {
			if (iiot_rec_write(&rec, stdout) < 0)
				check_stdout();
			iiot_out_record();
			if (broken_pipe)
				break;
		}
		redraw(r, 0);
	}
	iiot_rec_release(&rec);
	return bad;
}

/* The last redraw at the end: every output shows all the data. */
static int
final_redraw(struct run *r)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < r->nout; i++)
		out_wait(&r->out[i], 120000);
	redraw(r, 1);
	for (i = 0; i < r->nout; i++) {
		out_wait(&r->out[i], 120000);
		if (r->out[i].failed || !out_idle(&r->out[i]))
			failed = 1;
	}
	return failed;
}

/*
 * iiot-plot reads records, keeps each series' points within the
 * window, and draws the dashboard's panels with gnuplot on each output
 * at most once a refresh period, while passing the records on.
 */
int
main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct run r;
	struct iiot_lines *in = NULL;
	int fd = 0, status = 0;
	size_t i;

	iiot_setprogname(argv[0]);
	parse_args(argc, argv, &opt);
	memset(&r, 0, sizeof(r));
	r.opt = &opt;
	r.passthrough = !opt.quiet;
	r.gen = 1;			/* draw once even without data */
	load_dashboard(&r);
	if (opt.input != NULL && (fd = open(opt.input, O_RDONLY |
	    O_CLOEXEC)) < 0)
		iiot_err(1, "cannot open '%s'", opt.input);
	if ((in = iiot_lines_new(fd)) == NULL)
		iiot_err(1, "cannot allocate");
	if (iiot_sig_install(IIOT_SIG_NOPIPE) < 0)
		iiot_err(1, "cannot install signal handlers");
	make_outputs(&r);
	for (i = 0; i < r.nout; i++)
		if (out_start(&r.out[i]) < 0)
			iiot_err(1, "cannot start a drawing thread");
	iiot_out_init(opt.unbuffered);
	iiot_lines_set_flush(in, stdout);

	if (read_loop(&r, in) > 0)
		status = 1;
	if (!broken_pipe && final_redraw(&r))
		status = 1;
	/* A live window or web page stays up until we are told to stop. */
	while ((opt.listen != NULL || (opt.term != NULL &&
	    r.out[r.nout - 1].term == T_WINDOW)) && !iiot_sig_term &&
	    !broken_pipe)
		poll(NULL, 0, 200);

	web_stop();
	for (i = r.nout; i-- > 0;)
		out_stop(&r.out[i]);
	if (r.webdir != NULL) {
		struct iiot_buf b = IIOT_BUF_INIT;

		iiot_buf_addf(&b, "%s/dashboard.png", r.webdir);
		unlink(b.data);
		rmdir(r.webdir);
		iiot_buf_release(&b);
		free(r.webdir);
	}
	iiot_buf_release(&r.script);
	store_free(r.store);
	iiot_map_free(r.dash.map);
	dash_free(&r.dash);
	free(opt.panels);
	iiot_lines_free(in);
	if (fd > 0)
		close(fd);
	if (!broken_pipe && iiot_out_close() < 0) {
		check_stdout();
		if (!broken_pipe) {
			iiot_warn("cannot write to stdout");
			status = 1;
		}
	}
	iiot_sig_reraise();
	if (broken_pipe) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return status;
}
