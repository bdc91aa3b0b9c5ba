/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - serving inbound calls through descriptor tables, on servers
 * and on clients (callbacks): RFC 5531 §9 accept_stat selection, argument
 * decoding into a per-call arena, handlers inline or on the worker pool,
 * deferred replies, and the call-context accessors.
 */
#include <string.h>

#include "common/tt.h"
#include "server/dispatch.h"
#include "server/saudit.h"
#include "xdr/wire.h"
#include <tether/server.h>

_Thread_local tether_call_ctx *tt_ctx_current;

/* Fixed part of a handler arena; the rest is proportional to the record
 * (decoded C structures may be larger than their XDR form: pointers,
 * padding), then the handler may use up to max_record more for results. */
enum { ARENA_BASE = 4096, ARENA_FACTOR = 8 };

/* A deferred reply from a thread other than the connection's loop: the
 * result is encoded there (the caller's memory is borrowed only for the
 * call) and sent from the loop thread. */
typedef struct posted_reply {
	tether_call_ctx *ctx;
	tether_enc e;
	tether_status fail; /* OK: send e; else an error reply */
} posted_reply;

static void drop_posted(posted_reply *pr)
{
	tether_enc_release(&pr->e);
	tt_free(pr, sizeof *pr);
}

static bool is_void(const tether_type_desc *t)
{
	return t == NULL || t->kind == TETHER_T_VOID;
}

static void unlink_ctx(tether_call_ctx *ctx)
{
	tether_conn *c = ctx->conn;
	if (ctx->prev != NULL)
		ctx->prev->next = ctx->next;
	else
		c->ctxs = ctx->next;
	if (ctx->next != NULL)
		ctx->next->prev = ctx->prev;
}

/* Reserves n bytes of the server's budget for a call; false past it. */
static bool reserve(tether_conn *c, size_t n)
{
	tt_budget *b = c->budget;
	size_t used;

	if (b == NULL || b->max == 0)
		return true;
	used = atomic_fetch_add(&b->used, n);
	if (used + n <= b->max && used + n >= used)
		return true;
	atomic_fetch_sub(&b->used, n);
	atomic_fetch_add(&b->refused, 1);
	return false;
}

static void unreserve(tether_conn *c, size_t n)
{
	if (c->budget != NULL && c->budget->max != 0 && n != 0)
		atomic_fetch_sub(&c->budget->used, n);
}

/* Bytes the engine has queued for the socket now. */
static size_t out_len(const tether_conn *c)
{
	size_t n = 0;
	if (c->eng != NULL)
		(void)tt_conn_out_buf(c->eng, &n);
	return n;
}

static size_t grew(const tether_conn *c, size_t before)
{
	size_t now = out_len(c);
	return now > before ? now - before : 0;
}

/* The audit record and metrics of a call answered with st. */
static void audit_ctx(tether_call_ctx *ctx, tether_status st, size_t out)
{
	tether_conn *c = ctx->conn;
	tt_aud_call_info ci;

	if (c->sec == NULL)
		return;
	memset(&ci, 0, sizeof ci);
	ci.xid = ctx->xid;
	ci.prog = ctx->pd->prog, ci.vers = ctx->pd->vers, ci.proc = ctx->pd->proc;
	ci.prog_name = ctx->ent->vd->prog_name, ci.proc_name = ctx->pd->name;
	ci.flavor = ctx->flavor;
	ci.t0_us = ctx->t0_us;
	ci.bytes_in = ctx->bytes_in, ci.bytes_out = out;
	ci.st = st, ci.rule = ctx->rule;
	ci.dir = TETHER_AUDIT_DIR_CALL;
	ci.causality = ctx->causality;
	tt_aud_call(c, &ci);
}

/* A cancelled call is answered SYSTEM_ERR whatever its handler said
 * (docs/protocol.md, CANCEL). */
static bool was_cancelled(tether_call_ctx *ctx)
{
	return atomic_load(&ctx->cancelled);
}

/* The reply of ctx is decided now (loop thread): from here on CANCEL no
 * longer finds the call. Sending the reply may feed input held back by
 * max_inbound (tt_rconn_kick), and a CANCEL of this very call dispatched
 * then must answer FALSE, since the reply already is what it is. So
 * CANCEL says TRUE iff the reply is the cancelled error. */
