#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-alert: rules, scripted alarm sequences against fixtures, the state
# file, stale series in real time, every action against a real process or
# server, check mode, bad input and signals.

load test_helper
load alert_helper
bats_require_minimum_version 1.5.0

@test "iiot-alert: --help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr iiot-alert --help
	[[ "$output" == "usage: iiot-alert "* ]]
	[[ "$output" == *"--silence"* ]]
	[ -z "$stderr" ]
}

@test "iiot-alert: --version names the program and its libraries" {
	run -0 iiot-alert --version
	[[ "${lines[0]}" == "iiot-alert "[0-9]* ]]
	[[ "$output" == *"cJSON "* ]]
	[[ "$output" == *"libcurl "* ]]
	[[ "$output" == *"libmosquitto "* ]]
	[[ "$output" == *"libmodbus "* ]]
}

@test "iiot-alert: a bad option is a usage error, exit 2" {
	run -2 --separate-stderr iiot-alert --no-such-option
	[ -z "$output" ]
	[[ "$stderr" == *"usage: iiot-alert"* ]]
	[[ "$stderr" == *"Try 'iiot-alert --help'"* ]]
	run -2 --separate-stderr iiot-alert
	[[ "$stderr" == *"no rules"* ]]
	run -2 --separate-stderr iiot-alert -r 'a */x > 1' --queue 0
	[[ "$stderr" == *"--queue"* ]]
}

@test "iiot-alert: usage synopsis matches the man page" {
	check_synopsis iiot-alert
}

@test "iiot-alert: the man page's examples run" {
	cd "$TOP"
	run_man_examples iiot-alert "$ALERT_FIX/hysteresis.in"
}

@test "iiot-alert: rule errors name file and line, exit 2" {
	local f=$BATS_TEST_TMPDIR/bad.rules
	printf '# comment\nrule ok */x > 1\n\nrule bad */y >> 3\n' > "$f"
	run -2 --separate-stderr iiot-alert -f "$f"
	[ "$stderr" = "iiot-alert: $f:4: bad condition '>>': want > >= < <= == != outside inside" ]
	printf 'rule a */x > 1\n    severity fatal\n' > "$f"
	run -2 --separate-stderr iiot-alert -f "$f"
	[ "$stderr" = "iiot-alert: $f:1: bad severity 'fatal'" ]
	printf 'rule a */x > 1 action nope\n' > "$f"
	run -2 --separate-stderr iiot-alert -f "$f"
	[ "$stderr" = "iiot-alert: $f:1: no action 'nope'" ]
	printf 'action x exec /no/such/hook\n' > "$f"
	run -2 --separate-stderr iiot-alert -f "$f"
	[[ "$stderr" == "iiot-alert: $f:1: action 'x': cannot find program '/no/such/hook'"* ]]
	run -2 --separate-stderr iiot-alert -r 'a */x > 1 for ever'
	[ "$stderr" = "iiot-alert: -r #1:1: bad duration for for: 'ever'" ]
	run -2 --separate-stderr iiot-alert -r 'a */x > 1' -r 'a */y < 1'
	[[ "$stderr" == *"-r #2:1: rule 'a' already defined at -r #1:1" ]]
	run -2 --separate-stderr iiot-alert -f /no/such.rules
	[[ "$stderr" == *"/no/such.rules: No such file or directory" ]]
	run -2 --separate-stderr iiot-alert -r 'a */x > 1' --silence nocolon
	[[ "$stderr" == *"bad --silence 'nocolon'"* ]]
}

@test "iiot-alert: the press shop rules express every alarm of the spec" {
	cd "$TOP"
	local r=scripts/plant/press-shop.rules
	for name in oil_hot oil_critical_press1 oil_critical_press2 \
	    pressure_loss vibration compressor_idle power_peak sensor_silent; do
		grep -q "^rule $name " "$r"
	done
	# 17 minutes of the plant, a point every 20 s; press 1 runs for the
	# first 100 s, then both presses stand while the compressor runs.
	{
		rec meter0 energy 1000 0
		for t in $(seq 0 20 1020); do
			rec press1 motor_on $((t < 100)) $t
			rec press2 motor_on 0 $t
			rec comp1 power 8 $t; rec meter0 power 330 $t
			rec press1 oil_temp 80 $t; rec press1 pressure 100 $t
			rec press2 vibration 9 $t
		done
	} > "$BATS_TEST_TMPDIR/plant.in"
	run -0 --separate-stderr iiot-alert -n -f "$r" "$BATS_TEST_TMPDIR/plant.in"
	run -0 jq -r '"\(.alert) \(.source) \(.state) \(.severity)"' <<< "$output"
	[[ "$output" == *"oil_critical_press1 press1 firing critical"* ]]
	[[ "$output" == *"pressure_loss press1 firing warning"* ]]
	[[ "$output" == *"oil_hot press1 firing warning"* ]]
	[[ "$output" == *"vibration press2 firing warning"* ]]
	[[ "$output" == *"power_peak meter0 firing warning"* ]]
	[[ "$output" == *"sensor_silent meter0 firing warning"* ]]
	[[ "$output" == *"pressure_loss press1 resolved warning"* ]]
	[[ "$output" == *"compressor_idle comp1 firing info"* ]]
}

