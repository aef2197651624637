/* SPDX-License-Identifier: MIT */
/* fuzz_rec.c: tests/fuzz/rec_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/rec_fuzz.c"
#include "../fuzz/driver.c"
