/* SPDX-License-Identifier: MIT */
/* probe.c - the RFC 9289 §4.1 AUTH_TLS probe: the client's NULL call that
 * asks for TLS and the server's "STARTTLS" reply, encoded and classified
 * with the RPC message codec of src/rpc (RFC 5531 §9). */
#include <string.h>

#include "common/tt.h"
#include "rpc/rpc.h"
#include "tls.h"

tether_status tt_tls_probe_call_encode(uint32_t xid, uint32_t prog,
				       uint32_t vers, uint8_t *buf, size_t cap,
				       size_t *len)
{
	if (buf == NULL || len == NULL)
		return TETHER_E_INVAL;
	*len = 0;
	if (cap < TT_TLS_PROBE_CALL_LEN)
		return TETHER_E_TOO_LARGE;
	/* RFC 9289 §4.1: the NULL procedure, a credential of flavor AUTH_TLS
	 * whose body has length zero, and an AUTH_NONE verifier of length
	 * zero. */
	const tt_call_hdr c = {
	    .rpcvers = TT_RPC_VERS,
	    .prog = prog,
	    .vers = vers,
	    .proc = 0,
	    .cred = {TT_AUTH_TLS, 0, NULL},
	    .verf = {TT_AUTH_NONE, 0, NULL},
	};
	tether_enc e;
	tether_enc_init_fixed(&e, buf, cap);
	TT_TRY(tt_rpc_encode_call(&e, xid, &c));
	*len = e.len;
	return TETHER_OK;
}

/* Decodes one whole message header; d is left after it. */
static tether_status decode(const uint8_t *msg, size_t len, tether_dec *d,
			    tt_rpc_msg *m)
{
	tether_dec_init(d, msg, len, NULL);
	return tt_rpc_decode(d, m);
}

tether_status tt_tls_probe_call_check(const uint8_t *msg, size_t len,
				      uint32_t *xid, uint32_t *prog,
				      uint32_t *vers)
{
	tether_dec d;
	tt_rpc_msg m;
	if (msg == NULL || xid == NULL || prog == NULL || vers == NULL)
		return TETHER_E_INVAL;
	tether_status st = decode(msg, len, &d, &m);
	if (st == TETHER_E_RPC_AUTH_LEN)
		return st;
	if (st != TETHER_OK || m.type != TT_MSG_CALL)
		return TETHER_E_RPC_MSG;
	const tt_call_hdr *c = &m.u.call;
	/* RFC 9289 §4.1: exactly the probe, and a NULL call has no
	 * arguments after the header. */
	if (c->rpcvers != TT_RPC_VERS || c->proc != 0 ||
	    c->cred.flavor != TT_AUTH_TLS || c->cred.len != 0 ||
	    c->verf.flavor != TT_AUTH_NONE || c->verf.len != 0 || d.left != 0)
		return TETHER_E_NOT_FOUND;
	*xid = m.xid;
	*prog = c->prog;
	*vers = c->vers;
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
	/* RFC 9289 §4.1: MSG_ACCEPTED with a verifier of flavor AUTH_NONE
	 * whose body is the eight ASCII bytes "STARTTLS"; SUCCESS and the
	 * NULL procedure's void result (no bytes). */
	const tt_reply_hdr r = {
	    .stat = TT_REPLY_ACCEPTED,
	    .verf = {TT_AUTH_NONE, sizeof(tt_starttls_verf), tt_starttls_verf},
	    .accept_stat = TT_ACCEPT_SUCCESS,
	};
	tether_enc e;
	tether_enc_init_fixed(&e, buf, cap);
	TT_TRY(tt_rpc_encode_reply(&e, xid, &r));
	*len = e.len;
	return TETHER_OK;
}

tether_status tt_tls_probe_reply_check(const uint8_t *msg, size_t len,
				       uint32_t xid)
{
	tether_dec d;
	tt_rpc_msg m;
	if (msg == NULL)
		return TETHER_E_INVAL;
	if (decode(msg, len, &d, &m) != TETHER_OK || m.type != TT_MSG_REPLY)
		return TETHER_E_BAD_REPLY;
	if (m.xid != xid)
		return TETHER_E_PROTOCOL;
	const tt_reply_hdr *r = &m.u.reply;
	if (d.left != 0)
		return TETHER_E_BAD_REPLY; /* nothing follows these replies */
	if (r->stat == TT_REPLY_DENIED)
		return TETHER_E_TLS_REQUIRED; /* AUTH_ERROR or RPC_MISMATCH */
	if (r->verf.flavor != TT_AUTH_NONE)
		return TETHER_E_BAD_REPLY; /* not an answer to our probe */
	if (r->accept_stat == TT_ACCEPT_SUCCESS &&
	    tt_rpc_is_starttls_verf(&r->verf))
		return TETHER_OK;
	return TETHER_E_TLS_REQUIRED; /* well-formed, but no "STARTTLS" */
}
