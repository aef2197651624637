/* SPDX-License-Identifier: MIT */
/* fmt_test.c: unit tests for writing records as JSON, CSV, TSV, influx. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_fmt.h"
#include "iiot_rec.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define JSON IIOT_FMT_JSON
#define CSV IIOT_FMT_CSV
#define TSV IIOT_FMT_TSV
#define INFLUX IIOT_FMT_INFLUX

#define FULL "{\"ts\":\"2026-11-29T15:17:45Z\",\"source\":\"plc1\"," \
    "\"sensor\":\"t1\",\"value\":21.5,\"unit\":\"degC\"}"
#define TSTR "2026-11-29T15:17:45.000Z"
#define TNS "1795965465000000000"

static const struct {
	const char *rec;	/* the record */
	int fmt;		/* the format */
	const char *cols;	/* comma-separated columns, NULL: default */
	const char *out;	/* what is written */
} cases[] = {
	/* JSON: the record as read. */
	{ FULL, JSON, NULL, FULL "\n" },			/* verbatim */
	{ " {\"sensor\" :\"t\",\"value\":1.0} ", JSON, NULL,	/* blanks */
	    " {\"sensor\" :\"t\",\"value\":1.0} \n" },

	/* CSV. */
	{ FULL, CSV, NULL, TSTR ",plc1,t1,21.5,degC,\n" },	/* default */
	{ "{\"sensor\":\"t\",\"value\":1}", CSV, NULL,		/* missing */
	    ",,t,1,,\n" },
	{ "{\"sensor\":\"a,b\",\"value\":1}", CSV, "sensor",	/* comma */
	    "\"a,b\"\n" },
	{ "{\"sensor\":\"a\\\"b\",\"value\":1}", CSV, "sensor",	/* quote */
	    "\"a\"\"b\"\n" },
	{ "{\"sensor\":\"a\\nb\",\"value\":1}", CSV, "sensor",	/* newline */
	    "\"a\nb\"\n" },
	{ "{\"sensor\":\"a\\rb\",\"value\":1}", CSV, "sensor",	/* CR */
	    "\"a\rb\"\n" },
	{ "{\"sensor\":\"\\\"\",\"value\":1}", CSV, "sensor",	/* a quote */
	    "\"\"\"\"\n" },
	{ "{\"sensor\":\" a\\tb \",\"value\":1}", CSV, "sensor", /* kept */
	    " a\tb \n" },
	{ "{\"sensor\":\"t\",\"value\":true,\"n\":-0.5,\"f\":false,"
	  "\"z\":null,\"x\":[1],\"o\":{}}", CSV,
	    "value,n,f,z,x,o,nope", "1,-0.5,0,,,,\n" },		/* types */
	{ "{\"sensor\":\"t\",\"value\":1e21}", CSV, "value,sensor,value",
	    "1e+21,t,1e+21\n" },				/* repeated */
	{ FULL, CSV, "ts", TSTR "\n" },				/* one */
	{ "{\"sensor\":\"t\",\"value\":1,\"ts\":1795965465.5}", CSV, "ts",
	    "2026-11-29T15:17:45.500Z\n" },			/* number */
	{ "{\"sensor\":\"caf\xc3\xa9\",\"value\":1}", CSV, "sensor",
	    "caf\xc3\xa9\n" },					/* UTF-8 */

	/* TSV. */
	{ FULL, TSV, NULL, TSTR "\tplc1\tt1\t21.5\tdegC\t\n" },	/* default */
	{ "{\"sensor\":\"a\\tb\",\"value\":1}", TSV, "sensor",	/* tab */
	    "a\\tb\n" },
	{ "{\"sensor\":\"a\\nb\\rc\",\"value\":1}", TSV, "sensor", /* lines */
	    "a\\nb\\rc\n" },
	{ "{\"sensor\":\"a\\\\b\",\"value\":1}", TSV, "sensor",	/* \ */
	    "a\\\\b\n" },
	{ "{\"sensor\":\"a,\\\"b\",\"value\":1}", TSV, "sensor", /* plain */
	    "a,\"b\n" },
	{ "{\"sensor\":\"t\",\"value\":2}", TSV, "sensor,nope,value",
	    "t\t\t2\n" },					/* missing */

	/* InfluxDB line protocol. */
	{ FULL, INFLUX, NULL,					/* tags */
	    "t1,source=plc1,unit=degC value=21.5 " TNS "\n" },
	{ "{\"ts\":1795965465,\"sensor\":\"a b,c=d\",\"value\":1}", INFLUX,
	    NULL, "a\\ b\\,c=d value=1 " TNS "\n" },		/* name */
	{ "{\"ts\":1795965465,\"sensor\":\"t\",\"value\":1,"
	  "\"k y\":\"v,a=l ue\"}", INFLUX, NULL,		/* tags */
	    "t,k\\ y=v\\,a\\=l\\ ue value=1 " TNS "\n" },
	{ "{\"ts\":1795965465,\"sensor\":\"t\",\"value\":1,\"a=b\":\"c\"}",
	    INFLUX, NULL, "t,a\\=b=c value=1 " TNS "\n" },	/* = in key */
	{ "{\"ts\":1795965465,\"sensor\":\"t\",\"value\":1,\"a\":\"x\\\\\"}",
	    INFLUX, NULL, "t,a=x\\\\ value=1 " TNS "\n" },	/* backslash */
	{ "{\"ts\":1795965465,\"sensor\":\"t\",\"value\":1,\"e\":\"\","
	  "\"n\":5,\"b\":true,\"x\":[\"s\"]}", INFLUX, NULL,	/* only */
	    "t value=1 " TNS "\n" },				/* strings */
	{ "{\"ts\":1795965465.123,\"sensor\":\"t\",\"value\":-0.25}",
	    INFLUX, NULL, "t value=-0.25 1795965465123000000\n" }, /* ms */
	{ "{\"ts\":0,\"sensor\":\"t\",\"value\":1}", INFLUX, NULL,
	    "t value=1 0\n" },					/* epoch */
	{ "{\"ts\":1795965465,\"sensor\":\"t\",\"value\":false}", INFLUX,
	    NULL, "t value=0 " TNS "\n" },			/* boolean */
};

