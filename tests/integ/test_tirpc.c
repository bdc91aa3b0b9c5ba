/* SPDX-License-Identifier: MIT */
/*
 * test_tirpc.c - the runtime against the reference implementation over
 * loopback TCP: a libtirpc client (clnttcp_create, AUTH_NONE and
 * AUTH_SYS) calls a tether server, and a tether client calls a libtirpc
 * server (svctcp_create served from a thread), both ways on the same
 * programs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <rpc/rpc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "prog.h"

/* ---- the tether server -------------------------------------------------- */

static tether_status h_echo(tether_call_ctx *ctx, const tp_bytes *a,
			    tp_bytes *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

static const tp_handlers handlers = {h_echo, NULL, NULL, NULL,
				     NULL,   NULL, NULL};

static uint16_t port_of(const char *ep)
{
	return (uint16_t)strtol(strrchr(ep, ':') + 1, NULL, 10);
}

/* opaque<> as libtirpc sees it. */
typedef struct tb {
	char *val;
	u_int len;
} tb;

static bool_t xdr_tb(XDR *x, void *p)
{
	tb *b = p;
	return xdr_bytes(x, &b->val, &b->len, ~0u);
}

/* void, as an xdrproc_t (libtirpc's xdr_void takes no arguments). */
static bool_t tb_void(XDR *x, void *p)
{
	(void)x;
	(void)p;
	return TRUE;
}

static CLIENT *tirpc_client(uint16_t port, u_long vers)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int sock = RPC_ANYSOCK;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return clnttcp_create(&sin, TP_PROG, vers, &sock, 0, 0);
}

