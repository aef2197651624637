/* SPDX-License-Identifier: MIT */
/* file_fuzz.c: fuzz the CSV, TSV, JSON Lines and InfluxDB import of iiot-read. */
#include <sys/mman.h>

#include "../../cmd/iiot-read/file.c"

#include "fuzz.h"

static int file_fd = -1;
static char file_path[64];

/*
 * Input: the first byte picks the format (by content, csv, tsv, json,
 * influx) and the columns (long or wide CSV); the rest is the file.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {
		NULL, "csv", "tsv", "json", "influx",
	};
	struct read_opts o;
	unsigned long long bad = 0, nrec = 0;

	if (size == 0)
		return 0;
	if (file_fd < 0) {
		/* Records go nowhere; warnings are not wanted either. */
		if (freopen("/dev/null", "w", stdout) == NULL)
			abort();
		iiot_verbosity = -1;
		if ((file_fd = memfd_create("fuzz", 0)) < 0)
			abort();
		snprintf(file_path, sizeof(file_path), "/proc/self/fd/%d",
		    file_fd);
	}
	memset(&o, 0, sizeof(o));
	o.timeout = -1;
	o.format = fmts[data[0] % 5];
	if (data[0] & 0x08)
		o.source = "press1";		/* wide CSV */
	if (data[0] & 0x10) {
		o.col_ts = "time";
		o.col_sensor = "name";
		o.col_value = "v";
	}
	if (data[0] & 0x20)
		o.count = 3;
	if (ftruncate(file_fd, 0) < 0 ||
	    pwrite(file_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	(void)read_one(&o, file_path, &bad, &nrec);
	fflush(stdout);
	return 0;
}
