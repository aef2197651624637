/* SPDX-License-Identifier: MIT */
/* alert_stamp.c: timestamps for iiot-alert's latency benchmark. */
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * alert_stamp hook FILE: as an iiot-alert hook, append "SEQ NS" to FILE,
 * SEQ being |IIOT_VALUE|, NS the time the hook started.
 * alert_stamp feed N GAP_MS FILE: write N records to stdout whose value
 * changes sign each time (so each one changes an alarm's state), and
 * append "SEQ NS" to FILE as each is sent; the first after a second,
 * once the reader has started.
 * alert_stamp spawn FILE: the floor, without iiot-alert: for each record
 * of the feed on stdin, start "alert_stamp hook FILE" with posix_spawn.
 */
int
main(int argc, char **argv)
{
	long long t = now_ns(), i, n;
	const char *v;
	FILE *f;

	if (argc == 3 && strcmp(argv[1], "hook") == 0) {
		if ((v = getenv("IIOT_VALUE")) == NULL ||
		    (f = fopen(argv[2], "a")) == NULL)
			return 1;
		fprintf(f, "%.0f %lld\n", fabs(atof(v)), t);
		return fclose(f) != 0;
	}
	if (argc == 5 && strcmp(argv[1], "feed") == 0) {
		n = atoll(argv[2]);
		if ((f = fopen(argv[4], "w")) == NULL)
			return 1;
		sleep(1);	/* the reader starts up first */
		for (i = 1; i <= n; i++) {
			usleep((useconds_t)atoi(argv[3]) * 1000);
			t = now_ns();
			printf("{\"source\":\"bench\",\"sensor\":\"x\","
			    "\"value\":%lld}\n", i % 2 ? i : -i);
			fflush(stdout);
			fprintf(f, "%lld %lld\n", i, t);
		}
		return fclose(f) != 0;
	}
	if (argc == 3 && strcmp(argv[1], "spawn") == 0) {
		char line[256], val[64], *p;
		char *av[] = { argv[0], "hook", argv[2], NULL };
		char *env[] = { val, NULL };
		pid_t pid;

		while (fgets(line, sizeof(line), stdin) != NULL) {
			if ((p = strstr(line, "\"value\":")) == NULL)
				continue;
			snprintf(val, sizeof(val), "IIOT_VALUE=%lld",
			    atoll(p + 8));
			if (posix_spawn(&pid, argv[0], NULL, NULL, av,
			    env) == 0)
				waitpid(pid, NULL, 0);
		}
		return 0;
	}
	fprintf(stderr, "usage: alert_stamp hook file | feed n gap_ms file | "
	    "spawn file\n");
	return 2;
}
