#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# security.bats: what SECURITY.md promises: hardened binaries, no secret
# on a command line, secrets files and data files that others cannot
# read, clean hook environments, a read-only loopback dashboard.
load test_helper
bats_require_minimum_version 1.5.0

setup() {
	PLOT_PID=
}

teardown() {
	exec 7>&- 2>/dev/null || true
	stop_pid "$PLOT_PID"
}

# mode FILE: the permission bits of FILE in octal, as 640.
mode() {
	stat -c %a "$1"
}

# ---- hardening: what the Makefile asks for is in every binary ----

@test "security: every program is PIE with full RELRO and BIND_NOW" {
	local b n=0
	for b in "$IIOT_BIN"/iiot-*; do
		n=$((n + 1))
		readelf -hW "$b" | grep -Eq 'Type:[[:space:]]+DYN' ||
		    { echo "$b: not PIE" >&2; return 1; }
		readelf -lW "$b" | grep -q GNU_RELRO ||
		    { echo "$b: no GNU_RELRO" >&2; return 1; }
		readelf -dW "$b" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' ||
		    { echo "$b: no BIND_NOW" >&2; return 1; }
	done
	[ "$n" -ge 7 ]
}

@test "security: every program has a stack protector and fortified calls" {
	local b syms
	for b in "$IIOT_BIN"/iiot-*; do
		syms=$(readelf --dyn-syms -W "$b")
		grep -q ' __stack_chk_fail' <<< "$syms" ||
		    { echo "$b: no stack protector" >&2; return 1; }
		grep -Eq ' __[a-z0-9_]+_chk(@|$)' <<< "$syms" ||
		    { echo "$b: no fortified call" >&2; return 1; }
	done
}

# ---- no secret on a command line ----

@test "security: no password on a command line in docs, scripts or tests" {
	# mosquitto_pub -P, mosquitto_passwd -b, a password in a URL with a
	# scheme the suite speaks, curl -u user:password.  The tests that
	# check that such a URL is refused (exit 2) are the exception.
	grep -rnE \
	    -e 'mosquitto_(pub|sub|rr)([^|;]*[[:space:]])-P[[:space:]]' \
	    -e 'mosquitto_passwd[^|;]*[[:space:]]-b[[:space:]]' \
	    -e '(mqtts?|smtps?|https?)://[^/@[:space:]:"]+:[^/@[:space:]"]+@[a-z0-9]' \
	    -e 'curl[^|;]*[[:space:]]-u[[:space:]]*[^[:space:]:]+:[^[:space:]]' \
	    --exclude=security.bats --exclude-dir=corpus --exclude-dir=unit \
	    "$TOP/README.md" "$TOP/SECURITY.md" "$TOP/docs" "$TOP/man" \
	    "$TOP/scripts" "$TOP/tests" > "$BATS_TEST_TMPDIR/found" || true
	run -1 grep -v 'run -2 ' "$BATS_TEST_TMPDIR/found"
}

@test "security: a password in an MQTT URL is refused by iiot-read and iiot-publish" {
	run -2 --separate-stderr iiot-read mqtt://alice:secret@127.0.0.1:1/t
	[[ "$stderr" == *"password does not belong in a URL"* ]]
	run -2 --separate-stderr iiot-publish mqtt://alice:secret@127.0.0.1:1 \
	    < /dev/null
	[[ "$stderr" == *"password does not belong in a URL"* ]]
}

# ---- secrets files that others can read are refused ----

@test "security: a broker password file others can read is refused" {
	printf 'secret\n' > "$BATS_TEST_TMPDIR/pw"
	chmod 644 "$BATS_TEST_TMPDIR/pw"
	run -2 --separate-stderr iiot-read --password-file \
	    "$BATS_TEST_TMPDIR/pw" mqtt://alice@127.0.0.1:1/t
	[[ "$stderr" == *"'$BATS_TEST_TMPDIR/pw'"*"other users can read it"* ]]
	run -2 --separate-stderr iiot-publish --password-file \
	    "$BATS_TEST_TMPDIR/pw" mqtt://alice@127.0.0.1:1 < /dev/null
	[[ "$stderr" == *"'$BATS_TEST_TMPDIR/pw'"*"other users can read it"* ]]
}

@test "security: an SMTP password file others can read is refused" {
	local pw=$BATS_TEST_TMPDIR/smtp.pass rules=$BATS_TEST_TMPDIR/r.rules
	printf 'secret\n' > "$pw"
	chmod 604 "$pw"
	printf '%s\n' "action m mail to ops@plant.example via" \
	    "    smtp://127.0.0.1:1 user iiot password-file $pw" \
	    "rule hot */t > 1 action m" > "$rules"
	run -2 --separate-stderr iiot-alert -n -f "$rules" < /dev/null
	[ "$stderr" = "iiot-alert: $rules:1: action 'm': password file '$pw' is readable by others (chmod o-r)" ]
	chmod 600 "$pw"
	run -0 --separate-stderr iiot-alert -n -f "$rules" < /dev/null
}

# ---- files the suite creates ----

@test "security: the archive is 0640 and the alarm state 0600 whatever the umask" {
	umask 000
	printf '{"ts":1795953600,"source":"p","sensor":"t","value":%s}\n' 1 2 \
	    > "$BATS_TEST_TMPDIR/in"
	run -0 iiot-archive -q -d "$BATS_TEST_TMPDIR/a.db" \
	    < "$BATS_TEST_TMPDIR/in"
	[ "$(mode "$BATS_TEST_TMPDIR/a.db")" = 640 ]
	run -0 iiot-alert -r 'hot */t > 1' -s "$BATS_TEST_TMPDIR/alert.state" \
	    < "$BATS_TEST_TMPDIR/in"
	[ "$(mode "$BATS_TEST_TMPDIR/alert.state")" = 600 ]
}

