/* SPDX-License-Identifier: MIT */
/* fuzz_time.c: tests/fuzz/time_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/time_fuzz.c"
#include "../fuzz/driver.c"
