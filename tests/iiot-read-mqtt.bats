# SPDX-License-Identifier: MIT
# iiot-read-mqtt.bats: iiot-read subscribed to a real mosquitto broker.
load test_helper
load mqtt_helper
bats_require_minimum_version 1.5.0

teardown() {
	stop_pid "${READ_PID:-}" || true
	stop_pid "${PUB_PID:-}" || true
	stop_mosquitto || true
}

# read_start ARGS...: iiot-read -v ARGS in the background, records in
# $BATS_TEST_TMPDIR/out, diagnostics in err; waits until subscribed.
read_start() {
	iiot-read -v "$@" > "$BATS_TEST_TMPDIR/out" \
	    2> "$BATS_TEST_TMPDIR/err" 3>&- &
	READ_PID=$!
	wait_grep 10 "$BATS_TEST_TMPDIR/err" "connected to"
	sleep 0.2
}

# read_wait: wait for iiot-read to exit; its status in $rc.
read_wait() {
	rc=0
	wait "$READ_PID" || rc=$?
	READ_PID=
}

pub() {
	mosquitto_pub -p "$MQTT_PORT" -q 1 "$@"
}

@test "iiot-read: MQTT: payloads of every kind become records" {
	start_mosquitto
	read_start -c 6 --topic-format 'plant/{location}/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT/plant/#"
	pub -t plant/hall-A/press1/oil_temp -m 61.4
	pub -t plant/hall-A/press1/motor_on -m ON
	pub -t plant/hall-A/press1/motor_on -m false
	pub -t plant/hall-A/press1/pressure -m '{"value":180,"unit":"bar"}'
	pub -t plant/hall-B/press2/oil_temp -m \
	    '{"ts":"2026-11-29T15:17:45.123Z","source":"press2","sensor":"oil_temp","value":58}'
	pub -t plant/hall-B/press2/vibration -m \
	    '{"ts":1764429465.5,"value":2.5}'
	read_wait
	[ "$rc" -eq 0 ]
	jq -c 'del(.ts)' "$BATS_TEST_TMPDIR/out" > "$BATS_TEST_TMPDIR/got"
	assert_same "$(fixture iiot-read mqtt-kinds.out)" "$BATS_TEST_TMPDIR/got"
	# The time comes from the payload when it has one.
	sed -n 5p "$BATS_TEST_TMPDIR/out" | grep -q '"ts":"2026-11-29T15:17:45.123Z"'
	sed -n 6p "$BATS_TEST_TMPDIR/out" | grep -q '"ts":"2025-11-29T15:17:45.500Z"'
	# Otherwise the receive time, in the suite's form.
	sed -n 1p "$BATS_TEST_TMPDIR/out" |
	    grep -Eq '"ts":"20[0-9-]+T[0-9:]+\.[0-9]{3}Z"'
}

@test "iiot-read: MQTT: without --topic-format, the last levels name the series" {
	start_mosquitto
	read_start -c 1 -t 'a/#' "mqtt://127.0.0.1:$MQTT_PORT"
	pub -t a/b/press1/oil_temp -m 1
	read_wait
	[ "$rc" -eq 0 ]
	run jq -c 'del(.ts)' "$BATS_TEST_TMPDIR/out"
	[ "$output" = '{"source":"press1","sensor":"oil_temp","value":1}' ]
}

