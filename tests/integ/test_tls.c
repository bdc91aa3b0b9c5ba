/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c - tls:// endpoints end to end (RFC 9289): the AUTH_TLS probe
 * and TLS 1.3 with mutual authentication over real loopback TCP, the peer
 * identity in handlers, callbacks inside TLS, and the refusals: no client
 * certificate, wrong server name, plaintext client on a TLS port, TLS client
 * on a plaintext server, a silent peer hitting the handshake deadline.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "prog.h"

static char g_dir[64];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", g_dir, name);
}

/* Issues NAME.crt/NAME.key signed by the test CA. */
static void issue(const char *name, const char *cn, const char *dns,
		  const char *ip, const char *uri, unsigned usage)
{
	char ca[128], cakey[128], crt[128], key[128], n[64];
	tether_cert_opts *o;

	path(ca, sizeof ca, "ca.crt");
	path(cakey, sizeof cakey, "ca.key");
	snprintf(n, sizeof n, "%s.crt", name);
	path(crt, sizeof crt, n);
	snprintf(n, sizeof n, "%s.key", name);
	path(key, sizeof key, n);
	assert_int_equal(tether_cert_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_common_name(o, cn), TETHER_OK);
	if (dns != NULL)
		assert_int_equal(tether_cert_opts_add_dns(o, dns), TETHER_OK);
	if (ip != NULL)
		assert_int_equal(tether_cert_opts_add_ip(o, ip), TETHER_OK);
	if (uri != NULL)
		assert_int_equal(tether_cert_opts_add_uri(o, uri), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_usage(o, usage), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_validity(o, -60, 3600),
			 TETHER_OK);
	assert_int_equal(tether_certs_issue(o, ca, cakey, crt, key), TETHER_OK);
	tether_cert_opts_free(o);
}

/* A TLS config: CA, and NAME's certificate unless name is NULL. */
static tether_tls_config *config(const char *name, uint32_t hs_ms)
{
	tether_tls_config *c;
	char ca[128], crt[128], key[128], n[64];

	path(ca, sizeof ca, "ca.crt");
	assert_int_equal(tether_tls_config_new(&c), TETHER_OK);
	assert_int_equal(tether_tls_config_set_ca_file(c, ca), TETHER_OK);
	if (name != NULL) {
		snprintf(n, sizeof n, "%s.crt", name);
		path(crt, sizeof crt, n);
		snprintf(n, sizeof n, "%s.key", name);
		path(key, sizeof key, n);
		assert_int_equal(tether_tls_config_set_cert_file(c, crt),
				 TETHER_OK);
		assert_int_equal(tether_tls_config_set_key_file(c, key),
				 TETHER_OK);
	}
	if (hs_ms != 0)
		tether_tls_config_set_handshake_timeout_ms(c, hs_ms);
	return c;
}

static int group_setup(void **state)
{
	char ca[128], cakey[128];
	tether_cert_opts *o;
	(void)state;

	snprintf(g_dir, sizeof g_dir, "/tmp/tether-tls-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	path(ca, sizeof ca, "ca.crt");
	path(cakey, sizeof cakey, "ca.key");
	if (tether_cert_opts_new(&o) != TETHER_OK)
		return -1;
	if (tether_cert_opts_set_common_name(o, "tether test CA") !=
		TETHER_OK ||
	    tether_certs_make_ca(o, ca, cakey) != TETHER_OK) {
		tether_cert_opts_free(o);
		return -1;
	}
	tether_cert_opts_free(o);
	issue("server", "server", "localhost", "127.0.0.1", NULL,
	      TETHER_CERT_SERVER);
	issue("elsewhere", "elsewhere", "elsewhere.example", NULL, NULL,
	      TETHER_CERT_SERVER);
	issue("client", "client-cn", NULL, NULL, "spiffe://tether.test/client",
	      TETHER_CERT_CLIENT);
	return 0;
}

static int group_teardown(void **state)
{
	static const char *files[] = {
	    "ca.crt",	     "ca.key",	      "server.crt", "server.key",
	    "elsewhere.crt", "elsewhere.key", "client.crt", "client.key"};
	char p[128];
	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		path(p, sizeof p, files[i]);
		unlink(p);
	}
	rmdir(g_dir);
	return 0;
}

/* ---- handlers ------------------------------------------------------------ */