@test "iiot-alert: hysteresis fires above 80 and clears below 75" {
	alert_case hysteresis
}

@test "iiot-alert: for delays both firing and clearing" {
	alert_case for
}

@test "iiot-alert: escalation changes one alarm's severity" {
	alert_case escalation
}

@test "iiot-alert: repeat reminds while firing" {
	alert_case repeat
}

@test "iiot-alert: flapping gives one notice, then the settled state" {
	alert_case flapping
}

@test "iiot-alert: a silence in the rules file marks a machine's events" {
	alert_case silence
}

@test "iiot-alert: at most once per caps notifications" {
	alert_case cap
}

@test "iiot-alert: while looks at another point of the same source" {
	alert_case while
}

@test "iiot-alert: while all looks at series by glob" {
	alert_case while_all
}

@test "iiot-alert: rate of change, per minute" {
	alert_case rate
}

@test "iiot-alert: deviation from the moving mean" {
	alert_case deviation
}

@test "iiot-alert: quality != good" {
	alert_case quality
}

@test "iiot-alert: outside a range, cleared inside a narrower one" {
	alert_case outside
}

@test "iiot-alert: stale in data time: a series that stops reporting" {
	alert_case stale
}

@test "iiot-alert: restart with the state file neither re-fires nor forgets" {
	local s=$BATS_TEST_TMPDIR/state
	head -4 "$ALERT_FIX/repeat.in" |
	    iiot-alert -f "$ALERT_FIX/repeat.rules" -s "$s" > "$BATS_TEST_TMPDIR/1"
	[ "$(stat -c %a "$s")" = 600 ]
	grep -q '"state":"firing"' "$s"
	# The same events as one uninterrupted run: no second "firing".
	tail -n +5 "$ALERT_FIX/repeat.in" |
	    iiot-alert -f "$ALERT_FIX/repeat.rules" -s "$s" > "$BATS_TEST_TMPDIR/2"
	cat "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2" > "$BATS_TEST_TMPDIR/all"
	assert_same "$ALERT_FIX/repeat.out" "$BATS_TEST_TMPDIR/all"
	# A pending "for" survives a restart too.
	head -6 "$ALERT_FIX/for.in" |
	    iiot-alert -f "$ALERT_FIX/for.rules" -s "$s.2" > "$BATS_TEST_TMPDIR/1"
	tail -n +7 "$ALERT_FIX/for.in" |
	    iiot-alert -f "$ALERT_FIX/for.rules" -s "$s.2" > "$BATS_TEST_TMPDIR/2"
	cat "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2" > "$BATS_TEST_TMPDIR/all"
	assert_same "$ALERT_FIX/for.out" "$BATS_TEST_TMPDIR/all"
}

@test "iiot-alert: a series silent across a restart is found stale" {
	local s=$BATS_TEST_TMPDIR/state
	rec m1 x 1 0 | iiot-alert -r 'silent */* stale 60s' -s "$s" > /dev/null
	run -0 iiot-alert -r 'silent */* stale 60s' -s "$s" <<< "$(rec m2 y 1 120)"
	[ "$output" = '{"ts":"2026-11-29T12:01:00.000Z","source":"m1","sensor":"x","value":1,"alert":"silent","severity":"warning","state":"firing","threshold":60,"since":"2026-11-29T12:01:00.000Z"}' ]
}

@test "iiot-alert: a full action queue drops jobs, never the stream" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh
exec sleep 0.3
' > "$d/slow"
	chmod +x "$d/slow"
	printf 'action h retries 0 exec %s
