#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-archive.bats: the archive with real SQLite files: writing, queries,
# crash safety, concurrency, failures, daily files, verify and replay.
load test_helper
bats_require_minimum_version 1.5.0

FIX="$TOP/tests/fixtures/iiot-archive"

setup() {
	DB="$BATS_TEST_TMPDIR/a.db"
	export IIOT_DB="$DB"
}

# rows FILE: the number of samples in an archive.
rows() {
	sqlite3 "$1" 'SELECT count(*) FROM samples'
}

# integrity FILE: PRAGMA integrity_check says ok.
integrity() {
	[ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ]
}

# has_rows FILE N: the archive holds at least N samples.
has_rows() {
	[ "$(sqlite3 "$1" 'SELECT count(*) FROM samples' 2>/dev/null)" -ge "$2" ]
}

@test "iiot-archive: --help prints the usage on stdout" {
	run -0 --separate-stderr iiot-archive --help
	[[ "$output" == usage:\ iiot-archive* ]]
	[[ "$output" == *--commit-interval* ]]
	[ -z "$stderr" ]
}

@test "iiot-archive: --version names SQLite" {
	run -0 iiot-archive --version
	[[ "$output" == iiot-archive\ * ]]
	[[ "$output" == *sqlite\ 3.* ]]
}

@test "iiot-archive: a bad option is a usage error" {
	run -2 --separate-stderr iiot-archive --bogus
	[ -z "$output" ]
	[[ "$stderr" == *usage:\ iiot-archive* ]]
	[[ "$stderr" == *"Try 'iiot-archive --help'"* ]]
}

@test "iiot-archive: an option of another subcommand is a usage error" {
	run -2 --separate-stderr iiot-archive query --batch 5
	[[ "$stderr" == *"option '--batch' is not valid with 'query'"* ]]
	run -2 --separate-stderr iiot-archive query --every 1m
	[[ "$stderr" == *"--every and --agg go together"* ]]
	run -2 --separate-stderr iiot-archive rotate
	[[ "$stderr" == *"no archive directory"* ]]
	run -2 --separate-stderr iiot-archive rotate -a x --tz Mars/Olympus
	[[ "$stderr" == *"--tz: unknown time zone 'Mars/Olympus'"* ]]
}

@test "iiot-archive: empty input makes an empty archive with the schema" {
	run -0 iiot-archive < /dev/null
	[ -z "$output" ]
	[ "$(rows "$DB")" -eq 0 ]
	[ "$(sqlite3 "$DB" 'PRAGMA user_version')" -eq 2 ]
	[ "$(sqlite3 "$DB" 'PRAGMA journal_mode')" = wal ]
}

@test "iiot-archive: new files are created with mode 0640" {
	iiot-archive < /dev/null
	[ "$(stat -c %a "$DB")" = 640 ]
	iiot-archive backup "$BATS_TEST_TMPDIR/b.db"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/b.db")" = 640 ]
}

@test "iiot-archive: records pass through byte for byte, -q keeps quiet" {
	run -0 iiot-archive -d "$DB" < "$FIX/records.in"
	assert_output_file "$FIX/records.in"
	run -0 iiot-archive -q -d "$BATS_TEST_TMPDIR/q.db" < "$FIX/records.in"
	[ -z "$output" ]
	[ "$(rows "$BATS_TEST_TMPDIR/q.db")" -eq 7 ]
}

@test "iiot-archive: round trip: records in, the same records out" {
	iiot-archive -q < "$FIX/records.in"
	run -0 iiot-archive query
	assert_output_file "$FIX/records.out"
	# Same fields, order and values as the input.
	diff <(jq -c . "$FIX/records.in") <(iiot-archive query | jq -c .)
}

@test "iiot-archive: numbers come back in their shortest exact form" {
	iiot-archive -q < "$FIX/nums.in"
	run -0 bash -c 'iiot-archive query | grep -o "\"value\":[^,}]*" | cut -d: -f2 | tr "\n" " "'
	[ "$output" = "0.001 -0.5 0 123456789012.5 999999999999.999 0.1 1.1 -12.345 1e-07 0.3333333333 100 -1000.01 " ]
}

