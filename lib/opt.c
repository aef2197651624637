/* SPDX-License-Identifier: MIT */
/* opt.c: range-checked option values and the common --version text. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_log.h"
#include "iiot_opt.h"

int
iiot_num_parse(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s || !isfinite(v)) {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
iiot_int_parse(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s) {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
iiot_glob_match(const char *pattern, const char *s)
{
	return s != NULL && fnmatch(pattern, s, 0) == 0;
}

int
iiot_glob_is_literal(const char *pattern)
{
	return strpbrk(pattern, "*?[\\") == NULL;
}

void
iiot_version_print(FILE *out, const char *const *libs)
{
	fprintf(out, "%s %s\n", iiot_progname(), IIOT_VERSION);
	for (; libs != NULL && *libs != NULL; libs++)
		fprintf(out, "  %s\n", *libs);
}
