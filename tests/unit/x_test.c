/* SPDX-License-Identifier: MIT */
/* x_test.c: unit tests for the shared option handlers of cmd/ programs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "iiot_log.h"
#include "iiot_mqtt.h"
#include "iiot_x.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
never(void)
{
}

static const struct {
	int c;			/* what getopt_long() returned */
	const char *arg;
	int verbosity;		/* before */
	int handled;		/* iiot_opt_common()'s answer */
	int want_verbosity, want_unbuffered, want_quiet;
	int64_t want_interval;
} common_cases[] = {
	{ 'q', NULL, 0, 1, -1, 0, 1, 1000 },		/* -q */
	{ 'v', NULL, 0, 1, 1, 0, 0, 1000 },		/* -v */
	{ 'v', NULL, 2, 1, 3, 0, 0, 1000 },		/* -vvv */
	{ 'v', NULL, -1, 1, -1, 0, 0, 1000 },		/* -q then -v */
	{ 'u', NULL, 0, 1, 0, 1, 0, 1000 },		/* -u */
	{ 'i', "250ms", 0, 1, 0, 0, 0, 250 },		/* -i */
	{ 'i', "2m", 0, 1, 0, 0, 0, 120000 },		/* -i minutes */
	{ 'x', NULL, 0, 0, 0, 0, 0, 1000 },		/* not shared */
	{ '?', NULL, 0, 0, 0, 0, 0, 1000 },		/* bad option */
	{ 256, "x", 0, 0, 0, 0, 0, 1000 },		/* a long option */
};

static void
test_common(void)
{
	struct iiot_opt_common oc = {
		.usage = never, .version = never, .synopsis = "x_test",
	};
	int64_t interval;
	int unbuffered, quiet, rc;
	char desc[64];
	size_t i;

	oc.unbuffered = &unbuffered;
	oc.quiet = &quiet;
	oc.interval = &interval;
	for (i = 0; i < NELEM(common_cases); i++) {
		unbuffered = quiet = 0;
		interval = 1000;
		iiot_verbosity = common_cases[i].verbosity;
		rc = iiot_opt_common(common_cases[i].c, common_cases[i].arg,
		    &oc);
		snprintf(desc, sizeof(desc), "common #%zu: '%c'", i + 1,
		    common_cases[i].c < 128 ? common_cases[i].c : '-');
		tap_ok(rc == common_cases[i].handled &&
		    iiot_verbosity == common_cases[i].want_verbosity &&
		    unbuffered == common_cases[i].want_unbuffered &&
		    quiet == common_cases[i].want_quiet &&
		    interval == common_cases[i].want_interval, desc);
	}
	iiot_verbosity = 0;
	oc.unbuffered = NULL;
	oc.quiet = NULL;
	oc.interval = NULL;
	tap_ok(iiot_opt_common('i', "1s", &oc) == 0,
	    "common: -i is not shared without an interval");
	tap_ok(iiot_opt_common('u', NULL, &oc) == 0,
	    "common: -u is not shared without a flag");
	tap_ok(iiot_opt_common('q', NULL, &oc) == 1 && iiot_verbosity == -1,
	    "common: -q without a quiet flag");
	iiot_verbosity = 0;
}

static void
test_mqtt(void)
{
	struct iiot_mqtt_opts m = IIOT_MQTT_OPTS_INIT;

	tap_ok(iiot_opt_mqtt(IIOT_MQTT_OPT_CAFILE, "ca", &m) == 1 &&
	    iiot_opt_mqtt(IIOT_MQTT_OPT_CERT, "crt", &m) == 1 &&
	    iiot_opt_mqtt(IIOT_MQTT_OPT_KEY, "key", &m) == 1 &&
	    iiot_opt_mqtt(IIOT_MQTT_OPT_INSECURE, NULL, &m) == 1 &&
	    iiot_opt_mqtt(IIOT_MQTT_OPT_CLIENT_ID, "id", &m) == 1 &&
	    iiot_opt_mqtt(IIOT_MQTT_OPT_PASSWORD_FILE, "pw", &m) == 1 &&
	    iiot_opt_mqtt(IIOT_MQTT_OPT_QOS, "2", &m) == 1,
	    "mqtt: every broker option is taken");
	tap_ok(strcmp(m.cafile, "ca") == 0 && strcmp(m.cert, "crt") == 0 &&
	    strcmp(m.key, "key") == 0 && m.insecure == 1 &&
	    strcmp(m.client_id, "id") == 0 &&
	    strcmp(m.password_file, "pw") == 0 && m.qos == 2,
	    "mqtt: and stored");
	tap_ok(iiot_opt_mqtt('h', NULL, &m) == 0 &&
	    iiot_opt_mqtt(256, "x", &m) == 0,
	    "mqtt: other options are left to the caller");
}

int
main(void)
{
	tap_plan((int)NELEM(common_cases) + 3 + 3);
	test_common();
	test_mqtt();
	return tap_status();
}
