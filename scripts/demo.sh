#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - runs the showcase demo (examples/showcase) from a build tree:
# a jobs service with callbacks over mutual TLS, an authorization policy,
# audit records and a black-hole client. `make demo` builds, then runs it.
#
#   scripts/demo.sh BUILD_DIR
# Exit 0 when the demo succeeded; non-zero with the reason otherwise.
set -u
BUILD=${1:-build}
DEMO=$BUILD/examples/showcase/tether-showcase
LIMIT=60 # seconds; the demo itself takes a few

if [ ! -x "$DEMO" ]; then
	echo "demo.sh: $DEMO is not built." >&2
	if [ -f "$BUILD/CMakeCache.txt" ] &&
		grep -q '^TETHER_EXAMPLES:BOOL=OFF' "$BUILD/CMakeCache.txt"; then
		echo "demo.sh: examples are off (-DTETHER_EXAMPLES=ON)." >&2
	else
		echo "demo.sh: build it with: cmake --build $BUILD --target tether-showcase" >&2
		echo "demo.sh: (the configure log says why if it was skipped)" >&2
	fi
	exit 2
fi
timeout --kill-after=5 "$LIMIT" "$DEMO"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "demo.sh: the demo did not finish within $LIMIT s" >&2
elif [ "$rc" -ne 0 ]; then
	echo "demo.sh: the demo failed (exit status $rc); see the reason above" >&2
fi
exit "$rc"
