/* SPDX-License-Identifier: MIT */
/* harness.c - see harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "rpc/rm.h"

size_t h_pump(tt_conn *a, tt_conn *b, size_t chunk, size_t max)
{
	size_t moved = 0;
	while (moved < max) {
		size_t len, used = 0;
		const uint8_t *p = tt_conn_out_buf(a, &len);
		if (p == NULL)
			break;
		if (len > chunk)
			len = chunk;
		if (len > max - moved)
			len = max - moved;
		if (tt_conn_in(b, p, len, &used) != TETHER_OK || used == 0) {
			tt_conn_out_ack(a, used);
			moved += used;
			break;
		}
		tt_conn_out_ack(a, used);
		moved += used;
	}
	return moved;
}

void h_settle(tt_conn *a, tt_conn *b, size_t chunk)
{
	for (int i = 0; i < 100000; i++) {
		size_t n = h_pump(a, b, chunk, SIZE_MAX);
		n += h_pump(b, a, chunk, SIZE_MAX);
		if (n == 0)
			return;
	}
	fail_msg("h_settle did not settle");
}

static size_t finish(tether_enc *e, uint8_t *buf, size_t cap,
		     const uint8_t *body, size_t len)
{
	uint8_t *dst;
	if (len > 0) {
		if (tether_enc_reserve(e, len, &dst) != TETHER_OK)
			return 0;
		memcpy(dst, body, len);
	}
	if (e->len + 4 > cap)
		return 0;
	tt_rm_put_mark(buf, (uint32_t)e->len, true);
	return e->len + 4;
}

size_t h_call_record(uint8_t *buf, size_t cap, uint32_t xid, uint32_t rpcvers,
		     uint32_t prog, uint32_t vers, uint32_t proc,
		     const uint8_t *body, size_t len)
{
	tether_enc e;
	tt_call_hdr h;
	memset(&h, 0, sizeof(h));
	h.rpcvers = rpcvers;
	h.prog = prog;
	h.vers = vers;
	h.proc = proc;
	if (cap < 4)
		return 0;
	tether_enc_init_fixed(&e, buf + 4, cap - 4);
	if (tt_rpc_encode_call(&e, xid, &h) != TETHER_OK)
		return 0;
	return finish(&e, buf, cap, body, len);
}

size_t h_reply_record(uint8_t *buf, size_t cap, uint32_t xid,
		      const uint8_t *body, size_t len)
{
	tether_enc e;
	tt_reply_hdr r;
	memset(&r, 0, sizeof(r));
	if (cap < 4)
		return 0;
	tether_enc_init_fixed(&e, buf + 4, cap - 4);
	if (tt_rpc_encode_reply(&e, xid, &r) != TETHER_OK)
		return 0;
	return finish(&e, buf, cap, body, len);
}

void h_feed_all(tt_conn *c, const uint8_t *buf, size_t len)
{
	size_t used = 0;
	assert_int_equal(tt_conn_in(c, buf, len, &used), TETHER_OK);
	assert_int_equal(used, len);
}

tether_status h_enc_pair(tether_enc *e, const void *v)
{
	const uint32_t *p = v;
	tether_status st = tether_enc_uint(e, p[0]);
	if (st != TETHER_OK)
		return st;
	return tether_enc_uint(e, p[1]);
}
