/* SPDX-License-Identifier: MIT */
/* fuzz_mb.c: tests/fuzz/mb_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/mb_fuzz.c"
#include "../fuzz/driver.c"
