# SPDX-License-Identifier: MIT
# test_helper.bash: shared setup for the bats files: PATH, fixtures,
# comparisons, free ports, and the real servers the tests talk to
# (mosquitto here; each program's file adds the ones only it needs).

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
IIOT_BIN=${IIOT_BIN:-$TOP/bin}
IIOT_OBJ=${IIOT_OBJ:-$TOP/obj}
PATH="$IIOT_BIN:$PATH"
export PATH TOP IIOT_BIN IIOT_OBJ
# Under the sanitizer build, leaks are errors too, and any report fails.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}

# fixture PROG CASE: the path of tests/fixtures/PROG/CASE.
fixture() {
	echo "$TOP/tests/fixtures/$1/$2"
}

# assert_same EXPECTED-FILE ACTUAL-FILE: compare whole outputs.
assert_same() {
	if ! diff -u "$1" "$2"; then
		echo "outputs differ: $1 $2" >&2
		return 1
	fi
}

# assert_output_file FILE: compare $output (from run) with FILE.
assert_output_file() {
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/actual.out"
	assert_same "$1" "$BATS_TEST_TMPDIR/actual.out"
}

# free_port: a TCP port on 127.0.0.1 that is free now.
free_port() {
	"$IIOT_OBJ/tests/helpers/freeport"
}

# wait_port PORT [SECONDS]: wait until something listens on PORT.
wait_port() {
	local port=$1 tries=$(( ${2:-5} * 20 ))
	while [ "$tries" -gt 0 ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	echo "nothing listens on port $port" >&2
	return 1
}

# wait_for SECONDS COMMAND...: retry COMMAND until it succeeds.
wait_for() {
	local tries=$(( $1 * 20 ))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	return 1
}

# stop_pid PID: SIGTERM a process we started, then SIGKILL it if it
# is still there after two seconds.  Never by name.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 40); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			return 0
		fi
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	return 0
}

# start_mosquitto [EXTRA-CONFIG-LINES]: start a private broker on a
# free loopback port.  Sets MQTT_PORT and MQTT_PID; the config is in
# $BATS_TEST_TMPDIR/mosquitto.conf.
start_mosquitto() {
	local conf="$BATS_TEST_TMPDIR/mosquitto.conf"
	MQTT_PORT=${MQTT_PORT:-$(free_port)}
	{
		echo "listener $MQTT_PORT 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence false"
		[ -n "${1:-}" ] && printf '%s\n' "$1"
	} > "$conf"
	mosquitto -c "$conf" > "$BATS_TEST_TMPDIR/mosquitto.log" 2>&1 &
	MQTT_PID=$!
	wait_port "$MQTT_PORT" 5
}

# stop_mosquitto: stop the broker started by start_mosquitto.
stop_mosquitto() {
	stop_pid "${MQTT_PID:-}"
	MQTT_PID=
}

# gen_stream N [SEED]: N records of the benchmark's generated plant.
# make_certs DIR: a test CA, a server certificate for localhost (not
# 127.0.0.1) signed by it, and a second CA that signed nothing.
make_certs() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" \
	    -out "$d/ca.crt" -days 2 -subj "/CN=iiot test CA" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" \
	    -out "$d/server.csr" -subj "/CN=localhost" 2>/dev/null
	printf 'subjectAltName=DNS:localhost\n' > "$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" \
	    -CAkey "$d/ca.key" -CAcreateserial -out "$d/server.crt" \
	    -days 2 -extfile "$d/ext" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/other.key" \
	    -out "$d/other.crt" -days 2 -subj "/CN=another CA" 2>/dev/null
}

gen_stream() {
	"$TOP/scripts/gen-stream" -n "$1" -s "${2:-1}"
}

# check_synopsis PROG: the synopsis in PROG --help is the one in its man
# page, word for word.
check_synopsis() {
	local prog=$1 help man
	help=$("$prog" --help | sed -n '/^usage:/,/^$/p' | tr -s ' \t\n' ' ' |
	    sed 's/^usage: //; s/ $//')
	man=$(mandoc -Tascii "$TOP/man/$prog.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
	    tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//')
	if [ "$help" != "$man" ]; then
		echo "--help: $help"
		echo "man:    $man"
		return 1
	fi
}

# run_man_examples PROG INPUT: run every example command of PROG's man
# page that is a lone PROG command (a .Dl line starting with PROG, no
# pipe), with INPUT on stdin; each must exit 0.
run_man_examples() {
	local prog=$1 input=$2 cmd n=0
	while IFS= read -r cmd; do
		case "$cmd" in *"|"*) continue ;; esac
		n=$((n + 1))
		if ! bash -c "$cmd" < "$input" > /dev/null; then
			echo "example failed: $cmd"
			return 1
		fi
	done < <(sed -n "s/^\.Dl \($prog .*\)/\1/p" "$TOP/man/$prog.1" |
	    sed 's/\\-/-/g; s/\\(dq/"/g')
	[ "$n" -gt 0 ]
}
