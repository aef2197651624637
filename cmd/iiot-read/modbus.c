/* SPDX-License-Identifier: MIT */
/* modbus.c: the Modbus source of iiot-read: poll devices, write records. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iiot.h"
#include "iiot_map.h"
#include "iiot_mb.h"
#include "iiot_x.h"
#include "read.h"

/*
 * Devices are isolated by threads: one thread per connection (one URL,
 * whatever the unit ids behind it), each with its own schedule on the
 * common absolute clock, its own timeouts and its own reconnection
 * backoff.  A dead device costs only its own thread's time.  Threads
 * format a whole cycle into their own buffer, then write and flush it
 * under one lock, so records never interleave and never wait in a
 * buffer while a thread sleeps.
 */

#define BACKOFF_MIN	1000	/* ms: first reconnection delay */
#define BACKOFF_MAX	30000	/* ms: cap of the doubling delay */

/* A point at run time. */
struct point {
	const struct iiot_map_point *p;
	char *head;		/* ,"source":..,"sensor":.. */
	char *tail;		/* ,"origin":..,tags */
	char *unit;		/* ,"unit":".." or "" */
	int decimals;		/* of scale and offset, -1 for any */
	double last;		/* last good value */
	size_t item;		/* index in its group's items */
};

/* Points read every `every` cycles, with their request plan. */
struct group {
	long long every;
	struct point **pts;
	struct iiot_mb_item *items;
	size_t n;
	struct iiot_mb_req *reqs;
	size_t nreqs;
};

/* One connection, polled by one thread. */
struct conn {
	char url[512];		/* canonical URL, for messages */
	struct iiot_mb_url u;
	struct iiot_mb *mb;
	int64_t timeout;
	unsigned gap;
	struct point *pts;
	size_t npts;
	struct group *groups;
	size_t ngroups;
	struct iiot_buf out;
	struct iiot_complain down;	/* connection failures */
	struct iiot_ratelimit rl;	/* Modbus exceptions */
	int64_t retry_at;	/* monotonic ms of the next connection */
	int64_t backoff;
	unsigned long failures;	/* failed reads, for the exit status */
	int lost;		/* the link failed during this cycle */
	pthread_t th;
	int started;
	uint16_t regs[IIOT_MB_MAX_REGS];
	uint8_t bits[IIOT_MB_MAX_BITS];
};

/* What all threads share. */
static const struct read_opts *opts;
static struct iiot_map *map;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond;
static pthread_cond_t done_cond;
static int stopping;		/* under stop_lock */
static int running;		/* threads still polling, under stop_lock */
static int write_failed;	/* stdout failed, under out_lock */
static int64_t start_mono;	/* common origin of every schedule */

/* Number of decimals that show x exactly, or -1 if none does. */
static int
decimals(double x)
{
	double m = 1;
	int d;

	for (d = 0; d <= 9; d++, m *= 10)
		if (fabs(x * m - round(x * m)) < 1e-9 * m)
			return d;
	return -1;
}

/* Append ,"key":"val" to b. */
static int
add_str_field(struct iiot_buf *b, const char *key, const char *val)
{
	if (iiot_buf_addc(b, ',') == -1 ||
	    iiot_buf_add_json_str(b, key, strlen(key)) == -1 ||
	    iiot_buf_addc(b, ':') == -1 ||
	    iiot_buf_add_json_str(b, val, strlen(val)) == -1)
		return -1;
	return 0;
}

