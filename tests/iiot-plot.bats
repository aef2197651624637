#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# iiot-plot.bats: dashboards drawn by a real gnuplot, checked as files,
# as terminal text, and as a web page in headless Chromium.
load test_helper
bats_require_minimum_version 1.5.0

FIX="$TOP/tests/fixtures/iiot-plot"

# plant SECONDS [STEP] [START]: records of the demo plant.
plant() {
	awk -f "$FIX/plant.awk" -v secs="$1" -v step="${2:-1}" \
	    -v t0="${3:-1795953600}"
}

# png_size FILE: "WIDTHxHEIGHT" from the PNG's IHDR chunk.
png_size() {
	local b
	read -r -a b < <(od -An -tu1 -j16 -N8 "$1")
	echo "$(( (b[0] << 24) + (b[1] << 16) + (b[2] << 8) + b[3] ))x$(( \
	    (b[4] << 24) + (b[5] << 16) + (b[6] << 8) + b[7] ))"
}

# is_png FILE: the PNG signature.
is_png() {
	[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# child_gnuplot PID: the gnuplot that PID started.
child_gnuplot() {
	pgrep -P "$1" gnuplot
}

# bg_started PID: remember a background iiot-plot for teardown.
bg_started() {
	BG_PIDS="${BG_PIDS:-} $1"
}

# stop_plot PID: SIGTERM an iiot-plot we started and reap it.
stop_plot() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

teardown() {
	local p
	exec 7>&- 2>/dev/null || true
	for p in ${BG_PIDS:-}; do
		stop_plot "$p"
	done
}

# lines_are N FILE: FILE has N lines.
lines_are() {
	[ "$(wc -l < "$2")" -eq "$1" ]
}

# image_changed PORT MD5: the image served is no longer MD5.
image_changed() {
	[ "$(served_md5 "$1")" != "$2" ]
}

# served_md5 PORT: the checksum of the image served now.
served_md5() {
	curl -fsS "http://127.0.0.1:$1/dashboard.png" | md5sum | cut -d' ' -f1
}

@test "iiot-plot: --help prints the usage on stdout" {
	run -0 --separate-stderr iiot-plot --help
	[[ "$output" == usage:\ iiot-plot* ]]
	[[ "$output" == *--dashboard* ]]
	[[ "$output" == *--listen* ]]
	[ -z "$stderr" ]
}

@test "iiot-plot: --version names libmicrohttpd" {
	run -0 iiot-plot --version
	[[ "${lines[0]}" == iiot-plot\ * ]]
	[[ "$output" == *libmicrohttpd* ]]
}

@test "iiot-plot: a bad option is a usage error" {
	run -2 --separate-stderr iiot-plot --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"usage: iiot-plot"* ]]
	[[ "$stderr" == *"Try 'iiot-plot --help'"* ]]
}

@test "iiot-plot: without an output or panels it says what is missing" {
	run -2 --separate-stderr iiot-plot -p table < /dev/null
	[[ "$stderr" == *"nothing to draw on"* ]]
	run -2 --separate-stderr iiot-plot -o "$BATS_TEST_TMPDIR/a.png" \
	    < /dev/null
	[[ "$stderr" == *"no panels"* ]]
	run -2 --separate-stderr iiot-plot -p 'pie:x/y' -o x.png < /dev/null
	[[ "$stderr" == *"unknown panel kind 'pie'"* ]]
	run -2 --separate-stderr iiot-plot -p 'table' -o x.gif < /dev/null
	[[ "$stderr" == *"expected FILE.png"* ]]
}

@test "iiot-plot: a PNG has the requested size and passes records on" {
	plant 120 > "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr iiot-plot -o "$BATS_TEST_TMPDIR/d.png" \
	    -s 900x500 -p 'line:press*/oil_temp' -p table \
	    "$BATS_TEST_TMPDIR/in"
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	is_png "$BATS_TEST_TMPDIR/d.png"
	[ "$(png_size "$BATS_TEST_TMPDIR/d.png")" = 900x500 ]
	[ ! -e "$BATS_TEST_TMPDIR/d.png.tmp" ]
	[ -z "$stderr" ]
}

@test "iiot-plot: an SVG has the size and names its series" {
	plant 120 | iiot-plot -q -o "$BATS_TEST_TMPDIR/d.svg" -s 1000x600 \
	    -p 'line:press*/oil_temp,warn=65' -p 'gauge:press1/pressure'
	grep -q '<svg' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'width="1000"' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'height="600"' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'press1/oil_temp' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'press2/oil_temp' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'press1/pressure' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'warn 65' "$BATS_TEST_TMPDIR/d.svg"
}

