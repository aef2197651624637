/* SPDX-License-Identifier: MIT */
/* fuzz_expr.c: tests/fuzz/expr_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/expr_fuzz.c"
#include "../fuzz/driver.c"
