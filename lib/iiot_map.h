/* SPDX-License-Identifier: MIT */
/* iiot_map.h: the plant catalogue: devices, points, keys (iiot-map(5)). */
#ifndef IIOT_MAP_H
#define IIOT_MAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * A catalogue lists devices ([device NAME] sections with url, unit,
 * timeout, gap and default keys) and, in them, one point per line:
 *
 *   source sensor table address type [order] [key=value ...]
 *
 * Keys other than the reserved ones (scale, offset, unit, interval) are
 * kept as strings for other programs: engineering ranges (min, max),
 * alert thresholds (warn_above ...), tags (location, kind ...).  The
 * syntax is in iiot-map(5).
 */
struct iiot_map;	/* opaque: a loaded catalogue */

/* One key=value pair, in the order written. */
struct iiot_map_kv {
	char *key;
	char *val;
};

/* A device: one connection URL and one unit id. */
struct iiot_map_dev {
	char *name;		/* the [device NAME] */
	char *url;		/* modbus-tcp://... or modbus-rtu://... */
	int unit;		/* Modbus unit (slave) id, 1 by default */
	int64_t timeout;	/* ms per request, 0 for the default */
	unsigned gap;		/* coalescing gap in registers (4) */
	unsigned long line;	/* where the section starts */
	size_t nkv;		/* default keys for its points */
	struct iiot_map_kv *kv;
};

/* A point.  Fields are read-only; the map owns every string. */
struct iiot_map_point {
	char *source;
	char *sensor;
	const struct iiot_map_dev *dev;
	int table;		/* IIOT_MB_COIL ... IIOT_MB_HOLDING */
	unsigned addr;		/* first register or bit, from 0 */
	int type;		/* IIOT_MB_BOOL ... IIOT_MB_BIT */
	int bit;		/* IIOT_MB_BIT: 0 (LSB) to 15 */
	int order;		/* IIOT_MB_ABCD ... IIOT_MB_DCBA */
	double scale;		/* value = raw * scale + offset */
	double offset;
	const char *unit;	/* engineering unit, NULL if none */
	int64_t interval;	/* ms between reads, 0 for every cycle */
	unsigned long line;	/* line of the catalogue */
	size_t nkv;		/* every key=value of the line, in order */
	struct iiot_map_kv *kv;
};

/*
 * Load a catalogue file.
 * path: borrowed; "-" is not special.
 * err, errsz: receive a message "path:line: what" on failure.
 * Returns a map the caller frees with iiot_map_free(), or NULL with
 * errno IIOT_ESYNTAX (err says where and why), ENOMEM, or the errno of
 * opening or reading the file.
 */
struct iiot_map *iiot_map_load(const char *path, char *err, size_t errsz);

/*
 * Parse a catalogue from memory; name is used in messages.  As
 * iiot_map_load() otherwise.
 */
struct iiot_map *iiot_map_parse(const char *text, size_t len,
    const char *name, char *err, size_t errsz);

/*
 * Free a map.  NULL is allowed.
 */
void iiot_map_free(struct iiot_map *m);

/*
 * The devices and points, in the order of the file.  The pointers
 * returned are owned by the map; i must be below the count.
 */
size_t iiot_map_ndevs(const struct iiot_map *m);
const struct iiot_map_dev *iiot_map_dev(const struct iiot_map *m, size_t i);
size_t iiot_map_npoints(const struct iiot_map *m);
const struct iiot_map_point *iiot_map_point(const struct iiot_map *m,
    size_t i);

/*
 * Find the point of a series.  Returns it, or NULL if the catalogue
 * has no such point.
 */
const struct iiot_map_point *iiot_map_find(const struct iiot_map *m,
    const char *source, const char *sensor);

/*
 * Look up a key of a point, then of its device's defaults.  Returns
 * the value (owned by the map), or NULL if absent.
 */
const char *iiot_map_get(const struct iiot_map_point *p, const char *key);

/*
 * Look up a numeric key: returns 0 with *out set, or -1 if the key is
 * absent or not a number.
 */
int iiot_map_get_num(const struct iiot_map_point *p, const char *key,
    double *out);

/*
 * Iterate over the keys of a point: its own, then its device's
 * defaults that it does not override, reserved keys included.  Set
 * *it to 0 first; each call sets *key and *val and returns 1, or
 * returns 0 after the last.
 */
int iiot_map_next_kv(const struct iiot_map_point *p, size_t *it,
    const char **key, const char **val);

/*
 * Return 1 if key is a tag, a key that iiot-read copies into every
 * record of the point ("location", "line" and "kind" unless the
 * catalogue's "tags =" line says otherwise).
 */
int iiot_map_is_tag(const struct iiot_map *m, const char *key);

/*
 * The tags in the order of the "tags =" line: their number, and the
 * i-th (owned by the map; i below the number).
 */
size_t iiot_map_ntags(const struct iiot_map *m);
const char *iiot_map_tag(const struct iiot_map *m, size_t i);

#endif /* IIOT_MAP_H */
