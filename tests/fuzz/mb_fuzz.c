/* SPDX-License-Identifier: MIT */
/* mb_fuzz.c: fuzz Modbus register decoding for every type and word order; encode/decode round trips. */
#include <math.h>

#include "iiot.h"
#include "fuzz.h"

/* Two doubles the same: bit for bit, or both NaN. */
static int
mb_same(double a, double b)
{
	if (isnan(a) && isnan(b))
		return 1;
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Integer types whose words come back exactly when |value| < 2^53. */
static int
mb_exact(int type, double v)
{
	switch (type) {
	case IIOT_MB_INT16:
	case IIOT_MB_UINT16:
	case IIOT_MB_INT32:
	case IIOT_MB_UINT32:
		return 1;
	case IIOT_MB_INT64:
	case IIOT_MB_UINT64:
		return fabs(v) < 9007199254740992.0;
	case IIOT_MB_FLOAT32:
	case IIOT_MB_FLOAT64:
		return !isnan(v);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iiot_mb_url u, u2;
	uint16_t regs[4] = { 0, 0, 0, 0 }, back[4];
	char buf[600], buf2[600], *s;
	unsigned words;
	int type, order, bit, b2;
	double v, v2, in;

	memcpy(regs, data, size < sizeof(regs) ? size : sizeof(regs));
	bit = size > 8 ? data[8] % 16 : 0;
	for (type = IIOT_MB_BOOL; type <= IIOT_MB_BIT; type++) {
		words = iiot_mb_type_words(type);
		FUZZ_ASSERT(words >= 1 && words <= 4);
		FUZZ_ASSERT(iiot_mb_type_name(type) != NULL);
		FUZZ_ASSERT(iiot_mb_type_parse(iiot_mb_type_name(type), &b2) ==
		    type || type == IIOT_MB_BIT);
		for (order = IIOT_MB_ABCD; order <= IIOT_MB_DCBA; order++) {
			FUZZ_ASSERT(iiot_mb_order_parse(
			    iiot_mb_order_name(order)) == order);
			v = iiot_mb_decode(regs, type, order, bit);
			memcpy(back, regs, sizeof(back));
			iiot_mb_encode(v, type, order, bit, back);
			v2 = iiot_mb_decode(back, type, order, bit);
			/*
			 * Near 2^63 and 2^64 a decoded 64-bit integer rounds
			 * up to a double that the type cannot hold: encoding
			 * clamps it just below (documented as rounded).
			 */
			if (!(type == IIOT_MB_INT64 &&
			    v >= 9223372036854775808.0) &&
			    !(type == IIOT_MB_UINT64 &&
			    v >= 18446744073709551616.0))
				FUZZ_ASSERT(mb_same(v, v2));
			if (mb_exact(type, v))
				FUZZ_ASSERT(memcmp(regs, back,
				    words * sizeof(uint16_t)) == 0);
			if (type == IIOT_MB_BIT)
				FUZZ_ASSERT((back[0] & ~(1u << bit)) ==
				    (regs[0] & ~(1u << bit)));

			/* Any double encodes without harm (clamped). */
			if (size >= 17) {
				memcpy(&in, data + 9, sizeof(in));
				iiot_mb_encode(in, type, order, bit, back);
				v2 = iiot_mb_decode(back, type, order, bit);
				if (type == IIOT_MB_FLOAT64)
					FUZZ_ASSERT(mb_same(in, v2));
			}
		}
	}

	/* The rest of the input as words of a catalogue and a URL. */
	s = fuzz_str(data, size);
	(void)iiot_mb_type_parse(s, &b2);
	(void)iiot_mb_order_parse(s);
	(void)iiot_mb_table_parse(s);
	memset(&u, 0, sizeof(u));
	if (iiot_mb_url_parse(s, &u) == 0) {
		FUZZ_ASSERT(iiot_mb_url_format(&u, buf, sizeof(buf)) <
		    sizeof(buf));
		/* The canonical form is a fixed point. */
		memset(&u2, 0, sizeof(u2));
		FUZZ_ASSERT(iiot_mb_url_parse(buf, &u2) == 0);
		(void)iiot_mb_url_format(&u2, buf2, sizeof(buf2));
		FUZZ_ASSERT(strcmp(buf, buf2) == 0);
	}
	free(s);
	return 0;
}
