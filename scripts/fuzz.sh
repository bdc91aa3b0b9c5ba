#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS - run every fuzz target for SECONDS on its
# committed corpus (fuzz/corpus/NAME). Any crash, leak or sanitizer report
# fails. New inputs go to a scratch dir, not the committed corpus.
set -euo pipefail
build=${1:?build dir}; secs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
n=0
for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin"); name=${name#fuzz_}
	corpus="$root/fuzz/corpus/$name"
	scratch=$(mktemp -d)
	mkdir -p "$corpus"
	echo "fuzz: $name for ${secs}s"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$scratch" "$corpus" > "$scratch.log" 2>&1 || {
		tail -50 "$scratch.log"; echo "fuzz: $name FAILED" >&2; exit 1; }
	grep -E '^stat::number_of_executed_units' "$scratch.log" || true
	rm -rf "$scratch" "$scratch.log"
	n=$((n + 1))
done
echo "fuzz: $n targets ran clean"
