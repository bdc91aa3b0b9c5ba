/* SPDX-License-Identifier: MIT */
/* probe.c - the RFC 9289 §4.1 AUTH_TLS probe: the client's NULL call that
 * asks for TLS and the server's "STARTTLS" reply, encoded and checked with
 * a bounded cursor (RFC 5531 §9 message layout, RFC 4506 XDR). */
#include <string.h>

#include "common/tt.h"
#include "tls.h"

/* RFC 5531 §9 constants. */
enum {
	MSG_CALL = 0,
	MSG_REPLY = 1,
	RPC_VERS = 2,
	MSG_ACCEPTED = 0,
	MSG_DENIED = 1,
	ACCEPT_SUCCESS = 0,
	ACCEPT_PROG_MISMATCH = 2,
	REJECT_RPC_MISMATCH = 0,
	REJECT_AUTH_ERROR = 1,
	AUTH_BODY_MAX = 400 /* RFC 5531 §8.2: opaque body<400> */
};

/* RFC 9289 §4.1: the reply verifier body is these eight ASCII bytes. */
static const uint8_t starttls[8] = {'S', 'T', 'A', 'R', 'T', 'T', 'L', 'S'};

typedef struct wr {
	uint8_t *p;
	size_t left;
} wr;

typedef struct rd {
	const uint8_t *p;
	size_t left;
} rd;

static void put32(wr *w, uint32_t v)
{
	w->p[0] = (uint8_t)(v >> 24);
	w->p[1] = (uint8_t)(v >> 16);
	w->p[2] = (uint8_t)(v >> 8);
	w->p[3] = (uint8_t)v;
	w->p += 4;
	w->left -= 4;
}

static bool get32(rd *r, uint32_t *v)
{
	if (r->left < 4)
		return false; /* nothing consumed */
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return true;
}

tether_status tt_tls_probe_call_encode(uint32_t xid, uint32_t prog,
				       uint32_t vers, uint8_t *buf, size_t cap,
				       size_t *len)
{
	if (buf == NULL || len == NULL)
		return TETHER_E_INVAL;
	*len = 0;
	if (cap < TT_TLS_PROBE_CALL_LEN)
		return TETHER_E_TOO_LARGE;
	wr w = {buf, cap};
	put32(&w, xid);
	put32(&w, MSG_CALL);
	put32(&w, RPC_VERS);
	put32(&w, prog);
	put32(&w, vers);
	put32(&w, 0); /* the NULL procedure */
	/* RFC 9289 §4.1: credential AUTH_TLS with an empty body ... */
	put32(&w, TT_AUTH_TLS);
	put32(&w, 0);
	/* ... and an AUTH_NONE verifier of length zero. */
	put32(&w, TT_AUTH_NONE);
	put32(&w, 0);
	*len = TT_TLS_PROBE_CALL_LEN;
	return TETHER_OK;
}

/* Reads an opaque_auth (RFC 5531 §8.2), skipping its padded body. */
static tether_status get_auth(rd *r, uint32_t *flavor, const uint8_t **body,
			      uint32_t *blen)
{
	if (!get32(r, flavor) || !get32(r, blen))
		return TETHER_E_RPC_MSG;
	if (*blen > AUTH_BODY_MAX)
		return TETHER_E_RPC_AUTH_LEN;
	size_t padded = ((size_t)*blen + 3) & ~(size_t)3;
	if (padded > r->left)
		return TETHER_E_RPC_MSG;
	for (size_t i = *blen; i < padded; i++)
		if (r->p[i] != 0)
			return TETHER_E_RPC_MSG; /* RFC 4506 §4.10 */
	*body = r->p;
	r->p += padded;
	r->left -= padded;
	return TETHER_OK;
}

