# SPDX-License-Identifier: MIT
# iiot-publish.bats: publishing records to a real mosquitto broker.
load test_helper
load mqtt_helper
bats_require_minimum_version 1.5.0

teardown() {
	stop_pid "${PUB_PID:-}" || true
	stop_pid "${SUB_PID:-}" || true
	stop_mosquitto || true
}

# sub_start N TOPIC...: mosquitto_sub prints N messages "topic payload"
# into $BATS_TEST_TMPDIR/sub.out; waits until it is subscribed.
sub_start() {
	local n=$1
	shift
	local t args=()
	for t in "$@"; do args+=(-t "$t"); done
	mosquitto_sub -p "$MQTT_PORT" -q 1 -v -C "$n" -W 30 "${args[@]}" \
	    > "$BATS_TEST_TMPDIR/sub.out" 2>&1 3>&- &
	SUB_PID=$!
	# A retained probe proves the subscription is in place.
	mosquitto_pub -p "$MQTT_PORT" -t "probe/$$" -r -m x
	mosquitto_sub -p "$MQTT_PORT" -t "probe/$$" -C 1 -W 5 >/dev/null
	sleep 0.2
}

@test "iiot-publish: --help prints the usage on stdout" {
	run -0 iiot-publish --help
	[[ "$output" == usage:\ iiot-publish* ]]
	[[ "$output" == *--queue-max* ]]
}

@test "iiot-publish: --version names libmosquitto and sqlite" {
	run -0 iiot-publish --version
	[[ "$output" == *libmosquitto* ]]
	[[ "$output" == *sqlite* ]]
}

@test "iiot-publish: usage synopsis matches the man page, which is clean" {
	check_synopsis iiot-publish
	mandoc -Tlint -W warning "$TOP/man/iiot-publish.1"
}

@test "iiot-publish: a bad option is a usage error" {
	run -2 --separate-stderr iiot-publish --bogus mqtt://127.0.0.1
	[[ "$stderr" == *"Try 'iiot-publish --help'"* ]]
	run -2 --separate-stderr iiot-publish
	[[ "$stderr" == *"no broker URL"* ]]
	run -2 --separate-stderr iiot-publish --qos 3 mqtt://127.0.0.1
	run -2 --separate-stderr iiot-publish --topic 'a/{b' mqtt://127.0.0.1
	[[ "$stderr" == *"invalid topic template"* ]]
	run -2 --separate-stderr iiot-publish --cafile x mqtt://127.0.0.1
	[[ "$stderr" == *"mqtts://"* ]]
	run -2 --separate-stderr iiot-publish --cafile "$BATS_TEST_TMPDIR/no" \
	    mqtts://127.0.0.1 < /dev/null
	[ "$stderr" = "iiot-publish: cannot read TLS file '$BATS_TEST_TMPDIR/no': No such file or directory" ]
}

@test "iiot-publish: a password in the URL is refused" {
	run -2 --separate-stderr iiot-publish mqtt://alice:secret@127.0.0.1
	[[ "$stderr" == *"password does not belong in a URL"* ]]
}

@test "iiot-publish: topics from record fields, payloads as read" {
	start_mosquitto
	sub_start 3 'plant/#'
	run -0 --separate-stderr iiot-publish \
	    --topic 'plant/{location}/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT" < "$(fixture iiot-publish records.in)"
	wait "$SUB_PID"
	SUB_PID=
	assert_same "$(fixture iiot-publish records.out)" \
	    "$BATS_TEST_TMPDIR/sub.out"
}

@test "iiot-publish: the topic can come from the URL, the payload be the value" {
	start_mosquitto
	sub_start 3 'v/#'
	run -0 iiot-publish --payload value --qos 0 \
	    "mqtt://127.0.0.1:$MQTT_PORT/v/{source}/{sensor}" \
	    < "$(fixture iiot-publish records.in)"
	wait "$SUB_PID"
	SUB_PID=
	printf '%s\n' 'v/press1/oil_temp 61.4' 'v/press1/motor_on 1' \
	    'v/press2/pressure 180' > "$BATS_TEST_TMPDIR/expected"
	assert_same "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/sub.out"
}

