/* SPDX-License-Identifier: MIT */
/*
 * conn.h - the sans-I/O connection engine: one tt_conn per connection.
 * Bytes in -> events out, calls out -> bytes out, the clock injected
 * (DESIGN §2, §3, §6; STYLE 7, 13, 15). No sockets, threads or clock reads.
 *
 * Driver loop (libuv, blocking or the test simulator):
 *   - bytes read from the transport go to tt_conn_in() (it may consume
 *     fewer than offered: backpressure; stop reading while
 *     tt_conn_wants_input() is false and offer the rest later);
 *   - tt_conn_out_buf() / tt_conn_out_ack() give bytes to write;
 *   - tt_conn_next_event() drains events after every tt_conn_* call;
 *   - tt_conn_tick(now) whenever the clock passes tt_conn_next_deadline();
 *   - on EOF/reset/TLS failure: tt_conn_abort(c, TETHER_E_CLOSED / ...);
 *   - after TT_EV_CLOSED: flush tt_conn_out_buf() if possible, close the
 *     transport, tt_conn_free().
 * Thread rules: a tt_conn is not thread-safe; one thread (its loop) at a
 * time. Every function here is O(limits) and never blocks.
 *
 * Exactly once: every outbound call accepted by tt_conn_call() produces
 * exactly one TT_EV_REPLY or TT_EV_CALL_FAILED carrying its cookie, unless
 * the connection is freed first (tt_conn_free() emits nothing: abort and
 * drain events before freeing if completions matter).
 */
#ifndef TT_CONN_H
#define TT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/desc.h>
#include <tether/status.h>
#include <tether/xdr.h>

#include "rpc/rpc.h"

typedef struct tt_conn tt_conn;

/* Which end of the transport this engine is. Both roles may send and
 * receive CALLs (DESIGN §2); the role only names the side in docs, stats
 * and future TLS/probe hooks. */
typedef enum tt_conn_role {
	TT_CONN_CLIENT = 0, /* opened the connection */
	TT_CONN_SERVER = 1  /* accepted it */
} tt_conn_role;

/* Defaults (DESIGN §7; docs/internals/conn.md keeps the table). */
enum {
	TT_CONN_DEFAULT_MAX_RECORD = 4 * 1024 * 1024,
	TT_CONN_DEFAULT_MAX_FRAGMENTS = 1024,
	TT_CONN_DEFAULT_RECORD_TIMEOUT_MS = 30 * 1000,
	TT_CONN_DEFAULT_MAX_INBOUND = 128,
	TT_CONN_DEFAULT_MAX_OUTBOUND = 16,
	TT_CONN_DEFAULT_CALL_DEADLINE_MS = 5 * 1000,
	TT_CONN_DEFAULT_MAX_EXPIRIES = 4,
	TT_CONN_DEFAULT_MAX_OUT_BYTES = 8 * 1024 * 1024,
	TT_CONN_DEFAULT_IDLE_TIMEOUT_MS = 120 * 1000,
	TT_CONN_DEFAULT_MAX_MEM = 16 * 1024 * 1024
};

/*
 * Options, copied by tt_conn_new(). Fill with tt_conn_opts_init() then
 * change fields. Every limit has its own status and counter (STYLE 15).
 * A 0 in a limit field means "the default" unless said otherwise.
 */
