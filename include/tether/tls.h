/* SPDX-License-Identifier: MIT */
/*
 * tether/tls.h - TLS configuration, peer identities and development
 * certificates (RPC-over-TLS, RFC 9289).
 *
 * A tether_tls_config says which certificates a peer presents and trusts.
 * Defaults are the secure ones (DESIGN §7): TLS 1.3 only, ALPN "sunrpc",
 * no 0-RTT, no session resumption, mutual authentication required, 5 s
 * handshake timeout. A tether_peer_identity says who is on the other end of
 * a connection once it is authenticated. tether_certs_* mint a development
 * CA and certificates (EC P-256) for tests and the `tether` CLI; they are
 * not a production PKI.
 */
#ifndef TETHER_TLS_H
#define TETHER_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include <tether/export.h>
#include <tether/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TLS configuration -------------------------------------------------- */

/* Default handshake deadline in milliseconds (DESIGN §7). */
#define TETHER_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS 5000u

typedef struct tether_tls_config tether_tls_config;

/* Creates a configuration with the secure defaults and no files set.
 * Caller frees with tether_tls_config_free(). TETHER_E_NOMEM, TETHER_E_INVAL
 * (out NULL). */
TETHER_API TETHER_WUR tether_status
tether_tls_config_new(tether_tls_config **out);
/* Frees c (NULL is fine). */
TETHER_API void tether_tls_config_free(tether_tls_config *c);

/* Each path/name setter copies its string (NULL clears it) and returns
 * TETHER_OK, TETHER_E_INVAL (c NULL, empty string or longer than 4095
 * bytes) or TETHER_E_NOMEM. Files are read when a TLS context is built, not
 * here. PEM format throughout. */
/* Trusted CA certificates (a PEM bundle) for verifying the peer. */
TETHER_API TETHER_WUR tether_status
tether_tls_config_set_ca_file(tether_tls_config *c, const char *path);
/* A directory of hashed CA certificates (c_rehash layout). */
TETHER_API TETHER_WUR tether_status
tether_tls_config_set_ca_dir(tether_tls_config *c, const char *path);
/* Our certificate chain (leaf first) and its private key. */
TETHER_API TETHER_WUR tether_status
tether_tls_config_set_cert_file(tether_tls_config *c, const char *path);
TETHER_API TETHER_WUR tether_status
tether_tls_config_set_key_file(tether_tls_config *c, const char *path);
/* The identity the peer must prove. A client checks the server certificate
 * against it (DNS name or IP address literal, RFC 6125 rules via OpenSSL);
 * a server, when set, accepts only a client whose certificate identity
 * (see tether_peer_identity_name) is exactly this string. */
TETHER_API TETHER_WUR tether_status
tether_tls_config_set_expected_peer(tether_tls_config *c, const char *name);
/* Server side: require a client certificate (default true). false gives
 * server-authenticated-only TLS: the server does not ask for one. */
TETHER_API void tether_tls_config_set_require_client_cert(tether_tls_config *c,
							  bool on);
/* Allow TLS session tickets / resumption (default false). */
TETHER_API void tether_tls_config_set_allow_resumption(tether_tls_config *c,
						       bool on);
/* Handshake deadline in ms (default 5000; 0 restores the default). The
 * driver enforces it with its clock. */
TETHER_API void tether_tls_config_set_handshake_timeout_ms(tether_tls_config *c,
							   uint32_t ms);
TETHER_API uint32_t
tether_tls_config_handshake_timeout_ms(const tether_tls_config *c);

/* ---- peer identity ------------------------------------------------------ */

typedef enum tether_peer_kind {
	TETHER_PEER_NONE = 0, /* unauthenticated (plaintext TCP) */
	TETHER_PEER_TLS = 1,  /* verified TLS client/server certificate */
	TETHER_PEER_UNIX = 2  /* Unix-domain socket, kernel credentials */
} tether_peer_kind;

/* Where a TLS identity name came from (DESIGN §2: SAN URI, then SAN DNS,
 * then subject CN). */
typedef enum tether_peer_name_source {
	TETHER_PEER_NAME_NONE = 0,
	TETHER_PEER_NAME_SAN_URI = 1,
	TETHER_PEER_NAME_SAN_DNS = 2,
	TETHER_PEER_NAME_SUBJECT_CN = 3
} tether_peer_name_source;

