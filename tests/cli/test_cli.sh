#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cli.sh - the `tether` program end to end against cli_server (a small
# tether server built from tetherc output) over loopback TCP, a Unix socket
# and TLS: ping, call with JSON (ECHO, SUBSCRIBE, mount EXPORT/MNT), wrong
# names, bad JSON, exit codes, reflection (list, describe, call without
# --idl), stats refused to non-administrators, certs.
# usage: test_cli.sh TETHER CLI_SERVER ECHO_X NOTIFY_X MOUNT_X
set -u
TETHER=$1 SERVER=$2 ECHO_X=$3 NOTIFY_X=$4 MOUNT_X=$5
WORK=$(mktemp -d /tmp/tether-cli-test.XXXXXX)
PIDS=()
fails=0 total=0

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

# start_server NAME ENDPOINT [CERT KEY CA]: sets $EP to the bound endpoint.
start_server() {
	local name=$1
	shift
	"$SERVER" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS+=($!)
	for _ in $(seq 100); do
		EP=$(head -n1 "$WORK/$name.out" 2>/dev/null)
		[ -n "$EP" ] && return 0
		sleep 0.05
	done
	echo "server $name did not start: $(cat "$WORK/$name.err")"
	exit 1
}

# run: runs tether with a time bound; sets $OUT, $ERR, $RC.
run() {
	timeout 20 "$TETHER" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

check() { # check DESCRIPTION CONDITION...
	local what=$1
	shift
	total=$((total + 1))
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what (rc=$RC)"
		echo "     stdout: $OUT"
		echo "     stderr: $ERR"
		fails=$((fails + 1))
	fi
}
rc_is() { [ "$RC" -eq "$1" ]; }
out_is() { [ "$OUT" = "$1" ]; }
out_has() { [[ "$OUT" == *"$1"* ]]; }
err_has() { [[ "$ERR" == *"$1"* ]]; }

# ---- help and usage ------------------------------------------------------
run --help
check "tether --help" eval 'rc_is 0 && out_has "commands:"'
for c in ping call list describe stats certs; do
	run "$c" --help
	check "tether $c --help" eval 'rc_is 0 && out_has "usage: tether '"$c"'"'
done
run frobnicate
check "unknown command is a usage error" eval 'rc_is 2 && err_has "unknown command"'
run ping
check "ping without arguments" eval 'rc_is 2 && err_has "needs ENDPOINT"'
run call tcp://127.0.0.1:1 A.B.C --bogus
check "unknown option" eval 'rc_is 2 && err_has "unknown option '\''--bogus'\''"'

# ---- plain TCP -------------------------------------------------------------
start_server tcp tcp://127.0.0.1:0
TCP=$EP
run ping "$TCP" 0x20000E01
check "ping ECHO_PROG by number" eval 'rc_is 0 && out_has "ready, rtt"'
run ping "$TCP" ECHO_PROG ECHO_V1 --idl "$ECHO_X" --count 3
check "ping by names, 3 calls" eval 'rc_is 0 && out_has "3 calls: rtt min"'
run ping "$TCP" 12345
check "ping an unserved program" eval 'rc_is 1 && err_has "E_PROG_UNAVAIL"'
run ping "$TCP" NOPE_PROG --idl "$ECHO_X"
check "ping an unknown program name" eval 'rc_is 2 && err_has "PROGRAM (not in the .x file): '\''NOPE_PROG'\'' is not a number"'

run call "$TCP" ECHO_PROG.ECHO_V1.ECHO '"48656c6c6f00ff"' --idl "$ECHO_X" --compact
check "call ECHO with opaque as hex" eval 'rc_is 0 && out_is "\"48656c6c6f00ff\""'
run call "$TCP" 0x20000E01.1.1 '""' --idl "$ECHO_X" --compact
check "call ECHO by numbers, empty opaque" eval 'rc_is 0 && out_is "\"\""'
run call "$TCP" ECHO_PROG.ECHO_V1.ECHO_PING --idl "$ECHO_X"
check "call a void procedure" eval 'rc_is 0 && out_is "null"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 0, "size": 16}' --idl "$NOTIFY_X"
check "call SUBSCRIBE with a struct" eval 'rc_is 0 && out_is "0"'
# Without --reply the CLI serves no callback program: the server's NOTIFY
# callbacks are answered PROG_UNAVAIL, so none counts as answered.
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 3, "size": 8}' --idl "$NOTIFY_X"
check "SUBSCRIBE with callbacks the CLI does not serve" eval 'rc_is 0 && out_is "0"'
# With --reply the CLI serves the callback procedure on its connection.
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 3, "size": 4}' --idl "$NOTIFY_X" \
	--reply NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY=4