@test "iiot-archive: the default file is IIOT_DB, else iiot.db here" {
	cd "$BATS_TEST_TMPDIR"
	unset IIOT_DB
	iiot-archive -q < "$FIX/dup.in"
	[ -f iiot.db ]
	IIOT_DB=other.db iiot-archive -q < "$FIX/dup.in"
	[ -f other.db ]
}

@test "iiot-archive: a malformed record is skipped with a warning, exit 1" {
	{ head -2 "$FIX/records.in"; echo '{"ts":"x","sensor":"a","value":1}';
	  echo 'not json'; tail -1 "$FIX/records.in"; } > "$BATS_TEST_TMPDIR/bad.in"
	run -1 --separate-stderr iiot-archive < "$BATS_TEST_TMPDIR/bad.in"
	[[ "$stderr" == *"iiot-archive: line 3: "* ]]
	[[ "$stderr" == *"iiot-archive: line 4: "* ]]
	[ "$(echo "$output" | wc -l)" -eq 3 ]
	[ "$(rows "$DB")" -eq 3 ]
}

@test "iiot-archive: a duplicate series and time keeps the last record" {
	iiot-archive -q < "$FIX/dup.in"
	run -0 iiot-archive query
	assert_output_file "$FIX/dup.out"
}

@test "iiot-archive: new tags and fields never break an archive" {
	iiot-archive -q < "$FIX/dup.in"
	echo '{"ts":"2026-11-29T08:00:02Z","source":"p","sensor":"t","value":4,"unit":"degC","line":"L2","batch":17}' |
	    iiot-archive -q
	run -0 iiot-archive query --since 2026-11-29T08:00:01Z
	[ "${lines[1]}" = '{"ts":"2026-11-29T08:00:02.000Z","source":"p","sensor":"t","value":4,"unit":"degC","line":"L2","batch":17}' ]
	run -0 iiot-archive series
	[ "${#lines[@]}" -eq 2 ]
}

@test "iiot-archive: query selects by sensor, source and tag globs and time" {
	iiot-archive -q < "$FIX/records.in"
	run -0 iiot-archive query --sensor 'oil_*'
	[ "${#lines[@]}" -eq 3 ]
	run -0 iiot-archive query --source 'press[!1]'
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"sensor":"running"'* ]]
	run -0 iiot-archive query --tag 'origin=modbus://*' --sensor pressure
	[ "${#lines[@]}" -eq 2 ]
	run -0 iiot-archive query --tag 'note=*\"quoted\"*'
	[ "${#lines[@]}" -eq 1 ]
	run -0 iiot-archive query --since 2026-11-29 --until 2026-11-29T00:00:02Z
	[ "${#lines[@]}" -eq 2 ]
	run -0 iiot-archive query --sensor nothing
	[ -z "$output" ]
}

@test "iiot-archive: --every --agg aggregates in SQL, every function" {
	iiot-archive -q < "$FIX/agg.in"
	local a want
	for a in mean:2.5:97.5 min:0:95 max:5:100 first:0:100 last:5:95 \
	    sum:15:585 count:6:6 delta:5:-5; do
		run -0 iiot-archive query --every 1m --agg "${a%%:*}" --since 2026-11-29T08:00:00Z --until 2026-11-29T08:01:00Z
		want=${a#*:}
		[ "${#lines[@]}" -eq 2 ]
		[[ "${lines[0]}" == *'"sensor":"a","value":'"${want%:*}"[,}]* ]]
		[[ "${lines[1]}" == *'"sensor":"b","value":'"${want#*:}"[,}]* ]]
	done
	run -0 iiot-archive query --every 30s --agg count --sensor a
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = '{"ts":"2026-11-29T08:00:00.000Z","source":"p1","sensor":"a","value":3}' ]
}

