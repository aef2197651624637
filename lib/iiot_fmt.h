/* SPDX-License-Identifier: MIT */
/* iiot_fmt.h: writing records as JSON, CSV, TSV or InfluxDB lines. */
#ifndef IIOT_FMT_H
#define IIOT_FMT_H

#include <stddef.h>
#include <stdio.h>

struct iiot_rec;

#define IIOT_FMT_JSON	0
#define IIOT_FMT_CSV	1
#define IIOT_FMT_TSV	2
#define IIOT_FMT_INFLUX	3

/*
 * Return the format named "json", "csv", "tsv" or "influx", or -1 with
 * errno EINVAL.
 */
int iiot_fmt_parse(const char *name);

/*
 * The columns written for CSV and TSV when none are given:
 * ts, source, sensor, value, unit, quality.
 */
extern const char *const iiot_fmt_default_cols[];
extern const size_t iiot_fmt_ndefault_cols;

/*
 * Write the header line of a CSV or TSV table (nothing for the other
 * formats).  cols, n: the column names; NULL for the default columns.
 * Returns 0, or -1 with errno on a write error.
 */
int iiot_fmt_header(FILE *f, int fmt, const char *const *cols, size_t n);

/*
 * Write one record in format fmt.  CSV quotes fields per RFC 4180; TSV
 * escapes tabs and newlines as \t and \n; influx writes the InfluxDB
 * line protocol: measurement = sensor, string fields as tags, value as
 * the field, time in ns.  A missing column is an empty cell.
 * Returns 0, or -1 with errno on a write error.
 */
int iiot_fmt_write(FILE *f, int fmt, const struct iiot_rec *r,
    const char *const *cols, size_t n);

#endif /* IIOT_FMT_H */
