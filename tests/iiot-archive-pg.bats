#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-archive-pg.bats: the archive on a real PostgreSQL server (initdb,
# pg_ctl on a free loopback port): the SQLite suite's writing and query
# tests, a server restart mid-ingest, passwords, concurrent writers.
load test_helper
load pg_helper
bats_require_minimum_version 1.5.0

FIX="$TOP/tests/fixtures/iiot-archive"

setup_file() {
	pg_start
}

teardown_file() {
	pg_stop
}

# Each test its own database; IIOT_DB names it, as a file would be named.
setup() {
	DBN=t$BATS_TEST_NUMBER
	IIOT_DB=$(pg_newdb "$DBN")
	export IIOT_DB
	cd "$BATS_TEST_TMPDIR"
	SQLITE_DB="$BATS_TEST_TMPDIR/a.db"
}

# rows: the number of samples in the test's database.
rows() {
	pg_sql "$DBN" 'SELECT count(*) FROM samples'
}

# has_rows N: the database holds at least N samples.
has_rows() {
	[ "$(rows 2>/dev/null)" -ge "$1" ]
}

# same_as_sqlite INPUT QUERY-ARGS...: the query prints what it prints on
# a SQLite archive of the same input.
same_as_sqlite() {
	local in=$1
	shift
	[ -f "$SQLITE_DB" ] || iiot-archive -q -d "$SQLITE_DB" < "$in"
	diff <(iiot-archive query -d "$SQLITE_DB" "$@") \
	    <(iiot-archive query "$@")
}

@test "iiot-archive-pg: --version names libpq" {
	run -0 iiot-archive -V
	[[ "$output" == *"libpq "* ]]
}

@test "iiot-archive-pg: empty input makes the schema, queries are empty" {
	run -0 iiot-archive < /dev/null
	[ -z "$output" ]
	[ "$(rows)" -eq 0 ]
	[ "$(pg_sql "$DBN" 'SELECT version FROM iiot_schema')" -eq 1 ]
	run -0 iiot-archive query
	[ -z "$output" ]
	run -0 iiot-archive series
	[ -z "$output" ]
}

@test "iiot-archive-pg: round trip: records in, the same records out" {
	run -0 iiot-archive < "$FIX/records.in"
	diff "$FIX/records.in" <(printf '%s\n' "$output")
	run -0 iiot-archive query
	assert_output_file "$FIX/records.out"
	diff <(jq -c . "$FIX/records.in") <(iiot-archive query | jq -c .)
}

@test "iiot-archive-pg: numbers come back in their shortest exact form" {
	iiot-archive -q < "$FIX/nums.in"
	run -0 bash -c 'iiot-archive query | grep -o "\"value\":[^,}]*" | cut -d: -f2 | tr "\n" " "'
	[ "$output" = "0.001 -0.5 0 123456789012.5 999999999999.999 0.1 1.1 -12.345 1e-07 0.3333333333 100 -1000.01 " ]
}

@test "iiot-archive-pg: a generated plant reads back as from SQLite" {
	gen_stream 20000 > "$BATS_TEST_TMPDIR/in"
	iiot-archive -q --batch 3000 < "$BATS_TEST_TMPDIR/in"
	[ "$(rows)" -eq 20000 ]
	same_as_sqlite "$BATS_TEST_TMPDIR/in"
	same_as_sqlite "$BATS_TEST_TMPDIR/in" --last
	same_as_sqlite "$BATS_TEST_TMPDIR/in" --sensor 'temp1*' --source 'press[!3]'
	same_as_sqlite "$BATS_TEST_TMPDIR/in" -o csv --since 2026-11-29T12:00:05Z --until 2026-11-29T12:00:07Z
	diff <(iiot-archive series -d "$SQLITE_DB") <(iiot-archive series)
}

@test "iiot-archive-pg: a malformed record is skipped with a warning, exit 1" {
	{ head -2 "$FIX/records.in"; echo '{"ts":"x","sensor":"a","value":1}';
	  echo 'not json'; tail -1 "$FIX/records.in"; } > "$BATS_TEST_TMPDIR/bad.in"
	run -1 --separate-stderr iiot-archive < "$BATS_TEST_TMPDIR/bad.in"
	[[ "$stderr" == *"iiot-archive: line 3: "* ]]
	[[ "$stderr" == *"iiot-archive: line 4: "* ]]
	[ "$(echo "$output" | wc -l)" -eq 3 ]
	[ "$(rows)" -eq 3 ]
}

