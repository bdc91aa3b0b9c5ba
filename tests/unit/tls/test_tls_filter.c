/* SPDX-License-Identifier: MIT */
/* test_tls_filter.c - in-memory TLS 1.3 handshakes between two tt_tls
 * filters with certificates minted by certs.c: mutual auth and identities,
 * every refusal with its status and reason, data both ways, zeroization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls_fixture.h"

static fx F;
static tt_tls_ctx *srv_ctx; /* ca + server cert, mutual auth */

#define DAY 86400

static int group_setup(void **state)
{
	(void)state;
	if (fx_init(&F) != 0)
		return -1;
	const int64_t y = 365 * DAY;
	const unsigned S = TETHER_CERT_SERVER, C = TETHER_CERT_CLIENT;
	if (fx_make_ca(&F, "ca") || fx_make_ca(&F, "other") ||
	    fx_issue(&F, "ca", "server", "server", "localhost", "127.0.0.1",
		     NULL, S, -300, y) ||
	    fx_issue(&F, "ca", "server_wrong", "elsewhere", "elsewhere.example",
		     NULL, NULL, S, -300, y) ||
	    fx_issue(&F, "ca", "client_uri", "ignored-cn", "client.example",
		     NULL, "spiffe://tether/client", C, -300, y) ||
	    fx_issue(&F, "ca", "client_dns", "cn-client", "dns-client.example",
		     NULL, NULL, C, -300, y) ||
	    fx_issue(&F, "ca", "client_cn", "cn-only-client", NULL, NULL, NULL,
		     C, -300, y) ||
	    fx_issue(&F, "other", "client_other", "intruder", NULL, NULL,
		     "spiffe://tether/client", C, -300, y) ||
	    fx_issue(&F, "ca", "client_expired", "old-client", NULL, NULL, NULL,
		     C, -2 * DAY, -DAY))
		return -1;
	return fx_ctx(&F, "ca", "server", NULL, true, &srv_ctx) == TETHER_OK
		   ? 0
		   : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	tt_tls_ctx_free(srv_ctx);
	fx_cleanup(&F);
	return 0;
}

/* A client context presenting `name` (NULL: no certificate), expecting the
 * server to be "localhost". */
static tt_tls_ctx *client_ctx(const char *name)
{
	tt_tls_ctx *c = NULL;
	assert_int_equal(fx_ctx(&F, "ca", name, "localhost", true, &c),
			 TETHER_OK);
	return c;
}

typedef struct conn {
	tt_tls *cli;
	tt_tls *srv;
} conn;

/* Handshakes a client made from cctx with a server made from sctx. */
static conn handshake(tt_tls_ctx *cctx, tt_tls_ctx *sctx)
{
	conn c = {0};
	unsigned seed = 1;
	assert_int_equal(tt_tls_new(cctx, TT_TLS_CLIENT, &c.cli), TETHER_OK);
	assert_int_equal(tt_tls_new(sctx, TT_TLS_SERVER, &c.srv), TETHER_OK);
	assert_int_equal(tt_tls_start(c.cli), TETHER_OK);
	int rounds = fx_pump(c.cli, c.srv, false, &seed, 50);
	assert_true(rounds < 50);
	return c;
}

static void conn_free(conn *c)
{
	tt_tls_free(c->cli);
	tt_tls_free(c->srv);
}

/* SHA-256 of the DER certificate in a PEM file, computed independently
 * of the library (i2d + EVP_Digest, not X509_digest). */
static void file_fingerprint(const char *name, char out[65])
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.crt", F.dir, name);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	unsigned char md[32];
	unsigned int mdlen = 0;
	assert_int_equal(
	    EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(der);
	X509_free(x);
}

static void check_identity(tt_tls *t, const char *name,
			   tether_peer_name_source src, const char *certname)
{
	tether_peer_identity *id = NULL;
	char fp[65];
	assert_int_equal(tt_tls_peer_identity(t, &id), TETHER_OK);
	assert_int_equal(tether_peer_identity_kind(id), TETHER_PEER_TLS);
	assert_string_equal(tether_peer_identity_name(id), name);
	assert_int_equal(tether_peer_identity_name_source(id), src);
	file_fingerprint(certname, fp);
	assert_string_equal(tether_peer_identity_fingerprint(id), fp);
	assert_false(tether_peer_identity_unix(id, NULL, NULL, NULL));
	tether_peer_identity_free(id);
}