@test "iiot-archive: --last gives the latest record of each series" {
	iiot-archive -q < "$FIX/agg.in"
	run -0 iiot-archive query --last
	[ "${lines[0]}" = '{"ts":"2026-11-29T08:01:50.000Z","source":"p1","sensor":"a","value":11,"unit":"V"}' ]
	[ "${lines[1]}" = '{"ts":"2026-11-29T08:01:55.000Z","source":"p2","sensor":"b","value":89}' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "iiot-archive: query writes CSV, TSV and InfluxDB lines" {
	iiot-archive -q < "$FIX/dup.in"
	run -0 iiot-archive query -o csv
	[ "${lines[0]}" = ts,source,sensor,value,unit,quality ]
	[ "${lines[1]}" = 2026-11-29T08:00:00.000Z,p,t,3,degC,uncertain ]
	run -0 iiot-archive query -o tsv
	[ "${lines[2]}" = "$(printf '2026-11-29T08:00:01.000Z\tp\tt\t2\tdegC\t')" ]
	run -0 iiot-archive query -o influx
	[[ "${lines[1]}" == t,* ]]
	[[ "${lines[1]}" == *" 1795939201000000000" ]]
}

@test "iiot-archive: series lists each series with first, last and count" {
	iiot-archive -q < "$FIX/agg.in"
	run -0 iiot-archive series --source p1
	[ "$output" = '{"source":"p1","sensor":"a","unit":"V","first":"2026-11-29T08:00:00.000Z","last":"2026-11-29T08:01:50.000Z","count":12}' ]
}

@test "iiot-archive: crash safety: 20 kill -9, always sound, always a prefix" {
	gen_stream 100000 > "$BATS_TEST_TMPDIR/in"
	local t0 ms
	t0=$(date +%s%N)
	iiot-archive -q -d "$BATS_TEST_TMPDIR/full.db" < "$BATS_TEST_TMPDIR/in"
	# Kill at random points of a run as long as this one, here and now.
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	iiot-archive query -d "$BATS_TEST_TMPDIR/full.db" > "$BATS_TEST_TMPDIR/want"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/want")" -eq 100000 ]
	local i=0 pid n prev=0 kills=0 d
	# The same file throughout: each run also recovers the last crash.
	while [ "$kills" -lt 20 ] && [ "$i" -lt 60 ]; do
		i=$((i + 1))
		iiot-archive -q --batch 2000 --commit-interval 20ms \
		    < "$BATS_TEST_TMPDIR/in" &
		pid=$!
		d=$(( ms * (RANDOM % 90 + 5) / 100 ))
		sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
		# Count only the kills that hit a running writer.
		if kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"; then
			wait "$pid" || kills=$((kills + 1))
		else
			wait "$pid" || true
		fi
		[ -f "$DB" ] || continue
		integrity "$DB"
		iiot-archive query > "$BATS_TEST_TMPDIR/got"
		n=$(wc -l < "$BATS_TEST_TMPDIR/got")
		# Exactly the first n records of the input, nothing else.
		cmp "$BATS_TEST_TMPDIR/got" <(head -n "$n" "$BATS_TEST_TMPDIR/want")
		[ "$n" -ge "$prev" ]
		prev=$n
	done
	echo "# runs: $i, kills: $kills, rows: $prev" >&3
	[ "$kills" -ge 20 ]
	[ "$prev" -gt 0 ]
}

@test "iiot-archive: a query runs while the writer writes" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive -q --commit-interval 50ms < "$BATS_TEST_TMPDIR/fifo" &
	local pid=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	gen_stream 5000 >&4
	wait_for 10 has_rows "$DB" 5000
	run -0 iiot-archive query --sensor temp0
	[ "${#lines[@]}" -eq 100 ]
	gen_stream 1000 2 >&4
	run -0 sqlite3 "$DB" 'SELECT count(*) FROM series'
	[ "$output" -ge 50 ]
	exec 4>&-
	wait "$pid"
	integrity "$DB"
}

@test "iiot-archive: commits before waiting for more input" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive -q --commit-interval 100ms --batch 1000000 \
	    < "$BATS_TEST_TMPDIR/fifo" &
	local pid=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	head -3 "$FIX/records.in" >&4
	# The input stays open; the batch must be committed anyway.
	wait_for 10 has_rows "$DB" 3
	exec 4>&-
	wait "$pid"
}