@test "iiot-read: MQTT: a shared subscription in the URL, -C to stop" {
	start_mosquitto
	read_start -C 2 "mqtt://127.0.0.1:$MQTT_PORT/\$share/g1/plant/#"
	pub -t plant/press1/oil_temp -m 1
	pub -t plant/press2/oil_temp -m 2
	read_wait
	[ "$rc" -eq 0 ]
	run jq -c 'del(.ts)' "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = '{"source":"press1","sensor":"oil_temp","value":1}' ]
	[ "${lines[1]}" = '{"source":"press2","sensor":"oil_temp","value":2}' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "iiot-read: MQTT: several filters with wildcards" {
	start_mosquitto
	read_start -c 3 -t 'x/+/t' -t 'y/#' --qos 2 \
	    "mqtt://127.0.0.1:$MQTT_PORT"
	pub -t x/s1/t -m 1
	pub -t x/s1/u -m 99
	pub -t z/s1/t -m 98
	pub -t y/s2/deep/t -m 2
	pub -t x/s3/t -m 3
	read_wait
	[ "$rc" -eq 0 ]
	run jq -c '.value' "$BATS_TEST_TMPDIR/out"
	[ "$output" = "$(printf '1\n2\n3')" ]
}

@test "iiot-read: MQTT: an undecodable payload is named, skipped, exit 1" {
	start_mosquitto
	read_start -c 2 -t 't/#' "mqtt://127.0.0.1:$MQTT_PORT"
	pub -t t/a/x -m 1
	pub -t t/a/bad -m 'hello world'
	pub -t t/a/bad2 -m '{"value":"high"}'
	pub -t t/a/y -m 2
	read_wait
	[ "$rc" -eq 1 ]
	[ "$(lines "$BATS_TEST_TMPDIR/out")" -eq 2 ]
	grep -q "iiot-read: cannot decode payload on topic 't/a/bad': not a record, a number or a boolean" \
	    "$BATS_TEST_TMPDIR/err"
	grep -q "topic 't/a/bad2': no numeric \"value\"" "$BATS_TEST_TMPDIR/err"
}

@test "iiot-read: MQTT: -W ends the run when nothing arrives" {
	start_mosquitto
	run -0 --separate-stderr iiot-read -W 0.5s -t 'nothing/#' \
	    "mqtt://127.0.0.1:$MQTT_PORT"
	[ -z "$output" ]
}

@test "iiot-read: MQTT: usage errors exit 2" {
	run -2 --separate-stderr iiot-read --session mqtt://127.0.0.1:1/x
	[[ "$stderr" == *"--session needs --client-id"* ]]
	run -2 --separate-stderr iiot-read --qos 7 mqtt://127.0.0.1:1/x
	run -2 --separate-stderr iiot-read mqtt://a:b@127.0.0.1:1/x
	[[ "$stderr" == *"password does not belong in a URL"* ]]
	run -2 --separate-stderr iiot-read --cafile x mqtt://127.0.0.1:1/x
	run -2 --separate-stderr iiot-read --topic-format 'a/{' \
	    mqtt://127.0.0.1:1/x
	run -2 --separate-stderr iiot-read mqtt://127.0.0.1:1/x \
	    mqtt://127.0.0.1:2/y
	run -2 --separate-stderr iiot-read --cafile "$BATS_TEST_TMPDIR/no.crt" \
	    mqtts://127.0.0.1:1/x
	[ "$stderr" = "iiot-read: cannot read TLS file '$BATS_TEST_TMPDIR/no.crt': No such file or directory" ]
}

@test "iiot-read: MQTT: a persistent session gets what came while it was away" {
	MQTT_PORT=$(free_port)
	start_broker
	read_start --client-id reader1 --session -t 's/#' \
	    "mqtt://127.0.0.1:$MQTT_PORT"
	stop_pid "$READ_PID" || true
	READ_PID=
	pub -t s/p/x -m 1
	pub -t s/p/x -m 2
	run -0 --separate-stderr iiot-read -c 2 --client-id reader1 \
	    --session -t 's/#' "mqtt://127.0.0.1:$MQTT_PORT"
	[ "$(printf '%s\n' "$output" | jq -c .value | tr '\n' ' ')" = "1 2 " ]
}

@test "iiot-read: MQTT: a broker restart mid-stream loses nothing (at least once)" {
	MQTT_PORT=$(free_port)
	start_broker
	read_start --client-id central --session --qos 1 -t 'seq/#' \
	    "mqtt://127.0.0.1:$MQTT_PORT"
	seq_records 150 | while read -r l; do echo "$l"; sleep 0.01; done |
	    iiot-publish --qos 1 -t 'seq/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT" 2> "$BATS_TEST_TMPDIR/pub.err" 3>&- &
	PUB_PID=$!
	wait_lines 10 "$BATS_TEST_TMPDIR/out" 30
	stop_mosquitto || true
	sleep 1
	start_broker
	wait "$PUB_PID"
	PUB_PID=
	wait_for 30 sh -c "jq .value '$BATS_TEST_TMPDIR/out' | sort -nu |
	    wc -l | grep -qx 150"
	jq .value "$BATS_TEST_TMPDIR/out" | sort -nu > "$BATS_TEST_TMPDIR/got"
	seq 1 150 > "$BATS_TEST_TMPDIR/want"
	assert_same "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	dups=$(( $(lines "$BATS_TEST_TMPDIR/out") - 150 ))
	echo "# duplicates after the restart: $dups" >&3
	grep -q "connected to '127.0.0.1:$MQTT_PORT' again" \
	    "$BATS_TEST_TMPDIR/err"
}

@test "iiot-read: MQTT: TLS and a password file" {
	start_secure_broker
	read_start -c 1 --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    --password-file "$BATS_TEST_TMPDIR/alice.pw" \
	    "mqtts://alice@localhost:$MQTT_PORT/t/#"
	XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/alice mosquitto_pub -p "$MQTT_PORT" \
	    --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" -t t/p/s -m 5
	read_wait
	[ "$rc" -eq 0 ]
	run jq -c .value "$BATS_TEST_TMPDIR/out"
	[ "$output" = 5 ]
}

@test "iiot-read: MQTT: a wrong password exits 1 with a clear message" {
	start_secure_broker
	IIOT_MQTT_PASSWORD=wrong run -1 --separate-stderr iiot-read \
	    --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    "mqtts://alice@localhost:$MQTT_PORT/t/#"
	[ "$stderr" = "iiot-read: cannot connect to 'localhost:$MQTT_PORT': refused: not authorized (check the user name and password)" ]
}

@test "iiot-read: MQTT: an untrusted certificate exits 1 with a clear message" {
	start_secure_broker
	IIOT_MQTT_PASSWORD=secret run -1 --separate-stderr iiot-read \
	    --cafile "$BATS_TEST_TMPDIR/tls/other.crt" \
	    "mqtts://alice@localhost:$MQTT_PORT/t/#"
	[[ "$stderr" == *"TLS: certificate verify failed"* ]]
}

@test "iiot-read: MQTT: --insecure skips the host name check only" {
	start_secure_broker
	# The certificate names localhost, not 127.0.0.1.
	IIOT_MQTT_PASSWORD=secret run -1 --separate-stderr iiot-read -W 1 \
	    --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    "mqtts://alice@127.0.0.1:$MQTT_PORT/t/#"
	[[ "$stderr" == *"certificate verify failed"* ]]
	IIOT_MQTT_PASSWORD=secret run -0 --separate-stderr iiot-read -W 1 \
	    --insecure --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    "mqtts://alice@127.0.0.1:$MQTT_PORT/t/#"
}

@test "iiot-read: MQTT: a password file others can read is refused" {
	printf 'secret\n' > "$BATS_TEST_TMPDIR/pw"
	chmod 644 "$BATS_TEST_TMPDIR/pw"
	run -2 --separate-stderr iiot-read --password-file \
	    "$BATS_TEST_TMPDIR/pw" mqtt://alice@127.0.0.1:1/t
	[[ "$stderr" == *"other users can read it (chmod 600)"* ]]
}

@test "iiot-read: MQTT: | head -1 ends quietly" {
	start_mosquitto
	mosquitto_pub -p "$MQTT_PORT" -r -t r/p/a -m 1
	mosquitto_pub -p "$MQTT_PORT" -r -t r/p/b -m 2
	run -0 --separate-stderr timeout 20 bash -c "iiot-read -t 'r/#' \
	    mqtt://127.0.0.1:$MQTT_PORT | head -1"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[ -z "$stderr" ]
}

@test "iiot-read: MQTT: SIGTERM flushes what was received" {
	start_mosquitto
	read_start -t 'f/#' "mqtt://127.0.0.1:$MQTT_PORT"
	pub -t f/p/a -m 1
	pub -t f/p/b -m 2
	wait_lines 5 "$BATS_TEST_TMPDIR/out" 2
	kill -TERM "$READ_PID"
	read_wait
	[ "$rc" -eq 143 ]
	[ "$(lines "$BATS_TEST_TMPDIR/out")" -eq 2 ]
}

@test "iiot-read: MQTT: an unreachable broker is reported and retried" {
	MQTT_PORT=$(free_port)
	run -0 --separate-stderr iiot-read -W 1 "mqtt://127.0.0.1:$MQTT_PORT/t"
	[[ "$stderr" == *"cannot reach broker '127.0.0.1:$MQTT_PORT': Connection refused"* ]]
}