rule hot */t > 0 action h
' "$d/slow" > "$d/r"
	for i in $(seq 1 20); do rec m t $(( i % 2 ? 1 : -1 )) "$i"; done > "$d/in"
	run -1 --separate-stderr iiot-alert --queue 1 -f "$d/r" "$d/in"
	[ "${#lines[@]}" -eq 20 ]
	[[ "$stderr" == *"action queue full: dropped action 'h' for alert 'hot'"* ]]
}

@test "iiot-alert: ack silences reminders until the alarm resolves" {
	local s=$BATS_TEST_TMPDIR/state
	head -4 "$ALERT_FIX/repeat.in" |
	    iiot-alert -f "$ALERT_FIX/repeat.rules" -s "$s" > "$BATS_TEST_TMPDIR/1"
	run -0 iiot-alert ack 'oil@press1/*' -s "$s"
	[ "$output" = "acknowledged oil@press1/oil_temp" ]
	run -1 --separate-stderr iiot-alert ack 'oil' -s "$s"
	[[ "$stderr" == *"no active alarm matches"* ]]
	tail -n +5 "$ALERT_FIX/repeat.in" |
	    iiot-alert -f "$ALERT_FIX/repeat.rules" -s "$s" > "$BATS_TEST_TMPDIR/2"
	cat "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2" > "$BATS_TEST_TMPDIR/all"
	assert_same "$ALERT_FIX/ack.out" "$BATS_TEST_TMPDIR/all"
	run -2 --separate-stderr iiot-alert ack oil
	[[ "$stderr" == *"--state"* ]]
}

@test "iiot-alert: a running iiot-alert takes an ack from the state file" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out s=$BATS_TEST_TMPDIR/state
	mkfifo "$fifo"
	iiot-alert -v -f "$ALERT_FIX/repeat.rules" -s "$s" < "$fifo" > "$out" 2> "$BATS_TEST_TMPDIR/err" &
	ALERT_PID=$!
	exec 7> "$fifo"
	head -2 "$ALERT_FIX/repeat.in" >&7
	wait_for 10 grep -q '"acked":false' "$s"
	iiot-alert ack oil -s "$s"
	wait_for 10 grep -q 'read again for acknowledgements' "$BATS_TEST_TMPDIR/err"
	tail -n +3 "$ALERT_FIX/repeat.in" >&7
	exec 7>&-
	wait "$ALERT_PID"
	ALERT_PID=
	assert_same "$ALERT_FIX/ack.out" "$out"
}

@test "iiot-alert: an ack by editing the state file in place" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out s=$BATS_TEST_TMPDIR/state
	mkfifo "$fifo"
	iiot-alert -v -f "$ALERT_FIX/repeat.rules" -s "$s" < "$fifo" > "$out" 2> "$BATS_TEST_TMPDIR/err" &
	ALERT_PID=$!
	exec 7> "$fifo"
	head -2 "$ALERT_FIX/repeat.in" >&7
	wait_for 10 grep -q '"acked":false' "$s"
	sed 's/"acked":false/"acked":true/' "$s" > "$BATS_TEST_TMPDIR/edit"
	cat "$BATS_TEST_TMPDIR/edit" > "$s"
	wait_for 10 grep -q 'read again for acknowledgements' "$BATS_TEST_TMPDIR/err"
	tail -n +3 "$ALERT_FIX/repeat.in" >&7
	exec 7>&-
	wait "$ALERT_PID"
	ALERT_PID=
	assert_same "$ALERT_FIX/ack.out" "$out"
}

@test "iiot-alert: --silence from the command line, for a duration" {
	run -0 iiot-alert -r 'hot */t > 1' --silence 'h*@m1:1h' <<-EOF
	{"source":"m1","sensor":"t","value":5}
	{"source":"m2","sensor":"t","value":5}
	EOF
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'"source":"m1"'*'"silenced":1}' ]]
	[[ "${lines[1]}" != *silenced* ]]
}

@test "iiot-alert: stale fires on a timer with idle input, resolves on data" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$fifo"
	iiot-alert -r 'silent */* stale 1s' < "$fifo" > "$out" &
	ALERT_PID=$!
	exec 7> "$fifo"
	echo '{"source":"m1","sensor":"x","value":1}' >&7
	wait_for 10 grep -q '"state":"firing"' "$out"
	echo '{"source":"m1","sensor":"x","value":2}' >&7
	wait_for 10 grep -q '"state":"resolved"' "$out"
	exec 7>&-
	wait "$ALERT_PID"
	ALERT_PID=
	run -0 jq -r '"\(.alert) \(.state) \(.threshold)"' "$out"
	[ "$output" = "silent firing 1
silent resolved 1" ]
}

