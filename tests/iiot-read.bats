#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-read.bats: iiot-read against real servers: iiot-sim over Modbus TCP
# and RTU (socat pseudo-terminals), with mbpoll as an outside reference.

load test_helper
load iiot-sim_helper
bats_require_minimum_version 1.5.0

teardown() {
	stop_pid "${READ_PID:-}" || true
	stop_sim
	stop_pid "${OTHER_PID:-}" || true
	stop_pid "${SOCAT_PID:-}" || true
}

# lines_at_least N FILE: FILE has at least N lines (for wait_for).
lines_at_least() {
	[ "$(wc -l < "$2")" -ge "$1" ]
}

# mb ARGS...: one mbpoll read of the simulator, the first value only.
mb() {
	mbpoll -m tcp -p "$SIM_PORT" -0 -1 -q "$@" 127.0.0.1 |
	    sed -n 's/^\[[0-9]*\]:[[:space:]]*//p' | sed 's/ .*//; q'
}

# value_of SENSOR FILE: the value of the first record of SENSOR.
value_of() {
	jq -r --arg s "$1" 'select(.sensor == $s) | .value' "$2" | head -1
}

# --- Common options --------------------------------------------------

@test "iiot-read: --help prints the usage on stdout" {
	run -0 --separate-stderr iiot-read --help
	[[ "${lines[0]}" == "usage: iiot-read "* ]]
	[[ "$output" == *"--map FILE"* ]]
	[ -z "$stderr" ]
}

@test "iiot-read: --version names libmodbus" {
	run -0 iiot-read --version
	[[ "${lines[0]}" == "iiot-read "* ]]
	[[ "$output" == *"libmodbus "* ]]
}

@test "iiot-read: usage synopsis matches the man page" {
	check_synopsis iiot-read
}

@test "iiot-read: a bad option is a usage error" {
	run -2 --separate-stderr iiot-read --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"usage: iiot-read"* ]]
	[[ "$stderr" == *"Try 'iiot-read --help'"* ]]
}

# --- Modbus ----------------------------------------------------------

@test "iiot-read: modbus: every type and word order, values checked" {
	# The simulator ignores the URLs: it serves every unit on its port.
	start_sim -m "$(sim_map types.map 1)"
	m=$(sim_map types.map)
	run -0 --separate-stderr bash -c "iiot-read --once -m '$m' | jq -c 'del(.ts)' |
	    sed 's/127\.0\.0\.1:$SIM_PORT/127.0.0.1:@PORT@/'"
	assert_output_file "$(fixture iiot-read types.out)"
	[ -z "$stderr" ]
}

@test "iiot-read: modbus: records carry acquisition time, origin and tags" {
	start_sim -A
	sed "s/127.0.0.1:5020/127.0.0.1:$SIM_PORT/" \
	    "$TOP/scripts/plant/press-shop-sim.map" > "$BATS_TEST_TMPDIR/p.map"
	before=$(date +%s)
	run -0 iiot-read --once -m "$BATS_TEST_TMPDIR/p.map"
	after=$(date +%s)
	[ "${#lines[@]}" -eq 16 ]
	rec=$(jq -c 'select(.source == "press1" and .sensor == "oil_temp")' <<< "$output")
	[ "$(jq -r '[.unit, .origin, .location, .line, .kind] | join(" ")' <<< "$rec")" = \
	    "degC modbus-tcp://127.0.0.1:$SIM_PORT/1/ir/0 hall-A presses temperature" ]
	# Keys for other programs (limits, sim=) are not copied.
	[ "$(jq -r 'has("warn_above") or has("sim") or has("min")' <<< "$rec")" = false ]
	ts=$(jq -r '.ts | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601' <<< "$rec")
	[ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ]
	# Every record is valid for the rest of the suite.
	[ "$(jq -r '.value | type' <<< "$output" | sort -u)" = number ]
}

