/* SPDX-License-Identifier: MIT */
/*
 * client.c - a tether client (stubs from tetherc) calling the rpcgen +
 * libtirpc server built from the same greet.x. Plain ONC RPC on both
 * ends of the wire: no TLS (libtirpc has none), loopback only.
 *
 *   greet-client tcp://127.0.0.1:PORT NAME
 */
#include "greet.h"

#include <tether/tether.h>

#include <stdio.h>

static int call_greet(tether_client *c, tether_arena *arena, char *name)
{
	greeting g = {name, 2};
	char *reply = NULL;
	tether_status st = greet_1(c, &g, &reply, arena, 5000);

	if (st != TETHER_OK) {
		fprintf(stderr, "greet-client: GREET: %s (%s)\n",
			tether_strerror(st), tether_status_name(st));
		return 1;
	}
	printf("GREET: \"%s\"\n", reply);
	return 0;
}

static int call_count(tether_client *c, tether_arena *arena)
{
	uint32_t n = 0;
	tether_status st = count_1(c, &n, arena, 5000);

	if (st != TETHER_OK) {
		fprintf(stderr, "greet-client: COUNT: %s (%s)\n",
			tether_strerror(st), tether_status_name(st));
		return 1;
	}
	printf("COUNT: %u greeting(s) served\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	tether_client *c = NULL;
	tether_arena *arena = NULL;
	tether_status st;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: greet-client tcp://HOST:PORT NAME\n");
		return 2;
	}
	st = tether_client_connect(argv[1], NULL, &c);
	if (st == TETHER_OK)
		st = tether_arena_new(4096, &arena);
	if (st != TETHER_OK) {
		fprintf(stderr, "greet-client: %s: %s\n", argv[1],
			tether_strerror(st));
		tether_client_free(c);
		return 1;
	}
	rc = call_greet(c, arena, argv[2]);
	if (rc == 0)
		rc = call_count(c, arena);
	tether_arena_free(arena);
	tether_client_free(c);
	return rc;
}