static void mutual_ok(const char *client, const char *name,
		      tether_peer_name_source src)
{
	tt_tls_ctx *cctx = client_ctx(client);
	conn c = handshake(cctx, srv_ctx);
	assert_int_equal(tt_tls_error(c.cli), TETHER_OK);
	assert_int_equal(tt_tls_error(c.srv), TETHER_OK);
	assert_int_equal(tt_tls_get_state(c.cli), TT_TLS_OPEN);
	assert_int_equal(tt_tls_get_state(c.srv), TT_TLS_OPEN);
	assert_string_equal(tt_tls_version(c.srv), "TLSv1.3");
	check_identity(c.srv, name, src, client);
	/* The server cert has SAN DNS localhost (no URI) and CN server. */
	check_identity(c.cli, "localhost", TETHER_PEER_NAME_SAN_DNS, "server");
	conn_free(&c);
	tt_tls_ctx_free(cctx);
}

static void test_mutual_uri(void **state)
{
	(void)state;
	mutual_ok("client_uri", "spiffe://tether/client",
		  TETHER_PEER_NAME_SAN_URI);
}

static void test_mutual_dns(void **state)
{
	(void)state;
	mutual_ok("client_dns", "dns-client.example", TETHER_PEER_NAME_SAN_DNS);
}

static void test_mutual_cn(void **state)
{
	(void)state;
	mutual_ok("client_cn", "cn-only-client", TETHER_PEER_NAME_SUBJECT_CN);
}

/* Both sides fail; the server with st_srv and a reason containing
 * why_srv, the client with st_cli. */
static void expect_refused(tt_tls_ctx *cctx, tt_tls_ctx *sctx,
			   tether_status st_srv, const char *why_srv,
			   tether_status st_cli, const char *why_cli)
{
	conn c = handshake(cctx, sctx);
	assert_int_equal(tt_tls_get_state(c.srv), TT_TLS_FAILED);
	assert_int_equal(tt_tls_get_state(c.cli), TT_TLS_FAILED);
	if (tt_tls_error(c.srv) != st_srv ||
	    strstr(tt_tls_reason(c.srv), why_srv) == NULL)
		fail_msg("server: %s: %s",
			 tether_status_name(tt_tls_error(c.srv)),
			 tt_tls_reason(c.srv));
	if (tt_tls_error(c.cli) != st_cli ||
	    strstr(tt_tls_reason(c.cli), why_cli) == NULL)
		fail_msg("client: %s: %s",
			 tether_status_name(tt_tls_error(c.cli)),
			 tt_tls_reason(c.cli));
	/* Sticky: every later call says the same. */
	size_t used = 9;
	const uint8_t b[4] = {1, 2, 3, 4};
	assert_int_equal(tt_tls_app_in(c.cli, b, 4, &used), st_cli);
	assert_int_equal(used, 0);
	assert_int_equal(tt_tls_net_in(c.srv, b, 4, &used), st_srv);
	tether_peer_identity *id = NULL;
	assert_int_equal(tt_tls_peer_identity(c.srv, &id), TETHER_E_STATE);
	conn_free(&c);
}

static void test_no_client_cert(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx(NULL);
	expect_refused(cctx, srv_ctx, TETHER_E_PEER_IDENTITY, "no certificate",
		       TETHER_E_AUTH_REJECTED, "certificate required");
	tt_tls_ctx_free(cctx);
}

static void test_client_other_ca(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_other");
	expect_refused(cctx, srv_ctx, TETHER_E_PEER_IDENTITY, "issuer",
		       TETHER_E_AUTH_REJECTED, "unknown CA");
	tt_tls_ctx_free(cctx);
}

static void test_client_expired(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_expired");
	expect_refused(cctx, srv_ctx, TETHER_E_PEER_IDENTITY, "expired",
		       TETHER_E_AUTH_REJECTED, "expired");
	tt_tls_ctx_free(cctx);
}

static void test_server_wrong_name(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	tt_tls_ctx *sctx = NULL;
	assert_int_equal(fx_ctx(&F, "ca", "server_wrong", NULL, true, &sctx),
			 TETHER_OK);
	expect_refused(cctx, sctx, TETHER_E_AUTH_REJECTED, "alert",
		       TETHER_E_PEER_IDENTITY, "mismatch");
	tt_tls_ctx_free(sctx);
	tt_tls_ctx_free(cctx);
}

