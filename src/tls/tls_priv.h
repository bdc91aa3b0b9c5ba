/* SPDX-License-Identifier: MIT */
/* tls/tls_priv.h - structures shared by the files of src/tls only. */
#ifndef TT_TLS_PRIV_H
#define TT_TLS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <tether/tls.h>

#define TT_TLS_CONFIG_MAGIC 0x746c7363u /* "tlsc" */
#define TT_TLS_PATH_MAX 4095u
#define TT_TLS_ALPN "sunrpc" /* RFC 9289 §5 and §7.2: the only ALPN value */

struct tether_tls_config {
	uint32_t magic;
	char *ca_file;
	char *ca_dir;
	char *cert_file;
	char *key_file;
	char *expected_peer;
	bool require_client_cert;
	bool allow_resumption;
	uint32_t handshake_timeout_ms;
};

/* Built by tt_tls_ctx_new (ctx.c); read by tt_tls_new (filter.c). */
struct tt_tls_ctx {
	void *ssl_ctx; /* SSL_CTX * */
	char *expected_peer;
	bool require_client_cert;
	bool has_cert; /* our certificate and key are loaded */
	bool has_ca;   /* a CA file or dir is loaded */
};

/* Installs the filter's OpenSSL callbacks (ALPN, ClientHello, alerts,
 * verification) on a fresh SSL_CTX; defined in filter.c. */
void tt_tls_install_callbacks(void *ssl_ctx);

/* Copies s into a fresh tt_alloc'd string (*out, NULL for NULL). */
tether_status tt_tls_strdup(const char *s, size_t max, char **out);
/* Frees a string from tt_tls_strdup after zeroing it. */
void tt_tls_strfree(char *s);

#endif /* TT_TLS_PRIV_H */