@test "iiot-read: modbus: a point URL without a catalogue" {
	start_sim -m "$(sim_map types.map 1)"
	run -0 iiot-read --once "modbus-tcp://127.0.0.1:$SIM_PORT/1/hr/8/int32/badc" \
	    "modbus-tcp://127.0.0.1:$SIM_PORT/1/hr/4"
	[ "${#lines[@]}" -eq 2 ]
	# int32_abcd (0xf8a432eb) read as badc: bytes swapped in each word.
	[ "$(jq -c '[.source, .sensor, .value]' <<< "${lines[0]}")" = \
	    "[\"127.0.0.1:$SIM_PORT\",\"1/hr/8\",-1527190734]" ]
	[ "$(jq -c '[.sensor, .value]' <<< "${lines[1]}")" = '["1/hr/4",54321]' ]
}

@test "iiot-read: modbus: --count cycles on the interval" {
	start_sim -A
	run -0 iiot-read -c 4 -i 100ms "modbus-tcp://127.0.0.1:$SIM_PORT/1/coil/0"
	[ "${#lines[@]}" -eq 4 ]
	# Cycles start on an absolute clock: 300 ms from first to last,
	# within generous bounds.
	span=$(printf '%s\n' "$output" | jq -s '(.[-1].ts | .[20:23] | tonumber) as $a |
	    (.[0].ts | .[20:23] | tonumber) as $b | ($a - $b + 1000) % 1000')
	[ "$span" -ge 250 ] && [ "$span" -le 900 ]
}

@test "iiot-read: modbus: usage errors: bad URL, --once with --count" {
	run -2 --separate-stderr iiot-read --once modbus-tcp://127.0.0.1:70000/1/hr/0
	[[ "$stderr" == *"invalid point URL: 'modbus-tcp://127.0.0.1:70000/1/hr/0'"* ]]
	run -2 --separate-stderr iiot-read --once modbus-tcp://127.0.0.1:502
	[[ "$stderr" == *"invalid point URL"* ]]
	run -2 --separate-stderr iiot-read --once -c 3 modbus-tcp://127.0.0.1:502/1/hr/0
	[[ "$stderr" == *"--once and --count conflict"* ]]
	run -2 --separate-stderr iiot-read -i 0 modbus-tcp://127.0.0.1:502/1/hr/0
	[[ "$stderr" == *"--interval"* ]]
	run -2 --separate-stderr iiot-read -m "$TOP/scripts/plant/press-shop.map" \
	    modbus-tcp://127.0.0.1:502/1/hr/0
	[[ "$stderr" == *"give either --map or point URLs, not both"* ]]
}

@test "iiot-read: modbus: a bad catalogue exits 2 with file:line" {
	m="$BATS_TEST_TMPDIR/bad.map"
	printf '# plant\n[device a]\nurl = modbus-tcp://127.0.0.1:1\np s holding 0 float32 abcd scale=0.1x\n' > "$m"
	run -2 --separate-stderr iiot-read --once -m "$m"
	[ -z "$output" ]
	[ "$stderr" = "iiot-read: $m:4: invalid scale: '0.1x'" ]
	printf '[device a]\n' > "$m"
	run -2 --separate-stderr iiot-read --once -m "$m"
	[ "$stderr" = "iiot-read: $m:1: device 'a' (line 1) has no url" ]
	printf '# nothing\n' > "$m"
	run -2 --separate-stderr iiot-read --once -m "$m"
	[ "$stderr" = "iiot-read: no points to read in '$m'" ]
	run -2 --separate-stderr iiot-read --once -m "$BATS_TEST_TMPDIR/missing.map"
	[[ "$stderr" == "iiot-read: cannot read '$BATS_TEST_TMPDIR/missing.map': No such file or directory" ]]
}

@test "iiot-read: modbus: the demo catalogue parses" {
	# An unreachable plant: nothing is read, but the catalogue is good.
	run -1 --separate-stderr iiot-read --once -v -m "$TOP/scripts/plant/press-shop.map" \
	    --interval 100ms
	[[ "$stderr" == *"16 points on 4 connections"* ]]
	[[ "$stderr" != *"press-shop.map:"* ]]
}

@test "iiot-read: modbus: the simulated plant has the points of the real one" {
	series() {
		grep -v '^[[:space:]]*\(#\|\[\|$\|[a-z_]* *=\)' "$1" |
		    awk '{ print $1, $2, $3, $4, $5, $6 }' | sed 's/ [a-z]*=.*//'
	}
	series "$TOP/scripts/plant/press-shop.map" > "$BATS_TEST_TMPDIR/real"
	series "$TOP/scripts/plant/press-shop-sim.map" > "$BATS_TEST_TMPDIR/sim"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/real")" -eq 16 ]
	assert_same "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/sim"
}

