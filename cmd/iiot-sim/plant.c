/* SPDX-License-Identifier: MIT */
/* plant.c: the simulated plant: signal models, anomalies, register banks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "iiot.h"
#include "iiot_map.h"
#include "iiot_mb.h"
#include "sim.h"

/* Signal models, named by a point's sim= key. */
enum model {
	M_NONE, M_CONST, M_SINE, M_TOGGLE, M_COUNTER, M_OIL, M_PRESSURE,
	M_VIBRATION, M_MOTOR, M_STROKES, M_COMP_POWER, M_AIR, M_ENERGY,
	M_TOTAL_POWER
};

static const char *const model_names[] = {
	"none", "const", "sine", "toggle", "counter", "oil_temp", "pressure",
	"vibration", "motor", "strokes", "comp_power", "air_pressure",
	"energy", "total_power"
};

/* Anomalies and the model each one acts on. */
enum anomaly {
	A_OIL_HOT, A_PRESSURE_DROP, A_VIBRATION, A_POWER_PEAK, A_MOTOR_STOP
};

static const char *const anomaly_names[] = {
	"oil_hot", "pressure_drop", "vibration", "power_peak", "motor_stop"
};
static const char *const anomaly_sources[] = {
	"press1", "press2", "press1", "meter0", "press2"
};

struct sched {
	int kind;
	char source[64];
	int64_t start, dur, period;	/* ms; period 0: once */
};

struct spoint {
	const struct iiot_map_point *p;
	modbus_mapping_t *mm;
	int model;
	double phase;		/* radians, from the series name */
	double lo, hi;		/* engineering range */
	double value;		/* current true value */
	double acc;		/* counters and energy */
	double base;		/* start of counters and energy */
	double period;		/* s, for sine and toggle */
	double rate;		/* per second, for counters */
	int init;
};

struct bank {
	int unit;
	modbus_mapping_t *mm;
};

struct plant {
	struct spoint *pts;
	size_t npts;
	struct bank *banks;
	size_t nbanks;
	struct sched *sched;
	size_t nsched;
	uint64_t rng;
	int64_t last;		/* ms of the previous step */
};

#define PI 3.14159265358979323846

/* xorshift64*: fast, good enough, reproducible from --seed. */
static double
uniform(struct plant *pl)
{
	pl->rng ^= pl->rng >> 12;
	pl->rng ^= pl->rng << 25;
	pl->rng ^= pl->rng >> 27;
	return (double)((pl->rng * 2685821657736338717ULL) >> 11) /
	    9007199254740992.0;
}

/* Gaussian noise of standard deviation sd (Box-Muller). */
static double
noise(struct plant *pl, double sd)
{
	double u = uniform(pl), v = uniform(pl);

	if (u < 1e-12)
		u = 1e-12;
	return sd * sqrt(-2 * log(u)) * cos(2 * PI * v);
}

