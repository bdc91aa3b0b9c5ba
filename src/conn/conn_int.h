/* SPDX-License-Identifier: MIT */
/*
 * conn_int.h - private state of the connection engine, shared by conn.c
 * (lifecycle, events), conn_in.c (bytes in, clock) and conn_out.c (bytes
 * out, calls, replies). Not for use outside src/conn.
 */
#ifndef TT_CONN_INT_H
#define TT_CONN_INT_H

#include "common/tt.h"
#include "conn/conn.h"
#include "rpc/rm.h"

/* An inbound record that became an event: a CALL (kept until answered) or
 * a matched REPLY (kept until the next event is taken). */
typedef struct conn_msg {
	struct conn_msg *next; /* event FIFO */
	struct conn_msg *inb;  /* inbound calls in flight (CALL only) */
	bool queued;	       /* still in the event FIFO */
	tt_rm_record rec;      /* owns the record bytes the views point to */
	tt_event ev;
} conn_msg;

enum { SLOT_FREE = 0, SLOT_ACTIVE, SLOT_FAILED };

/* One outbound call (the XID table). */
typedef struct conn_slot {
	uint32_t xid;
	uint8_t state;
	tether_status why; /* SLOT_FAILED: the status of its event */
	uint64_t deadline;
	void *cookie;
} conn_slot;

struct tt_conn {
	tt_conn_opts o;
	tt_conn_role role;
	tether_status err; /* sticky; TETHER_OK while usable */
	bool draining;
	bool closed_queued, closed_done;
	uint64_t now;
	uint64_t last_activity;
	uint64_t rec_start; /* first byte of the record being received */

	tt_rm_dec rm;

	uint8_t *out; /* out[off..len) waits to be written */
	size_t out_cap, out_off, out_len;

	conn_slot *slots;	 /* o.max_outbound entries */
	uint32_t nactive, nused; /* ACTIVE slots; non-FREE slots */
	uint32_t next_xid;
	uint32_t consec_expired;

	conn_msg *fifo_head, *fifo_tail;
	conn_msg *inflight; /* list through ->inb */
	uint32_t ninflight;
	uint64_t next_call_id;
	conn_msg *cur; /* the REPLY whose views were handed out last */

	size_t mem; /* bytes held, excluding the record being reassembled */
	tt_conn_counters st;
};

/* conn.c */
void tt_conn__fail(tt_conn *c, tether_status why);
void tt_conn__check_drain(tt_conn *c);
void *tt_conn__alloc(tt_conn *c, size_t n);
void tt_conn__free(tt_conn *c, void *p, size_t n);
void tt_conn__msg_free(tt_conn *c, conn_msg *m);
void tt_conn__fifo_push(tt_conn *c, conn_msg *m);
void tt_conn__slot_fail(tt_conn *c, conn_slot *s, tether_status why);
conn_slot *tt_conn__slot_find(tt_conn *c, uint32_t xid);

/* conn_out.c */
size_t tt_conn__out_pending(const tt_conn *c);
/* Releases an empty output buffer when nothing is in flight. */
void tt_conn__out_trim(tt_conn *c);
/* Queues a reply header (then results: encode/res or bytes) for xid. */
typedef struct conn_reply {
	uint32_t xid;
	tt_reply_hdr hdr;
	tether_encode_fn encode;
	const void *res;
	const uint8_t *bytes;
	size_t len;
} conn_reply;
tether_status tt_conn__queue_reply(tt_conn *c, const conn_reply *r);
/* Queues an error reply chosen by st (see tt_conn_reply_error). */
tether_status tt_conn__queue_error(tt_conn *c, uint32_t xid, tether_status st,
				   uint32_t a, uint32_t b);

#endif /* TT_CONN_INT_H */
