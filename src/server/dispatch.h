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
	atomic_bool cancelled;	    /* CANCEL from the peer (any thread) */
	bool answered; /* reply decided and queued: CANCEL cannot find it */
	uint32_t flavor, rule;	    /* audit: cred flavor, policy rule */
	uint64_t t0_us, bytes_in;   /* audit */
	uint64_t deadline_ms;	    /* monotonic; UINT64_MAX: none */
	uint64_t causality;	    /* from the context credential; 0: none */
	tether_call_ctx *next, *prev;
};

/* Handles one TT_EV_CALL on c (owning thread). */
void tt_dispatch(tether_conn *c, const tt_event *ev);

/* The inbound call whose handler runs on this thread now (inline or on a
 * worker), or NULL: the parent of callbacks it makes (audit). */
extern _Thread_local tether_call_ctx *tt_ctx_current;

/* Finds the live inbound call xid of c whose reply is not decided yet
 * (loop thread); NULL if none. */
tether_call_ctx *tt_ctx_find(tether_conn *c, uint32_t xid);

/* Frees ctx (the call is released unanswered if still open). */
void tt_ctx_release(tether_call_ctx *ctx);

#endif /* TT_SERVER_DISPATCH_H */
