# SPDX-License-Identifier: MIT
# pg_helper.bash: a private PostgreSQL server for the tests (loaded
# after test_helper): initdb in a temporary directory, a free loopback
# port, password authentication over TCP, stopped by pg_ctl.

PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
    sort -V | tail -1)}

# pg_as CMD...: run a server command as the owner of the data directory
# (the postgres user when the tests run as root: the server refuses root).
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# pg_start: initdb and start a server.  Sets PG_DIR, PG_PORT and
# PGPASSFILE (user iiot, its password in that file, mode 0600), and
# PG_URL_BASE (postgresql://iiot@127.0.0.1:PORT).  The directory is
# outside the bats temporary tree, which the postgres user cannot enter.
pg_start() {
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/iiot-pg.XXXXXX")
	chmod 0755 "$PG_DIR"
	mkdir "$PG_DIR/data" "$PG_DIR/run"
	echo 'secret-pw' > "$PG_DIR/pw"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$PG_DIR"
	pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U iiot \
	    --auth-local=trust --auth-host=scram-sha-256 \
	    --pwfile="$PG_DIR/pw" -E UTF8 --no-sync > "$PG_DIR/initdb.log" 2>&1
	PG_PORT=$(free_port)
	pg_restart_only
	PGPASSFILE=$PG_DIR/pgpass
	echo "127.0.0.1:$PG_PORT:*:iiot:secret-pw" > "$PGPASSFILE"
	chmod 0600 "$PGPASSFILE"
	PG_URL_BASE="postgresql://iiot@127.0.0.1:$PG_PORT"
	export PG_DIR PG_PORT PGPASSFILE PG_URL_BASE
}

# pg_restart_only: start the server of PG_DIR on PG_PORT (again); fsync
# is off unless PG_FSYNC=on (the benchmark).
pg_restart_only() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -o "-p $PG_PORT -k $PG_DIR/run -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off}" \
	    -w -t 60 start > /dev/null 3>&- 4>&- 5>&- 6>&-
}

# pg_stop_only: stop the server, disconnecting its clients.
pg_stop_only() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null
}

# pg_stop: stop the server and remove its directory.
pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_stop_only || true
	rm -rf "$PG_DIR"
	PG_DIR=
}

# pg_sql DB SQL: run SQL on database DB through the local socket.
pg_sql() {
	pg_as psql -X -q -At -h "$PG_DIR/run" -p "$PG_PORT" -U iiot -d "$1" \
	    -v ON_ERROR_STOP=1 -c "$2"
}

# pg_newdb NAME: a new empty database; prints its URL.
pg_newdb() {
	pg_sql postgres "CREATE DATABASE $1" && echo "$PG_URL_BASE/$1"
}
