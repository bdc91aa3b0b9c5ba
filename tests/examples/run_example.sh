#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run_example.sh - runs one example end to end and checks what it prints:
# starts its server (if it has one), waits for "listening ENDPOINT",
# runs its client, checks the output, and kills the server by its pid.
#
#   run_example.sh EXAMPLES_BUILD_DIR echo|calc|local|tirpc-client
#   run_example.sh EXAMPLES_BUILD_DIR showcase   (through scripts/demo.sh)
set -u
BIN=$1
NAME=$2
WORK=$(mktemp -d /tmp/tether-example-XXXXXX)
SERVER_PID=

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL ($NAME): $*"
	echo "--- client output:"; cat "$WORK/client.out" 2>/dev/null
	echo "--- server output:"; cat "$WORK/server.out" 2>/dev/null
	exit 1
}

# start_server CMD...: sets SERVER_PID and EP (bounded wait, 10 s).
start_server() {
	# A fresh file: the background redirection may not have truncated
	# an old one by the time it is first read.
	rm -f "$WORK/server.out"
	: >"$WORK/server.out"
	"$@" >>"$WORK/server.out" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		EP=$(awk '/^listening /{print $2; exit}' "$WORK/server.out")
		[ -n "$EP" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited early"
		sleep 0.1
	done
	fail "server did not print 'listening ENDPOINT' within 10 s"
}

# stop_server [any]: SIGTERM, then the server must exit 0 (a tether server
# stops gracefully) unless "any" is given (libtirpc's dies of the signal),
# and must not have printed a sanitizer report.
stop_server() {
	local pid=$SERVER_PID rc
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	SERVER_PID=
	if [ "${1:-}" != any ] && [ "$rc" -ne 0 ]; then
		fail "server exited with status $rc after SIGTERM"
	fi
	if grep -Eq 'Sanitizer|runtime error' "$WORK/server.out"; then
		fail "sanitizer report from the server"
	fi
}

# run_client CMD...: runs it (bounded), fails on a non-zero exit.
run_client() {
	timeout 70 "$@" >"$WORK/client.out" 2>&1 ||
		fail "client exited with status $?: $*"
}

# expect REGEX: the client printed a line matching it.
expect() {
	grep -Eq -- "$1" "$WORK/client.out" || fail "expected /$1/ in the output"
}

case $NAME in
echo)
	start_server "$BIN/echo/echo-server"
	run_client "$BIN/echo/echo-client" "$EP" hello "tether quick start"
	expect '^echo: hello$'
	expect '^echo: tether quick start$'
	# The README's CLI line: no local .x, the server describes echo.x.
	cli="$BIN/../tools/tether/tether"
	if [ -x "$cli" ]; then
		run_client "$cli" call "$EP" ECHO_PROG.ECHO_V1.ECHO '"68656c6c6f"'
		expect '^"68656c6c6f"$'
	fi
	# Unix socket too, same programs.
	stop_server
	start_server "$BIN/echo/echo-server" "unix:$WORK/echo.sock"
	run_client "$BIN/echo/echo-client" "$EP" "over a unix socket"
	expect '^echo: over a unix socket$'
	stop_server
	;;
calc)
	start_server "$BIN/calc/calc-server"
	run_client "$BIN/calc/calc-client" "$EP"
	expect '^6 x 7 = 42$'
	expect '^2 - 40 = -38$'
	expect '^7 / 0: error: division by zero$'
	expect '^9223372036854775807 x 2: error: overflow$'
	expect '^sqrt 49: .*\(E_PROC_UNAVAIL\)$'
	A=$((RANDOM % 1000 + 1)) B=$((RANDOM % 1000 + 1))
	run_client "$BIN/calc/calc-client" "$EP" "$A" x "$B"
	expect "^$A x $B = $((A * B))\$"
	stop_server
	;;
local)
	ME=$(id -u)
	OTHER=$((ME + 1))
	start_server "$BIN/local/local-server" "unix:$WORK/local.sock" "$ME"
	run_client "$BIN/local/local-client" "$EP"
	expect "^server sees me as: uid=$ME gid=$(id -g) pid=[0-9]+\$"
	expect "^server \\(SO_PEERCRED\\): uid=$ME "
	expect '^READ_SECRET: allowed: "the cake is in the fridge"$'
	stop_server
	# The same client, a policy that gives the secret to another uid.
	start_server "$BIN/local/local-server" "unix:$WORK/local.sock" "$OTHER"
	run_client "$BIN/local/local-client" "$EP"
	expect "^server sees me as: uid=$ME "
	expect '^READ_SECRET: .*\(E_DENIED\)$'
	stop_server
	;;
tirpc-client)
	start_server "$BIN/tirpc-client/greet-tirpc-server"
	run_client "$BIN/tirpc-client/greet-client" "$EP" ada
	expect '^GREET: "hello, ada hello, ada"$'
	expect '^COUNT: 1 greeting\(s\) served$'
	run_client "$BIN/tirpc-client/greet-client" "$EP" grace
	expect '^COUNT: 2 greeting\(s\) served$'
	stop_server any
	;;
showcase)
	# The demo checks itself (exit status); here also what it shows.
	run_client bash "$(dirname "$0")/../../scripts/demo.sh" "$BIN/.."
	expect '^    alice     <- PROGRESS job 1: resize-photos: step 4 of 4 done$'
	expect '^    alice     <- job 1 done: 4 steps, 4 progress reports acknowledged'
	expect '^    eve       <- .*\(E_(AUTH_REJECTED|TLS|PEER_IDENTITY|CLOSED|RESET)\)$'
	expect '^    mallory   <- denied by the peer.s authorization policy \(E_DENIED\)$'
	expect '"event":"denial".*"peer":"spiffe://demo.tether/mallory"'
	expect '"direction":"callback"'
	expect '"limit":"callback_expiries"'
	expect '^    blackhole <- .* the server cut it off$'
	expect '^    alice     <- job 3 done: 3 steps, 3 progress reports acknowledged'
	expect '^    alice     <- job 4 done: 2 steps, 2 progress reports acknowledged'
	expect '^DEMO OK in [0-9.]+ s$'
	;;
*)
	fail "unknown example"
	;;
esac
echo "PASS ($NAME)"
