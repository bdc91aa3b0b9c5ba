/* SPDX-License-Identifier: MIT */
/*
 * tirpc_server.c - a plain rpcgen + libtirpc server for greet.x: rpcgen's
 * dispatch (rpcgen -m) and these procedures, on svctcp over a loopback
 * socket chosen here. Registered with protocol 0: no rpcbind needed.
 *
 *   greet-tirpc-server     prints "listening tcp://127.0.0.1:PORT"
 */
#include "greet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void greet_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

static unsigned served;

char **greet_1_svc(greeting *argp, struct svc_req *rq)
{
	static char buf[512];
	static char *res = buf;
	size_t n = 0;

	(void)rq;
	buf[0] = '\0';
	for (unsigned i = 0; i < argp->times && i < 4; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%shello, %s",
				      i ? " " : "", argp->name);
	served++;
	return &res;
}

u_int *count_1_svc(void *argp, struct svc_req *rq)
{
	static u_int res;

	(void)argp, (void)rq;
	res = served;
	return &res;
}

static int listen_loopback(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

int main(void)
{
	unsigned port;
	int fd = listen_loopback(&port);
	SVCXPRT *xprt = fd < 0 ? NULL : svctcp_create(fd, 0, 0);

	if (xprt == NULL) {
		fprintf(stderr, "greet-tirpc-server: cannot listen\n");
		return 1;
	}
	/* Protocol 0: dispatch, but do not tell rpcbind. */
	if (!svc_register(xprt, GREET_PROG, GREET_V1, greet_prog_1, 0)) {
		fprintf(stderr, "greet-tirpc-server: svc_register failed\n");
		return 1;
	}
	printf("listening tcp://127.0.0.1:%u\n", port);
	fflush(stdout);
	svc_run();
	return 1;
}
