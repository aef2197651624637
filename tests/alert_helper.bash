# SPDX-License-Identifier: MIT
# alert_helper.bash: servers and fixtures for tests/iiot-alert.bats: a
# real SMTP server (aiosmtpd), an HTTP listener, the Modbus simulator.

ALERT_FIX="$TOP/tests/fixtures/iiot-alert"

# alert_case NAME: run the rules NAME.rules on NAME.in and compare the
# events with NAME.out.
alert_case() {
	run -0 --separate-stderr iiot-alert -f "$ALERT_FIX/$1.rules" \
	    "$ALERT_FIX/$1.in"
	assert_output_file "$ALERT_FIX/$1.out"
	[ -z "$stderr" ]
}

# start_smtp: a real SMTP server on a free port, printing each message
# to $BATS_TEST_TMPDIR/smtp.log.  Sets SMTP_PORT and SMTP_PID.
start_smtp() {
	SMTP_PORT=$(free_port)
	PYTHONUNBUFFERED=1 /usr/bin/python3 -m aiosmtpd -n \
	    -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Debugging \
	    > "$BATS_TEST_TMPDIR/smtp.log" 2>&1 &
	SMTP_PID=$!
	wait_port "$SMTP_PORT" 10
}

# start_smtp_tls smtps|starttls: the same with TLS, implicit (SMTPS)
# or after STARTTLS (required), its certificate for localhost signed by
# the test CA $BATS_TEST_TMPDIR/tls/ca.crt.
start_smtp_tls() {
	local d=$BATS_TEST_TMPDIR/tls opt=--tlscert key=--tlskey
	make_certs "$d"
	if [ "$1" = smtps ]; then
		opt=--smtpscert key=--smtpskey
	fi
	SMTP_PORT=$(free_port)
	PYTHONUNBUFFERED=1 /usr/bin/python3 -m aiosmtpd -n \
	    -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Debugging \
	    "$opt" "$d/server.crt" "$key" "$d/server.key" \
	    > "$BATS_TEST_TMPDIR/smtp.log" 2>&1 &
	SMTP_PID=$!
	wait_port "$SMTP_PORT" 10
}

# start_http [STATUS]: an HTTP listener storing each request in
# $BATS_TEST_TMPDIR/http/req.N.  Sets HTTP_PORT and HTTP_PID.
start_http() {
	HTTP_PORT=$(free_port)
	mkdir -p "$BATS_TEST_TMPDIR/http"
	"$IIOT_OBJ/tests/helpers/alert_httpsink" "$HTTP_PORT" \
	    "$BATS_TEST_TMPDIR/http" "${1:-200}" &
	HTTP_PID=$!
	wait_port "$HTTP_PORT" 5
}

# start_sim: the plant simulator on a free port.  Sets SIM_PORT, SIM_PID.
start_sim() {
	SIM_PORT=$(free_port)
	iiot-sim -A -q -l "127.0.0.1:$SIM_PORT" > /dev/null 2>&1 &
	SIM_PID=$!
	wait_port "$SIM_PORT" 5
}

# coil PORT UNIT ADDR: read a coil back with mbpoll; prints 0 or 1.
coil() {
	mbpoll -m tcp -p "$1" -a "$2" -t 0 -0 -r "$3" -c 1 -1 127.0.0.1 |
	    sed -n 's/^\[[0-9]*\]:[[:space:]]*//p'
}

# rec SOURCE SENSOR VALUE [SECONDS]: a record at 12:00 plus SECONDS.
rec() {
	printf '{"ts":%d,"source":"%s","sensor":"%s","value":%s}\n' \
	    $((1795953600 + ${4:-0})) "$1" "$2" "$3"
}

teardown() {
	stop_pid "${SMTP_PID:-}"
	stop_pid "${HTTP_PID:-}"
	stop_pid "${SIM_PID:-}"
	stop_pid "${ALERT_PID:-}"
	stop_mosquitto
}