static const struct {
	int fmt;		/* the format */
	const char *cols;	/* comma-separated columns, NULL: default */
	const char *out;	/* the header line */
} header_cases[] = {
	{ CSV, NULL, "ts,source,sensor,value,unit,quality\n" },	/* CSV */
	{ TSV, NULL, "ts\tsource\tsensor\tvalue\tunit\tquality\n" },/* TSV */
	{ CSV, "a|b,c|d\"e|f\tg", "a,\"b,c\",\"d\"\"e\",f\tg\n" }, /* quoted */
	{ TSV, "a|b\tc|d\\e", "a\tb\\tc\td\\\\e\n" },		/* escaped */
	{ CSV, "x", "x\n" },					/* one */
	{ JSON, NULL, "" },					/* no header */
	{ INFLUX, "x", "" },					/* no header */
};

static const struct {
	const char *name;	/* the name */
	int fmt;		/* the format, or -1 */
} name_cases[] = {
	{ "json", JSON },		/* json */
	{ "csv", CSV },			/* csv */
	{ "tsv", TSV },			/* tsv */
	{ "influx", INFLUX },		/* influx */
	{ "CSV", -1 },			/* case matters */
	{ "", -1 },			/* empty */
	{ "jsonl", -1 },		/* longer */
	{ "xml", -1 },			/* unknown */
};

/* Split a column list (on ',' or, for cells holding commas, '|'). */
static size_t
split(char *list, const char *cols, size_t n, const char **out, size_t max,
    const char *seps)
{
	size_t k = 0;
	char *p;

	snprintf(list, n, "%s", cols);
	for (p = list; k < max; ) {
		out[k++] = p;
		p += strcspn(p, seps);
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	return k;
}

int
main(void)
{
	struct iiot_rec r;
	const char *cols[16];
	char list[128], desc[128], *text;
	size_t i, n, len;
	FILE *f;
	int ok, rc;

	tap_plan((int)(NELEM(cases) + NELEM(header_cases) +
	    NELEM(name_cases)) + 1);
	if (iiot_rec_init(&r) < 0)
		return 1;
	for (i = 0; i < NELEM(cases); i++) {
		if ((f = open_memstream(&text, &len)) == NULL)
			return 1;
		n = 0;
		if (cases[i].cols != NULL)
			n = split(list, cases[i].cols, sizeof(list), cols,
			    NELEM(cols), ",");
		rc = iiot_rec_parse(&r, cases[i].rec, strlen(cases[i].rec));
		if (rc == 0)
			rc = iiot_fmt_write(f, cases[i].fmt, &r,
			    cases[i].cols ? cols : NULL, n);
		fclose(f);
		ok = rc == 0 && strcmp(text, cases[i].out) == 0;
		if (!ok)
			printf("# rc %d got '%s'\n", rc, text);
		free(text);
		snprintf(desc, sizeof(desc), "write %d: %s", cases[i].fmt,
		    cases[i].rec);
		tap_ok(ok, desc);
	}
	for (i = 0; i < NELEM(header_cases); i++) {
		if ((f = open_memstream(&text, &len)) == NULL)
			return 1;
		n = 0;
		if (header_cases[i].cols != NULL)
			n = split(list, header_cases[i].cols, sizeof(list),
			    cols, NELEM(cols), "|");
		rc = iiot_fmt_header(f, header_cases[i].fmt,
		    header_cases[i].cols ? cols : NULL, n);
		fclose(f);
		ok = rc == 0 && strcmp(text, header_cases[i].out) == 0;
		if (!ok)
			printf("# rc %d got '%s'\n", rc, text);
		free(text);
		snprintf(desc, sizeof(desc), "header %d: %s",
		    header_cases[i].fmt, header_cases[i].cols ?
		    header_cases[i].cols : "(default)");
		tap_ok(ok, desc);
	}
	for (i = 0; i < NELEM(name_cases); i++) {
		errno = 0;
		rc = iiot_fmt_parse(name_cases[i].name);
		snprintf(desc, sizeof(desc), "name: '%s'", name_cases[i].name);
		tap_ok(rc == name_cases[i].fmt && (rc >= 0 || errno == EINVAL),
		    desc);
	}
	/* A write error is reported. */
	f = fopen("/dev/full", "w");
	ok = f != NULL && iiot_rec_parse(&r, FULL, strlen(FULL)) == 0;
	if (ok) {
		setvbuf(f, NULL, _IONBF, 0);
		ok = iiot_fmt_write(f, CSV, &r, NULL, 0) == -1 &&
		    iiot_fmt_header(f, TSV, NULL, 0) == -1 &&
		    iiot_fmt_write(f, JSON, &r, NULL, 0) == -1;
	}
	if (f != NULL)
		fclose(f);
	tap_ok(ok, "write error: -1 from every format");
	iiot_rec_release(&r);
	return tap_status();
}
