/* SPDX-License-Identifier: MIT */
/* mb_test.c: unit tests of the Modbus helpers: decoding, URLs, coalescing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_mb.h"
#include "tap.h"

#define A IIOT_MB_ABCD
#define B IIOT_MB_BADC
#define C IIOT_MB_CDAB
#define D IIOT_MB_DCBA

static const struct {
	int type, order, bit;
	uint16_t regs[4];
	double value;
	const char *what;
} cases[] = {
	/* 16-bit: badc and dcba swap the two bytes. */
	{ IIOT_MB_INT16, A, 0, { 0xfffe }, -2, "int16 abcd" },
	{ IIOT_MB_INT16, B, 0, { 0xfeff }, -2, "int16 badc" },
	{ IIOT_MB_INT16, C, 0, { 0xfffe }, -2, "int16 cdab" },
	{ IIOT_MB_INT16, D, 0, { 0xfeff }, -2, "int16 dcba" },
	{ IIOT_MB_UINT16, A, 0, { 0x1234 }, 4660, "uint16 abcd" },
	{ IIOT_MB_UINT16, B, 0, { 0x3412 }, 4660, "uint16 badc" },
	{ IIOT_MB_UINT16, C, 0, { 0x1234 }, 4660, "uint16 cdab" },
	{ IIOT_MB_UINT16, D, 0, { 0x3412 }, 4660, "uint16 dcba" },
	/* 32-bit: -123456789 is 0xf8a432eb. */
	{ IIOT_MB_INT32, A, 0, { 0xf8a4, 0x32eb }, -123456789, "int32 abcd" },
	{ IIOT_MB_INT32, B, 0, { 0xa4f8, 0xeb32 }, -123456789, "int32 badc" },
	{ IIOT_MB_INT32, C, 0, { 0x32eb, 0xf8a4 }, -123456789, "int32 cdab" },
	{ IIOT_MB_INT32, D, 0, { 0xeb32, 0xa4f8 }, -123456789, "int32 dcba" },
	{ IIOT_MB_UINT32, A, 0, { 0x0102, 0x0304 }, 16909060, "uint32 abcd" },
	{ IIOT_MB_UINT32, B, 0, { 0x0201, 0x0403 }, 16909060, "uint32 badc" },
	{ IIOT_MB_UINT32, C, 0, { 0x0304, 0x0102 }, 16909060, "uint32 cdab" },
	{ IIOT_MB_UINT32, D, 0, { 0x0403, 0x0201 }, 16909060, "uint32 dcba" },
	/* float32 1.5 is 0x3fc00000. */
	{ IIOT_MB_FLOAT32, A, 0, { 0x3fc0, 0x0000 }, 1.5, "float32 abcd" },
	{ IIOT_MB_FLOAT32, B, 0, { 0xc03f, 0x0000 }, 1.5, "float32 badc" },
	{ IIOT_MB_FLOAT32, C, 0, { 0x0000, 0x3fc0 }, 1.5, "float32 cdab" },
	{ IIOT_MB_FLOAT32, D, 0, { 0x0000, 0xc03f }, 1.5, "float32 dcba" },
	/* 64-bit: the rule extends to four words. */
	{ IIOT_MB_INT64, A, 0, { 0xffff, 0xffff, 0xffff, 0xfffe }, -2,
	    "int64 abcd" },
	{ IIOT_MB_INT64, B, 0, { 0xffff, 0xffff, 0xffff, 0xfeff }, -2,
	    "int64 badc" },
	{ IIOT_MB_INT64, C, 0, { 0xfffe, 0xffff, 0xffff, 0xffff }, -2,
	    "int64 cdab" },
	{ IIOT_MB_INT64, D, 0, { 0xfeff, 0xffff, 0xffff, 0xffff }, -2,
	    "int64 dcba" },
	{ IIOT_MB_UINT64, A, 0, { 0x0001, 0x0203, 0x0405, 0x0607 },
	    283686952306183.0, "uint64 abcd" },
	{ IIOT_MB_UINT64, B, 0, { 0x0100, 0x0302, 0x0504, 0x0706 },
	    283686952306183.0, "uint64 badc" },
	{ IIOT_MB_UINT64, C, 0, { 0x0607, 0x0405, 0x0203, 0x0001 },
	    283686952306183.0, "uint64 cdab" },
	{ IIOT_MB_UINT64, D, 0, { 0x0706, 0x0504, 0x0302, 0x0100 },
	    283686952306183.0, "uint64 dcba" },
	/* float64 -2.5 is 0xc004000000000000. */
	{ IIOT_MB_FLOAT64, A, 0, { 0xc004, 0, 0, 0 }, -2.5, "float64 abcd" },
	{ IIOT_MB_FLOAT64, B, 0, { 0x04c0, 0, 0, 0 }, -2.5, "float64 badc" },
	{ IIOT_MB_FLOAT64, C, 0, { 0, 0, 0, 0xc004 }, -2.5, "float64 cdab" },
	{ IIOT_MB_FLOAT64, D, 0, { 0, 0, 0, 0x04c0 }, -2.5, "float64 dcba" },
	/* Bits of a register, and a register read as bool. */
	{ IIOT_MB_BIT, A, 3, { 0x0008 }, 1, "bit.3 set" },
	{ IIOT_MB_BIT, A, 15, { 0x7fff }, 0, "bit.15 clear" },
	{ IIOT_MB_BOOL, A, 0, { 0x0001 }, 1, "bool register" },
};