/* Detach the buffer's text as a C string. */
static char *
take(struct iiot_buf *b)
{
	char *s = b->data != NULL ? b->data : iiot_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

/* Prepare the constant parts of a point's records. */
static void
point_init(struct point *pt, const struct iiot_map_point *p,
    const char *url)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	const char *key, *val;
	size_t i;
	int d1, d2;

	pt->p = p;
	if (add_str_field(&b, "source", p->source) == -1 ||
	    add_str_field(&b, "sensor", p->sensor) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot prepare records");
	pt->head = take(&b);
	if (p->unit != NULL && add_str_field(&b, "unit", p->unit) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot prepare records");
	pt->unit = take(&b);
	if (iiot_buf_adds(&b, ",\"origin\":") == -1 ||
	    iiot_buf_add_json_str(&b, url, strlen(url)) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot prepare records");
	/* The origin ends with the exact place: unit/table/address. */
	b.len--;
	if (iiot_buf_addf(&b, "/%d/%s/%u", p->dev->unit,
	    iiot_mb_table_short(p->table), p->addr) == -1 ||
	    (p->type == IIOT_MB_BIT && iiot_buf_addf(&b, ".%d", p->bit) == -1)
	    || iiot_buf_addc(&b, '"') == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot prepare records");
	for (i = 0; i < iiot_map_ntags(map); i++) {
		key = iiot_map_tag(map, i);
		if ((val = iiot_map_get(p, key)) != NULL &&
		    add_str_field(&b, key, val) == -1)
			iiot_err(IIOT_EXIT_FAIL, "cannot prepare records");
	}
	pt->tail = take(&b);
	d1 = p->scale == 1 ? 0 : decimals(p->scale);
	d2 = decimals(p->offset);
	pt->decimals = d1 < 0 || d2 < 0 ? -1 : d1 > d2 ? d1 : d2;
	pt->last = 0;
}

/* Turn a raw value into the engineering value of a point. */
static double
scaled(const struct point *pt, double raw)
{
	const struct iiot_map_point *p = pt->p;
	char buf[32];
	double v, m;
	float f;
	int prec;

	if (p->type == IIOT_MB_FLOAT32 && isfinite(raw)) {
		/* Show a float as the shortest decimal that reads back. */
		f = (float)raw;
		for (prec = 1; prec < 9; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, raw);
			if (strtof(buf, NULL) == f)
				break;
		}
		snprintf(buf, sizeof(buf), "%.*g", prec, raw);
		raw = strtod(buf, NULL);
	}
	if (p->scale == 1 && p->offset == 0)
		return raw;
	v = raw * p->scale + p->offset;
	if (pt->decimals > 0 && p->type != IIOT_MB_FLOAT32 &&
	    p->type != IIOT_MB_FLOAT64) {
		m = pow(10, pt->decimals);
		v = round(v * m) / m;
	}
	return v;
}

/* Format one record of a point into the thread's buffer. */
static void
emit(struct conn *c, struct point *pt, int64_t ts, double v,
    const char *error)
{
	char tbuf[IIOT_TIME_BUFSZ];
	struct iiot_buf *b = &c->out;
	size_t n;
	int r;

	n = iiot_time_format(ts, tbuf);
	r = iiot_buf_adds(b, "{\"ts\":\"") == -1 ||
	    iiot_buf_add(b, tbuf, n) == -1 ||
	    iiot_buf_addc(b, '"') == -1 ||
	    iiot_buf_adds(b, pt->head) == -1 ||
	    iiot_buf_adds(b, ",\"value\":") == -1 ||
	    iiot_buf_add_json_num(b, v) == -1 ||
	    iiot_buf_adds(b, pt->unit) == -1 ||
	    (error != NULL &&
	    iiot_buf_adds(b, ",\"quality\":\"bad\"") == -1) ||
	    iiot_buf_adds(b, pt->tail) == -1 ||
	    (error != NULL && add_str_field(b, "error", error) == -1) ||
	    iiot_buf_adds(b, "}\n") == -1;
	if (r)
		iiot_err(IIOT_EXIT_FAIL, "cannot format a record");
}

/* A read of the points of request r of group g failed. */
static void
fail_req(struct conn *c, struct group *g, size_t r, int64_t ts,
    const char *why)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (g->items[i].req != r)
			continue;
		c->failures++;
		if (opts->emit_errors)
			emit(c, g->pts[i], ts, g->pts[i]->last, why);
	}
}

/* Connect if needed and due; returns 0 when connected. */
static int
ensure_connected(struct conn *c, int64_t now)
{
	if (iiot_mb_connected(c->mb))
		return 0;
	/*
	 * A link lost in this cycle is tried again in the next one: a
	 * silent device costs one timeout per cycle, not one per request.
	 */
	if (c->lost || now < c->retry_at) {
		errno = ENOTCONN;
		return -1;
	}
	if (iiot_mb_connect(c->mb) == 0) {
		c->backoff = 0;
		iiot_debug(1, "connected to '%s'", c->url);
		return 0;
	}
	c->backoff = c->backoff == 0 ? BACKOFF_MIN : c->backoff * 2;
	if (c->backoff > BACKOFF_MAX)
		c->backoff = BACKOFF_MAX;
	c->retry_at = iiot_mono_ms() + c->backoff;
	return -1;
}

/* Read the points of group g that are due; format their records. */
static void
poll_group(struct conn *c, struct group *g)
{
	const struct iiot_mb_req *rq;
	struct point *pt;
	size_t r, i;
	int64_t ts;
	double raw;
	int e, bits;

	for (r = 0; r < g->nreqs; r++) {
		rq = &g->reqs[r];
		bits = rq->table == IIOT_MB_COIL ||
		    rq->table == IIOT_MB_DISCRETE;
		if (ensure_connected(c, iiot_mono_ms()) == -1) {
			e = errno;
			if (e != ENOTCONN)
				iiot_complain(&c->down, iiot_now_ms(),
				    "cannot connect to '%s': %s", c->url,
				    iiot_mb_strerror(e));
			fail_req(c, g, r, iiot_now_ms(),
			    e == ENOTCONN ? "not connected" :
			    iiot_mb_strerror(e));
			continue;
		}
		if (bits)
			e = iiot_mb_read_bits(c->mb, rq->unit, rq->table,
			    rq->addr, rq->count, c->bits);
		else
			e = iiot_mb_read_regs(c->mb, rq->unit, rq->table,
			    rq->addr, rq->count, c->regs);
		ts = iiot_now_ms();
		if (e == -1) {
			e = errno;
			if (!iiot_mb_connected(c->mb)) {
				c->lost = 1;
				iiot_complain(&c->down, ts,
				    "cannot read '%s/%d/%s/%u': %s", c->url,
				    rq->unit, iiot_mb_table_short(rq->table),
				    rq->addr, iiot_mb_strerror(e));
			} else
				iiot_warnx_limited(&c->rl,
				    "cannot read '%s/%d/%s/%u' (%u %s): %s",
				    c->url, rq->unit,
				    iiot_mb_table_short(rq->table), rq->addr,
				    rq->count, bits ? "bits" : "registers",
				    iiot_mb_strerror(e));
			fail_req(c, g, r, ts, iiot_mb_strerror(e));
			continue;
		}
		if (c->down.count > 0)
			iiot_complain_clear(&c->down,
			    "reading '%s' again", c->url);
		for (i = 0; i < g->n; i++) {
			if (g->items[i].req != r)
				continue;
			pt = g->pts[i];
			if (bits)
				raw = c->bits[g->items[i].offset] != 0;
			else
				raw = iiot_mb_decode(
				    c->regs + g->items[i].offset,
				    pt->p->type, pt->p->order, pt->p->bit);
			pt->last = scaled(pt, raw);
			emit(c, pt, ts, pt->last, NULL);
		}
	}
}

/* Write the cycle's records at once, and flush them. */
static void
flush_out(struct conn *c)
{
	if (c->out.len == 0)
		return;
	pthread_mutex_lock(&out_lock);
	if (!write_failed &&
	    (fwrite(c->out.data, 1, c->out.len, stdout) != c->out.len ||
	    fflush(stdout) != 0))
		write_failed = errno ? errno : EIO;
	pthread_mutex_unlock(&out_lock);
	iiot_buf_reset(&c->out);
}

/* Sleep until the monotonic time `when` (ms) or until told to stop. */
static int
sleep_until(int64_t when)
{
	struct timespec ts;
	int stop;

	ts.tv_sec = when / 1000;
	ts.tv_nsec = (long)(when % 1000) * 1000000;
	pthread_mutex_lock(&stop_lock);
	while (!stopping &&
	    pthread_cond_timedwait(&stop_cond, &stop_lock, &ts) != ETIMEDOUT)
		;
	stop = stopping;
	pthread_mutex_unlock(&stop_lock);
	return stop;
}

/* The thread of one connection: poll on the clock until done. */
static void *
poll_device(void *arg)
{
	struct conn *c = arg;
	long long cycle, cycles;
	size_t gi;
	int64_t next, now;
	int requests;

	cycles = opts->once ? 1 : opts->count;
	next = start_mono;
	for (cycle = 0; cycles < 0 || cycle < cycles; cycle++) {
		requests = 0;
		c->lost = 0;
		for (gi = 0; gi < c->ngroups; gi++)
			if (cycle % c->groups[gi].every == 0) {
				poll_group(c, &c->groups[gi]);
				requests += (int)c->groups[gi].nreqs;
			}
		flush_out(c);
		iiot_debug(2, "%s: cycle %lld: %d requests", c->url, cycle,
		    requests);
		if (cycles >= 0 && cycle + 1 >= cycles)
			break;
		/* Keep to the grid; skip the cycles a slow device missed. */
		next += opts->interval;
		now = iiot_mono_ms();
		if (next < now) {
			cycle += (now - next) / opts->interval + 1;
			next += ((now - next) / opts->interval + 1) *
			    opts->interval;
		}
		if (sleep_until(next))
			break;
	}
	pthread_mutex_lock(&stop_lock);
	running--;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&stop_lock);
	return NULL;
}

