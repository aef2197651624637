/* SPDX-License-Identifier: MIT */
/* tap.h: a tiny Test Anything Protocol writer for the C unit tests. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

/* Print the plan: the number of tests that follow. */
static inline void
tap_plan(int n)
{
	printf("1..%d\n", n);
}

/* Report one test: ok when cond holds.  Returns cond. */
static inline int
tap_ok(int cond, const char *desc)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, desc);
	return cond;
}

/* The exit status for main(): 1 if anything failed. */
static inline int
tap_status(void)
{
	return tap_failed != 0;
}

#endif /* TAP_H */
