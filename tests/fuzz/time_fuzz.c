/* SPDX-License-Identifier: MIT */
/* time_fuzz.c: fuzz timestamps, durations and --since times; format/parse round trips. */
#include <errno.h>

#include "iiot.h"
#include "fuzz.h"

/* 2026-11-29T00:00:00Z, a fixed "now" so that runs repeat. */
#define FUZZ_NOW INT64_C(1795910400000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[IIOT_TIME_BUFSZ], dbuf[32], *s;
	int64_t ms, ms2, raw;
	size_t n;

	/* RFC 3339, not NUL-terminated: parse, format, parse again. */
	if (iiot_time_parse((const char *)data, size, &ms) == 0) {
		n = iiot_time_format(ms, buf);
		FUZZ_ASSERT(n > 0 && n < IIOT_TIME_BUFSZ);
		FUZZ_ASSERT(iiot_time_parse(buf, n, &ms2) == 0);
		FUZZ_ASSERT(ms == ms2);
	}

	s = fuzz_str(data, size);
	if (iiot_duration_parse(s, &ms) == 0) {
		n = iiot_duration_format(ms, dbuf);
		FUZZ_ASSERT(n > 0 && n < sizeof(dbuf));
		FUZZ_ASSERT(iiot_duration_parse(dbuf, &ms2) == 0);
		FUZZ_ASSERT(ms == ms2);
	}
	if (iiot_when_parse(s, FUZZ_NOW, &ms) == 0 && ms >= 0 &&
	    ms < INT64_C(253402300800000)) {
		/* Years 1970 to 9999 are written as RFC 3339 and read back. */
		n = iiot_time_format(ms, buf);
		FUZZ_ASSERT(iiot_when_parse(buf, FUZZ_NOW, &ms2) == 0);
		FUZZ_ASSERT(ms == ms2);
	}
	free(s);

	/* Eight bytes as a time: format, then parse back. */
	if (size >= sizeof(raw)) {
		memcpy(&raw, data, sizeof(raw));
		raw %= INT64_C(253402300800000);	/* 0000 to 9999 */
		if (raw < 0)
			raw = -raw;
		n = iiot_time_format(raw, buf);
		FUZZ_ASSERT(iiot_time_parse(buf, n, &ms2) == 0);
		FUZZ_ASSERT(raw == ms2);
		n = iiot_duration_format(raw, dbuf);
		FUZZ_ASSERT(iiot_duration_parse(dbuf, &ms2) == 0);
		FUZZ_ASSERT(raw == ms2);
	}
	return 0;
}
