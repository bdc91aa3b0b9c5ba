#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh - builds Release and benchmarks tether against a raw-socket floor
# and rpcgen + libtirpc (bench/), then writes docs/performance.md (and
# docs/performance.png when gnuplot is installed). Never run by CI.
#
# Environment knobs (defaults in brackets): RUNS [5], LAT_CALLS [20000],
# TPUT_CALLS [200000], CB_CALLS [10000], SIZE [64], DEPTH [64], IDLE [1000],
# BIG_SIZE [65536] and BIG_CALLS [2000] (a latency run with large payloads),
# HS_CALLS [1000] (tls: full mutual-TLS connections per handshake run),
# BUILD [build-release], OUT [docs/performance.md], TRANSPORTS ["tcp unix tls"]
# (tls: tether only, RFC 9289 with mutual authentication, certificates from
# `tether certs`),
# TETHER_BENCH_BIN [unset: build tether-bench; else use this binary].
# Servers run on core 0 and clients on core 1 (taskset).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-release}
RUNS=${RUNS:-5}
LAT_CALLS=${LAT_CALLS:-20000}
TPUT_CALLS=${TPUT_CALLS:-200000}
CB_CALLS=${CB_CALLS:-10000}
SIZE=${SIZE:-64}
BIG_SIZE=${BIG_SIZE:-65536}
BIG_CALLS=${BIG_CALLS:-2000}
DEPTH=${DEPTH:-64}
IDLE=${IDLE:-1000}
HS_CALLS=${HS_CALLS:-1000}
OUT=${OUT:-$ROOT/docs/performance.md}
TRANSPORTS=${TRANSPORTS:-tcp unix tls}
CMDLINE="RUNS=$RUNS LAT_CALLS=$LAT_CALLS TPUT_CALLS=$TPUT_CALLS CB_CALLS=$CB_CALLS SIZE=$SIZE BIG_SIZE=$BIG_SIZE BIG_CALLS=$BIG_CALLS DEPTH=$DEPTH IDLE=$IDLE HS_CALLS=$HS_CALLS scripts/bench.sh"

SRV_CPU="taskset -c 0"
CLI_CPU="taskset -c 1"
[ "$(nproc)" -ge 2 ] || { SRV_CPU=; CLI_CPU=; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tether-bench.XXXXXX")
ALL_PIDS=
cleanup() {
	for p in $ALL_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

log() { echo "bench: $*" >&2; }

# ---- build ------------------------------------------------------------------
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
	-DTETHER_TESTS=OFF -DTETHER_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j2 --target raw-pingpong tirpc-echo-server \
	tirpc-echo-client idle-conns >/dev/null
B=$BUILD/bench
IMPLS="raw tirpc"
TB_BIN=$B/tether-bench
if [ -n "${TETHER_BENCH_BIN:-}" ]; then
	TB_BIN=$TETHER_BENCH_BIN # a prebuilt tether-bench (say so in the report)
	IMPLS="raw tirpc tether"
	CMDLINE="TETHER_BENCH_BIN=$TB_BIN $CMDLINE"
elif cmake --build "$BUILD" -j2 --target tether-bench >"$TMP/tb.log" 2>&1; then
	IMPLS="raw tirpc tether"
else
	log "tether-bench did not build; measuring raw and tirpc only"
	tail -n 5 "$TMP/tb.log" >&2
fi

# Certificates for tls:// (tether only): a development CA, a server
# certificate for 127.0.0.1 and a client certificate.
TLS_ARGS=
CLI=$BUILD/tools/tether/tether
if case " $IMPLS " in *" tether "*) true ;; *) false ;; esac &&
	cmake --build "$BUILD" -j2 --target tether_cli >"$TMP/cli.log" 2>&1 &&
	"$CLI" certs ca "$TMP/pki" >/dev/null &&
	"$CLI" certs issue "$TMP/pki" server --ip 127.0.0.1 --server >/dev/null &&
	"$CLI" certs issue "$TMP/pki" client --client >/dev/null; then
	TLS_ARGS="--ca $TMP/pki/ca.pem"
else
	log "no TLS certificates (tether CLI missing); skipping tls"
fi

impls_for() { # TRANSPORT: the implementations measured over it
	if [ "$1" = tls ]; then
		[ -n "$TLS_ARGS" ] && echo tether
	else
		echo "$IMPLS"
	fi
}

