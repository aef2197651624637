/* SPDX-License-Identifier: MIT */
/* modbus.c: the Modbus source of iiot-read: poll devices, write records. */
#include "iiot.h"
#include "read.h"

int
modbus_run(const struct read_opts *o, char **urls, int nurls)
{
	(void)o;
	(void)nurls;
	iiot_warnx("cannot read '%s': not yet supported",
	    nurls > 0 ? urls[0] : "");
	return 2;
}