@test "iiot-publish: QoS 2 delivers every record once" {
	start_mosquitto
	sub_start 40 'q2/#'
	seq_records 40 | iiot-publish --qos 2 -t 'q2/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT"
	wait "$SUB_PID"
	SUB_PID=
	sed 's/.*"value":\([0-9]*\)}.*/\1/' "$BATS_TEST_TMPDIR/sub.out" \
	    > "$BATS_TEST_TMPDIR/got"
	seq 1 40 > "$BATS_TEST_TMPDIR/want"
	assert_same "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "iiot-publish: malformed records are skipped with a warning, exit 1" {
	start_mosquitto
	sub_start 2 'iiot/#'
	printf '%s\n' '{"source":"a","sensor":"x","value":1}' 'not json' \
	    '{"sensor":"nosource","value":2}' \
	    '{"source":"a","sensor":"y","value":3}' > "$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr iiot-publish "mqtt://127.0.0.1:$MQTT_PORT" \
	    < "$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"iiot-publish: line 2: not valid JSON"* ]]
	[[ "$stderr" == *"line 3: no field 'source' for the topic"* ]]
	wait "$SUB_PID"
	SUB_PID=
	printf '%s\n' 'iiot/a/x {"source":"a","sensor":"x","value":1}' \
	    'iiot/a/y {"source":"a","sensor":"y","value":3}' \
	    > "$BATS_TEST_TMPDIR/expected"
	assert_same "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/sub.out"
}

@test "iiot-publish: empty input publishes nothing and exits 0" {
	start_mosquitto
	run -0 --separate-stderr iiot-publish "mqtt://127.0.0.1:$MQTT_PORT" \
	    < /dev/null
	[ -z "$stderr" ]
}

@test "iiot-publish: --retain keeps the last record for late subscribers" {
	start_mosquitto
	run -0 iiot-publish --retain "mqtt://127.0.0.1:$MQTT_PORT" \
	    < "$(fixture iiot-publish records.in)"
	run -0 mosquitto_sub -p "$MQTT_PORT" -t iiot/press2/pressure -C 1 -W 5
	[[ "$output" == *'"value":180'* ]]
}

@test "iiot-publish: --status-topic: online while running, offline by will" {
	start_mosquitto
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-publish --status-topic edge/status \
	    "mqtt://127.0.0.1:$MQTT_PORT" < "$BATS_TEST_TMPDIR/fifo" 3>&- &
	PUB_PID=$!
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	run -0 mosquitto_sub -p "$MQTT_PORT" -t edge/status -C 1 -W 5
	[ "$output" = online ]
	# Killed without a word: the broker publishes the last will.
	kill -KILL "$PUB_PID"
	wait "$PUB_PID" || true
	PUB_PID=
	exec 7>&-
	wait_for 5 sh -c "mosquitto_sub -p $MQTT_PORT -t edge/status -C 1 \
	    -W 1 | grep -qx offline"
}

@test "iiot-publish: a clean exit sets the status to offline" {
	start_mosquitto
	run -0 iiot-publish --status-topic edge/status \
	    "mqtt://127.0.0.1:$MQTT_PORT" < "$(fixture iiot-publish records.in)"
	run -0 mosquitto_sub -p "$MQTT_PORT" -t edge/status -C 1 -W 5
	[ "$output" = offline ]
}

@test "iiot-publish: the broker down for seconds loses nothing" {
	MQTT_PORT=$(free_port)
	start_broker
	# A subscriber's persistent session, kept by the broker.
	mosquitto_sub -p "$MQTT_PORT" -c -i keeper -q 1 -t 'seq/#' -C 1 \
	    -W 1 || true
	stop_mosquitto || true
	seq_records 60 | while read -r l; do echo "$l"; sleep 0.05; done |
	    iiot-publish -v --qos 1 --queue "$BATS_TEST_TMPDIR/q.db" \
	    -t 'seq/{source}/{sensor}' "mqtt://127.0.0.1:$MQTT_PORT" \
	    2> "$BATS_TEST_TMPDIR/pub.err" 3>&- &
	PUB_PID=$!
	wait_grep 10 "$BATS_TEST_TMPDIR/pub.err" "cannot reach broker"
	sleep 2
	start_broker
	wait "$PUB_PID"
	PUB_PID=
	run -0 mosquitto_sub -p "$MQTT_PORT" -c -i keeper -q 1 \
	    -t 'seq/#' -C 60 -W 10
	# At least once: every record arrives; a resend may repeat one.
	printf '%s\n' "$output" | sed 's/.*"value":\([0-9]*\)}.*/\1/' |
	    sort -n | uniq > "$BATS_TEST_TMPDIR/got"
	seq 1 60 > "$BATS_TEST_TMPDIR/want"
	assert_same "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	grep -q "records are queued" "$BATS_TEST_TMPDIR/pub.err"
	grep -q "connected to '127.0.0.1:$MQTT_PORT' again" \
	    "$BATS_TEST_TMPDIR/pub.err"
}

