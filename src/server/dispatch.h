/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - inbound calls: program/version/procedure lookup, argument
 * decoding into a per-call arena, handler invocation (inline or on the
 * worker pool), replies now or deferred.
 */
#ifndef TT_SERVER_DISPATCH_H
#define TT_SERVER_DISPATCH_H

#include "server/rconn.h"

struct tether_call_ctx {
	tether_conn *conn;
	uint64_t call_id;
	uint32_t xid;
	const tether_proc_desc *pd;
	const tt_reg_entry *ent;
	tether_arena *arena;
	size_t reserved; /* from the server's budget */
	void *arg, *res;
	tether_status st; /* the handler's status (worker pool) */
	uint64_t received_ms;
	bool deferred;
	struct posted_reply *early; /* a reply that came before DEFERRED */
	bool null_proc; /* procedure 0: PROC_UNAVAIL from it means success */
	tether_call_ctx *next, *prev;
};

/* Handles one TT_EV_CALL on c (owning thread). */
void tt_dispatch(tether_conn *c, const tt_event *ev);

/* Frees ctx (the call is released unanswered if still open). */
void tt_ctx_release(tether_call_ctx *ctx);

#endif /* TT_SERVER_DISPATCH_H */
