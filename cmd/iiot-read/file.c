/* SPDX-License-Identifier: MIT */
/* file.c: the file source of iiot-read (not yet written). */
#include "iiot.h"
#include "read.h"

int
file_run(const struct read_opts *o, char **paths, int npaths)
{
	(void)o;
	(void)npaths;
	iiot_warnx("cannot read '%s': file sources not yet supported",
	    paths[0]);
	return 2;
}