@test "iiot-alert: exec hook: environment, stdin, no shell for hostile names" {
	local d=$BATS_TEST_TMPDIR
	cat > "$d/hook" <<-'EOF'
	#!/bin/sh
	{ env | LC_ALL=C sort; echo "argv: $1|$2"; echo stdin:; cat; } > "$1/hook.out"
	EOF
	chmod +x "$d/hook"
	printf 'action h exec %s %s "two words"\nrule hot */t > 1 action h\n' \
	    "$d/hook" "$d" > "$d/r"
	cd "$d"
	printf '%s\n' '{"source":"$(touch pwned)`touch pwned2`\"; touch pwned3 '"'"'x\n","sensor":"t","value":5,"unit":"degC"}' |
	    iiot-alert -f "$d/r" > "$d/events"
	[ ! -e "$d/pwned" ] && [ ! -e "$d/pwned2" ] && [ ! -e "$d/pwned3" ]
	grep -qx 'IIOT_ALERT=hot' "$d/hook.out"
	grep -qx 'IIOT_STATE=firing' "$d/hook.out"
	grep -qx 'IIOT_SEVERITY=warning' "$d/hook.out"
	grep -qx 'IIOT_SENSOR=t' "$d/hook.out"
	grep -qx 'IIOT_VALUE=5' "$d/hook.out"
	grep -qx 'IIOT_THRESHOLD=1' "$d/hook.out"
	grep -qx 'IIOT_UNIT=degC' "$d/hook.out"
	grep -qxF 'IIOT_SOURCE=$(touch pwned)`touch pwned2`"; touch pwned3 '"'"'x' "$d/hook.out"
	grep -qx "argv: $d|two words" "$d/hook.out"
	# A clean environment: nothing of ours leaks into the hook.
	! grep -q '^HOME=\|^BATS\|^IIOT_BIN' "$d/hook.out"
	sed -n '/^stdin:$/{n;p}' "$d/hook.out" > "$d/stdin"
	assert_same "$d/events" "$d/stdin"
}

@test "iiot-alert: a hanging hook is killed at its time limit" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho started > "%s/started"\nexec sleep 60\n' "$d" > "$d/hang"
	chmod +x "$d/hang"
	printf 'action h timeout 1s retries 0 exec %s\nrule hot */t > 1 action h\n' \
	    "$d/hang" > "$d/r"
	SECONDS=0
	run -1 --separate-stderr iiot-alert -f "$d/r" <<< '{"source":"m","sensor":"t","value":5}'
	[ "$SECONDS" -lt 10 ]
	[ -e "$d/started" ]
	[[ "$stderr" == *"action 'h' for alert 'hot' failed: '$d/hang' killed after 1s"* ]]
	[[ "$output" == *'"state":"firing"'* ]]
}

@test "iiot-alert: a failing hook is retried, reported, the event recorded" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho x >> "%s/tries"\necho "no modem" >&2\nexit 3\n' "$d" > "$d/fail"
	chmod +x "$d/fail"
	printf 'action h retries 1 exec %s\nrule hot */t > 1 action h\n' \
	    "$d/fail" > "$d/r"
	run -1 --separate-stderr iiot-alert -f "$d/r" -s "$d/state" <<< '{"source":"m","sensor":"t","value":5}'
	[ "$(wc -l < "$d/tries")" -eq 2 ]
	[[ "$stderr" == *"failed (try 1), will retry: '$d/fail' exited with status 3: no modem"* ]]
	[[ "$stderr" == *"action 'h' for alert 'hot' failed: '$d/fail' exited with status 3: no modem"* ]]
	[[ "$output" == *'"state":"firing"'* ]]
	grep -q '"state":"firing"' "$d/state"
}

@test "iiot-alert: e-mail to a real SMTP server" {
	start_smtp
	local r=$BATS_TEST_TMPDIR/r
	cat > "$r" <<-EOF
	action m mail to maint@plant.example to boss@plant.example
	    from alert@plant.example via smtp://127.0.0.1:$SMTP_PORT
	rule oil_hot press*/oil_temp > 65 clear < 62 action m
	EOF
	# A value that tries to add a header stays inside the subject.
	{ rec "press1"'\r\nBcc: evil@example.com' oil_temp 70 0
	  rec press2 oil_temp 70 5; rec press2 oil_temp 60 10; } > "$BATS_TEST_TMPDIR/in"
	run -0 iiot-alert -f "$r" "$BATS_TEST_TMPDIR/in"
	local log=$BATS_TEST_TMPDIR/smtp.log
	wait_for 10 grep -q 'state: resolved' "$log"
	grep -q '^To: maint@plant.example, boss@plant.example' "$log"
	grep -q '^Message-ID: <[0-9]*\.[0-9]*\.[0-9a-f]*@' "$log"
	grep -q '^Subject: \[warning\] oil_hot firing: press1  Bcc: evil@example.com/oil_temp = 70' "$log"
	! grep -q '^Bcc:' "$log"
	grep -q '^alert: oil_hot' "$log"
	grep -q '^event: {"ts":"2026-11-29T12:00:00.000Z"' "$log"
	[ "$(grep -c 'MESSAGE FOLLOWS' "$log")" -eq 3 ]
}

