/* SPDX-License-Identifier: MIT */
/*
 * conn_out.c - the engine's output side: the buf/ack output buffer, and
 * outbound CALLs and REPLYs encoded straight into it (RFC 5531 §9, §11).
 */
#include <string.h>

#include "conn/conn_int.h"
#include "xdr/wire.h"

/* A fully drained buffer this small is kept while calls are in flight. */
#define OUT_KEEP 4096u
/* First guess for one message: grown (and the encoding redone) on
 * TETHER_E_TOO_LARGE. */
#define OUT_FIRST 512u

size_t tt_conn__out_pending(const tt_conn *c)
{
	return c->out_len - c->out_off;
}

const uint8_t *tt_conn_out_buf(const tt_conn *c, size_t *len)
{
	if (c == NULL || c->out_len == c->out_off) {
		*len = 0;
		return NULL;
	}
	*len = c->out_len - c->out_off;
	return c->out + c->out_off;
}

/* Releases the buffer once it is empty, unless it is small and work is in
 * flight (the next message would allocate it again at once). */
static void out_maybe_release(tt_conn *c)
{
	bool busy = c->nactive > 0 || c->ninflight > 0;
	if (c->out != NULL && (c->out_cap > OUT_KEEP || !busy)) {
		tt_conn__free(c, c->out, c->out_cap);
		c->out = NULL;
		c->out_cap = 0;
	}
}

void tt_conn__out_trim(tt_conn *c)
{
	if (c->out_len == c->out_off) {
		c->out_off = c->out_len = 0;
		out_maybe_release(c);
	}
}

void tt_conn_out_ack(tt_conn *c, size_t n)
{
	if (c == NULL)
		return;
	size_t pending = c->out_len - c->out_off;
	if (n > pending)
		n = pending;
	if (n == 0)
		return;
	c->out_off += n;
	c->st.bytes_out += n;
	c->last_activity = c->now;
	tt_conn__out_trim(c);
}

/* Makes room for n more bytes after out_len: compacts, then grows. */
static tether_status out_reserve(tt_conn *c, size_t n)
{
	if (c->out_cap - c->out_len >= n)
		return TETHER_OK;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_cap - c->out_len >= n)
			return TETHER_OK;
	}
	if (n > SIZE_MAX / 2 - c->out_len)
		return TETHER_E_TOO_LARGE;
	size_t cap = c->out_cap < OUT_FIRST ? OUT_FIRST : c->out_cap;
	while (cap - c->out_len < n)
		cap *= 2;
	uint8_t *p = tt_realloc(c->out, c->out_cap, cap);
	if (p == NULL)
		return TETHER_E_NOMEM;
	c->mem += cap - c->out_cap;
	c->out = p;
	c->out_cap = cap;
	return TETHER_OK;
}

typedef tether_status (*msg_writer)(tether_enc *e, const void *ctx);

/*
 * Appends one record: a 4-byte record mark, then what writer() encodes, in
 * place at the end of the output buffer. The window starts at `guess` and
 * doubles on TETHER_E_TOO_LARGE up to max_record; nothing is committed on
 * failure. RFC 5531 §11: every record goes out as one last fragment.
 */
static tether_status out_record(tt_conn *c, size_t guess, msg_writer writer,
				const void *ctx)
{
	size_t limit = (size_t)c->o.max_record;
	size_t want = guess < limit ? guess : limit;
	for (;;) {
		tether_enc e;
		TT_TRY(out_reserve(c, want + 4));
		tether_enc_init_fixed(&e, c->out + c->out_len + 4, want);
		tether_status st = writer(&e, ctx);
		if (st == TETHER_OK) {
			tt_rm_put_mark(c->out + c->out_len, (uint32_t)e.len,
				       true);
			c->out_len += 4 + e.len;
			c->st.records_out++;
			return TETHER_OK;
		}
		if (st != TETHER_E_TOO_LARGE || want >= limit)
			return st;
		want = want > limit / 2 ? limit : want * 2;
	}
}