@test "iiot-plot: a PDF report at the end of input" {
	plant 300 | iiot-plot -q -o "$BATS_TEST_TMPDIR/report.pdf" \
	    -s 720x360 -p 'line:*/pressure' -p 'bar:*/power'
	[ "$(head -c 5 "$BATS_TEST_TMPDIR/report.pdf")" = "%PDF-" ]
	grep -aq 'MediaBox \[ *0 0 540 270 *\]' "$BATS_TEST_TMPDIR/report.pdf"
}

@test "iiot-plot: the image changes when the data changes" {
	plant 120 | iiot-plot -q -o "$BATS_TEST_TMPDIR/a.svg" -p 'line:*/oil_temp'
	plant 240 | iiot-plot -q -o "$BATS_TEST_TMPDIR/b.svg" -p 'line:*/oil_temp'
	plant 120 | iiot-plot -q -o "$BATS_TEST_TMPDIR/c.svg" -p 'line:*/oil_temp'
	! cmp -s "$BATS_TEST_TMPDIR/a.svg" "$BATS_TEST_TMPDIR/b.svg"
	cmp "$BATS_TEST_TMPDIR/a.svg" "$BATS_TEST_TMPDIR/c.svg"
}

@test "iiot-plot: time labels in local time or UTC" {
	plant 600 | TZ=Europe/Paris iiot-plot -q \
	    -o "$BATS_TEST_TMPDIR/l.svg" -p 'line:press1/oil_temp'
	plant 600 | TZ=Europe/Paris iiot-plot -q --utc \
	    -o "$BATS_TEST_TMPDIR/u.svg" -p 'line:press1/oil_temp'
	grep -q '>13:04<' "$BATS_TEST_TMPDIR/l.svg"
	grep -q '>12:04<' "$BATS_TEST_TMPDIR/u.svg"
	grep -q '2026-11-29 13:09:59 CET' "$BATS_TEST_TMPDIR/l.svg"
	grep -q '2026-11-29 12:09:59 UTC' "$BATS_TEST_TMPDIR/u.svg"
}

@test "iiot-plot: the terminal dashboard shows titles and values" {
	plant 120 | iiot-plot --term dumb -s 120x40 -t 'Hall A' \
	    -p 'line:press*/oil_temp' \
	    -p 'gauge:press1/pressure,min=0,max=250,warn_low=120' \
	    > "$BATS_TEST_TMPDIR/screen"
	# The last frame, after the last "clear screen".
	awk '/\033\[2J/ { n = NR } { l[NR] = $0 } END { for (i = n; i <= NR; i++) print l[i] }' \
	    "$BATS_TEST_TMPDIR/screen" > "$BATS_TEST_TMPDIR/last"
	grep -q 'Hall A' "$BATS_TEST_TMPDIR/last"
	grep -q 'press\*/oil_temp' "$BATS_TEST_TMPDIR/last"
	grep -q 'press1/oil_temp' "$BATS_TEST_TMPDIR/last"
	grep -q 'last update 2026-11-29' "$BATS_TEST_TMPDIR/last"
	last=$(plant 120 | grep '"press1","sensor":"pressure"' | tail -1 |
	    sed 's/.*"value":\([0-9.]*\).*/\1/')
	grep -q "$last bar  OK" "$BATS_TEST_TMPDIR/last"
	# No record is mixed into the screen.
	! grep -q '"sensor"' "$BATS_TEST_TMPDIR/screen"
}

@test "iiot-plot: a table lists the latest values and marks stale rows" {
	{
		echo '{"ts":"2026-11-29T12:00:00Z","source":"a","sensor":"old","value":1.5,"unit":"bar"}'
		echo '{"ts":"2026-11-29T12:00:00Z","source":"a","sensor":"temp","value":20,"unit":"degC"}'
		echo '{"ts":"2026-11-29T12:05:00Z","source":"a","sensor":"temp","value":21.25,"unit":"degC"}'
		echo '{"ts":"2026-11-29T12:05:00Z","source":"b","sensor":"bad","value":3,"quality":"bad"}'
		echo '{"ts":"2026-11-29T12:05:00Z","source":"b","sensor":"hot","value":80}'
	} | iiot-plot -q --utc --term dumb -s 100x20 -p 'table' \
	    -p 'line:b/hot,warn=65,crit=75' > "$BATS_TEST_TMPDIR/screen"
	tail -20 "$BATS_TEST_TMPDIR/screen" > "$BATS_TEST_TMPDIR/last"
	grep -Eq 'a/old +1.5 +bar +12:00:00 +STALE' "$BATS_TEST_TMPDIR/last"
	grep -Eq 'a/temp +21.2(5)? .*12:05:00 +OK' "$BATS_TEST_TMPDIR/last"
	grep -Eq 'b/bad +3 .*BAD' "$BATS_TEST_TMPDIR/last"
	grep -Eq 'b/hot +80 .*CRIT' "$BATS_TEST_TMPDIR/last"
}

