/* SPDX-License-Identifier: MIT */
/*
 * conn_in.c - the engine's input side and clock: record reassembly (RFC
 * 5531 §11, via rm.h), dispatch of each record as a CALL or a REPLY (§9),
 * backpressure, and the deadlines fired by tt_conn_tick().
 */
#include <string.h>

#include "conn/conn_int.h"
#include "xdr/wire.h"

/* ---- records ------------------------------------------------------------ */

/* Wraps a taken record into an event message (owning the record). */
static conn_msg *msg_new(tt_conn *c, tt_rm_record *rec)
{
	conn_msg *m = tt_conn__alloc(c, sizeof(*m));
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	c->mem += m->rec.cap;
	return m;
}

static void record_drop(tt_rm_record *rec)
{
	tt_rm_record_free(rec);
}

/* RFC 5531 §9: a CALL whose rpcvers is not 2 gets MSG_DENIED /
 * RPC_MISMATCH with the versions we support (2..2); the layout of the rest
 * of such a message is not ours to decode. */
static bool answer_rpc_mismatch(tt_conn *c, const tt_rm_record *rec)
{
	if (rec->len < 12 || tt_xdr_get32(rec->data + 4) != TT_MSG_CALL ||
	    tt_xdr_get32(rec->data + 8) == TT_RPC_VERS)
		return false;
	c->st.rpc_mismatch++;
	tether_status st = tt_conn__queue_error(c, tt_xdr_get32(rec->data),
						TETHER_E_RPC_MISMATCH,
						TT_RPC_VERS, TT_RPC_VERS);
	if (st == TETHER_E_NOMEM)
		tt_conn__fail(c, st);
	return true;
}

static void on_call(tt_conn *c, tt_rm_record *rec, const tt_rpc_msg *m,
		    const tether_dec *d)
{
	if (c->draining) {
		/* Shutting down: answer rather than leave the peer waiting. */
		c->st.refused_in_drain++;
		if (tt_conn__queue_error(c, m->xid, TETHER_E_SYSTEM_ERR, 0,
					 0) == TETHER_E_NOMEM)
			tt_conn__fail(c, TETHER_E_NOMEM);
		record_drop(rec);
		return;
	}
	conn_msg *msg = msg_new(c, rec);
	if (msg == NULL) {
		record_drop(rec);
		tt_conn__fail(c, TETHER_E_NOMEM);
		return;
	}
	/* The views point into the record bytes, now owned by msg. */
	tt_event *ev = &msg->ev;
	ev->type = TT_EV_CALL;
	ev->xid = m->xid;
	ev->call_id = ++c->next_call_id;
	ev->call = m->u.call;
	ev->body = d->left ? d->p : NULL;
	ev->body_len = d->left;
	msg->inb = c->inflight;
	c->inflight = msg;
	c->ninflight++;
	c->st.calls_in++;
	tt_conn__fifo_push(c, msg);
}

static void on_reply(tt_conn *c, tt_rm_record *rec, const tt_rpc_msg *m,
		     const tether_dec *d)
{
	conn_slot *s = tt_conn__slot_find(c, m->xid);
	if (s == NULL) {
		/* DESIGN §2: unmatched (never issued, expired, cancelled or
		 * already answered): dropped and counted. */
		c->st.unmatched_replies++;
		record_drop(rec);
		return;
	}
	conn_msg *msg = msg_new(c, rec);
	if (msg == NULL) {
		record_drop(rec);
		tt_conn__slot_fail(c, s, TETHER_E_NOMEM);
		return;
	}
	tt_event *ev = &msg->ev;
	ev->type = TT_EV_REPLY;
	ev->xid = m->xid;
	ev->cookie = s->cookie;
	ev->reply = m->u.reply;
	ev->status = tt_rpc_reply_status(&m->u.reply);
	if (ev->status == TETHER_OK && d->left > 0) {
		ev->body = d->p;
		ev->body_len = d->left;
	}
	memset(s, 0, sizeof(*s));
	c->nactive--;
	c->nused--;
	c->consec_expired = 0;
	c->st.replies_in++;
	tt_conn__fifo_push(c, msg);
}

