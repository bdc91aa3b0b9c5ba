/* SPDX-License-Identifier: MIT */
/*
 * server.c - the quick-start echo server: serves ECHO_PROG (echo.x) on one
 * endpoint until Ctrl-C.
 *
 *   echo-server [ENDPOINT]     default tcp://127.0.0.1:0 (a free port)
 */
#include "echo.h"

#include <tether/tether.h>

#include <signal.h>
#include <stdio.h>

/* ECHO: the argument lives in the call's arena until the reply is sent,
 * so the reply can point at it. */
static tether_status echo_h(tether_call_ctx *ctx, const echo_bytes *argp,
			    echo_bytes *resp)
{
	(void)ctx;
	*resp = *argp;
	return TETHER_OK;
}

static const echo_prog_1_handlers handlers = {.echo = echo_h};

static int fail(const char *what, tether_status st)
{
	fprintf(stderr, "echo-server: %s: %s\n", what, tether_strerror(st));
	return 1;
}

int main(int argc, char **argv)
{
	const char *endpoint = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
	tether_server *s = NULL;
	tether_status st;
	sigset_t sigs;
	char ep[256];
	int sig, rc = 1;

	/* Block Ctrl-C / SIGTERM before the server starts its threads, so
	 * only sigwait() below sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	st = tether_server_new(NULL, &s);
	if (st != TETHER_OK)
		return fail("server", st);
	st = echo_prog_1_register(s, &handlers, NULL);
	/* Serve echo.x itself through the control program, so `tether list`,
	 * `tether describe` and `tether call` need no local copy of it. */
	if (st == TETHER_OK)
		st = tether_server_register_idl(s, &echo_idl);
	if (st == TETHER_OK)
		st = tether_server_listen(s, endpoint);
	if (st == TETHER_OK)
		st = tether_server_endpoint(s, 0, ep, sizeof ep);
	if (st == TETHER_OK)
		st = tether_server_start(s);
	if (st != TETHER_OK) {
		rc = fail(endpoint, st);
		goto out;
	}
	printf("listening %s\n", ep);
	fflush(stdout);
	sigwait(&sigs, &sig);
	st = tether_server_stop(s, 1000);
	rc = st == TETHER_OK ? 0 : fail("stop", st);
out:
	tether_server_free(s);
	return rc;
}