@test "iiot-archive-pg: a duplicate series and time keeps the last record" {
	iiot-archive -q < "$FIX/dup.in"
	run -0 iiot-archive query
	assert_output_file "$FIX/dup.out"
	# Across batches and runs too.
	iiot-archive -q --batch 1 < "$FIX/dup.in"
	iiot-archive -q < "$FIX/dup.in"
	run -0 iiot-archive query
	assert_output_file "$FIX/dup.out"
}

@test "iiot-archive-pg: new tags and fields never break an archive" {
	iiot-archive -q < "$FIX/dup.in"
	echo '{"ts":"2026-11-29T08:00:02Z","source":"p","sensor":"t","value":4,"unit":"degC","line":"L2","batch":17}' |
	    iiot-archive -q
	run -0 iiot-archive query --since 2026-11-29T08:00:01Z
	[ "${lines[1]}" = '{"ts":"2026-11-29T08:00:02.000Z","source":"p","sensor":"t","value":4,"unit":"degC","line":"L2","batch":17}' ]
	run -0 iiot-archive series
	[ "${#lines[@]}" -eq 2 ]
}

@test "iiot-archive-pg: query selects by sensor, source and tag globs and time" {
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

@test "iiot-archive-pg: --every --agg aggregates in SQL, every function" {
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
	for a in min max first last count delta; do
		same_as_sqlite "$FIX/agg.in" --every 20s --agg "$a"
	done
}

@test "iiot-archive-pg: --last gives the latest record of each series" {
	iiot-archive -q < "$FIX/agg.in"
	run -0 iiot-archive query --last
	[ "${lines[0]}" = '{"ts":"2026-11-29T08:01:50.000Z","source":"p1","sensor":"a","value":11,"unit":"V"}' ]
	[ "${lines[1]}" = '{"ts":"2026-11-29T08:01:55.000Z","source":"p2","sensor":"b","value":89}' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "iiot-archive-pg: query writes CSV, TSV and InfluxDB lines" {
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

@test "iiot-archive-pg: series lists each series with first, last and count" {
	iiot-archive -q < "$FIX/agg.in"
	run -0 iiot-archive series --source p1
	[ "$output" = '{"source":"p1","sensor":"a","unit":"V","first":"2026-11-29T08:00:00.000Z","last":"2026-11-29T08:01:50.000Z","count":12}' ]
}

@test "iiot-archive-pg: server restart mid-ingest: nothing lost, nothing twice" {
	gen_stream 6000 3 > "$BATS_TEST_TMPDIR/in"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive -q --batch 1000 --commit-interval 1h \
	    < "$BATS_TEST_TMPDIR/fifo" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$! status=0
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	# Two batches committed, a third one open when the server goes.
	head -2500 "$BATS_TEST_TMPDIR/in" >&4
	wait_for 20 has_rows 2000
	pg_stop_only
	# The writer waits for the server meanwhile: feed it in background.
	head -4000 "$BATS_TEST_TMPDIR/in" | tail -1500 >&4 &
	local feed=$!
	sleep 1
	pg_restart_only
	wait "$feed"
	tail -2000 "$BATS_TEST_TMPDIR/in" >&4
	exec 4>&-
	wait "$pid" || status=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$status" -eq 0 ]
	[ "$(rows)" -eq 6000 ]
	[ "$(pg_sql "$DBN" 'SELECT count(DISTINCT (series_id, ts)) FROM samples')" -eq 6000 ]
	same_as_sqlite "$BATS_TEST_TMPDIR/in"
}

@test "iiot-archive-pg: a server that is down is reported, exit 1" {
	run -0 iiot-archive -q < "$FIX/dup.in"
	pg_stop_only
	run -1 --separate-stderr iiot-archive -q --busy-timeout 1s < "$FIX/records.in"
	pg_restart_only
	[[ "$stderr" == *"iiot-archive: cannot open archive: '$IIOT_DB': "* ]]
}

@test "iiot-archive-pg: SIGTERM commits the open batch, then ends by the signal" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-archive --commit-interval 1h --batch 1000000 \
	    < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" &
	local pid=$! status=0
	exec 4> "$BATS_TEST_TMPDIR/fifo"
	gen_stream 3000 >&4
	wait_for 10 bash -c "[ \$(wc -l < '$BATS_TEST_TMPDIR/out') -eq 3000 ]"
	[ "$(rows)" -eq 0 ]
	kill -TERM "$pid"
	wait "$pid" || status=$?
	exec 4>&-
	[ "$status" -eq 143 ]
	[ "$(rows)" -eq 3000 ]
}

@test "iiot-archive-pg: writer and query through head -1 end quietly" {
	gen_stream 50000 > "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr bash -c 'iiot-archive < "$1" | head -1' _ "$BATS_TEST_TMPDIR/in"
	[[ "$output" == '{"ts":"2026-11-29T12:00:00.000Z",'* ]]
	[ -z "$stderr" ]
	has_rows 1
	iiot-archive -q < "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr bash -c 'iiot-archive query | head -1'
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
}

@test "iiot-archive-pg: two writers at once share the schema and the series" {
	gen_stream 4000 1 > "$BATS_TEST_TMPDIR/a"
	gen_stream 4000 2 | sed 's/"press/"line/' > "$BATS_TEST_TMPDIR/b"
	iiot-archive -q --batch 500 < "$BATS_TEST_TMPDIR/a" &
	local p1=$!
	iiot-archive -q --batch 500 < "$BATS_TEST_TMPDIR/b" &
	local p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(rows)" -eq 8000 ]
	# Series ids depend on who came first: compare as sets.
	cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" |
	    iiot-archive -q -d "$SQLITE_DB"
	diff <(iiot-archive query -d "$SQLITE_DB" | sort) \
	    <(iiot-archive query | sort)
}

@test "iiot-archive-pg: the password comes from PGPASSFILE, a wrong one fails" {
	run -0 iiot-archive -q < "$FIX/dup.in"
	echo "127.0.0.1:$PG_PORT:*:iiot:wrong" > "$BATS_TEST_TMPDIR/pgpass"
	chmod 0600 "$BATS_TEST_TMPDIR/pgpass"
	PGPASSFILE=$BATS_TEST_TMPDIR/pgpass run -1 --separate-stderr iiot-archive query
	[[ "$stderr" == *"iiot-archive: cannot open archive: '$IIOT_DB': cannot connect: "*"password authentication failed"* ]]
	PGPASSFILE=/nonexistent PGPASSWORD=secret-pw run -0 iiot-archive query
	assert_output_file "$FIX/dup.out"
}

@test "iiot-archive-pg: a password in the URL is refused, exit 2" {
	run -2 --separate-stderr iiot-archive query -d "postgresql://iiot:secret-pw@127.0.0.1:$PG_PORT/$DBN"
	[ "$stderr" = "iiot-archive: -d: a password in the URL shows on the command line: put it in PGPASSFILE or PGPASSWORD" ]
	run -2 --separate-stderr iiot-archive series -d "postgresql://127.0.0.1:$PG_PORT/$DBN?user=iiot&password=secret-pw"
	[[ "$stderr" != *secret-pw* ]]
}

@test "iiot-archive-pg: a database without the archive is an error for query" {
	run -1 --separate-stderr iiot-archive query
	[ "$stderr" = "iiot-archive: cannot open archive: '$IIOT_DB': no archive in this database (write to it first)" ]
	run -1 --separate-stderr iiot-archive series -d "$PG_URL_BASE/nosuchdb"
	[[ "$stderr" == *"cannot open archive: '$PG_URL_BASE/nosuchdb': cannot connect: "*'"nosuchdb" does not exist'* ]]
}

# days: 3 records an hour for 2 days from 2026-11-26T20:00Z, with
# numbers that must come back exact.
days() {
	local i t0=1795723200
	for i in $(seq 0 47); do
		printf '{"ts":%d,"source":"p","sensor":"t","value":%d.1,"unit":"degC"}\n' \
		    $((t0 + i * 3600)) "$i"
		printf '{"ts":%d,"source":"p","sensor":"u","value":%d,"quality":"bad"}\n' \
		    $((t0 + i * 3600 + 1)) "$i"
		printf '{"ts":%d,"source":"q","sensor":"t","value":1e-%d,"location":"x"}\n' \
		    $((t0 + i * 3600 + 2)) "$((i % 9 + 1))"
	done
}

@test "iiot-archive-pg: rotate makes the same daily files and manifest as on SQLite" {
	days > in
	iiot-archive -q < in
	iiot-archive -q -d s.db < in
	run -0 iiot-archive rotate -a days --before 2026-11-28T12:00:00Z
	run -0 iiot-archive rotate -d s.db -a sdays --before 2026-11-28T12:00:00Z
	[ "$(cut -d' ' -f1-3 days/MANIFEST)" = "$(cut -d' ' -f1-3 sdays/MANIFEST)" ]
	[ "$(cut -d' ' -f1-3 days/MANIFEST)" = "2026-11-26 2026/2026-11-26.db 12
2026-11-27 2026/2026-11-27.db 72" ]
	for d in 2026-11-26 2026-11-27; do
		diff <(iiot-archive query -d "days/2026/$d.db") \
		    <(iiot-archive query -d "sdays/2026/$d.db")
		diff <(iiot-archive series -d "days/2026/$d.db") \
		    <(iiot-archive series -d "sdays/2026/$d.db")
		# A day file is one self-contained file: no WAL.
		[ "$(sqlite3 "days/2026/$d.db" 'PRAGMA journal_mode')" = delete ]
	done
	# Again: nothing new, nothing changes; the server keeps everything.
	run -0 iiot-archive rotate -a days --before 2026-11-28T12:00:00Z
	[ "$(wc -l < days/MANIFEST)" -eq 2 ]
	[ "$(rows)" -eq 144 ]
	run -0 iiot-archive verify -v -a days
	[ "${lines[0]}" = "ok live: '$IIOT_DB': plain PostgreSQL tables" ]
	[ "${lines[-1]}" = "ok: 2 archived days, 84 rows, 0 problems" ]
}

@test "iiot-archive-pg: --retention deletes only archived days; late rows are kept and reported" {
	days > in
	iiot-archive -q < in
	run -0 iiot-archive rotate -a days --before 2026-11-28T00:00:00Z
	run -0 iiot-archive rotate -a days --retention 1d
	[ "$(rows)" -eq 60 ]
	[ "$(pg_sql "$DBN" 'SELECT min(ts) FROM samples')" -eq 1795824000000 ]
	# Late records for an archived, deleted day.
	head -3 in | sed 's/"value":[^,]*/"value":7/; s/1795723200/1795723260/' |
	    iiot-archive -q
	run -1 --separate-stderr iiot-archive rotate -a days
	[[ "$stderr" == *"2026-11-26: 3 rows arrived after it was archived: kept in '$IIOT_DB'"* ]]
	[ "$(rows)" -eq 63 ]
	# A day file changed since it was archived: the day is not deleted,
	# and verify says so.
	grep -q '^2026-11-28 ' days/MANIFEST
	sqlite3 days/2026/2026-11-28.db 'UPDATE samples SET value = 2'
	run -1 --separate-stderr iiot-archive rotate -a days --retention 0s
	[[ "$stderr" == *"2026-11-28: 'days/2026/2026-11-28.db' does not match the manifest: kept in '$IIOT_DB'"* ]]
	[ "$(pg_sql "$DBN" "SELECT count(*) FROM samples WHERE ts >= 1795824000000")" -eq 60 ]
	run -1 iiot-archive verify -a days
	[[ "$output" == *"FAIL 2026-11-28: 'days/2026/2026-11-28.db': SHA-256 differs from the manifest"* ]]
}

@test "iiot-archive-pg: verify reports a server that does not answer; backup is for files" {
	iiot-archive -q < "$FIX/dup.in"
	run -0 iiot-archive verify
	[ "$output" = "ok: 0 problems" ]
	run -1 --separate-stderr iiot-archive verify -d "$PG_URL_BASE/nosuchdb"
	[[ "${lines[0]}" == "FAIL live: '$PG_URL_BASE/nosuchdb': cannot connect: "*'"nosuchdb" does not exist'* ]]
	[ "${lines[-1]}" = "FAIL: 1 problems" ]
	[ "$stderr" = "iiot-archive: verify: 1 problems" ]
	run -1 --separate-stderr iiot-archive backup "$BATS_TEST_TMPDIR/x.db"
	[[ "$stderr" == *"backup works on SQLite files only (use pg_dump for PostgreSQL)"* ]]
}

@test "iiot-archive-pg: --replay paces records as recorded" {
	iiot-archive -q < "$FIX/dup.in"
	local t0=$(date +%s%N)
	run -0 iiot-archive query --replay --speed 2
	local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "${#lines[@]}" -eq 2 ]
	[ "$ms" -ge 450 ]
}