@test "iiot-alert: e-mail over STARTTLS and SMTPS, the server's certificate checked" {
	local r=$BATS_TEST_TMPDIR/r ca=$BATS_TEST_TMPDIR/tls/ca.crt
	rec press1 oil_temp 70 > "$BATS_TEST_TMPDIR/in"
	start_smtp_tls starttls
	printf 'action m mail to maint@plant.example via smtp://localhost:%s starttls cafile %s\nrule hot */oil_temp > 65 action m\n' \
	    "$SMTP_PORT" "$ca" > "$r"
	run -0 --separate-stderr iiot-alert -f "$r" "$BATS_TEST_TMPDIR/in"
	wait_for 10 grep -q '^Subject: \[warning\] hot firing: press1/oil_temp = 70' "$BATS_TEST_TMPDIR/smtp.log"
	# A CA that did not sign the server: nothing is sent, and it says why.
	printf 'action m mail to maint@plant.example via smtp://localhost:%s starttls cafile %s\nrule hot */oil_temp > 65 action m\n' \
	    "$SMTP_PORT" "$BATS_TEST_TMPDIR/tls/other.crt" > "$r"
	run -1 --separate-stderr iiot-alert -f "$r" "$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"action 'm' for alert 'hot' failed: smtp://localhost:$SMTP_PORT: "*"certificate"* ]]
	[ "$(grep -c 'MESSAGE FOLLOWS' "$BATS_TEST_TMPDIR/smtp.log")" -eq 1 ]
	stop_pid "$SMTP_PID"
	start_smtp_tls smtps
	printf 'action m mail to maint@plant.example via smtps://localhost:%s cafile %s\nrule hot */oil_temp > 65 action m\n' \
	    "$SMTP_PORT" "$ca" > "$r"
	run -0 --separate-stderr iiot-alert -f "$r" "$BATS_TEST_TMPDIR/in"
	wait_for 10 grep -q '^Subject: \[warning\] hot firing: press1/oil_temp = 70' "$BATS_TEST_TMPDIR/smtp.log"
	# A CA file that cannot be read is a rules error.
	printf 'action m mail to a@b.example via smtps://localhost:1 cafile %s/none\nrule hot */t > 1 action m\n' \
	    "$BATS_TEST_TMPDIR" > "$r"
	run -2 --separate-stderr iiot-alert -f "$r" /dev/null
	[[ "$stderr" == *"cannot read CA file '$BATS_TEST_TMPDIR/none': No such file or directory"* ]]
	run -2 --separate-stderr iiot-alert -r 'rule hot */t > 1 action w' \
	    -r "action w webhook https://localhost:1/x cafile $BATS_TEST_TMPDIR/none" /dev/null
	[[ "$stderr" == *"cannot read CA file '$BATS_TEST_TMPDIR/none': No such file or directory"* ]]
}

@test "iiot-alert: e-mail through a sendmail program, message on stdin" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho "$@" > "%s/args"\ncat > "%s/msg"\n' "$d" "$d" > "$d/sendmail"
	chmod +x "$d/sendmail"
	printf 'action m mail to a@b.example sendmail %s\nrule hot */t > 1 action m\n' \
	    "$d/sendmail" > "$d/r"
	run -0 iiot-alert -f "$d/r" <<< '{"source":"m","sensor":"t","value":5}'
	[ "$(cat "$d/args")" = "-i -- a@b.example" ]
	grep -q '^Subject: \[warning\] hot firing: m/t = 5' "$d/msg"
}

