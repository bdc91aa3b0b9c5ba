/* SPDX-License-Identifier: MIT */
/*
 * idle_conns.c - opens N connections to a server and keeps them idle, for
 * measuring the server's memory per idle connection (scripts/bench.sh).
 *
 *   idle-conns --connect ENDPOINT --count N [--hold SECONDS] [--warm]
 * Prints "open N" once all are connected (with --warm: and each has made
 * one NULL call to ECHO_PROG and read its reply), then holds them until
 * SIGTERM or --hold seconds (default 60) pass.
 */
#include "bench_common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* One NULL call (RFC 5531 §9: xid, CALL, rpcvers 2, prog, vers, proc 0,
 * AUTH_NONE credential and verifier) in one record (§11), then reads one
 * record back. Returns 0 when a reply record arrived. */
static int warm(int fd, uint32_t xid)
{
	static const uint32_t words[] = {0, 0, 2, 0x20000E01u, 1,
					 0, 0, 0, 0,	       0};
	uint8_t msg[4 + sizeof(words)], hdr[4], body[512];
	uint32_t len;

	put_u32(msg, 0x80000000u | (uint32_t)sizeof(words));
	for (size_t i = 0; i < sizeof(words) / 4; i++)
		put_u32(msg + 4 + 4 * i, i == 0 ? xid : words[i]);
	if (bench_write_full(fd, msg, sizeof(msg)) != 0 ||
	    bench_read_full(fd, hdr, 4) != 0)
		return -1;
	len = ((uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	       (uint32_t)hdr[2] << 8 | hdr[3]) &
	      0x7fffffffu;
	if (len > sizeof(body))
		return -1;
	return bench_read_full(fd, body, len);
}

int main(int argc, char **argv)
{
	uint64_t count = 1000, hold = 60;
	struct rlimit rl;
	bench_ep ep;
	int have_ep = 0, do_warm = 0;
	int *fds;

	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc;

		if (!strcmp(k, "--help")) {
			printf("usage: idle-conns --connect ENDPOINT --count N "
			       "[--hold SECONDS] [--warm]\n");
			return 0;
		}
		if (!strcmp(k, "--warm")) {
			do_warm = 1;
			i--; /* no value */
			continue;
		}
		if (!strcmp(k, "--connect"))
			rc = bench_ep_parse(k, v ? v : "", &ep), have_ep = 1;
		else if (!strcmp(k, "--count"))
			rc = bench_parse_u64(k, v, 1, 100000, &count);
		else if (!strcmp(k, "--hold"))
			rc = bench_parse_u64(k, v, 1, 86400, &hold);
		else {
			fprintf(stderr, "error: unknown argument '%s'\n", k);
			rc = -1;
		}
		if (rc != 0)
			return 2;
	}
	if (!have_ep) {
		fprintf(stderr, "error: --connect is required\n");
		return 2;
	}
	/* Room for the descriptors: raise the soft limit to the hard one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE,
	       SIG_IGN); /* a closed connection is an error, not a kill */
	fds = calloc(count, sizeof(int));
	if (!fds)
		return 1;
	for (uint64_t i = 0; i < count; i++) {
		fds[i] = bench_connect(&ep);
		if (fds[i] < 0 || (do_warm && warm(fds[i], (uint32_t)i) != 0)) {
			fprintf(stderr, "error: connection %llu failed\n",
				(unsigned long long)i);
			return 1;
		}
	}
	printf("open %llu\n", (unsigned long long)count);
	fflush(stdout);
	sleep((unsigned)hold);
	free(fds);
	return 0;
}
