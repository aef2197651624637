#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# build: installation, man pages, and the promises every program keeps.

load test_helper
bats_require_minimum_version 1.5.0

progs() {
	ls "$TOP/cmd"
}

@test "build: make install honours PREFIX and DESTDIR, uninstall removes it all" {
	d=$BATS_TEST_TMPDIR/root
	run -0 make -s -C "$TOP" install DESTDIR="$d" PREFIX=/opt/iiot
	for p in $(progs); do
		[ -x "$d/opt/iiot/bin/$p" ]
		[ -f "$d/opt/iiot/share/man/man1/$p.1" ]
	done
	[ -f "$d/opt/iiot/share/man/man7/iiot.7" ]
	[ -f "$d/opt/iiot/share/man/man5/iiot-map.5" ]
	run -0 make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/opt/iiot
	[ -z "$(find "$d" -type f)" ]
}

@test "build: every man page passes mandoc -Tlint" {
	for m in "$TOP"/man/*.[157]; do
		run -0 mandoc -Tlint -W warning "$m"
		[ -z "$output" ] || { echo "$m: $output"; false; }
	done
}

@test "build: every program has --help, --version, a man page, tests and a README section" {
	for p in $(progs); do
		run -0 "$p" --help
		[[ "$output" == *"usage: $p"* ]]
		run -0 "$p" --version
		[[ "${lines[0]}" == "$p "[0-9]* ]]
		[ -f "$TOP/man/$p.1" ]
		ls "$TOP"/tests/"$p"*.bats > /dev/null
		grep -q "<!-- $p -->" "$TOP/README.md"
	done
}

@test "build: a bad option is a usage error with exit 2 in every program" {
	for p in $(progs); do
		run -2 --separate-stderr "$p" --no-such-option
		[[ "$stderr" == *"Try '$p --help'"* ]] || { echo "$p: $stderr"; false; }
	done
}
