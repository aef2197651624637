/* SPDX-License-Identifier: MIT */
/* fuzz_file.c: tests/fuzz/file_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/file_fuzz.c"
#include "../fuzz/driver.c"
