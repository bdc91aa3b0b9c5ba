/* SPDX-License-Identifier: MIT */
/*
 * idle_conns.c - opens N connections to a server and keeps them idle, for
 * measuring the server's memory per idle connection (scripts/bench.sh).
 *
 *   idle-conns --connect ENDPOINT --count N [--hold SECONDS]
 * Prints "open N" once all are connected, then holds them until SIGTERM or
 * --hold seconds (default 60) pass.
 */
#include "bench_common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t count = 1000, hold = 60;
	struct rlimit rl;
	bench_ep ep;
	int have_ep = 0;
	int *fds;

	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc;

		if (!strcmp(k, "--help")) {
			printf("usage: idle-conns --connect ENDPOINT --count N "
			       "[--hold SECONDS]\n");
			return 0;
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
	fds = calloc(count, sizeof(int));
	if (!fds)
		return 1;
	for (uint64_t i = 0; i < count; i++) {
		fds[i] = bench_connect(&ep);
		if (fds[i] < 0) {
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