@test "iiot-archive: SIGTERM commits the open batch, then ends by the signal" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive --commit-interval 1h --batch 1000000 \
	    < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" &
	local pid=$! status=0
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	gen_stream 3000 >&4
	# Passed on (flushed before waiting) means read and handed over.
	wait_for 10 bash -c "[ \$(wc -l < '$BATS_TEST_TMPDIR/out') -eq 3000 ]"
	[ "$(rows "$DB")" -eq 0 ]
	kill -TERM "$pid"
	wait "$pid" || status=$?
	exec 4>&-
	[ "$status" -eq 143 ]
	[ "$(rows "$DB")" -eq 3000 ]
}

@test "iiot-archive: SIGHUP reopens the file between records" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive -q --commit-interval 50ms < "$BATS_TEST_TMPDIR/fifo" &
	local pid=$!
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	head -2 "$FIX/records.in" >&4
	wait_for 10 has_rows "$DB" 2
	mv "$DB" "$BATS_TEST_TMPDIR/old.db"
	mv "$DB-wal" "$BATS_TEST_TMPDIR/old.db-wal" 2>/dev/null || true
	rm -f "$DB-shm"
	kill -HUP "$pid"
	# The new file exists once the writer has reopened.
	wait_for 10 test -f "$DB"
	tail -3 "$FIX/records.in" >&4
	wait_for 10 has_rows "$DB" 3
	exec 4>&-
	wait "$pid"
	[ "$(rows "$DB")" -eq 3 ]
	[ "$(rows "$BATS_TEST_TMPDIR/old.db")" -eq 2 ]
}

@test "iiot-archive: a failed reopen on SIGHUP is reported, exit 1" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive -q --commit-interval 50ms < "$BATS_TEST_TMPDIR/fifo" \
	    2> "$BATS_TEST_TMPDIR/err" &
	local pid=$! status=0
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	head -2 "$FIX/records.in" >&4
	wait_for 10 has_rows "$DB" 2
	mv "$DB" "$BATS_TEST_TMPDIR/old.db"
	mkdir "$DB"
	kill -HUP "$pid"
	tail -3 "$FIX/records.in" >&4 || true
	wait "$pid" || status=$?
	exec 4>&-
	[ "$status" -eq 1 ]
	grep -q "cannot open archive: '$DB'" "$BATS_TEST_TMPDIR/err"
}

@test "iiot-archive: a second writer waits for the lock, both succeed" {
	gen_stream 20000 1 > "$BATS_TEST_TMPDIR/in1"
	gen_stream 20000 1 | sed 's/"press/"line/' > "$BATS_TEST_TMPDIR/in2"
	iiot-archive -q --batch 500 < "$BATS_TEST_TMPDIR/in1" &
	local p1=$!
	iiot-archive -q --batch 500 < "$BATS_TEST_TMPDIR/in2" &
	local p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(rows "$DB")" -eq 40000 ]
	integrity "$DB"
}

@test "iiot-archive: a writer locked out past --busy-timeout fails clearly" {
	iiot-archive -q < /dev/null
	# sqlite3 holds the write lock for three seconds.
	{ echo '.timeout 5000'; echo 'BEGIN IMMEDIATE;'; sleep 3; echo 'COMMIT;'; } |
	    sqlite3 "$DB" &
	local pid=$!
	wait_for 10 bash -c "! sqlite3 '$DB' 'BEGIN IMMEDIATE; ROLLBACK;'"
	run -1 --separate-stderr iiot-archive -q --busy-timeout 200ms < "$FIX/records.in"
	[[ "$stderr" == *"cannot begin a transaction: '$DB': database is locked"* ]]
	[[ "$stderr" == *"another writer"* ]]
	[[ "$stderr" == *"7 records not committed"* ]]
	wait "$pid"
	[ "$(rows "$DB")" -eq 0 ]
}

