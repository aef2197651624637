#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-sim.bats: the simulated plant, checked with mbpoll and iiot-read.

load test_helper
load iiot-sim_helper
bats_require_minimum_version 1.5.0

teardown() {
	stop_sim
	stop_pid "${OTHER_PID:-}" || true
}

# mb ARGS...: one mbpoll read of the simulator, values only.
mb() {
	mbpoll -m tcp -p "$SIM_PORT" -0 -1 -q "$@" 127.0.0.1 |
	    sed -n 's/^\[[0-9]*\]:[[:space:]]*//p'
}

@test "iiot-sim: --help prints the usage on stdout" {
	run -0 --separate-stderr iiot-sim --help
	[[ "${lines[0]}" == "usage: iiot-sim "* ]]
	[[ "$output" == *"--anomaly SPEC"* ]]
	[ -z "$stderr" ]
}

@test "iiot-sim: --version names libmodbus" {
	run -0 iiot-sim --version
	[[ "${lines[0]}" == "iiot-sim "* ]]
	[[ "$output" == *"libmodbus "* ]]
}

@test "iiot-sim: usage synopsis matches the man page" {
	check_synopsis iiot-sim
}

@test "iiot-sim: a bad option is a usage error" {
	run -2 --separate-stderr iiot-sim --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"usage: iiot-sim"* ]]
	[[ "$stderr" == *"Try 'iiot-sim --help'"* ]]
}

@test "iiot-sim: usage errors: operand, --listen, --anomaly" {
	run -2 --separate-stderr iiot-sim extra
	[[ "$stderr" == *"unexpected operand: 'extra'"* ]]
	run -2 --separate-stderr iiot-sim -l localhost:80
	[[ "$stderr" == *"invalid --listen address"* ]]
	run -2 --separate-stderr iiot-sim -l 127.0.0.1:0 -a melt@1s
	[[ "$stderr" == *"invalid --anomaly: 'melt@1s'"* ]]
	run -2 --separate-stderr iiot-sim -l 127.0.0.1:0 -o
	[[ "$stderr" == *"needs --port-file"* ]]
	run -2 --separate-stderr iiot-sim -l 127.0.0.1:0 --rtu 'tty?baud=x'
	[[ "$stderr" == *"invalid --rtu: 'tty?baud=x'"* ]]
}

@test "iiot-sim: the built-in plant is scripts/plant/press-shop-sim.map" {
	run -0 iiot-sim --print-map
	assert_output_file "$TOP/scripts/plant/press-shop-sim.map"
}

@test "iiot-sim: a bad catalogue exits 2 naming file and line" {
	printf '[device a]\nurl = modbus-tcp://127.0.0.1:1\nx y input 0 int99\n' \
	    > "$BATS_TEST_TMPDIR/bad.map"
	run -2 --separate-stderr iiot-sim -l 127.0.0.1:0 -m "$BATS_TEST_TMPDIR/bad.map"
	[ "$stderr" = "iiot-sim: $BATS_TEST_TMPDIR/bad.map:3: invalid type: 'int99'" ]
	printf '[device a]\nurl = modbus-tcp://127.0.0.1:1\nx y input 0 int16 sim=lava\n' \
	    > "$BATS_TEST_TMPDIR/bad.map"
	run -2 --separate-stderr iiot-sim -l 127.0.0.1:0 -m "$BATS_TEST_TMPDIR/bad.map"
	[[ "$stderr" == *"unknown sim= model"* ]]
	run -2 --separate-stderr iiot-sim -m "$BATS_TEST_TMPDIR/none.map"
	[[ "$stderr" == *"cannot read '$BATS_TEST_TMPDIR/none.map'"* ]]
}

@test "iiot-sim: port 0 prints the port chosen on stdout" {
	iiot-sim -l 127.0.0.1:0 > "$BATS_TEST_TMPDIR/port" &
	SIM_PID=$!
	wait_for 10 test -s "$BATS_TEST_TMPDIR/port"
	SIM_PORT=$(cat "$BATS_TEST_TMPDIR/port")
	[[ "$SIM_PORT" =~ ^[0-9]+$ ]]
	run -0 mb -a 1 -t 0 -r 8
	[ "$output" = 0 ]
}