static bool decide_cancelled(tether_call_ctx *ctx)
{
	ctx->answered = true;
	return was_cancelled(ctx);
}

static void ctx_free(tether_call_ctx *ctx)
{
	tether_conn *c = ctx->conn;

	unreserve(c, ctx->reserved);
	if (ctx->early != NULL)
		drop_posted(ctx->early);
	unlink_ctx(ctx);
	tether_arena_free(ctx->arena);
	tt_free(ctx, sizeof *ctx);
	atomic_fetch_sub(&c->refs, 1);
	if (c->transport_closed && atomic_load(&c->refs) == 0 &&
	    c->owner != NULL && c->owner->gone != NULL)
		c->owner->gone(c);
}

void tt_ctx_release(tether_call_ctx *ctx)
{
	if (ctx->conn->eng != NULL)
		TT_IGNORE(tt_conn_drop_call(ctx->conn->eng, ctx->call_id));
	ctx_free(ctx);
}

static tether_call_ctx *ctx_new(tether_conn *c, const tt_event *ev)
{
	tether_call_ctx *ctx = tt_calloc(1, sizeof *ctx);
	size_t budget = ARENA_BASE + ev->body_len * ARENA_FACTOR;

	if (ctx == NULL)
		return NULL;
	if (!reserve(c, budget)) {
		tt_free(ctx, sizeof *ctx);
		return NULL;
	}
	if (tether_arena_new(budget, &ctx->arena) != TETHER_OK) {
		unreserve(c, budget);
		tt_free(ctx, sizeof *ctx);
		return NULL;
	}
	ctx->reserved = c->budget != NULL ? budget : 0;
	ctx->conn = c, ctx->call_id = ev->call_id, ctx->xid = ev->xid;
	ctx->received_ms = tt_io_now_ms();
	ctx->next = c->ctxs;
	if (c->ctxs != NULL)
		c->ctxs->prev = ctx;
	c->ctxs = ctx;
	atomic_fetch_add(&c->refs, 1);
	return ctx;
}

/* Finds prog/vers: the entry, or the low/high versions served of prog
 * (*found_prog) for PROG_MISMATCH. */
static const tt_reg_entry *lookup(const tt_registry *r, uint32_t prog,
				  uint32_t vers, bool *found_prog,
				  uint32_t *low, uint32_t *high)
{
	*found_prog = false;
	*low = UINT32_MAX, *high = 0;
	for (size_t i = 0; r != NULL && i < r->n; i++) {
		const tether_version_desc *vd = r->v[i].vd;
		if (vd->prog != prog)
			continue;
		if (vd->vers == vers)
			return &r->v[i];
		*found_prog = true;
		*low = vd->vers < *low ? vd->vers : *low;
		*high = vd->vers > *high ? vd->vers : *high;
	}
	return NULL;
}

static tether_status decode_args(tether_call_ctx *ctx, const tt_event *ev)
{
	const tether_type_desc *t = ctx->pd->arg;
	tether_dec d;

	if (is_void(t))
		return ev->body_len == 0 ? TETHER_OK : TETHER_E_GARBAGE_ARGS;
	ctx->arg = tether_arena_alloc(ctx->arena, t->size ? t->size : 1);
	if (ctx->arg == NULL || t->decode == NULL)
		return TETHER_E_GARBAGE_ARGS;
	tether_dec_init(&d, ev->body, ev->body_len, ctx->arena);
	/* Every argument byte must be used: trailing bytes are garbage. */
	if (t->decode(&d, ctx->arg) != TETHER_OK || d.left != 0)
		return TETHER_E_GARBAGE_ARGS;
	return TETHER_OK;
}

static tether_status prepare_res(tether_call_ctx *ctx)
{
	const tether_type_desc *t = ctx->pd->res;
	uint32_t more = ctx->conn->max_record;

	tether_arena_set_budget(ctx->arena, tether_arena_used(ctx->arena) +
						ARENA_BASE + more);
	if (is_void(t))
		return TETHER_OK;
	ctx->res = tether_arena_alloc(ctx->arena, t->size ? t->size : 1);
	return ctx->res == NULL ? TETHER_E_NOMEM : TETHER_OK;
}

