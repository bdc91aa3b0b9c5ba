/* SPDX-License-Identifier: MIT */
/*
 * tether/client.h - calling a server over one connection the client opens
 * (the client never listens; callbacks arrive on this connection and go to
 * the programs registered with tether_client_register(), call.h).
 *
 * Two modes, one at a time:
 *  - blocking mode (after connect): tether_call() does the I/O on the
 *    calling thread with poll(), no thread hand-off; callbacks from the
 *    server and completions of tether_call_async() run on whichever thread
 *    is inside tether_call() or tether_client_poll(). Calls from several
 *    threads are serialized by a mutex.
 *  - loop mode (after tether_client_start()): a libuv thread owned by the
 *    client does all I/O; tether_call_async() works from any thread and its
 *    completions and callbacks run on that thread; tether_call() hands the
 *    call to the loop and waits (never call it from a completion: it would
 *    wait on itself, TETHER_E_STATE).
 */
#ifndef TETHER_CLIENT_H
#define TETHER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/call.h>
#include <tether/export.h>
#include <tether/status.h>
#include <tether/tls.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_client_opts tether_client_opts;

/* Option object with defaults. Caller frees with tether_client_opts_free();
 * tether_client_connect() copies it. */
TETHER_API TETHER_WUR tether_status
tether_client_opts_new(tether_client_opts **out);
TETHER_API void tether_client_opts_free(tether_client_opts *o);
/* Deadline of calls given 0 (default 30000 ms). */
TETHER_API void tether_client_opts_set_deadline_ms(tether_client_opts *o,
						   uint32_t ms);
/* Time allowed to connect (default 5000 ms). */
TETHER_API void tether_client_opts_set_connect_timeout_ms(tether_client_opts *o,
							  uint32_t ms);
/* Engine limits (0 keeps the default): largest record, calls outstanding,
 * callbacks in flight. */
TETHER_API void tether_client_opts_set_max_record(tether_client_opts *o,
						  uint32_t bytes);
TETHER_API void tether_client_opts_set_max_outbound(tether_client_opts *o,
						    uint32_t calls);
TETHER_API void tether_client_opts_set_max_inbound(tether_client_opts *o,
						   uint32_t calls);

/* TLS for tls:// endpoints (RFC 9289): CA to verify the server, and our
 * certificate and key for mutual authentication. cfg is borrowed until
 * tether_client_connect() returns. The server's certificate must match
 * the host of the endpoint dialed. */
TETHER_API void tether_client_opts_set_tls(tether_client_opts *o,
					   const tether_tls_config *cfg);
/* Allows tcp:// (plaintext) to a non-loopback address (default: refused
 * with TETHER_E_INSECURE, DESIGN §5). */
TETHER_API void tether_client_opts_set_allow_plaintext(tether_client_opts *o,
						       bool on);

/* Connects to endpoint (tcp://, tls://, unix:). o may be NULL. For tls://
 * the AUTH_TLS probe and the handshake complete before it returns; a
 * server that does not agree to TLS gives TETHER_E_TLS_REQUIRED (nothing
 * is ever sent in plaintext). Returns TETHER_E_BAD_ENDPOINT,
 * TETHER_E_REFUSED, TETHER_E_UNREACHABLE, TETHER_E_TIMEOUT,
 * TETHER_E_INSECURE, TETHER_E_INVAL (tls:// without a TLS config),
 * TETHER_E_TLS, TETHER_E_TLS_REQUIRED, TETHER_E_PEER_IDENTITY,
 * TETHER_E_CERT, TETHER_E_NOMEM. Caller frees with tether_client_free(). */
TETHER_API TETHER_WUR tether_status tether_client_connect(
    const char *endpoint, const tether_client_opts *o, tether_client **out);

/* Switches to loop mode: starts the client's I/O thread. */
TETHER_API TETHER_WUR tether_status tether_client_start(tether_client *c);

/* Back to blocking mode: stops the I/O thread, keeps the connection and
 * the calls outstanding (they complete in blocking mode). Not from the
 * loop thread (TETHER_E_STATE). TETHER_OK if not started. */
TETHER_API tether_status tether_client_stop(tether_client *c);

/* Blocking mode: does I/O for up to wait_ms on the calling thread, running
 * callbacks and async completions. TETHER_OK, or the connection's sticky
 * status once it is closed; TETHER_E_STATE in loop mode. */
TETHER_API TETHER_WUR tether_status tether_client_poll(tether_client *c,
						       uint32_t wait_ms);

/* Who the client is talking to: the server certificate's identity on
 * tls://, the server's kernel credentials on unix:, NULL on tcp://.
 * Borrowed, valid while c lives. */
TETHER_API const tether_peer_identity *
tether_client_peer_identity(tether_client *c);

/* ---- the peer's control program (docs/protocol.md) ---------------------- */

/* Feature bits a tether server announces (CAPABILITIES). */
#define TETHER_FEATURE_CANCEL 1u     /* tether_client_cancel() works */
#define TETHER_FEATURE_REFLECTION 2u /* LIST / DESCRIBE */
#define TETHER_FEATURE_STATS 4u	     /* STATS (administrators) */
#define TETHER_FEATURE_RATE_VERF 8u  /* rate limits say so (E_RATE_LIMITED) */
#define TETHER_FEATURE_CALLBACKS 16u /* the server may call back */
#define TETHER_FEATURE_CONTEXT 32u   /* takes the per-call context */

/* Asks the server what it supports, with one call of the control
 * program's CAPABILITIES (deadline 0: the client's default). A plain ONC
 * RPC server answers PROG_UNAVAIL: then *features is 0 and the status
 * TETHER_OK (carry on in plain ONC RPC). When the server announces
 * TETHER_FEATURE_CONTEXT, the client's later calls carry the per-call
 * context credential (their deadline; docs/protocol.md §6); until then,
 * and with plain servers, they carry AUTH_NONE. Other failures as
 * tether_call(). */
TETHER_API TETHER_WUR tether_status
tether_client_peer_features(tether_client *c, uint32_t *features);

/* Asks the server to cancel this connection's call xid (the control
 * program's CANCEL): its handler sees tether_ctx_cancelled() and the call
 * completes with TETHER_E_CANCELLED whatever the handler answers.
 * TETHER_OK (the server still had it), TETHER_E_NOT_FOUND (already
 * answered or never seen), TETHER_E_PROG_UNAVAIL (a plain peer), or a
 * failure of the call. The XID is the one the server handler reads with
 * tether_ctx_xid(). */
TETHER_API TETHER_WUR tether_status tether_client_cancel(tether_client *c,
							 uint32_t xid);

/* TETHER_OK while the connection is usable, else why it ended. */
TETHER_API tether_status tether_client_status(tether_client *c);

/* Closes the connection (outstanding async calls complete with
 * TETHER_E_CLOSED first), stops the thread, frees c. c may be NULL. Not
 * from c's own completions or callback handlers (its loop thread would
 * wait for itself). */
TETHER_API void tether_client_free(tether_client *c);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_CLIENT_H */
