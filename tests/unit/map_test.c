/* SPDX-License-Identifier: MIT */
/* map_test.c: unit tests of the plant catalogue parser and lookups. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iiot_log.h"
#include "iiot_map.h"
#include "iiot_mb.h"
#include "tap.h"

static const char good[] =
    "# a comment\n"
    "tags = location kind\n"
    "\n"
    "[device p1]   # trailing comment\n"
    "url = modbus-tcp://127.0.0.1:5020\n"
    "unit = 3\n"
    "timeout = 250ms\n"
    "location = \"hall A\"\n"
    "note = three words here  # and a comment\n"
    "press1 oil_temp input 0 int16 scale=0.1 unit=degC warn_above=65 "
    "max=100\n"
    "press1 vib input 2 float32 cdab kind=vibration location=hall-B\n"
    "press1 run coil 0 bool\n"
    "press1 alarm holding 7 bit.3 interval=5s\r\n"
    "[device m]\n"
    "url=modbus-rtu:///dev/ttyUSB0?baud=9600\n"
    "meter0 energy holding 0 uint64 dcba scale=0.001 offset=-1\n";

/* Catalogues with one error each, and the message expected. */
static const struct {
	const char *text;
	const char *err;
	const char *what;
} bad[] = {
	{ "p s input 0 int16\n", "t:1: point outside a [device] section",
	    "point before any device" },
	{ "[device a]\nurl = modbus-tcp://h\np s register 0 int16\n",
	    "t:3: invalid table: 'register' (coil, discrete, input, holding)",
	    "unknown table" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0 int17\n",
	    "t:3: invalid type: 'int17'", "unknown type" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0 float32 abdc\n",
	    "t:3: invalid order: 'abdc' (abcd, badc, cdab, dcba)",
	    "unknown order" },
	{ "[device a]\nurl = modbus-tcp://h\np s coil 0 int16\n",
	    "t:3: a coil holds only bool, not 'int16'", "int16 in a coil" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 65535 int32\n",
	    "t:3: int32 at 65535 goes past the last register",
	    "past the last register" },
	{ "[device a]\nurl = modbus-tcp://h\np s input -1 int16\n",
	    "t:3: invalid address: '-1'", "negative address" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0 int16 scale=x\n",
	    "t:3: invalid scale: 'x'", "bad scale" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0\n",
	    "t:3: expected: source sensor table address type",
	    "missing type" },
	{ "[device a]\nurl = ftp://h\n", "t:2: invalid url: 'ftp://h'",
	    "bad url" },
	{ "[device a]\nunit = 1\n[device b]\n",
	    "t:3: device 'a' (line 1) has no url", "device without url" },
	{ "[device a]\nurl = modbus-tcp://h\n[device a]\n",
	    "t:3: device 'a' already defined on line 1", "duplicate device" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0 int16\n"
	    "p s input 1 int16\n",
	    "t:4: point p s already defined on line 3", "duplicate point" },
	{ "[station a]\n", "t:1: expected [device NAME]", "unknown section" },
	{ "[device a]\nurl = modbus-tcp://h\nunit = 300\n",
	    "t:3: invalid unit: '300'", "unit out of range" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0 int16 abcd x\n",
	    "t:3: expected key=value: 'x'", "junk after the order" },
	{ "[device a]\nurl = modbus-tcp://h\np s input 0 int16 a=\"b\n",
	    "t:3: unterminated quote", "unterminated quote" },
	{ "tags = ts\n", "t:1: invalid tag name: 'ts'", "reserved tag" },
	{ "[device a]\nurl = modbus-tcp://h\ntimeout = 5s\n",
	    "t:3: invalid timeout: '5s' (1ms to 1s)", "timeout over 1s" },
};

int
main(void)
{
	const struct iiot_map_point *p;
	const struct iiot_map_dev *d;
	struct iiot_map *m;
	const char *k, *v;
	char err[256];
	size_t i, it, n, nb = sizeof(bad) / sizeof(*bad);
	double x;
	int ok;

	tap_plan((int)(13 + 2 * nb));
	m = iiot_map_parse(good, strlen(good), "good", err, sizeof(err));
	if (!tap_ok(m != NULL, "a good catalogue parses"))
		printf("# %s\n", err);
	if (m == NULL)
		return 1;
	tap_ok(iiot_map_ndevs(m) == 2 && iiot_map_npoints(m) == 5,
	    "two devices, five points");
	d = iiot_map_dev(m, 0);
	tap_ok(strcmp(d->name, "p1") == 0 && d->unit == 3 &&
	    d->timeout == 250 && d->gap == 4, "device settings");
	tap_ok(d->nkv == 2 && strcmp(d->kv[1].val, "three words here") == 0,
	    "a setting of several words, without its comment");
	p = iiot_map_find(m, "press1", "oil_temp");
	ok = p != NULL && p->table == IIOT_MB_INPUT && p->addr == 0 &&
	    p->type == IIOT_MB_INT16 && p->scale == 0.1 &&
	    strcmp(p->unit, "degC") == 0 && p->line == 10 && p->dev == d;
	tap_ok(ok, "find a point and its fields");
	tap_ok(iiot_map_find(m, "press1", "nope") == NULL &&
	    iiot_map_find(m, "press9", "oil_temp") == NULL,
	    "find: absent series");
	ok = p != NULL && iiot_map_get_num(p, "warn_above", &x) == 0 &&
	    x == 65 && strcmp(iiot_map_get(p, "location"), "hall A") == 0 &&
	    iiot_map_get(p, "crit_above") == NULL;
	tap_ok(ok, "extra keys and device defaults");
	p = iiot_map_find(m, "press1", "vib");
	ok = p != NULL && p->order == IIOT_MB_CDAB &&
	    strcmp(iiot_map_get(p, "location"), "hall-B") == 0;
	tap_ok(ok, "a point overrides its device's default");
	n = 0;
	it = 0;
	while (p != NULL && iiot_map_next_kv(p, &it, &k, &v))
		n++;
	tap_ok(n == 3, "iteration: own keys, then the device's not overridden");
	p = iiot_map_find(m, "press1", "alarm");
	tap_ok(p != NULL && p->type == IIOT_MB_BIT && p->bit == 3 &&
	    p->interval == 5000, "bit.3 and interval, with CRLF");
	p = iiot_map_find(m, "meter0", "energy");
	tap_ok(p != NULL && p->order == IIOT_MB_DCBA && p->offset == -1 &&
	    p->dev->unit == 1 && p->unit == NULL, "second device, defaults");
	tap_ok(iiot_map_is_tag(m, "kind") && !iiot_map_is_tag(m, "line") &&
	    iiot_map_ntags(m) == 2, "the tags line replaces the default tags");
	iiot_map_free(m);

	m = iiot_map_load("/nonexistent/x.map", err, sizeof(err));
	tap_ok(m == NULL && errno == ENOENT &&
	    strstr(err, "/nonexistent/x.map") != NULL, "missing file");

	for (i = 0; i < nb; i++) {
		m = iiot_map_parse(bad[i].text, strlen(bad[i].text), "t", err,
		    sizeof(err));
		tap_ok(m == NULL && errno == IIOT_ESYNTAX, bad[i].what);
		if (!tap_ok(m == NULL && strcmp(err, bad[i].err) == 0,
		    bad[i].what))
			printf("# got '%s'\n", err);
		iiot_map_free(m);
	}
	return tap_status();
}
