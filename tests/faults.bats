#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# faults.bats: fault injection with real processes: Modbus servers that
# stop, hang, answer exceptions or garbage, a network cut by a proxy; a
# broker killed under a stream; archives deleted, made read-only, filled
# up, shared; alarm actions that hang, crash or flood; pipes that stall or
# break; SIGTERM at any moment.  The rules: the stream goes on, failures
# are reported, nothing is lost without a count, state stays sound.

load test_helper
load iiot-sim_helper
load faults_helper
bats_require_minimum_version 1.5.0

teardown() {
	local p
	for p in ${PIDS[@]+"${PIDS[@]}"}; do
		stop_pid "$p" || true
	done
	for p in ${GROUPS_[@]+"${GROUPS_[@]}"}; do
		stop_group "$p"
	done
	stop_sim
	stop_mosquitto || true
	exec 4>&- 5>&- 2>/dev/null || true
}

T() { echo "$BATS_TEST_TMPDIR/$1"; }

# --- Modbus ----------------------------------------------------------

@test "faults: modbus: a healthy device keeps its cadence beside garbage, silence and exceptions" {
	start_sim -A
	local g h
	g=$(free_port)
	h=$(free_port)
	GROUPS_=("$(socat_server "$g" 'head -c 100 /dev/urandom')"
	    "$(socat_server "$h" 'sleep 1000')")
	wait_port "$g" 5
	wait_port "$h" 5
	cat > "$(T m.map)" <<-EOF
	[device good]
	url = modbus-tcp://127.0.0.1:$SIM_PORT
	good motor_on coil 0 bool
	[device garbage]
	url = modbus-tcp://127.0.0.1:$g
	timeout = 500ms
	garbage x holding 0 uint16
	[device silent]
	url = modbus-tcp://127.0.0.1:$h
	timeout = 500ms
	silent x holding 0 uint16
	[device nounit]
	url = modbus-tcp://127.0.0.1:$SIM_PORT
	unit = 9
	nounit x holding 0 uint16
	EOF
	SECONDS=0
	run -1 --separate-stderr iiot-read -m "$(T m.map)" -i 200ms -c 15
	# 15 cycles of 200 ms: about 3 s; each bad device costs < 1 s.
	[ "$SECONDS" -le 8 ]
	[ "$(grep -c '"source":"good"' <<< "$output")" -eq 15 ]
	! grep -q '"source":"\(garbage\|silent\|nounit\)"' <<< "$output"
	[[ "$stderr" == *"'modbus-tcp://127.0.0.1:$g/1/hr/0'"* ]]
	[[ "$stderr" == *"'modbus-tcp://127.0.0.1:$h/1/hr/0': Connection timed out"* ]]
	[[ "$stderr" == *"'modbus-tcp://127.0.0.1:$SIM_PORT/9/hr/0'"* ]]
	[[ "$stderr" == *"reads failed"* ]]
}

@test "faults: modbus: a network paused then cut by a proxy: cadence kept, reported, recovered" {
	start_sim -A
	local p out err
	p=$(free_port)
	out=$(T out)
	err=$(T err)
	GROUPS_=("$(proxy "$p" "$SIM_PORT")")
	wait_port "$p" 5
	cat > "$(T p.map)" <<-EOF
	[device good]
	url = modbus-tcp://127.0.0.1:$SIM_PORT
	good motor_on coil 0 bool
	[device net]
	url = modbus-tcp://127.0.0.1:$p
	timeout = 500ms
	net motor_on coil 0 bool
	EOF
	iiot-read -m "$(T p.map)" -i 200ms > "$out" 2> "$err" &
	PIDS=($!)
	wait_for 10 grep -q '"source":"net"' "$out"
	# The network hangs: the proxy stops (SIGSTOP), both directions.
	kill -STOP -- "-${GROUPS_[0]}"
	local t1 t2 t3 t4
	t1=$(date -u -d '+1 sec' +%T)
	wait_for 10 grep -q "'modbus-tcp://127.0.0.1:$p/1/co/0': Connection timed out" "$err"
	sleep 2
	t2=$(date -u -d '-1 sec' +%T)
	kill -CONT -- "-${GROUPS_[0]}"
	wait_for 20 grep -q "reading 'modbus-tcp://127.0.0.1:$p' again" "$err"
	# The network is cut: the proxy dies, connections are reset.
	stop_group "${GROUPS_[0]}"
	t3=$(date -u -d '+1 sec' +%T)
	sleep 2
	t4=$(date -u -d '-1 sec' +%T)
	n=$(grep -c '"source":"net"' "$out")
	GROUPS_=("$(proxy "$p" "$SIM_PORT")")
	wait_for 20 bash -c "[ \$(grep -c '\"source\":\"net\"' '$out') -gt $n ]"
	kill -0 "${PIDS[0]}"
	# 5 records a second nominal; at least 3 in each second of a fault.
	local a b
	a=$(count_between good "$out" "$t1" "$t2")
	b=$(count_between good "$out" "$t3" "$t4")
	echo "# good records: $a while paused ($t1..$t2), $b while cut ($t3..$t4)" >&3
	[ "$a" -ge 3 ]
	[ "$b" -ge 3 ]
	[ "$(grep -c "reading 'modbus-tcp://127.0.0.1:$p' again" "$err")" -ge 2 ]
}

