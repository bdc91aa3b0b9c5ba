/* SPDX-License-Identifier: MIT */
/*
 * rpc.h - ONC RPC v2 message headers (RFC 5531 §9), auth flavors (§8,
 * Appendix A) and the RPC-over-TLS probe verifier (RFC 9289 §4.1).
 * Internal to tether: the connection engine codes against this.
 */
#ifndef TT_RPC_H
#define TT_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/status.h>
#include <tether/xdr.h>

/* RFC 5531 §8.2: opaque_auth body is opaque<400>. */
enum { TT_RPC_VERS = 2, TT_AUTH_MAX_BODY = 400 };

/* RFC 5531 §9 msg_type */
typedef enum { TT_MSG_CALL = 0, TT_MSG_REPLY = 1 } tt_msg_type;

/* RFC 5531 §9 reply_stat */
typedef enum { TT_REPLY_ACCEPTED = 0, TT_REPLY_DENIED = 1 } tt_reply_stat;

/* RFC 5531 §9 accept_stat */
typedef enum {
	TT_ACCEPT_SUCCESS = 0,
	TT_PROG_UNAVAIL = 1,
	TT_PROG_MISMATCH = 2,
	TT_PROC_UNAVAIL = 3,
	TT_GARBAGE_ARGS = 4,
	TT_SYSTEM_ERR = 5
} tt_accept_stat;

/* RFC 5531 §9 reject_stat */
typedef enum { TT_RPC_MISMATCH = 0, TT_AUTH_ERROR = 1 } tt_reject_stat;

/* RFC 5531 §9 auth_stat (13 and 14 from RFC 2203 §5.3.3.3). */
typedef enum {
	TT_AUTH_OK = 0,
	TT_AUTH_BADCRED = 1,
	TT_AUTH_REJECTEDCRED = 2,
	TT_AUTH_BADVERF = 3,
	TT_AUTH_REJECTEDVERF = 4,
	TT_AUTH_TOOWEAK = 5,
	TT_AUTH_INVALIDRESP = 6,
	TT_AUTH_FAILED = 7,
	TT_AUTH_KERB_GENERIC = 8,
	TT_AUTH_TIMEEXPIRE = 9,
	TT_AUTH_TKT_FILE = 10,
	TT_AUTH_DECODE = 11,
	TT_AUTH_NET_ADDR = 12,
	TT_RPCSEC_GSS_CREDPROBLEM = 13,
	TT_RPCSEC_GSS_CTXPROBLEM = 14
} tt_auth_stat;

/* RFC 5531 §8.2 and the IANA registry: auth flavor numbers (AUTH_TLS from
 * RFC 9289 §4.1). Unknown flavors decode fine: the body is opaque. */
enum {
	TT_AUTH_NONE = 0,
	TT_AUTH_SYS = 1,
	TT_AUTH_SHORT = 2,
	TT_AUTH_DH = 3,
	TT_RPCSEC_GSS = 6,
	TT_AUTH_TLS = 7,
	/* tether's verifier on a MSG_ACCEPTED / SYSTEM_ERR reply that means
	 * "rate limited" (docs/protocol.md); body: retry-after ms (uint).
	 * Unregistered: far above the IANA blocks (0..400000). */
	TT_AUTH_TETHER_RATE = 0x74745201,
	/* The same for "the caller cancelled this call" (control CANCEL). */
	TT_AUTH_TETHER_CANCEL = 0x74745202,
	/* The per-call context credential a tether client sends once the
	 * server announced CTL_F_CONTEXT (docs/protocol.md §6); body: version
	 * (1), deadline in ms from receipt (0: none), causality id (hyper, 0:
	 * none): 16 bytes. */
	TT_AUTH_TETHER_CTX = 0x74745203,
	TT_TETHER_CTX_LEN = 16
};

/* RFC 5531 §8.2 opaque_auth. body is BORROWED: after tt_rpc_decode it
 * points into the decoder's buffer (valid as long as that buffer); when
 * encoding it is read only. body may be NULL when len is 0. */
typedef struct {
	uint32_t flavor;
	uint32_t len; /* <= TT_AUTH_MAX_BODY */
	const uint8_t *body;
} tt_opaque_auth;

/* RFC 5531 §9 call_body. rpcvers is returned as received: the caller
 * answers RPC_MISMATCH when it is not TT_RPC_VERS. */
typedef struct {
	uint32_t rpcvers, prog, vers, proc;
	tt_opaque_auth cred, verf;
} tt_call_hdr;

/* RFC 5531 §9 reply_body, flattened. Which fields mean something depends on
 * stat / accept_stat / reject_stat; the others are 0 after decoding and
 * ignored when encoding. */