typedef struct tt_conn_opts {
	/* Largest record accepted or sent (bytes, without marks). Inbound:
	 * TETHER_E_RM_TOO_LARGE, sticky (counter rec_too_large). Outbound:
	 * tt_conn_call / tt_conn_reply return TETHER_E_TOO_LARGE. */
	uint32_t max_record;
	/* Fragments per inbound record: TETHER_E_RM_FRAGMENTS, sticky
	 * (counter rec_fragments). */
	uint32_t max_fragments;
	/* A record must complete within this many ms of its first byte (slow
	 * drip): TETHER_E_RM_TIMEOUT, sticky (counter rec_timeouts).
	 * UINT32_MAX disables. */
	uint32_t record_timeout_ms;
	/* Inbound calls in flight (received, not yet answered or dropped):
	 * at the limit tt_conn_in() stops consuming before the next record
	 * (backpressure; counter in_stalls). */
	uint32_t max_inbound;
	/* Outbound calls outstanding: tt_conn_call() returns TETHER_E_BUSY
	 * (counter out_busy). */
	uint32_t max_outbound;
	/* Deadline of an outbound call when the caller gives 0. */
	uint32_t call_deadline_ms;
	/* Consecutive outbound calls that may expire (no matched reply in
	 * between) before the peer is cut off: sticky
	 * TETHER_E_UNRESPONSIVE (counter unresponsive). UINT32_MAX disables. */
	uint32_t max_expiries;
	/* Output bytes buffered (written by the engine, not yet acked) past
	 * which tt_conn_call() returns TETHER_E_BUSY (counter out_full) and
	 * tt_conn_in() stops consuming (the peer is not reading). Replies are
	 * always queued: they are bounded by max_inbound. */
	uint32_t max_out_bytes;
	/* No traffic and nothing in flight for this long: sticky
	 * TETHER_E_IDLE (counter idle_timeouts). UINT32_MAX disables. */
	uint32_t idle_timeout_ms;
	/* Bytes the engine may hold (tt_conn_mem: buffers and the records of
	 * inbound calls in flight) before tt_conn_in() stops consuming before
	 * the next record (backpressure, like max_inbound; counter
	 * mem_stalls). A record already started is finished, so the engine
	 * may exceed it by one record. Without it, max_inbound calls of
	 * max_record bytes could pin 512 MiB per connection. */
	uint32_t max_mem;
	/* First XID this side uses (then +1 per call, skipping XIDs still
	 * outstanding). Seeded by the driver so the engine is deterministic;
	 * 0 is a valid seed. */
	uint32_t xid_seed;
	/* The engine's clock at creation (ms, any monotonic origin). */
	uint64_t now_ms;
} tt_conn_opts;

/* Fills o with the defaults (xid_seed 0, now_ms 0). */
void tt_conn_opts_init(tt_conn_opts *o);

/* Creates an engine. o may be NULL (defaults). Allocates only the handle
 * and the outbound call table; buffers are allocated lazily and released
 * when idle. Returns TETHER_OK, TETHER_E_INVAL (c == NULL, bad role,
 * max_record > 2^31-1) or TETHER_E_NOMEM. Caller frees with tt_conn_free().
 */
TETHER_WUR tether_status tt_conn_new(const tt_conn_opts *o, tt_conn_role role,
				     tt_conn **out);
/* Frees c and everything it holds (borrowed event/call views die with it).
 * Emits no events. c may be NULL. */
void tt_conn_free(tt_conn *c);

/* ---- bytes ------------------------------------------------------------- */

/*
 * Offers in[0..len) (borrowed for the call); *used is set to the bytes
 * consumed, which is less than len under backpressure (inbound calls at
 * max_inbound, output over max_out_bytes) or after a failure. Offer the
 * rest again later. Returns TETHER_OK (also under backpressure) or the
 * sticky status once the connection has failed (then *used is 0).
 * Errors that make it fail: TETHER_E_RM_TOO_LARGE, TETHER_E_RM_FRAGMENTS,
 * TETHER_E_RPC_MSG / E_RPC_MSG_TYPE / E_XDR_SHORT / E_XDR_PADDING
 * (malformed RPC header), TETHER_E_NOMEM.
 */
TETHER_WUR tether_status tt_conn_in(tt_conn *c, const uint8_t *in, size_t len,
				    size_t *used);
/* True when tt_conn_in() would consume at least one byte now (not failed,
 * not backpressured). A driver stops reading the transport while false. */
