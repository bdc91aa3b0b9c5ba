#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_bench_audit.sh - `tether-bench serve --audit FILE` writes the audit
# records of docs/audit.md as JSON lines: a call, a callback, a denial and a
# limit hit (over mutual TLS) are made against it, then every line is parsed and every field
# of those records is checked (python3's json module: a strict parser).
# usage: test_bench_audit.sh TETHER_BENCH TETHER
set -u
BENCH=$1 TETHER=$2
WORK=$(mktemp -d /tmp/tether-bench-audit.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

# Mutual TLS with development certificates, so the TLS fields are filled.
P=$WORK/pki
"$TETHER" certs ca "$P" >/dev/null &&
	"$TETHER" certs issue "$P" server --dns localhost --ip 127.0.0.1 --server >/dev/null &&
	"$TETHER" certs issue "$P" client --uri spiffe://tether.test/bench --client >/dev/null ||
	{ echo "certs failed"; exit 1; }
SRV=(--cert "$P/server.pem" --key "$P/server.key" --ca "$P/ca.pem")
CLI=(--cert "$P/client.pem" --key "$P/client.key" --ca "$P/ca.pem")
# At most 2 connections per source: the limit hit below is the third.
"$BENCH" serve --listen tls://127.0.0.1:0 --audit "$WORK/audit.jsonl" \
	--max-per-source 2 "${SRV[@]}" >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID=$!
EP=
for _ in $(seq 100); do
	EP=$(sed -n 's/^listening //p' "$WORK/serve.out")
	[ -n "$EP" ] && break
	sleep 0.05
done
[ -n "$EP" ] || { echo "server did not start: $(cat "$WORK/serve.err")"; exit 1; }
PORT=${EP##*:}

fails=0
step() { # step DESCRIPTION EXPECTED_RC COMMAND...
	local what=$1 want=$2
	shift 2
	timeout 20 "$@" >"$WORK/o" 2>"$WORK/e"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then
		echo "ok   $what"
	else
		echo "FAIL $what: rc=$rc (want $want): $(cat "$WORK/e")"
		fails=$((fails + 1))
	fi
}
# Waits (at most 5 s) until the server has audited N connection closes, so
# that a finished client no longer counts against the per-source cap.
closed() {
	for _ in $(seq 100); do
		[ "$(grep -c '"event":"conn_close"' "$WORK/audit.jsonl" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "FAIL: only $(grep -c conn_close "$WORK/audit.jsonl") connection closes audited"
	fails=$((fails + 1))
}
step "a call" 0 "$BENCH" call --connect "$EP" --mode latency --size 16 --calls 1 "${CLI[@]}"
closed 1
step "callbacks" 0 "$BENCH" call --connect "$EP" --mode callback --size 8 --calls 40 "${CLI[@]}"
closed 2
# No administrator is configured: STATS is denied to everyone.
step "a denied call (STATS)" 1 "$TETHER" stats "$EP" "${CLI[@]}"
grep -q "denied" "$WORK/e" || { echo "FAIL denial message: $(cat "$WORK/e")"; fails=$((fails + 1)); }
closed 3
# Two idle TCP connections fill the per-source cap; the third is refused.
exec 3<>"/dev/tcp/127.0.0.1/$PORT" 4<>"/dev/tcp/127.0.0.1/$PORT"
sleep 0.2
step "connection over the per-source cap" 3 "$TETHER" ping "$EP" 0x20000E01 "${CLI[@]}"
exec 3>&- 4>&-
sleep 0.2
kill "$PID" && wait "$PID" 2>/dev/null
PID=

python3 - "$WORK/audit.jsonl" "$PORT" <<'EOF' || fails=$((fails + 1))
import json, sys

FIELDS = ["time", "time_ms", "event", "conn_id", "client_addr",
          "client_port", "server_addr", "server_port", "transport",
          "tls_version", "tls_cipher", "security_mode", "peer_kind", "peer",
          "peer_name_source", "peer_fingerprint", "peer_uid", "peer_gid",
          "peer_pid", "auth_flavor", "auth_flavor_name", "prog", "prog_name",
          "vers", "proc", "proc_name", "xid", "causality_id", "parent_xid",
          "direction", "reply_stat", "reply_stat_name", "accept_stat",
          "accept_stat_name", "auth_stat", "auth_stat_name", "status",
          "status_code", "duration_us", "bytes_in", "bytes_out", "limit",
          "rule", "detail"]
recs = []
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)          # every line is one valid JSON object
    missing = [f for f in FIELDS if f not in r]
    assert not missing, f"line {n}: missing {missing}"
    recs.append(r)

def one(what, pred):
    for r in recs:
        if pred(r):
            return r
    raise AssertionError(f"no {what} record among {len(recs)}")

def need(r, **want):
    for k, v in want.items():
        assert r[k] == v, f"{k}={r[k]!r}, want {v!r} in {r}"

def present(r, *keys):
    for k in keys:
        assert r[k] is not None, f"{k} is null in {r}"

CONN = ("time", "time_ms", "conn_id", "client_addr", "client_port",
        "server_addr", "server_port", "transport", "security_mode")
CALL = CONN + ("auth_flavor", "auth_flavor_name", "prog", "prog_name", "vers",
               "proc", "proc_name", "xid", "causality_id", "direction",
               "reply_stat", "reply_stat_name", "status", "status_code",
               "duration_us", "bytes_in", "bytes_out")

TLS = dict(transport="tls", security_mode="tls-mutual-auth",
           tls_version="TLSv1.3", peer="spiffe://tether.test/bench",
           peer_kind="tls", peer_name_source="san_uri")

call = one("ECHO call", lambda r: r["event"] == "call" and r["proc"] == 1
           and r["prog"] == 0x20000E01 and r["status"] == "OK")
present(call, *CALL, "accept_stat", "tls_cipher", "peer_fingerprint")
need(call, client_addr="127.0.0.1", server_addr="127.0.0.1",
     prog_name="ECHO_PROG", proc_name="ECHO", direction="call",
     reply_stat_name="MSG_ACCEPTED", accept_stat_name="SUCCESS",
     auth_flavor_name="AUTH_NONE", vers=1, parent_xid=None, **TLS)
assert call["server_port"] == int(sys.argv[2]), call
assert call["bytes_in"] == 4 + 40 + 4 + 16, call   # mark, header, opaque<16>
assert call["bytes_out"] == 4 + 24 + 4 + 16, call
assert call["causality_id"] == call["conn_id"] << 32 | call["xid"], call

sub = one("SUBSCRIBE call", lambda r: r["event"] == "call"
          and r["prog"] == 0x20000E02 and r["proc"] == 1)
cb = one("callback", lambda r: r["direction"] == "callback"
         and r["parent_xid"] == sub["xid"])
# prog_name of a callback is known only when the server registered the
# .x defining it (tether_server_register_idl); tether-bench does not.
present(cb, *[k for k in CALL if k != "prog_name"], "parent_xid",
        "tls_cipher")
need(cb, prog=0x20000E03, proc=1, proc_name="NOTIFY", status="OK",
     causality_id=sub["causality_id"], conn_id=sub["conn_id"],
     reply_stat_name="MSG_ACCEPTED", accept_stat_name="SUCCESS", **TLS)
assert cb["xid"] != sub["xid"], cb
# All 40 NOTIFYs (16 in flight at most: the rest are made from earlier
# callbacks' completions) carry the
# SUBSCRIBE as their parent.
cbs = [r for r in recs if r["direction"] == "callback"]
assert len(cbs) == 40 and all(r["parent_xid"] == sub["xid"] for r in cbs), cbs

den = one("denial", lambda r: r["event"] == "denial")
present(den, *CALL, "auth_stat")
need(den, prog=0x20746574, proc=7, proc_name="CTL_STATS", status="E_DENIED",
     status_code=501, reply_stat_name="MSG_DENIED",
     auth_stat_name="AUTH_TOOWEAK", rule=None, **TLS)

lim = one("limit", lambda r: r["event"] == "limit")
present(lim, "time", "time_ms", "client_addr", "client_port", "server_addr",
        "server_port", "transport", "limit", "status", "detail")
need(lim, limit="connections_per_address", status="E_BUSY",
     client_addr="127.0.0.1", transport="tls")

# A TLS connection's mode is known only after the handshake: conn_open
# has none; the security_mode and tls_established records that follow do.
r = one("conn_open", lambda r: r["event"] == "conn_open")
present(r, *[k for k in CONN if k != "security_mode"])
for ev in ("tls_established", "security_mode", "conn_close"):
    r = one(ev, lambda r, ev=ev: r["event"] == ev)
    present(r, *CONN, "tls_version", "tls_cipher", "peer")
close = one("conn_close", lambda r: r["event"] == "conn_close")
present(close, "detail", "status")
print(f"ok   {len(recs)} audit records parsed; call, callback, denial, limit checked")
EOF
[ "$fails" -eq 0 ]