@test "iiot-sim: serves the press shop to mbpoll, one unit per machine" {
	start_sim -S 1 -A
	# press1 oil temperature, input register 0, 0.1 degC: 35 to 60 degC.
	run -0 mb -a 1 -t 3 -r 0
	[ "$output" -gt 350 ] && [ "$output" -lt 600 ]
	# press2 pressure, input register 1, 0.1 bar: above 140 bar.
	run -0 mb -a 2 -t 3 -r 1
	[ "$output" -gt 1400 ]
	# comp1 air pressure, holding 102, 0.01 bar: 6.4 to 7.6 bar.
	run -0 mb -a 3 -t 4 -r 102
	[ "$output" -gt 640 ] && [ "$output" -lt 760 ]
	# The meter's power, float32 badc: mbpoll has no byte swap, so
	# iiot-read reads it.
	sed "s/127.0.0.1:5020/127.0.0.1:$SIM_PORT/" \
	    "$TOP/scripts/plant/press-shop-sim.map" > "$BATS_TEST_TMPDIR/p.map"
	run -0 bash -c "iiot-read --once -m '$BATS_TEST_TMPDIR/p.map' |
	    jq -r 'select(.source == \"meter0\" and .sensor == \"power\") | .value'"
	awk -v v="$output" 'BEGIN { exit !(v > 100 && v < 260) }'
}

@test "iiot-sim: an unknown unit id gets a Modbus exception" {
	start_sim -A
	run -1 --separate-stderr iiot-read --once "modbus-tcp://127.0.0.1:$SIM_PORT/9/hr/0"
	[[ "$stderr" == *"cannot read 'modbus-tcp://127.0.0.1:$SIM_PORT/9/hr/0' (1 registers): Target device failed to respond"* ]]
}

@test "iiot-sim: a coil written by a client reads back" {
	start_sim -A
	run -0 mb -a 1 -t 0 -r 8
	[ "$output" = 0 ]
	mbpoll -m tcp -p "$SIM_PORT" -0 -1 -q -a 1 -t 0 -r 8 127.0.0.1 1 > /dev/null
	run -0 mb -a 1 -t 0 -r 8
	[ "$output" = 1 ]
	# The simulation does not overwrite it.
	sleep 0.3
	run -0 iiot-read --once "modbus-tcp://127.0.0.1:$SIM_PORT/1/coil/8"
	[ "$(jq .value <<< "$output")" = 1 ]
}

@test "iiot-sim: several clients at once" {
	start_sim -A
	# One client holds a connection open and idle...
	exec 7<>"/dev/tcp/127.0.0.1/$SIM_PORT"
	# ...while a reader polls and mbpoll comes and goes.
	iiot-read -i 100ms -c 10 "modbus-tcp://127.0.0.1:$SIM_PORT/1/hr/10/uint32" \
	    > "$BATS_TEST_TMPDIR/r.out" &
	OTHER_PID=$!
	for i in 1 2 3; do
		run -0 mb -a 2 -t 0 -r 0
		[ "$output" = 1 ]
	done
	wait "$OTHER_PID"
	exec 7>&-
	[ "$(wc -l < "$BATS_TEST_TMPDIR/r.out")" -eq 10 ]
}

@test "iiot-sim: counters only go up" {
	start_sim -S 3
	m="$BATS_TEST_TMPDIR/p.map"
	sed "s/127.0.0.1:5020/127.0.0.1:$SIM_PORT/" \
	    "$TOP/scripts/plant/press-shop-sim.map" > "$m"
	iiot-read -m "$m" -i 200ms -c 15 |
	    jq -r 'select(.sensor == "strokes" or .sensor == "energy") |
	    "\(.source) \(.sensor) \(.value)"' > "$BATS_TEST_TMPDIR/c"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/c")" -eq 45 ]
	# Each series never decreases, and the energy meter counts.
	awk '{ k = $1 " " $2; if (k in last && $3 < last[k]) bad = 1
	    if (!(k in first)) first[k] = $3; last[k] = $3 }
	    END { if (bad || last["meter0 energy"] <= first["meter0 energy"])
	    exit 1 }' "$BATS_TEST_TMPDIR/c"
}

