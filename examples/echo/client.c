/* SPDX-License-Identifier: MIT */
/*
 * client.c - the quick-start echo client: sends each argument to ECHO and
 * prints the reply.
 *
 *   echo-client ENDPOINT TEXT...
 */
#include "echo.h"

#include <tether/tether.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	tether_client *c = NULL;
	tether_arena *arena = NULL;
	tether_status st;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: echo-client ENDPOINT TEXT...\n");
		return 2;
	}
	st = tether_client_connect(argv[1], NULL, &c);
	if (st == TETHER_OK)
		st = tether_arena_new(64 * 1024, &arena);
	if (st != TETHER_OK) {
		fprintf(stderr, "echo-client: %s: %s\n", argv[1],
			tether_strerror(st));
		tether_client_free(c);
		return 1;
	}
	for (int i = 2; i < argc && rc == 0; i++) {
		char *reply = NULL;

		/* Deadline 0: the client's default (30 s). */
		st = echo_1(c, &argv[i], &reply, arena, 0);
		if (st != TETHER_OK) {
			fprintf(stderr, "echo-client: ECHO: %s (%s)\n",
				tether_strerror(st), tether_status_name(st));
			rc = 1;
		} else if (strcmp(reply, argv[i]) != 0) {
			fprintf(stderr, "echo-client: reply differs\n");
			rc = 1;
		} else {
			printf("echo: %s\n", reply);
		}
		tether_arena_reset(arena);
	}
	tether_arena_free(arena);
	tether_client_free(c);
	return rc;
}