/* Error statuses a handler may return that have their own accept_stat;
 * everything else is SYSTEM_ERR (RFC 5531 §9). */
static tether_status wire_error(tether_status st)
{
	switch (st) {
	case TETHER_E_PROG_UNAVAIL:
	case TETHER_E_PROC_UNAVAIL:
	case TETHER_E_GARBAGE_ARGS:
	case TETHER_E_CANCELLED: /* SYSTEM_ERR + the cancel verifier */
		return st;
	default:
		return TETHER_E_SYSTEM_ERR;
	}
}

static tether_status send_res(tether_call_ctx *ctx, const void *res)
{
	const tether_type_desc *t = ctx->pd->res;
	tether_encode_fn enc = is_void(t) ? NULL : t->encode;

	if (ctx->conn->eng == NULL)
		return TETHER_E_CLOSED;
	return tt_conn_reply(ctx->conn->eng, ctx->call_id, NULL, enc,
			     is_void(t) ? NULL : res);
}

/* Sends pr's reply, then the call is over: ctx is freed (and maybe c). */
static void send_posted(tether_call_ctx *ctx, posted_reply *pr)
{
	tether_conn *c = ctx->conn;
	size_t before = out_len(c);
	tether_status st = decide_cancelled(ctx) ? TETHER_E_CANCELLED : pr->fail;

	if (c->eng != NULL && st == TETHER_OK)
		TT_IGNORE(tt_conn_reply_bytes(c->eng, ctx->call_id, NULL,
					      pr->e.buf, pr->e.len));
	else if (c->eng != NULL)
		TT_IGNORE(tt_conn_reply_error(c->eng, ctx->call_id,
					      wire_error(st), 0, 0));
	audit_ctx(ctx, st, grew(c, before));
	drop_posted(pr);
	tt_rconn_kick(c);
	ctx_free(ctx);
}

static void run_posted_reply(void *arg)
{
	posted_reply *pr = arg;
	tether_call_ctx *ctx = pr->ctx;

	if (ctx->deferred) {
		send_posted(ctx, pr);
	} else if (ctx->early == NULL) {
		/* The handler (on a worker) has not returned yet: the reply
		 * waits for its TETHER_E_DEFERRED. */
		ctx->early = pr;
	} else {
		drop_posted(pr); /* a second reply to one call */
	}
}

/* The handler returned st: reply now, or keep the context for later. */
static void finish(tether_call_ctx *ctx, tether_status st)
{
	tether_conn *c = ctx->conn;

	if (st == TETHER_E_DEFERRED) {
		posted_reply *early = ctx->early;
		ctx->early = NULL;
		if (early != NULL)
			send_posted(ctx, early); /* it came before we did */
		else
			ctx->deferred = true;
		return;
	}
	/* A generated table without a NULL-procedure handler says
	 * PROC_UNAVAIL: procedure 0 is answered anyway. */
	if (st == TETHER_E_PROC_UNAVAIL && ctx->null_proc)
		st = TETHER_OK;
	if (decide_cancelled(ctx))
		st = TETHER_E_CANCELLED;
	size_t before = out_len(c);
	if (st == TETHER_OK)
		(void)send_res(ctx, ctx->res);
	else if (c->eng != NULL)
		TT_IGNORE(tt_conn_reply_error(c->eng, ctx->call_id,
					      wire_error(st), 0, 0));
	audit_ctx(ctx, st, grew(c, before));
	tt_rconn_kick(c);
	ctx_free(ctx); /* may free c (transport gone, last reference) */
}

static void work_invoke(void *arg)
{
	tether_call_ctx *ctx = arg;
	/* Rapid reset (docs/abuse.md): a call cancelled, or whose connection
	 * ended, while it waited for a worker is not started, so abandoned
	 * calls cannot pile up work behind the ones still wanted. */
	bool gone = atomic_load(&ctx->conn->status) != TETHER_OK;

	if (was_cancelled(ctx) || gone) {
		ctx->st = gone ? TETHER_E_CLOSED : TETHER_E_CANCELLED;
		return;
	}
	tt_ctx_current = ctx;
	ctx->st = ctx->pd->invoke(ctx, ctx->ent->handlers, ctx->arg, ctx->res);
	tt_ctx_current = NULL;
}

static void work_done(void *arg)
{
	tether_call_ctx *ctx = arg;
	finish(ctx, ctx->st);
}