/* The server name may be an IP literal, checked against SAN IP. */
static void test_server_ip(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	tt_tls *cli, *srv;
	unsigned seed = 1;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tt_tls_new(cctx, TT_TLS_CLIENT, &cli),
				 TETHER_OK);
		assert_int_equal(tt_tls_new(srv_ctx, TT_TLS_SERVER, &srv),
				 TETHER_OK);
		assert_int_equal(tt_tls_set_peer_name(
				     cli, i == 0 ? "127.0.0.1" : "127.0.0.2"),
				 TETHER_OK);
		assert_int_equal(tt_tls_start(cli), TETHER_OK);
		assert_int_equal(tt_tls_set_peer_name(cli, "x"),
				 TETHER_E_STATE);
		fx_pump(cli, srv, false, &seed, 50);
		assert_int_equal(tt_tls_error(cli),
				 i == 0 ? TETHER_OK : TETHER_E_PEER_IDENTITY);
		tt_tls_free(cli);
		tt_tls_free(srv);
	}
	tt_tls_ctx_free(cctx);
}

/* A client without any server name to check never starts. */
static void test_client_needs_name(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = NULL;
	tt_tls *cli;
	size_t len;
	assert_int_equal(fx_ctx(&F, "ca", "client_uri", NULL, true, &cctx),
			 TETHER_OK);
	assert_int_equal(tt_tls_new(cctx, TT_TLS_CLIENT, &cli), TETHER_OK);
	assert_int_equal(tt_tls_start(cli), TETHER_E_PEER_IDENTITY);
	assert_null(tt_tls_net_out_buf(cli, &len));
	assert_int_equal(len, 0);
	tt_tls_free(cli);
	tt_tls_ctx_free(cctx);
}

static void test_tls12_client_refused(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	SSL_CTX *s = tt_tls_ctx_ssl_ctx(cctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(s, TLS1_2_VERSION), 1);
	expect_refused(cctx, srv_ctx, TETHER_E_TLS, "unsupported protocol",
		       TETHER_E_TLS, "protocol version");
	tt_tls_ctx_free(cctx);
}

static void test_wrong_alpn(void **state)
{
	(void)state;
	static const unsigned char h2[] = "\x02h2\x08http/1.1";
	tt_tls_ctx *cctx = client_ctx("client_uri");
	assert_int_equal(SSL_CTX_set_alpn_protos(tt_tls_ctx_ssl_ctx(cctx), h2,
						 sizeof(h2) - 1),
			 0);
	expect_refused(cctx, srv_ctx, TETHER_E_TLS, "did not offer ALPN sunrpc",
		       TETHER_E_TLS, "no application protocol");
	tt_tls_ctx_free(cctx);
}

static void test_missing_alpn(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	assert_int_equal(
	    SSL_CTX_set_alpn_protos(tt_tls_ctx_ssl_ctx(cctx), NULL, 0), 0);
	expect_refused(cctx, srv_ctx, TETHER_E_TLS, "offered no ALPN",
		       TETHER_E_TLS, "no application protocol");
	tt_tls_ctx_free(cctx);
}

/* A server that ignores ALPN: our client refuses to go on (RFC 9289 §5). */
static void test_server_without_alpn(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	tt_tls_ctx *sctx = NULL;
	assert_int_equal(fx_ctx(&F, "ca", "server", NULL, true, &sctx),
			 TETHER_OK);
	SSL_CTX *s = tt_tls_ctx_ssl_ctx(sctx);
	SSL_CTX_set_alpn_select_cb(s, NULL, NULL);
	SSL_CTX_set_client_hello_cb(s, NULL, NULL);
	conn c = handshake(cctx, sctx);
	assert_int_equal(tt_tls_error(c.cli), TETHER_E_TLS);
	assert_non_null(strstr(tt_tls_reason(c.cli), "did not select ALPN"));
	conn_free(&c);
	tt_tls_ctx_free(sctx);
	tt_tls_ctx_free(cctx);
}

/* RFC 9289 §5.1.1: bytes that are not a ClientHello fail the server and it
 * answers nothing. */