@test "iiot-publish: a restart resends what the queue kept" {
	MQTT_PORT=$(free_port)
	run -1 --separate-stderr iiot-publish -W 1 \
	    --queue "$BATS_TEST_TMPDIR/q.db" "mqtt://127.0.0.1:$MQTT_PORT" \
	    < "$(fixture iiot-publish records.in)"
	[[ "$stderr" == *"3 records left in queue"* ]]
	start_mosquitto
	sub_start 3 'iiot/#'
	run -0 iiot-publish --queue "$BATS_TEST_TMPDIR/q.db" \
	    "mqtt://127.0.0.1:$MQTT_PORT" < /dev/null
	wait "$SUB_PID"
	SUB_PID=
	[ "$(lines "$BATS_TEST_TMPDIR/sub.out")" -eq 3 ]
	grep -q '^iiot/press2/pressure ' "$BATS_TEST_TMPDIR/sub.out"
	run sqlite3 "$BATS_TEST_TMPDIR/q.db" 'SELECT count(*) FROM queue'
	[ "$output" = 0 ]
}

@test "iiot-publish: a full queue drops new records and says how many" {
	MQTT_PORT=$(free_port)
	run -1 --separate-stderr iiot-publish -W 0 --queue-max 2 \
	    "mqtt://127.0.0.1:$MQTT_PORT" < "$(fixture iiot-publish records.in)"
	[[ "$stderr" == *"queue full (2 records)"* ]]
	[[ "$stderr" == *"1 records dropped: the queue was full"* ]]
	[[ "$stderr" == *"2 records not sent"* ]]
}

@test "iiot-publish: TLS with a password reaches a secure broker" {
	start_secure_broker
	run -0 --separate-stderr iiot-publish --retain \
	    --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    --password-file "$BATS_TEST_TMPDIR/alice.pw" \
	    "mqtts://alice@localhost:$MQTT_PORT" \
	    < "$(fixture iiot-publish records.in)"
	run -0 env XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/alice" mosquitto_sub \
	    -p "$MQTT_PORT" --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    -t iiot/press1/oil_temp -C 1 -W 5
	[[ "$output" == *'"value":61.4'* ]]
}

@test "iiot-publish: a wrong password is refused with exit 1" {
	start_secure_broker
	IIOT_MQTT_PASSWORD=wrong run -1 --separate-stderr iiot-publish \
	    --cafile "$BATS_TEST_TMPDIR/tls/ca.crt" \
	    "mqtts://alice@localhost:$MQTT_PORT" \
	    < "$(fixture iiot-publish records.in)"
	[[ "$stderr" == *"cannot connect to 'localhost:$MQTT_PORT': refused: not authorized"* ]]
}

@test "iiot-publish: an untrusted certificate is refused with exit 1" {
	start_secure_broker
	IIOT_MQTT_PASSWORD=secret run -1 --separate-stderr iiot-publish \
	    --cafile "$BATS_TEST_TMPDIR/tls/other.crt" \
	    "mqtts://alice@127.0.0.1:$MQTT_PORT" \
	    < "$(fixture iiot-publish records.in)"
	[[ "$stderr" == *"certificate verify failed"* ]]
}

@test "iiot-publish: a password file others can read is refused" {
	printf 'secret\n' > "$BATS_TEST_TMPDIR/pw"
	chmod 644 "$BATS_TEST_TMPDIR/pw"
	run -2 --separate-stderr iiot-publish --password-file \
	    "$BATS_TEST_TMPDIR/pw" mqtt://alice@127.0.0.1:1 < /dev/null
	[[ "$stderr" == *"other users can read it"* ]]
}

@test "iiot-publish: SIGTERM keeps unsent records in the queue" {
	MQTT_PORT=$(free_port)
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-publish -vv --queue "$BATS_TEST_TMPDIR/q.db" \
	    "mqtt://127.0.0.1:$MQTT_PORT" < "$BATS_TEST_TMPDIR/fifo" \
	    2> "$BATS_TEST_TMPDIR/err" 3>&- &
	PUB_PID=$!
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	cat "$(fixture iiot-publish records.in)" >&7
	wait_grep 10 "$BATS_TEST_TMPDIR/err" "3 records queued"
	kill -TERM "$PUB_PID"
	rc=0
	wait "$PUB_PID" || rc=$?
	PUB_PID=
	exec 7>&-
	[ "$rc" -eq 143 ]
	run sqlite3 "$BATS_TEST_TMPDIR/q.db" 'SELECT count(*) FROM queue'
	[ "$output" = 3 ]
	grep -q "3 records left in queue" "$BATS_TEST_TMPDIR/err"
}
