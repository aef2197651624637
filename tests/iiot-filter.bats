#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-filter: selection, reduction, shaping, bad input, signals, and a
# differential test against jq.

load test_helper
bats_require_minimum_version 1.5.0

setup() {
	IN=$(fixture iiot-filter plant.in)
	F=$TOP/tests/fixtures/iiot-filter
}

# sensors IN...: the "sensor" of each output line, space-separated.
sensors() {
	jq -r '.sensor' | tr '\n' ' '
}

@test "iiot-filter: --help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr iiot-filter --help
	[[ "$output" == "usage: iiot-filter "* ]]
	[[ "$output" == *"--deadband"* ]]
	[ -z "$stderr" ]
}

@test "iiot-filter: --version names the program and cJSON" {
	run -0 iiot-filter --version
	[[ "${lines[0]}" == "iiot-filter "[0-9]* ]]
	[[ "$output" == *"cJSON "* ]]
}

@test "iiot-filter: a bad option is a usage error, exit 2" {
	run -2 --separate-stderr iiot-filter --no-such-option
	[ -z "$output" ]
	[[ "$stderr" == *"usage: iiot-filter"* ]]
	[[ "$stderr" == *"Try 'iiot-filter --help'"* ]]
}

@test "iiot-filter: usage synopsis matches the man page" {
	check_synopsis iiot-filter
}

@test "iiot-filter: the man page's examples run" {
	run_man_examples iiot-filter "$IN"
}

@test "iiot-filter: invalid option values name the option, exit 2" {
	run -2 --separate-stderr iiot-filter --min abc
	[[ "$stderr" == *"--min: invalid number 'abc'"* ]]
	run -2 --separate-stderr iiot-filter --every 5parsecs
	[[ "$stderr" == *"--every: invalid duration '5parsecs'"* ]]
	run -2 --separate-stderr iiot-filter --since soon
	[[ "$stderr" == *"--since: invalid time 'soon'"* ]]
	run -2 --separate-stderr iiot-filter -e 'value >'
	[[ "$stderr" == *"--where: column "* ]]
	run -2 --separate-stderr iiot-filter -o xml
	[[ "$stderr" == *"unknown format 'xml'"* ]]
	run -2 --separate-stderr iiot-filter --deadband 1 --every 1m
	[[ "$stderr" == *"exclude each other"* ]]
	run -2 --separate-stderr iiot-filter --heartbeat 1m
	[[ "$stderr" == *"--heartbeat needs --deadband"* ]]
	run -2 --separate-stderr iiot-filter --set value=3
	[[ "$stderr" == *"cannot set ts or value"* ]]
}

