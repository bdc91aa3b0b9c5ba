/* SPDX-License-Identifier: MIT */
/*
 * rconn.c - outbound calls and their completions on a runtime connection
 * (tether_call_async, callbacks included), event draining, the registry.
 * Inbound dispatch is in dispatch.c.
 */
#include <string.h>

#include "common/tt.h"
#include "server/dispatch.h"
#include "server/rconn.h"
#include "server/saudit.h"
#include "xdr/wire.h"

/* One outbound call in flight: the engine's cookie. */
typedef struct pend {
	const tether_proc_desc *pd;
	tether_generic_fn done; /* async */
	void *ud;
	tt_waiter *w; /* blocking */
	/* Server connections: the callback's audit record. */
	tether_conn *c;
	uint32_t xid, parent_xid;
	uint64_t t0_us, bytes_out;
} pend;

/* ---- registry ----------------------------------------------------------- */

tether_status tt_reg_add(tt_registry *r, const tether_version_desc *vd,
			 const void *handlers, void *ud, bool blocking)
{
	if (vd == NULL || (vd->nprocs != 0 && vd->procs == NULL))
		return TETHER_E_INVAL;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].vd->prog == vd->prog &&
		    r->v[i].vd->vers == vd->vers)
			return TETHER_E_INVAL;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		tt_reg_entry *v =
		    tt_realloc(r->v, r->cap * sizeof *v, cap * sizeof *v);
		if (v == NULL)
			return TETHER_E_NOMEM;
		r->v = v, r->cap = cap;
	}
	r->v[r->n++] = (tt_reg_entry){vd, handlers, ud, blocking};
	return TETHER_OK;
}

void tt_reg_free(tt_registry *r)
{
	tt_free(r->v, r->cap * sizeof *r->v);
	memset(r, 0, sizeof *r);
}

