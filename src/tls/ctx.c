/* SPDX-License-Identifier: MIT */
/* ctx.c - builds the OpenSSL context behind the TLS filter from a
 * tether_tls_config: TLS 1.3 only, no 0-RTT, ALPN "sunrpc", resumption off
 * unless allowed, the CA and our certificate/key loaded (RFC 9289 §5). */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/tt.h"
#include "tls.h"
#include "tls_priv.h"

static tether_status fail(tether_status st, char *reason, size_t cap,
			  const char *what, const char *path)
{
	if (reason != NULL && cap > 0) {
		unsigned long e = ERR_peek_error();
		const char *why = e ? ERR_reason_error_string(e) : NULL;
		snprintf(reason, cap, "%s%s%s: %s", what, path ? " " : "",
			 path ? path : "", why ? why : "failed");
	}
	ERR_clear_error();
	return st;
}

/* RFC 9289 §5: TLS 1.3 or later; RFC 8446 §2.3: no 0-RTT data accepted or
 * sent, since early data can be replayed. */
static bool set_protocol(SSL_CTX *s, bool resumption)
{
	if (SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) != 1)
		return false;
	SSL_CTX_set_options(s, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_set_max_early_data(s, 0) != 1 ||
	    SSL_CTX_set_recv_max_early_data(s, 0) != 1)
		return false;
	if (!resumption) {
		SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
		SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
		if (SSL_CTX_set_num_tickets(s, 0) != 1)
			return false;
	}
	/* RFC 9289 §5: ALPN "sunrpc" (offered by a client; a server checks it
	 * in the callbacks). SSL_CTX_set_alpn_protos returns 0 on success. */
	static const unsigned char alpn[] = "\x06" TT_TLS_ALPN;
	if (SSL_CTX_set_alpn_protos(s, alpn, sizeof(alpn) - 1) != 0)
		return false;
	SSL_CTX_set_verify_depth(s, 8);
	return true;
}

static tether_status load_files(tt_tls_ctx *c, const tether_tls_config *cfg,
				char *reason, size_t cap)
{
	SSL_CTX *s = c->ssl_ctx;
	if (cfg->ca_file != NULL &&
	    SSL_CTX_load_verify_file(s, cfg->ca_file) != 1)
		return fail(TETHER_E_CERT, reason, cap, "CA file",
			    cfg->ca_file);
	if (cfg->ca_dir != NULL && SSL_CTX_load_verify_dir(s, cfg->ca_dir) != 1)
		return fail(TETHER_E_CERT, reason, cap, "CA dir", cfg->ca_dir);
	c->has_ca = cfg->ca_file != NULL || cfg->ca_dir != NULL;
	if (cfg->cert_file == NULL && cfg->key_file == NULL)
		return TETHER_OK;
	if (cfg->cert_file == NULL || cfg->key_file == NULL)
		return fail(TETHER_E_CERT, reason, cap,
			    "certificate and key must be set together", NULL);
	if (SSL_CTX_use_certificate_chain_file(s, cfg->cert_file) != 1)
		return fail(TETHER_E_CERT, reason, cap, "certificate",
			    cfg->cert_file);
	if (SSL_CTX_use_PrivateKey_file(s, cfg->key_file, SSL_FILETYPE_PEM) !=
	    1)
		return fail(TETHER_E_CERT, reason, cap, "key", cfg->key_file);
	if (SSL_CTX_check_private_key(s) != 1)
		return fail(TETHER_E_CERT, reason, cap,
			    "key does not match certificate", cfg->key_file);
	c->has_cert = true;
	return TETHER_OK;
}

const char *tt_tls_ctx_expected_peer(const tt_tls_ctx *c)
{
	return c != NULL ? c->expected_peer : NULL;
}

void tt_tls_ctx_free(tt_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl_ctx);
	tt_tls_strfree(c->expected_peer);
	tt_memzero(c, sizeof(*c));
	tt_free(c, sizeof(*c));
}

tether_status tt_tls_ctx_new(const tether_tls_config *cfg, tt_tls_ctx **out,
			     char *reason, size_t cap)
{
	if (reason != NULL && cap > 0)
		reason[0] = '\0';
	*out = NULL;
	if (cfg == NULL || cfg->magic != TT_TLS_CONFIG_MAGIC)
		return TETHER_E_INVAL;
	tt_tls_ctx *c = tt_calloc(1, sizeof(*c));
	if (c == NULL)
		return TETHER_E_NOMEM;
	c->require_client_cert = cfg->require_client_cert;
	tether_status st = tt_tls_strdup(cfg->expected_peer, TT_TLS_PATH_MAX,
					 &c->expected_peer);
	if (st == TETHER_OK) {
		c->ssl_ctx = SSL_CTX_new(TLS_method());
		if (c->ssl_ctx == NULL)
			st = fail(TETHER_E_NOMEM, reason, cap, "SSL_CTX_new",
				  NULL);
	}
	if (st == TETHER_OK && !set_protocol(c->ssl_ctx, cfg->allow_resumption))
		st = fail(TETHER_E_TLS, reason, cap, "TLS settings", NULL);
	if (st == TETHER_OK)
		st = load_files(c, cfg, reason, cap);
	if (st != TETHER_OK) {
		tt_tls_ctx_free(c);
		return st;
	}
	tt_tls_install_callbacks(c->ssl_ctx);
	*out = c;
	return TETHER_OK;
}

void *tt_tls_ctx_ssl_ctx(tt_tls_ctx *c)
{
	return c ? c->ssl_ctx : NULL;
}