@test "iiot-filter: empty input is not an error" {
	run -0 --separate-stderr iiot-filter < /dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "iiot-filter: with no option, records pass byte for byte" {
	run -0 iiot-filter "$IN"
	assert_output_file "$IN"
	# Spacing and number forms are kept as they came.
	run -0 iiot-filter <<< '{ "sensor" : "a", "value" : 1.50e1 , "x":[1, {"y":2}] }'
	[ "$output" = '{ "sensor" : "a", "value" : 1.50e1 , "x":[1, {"y":2}] }' ]
}

@test "iiot-filter: -s and --source select by glob, repeated options OR" {
	run -0 iiot-filter -s oil_temp "$IN"
	[ "${#lines[@]}" -eq 4 ]
	run -0 bash -c "iiot-filter -s 'press*' -s 'str*' '$IN' | jq -r .sensor | sort -u | tr '\n' ' '"
	[ "$output" = "pressure strokes " ]
	run -0 bash -c "iiot-filter --source press2 '$IN' | jq -r .source"
	[ "$output" = "press2" ]
	run -0 bash -c "iiot-filter --source press1 -s oil_temp '$IN' | wc -l"
	[ "$output" -eq 3 ]
}

@test "iiot-filter: -t selects on a tag, --quality treats absent as good" {
	run -0 bash -c "iiot-filter -t location=hall-B '$IN' | jq -r .source"
	[ "$output" = "press2" ]
	run -0 bash -c "iiot-filter -t 'location=hall-?' -t line=L1 '$IN' | wc -l"
	[ "$output" -eq 9 ]
	run -0 bash -c "iiot-filter --quality bad '$IN' | jq -r .source"
	[ "$output" = "press2" ]
	run -0 bash -c "iiot-filter --quality good '$IN' | wc -l"
	[ "$output" -eq 8 ]
}

@test "iiot-filter: --min, --max, --since and --until" {
	run -0 bash -c "iiot-filter --min 60.1 --max 130 '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "60.1 60.5 100 130 " ]
	run -0 bash -c "iiot-filter --since 2026-11-29T10:01:00Z --until 2026-11-29T11:02:00+01:00 '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "100 130 " ]
}

@test "iiot-filter: -e expressions, -x inverts the whole selection" {
	run -0 bash -c "iiot-filter -e 'sensor == \"oil_temp\" && value > 60 || unit == \"bar\"' '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "60.1 60.5 180 " ]
	run -0 bash -c "iiot-filter -e 'location ~ \"*-B\"' '$IN' | wc -l"
	[ "$output" -eq 1 ]
	run -0 bash -c "iiot-filter -x -s oil_temp '$IN' | jq -r .sensor | sort -u | tr '\n' ' '"
	[ "$output" = "pressure strokes " ]
	run -0 bash -c "iiot-filter -e '(value - 32) * 5 / 9 > 30' '$IN' | wc -l"
	[ "$output" -eq 3 ]
}

@test "iiot-filter: --deadband absolute and percent, with --heartbeat" {
	run -0 bash -c "iiot-filter -s oil_temp --source press1 --deadband 0.2 '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "60 60.5 " ]
	run -0 bash -c "iiot-filter -s strokes --deadband 25% '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "100 130 10 40 " ]
	run -0 bash -c "iiot-filter -s strokes --deadband 50% '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "100 10 40 " ]
	run -0 bash -c "iiot-filter -s oil_temp --source press1 --deadband 5 --heartbeat 20s '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "60 60.5 " ]
}

@test "iiot-filter: --scope reduces only what it names, the rest passes on" {
	run -0 bash -c "iiot-filter --scope 'sensor == \"oil_temp\"' --deadband 1 '$IN' | jq -r '[.sensor,.value]|@tsv' | tr '\n\t' ' ='"
	[ "$output" = "oil_temp=60 oil_temp=55 pressure=180 strokes=100 strokes=130 strokes=10 strokes=40 " ]
	run -0 bash -c "iiot-filter --scope 'unit == \"bar\"' --scale 0.1 --unit MPa '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "60 60.1 60.5 55 18 100 130 10 40 " ]
	run -2 --separate-stderr iiot-filter --scope 'x ==' --dedupe
	[[ "$stderr" == *"--scope: column"* ]]
}

@test "iiot-filter: --dedupe drops consecutive repeats per series" {
	printf '%s\n' '{"sensor":"a","value":1}' '{"sensor":"b","value":1}' \
	    '{"sensor":"a","value":1}' '{"sensor":"a","value":2}' \
	    '{"sensor":"a","value":2,"quality":"bad"}' '{"sensor":"a","value":1}' \
	    > "$BATS_TEST_TMPDIR/d.in"
	run -0 bash -c "iiot-filter --dedupe '$BATS_TEST_TMPDIR/d.in' | jq -c '[.sensor,.value]' | tr '\n' ' '"
	[ "$output" = '["a",1] ["b",1] ["a",2] ["a",2] ["a",1] ' ]
}

@test "iiot-filter: --every with each aggregate" {
	for agg in mean min max first last sum count delta; do
		iiot-filter --every 1m --agg "$agg" "$IN" > "$BATS_TEST_TMPDIR/$agg.out"
		assert_same "$F/every-$agg.out" "$BATS_TEST_TMPDIR/$agg.out"
	done
}

@test "iiot-filter: --every delta is a counter's reset-aware increase" {
	run -0 bash -c "iiot-filter -s strokes --every 1m --agg delta '$IN' | jq -c .value | tr '\n' ' '"
	# 100 -> 130 is +30; 130 -> 10 is a reset (+10), then +30.
	[ "$output" = "30 40 " ]
}

@test "iiot-filter: --rate turns a counter into a rate, reset-aware" {
	run -0 bash -c "iiot-filter -s strokes --rate '$IN' | jq -c '[.value,.unit]' | tr '\n' ' '"
	[ "$output" = '[1,"count/s"] [0.3333333333333333,"count/s"] [1,"count/s"] ' ]
	run -0 bash -c "iiot-filter -s strokes --rate=1h '$IN' | jq -c .value | tr '\n' ' '"
	[ "$output" = "3600 1200 3600 " ]
}

@test "iiot-filter: --fields, --set, --scale, --offset and --unit shape records" {
	run -0 iiot-filter -s pressure --scale 0.1 --offset 1 --unit MPa --set line=L1 --set location=hall-C "$IN"
	[ "$output" = '{"ts":"2026-11-29T10:00:40.000Z","source":"press1","sensor":"pressure","value":19,"unit":"MPa","location":"hall-C","line":"L1"}' ]
	run -0 iiot-filter -s pressure --fields value,sensor,nothing "$IN"
	[ "$output" = '{"value":180,"sensor":"pressure"}' ]
}

@test "iiot-filter: -m stops after N records, -c counts" {
	run -0 iiot-filter -m 2 "$IN"
	[ "${#lines[@]}" -eq 2 ]
	run -0 iiot-filter -c -s oil_temp "$IN"
	[ "$output" = "4" ]
	run -0 iiot-filter -c -s nothing "$IN"
	[ "$output" = "0" ]
}

@test "iiot-filter: -o csv, tsv and influx" {
	for fmt in csv tsv influx; do
		iiot-filter -o "$fmt" "$IN" > "$BATS_TEST_TMPDIR/out.$fmt"
		assert_same "$F/plant.$fmt" "$BATS_TEST_TMPDIR/out.$fmt"
	done
	run -0 iiot-filter -o csv --fields ts,value,location -s pressure "$IN"
	[ "$output" = $'ts,value,location\n2026-11-29T10:00:40.000Z,180,hall-A' ]
	run -0 iiot-filter -o csv --set 'note=a "b", c' -s pressure --fields note "$IN"
	[ "${lines[1]}" = '"a ""b"", c"' ]
}

@test "iiot-filter: timestamps are normalized only when a record changes" {
	printf '%s\n' '{"ts":1795946400,"sensor":"a","value":1}' \
	    '{"ts":1795946400250,"sensor":"a","value":2}' \
	    '{"ts":"2026-11-29T11:00:00.123456+01:00","sensor":"a","value":3}' \
	    > "$BATS_TEST_TMPDIR/t.in"
	run -0 iiot-filter "$BATS_TEST_TMPDIR/t.in"
	assert_output_file "$BATS_TEST_TMPDIR/t.in"
	run -0 bash -c "iiot-filter --set k=v '$BATS_TEST_TMPDIR/t.in' | jq -r .ts | tr '\n' ' '"
	[ "$output" = "2026-11-29T10:00:00.000Z 2026-11-29T10:00:00.250Z 2026-11-29T10:00:00.123Z " ]
}

@test "iiot-filter: malformed lines are skipped with a warning naming the line, exit 1" {
	cd "$F"
	run -1 --separate-stderr iiot-filter bad.in
	assert_output_file bad.out
	[ "$stderr" = "$(cat bad.err)" ]
}

@test "iiot-filter: malformed lines on stdin are numbered too" {
	run -1 --separate-stderr iiot-filter <<< $'{"sensor":"a","value":1}\n{oops\n'
	[ "$output" = '{"sensor":"a","value":1}' ]
	[ "$stderr" = "iiot-filter: line 2: not valid JSON" ]
}

@test "iiot-filter: --strict stops at the first malformed line, keeping what came before" {
	run -1 --separate-stderr iiot-filter --strict "$F/bad.in"
	[ "${#lines[@]}" -eq 1 ]
	[ "$stderr" = "iiot-filter: $F/bad.in:2: not valid JSON" ]
}

@test "iiot-filter: -q silences warnings but not the exit status" {
	run -1 --separate-stderr iiot-filter -q "$F/bad.in"
	[ -z "$stderr" ]
	assert_output_file "$F/bad.out"
}

@test "iiot-filter: a flood of bad lines is rate-limited, good lines survive" {
	{
		for i in $(seq 1000); do echo "garbage $i"; done
		echo '{"sensor":"ok","value":1}'
	} > "$BATS_TEST_TMPDIR/flood.in"
	run -1 --separate-stderr iiot-filter "$BATS_TEST_TMPDIR/flood.in"
	[ "$output" = '{"sensor":"ok","value":1}' ]
	n=$(printf '%s\n' "$stderr" | wc -l)
	[ "$n" -ge 10 ] && [ "$n" -le 20 ]
	[[ "$stderr" == *"similar messages suppressed"* ]]
	[[ "$stderr" == *"1000 malformed lines skipped"* ]]
}

@test "iiot-filter: a line over 1 MiB is skipped, the next one kept" {
	{
		printf '{"sensor":"big","value":1,"pad":"'
		head -c 1100000 /dev/zero | tr '\0' x
		printf '"}\n{"sensor":"after","value":2}\n'
	} > "$BATS_TEST_TMPDIR/long.in"
	run -1 --separate-stderr iiot-filter "$BATS_TEST_TMPDIR/long.in"
	[ "$output" = '{"sensor":"after","value":2}' ]
	[[ "$stderr" == *"long.in:1: line too long"* ]]
}

@test "iiot-filter: a missing file is reported, the other files are read" {
	run -1 --separate-stderr iiot-filter /nonexistent "$IN"
	[ "${#lines[@]}" -eq 9 ]
	[[ "$stderr" == "iiot-filter: cannot open '/nonexistent': No such file or directory" ]]
}

@test "iiot-filter: '-' reads stdin among files" {
	run -0 bash -c "echo '{\"sensor\":\"x\",\"value\":0}' | iiot-filter '$IN' - | tail -1"
	[ "$output" = '{"sensor":"x","value":0}' ]
}

@test "iiot-filter: | head -1 ends quietly" {
	run -0 --separate-stderr bash -c "'$TOP/scripts/gen-stream' -n 200000 | iiot-filter | head -1"
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
}

@test "iiot-filter: a record goes out at once when the input pauses" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	iiot-filter -s a < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	exec 5> "$BATS_TEST_TMPDIR/in"
	echo '{"sensor":"a","value":1}' >&5
	echo '{"sensor":"b","value":1}' >&5
	# The input stays open: the record must still arrive.
	wait_for 5 test -s "$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = '{"sensor":"a","value":1}' ]
	exec 5>&-
	wait "$pid"
}