static const struct {
	const char *url;
	int ok, rtu;
	const char *canon;
	const char *what;
} urls[] = {
	{ "modbus-tcp://127.0.0.1:5020", 1, 0, "modbus-tcp://127.0.0.1:5020",
	    "TCP with port" },
	{ "modbus-tcp://plc.local", 1, 0, "modbus-tcp://plc.local:502",
	    "TCP default port 502" },
	{ "modbus-tcp://[::1]:1502", 1, 0, "modbus-tcp://[::1]:1502",
	    "TCP IPv6 literal" },
	{ "modbus-tcp://host:0", 0, 0, NULL, "TCP port 0 refused" },
	{ "modbus-tcp://host:99999", 0, 0, NULL, "TCP port too large" },
	{ "modbus-tcp://:502", 0, 0, NULL, "TCP without host" },
	{ "modbus-tcp://\026::1]:502", 0, 0, NULL,
	    "TCP host with a control character and a bracket" },
	{ "modbus-tcp://::1:502", 0, 0, NULL, "TCP IPv6 without brackets" },
	{ "modbus-tcp://[a]b]:502", 0, 0, NULL, "TCP bracket in brackets" },
	{ "modbus-rtu:///dev/ttyUSB0?baud=19200&parity=E&data=8&stop=1", 1,
	    1, "modbus-rtu:///dev/ttyUSB0", "RTU with parameters" },
	{ "modbus-rtu:///dev/ttyS1", 1, 1, "modbus-rtu:///dev/ttyS1",
	    "RTU defaults" },
	{ "modbus-rtu:///dev/ttyS1?parity=X", 0, 0, NULL, "RTU bad parity" },
	{ "modbus-rtu:///dev/ttyS1?speed=9600", 0, 0, NULL,
	    "RTU unknown parameter" },
	{ "modbus-rtu://ttyS1", 0, 0, NULL, "RTU relative path" },
	{ "http://x", 0, 0, NULL, "other scheme" },
};

