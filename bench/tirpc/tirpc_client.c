/* SPDX-License-Identifier: MIT */
/*
 * tirpc_client.c - the reference echo client: rpcgen's stubs (from
 * bench/echo.x) over libtirpc's blocking clnttcp/clntunix, with a fixed
 * address (no portmapper). One call in flight per CLIENT, which is all the
 * blocking libtirpc client can do, so "throughput" here is the blocking
 * loop timed for calls per second.
 *
 *   tirpc-echo-client --connect ENDPOINT --mode latency|throughput|ping
 *                     [--size BYTES] [--calls N] [--prog NUMBER]
 * ping sends the NULL procedure (proc 0, what `rpcinfo -t` sends) to
 * program --prog (default ECHO_PROG) version 1.
 */
#include "../bench_common.h"
#include "echo.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct opts {
	bench_ep ep;
	int have_ep;
	const char *mode;
	uint64_t size, calls, prog, depth;
} opts;

static CLIENT *make_client(const bench_ep *ep, unsigned long prog)
{
	int fd = bench_connect(ep);
	CLIENT *c;

	if (fd < 0)
		return NULL;
	if (ep->is_unix) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, ep->path, strlen(ep->path) + 1);
		c = clntunix_create(&sun, prog, ECHO_V1, &fd, 0, 0);
	} else {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(ep->port);
		if (inet_pton(AF_INET, ep->host, &sin.sin_addr) != 1) {
			fprintf(stderr,
				"error: --connect: libtirpc client "
				"needs an IPv4 address, got '%s'\n",
				ep->host);
			close(fd);
			return NULL;
		}
		c = clnttcp_create(&sin, prog, ECHO_V1, &fd, 0, 0);
	}
	if (!c) {
		clnt_pcreateerror("error: clnt create");
		close(fd);
		return NULL;
	}
	/* The CLIENT owns fd from here on. */
	clnt_control(c, CLSET_FD_CLOSE, NULL);
	return c;
}

static int ping(CLIENT *c)
{
	/* rpcgen's ECHO_PING stub is a NULL call (proc 0, void in and out);
	 * the program number is the one the CLIENT was created with. */
	if (!echo_ping_1(NULL, c)) {
		clnt_perror(c, "error: NULL call");
		return -1;
	}
	printf("{\"impl\":\"tirpc\",\"mode\":\"ping\",\"ok\":true}\n");
	return 0;
}

static int one_echo(CLIENT *c, uint8_t *buf, uint64_t size, uint64_t seq,
		    uint64_t *lat)
{
	echo_bytes arg = {(u_int)size, (char *)buf}, *res;
	uint64_t t0;
	int rc = 0;

	bench_fill(buf, size, seq);
	t0 = bench_now_ns();
	res = echo_1(&arg, c);
	*lat = bench_now_ns() - t0;
	if (!res) {
		clnt_perror(c, "error: ECHO");
		return -1;
	}
	if (res->echo_bytes_len != size ||
	    bench_check((const uint8_t *)res->echo_bytes_val, size, seq)) {
		fprintf(stderr, "error: call %llu: reply bytes differ\n",
			(unsigned long long)seq);
		rc = -1;
	}
	clnt_freeres(c, (xdrproc_t)xdr_echo_bytes, (caddr_t)res);
	return rc;
}

static int run_echo(CLIENT *c, const opts *o)
{
	uint8_t *buf = malloc(o->size ? o->size : 1);
	uint64_t *lat = calloc(o->calls, sizeof(uint64_t));
	uint64_t t0, t1;
	int rc = 0;

	if (!buf || !lat) {
		fprintf(stderr, "error: out of memory\n");
		free(buf), free(lat);
		return -1;
	}
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < o->calls && rc == 0; i++)
		rc = one_echo(c, buf, o->size, i, &lat[i]);
	t1 = bench_now_ns();
	if (rc == 0) {
		bench_result r = {.impl = "tirpc",
				  .mode = o->mode,
				  .ep = &o->ep,
				  .size = o->size,
				  .calls = o->calls,
				  .depth = 1,
				  .seconds = (double)(t1 - t0) / 1e9,
				  .lat_ns = lat,
				  .nlat = o->calls};
		bench_print(&r);
	}
	free(buf), free(lat);
	return rc;
}

static int parse_opt(opts *o, const char *k, const char *v)
{
	if (!v) {
		fprintf(stderr, "error: %s needs a value\n", k);
		return -1;
	}
	if (!strcmp(k, "--connect")) {
		o->have_ep = 1;
		return bench_ep_parse(k, v, &o->ep);
	}
	if (!strcmp(k, "--mode")) {
		if (strcmp(v, "latency") && strcmp(v, "throughput") &&
		    strcmp(v, "ping")) {
			fprintf(stderr,
				"error: --mode: expected latency, throughput "
				"or ping, got '%s'\n",
				v);
			return -1;
		}
		o->mode = v;
		return 0;
	}
	if (!strcmp(k, "--size"))
		return bench_parse_u64(k, v, 0, 64u << 20, &o->size);
	if (!strcmp(k, "--calls"))
		return bench_parse_u64(k, v, 1, 100000000, &o->calls);
	if (!strcmp(k, "--depth")) /* accepted for symmetry; always 1 */
		return bench_parse_u64(k, v, 1, 65536, &o->depth);
	if (!strcmp(k, "--prog"))
		return bench_parse_u64(k, v, 1, 0xffffffffu, &o->prog);
	fprintf(stderr, "error: unknown argument '%s'\n", k);
	return -1;
}

int main(int argc, char **argv)
{
	opts o = {.mode = "latency", .size = 64, .calls = 10000};
	CLIENT *c;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("usage: tirpc-echo-client --connect ENDPOINT --mode "
		       "latency|throughput|ping [--size BYTES] [--calls N] "
		       "[--prog NUMBER]\n");
		return 0;
	}
	for (int i = 1; i < argc; i += 2)
		if (parse_opt(&o, argv[i], i + 1 < argc ? argv[i + 1] : NULL))
			return 2;
	if (!o.have_ep) {
		fprintf(stderr, "error: --connect is required\n");
		return 2;
	}
	if (o.ep.tls) {
		fprintf(stderr, "error: --connect: libtirpc has no TLS here\n");
		return 2;
	}
	c = make_client(&o.ep, o.prog ? (unsigned long)o.prog : ECHO_PROG);
	if (!c)
		return 1;
	rc = !strcmp(o.mode, "ping") ? ping(c) : run_echo(c, &o);
	clnt_destroy(c);
	return rc == 0 ? 0 : 1;
}
