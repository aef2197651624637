/* SPDX-License-Identifier: MIT */
/* genstream.c: generate a realistic record stream for tests and benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "iiot_time.h"

/*
 * Write N records of a plant of 50 temperature sensors on 5 presses
 * (temp0..temp49, ten a press), one record per sensor per second from a
 * fixed start, values random walks around 40 degC.  One record in a
 * hundred is quality "bad", one in fifty carries a location tag.  The
 * same seed gives the same stream.
 */
int
main(int argc, char **argv)
{
	long long n = 1000, i;
	unsigned long seed = 1;
	int64_t t0 = 1795953600000LL;	/* 2026-11-29T12:00:00Z */
	double v[50];
	char ts[IIOT_TIME_BUFSZ];
	int c, k;

	while ((c = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (c) {
		case 'n':
			n = atoll(optarg);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 10);
			break;
		case 't':
			t0 = atoll(optarg) * 1000;
			break;
		default:
			fprintf(stderr, "usage: genstream [-n N] [-s SEED] "
			    "[-t EPOCH]\n");
			return 2;
		}
	}
	srandom((unsigned)seed);
	for (k = 0; k < 50; k++)
		v[k] = 30 + k % 20;
	for (i = 0; i < n; i++) {
		k = (int)(i % 50);
		v[k] += (random() % 2001 - 1000) / 1000.0;
		if (v[k] < 0)
			v[k] = -v[k];
		iiot_time_format(t0 + (i / 50) * 1000 + k * 7, ts);
		printf("{\"ts\":\"%s\",\"source\":\"press%d\",\"sensor\":"
		    "\"temp%d\",\"value\":%.3f,\"unit\":\"degC\"", ts,
		    k / 10 + 1, k, v[k]);
		if (random() % 100 == 0)
			fputs(",\"quality\":\"bad\"", stdout);
		if (random() % 50 == 0)
			printf(",\"location\":\"hall-%c\"", k < 25 ? 'A' : 'B');
		fputs("}\n", stdout);
	}
	return ferror(stdout) || fclose(stdout) ? 1 : 0;
}