@test "iiot-alert: webhook POSTs a JSON body template to an HTTP listener" {
	start_http
	local r=$BATS_TEST_TMPDIR/r
	cat > "$r" <<-EOF
	action sms webhook http://127.0.0.1:$HTTP_PORT/api/send
	    header "X-Token: t0k"
	    body "{\"to\":\"+33600000001\",\"text\":\"{{alert}} {{state}} {{source}}={{value}}\"}"
	action am webhook http://127.0.0.1:$HTTP_PORT/api/v2/alerts
	    body "[{\"labels\":{\"alertname\":\"{{alert}}\",\"severity\":\"{{severity}}\"},\"annotations\":{\"event\":{{event}}}}]"
	rule power_peak meter0*/power > 320 action sms action am
	EOF
	rec 'meter0 "main"' power 330 0 | sed 's/meter0 "main"/meter0 \\"main\\"/' |
	    iiot-alert -f "$r" > /dev/null
	test -e "$BATS_TEST_TMPDIR/http/req.2"
	local sms am
	sms=$(grep -l 'api/send' "$BATS_TEST_TMPDIR"/http/req.*)
	am=$(grep -l 'api/v2/alerts' "$BATS_TEST_TMPDIR"/http/req.*)
	grep -q '^POST /api/send HTTP/1.1' "$sms"
	grep -qi '^X-Token: t0k' "$sms"
	grep -qi '^Content-Type: application/json' "$sms"
	run -0 jq -r .text < <(sed '1,/^\r$/d' "$sms")
	[ "$output" = 'power_peak firing meter0 "main"=330' ]
	run -0 jq -r '.[0].labels.alertname, .[0].annotations.event.value' < <(sed '1,/^\r$/d' "$am")
	[ "$output" = "power_peak
330" ]
}

@test "iiot-alert: a webhook answering 500 is a failed action" {
	start_http 500
	run -1 --separate-stderr iiot-alert -r "action w retries 0 webhook http://127.0.0.1:$HTTP_PORT/x" \
	    -r 'rule hot */t > 1 action w' <<< '{"source":"m","sensor":"t","value":5}'
	[[ "$stderr" == *"action 'w' for alert 'hot' failed: http://127.0.0.1:$HTTP_PORT/x: HTTP status 500"* ]]
}

@test "iiot-alert: stack light: a coil on iiot-sim is on while firing" {
	start_sim
	local r=$BATS_TEST_TMPDIR/r s=$BATS_TEST_TMPDIR/state
	printf 'action red coil modbus-tcp://127.0.0.1:%s/1/coil/8\nrule oil_critical press1/oil_temp > 75 action red\n' \
	    "$SIM_PORT" > "$r"
	[ "$(coil "$SIM_PORT" 1 8)" = 0 ]
	rec press1 oil_temp 80 0 | iiot-alert -f "$r" -s "$s" > /dev/null
	[ "$(coil "$SIM_PORT" 1 8)" = 1 ]
	rec press1 oil_temp 60 10 | iiot-alert -f "$r" -s "$s" > /dev/null
	[ "$(coil "$SIM_PORT" 1 8)" = 0 ]
}

@test "iiot-alert: the example hooks: stack light, SMS gateway, horn" {
	start_sim
	start_http
	local d=$BATS_TEST_TMPDIR
	echo "Authorization: Bearer s3cr3t" > "$d/sms.header"
	cat > "$d/r" <<-EOF
	action lamp exec scripts/hooks/stack-light 127.0.0.1 $SIM_PORT 1 8
	action sms exec scripts/hooks/sms-gateway $d/sms.header +33600000001
	    http://127.0.0.1:$HTTP_PORT/api/send
	action horn exec scripts/hooks/horn
	rule oil_critical press1/oil_temp > 75 severity critical
	    action lamp action sms action horn
	EOF
	cd "$TOP"
	run -0 --separate-stderr iiot-alert -f "$d/r" <<< "$(rec press1 oil_temp 80)"
	[ "$(coil "$SIM_PORT" 1 8)" = 1 ]
	grep -q '^Authorization: Bearer s3cr3t' "$d/http/req.1"
	grep -q 'to=%2B33600000001&text=critical+oil_critical+firing%3A+press1+oil_temp%3D80' "$d/http/req.1"
	run -0 --separate-stderr iiot-alert -f "$d/r" <<< "$(rec press1 oil_temp 60)"
	[ "$(coil "$SIM_PORT" 1 8)" = 1 ]
	run -0 iiot-alert -f "$d/r" -s "$d/state" <<< "$(rec press1 oil_temp 80)"
	run -0 iiot-alert -f "$d/r" -s "$d/state" <<< "$(rec press1 oil_temp 60 10)"
	[ "$(coil "$SIM_PORT" 1 8)" = 0 ]
}

@test "iiot-alert: MQTT publish to a local mosquitto" {
	start_mosquitto
	# A retained message tells when the subscription is in place.
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t plant/alarms/ready -r -m 1
	mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'plant/alarms/#' -C 3 -W 20 -v \
	    > "$BATS_TEST_TMPDIR/sub" &
	local sub=$!
	wait_for 10 grep -q ready "$BATS_TEST_TMPDIR/sub"
	cat > "$BATS_TEST_TMPDIR/r" <<-EOF
	action light mqtt mqtt://127.0.0.1:$MQTT_PORT/plant/alarms/light payload "{{active}}" retain
	action ev mqtt mqtt://127.0.0.1:$MQTT_PORT/plant/alarms/events qos 1
	rule hot */t > 1 action light action ev
	EOF
	iiot-alert -f "$BATS_TEST_TMPDIR/r" <<< '{"source":"m","sensor":"t","value":5}' > /dev/null
	wait "$sub"
	grep -qx 'plant/alarms/light 1' "$BATS_TEST_TMPDIR/sub"
	grep -q '^plant/alarms/events {"source":"m","sensor":"t","value":5,"alert":"hot"' "$BATS_TEST_TMPDIR/sub"
}

@test "iiot-alert: syslog, priority from facility and severity" {
	local d=$BATS_TEST_TMPDIR
	socat -u UNIX-RECV:"$d/log" CREATE:"$d/syslog.out" &
	local sp=$!
	wait_for 5 test -S "$d/log"
	run -0 iiot-alert -r "action l syslog local3 socket $d/log" \
	    -r 'rule hot */t > 1 action l' -r 'rule crit */t > 3 severity critical action l' \
	    <<< '{"source":"m","sensor":"t","value":5}'
	wait_for 5 grep -q '<154>' "$d/syslog.out"
	stop_pid "$sp"
	grep -q '<156>iiot-alert\[[0-9]*\]: hot firing: {"source":"m","sensor":"t","value":5,"alert":"hot"' "$d/syslog.out"
	grep -q '<154>iiot-alert\[[0-9]*\]: crit firing: ' "$d/syslog.out"
	run -1 --separate-stderr iiot-alert -r "action l retries 0 syslog socket $d/nolog" \
	    -r 'rule hot */t > 1 action l' <<< '{"source":"m","sensor":"t","value":5}'
	[[ "$stderr" == *"cannot log to '$d/nolog': No such file or directory"* ]]
}

@test "iiot-alert: terminal bell on stderr" {
	run -0 --separate-stderr iiot-alert -r 'action b bell' -r 'rule hot */t > 1 action b' \
	    <<< '{"source":"m","sensor":"t","value":5}'
	[ "$stderr" = $'\a' ]
}

@test "iiot-alert: actions per severity" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho "$IIOT_ALERT $IIOT_SEVERITY" >> "%s/log"\n' "$d" > "$d/hook"
	chmod +x "$d/hook"
	printf 'action h exec %s\non critical h\nrule a */t > 1\nrule b */t > 3 severity critical\n' \
	    "$d/hook" > "$d/r"
	iiot-alert -f "$d/r" <<< '{"source":"m","sensor":"t","value":5}' > /dev/null
	[ "$(cat "$d/log")" = "b critical" ]
}

