#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-man.sh - checks the section 3 man pages in docs/man against the
# public headers and compiles (and runs) every example they hold.
#
#   scripts/check-man.sh BUILD_DIR [LIBTETHER_SO TETHERC]
#
# CC picks the compiler (default cc); CHECK_MAN_CFLAGS adds flags to every
# example's compile and link (a sanitizer build passes its -fsanitize=...).
#
# 1. Every TETHER_API function declared in include/tether/*.h has a page:
#    docs/man/NAME.3, either the area page itself or a `.so man3/AREA.3`
#    link, and the page it resolves to shows the function in its SYNOPSIS.
#    Every public type has a page (or link) that names it.
# 2. Every prototype in a SYNOPSIS (its .nf/.fi block) equals the header's
#    declaration after whitespace normalisation (TETHER_API / TETHER_WUR
#    are not shown), and names a function that exists. A page showing
#    functions has NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE, EXAMPLE and
#    SEE ALSO sections.
# 3. Every .EX/.EE block of an EXAMPLE section is a complete C program: it
#    is extracted (troff escapes undone), compiled against the in-tree
#    headers and BUILD_DIR's libtether with the project's warnings and
#    -Werror (examples that include "echo.h" get bench/echo.x compiled by
#    BUILD_DIR's tetherc), and run: it must exit 0 within 60 s.
# 4. If groff is installed, `groff -man -ww -z` gives no warning on any page,
#    also formatted for an 80-column terminal (-Tutf8 -rLL=78n).
set -euo pipefail
trap 'echo "check-man: internal error (line $LINENO)" >&2' ERR

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-man.sh BUILD_DIR}
build=$(cd "$build" && pwd)
man="$here/docs/man"
cc=${CC:-cc}
fail=0
err() {
	echo "check-man: $*" >&2
	fail=1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# normalise: one declaration per line in, "NAME<TAB>DECL" out, DECL with
# TETHER_API/TETHER_WUR removed, no whitespace next to punctuation and
# single spaces elsewhere.
normalise() {
	sed -E -e 's/\bTETHER_(API|WUR)\b//g' -e 's/[[:space:]]+/ /g' \
		-e 's/ ?([][(),*;]) ?/\1/g' -e 's/^ //; s/ $//' |
		sed -nE 's/^(.*[^a-z0-9_]|)(tether_[a-z0-9_]+)\((.*)$/\2\t\1\2(\3/p'
}

# ---- 1. declarations in the headers ----------------------------------------
for h in "$here"/include/tether/*.h; do
	# Statements starting at a line with TETHER_API, up to their ';'.
	awk '/^[[:space:]]*#/ { next }
	     /TETHER_API/ && !/define/ { on = 1; s = "" }
	     on { s = s " " $0; if (index($0, ";")) { print s; on = 0 } }' "$h"
done | sed 's/;.*$//' | normalise | sort >"$tmp/api"
napi=$(wc -l <"$tmp/api")
[ "$napi" -gt 100 ] || err "only $napi TETHER_API functions found in the headers"

# ---- 2. prototypes shown in SYNOPSIS sections --------------------------------
unescape() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f(CW//g' -e 's/\\&//g' -e 's/\\-/-/g' \
		-e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}
: >"$tmp/syn"
for p in "$man"/*.3; do
	first=$(head -n 1 "$p")
	case $first in .so\ *) continue ;; esac
	# Text lines of the SYNOPSIS's no-fill (.nf/.fi) blocks, requests and
	# preprocessor lines dropped, joined and cut into statements at ';'.
	awk '/^\.SH/ { on = ($2 == "SYNOPSIS"); nf = 0; next }
	     on && /^\.nf/ { nf = 1; next }
	     on && /^\.fi/ { nf = 0; next }
	     on && nf && !/^[.\x27#]/ { printf "%s ", $0 }' "$p" |
		unescape | tr ';' '\n' | normalise |
		sed "s|^|$(basename "$p" .3)\t|" >>"$tmp/syn"
done
# syn: PAGE NAME DECL
while IFS=$'\t' read -r page name decl; do
	want=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$tmp/api")
	if [ -z "$want" ]; then
		err "$page.3: SYNOPSIS shows $name, which no header declares"
	elif [ "$want;" != "$decl;" ]; then
		err "$page.3: SYNOPSIS of $name differs from the header:"
		echo "    header: $want" >&2
		echo "    page:   $decl" >&2
	fi
done <"$tmp/syn"

while IFS=$'\t' read -r name decl; do
	f="$man/$name.3"
	if [ ! -f "$f" ]; then
		err "no man page for $name (docs/man/$name.3)"
		continue
	fi
	target=$name
	first=$(head -n 1 "$f")
	case $first in
	.so\ man3/*.3)
		target=${first#.so man3/}
		target=${target%.3}
		[ -f "$man/$target.3" ] || err "$name.3 links to missing $target.3"
		;;
	.so\ *) err "$name.3: .so must name man3/PAGE.3" ;;
	esac
	awk -F'\t' -v p="$target" -v n="$name" '$1 == p && $2 == n { f = 1 }
	     END { exit !f }' "$tmp/syn" ||
		err "$name: not in the SYNOPSIS of $target.3"
done <"$tmp/api"

# A page showing functions has every section of the convention, and an
# EXAMPLE with at least one .EX block.
for page in $(cut -f1 "$tmp/syn" | sort -u); do
	for sec in NAME SYNOPSIS DESCRIPTION "RETURN VALUE" EXAMPLE "SEE ALSO"; do
		grep -q "^\.SH \"\{0,1\}$sec\"\{0,1\}\$" "$man/$page.3" ||
			err "$page.3: no $sec section"
	done
	awk '/^\.SH/ { on = ($2 == "EXAMPLE") } on && /^\.EX/ { f = 1 }
	     END { exit !f }' "$man/$page.3" || err "$page.3: EXAMPLE has no .EX block"
done

# Every public type (typedef'd tether_ name) has a page too, and the page it
# resolves to names it; every .so link resolves.
cat "$here"/include/tether/*.h |
	grep -oE '^\} tether_[a-z0-9_]+;|^typedef (struct|enum) tether_[a-z0-9_]+ tether_[a-z0-9_]+;|\(\*tether_[a-z0-9_]+\)' |
	grep -oE 'tether_[a-z0-9_]+' | sort -u >"$tmp/types"
ntypes=$(wc -l <"$tmp/types")
[ "$ntypes" -gt 20 ] || err "only $ntypes public types found in the headers"
while read -r t; do
	f="$man/$t.3"
	if [ ! -f "$f" ]; then
		err "no man page for type $t (docs/man/$t.3)"
		continue
	fi
	target=$t
	first=$(head -n 1 "$f")
	case $first in .so\ man3/*.3) target=${first#.so man3/} target=${target%.3} ;; esac
	[ -f "$man/$target.3" ] && grep -q "\b$t\b" "$man/$target.3" ||
		err "type $t: not described in $target.3"
done <"$tmp/types"
for f in "$man"/*.3; do
	first=$(head -n 1 "$f")
	case $first in
	.so\ man3/*.3) [ -f "$man/${first#.so man3/}" ] ||
		err "$(basename "$f"): ${first#.so } does not exist" ;;
	.so\ *) err "$(basename "$f"): .so must name man3/PAGE.3" ;;
	esac
done

# Every status a page names exists in status.h.
grep -oE 'X\(E_[A-Z0-9_]+' "$here/include/tether/status.h" |
	sed 's/^X(/TETHER_/' | sort -u >"$tmp/known-status"
for f in "$man"/*.3; do
	{ grep -ohE '\bTETHER_E_[A-Z0-9_]+' "$f" || true; } | sort -u |
		comm -23 - "$tmp/known-status" | while read -r bad; do
		echo "check-man: $(basename "$f"): $bad is not in status.h" >&2
		echo x
	done
done >"$tmp/badstatus"
[ ! -s "$tmp/badstatus" ] || err "pages name statuses that do not exist"

# ---- 3. examples -------------------------------------------------------------
lib=${2:-$(find "$build" -maxdepth 2 -name 'libtether.so' -print -quit)}
tetherc=${3:-$(find "$build" -maxdepth 3 -name tetherc -type f -perm -u+x -print -quit)}
read -r -a xflags <<<"${CHECK_MAN_CFLAGS:-}"
warn=(-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wvla -Wformat=2 -Werror)
[ -n "$lib" ] || err "no libtether.so in $build (build target tether)"
[ -n "$tetherc" ] || err "no tetherc in $build (build target tetherc)"
[ -n "$lib" ] && [ -n "$tetherc" ] || exit 1
libdir=$(dirname "$lib")
mkdir -p "$tmp/gen"
"$tetherc" -o "$tmp/gen" "$here/bench/echo.x"

nex=0
for p in "$man"/*.3; do
	case $(head -n 1 "$p") in .so\ *) continue ;; esac
	page=$(basename "$p" .3)
	awk -v out="$tmp/$page" '/^\.SH/ { on = ($2 == "EXAMPLE" || $2 == "EXAMPLES"); next }
	     on && /^\.EX/ { n++; f = out "-ex" n ".c"; printf "" >f; ex = 1; next }
	     on && /^\.EE/ { ex = 0; close(f); next }
	     ex { print >>f }' "$p"
	for src in "$tmp/$page"-ex*.c; do
		[ -f "$src" ] || continue
		unescape <"$src" >"$src.tmp" && mv "$src.tmp" "$src"
		nex=$((nex + 1))
		name=$(basename "$src" .c)
		extra=()
		grep -q '#include "echo.h"' "$src" && extra=("$tmp/gen/echo.c")
		if ! "$cc" -std=c11 "${warn[@]}" "${xflags[@]}" \
			-I"$here/include" -I"$tmp/gen" -o "$tmp/$name" "$src" \
			"${extra[@]}" -L"$libdir" -Wl,-rpath,"$libdir" \
			-ltether -lpthread 2>"$tmp/$name.log"; then
			err "$page.3: example $name does not compile:"
			sed 's/^/    /' "$tmp/$name.log" >&2
			continue
		fi
		if ! (cd "$tmp" && timeout 60 "./$name" >"$name.out" 2>&1); then
			err "$page.3: example $name failed when run:"
			sed 's/^/    /' "$tmp/$name.out" | tail -20 >&2
		fi
	done
done
[ $nex -gt 0 ] || err "no examples found"

# ---- 4. groff ------------------------------------------------------------------
if command -v groff >/dev/null; then
	for p in "$man"/*.3; do
		case $(head -n 1 "$p") in .so\ *) continue ;; esac
		# As printed (PostScript defaults) and as man(1) shows it on an
		# 80-column terminal.
		out=$({ groff -man -ww -z "$p" &&
			groff -man -Tutf8 -rLL=78n -ww -z "$p"; } 2>&1) ||
			err "$p: groff failed"
		[ -z "$out" ] || err "$(basename "$p"): groff warnings:"$'\n'"$out"
	done
else
	echo "check-man: groff not installed, pages not linted" >&2
fi

nsyn=$(wc -l <"$tmp/syn")
if [ $fail -ne 0 ]; then
	echo "check-man: FAILED" >&2
	exit 1
fi
echo "check-man: $napi functions and $ntypes types documented, $nsyn prototypes checked, $nex examples compiled and run"
