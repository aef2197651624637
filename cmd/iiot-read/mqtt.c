/* SPDX-License-Identifier: MIT */
/* mqtt.c: the MQTT source of iiot-read (not yet written). */
#include "iiot.h"
#include "read.h"

int
mqtt_run(const struct read_opts *o, const char *url)
{
	(void)o;
	iiot_warnx("cannot read '%s': MQTT sources not yet supported", url);
	return 2;
}