bool tt_conn_wants_input(const tt_conn *c);
/* Bytes the record being received still needs at least (the rest of its
 * current fragment), 0 when not known (between fragments or records). A
 * driver may read that much at once; the engine still buffers only bytes
 * received. */
size_t tt_conn_in_need(const tt_conn *c);

/* Bytes waiting to be written: *len bytes at the returned pointer, borrowed
 * until the next tt_conn_out_ack() or any other mutating tt_conn_* call.
 * Returns NULL with *len 0 when there is nothing. Still returns queued bytes
 * after the connection failed (what must still go out, STYLE 7). */
const uint8_t *tt_conn_out_buf(const tt_conn *c, size_t *len);
/* Marks the first n bytes of tt_conn_out_buf() as written (n <= *len). */
void tt_conn_out_ack(tt_conn *c, size_t n);

/* ---- clock ------------------------------------------------------------- */

/* Advances the engine's clock (values lower than the current one are
 * ignored) and fires what is due: outbound call deadlines
 * (TT_EV_CALL_FAILED with TETHER_E_TIMEOUT), the record deadline, the idle
 * timeout, the expiry limit. The only clock the engine has. */
void tt_conn_tick(tt_conn *c, uint64_t now_ms);
/* The earliest time tt_conn_tick() has something to do; UINT64_MAX: none. */
uint64_t tt_conn_next_deadline(const tt_conn *c);

/* ---- events ------------------------------------------------------------ */

typedef enum tt_event_type {
	TT_EV_NONE = 0,
	/* An inbound CALL. Answer it with tt_conn_reply*() or release it with
	 * tt_conn_drop_call() using call_id. */
	TT_EV_CALL,
	/* The reply to one of our calls (status is tt_rpc_reply_status(): OK
	 * for accepted SUCCESS, else the RPC error it maps to). */
	TT_EV_REPLY,
	/* One of our calls ended without a reply: status is TETHER_E_TIMEOUT
	 * (deadline), TETHER_E_CANCELLED (tt_conn_cancel), TETHER_E_BAD_REPLY
	 * (its reply header was malformed) or the connection's sticky status.
	 */
	TT_EV_CALL_FAILED,
	/* The connection is finished; always the last event. status is the
	 * sticky status (TETHER_E_SHUTDOWN after a clean tt_conn_shutdown). */
	TT_EV_CLOSED
} tt_event_type;

/*
 * One event. Views (cred/verf bodies, body) are borrowed:
 *  - TT_EV_CALL: the engine keeps a private copy of the record per inbound
 *    call; the views are valid until that call is answered
 *    (tt_conn_reply*), dropped (tt_conn_drop_call) or tt_conn_free(),
 *    whichever comes first, even after the connection failed.
 *  - TT_EV_REPLY: valid until the next tt_conn_next_event() or
 *    tt_conn_free().
 */
typedef struct tt_event {
	tt_event_type type;
	tether_status status; /* REPLY, CALL_FAILED, CLOSED */
	uint32_t xid;	      /* CALL: the peer's; REPLY/CALL_FAILED: ours */
	void *cookie;	      /* REPLY, CALL_FAILED: given to tt_conn_call */
	uint64_t call_id;     /* CALL: the handle to answer with (never 0) */
	tt_call_hdr call;     /* CALL: rpcvers (always 2), prog, vers, proc,
			       * cred, verf */
	tt_reply_hdr reply;   /* REPLY: the decoded reply header */
	const uint8_t *body;  /* CALL: arguments; REPLY: results (SUCCESS) */
	size_t body_len;
} tt_event;

/* Pops the next event into *ev; false (ev->type TT_EV_NONE) when there is
 * none. Order: replies and inbound calls in arrival order, call failures,
 * TT_EV_CLOSED last. */
bool tt_conn_next_event(tt_conn *c, tt_event *ev);

/* ---- outbound calls ---------------------------------------------------- */