@test "iiot-sim: --anomaly drops the pressure and heats the oil" {
	start_sim -S 5 -a pressure_drop:press1@0s+1m -a oil_hot:press2@0s+1m
	# press1 pressure stays below 120 bar for the whole anomaly.
	for i in 1 2 3 4 5; do
		run -0 mb -a 1 -t 3 -r 1
		[ "$output" -lt 1200 ]
	done
	# press2 oil passes the 65 degC alarm limit within seconds.
	wait_for 30 bash -c "[ \"\$(mbpoll -m tcp -p $SIM_PORT -0 -1 -q -a 2 -t 3 -r 0 127.0.0.1 |
	    sed -n 's/^\[0\]:[[:space:]]*//p')\" -gt 650 ]"
}

@test "iiot-sim: --schedule prints the default anomaly schedule" {
	start_sim -s
	wait_for 5 grep -q "oil_hot on press1 at 20s for 40s, every 10m" \
	    "$BATS_TEST_TMPDIR/sim.err"
	grep -q "power_peak on meter0" "$BATS_TEST_TMPDIR/sim.err"
}

@test "iiot-sim: --seed makes the signals reproducible" {
	for i in 1 2; do
		iiot-sim -l 127.0.0.1:0 -p "$BATS_TEST_TMPDIR/p$i" -o -S 42 |
		    head -16 | jq -c 'del(.ts)' > "$BATS_TEST_TMPDIR/o$i"
	done
	[ "$(wc -l < "$BATS_TEST_TMPDIR/o1")" -eq 16 ]
	assert_same "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o2"
	iiot-sim -l 127.0.0.1:0 -p "$BATS_TEST_TMPDIR/p3" -o -S 43 |
	    head -16 | jq -c 'del(.ts)' > "$BATS_TEST_TMPDIR/o3"
	! cmp -s "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o3"
}

@test "iiot-sim: -o | head -1 ends quietly" {
	run -0 --separate-stderr bash -c "iiot-sim -l 127.0.0.1:0 -p '$BATS_TEST_TMPDIR/p' -o | head -1"
	[[ "$output" == '{"ts":"'*'"source":"press1","sensor":"oil_temp"'* ]]
	[ -z "$stderr" ]
}

@test "iiot-sim: SIGTERM ends it cleanly with its records flushed" {
	start_sim -o -i 100ms
	wait_for 10 test -s "$BATS_TEST_TMPDIR/sim.out"
	kill -TERM "$SIM_PID"
	rc=0
	wait "$SIM_PID" || rc=$?
	[ "$rc" -eq 143 ]
	SIM_PID=
	# Whole records only, every one valid JSON.
	[ "$(tail -c 1 "$BATS_TEST_TMPDIR/sim.out" | od -An -c | tr -d ' ')" = '\n' ]
	jq -e . "$BATS_TEST_TMPDIR/sim.out" > /dev/null
	[ ! -s "$BATS_TEST_TMPDIR/sim.err" ]
}

@test "iiot-sim: serves Modbus RTU on a pseudo-terminal" {
	sim_pty_pair "$BATS_TEST_TMPDIR"
	OTHER_PID=$SOCAT_PID
	start_sim -A --rtu "$BATS_TEST_TMPDIR/a?baud=9600&parity=N"
	run -0 mbpoll -m rtu -b 9600 -P none -a 7 -0 -1 -q -t 4 -r 0 -c 4 \
	    "$BATS_TEST_TMPDIR/b"
	# meter0 energy, uint64 abcd in 0.001 kWh: above 1234567 kWh.
	regs=$(sed -n 's/^\[[0-9]*\]:[[:space:]]*//p' <<< "$output" |
	    sed 's/ .*//' | tr '\n' ' ')
	read -r a b c d <<< "$regs"
	[ "$(( (((a & 0xffff) * 65536 + (b & 0xffff)) * 65536 + (c & 0xffff)) * 65536 + (d & 0xffff) ))" -gt 1234567000 ]
}
