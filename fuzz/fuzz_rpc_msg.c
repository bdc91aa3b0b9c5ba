/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rpc_msg.c - libFuzzer target for RPC message headers (RFC 5531 §9):
 * whatever tt_rpc_decode accepts re-encodes to exactly the bytes it
 * consumed; a refused input leaves the cursor untouched; an AUTH_SYS
 * credential that decodes re-encodes to its exact body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_auth_sys(const tt_opaque_auth *cred)
{
	tt_auth_sys s;
	uint8_t body[TT_AUTH_MAX_BODY];
	uint32_t len;
	if (cred->flavor != TT_AUTH_SYS ||
	    tt_auth_sys_decode(cred, &s) != TETHER_OK)
		return;
	if (tt_auth_sys_encode(&s, body, &len) != TETHER_OK ||
	    len != cred->len || memcmp(body, cred->body, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tether_dec d;
	tt_rpc_msg m;
	tether_dec_init(&d, data, size, NULL);
	if (tt_rpc_decode(&d, &m) != TETHER_OK) {
		if (d.p != data || d.left != size)
			abort(); /* the cursor must not move on failure */
		return 0;
	}
	size_t hdr = size - d.left;
	static uint8_t buf[2048];
	tether_enc e;
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	tether_status st = m.type == TT_MSG_CALL
			       ? tt_rpc_encode_call(&e, m.xid, &m.u.call)
			       : tt_rpc_encode_reply(&e, m.xid, &m.u.reply);
	if (st != TETHER_OK || e.len != hdr)
		abort();
	/* The encoder writes rpcvers 0 as 2 (rpc.h); everything else must
	 * come back byte for byte. */
	if (m.type == TT_MSG_CALL && m.u.call.rpcvers == 0) {
		static const uint8_t two[4] = {0, 0, 0, 2};
		if (memcmp(buf + 8, two, 4) != 0)
			abort();
		memset(buf + 8, 0, 4);
	}
	if (memcmp(buf, data, hdr) != 0)
		abort();
	if (m.type == TT_MSG_CALL)
		check_auth_sys(&m.u.call.cred);
	else
		(void)tt_rpc_reply_status(&m.u.reply);
	return 0;
}