@test "iiot-alert: --pass passes the input through, not the events" {
	run -0 iiot-alert --pass -f "$ALERT_FIX/hysteresis.rules" \
	    "$ALERT_FIX/hysteresis.in"
	assert_output_file "$ALERT_FIX/hysteresis.in"
}

@test "iiot-alert: --check exits like a Nagios plugin" {
	local r=(-r 'hot */oil_temp > 65' -r 'crit */oil_temp > 75 severity critical')
	run -0 iiot-alert --check "${r[@]}" <<< "$(rec press1 oil_temp 60)"
	[ "$output" = "IIOT-ALERT OK - 1 records, 2 rules, no alarm|'press1/oil_temp'=60;65;75" ]
	run -1 iiot-alert --check "${r[@]}" <<< "$(rec press1 oil_temp 70)"
	[ "$output" = "IIOT-ALERT WARNING - warning hot press1/oil_temp=70 (limit 65)|'press1/oil_temp'=70;65;75" ]
	run -2 iiot-alert --check "${r[@]}" <<< "$(rec press1 oil_temp 80; rec press2 oil_temp 70)"
	[ "$output" = "IIOT-ALERT CRITICAL - warning hot press1/oil_temp=80 (limit 65), critical crit press1/oil_temp=80 (limit 75), warning hot press2/oil_temp=70 (limit 65)|'press1/oil_temp'=80;65;75 'press2/oil_temp'=70;65;75" ]
	run -3 iiot-alert --check "${r[@]}" < /dev/null
	[ "$output" = "IIOT-ALERT UNKNOWN - no records on input" ]
	run -3 --separate-stderr iiot-alert --check --bogus
	[[ "$output" == "IIOT-ALERT UNKNOWN - "* ]]
	run -3 iiot-alert --check -r 'bad */x >> 1'
	[[ "$output" == "IIOT-ALERT UNKNOWN - -r #1:1: bad condition"* ]]
	# A silent sensor, as IT monitoring asks: stale against the wall clock.
	run -1 iiot-alert --check -r 'silent */* stale 60s' <<< "$(rec press1 oil_temp 60)"
	[[ "$output" == "IIOT-ALERT WARNING - warning silent press1/oil_temp=60 (limit 60)|"* ]]
}