@test "iiot-archive: a read-only file is reported, queries still work" {
	local d
	d=$(mktemp -d /tmp/iiot-archive-ro.XXXXXX)
	chmod 755 "$d"
	iiot-archive -q -d "$d/ro.db" < "$FIX/dup.in"
	chmod 644 "$d/ro.db"
	# As root permissions do not bind: drop to nobody for the writer.
	local as=()
	[ "$(id -u)" -ne 0 ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	[ "$(id -u)" -eq 0 ] || chmod 444 "$d/ro.db"
	run -1 --separate-stderr "${as[@]}" "$IIOT_BIN/iiot-archive" -q -d "$d/ro.db" < "$FIX/dup.in"
	[[ "$stderr" == *"'$d/ro.db'"* ]]
	[[ "$stderr" == *"read-only"* ]]
	run -0 iiot-archive query -d "$d/ro.db"
	[ "${#lines[@]}" -eq 2 ]
	rm -rf "$d"
}

@test "iiot-archive: a full disk is reported with the records not committed" {
	run -1 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 256;
	    "$TOP/scripts/gen-stream" -n 100000 |
	    iiot-archive -q --batch 5000 -d "$1"' _ "$DB"
	[[ "$stderr" == *"'$DB'"* ]]
	[[ "$stderr" == *"full"* ]]
	[[ "$stderr" =~ [0-9]+\ records\ not\ committed ]]
	integrity "$DB"
}

@test "iiot-archive: a failed commit while input is idle ends the writer" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	bash -c 'trap "" XFSZ; ulimit -f 64; exec iiot-archive -q \
	    --commit-interval 100ms -d "$1" < "$2" 2> "$3"' _ "$DB" \
	    "$BATS_TEST_TMPDIR/fifo" "$BATS_TEST_TMPDIR/err" &
	local pid=$! status=0
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	gen_stream 20000 >&4 || true
	# The input stays open: the writer must not wait for it to fail.
	wait_for 10 bash -c "! kill -0 $pid"
	wait "$pid" || status=$?
	exec 4>&-
	[ "$status" -eq 1 ]
	grep -q "full" "$BATS_TEST_TMPDIR/err"
	grep -Eq "[0-9]+ records not committed" "$BATS_TEST_TMPDIR/err"
}

@test "iiot-archive: a corrupt file is reported, exit 1" {
	head -c 8192 /dev/urandom > "$DB"
	run -1 --separate-stderr iiot-archive -q < "$FIX/dup.in"
	[[ "$stderr" == *"cannot open archive: '$DB': file is not a database"* ]]
	run -1 --separate-stderr iiot-archive query
	[[ "$stderr" == *"'$DB'"* ]]
	run -1 iiot-archive verify
	[[ "$output" == *FAIL* ]]
}

@test "iiot-archive: a file with no schema yet reads as empty, a foreign one fails" {
	# What a writer killed before its first commit leaves behind.
	: > "$DB"
	run -0 iiot-archive query
	[ -z "$output" ]
	run -0 iiot-archive verify
	sqlite3 "$BATS_TEST_TMPDIR/other.db" 'CREATE TABLE x (a)'
	run -1 --separate-stderr iiot-archive query -d "$BATS_TEST_TMPDIR/other.db"
	[[ "$stderr" == *"not an iiot-archive file (schema version 0)"* ]]
}

@test "iiot-archive: a missing archive is an error for query" {
	run -1 --separate-stderr iiot-archive query -d "$BATS_TEST_TMPDIR/none.db"
	[[ "$stderr" == "iiot-archive: cannot open archive: '$BATS_TEST_TMPDIR/none.db': "* ]]
}

@test "iiot-archive: an older schema is migrated, a newer one refused" {
	sqlite3 "$DB" < "$FIX/v1.sql"
	run -0 iiot-archive query
	[ "$output" = '{"ts":"2026-11-29T08:00:00.000Z","source":"old","sensor":"temp","value":20.5,"unit":"degC"}' ]
	iiot-archive -q < "$FIX/dup.in"
	[ "$(sqlite3 "$DB" 'PRAGMA user_version')" -eq 2 ]
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM records')" -eq 3 ]
	sqlite3 "$DB" 'PRAGMA user_version = 9'
	run -1 --separate-stderr iiot-archive -q < "$FIX/dup.in"
	[[ "$stderr" == *"schema version 9 is newer than this program's 2"* ]]
	run -1 --separate-stderr iiot-archive query
	[[ "$stderr" == *"schema version 9 is newer than this program's 2"* ]]
}