typedef struct tt_conn_call_args {
	uint32_t prog, vers, proc;
	tt_opaque_auth cred; /* borrowed; {0} is AUTH_NONE */
	tt_opaque_auth verf; /* borrowed; {0} is AUTH_NONE */
	/* Arguments: encode(e, arg) when encode is non-NULL, else the
	 * pre-encoded XDR bytes body[0..body_len) (body may be NULL when
	 * body_len is 0: void arguments). Borrowed for the call. */
	tether_encode_fn encode;
	const void *arg;
	const uint8_t *body;
	size_t body_len;
	/* ms from the engine's now; 0: opts.call_deadline_ms. */
	uint32_t deadline_ms;
} tt_conn_call_args;

/*
 * Encodes record mark + CALL header (RFC 5531 §9, §11) + arguments into the
 * output buffer and registers the call; *xid_out (may be NULL) gets its XID.
 * cookie is returned in the call's one completion event.
 * Returns TETHER_OK, TETHER_E_BUSY (max_outbound calls outstanding or
 * output over max_out_bytes), TETHER_E_SHUTDOWN (after tt_conn_shutdown),
 * TETHER_E_TOO_LARGE (record over max_record), TETHER_E_INVAL (bad auth),
 * TETHER_E_NOMEM, the encoder's error, or the sticky status. On error
 * nothing was queued and no event will come for cookie.
 */
TETHER_WUR tether_status tt_conn_call(tt_conn *c, const tt_conn_call_args *a,
				      void *cookie, uint32_t *xid_out);
/* Ends outstanding call xid now with TT_EV_CALL_FAILED/TETHER_E_CANCELLED
 * (a late reply is then dropped as unmatched). Returns TETHER_OK or
 * TETHER_E_NOT_FOUND. */
TETHER_WUR tether_status tt_conn_cancel(tt_conn *c, uint32_t xid);

/* ---- answering inbound calls ------------------------------------------- */

/*
 * Answers inbound call call_id with an accepted SUCCESS reply: verf (NULL:
 * AUTH_NONE; borrowed) then encode(e, res) (encode NULL: void results).
 * The call's views die. Returns TETHER_OK, TETHER_E_NOT_FOUND (unknown or
 * already answered id), TETHER_E_TOO_LARGE (reply over max_record: the
 * call is then answered SYSTEM_ERR instead), TETHER_E_NOMEM (the call is
 * released unanswered), the encoder's error (answered SYSTEM_ERR), or the
 * sticky status (the call is released, nothing is sent).
 */
TETHER_WUR tether_status tt_conn_reply(tt_conn *c, uint64_t call_id,
				       const tt_opaque_auth *verf,
				       tether_encode_fn encode,
				       const void *res);
/* The same with pre-encoded result bytes res[0..len) (borrowed). */
TETHER_WUR tether_status tt_conn_reply_bytes(tt_conn *c, uint64_t call_id,
					     const tt_opaque_auth *verf,
					     const uint8_t *res, size_t len);
/*
 * Answers call_id with an error reply chosen by st (RFC 5531 §9):
 *   TETHER_E_PROG_UNAVAIL, E_PROC_UNAVAIL, E_GARBAGE_ARGS, E_SYSTEM_ERR:
 *       MSG_ACCEPTED with that accept_stat;
 *   TETHER_E_PROG_MISMATCH: MSG_ACCEPTED PROG_MISMATCH, low/high = a/b;
 *   TETHER_E_RPC_MISMATCH: MSG_DENIED RPC_MISMATCH, low/high = a/b;
 *   TETHER_E_AUTH_REJECTED: MSG_DENIED AUTH_ERROR, auth_stat = a;
 *   TETHER_E_RATE_LIMITED: MSG_ACCEPTED SYSTEM_ERR with the verifier
 *       TT_AUTH_TETHER_RATE, body = retry-after ms a (docs/protocol.md);
 *   TETHER_E_CANCELLED: MSG_ACCEPTED SYSTEM_ERR with TT_AUTH_TETHER_CANCEL;
 *   any other status: MSG_ACCEPTED SYSTEM_ERR.
 * Returns as tt_conn_reply().
 */