/* Coalescing: 100 adjacent registers are one request. */
static void
test_plan(void)
{
	struct iiot_mb_item items[300];
	struct iiot_mb_req *reqs;
	size_t n, i;
	int ok;

	for (i = 0; i < 100; i++) {
		items[i].unit = 1;
		items[i].table = IIOT_MB_HOLDING;
		items[i].addr = (unsigned)(99 - i);
		items[i].count = 1;
	}
	ok = iiot_mb_plan(items, 100, 0, &reqs, &n) == 0 && n == 1 &&
	    reqs[0].addr == 0 && reqs[0].count == 100 &&
	    items[0].offset == 99;
	tap_ok(ok, "plan: 100 adjacent registers in one request");
	free(reqs);

	/* 300 registers: three requests within the 125 limit. */
	for (i = 0; i < 300; i++) {
		items[i].unit = 1;
		items[i].table = IIOT_MB_INPUT;
		items[i].addr = (unsigned)i;
		items[i].count = 1;
	}
	ok = iiot_mb_plan(items, 300, 0, &reqs, &n) == 0 && n == 3 &&
	    reqs[0].count == 125 && reqs[2].count == 50;
	tap_ok(ok, "plan: 300 registers in three requests");
	free(reqs);

	/* Gaps, tables and units split requests. */
	items[0] = (struct iiot_mb_item){ 1, IIOT_MB_HOLDING, 0, 2, 0, 0 };
	items[1] = (struct iiot_mb_item){ 1, IIOT_MB_HOLDING, 5, 1, 0, 0 };
	items[2] = (struct iiot_mb_item){ 1, IIOT_MB_HOLDING, 20, 4, 0, 0 };
	items[3] = (struct iiot_mb_item){ 2, IIOT_MB_HOLDING, 0, 1, 0, 0 };
	items[4] = (struct iiot_mb_item){ 1, IIOT_MB_COIL, 0, 1, 0, 0 };
	items[5] = (struct iiot_mb_item){ 1, IIOT_MB_COIL, 60, 1, 0, 0 };
	ok = iiot_mb_plan(items, 6, 4, &reqs, &n) == 0 && n == 4 &&
	    items[1].req == items[0].req && items[1].offset == 5 &&
	    items[2].req != items[0].req && items[5].req == items[4].req &&
	    items[5].offset == 60;
	tap_ok(ok, "plan: gap of 4 registers (64 bits) joins, larger splits");
	free(reqs);
	ok = iiot_mb_plan(items, 6, 0, &reqs, &n) == 0 && n == 6;
	tap_ok(ok, "plan: gap 0 joins only adjacent points");
	free(reqs);
}

int
main(void)
{
	struct iiot_mb_url u;
	uint16_t regs[4];
	char buf[600];
	size_t i, nc = sizeof(cases) / sizeof(*cases);
	size_t nu = sizeof(urls) / sizeof(*urls);
	double v;
	int ok, bit;

	tap_plan((int)(2 * nc + nu + 4 + 4));
	for (i = 0; i < nc; i++) {
		v = iiot_mb_decode(cases[i].regs, cases[i].type,
		    cases[i].order, cases[i].bit);
		snprintf(buf, sizeof(buf), "decode %s", cases[i].what);
		tap_ok(v == cases[i].value, buf);
		memset(regs, 0, sizeof(regs));
		if (cases[i].type == IIOT_MB_BIT)
			regs[0] = cases[i].regs[0] ^ (uint16_t)(1u <<
			    cases[i].bit);
		iiot_mb_encode(cases[i].value, cases[i].type, cases[i].order,
		    cases[i].bit, regs);
		snprintf(buf, sizeof(buf), "encode %s", cases[i].what);
		tap_ok(memcmp(regs, cases[i].regs, 2 *
		    iiot_mb_type_words(cases[i].type)) == 0, buf);
	}
	for (i = 0; i < nu; i++) {
		ok = iiot_mb_url_parse(urls[i].url, &u) == 0;
		if (ok && urls[i].ok) {
			iiot_mb_url_format(&u, buf, sizeof(buf));
			ok = u.rtu == urls[i].rtu &&
			    strcmp(buf, urls[i].canon) == 0;
		} else
			ok = ok == urls[i].ok;
		tap_ok(ok, urls[i].what);
	}
	test_plan();
	ok = iiot_mb_type_parse("bit.15", &bit) == IIOT_MB_BIT && bit == 15 &&
	    iiot_mb_type_parse("bit.16", &bit) == -1 &&
	    iiot_mb_type_parse("bit", &bit) == -1;
	tap_ok(ok, "type: bit.N from 0 to 15");
	ok = iiot_mb_table_parse("hr") == IIOT_MB_HOLDING &&
	    iiot_mb_table_parse("coil") == IIOT_MB_COIL &&
	    iiot_mb_table_parse("register") == -1;
	tap_ok(ok, "table: long and short names");
	regs[0] = regs[1] = 0;
	iiot_mb_encode(1e12, IIOT_MB_INT16, A, 0, regs);
	tap_ok(regs[0] == 0x7fff, "encode: clamped to the type's range");
	u.rtu = 1;
	iiot_mb_url_parse("modbus-rtu:///dev/x?baud=9600&parity=n&stop=2",
	    &u);
	tap_ok(u.baud == 9600 && u.parity == 'N' && u.stop == 2 &&
	    u.data == 8, "url: RTU parameters");
	return tap_status();
}
