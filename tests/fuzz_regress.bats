#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# fuzz_regress.bats: replay every fuzz corpus, crashes found included,
# through its harness built without libFuzzer (tests/helpers/fuzz_*.c,
# with the sanitizers in the SAN=1 build), so that no fixed crash returns.
load test_helper
bats_require_minimum_version 1.5.0

# replay NAME: every file of tests/fuzz/corpus/NAME through fuzz_NAME.
replay() {
	local dir="$TOP/tests/fuzz/corpus/$1"
	[ -n "$(ls -A "$dir")" ]
	run -0 --separate-stderr "$IIOT_OBJ/tests/helpers/fuzz_$1" "$dir"
	[[ "$stderr" == *"inputs replayed"* ]]
}

@test "fuzz_regress: every harness has a replay helper and seeds" {
	local h name
	for h in "$TOP"/tests/fuzz/*_fuzz.c; do
		name=$(basename "$h" _fuzz.c)
		[ -f "$TOP/tests/helpers/fuzz_$name.c" ]
		[ -n "$(ls -A "$TOP/tests/fuzz/corpus/$name")" ]
	done
}

@test "fuzz_regress: record lines (rec)" {
	replay rec
}

@test "fuzz_regress: timestamps and durations (time)" {
	replay time
}

@test "fuzz_regress: filter expressions (expr)" {
	replay expr
}

@test "fuzz_regress: plant catalogue (map)" {
	replay map
}

@test "fuzz_regress: rules file and alarm state (thresh)" {
	replay thresh
}

@test "fuzz_regress: Modbus register decoding (mb)" {
	replay mb
}

@test "fuzz_regress: MQTT payloads (mqtt)" {
	replay mqtt
}

@test "fuzz_regress: CSV, TSV, JSON Lines and InfluxDB import (file)" {
	replay file
}

@test "fuzz_regress: dashboard files (dash)" {
	replay dash
}

@test "fuzz_regress: an input that cannot be read fails the replay" {
	run -1 --separate-stderr "$IIOT_OBJ/tests/helpers/fuzz_rec" \
	    "$BATS_TEST_TMPDIR/none"
	[[ "$stderr" == *"none"* ]]
}
