/* SPDX-License-Identifier: MIT */
/* iiot_opt.h: range-checked option values and the common --version text. */
#ifndef IIOT_OPT_H
#define IIOT_OPT_H

#include <stdio.h>

/*
 * Parse a number in the manner of strtonum(3): the whole string must be
 * a finite number within [min, max].
 * Returns 0 with *out set, or -1 with errno EINVAL (not a number, or
 * trailing junk) or ERANGE (outside the range).
 */
int iiot_num_parse(const char *s, double min, double max, double *out);

/*
 * The same for integers: base 10, no fraction.
 */
int iiot_int_parse(const char *s, long long min, long long max,
    long long *out);

/*
 * Match a string against a glob pattern (fnmatch(3) without flags).
 * Returns 1 on a match, 0 otherwise.  A NULL string never matches.
 */
int iiot_glob_match(const char *pattern, const char *s);

/*
 * Return 1 if a glob pattern has no metacharacters (* ? [ \), so it can
 * be compared with strcmp or searched for with memmem.
 */
int iiot_glob_is_literal(const char *pattern);

/*
 * Print "<prog> <version>" and, one per line, the versions of the
 * libraries the program links (a NULL-terminated list of strings, such
 * as "libmodbus 3.1.9"), on out.
 */
void iiot_version_print(FILE *out, const char *const *libs);

#endif /* IIOT_OPT_H */
