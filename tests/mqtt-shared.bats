#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# mqtt-shared.bats: central consumers on an MQTT shared subscription
# ($share/GROUP/filter, mosquitto 2.0) split one stream; archived into
# one PostgreSQL database, every record is there exactly once.
load test_helper
load mqtt_helper
load pg_helper
bats_require_minimum_version 1.5.0

setup_file() {
	pg_start
}

teardown_file() {
	pg_stop
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		stop_pid "$p" || true
	done
	stop_mosquitto || true
}

# consumer N [ARGS...]: iiot-read on the shared subscription, records
# in cN.out (or into ARGS' archive through a pipe), diagnostics in cN.err;
# waits until it is connected.
consumer() {
	local n=$1
	shift
	iiot-read -v --qos 1 -t '$share/g1/plant/#' \
	    --topic-format 'plant/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT" > "c$n.out" 2> "c$n.err" 3>&- &
	PIDS+=($!)
	wait_grep 10 "c$n.err" "connected to"
}

# archiver N: consumer N piped into iiot-archive on $IIOT_DB.
archiver() {
	local n=$1
	mkfifo "c$n.fifo"
	iiot-archive -q -d "$IIOT_DB" < "c$n.fifo" 2> "a$n.err" 3>&- &
	PIDS+=($!)
	iiot-read -v --qos 1 -t '$share/g1/plant/#' \
	    --topic-format 'plant/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT" > "c$n.fifo" 2> "c$n.err" 3>&- &
	PIDS+=($!)
	wait_grep 10 "c$n.err" "connected to"
}

# publish FILE: the records of FILE to plant/SOURCE/SENSOR, QoS 1.
publish() {
	iiot-publish -q --qos 1 -t 'plant/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT" < "$1"
}

rows() {
	pg_sql "$DBN" 'SELECT count(*) FROM samples' 2>/dev/null
}

# has_rows N: exactly N samples in the database.
has_rows() {
	[ "$(rows)" = "$1" ]
}

@test "mqtt-shared: two consumers of \$share/g1 split one stream, each record once" {
	start_mosquitto
	consumer 1
	consumer 2
	sleep 0.3
	gen_stream 2000 > in
	publish in
	wait_for 20 bash -c '[ $(cat c1.out c2.out | wc -l) -ge 2000 ]'
	sleep 0.3
	# Both had a share; together exactly the stream.
	[ "$(wc -l < c1.out)" -gt 0 ]
	[ "$(wc -l < c2.out)" -gt 0 ]
	diff <(sort in) <(cat c1.out c2.out | sort)
}

@test "mqtt-shared: --topic-format reads the real topic, not the \$share prefix" {
	start_mosquitto
	consumer 1
	sleep 0.3
	mosquitto_pub -p "$MQTT_PORT" -q 1 -t plant/press9/oil_temp -m 61.4
	wait_for 10 grep -q oil_temp c1.out
	[[ "$(cat c1.out)" == *'"source":"press9","sensor":"oil_temp","value":61.4}' ]]
}

@test "mqtt-shared: two archivers on one PostgreSQL database store each record once" {
	DBN=shared1
	IIOT_DB=$(pg_newdb "$DBN")
	start_mosquitto
	archiver 1
	archiver 2
	sleep 0.3
	gen_stream 3000 7 > in
	publish in
	wait_for 30 has_rows 3000
	# The same stream again (as a QoS 1 redelivery would): the key
	# (series, time) keeps one of each.
	publish in
	sleep 2
	[ "$(rows)" -eq 3000 ]
	[ "$(pg_sql "$DBN" 'SELECT count(DISTINCT (series_id, ts)) FROM samples')" -eq 3000 ]
	iiot-archive -q -d "$BATS_TEST_TMPDIR/a.db" < in
	diff <(iiot-archive query -d "$BATS_TEST_TMPDIR/a.db" | sort) \
	    <(iiot-archive query -d "$IIOT_DB" | sort)
	[ ! -s a1.err ]
	[ ! -s a2.err ]
}