/* A REPLY whose header does not decode: if it names one of our calls, that
 * call fails with TETHER_E_BAD_REPLY; otherwise it is unmatched. */
static bool bad_reply(tt_conn *c, const tt_rm_record *rec)
{
	if (rec->len < 8 || tt_xdr_get32(rec->data + 4) != TT_MSG_REPLY)
		return false;
	conn_slot *s = tt_conn__slot_find(c, tt_xdr_get32(rec->data));
	if (s == NULL) {
		c->st.unmatched_replies++;
		return true;
	}
	c->st.bad_replies++;
	tt_conn__slot_fail(c, s, TETHER_E_BAD_REPLY);
	return true;
}

static void on_record(tt_conn *c)
{
	tt_rm_record rec;
	tether_dec d;
	tt_rpc_msg m;
	if (tt_rm_dec_take(&c->rm, &rec) != TETHER_OK)
		return;
	c->st.records_in++;
	if (answer_rpc_mismatch(c, &rec)) {
		record_drop(&rec);
		return;
	}
	tether_dec_init(&d, rec.data, rec.len, NULL);
	tether_status st = tt_rpc_decode(&d, &m);
	if (st != TETHER_OK) {
		if (!bad_reply(c, &rec)) {
			/* A CALL header we cannot read (or an unknown message
			 * type): the peer does not speak the protocol. */
			c->st.malformed++;
			tt_conn__fail(c, st);
		}
		record_drop(&rec);
		return;
	}
	if (m.type == TT_MSG_CALL)
		on_call(c, &rec, &m, &d);
	else
		on_reply(c, &rec, &m, &d);
}

/* ---- bytes in ----------------------------------------------------------- */

/* Only while calls are in flight: answering them is what frees memory, so
 * with none the engine always takes the next record (never a stall for
 * good, whatever max_mem is). */
static bool over_mem(const tt_conn *c)
{
	return c->ninflight > 0 && tt_conn_mem(c) > c->o.max_mem;
}

static bool backpressured(const tt_conn *c)
{
	return c->ninflight >= c->o.max_inbound ||
	       tt_conn__out_pending(c) > c->o.max_out_bytes || over_mem(c);
}

size_t tt_conn_in_need(const tt_conn *c)
{
	if (c == NULL || c->err != TETHER_OK)
		return 0;
	return tt_rm_dec_frag_left(&c->rm);
}

bool tt_conn_wants_input(const tt_conn *c)
{
	if (c == NULL || c->err != TETHER_OK)
		return false;
	return tt_rm_dec_in_record(&c->rm) || !backpressured(c);
}

static void count_limit(tt_conn *c, tether_status st)
{
	if (st == TETHER_E_RM_TOO_LARGE)
		c->st.rec_too_large++;
	else if (st == TETHER_E_RM_FRAGMENTS)
		c->st.rec_fragments++;
}

/*
 * True when the next record in in[0..len) is visibly a REPLY: its first
 * fragment header (RFC 5531 §11) and the xid and msg_type words (§9) are
 * all in the bytes offered. Replies are taken even under backpressure:
 * they free our call slots and add no work, and refusing them could stall
 * two peers that each wait for the other's answers to their callbacks.
 */
static bool reply_ahead(const uint8_t *in, size_t len)
{
	if (len < 12)
		return false;
	uint32_t frag = tt_xdr_get32(in) & ~TT_RM_LAST;
	return frag >= 8 && tt_xdr_get32(in + 8) == TT_MSG_REPLY;
}