server_cmd() {
	case $1 in
	raw) echo "$B/raw-pingpong serve" ;;
	tirpc) echo "$B/tirpc-echo-server" ;;
	# no per-source connection cap: the idle-connection measurement opens
	# $IDLE connections from one address
	tether) echo "$TB_BIN serve --max-per-source 0" ;;
	esac
}
client_cmd() {
	case $1 in
	raw) echo "$B/raw-pingpong call" ;;
	tirpc) echo "$B/tirpc-echo-client" ;;
	tether) echo "$TB_BIN call" ;;
	esac
}

# start_server IMPL TRANSPORT: starts it and records its pid and endpoint
# in SPID_<impl> and EP_<impl> (all of a transport's servers run at once so
# the runs of the implementations can be interleaved).
start_server() {
	extra=
	case $2 in
	unix) ep="unix:$TMP/$1.sock" ;;
	tls)
		ep="tls://127.0.0.1:0"
		extra="$TLS_ARGS --cert $TMP/pki/server.pem --key $TMP/pki/server.key"
		;;
	*) ep="tcp://127.0.0.1:0" ;;
	esac
	out=$TMP/srv.$1.$2.out
	# Empty the file here: the background shell truncates it only later.
	: >"$out"
	# shellcheck disable=SC2046
	$SRV_CPU $(server_cmd "$1") --listen "$ep" $extra >"$out" 2>"$TMP/srv.$1.err" &
	eval "SPID_$1=$!"
	ALL_PIDS="$ALL_PIDS $!"
	i=0
	while ! grep -q '^listening ' "$out"; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then cat "$TMP/srv.$1.err" >&2; exit 1; fi
		sleep 0.1
	done
	eval "EP_$1=\$(sed -n 's/^listening //p' \"\$out\" | head -n 1)"
}
server_pid() { eval "echo \$SPID_$1"; }
server_ep() { eval "echo \$EP_$1"; }
stop_server() { # IMPL
	pid=$(server_pid "$1")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

RESULTS=$TMP/results.jsonl
RSS=$TMP/rss.txt
HS=$TMP/hs.txt # per handshake run: connections, server CPU seconds
: >"$RESULTS"
: >"$RSS"
: >"$HS"

run_client() { # IMPL ARGS...
	impl=$1
	shift
	# shellcheck disable=SC2046
	extra=
	[ "$CUR_TR" = tls ] && extra="$TLS_ARGS --cert $TMP/pki/client.pem --key $TMP/pki/client.key"
	# shellcheck disable=SC2086
	if ! $CLI_CPU $(client_cmd "$impl") --connect "$(server_ep "$impl")" $extra "$@" >>"$RESULTS" 2>"$TMP/cli.err"; then
		log "FAILED: $impl $*: $(cat "$TMP/cli.err")"
	fi
}

# Server memory per idle connection: VmRSS before and after IDLE idle
# connections are open (and accepted).
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

measure_idle() { # IMPL TRANSPORT [--warm]
	SERVER_PID=$(server_pid "$1")
	before=$(rss_kib "$SERVER_PID")
	fds_before=$(nfds "$SERVER_PID")
	: >"$TMP/idle.out"
	"$B/idle-conns" --connect "$(server_ep "$1")" --count "$IDLE" --hold 120 ${3:-} >"$TMP/idle.out" 2>"$TMP/idle.err" &
	idle_pid=$!
	i=0
	while ! grep -q '^open ' "$TMP/idle.out" && [ $i -lt 300 ]; do
		i=$((i + 1)); sleep 0.1
	done
	sleep 2 # let the server accept and set up every connection
	after=$(rss_kib "$SERVER_PID")
	# Connections the server really holds (accepted, not closed).
	held=$(($(nfds "$SERVER_PID") - fds_before))
	if grep -q '^open ' "$TMP/idle.out"; then
		echo "$1 $2 $before $after $held ${3:+warm}" >>"$RSS"
	else
		log "idle connections to $1/$2 failed: $(cat "$TMP/idle.err")"
	fi
	kill "$idle_pid" 2>/dev/null || true
	wait "$idle_pid" 2>/dev/null || true
}

run_set() { # IMPL: one run of every mode
	run_client "$1" --mode latency --size "$SIZE" --calls "$LAT_CALLS"
	run_client "$1" --mode latency --size "$BIG_SIZE" --calls "$BIG_CALLS"
	if [ "$1" = tirpc ]; then
		# libtirpc's blocking client: one call in flight.
		run_client "$1" --mode throughput --size "$SIZE" --calls "$TPUT_CALLS"
	else
		run_client "$1" --mode throughput --size "$SIZE" --calls "$TPUT_CALLS" --depth "$DEPTH"
	fi
	if [ "$1" = tether ]; then
		run_client "$1" --mode callback --size "$SIZE" --calls "$CB_CALLS"
	fi
	if [ "$1" = tether ] && [ "$CUR_TR" = tls ]; then
		run_handshakes
	fi
}

# Server CPU seconds (user + system) so far, from /proc/PID/stat.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# HS_CALLS full connections (RFC 9289 probe, mutual TLS 1.3 handshake, one
# NULL call, close), one after another; the server's CPU time over them
# gives handshakes per second per server core (the server is pinned to one
# core, and one client on the other core cannot saturate it).
run_handshakes() {
	spid=$(server_pid tether)
	c0=$(cpu_s "$spid")
	run_client tether --mode handshake --calls "$HS_CALLS"
	c1=$(cpu_s "$spid")
	echo "$HS_CALLS $c0 $c1" >>"$HS"
}

for tr in $TRANSPORTS; do
	CUR_TR=$tr
	TR_IMPLS=$(impls_for "$tr")
	[ -n "$TR_IMPLS" ] || continue
	for impl in $TR_IMPLS; do
		start_server "$impl" "$tr"
	done
	# Interleave the implementations run by run, so that load from
	# elsewhere on the machine drifts over all of them alike.
	r=0
	while [ $r -lt "$RUNS" ]; do
		r=$((r + 1))
		for impl in $TR_IMPLS; do
			log "$tr run $r/$RUNS: $impl"
			run_set "$impl"
		done
	done
	for impl in $TR_IMPLS; do
		stop_server "$impl"
	done
	# idle-conns speaks no TLS
	[ "$tr" = tls ] && continue
	# Memory per idle connection on a fresh server of each kind, so
	# memory its allocator kept from the runs above does not hide it.
	for impl in $IMPLS; do
		for warm in "" --warm; do
			start_server "$impl" "$tr"
			sleep 1
			measure_idle "$impl" "$tr" $warm
			stop_server "$impl"
		done
	done
done

# ---- report -------------------------------------------------------------------
# medians per (impl, transport, mode) of calls_per_s, p50_us, p99_us
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }
span() { sort -n | awk '{v[NR]=$1} END {if (NR) printf "%s–%s", v[1], v[NR]; else print "-"}'; }
# sel TRANSPORT: the JSON that selects it (tls is TCP with "tls":true)
sel() {
	case $1 in
	tls) echo '"transport":"tcp","tls":true' ;;
	*) echo "\"transport\":\"$1\",\"tls\":false" ;;
	esac
}
stat() { # IMPL TRANSPORT MODE FIELD [SIZE [median|span]]
	grep "\"impl\":\"$1\"" "$RESULTS" | grep "$(sel "$2")" |
		grep "\"size\":${5:-$SIZE}," |
		grep "\"mode\":\"$3\"" | field "$4" | ${6:-median}
}
# met VALUE OP GOAL: yes/no/-
met() { awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN { if (v == "-") { print "-"; exit } ok = (op == "le") ? v <= g : (op == "lt") ? v < g : v >= g; print ok ? "yes" : "**no**" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

TABLE=$TMP/table.md
{
	echo "| impl | transport | mode | depth | runs | calls/s | p50 µs | p50 µs, all runs | p99 µs |"
	echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for tr in $TRANSPORTS; do
		for impl in $IMPLS; do
			for mode in latency throughput callback handshake; do
				sz=$SIZE
				[ "$mode" = handshake ] && sz=0 # no payload
				n=$(grep "\"impl\":\"$impl\"" "$RESULTS" | grep "$(sel "$tr")" | grep "\"size\":$sz," | grep -c "\"mode\":\"$mode\"" || true)
				[ "$n" -gt 0 ] || continue
				d=$(grep "\"impl\":\"$impl\"" "$RESULTS" | grep "$(sel "$tr")" | grep "\"mode\":\"$mode\"" | head -n 1 | field depth)
				echo "| $impl | $tr | $mode | $d | $n | $(stat $impl $tr $mode calls_per_s "$sz") | $(stat $impl $tr $mode p50_us "$sz") | $(stat $impl $tr $mode p50_us "$sz" span) | $(stat $impl $tr $mode p99_us "$sz") |"
			done
		done
	done
} >"$TABLE"

BIGTABLE=$TMP/big.md
{
	echo "| impl | transport | calls/s | p50 µs | p99 µs | payload MiB/s each way |"
	echo "| --- | --- | ---: | ---: | ---: | ---: |"
	for tr in $TRANSPORTS; do
		for impl in $IMPLS; do
			c=$(stat $impl $tr latency calls_per_s "$BIG_SIZE")
			[ "$tr" = tls ] && [ "$c" = - ] && continue
			mib=$(awk -v c="$c" -v s="$BIG_SIZE" 'BEGIN { if (c == "-") print "-"; else printf "%.1f", c * s / 1048576 }')
			echo "| $impl | $tr | $c | $(stat $impl $tr latency p50_us "$BIG_SIZE") | $(stat $impl $tr latency p99_us "$BIG_SIZE") | $mib |"
		done
	done
} >"$BIGTABLE"

RATIOS=$TMP/ratios.md
{
	echo "| target | transport | value | goal | met |"
	echo "| --- | --- | ---: | --- | --- |"
	for tr in $TRANSPORTS; do
		if [ "$tr" = tls ]; then
			# no target: what TLS costs tether, for information
			v=$(ratio "$(stat tether tls latency p50_us)" "$(stat tether tcp latency p50_us)")
			echo "| tether TLS p50 latency / tether plaintext TCP p50 latency | tls | $v | ≤ 1.25 | $(met "$v" le 1.25) |"
			v=$(awk '$3 > $2 { print $1 / ($3 - $2) }' "$HS" | median | awk '{ if ($1 == "-") print "-"; else printf "%.0f", $1 }')
			echo "| full mutual-TLS handshakes per second per server core (connections / server CPU seconds) | tls | $v | ≥ 1000 | $(met "$v" ge 1000) |"
			v=$(stat tether tls handshake calls_per_s 0)
			echo "| mutual-TLS connections per second, one client, one at a time (client-observed) | tls | $v | (information) | |"
			v=$(ratio "$(stat tether tls throughput calls_per_s)" "$(stat tether tcp throughput calls_per_s)")
			echo "| tether TLS throughput / tether plaintext TCP throughput | tls | $v | (information) | |"
			continue
		fi
		t=$(stat tether $tr latency p50_us); r=$(stat raw $tr latency p50_us); p=$(stat tirpc $tr latency p50_us)
		v=$(ratio "$t" "$r")
		echo "| tether p50 latency / raw p50 latency | $tr | $v | ≤ 1.15 | $(met "$v" le 1.15) |"
		v=$(ratio "$t" "$p")
		echo "| tether p50 latency / tirpc p50 latency | $tr | $v | < 1.00 | $(met "$v" lt 1.00) |"
		t=$(stat tether $tr throughput calls_per_s); p=$(stat tirpc $tr throughput calls_per_s)
		v=$(ratio "$t" "$p")
		echo "| tether throughput ($DEPTH in flight) / tirpc blocking | $tr | $v | ≥ 4 | $(met "$v" ge 4) |"
	done
	while read -r impl tr before after n warm; do
		what="never used"
		[ -n "$warm" ] && what="after one NULL call each"
		per=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", (a - b) / n; else print "-" }')
		goal=; ok=
		if [ "$impl" = tether ]; then goal="≤ 16"; ok=$(met "$per" le 16); fi
		echo "| server RSS per idle connection (KiB), $impl, $what: $before → $after KiB, $n of $IDLE held | $tr | $per | $goal | $ok |"
	done <"$RSS"
} >"$RATIOS"

MACHINE="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM; $(uname -sr); $(cc --version | head -n 1)"
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

PLOT_NOTE=
if command -v gnuplot >/dev/null 2>&1; then
	DAT=$TMP/plot.dat
	for tr in $TRANSPORTS; do
		for impl in $(impls_for "$tr"); do
			echo "$impl/$tr $(stat $impl $tr latency p50_us) $(stat $impl $tr latency p99_us) $(stat $impl $tr throughput calls_per_s)"
		done
	done | sed 's/ - / 0 /g; s/ -$/ 0/' >"$DAT"
	PNG=$(dirname "$OUT")/performance.png
	gnuplot <<GP && PLOT_NOTE="![latency and throughput, $SIZE-byte echo](performance.png)"
set terminal png size 1000,450
set output "$PNG"
set multiplot layout 1,2 title "$SIZE-byte echo, median of $RUNS runs"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30
set title "latency, one call at a time (log scale)"
set ylabel "microseconds"
set logscale y
plot "$DAT" using 2:xtic(1) title "p50", "" using 3 title "p99"
unset logscale y
set yrange [0:*]
set title "throughput (raw, tether: $DEPTH in flight; tirpc: blocking)"
set ylabel "calls per second"
plot "$DAT" using 4:xtic(1) notitle
unset multiplot
GP
fi

# Hand-written sections after this marker line (the abuse benchmark's, see
# docs/abuse.md) survive regeneration.
KEEP=$(sed -n '/^<!-- kept by scripts\/bench.sh -->$/,$p' "$OUT" 2>/dev/null || true)

cat >"$OUT" <<MD
# Performance

Measured by \`scripts/bench.sh\` (never by CI). Each line is the median of
$RUNS runs, the implementations' runs interleaved; the server runs on core
0 and the client on core 1 (\`taskset\`),
over loopback TCP (plaintext, \`tcp://127.0.0.1\`), a Unix socket and, for
tether only, TLS 1.3 with mutual authentication (\`tls://127.0.0.1\`,
RFC 9289; rows with transport "tls").

- **Machine**: $MACHINE
- **Command**: \`$CMDLINE\`
- **Date**: $DATE

What is compared (all echo \`bench/echo.x\`, $SIZE-byte payloads, every
reply's bytes checked by the client):

- **raw**: \`bench/raw_pingpong.c\`, blocking read/write of the payload in
  an RFC 5531 record mark; no RPC header, no XDR. The floor.
- **tirpc**: rpcgen stubs and dispatch over libtirpc's clnttcp/clntunix and
  svctcp/svcunix (\`bench/tirpc/\`). Its blocking client has one call in
  flight, so its "throughput" is the blocking loop.
- **tether**: \`tether-bench\` (tetherc output of \`bench/echo.x\` and
  \`bench/notify.x\`): latency = one blocking call at a time; throughput =
  $DEPTH async calls in flight on one connection; callback = one SUBSCRIBE
  whose server makes $CB_CALLS NOTIFY callbacks to the client on the same
  connection (calls/s counts callbacks); handshake (tls only) = $HS_CALLS
  times a new connection: RFC 9289 probe, mutual TLS 1.3 handshake (ECDSA
  P-256 certificates from \`tether certs\`), one NULL call, close; calls/s
  counts connections, p50/p99 are per connection.

## Results

$(cat "$TABLE")

### Large payloads: $BIG_SIZE-byte echo, one call at a time, $BIG_CALLS calls

$(cat "$BIGTABLE")

## Targets

$(cat "$RATIOS")

"-" means the measurement is missing (the program did not build or failed:
see the script's stderr).

$PLOT_NOTE

## Caveats

- The machine is shared with other work while these numbers are taken
  (2 cores, parallel builds), so absolute values and especially p99 are
  noisy; compare rows of the same run, and re-run for your own machine.
- Throughput p50/p99 are per-call times from send to reply with $DEPTH in
  flight (queueing included), not service times.
- The raw floor is a floor for *latency* only: its server answers one
  record per write() and its client sends one record per write(), while
  tether's engine batches several replies into one write, so with $DEPTH in
  flight tether can beat "raw".
- callback rows: calls/s counts NOTIFY callbacks per second over one
  SUBSCRIBE (server: at most 16 in flight, 5 s deadline each); p50/p99 there
  are the gaps between successive callback arrivals at the client, not
  round trips; depth 0 means "chosen by the server".
- Server RSS per idle connection: VmRSS of a freshly started server
  process before and after $IDLE connections were opened, accepted (the
  "held" count is the server's new file descriptors) and left idle for two
  seconds, divided by the connections held; once for connections that never
  sent anything and once for connections that each made one NULL call
  (ECHO_PROG procedure 0) first, so buffers allocated on first use count.
- Handshakes per server core: the server process's user + system CPU time
  (\`/proc/PID/stat\`) over a handshake run divided into the connections
  made (median of the runs). The client, one connection at a time on the
  other core, spends more CPU per connection than the server, so the
  client-observed rate is lower than what one server core can accept.
MD
if [ -n "$KEEP" ]; then
	printf '\n%s\n' "$KEEP" >>"$OUT"
fi
log "wrote $OUT"