/* Pre-encoded XDR bytes (RFC 4506 §3: a multiple of four). */
static tether_status put_bytes(tether_enc *e, const uint8_t *p, size_t n)
{
	uint8_t *dst;
	if (n == 0)
		return TETHER_OK;
	TT_TRY(tether_enc_reserve(e, n, &dst));
	memcpy(dst, p, n);
	return TETHER_OK;
}

/* ---- replies ------------------------------------------------------------ */

static tether_status write_reply(tether_enc *e, const void *ctx)
{
	const conn_reply *r = ctx;
	TT_TRY(tt_rpc_encode_reply(e, r->xid, &r->hdr));
	if (r->encode != NULL)
		return r->encode(e, r->res);
	return put_bytes(e, r->bytes, r->len);
}

tether_status tt_conn__queue_reply(tt_conn *c, const conn_reply *r)
{
	size_t guess = 64 + r->hdr.verf.len + r->len;
	if (r->encode == NULL && r->len > c->o.max_record)
		return TETHER_E_TOO_LARGE;
	TT_TRY(out_record(c, guess < OUT_FIRST ? OUT_FIRST : guess, write_reply,
			  r));
	c->st.replies_out++;
	return TETHER_OK;
}

/* RFC 5531 §9: the reply_body for each error the engine can send. */
tether_status tt_conn__queue_error(tt_conn *c, uint32_t xid, tether_status st,
				   uint32_t a, uint32_t b)
{
	conn_reply r;
	uint8_t retry[4];
	memset(&r, 0, sizeof(r));
	r.xid = xid;
	r.hdr.stat = TT_REPLY_ACCEPTED;
	switch (st) {
	case TETHER_E_RATE_LIMITED:
		/* docs/protocol.md: SYSTEM_ERR with tether's rate verifier,
		 * body = retry-after ms (a). */
		r.hdr.accept_stat = TT_SYSTEM_ERR;
		tt_xdr_put32(retry, a);
		r.hdr.verf.flavor = TT_AUTH_TETHER_RATE;
		r.hdr.verf.body = retry, r.hdr.verf.len = 4;
		break;
	case TETHER_E_CANCELLED:
		/* docs/protocol.md: the peer cancelled this call (CANCEL). */
		r.hdr.accept_stat = TT_SYSTEM_ERR;
		r.hdr.verf.flavor = TT_AUTH_TETHER_CANCEL;
		break;
	case TETHER_E_PROG_UNAVAIL:
		r.hdr.accept_stat = TT_PROG_UNAVAIL;
		break;
	case TETHER_E_PROG_MISMATCH:
		r.hdr.accept_stat = TT_PROG_MISMATCH;
		r.hdr.low = a, r.hdr.high = b;
		break;
	case TETHER_E_PROC_UNAVAIL:
		r.hdr.accept_stat = TT_PROC_UNAVAIL;
		break;
	case TETHER_E_GARBAGE_ARGS:
		r.hdr.accept_stat = TT_GARBAGE_ARGS;
		break;
	case TETHER_E_RPC_MISMATCH:
		r.hdr.stat = TT_REPLY_DENIED;
		r.hdr.reject_stat = TT_RPC_MISMATCH;
		r.hdr.low = a, r.hdr.high = b;
		break;
	case TETHER_E_AUTH_REJECTED:
		r.hdr.stat = TT_REPLY_DENIED;
		r.hdr.reject_stat = TT_AUTH_ERROR;
		r.hdr.auth_stat = a;
		break;
	default:
		r.hdr.accept_stat = TT_SYSTEM_ERR;
		break;
	}
	return tt_conn__queue_reply(c, &r);
}

/* ---- answering inbound calls -------------------------------------------- */

/* Unlinks inbound call id from the in-flight list; NULL if unknown. */
static conn_msg *inflight_take(tt_conn *c, uint64_t id)
{
	for (conn_msg **pp = &c->inflight; *pp != NULL; pp = &(*pp)->inb) {
		conn_msg *m = *pp;
		if (m->ev.call_id != id || m->queued)
			continue;
		*pp = m->inb;
		c->ninflight--;
		return m;
	}
	return NULL;
}