static void invoke(tether_call_ctx *ctx)
{
	tether_conn *c = ctx->conn;

	if (ctx->ent->blocking && c->pool != NULL && c->loop != NULL) {
		tether_status st = tt_io_pool_submit(
		    c->pool, c->loop, work_invoke, work_done, ctx);
		if (st != TETHER_OK)
			finish(ctx, TETHER_E_SYSTEM_ERR); /* pool full */
		return;
	}
	tether_call_ctx *prev = tt_ctx_current;
	tt_ctx_current = ctx;
	tether_status st =
	    ctx->pd->invoke(ctx, ctx->ent->handlers, ctx->arg, ctx->res);
	tt_ctx_current = prev;
	finish(ctx, st);
}

static void reply_error(tether_conn *c, uint64_t id, tether_status st,
			uint32_t a, uint32_t b)
{
	TT_IGNORE(tt_conn_reply_error(c->eng, id, st, a, b));
}

/* DESIGN §2: an AUTH_SYS credential that contradicts what the kernel says
 * about a Unix peer is refused, and so is a malformed one (RFC 5531
 * Appendix A). Other flavors are left to the authorization layer. */
static bool bad_cred(const tether_conn *c, const tt_call_hdr *h)
{
	tt_auth_sys as;

	/* RFC 9289 §4.1: AUTH_TLS is only for the NULL-procedure probe
	 * before TLS, which the transport answers; one that reaches dispatch
	 * is on another procedure, inside TLS, or on a plaintext listener. */
	if (h->cred.flavor == TT_AUTH_TLS)
		return true;
	/* docs/protocol.md §6: the context credential, version 1 only. */
	if (h->cred.flavor == TT_AUTH_TETHER_CTX)
		return h->cred.len != TT_TETHER_CTX_LEN ||
		       tt_xdr_get32(h->cred.body) != 1;
	if (h->cred.flavor != TT_AUTH_SYS)
		return false;
	if (tt_auth_sys_decode(&h->cred, &as) != TETHER_OK)
		return true;
	return c->peer.has_cred &&
	       (as.uid != c->peer.uid || as.gid != c->peer.gid);
}

/* The status route() answered a call it did not route with (audit).
 * Called after the reply: the call's views (credential and argument
 * bytes) are gone, only the header numbers remain; bad credentials were
 * answered before route(). */
static tether_status route_status(const tether_conn *c, const tt_event *ev)
{
	bool found_prog;
	uint32_t low, high;
	const tt_reg_entry *e;
	const tether_proc_desc *pd;

	e = lookup(c->reg, ev->call.prog, ev->call.vers, &found_prog, &low,
		   &high);
	if (e == NULL)
		return found_prog ? TETHER_E_PROG_MISMATCH
				  : TETHER_E_PROG_UNAVAIL;
	pd = tether_version_find_proc(e->vd, ev->call.proc);
	if (ev->call.proc == 0 && (pd == NULL || pd->invoke == NULL))
		return TETHER_OK;
	return TETHER_E_PROC_UNAVAIL;
}

/* Finds what serves the call, or answers it with the RPC error that says
 * why (RFC 5531 §9) and returns NULL. *ent is set when found. */
static const tether_proc_desc *route(tether_conn *c, const tt_event *ev,
				     const tt_reg_entry **ent)
{
	const tether_proc_desc *pd;
	bool found_prog;
	uint32_t low, high;

	if (bad_cred(c, &ev->call)) {
		/* MSG_DENIED, AUTH_ERROR, AUTH_BADCRED */
		reply_error(c, ev->call_id, TETHER_E_AUTH_REJECTED,
			    TT_AUTH_BADCRED, 0);
		return NULL;
	}
	*ent = lookup(c->reg, ev->call.prog, ev->call.vers, &found_prog, &low,
		      &high);
	if (*ent == NULL) {
		/* PROG_MISMATCH carries the lowest and highest served. */
		reply_error(c, ev->call_id,
			    found_prog ? TETHER_E_PROG_MISMATCH
				       : TETHER_E_PROG_UNAVAIL,
			    found_prog ? low : 0, found_prog ? high : 0);
		return NULL;
	}
	pd = tether_version_find_proc((*ent)->vd, ev->call.proc);
	if (ev->call.proc == 0 && (pd == NULL || pd->invoke == NULL)) {
		/* The NULL procedure of every served version answers with no
		 * result (RFC 5531 §12.1 convention; rpcinfo -t). */
		TT_IGNORE(tt_conn_reply(c->eng, ev->call_id, NULL, NULL, NULL));
		return NULL;
	}
	if (pd == NULL || pd->invoke == NULL) {
		reply_error(c, ev->call_id, TETHER_E_PROC_UNAVAIL, 0, 0);
		return NULL;
	}
	return pd;
}