typedef struct tether_peer_identity tether_peer_identity;

/* Getters; id is borrowed. Strings are valid until
 * tether_peer_identity_free(id); never NULL ("" when absent). */
TETHER_API tether_peer_kind
tether_peer_identity_kind(const tether_peer_identity *id);
TETHER_API const char *
tether_peer_identity_name(const tether_peer_identity *id);
TETHER_API tether_peer_name_source
tether_peer_identity_name_source(const tether_peer_identity *id);
/* SHA-256 of the peer certificate (DER), 64 lowercase hex digits; "" unless
 * kind is TETHER_PEER_TLS. */
TETHER_API const char *
tether_peer_identity_fingerprint(const tether_peer_identity *id);
/* Unix peer credentials; false (outputs untouched) unless kind is
 * TETHER_PEER_UNIX. */
TETHER_API bool tether_peer_identity_unix(const tether_peer_identity *id,
					  uint32_t *uid, uint32_t *gid,
					  int32_t *pid);
TETHER_API void tether_peer_identity_free(tether_peer_identity *id);

/* ---- development certificates ------------------------------------------- */

/* What an issued certificate may be used for (extendedKeyUsage). */
#define TETHER_CERT_SERVER 1u /* serverAuth */
#define TETHER_CERT_CLIENT 2u /* clientAuth */

typedef struct tether_cert_opts tether_cert_opts;

/* Options for one certificate: subject CN, SANs, validity, usage. Defaults:
 * no name, valid from 5 minutes ago for 365 days, usage SERVER. Caller
 * frees with tether_cert_opts_free(). */
TETHER_API TETHER_WUR tether_status
tether_cert_opts_new(tether_cert_opts **out);
TETHER_API void tether_cert_opts_free(tether_cert_opts *o);
/* Copies the string; TETHER_E_INVAL (NULL/empty/over 255 bytes, or for an
 * IP not a valid IPv4/IPv6 literal), TETHER_E_TOO_LARGE (more than 16
 * SANs), TETHER_E_NOMEM. */
TETHER_API TETHER_WUR tether_status
tether_cert_opts_set_common_name(tether_cert_opts *o, const char *cn);
TETHER_API TETHER_WUR tether_status
tether_cert_opts_add_dns(tether_cert_opts *o, const char *dns);
TETHER_API TETHER_WUR tether_status tether_cert_opts_add_ip(tether_cert_opts *o,
							    const char *ip);
TETHER_API TETHER_WUR tether_status
tether_cert_opts_add_uri(tether_cert_opts *o, const char *uri);
/* Validity as offsets in seconds from now; not_after <= 0 makes an already
 * expired certificate (for tests). TETHER_E_INVAL if not_after <= not_before.
 */
TETHER_API TETHER_WUR tether_status tether_cert_opts_set_validity(
    tether_cert_opts *o, int64_t not_before_s, int64_t not_after_s);
/* TETHER_CERT_SERVER and/or TETHER_CERT_CLIENT; TETHER_E_INVAL otherwise. */
TETHER_API TETHER_WUR tether_status
tether_cert_opts_set_usage(tether_cert_opts *o, unsigned usage);

/* Creates a self-signed CA (EC P-256, CA:TRUE, keyCertSign) named by o's
 * common name (default "tether development CA" when o sets none; o itself
 * is required: NULL gives TETHER_E_INVAL) and writes cert_path (mode
 * 0644) and key_path (mode 0600). Neither file may exist (O_EXCL): a
 * present file gives TETHER_E_IO and is left alone. TETHER_E_CERT if OpenSSL
 * fails, TETHER_E_NOMEM. */
TETHER_API TETHER_WUR tether_status tether_certs_make_ca(
    const tether_cert_opts *o, const char *cert_path, const char *key_path);
/* Issues a leaf certificate (EC P-256, CA:FALSE, digitalSignature, the
 * usages and SANs of o) signed by the CA in ca_cert_path/ca_key_path, and
 * writes cert_path (0644) and key_path (0600) as above. o needs a common
 * name or at least one SAN (TETHER_E_INVAL). TETHER_E_CERT if the CA files
 * cannot be read or do not match. */
TETHER_API TETHER_WUR tether_status tether_certs_issue(
    const tether_cert_opts *o, const char *ca_cert_path,
    const char *ca_key_path, const char *cert_path, const char *key_path);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_TLS_H */
