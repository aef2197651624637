/* SPDX-License-Identifier: MIT */
/* fuzz_mqtt.c: tests/fuzz/mqtt_fuzz.c without libFuzzer: replays its corpus (fuzz_regress.bats). */
#include "../fuzz/mqtt_fuzz.c"
#include "../fuzz/driver.c"