const tether_proc_desc *tether_version_find_proc(const tether_version_desc *vd,
						 uint32_t proc)
{
	size_t lo = 0, hi;

	if (vd == NULL || vd->procs == NULL)
		return NULL;
	hi = vd->nprocs;
	while (lo < hi) { /* procs are sorted by number (desc.h) */
		size_t mid = lo + (hi - lo) / 2;
		if (vd->procs[mid].proc == proc)
			return &vd->procs[mid];
		if (vd->procs[mid].proc < proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- connection --------------------------------------------------------- */

_Thread_local tether_conn *tt_rconn_io_thread;

void tt_rconn_init(tether_conn *c, tt_conn *eng, const tt_registry *reg,
		   tt_io_pool *pool, uint32_t max_record, tt_io_loop *loop)
{
	memset(c, 0, sizeof *c);
	c->magic = TT_RCONN_MAGIC;
	c->eng = eng, c->reg = reg, c->pool = pool;
	c->max_record = max_record, c->loop = loop;
}

void tt_rconn_kick(tether_conn *c)
{
	if (c->draining)
		return; /* the driver flushes after the drain */
	if (c->io != NULL) {
		tt_io_conn_update(c->io);
	} else if (c->bx != NULL) {
		(void)tt_io_xport_flush(c->bx);
		tt_rconn_drain(c);
	}
}

static void maybe_gone(tether_conn *c)
{
	if (c->transport_closed && atomic_load(&c->refs) == 0 &&
	    c->owner != NULL && c->owner->gone != NULL)
		c->owner->gone(c);
}

void tt_rconn_transport_closed(tether_conn *c)
{
	c->io = NULL;
	c->transport_closed = true;
	maybe_gone(c);
}

void tt_rconn_destroy(tether_conn *c)
{
	c->owner = NULL; /* releasing contexts must not re-enter the owner */
	while (c->ctxs != NULL)
		tt_ctx_release(c->ctxs);
	tt_conn_free(c->eng);
	c->eng = NULL;
	tether_peer_identity_free(c->identity);
	c->identity = NULL;
	if (c->aud != NULL)
		tt_free(c->aud, sizeof *c->aud);
	c->aud = NULL;
	c->magic = 0;
}

/* ---- completions -------------------------------------------------------- */

/* DESIGN §1: every callback a server makes is audited like a call, with
 * the inbound call that caused it. */
static void audit_callback(const pend *p, tether_status st, uint64_t in)
{
	tt_aud_call_info ci;

	if (p->c == NULL || p->c->sec == NULL)
		return;
	memset(&ci, 0, sizeof ci);
	ci.xid = p->xid, ci.prog = p->pd->prog, ci.vers = p->pd->vers;
	ci.proc = p->pd->proc, ci.flavor = 0; /* AUTH_NONE: identify only */
	ci.proc_name = p->pd->name;
	ci.prog_name = tt_aud_prog_name(p->c->sec, p->pd->prog);
	ci.t0_us = p->t0_us, ci.bytes_out = p->bytes_out, ci.bytes_in = in;
	ci.st = st, ci.rule = TETHER_AUDIT_NONE_U32;
	ci.dir = TETHER_AUDIT_DIR_CALLBACK, ci.parent_xid = p->parent_xid;
	tt_aud_call(p->c, &ci);
}

/* While a callback's completion runs: its connection and parent XID, so
 * that a callback the completion makes (a chain: SUBSCRIBE pumping
 * NOTIFYs) is audited with the same parent. */
static _Thread_local const tether_conn *chain_conn;
static _Thread_local uint32_t chain_parent;

static void complete_async(pend *p, tether_status st, void *res)
{
	const tether_conn *oc = chain_conn;
	uint32_t op = chain_parent;

	chain_conn = p->c, chain_parent = p->parent_xid;
	if (p->pd->complete != NULL)
		p->pd->complete(p->done, st, res, p->ud);
	else
		((tether_done_fn)p->done)(st, res, p->ud);
	chain_conn = oc, chain_parent = op;
}

/* The inbound call a new outbound call on c descends from, if known. */
static uint32_t parent_of(const tether_conn *c)
{
	if (tt_ctx_current != NULL && tt_ctx_current->conn == c)
		return tt_ctx_current->xid;
	if (chain_conn == c && c != NULL)
		return chain_parent;
	return TETHER_AUDIT_NONE_U32;
}

static tether_status decode_res(const tether_proc_desc *pd, const uint8_t *body,
				size_t len, tether_arena *arena, void *res)
{
	tether_dec d;

	if (pd->res == NULL || pd->res->kind == TETHER_T_VOID ||
	    pd->res->decode == NULL)
		return len == 0 ? TETHER_OK : TETHER_E_BAD_REPLY;
	tether_dec_init(&d, body, len, arena);
	if (pd->res->decode(&d, res) != TETHER_OK || d.left != 0)
		return TETHER_E_BAD_REPLY;
	return TETHER_OK;
}

void tt_waiter_finish(tt_waiter *w, tether_status st)
{
	if (w->mu != NULL)
		uv_mutex_lock(w->mu);
	w->st = st;
	w->done = true;
	if (w->cv != NULL)
		uv_cond_broadcast(w->cv);
	if (w->mu != NULL)
		uv_mutex_unlock(w->mu);
}

static void on_reply(const tt_event *ev)
{
	pend *p = ev->cookie;
	tether_status st = ev->status;

	audit_callback(p, st, ev->body_len + 28u);
	if (p->w != NULL) {
		if (st == TETHER_OK)
			st = decode_res(p->pd, ev->body, ev->body_len,
					p->w->arena, p->w->res);
		tt_waiter_finish(p->w, st);
	} else {
		tether_arena *a = NULL;
		void *res = NULL;
		size_t budget = 4096 + ev->body_len * 8;

		if (st == TETHER_OK &&
		    tether_arena_new(budget, &a) != TETHER_OK)
			st = TETHER_E_NOMEM;
		if (st == TETHER_OK && p->pd->res != NULL &&
		    p->pd->res->size != 0) {
			res = tether_arena_alloc(a, p->pd->res->size);
			if (res == NULL)
				st = TETHER_E_NOMEM;
		}
		if (st == TETHER_OK)
			st = decode_res(p->pd, ev->body, ev->body_len, a, res);
		complete_async(p, st, st == TETHER_OK ? res : NULL);
		tether_arena_free(a);
	}
	tt_free(p, sizeof *p);
}

static void on_call_failed(const tt_event *ev)
{
	pend *p = ev->cookie;
	audit_callback(p, ev->status, 0);
	if (p->w != NULL)
		tt_waiter_finish(p->w, ev->status);
	else
		complete_async(p, ev->status, NULL);
	tt_free(p, sizeof *p);
}

/* Counts why a server connection ended (STYLE 15: every limit hit is
 * counted). */
/* The engine's per-connection limit counters, added to the server's when
 * the connection ends (STYLE 15: every limit has a counter users can
 * read). */
static void sum_engine(const tt_conn *eng, tt_budget *b)
{
	tt_conn_counters k;

	if (eng == NULL)
		return;
	tt_conn_stats(eng, &k);
	atomic_fetch_add(&b->in_stalls, k.in_stalls);
	atomic_fetch_add(&b->mem_stalls, k.mem_stalls);
	atomic_fetch_add(&b->out_busy, k.out_busy);
	atomic_fetch_add(&b->out_full, k.out_full);
	atomic_fetch_add(&b->expired, k.expired);
	atomic_fetch_add(&b->unmatched_replies, k.unmatched_replies);
	atomic_fetch_add(&b->rpc_mismatch, k.rpc_mismatch);
}

static void count_close(tether_conn *c, tether_status st)
{
	tt_budget *b = c->budget;

	if (b == NULL)
		return;
	if (st == TETHER_E_UNRESPONSIVE)
		atomic_fetch_add(&b->closed_unresponsive, 1);
	else if (st == TETHER_E_IDLE)
		atomic_fetch_add(&b->closed_idle, 1);
	else if ((st >= 200 && st < 300) || st == TETHER_E_PROTOCOL)
		atomic_fetch_add(&b->closed_malformed, 1);
	else if (st == TETHER_E_TLS || st == TETHER_E_TLS_REQUIRED ||
		 st == TETHER_E_PEER_IDENTITY || st == TETHER_E_TIMEOUT ||
		 st == TETHER_E_AUTH_REJECTED)
		atomic_fetch_add(&b->closed_handshake, 1);
	sum_engine(c->eng, b);
}

void tt_rconn_drain(tether_conn *c)
{
	tt_event ev;
	bool outer = !c->draining;

	c->draining = true;
	tt_aud_tls_check(c);
	while (c->eng != NULL && tt_conn_next_event(c->eng, &ev)) {
		switch (ev.type) {
		case TT_EV_CALL:
			tt_dispatch(c, &ev);
			break;
		case TT_EV_REPLY:
			on_reply(&ev);
			break;
		case TT_EV_CALL_FAILED:
			on_call_failed(&ev);
			break;
		case TT_EV_CLOSED:
			c->status = ev.status;
			count_close(c, ev.status);
			tt_aud_conn_close(c, ev.status);
			break;
		default:
			break;
		}
	}
	if (outer)
		c->draining = false;
}

static void io_on_events(void *ud)
{
	tt_rconn_drain(ud);
}

static void io_on_closed(void *ud)
{
	tt_rconn_transport_closed(ud);
}

const tt_io_conn_cbs tt_rconn_io_cbs = {io_on_events, io_on_closed};

/* ---- outbound calls ----------------------------------------------------- */

tether_status tt_rconn_encode_args(const tether_proc_desc *pd, const void *arg,
				   uint32_t max, tether_enc *e)
{
	tether_status st = TETHER_OK;

	tether_enc_init_growable(e, max);
	if (pd->arg != NULL && pd->arg->kind != TETHER_T_VOID &&
	    pd->arg->encode != NULL)
		st = pd->arg->encode(e, arg);
	if (st != TETHER_OK)
		tether_enc_release(e);
	return st;
}

static tether_status start_call(tether_conn *c, const tether_proc_desc *pd,
				const void *arg, const uint8_t *body,
				size_t body_len, uint32_t deadline_ms, pend *p)
{
	tt_conn_call_args a;
	bool has_arg = pd->arg != NULL && pd->arg->kind != TETHER_T_VOID;

	memset(&a, 0, sizeof a);
	a.prog = pd->prog, a.vers = pd->vers, a.proc = pd->proc;
	if (body != NULL || !has_arg) {
		a.body = body, a.body_len = body_len;
	} else {
		a.encode = pd->arg->encode;
		a.arg = arg;
	}
	a.deadline_ms = deadline_ms;
	/* docs/protocol.md §6: the per-call context, only to a peer that said
	 * it takes it (a plain peer would refuse the unknown flavor). */
	uint8_t ctxb[TT_TETHER_CTX_LEN];
	if (atomic_load(&c->send_ctx)) {
		memset(ctxb, 0, sizeof ctxb);
		tt_xdr_put32(ctxb, 1);
		tt_xdr_put32(ctxb + 4, deadline_ms);
		a.cred.flavor = TT_AUTH_TETHER_CTX;
		a.cred.body = ctxb, a.cred.len = sizeof ctxb;
	}
	/* The engine's clock moves only when ticked: bring it to now so the
	 * deadline counts from this call, not from the last tick. */
	tt_conn_tick(c->eng, tt_io_now_ms());
	if (c->sec == NULL)
		return tt_conn_call(c->eng, &a, p, NULL);
	size_t before = 0, after = 0;
	(void)tt_conn_out_buf(c->eng, &before);
	p->c = c, p->t0_us = tt_aud_now_us();
	tether_status st = tt_conn_call(c->eng, &a, p, &p->xid);
	(void)tt_conn_out_buf(c->eng, &after);
	p->bytes_out = after > before ? after - before : 0;
	if (st == TETHER_E_BUSY)
		tt_aud_limit(c, "outbound", TETHER_METRIC_LIMIT_OUTBOUND, st,
			     p->pd->name);
	if (st != TETHER_OK)
		audit_callback(p, st, 0);
	return st;
}

tether_status tt_rconn_call_sync(tether_conn *c, const tether_proc_desc *pd,
				 const void *arg, const uint8_t *body,
				 size_t body_len, uint32_t deadline_ms,
				 tt_waiter *w)
{
	pend *p = tt_calloc(1, sizeof *p);
	tether_status st;

	if (p == NULL)
		return TETHER_E_NOMEM;
	p->pd = pd, p->w = w;
	p->parent_xid = parent_of(c);
	st = start_call(c, pd, arg, body, body_len, deadline_ms, p);
	if (st != TETHER_OK) {
		tt_free(p, sizeof *p);
		return st;
	}
	tt_rconn_kick(c);
	return TETHER_OK;
}

/* A call handed to the loop from another thread: arguments pre-encoded. */
typedef struct post_call {
	tether_conn *c;
	pend *p;
	tether_enc e;
	uint32_t deadline_ms;
} post_call;

static void run_posted_call(void *arg)
{
	post_call *pc = arg;
	tether_conn *c = pc->c;
	tether_status st = TETHER_E_CLOSED;

	if (c->eng != NULL && !c->transport_closed)
		st = start_call(c, pc->p->pd, NULL, pc->e.buf, pc->e.len,
				pc->deadline_ms, pc->p);
	tether_enc_release(&pc->e);
	if (st != TETHER_OK) {
		/* Exactly once: the caller was told OK, so done reports it. */
		complete_async(pc->p, st, NULL);
		tt_free(pc->p, sizeof *pc->p);
	} else {
		tt_rconn_kick(c);
	}
	tt_free(pc, sizeof *pc);
	atomic_fetch_sub(&c->refs, 1);
	maybe_gone(c);
}

static tether_status post_async(tether_conn *c, pend *p, const void *arg,
				uint32_t deadline_ms)
{
	post_call *pc = tt_calloc(1, sizeof *pc);
	tether_status st;

	if (pc == NULL)
		return TETHER_E_NOMEM;
	pc->c = c, pc->p = p, pc->deadline_ms = deadline_ms;
	st = tt_rconn_encode_args(p->pd, arg, c->max_record, &pc->e);
	if (st == TETHER_OK) {
		/* The task holds the connection until it has run. */
		atomic_fetch_add(&c->refs, 1);
		st = tt_io_loop_post(c->loop, run_posted_call, pc);
		if (st != TETHER_OK) {
			atomic_fetch_sub(&c->refs, 1);
			tether_enc_release(&pc->e);
		}
	}
	if (st != TETHER_OK)
		tt_free(pc, sizeof *pc);
	return st;
}

tether_status tether_call_async(tether_conn *c, const tether_proc_desc *pd,
				const void *arg, uint32_t deadline_ms,
				tether_generic_fn done, void *ud)
{
	pend *p;
	tether_status st;

	if (c == NULL || c->magic != TT_RCONN_MAGIC || pd == NULL ||
	    done == NULL)
		return TETHER_E_INVAL;
	p = tt_calloc(1, sizeof *p);
	if (p == NULL)
		return TETHER_E_NOMEM;
	p->pd = pd, p->done = done, p->ud = ud;
	p->parent_xid = parent_of(c);
	if (c->loop != NULL && !tt_io_loop_on_thread(c->loop)) {
		st = post_async(c, p, arg, deadline_ms);
	} else {
		/* Blocking mode: take the I/O mutex unless this thread is the
		 * one doing the I/O (a callback or completion calling out). */
		uv_mutex_t *mu = tt_rconn_io_thread == c ? NULL : c->mu;
		if (mu != NULL)
			uv_mutex_lock(mu);
		st = c->eng == NULL
			 ? TETHER_E_CLOSED
			 : start_call(c, pd, arg, NULL, 0, deadline_ms, p);
		if (st == TETHER_OK && c->bx != NULL)
			(void)tt_io_xport_flush(c->bx);
		if (mu != NULL)
			uv_mutex_unlock(mu);
		if (st == TETHER_OK && c->io != NULL)
			tt_rconn_kick(c);
	}
	if (st != TETHER_OK)
		tt_free(p, sizeof *p);
	return st;
}