static tether_status h_echo(tether_call_ctx *ctx, const tp_bytes *a,
			    tp_bytes *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

/* WHOAMI over TLS: 1 when the handler sees the client certificate's URI. */
static tether_status h_whoami(tether_call_ctx *ctx, uint32_t *r)
{
	const tether_peer_identity *id = tether_ctx_peer_identity(ctx);
	*r = id != NULL && tether_peer_identity_kind(id) == TETHER_PEER_TLS &&
	     strncmp(tether_ctx_peer_addr(ctx), "tls://127.0.0.1:", 16) == 0 &&
	     strcmp(tether_peer_identity_name(id),
		    "spiffe://tether.test/client") == 0 &&
	     strlen(tether_peer_identity_fingerprint(id)) == 64;
	return TETHER_OK;
}

typedef struct sub_state {
	tether_call_ctx *ctx;
	uint32_t count, sent, done, answered;
	tp_bytes payload;
} sub_state;

static void sub_pump(sub_state *s);

static void sub_done(tether_status st, void *res, void *ud)
{
	sub_state *s = ud;
	s->done++;
	if (st == TETHER_OK && *(uint32_t *)res == s->payload.len)
		s->answered++;
	sub_pump(s);
}

static void sub_pump(sub_state *s)
{
	while (s->sent < s->count) {
		tether_status st = tether_call_async(
		    tether_ctx_conn(s->ctx), tp_notify_pd, &s->payload, 0,
		    (tether_generic_fn)sub_done, s);
		if (st == TETHER_E_BUSY && s->sent > s->done)
			break;
		s->sent++;
		if (st != TETHER_OK)
			s->done++;
	}
	if (s->done == s->count) {
		uint32_t n = s->answered;
		tether_call_ctx *ctx = s->ctx;
		tether_status st;
		free(s);
		st = tether_ctx_reply(ctx, &n);
		(void)st;
	}
}

static tether_status h_subscribe(tether_call_ctx *ctx, const tp_sub_args *a,
				 uint32_t *r)
{
	static uint8_t bytes[256];
	sub_state *s = calloc(1, sizeof *s);
	(void)r;
	s->ctx = ctx, s->count = a->count;
	s->payload.len = a->size < sizeof bytes ? a->size : sizeof bytes;
	s->payload.val = bytes;
	sub_pump(s);
	return TETHER_E_DEFERRED;
}

static const tp_handlers handlers = {h_echo, NULL, h_subscribe, h_whoami,
				     NULL,   NULL, NULL};

static tether_status h_notify(tether_call_ctx *ctx, const tp_bytes *a,
			      uint32_t *r)
{
	(void)ctx;
	*r = a->len;
	return TETHER_OK;
}

static const tp_cb_handlers cb_handlers = {h_notify};

/* ---- fixture ------------------------------------------------------------- */

static tether_server *tls_server(const char *cert, uint32_t hs_ms, char *ep,
				 size_t cap)
{
	tether_server_opts *o;
	tether_tls_config *cfg = config(cert, hs_ms);
	tether_server *s;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 2);
	tether_server_opts_set_tls(o, cfg);
	assert_int_equal(tether_server_new(o, &s), TETHER_OK);
	tether_server_opts_free(o);
	tether_tls_config_free(cfg); /* the server keeps its own context */
	assert_int_equal(tether_server_register(s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(s, "tls://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 0, ep, cap), TETHER_OK);
	assert_non_null(strstr(ep, "tls://127.0.0.1:"));
	assert_int_equal(tether_server_start(s), TETHER_OK);
	return s;
}

static tether_status tls_connect(const char *ep, const char *cert,
				 tether_client **c)
{
	tether_client_opts *o;
	tether_tls_config *cfg = config(cert, 0);
	tether_status st;

	assert_int_equal(tether_client_opts_new(&o), TETHER_OK);
	tether_client_opts_set_tls(o, cfg);
	st = tether_client_connect(ep, o, c);
	tether_client_opts_free(o);
	tether_tls_config_free(cfg);
	return st;
}

/* ---- tests --------------------------------------------------------------- */

static void test_mutual_tls(void **state)
{
	char ep[128];
	tether_server *s = tls_server("server", 0, ep, sizeof ep);
	tether_client *c;
	tether_arena *a;
	size_t big = 1024 * 1024;
	tp_bytes in = {(uint32_t)big, malloc(big)}, out;
	uint32_t me = 0, n = 0;
	tp_sub_args sub = {2000, 100};
	(void)state;

	for (size_t i = 0; i < big; i++)
		in.val[i] = (uint8_t)(i * 13);
	assert_int_equal(tls_connect(ep, "client", &c), TETHER_OK);
	{
		const tether_peer_identity *id = tether_client_peer_identity(c);
		assert_non_null(id);
		assert_int_equal(tether_peer_identity_kind(id),
				 TETHER_PEER_TLS);
		assert_string_equal(tether_peer_identity_name(id), "localhost");
	}
	assert_int_equal(
	    tether_client_register(c, &tp_cb_v1, &cb_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(tether_arena_new(4u << 20, &a), TETHER_OK);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, big);
	assert_memory_equal(out.val, in.val, big);
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, &me, NULL, 0),
			 TETHER_OK);
	assert_int_equal(me, 1);
	/* Callbacks inside the TLS session the client opened. */
	assert_int_equal(tether_call(c, tp_sub_pd, &sub, &n, NULL, 30000),
			 TETHER_OK);
	assert_int_equal(n, 2000);
	/* Loop mode over the same TLS session. */
	assert_int_equal(tether_client_start(c), TETHER_OK);
	tether_arena_reset(a);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, big);
	tether_arena_free(a);
	free(in.val);
	tether_client_free(c);
	assert_int_equal(tether_server_stop(s, 1000), TETHER_OK);
	tether_server_free(s);
}

/* Refusals: nothing ever falls back to plaintext. */
static void test_refusals(void **state)
{
	char ep[128], plain_ep[128], name_ep[160];
	tether_server *s = tls_server("server", 0, ep, sizeof ep);
	tether_server *w = tls_server("elsewhere", 0, name_ep, sizeof name_ep);
	tether_server *p;
	tether_client *c = NULL;
	tp_bytes in = {1, (uint8_t *)"x"}, out;
	tether_arena *a;
	tether_status st;
	(void)state;

	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	/* No client certificate: the server refuses the handshake; in TLS
	 * 1.3 the client may learn it only at its first read. */
	st = tls_connect(ep, NULL, &c);
	if (st == TETHER_OK) {
		st = tether_call(c, tp_echo_pd, &in, &out, a, 2000);
		tether_client_free(c);
		c = NULL;
	}
	assert_int_not_equal(st, TETHER_OK);
	/* The server's certificate is for another name. */
	assert_int_not_equal(tls_connect(name_ep, "client", &c), TETHER_OK);
	assert_null(c);
	/* A plaintext client on the TLS port gets no answer at all. */
	{
		char tcp[140];
		snprintf(tcp, sizeof tcp, "tcp://%s", ep + strlen("tls://"));
		assert_int_equal(tether_client_connect(tcp, NULL, &c),
				 TETHER_OK);
		assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 3000),
				 TETHER_E_CLOSED);
		tether_client_free(c);
		c = NULL;
	}
	/* A TLS client on a plaintext server: the probe is refused. */
	assert_int_equal(tether_server_new(NULL, &p), TETHER_OK);
	assert_int_equal(tether_server_register(p, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(p, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(
	    tether_server_endpoint(p, 0, plain_ep, sizeof plain_ep), TETHER_OK);
	assert_int_equal(tether_server_start(p), TETHER_OK);
	{
		char tls[140];
		snprintf(tls, sizeof tls, "tls://%s",
			 plain_ep + strlen("tcp://"));
		assert_int_equal(tls_connect(tls, "client", &c),
				 TETHER_E_TLS_REQUIRED);
	}
	/* tls:// needs a TLS configuration; plaintext off loopback needs
	 * an explicit permission. */
	assert_int_equal(tether_client_connect(ep, NULL, &c), TETHER_E_INVAL);
	assert_int_equal(tether_client_connect("tcp://192.0.2.1:9", NULL, &c),
			 TETHER_E_INSECURE);
	tether_arena_free(a);
	tether_server_free(p);
	tether_server_free(w);
	tether_server_free(s);
}

/* A peer that connects and says nothing is cut off at the handshake
 * deadline, whatever else the server does. */
static void test_handshake_deadline(void **state)
{
	char ep[128];
	tether_server *s = tls_server("server", 300, ep, sizeof ep);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t t0;
	char b;
	(void)state;

	sin.sin_port = htons((uint16_t)strtol(strrchr(ep, ':') + 1, NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	t0 = now_ms();
	{
		struct pollfd p = {fd, POLLIN, 0};
		assert_int_equal(poll(&p, 1, 3000), 1);
	}
	assert_int_equal(read(fd, &b, 1), 0); /* EOF, nothing sent */
	{
		tether_server_counters k;
		for (int i = 0; i < 100; i++) {
			assert_int_equal(tether_server_stats(s, &k, sizeof k),
					 TETHER_OK);
			if (k.closed_handshake == 1)
				break;
			usleep(10000);
		}
		assert_int_equal(k.closed_handshake, 1);
	}
	assert_true(now_ms() - t0 >= 250);
	assert_true(now_ms() - t0 < 2000);
	close(fd);
	tether_server_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_tls),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_handshake_deadline),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