static uint64_t
hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (; *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

/* Is an anomaly of this kind acting on source at t (ms)? */
static int
active(const struct plant *pl, int kind, const char *source, int64_t t)
{
	const struct sched *s;
	int64_t x;
	size_t i;

	for (i = 0; i < pl->nsched; i++) {
		s = &pl->sched[i];
		if (s->kind != kind || strcmp(s->source, source) != 0 ||
		    t < s->start)
			continue;
		x = t - s->start;
		if (s->period > 0)
			x %= s->period;
		if (x < s->dur)
			return 1;
	}
	return 0;
}

/* A press motor: off one minute every quarter hour, and when stopped. */
static int
motor_on(const struct plant *pl, const char *source, double ts)
{
	double ph = (double)(hash(source, "motor") % 900);

	if (active(pl, A_MOTOR_STOP, source, (int64_t)(ts * 1000)))
		return 0;
	return fmod(ts + ph, 900) < 840 || ts < 120;
}

/* The meter's total power without noise, also integrated as energy. */
static double
total_power(const struct plant *pl, const struct spoint *sp, double ts)
{
	if (active(pl, A_POWER_PEAK, sp->p->source, (int64_t)(ts * 1000)))
		return 350;
	return 180 + 40 * sin(2 * PI * ts / 300 + sp->phase);
}

/* Compute the true value of a point at ts seconds; dt since the last. */
static double
model_value(struct plant *pl, struct spoint *sp, double ts, double dt)
{
	const char *src = sp->p->source;
	int64_t t = (int64_t)(ts * 1000);
	int on = motor_on(pl, src, ts);
	double v, f, target, mid = (sp->lo + sp->hi) / 2;

	switch (sp->model) {
	case M_CONST:
		return sp->value;
	case M_SINE:
		return mid + 0.35 * (sp->hi - sp->lo) *
		    sin(2 * PI * ts / sp->period + sp->phase) +
		    noise(pl, 0.01 * (sp->hi - sp->lo));
	case M_TOGGLE:
		return fmod(ts + sp->phase * sp->period, 2 * sp->period) <
		    sp->period;
	case M_COUNTER:
		sp->acc += sp->rate * dt;
		return sp->base + floor(sp->acc);
	case M_OIL:
		target = on ? 52 + 4 * sin(2 * PI * ts / 900 + sp->phase) +
		    fmin(ts / 1800, 3) : 38;
		if (active(pl, A_OIL_HOT, src, t))
			target += 30;
		if (!sp->init)
			sp->acc = target;
		/* The oil follows its target with a 10 s time constant. */
		sp->acc += (target - sp->acc) * fmin(dt / 10, 1);
		return sp->acc + noise(pl, 0.1);
	case M_PRESSURE:
		if (!on)
			return fabs(2 + noise(pl, 0.3));
		v = 150 + 60 * fmax(0, sin(2 * PI * ts / 6 + sp->phase)) +
		    noise(pl, 1.5);
		if (active(pl, A_PRESSURE_DROP, src, t))
			v *= 0.55;
		return v;
	case M_VIBRATION:
		if (!on)
			return fabs(0.1 + noise(pl, 0.02));
		v = 2.8 + 0.4 * sin(2 * PI * ts / 120 + sp->phase) +
		    noise(pl, 0.15);
		if (active(pl, A_VIBRATION, src, t))
			v += 6;
		return fabs(v);
	case M_MOTOR:
		return on;
	case M_STROKES:
		/* One stroke per pressure cycle while the motor runs. */
		if (on)
			sp->acc += dt / 6;
		return sp->base + floor(sp->acc);
	case M_COMP_POWER:
		f = fmod(ts / 40 + sp->phase, 1);
		return f < 0.7 ? 18 + noise(pl, 0.5) :
		    4.2 + noise(pl, 0.2);
	case M_AIR:
		f = fmod(ts / 40 + sp->phase, 1);
		v = f < 0.7 ? 6.5 + f / 0.7 : 7.5 - (f - 0.7) / 0.3;
		return v + noise(pl, 0.02);
	case M_ENERGY:
		sp->acc += total_power(pl, sp, ts) * dt / 3600;
		return sp->base + sp->acc;
	case M_TOTAL_POWER:
		return total_power(pl, sp, ts) + noise(pl, 4);
	}
	return sp->value;
}

/* Store an engineering value into the point's registers or bit. */
static void
store(struct spoint *sp, double v)
{
	const struct iiot_map_point *p = sp->p;
	modbus_mapping_t *mm = sp->mm;
	uint16_t *regs;
	double raw;

	if (p->table == IIOT_MB_COIL) {
		mm->tab_bits[p->addr] = v != 0;
		return;
	}
	if (p->table == IIOT_MB_DISCRETE) {
		mm->tab_input_bits[p->addr] = v != 0;
		return;
	}
	regs = p->table == IIOT_MB_HOLDING ? mm->tab_registers :
	    mm->tab_input_registers;
	raw = p->scale != 0 ? (v - p->offset) / p->scale : v;
	iiot_mb_encode(raw, p->type, p->order, p->bit, regs + p->addr);
}

void
plant_step(struct plant *pl, int64_t t)
{
	struct spoint *sp;
	double ts = (double)t / 1000, dt;
	size_t i;

	dt = (double)(t - pl->last) / 1000;
	if (dt < 0)
		dt = 0;
	pl->last = t;
	for (i = 0; i < pl->npts; i++) {
		sp = &pl->pts[i];
		if (sp->model == M_NONE) {
			if (!sp->init)
				store(sp, sp->value);
			sp->init = 1;
			continue;
		}
		sp->value = model_value(pl, sp, ts, dt);
		sp->init = 1;
		store(sp, sp->value);
	}
}

/* The model of a point: its sim= key, or a guess from its sensor. */
static int
pick_model(const struct iiot_map_point *p)
{
	const char *m = iiot_map_get(p, "sim");
	size_t i;

	if (m == NULL) {
		if (iiot_map_get(p, "value") != NULL)
			return M_CONST;
		for (i = M_OIL; i < sizeof(model_names) / sizeof(*model_names);
		    i++)
			if (strcmp(p->sensor, model_names[i]) == 0)
				return (int)i;
		if (strcmp(p->sensor, "motor_on") == 0)
			return M_MOTOR;
		return p->table <= IIOT_MB_DISCRETE || p->type ==
		    IIOT_MB_BOOL || p->type == IIOT_MB_BIT ? M_TOGGLE : M_SINE;
	}
	for (i = 0; i < sizeof(model_names) / sizeof(*model_names); i++)
		if (strcmp(m, model_names[i]) == 0)
			return (int)i;
	return -1;
}

/* Find or make the register bank of a unit. */
static modbus_mapping_t *
bank(struct plant *pl, int unit)
{
	struct bank *nb;
	size_t i;

	for (i = 0; i < pl->nbanks; i++)
		if (pl->banks[i].unit == unit)
			return pl->banks[i].mm;
	nb = realloc(pl->banks, (pl->nbanks + 1) * sizeof(*nb));
	if (nb == NULL)
		return NULL;
	pl->banks = nb;
	nb[pl->nbanks].unit = unit;
	nb[pl->nbanks].mm = modbus_mapping_new(65536, 65536, 65536, 65536);
	if (nb[pl->nbanks].mm == NULL)
		return NULL;
	return nb[pl->nbanks++].mm;
}

modbus_mapping_t *
plant_bank(struct plant *pl, int unit)
{
	size_t i;

	for (i = 0; i < pl->nbanks; i++)
		if (pl->banks[i].unit == unit)
			return pl->banks[i].mm;
	return NULL;
}

struct plant *
plant_new(const struct iiot_map *map, uint64_t seed)
{
	const struct iiot_map_point *p;
	struct plant *pl;
	struct spoint *sp;
	size_t i;
	double d;

	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		return NULL;
	pl->rng = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (pl->rng == 0)
		pl->rng = 1;
	pl->npts = iiot_map_npoints(map);
	if ((pl->pts = calloc(pl->npts + 1, sizeof(*pl->pts))) == NULL)
		goto bad;
	for (i = 0; i < pl->npts; i++) {
		sp = &pl->pts[i];
		p = sp->p = iiot_map_point(map, i);
		if ((sp->model = pick_model(p)) == -1) {
			errno = EINVAL;
			goto bad;
		}
		if ((sp->mm = bank(pl, p->dev->unit)) == NULL)
			goto bad;
		sp->phase = (double)(hash(p->source, p->sensor) % 6283) / 1000;
		sp->lo = iiot_map_get_num(p, "min", &d) == 0 ? d : 0;
		sp->hi = iiot_map_get_num(p, "max", &d) == 0 ? d : 100;
		sp->period = iiot_map_get_num(p, "period", &d) == 0 && d > 0 ?
		    d : 60;
		sp->rate = iiot_map_get_num(p, "rate", &d) == 0 ? d : 1;
		if (iiot_map_get_num(p, "value", &d) == 0)
			sp->value = d;
		if (sp->model == M_STROKES || sp->model == M_COUNTER)
			sp->base = iiot_map_get(p, "value") != NULL ?
			    sp->value : 100000 + (double)(hash(p->source,
			    p->sensor) % 50000);
		if (sp->model == M_ENERGY)
			sp->base = iiot_map_get(p, "value") != NULL ?
			    sp->value : 1234567.89;
	}
	return pl;
bad:
	i = (size_t)errno;
	plant_free(pl);
	errno = (int)i;
	return NULL;
}

void
plant_free(struct plant *pl)
{
	size_t i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->nbanks; i++)
		modbus_mapping_free(pl->banks[i].mm);
	free(pl->banks);
	free(pl->pts);
	free(pl->sched);
	free(pl);
}