@test "iiot-read: modbus: --once against an unreachable device exits 1" {
	port=$(free_port)
	run -1 --separate-stderr iiot-read --once "modbus-tcp://127.0.0.1:$port/1/hr/0"
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "iiot-read: cannot connect to 'modbus-tcp://127.0.0.1:$port': Connection refused" ]
	[ "${stderr_lines[1]}" = "iiot-read: 1 reads failed" ]
}

@test "iiot-read: modbus: --emit-errors writes failed reads with quality bad" {
	port=$(free_port)
	run -1 --separate-stderr iiot-read --once --emit-errors \
	    "modbus-tcp://127.0.0.1:$port/1/hr/0"
	[ "$(jq -c '[.value, .quality, .error, .origin]' <<< "$output")" = \
	    "[0,\"bad\",\"Connection refused\",\"modbus-tcp://127.0.0.1:$port/1/hr/0\"]" ]
}

@test "iiot-read: modbus: a Modbus exception fails only its request" {
	start_sim -A
	# Unit 9 does not exist; unit 1 does, on the same connection.
	run -1 --separate-stderr iiot-read --once "modbus-tcp://127.0.0.1:$SIM_PORT/9/hr/0" \
	    "modbus-tcp://127.0.0.1:$SIM_PORT/1/coil/8"
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .sensor <<< "$output")" = 1/co/8 ]
}

@test "iiot-read: modbus: keeps running while the server is down, then resumes" {
	start_sim -A
	port=$SIM_PORT
	iiot-read -i 100ms "modbus-tcp://127.0.0.1:$port/1/coil/0" \
	    > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	READ_PID=$!
	wait_for 10 test -s "$BATS_TEST_TMPDIR/out"
	stop_sim
	wait_for 10 grep -q "cannot" "$BATS_TEST_TMPDIR/err"
	sleep 0.5
	kill -0 "$READ_PID"
	n=$(wc -l < "$BATS_TEST_TMPDIR/out")
	start_sim_on "$port" -A
	wait_for 20 grep -q "reading 'modbus-tcp://127.0.0.1:$port' again" \
	    "$BATS_TEST_TMPDIR/err"
	wait_for 10 lines_at_least $((n + 1)) "$BATS_TEST_TMPDIR/out"
	kill -0 "$READ_PID"
	# The failure is reported once (then at doubling intervals), not
	# once per cycle.
	[ "$(grep -c "cannot" "$BATS_TEST_TMPDIR/err")" -le 3 ]
}