@test "iiot-plot: the demo plant's dashboards draw" {
	plant 7200 10 > "$BATS_TEST_TMPDIR/in"
	for d in workshop maintenance energy; do
		run -0 --separate-stderr iiot-plot -q \
		    -d "$TOP/scripts/plant/$d.dash" \
		    -o "$BATS_TEST_TMPDIR/$d.png" "$BATS_TEST_TMPDIR/in"
		[ -z "$stderr" ]
		is_png "$BATS_TEST_TMPDIR/$d.png"
	done
	[ "$(png_size "$BATS_TEST_TMPDIR/workshop.png")" = 1920x1080 ]
	[ "$(png_size "$BATS_TEST_TMPDIR/energy.png")" = 1600x1000 ]
	# The workshop screen also works in a terminal.
	iiot-plot -q -d "$TOP/scripts/plant/workshop.dash" --term dumb \
	    -s 160x48 "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/screen"
	grep -q 'RUNNING' "$BATS_TEST_TMPDIR/screen"
	grep -q 'Press 2 - oil temp' "$BATS_TEST_TMPDIR/screen"
}

@test "iiot-plot: a malformed dashboard file is named with its line" {
	run -2 --separate-stderr iiot-plot -o x.png -d "$FIX/bad-key.dash" \
	    < /dev/null
	[ "$stderr" = "iiot-plot: $FIX/bad-key.dash:6: unknown key 'colour'" ]
	run -2 --separate-stderr iiot-plot -o x.png -d "$FIX/bad-kind.dash" \
	    < /dev/null
	[[ "$stderr" == "iiot-plot: $FIX/bad-kind.dash:4: unknown panel kind 'pie'"* ]]
	run -2 --separate-stderr iiot-plot -o x.png -d "$FIX/bad-gauge.dash" \
	    < /dev/null
	[[ "$stderr" == "iiot-plot: $FIX/bad-gauge.dash:3: a gauge shows exactly one series"* ]]
	run -2 --separate-stderr iiot-plot -o x.png -d "$FIX/bad-number.dash" \
	    < /dev/null
	[ "$stderr" = "iiot-plot: $FIX/bad-number.dash:5: max: not a number: 'lots'" ]
	run -2 --separate-stderr iiot-plot -o x.png -d "$FIX/bad-line.dash" \
	    < /dev/null
	[ "$stderr" = "iiot-plot: $FIX/bad-line.dash:2: expected KEY = VALUE or [KIND]" ]
	run -2 --separate-stderr iiot-plot -o x.png -d "$BATS_TEST_TMPDIR/none" \
	    < /dev/null
	[[ "$stderr" == *"cannot open"* ]]
}

@test "iiot-plot: empty input still draws the dashboard" {
	run -0 --separate-stderr iiot-plot -o "$BATS_TEST_TMPDIR/e.svg" \
	    -p 'line:*/x' -p table < /dev/null
	[ -z "$output" ]
	grep -q 'waiting for data' "$BATS_TEST_TMPDIR/e.svg"
	grep -q 'no data' "$BATS_TEST_TMPDIR/e.svg"
}

@test "iiot-plot: a malformed record is skipped with its line, exit 1" {
	{
		echo '{"ts":"2026-11-29T12:00:00Z","source":"a","sensor":"t","value":1}'
		echo 'not json'
		echo '{"ts":"2026-11-29T12:00:01Z","source":"a","sensor":"t","value":2}'
	} > "$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr iiot-plot -o "$BATS_TEST_TMPDIR/m.png" \
	    -p table "$BATS_TEST_TMPDIR/in"
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" == "iiot-plot: line 2: "* ]]
	is_png "$BATS_TEST_TMPDIR/m.png"
}

