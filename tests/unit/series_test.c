/* SPDX-License-Identifier: MIT */
/* series_test.c: unit tests for the per-series hash table. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_series.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Keys that look alike and must stay apart, added in this order. */
static const struct {
	const char *source, *sensor;	/* the series */
} keys[] = {
	{ "", "" },			/* both empty */
	{ "a", "" },			/* empty sensor */
	{ "", "a" },			/* empty source */
	{ "ab", "c" },			/* the split moves */
	{ "a", "bc" },			/* the other way */
	{ "plc1", "t1" },		/* plain */
	{ "plc1", "T1" },		/* case matters */
	{ "t1", "plc1" },		/* swapped */
	{ "a\xff", "b" },		/* the hash's separator byte */
	{ "a", "\xff" "b" },		/* on the other side */
	{ "caf\xc3\xa9", "t" },		/* UTF-8 */
};

struct state {
	long n;
	double sum;
	char tag[40];
};

/* 100000 series: pointers stable, order kept, lookups right. */
static int
test_many(size_t slotsz)
{
	enum { N = 100000 };
	struct iiot_stab *t = iiot_stab_new(slotsz);
	const char *so, *se;
	char src[32], sen[32], zero[64] = { 0 };
	void **slots = calloc(N, sizeof(*slots)), *s;
	size_t i, it;
	int created, ok = t != NULL && slots != NULL;

	for (i = 0; i < N && ok; i++) {
		snprintf(src, sizeof(src), "plc%zu", i % 97);
		snprintf(sen, sizeof(sen), "s%zu", i);
		created = 0;
		s = iiot_stab_get(t, src, sen, 1, &created);
		ok = s != NULL && created == 1 &&
		    (uintptr_t)s % alignof(max_align_t) == 0 &&
		    memcmp(s, zero, slotsz < 64 ? slotsz : 64) == 0 &&
		    iiot_stab_count(t) == i + 1;
		if (ok && slotsz >= sizeof(size_t))
			memcpy(s, &i, sizeof(i));
		if (ok)
			slots[i] = s;
	}
	/* Every lookup finds the same slot, with what was stored in it. */
	for (i = 0; i < N && ok; i++) {
		snprintf(src, sizeof(src), "plc%zu", i % 97);
		snprintf(sen, sizeof(sen), "s%zu", i);
		created = 0;
		s = iiot_stab_get(t, src, sen, i % 2, &created);
		ok = s == slots[i] && created == 0 && (slotsz <
		    sizeof(size_t) || memcmp(s, &i, sizeof(i)) == 0);
	}
	/* Iteration is in insertion order, with the keys. */
	it = 0;
	for (i = 0; ok && (s = iiot_stab_next(t, &it, &so, &se)) != NULL;
	    i++) {
		snprintf(src, sizeof(src), "plc%zu", i % 97);
		snprintf(sen, sizeof(sen), "s%zu", i);
		ok = s == slots[i] && strcmp(so, src) == 0 &&
		    strcmp(se, sen) == 0;
	}
	ok = ok && i == N && iiot_stab_next(t, &it, NULL, NULL) == NULL;
	/* A missing series is ENOENT, and not added. */
	errno = 0;
	ok = ok && iiot_stab_get(t, "plc0", "s1", 0, NULL) == NULL &&
	    errno == ENOENT && iiot_stab_count(t) == N;
	iiot_stab_free(t);
	free(slots);
	return ok;
}

/* Look-alike keys are distinct series. */
static int
test_keys(void)
{
	struct iiot_stab *t = iiot_stab_new(sizeof(struct state));
	struct state *st[NELEM(keys)], *s;
	const char *so, *se;
	size_t i, it = 0;
	int ok = t != NULL, created;

	for (i = 0; i < NELEM(keys) && ok; i++) {
		created = 0;
		st[i] = iiot_stab_get(t, keys[i].source, keys[i].sensor, 1,
		    &created);
		ok = st[i] != NULL && created && st[i]->n == 0 &&
		    st[i]->sum == 0 && st[i]->tag[0] == '\0';
		if (ok) {
			st[i]->n = (long)i;
			snprintf(st[i]->tag, sizeof(st[i]->tag), "%s/%s",
			    keys[i].source, keys[i].sensor);
		}
	}
	for (i = 0; i < NELEM(keys) && ok; i++) {
		s = iiot_stab_get(t, keys[i].source, keys[i].sensor, 1, NULL);
		ok = s == st[i] && s->n == (long)i;
	}
	for (i = 0; ok && (s = iiot_stab_next(t, &it, &so, &se)) != NULL;
	    i++)
		ok = s == st[i] && strcmp(so, keys[i].source) == 0 &&
		    strcmp(se, keys[i].sensor) == 0;
	ok = ok && i == NELEM(keys) && iiot_stab_count(t) == NELEM(keys);
	iiot_stab_free(t);
	iiot_stab_free(NULL);
	return ok;
}

/* An empty table iterates over nothing. */
static int
test_empty(void)
{
	struct iiot_stab *t = iiot_stab_new(8);
	size_t it = 0;
	int ok;

	ok = t != NULL && iiot_stab_count(t) == 0 &&
	    iiot_stab_next(t, &it, NULL, NULL) == NULL &&
	    iiot_stab_get(t, "a", "b", 0, NULL) == NULL;
	iiot_stab_free(t);
	return ok;
}

int
main(void)
{
	static const size_t sizes[] = {
		sizeof(struct state),	/* a typical state */
		0,			/* no state at all */
		1,			/* one byte, padded */
		1000,			/* a large one */
	};
	char desc[64];
	size_t i;

	tap_plan((int)NELEM(sizes) + 2);
	for (i = 0; i < NELEM(sizes); i++) {
		snprintf(desc, sizeof(desc), "100000 series, %zu-byte slots",
		    sizes[i]);
		tap_ok(test_many(sizes[i]), desc);
	}
	tap_ok(test_keys(), "look-alike keys are distinct series");
	tap_ok(test_empty(), "an empty table");
	return tap_status();
}