static void test_garbage_instead_of_hello(void **state)
{
	(void)state;
	static const uint8_t rpc_record[] = {
	    0x80, 0, 0,	   40,	 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
	    0,	  1, 0x86, 0xa0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
	    0,	  0, 0,	   0,	 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	const uint8_t *inputs[] = {rpc_record, (const uint8_t *)http};
	size_t lens[] = {sizeof(rpc_record), sizeof(http) - 1};
	for (int i = 0; i < 2; i++) {
		tt_tls *srv;
		size_t used = 0, len = 1;
		assert_int_equal(tt_tls_new(srv_ctx, TT_TLS_SERVER, &srv),
				 TETHER_OK);
		assert_int_equal(tt_tls_net_in(srv, inputs[i], lens[i], &used),
				 TETHER_E_TLS);
		assert_int_equal(used, lens[i]);
		assert_int_equal(tt_tls_get_state(srv), TT_TLS_FAILED);
		assert_null(tt_tls_net_out_buf(srv, &len));
		assert_int_equal(len, 0);
		assert_true(strlen(tt_tls_reason(srv)) > 0);
		tt_tls_free(srv);
	}
}

/* Server with an expected client identity. */
static void test_expected_client_identity(void **state)
{
	(void)state;
	tt_tls_ctx *sctx = NULL;
	assert_int_equal(
	    fx_ctx(&F, "ca", "server", "spiffe://tether/client", true, &sctx),
	    TETHER_OK);
	tt_tls_ctx *good = client_ctx("client_uri");
	conn c = handshake(good, sctx);
	assert_int_equal(tt_tls_error(c.srv), TETHER_OK);
	assert_int_equal(tt_tls_error(c.cli), TETHER_OK);
	conn_free(&c);
	tt_tls_ctx *bad = client_ctx("client_dns");
	expect_refused(bad, sctx, TETHER_E_PEER_IDENTITY,
		       "not the expected peer", TETHER_E_AUTH_REJECTED,
		       "alert");
	tt_tls_ctx_free(bad);
	tt_tls_ctx_free(good);
	tt_tls_ctx_free(sctx);
}

/* Explicit opt-out: server-authenticated-only TLS. */
static void test_server_auth_only(void **state)
{
	(void)state;
	tt_tls_ctx *sctx = NULL;
	assert_int_equal(fx_ctx(&F, "ca", "server", NULL, false, &sctx),
			 TETHER_OK);
	tt_tls_ctx *cctx = client_ctx(NULL);
	conn c = handshake(cctx, sctx);
	assert_int_equal(tt_tls_error(c.srv), TETHER_OK);
	assert_int_equal(tt_tls_error(c.cli), TETHER_OK);
	tether_peer_identity *id = NULL;
	assert_int_equal(tt_tls_peer_identity(c.srv, &id), TETHER_OK);
	assert_int_equal(tether_peer_identity_kind(id), TETHER_PEER_NONE);
	assert_string_equal(tether_peer_identity_name(id), "");
	tether_peer_identity_free(id);
	conn_free(&c);
	tt_tls_ctx_free(cctx);
	tt_tls_ctx_free(sctx);
}

/* ---- application data -------------------------------------------------- */

typedef struct stream {
	uint8_t *src;
	size_t n, sent, got;
	uint8_t *dst;
} stream;

static void stream_init(stream *s, size_t n, unsigned seed)
{
	s->src = malloc(n);
	s->dst = malloc(n);
	assert_non_null(s->src);
	assert_non_null(s->dst);
	for (size_t i = 0; i < n; i++)
		s->src[i] = (uint8_t)rand_r(&seed);
	s->n = n;
	s->sent = s->got = 0;
}

static void stream_free(stream *s)
{
	free(s->src);
	free(s->dst);
}

/* Feeds a random chunk from s into `from`, reads a random amount of plaintext
 * out of `to`. */
static void stream_step(stream *s, tt_tls *from, tt_tls *to, unsigned *seed)
{
	size_t used = 0, len;
	if (s->sent < s->n) {
		size_t n = 1 + (size_t)rand_r(seed) % 20000;
		if (n > s->n - s->sent)
			n = s->n - s->sent;
		assert_int_equal(
		    tt_tls_app_in(from, s->src + s->sent, n, &used), TETHER_OK);
		s->sent += used;
	}
	const uint8_t *p = tt_tls_app_out_buf(to, &len);
	if (len > 0) {
		size_t n = 1 + (size_t)rand_r(seed) % len;
		assert_true(s->got + n <= s->n);
		memcpy(s->dst + s->got, p, n);
		s->got += n;
		tt_tls_app_out_ack(to, n);
	}
}

static void test_data_both_ways(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	conn c = handshake(cctx, srv_ctx);
	stream up, down;
	unsigned seed = 12345;
	stream_init(&up, 300000, 7);
	stream_init(&down, 200001, 8);
	int i;
	for (i = 0; i < 100000; i++) {
		stream_step(&up, c.cli, c.srv, &seed);
		stream_step(&down, c.srv, c.cli, &seed);
		fx_pump(c.cli, c.srv, true, &seed, 4);
		if (up.got == up.n && down.got == down.n)
			break;
	}
	assert_true(i < 100000);
	assert_memory_equal(up.src, up.dst, up.n);
	assert_memory_equal(down.src, down.dst, down.n);
	/* Acked plaintext is wiped from the filter's buffer. */
	size_t used, len;
	const uint8_t msg[] = "secret";
	assert_int_equal(tt_tls_app_in(c.cli, msg, sizeof(msg), &used),
			 TETHER_OK);
	fx_pump(c.cli, c.srv, false, &seed, 10);
	const uint8_t *p = tt_tls_app_out_buf(c.srv, &len);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(p, msg, sizeof(msg));
	tt_tls_app_out_ack(c.srv, len);
	for (size_t k = 0; k < sizeof(msg); k++)
		assert_int_equal(p[k], 0);
	/* Orderly close: the server sees close_notify. */
	assert_int_equal(tt_tls_close(c.cli), TETHER_OK);
	assert_int_equal(tt_tls_app_in(c.cli, msg, 1, &used), TETHER_E_CLOSED);
	fx_pump(c.cli, c.srv, false, &seed, 10);
	assert_int_equal(tt_tls_get_state(c.srv), TT_TLS_CLOSED);
	assert_int_equal(tt_tls_net_in(c.srv, msg, 1, &used), TETHER_E_CLOSED);
	stream_free(&up);
	stream_free(&down);
	conn_free(&c);
	tt_tls_ctx_free(cctx);
}

/* Plaintext the engine does not read is bounded: the filter stops taking
 * ciphertext instead of buffering without limit. */
static void test_backpressure(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	conn c = handshake(cctx, srv_ctx);
	static uint8_t big[1 << 20];
	size_t used, total = 0, len;
	unsigned seed = 3;
	for (int i = 0; i < 200 && total < sizeof(big); i++) {
		assert_int_equal(tt_tls_app_in(c.cli, big + total,
					       sizeof(big) - total, &used),
				 TETHER_OK);
		total += used;
		fx_pump(c.cli, c.srv, false, &seed, 4);
	}
	/* The server's plaintext and pending input stay under their caps. */
	(void)tt_tls_app_out_buf(c.srv, &len);
	assert_true(len <= TT_TLS_MAX_APP_OUT_PENDING);
	(void)tt_tls_net_out_buf(c.cli, &len);
	assert_true(len <= TT_TLS_MAX_NET_OUT_PENDING);
	assert_true(total < sizeof(big));
	conn_free(&c);
	tt_tls_ctx_free(cctx);
}

static void test_handshake_timeout(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	tt_tls *cli, *srv;
	size_t len, used;
	assert_int_equal(tt_tls_new(cctx, TT_TLS_CLIENT, &cli), TETHER_OK);
	assert_int_equal(tt_tls_new(srv_ctx, TT_TLS_SERVER, &srv), TETHER_OK);
	assert_int_equal(tt_tls_start(cli), TETHER_OK);
	assert_int_equal(tt_tls_get_state(cli), TT_TLS_HANDSHAKE);
	const uint8_t *p = tt_tls_net_out_buf(cli, &len);
	assert_true(len > 0); /* the ClientHello */
	assert_int_equal(tt_tls_net_in(srv, p, len, &used), TETHER_OK);
	tt_tls_handshake_timeout(srv);
	assert_int_equal(tt_tls_error(srv), TETHER_E_TIMEOUT);
	assert_non_null(strstr(tt_tls_reason(srv), "deadline"));
	tt_tls_free(cli);
	tt_tls_free(srv);
	/* After the handshake, the deadline has no effect. */
	conn c = handshake(cctx, srv_ctx);
	tt_tls_handshake_timeout(c.srv);
	assert_int_equal(tt_tls_error(c.srv), TETHER_OK);
	assert_int_equal(tt_tls_get_state(c.srv), TT_TLS_OPEN);
	conn_free(&c);
	tt_tls_ctx_free(cctx);
}

static void test_ctx_errors(void **state)
{
	(void)state;
	tether_tls_config *c;
	tt_tls_ctx *ctx = NULL;
	tt_tls *t = NULL;
	char reason[256], path[512], key[512];
	assert_int_equal(tether_tls_config_new(&c), TETHER_OK);
	assert_int_equal(tether_tls_config_handshake_timeout_ms(c), 5000);
	assert_int_equal(tether_tls_config_set_ca_file(c, ""), TETHER_E_INVAL);
	fx_path(&F, "nope.crt", path, sizeof(path));
	assert_int_equal(tether_tls_config_set_ca_file(c, path), TETHER_OK);
	assert_int_equal(tt_tls_ctx_new(c, &ctx, reason, sizeof(reason)),
			 TETHER_E_CERT);
	assert_non_null(strstr(reason, "nope.crt"));
	/* Key of another certificate. */
	fx_path(&F, "ca.crt", path, sizeof(path));
	assert_int_equal(tether_tls_config_set_ca_file(c, path), TETHER_OK);
	fx_path(&F, "server.crt", path, sizeof(path));
	fx_path(&F, "client_uri.key", key, sizeof(key));
	assert_int_equal(tether_tls_config_set_cert_file(c, path), TETHER_OK);
	assert_int_equal(tether_tls_config_set_key_file(c, key), TETHER_OK);
	assert_int_equal(tt_tls_ctx_new(c, &ctx, reason, sizeof(reason)),
			 TETHER_E_CERT);
	assert_null(ctx);
	/* No certificate at all: fine for a client, not for a server. */
	assert_int_equal(tether_tls_config_set_cert_file(c, NULL), TETHER_OK);
	assert_int_equal(tether_tls_config_set_key_file(c, NULL), TETHER_OK);
	assert_int_equal(tt_tls_ctx_new(c, &ctx, reason, sizeof(reason)),
			 TETHER_OK);
	assert_int_equal(tt_tls_new(ctx, TT_TLS_SERVER, &t), TETHER_E_CERT);
	assert_int_equal(tt_tls_new(ctx, TT_TLS_CLIENT, &t), TETHER_OK);
	tt_tls_free(t);
	tt_tls_ctx_free(ctx);
	tether_tls_config_free(c);
}

/* ---- zeroization: every block the TLS layer frees is zeroed ------------- */

static size_t z_allocs, z_frees, z_dirty;

static void *z_alloc(size_t n, void *ud)
{
	(void)ud;
	z_allocs++;
	return malloc(n);
}

static void *z_realloc(void *p, size_t o, size_t n, void *ud)
{
	(void)ud;
	(void)o;
	if (p == NULL)
		z_allocs++;
	return realloc(p, n);
}

static void z_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p == NULL)
		return;
	z_frees++;
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0) {
			z_dirty++;
			break;
		}
	free(p);
}