@test "iiot-alert: empty input gives no output, exit 0" {
	run -0 --separate-stderr iiot-alert -r 'hot */t > 1' < /dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "iiot-alert: a malformed record is reported and skipped, exit 1" {
	run -1 --separate-stderr iiot-alert -r 'hot */t > 1' <<-EOF
	{"source":"m","sensor":"t","value":0}
	not json
	{"source":"m","sensor":"t","value":5}
	EOF
	[[ "$stderr" == "iiot-alert: line 2: "* ]]
	[[ "$output" == *'"state":"firing"'* ]]
}

@test "iiot-alert: | head -1 ends quietly on SIGPIPE" {
	run -0 --separate-stderr bash -c 'set -o pipefail; yes "{\"source\":\"m\",\"sensor\":\"t\",\"value\":5}" | head -100000 |
	    iiot-alert --pass -r "hot */t > 1" | head -1; echo "${PIPESTATUS[2]}" >&2'
	[ "$output" = '{"source":"m","sensor":"t","value":5}' ]
	[ "$stderr" = 141 ]
}

@test "iiot-alert: SIGTERM writes pending events and the state file" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out s=$BATS_TEST_TMPDIR/state
	mkfifo "$fifo"
	iiot-alert -r 'hot */t > 1' -s "$s" < "$fifo" > "$out" &
	ALERT_PID=$!
	exec 7> "$fifo"
	echo '{"source":"m","sensor":"t","value":5}' >&7
	wait_for 10 grep -q firing "$out"
	kill -TERM "$ALERT_PID"
	local rc=0
	wait "$ALERT_PID" || rc=$?
	ALERT_PID=
	[ "$rc" -eq 143 ]
	exec 7>&-
	grep -q '"state":"firing"' "$s"
}

@test "iiot-alert: SIGHUP rereads the rules, alarms keep their state" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out r=$BATS_TEST_TMPDIR/r
	mkfifo "$fifo"
	echo 'rule hot */t > 1' > "$r"
	iiot-alert -f "$r" < "$fifo" > "$out" 2> "$BATS_TEST_TMPDIR/err" &
	ALERT_PID=$!
	exec 7> "$fifo"
	echo '{"source":"m","sensor":"t","value":5}' >&7
	wait_for 10 grep -q firing "$out"
	printf 'rule hot */t > 1\nrule cold */t < 0\n' > "$r"
	kill -HUP "$ALERT_PID"
	echo '{"source":"m","sensor":"t","value":-1}' >&7
	wait_for 10 grep -q cold "$out"
	# Bad rules: the old ones stay.
	echo 'rule broken' > "$r"
	kill -HUP "$ALERT_PID"
	echo '{"source":"m","sensor":"t","value":5}' >&7
	exec 7>&-
	wait "$ALERT_PID"
	ALERT_PID=
	run -0 jq -r '"\(.alert) \(.state)"' "$out"
	[ "$output" = "hot firing
hot resolved
cold firing
hot firing
cold resolved" ]
	grep -q "/r:1: missing series: keeping the old rules" "$BATS_TEST_TMPDIR/err"
}

@test "iiot-alert: tag selects records by a string field" {
	run -0 iiot-alert -r 'hall_a */t > 1 tag location=hall-A' <<-EOF
	{"source":"m1","sensor":"t","value":5,"location":"hall-B"}
	{"source":"m2","sensor":"t","value":5,"location":"hall-A"}
	{"source":"m3","sensor":"t","value":5}
	EOF
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"source":"m2"'* ]]
}