@test "iiot-plot: -o DIR/ writes a page and its image" {
	plant 60 | iiot-plot -q -o "$BATS_TEST_TMPDIR/web/" -p table -r 2s
	is_png "$BATS_TEST_TMPDIR/web/dashboard.png"
	grep -q '<img id="dashboard" src="dashboard.png"' \
	    "$BATS_TEST_TMPDIR/web/index.html"
	grep -q 'var every = 2000' "$BATS_TEST_TMPDIR/web/index.html"
	grep -q 'new Image()' "$BATS_TEST_TMPDIR/web/index.html"
}

@test "iiot-plot: redraws cost the panel's width, not the window's points" {
	awk 'BEGIN { for (i = 0; i < 100000; i++)
	    printf "{\"ts\":%d,\"source\":\"s\",\"sensor\":\"v\",\"value\":%d}\n",
	    1795953600000 + i * 100, i % 977 }' |
	    iiot-plot -v -w 3h -s 800x400 -o "$BATS_TEST_TMPDIR/big.png" \
	    -p 'line:s/v' 2> "$BATS_TEST_TMPDIR/err" > /dev/null
	bytes=$(sed -n 's/.*ms, \([0-9]*\) bytes.*/\1/p' "$BATS_TEST_TMPDIR/err" |
	    tail -1)
	[ -n "$bytes" ]
	# 100000 points: at most 2 a pixel column of ~700 reach gnuplot.
	[ "$bytes" -lt 60000 ]
}

@test "iiot-plot: a killed gnuplot is restarted with a warning" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-plot -r 100ms -o "$BATS_TEST_TMPDIR/k.png" -p 'line:*/oil_temp' \
	    < "$BATS_TEST_TMPDIR/fifo" > /dev/null 2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	bg_started "$pid"
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	plant 60 >&7
	wait_for 10 child_gnuplot "$pid"
	wait_for 10 test -s "$BATS_TEST_TMPDIR/k.png"
	gp=$(child_gnuplot "$pid")
	kill -KILL "$gp"
	plant 120 | tail -n +841 >&7
	wait_for 10 grep -q 'restarting it' "$BATS_TEST_TMPDIR/err"
	wait_for 10 bash -c "pgrep -P $pid gnuplot | grep -vx $gp"
	exec 7>&-
	wait "$pid"
	grep -q "gnuplot (pid $gp) was killed by signal 9; restarting it" \
	    "$BATS_TEST_TMPDIR/err"
	is_png "$BATS_TEST_TMPDIR/k.png"
}

@test "iiot-plot: a missing gnuplot or window terminal is said clearly" {
	run -1 --separate-stderr env IIOT_GNUPLOT=/nonexistent/gnuplot \
	    iiot-plot -o "$BATS_TEST_TMPDIR/x.png" -p table < /dev/null
	[ "$stderr" = "iiot-plot: cannot run '/nonexistent/gnuplot': No such file or directory" ]
	run -2 --separate-stderr iiot-plot --term qt -p table < /dev/null
	[[ "$stderr" == "iiot-plot: gnuplot terminal 'qt' is not available"* ]]
	run -2 --separate-stderr iiot-plot --term vt100 -p table < /dev/null
	[[ "$stderr" == *"--term: expected dumb"* ]]
}

@test "iiot-plot: | head -1 ends quietly" {
	run -0 --separate-stderr bash -c "awk -f '$FIX/plant.awk' -v secs=600 |
	    iiot-plot -o '$BATS_TEST_TMPDIR/h.png' -p table | head -1"
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
}

@test "iiot-plot: SIGTERM draws what was read, flushes and exits" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-plot -U -o "$BATS_TEST_TMPDIR/t.svg" -p 'line:*/oil_temp' \
	    < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	plant 30 >&7
	wait_for 10 lines_are 420 "$BATS_TEST_TMPDIR/out"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	exec 7>&-
	grep -q '12:00:29' "$BATS_TEST_TMPDIR/t.svg"
	[ ! -e "$BATS_TEST_TMPDIR/t.svg.tmp" ]
}