static void test_zeroized_on_free(void **state)
{
	(void)state;
	tether_allocator a = {z_alloc, z_realloc, z_free, NULL};
	z_allocs = z_frees = z_dirty = 0;
	tether_set_allocator(&a);
	tt_tls_ctx *cctx = client_ctx("client_uri");
	conn c = handshake(cctx, srv_ctx);
	assert_int_equal(tt_tls_error(c.srv), TETHER_OK);
	size_t used;
	unsigned seed = 5;
	const uint8_t msg[] = "plaintext that must not linger";
	assert_int_equal(tt_tls_app_in(c.cli, msg, sizeof(msg), &used),
			 TETHER_OK);
	fx_pump(c.cli, c.srv, false, &seed, 10);
	tether_peer_identity *id = NULL;
	assert_int_equal(tt_tls_peer_identity(c.srv, &id), TETHER_OK);
	tether_peer_identity_free(id);
	conn_free(&c); /* the server still holds the unread plaintext */
	tt_tls_ctx_free(cctx);
	tether_set_allocator(NULL);
	assert_true(z_frees > 0);
	assert_int_equal(z_allocs, z_frees); /* and nothing leaked */
	assert_int_equal(z_dirty, 0);
}

/* Extended key usage is enforced both ways: a serverAuth-only certificate
 * is no client certificate, and a clientAuth-only one no server's. */
