/* SPDX-License-Identifier: MIT */
/*
 * client.c - asks the local service who it is and for the secret. Both
 * sides learn the other's identity from the kernel (SO_PEERCRED), not from
 * anything the peer claims.
 *
 *   local-client unix:/PATH
 * Exit 0 whether READ_SECRET is allowed or denied (the output says which),
 * 1 on any other failure.
 */
#include "local.h"

#include <tether/tether.h>

#include <stdio.h>
#include <unistd.h>

static int show_server(tether_client *c)
{
	const tether_peer_identity *id = tether_client_peer_identity(c);
	uint32_t uid, gid;
	int32_t pid;

	if (id == NULL || !tether_peer_identity_unix(id, &uid, &gid, &pid)) {
		fprintf(stderr, "local-client: no kernel credentials for the "
				"server\n");
		return 1;
	}
	printf("server (SO_PEERCRED): uid=%u gid=%u pid=%d\n", uid, gid, pid);
	return 0;
}

static int whoami(tether_client *c, tether_arena *arena)
{
	peer_creds me;
	tether_status st = whoami_1(c, &me, arena, 0);

	if (st != TETHER_OK) {
		fprintf(stderr, "local-client: WHOAMI: %s (%s)\n",
			tether_strerror(st), tether_status_name(st));
		return 1;
	}
	printf("server sees me as: uid=%u gid=%u pid=%d\n", me.uid, me.gid,
	       me.pid);
	if (me.uid != (uint32_t)getuid() || me.pid != (int32_t)getpid()) {
		fprintf(stderr,
			"local-client: that is not me (uid %u pid %d)\n",
			(unsigned)getuid(), (int)getpid());
		return 1;
	}
	return 0;
}

static int read_secret(tether_client *c, tether_arena *arena)
{
	char *secret = NULL;
	tether_status st = read_secret_1(c, &secret, arena, 0);

	if (st == TETHER_OK) {
		printf("READ_SECRET: allowed: \"%s\"\n", secret);
		return 0;
	}
	printf("READ_SECRET: %s (%s)\n", tether_strerror(st),
	       tether_status_name(st));
	return st == TETHER_E_DENIED ? 0 : 1;
}

int main(int argc, char **argv)
{
	tether_client *c = NULL;
	tether_arena *arena = NULL;
	tether_status st;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: local-client unix:/PATH\n");
		return 2;
	}
	st = tether_client_connect(argv[1], NULL, &c);
	if (st == TETHER_OK)
		st = tether_arena_new(4096, &arena);
	if (st != TETHER_OK) {
		fprintf(stderr, "local-client: %s: %s\n", argv[1],
			tether_strerror(st));
		tether_client_free(c);
		return 1;
	}
	printf("I am: uid=%u pid=%d\n", (unsigned)getuid(), (int)getpid());
	rc = show_server(c);
	if (rc == 0)
		rc = whoami(c, arena);
	if (rc == 0)
		rc = read_secret(c, arena);
	tether_arena_free(arena);
	tether_client_free(c);
	return rc;
}
