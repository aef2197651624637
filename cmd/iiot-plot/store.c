/* SPDX-License-Identifier: MIT */
/* store.c: per-series rings of points, bounded by the longest window. */
#include <stdlib.h>
#include <string.h>

#include "iiot_map.h"
#include "iiot_opt.h"
#include "iiot_series.h"
#include "iiot_time.h"
#include "iiot_x.h"
#include "plot.h"

struct store {
	struct iiot_stab *tab;		/* slots hold a struct series * */
	int64_t keep;			/* ms of history kept */
	size_t maxpoints;		/* per series */
	int64_t tmax;
	size_t points;
};

struct store *
store_new(int64_t keep, size_t maxpoints)
{
	struct store *s = iiot_xcalloc(1, sizeof(*s));

	if ((s->tab = iiot_stab_new(sizeof(struct series *))) == NULL)
		iiot_err(1, "cannot allocate");
	s->keep = keep;
	s->maxpoints = maxpoints;
	s->tmax = IIOT_TS_NONE;
	return s;
}

void
store_free(struct store *s)
{
	struct series **slot;
	const char *src, *sen;
	size_t it = 0;

	if (s == NULL)
		return;
	while ((slot = iiot_stab_next(s->tab, &it, &src, &sen)) != NULL) {
		if (*slot == NULL)
			continue;
		free((*slot)->name);
		free((*slot)->ts);
		free((*slot)->v);
		free(*slot);
	}
	iiot_stab_free(s->tab);
	free(s);
}

int64_t
store_tmax(const struct store *s)
{
	return s->tmax;
}

size_t
store_points(const struct store *s)
{
	return s->points;
}

static int
cmp_ser(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a;
	const struct series *y = *(struct series *const *)b;

	return strcmp(x->name, y->name);
}

/* The catalogue's keys for a series: the limits of its alarms. */
static void
map_series(struct dash *d, struct series *se, const char *source,
    const char *sensor)
{
	static const char *const keys[4] = {
		"warn_above", "crit_above", "warn_below", "crit_below",
	};
	const struct iiot_map_point *pt;
	const char *u;
	int i;

	for (i = 0; i < 4; i++)
		se->lim[i] = NOVAL;
	if (d->map == NULL ||
	    (pt = iiot_map_find(d->map, source, sensor)) == NULL)
		return;
	for (i = 0; i < 4; i++)
		if (iiot_map_get_num(pt, keys[i], &se->lim[i]) < 0)
			se->lim[i] = NOVAL;
	u = pt->unit;
	if (u != NULL && strlen(u) < sizeof(se->unit))
		memcpy(se->unit, u, strlen(u) + 1);
}

/*
 * A panel takes what it does not say itself (range, limits, unit) from
 * the catalogue point of its first series.
 */
static void
map_panel(struct dash *d, struct panel *p, const char *source,
    const char *sensor, const struct series *se)
{
	const struct iiot_map_point *pt;
	double *lim[4] = { &p->warn, &p->crit, &p->warn_low, &p->crit_low };
	int i;

	if (d->map == NULL || p->kind == P_TABLE ||
	    (pt = iiot_map_find(d->map, source, sensor)) == NULL)
		return;
	if (p->min == NOVAL && iiot_map_get_num(pt, "min", &p->min) < 0)
		p->min = NOVAL;
	if (p->max == NOVAL && iiot_map_get_num(pt, "max", &p->max) < 0)
		p->max = NOVAL;
	if (p->kind == P_LINE || p->kind == P_BAR) {
		/* Lines leave room above the data: no fixed top. */
		if (p->max != NOVAL && p->min != NOVAL)
			p->max = NOVAL;
	}
	for (i = 0; i < 4; i++)
		if (*lim[i] == NOVAL)
			*lim[i] = se->lim[i];
	if (p->unit == NULL && pt->unit != NULL)
		p->unit = iiot_xstrdup(pt->unit);
}