@test "iiot-read: modbus: a dead device does not delay another device" {
	start_sim -A
	dead=$(free_port)
	# A server that accepts connections and never answers.
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$dead" &
	OTHER_PID=$!
	wait_port "$dead" 10
	cat > "$BATS_TEST_TMPDIR/two.map" <<-EOF
	[device dead]
	url = modbus-tcp://127.0.0.1:$dead
	timeout = 1s
	dead motor_on coil 0 bool
	[device good]
	url = modbus-tcp://127.0.0.1:$SIM_PORT
	good motor_on coil 0 bool
	EOF
	run -1 --separate-stderr iiot-read -m "$BATS_TEST_TMPDIR/two.map" -i 100ms -c 20
	good=$(grep -c '"source":"good"' <<< "$output")
	[ "$good" -eq 20 ]
	[ "$(grep -c '"source":"dead"' <<< "$output" || true)" -eq 0 ]
	[[ "$stderr" == *"cannot read 'modbus-tcp://127.0.0.1:$dead/1/co/0': Connection timed out"* ]]
	# 20 cycles of 100 ms take about 2 s; each dead request takes 1 s.
	span=$(grep '"source":"good"' <<< "$output" | jq -rs '
	    (.[-1].ts | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) -
	    (.[0].ts | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)')
	[ "$span" -le 6 ]
}

@test "iiot-read: modbus: a silent device costs one timeout per cycle" {
	dead=$(free_port)
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$dead" &
	OTHER_PID=$!
	wait_port "$dead" 10
	{
		echo "[device dead]"
		echo "url = modbus-tcp://127.0.0.1:$dead"
		echo "timeout = 1s"
		for t in coil discrete input holding; do
			echo "dead $t $t 0 bool"
		done
		echo "dead far holding 1000 uint16"
	} > "$BATS_TEST_TMPDIR/dead.map"
	start=$(date +%s%N)
	run -1 --separate-stderr iiot-read --once -m "$BATS_TEST_TMPDIR/dead.map"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	# Five requests: the first times out, the others are not tried.
	[ "$ms" -lt 3500 ]
	[[ "$stderr" == *"5 reads failed"* ]]
}

@test "iiot-read: modbus: 100 adjacent registers in one request per cycle" {
	m="$BATS_TEST_TMPDIR/hr100.map"
	{
		echo "[device c]"
		echo "url = modbus-tcp://127.0.0.1:@PORT@"
		for i in $(seq 0 99); do
			echo "c p$i holding $i uint16 value=$((i * 3))"
		done
	} > "$m"
	sed "s/@PORT@/1/" "$m" > "$m.sim"
	start_sim -v -A -m "$m.sim"
	sed -i "s/@PORT@/$SIM_PORT/" "$m"
	run -0 --separate-stderr iiot-read -v -m "$m" -c 3 -i 100ms
	[ "${#lines[@]}" -eq 300 ]
	[[ "$stderr" == *"100 points every 1 cycles in 1 requests per cycle"* ]]
	[ "$(value_of p77 <(printf '%s\n' "$output"))" = 231 ]
	stop_sim
	grep -q "^iiot-sim: 3 requests answered$" "$BATS_TEST_TMPDIR/sim.err"
}

@test "iiot-read: modbus: -vv reports requests each cycle" {
	start_sim -A
	sed "s/127.0.0.1:5020/127.0.0.1:$SIM_PORT/" \
	    "$TOP/scripts/plant/press-shop-sim.map" > "$BATS_TEST_TMPDIR/p.map"
	run -0 --separate-stderr iiot-read -vv -m "$BATS_TEST_TMPDIR/p.map" -c 2 -i 100ms
	[[ "$stderr" == *"modbus-tcp://127.0.0.1:$SIM_PORT: cycle 1: 8 requests"* ]]
}

@test "iiot-read: modbus: RTU through a socat pseudo-terminal pair" {
	sim_pty_pair "$BATS_TEST_TMPDIR"
	start_sim -m "$(sim_map types.map 1)" --rtu "$BATS_TEST_TMPDIR/a" --rtu-unit 1
	sed "s|^url = .*|url = modbus-rtu://$BATS_TEST_TMPDIR/b?baud=19200\&parity=E|" \
	    "$(fixture iiot-read types.map)" > "$BATS_TEST_TMPDIR/rtu.map"
	run -0 --separate-stderr bash -c "iiot-read --once -m '$BATS_TEST_TMPDIR/rtu.map' |
	    jq -c 'del(.ts)' | sed 's|modbus-rtu://$BATS_TEST_TMPDIR/b|modbus-tcp://127.0.0.1:@PORT@|'"
	assert_output_file "$(fixture iiot-read types.out)"
	# A point URL works on RTU too, with or without parameters.
	run -0 iiot-read --once "modbus-rtu://$BATS_TEST_TMPDIR/b?baud=19200&parity=E/1/hr/60/float32/cdab"
	[ "$(jq -c '[.sensor, .value, .origin]' <<< "$output")" = \
	    "[\"1/hr/60\",-12.5,\"modbus-rtu://$BATS_TEST_TMPDIR/b/1/hr/60\"]" ]
}

@test "iiot-read: modbus: mbpoll reads iiot-sim and agrees with iiot-read" {
	start_sim -m "$(sim_map types.map 1)"
	m=$(sim_map types.map)
	iiot-read --once -m "$m" > "$BATS_TEST_TMPDIR/r"
	[ "$(mb -t 4 -r 4)" = "$(value_of uint16_abcd "$BATS_TEST_TMPDIR/r")" ]
	[ "$(mb -t 4:int -B -r 8)" = "$(value_of int32_abcd "$BATS_TEST_TMPDIR/r")" ]
	[ "$(mb -t 4:int -r 12)" = "$(value_of int32_cdab "$BATS_TEST_TMPDIR/r")" ]
	[ "$(mb -t 4:float -B -r 56)" = "$(value_of float32_abcd "$BATS_TEST_TMPDIR/r")" ]
	[ "$(mb -t 4:float -r 60)" = "$(value_of float32_cdab "$BATS_TEST_TMPDIR/r")" ]
	[ "$(mb -t 0 -r 3)" = "$(value_of motor "$BATS_TEST_TMPDIR/r")" ]
	[ "$(mb -t 1 -r 5)" = "$(value_of door "$BATS_TEST_TMPDIR/r")" ]
	# input 7 holds the raw 615: 615 * 0.1 - 40 = 21.5 degC.
	[ "$(mb -t 3 -r 7)" = 615 ]
	[ "$(value_of temp "$BATS_TEST_TMPDIR/r")" = 21.5 ]
	[ "$(mb -t 4 -r 100)" = "$(value_of flags "$BATS_TEST_TMPDIR/r")" ]
}

@test "iiot-read: modbus: | head -1 ends quietly" {
	start_sim -A
	run -0 --separate-stderr bash -c "iiot-read -i 100ms 'modbus-tcp://127.0.0.1:$SIM_PORT/1/coil/0' | head -1"
	[[ "$output" == '{"ts":"'*'"value":1,'* ]]
	[ -z "$stderr" ]
}

@test "iiot-read: modbus: SIGTERM flushes whole records and exits by the signal" {
	start_sim -A
	iiot-read -i 100ms "modbus-tcp://127.0.0.1:$SIM_PORT/1/hr/10/uint32" \
	    > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	READ_PID=$!
	wait_for 10 lines_at_least 3 "$BATS_TEST_TMPDIR/out"
	kill -TERM "$READ_PID"
	rc=0
	wait "$READ_PID" || rc=$?
	[ "$rc" -eq 143 ]
	READ_PID=
	[ "$(tail -c 1 "$BATS_TEST_TMPDIR/out" | od -An -c | tr -d ' ')" = '\n' ]
	jq -e .value "$BATS_TEST_TMPDIR/out" > /dev/null
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "iiot-read: modbus: the README pipeline through iiot-filter" {
	start_sim -A -a oil_hot:press1@0s+1m
	sed "s/127.0.0.1:5020/127.0.0.1:$SIM_PORT/" \
	    "$TOP/scripts/plant/press-shop-sim.map" > "$BATS_TEST_TMPDIR/p.map"
	run -0 bash -c "iiot-read -m '$BATS_TEST_TMPDIR/p.map' -i 200ms -c 3 |
	    iiot-filter -s oil_temp --source press1 --deadband 0.2"
	[ "${#lines[@]}" -ge 1 ]
	[ "$(jq -r '.source + " " + .sensor' <<< "$output" | sort -u)" = "press1 oil_temp" ]
}
