# SPDX-License-Identifier: MIT
# mqtt_helper.bash: brokers with persistence, TLS and passwords for the
# MQTT tests of iiot-read and iiot-publish (loaded after test_helper).

# The broker runs as root when the tests do, so that it can read the
# test's own files (it would otherwise drop to the mosquitto user).
MQTT_USER_LINE="user $(id -un)"

# start_broker [EXTRA-CONFIG-LINES]: a broker that keeps its sessions
# and queued messages in $BATS_TEST_TMPDIR/persist/ across a restart
# (saved when it is stopped with SIGTERM).  Restart it with
# stop_mosquitto then start_broker again: MQTT_PORT is kept.
start_broker() {
	mkdir -p "$BATS_TEST_TMPDIR/persist"
	start_mosquitto "$(printf '%s\n' "persistence true" \
	    "persistence_location $BATS_TEST_TMPDIR/persist/" \
	    "$MQTT_USER_LINE" ${1:+"$1"})"
}

# start_secure_broker: TLS and a password (user alice, password
# secret, in the client file $BATS_TEST_TMPDIR/alice.pw, mode 0600).
# No password on a command line: mosquitto_pub and mosquitto_sub run as
# alice with XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/alice, whose option files
# hold the user and the password.
start_secure_broker() {
	local d=$BATS_TEST_TMPDIR/tls
	make_certs "$d"
	(
		umask 077
		printf 'alice:secret\n' > "$BATS_TEST_TMPDIR/passwd"
		printf 'secret\n' > "$BATS_TEST_TMPDIR/alice.pw"
		mkdir -p "$BATS_TEST_TMPDIR/alice"
		printf '%s\n' '-u alice' '-P secret' \
		    > "$BATS_TEST_TMPDIR/alice/mosquitto_pub"
		cp "$BATS_TEST_TMPDIR/alice/mosquitto_pub" \
		    "$BATS_TEST_TMPDIR/alice/mosquitto_sub"
	)
	mosquitto_passwd -U "$BATS_TEST_TMPDIR/passwd"
	start_mosquitto "$(printf '%s\n' "cafile $d/ca.crt" \
	    "certfile $d/server.crt" "keyfile $d/server.key" \
	    "allow_anonymous false" \
	    "password_file $BATS_TEST_TMPDIR/passwd" "$MQTT_USER_LINE")"
}

# lines FILE: the number of lines in FILE (0 when missing).
lines() {
	[ -f "$1" ] || { echo 0; return; }
	wc -l < "$1"
}

# has_lines FILE N: whether FILE has at least N lines.
has_lines() {
	[ "$(lines "$1")" -ge "$2" ]
}

# wait_lines SECONDS FILE N: wait until FILE has at least N lines.
wait_lines() {
	wait_for "$1" has_lines "$2" "$3"
}

# wait_grep SECONDS FILE PATTERN: wait until PATTERN is in FILE.
wait_grep() {
	wait_for "$1" grep -q -- "$3" "$2"
}

# seq_records N [FIRST]: N records whose values count up from FIRST.
seq_records() {
	local i first=${2:-1}
	for ((i = first; i < first + $1; i++)); do
		printf '{"source":"press1","sensor":"seq","value":%d}\n' "$i"
	done
}
