/* SPDX-License-Identifier: MIT */
/* soakgen.c: a paced record stream with known alarms, for scripts/soak. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "iiot_sig.h"
#include "iiot_time.h"

/*
 * soakgen [-r RATE] [-s SERIES] [-p PERIOD] [-c COUNTFILE]
 *
 * Write records at RATE a second (default 20000) until SIGTERM or
 * SIGINT, over SERIES series (default 200: sensors temp0..temp49 of
 * press1..press4), time stamps one millisecond apart from a fixed start.
 * press1/temp0 goes to 90 for the first tenth of every PERIOD seconds of
 * wall time (default 10), and is 40 otherwise: one alarm per period.  At
 * the end the number of records written, and of alarm periods begun,
 * go to COUNTFILE (or stderr) as "records N" and "alarms N".
 */
int
main(int argc, char **argv)
{
	long rate = 20000, nseries = 200, period = 10, k;
	const char *countfile = NULL;
	unsigned long long i = 0, alarms = 0;
	int64_t t0 = 1795953600000LL, start, now, due;
	char ts[IIOT_TIME_BUFSZ];
	long cycle, last_cycle = -1;
	double v;
	FILE *cf;
	int c;

	while ((c = getopt(argc, argv, "c:p:r:s:")) != -1) {
		switch (c) {
		case 'c':
			countfile = optarg;
			break;
		case 'p':
			period = atol(optarg);
			break;
		case 'r':
			rate = atol(optarg);
			break;
		case 's':
			nseries = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: soakgen [-r rate] [-s series] "
			    "[-p period] [-c countfile]\n");
			return 2;
		}
	}
	if (rate < 1 || nseries < 1 || nseries > 4 * 50 || period < 1)
		return 2;
	if (iiot_sig_install(0) < 0)
		return 1;
	start = iiot_mono_ms();
	while (!iiot_sig_term) {
		/* Write what is due by now, in steps of 10 ms. */
		now = iiot_mono_ms();
		due = (now - start) * rate / 1000;
		if ((int64_t)i >= due) {
			fflush(stdout);
			if (ferror(stdout))
				break;
			usleep(10000);
			continue;
		}
		for (; (int64_t)i < due && !iiot_sig_term; i++) {
			k = (long)(i % (unsigned long long)nseries);
			if (k == 0) {
				cycle = (long)((now - start) / 1000 / period);
				if (((now - start) % (period * 1000)) <
				    period * 100) {
					v = 90;
					if (cycle != last_cycle) {
						alarms++;
						last_cycle = cycle;
					}
				} else
					v = 40;
			} else
				v = 40 + 10 * sin((double)i / 1000.0 + k);
			iiot_time_format(t0 + (int64_t)i, ts);
			if (printf("{\"ts\":\"%s\",\"source\":\"press%ld\","
			    "\"sensor\":\"temp%ld\",\"value\":%.3f,"
			    "\"unit\":\"degC\"}\n", ts, k / 50 + 1, k % 50,
			    v) < 0)
				break;
		}
		if (ferror(stdout))
			break;
	}
	fflush(stdout);
	cf = countfile != NULL ? fopen(countfile, "w") : stderr;
	if (cf == NULL) {
		perror(countfile);
		return 1;
	}
	fprintf(cf, "records %llu\nalarms %llu\n", i, alarms);
	if (cf != stderr)
		fclose(cf);
	return 0;
}
