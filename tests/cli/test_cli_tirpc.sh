#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cli_tirpc.sh - `tether` against a plain ONC RPC server (rpcgen +
# libtirpc, bench/tirpc/tirpc_server.c) on a Unix socket: ping and a call
# with JSON, proving the CLI needs nothing tether-specific from the server.
# usage: test_cli_tirpc.sh TETHER TIRPC_ECHO_SERVER ECHO_X
set -u
TETHER=$1 SERVER=$2 ECHO_X=$3
WORK=$(mktemp -d /tmp/tether-cli-tirpc.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fails=0

"$SERVER" --listen "unix:$WORK/echo.sock" 2>"$WORK/server.err" &
PID=$!
for _ in $(seq 100); do
	[ -S "$WORK/echo.sock" ] && break
	sleep 0.05
done
[ -S "$WORK/echo.sock" ] || { echo "server did not start: $(cat "$WORK/server.err")"; exit 1; }

expect() { # expect DESCRIPTION WANT_RC WANT_STDOUT COMMAND...
	local what=$1 rc=$2 want=$3
	shift 3
	out=$(timeout 20 "$TETHER" "$@" 2>"$WORK/err")
	got=$?
	if [ "$got" -eq "$rc" ] && [[ "$out" == $want ]]; then
		echo "ok   $what"
	else
		echo "FAIL $what: rc=$got stdout=$out stderr=$(cat "$WORK/err")"
		fails=$((fails + 1))
	fi
}

expect "ping libtirpc ECHO_PROG" 0 "*ready, rtt*" ping "unix:$WORK/echo.sock" 0x20000E01
expect "call libtirpc ECHO" 0 '"74657468657200"' call "unix:$WORK/echo.sock" \
	ECHO_PROG.ECHO_V1.ECHO '"74657468657200"' --idl "$ECHO_X" --compact
expect "libtirpc: unknown version" 1 "" ping "unix:$WORK/echo.sock" 0x20000E01 7
expect "libtirpc: unknown program" 1 "" ping "unix:$WORK/echo.sock" 12345
expect "libtirpc: list says not a tether server" 4 "" list "unix:$WORK/echo.sock"
expect "libtirpc: call without --idl needs reflection" 4 "" \
	call "unix:$WORK/echo.sock" ECHO_PROG.ECHO_V1.ECHO '"00"'
expect "libtirpc: still serving after the control calls" 0 '"00"' \
	call "unix:$WORK/echo.sock" ECHO_PROG.ECHO_V1.ECHO '"00"' --idl "$ECHO_X" --compact
[ "$fails" -eq 0 ]
