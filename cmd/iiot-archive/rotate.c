/* SPDX-License-Identifier: MIT */
/* rotate.c: stubs. */
#include "archive.h"
int cmd_rotate(const struct options *o) { (void)o; return 1; }
int cmd_verify(const struct options *o) { (void)o; return 1; }
int cmd_backup(const struct options *o) { (void)o; return 1; }
