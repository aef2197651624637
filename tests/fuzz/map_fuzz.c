/* SPDX-License-Identifier: MIT */
/* map_fuzz.c: fuzz the plant catalogue parser (iiot-map(5)) from memory. */
#include "iiot.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct iiot_map_point *p;
	const struct iiot_map_dev *d;
	const char *k, *v;
	struct iiot_map *m;
	char err[256];
	size_t i, it;
	double num;

	if ((m = iiot_map_parse((const char *)data, size, "fuzz.map", err,
	    sizeof(err))) == NULL)
		return 0;
	for (i = 0; i < iiot_map_ndevs(m); i++) {
		d = iiot_map_dev(m, i);
		FUZZ_ASSERT(d != NULL && d->name != NULL && d->url != NULL);
	}
	for (i = 0; i < iiot_map_npoints(m); i++) {
		p = iiot_map_point(m, i);
		FUZZ_ASSERT(p != NULL && p->source != NULL && p->sensor != NULL);
		FUZZ_ASSERT(iiot_map_find(m, p->source, p->sensor) != NULL);
		FUZZ_ASSERT(p->type >= IIOT_MB_BOOL && p->type <= IIOT_MB_BIT);
		FUZZ_ASSERT(p->order >= IIOT_MB_ABCD &&
		    p->order <= IIOT_MB_DCBA);
		FUZZ_ASSERT(iiot_mb_type_fits(p->type, p->table));
		it = 0;
		while (iiot_map_next_kv(p, &it, &k, &v)) {
			FUZZ_ASSERT(k != NULL && v != NULL);
			(void)iiot_map_get(p, k);
			(void)iiot_map_get_num(p, k, &num);
		}
	}
	for (i = 0; i < iiot_map_ntags(m); i++)
		FUZZ_ASSERT(iiot_map_is_tag(m, iiot_map_tag(m, i)));
	iiot_map_free(m);
	return 0;
}
