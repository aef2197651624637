# SPDX-License-Identifier: MIT
# iiot-read-file.bats: iiot-read turning CSV, TSV, JSON and InfluxDB files into records.
load test_helper
bats_require_minimum_version 1.5.0

F=$TOP/tests/fixtures/iiot-read

teardown() {
	stop_pid "${READ_PID:-}" || true
}

@test "iiot-read: files: a long CSV with a header becomes records" {
	run -0 --separate-stderr iiot-read "$F/long.csv"
	assert_output_file "$F/long.out"
	[ -z "$stderr" ]
}

@test "iiot-read: files: a wide CSV gives one record per filled cell" {
	run -0 iiot-read --source press9 "$F/wide.csv"
	assert_output_file "$F/wide.out"
}

@test "iiot-read: files: TSV, with its escapes" {
	run -0 iiot-read "$F/data.tsv"
	assert_output_file "$F/tsv.out"
}

@test "iiot-read: files: the InfluxDB line protocol" {
	run -0 iiot-read -f influx <(head -3 "$F/data.influx")
	assert_output_file "$F/influx.out"
	# A line without a time gets the time it was read.
	run -0 iiot-read "$F/data.influx"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
}

@test "iiot-read: files: JSON Lines pass through byte for byte" {
	run -0 iiot-read "$F/records.json"
	assert_output_file "$F/records.json"
}

@test "iiot-read: files: the format is guessed from the content on stdin" {
	run -0 iiot-read - < "$F/long.csv"
	assert_output_file "$F/long.out"
	run -0 iiot-read < "$F/data.tsv"
	assert_output_file "$F/tsv.out"
	run -0 iiot-read < "$F/records.json"
	assert_output_file "$F/records.json"
	run -0 iiot-read < <(head -3 "$F/data.influx" | tail -2)
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
}

@test "iiot-read: files: options map columns; ';' cells with decimal commas" {
	run -0 iiot-read -f csv --ts-column Zeit --source-column Maschine \
	    --sensor-column Messpunkt --value-column Messwert "$F/mapped.csv"
	assert_output_file "$F/mapped.out"
}

@test "iiot-read: files: bad lines are named by file and line, skipped, exit 1" {
	run -1 --separate-stderr iiot-read "$F/bad.csv"
	[ "$output" = '{"ts":"2026-11-29T15:17:45.000Z","source":"press1","sensor":"oil_temp","value":61.4}' ]
	printf '%s\n' \
	    "iiot-read: $F/bad.csv:3: invalid time" \
	    "iiot-read: $F/bad.csv:4: value is not a number" \
	    "iiot-read: $F/bad.csv:5: wrong number of cells" \
	    "iiot-read: $F/bad.csv:6: empty sensor" \
	    "iiot-read: $F/bad.csv:7: unclosed quote" \
	    > "$BATS_TEST_TMPDIR/expected"
	printf '%s\n' "$stderr" > "$BATS_TEST_TMPDIR/stderr"
	assert_same "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/stderr"
}

@test "iiot-read: files: a malformed JSON record is skipped, exit 1" {
	printf '%s\n' '{"sensor":"a","value":1}' '{"sensor":' \
	    '{"sensor":"b","value":2}' > "$BATS_TEST_TMPDIR/r.json"
	run -1 --separate-stderr iiot-read "$BATS_TEST_TMPDIR/r.json"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	[ "$stderr" = "iiot-read: $BATS_TEST_TMPDIR/r.json:2: not valid JSON" ]
}

@test "iiot-read: files: empty input gives nothing and exits 0" {
	run -0 --separate-stderr iiot-read < /dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
	: > "$BATS_TEST_TMPDIR/empty.csv"
	run -0 iiot-read "$BATS_TEST_TMPDIR/empty.csv"
	[ -z "$output" ]
}

@test "iiot-read: files: a missing file or column exits 1, a bad format 2" {
	run -1 --separate-stderr iiot-read "$BATS_TEST_TMPDIR/none.csv"
	[[ "$stderr" == "iiot-read: cannot open '$BATS_TEST_TMPDIR/none.csv': No such file or directory" ]]
	run -1 --separate-stderr iiot-read --value-column nope "$F/long.csv"
	[[ "$stderr" == *"a column named by an option is not in the header"* ]]
	run -2 --separate-stderr iiot-read -f xml "$F/long.csv"
	[[ "$stderr" == *"invalid --format: 'xml'"* ]]
}

@test "iiot-read: files: several files in a row, the bad one does not stop the rest" {
	run -1 --separate-stderr iiot-read "$F/long.csv" \
	    "$BATS_TEST_TMPDIR/none.csv" "$F/data.tsv"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 6 ]
}

@test "iiot-read: files: a large CSV streams | head -1 quietly" {
	run -0 --separate-stderr bash -c "
	    { echo ts,source,sensor,value
	      for i in \$(seq 1 200000); do echo 1764429465,p,s,\$i; done; } |
	    iiot-read | head -1"
	[ "$output" = '{"ts":"2025-11-29T15:17:45.000Z","source":"p","sensor":"s","value":1}' ]
	[ -z "$stderr" ]
}

@test "iiot-read: files: SIGTERM flushes the records read so far" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-read -f csv < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" \
	    3>&- &
	READ_PID=$!
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	printf 'ts,sensor,value\n1764429465,a,1\n1764429466,a,2\n' >&7
	wait_for 5 sh -c "[ \$(wc -l < '$BATS_TEST_TMPDIR/out') -eq 2 ]"
	kill -TERM "$READ_PID"
	rc=0
	wait "$READ_PID" || rc=$?
	READ_PID=
	exec 7>&-
	[ "$rc" -eq 143 ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -eq 2 ]
}

@test "iiot-read: files: -c stops after that many records" {
	run -0 iiot-read -c 2 "$F/wide.csv" "$F/long.csv"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	run -0 iiot-read -c 4 "$F/records.json" "$F/long.csv"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
}

@test "iiot-read: files: -W ends a silent pipe" {
	run -0 --separate-stderr bash -c "{ printf 'ts,sensor,value\n1764429465,a,1\n'
	    sleep 2; } | iiot-read -W 0.3s"
	[ "$output" = '{"ts":"2025-11-29T15:17:45.000Z","sensor":"a","value":1}' ]
}

@test "iiot-read: files: progress on stderr only when it is a terminal" {
	run -0 --separate-stderr iiot-read "$F/long.csv"
	[ -z "$stderr" ]
	# script(1) gives it a terminal.
	run -0 script -qec "iiot-read '$F/long.csv' > /dev/null" /dev/null
	[[ "$output" == *"iiot-read: $F/long.csv: 5 records"* ]]
}
