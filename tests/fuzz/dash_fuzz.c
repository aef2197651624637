/* SPDX-License-Identifier: MIT */
/* dash_fuzz.c: fuzz the dashboard file (iiot-dashboard(5)) and -p quick panels of iiot-plot. */
#include <sys/mman.h>
#include <unistd.h>

#include "../../cmd/iiot-plot/dash.c"

#include "fuzz.h"

static int dash_fd = -1;
static char dash_path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dash d;
	char err[512], *s;
	size_t i;

	if (dash_fd < 0) {
		if ((dash_fd = memfd_create("fuzz", 0)) < 0)
			abort();
		snprintf(dash_path, sizeof(dash_path), "/proc/self/fd/%d",
		    dash_fd);
	}
	if (ftruncate(dash_fd, 0) < 0 ||
	    pwrite(dash_fd, data, size, 0) != (ssize_t)size)
		abort();

	/* The file: parsed, laid out on its grid, freed. */
	memset(&d, 0, sizeof(d));
	err[0] = '\0';
	if (dash_load(&d, dash_path, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(d.npanels > 0);
		dash_layout(&d);
		for (i = 0; i < d.npanels; i++) {
			FUZZ_ASSERT(d.panels[i]->gx >= 0 &&
			    d.panels[i]->gy >= 0);
			FUZZ_ASSERT(d.panels[i]->gx < d.gcols &&
			    d.panels[i]->gy < d.grows);
		}
	} else
		FUZZ_ASSERT(err[0] != '\0');
	dash_free(&d);

	/* The same bytes as a -p quick panel. */
	if (memchr(data, '\0', size) == NULL) {
		s = fuzz_str(data, size);
		memset(&d, 0, sizeof(d));
		if (dash_add_quick(&d, s, err, sizeof(err)) == 0)
			dash_layout(&d);
		dash_free(&d);
		free(s);
	}
	return 0;
}