/* Group a connection's points by polling period and plan requests. */
static void
plan_conn(struct conn *c)
{
	struct group *g;
	long long every;
	size_t i, j;

	for (i = 0; i < c->npts; i++) {
		every = c->pts[i].p->interval > 0 ?
		    llround((double)c->pts[i].p->interval /
		    (double)opts->interval) : 1;
		if (every < 1)
			every = 1;
		for (j = 0; j < c->ngroups; j++)
			if (c->groups[j].every == every)
				break;
		if (j == c->ngroups) {
			c->groups = iiot_xrealloc(c->groups,
			    (c->ngroups + 1) * sizeof(*c->groups));
			memset(&c->groups[j], 0, sizeof(*c->groups));
			c->groups[j].every = every;
			c->ngroups++;
		}
		g = &c->groups[j];
		g->pts = iiot_xrealloc(g->pts, (g->n + 1) * sizeof(*g->pts));
		g->items = iiot_xrealloc(g->items,
		    (g->n + 1) * sizeof(*g->items));
		g->pts[g->n] = &c->pts[i];
		g->items[g->n].unit = c->pts[i].p->dev->unit;
		g->items[g->n].table = c->pts[i].p->table;
		g->items[g->n].addr = c->pts[i].p->addr;
		g->items[g->n].count = iiot_mb_type_words(c->pts[i].p->type);
		g->n++;
	}
	for (j = 0; j < c->ngroups; j++) {
		g = &c->groups[j];
		if (iiot_mb_plan(g->items, g->n, c->gap, &g->reqs,
		    &g->nreqs) == -1)
			iiot_err(IIOT_EXIT_FAIL, "cannot plan requests");
		iiot_debug(1, "%s: %zu points every %lld cycles in %zu "
		    "requests per cycle", c->url, g->n, g->every, g->nreqs);
	}
}

