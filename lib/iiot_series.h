/* SPDX-License-Identifier: MIT */
/* iiot_series.h: per-series state, keyed by (source, sensor). */
#ifndef IIOT_SERIES_H
#define IIOT_SERIES_H

#include <stddef.h>

struct iiot_stab;	/* opaque table of series */

/*
 * Make a table whose entries each hold slotsz bytes of the caller's
 * state, zeroed on creation.  Memory grows with the number of series,
 * never with the number of records.
 * Returns a table owned by the caller, or NULL with errno ENOMEM.
 */
struct iiot_stab *iiot_stab_new(size_t slotsz);

/*
 * Find the state of series (source, sensor); with create set, add it
 * when missing and set *created (if not NULL) to 1.
 * Returns the slot, owned by the table and stable until the table is
 * freed; NULL when missing (errno ENOENT) or on ENOMEM.
 */
void *iiot_stab_get(struct iiot_stab *t, const char *source,
    const char *sensor, int create, int *created);

/*
 * Return the number of series in the table.
 */
size_t iiot_stab_count(const struct iiot_stab *t);

/*
 * Iterate over the series in the order they were added.  Set *it to 0
 * first.  Returns the next slot and sets *source and *sensor (owned by
 * the table), or NULL after the last.
 */
void *iiot_stab_next(const struct iiot_stab *t, size_t *it,
    const char **source, const char **sensor);

/*
 * Free the table and every slot.  NULL is allowed.
 */
void iiot_stab_free(struct iiot_stab *t);

#endif /* IIOT_SERIES_H */
