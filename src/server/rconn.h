/* SPDX-License-Identifier: MIT */
/*
 * rconn.h - the runtime side of one connection, shared by servers and
 * clients: the programs it serves (dispatch through descriptors), the call
 * contexts of inbound calls, and outbound calls with their completions.
 * It drains engine events; the driver (libuv or blocking) moves bytes.
 */
#ifndef TT_SERVER_RCONN_H
#define TT_SERVER_RCONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include <tether/call.h>

#include "conn/conn.h"
#include "io/drv.h"
#include "server/sec.h"

/* Discards a status on purpose (gcc ignores (void) on warn_unused_result). */
#define TT_IGNORE(x)                                                           \
	do {                                                                   \
		tether_status tt__ign = (x);                                   \
		(void)tt__ign;                                                 \
	} while (0)

/* ---- registry of served programs -------------------------------------- */

typedef struct tt_reg_entry {
	const tether_version_desc *vd;
	const void *handlers;
	void *ud;
	bool blocking; /* handlers run on the worker pool */
} tt_reg_entry;

typedef struct tt_registry {
	tt_reg_entry *v;
	size_t n, cap;
} tt_registry;

/* Adds vd; TETHER_E_INVAL if (prog, vers) is already there or vd is
 * malformed, TETHER_E_NOMEM. */
tether_status tt_reg_add(tt_registry *r, const tether_version_desc *vd,
			 const void *handlers, void *ud, bool blocking);
void tt_reg_free(tt_registry *r);

/* ---- the runtime connection ------------------------------------------- */

enum { TT_RCONN_MAGIC = 0x74436f6eu };

/* A budget shared by every connection of a server (DESIGN §6): bytes
 * reserved by calls in flight (their argument arenas). Past max, new calls
 * are answered SYSTEM_ERR; calls already in flight continue. */
typedef struct tt_budget {
	atomic_size_t used;
	size_t max; /* 0: no budget */
	atomic_uint_least64_t refused;
	/* Why connections ended (their TT_EV_CLOSED status), server-wide. */
	atomic_uint_least64_t closed_unresponsive, closed_idle,
	    closed_malformed, closed_handshake;
	/* Engine limit counters (tt_conn_counters) of ended connections. */
	atomic_uint_least64_t in_stalls, mem_stalls, out_busy, out_full,
	    expired, unmatched_replies, rpc_mismatch;
} tt_budget;

typedef struct tt_rconn_owner {
	/* The transport is gone and no context refers to the connection any
	 * more: the owner unlinks and frees it (tt_rconn_destroy). */
	void (*gone)(tether_conn *c);
} tt_rconn_owner;

struct tether_conn {
	uint32_t magic;
	tt_conn *eng;
	const tt_registry *reg;
	tt_io_pool *pool;    /* blocking handlers; may be NULL */
	tt_budget *budget;   /* the server's; NULL for clients */
	uint32_t max_record; /* budget of a handler's arena */
	tt_io_loop *loop;    /* owning loop; NULL: blocking mode */
	tt_io_conn *io;	     /* libuv driver while attached */
	uv_mutex_t *mu;	     /* blocking mode: held while doing I/O */
	tt_io_xport *bx;     /* blocking mode transport (the client's) */
	tether_peer_identity *identity; /* peer's (TLS, Unix), or NULL */
	tt_peer peer;
	atomic_uint refs;      /* contexts + tasks in flight to the loop */
	bool transport_closed; /* the driver is gone */
	bool draining;	       /* inside tt_rconn_drain */
	_Atomic tether_status
	    status;	       /* TT_EV_CLOSED's; OK before. Any thread */
	tether_call_ctx *ctxs; /* live inbound contexts */
	const tt_rconn_owner *owner;
	void *owner_ud;
	const tt_sec *sec; /* the server's security components; NULL: client */
	tt_caud *aud;	   /* audit facts of this connection; NULL: client */
	const tether_peer_identity *local_identity; /* ours (callbacks' audit) */
	atomic_bool send_ctx; /* client: the peer takes the context credential */
	tether_conn *next, *prev; /* the owner's list */
};

/* The blocking-mode connection whose mutex this thread holds while doing
 * its I/O (callbacks and completions run inside it), or NULL. */
extern _Thread_local tether_conn *tt_rconn_io_thread;

/* Initializes c around eng (borrowed until tt_rconn_destroy frees it). */
void tt_rconn_init(tether_conn *c, tt_conn *eng, const tt_registry *reg,
		   tt_io_pool *pool, uint32_t max_record, tt_io_loop *loop);

/* Drains the engine's events: dispatches inbound calls, completes outbound
 * ones. On the owning thread. */
void tt_rconn_drain(tether_conn *c);

/* After an engine change outside tt_rconn_drain (a deferred reply, a call
 * made from a completion): flush and re-arm. Owning thread. */
void tt_rconn_kick(tether_conn *c);

/* The libuv driver closed the transport; frees c when nothing refers to
 * it. Loop thread. */
void tt_rconn_transport_closed(tether_conn *c);

/* Releases every context still alive (deferred calls never answered),
 * frees the engine. c itself belongs to the owner. */
void tt_rconn_destroy(tether_conn *c);

/* The libuv driver callbacks for a tether_conn (ud is the conn). */
extern const tt_io_conn_cbs tt_rconn_io_cbs;

/* ---- outbound calls ---------------------------------------------------- */

/* A blocking call waiting for its reply (stack object of the caller). */
typedef struct tt_waiter {
	bool done;
	tether_status st;
	void *res;
	tether_arena *arena;
	uv_mutex_t *mu; /* when another thread completes it */
	uv_cond_t *cv;
} tt_waiter;

/* Starts a call on the owning thread; w receives the result. Returns the
 * engine's refusal (then w is never completed). */
tether_status tt_rconn_call_sync(tether_conn *c, const tether_proc_desc *pd,
				 const void *arg, const uint8_t *body,
				 size_t body_len, uint32_t deadline_ms,
				 tt_waiter *w);
/* Completes w with st (wakes its thread when w->cv is set). */
void tt_waiter_finish(tt_waiter *w, tether_status st);

/* Encodes *arg (of pd's argument type) into a fresh buffer. */
tether_status tt_rconn_encode_args(const tether_proc_desc *pd, const void *arg,
				   uint32_t max, tether_enc *e);

#endif /* TT_SERVER_RCONN_H */