/* Make one connection per distinct URL of the catalogue. */
static struct conn *
make_conns(size_t *nconns)
{
	struct conn *conns = NULL, *c;
	const struct iiot_map_point *p;
	struct iiot_mb_url u;
	char url[512];
	size_t i, j, n = 0, np = iiot_map_npoints(map);

	for (i = 0; i < np; i++) {
		p = iiot_map_point(map, i);
		if (iiot_mb_url_parse(p->dev->url, &u) == -1)
			iiot_errx(IIOT_EXIT_USAGE, "invalid URL: '%s'",
			    p->dev->url);
		iiot_mb_url_format(&u, url, sizeof(url));
		for (j = 0; j < n; j++)
			if (strcmp(conns[j].url, url) == 0)
				break;
		if (j == n) {
			conns = iiot_xrealloc(conns, (n + 1) * sizeof(*conns));
			c = &conns[n++];
			memset(c, 0, sizeof(*c));
			memcpy(c->url, url, sizeof(url));
			c->u = u;
			c->gap = p->dev->gap;
			c->timeout = p->dev->timeout;
			c->pts = iiot_xcalloc(np, sizeof(*c->pts));
		}
		c = &conns[j];
		/* The strictest settings of the devices on a link win. */
		if (p->dev->timeout > 0 && (c->timeout == 0 ||
		    p->dev->timeout < c->timeout))
			c->timeout = p->dev->timeout;
		if (p->dev->gap < c->gap)
			c->gap = p->dev->gap;
		point_init(&c->pts[c->npts++], p, url);
	}
	for (j = 0; j < n; j++) {
		c = &conns[j];
		if (c->timeout == 0)
			c->timeout = opts->interval < 1000 ?
			    (opts->interval > 100 ? opts->interval : 100) :
			    1000;
		if ((c->mb = iiot_mb_new(&c->u, c->timeout)) == NULL)
			iiot_err(IIOT_EXIT_FAIL, "cannot set up '%s'", c->url);
		plan_conn(c);
	}
	*nconns = n;
	return conns;
}