@test "faults: modbus: the server stopped and restarted, the reader carries on" {
	start_sim -A
	local port=$SIM_PORT out err
	out=$(T out)
	err=$(T err)
	iiot-read -i 100ms --emit-errors "modbus-tcp://127.0.0.1:$port/1/coil/0" \
	    > "$out" 2> "$err" &
	PIDS=($!)
	wait_for 10 test -s "$out"
	stop_sim
	wait_for 10 grep -q '"quality":"bad"' "$out"
	start_sim_on "$port" -A
	wait_for 20 grep -q "reading 'modbus-tcp://127.0.0.1:$port' again" "$err"
	n=$(wc -l < "$out")
	wait_for 10 bash -c "[ \$(wc -l < '$out') -gt $((n + 3)) ]"
	[ "$(tail -1 "$out" | jq -r '.quality // "good"')" = good ]
}

# --- MQTT ------------------------------------------------------------

# broker_conf FILE PORT DIR: a broker that keeps sessions on disk and
# queues without limit for a persistent session.
broker_conf() {
	# As root, mosquitto would switch to its own user, which cannot
	# write here: it stays who we are.
	printf '%s\n' "listener $2 127.0.0.1" "allow_anonymous true" \
	    "persistence true" "persistence_location $3/" \
	    "max_queued_messages 0" "user $(id -un)" > "$1"
}

@test "faults: mqtt: broker restarted and subscriber reconnected mid-stream: no record lost at QoS 1" {
	MQTT_PORT=$(free_port)
	local conf=$(T broker.conf) out=$(T out)
	broker_conf "$conf" "$MQTT_PORT" "$BATS_TEST_TMPDIR"
	mosquitto -c "$conf" > "$(T broker.log)" 2>&1 &
	MQTT_PID=$!
	wait_port "$MQTT_PORT" 5
	local url="mqtt://127.0.0.1:$MQTT_PORT"
	iiot-read --client-id central --session --qos 1 -t 'seq/#' "$url" \
	    > "$out" 2> "$(T read.err)" &
	PIDS=($!)
	# Subscribed once a probe comes through: the session exists.
	wait_for 10 sh -c "mosquitto_pub -p $MQTT_PORT -q 1 -t seq/probe/x -m 0 &&
	    sleep 0.2 && grep -q probe '$out'"
	seq_records 6000 | awk '{ print } NR % 500 == 0 { system("sleep 0.1") }' |
	    iiot-publish --qos 1 --queue "$(T q.db)" -t 'seq/{source}/{sensor}' \
	    "$url" 2> "$(T pub.err)" &
	PIDS+=($!)
	wait_for 10 test -s "$out"
	# The broker stops mid-stream, the publisher queues.
	stop_mosquitto
	sleep 1
	mosquitto -c "$conf" >> "$(T broker.log)" 2>&1 &
	MQTT_PID=$!
	wait_port "$MQTT_PORT" 5
	# The subscriber goes away; its session keeps what comes meanwhile.
	stop_pid "${PIDS[0]}" || true
	sleep 0.5
	iiot-read --client-id central --session --qos 1 -t 'seq/#' "$url" \
	    >> "$out" 2>> "$(T read.err)" &
	PIDS[0]=$!
	wait "${PIDS[1]}"
	wait_for 30 sh -c "jq 'select(.source == \"m\") | .value' '$out' |
	    sort -nu | wc -l | grep -qx 6000" || true
	jq 'select(.source == "m") | .value' "$out" | sort -nu > "$(T got)"
	seq 6000 > "$(T want)"
	assert_same "$(T want)" "$(T got)"
	echo "# duplicates: $(( $(grep -c '"source":"m"' "$out") - 6000 ))" >&3
	grep -q 'records are queued' "$(T pub.err)"
	grep -q "connected to '127.0.0.1:$MQTT_PORT' again" "$(T pub.err)"
}