/* RFC 5531 §9 / §11: the bytes of a CALL record (mark, fixed header,
 * both opaque_auth bodies padded, arguments), for the audit. */
static uint64_t call_bytes(const tt_event *ev)
{
	return 44u + (((uint64_t)ev->call.cred.len + 3) & ~3ull) +
	       (((uint64_t)ev->call.verf.len + 3) & ~3ull) + ev->body_len;
}

/* The audit of a call answered before it got a context (refused, or no
 * such program/procedure): names found through the registry when known. */
static void audit_ev(tether_conn *c, const tt_event *ev, tether_status st,
		     uint32_t rule, size_t out, uint64_t t0)
{
	tt_aud_call_info ci;
	bool fp;
	uint32_t lo, hi;
	const tt_reg_entry *e;

	if (c->sec == NULL)
		return;
	memset(&ci, 0, sizeof ci);
	ci.xid = ev->xid, ci.prog = ev->call.prog, ci.vers = ev->call.vers;
	ci.proc = ev->call.proc, ci.flavor = ev->call.cred.flavor;
	e = lookup(c->reg, ev->call.prog, ev->call.vers, &fp, &lo, &hi);
	if (e != NULL) {
		const tether_proc_desc *pd =
		    tether_version_find_proc(e->vd, ev->call.proc);
		ci.prog_name = e->vd->prog_name;
		ci.proc_name = pd != NULL ? pd->name : NULL;
	}
	ci.t0_us = t0, ci.bytes_in = call_bytes(ev), ci.bytes_out = out;
	ci.st = st, ci.rule = rule, ci.dir = TETHER_AUDIT_DIR_CALL;
	if (st == TETHER_E_AUTH_REJECTED)
		ci.detail = ev->call.cred.flavor == TT_AUTH_TLS
				? "AUTH_TLS outside the RFC 9289 probe"
			    : ev->call.cred.flavor == TT_AUTH_TETHER_CTX
				? "malformed tether context credential"
				: "AUTH_SYS credential malformed or "
				  "contradicting the kernel's";
	tt_aud_call(c, &ci);
}

/* Control procedures any peer that got a connection may call (PING,
 * CAPABILITIES, CANCEL, HEALTH and NULL); LIST and DESCRIBE go through
 * the policy like any procedure; STATS needs the admin matcher
 * (docs/protocol.md). */
static bool control_open(const tt_event *ev)
{
	return ev->call.prog == TETHER_CONTROL_PROG && ev->call.proc <= 4;
}

static bool is_stats(const tt_event *ev)
{
	return ev->call.prog == TETHER_CONTROL_PROG && ev->call.proc == 7;
}

/* The policy (and the admin matcher for STATS): TETHER_OK or
 * TETHER_E_DENIED with *rule. */
static tether_status authorize(const tether_conn *c, const tt_event *ev,
			       uint32_t *rule)
{
	size_t idx = TETHER_POLICY_NO_RULE;
	tether_status st = TETHER_OK;

	*rule = TETHER_AUDIT_NONE_U32;
	if (is_stats(ev)) {
		if (c->sec->admin == NULL)
			return TETHER_E_DENIED;
		st = tether_policy_check(c->sec->admin, c->identity,
					 ev->call.prog, ev->call.vers,
					 ev->call.proc, NULL);
		return st == TETHER_OK ? TETHER_OK : TETHER_E_DENIED;
	}
	if (c->sec->policy == NULL || control_open(ev))
		return TETHER_OK;
	st = tether_policy_check(c->sec->policy, c->identity, ev->call.prog,
				 ev->call.vers, ev->call.proc, &idx);
	if (idx != TETHER_POLICY_NO_RULE)
		*rule = (uint32_t)idx;
	return st == TETHER_OK ? TETHER_OK : TETHER_E_DENIED;
}