@test "iiot-filter: SIGTERM flushes what it holds, then dies by the signal" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	iiot-filter --every 1h < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
	pid=$!
	exec 5> "$BATS_TEST_TMPDIR/in"
	head -n 3 "$IN" >&5
	sleep 0.3
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	exec 5>&-
	[ "$status" -eq 143 ]
	run -0 jq -c '.value * 10 | round' "$BATS_TEST_TMPDIR/out"
	[ "$output" = "602" ]
}

@test "iiot-filter: per-series state does not grow with the stream" {
	# 50 series: RSS after 400k records must match RSS after 40k (a
	# byte kept per record would add 360 kB, a record kept 36 MB; the
	# margin absorbs the sanitizer's quarantine).
	rss() {
		"$TOP/scripts/gen-stream" -n "$1" |
		    /usr/bin/time -f %M iiot-filter --every 1m --agg delta 2>&1 >/dev/null | tail -1
	}
	small=$(rss 40000)
	big=$(rss 400000)
	echo "rss: $small KiB then $big KiB"
	[ "$big" -le $((small + 8192)) ]
}

# The records iiot-filter keeps must be exactly those jq keeps.
differential() {
	local expr=$1 jqsel=$2 opts=$3
	# shellcheck disable=SC2086
	iiot-filter $opts -e "$expr" "$BATS_TEST_TMPDIR/s.jsonl" |
	    jq -c . > "$BATS_TEST_TMPDIR/ours"
	jq -c "select($jqsel)" "$BATS_TEST_TMPDIR/s.jsonl" > "$BATS_TEST_TMPDIR/jq"
	assert_same "$BATS_TEST_TMPDIR/jq" "$BATS_TEST_TMPDIR/ours"
	[ -s "$BATS_TEST_TMPDIR/jq" ]
}

