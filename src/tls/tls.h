/* SPDX-License-Identifier: MIT */
/*
 * tls/tls.h - internal API of the TLS layer: a sans-I/O TLS 1.3 filter
 * (OpenSSL over memory BIOs) with the engine's buf/ack contract (STYLE
 * 13-14), peer identities, and the RFC 9289 AUTH_TLS probe messages.
 *
 *   socket --net_in--> [ tt_tls ] --app_out_buf/ack--> engine
 *   socket <-net_out_buf/ack-- [ tt_tls ] <--app_in-- engine
 *
 * Nothing here reads a clock, touches a socket or starts a thread; the
 * driver owns all three. A filter is used by one thread at a time.
 */
#ifndef TT_TLS_H
#define TT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/status.h>
#include <tether/tls.h>

/* ---- context: one per configuration, shared by many filters ------------- */

typedef struct tt_tls_ctx tt_tls_ctx;

/* Builds an OpenSSL context from cfg (borrowed; only read here): loads the
 * CA file/dir, our certificate and key. On failure returns TETHER_E_CERT
 * (a file could not be loaded, or key and certificate do not match),
 * TETHER_E_TLS or TETHER_E_NOMEM, and writes a reason into reason[0..cap)
 * when reason is not NULL. Caller frees with tt_tls_ctx_free(); filters made
 * from it may outlive it. */
TETHER_WUR tether_status tt_tls_ctx_new(const tether_tls_config *cfg,
					tt_tls_ctx **out, char *reason,
					size_t reason_cap);
void tt_tls_ctx_free(tt_tls_ctx *ctx);
/* The configured expected peer name, or NULL (borrowed from ctx). */
const char *tt_tls_ctx_expected_peer(const tt_tls_ctx *ctx);
/* The underlying SSL_CTX (an SSL_CTX *), borrowed: for tests that build a
 * misbehaving peer. Changes affect filters created afterwards. */
void *tt_tls_ctx_ssl_ctx(tt_tls_ctx *ctx);

/* ---- the filter ---------------------------------------------------------- */

typedef enum tt_tls_role { TT_TLS_CLIENT = 1, TT_TLS_SERVER = 2 } tt_tls_role;

typedef enum tt_tls_state {
	TT_TLS_HANDSHAKE = 1, /* started, not finished: the driver runs the
			       * handshake deadline while in this state */
	TT_TLS_OPEN = 2,      /* application data flows both ways */
	TT_TLS_CLOSED = 3,    /* peer sent close_notify; no more input */
	TT_TLS_FAILED = 4     /* sticky error: see tt_tls_error() */
} tt_tls_state;

typedef struct tt_tls tt_tls;

/* Pending-byte caps: past them the filter stops accepting input
 * (back-pressure, never unbounded buffering). */
#define TT_TLS_MAX_NET_IN_PENDING (64u * 1024u)
#define TT_TLS_MAX_APP_OUT_PENDING (64u * 1024u)
#define TT_TLS_MAX_NET_OUT_PENDING (256u * 1024u)

/* Creates a filter for one connection in the given role; nothing is sent
 * before tt_tls_start(). ctx is borrowed
 * only during the call. TETHER_E_CERT (a server context without a
 * certificate, or no CA to verify the peer), TETHER_E_NOMEM, TETHER_E_TLS.
 * Caller frees with tt_tls_free(). */
TETHER_WUR tether_status tt_tls_new(tt_tls_ctx *ctx, tt_tls_role role,
				    tt_tls **out);
/* Frees t; plaintext buffers are zeroed first. NULL is fine. */
void tt_tls_free(tt_tls *t);

/* Client only, before the first I/O: the server name to verify (DNS name or
 * IP literal) and send as SNI; overrides the config's expected peer.
 * TETHER_E_STATE after I/O or for a server, TETHER_E_INVAL, TETHER_E_TLS. */
TETHER_WUR tether_status tt_tls_set_peer_name(tt_tls *t, const char *name);

/* Starts the handshake: a client checks its server name and queues the
 * ClientHello (read it with tt_tls_net_out_buf); a server waits for one.
 * Called by the first tt_tls_net_in / tt_tls_app_in if not before.
 * Returns TETHER_OK or the sticky error (TETHER_E_PEER_IDENTITY when a
 * client has no server name to verify). */
TETHER_WUR tether_status tt_tls_start(tt_tls *t);

/* Ciphertext from the socket. Consumes up to len bytes (*used, possibly
 * fewer when the filter is full: call again after draining the outputs) and
 * runs the handshake / decryption as far as it can. Returns TETHER_OK or
 * the sticky error (TETHER_E_TLS, TETHER_E_PEER_IDENTITY,
 * TETHER_E_AUTH_REJECTED, TETHER_E_CLOSED once the peer closed). */
TETHER_WUR tether_status tt_tls_net_in(tt_tls *t, const uint8_t *in, size_t len,
				       size_t *used);
/* Ciphertext for the socket: borrowed, valid until the next call on t.
 * NULL with *len 0 when there is nothing to send. Bytes queued before a
 * failure (e.g. an alert) are still offered. */
const uint8_t *tt_tls_net_out_buf(const tt_tls *t, size_t *len);
void tt_tls_net_out_ack(tt_tls *t, size_t n);

/* Plaintext from the engine, to encrypt. Consumes nothing (*used 0,
 * TETHER_OK) until the handshake is done or while the ciphertext output is
 * full. Returns the sticky error when failed, TETHER_E_CLOSED when closed. */