/* Rate-limit keys, once per connection (the identity is known by now). */
static void rate_keys(tether_conn *c)
{
	if (c->aud == NULL || c->aud->keys_done)
		return;
	c->aud->keys_done = true;
	if (c->identity == NULL ||
	    tether_peer_key(c->identity, c->aud->id_key,
			    sizeof c->aud->id_key) != TETHER_OK)
		c->aud->id_key[0] = '\0';
}

static tether_status rate(tether_conn *c, const tt_event *ev,
			  tether_rl_scope *scope)
{
	const tt_caud *a = c->aud;

	if (c->sec->rl == NULL || a == NULL)
		return TETHER_OK;
	return tether_ratelimit_check(
	    c->sec->rl, a->id_key[0] != '\0' ? a->id_key : NULL,
	    a->addr_key[0] != '\0' ? a->addr_key : NULL, ev->call.prog,
	    ev->call.vers, ev->call.proc, tt_io_now_ms(), scope);
}

/* DESIGN §1 "unauthorized access", "floods": the policy then the rate
 * limiter, from the call header only, before any argument is decoded.
 * False when the call was refused (answered, audited, counted). */
static bool gate(tether_conn *c, const tt_event *ev, uint64_t t0,
		 uint32_t *rule_out)
{
	uint32_t rule;
	tether_rl_scope scope = TETHER_RL_IDENTITY;
	size_t before = out_len(c);

	if (authorize(c, ev, &rule) != TETHER_OK) {
		/* RFC 5531 §9: MSG_DENIED / AUTH_ERROR / AUTH_TOOWEAK. */
		reply_error(c, ev->call_id, TETHER_E_AUTH_REJECTED,
			    TT_AUTH_TOOWEAK, 0);
		tt_aud_metric(c, TETHER_METRIC_DENIALS);
		audit_ev(c, ev, TETHER_E_DENIED, rule, grew(c, before), t0);
		return false;
	}
	*rule_out = rule;
	rate_keys(c);
	if (rate(c, ev, &scope) == TETHER_OK)
		return true;
	/* docs/protocol.md: SYSTEM_ERR with the rate verifier (retry in
	 * about one token's time; the limiter does not say, 1000 ms). */
	reply_error(c, ev->call_id, TETHER_E_RATE_LIMITED, 1000, 0);
	tt_aud_limit(c,
		     scope == TETHER_RL_IDENTITY ? "rate_identity"
						 : "rate_address",
		     scope == TETHER_RL_IDENTITY
			 ? TETHER_METRIC_LIMIT_RATE_IDENTITY
			 : TETHER_METRIC_LIMIT_RATE_ADDRESS,
		     TETHER_E_RATE_LIMITED, NULL);
	audit_ev(c, ev, TETHER_E_RATE_LIMITED, TETHER_AUDIT_NONE_U32,
		 grew(c, before), t0);
	return false;
}

static void serve(tether_conn *c, const tt_event *ev,
		  const tether_proc_desc *pd, const tt_reg_entry *ent,
		  uint64_t t0, uint32_t rule);

void tt_dispatch(tether_conn *c, const tt_event *ev)
{
	const tt_reg_entry *ent = NULL;
	const tether_proc_desc *pd;
	uint64_t t0 = c->sec != NULL && (c->sec->audit != NULL ||
					 c->sec->metrics != NULL)
			  ? tt_aud_now_us()
			  : 0;
	uint32_t rule = TETHER_AUDIT_NONE_U32;
	size_t before;

	/* TLS: the identity found by the handshake moves from the transport
	 * to the connection at its first call (here, on the loop thread), so
	 * handlers on any thread read it without a lock. */
	tt_aud_tls_check(c);
	if (c->identity == NULL && c->io != NULL)
		c->identity =
		    tt_io_xport_take_identity(tt_io_conn_xport(c->io));
	before = out_len(c);
	if (bad_cred(c, &ev->call)) {
		/* MSG_DENIED, AUTH_ERROR, AUTH_BADCRED, before the policy:
		 * a malformed or contradicting credential is not a denial. */
		reply_error(c, ev->call_id, TETHER_E_AUTH_REJECTED,
			    TT_AUTH_BADCRED, 0);
		audit_ev(c, ev, TETHER_E_AUTH_REJECTED, TETHER_AUDIT_NONE_U32,
			 grew(c, before), t0);
		return;
	}
	if (c->sec != NULL && !gate(c, ev, t0, &rule))
		return;
	before = out_len(c);
	pd = route(c, ev, &ent);
	if (pd == NULL) {
		audit_ev(c, ev, route_status(c, ev), TETHER_AUDIT_NONE_U32,
			 grew(c, before), t0);
		return;
	}
	serve(c, ev, pd, ent, t0, rule);
}

