# SPDX-License-Identifier: MIT
# iiot-sim_helper.bash: start and stop iiot-sim for the Modbus tests
# (loaded by tests/iiot-sim.bats and tests/iiot-read.bats).

# start_sim [ARGS...]: start iiot-sim on a free loopback port with
# ARGS; sets SIM_PORT and SIM_PID.  Its stdout and stderr go to
# $BATS_TEST_TMPDIR/sim.out and sim.err.
start_sim() {
	local pf="$BATS_TEST_TMPDIR/sim.port"
	rm -f "$pf"
	iiot-sim -l 127.0.0.1:0 -p "$pf" "$@" \
	    > "$BATS_TEST_TMPDIR/sim.out" 2> "$BATS_TEST_TMPDIR/sim.err" &
	SIM_PID=$!
	if ! wait_for 10 test -s "$pf"; then
		cat "$BATS_TEST_TMPDIR/sim.err" >&2
		return 1
	fi
	SIM_PORT=$(cat "$pf")
}

# start_sim_on PORT [ARGS...]: the same on a given port (a restart).
start_sim_on() {
	local port=$1
	shift
	iiot-sim -l "127.0.0.1:$port" "$@" \
	    >> "$BATS_TEST_TMPDIR/sim.out" 2>> "$BATS_TEST_TMPDIR/sim.err" &
	SIM_PID=$!
	SIM_PORT=$port
	wait_port "$port" 10
}

# stop_sim: stop the simulator started last.
stop_sim() {
	# stop_pid fails when the process exits non-zero: that is fine here.
	stop_pid "${SIM_PID:-}" || true
	SIM_PID=
}

# sim_map FIXTURE [PORT]: copy tests/fixtures/iiot-read/FIXTURE with
# @PORT@ replaced by PORT (default $SIM_PORT); prints the copy's path.
sim_map() {
	local out="$BATS_TEST_TMPDIR/${1%.map}.$RANDOM.map"
	sed "s/@PORT@/${2:-$SIM_PORT}/g" "$(fixture iiot-read "$1")" > "$out"
	echo "$out"
}

# no_ts: drop the "ts" of records on stdin and put @PORT@ back in
# origins, so outputs compare with fixtures.
no_ts() {
	jq -c 'del(.ts)' | sed "s/127\.0\.0\.1:$SIM_PORT/127.0.0.1:@PORT@/g"
}

# sim_pty_pair DIR: a socat pseudo-terminal pair DIR/a <-> DIR/b; sets
# SOCAT_PID.
sim_pty_pair() {
	socat pty,raw,echo=0,link="$1/a" pty,raw,echo=0,link="$1/b" \
	    2> "$BATS_TEST_TMPDIR/socat.err" &
	SOCAT_PID=$!
	wait_for 10 test -e "$1/a" -a -e "$1/b"
}