/* Sends r for call m (or SYSTEM_ERR if r cannot be encoded), then
 * releases m. */
static tether_status answer(tt_conn *c, conn_msg *m, conn_reply *r,
			    bool is_error, tether_status est, uint32_t a,
			    uint32_t b)
{
	tether_status st;
	uint32_t xid = m->ev.xid;
	tt_conn__msg_free(c, m);
	if (c->err != TETHER_OK) {
		c->st.dropped_calls++;
		return c->err;
	}
	if (is_error)
		st = tt_conn__queue_error(c, xid, est, a, b);
	else
		st = tt_conn__queue_reply(c, r);
	if (st != TETHER_OK && st != TETHER_E_NOMEM && !is_error) {
		/* The results could not be encoded: the caller still gets an
		 * answer rather than waiting for its deadline. */
		if (tt_conn__queue_error(c, xid, TETHER_E_SYSTEM_ERR, 0, 0) !=
		    TETHER_OK)
			c->st.dropped_calls++;
	} else if (st != TETHER_OK) {
		c->st.dropped_calls++;
	}
	c->last_activity = c->now;
	tt_conn__check_drain(c);
	return st;
}

static tether_status reply_common(tt_conn *c, uint64_t id,
				  const tt_opaque_auth *verf,
				  tether_encode_fn encode, const void *res,
				  const uint8_t *bytes, size_t len)
{
	if (c == NULL)
		return TETHER_E_INVAL;
	conn_msg *m = inflight_take(c, id);
	if (m == NULL)
		return TETHER_E_NOT_FOUND;
	conn_reply r;
	memset(&r, 0, sizeof(r));
	r.xid = m->ev.xid;
	r.hdr.stat = TT_REPLY_ACCEPTED;
	r.hdr.accept_stat = TT_ACCEPT_SUCCESS;
	if (verf != NULL)
		r.hdr.verf = *verf;
	r.encode = encode;
	r.res = res;
	r.bytes = bytes;
	r.len = len;
	if (encode == NULL && len % 4 != 0) {
		tether_status st =
		    answer(c, m, NULL, true, TETHER_E_SYSTEM_ERR, 0, 0);
		return st != TETHER_OK ? st : TETHER_E_INVAL;
	}
	return answer(c, m, &r, false, TETHER_OK, 0, 0);
}

tether_status tt_conn_reply(tt_conn *c, uint64_t call_id,
			    const tt_opaque_auth *verf, tether_encode_fn encode,
			    const void *res)
{
	return reply_common(c, call_id, verf, encode, res, NULL, 0);
}

tether_status tt_conn_reply_bytes(tt_conn *c, uint64_t call_id,
				  const tt_opaque_auth *verf,
				  const uint8_t *res, size_t len)
{
	if (res == NULL && len != 0)
		return TETHER_E_INVAL;
	return reply_common(c, call_id, verf, NULL, NULL, res, len);
}

tether_status tt_conn_reply_error(tt_conn *c, uint64_t call_id,
				  tether_status st, uint32_t a, uint32_t b)
{
	if (c == NULL)
		return TETHER_E_INVAL;
	conn_msg *m = inflight_take(c, call_id);
	if (m == NULL)
		return TETHER_E_NOT_FOUND;
	return answer(c, m, NULL, true, st, a, b);
}

tether_status tt_conn_drop_call(tt_conn *c, uint64_t call_id)
{
	if (c == NULL)
		return TETHER_E_INVAL;
	conn_msg *m = inflight_take(c, call_id);
	if (m == NULL)
		return TETHER_E_NOT_FOUND;
	tt_conn__msg_free(c, m);
	c->st.dropped_calls++;
	tt_conn__check_drain(c);
	tt_conn__out_trim(c);
	return TETHER_OK;
}

/* ---- outbound calls ----------------------------------------------------- */