/* Parse a duration at *s up to one of the stop characters. */
static int
duration_at(const char *s, size_t n, int64_t *ms)
{
	char buf[64];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return iiot_duration_parse(buf, ms);
}

int
plant_add_anomaly(struct plant *pl, const char *spec)
{
	struct sched s, *ns;
	const char *p, *e;
	size_t n, i;

	memset(&s, 0, sizeof(s));
	s.kind = -1;
	s.start = 20000;
	s.dur = 30000;
	n = strcspn(spec, ":@+%");
	for (i = 0; i < sizeof(anomaly_names) / sizeof(*anomaly_names); i++)
		if (strlen(anomaly_names[i]) == n &&
		    strncmp(spec, anomaly_names[i], n) == 0)
			s.kind = (int)i;
	if (s.kind == -1)
		goto bad;
	snprintf(s.source, sizeof(s.source), "%s", anomaly_sources[s.kind]);
	for (p = spec + n; *p != '\0'; p = e) {
		e = p + 1 + strcspn(p + 1, ":@+%");
		n = (size_t)(e - p - 1);
		switch (*p) {
		case ':':
			if (n == 0 || n >= sizeof(s.source))
				goto bad;
			memcpy(s.source, p + 1, n);
			s.source[n] = '\0';
			break;
		case '@':
			if (duration_at(p + 1, n, &s.start) == -1)
				goto bad;
			break;
		case '+':
			if (duration_at(p + 1, n, &s.dur) == -1)
				goto bad;
			break;
		case '%':
			if (duration_at(p + 1, n, &s.period) == -1 ||
			    s.period <= 0)
				goto bad;
			break;
		}
	}
	if ((ns = realloc(pl->sched, (pl->nsched + 1) * sizeof(*ns))) == NULL)
		return -1;
	pl->sched = ns;
	ns[pl->nsched++] = s;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
plant_default_anomalies(struct plant *pl)
{
	static const char *const specs[] = {
		"oil_hot:press1@20s+40s%10m",
		"pressure_drop:press2@30s+30s%10m",
		"power_peak:meter0@40s+150s%10m",
		"vibration:press1@90s+90s%10m",
		"motor_stop:press2@4m+2m%10m",
	};
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(*specs); i++)
		plant_add_anomaly(pl, specs[i]);
}