static void
free_conns(struct conn *conns, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < conns[i].npts; j++) {
			free(conns[i].pts[j].head);
			free(conns[i].pts[j].unit);
			free(conns[i].pts[j].tail);
		}
		for (j = 0; j < conns[i].ngroups; j++) {
			free(conns[i].groups[j].pts);
			free(conns[i].groups[j].items);
			free(conns[i].groups[j].reqs);
		}
		free(conns[i].groups);
		free(conns[i].pts);
		iiot_mb_free(conns[i].mb);
		iiot_buf_release(&conns[i].out);
	}
	free(conns);
}

/*
 * Turn a point URL, modbus-tcp://HOST[:PORT]/UNIT/TABLE/ADDR[/TYPE
 * [/ORDER]] (or modbus-rtu://DEVICE/UNIT/...), into a catalogue
 * section appended to b.  The source is the device, the sensor the
 * unit, table and address.  Returns 0, or -1 if it is not one.
 */
static int
point_url(struct iiot_buf *b, const char *arg, int n)
{
	char s[512], *seg[64], *p, *q, *query = NULL, *dev;
	size_t n2;
	const char *type = "uint16", *order = "abcd";
	int nseg = 0, i, t, k, tbl, bit;
	struct iiot_mb_url u;
	char src[300], devurl[512];

	if (strlen(arg) >= sizeof(s))
		return -1;
	memcpy(s, arg, strlen(arg) + 1);
	if ((q = strchr(s, '?')) != NULL) {
		/*
		 * "DEVICE?PARAMS/UNIT/..." (the natural way to write it):
		 * move the point's path before the parameters.
		 */
		if ((p = strchr(q, '/')) != NULL) {
			n2 = strlen(p);
			memmove(q + n2, q, (size_t)(p - q));
			memcpy(q, arg + (p - s), n2);
			q += n2;
		}
		*q = '\0';
		query = q + 1;
	}
	dev = s + 13;
	for (q = dev; *q != '\0' && nseg < 64; q++)
		if (*q == '/') {
			*q = '\0';
			seg[nseg++] = q + 1;
		}
	/* Find UNIT/TABLE/ADDR from the end: TYPE and ORDER are optional. */
	for (k = nseg - 2; k >= 1 && k >= nseg - 4; k--) {
		if ((tbl = iiot_mb_table_parse(seg[k])) == -1)
			continue;
		if (strspn(seg[k - 1], "0123456789") != strlen(seg[k - 1]) ||
		    *seg[k - 1] == '\0' ||
		    strspn(seg[k + 1], "0123456789") != strlen(seg[k + 1]) ||
		    *seg[k + 1] == '\0')
			continue;
		if (k + 2 < nseg) {
			type = seg[k + 2];
			if ((t = iiot_mb_type_parse(type, &bit)) == -1)
				continue;
		} else
			type = tbl <= IIOT_MB_DISCRETE ? "bool" : "uint16";
		if (k + 3 < nseg)
			order = seg[k + 3];
		/* Rebuild the device URL from the segments before UNIT. */
		for (i = 0; i < k - 1; i++)
			seg[i][-1] = '/';
		snprintf(devurl, sizeof(devurl), "%s%s%s", s,
		    query != NULL ? "?" : "", query != NULL ? query : "");
		if (iiot_mb_url_parse(devurl, &u) == -1)
			return -1;
		if (u.rtu) {
			q = strrchr(u.device, '/');
			snprintf(src, sizeof(src), "%s", q + 1);
		} else
			snprintf(src, sizeof(src), "%s:%s", u.host, u.port);
		/* Device settings as text, quoted for the parser. */
		iiot_buf_addf(b, "[device arg%d]\nurl = %s\nunit = %s\n"
		    "\"%s\" \"%s/%s/%s\" %s %s %s %s\n", n, devurl, seg[k - 1],
		    src, seg[k - 1], iiot_mb_table_short(tbl), seg[k + 1],
		    seg[k], seg[k + 1], type, order);
		(void)t;
		return 0;
	}
	return -1;
}