check "SUBSCRIBE with callbacks answered by --reply" eval 'rc_is 0 && out_is "3" &&
	[ "$(grep -c "callback NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY \"00000000\"" "$WORK/err")" = 3 ] &&
	err_has "3 callback(s) answered"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 2, "size": 4}' --idl "$NOTIFY_X" \
	--reply NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY=5
check "callbacks answered wrongly are not counted by the server" eval 'rc_is 0 && out_is "0" && err_has "2 callback(s) answered"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 2, "size": 4}' --idl "$NOTIFY_X" \
	--reply NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY_CB_PING=null
check "only the procedures given are answered" eval 'rc_is 0 && out_is "0" && err_has "0 callback(s) answered"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 2, "size": 4}' --idl "$NOTIFY_X" \
	--reply 'NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY="x"'
check "--reply JSON is checked before connecting" eval 'rc_is 2 && err_has "--reply NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY: $: \"x\" is not a decimal integer"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 2, "size": 4}' --idl "$NOTIFY_X" \
	--reply NOTIFY_CB_PROG.NOTIFY_CB_V1.NOTIFY
check "--reply without =JSON" eval 'rc_is 2 && err_has "is not PROG.VERS.PROC=JSON"'
echo '{"size": 1, "count": 0}' >"$WORK/arg.json"
timeout 20 "$TETHER" call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE - --idl "$NOTIFY_X" <"$WORK/arg.json" >"$WORK/out" 2>"$WORK/err"
RC=$? OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
check "argument JSON from stdin" eval 'rc_is 0 && out_is "0"'

run call "$TCP" MOUNTPROG.MOUNTVERS.MOUNTPROC_EXPORT --idl "$MOUNT_X" --compact
check "mount EXPORT: recursive lists to JSON" eval 'rc_is 0 && out_is "{\"ex_dir\":\"/srv\",\"ex_groups\":{\"gr_name\":\"admins\",\"gr_next\":{\"gr_name\":\"ops\",\"gr_next\":null}},\"ex_next\":{\"ex_dir\":\"/home\",\"ex_groups\":null,\"ex_next\":{\"ex_dir\":\"/tmp\",\"ex_groups\":null,\"ex_next\":null}}}"'
run call "$TCP" MOUNTPROG.MOUNTVERS.MOUNTPROC_MNT '"/srv"' --idl "$MOUNT_X" --compact
check "mount MNT: union with an arm" eval 'rc_is 0 && out_is "{\"fhs_status\":0,\"fhs_fhandle\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}"'
run call "$TCP" MOUNTPROG.MOUNTVERS.MOUNTPROC_MNT '"/nope"' --idl "$MOUNT_X" --compact
check "mount MNT: union default void arm" eval 'rc_is 0 && out_is "{\"fhs_status\":2}"'
run call "$TCP" MOUNTPROG.MOUNTVERS.MOUNTPROC_DUMP --idl "$MOUNT_X"
check "procedure without a handler" eval 'rc_is 1 && err_has "E_PROC_UNAVAIL"'