void
plant_schedule(struct plant *pl, struct iiot_buf *out)
{
	char a[32], b[32], c[32];
	const struct sched *s;
	size_t i;

	for (i = 0; i < pl->nsched; i++) {
		s = &pl->sched[i];
		iiot_duration_format(s->start, a);
		iiot_duration_format(s->dur, b);
		iiot_duration_format(s->period, c);
		iiot_buf_addf(out, "%s on %s at %s for %s%s%s\n",
		    anomaly_names[s->kind], s->source, a, b,
		    s->period > 0 ? ", every " : "",
		    s->period > 0 ? c : "");
	}
}

void
plant_records(struct plant *pl, int64_t ts, struct iiot_buf *out)
{
	char tbuf[IIOT_TIME_BUFSZ];
	const struct spoint *sp;
	size_t i;

	iiot_time_format(ts, tbuf);
	for (i = 0; i < pl->npts; i++) {
		sp = &pl->pts[i];
		if (sp->model == M_NONE)
			continue;
		iiot_buf_addf(out, "{\"ts\":\"%s\",\"source\":", tbuf);
		iiot_buf_add_json_str(out, sp->p->source,
		    strlen(sp->p->source));
		iiot_buf_adds(out, ",\"sensor\":");
		iiot_buf_add_json_str(out, sp->p->sensor,
		    strlen(sp->p->sensor));
		iiot_buf_adds(out, ",\"value\":");
		iiot_buf_add_json_num(out, sp->value);
		if (sp->p->unit != NULL) {
			iiot_buf_adds(out, ",\"unit\":");
			iiot_buf_add_json_str(out, sp->p->unit,
			    strlen(sp->p->unit));
		}
		iiot_buf_adds(out, "}\n");
	}
}
