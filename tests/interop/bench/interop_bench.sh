#!/bin/sh
# SPDX-License-Identifier: MIT
# interop_bench.sh - interop between tether-bench and the rpcgen + libtirpc
# echo programs (bench/tirpc), over loopback TCP and a Unix socket.
#
#   interop_bench.sh CASE TRANSPORT BINDIR
# CASE: tirpc_to_tether | tether_to_tirpc | callback | blackhole | cli | tls; TRANSPORT: tcp | unix;
# BINDIR holds tether-bench, tirpc-echo-server and tirpc-echo-client;
# the tls case takes the tether CLI (for `tether certs`) as a 4th argument.
# Servers listen on a free port (port 0, announced on stdout) or a path in
# a temporary folder; they are killed by pid on exit. Every client runs
# under `timeout`.
set -eu

CASE=$1 TRANSPORT=$2 BIN=$3 CLI=${4:-}
TB=$BIN/tether-bench
TC=$BIN/tirpc-echo-client
TS=$BIN/tirpc-echo-server
ECHO_PROG=536874497   # 0x20000E01, bench/echo.x
NOTIFY_PROG=536874498 # 0x20000E02, bench/notify.x
UNSERVED_PROG=536874751 # 0x20000EFF, served by nobody
SIZES="0 1 3 4 1000 1048576"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tether-interop.XXXXXX")
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# stop_server: SIGTERM, then the server must exit 0 (a clean shutdown:
# under sanitizers a leak or error report makes it non-zero).
stop_server() {
	kill "$SERVER_PID" 2>/dev/null || fail "server died early"
	rc=0
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=
	if [ $rc -ne 0 ]; then
		cat "$TMP/server.err" >&2
		fail "server exited with status $rc"
	fi
}

# start_server CMD... : starts it, waits (at most 10 s) for its
# "listening ENDPOINT" line and sets EP.
start_server() {
	: >"$TMP/server.out" # the background shell truncates it only later
	"$@" >"$TMP/server.out" 2>"$TMP/server.err" &
	SERVER_PID=$!
	i=0
	while ! grep -q '^listening ' "$TMP/server.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
			cat "$TMP/server.err" >&2
			fail "server did not start: $*"
		fi
		sleep 0.1
	done
	EP=$(sed -n 's/^listening //p' "$TMP/server.out" | head -n 1)
}

listen_ep() {
	if [ "$TRANSPORT" = unix ]; then
		echo "unix:$TMP/server.sock"
	else
		echo "tcp://127.0.0.1:0"
	fi
}

# json_field LINE NAME: the numeric value of "NAME": in LINE.
json_field() {
	echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"
}

check_line() { # LINE IMPL MODE SIZE CALLS
	for kv in "impl\":\"$2" "transport\":\"$TRANSPORT" "mode\":\"$3"; do
		echo "$1" | grep -q "\"$kv\"" || fail "expected $kv in: $1"
	done
	[ "$(json_field "$1" size)" = "$4" ] || fail "size != $4 in: $1"
	[ "$(json_field "$1" calls)" = "$5" ] || fail "calls != $5 in: $1"
}

tirpc_to_tether() {
	start_server "$TB" serve --listen "$(listen_ep)"
	for s in $SIZES; do
		out=$(timeout 60 "$TC" --connect "$EP" --mode latency \
			--size "$s" --calls 3) || fail "tirpc echo size $s"
		check_line "$out" tirpc latency "$s" 3
	done
	# The NULL procedure (what rpcinfo -t sends) of both programs.
	for p in $ECHO_PROG $NOTIFY_PROG; do
		out=$(timeout 30 "$TC" --connect "$EP" --mode ping --prog "$p") ||
			fail "NULL call to program $p not answered"
		echo "$out" | grep -q '"ok":true' || fail "ping output: $out"
	done
	# And the ping can fail: a program nobody serves is refused.
	if timeout 30 "$TC" --connect "$EP" --mode ping \
		--prog $UNSERVED_PROG 2>"$TMP/err"; then
		fail "NULL call to an unserved program succeeded"
	fi
	grep -q "Program unavailable" "$TMP/err" ||
		fail "expected PROG_UNAVAIL, got: $(cat "$TMP/err")"
	stop_server
}

tether_to_tirpc() {
	start_server "$TS" --listen "$(listen_ep)"
	for s in $SIZES; do
		out=$(timeout 60 "$TB" call --connect "$EP" --mode latency \
			--size "$s" --calls 3) || fail "tether echo size $s"
		check_line "$out" tether latency "$s" 3
	done
	out=$(timeout 60 "$TB" call --connect "$EP" --mode throughput \
		--size 64 --calls 2000 --depth 64) || fail "tether throughput"
	check_line "$out" tether throughput 64 2000
	stop_server
}

callback() {
	start_server "$TB" serve --listen "$(listen_ep)"
	out=$(timeout 120 "$TB" call --connect "$EP" --mode callback \
		--size 64 --calls 10000) || fail "SUBSCRIBE with 10000 callbacks"
	check_line "$out" tether callback 64 10000
	stop_server
}