TETHER_WUR tether_status tt_conn_reply_error(tt_conn *c, uint64_t call_id,
					     tether_status st, uint32_t a,
					     uint32_t b);
/* Releases call_id without answering (its views die). Returns TETHER_OK or
 * TETHER_E_NOT_FOUND. */
TETHER_WUR tether_status tt_conn_drop_call(tt_conn *c, uint64_t call_id);

/* ---- ending ------------------------------------------------------------ */

/* Clean drain: new tt_conn_call()s fail with TETHER_E_SHUTDOWN, inbound
 * CALLs arriving from now on are answered SYSTEM_ERR by the engine;
 * outstanding calls finish (reply or deadline) and inbound calls in flight
 * get answered; then TT_EV_CLOSED with TETHER_E_SHUTDOWN. */
void tt_conn_shutdown(tt_conn *c);
/* Fails the connection now with why (e.g. TETHER_E_CLOSED on EOF,
 * TETHER_E_RESET, TETHER_E_TLS; TETHER_OK is taken as TETHER_E_CLOSED)
 * unless it already failed: every outstanding call gets
 * TT_EV_CALL_FAILED(why), undelivered inbound calls are dropped, then
 * TT_EV_CLOSED. */
void tt_conn_abort(tt_conn *c, tether_status why);
/* The sticky status: TETHER_OK while the connection is usable. */
tether_status tt_conn_status(const tt_conn *c);
/* True once TT_EV_CLOSED has been queued. */
bool tt_conn_closed(const tt_conn *c);

/* ---- accounting -------------------------------------------------------- */

/* Bytes currently held by c (handle, tables, buffers, records of inbound
 * calls), for per-connection and global memory budgets. */
size_t tt_conn_mem(const tt_conn *c);

/* Outbound calls outstanding and inbound calls in flight. */
uint32_t tt_conn_outstanding(const tt_conn *c);
uint32_t tt_conn_inflight(const tt_conn *c);

typedef struct tt_conn_counters {
	uint64_t bytes_in, bytes_out;	  /* consumed / acked */
	uint64_t records_in, records_out; /* whole records */
	uint64_t calls_out;		  /* accepted by tt_conn_call */
	uint64_t calls_in;		  /* TT_EV_CALL delivered or queued */
	uint64_t replies_in;		  /* matched replies */
	uint64_t replies_out;		  /* replies queued (ours + engine's) */
	uint64_t unmatched_replies;	  /* dropped: XID not outstanding */
	uint64_t bad_replies;		  /* matched, header malformed */
	uint64_t rpc_mismatch;		  /* rpcvers != 2, answered by us */
	uint64_t expired;		  /* outbound calls timed out */
	uint64_t cancelled;		  /* tt_conn_cancel */
	uint64_t out_busy;		  /* E_BUSY: max_outbound */
	uint64_t out_full;		  /* E_BUSY: max_out_bytes */
	uint64_t in_stalls;		  /* tt_conn_in stopped: backpressure */
	uint64_t rec_too_large;		  /* limit hits (each also sticky) */
	uint64_t rec_fragments;
	uint64_t rec_timeouts;
	uint64_t unresponsive;
	uint64_t idle_timeouts;
	uint64_t malformed;	   /* inbound records with a malformed header */
	uint64_t refused_in_drain; /* CALLs answered SYSTEM_ERR in shutdown */
	uint64_t dropped_calls;	   /* inbound calls released unanswered */
	uint64_t mem_stalls;	   /* tt_conn_in stopped: max_mem */
} tt_conn_counters;

/* Copies c's counters into *out. */
void tt_conn_stats(const tt_conn *c, tt_conn_counters *out);

#endif /* TT_CONN_H */