@test "iiot-plot: --listen serves the page read-only" {
	port=$(free_port)
	plant 60 | iiot-plot -q -l "127.0.0.1:$port" -p table 3>&- &
	pid=$!
	bg_started "$pid"
	wait_port "$port" 10
	wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/dashboard.png"
	run -0 curl -fsS "http://127.0.0.1:$port/"
	[[ "$output" == *'<img id="dashboard"'* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code} %{content_type}' \
	    "http://127.0.0.1:$port/dashboard.png"
	[ "$output" = "200 image/png" ]
	run -0 curl -sS -I -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$port/dashboard.png"
	[ "$output" = 200 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -X POST \
	    "http://127.0.0.1:$port/"
	[ "$output" = 405 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$port/../etc/passwd"
	[ "$output" = 404 ]
	stop_plot "$pid"
}

@test "iiot-plot: the web page shows the dashboard in Chromium and refreshes" {
	port=$(free_port)
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	iiot-plot -q -r 200ms -l "127.0.0.1:$port" -p 'line:*/oil_temp' \
	    -p 'gauge:press1/oil_temp,min=0,max=100,warn=65,crit=75' \
	    < "$BATS_TEST_TMPDIR/fifo" 3>&- &
	pid=$!
	bg_started "$pid"
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	plant 60 >&7
	wait_port "$port" 10
	wait_for 10 served_md5 "$port"
	chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$BATS_TEST_TMPDIR/chr" \
	    --screenshot="$BATS_TEST_TMPDIR/s.png" --window-size=1200,800 \
	    "http://127.0.0.1:$port/" 2> /dev/null
	is_png "$BATS_TEST_TMPDIR/s.png"
	[ "$(png_size "$BATS_TEST_TMPDIR/s.png")" = 1200x800 ]
	# The script swaps in a new image once it has loaded.
	run -0 --separate-stderr chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$BATS_TEST_TMPDIR/chr2" \
	    --virtual-time-budget=3000 --dump-dom "http://127.0.0.1:$port/"
	[[ "$output" == *"<img id=\"dashboard\" src=\"http://127.0.0.1:$port/dashboard.png?n="* ]]
	before=$(served_md5 "$port")
	plant 120 | tail -n +841 >&7
	wait_for 10 image_changed "$port" "$before"
	exec 7>&-
	stop_plot "$pid"
}

@test "iiot-plot: --map gives units, ranges and alarm limits" {
	plant 600 | iiot-plot -q -m "$TOP/scripts/plant/press-shop.map" \
	    --term dumb -s 100x20 -p 'gauge:press2/oil_temp' \
	    > "$BATS_TEST_TMPDIR/screen"
	tail -20 "$BATS_TEST_TMPDIR/screen" | grep -q '76.3 °C  CRIT'
	plant 600 | iiot-plot -q --term dumb -s 100x20 \
	    -p 'gauge:press2/oil_temp' > "$BATS_TEST_TMPDIR/screen"
	tail -20 "$BATS_TEST_TMPDIR/screen" | grep -q '76.3 °C  OK'
	run -2 --separate-stderr iiot-plot -m "$FIX/bad-key.dash" -p table \
	    -o x.png < /dev/null
	[[ "$stderr" == "iiot-plot: $FIX/bad-key.dash:"* ]]
}

@test "iiot-plot: usage synopsis matches the man page" {
	check_synopsis iiot-plot
}

@test "iiot-plot: the man page's examples run" {
	cd "$BATS_TEST_TMPDIR"
	plant 600 > plant.jsonl
	iiot-plot -q -o dash.png -p 'line:press*/oil_temp,warn=65,crit=75' \
	    -p 'gauge:press1/pressure,min=0,max=250,warn_low=120' < plant.jsonl
	is_png dash.png
	iiot-plot -q -d "$TOP/scripts/plant/maintenance.dash" -w 24h \
	    -o report.pdf < plant.jsonl
	[ "$(head -c 5 report.pdf)" = "%PDF-" ]
	iiot-plot -d "$TOP/scripts/plant/workshop.dash" -T dumb < plant.jsonl |
	    grep -q 'Press 1 - motor'
}

@test "iiot-plot: a slow gnuplot holds up no record" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	IIOT_GNUPLOT="$FIX/slow-gnuplot" iiot-plot -v -r 100ms \
	    -o "$BATS_TEST_TMPDIR/s.png" -p 'line:*/oil_temp' \
	    < "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/out" \
	    2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	bg_started "$pid"
	exec 7> "$BATS_TEST_TMPDIR/fifo"
	plant 10 >&7
	wait_for 10 lines_are 140 "$BATS_TEST_TMPDIR/out"
	# A redraw is now under way for 5 s; records keep flowing.
	wait_for 5 grep -q 'commands built' "$BATS_TEST_TMPDIR/err"
	plant 20 | tail -n +141 >&7
	wait_for 3 lines_are 280 "$BATS_TEST_TMPDIR/out"
	exec 7>&-
	wait "$pid"
	is_png "$BATS_TEST_TMPDIR/s.png"
}