@test "iiot-filter: keeps exactly what jq keeps (differential)" {
	"$TOP/scripts/gen-stream" -n 20000 -s 7 > "$BATS_TEST_TMPDIR/s.jsonl"
	differential 'value > 40' '.value > 40'
	differential 'value <= 35.5 || value >= 44' '.value <= 35.5 or .value >= 44'
	differential 'sensor == "temp7" && value > 40' '.sensor == "temp7" and .value > 40'
	differential 'source == "press2" && !(value < 30)' '.source == "press2" and (.value < 30 | not)'
	differential 'quality == "bad"' '.quality == "bad"'
	differential 'quality != "bad" && location == "hall-B"' '.quality != "bad" and .location == "hall-B"'
	differential 'value * 2 - 10 > 70' '.value * 2 - 10 > 70'
	differential 'sensor == "temp7" || sensor == "temp49"' '.sensor == "temp7" or .sensor == "temp49"'
	differential 'ts >= "2026-11-29T12:03:00Z" && ts < "2026-11-29T12:04:00Z"' \
	    '.ts >= "2026-11-29T12:03:00Z" and .ts < "2026-11-29T12:04:00Z"'
}

@test "iiot-filter: option selections agree with jq (differential)" {
	"$TOP/scripts/gen-stream" -n 20000 -s 11 > "$BATS_TEST_TMPDIR/s.jsonl"
	check() {
		local jqsel=$1
		shift
		iiot-filter "$@" "$BATS_TEST_TMPDIR/s.jsonl" | jq -c . > "$BATS_TEST_TMPDIR/ours"
		jq -c "select($jqsel)" "$BATS_TEST_TMPDIR/s.jsonl" > "$BATS_TEST_TMPDIR/jq"
		assert_same "$BATS_TEST_TMPDIR/jq" "$BATS_TEST_TMPDIR/ours"
	}
	check '.sensor == "temp7"' -s temp7
	check '.sensor == "temp7" or .sensor == "temp8"' -s temp7 -s temp8
	check '(.sensor | test("^temp4[0-9]$")) and .value > 40' -s 'temp4?' --min 40.0000001
	check '.source == "press3"' --source press3
	check '.source != "press3"' -x --source press3
	check '.value >= 30 and .value <= 40' --min 30 --max 40
	check '.quality == "bad"' --quality bad
	check '.location == "hall-A"' -t location=hall-A
}
