/* SPDX-License-Identifier: MIT */
/* mqtt_fuzz.c: fuzz the MQTT payload decoding of iiot-read and topic templates. */
#include "../../cmd/iiot-read/mqtt.c"

#include "fuzz.h"

/* 2026-11-29T00:00:00Z, a fixed "now" so that runs repeat. */
#define FUZZ_NOW INT64_C(1795910400000)

/*
 * Input: the first byte picks a --topic-format (or none); then the topic
 * up to a NUL, then the payload.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tmpls[] = {
		NULL, "plant/{location}/{source}/{sensor}", "site/{source}/x/{sensor}",
		"{location}/{sensor}", "{sensor}",
	};
	static struct read_opts o;
	struct iiot_buf b = IIOT_BUF_INIT, t = IIOT_BUF_INIT;
	struct iiot_rec r2;
	const uint8_t *nul;
	const char *why, *missing;
	char *topic, *payload;
	struct mq q;

	if (size == 0)
		return 0;
	memset(&q, 0, sizeof(q));
	q.o = &o;
	if (tmpls[data[0] % 5] != NULL)
		FUZZ_ASSERT((q.tmpl = iiot_topic_new(tmpls[data[0] % 5])) !=
		    NULL);
	data++;
	size--;
	nul = memchr(data, '\0', size);
	topic = fuzz_str(data, nul ? (size_t)(nul - data) : 0);
	payload = nul ? fuzz_str(nul + 1, size - (size_t)(nul - data) - 1) :
	    fuzz_str(data, size);
	if (iiot_rec_init(&q.rec) < 0 || iiot_rec_init(&r2) < 0)
		abort();
	topic_fields(&q, topic);
	if (decode(&q, payload, strlen(payload), FUZZ_NOW, &why) == 0) {
		/*
		 * What iiot-read writes is a record that reads back.  A
		 * whole record may have an empty sensor, as in iiot(7).
		 */
		FUZZ_ASSERT(q.rec.sensor != NULL);
		FUZZ_ASSERT(iiot_rec_format(&q.rec, &b) == 0);
		FUZZ_ASSERT(iiot_rec_parse(&r2, b.data, b.len) == 0);
		FUZZ_ASSERT(fuzz_streq(r2.sensor, q.rec.sensor));
		FUZZ_ASSERT(fuzz_streq(r2.source, q.rec.source));
		FUZZ_ASSERT(memcmp(&r2.value, &q.rec.value,
		    sizeof(double)) == 0 || (r2.value == 0 &&
		    q.rec.value == 0));
		if (q.tmpl != NULL)
			(void)iiot_topic_build(q.tmpl, &q.rec, &t, &missing);
	}
	iiot_buf_release(&b);
	iiot_buf_release(&t);
	iiot_rec_release(&r2);
	iiot_rec_release(&q.rec);
	iiot_topic_free(q.tmpl);
	free(topic);
	free(payload);
	return 0;
}