# A client that never answers callbacks is cut off by the server after its
# callback deadlines expire, while another client is served normally and
# the server keeps serving afterwards (DESIGN §6, bench/notify.x).
blackhole() {
	start_server "$TB" serve --listen "$(listen_ep)" \
		--callback-deadline-ms 300
	timeout 60 "$TB" call --connect "$EP" --mode blackhole --size 64 \
		--calls 1000 >"$TMP/bh.out" 2>"$TMP/bh.err" &
	bh_pid=$!
	out=$(timeout 60 "$TB" call --connect "$EP" --mode latency --size 64 \
		--calls 2000) || fail "echo beside a black-hole client"
	check_line "$out" tether latency 64 2000
	bh_rc=0
	wait $bh_pid || bh_rc=$?
	[ $bh_rc -eq 0 ] || fail "black-hole client: status $bh_rc: $(cat "$TMP/bh.err")"
	grep -Eq '"outcome":"E_(CLOSED|RESET)"' "$TMP/bh.out" ||
		fail "black-hole client not cut off: $(cat "$TMP/bh.out")"
	out=$(timeout 60 "$TB" call --connect "$EP" --mode callback --size 64 \
		--calls 100) || fail "callbacks after a black-hole client"
	check_line "$out" tether callback 64 100
	stop_server
}

# tether-bench over tls:// (RFC 9289, mutual authentication) with
# certificates from `tether certs` (CLI=$4), and the server's --audit file.
tls() {
	[ -n "${CLI:-}" ] || fail "tls case needs the tether CLI as 4th argument"
	"$CLI" certs ca "$TMP/pki" >/dev/null
	"$CLI" certs issue "$TMP/pki" server --ip 127.0.0.1 --server >/dev/null
	"$CLI" certs issue "$TMP/pki" client --client >/dev/null
	"$CLI" certs ca "$TMP/other" >/dev/null
	"$CLI" certs issue "$TMP/other" client --client >/dev/null
	P=$TMP/pki
	start_server "$TB" serve --listen tls://127.0.0.1:0 --cert "$P/server.pem" \
		--key "$P/server.key" --ca "$P/ca.pem" --audit "$TMP/audit.jsonl"
	case "$EP" in tls://127.0.0.1:*) ;; *) fail "not a tls endpoint: $EP" ;; esac
	for s in 0 1000 1048576; do
		out=$(timeout 60 "$TB" call --connect "$EP" --cert "$P/client.pem" \
			--key "$P/client.key" --ca "$P/ca.pem" --mode latency \
			--size "$s" --calls 3) || fail "TLS echo size $s"
		echo "$out" | grep -q '"tls":true' || fail "tls not reported: $out"
		[ "$(json_field "$out" size)" = "$s" ] || fail "size in: $out"
	done
	out=$(timeout 60 "$TB" call --connect "$EP" --cert "$P/client.pem" \
		--key "$P/client.key" --ca "$P/ca.pem" --mode throughput \
		--size 64 --calls 2000 --depth 64) || fail "TLS throughput"
	[ "$(json_field "$out" calls)" = 2000 ] || fail "calls in: $out"
	out=$(timeout 60 "$TB" call --connect "$EP" --cert "$P/client.pem" \
		--key "$P/client.key" --ca "$P/ca.pem" --mode callback \
		--size 64 --calls 1000) || fail "TLS callbacks"
	[ "$(json_field "$out" calls)" = 1000 ] || fail "calls in: $out"
	# Refused: plaintext to the TLS port, and a client certificate from
	# another CA.
	expect_error "" "$TB" call --connect "tcp://${EP#tls://}" \
		--mode latency --size 1 --calls 1
	expect_error "" "$TB" call --connect "$EP" --cert "$TMP/other/client.pem" \
		--key "$TMP/other/client.key" --ca "$P/ca.pem" --mode latency \
		--size 1 --calls 1
	stop_server
	grep -q '"event":"tls_established"' "$TMP/audit.jsonl" ||
		fail "no tls_established audit record"
	grep -q '"security_mode":"tls-mutual-auth"' "$TMP/audit.jsonl" ||
		fail "security mode not audited"
	[ "$(grep -c '"event":"call"' "$TMP/audit.jsonl")" -ge 2006 ] ||
		fail "fewer call audit records than calls"
}

# expect_error REGEX CMD...: CMD must exit non-zero and say REGEX on stderr.
expect_error() {
	re=$1
	shift
	if timeout 30 "$@" >"$TMP/out" 2>"$TMP/err"; then
		fail "succeeded but should not: $*"
	fi
	grep -q -- "$re" "$TMP/err" ||
		fail "expected '$re' from: $* ; got: $(cat "$TMP/err")"
}

cli() {
	"$TB" --help | grep -q 'tether-bench serve' || fail "--help"
	expect_error "--size" "$TB" call --connect tcp://127.0.0.1:1 \
		--mode latency --size lots --calls 1
	expect_error "--mode" "$TB" call --connect tcp://127.0.0.1:1 \
		--mode sideways --size 1 --calls 1
	expect_error "--connect" "$TB" call --connect nowhere --mode latency
	expect_error "only for a tls:// endpoint" "$TB" serve \
		--listen "$(listen_ep)" --cert c.pem --key k.pem --ca ca.pem
	expect_error "needs --cert, --key and --ca" "$TB" serve \
		--listen tls://127.0.0.1:0 --cert c.pem
	expect_error "--audit" "$TB" serve --listen "$(listen_ep)" \
		--audit "$TMP/no/such/dir/audit.log"
	# A server that is not there: a clear connect error, non-zero exit.
	start_server "$TS" --listen "$(listen_ep)"
	stop_server
	expect_error "connect" "$TB" call --connect "$EP" --mode latency \
		--size 1 --calls 1
}

case "$CASE" in
tirpc_to_tether | tether_to_tirpc | callback | blackhole | cli | tls) "$CASE" ;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS: $CASE over $TRANSPORT"