static void test_key_usage(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("server");
	expect_refused(cctx, srv_ctx, TETHER_E_PEER_IDENTITY, "purpose",
		       TETHER_E_AUTH_REJECTED, "alert");
	tt_tls_ctx_free(cctx);
	tt_tls_ctx *sctx = NULL;
	assert_int_equal(fx_ctx(&F, "ca", "client_dns", NULL, true, &sctx),
			 TETHER_OK);
	cctx = client_ctx("client_uri");
	tt_tls *cli, *srv;
	unsigned seed = 1;
	assert_int_equal(tt_tls_new(cctx, TT_TLS_CLIENT, &cli), TETHER_OK);
	assert_int_equal(tt_tls_new(sctx, TT_TLS_SERVER, &srv), TETHER_OK);
	assert_int_equal(tt_tls_set_peer_name(cli, "dns-client.example"),
			 TETHER_OK);
	assert_int_equal(tt_tls_start(cli), TETHER_OK);
	fx_pump(cli, srv, false, &seed, 50);
	assert_int_equal(tt_tls_error(cli), TETHER_E_PEER_IDENTITY);
	assert_non_null(strstr(tt_tls_reason(cli), "purpose"));
	tt_tls_free(cli);
	tt_tls_free(srv);
	tt_tls_ctx_free(sctx);
	tt_tls_ctx_free(cctx);
}