/* Attach a new series to every panel whose globs match it. */
static void
match_panels(struct dash *d, struct series *se, const char *source,
    const char *sensor)
{
	size_t k, g;
	struct panel *p;

	for (k = 0; k < d->npanels; k++) {
		p = d->panels[k];
		for (g = 0; g < p->nglobs; g++)
			if (iiot_glob_match(p->globs[g], se->name))
				break;
		if (g == p->nglobs)
			continue;
		if (p->nser == p->capser) {
			p->capser = p->capser ? p->capser * 2 : 8;
			p->ser = iiot_xrealloc(p->ser, p->capser *
			    sizeof(*p->ser));
		}
		p->ser[p->nser++] = se;
		if (p->nser == 1)
			map_panel(d, p, source, sensor, se);
		qsort(p->ser, p->nser, sizeof(*p->ser), cmp_ser);
	}
}

/* Make room for one more point, growing the ring by doubling. */
static int
grow(struct series *se, size_t maxpoints)
{
	size_t cap, i, j;
	int64_t *ts;
	double *v;

	if (se->n < se->cap)
		return 0;
	if (se->cap >= maxpoints) {
		/* Full at the limit: drop the oldest point. */
		se->head = (se->head + 1) % se->cap;
		se->n--;
		return 0;
	}
	cap = se->cap ? se->cap * 2 : 64;
	if (cap > maxpoints)
		cap = maxpoints;
	ts = malloc(cap * sizeof(*ts));
	v = malloc(cap * sizeof(*v));
	if (ts == NULL || v == NULL) {
		free(ts);
		free(v);
		return -1;
	}
	for (i = 0; i < se->n; i++) {
		j = (se->head + i) % se->cap;
		ts[i] = se->ts[j];
		v[i] = se->v[j];
	}
	free(se->ts);
	free(se->v);
	se->ts = ts;
	se->v = v;
	se->head = 0;
	se->cap = cap;
	return 0;
}

struct series *
store_add(struct store *s, struct dash *d, const char *source,
    const char *sensor, int64_t ts, double v, const char *unit,
    const char *quality)
{
	struct series **slot, *se;
	struct iiot_buf name = IIOT_BUF_INIT;
	int created = 0;
	size_t before;

	slot = iiot_stab_get(s->tab, source, sensor, 1, &created);
	if (slot == NULL)
		return NULL;
	if (*slot == NULL) {
		se = calloc(1, sizeof(*se));
		if (se == NULL || iiot_buf_addf(&name, "%s/%s", source,
		    sensor) < 0) {
			free(se);
			return NULL;
		}
		se->name = name.data;
		se->last_ts = IIOT_TS_NONE;
		*slot = se;
		map_series(d, se, source, sensor);
		match_panels(d, se, source, sensor);
	}
	se = *slot;
	if (unit != NULL && strlen(unit) < sizeof(se->unit))
		memcpy(se->unit, unit, strlen(unit) + 1);
	se->bad = quality != NULL && strcmp(quality, "good") != 0;
	if (ts > s->tmax)
		s->tmax = ts;
	/* Forget what has left the longest window. */
	before = se->n;
	while (se->n > 0 && ser_ts(se, 0) < s->tmax - s->keep) {
		se->head = (se->head + 1) % se->cap;
		se->n--;
	}
	if (grow(se, s->maxpoints) < 0) {
		s->points -= before - se->n;
		return NULL;
	}
	s->points -= before - se->n;
	if (se->n > 0 && ts < ser_ts(se, se->n - 1)) {
		/* Out of order: the ring stays sorted; only the value counts. */
		se->last = v;
		return se;
	}
	se->ts[(se->head + se->n) % se->cap] = ts;
	se->v[(se->head + se->n) % se->cap] = v;
	se->n++;
	s->points++;
	se->last = v;
	se->last_ts = ts;
	return se;
}
