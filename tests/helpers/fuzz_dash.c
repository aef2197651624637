/* SPDX-License-Identifier: MIT */
/* fuzz_dash.c: tests/fuzz/dash_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/dash_fuzz.c"
#include "../fuzz/driver.c"
