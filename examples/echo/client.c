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
		echo_bytes in = {(uint32_t)strlen(argv[i]), argv[i]};
		echo_bytes out = {0, NULL};

		/* Deadline 0: the client's default (30 s). */
		st = echo_1(c, &in, &out, arena, 0);
		if (st != TETHER_OK) {
			fprintf(stderr, "echo-client: ECHO: %s (%s)\n",
				tether_strerror(st), tether_status_name(st));
			rc = 1;
		} else if (out.echo_bytes_len != in.echo_bytes_len ||
			   memcmp(out.echo_bytes_val, in.echo_bytes_val,
				  in.echo_bytes_len) != 0) {
			fprintf(stderr, "echo-client: reply differs\n");
			rc = 1;
		} else {
			printf("echo: %.*s\n", (int)out.echo_bytes_len,
			       out.echo_bytes_val);
		}
		tether_arena_reset(arena);
	}
	tether_arena_free(arena);
	tether_client_free(c);
	return rc;
}