/* A routed call: its context, arguments, handler. */
static void serve(tether_conn *c, const tt_event *ev,
		  const tether_proc_desc *pd, const tt_reg_entry *ent,
		  uint64_t t0, uint32_t rule)
{
	tether_call_ctx *ctx = ctx_new(c, ev);
	size_t before = out_len(c);
	tether_status st;

	if (ctx == NULL) {
		reply_error(c, ev->call_id, TETHER_E_SYSTEM_ERR, 0, 0);
		if (c->budget != NULL && c->budget->max != 0)
			tt_aud_limit(c, "memory", TETHER_METRIC_LIMIT_MEMORY,
				     TETHER_E_BUSY, NULL);
		audit_ev(c, ev, TETHER_E_SYSTEM_ERR, TETHER_AUDIT_NONE_U32,
			 grew(c, before), t0);
		return;
	}
	ctx->pd = pd, ctx->ent = ent;
	ctx->null_proc = ev->call.proc == 0;
	ctx->flavor = ev->call.cred.flavor;
	ctx->rule = rule;
	ctx->t0_us = t0, ctx->bytes_in = call_bytes(ev);
	ctx->deadline_ms = UINT64_MAX;
	if (ev->call.cred.flavor == TT_AUTH_TETHER_CTX) {
		/* Checked by bad_cred: 16 bytes, version 1. */
		const uint8_t *b = ev->call.cred.body;
		uint32_t ms = tt_xdr_get32(b + 4);
		if (ms != 0)
			ctx->deadline_ms = ctx->received_ms + ms;
		ctx->causality = (uint64_t)tt_xdr_get32(b + 8) << 32 |
				 tt_xdr_get32(b + 12);
	}
	st = decode_args(ctx, ev);
	if (st == TETHER_OK)
		st = prepare_res(ctx);
	if (st != TETHER_OK) {
		st = st == TETHER_E_NOMEM ? TETHER_E_SYSTEM_ERR : st;
		reply_error(c, ev->call_id, st, 0, 0);
		audit_ctx(ctx, st, grew(c, before));
		ctx_free(ctx);
		return;
	}
	invoke(ctx);
}

tether_call_ctx *tt_ctx_find(tether_conn *c, uint32_t xid)
{
	for (tether_call_ctx *x = c->ctxs; x != NULL; x = x->next)
		if (x->xid == xid && !x->answered)
			return x;
	return NULL;
}

/* ---- call.h: inside a handler ------------------------------------------- */

tether_conn *tether_ctx_conn(tether_call_ctx *ctx)
{
	return ctx == NULL ? NULL : ctx->conn;
}

tether_arena *tether_ctx_arena(tether_call_ctx *ctx)
{
	return ctx == NULL ? NULL : ctx->arena;
}

void *tether_ctx_userdata(tether_call_ctx *ctx)
{
	return ctx == NULL ? NULL : ctx->ent->ud;
}

static bool off_loop(const tether_call_ctx *ctx)
{
	return ctx->conn->loop != NULL &&
	       !tt_io_loop_on_thread(ctx->conn->loop);
}

static tether_status post_reply(tether_call_ctx *ctx, const void *res,
				tether_status fail)
{
	posted_reply *pr = tt_calloc(1, sizeof *pr);
	const tether_type_desc *t = ctx->pd->res;
	tether_status st = TETHER_OK;

	if (pr == NULL)
		return TETHER_E_NOMEM;
	pr->ctx = ctx, pr->fail = fail;
	tether_enc_init_growable(&pr->e, ctx->conn->max_record);
	if (fail == TETHER_OK && !is_void(t))
		st = t->encode(&pr->e, res);
	if (st != TETHER_OK)
		pr->fail = TETHER_E_SYSTEM_ERR;
	st = tt_io_loop_post(ctx->conn->loop, run_posted_reply, pr);
	if (st != TETHER_OK) {
		/* The loop is stopping: the server releases ctx itself. */
		tether_enc_release(&pr->e);
		tt_free(pr, sizeof *pr);
	}
	return st;
}