# ---- wrong names, bad JSON ------------------------------------------------------
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIB '{}' --idl "$NOTIFY_X"
check "unknown procedure name" eval 'rc_is 2 && err_has "no procedure '\''SUBSCRIB'\'' (procedures: NOTIFY_PING, SUBSCRIBE)"'
run call "$TCP" NOTIFY_PROG.V9.SUBSCRIBE '{}' --idl "$NOTIFY_X"
check "unknown version" eval 'rc_is 2 && err_has "no version '\''V9'\''"'
run call "$TCP" NOPE.1.1 '{}' --idl "$NOTIFY_X"
check "unknown program" eval 'rc_is 2 && err_has "no program '\''NOPE'\'' in the .x file (programs: NOTIFY_CB_PROG, NOTIFY_PROG)"'
run call "$TCP" NOTIFY_PROG.SUBSCRIBE '{}' --idl "$NOTIFY_X"
check "not PROG.VERS.PROC" eval 'rc_is 2 && err_has "is not PROGRAM.VERSION.PROCEDURE"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 1,' --idl "$NOTIFY_X"
check "bad JSON names line:column" eval 'rc_is 2 && err_has "argument JSON 1:13: expected a string key, found end of input"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": "x", "size": 1}' --idl "$NOTIFY_X"
check "wrong JSON type names the path" eval 'rc_is 2 && err_has "$.count: \"x\" is not a decimal integer"'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 1}' --idl "$NOTIFY_X"
check "missing field" eval 'rc_is 2 && err_has "$: missing field \"size\""'
run call "$TCP" ECHO_PROG.ECHO_V1.ECHO '"abc"' --idl "$ECHO_X"
check "odd hex" eval 'rc_is 2 && err_has "hex string of odd length 3"'
run call "$TCP" ECHO_PROG.ECHO_V1.ECHO_PING '5' --idl "$ECHO_X"
check "argument to a void procedure" eval 'rc_is 2 && err_has "expected null, found an integer"'
run call "$TCP" ECHO_PROG.ECHO_V1.ECHO '"00ff"' --compact
check "call without --idl (reflection)" eval 'rc_is 0 && out_is "\"00ff\""'
run call "$TCP" NOTIFY_PROG.NOTIFY_V1.SUBSCRIBE '{"count": 1, "size": 2}' --compact
check "call by reflection, by name, struct argument" eval 'rc_is 0'
run call "$TCP" MOUNTPROG.MOUNTVERS.MOUNTPROC_NULL
check "call without --idl, .x not registered" eval 'rc_is 4 && err_has "was not registered"'
run call "$TCP" NOPROG.V.P '1'
check "call without --idl, unknown program" eval 'rc_is 2 && err_has "serves no program named"'
printf 'program P { version V { void X(void) = 0; } = 1; ' >"$WORK/bad.x"
run call "$TCP" P.V.X --idl "$WORK/bad.x"
check "broken .x file" eval 'rc_is 2 && err_has "bad.x:1:"'
run call "$TCP" ECHO_PROG.ECHO_V1.ECHO '"00"' --idl "$WORK/missing.x"
check "missing .x file" eval 'rc_is 2 && err_has "missing.x"'

# ---- connection errors, reflection ---------------------------------------------
run ping tcp://127.0.0.1:1 100005
check "connection refused" eval 'rc_is 3 && err_has "E_REFUSED"'
run ping "nonsense://x" 1
check "bad endpoint" eval 'rc_is 2 && err_has "malformed endpoint"'
run ping "$TCP" 100005 --cert a --key b
check "TLS options on tcp://" eval 'rc_is 2 && err_has "apply to tls://"'
run list "$TCP"
check "list" eval 'rc_is 0 && out_has "ECHO_PROG" && out_has "ECHO=" && out_has "from echo.x" && out_has "MOUNTPROG"'
run describe "$TCP" ECHO_PROG
check "describe by name" eval 'rc_is 0 && out_has "program ECHO_PROG" && [ "$OUT" = "$(cat "$ECHO_X")" ]'
run describe "$TCP" 0x20746574
check "describe the control program" eval 'rc_is 0 && out_has "CTL_DESCRIBE"'
run describe "$TCP" MOUNTPROG
check "describe: .x not registered" eval 'rc_is 4 && err_has "was not registered"'
run stats "$TCP"
check "stats: administrators only" eval 'rc_is 1 && err_has "denied" && err_has "administrators only"'

