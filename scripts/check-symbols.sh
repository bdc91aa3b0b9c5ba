#!/usr/bin/env bash
# check-symbols.sh BUILD_DIR [--update] - the shared library exports exactly
# the symbols listed in abi/symbols.txt (STYLE 20): every export is tether_*,
# and adding or removing one is a visible, reviewed change.
set -euo pipefail
build=${1:?build dir}
root=$(cd "$(dirname "$0")/.." && pwd)
lib="$build/libtether.so"
[ -f "$lib" ] || lib="$root/$build/libtether.so"
list="$root/abi/symbols.txt"
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u)
if [ "${2:-}" = "--update" ]; then
	printf '%s\n' "$actual" > "$list"
	echo "check-symbols: wrote $(wc -l < "$list") symbols to abi/symbols.txt"
	exit 0
fi
bad=$(printf '%s\n' "$actual" | grep -v '^tether_' || true)
if [ -n "$bad" ]; then
	echo "check-symbols: exported symbols without the tether_ prefix:" >&2
	printf '  %s\n' $bad >&2
	exit 1
fi
if ! diff -u "$list" <(printf '%s\n' "$actual"); then
	echo "check-symbols: exports differ from abi/symbols.txt (run with --update if intended)" >&2
	exit 1
fi
echo "check-symbols: $(printf '%s\n' "$actual" | wc -l) exports match abi/symbols.txt"
