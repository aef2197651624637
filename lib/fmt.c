/* SPDX-License-Identifier: MIT */
/* fmt.c: writing records as JSON, CSV, TSV or InfluxDB lines. */
#include <errno.h>
#include <string.h>

#include "iiot_buf.h"
#include "iiot_fmt.h"
#include "iiot_rec.h"
#include "iiot_time.h"

const char *const iiot_fmt_default_cols[] = {
	"ts", "source", "sensor", "value", "unit", "quality",
};
const size_t iiot_fmt_ndefault_cols = 6;

int
iiot_fmt_parse(const char *name)
{
	static const char *const names[] = { "json", "csv", "tsv", "influx" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

/* Append a cell escaped for CSV or TSV. */
static int
add_cell(struct iiot_buf *b, int fmt, const char *s, size_t n)
{
	size_t i;

	if (fmt == IIOT_FMT_CSV) {
		if (strcspn(s, ",\"\r\n") >= n)
			return iiot_buf_add(b, s, n);
		if (iiot_buf_addc(b, '"') < 0)
			return -1;
		for (i = 0; i < n; i++)
			if ((s[i] == '"' && iiot_buf_addc(b, '"') < 0) ||
			    iiot_buf_addc(b, s[i]) < 0)
				return -1;
		return iiot_buf_addc(b, '"');
	}
	for (i = 0; i < n; i++) {
		int rc;

		if (s[i] == '\t')
			rc = iiot_buf_add(b, "\\t", 2);
		else if (s[i] == '\n')
			rc = iiot_buf_add(b, "\\n", 2);
		else if (s[i] == '\r')
			rc = iiot_buf_add(b, "\\r", 2);
		else if (s[i] == '\\')
			rc = iiot_buf_add(b, "\\\\", 2);
		else
			rc = iiot_buf_addc(b, s[i]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
iiot_fmt_header(FILE *f, int fmt, const char *const *cols, size_t n)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	size_t i;
	int rc = 0;

	if (fmt != IIOT_FMT_CSV && fmt != IIOT_FMT_TSV)
		return 0;
	if (cols == NULL) {
		cols = iiot_fmt_default_cols;
		n = iiot_fmt_ndefault_cols;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = iiot_buf_addc(&b, fmt == IIOT_FMT_CSV ? ',' : '\t');
		if (rc == 0)
			rc = add_cell(&b, fmt, cols[i], strlen(cols[i]));
	}
	if (rc == 0)
		rc = iiot_buf_addc(&b, '\n');
	if (rc == 0 && fwrite(b.data, 1, b.len, f) != b.len)
		rc = -1;
	iiot_buf_release(&b);
	return rc;
}

static int
add_table(struct iiot_buf *b, int fmt, const struct iiot_rec *r,
    const char *const *cols, size_t n)
{
	char tbuf[IIOT_TIME_BUFSZ];
	const char *s;
	size_t i, len;
	double d;

	if (cols == NULL) {
		cols = iiot_fmt_default_cols;
		n = iiot_fmt_ndefault_cols;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && iiot_buf_addc(b, fmt == IIOT_FMT_CSV ? ',' :
		    '\t') < 0)
			return -1;
		if (strcmp(cols[i], "ts") == 0) {
			if (!r->has_ts)
				continue;
			len = iiot_time_format(r->ts, tbuf);
			if (iiot_buf_add(b, tbuf, len) < 0)
				return -1;
		} else if (strcmp(cols[i], "value") == 0) {
			if (iiot_buf_add_json_num(b, r->value) < 0)
				return -1;
		} else if ((s = iiot_rec_str(r, cols[i])) != NULL) {
			if (add_cell(b, fmt, s, strlen(s)) < 0)
				return -1;
		} else if (iiot_rec_num(r, cols[i], &d) == 0) {
			if (iiot_buf_add_json_num(b, d) < 0)
				return -1;
		}
	}
	return 0;
}

/* Escape a measurement, tag key or tag value for the line protocol. */
static int
add_influx(struct iiot_buf *b, const char *s, int measurement)
{
	for (; *s; s++) {
		if ((*s == ',' || *s == ' ' || (*s == '=' && !measurement) ||
		    *s == '\\') && iiot_buf_addc(b, '\\') < 0)
			return -1;
		if (*s == '\n' || *s == '\r') {
			if (iiot_buf_add(b, "\\n", 2) < 0)
				return -1;
			continue;
		}
		if (iiot_buf_addc(b, *s) < 0)
			return -1;
	}
	return 0;
}

static int
add_line_protocol(struct iiot_buf *b, const struct iiot_rec *r)
{
	struct iiot_field f;
	void *it = NULL;

	if (add_influx(b, r->sensor ? r->sensor : "", 1) < 0)
		return -1;
	while (iiot_rec_next_field(r, &it, &f)) {
		if (f.type != IIOT_F_STR || strcmp(f.key, "ts") == 0 ||
		    strcmp(f.key, "sensor") == 0 || f.str[0] == '\0')
			continue;
		if (iiot_buf_addc(b, ',') < 0 || add_influx(b, f.key, 0) < 0 ||
		    iiot_buf_addc(b, '=') < 0 || add_influx(b, f.str, 0) < 0)
			return -1;
	}
	if (iiot_buf_add(b, " value=", 7) < 0 ||
	    iiot_buf_add_json_num(b, r->value) < 0)
		return -1;
	/* ms to ns as text, which cannot overflow; 0 is not "0000000". */
	if (r->ts == 0)
		return iiot_buf_add(b, " 0", 2);
	return iiot_buf_addf(b, " %lld000000", (long long)r->ts);
}

int
iiot_fmt_write(FILE *f, int fmt, const struct iiot_rec *r,
    const char *const *cols, size_t n)
{
	static _Thread_local struct iiot_buf b;
	int rc;

	if (fmt == IIOT_FMT_JSON)
		return iiot_rec_write(r, f);
	iiot_buf_reset(&b);
	if (fmt == IIOT_FMT_INFLUX)
		rc = add_line_protocol(&b, r);
	else
		rc = add_table(&b, fmt, r, cols, n);
	if (rc < 0 || iiot_buf_addc(&b, '\n') < 0)
		return -1;
	return fwrite(b.data, 1, b.len, f) == b.len ? 0 : -1;
}