tether_status tt_conn_in(tt_conn *c, const uint8_t *in, size_t len,
			 size_t *used)
{
	if (used == NULL)
		return TETHER_E_INVAL;
	*used = 0;
	if (c == NULL || (in == NULL && len != 0))
		return TETHER_E_INVAL;
	while (c->err == TETHER_OK && *used < len) {
		bool was_in = tt_rm_dec_in_record(&c->rm);
		/* Backpressure is applied between records only: a record
		 * already started is finished (it is bounded by max_record
		 * and its own deadline). */
		if (!was_in && backpressured(c) &&
		    !reply_ahead(in + *used, len - *used)) {
			c->st.in_stalls++;
			c->st.mem_stalls += over_mem(c);
			break;
		}
		size_t n = 0;
		tether_status st =
		    tt_rm_dec_feed(&c->rm, in + *used, len - *used, &n);
		*used += n;
		c->st.bytes_in += n;
		if (n > 0)
			c->last_activity = c->now;
		if (!was_in && n > 0)
			c->rec_start =
			    c->now; /* DESIGN §2: from its 1st byte */
		if (st == TETHER_OK) {
			on_record(c);
		} else if (st != TETHER_E_NEED_MORE) {
			count_limit(c, st);
			tt_conn__fail(c, st);
		}
	}
	tt_conn__check_drain(c);
	tt_conn__out_trim(c);
	return c->err;
}

/* ---- the clock ---------------------------------------------------------- */

static void expire_calls(tt_conn *c)
{
	for (uint32_t i = 0; i < c->o.max_outbound; i++) {
		conn_slot *s = &c->slots[i];
		if (s->state != SLOT_ACTIVE || s->deadline > c->now)
			continue;
		tt_conn__slot_fail(c, s, TETHER_E_TIMEOUT);
		c->st.expired++;
		c->consec_expired++;
	}
	/* DESIGN §6: a peer that keeps not answering is cut off. */
	if (c->o.max_expiries != UINT32_MAX &&
	    c->consec_expired >= c->o.max_expiries) {
		c->st.unresponsive++;
		tt_conn__fail(c, TETHER_E_UNRESPONSIVE);
	}
}

static uint64_t add_ms(uint64_t t, uint32_t ms)
{
	return ms == UINT32_MAX || t > UINT64_MAX - ms ? UINT64_MAX : t + ms;
}

static bool idle_eligible(const tt_conn *c)
{
	return c->nactive == 0 && c->ninflight == 0;
}

static uint64_t record_deadline(const tt_conn *c)
{
	if (!tt_rm_dec_in_record(&c->rm))
		return UINT64_MAX;
	return add_ms(c->rec_start, c->o.record_timeout_ms);
}

static uint64_t idle_deadline(const tt_conn *c)
{
	if (!idle_eligible(c))
		return UINT64_MAX;
	return add_ms(c->last_activity, c->o.idle_timeout_ms);
}

void tt_conn_tick(tt_conn *c, uint64_t now_ms)
{
	if (c == NULL)
		return;
	if (now_ms > c->now)
		c->now = now_ms;
	if (c->err != TETHER_OK)
		return;
	expire_calls(c);
	if (c->err == TETHER_OK && c->now >= record_deadline(c)) {
		c->st.rec_timeouts++;
		tt_conn__fail(c, TETHER_E_RM_TIMEOUT);
	}
	if (c->err == TETHER_OK && c->now >= idle_deadline(c)) {
		c->st.idle_timeouts++;
		tt_conn__fail(c, TETHER_E_IDLE);
	}
	tt_conn__check_drain(c);
	tt_conn__out_trim(c);
}

uint64_t tt_conn_next_deadline(const tt_conn *c)
{
	if (c == NULL || c->err != TETHER_OK)
		return UINT64_MAX;
	uint64_t t = record_deadline(c);
	uint64_t idle = idle_deadline(c);
	if (idle < t)
		t = idle;
	for (uint32_t i = 0; i < c->o.max_outbound; i++)
		if (c->slots[i].state == SLOT_ACTIVE &&
		    c->slots[i].deadline < t)
			t = c->slots[i].deadline;
	return t;
}