@test "security: the publish queue is 0600 whatever the umask" {
	umask 000
	run --separate-stderr iiot-publish -q --queue "$BATS_TEST_TMPDIR/q.db" \
	    mqtt://127.0.0.1:1 < /dev/null
	[ "$(mode "$BATS_TEST_TMPDIR/q.db")" = 600 ]
	local f
	for f in "$BATS_TEST_TMPDIR"/q.db-*; do
		[ ! -e "$f" ] || [ "$(mode "$f")" = 600 ]
	done
}

@test "security: dashboard files are not writable by others, and follow a umask of 027" {
	umask 027
	printf '{"ts":1795953600,"source":"p","sensor":"t","value":%s}\n' 1 2 \
	    > "$BATS_TEST_TMPDIR/in"
	mkdir "$BATS_TEST_TMPDIR/web"
	run -0 iiot-plot -q -p 'line:*' -o "$BATS_TEST_TMPDIR/web/" \
	    "$BATS_TEST_TMPDIR/in"
	run -0 iiot-plot -q -p 'table:*' -o "$BATS_TEST_TMPDIR/d.png" \
	    "$BATS_TEST_TMPDIR/in"
	local f n=0
	for f in "$BATS_TEST_TMPDIR"/web/* "$BATS_TEST_TMPDIR/d.png"; do
		n=$((n + 1))
		[ "$(( 8#$(mode "$f") & 8#027 ))" -eq 0 ] ||
		    { echo "$f: mode $(mode "$f")" >&2; return 1; }
	done
	[ "$n" -ge 3 ]
}

# ---- child processes ----

@test "security: a hook gets a fixed argv, a clean environment and the event on stdin" {
	local hook=$BATS_TEST_TMPDIR/hook out=$BATS_TEST_TMPDIR/hook.out
	printf '%s\n' '#!/bin/sh' "{ printf '%s\\n' \"\$@\"; echo ---; env; \
echo ---; cat; } > '$out'" > "$hook"
	chmod 755 "$hook"
	printf '{"ts":1795953600,"source":"p$(touch x)","sensor":"t","value":5}\n' \
	    > "$BATS_TEST_TMPDIR/in"
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr env SECRET_TOKEN=s3cret \
	    IIOT_MQTT_PASSWORD=s3cret iiot-alert -q \
	    -r "action h exec $hook fixed-arg" -r 'rule hot */t > 1 action h' \
	    < "$BATS_TEST_TMPDIR/in"
	wait_for 10 grep -q '"alert":"hot"' "$out"
	# argv: exactly the words of the rule.
	[ "$(sed -n '1,/^---$/p' "$out")" = "$(printf 'fixed-arg\n---')" ]
	# Environment: PATH and the event's IIOT_ variables, nothing else.
	sed -n '/^---$/,/^---$/p' "$out" | grep -v '^---$' | cut -d= -f1 \
	    > "$BATS_TEST_TMPDIR/names"
	grep -qx PATH "$BATS_TEST_TMPDIR/names"
	grep -qx IIOT_SENSOR "$BATS_TEST_TMPDIR/names"
	run -1 grep -vxE 'PATH|PWD|IIOT_[A-Z]+' "$BATS_TEST_TMPDIR/names"
	run -1 grep -c s3cret "$out"
	grep -qx 'IIOT_SOURCE=p$(touch x)' "$out"
	[ ! -e x ]
}

# ---- the HTTP dashboard ----

@test "security: --listen needs an explicit host, never all interfaces by default" {
	run -1 --separate-stderr iiot-plot -q -l 8080 -p table < /dev/null
	[[ "$stderr" == *"--listen: expected HOST:PORT"* ]]
	run -1 --separate-stderr iiot-plot -q -l :8080 -p table < /dev/null
	[[ "$stderr" == *"--listen: expected HOST:PORT"* ]]
}

@test "security: the HTTP dashboard is read-only and serves nothing else" {
	local port code m
	port=$(free_port)
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-plot -q -l "127.0.0.1:$port" -p table \
	    < "$BATS_TEST_TMPDIR/fifo" 3>&- &
	PLOT_PID=$!
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	wait_port "$port" 10
	# Bound to loopback only.
	run -0 ss -Hltn "sport = :$port"
	[[ "$output" == *"127.0.0.1:$port"* ]]
	[[ "$output" != *"0.0.0.0:$port"* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/"
	[ "$output" = 200 ]
	for m in POST PUT DELETE PATCH; do
		run -0 curl -sS -o /dev/null -w '%{http_code}' -X "$m" \
		    --data x "http://127.0.0.1:$port/"
		[ "$output" = 405 ] || { echo "$m: $output" >&2; return 1; }
	done
	for p in /../../etc/passwd /dashboard.png/../../etc/passwd \
	    /%2e%2e/%2e%2e/etc/passwd /etc/passwd /index.html.tmp; do
		run -0 curl -sS --path-as-is -o "$BATS_TEST_TMPDIR/body" \
		    -w '%{http_code}' "http://127.0.0.1:$port$p"
		[ "$output" = 404 ] || { echo "$p: $output" >&2; return 1; }
		! grep -q 'root:' "$BATS_TEST_TMPDIR/body"
	done
}