@test "iiot-archive: writer output through head -1 ends quietly, data kept" {
	gen_stream 50000 > "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr bash -c 'iiot-archive < "$1" | head -1' _ "$BATS_TEST_TMPDIR/in"
	[[ "$output" == '{"ts":"2026-11-29T12:00:00.000Z",'* ]]
	[ -z "$stderr" ]
	integrity "$DB"
	has_rows "$DB" 1
	iiot-archive -q < "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr bash -c 'iiot-archive query | head -1'
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
}

@test "iiot-archive: a write error on stdout is reported, the records kept" {
	run -1 --separate-stderr bash -c 'iiot-archive < "$1" > /dev/full' _ "$FIX/records.in"
	[ "$stderr" = "iiot-archive: cannot write to stdout: No space left on device" ]
	[ "$(rows "$DB")" -eq 7 ]
}

# day_stream [T0]: 3 records an hour for 2 days from T0 (epoch seconds,
# default 2026-11-26T20:00Z).
day_stream() {
	local i t0=${1:-1795723200}
	for i in $(seq 0 47); do
		printf '{"ts":%d,"source":"p","sensor":"t","value":%d,"unit":"degC"}\n' \
		    $((t0 + i * 3600)) "$i"
		printf '{"ts":%d,"source":"p","sensor":"u","value":%d}\n' \
		    $((t0 + i * 3600 + 1)) "$i"
		printf '{"ts":%d,"source":"q","sensor":"t","value":%d,"location":"x"}\n' \
		    $((t0 + i * 3600 + 2)) "$i"
	done
}

@test "iiot-archive: rotate moves each finished day into its own file" {
	day_stream > "$BATS_TEST_TMPDIR/in"
	iiot-archive -q < "$BATS_TEST_TMPDIR/in"
	A="$BATS_TEST_TMPDIR/arch"
	run -0 iiot-archive rotate -a "$A" --before 2026-11-28T12:00:00Z
	[ -f "$A/2026/2026-11-26.db" ]
	[ -f "$A/2026/2026-11-27.db" ]
	[ ! -e "$A/2026/2026-11-28.db" ]
	[ "$(rows "$A/2026/2026-11-26.db")" -eq 12 ]
	[ "$(rows "$A/2026/2026-11-27.db")" -eq 72 ]
	[ "$(wc -l < "$A/MANIFEST")" -eq 2 ]
	read -r day file n sha chain < "$A/MANIFEST"
	[ "$day $file $n" = "2026-11-26 2026/2026-11-26.db 12" ]
	[ "$sha" = "$(sha256sum "$A/$file" | cut -d' ' -f1)" ]
	# The day files have the schema and answer queries.
	iiot-archive query -d "$A/2026/2026-11-27.db" > "$BATS_TEST_TMPDIR/day"
	iiot-archive query --since 2026-11-27 --until 2026-11-28 |
	    diff - "$BATS_TEST_TMPDIR/day"
	# Again: nothing new, nothing changes.
	run -0 iiot-archive rotate -a "$A" --before 2026-11-28T12:00:00Z
	[ "$(wc -l < "$A/MANIFEST")" -eq 2 ]
	# Without --retention the live file keeps everything.
	[ "$(rows "$DB")" -eq 144 ]
	run -0 iiot-archive verify -a "$A"
	[ "${lines[-1]}" = "ok: 2 archived days, 84 rows, 0 problems" ]
}

@test "iiot-archive: rotate --tz uses local days" {
	day_stream > "$BATS_TEST_TMPDIR/in"
	iiot-archive -q < "$BATS_TEST_TMPDIR/in"
	A="$BATS_TEST_TMPDIR/arch"
	run -0 iiot-archive rotate -a "$A" --tz Asia/Tokyo --before 2026-11-29T00:00:00Z
	# 20:00Z is 05:00 the next day in Tokyo (UTC+9).
	[ ! -e "$A/2026/2026-11-26.db" ]
	[ "$(rows "$A/2026/2026-11-27.db")" -eq 57 ]
	[ "$(rows "$A/2026/2026-11-28.db")" -eq 72 ]
}

