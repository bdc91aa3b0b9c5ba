#!/usr/bin/env bash
# check-source.sh - machine-checked rules (STYLE 2, 18):
#  - the core (src/xdr, src/rpc, src/conn) does no I/O, no threads, no clock;
#  - no banned calls anywhere in src/ and tools/;
#  - library code never prints;
#  - no raw malloc/free outside the allocator.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "check-source: $*" >&2; fail=1; }

core=$(ls src/xdr/*.[ch] src/rpc/*.[ch] src/conn/*.[ch] 2>/dev/null)
if [ -n "$core" ]; then
	grep -nE '#include <(uv\.h|pthread\.h|sys/socket\.h|openssl/|unistd\.h|poll\.h|time\.h)' $core &&
		bad "the core includes an I/O, thread or clock header"
	grep -nE '\b(read|write|poll|recv|send|clock_gettime|gettimeofday|time)\s*\(' $core |
		grep -vE '^\S+:\s*(/?\*|//)' && bad "the core calls I/O or reads a clock"
fi

all=$(find src tools -name '*.[ch]' 2>/dev/null)
if [ -n "$all" ]; then
	grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|alloca)\s*\(' $all &&
		bad "banned call (use the bounded alternatives)"
fi

lib=$(find src -name '*.[ch]' 2>/dev/null)
if [ -n "$lib" ]; then
	grep -nE '\b(printf|fprintf|puts|perror|syslog|warnx?)\s*\(' $lib |
		grep -vE 'src/security/audit' && bad "library code prints (report through statuses or the audit sink)"
	grep -nE '(^|[^_a-z])(malloc|calloc|realloc|free)\s*\(' $lib |
		grep -v '^src/common/alloc.c' | grep -vE 'OPENSSL_free' &&
		bad "raw malloc/free outside src/common/alloc.c (use tt_alloc/tt_free)"
fi
[ $fail -eq 0 ] && echo "check-source: ok"
exit $fail
