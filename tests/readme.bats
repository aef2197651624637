#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# readme: every command shown in README.md runs, so the README cannot
# rot.  Commands are taken from its indented code blocks, joined across
# "\" and "|" line ends, and run in a sandbox that has what they name: a
# simulated plant on the Modbus port 5020, a broker on 1883, the plant's
# catalogue, rules and dashboards as plant.map, plant.rules and *.dash,
# an archive plant.db, and a record stream on stdin.  Ports are mapped
# to free ones.  A command passes when it is found, its options parse
# (no usage error, exit 2) and it does not crash; long-running ones are
# stopped after a few seconds.

load test_helper
bats_require_minimum_version 1.5.0

# readme_commands: one command per line, from the README's code blocks.
readme_commands() {
	awk '
	/^```/ { fenced = !fenced; next }
	/^    / || (fenced && /^[^`]/) {
		line = $0
		sub(/^    /, "", line)
		if (cmd == "") sub(/^\$ /, "", line)
		if (line ~ /^[ \t]*#/ || line ~ /^[ \t]*$/) next
		sub(/[ \t]+#.*$/, "", line)
		cmd = cmd (cmd == "" ? "" : " ") line
		if (line ~ /\\$/) { sub(/\\$/, "", cmd); next }
		if (line ~ /\|[ \t]*$/) next
		sub(/[ \t]+&$/, "", cmd)	# run in the foreground, stopped by time
		print cmd
		cmd = ""
		next
	}
	{ if (cmd != "") print cmd; cmd = "" }
	' "$TOP/README.md" |
	    grep -E '^(iiot-|make |[A-Z_]+=|scripts/|sqlite3 |crontab )' || true
}

setup_file() {
	export SANDBOX=$BATS_FILE_TMPDIR/sandbox
	mkdir -p "$SANDBOX/web" "$SANDBOX/archive"
	cd "$SANDBOX" || return 1
	ln -s "$TOP/scripts" scripts
	export SIM_PORT MQTT_PORT HTTP_PORT SMTP_PORT
	SIM_PORT=$(free_port)
	MQTT_PORT=$(free_port)
	HTTP_PORT=$(free_port)
	SMTP_PORT=$(free_port)
	iiot-sim -q -l "127.0.0.1:$SIM_PORT" 3>&- &
	echo $! > sim.pid
	printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MQTT_PORT" > mosquitto.conf
	mosquitto -c mosquitto.conf > mosquitto.log 2>&1 3>&- &
	echo $! > mosquitto.pid
	wait_port "$SIM_PORT"
	wait_port "$MQTT_PORT"
	sed "s#127.0.0.1:5020#127.0.0.1:$SIM_PORT#" \
	    "$TOP/scripts/plant/press-shop-sim.map" > plant.map
	cp "$TOP"/scripts/plant/*.dash .
	sed -e "s#smtp://[^ ]*#smtp://127.0.0.1:$SMTP_PORT#" \
	    -e "s#modbus-tcp://[0-9.]*:502/#modbus-tcp://127.0.0.1:$SIM_PORT/#" \
	    -e "s#password-file /etc/iiot/smtp.pass##" \
	    "$TOP/scripts/plant/press-shop.rules" > plant.rules
	"$TOP/scripts/gen-stream" -n 2000 > stream.jsonl
	iiot-read --map plant.map --once > plant.jsonl
	cat stream.jsonl plant.jsonl > records.jsonl
	iiot-archive -q -d plant.db < records.jsonl
	iiot-filter -o csv < records.jsonl > day.csv
}

teardown_file() {
	cd "$SANDBOX" || return 0
	stop_pid "$(cat sim.pid)"
	stop_pid "$(cat mosquitto.pid)"
}

@test "readme: shows the two commands, and make has both targets" {
	grep -q '^    make demo' "$TOP/README.md"
	grep -q '^    make check' "$TOP/README.md"
	make -C "$TOP" -n demo > /dev/null
	make -C "$TOP" -n check > /dev/null
}

@test "readme: every command in the README runs" {
	cd "$SANDBOX"
	n=0
	failed=0
	while IFS= read -r cmd; do
		case "$cmd" in
		make*|*"crontab "*) continue ;;	# the targets are checked above
		esac
		# A simulator of the README's own listens on a port of its own.
		run_cmd=$(printf '%s' "$cmd" | sed \
		    -e "s#iiot-sim \(.*\)-l 127.0.0.1:5020#iiot-sim \1-l 127.0.0.1:0#" \
		    -e "s#127.0.0.1:5020#127.0.0.1:$SIM_PORT#g" \
		    -e "s#localhost:1883#127.0.0.1:$MQTT_PORT#g" \
		    -e "s#mqtt://localhost/#mqtt://127.0.0.1:$MQTT_PORT/#g" \
		    -e "s#mqtt://localhost\\b#mqtt://127.0.0.1:$MQTT_PORT#g" \
		    -e "s#127.0.0.1:1883#127.0.0.1:$MQTT_PORT#g" \
		    -e "s#central.example:8883#127.0.0.1:$MQTT_PORT#g" \
		    -e "s#mqtts://#mqtt://#g" \
		    -e "s#127.0.0.1:8080#127.0.0.1:$HTTP_PORT#g")
		n=$((n + 1))
		status=0
		timeout -s TERM 4 bash -c "$run_cmd" < records.jsonl \
		    > out.$n 2> err.$n || status=$?
		ok=0
		case $status in
		0|1|124|143) ok=1 ;;
		2|3) [[ "$cmd" != *--check* ]] || ok=1 ;;	# Nagios codes
		esac
		if [ "$ok" -eq 0 ]; then
			echo "exit $status: $cmd"
			sed 's/^/    /' err.$n | head -5
			failed=$((failed + 1))
			continue
		fi
		if grep -q -e '^usage:' -e 'command not found' err.$n; then
			echo "usage error: $cmd"
			sed 's/^/    /' err.$n | head -5
			failed=$((failed + 1))
		fi
	done < <(readme_commands)
	echo "$n commands run, $failed failed"
	[ "$n" -ge 20 ]
	[ "$failed" -eq 0 ]
}