@test "faults: mqtt: a slow consumer: the reader's memory stays bounded, nothing lost" {
	MQTT_PORT=$(free_port)
	local conf=$(T broker.conf) out=$(T out)
	broker_conf "$conf" "$MQTT_PORT" "$BATS_TEST_TMPDIR"
	mosquitto -c "$conf" > "$(T broker.log)" 2>&1 &
	MQTT_PID=$!
	wait_port "$MQTT_PORT" 5
	mkfifo "$(T stall)"
	exec 5<> "$(T stall)"
	iiot-read --client-id slow --session --qos 1 -t 'seq/#' \
	    "mqtt://127.0.0.1:$MQTT_PORT" > "$(T stall)" 2> "$(T read.err)" &
	PIDS=($!)
	sleep 0.5
	seq_records 20000 | iiot-publish --qos 1 -t 'seq/{source}/{sensor}' \
	    "mqtt://127.0.0.1:$MQTT_PORT" 2> "$(T pub.err)"
	local r1 r2
	r1=$(rss_kb "${PIDS[0]}")
	sleep 2
	r2=$(rss_kb "${PIDS[0]}")
	echo "# reader RSS while stalled: $r1 -> $r2 KiB" >&3
	[ "$r2" -lt 32768 ]
	[ "$r2" -le $((r1 + 1024)) ]
	# The consumer wakes up and takes everything.
	cat <&5 > "$out" &
	PIDS+=($!)
	exec 5<&-
	wait_for 60 sh -c "[ \$(wc -l < '$out') -ge 20000 ]"
	jq .value "$out" | sort -nu | wc -l | grep -qx 20000
}

# --- Archive ---------------------------------------------------------

@test "faults: archive: the file deleted while writing: the loss is reported with a count" {
	local db=$(T a.db)
	mkfifo "$(T in)"
	iiot-archive -d "$db" --commit-interval 100ms < "$(T in)" \
	    > "$(T passed)" 2> "$(T err)" &
	PIDS=($!)
	exec 4> "$(T in)"
	gen_stream 1000 >&4
	wait_for 10 bash -c "[ \$(sqlite3 '$db' 'SELECT count(*) FROM samples') -eq 1000 ]"
	rm -f "$db" "$db-wal" "$db-shm"
	gen_stream 1000 2 >&4
	local status=0
	wait_for 10 bash -c "! kill -0 ${PIDS[0]}" || exec 4>&-
	wait "${PIDS[0]}" || status=$?
	PIDS=()
	exec 4>&-
	[ "$status" -eq 1 ]
	grep -q "'$db': file deleted or replaced while open" "$(T err)"
	lost=$(sed -n 's/.*: \([0-9]*\) records not committed/\1/p' "$(T err)")
	[ "$lost" -gt 0 ]
	# Everything passed on after the deletion is counted as lost.
	[ "$lost" -ge $(( $(wc -l < "$(T passed)") - 1000 )) ]
}