/* The client's first application bytes travel with its Finished: the
 * server finishes the handshake and decrypts them in the same call. */
static void test_data_with_finished(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	tt_tls *cli, *srv;
	size_t len, used;
	const uint8_t *p;
	const uint8_t msg[] = "first call";
	assert_int_equal(tt_tls_new(cctx, TT_TLS_CLIENT, &cli), TETHER_OK);
	assert_int_equal(tt_tls_new(srv_ctx, TT_TLS_SERVER, &srv), TETHER_OK);
	assert_int_equal(tt_tls_start(cli), TETHER_OK);
	/* Before the handshake, app_in takes nothing. */
	assert_int_equal(tt_tls_app_in(cli, msg, sizeof(msg), &used),
			 TETHER_OK);
	assert_int_equal(used, 0);
	p = tt_tls_net_out_buf(cli, &len); /* ClientHello */
	assert_int_equal(tt_tls_net_in(srv, p, len, &used), TETHER_OK);
	tt_tls_net_out_ack(cli, used);
	p = tt_tls_net_out_buf(srv, &len); /* ServerHello .. Finished */
	assert_int_equal(tt_tls_net_in(cli, p, len, &used), TETHER_OK);
	tt_tls_net_out_ack(srv, used);
	assert_int_equal(tt_tls_get_state(cli), TT_TLS_OPEN);
	assert_int_equal(tt_tls_get_state(srv), TT_TLS_HANDSHAKE);
	assert_int_equal(tt_tls_app_in(cli, msg, sizeof(msg), &used),
			 TETHER_OK);
	assert_int_equal(used, sizeof(msg));
	p = tt_tls_net_out_buf(cli, &len); /* Certificate .. Finished, data */
	assert_int_equal(tt_tls_net_in(srv, p, len, &used), TETHER_OK);
	assert_int_equal(used, len);
	assert_int_equal(tt_tls_get_state(srv), TT_TLS_OPEN);
	p = tt_tls_app_out_buf(srv, &len);
	assert_int_equal(len, sizeof(msg));
	assert_memory_equal(p, msg, len);
	tt_tls_free(cli);
	tt_tls_free(srv);
	tt_tls_ctx_free(cctx);
}

/* A flipped bit in a record (MITM tampering) fails the receiver; nothing
 * of the forged record reaches the engine. */
static void test_tampered_record(void **state)
{
	(void)state;
	tt_tls_ctx *cctx = client_ctx("client_uri");
	conn c = handshake(cctx, srv_ctx);
	uint8_t rec[512];
	size_t len, used;
	const uint8_t msg[] = "transfer 10 coins to alice";
	assert_int_equal(tt_tls_app_in(c.cli, msg, sizeof(msg), &used),
			 TETHER_OK);
	const uint8_t *p = tt_tls_net_out_buf(c.cli, &len);
	assert_true(len > 5 + sizeof(msg) && len <= sizeof(rec));
	memcpy(rec, p, len);
	rec[len - 20] ^= 0x01; /* inside the ciphertext */
	assert_int_equal(tt_tls_net_in(c.srv, rec, len, &used), TETHER_E_TLS);
	assert_non_null(strstr(tt_tls_reason(c.srv), "bad record mac"));
	(void)tt_tls_app_out_buf(c.srv, &len);
	assert_int_equal(len, 0);
	conn_free(&c);
	tt_tls_ctx_free(cctx);
}

/* ---- allocation-failure sweep (STYLE 21) -------------------------------- */

static size_t f_count, f_fail_at, f_live;

static void *f_alloc(size_t n, void *ud)
{
	(void)ud;
	if (++f_count == f_fail_at)
		return NULL;
	f_live++;
	return malloc(n);
}

static void *f_realloc(void *p, size_t o, size_t n, void *ud)
{
	(void)o;
	if (p == NULL)
		return f_alloc(n, ud);
	if (++f_count == f_fail_at)
		return NULL;
	return realloc(p, n);
}

static void f_free(void *p, size_t n, void *ud)
{
	(void)ud;
	(void)n;
	if (p != NULL) {
		f_live--;
		free(p);
	}
}

/* One whole session under the failing allocator: TETHER_OK or the first
 * failure, which must be TETHER_E_NOMEM. */
