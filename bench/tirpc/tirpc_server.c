/* SPDX-License-Identifier: MIT */
/*
 * tirpc_server.c - the reference echo server: rpcgen's dispatch (from
 * bench/echo.x) on libtirpc's svctcp/svcunix transports, single-threaded
 * svc_run(). Registered with protocol 0, so no rpcbind is needed.
 *
 *   tirpc-echo-server --listen tcp://HOST:PORT | unix:/PATH
 */
#include "../bench_common.h"
#include "echo.h"

#include <rpc/pmap_clnt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void echo_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

void *echo_ping_1_svc(void *argp, struct svc_req *rq)
{
	static char dummy;

	(void)argp, (void)rq;
	return &dummy;
}

/* Replies with the argument itself: rpcgen's dispatch sends the reply
 * before it frees the arguments, so no copy is needed. */
echo_bytes *echo_1_svc(echo_bytes *argp, struct svc_req *rq)
{
	static echo_bytes res;

	(void)rq;
	res = *argp;
	return &res;
}

static const char *path_to_remove;

static void on_term(int sig)
{
	(void)sig;
	if (path_to_remove)
		unlink(path_to_remove);
	_exit(0);
}

static SVCXPRT *make_xprt(const bench_ep *ep)
{
	int fd;

	if (ep->is_unix) {
		/* libtirpc's svcunix_create ignores a given socket and binds
		 * the path itself. */
		unlink(ep->path);
		path_to_remove = ep->path;
		return svcunix_create(RPC_ANYSOCK, 0, 0, (char *)ep->path);
	}
	fd = bench_listen(ep);
	if (fd < 0)
		return NULL;
	bench_announce(fd, ep);
	return svctcp_create(fd, 0, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	SVCXPRT *xprt;
	bench_ep ep;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("usage: tirpc-echo-server --listen ENDPOINT\n");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "--listen")) {
		fprintf(stderr, "usage: tirpc-echo-server --listen ENDPOINT\n");
		return 2;
	}
	if (bench_ep_parse("--listen", argv[2], &ep) != 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	xprt = make_xprt(&ep);
	if (!xprt) {
		fprintf(stderr,
			"error: cannot create the libtirpc transport\n");
		return 1;
	}
	/* Protocol 0: register the dispatcher without telling rpcbind. */
	if (!svc_register(xprt, ECHO_PROG, ECHO_V1, echo_prog_1, 0)) {
		fprintf(stderr, "error: svc_register failed\n");
		return 1;
	}
	if (ep.is_unix)
		bench_announce(-1, &ep);
	svc_run();
	fprintf(stderr, "error: svc_run returned\n");
	return 1;
}
