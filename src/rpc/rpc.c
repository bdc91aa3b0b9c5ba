/* SPDX-License-Identifier: MIT */
/*
 * rpc.c - encode and decode ONC RPC v2 message headers (RFC 5531 §9) and
 * map a reply header to a tether_status. Bytes only: no I/O, no memory.
 */
#include <string.h>

#include "common/tt.h"
#include "rpc/rpc.h"

/* ---- decoding ---------------------------------------------------------- */

/* RFC 5531 §8.2: opaque_auth = { auth_flavor flavor; opaque body<400>; }.
 * The body is returned borrowed, pointing into the decoder's buffer. */
static tether_status dec_opaque_auth(tether_dec *d, tt_opaque_auth *a)
{
	uint32_t len;
	TT_TRY(tether_dec_uint(d, &a->flavor));
	TT_TRY(tether_dec_uint(d, &len));
	if (len > TT_AUTH_MAX_BODY)
		return TETHER_E_RPC_AUTH_LEN;
	/* RFC 4506 §4.10: the body is padded with zeros to a multiple of 4.
	 * len <= 400, so the padded size cannot overflow. */
	size_t padded = ((size_t)len + 3u) & ~(size_t)3u;
	if (padded > d->left)
		return TETHER_E_XDR_SHORT;
	for (size_t i = len; i < padded; i++) {
		if (d->p[i] != 0)
			return TETHER_E_XDR_PADDING;
	}
	a->len = len;
	a->body = len ? d->p : NULL;
	d->p += padded;
	d->left -= padded;
	return TETHER_OK;
}

/* RFC 5531 §9 call_body: rpcvers, prog, vers, proc, cred, verf. rpcvers
 * is returned as is; the server answers RPC_MISMATCH for anything but 2. */
static tether_status dec_call(tether_dec *d, tt_call_hdr *c)
{
	TT_TRY(tether_dec_uint(d, &c->rpcvers));
	TT_TRY(tether_dec_uint(d, &c->prog));
	TT_TRY(tether_dec_uint(d, &c->vers));
	TT_TRY(tether_dec_uint(d, &c->proc));
	TT_TRY(dec_opaque_auth(d, &c->cred));
	return dec_opaque_auth(d, &c->verf);
}

/* RFC 5531 §9 accepted_reply: verf, then a union on accept_stat. Only
 * PROG_MISMATCH carries data (low, high); SUCCESS is followed by the
 * results, which the caller decodes. */
static tether_status dec_accepted(tether_dec *d, tt_reply_hdr *r)
{
	TT_TRY(dec_opaque_auth(d, &r->verf));
	TT_TRY(tether_dec_uint(d, &r->accept_stat));
	switch (r->accept_stat) {
	case TT_PROG_MISMATCH:
		TT_TRY(tether_dec_uint(d, &r->low));
		return tether_dec_uint(d, &r->high);
	case TT_ACCEPT_SUCCESS:
	case TT_PROG_UNAVAIL:
	case TT_PROC_UNAVAIL:
	case TT_GARBAGE_ARGS:
	case TT_SYSTEM_ERR:
		return TETHER_OK;
	default:
		/* The RFC's union has no default arm: what follows an
		 * unknown accept_stat is undefined, so refuse it. */
		return TETHER_E_RPC_MSG;
	}
}

/* RFC 5531 §9 rejected_reply: RPC_MISMATCH { low, high } or AUTH_ERROR
 * { auth_stat }. Any auth_stat value is tolerated (new flavors add codes,
 * e.g. RFC 2203 §5.3.3.3); the caller maps them all to E_AUTH_REJECTED. */
static tether_status dec_rejected(tether_dec *d, tt_reply_hdr *r)
{
	TT_TRY(tether_dec_uint(d, &r->reject_stat));
	switch (r->reject_stat) {
	case TT_RPC_MISMATCH:
		TT_TRY(tether_dec_uint(d, &r->low));
		return tether_dec_uint(d, &r->high);
	case TT_AUTH_ERROR:
		return tether_dec_uint(d, &r->auth_stat);
	default:
		return TETHER_E_RPC_MSG;
	}
}

static tether_status dec_reply(tether_dec *d, tt_reply_hdr *r)
{
	TT_TRY(tether_dec_uint(d, &r->stat));
	switch (r->stat) {
	case TT_REPLY_ACCEPTED:
		return dec_accepted(d, r);
	case TT_REPLY_DENIED:
		return dec_rejected(d, r);
	default:
		return TETHER_E_RPC_MSG;
	}
}

static tether_status dec_msg(tether_dec *d, tt_rpc_msg *m)
{
	TT_TRY(tether_dec_uint(d, &m->xid));
	TT_TRY(tether_dec_uint(d, &m->type));
	switch (m->type) {
	case TT_MSG_CALL:
		return dec_call(d, &m->u.call);
	case TT_MSG_REPLY:
		return dec_reply(d, &m->u.reply);
	default:
		return TETHER_E_RPC_MSG_TYPE;
	}
}

tether_status tt_rpc_decode(tether_dec *d, tt_rpc_msg *m)
{
	if (d == NULL || m == NULL)
		return TETHER_E_INVAL;
	tether_dec saved = *d;
	memset(m, 0, sizeof(*m));
	tether_status st = dec_msg(d, m);
	if (st != TETHER_OK)
		*d = saved; /* the cursor never advances on failure */
	return st;
}

/* ---- encoding ---------------------------------------------------------- */

static tether_status enc_opaque_auth(tether_enc *e, const tt_opaque_auth *a)
{
	if (a->len > TT_AUTH_MAX_BODY || (a->len > 0 && a->body == NULL))
		return TETHER_E_INVAL;
	TT_TRY(tether_enc_uint(e, a->flavor));
	return tether_enc_opaque(e, a->body, a->len, TT_AUTH_MAX_BODY);
}