TETHER_WUR tether_status tt_tls_app_in(tt_tls *t, const uint8_t *in, size_t len,
				       size_t *used);
/* Decrypted plaintext for the engine: borrowed, valid until the next call on
 * t. Acking makes room, so the filter may decrypt more input. */
const uint8_t *tt_tls_app_out_buf(const tt_tls *t, size_t *len);
void tt_tls_app_out_ack(tt_tls *t, size_t n);

/* Queues a close_notify (after pending application data). */
TETHER_WUR tether_status tt_tls_close(tt_tls *t);
/* The driver's handshake deadline fired: fails t with TETHER_E_TIMEOUT if it
 * is still handshaking (no bytes are queued); no effect otherwise. */
void tt_tls_handshake_timeout(tt_tls *t);

tt_tls_state tt_tls_get_state(const tt_tls *t);
/* TETHER_OK or the sticky error. */
tether_status tt_tls_error(const tt_tls *t);
/* Why it failed, for the audit record ("" when OK); borrowed, valid for t's
 * life. */
const char *tt_tls_reason(const tt_tls *t);
/* The negotiated TLS version string ("TLSv1.3") or "" before the handshake. */
const char *tt_tls_version(const tt_tls *t);
/* The negotiated cipher suite ("TLS_AES_128_GCM_SHA256") or "" before the
 * handshake; static string. */
const char *tt_tls_cipher(const tt_tls *t);

/* The verified peer identity, once the handshake is done
 * (TETHER_E_STATE before). A server in server-authenticated-only mode
 * whose client sent no certificate gets kind TETHER_PEER_NONE. Caller frees
 * *out with tether_peer_identity_free(). TETHER_E_NOMEM. */
TETHER_WUR tether_status tt_tls_peer_identity(const tt_tls *t,
					      tether_peer_identity **out);

/* ---- identities (identity.c) --------------------------------------------- */

/* From a certificate (an X509 *, borrowed). TETHER_E_NOMEM, TETHER_E_CERT. */
TETHER_WUR tether_status tt_identity_from_x509(const void *x509,
					       tether_peer_identity **out);
/* For the Unix driver: SO_PEERCRED values. */
TETHER_WUR tether_status tt_identity_new_unix(uint32_t uid, uint32_t gid,
					      int32_t pid,
					      tether_peer_identity **out);
/* Unauthenticated peer. */
TETHER_WUR tether_status tt_identity_new_none(tether_peer_identity **out);
/* The identity name of a certificate, without allocating: SAN URI, then SAN
 * DNS, then subject CN (DESIGN §2). Names with embedded NUL bytes or longer
 * than TT_IDENTITY_NAME_MAX are skipped. TETHER_E_NOT_FOUND if none. */
#define TT_IDENTITY_NAME_MAX 1024u
TETHER_WUR tether_status tt_identity_name_of(const void *x509, char *buf,
					     size_t cap,
					     tether_peer_name_source *src);

/* ---- RFC 9289 §4.1 AUTH_TLS probe (probe.c) ------------------------------ */

/* Encoded size of the probe CALL and REPLY, without record marking. */
#define TT_TLS_PROBE_CALL_LEN 40u
#define TT_TLS_PROBE_REPLY_LEN 32u

/* Client: the NULL call (procedure 0 of prog/vers) with an AUTH_TLS
 * credential of empty body and an AUTH_NONE verifier of length zero. Writes
 * TT_TLS_PROBE_CALL_LEN bytes into buf (no record mark). TETHER_E_TOO_LARGE
 * if cap is short. */
TETHER_WUR tether_status tt_tls_probe_call_encode(uint32_t xid, uint32_t prog,
						  uint32_t vers, uint8_t *buf,
						  size_t cap, size_t *len);
/* Server: is msg (one whole RPC message) the AUTH_TLS probe? TETHER_OK and
 * *xid, *prog, *vers when it is; TETHER_E_NOT_FOUND when it is a well-formed
 * CALL that is not the probe (another flavor or procedure, arguments);
 * TETHER_E_RPC_MSG (or TETHER_E_RPC_AUTH_LEN) when it is not a well-formed
 * CALL header. Flavor numbers are src/rpc's TT_AUTH_TLS (7, RFC 9289 §4.1)
 * and TT_AUTH_NONE. */
TETHER_WUR tether_status tt_tls_probe_call_check(const uint8_t *msg, size_t len,
						 uint32_t *xid, uint32_t *prog,
						 uint32_t *vers);
/* Server: the reply that agrees to TLS: MSG_ACCEPTED, AUTH_NONE verifier
 * whose body is the 8 bytes "STARTTLS", SUCCESS, void result. Writes
 * TT_TLS_PROBE_REPLY_LEN bytes. TETHER_E_TOO_LARGE if cap is short. */
TETHER_WUR tether_status tt_tls_probe_reply_encode(uint32_t xid, uint8_t *buf,
						   size_t cap, size_t *len);
/* Client: classifies the reply to its probe. TETHER_OK: the server agreed,
 * start TLS. TETHER_E_TLS_REQUIRED: a well-formed reply that declines
 * (accepted without the token, or MSG_DENIED); the client must not send
 * anything in plaintext. TETHER_E_PROTOCOL: XID does not match.
 * TETHER_E_BAD_REPLY: anything else (malformed, truncated, trailing). */
TETHER_WUR tether_status tt_tls_probe_reply_check(const uint8_t *msg,
						  size_t len, uint32_t xid);

#endif /* TT_TLS_H */
