/* SPDX-License-Identifier: MIT */
/* series.c: per-series state in an open-addressing hash table. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_series.h"

struct entry {
	uint64_t hash;
	char *source, *sensor;	/* both in one allocation after the slot */
	alignas(max_align_t) unsigned char slot[];
};

struct iiot_stab {
	size_t slotsz;
	size_t n, cap;		/* cap is a power of two */
	struct entry **index;	/* open addressing, linear probing */
	struct entry **order;	/* insertion order, for iteration */
};

/* FNV-1a over "source\0sensor". */
static uint64_t
hash(const char *source, const char *sensor)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *source; source++)
		h = (h ^ (unsigned char)*source) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (; *sensor; sensor++)
		h = (h ^ (unsigned char)*sensor) * 0x100000001b3ULL;
	return h;
}

struct iiot_stab *
iiot_stab_new(size_t slotsz)
{
	struct iiot_stab *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->slotsz = (slotsz + alignof(max_align_t) - 1) &
	    ~(alignof(max_align_t) - 1);
	t->cap = 64;
	t->index = calloc(t->cap, sizeof(*t->index));
	t->order = calloc(t->cap, sizeof(*t->order));
	if (t->index == NULL || t->order == NULL) {
		iiot_stab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static int
grow(struct iiot_stab *t)
{
	size_t cap = t->cap * 2, i, j;
	struct entry **index, **order;

	index = calloc(cap, sizeof(*index));
	order = realloc(t->order, cap * sizeof(*order));
	if (index == NULL || order == NULL) {
		free(index);
		if (order != NULL)
			t->order = order;
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		j = order[i]->hash & (cap - 1);
		while (index[j] != NULL)
			j = (j + 1) & (cap - 1);
		index[j] = order[i];
	}
	free(t->index);
	t->index = index;
	t->order = order;
	t->cap = cap;
	return 0;
}

void *
iiot_stab_get(struct iiot_stab *t, const char *source, const char *sensor,
    int create, int *created)
{
	uint64_t h = hash(source, sensor);
	size_t j = h & (t->cap - 1), ls, lz;
	struct entry *e;

	for (; (e = t->index[j]) != NULL; j = (j + 1) & (t->cap - 1)) {
		if (e->hash == h && strcmp(e->sensor, sensor) == 0 &&
		    strcmp(e->source, source) == 0)
			return e->slot;
	}
	if (!create) {
		errno = ENOENT;
		return NULL;
	}
	if ((t->n + 1) * 2 > t->cap) {
		if (grow(t) < 0)
			return NULL;
		return iiot_stab_get(t, source, sensor, create, created);
	}
	ls = strlen(source) + 1;
	lz = strlen(sensor) + 1;
	if ((e = calloc(1, sizeof(*e) + t->slotsz + ls + lz)) == NULL)
		return NULL;
	e->hash = h;
	e->source = (char *)e->slot + t->slotsz;
	e->sensor = e->source + ls;
	memcpy(e->source, source, ls);
	memcpy(e->sensor, sensor, lz);
	t->index[j] = e;
	t->order[t->n++] = e;
	if (created != NULL)
		*created = 1;
	return e->slot;
}

size_t
iiot_stab_count(const struct iiot_stab *t)
{
	return t->n;
}

void *
iiot_stab_next(const struct iiot_stab *t, size_t *it, const char **source,
    const char **sensor)
{
	struct entry *e;

	if (*it >= t->n)
		return NULL;
	e = t->order[(*it)++];
	if (source != NULL)
		*source = e->source;
	if (sensor != NULL)
		*sensor = e->sensor;
	return e->slot;
}

void
iiot_stab_free(struct iiot_stab *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->order[i]);
	free(t->index);
	free(t->order);
	free(t);
}