tether_status tt_tls_probe_call_check(const uint8_t *msg, size_t len,
				      uint32_t *xid, uint32_t *prog,
				      uint32_t *vers)
{
	rd r = {msg, len};
	uint32_t x, mtype, rpcvers, pg, vs, proc, cf, cl, vf, vl;
	const uint8_t *body;
	if (msg == NULL || xid == NULL || prog == NULL || vers == NULL)
		return TETHER_E_INVAL;
	if (!get32(&r, &x) || !get32(&r, &mtype) || !get32(&r, &rpcvers) ||
	    !get32(&r, &pg) || !get32(&r, &vs) || !get32(&r, &proc))
		return TETHER_E_RPC_MSG;
	if (mtype != MSG_CALL)
		return TETHER_E_RPC_MSG;
	TT_TRY(get_auth(&r, &cf, &body, &cl));
	TT_TRY(get_auth(&r, &vf, &body, &vl));
	/* RFC 9289 §4.1: NULL procedure, AUTH_TLS credential of length zero,
	 * AUTH_NONE verifier of length zero. A NULL call has no arguments. */
	if (rpcvers != RPC_VERS || proc != 0 || cf != TT_AUTH_TLS || cl != 0 ||
	    vf != TT_AUTH_NONE || vl != 0 || r.left != 0)
		return TETHER_E_NOT_FOUND;
	*xid = x;
	*prog = pg;
	*vers = vs;
	return TETHER_OK;
}

tether_status tt_tls_probe_reply_encode(uint32_t xid, uint8_t *buf, size_t cap,
					size_t *len)
{
	if (buf == NULL || len == NULL)
		return TETHER_E_INVAL;
	*len = 0;
	if (cap < TT_TLS_PROBE_REPLY_LEN)
		return TETHER_E_TOO_LARGE;
	wr w = {buf, cap};
	put32(&w, xid);
	put32(&w, MSG_REPLY);
	put32(&w, MSG_ACCEPTED);
	/* RFC 9289 §4.1: verifier flavor AUTH_NONE, body length eight, the
	 * ASCII characters "STARTTLS" (a multiple of 4: no padding). */
	put32(&w, TT_AUTH_NONE);
	put32(&w, sizeof(starttls));
	memcpy(w.p, starttls, sizeof(starttls));
	w.p += sizeof(starttls);
	w.left -= sizeof(starttls);
	put32(&w, ACCEPT_SUCCESS); /* void result follows: nothing */
	*len = TT_TLS_PROBE_REPLY_LEN;
	return TETHER_OK;
}

/* MSG_DENIED body (RFC 5531 §9): well-formed means a known reject_stat
 * with its fields and nothing after. */
static tether_status denied(rd *r)
{
	uint32_t stat, a, b;
	if (!get32(r, &stat))
		return TETHER_E_BAD_REPLY;
	if (stat == REJECT_RPC_MISMATCH && get32(r, &a) && get32(r, &b) &&
	    r->left == 0)
		return TETHER_E_TLS_REQUIRED;
	if (stat == REJECT_AUTH_ERROR && get32(r, &a) && r->left == 0)
		return TETHER_E_TLS_REQUIRED;
	return TETHER_E_BAD_REPLY;
}

/* MSG_ACCEPTED body: TETHER_OK only for AUTH_NONE + "STARTTLS" + SUCCESS +
 * void (RFC 9289 §4.1); a well-formed answer without the token declines. */
static tether_status accepted(rd *r)
{
	uint32_t vf, vl, stat, lo, hi;
	const uint8_t *body;
	if (get_auth(r, &vf, &body, &vl) != TETHER_OK || !get32(r, &stat))
		return TETHER_E_BAD_REPLY;
	if (stat == ACCEPT_PROG_MISMATCH && (!get32(r, &lo) || !get32(r, &hi)))
		return TETHER_E_BAD_REPLY;
	if (r->left != 0)
		return TETHER_E_BAD_REPLY;
	if (vf != TT_AUTH_NONE)
		return TETHER_E_BAD_REPLY; /* not an answer to our probe */
	if (stat == ACCEPT_SUCCESS && vl == sizeof(starttls) &&
	    memcmp(body, starttls, sizeof(starttls)) == 0)
		return TETHER_OK;
	return TETHER_E_TLS_REQUIRED;
}

tether_status tt_tls_probe_reply_check(const uint8_t *msg, size_t len,
				       uint32_t xid)
{
	rd r = {msg, len};
	uint32_t x, mtype, stat;
	if (msg == NULL)
		return TETHER_E_INVAL;
	if (!get32(&r, &x) || !get32(&r, &mtype) || !get32(&r, &stat))
		return TETHER_E_BAD_REPLY;
	if (mtype != MSG_REPLY)
		return TETHER_E_BAD_REPLY;
	if (x != xid)
		return TETHER_E_PROTOCOL;
	if (stat == MSG_ACCEPTED)
		return accepted(&r);
	if (stat == MSG_DENIED)
		return denied(&r);
	return TETHER_E_BAD_REPLY;
}
