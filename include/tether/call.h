/* SPDX-License-Identifier: MIT */
/*
 * tether/call.h - the generic calling and serving contract.
 *
 * Generated stubs are one-line wrappers around these functions; the CLI
 * uses them directly with descriptors found at run time.
 *
 * Handlers: for procedure P taking ARG and returning RES, the handler is
 *     tether_status h(tether_call_ctx *ctx, const ARG *arg, RES *res);
 * (no `arg` for void arguments, no `res` for void results). It returns
 * TETHER_OK to send *res, TETHER_E_DEFERRED to reply later with
 * tether_ctx_reply(), or an error status (sent as SYSTEM_ERR unless the
 * status maps to an RPC error, see docs/protocol.md). Memory for *res comes
 * from tether_ctx_arena(ctx) and lives until the reply is sent.
 */
#ifndef TETHER_CALL_H
#define TETHER_CALL_H

#include <stdint.h>
#include <tether/desc.h>
#include <tether/export.h>
#include <tether/status.h>
#include <tether/xdr.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_client tether_client;
typedef struct tether_server tether_server;

/* Generic async completion: res points to the procedure's result type and
 * is valid only during the callback (NULL unless st is TETHER_OK).
 * Called on the connection's loop thread. */
typedef void (*tether_done_fn)(tether_status st, void *res, void *ud);

/* Blocking call on the client's connection: encodes *arg, waits for the
 * reply or the deadline (0: the client's default), decodes into *res with
 * memory from arena (caller resets/frees it). The calling thread does its
 * own I/O. */
TETHER_API TETHER_WUR tether_status tether_call(tether_client *c,
						const tether_proc_desc *pd,
						const void *arg, void *res,
						tether_arena *arena,
						uint32_t deadline_ms);

/* Asynchronous call on a connection (a client's, or the one a server
 * handler got its call on, for callbacks). Returns at once; done (a typed
 * completion cast by pd->complete, or a tether_done_fn when pd->complete
 * is NULL) runs exactly once on the connection's loop thread with the
 * result or an error. *arg is encoded before this returns (borrowed). */
TETHER_API TETHER_WUR tether_status tether_call_async(tether_conn *conn,
						      const tether_proc_desc *pd,
						      const void *arg,
						      uint32_t deadline_ms,
						      tether_generic_fn done,
						      void *ud);

/* Serves version vd of a program on every connection of s. handlers is a
 * generated handler table (borrowed; must outlive s); ud is returned by
 * tether_ctx_userdata(). */
TETHER_API TETHER_WUR tether_status tether_server_register(
	tether_server *s, const tether_version_desc *vd, const void *handlers,
	void *ud);

/* Serves vd on the client's own connection, for callbacks from the server
 * (the client never listens). Calls of unregistered programs are answered
 * PROG_UNAVAIL. */
TETHER_API TETHER_WUR tether_status tether_client_register(
	tether_client *c, const tether_version_desc *vd, const void *handlers,
	void *ud);

/* The connection of a client, for tether_call_async(); borrowed, valid
 * while the client lives. */
TETHER_API tether_conn *tether_client_conn(tether_client *c);

/* ---- inside a handler ------------------------------------------------- */

/* The connection the call arrived on (to call back); borrowed. */
TETHER_API tether_conn *tether_ctx_conn(tether_call_ctx *ctx);
/* Memory for the result, freed after the reply is sent. */
TETHER_API tether_arena *tether_ctx_arena(tether_call_ctx *ctx);
TETHER_API void *tether_ctx_userdata(tether_call_ctx *ctx);
/* Sends the reply of a call whose handler returned TETHER_E_DEFERRED; res
 * is encoded before this returns (borrowed). May be called from any thread:
 * off the connection's loop thread the encoded reply is posted to the loop.
 * After it, ctx is gone. */
TETHER_API TETHER_WUR tether_status tether_ctx_reply(tether_call_ctx *ctx,
						     const void *res);
/* Ends a deferred call with an error instead; any thread, as above. */
TETHER_API void tether_ctx_fail(tether_call_ctx *ctx, tether_status st);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_CALL_H */
