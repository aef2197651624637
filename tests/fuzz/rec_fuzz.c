/* SPDX-License-Identifier: MIT */
/* rec_fuzz.c: fuzz iiot_rec_parse; a changed record re-serializes to the same views. */
#include <errno.h>

#include "iiot.h"
#include "fuzz.h"

/* The views of a record, copied. */
struct recview {
	int64_t ts;
	int has_ts;
	double value;
	char *source, *sensor, *unit, *quality;
};

static char *
rec_dup(const char *s)
{
	return s != NULL ? fuzz_str((const uint8_t *)s, strlen(s)) : NULL;
}

static void
rec_take(struct recview *v, const struct iiot_rec *r)
{
	v->ts = r->ts;
	v->has_ts = r->has_ts;
	v->value = r->value;
	v->source = rec_dup(r->source);
	v->sensor = rec_dup(r->sensor);
	v->unit = rec_dup(r->unit);
	v->quality = rec_dup(r->quality);
}

static void
rec_drop(struct recview *v)
{
	free(v->source);
	free(v->sensor);
	free(v->unit);
	free(v->quality);
}

static void
rec_same(const struct recview *v, const struct iiot_rec *r)
{
	FUZZ_ASSERT(v->has_ts == r->has_ts);
	FUZZ_ASSERT(!v->has_ts || v->ts == r->ts);
	/* Bit for bit, but for -0, written "0" by design (buf_test). */
	FUZZ_ASSERT(memcmp(&v->value, &r->value, sizeof(double)) == 0 ||
	    (v->value == 0 && r->value == 0));
	FUZZ_ASSERT(fuzz_streq(v->source, r->source));
	FUZZ_ASSERT(fuzz_streq(v->sensor, r->sensor));
	FUZZ_ASSERT(fuzz_streq(v->unit, r->unit));
	FUZZ_ASSERT(fuzz_streq(v->quality, r->quality));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iiot_rec r, r2;
	struct iiot_buf b = IIOT_BUF_INIT, b2 = IIOT_BUF_INIT;
	struct recview v;
	struct iiot_field f;
	void *it = NULL;
	double d;

	if (iiot_rec_init(&r) < 0 || iiot_rec_init(&r2) < 0)
		abort();
	if (iiot_rec_parse(&r, (const char *)data, size) == 0) {
		/* As read: written back byte for byte, and parses the same. */
		rec_take(&v, &r);
		while (iiot_rec_next_field(&r, &it, &f) == 1)
			(void)iiot_rec_num(&r, f.key, &d);
		FUZZ_ASSERT(iiot_rec_format(&r, &b) == 0);
		FUZZ_ASSERT(iiot_rec_parse(&r2, b.data, b.len) == 0);
		rec_same(&v, &r2);

		/* Changed: written anew, parses to the same views. */
		FUZZ_ASSERT(iiot_rec_set_str(&r, "x", "y") == 0);
		FUZZ_ASSERT(r.dirty);
		rec_same(&v, &r);
		iiot_buf_reset(&b);
		FUZZ_ASSERT(iiot_rec_format(&r, &b) == 0);
		FUZZ_ASSERT(iiot_rec_parse(&r2, b.data, b.len) == 0);
		rec_same(&v, &r2);
		FUZZ_ASSERT(fuzz_streq(iiot_rec_str(&r2, "x"), "y"));

		/* Once more: the output is a fixed point. */
		FUZZ_ASSERT(iiot_rec_set_str(&r2, "x", "y") == 0);
		FUZZ_ASSERT(iiot_rec_format(&r2, &b2) == 0);
		FUZZ_ASSERT(b2.len == b.len && memcmp(b.data, b2.data,
		    b.len) == 0);
		rec_drop(&v);
	}
	iiot_buf_release(&b);
	iiot_buf_release(&b2);
	iiot_rec_release(&r);
	iiot_rec_release(&r2);
	return 0;
}