typedef struct {
	uint32_t stat;	      /* tt_reply_stat */
	tt_opaque_auth verf;  /* accepted */
	uint32_t accept_stat; /* accepted: tt_accept_stat */
	uint32_t reject_stat; /* denied: tt_reject_stat */
	uint32_t auth_stat;   /* denied AUTH_ERROR: tt_auth_stat (any value) */
	uint32_t low, high;   /* PROG_MISMATCH or RPC_MISMATCH */
} tt_reply_hdr;

/* RFC 5531 §9 rpc_msg (header part only). */
typedef struct {
	uint32_t xid;
	uint32_t type; /* tt_msg_type */
	union {
		tt_call_hdr call;
		tt_reply_hdr reply;
	} u;
} tt_rpc_msg;

/*
 * Decodes an RPC message header from d. On success d is left at the first
 * byte of the procedure arguments (CALL) or results (accepted SUCCESS
 * reply; nothing follows other replies by the RFC, but the caller decides
 * whether trailing bytes matter). Bodies of opaque_auth point into d's
 * buffer (borrowed). Nothing is allocated; d->arena is not used.
 * On failure d is left exactly as it was.
 * Returns TETHER_OK, TETHER_E_XDR_SHORT (message truncated),
 * TETHER_E_XDR_PADDING (non-zero padding in an opaque_auth body),
 * TETHER_E_RPC_AUTH_LEN (opaque_auth body over 400 bytes),
 * TETHER_E_RPC_MSG_TYPE (msg_type not CALL/REPLY), TETHER_E_RPC_MSG
 * (unknown reply_stat, accept_stat or reject_stat: the body layout is then
 * undefined). Unknown auth flavors and auth_stat values are accepted as is.
 */
tether_status tt_rpc_decode(tether_dec *d, tt_rpc_msg *m);

/* Encode a CALL header (then the caller encodes the arguments). Returns
 * TETHER_OK, TETHER_E_INVAL (auth body > 400 bytes or NULL with len > 0)
 * or an encoder error (TETHER_E_TOO_LARGE, TETHER_E_NOMEM). c->rpcvers is
 * written as given (0 is written as TT_RPC_VERS). */
tether_status tt_rpc_encode_call(tether_enc *e, uint32_t xid,
				 const tt_call_hdr *c);
/* Encode a REPLY header (then, for accepted SUCCESS, the caller encodes the
 * results). Returns TETHER_OK, TETHER_E_INVAL (unknown stat/accept_stat/
 * reject_stat, bad auth body) or an encoder error. */
tether_status tt_rpc_encode_reply(tether_enc *e, uint32_t xid,
				  const tt_reply_hdr *r);

/* Maps a decoded reply header to a status: TETHER_OK for accepted SUCCESS,
 * else TETHER_E_PROG_UNAVAIL, E_PROG_MISMATCH, E_PROC_UNAVAIL,
 * E_GARBAGE_ARGS, E_SYSTEM_ERR, E_RPC_MISMATCH, E_AUTH_REJECTED (any
 * AUTH_ERROR) or E_BAD_REPLY (unknown values). */
tether_status tt_rpc_reply_status(const tt_reply_hdr *r);

/* ---- AUTH_SYS (RFC 5531 Appendix A) ------------------------------------ */

enum { TT_AUTH_SYS_MAX_NAME = 255, TT_AUTH_SYS_MAX_GIDS = 16 };

typedef struct {
	uint32_t stamp;
	char machinename[TT_AUTH_SYS_MAX_NAME + 1]; /* NUL-terminated */
	uint32_t uid, gid;
	uint32_t ngids; /* <= TT_AUTH_SYS_MAX_GIDS */
	uint32_t gids[TT_AUTH_SYS_MAX_GIDS];
} tt_auth_sys;

/* Decodes the body of an AUTH_SYS credential. Returns TETHER_OK,
 * TETHER_E_INVAL (flavor is not AUTH_SYS), TETHER_E_XDR_SHORT,
 * TETHER_E_XDR_LENGTH (name > 255 or gids > 16), TETHER_E_XDR_PADDING,
 * TETHER_E_XDR_STRING (NUL inside the name) or TETHER_E_XDR_TRAILING
 * (bytes left over in the body). */
tether_status tt_auth_sys_decode(const tt_opaque_auth *a, tt_auth_sys *out);
/* Encodes s into body (a caller buffer of TT_AUTH_MAX_BODY bytes) and sets
 * *len. Returns TETHER_OK or TETHER_E_INVAL (name too long, ngids > 16). */
tether_status tt_auth_sys_encode(const tt_auth_sys *s,
				 uint8_t body[TT_AUTH_MAX_BODY], uint32_t *len);

/* ---- RPC-over-TLS (RFC 9289 §4.1) -------------------------------------- */

/* The verifier body of the reply to the AUTH_TLS probe: "STARTTLS". */
extern const uint8_t tt_starttls_verf[8];
/* True when v is an AUTH_NONE verifier whose body is exactly "STARTTLS". */
bool tt_rpc_is_starttls_verf(const tt_opaque_auth *v);

#endif /* TT_RPC_H */