@test "iiot-archive: --retention deletes only archived, verified days" {
	day_stream > "$BATS_TEST_TMPDIR/in"
	iiot-archive -q < "$BATS_TEST_TMPDIR/in"
	A="$BATS_TEST_TMPDIR/arch"
	iiot-archive rotate -a "$A" --before 2026-11-28T00:00:00Z
	run -0 iiot-archive rotate -a "$A" --retention 1d
	[ "$(rows "$DB")" -eq 60 ]
	# Late records for an archived day are kept and reported.
	day_stream | head -3 | sed 's/"value":0/"value":5/; s/1795723200/1795723260/' |
	    iiot-archive -q
	run -1 --separate-stderr iiot-archive rotate -a "$A"
	[[ "$stderr" == *"2026-11-26: 3 rows arrived after it was archived: kept in '$DB'"* ]]
	[ "$(rows "$DB")" -eq 63 ]
}

@test "iiot-archive: verify detects a deleted day, an edited row, an edited manifest" {
	day_stream > "$BATS_TEST_TMPDIR/in"
	iiot-archive -q < "$BATS_TEST_TMPDIR/in"
	A="$BATS_TEST_TMPDIR/arch"
	iiot-archive rotate -a "$A" --before 2026-11-29
	run -0 iiot-archive verify -a "$A"
	cp -r "$A" "$BATS_TEST_TMPDIR/good"

	rm "$A/2026/2026-11-27.db"
	run -1 --separate-stderr iiot-archive verify -a "$A"
	[[ "$output" == *"FAIL 2026-11-27: '$A/2026/2026-11-27.db': missing (day deleted)"* ]]
	[[ "$stderr" == "iiot-archive: verify: 1 problems" ]]

	rm -r "$A" && cp -r "$BATS_TEST_TMPDIR/good" "$A"
	sqlite3 "$A/2026/2026-11-28.db" 'UPDATE samples SET value = 99 WHERE rowid IN (SELECT rowid FROM samples LIMIT 1)' 2>/dev/null ||
	    sqlite3 "$A/2026/2026-11-28.db" 'UPDATE samples SET value = 99 WHERE ts = (SELECT min(ts) FROM samples)'
	run -1 iiot-archive verify -a "$A"
	[[ "$output" == *"FAIL 2026-11-28: '$A/2026/2026-11-28.db': SHA-256 differs from the manifest"* ]]

	rm -r "$A" && cp -r "$BATS_TEST_TMPDIR/good" "$A"
	sed -i '1s/ 12 / 13 /' "$A/MANIFEST"
	run -1 iiot-archive verify -a "$A"
	[[ "$output" == *"line 1 (2026-11-26): chain broken: the manifest was edited"* ]]
	run -1 --separate-stderr iiot-archive rotate -a "$A"
	[[ "$stderr" == *"chain broken"* ]]

	rm -r "$A"
	run -1 iiot-archive verify -a "$A"
	[[ "$output" == *"FAIL archive directory '$A': No such file or directory"* ]]

	cp -r "$BATS_TEST_TMPDIR/good" "$A"
	sed -i '2d' "$A/MANIFEST"
	run -1 iiot-archive verify -a "$A"
	[[ "$output" == *"chain broken"* ]]
	[[ "$output" == *"2026/2026-11-27.db': not in the manifest"* ]]
}

@test "iiot-archive: backup writes a consistent copy with VACUUM INTO" {
	gen_stream 2000 | iiot-archive -q
	run -0 iiot-archive backup "$BATS_TEST_TMPDIR/copy.db"
	[ "$(rows "$BATS_TEST_TMPDIR/copy.db")" -eq 2000 ]
	integrity "$BATS_TEST_TMPDIR/copy.db"
	run -1 --separate-stderr iiot-archive backup "$BATS_TEST_TMPDIR/copy.db"
	[[ "$stderr" == *"cannot back up to: '$BATS_TEST_TMPDIR/copy.db'"* ]]
}