/* Writes the header into e, or on failure leaves e->len as it was so a
 * caller may retry into a larger buffer. */
static tether_status enc_rollback(tether_enc *e, size_t mark, tether_status st)
{
	if (st != TETHER_OK)
		e->len = mark;
	return st;
}

static tether_status enc_call(tether_enc *e, uint32_t xid, const tt_call_hdr *c)
{
	TT_TRY(tether_enc_uint(e, xid));
	TT_TRY(tether_enc_uint(e, TT_MSG_CALL));
	TT_TRY(tether_enc_uint(e, c->rpcvers ? c->rpcvers : TT_RPC_VERS));
	TT_TRY(tether_enc_uint(e, c->prog));
	TT_TRY(tether_enc_uint(e, c->vers));
	TT_TRY(tether_enc_uint(e, c->proc));
	TT_TRY(enc_opaque_auth(e, &c->cred));
	return enc_opaque_auth(e, &c->verf);
}

tether_status tt_rpc_encode_call(tether_enc *e, uint32_t xid,
				 const tt_call_hdr *c)
{
	if (e == NULL || c == NULL)
		return TETHER_E_INVAL;
	size_t mark = e->len;
	return enc_rollback(e, mark, enc_call(e, xid, c));
}

static tether_status enc_accepted(tether_enc *e, const tt_reply_hdr *r)
{
	if (r->accept_stat > TT_SYSTEM_ERR)
		return TETHER_E_INVAL;
	TT_TRY(enc_opaque_auth(e, &r->verf));
	TT_TRY(tether_enc_uint(e, r->accept_stat));
	if (r->accept_stat != TT_PROG_MISMATCH)
		return TETHER_OK;
	TT_TRY(tether_enc_uint(e, r->low));
	return tether_enc_uint(e, r->high);
}

static tether_status enc_rejected(tether_enc *e, const tt_reply_hdr *r)
{
	TT_TRY(tether_enc_uint(e, r->reject_stat));
	switch (r->reject_stat) {
	case TT_RPC_MISMATCH:
		TT_TRY(tether_enc_uint(e, r->low));
		return tether_enc_uint(e, r->high);
	case TT_AUTH_ERROR:
		return tether_enc_uint(e, r->auth_stat);
	default:
		return TETHER_E_INVAL;
	}
}

static tether_status enc_reply(tether_enc *e, uint32_t xid,
			       const tt_reply_hdr *r)
{
	TT_TRY(tether_enc_uint(e, xid));
	TT_TRY(tether_enc_uint(e, TT_MSG_REPLY));
	TT_TRY(tether_enc_uint(e, r->stat));
	switch (r->stat) {
	case TT_REPLY_ACCEPTED:
		return enc_accepted(e, r);
	case TT_REPLY_DENIED:
		return enc_rejected(e, r);
	default:
		return TETHER_E_INVAL;
	}
}

tether_status tt_rpc_encode_reply(tether_enc *e, uint32_t xid,
				  const tt_reply_hdr *r)
{
	if (e == NULL || r == NULL)
		return TETHER_E_INVAL;
	size_t mark = e->len;
	return enc_rollback(e, mark, enc_reply(e, xid, r));
}

/* ---- reply outcome ----------------------------------------------------- */

static tether_status accepted_status(uint32_t accept_stat)
{
	switch (accept_stat) {
	case TT_ACCEPT_SUCCESS:
		return TETHER_OK;
	case TT_PROG_UNAVAIL:
		return TETHER_E_PROG_UNAVAIL;
	case TT_PROG_MISMATCH:
		return TETHER_E_PROG_MISMATCH;
	case TT_PROC_UNAVAIL:
		return TETHER_E_PROC_UNAVAIL;
	case TT_GARBAGE_ARGS:
		return TETHER_E_GARBAGE_ARGS;
	case TT_SYSTEM_ERR:
		return TETHER_E_SYSTEM_ERR;
	default:
		return TETHER_E_BAD_REPLY;
	}
}

tether_status tt_rpc_reply_status(const tt_reply_hdr *r)
{
	if (r == NULL)
		return TETHER_E_INVAL;
	/* docs/protocol.md: a tether server marks a rate-limit refusal with
	 * its private verifier on SYSTEM_ERR; plain peers never send it. */
	if (r->stat == TT_REPLY_ACCEPTED && r->accept_stat == TT_SYSTEM_ERR &&
	    r->verf.flavor == TT_AUTH_TETHER_RATE)
		return TETHER_E_RATE_LIMITED;
	if (r->stat == TT_REPLY_ACCEPTED && r->accept_stat == TT_SYSTEM_ERR &&
	    r->verf.flavor == TT_AUTH_TETHER_CANCEL)
		return TETHER_E_CANCELLED;
	if (r->stat == TT_REPLY_ACCEPTED)
		return accepted_status(r->accept_stat);
	if (r->stat != TT_REPLY_DENIED)
		return TETHER_E_BAD_REPLY;
	switch (r->reject_stat) {
	case TT_RPC_MISMATCH:
		return TETHER_E_RPC_MISMATCH;
	case TT_AUTH_ERROR:
		/* AUTH_TOOWEAK: "rejected for security reasons" (RFC 5531
		 * §9), what a tether server answers a policy denial. */
		return r->auth_stat == TT_AUTH_TOOWEAK ? TETHER_E_DENIED
						       : TETHER_E_AUTH_REJECTED;
	default:
		return TETHER_E_BAD_REPLY;
	}
}
