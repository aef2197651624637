# SPDX-License-Identifier: MIT
# faults_helper.bash: what tests/faults.bats needs to break things on
# purpose: misbehaving servers and a TCP proxy (socat), memory and file
# descriptor samples from /proc, numbered records.

# rss_kb PID: resident memory of PID in KiB (VmRSS).
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# nfds PID: open file descriptors of PID.
nfds() {
	ls "/proc/$1/fd" | wc -l
}

# seq_records N [SOURCE]: N records whose values are 1..N.
seq_records() {
	awk -v n="$1" -v s="${2:-m}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"ts\":\"2026-11-29T12:%02d:%02d.%03dZ\"," \
			    "\"source\":\"%s\",\"sensor\":\"seq\",\"value\":%d}\n",
			    int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, s, i
	}'
}

# socat_server PORT COMMAND: a TCP server on 127.0.0.1:PORT that runs
# COMMAND (sh) for each connection, in its own process group so that
# it can be paused or killed as a whole; prints the group's PID.
socat_server() {
	setsid socat "TCP-LISTEN:$1,fork,reuseaddr,bind=127.0.0.1" \
	    "SYSTEM:$2" > /dev/null 2>&1 &
	echo $!
}

# proxy PORT TARGET-PORT: a TCP proxy, in its own process group; prints
# its PID.
proxy() {
	setsid socat "TCP-LISTEN:$1,fork,reuseaddr,bind=127.0.0.1" \
	    "TCP:127.0.0.1:$2" > /dev/null 2>&1 &
	echo $!
}

# stop_group PID: kill a process group started by socat_server or proxy.
stop_group() {
	[ -n "${1:-}" ] || return 0
	kill -CONT -- "-$1" 2>/dev/null || true
	kill -KILL -- "-$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# gone_within SECONDS PID: wait until PID has exited.
gone_within() {
	wait_for "$1" bash -c "! kill -0 $2"
}

# per_second SOURCE FILE: records of SOURCE in FILE per second of their
# time stamps, "HH:MM:SS count" lines.
per_second() {
	jq -r --arg s "$1" 'select(.source == $s and .quality == null) |
	    .ts[11:19]' "$2" | sort | uniq -c | awk '{ print $2, $1 }'
}

# count_between SOURCE FILE FROM TO: records of SOURCE stamped in the
# whole seconds FROM..TO (HH:MM:SS, inclusive).
count_between() {
	jq -r --arg s "$1" 'select(.source == $s and .quality == null) |
	    .ts[11:19]' "$2" | awk -v a="$3" -v b="$4" '$0 >= a && $0 <= b' |
	    wc -l
}

# rows DB: rows in an archive.
rows() {
	sqlite3 "$1" 'SELECT count(*) FROM samples'
}

# integrity DB: PRAGMA integrity_check says ok.
integrity() {
	[ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ]
}