@test "iiot-archive: --replay paces records as recorded, --speed faster" {
	iiot-archive -q < "$FIX/agg.in"
	local t0 t1
	t0=$(date +%s%N)
	run -0 iiot-archive query --replay --speed 100 --since 2026-11-29T08:00:00Z --until 2026-11-29T08:01:00Z
	t1=$(date +%s%N)
	[ "${#lines[@]}" -eq 12 ]
	# 55 s of records at 100x: at least 0.5 s.
	[ $(( (t1 - t0) / 1000000 )) -ge 500 ]
	# Flushed before each sleep: the first record arrives at once.
	iiot-archive query --replay --speed 1 > "$BATS_TEST_TMPDIR/out" &
	local pid=$!
	wait_for 10 test -s "$BATS_TEST_TMPDIR/out"
	stop_pid "$pid" || true
	[ "$(wc -l < "$BATS_TEST_TMPDIR/out")" -lt 24 ]
}

@test "iiot-archive: the man page is clean and its synopsis matches --help" {
	mandoc -Tlint -W warning "$TOP/man/iiot-archive.1"
	local man help
	man=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$TOP/man/iiot-archive.1" |
	    grep -o -e 'Fl \\-[a-z-]*' -e 'Cm [a-z]*' |
	    sed 's/Fl \\-/--/; s/Cm //' | sort -u)
	help=$(iiot-archive --help | sed '/^$/q' |
	    grep -o -e '--[a-z-]*' -e 'iiot-archive \[*[a-z]*' |
	    sed 's/iiot-archive \[*//' | grep . | sort -u)
	[ "$man" = "$help" ]
}

@test "iiot-archive: the nightly cron job rotates, verifies and reports" {
	# From 20:00 UTC the day before yesterday to 19:00 today.
	day_stream $(( $(date -u -d 'today 00:00' +%s) - 2 * 86400 + 72000 )) |
	    iiot-archive -q
	A="$BATS_TEST_TMPDIR/days"
	run -0 --separate-stderr env IIOT_ARCHIVE_DIR="$A" IIOT_RETENTION=0s \
	    "$TOP/scripts/cron/iiot-nightly"
	[ "$(wc -l < "$A/MANIFEST")" -eq 2 ]
	[ "$(cat "$A/verify.log")" = "ok: 2 archived days, 84 rows, 0 problems" ]
	# Finished days left the live file; today stays.
	[ "$(rows "$DB")" -eq 60 ]
	if command -v iiot-plot > /dev/null; then
		[ -s "$A/report-$(date -u -d yesterday +%F).pdf" ]
	else
		[[ "$stderr" == *"iiot-plot not installed"* ]]
	fi
	# A day file removed: the job fails and says which.
	local y
	y=$(date -u -d yesterday +%F)
	rm "$A/${y%%-*}/$y.db"
	run -1 --separate-stderr env IIOT_ARCHIVE_DIR="$A" IIOT_REPORT=0 \
	    "$TOP/scripts/cron/iiot-nightly"
	[[ "$stderr" == *"$y.db': missing (day deleted)"* ]]
}

@test "iiot-archive: the manual's examples run" {
	local now
	now=$(date +%s)
	printf '{"ts":%d,"source":"press1","sensor":"oil_temp","value":%d,"unit":"degC"}\n' \
	    $((now - 7200)) 60 $((now - 3600)) 62 $((now - 60)) 64 | iiot-archive -q
	run -0 iiot-archive query --source press1 --sensor oil_temp \
	    --since yesterday --every 1h --agg mean
	[ "${#lines[@]}" -ge 2 ]
	run -0 iiot-archive query --since yesterday --until today -o csv
	[ "${lines[0]}" = ts,source,sensor,value,unit,quality ]
	run -0 sqlite3 "$DB" "SELECT time, sensor, value FROM records
	    WHERE sensor = 'oil_temp' ORDER BY ts DESC LIMIT 5"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"|oil_temp|64.0" ]]
	A="$BATS_TEST_TMPDIR/days"
	iiot-archive rotate -a "$A" --retention 30d &&
	    iiot-archive verify -a "$A"
}