/* Load the catalogue, or build one from point URLs. */
static void
load_map(char **urls, int nurls)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	char err[512];
	int i;

	if (opts->map != NULL) {
		if (nurls > 0)
			iiot_errx(IIOT_EXIT_USAGE, "give either --map or "
			    "point URLs, not both: '%s'", urls[0]);
		if ((map = iiot_map_load(opts->map, err, sizeof(err))) == NULL)
			iiot_errx(IIOT_EXIT_USAGE, "%s", err);
	} else {
		for (i = 0; i < nurls; i++)
			if (point_url(&b, urls[i], i) == -1)
				iiot_errx(IIOT_EXIT_USAGE, "invalid point URL: "
				    "'%s' (expected modbus-tcp://HOST[:PORT]/"
				    "UNIT/TABLE/ADDRESS[/TYPE[/ORDER]] or "
				    "--map)", urls[i]);
		map = iiot_map_parse(b.data, b.len, "command line", err,
		    sizeof(err));
		iiot_buf_release(&b);
		if (map == NULL)
			iiot_errx(IIOT_EXIT_USAGE, "%s", err);
	}
	if (iiot_map_npoints(map) == 0)
		iiot_errx(IIOT_EXIT_USAGE, "no points to read in '%s'",
		    opts->map);
}

/* Start the threads with the terminating signals blocked in them. */
static void
start_threads(struct conn *conns, size_t n)
{
	pthread_condattr_t ca;
	sigset_t set, old;
	size_t i;
	int e;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&stop_cond, &ca);
	pthread_cond_init(&done_cond, &ca);
	pthread_condattr_destroy(&ca);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	start_mono = iiot_mono_ms();
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&stop_lock);
		running++;
		pthread_mutex_unlock(&stop_lock);
		if ((e = pthread_create(&conns[i].th, NULL, poll_device,
		    &conns[i])) != 0) {
			errno = e;
			iiot_err(IIOT_EXIT_FAIL, "cannot start a thread");
		}
		conns[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Wait for the threads to finish, or for a signal to stop them. */
static void
wait_threads(struct conn *conns, size_t n)
{
	struct timespec ts;
	size_t i;
	int64_t t;

	pthread_mutex_lock(&stop_lock);
	while (running > 0 && !iiot_sig_term) {
		t = iiot_mono_ms() + 100;
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (long)(t % 1000) * 1000000;
		pthread_cond_timedwait(&done_cond, &stop_lock, &ts);
	}
	stopping = 1;
	pthread_cond_broadcast(&stop_cond);
	pthread_mutex_unlock(&stop_lock);
	for (i = 0; i < n; i++)
		if (conns[i].started)
			pthread_join(conns[i].th, NULL);
}

int
modbus_run(const struct read_opts *o, char **urls, int nurls)
{
	struct conn *conns;
	size_t n, i, npts = 0;
	unsigned long failures = 0;
	int status = IIOT_EXIT_OK;

	opts = o;
	load_map(urls, nurls);
	conns = make_conns(&n);
	for (i = 0; i < n; i++)
		npts += conns[i].npts;
	iiot_debug(1, "%zu points on %zu connections, every %lld ms", npts,
	    n, (long long)o->interval);
	if (iiot_sig_install(0) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o->unbuffered);
	start_threads(conns, n);
	wait_threads(conns, n);

	for (i = 0; i < n; i++)
		failures += conns[i].failures;
	if (failures > 0 && (o->once || o->count > 0)) {
		iiot_warnx("%lu reads failed", failures);
		status = IIOT_EXIT_FAIL;
	}
	free_conns(conns, n);
	iiot_map_free(map);
	pthread_cond_destroy(&stop_cond);
	pthread_cond_destroy(&done_cond);
	if (write_failed && write_failed != EPIPE) {
		errno = write_failed;
		iiot_warn("cannot write records");
		status = IIOT_EXIT_FAIL;
	}
	if (iiot_out_close() == -1 && status == IIOT_EXIT_OK) {
		iiot_warn("cannot write records");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}