/* libtirpc client -> tether server */
static void test_tirpc_client(void **state)
{
	tether_server *s;
	char ep[128], in[1000];
	CLIENT *cl;
	struct timeval tv = {5, 0};
	struct rpc_err err;
	(void)state;

	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (char)(i * 3);
	assert_int_equal(tether_server_new(NULL, &s), TETHER_OK);
	assert_int_equal(tether_server_register(s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_int_equal(tether_server_start(s), TETHER_OK);

	cl = tirpc_client(port_of(ep), 1);
	assert_non_null(cl);
	assert_int_equal(clnt_call(cl, 0, (xdrproc_t)tb_void, NULL,
				   (xdrproc_t)tb_void, NULL, tv),
			 RPC_SUCCESS);
	/* ECHO with AUTH_NONE, then AUTH_SYS (checked only on Unix). */
	for (int pass = 0; pass < 2; pass++) {
		tb arg = {in, sizeof in}, res = {NULL, 0};
		if (pass == 1) {
			auth_destroy(cl->cl_auth);
			cl->cl_auth = authunix_create_default();
		}
		assert_int_equal(clnt_call(cl, TP_ECHO, (xdrproc_t)xdr_tb,
					   (char *)&arg, (xdrproc_t)xdr_tb,
					   (char *)&res, tv),
				 RPC_SUCCESS);
		assert_int_equal(res.len, sizeof in);
		assert_memory_equal(res.val, in, sizeof in);
		clnt_freeres(cl, (xdrproc_t)xdr_tb, (char *)&res);
	}
	assert_int_equal(clnt_call(cl, 99, (xdrproc_t)tb_void, NULL,
				   (xdrproc_t)tb_void, NULL, tv),
			 RPC_PROCUNAVAIL);
	auth_destroy(cl->cl_auth); /* clnt_destroy leaves it */
	clnt_destroy(cl);

	/* The tether control program (src/server/control.x) is plain ONC
	 * RPC: libtirpc calls its PING (unsigned hyper echoed) and CANCEL
	 * (an XID nobody has in flight: FALSE). */
	{
		struct sockaddr_in sin = {.sin_family = AF_INET};
		int sock = RPC_ANYSOCK;
		u_quad_t in64 = 0x1122334455667788ull, out64 = 0;
		u_int xid = 12345;
		bool_t found = TRUE;
		sin.sin_port = htons(port_of(ep));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cl = clnttcp_create(&sin, TETHER_CONTROL_PROG,
				    TETHER_CONTROL_VERS, &sock, 0, 0);
		assert_non_null(cl);
		assert_int_equal(clnt_call(cl, 1, (xdrproc_t)xdr_u_quad_t,
					   (char *)&in64,
					   (xdrproc_t)xdr_u_quad_t,
					   (char *)&out64, tv),
				 RPC_SUCCESS);
		assert_true(out64 == in64);
		assert_int_equal(clnt_call(cl, 3, (xdrproc_t)xdr_u_int,
					   (char *)&xid, (xdrproc_t)xdr_bool,
					   (char *)&found, tv),
				 RPC_SUCCESS);
		assert_false(found);
		/* STATS: no administrator, so AUTH_ERROR / AUTH_TOOWEAK. */
		assert_int_equal(clnt_call(cl, 7, (xdrproc_t)tb_void, NULL,
					   (xdrproc_t)tb_void, NULL, tv),
				 RPC_AUTHERROR);
		clnt_geterr(cl, &err);
		assert_int_equal(err.re_why, AUTH_TOOWEAK);
		clnt_destroy(cl);
	}

	/* The wrong version: libtirpc sees PROG_MISMATCH with 1..1. */
	cl = tirpc_client(port_of(ep), 7);
	assert_non_null(cl);
	assert_int_equal(clnt_call(cl, 0, (xdrproc_t)tb_void, NULL,
				   (xdrproc_t)tb_void, NULL, tv),
			 RPC_PROGVERSMISMATCH);
	clnt_geterr(cl, &err);
	assert_int_equal(err.re_vers.low, 1);
	assert_int_equal(err.re_vers.high, 1);
	clnt_destroy(cl);
	tether_server_free(s);
}

/* ---- tether client -> libtirpc server ----------------------------------- */

static void tp_svc(struct svc_req *rq, SVCXPRT *x)
{
	tb b = {NULL, 0};

	switch (rq->rq_proc) {
	case 0:
		svc_sendreply(x, (xdrproc_t)tb_void, NULL);
		break;
	case TP_ECHO:
		if (!svc_getargs(x, (xdrproc_t)xdr_tb, (char *)&b)) {
			svcerr_decode(x);
			break;
		}
		svc_sendreply(x, (xdrproc_t)xdr_tb, (char *)&b);
		svc_freeargs(x, (xdrproc_t)xdr_tb, (char *)&b);
		break;
	default:
		svcerr_noproc(x);
	}
}

static _Atomic int g_svc_stop;

static void *svc_thread(void *arg)
{
	(void)arg;
	while (!g_svc_stop) {
		fd_set rd = svc_fdset;
		struct timeval tv = {0, 20000};
		if (select(FD_SETSIZE, &rd, NULL, NULL, &tv) > 0)
			svc_getreqset(&rd);
	}
	return NULL;
}

static void test_tether_client(void **state)
{
	SVCXPRT *x = svctcp_create(RPC_ANYSOCK, 0, 0);
	pthread_t t;
	char ep[64];
	tether_client *c;
	tether_arena *a;
	uint8_t buf[5000];
	tp_bytes in = {sizeof buf, buf}, out;
	(void)state;

	assert_non_null(x);
	/* protocol 0: not registered with rpcbind. */
	assert_true(svc_register(x, TP_PROG, 1, tp_svc, 0));
	snprintf(ep, sizeof ep, "tcp://127.0.0.1:%u", (unsigned)x->xp_port);
	g_svc_stop = 0;
	assert_int_equal(pthread_create(&t, NULL, svc_thread, NULL), 0);

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	assert_int_equal(tether_client_connect(ep, NULL, &c), TETHER_OK);
	/* The control program's CAPABILITIES gets PROG_UNAVAIL from a plain
	 * ONC RPC server: no features, and the client carries on. */
	{
		uint32_t features = 0xffffffffu;
		assert_int_equal(tether_client_peer_features(c, &features),
				 TETHER_OK);
		assert_int_equal(features, 0);
	}
	assert_int_equal(tether_call(c, &tp_ping_pd, NULL, NULL, a, 0),
			 TETHER_OK);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, sizeof buf);
	assert_memory_equal(out.val, buf, sizeof buf);
	assert_int_equal(tether_call(c, &tp_no_proc_pd, NULL, NULL, a, 0),
			 TETHER_E_PROC_UNAVAIL);
	/* Loop mode against the same plain ONC RPC server. */
	assert_int_equal(tether_client_start(c), TETHER_OK);
	tether_arena_reset(a);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, sizeof buf);
	tether_client_free(c);
	tether_arena_free(a);

	g_svc_stop = 1;
	pthread_join(t, NULL);
	svc_destroy(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tirpc_client),
	    cmocka_unit_test(test_tether_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