static tether_status session(void)
{
	tt_tls_ctx *cctx = NULL;
	tt_tls *cli = NULL, *srv = NULL;
	unsigned seed = 9;
	size_t used;
	const uint8_t msg[] = "hello";
	tether_status st =
	    fx_ctx(&F, "ca", "client_uri", "localhost", true, &cctx);
	if (st == TETHER_OK)
		st = tt_tls_new(cctx, TT_TLS_CLIENT, &cli);
	if (st == TETHER_OK)
		st = tt_tls_new(srv_ctx, TT_TLS_SERVER, &srv);
	if (st == TETHER_OK)
		st = tt_tls_start(cli);
	if (st == TETHER_OK) {
		fx_pump(cli, srv, false, &seed, 50);
		st = tt_tls_error(cli) ? tt_tls_error(cli) : tt_tls_error(srv);
	}
	if (st == TETHER_OK)
		st = tt_tls_app_in(cli, msg, sizeof(msg), &used);
	if (st == TETHER_OK) {
		fx_pump(cli, srv, false, &seed, 50);
		st = tt_tls_error(srv);
	}
	tt_tls_free(cli);
	tt_tls_free(srv);
	tt_tls_ctx_free(cctx);
	return st;
}

static void test_alloc_failure_sweep(void **state)
{
	(void)state;
	tether_allocator a = {f_alloc, f_realloc, f_free, NULL};
	size_t k;
	for (k = 1; k < 200; k++) {
		f_count = 0;
		f_live = 0;
		f_fail_at = k;
		tether_set_allocator(&a);
		tether_status st = session();
		tether_set_allocator(NULL);
		assert_int_equal(f_live, 0); /* no leak on any failure path */
		if (f_count < k) {
			assert_int_equal(st, TETHER_OK); /* nothing failed */
			break;
		}
		if (st != TETHER_E_NOMEM)
			fail_msg("allocation %zu failed, got %s", k,
				 tether_status_name(st));
	}
	print_message("allocation points swept: %zu\n", k - 1);
	assert_true(k > 3 && k < 200);
}

/* RFC 9289 §4.1 then §5 on one byte stream: probe, STARTTLS, handshake. */
static void test_probe_then_handshake(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t len;
	uint32_t xid, prog, vers;
	assert_int_equal(
	    tt_tls_probe_call_encode(77, 400100, 1, buf, sizeof(buf), &len),
	    TETHER_OK);
	assert_int_equal(tt_tls_probe_call_check(buf, len, &xid, &prog, &vers),
			 TETHER_OK);
	assert_int_equal(tt_tls_probe_reply_encode(xid, buf, sizeof(buf), &len),
			 TETHER_OK);
	assert_int_equal(tt_tls_probe_reply_check(buf, len, 77), TETHER_OK);
	tt_tls_ctx *cctx = client_ctx("client_uri");
	conn c = handshake(cctx, srv_ctx);
	assert_int_equal(tt_tls_get_state(c.cli), TT_TLS_OPEN);
	assert_int_equal(tt_tls_get_state(c.srv), TT_TLS_OPEN);
	conn_free(&c);
	tt_tls_ctx_free(cctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_uri),
	    cmocka_unit_test(test_mutual_dns),
	    cmocka_unit_test(test_mutual_cn),
	    cmocka_unit_test(test_no_client_cert),
	    cmocka_unit_test(test_client_other_ca),
	    cmocka_unit_test(test_client_expired),
	    cmocka_unit_test(test_server_wrong_name),
	    cmocka_unit_test(test_server_ip),
	    cmocka_unit_test(test_client_needs_name),
	    cmocka_unit_test(test_tls12_client_refused),
	    cmocka_unit_test(test_wrong_alpn),
	    cmocka_unit_test(test_missing_alpn),
	    cmocka_unit_test(test_server_without_alpn),
	    cmocka_unit_test(test_garbage_instead_of_hello),
	    cmocka_unit_test(test_expected_client_identity),
	    cmocka_unit_test(test_server_auth_only),
	    cmocka_unit_test(test_data_both_ways),
	    cmocka_unit_test(test_backpressure),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_ctx_errors),
	    cmocka_unit_test(test_zeroized_on_free),
	    cmocka_unit_test(test_alloc_failure_sweep),
	    cmocka_unit_test(test_probe_then_handshake),
	    cmocka_unit_test(test_key_usage),
	    cmocka_unit_test(test_data_with_finished),
	    cmocka_unit_test(test_tampered_record),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
