/* SPDX-License-Identifier: MIT */
/* fuzz_thresh.c: tests/fuzz/thresh_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/thresh_fuzz.c"
#include "../fuzz/driver.c"