typedef struct call_ctx {
	uint32_t xid;
	tt_call_hdr hdr;
	const tt_conn_call_args *a;
} call_ctx;

static tether_status write_call(tether_enc *e, const void *ctx)
{
	const call_ctx *k = ctx;
	TT_TRY(tt_rpc_encode_call(e, k->xid, &k->hdr));
	if (k->a->encode != NULL)
		return k->a->encode(e, k->a->arg);
	return put_bytes(e, k->a->body, k->a->body_len);
}

/* The next XID not held by a call still in the table (each side numbers
 * its own calls, DESIGN §2). At most max_outbound are in use, so the scan
 * ends. */
static uint32_t next_xid(tt_conn *c)
{
	for (;;) {
		uint32_t xid = c->next_xid++;
		bool used = false;
		for (uint32_t i = 0; i < c->o.max_outbound && !used; i++)
			used = c->slots[i].state != SLOT_FREE &&
			       c->slots[i].xid == xid;
		if (!used)
			return xid;
	}
}

static conn_slot *free_slot(tt_conn *c)
{
	for (uint32_t i = 0; i < c->o.max_outbound; i++)
		if (c->slots[i].state == SLOT_FREE)
			return &c->slots[i];
	return NULL;
}

static tether_status call_check(tt_conn *c, const tt_conn_call_args *a)
{
	if (c == NULL || a == NULL)
		return TETHER_E_INVAL;
	if (c->err != TETHER_OK)
		return c->err;
	if (c->draining)
		return TETHER_E_SHUTDOWN;
	if (a->encode == NULL &&
	    ((a->body == NULL && a->body_len != 0) || a->body_len % 4 != 0))
		return TETHER_E_INVAL;
	if (c->nused >= c->o.max_outbound) {
		c->st.out_busy++;
		return TETHER_E_BUSY;
	}
	if (tt_conn__out_pending(c) > c->o.max_out_bytes) {
		c->st.out_full++;
		return TETHER_E_BUSY;
	}
	if (a->encode == NULL && a->body_len > c->o.max_record)
		return TETHER_E_TOO_LARGE;
	return TETHER_OK;
}

tether_status tt_conn_call(tt_conn *c, const tt_conn_call_args *a, void *cookie,
			   uint32_t *xid_out)
{
	TT_TRY(call_check(c, a));
	call_ctx k;
	memset(&k, 0, sizeof(k));
	k.xid = next_xid(c);
	k.hdr.rpcvers = TT_RPC_VERS;
	k.hdr.prog = a->prog;
	k.hdr.vers = a->vers;
	k.hdr.proc = a->proc;
	k.hdr.cred = a->cred;
	k.hdr.verf = a->verf;
	k.a = a;
	size_t guess = 64 + (size_t)a->cred.len + a->verf.len + a->body_len;
	tether_status st = out_record(c, guess < OUT_FIRST ? OUT_FIRST : guess,
				      write_call, &k);
	if (st != TETHER_OK) {
		tt_conn__out_trim(c);
		return st;
	}
	conn_slot *s = free_slot(c);
	s->xid = k.xid;
	s->state = SLOT_ACTIVE;
	s->cookie = cookie;
	s->deadline =
	    c->now + (a->deadline_ms ? a->deadline_ms : c->o.call_deadline_ms);
	c->nactive++;
	c->nused++;
	c->st.calls_out++;
	c->last_activity = c->now;
	if (xid_out != NULL)
		*xid_out = k.xid;
	return TETHER_OK;
}

tether_status tt_conn_cancel(tt_conn *c, uint32_t xid)
{
	if (c == NULL)
		return TETHER_E_INVAL;
	conn_slot *s = tt_conn__slot_find(c, xid);
	if (s == NULL)
		return TETHER_E_NOT_FOUND;
	tt_conn__slot_fail(c, s, TETHER_E_CANCELLED);
	c->st.cancelled++;
	tt_conn__check_drain(c);
	return TETHER_OK;
}
