/* SPDX-License-Identifier: MIT */
/* fuzz_map.c: tests/fuzz/map_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/map_fuzz.c"
#include "../fuzz/driver.c"
