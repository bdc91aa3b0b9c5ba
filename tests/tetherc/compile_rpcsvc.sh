#!/bin/sh
# SPDX-License-Identifier: MIT
# compile_rpcsvc.sh TETHERC OUTDIR INCLUDE_DIR [CC...] - compiles every
# /usr/include/rpcsvc/*.x with tetherc, then the output with each compiler
# under -std=c11 -Wall -Wextra -Wpedantic -Werror -Wmissing-prototypes
# -Wshadow -Wstrict-prototypes. Two files need an option, as with rpcgen:
#   nlm_prot.x keeps LM_MAXSTRLEN in an RPC_HDR block: -DRPC_HDR;
#   nis_callback.x uses the types of nis.x: --import nis.x.
set -u
tetherc=$1 out=$2 inc=$3
shift 3
ccs=${*:-cc}
rpcsvc=${RPCSVC_DIR:-/usr/include/rpcsvc}
rm -rf "$out" && mkdir -p "$out" || exit 1
fail=0 n=0
for x in "$rpcsvc"/*.x; do
	name=$(basename "$x" .x)
	opts=
	case $name in
	nlm_prot) opts=-DRPC_HDR ;;
	nis_callback) opts="--import $rpcsvc/nis.x" ;;
	esac
	if ! "$tetherc" $opts -o "$out" "$x"; then
		echo "FAIL: tetherc $name.x"
		fail=1
		continue
	fi
	n=$((n + 1))
	for cc in $ccs; do
		if ! $cc -std=c11 -Wall -Wextra -Wpedantic -Werror \
			-Wmissing-prototypes -Wshadow -Wstrict-prototypes \
			-I"$inc" -I"$out" -c "$out/$name.c" -o "$out/$name.$(basename "$cc").o"; then
			echo "FAIL: $cc $name.c"
			fail=1
		fi
	done
done
echo "compiled $n .x files with: $ccs"
[ "$n" -ge 17 ] || { echo "FAIL: expected 17 .x files, got $n"; fail=1; }
exit $fail