@test "faults: archive: the file and its folder made read-only while writing: nothing lost" {
	local d
	d=$(mktemp -d /tmp/iiot-faults-ro.XXXXXX)
	chmod 777 "$d"
	local as=()
	[ "$(id -u)" -ne 0 ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	mkfifo "$d/in"
	chmod 666 "$d/in"
	"${as[@]}" "$IIOT_BIN/iiot-archive" -d "$d/a.db" --commit-interval 100ms \
	    < "$d/in" > "$(T passed)" 2> "$(T err)" &
	PIDS=($!)
	exec 4> "$d/in"
	gen_stream 2000 >&4
	wait_for 10 test -f "$d/a.db"
	chmod 444 "$d/a.db"
	chmod 555 "$d"
	"$TOP/scripts/gen-stream" -n 2000 -t 1795960000 >&4
	exec 4>&-
	local status=0
	wait "${PIDS[0]}" || status=$?
	PIDS=()
	chmod 755 "$d"
	passed=$(wc -l < "$(T passed)")
	stored=$(rows "$d/a.db")
	lost=$(sed -n 's/.*: \([0-9]*\) records not committed/\1/p' "$(T err)")
	echo "# status $status, passed $passed, stored $stored, lost ${lost:-0}" >&3
	integrity "$d/a.db"
	# Stored, or reported lost: never silently gone.
	[ "$stored" -eq $((passed - ${lost:-0})) ] || [ "$stored" -ge "$passed" ]
	rm -rf "$d"
}

@test "faults: archive: a full disk: passed on = stored + reported lost, file sound" {
	local db=$(T full.db)
	# The records passed on are counted by wc, free of the limit.
	run -0 --separate-stderr bash -c '"$TOP/scripts/gen-stream" -n 100000 |
	    (trap "" XFSZ; ulimit -f 512; exec iiot-archive --batch 2000 \
	    --commit-interval 50ms -d "$1") | wc -l > "$2"' _ "$db" "$(T passed)"
	passed=$(cat "$(T passed)")
	stored=$(rows "$db")
	lost=$(sed -n 's/.*: \([0-9]*\) records not committed/\1/p' <<< "$stderr")
	echo "# passed $passed, stored $stored, reported lost $lost" >&3
	integrity "$db"
	[ "$lost" -gt 0 ]
	[ "$stored" -ge $((passed - lost)) ]
}

@test "faults: archive: kill -9 loops with a second writer: always sound, no row twice" {
	local db=$(T two.db) i p1 p2
	gen_stream 60000 1 > "$(T a)"
	gen_stream 60000 1 | sed 's/"source":"press/"source":"line/' > "$(T b)"
	for i in 1 2 3 4 5 6; do
		iiot-archive -q -d "$db" --batch 1000 --commit-interval 20ms < "$(T a)" &
		p1=$!
		iiot-archive -q -d "$db" --batch 1000 --commit-interval 20ms < "$(T b)" &
		p2=$!
		sleep "0.$((RANDOM % 6 + 3))"
		kill -KILL "$p1" "$p2" 2>/dev/null || true
		wait "$p1" "$p2" 2>/dev/null || true
		[ -f "$db" ] || continue
		integrity "$db"
	done
	iiot-archive -q -d "$db" < "$(T a)"
	iiot-archive -q -d "$db" < "$(T b)"
	integrity "$db"
	[ "$(rows "$db")" -eq 120000 ]
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM (SELECT series_id, ts FROM samples GROUP BY 1, 2 HAVING count(*) > 1)')" -eq 0 ]
}

# --- Alarm actions ---------------------------------------------------

@test "faults: alert: hooks that hang, crash, flood or vanish, mail and webhooks refused or silent: the stream flows" {
	local d=$BATS_TEST_TMPDIR closed silent
	printf '#!/bin/sh\nkill -SEGV $$\n' > "$d/crash"
	printf '#!/bin/sh\nhead -c 8000000 /dev/zero | tr "\\\\0" x\nhead -c 4000000 /dev/zero >&2\n' > "$d/flood"
	printf '#!/bin/sh\nexec sleep 60\n' > "$d/hang"
	printf '#!/bin/sh\nexit 0\n' > "$d/gone"
	chmod +x "$d/crash" "$d/flood" "$d/hang" "$d/gone"
	closed=$(free_port)
	silent=$(free_port)
	GROUPS_=("$(socat_server "$silent" 'sleep 1000')")
	wait_port "$silent" 5
	cat > "$d/r" <<-EOF
	action crash retries 0 exec $d/crash
	action flood retries 0 exec $d/flood
	action hang timeout 2s retries 0 exec $d/hang
	action gone retries 0 exec $d/gone
	action mail_closed timeout 2s retries 0 mail to a@b.example from c@d.example via smtp://127.0.0.1:$closed
	action mail_silent timeout 2s retries 0 mail to a@b.example from c@d.example via smtp://127.0.0.1:$silent
	action web_closed timeout 2s retries 0 webhook http://127.0.0.1:$closed/x
	action web_silent timeout 2s retries 0 webhook http://127.0.0.1:$silent/x
	rule hot */t > 1 clear < 0.5 action crash action flood action hang action gone action mail_closed action mail_silent action web_closed action web_silent
	EOF
	mkfifo "$d/in"
	iiot-alert -p -f "$d/r" -s "$d/state" < "$d/in" > "$d/out" 2> "$d/err" &
	PIDS=($!)
	exec 4> "$d/in"
	local i
	printf '{"ts":%d,"source":"m9","sensor":"t","value":0}\n' 1795953590 >&4
	wait_for 5 test -s "$d/out"
	# The hook is missing by the time it should run.
	rm "$d/gone"
	for i in $(seq 0 9); do
		printf '{"ts":%d,"source":"m%d","sensor":"t","value":5}\n' \
		    $((1795953600 + i)) "$i" >&4
	done
	# Every record passes at once, while forty actions are failing.
	wait_for 3 bash -c "[ \$(wc -l < '$d/out') -eq 11 ]"
	for i in $(seq 10 19); do
		printf '{"ts":%d,"source":"m%d","sensor":"t","value":0}\n' \
		    $((1795953600 + i)) $((i - 10)) >&4
	done
	wait_for 3 bash -c "[ \$(wc -l < '$d/out') -eq 21 ]"
	[ "$(rss_kb "${PIDS[0]}")" -lt 65536 ]
	exec 4>&-
	local status=0
	wait "${PIDS[0]}" || status=$?
	PIDS=()
	[ "$status" -eq 1 ]
	grep -q "action 'crash' for alert 'hot' failed: '$d/crash' killed by signal 11" "$d/err"
	grep -q "action 'hang' for alert 'hot' failed: '$d/hang' killed after 2s" "$d/err"
	grep -q "action 'gone' for alert 'hot' failed: cannot run '$d/gone'" "$d/err"
	grep -q "action 'mail_closed' for alert 'hot' failed: smtp://127.0.0.1:$closed" "$d/err"
	grep -q "action 'mail_silent' for alert 'hot' failed: smtp://127.0.0.1:$silent: .*timed out" "$d/err"
	grep -q "action 'web_closed' for alert 'hot' failed: http://127.0.0.1:$closed/x" "$d/err"
	grep -q "action 'web_silent' for alert 'hot' failed: http://127.0.0.1:$silent/x: .*timed out" "$d/err"
	! grep -q "action 'flood'.*failed" "$d/err"
	# The alarms' state is recorded: ten alarms, fired and cleared.
	jq -e . "$d/state" > /dev/null
	[ "$(jq -s 'map(select(.alert == "hot" and .state == "ok")) | length' "$d/state")" -eq 10 ]
}

# --- Pipes -----------------------------------------------------------

# The programs that pass records on, as commands for bash -c, with $d a
# scratch folder.
filters=(
	'iiot-filter'
	'iiot-archive -d "$d/p.db"'
	'iiot-plot -p line:press1/temp0 -o "$d/p.png"'
	'iiot-alert -p -r "rule hot */temp0 > 50"'
	'iiot-read -'
)

@test "faults: pipes: downstream exits (| head -1): every program ends quietly" {
	local c d=$BATS_TEST_TMPDIR
	export d
	for c in "${filters[@]}"; do
		rm -f "$d/p.db"
		run -0 --separate-stderr bash -c "set -o pipefail
		    \"\$TOP/scripts/gen-stream\" -n 200000 | $c | head -1 > /dev/null
		    r=(\${PIPESTATUS[@]}); [ \${r[1]} -eq 0 ] || [ \${r[1]} -eq 141 ]"
		[ -z "$stderr" ] || { echo "$c: $stderr"; false; }
	done
}

@test "faults: pipes: downstream stalls: memory of every program stays bounded" {
	local c d=$BATS_TEST_TMPDIR pid r1 r2
	export d
	mkfifo "$d/stall"
	for c in "${filters[@]}"; do
		rm -f "$d/p.db"*
		exec 5<> "$d/stall"
		bash -c "exec $c" < <(gen_stream 2000000) > "$d/stall" 2> /dev/null &
		pid=$!
		PIDS=($pid)
		sleep 1
		r1=$(rss_kb "$pid")
		sleep 2
		r2=$(rss_kb "$pid")
		echo "# $c: RSS $r1 -> $r2 KiB while stalled" >&3
		[ "$r2" -lt 65536 ]
		[ "$r2" -le $((r1 + 2048)) ]
		stop_pid "$pid" || true
		exec 5>&-
	done
}

@test "faults: pipes: upstream closes mid-line: the last line is still taken, a cut record reported" {
	local c d=$BATS_TEST_TMPDIR
	local l='{"ts":"2026-11-29T12:00:00.000Z","source":"press1","sensor":"temp0","value":5}'
	export d l
	for c in "${filters[@]}"; do
		rm -f "$d/p.db"*
		run -0 --separate-stderr bash -c "printf '%s\n%s' \"\$l\" \"\${l/:00.000/:01.000}\" | $c"
		[ "${#lines[@]}" -eq 2 ] || { echo "$c: $output"; false; }
		[ "${lines[1]}" = "${l/:00.000/:01.000}" ]
		rm -f "$d/p.db"*
		run -1 --separate-stderr bash -c "printf '%s\n%s' \"\$l\" '{\"ts\":\"2026-11-29T12:00:01Z\",\"sou' | $c"
		[ "${#lines[@]}" -eq 1 ] || { echo "$c: $output"; false; }
		[[ "$stderr" =~ (line\ |:)2:\ not\ valid\ JSON ]] || { echo "$c: $stderr"; false; }
	done
	# The archive keeps what it passed on.
	rm -f "$d/p.db"*
	printf '%s' "$l" | iiot-archive -q -d "$d/p.db"
	[ "$(rows "$d/p.db")" -eq 1 ]
}

# --- SIGTERM at any moment --------------------------------------------

# term_at_random PID: SIGTERM at a random moment in the next second,
# then the process must be gone within 3 s (2 s nominal).
term_at_random() {
	sleep "0.$((RANDOM % 9 + 1))"
	local t0=$(date +%s%N)
	kill -TERM "$1"
	gone_within 3 "$1"
	echo "# exit after $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&3
}

# endless_stream: records until the reader goes away, so that a fast
# program cannot reach the end of its input before the signal comes.
endless_stream() {
	local s=1
	while gen_stream 200000 "$s"; do s=$((s + 1)); done 2> /dev/null
}

@test "faults: SIGTERM mid-stream: every pipe program exits promptly, stalled reader or not" {
	local c d=$BATS_TEST_TMPDIR pid
	export d
	mkfifo "$d/stall"
	for c in "${filters[@]}"; do
		# A live reader, then a stalled one.
		rm -f "$d/p.db"*
		bash -c "exec $c" < <(endless_stream 3>&-) > /dev/null 2>&1 &
		pid=$!
		PIDS=($pid)
		echo "# $c, live reader" >&3
		term_at_random "$pid"
		exec 5<> "$d/stall"
		rm -f "$d/p.db"*
		bash -c "exec $c" < <(endless_stream 3>&-) > "$d/stall" 2> /dev/null &
		pid=$!
		PIDS=($pid)
		echo "# $c, stalled reader" >&3
		term_at_random "$pid"
		exec 5>&-
		if [[ "$c" == iiot-archive* ]]; then
			integrity "$d/p.db"
		fi
	done
}

@test "faults: SIGTERM mid-stream: archive intact, alert state valid, publish queue intact" {
	local d=$BATS_TEST_TMPDIR i pid
	start_mosquitto
	for i in 1 2 3; do
		gen_stream 300000 "$i" > "$d/in.$i"
	done
	for i in 1 2 3; do
		iiot-archive -q -d "$d/a.db" --batch 5000 --commit-interval 30ms \
		    < <(cat "$d/in.$i"; sleep 3) &
		pid=$!
		PIDS=($pid)
		term_at_random "$pid"
		integrity "$d/a.db"
			# Every row is whole: no record without its value.
		iiot-archive query -d "$d/a.db" --source press1 --sensor temp0 |
		    jq -e 'select(.value == null)' > /dev/null && false

		iiot-alert -p -s "$d/alert.state" -r 'rule hot */temp* > 40 clear < 39' \
		    < <(cat "$d/in.$i"; sleep 3) > /dev/null 2>&1 &
		pid=$!
		PIDS=($pid)
		term_at_random "$pid"
		jq -e . "$d/alert.state" > /dev/null

		iiot-publish -q --queue "$d/q.db" -t 'x/{source}/{sensor}' \
		    "mqtt://127.0.0.1:$MQTT_PORT" < <(cat "$d/in.$i"; sleep 3) \
		    2> /dev/null &
		pid=$!
		PIDS=($pid)
		term_at_random "$pid"
		[ "$(sqlite3 "$d/q.db" 'PRAGMA integrity_check')" = ok ]
	done
}

@test "faults: SIGTERM: iiot-read (Modbus, MQTT) and iiot-sim exit promptly" {
	start_sim -A
	iiot-read -i 10ms -m "$(sim_map types.map)" > /dev/null 2>&1 &
	PIDS=($!)
	term_at_random "${PIDS[0]}"
	start_mosquitto
	iiot-read -t '#' "mqtt://127.0.0.1:$MQTT_PORT" > /dev/null 2>&1 &
	PIDS=($!)
	term_at_random "${PIDS[0]}"
	term_at_random "$SIM_PID"
	SIM_PID=
}