tether_status tether_ctx_reply(tether_call_ctx *ctx, const void *res)
{
	tether_conn *c;
	tether_status st;

	if (ctx == NULL)
		return TETHER_E_STATE;
	/* Off the loop, ctx->deferred is the loop's to read (the handler
	 * may not have returned yet): the posted task checks it. */
	if (off_loop(ctx))
		return post_reply(ctx, res, TETHER_OK);
	if (!ctx->deferred)
		return TETHER_E_STATE;
	c = ctx->conn;
	size_t before = out_len(c);
	if (decide_cancelled(ctx)) {
		st = TETHER_E_CANCELLED;
		if (c->eng != NULL)
			TT_IGNORE(tt_conn_reply_error(c->eng, ctx->call_id,
						      TETHER_E_CANCELLED, 0, 0));
	} else {
		st = send_res(ctx, res);
	}
	audit_ctx(ctx,
		  st == TETHER_OK || st == TETHER_E_CANCELLED
		      ? st
		      : TETHER_E_SYSTEM_ERR,
		  grew(c, before));
	tt_rconn_kick(c);
	ctx_free(ctx);
	return st == TETHER_E_CANCELLED ? TETHER_OK : st;
}

void tether_ctx_fail(tether_call_ctx *ctx, tether_status st)
{
	tether_conn *c;

	if (ctx == NULL)
		return;
	if (off_loop(ctx)) {
		TT_IGNORE(post_reply(
		    ctx, NULL, st == TETHER_OK ? TETHER_E_SYSTEM_ERR : st));
		return;
	}
	if (!ctx->deferred)
		return;
	c = ctx->conn;
	size_t before = out_len(c);
	st = decide_cancelled(ctx) ? TETHER_E_CANCELLED : wire_error(st);
	if (c->eng != NULL)
		TT_IGNORE(tt_conn_reply_error(c->eng, ctx->call_id, st, 0, 0));
	audit_ctx(ctx, st, grew(c, before));
	tt_rconn_kick(c);
	ctx_free(ctx);
}

/* ---- server.h: more of the context -------------------------------------- */

const char *tether_ctx_peer_addr(tether_call_ctx *ctx)
{
	return ctx == NULL ? "" : ctx->conn->peer.addr;
}

tether_status tether_ctx_peer_cred(tether_call_ctx *ctx, uint32_t *uid,
				   uint32_t *gid, int32_t *pid)
{
	if (ctx == NULL || !ctx->conn->peer.has_cred)
		return TETHER_E_NOT_FOUND;
	if (uid != NULL)
		*uid = ctx->conn->peer.uid;
	if (gid != NULL)
		*gid = ctx->conn->peer.gid;
	if (pid != NULL)
		*pid = ctx->conn->peer.pid;
	return TETHER_OK;
}

const tether_peer_identity *tether_ctx_peer_identity(tether_call_ctx *ctx)
{
	return ctx == NULL ? NULL : ctx->conn->identity;
}

uint64_t tether_ctx_received_ms(tether_call_ctx *ctx)
{
	return ctx == NULL ? 0 : ctx->received_ms;
}

const char *tether_ctx_security_mode(tether_call_ctx *ctx)
{
	if (ctx == NULL || ctx->conn->aud == NULL)
		return NULL;
	return ctx->conn->aud->mode;
}

uint32_t tether_ctx_xid(tether_call_ctx *ctx)
{
	return ctx == NULL ? 0 : ctx->xid;
}

bool tether_ctx_cancelled(tether_call_ctx *ctx)
{
	return ctx != NULL && atomic_load(&ctx->cancelled);
}

uint64_t tether_ctx_deadline_ms(tether_call_ctx *ctx)
{
	return ctx == NULL ? UINT64_MAX : ctx->deadline_ms;
}

const tether_proc_desc *tether_ctx_proc(tether_call_ctx *ctx)
{
	return ctx == NULL ? NULL : ctx->pd;
}