# ---- Unix socket -------------------------------------------------------------------
start_server unix "unix:$WORK/s.sock"
run ping "unix:$WORK/s.sock" NOTIFY_PROG NOTIFY_V1 --idl "$NOTIFY_X"
check "ping over a Unix socket" eval 'rc_is 0 && out_has "ready"'
run call "unix:$WORK/s.sock" ECHO_PROG.ECHO_V1.ECHO '"0a0b"' --idl "$ECHO_X" --compact
check "call over a Unix socket" eval 'rc_is 0 && out_is "\"0a0b\""'

# ---- certs and TLS ----------------------------------------------------------------
run certs ca "$WORK/pki"
check "certs ca" eval 'rc_is 0 && [ -f "$WORK/pki/ca.pem" ] && [ "$(stat -c %a "$WORK/pki/ca.key")" = 600 ]'
run certs issue "$WORK/pki" server --dns localhost --ip 127.0.0.1 --server
check "certs issue server" eval 'rc_is 0 && [ "$(stat -c %a "$WORK/pki/server.key")" = 600 ]'
run certs issue "$WORK/pki" alice --client
check "certs issue client" eval 'rc_is 0 && [ -f "$WORK/pki/alice.pem" ]'
run certs issue "$WORK/pki" alice --client
check "certs never overwrite" eval 'rc_is 1 && err_has "never overwritten"'
run certs issue "$WORK/pki" ../evil
check "certs refuses a path as NAME" eval 'rc_is 2 && err_has "must be letters"'
run certs issue "$WORK/nopki" bob
check "certs issue without a CA" eval 'rc_is 1 && err_has "cannot use the CA"'
if openssl x509 -in "$WORK/pki/server.pem" -noout -text >"$WORK/x509" 2>&1; then
	OUT=$(cat "$WORK/x509")
	check "server certificate has its SANs" eval 'out_has "DNS:localhost" && out_has "IP Address:127.0.0.1"'
fi

P=$WORK/pki
start_server tls tls://127.0.0.1:0 "$P/server.pem" "$P/server.key" "$P/ca.pem"
TLS=$EP
run ping "$TLS" ECHO_PROG --idl "$ECHO_X" --ca "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key"
check "ping over mutual TLS" eval 'rc_is 0 && out_has "ready"'
run call "$TLS" ECHO_PROG.ECHO_V1.ECHO '"cafe"' --idl "$ECHO_X" --ca "$P/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key" --compact
check "call over mutual TLS" eval 'rc_is 0 && out_is "\"cafe\""'
run ping "$TLS" ECHO_PROG --idl "$ECHO_X"
check "tls:// without --ca" eval 'rc_is 2 && err_has "needs --ca"'
run ping "$TLS" 0x20000E01 --ca "$P/ca.pem"
check "TLS without a client certificate is refused" eval 'rc_is 3'
run certs ca "$WORK/other"
run certs issue "$WORK/other" mallory --client
run ping "$TLS" 0x20000E01 --ca "$P/ca.pem" --cert "$WORK/other/mallory.pem" --key "$WORK/other/mallory.key"
check "client certificate from another CA is refused" eval 'rc_is 3 && err_has "E_AUTH_REJECTED"'
run ping "$TLS" 0x20000E01 --ca "$WORK/other/ca.pem" --cert "$P/alice.pem" --key "$P/alice.key"
check "server not trusted by --ca" eval 'rc_is 3'
run ping "tcp://${TLS#tls://}" 0x20000E01
check "plaintext to a TLS server gets nothing" eval 'rc_is 3'
run ping "$TLS" 0x20000E01 --ca "$P/ca.pem" --cert "$P/alice.pem"
check "--cert without --key" eval 'rc_is 2 && err_has "go together"'

# Every server stops cleanly on SIGTERM and said nothing on stderr (under
# the sanitizer build, a leak or error report would land there).
for i in "${!PIDS[@]}"; do
	kill "${PIDS[$i]}" 2>/dev/null
	wait "${PIDS[$i]}"
	RC=$? OUT="" ERR=""
	check "server $i stopped cleanly" rc_is 0
done
for f in "$WORK"/*.err; do
	OUT="" ERR=$(cat "$f") RC=0
	check "nothing on the stderr of $(basename "$f")" eval '[ -z "$ERR" ]'
done
PIDS=()

echo "$((total - fails))/$total passed"
[ "$fails" -eq 0 ]
