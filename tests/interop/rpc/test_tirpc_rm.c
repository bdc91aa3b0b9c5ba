/* SPDX-License-Identifier: MIT */
/*
 * test_tirpc_rm.c - record marking (RFC 5531 §11) against libtirpc's
 * xdrrec stream: records libtirpc fragments are reassembled by tether's
 * tt_rm_dec, and records tether frames are read back by libtirpc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
/* libtirpc's rpc/rpc.h by its full path: "rpc/rpc.h" on the include path
 * is tether's own src/rpc/rpc.h. */
#include <tirpc/rpc/rpc.h>

#include "rpc/rm.h"

/* A memory "socket" for xdrrec's callbacks. */
struct pipe_buf {
	char b[64 * 1024];
	size_t len, rd;
};

static int mem_write(void *h, void *buf, int n)
{
	struct pipe_buf *p = h;
	if (n < 0 || (size_t)n > sizeof(p->b) - p->len)
		return -1;
	memcpy(p->b + p->len, buf, (size_t)n);
	p->len += (size_t)n;
	return n;
}

static int mem_read(void *h, void *buf, int n)
{
	struct pipe_buf *p = h;
	size_t left = p->len - p->rd;
	if (left == 0)
		return -1; /* EOF */
	size_t k = (size_t)n < left ? (size_t)n : left;
	memcpy(buf, p->b + p->rd, k);
	p->rd += k;
	return (int)k;
}

static const u_int g_sizes[] = {0, 50, 5000};
#define NREC (sizeof(g_sizes) / sizeof(g_sizes[0]))

/* Record k: u_int k then opaque<> of g_sizes[k] patterned bytes. */
static bool_t xdr_rec(XDR *x, u_int k, char *payload)
{
	u_int n = g_sizes[k];
	for (u_int i = 0; i < n; i++)
		payload[i] = (char)(i * 13 + k);
	char *p = payload;
	return xdr_u_int(x, &k) && xdr_bytes(x, &p, &n, 10000);
}

static size_t plain_rec(u_int k, char *out, size_t cap)
{
	static char payload[10000];
	XDR x;
	xdrmem_create(&x, out, (u_int)cap, XDR_ENCODE);
	assert_true(xdr_rec(&x, k, payload));
	size_t n = xdr_getpos(&x);
	xdr_destroy(&x);
	return n;
}

/* libtirpc writes records in 96-byte fragments (sendsize 100); tether
 * reassembles them, fed all at once and one byte at a time. */
static void test_tirpc_to_tether(void **state)
{
	(void)state;
	static struct pipe_buf wire;
	static char payload[10000];
	memset(&wire, 0, sizeof(wire));
	XDR x;
	xdrrec_create(&x, 100, 100, &wire, mem_read, mem_write);
	x.x_op = XDR_ENCODE;
	for (u_int k = 0; k < NREC; k++) {
		assert_true(xdr_rec(&x, k, payload));
		assert_true(xdrrec_endofrecord(&x, TRUE));
	}
	xdr_destroy(&x);
	for (size_t step = 1; step <= wire.len; step += wire.len - 1) {
		tt_rm_dec d;
		tt_rm_dec_init(&d, 0, 0);
		size_t pos = 0;
		u_int k = 0;
		while (pos < wire.len) {
			size_t n =
			    step < wire.len - pos ? step : wire.len - pos;
			size_t used;
			tether_status st = tt_rm_dec_feed(
			    &d, (const uint8_t *)wire.b + pos, n, &used);
			pos += used;
			if (st == TETHER_E_NEED_MORE)
				continue;
			assert_int_equal(st, TETHER_OK);
			static char want[11000];
			size_t wl = plain_rec(k, want, sizeof(want));
			size_t len;
			const uint8_t *rec = tt_rm_dec_peek(&d, &len);
			assert_int_equal(len, wl);
			assert_memory_equal(rec, want, wl);
			tt_rm_dec_discard(&d);
			k++;
		}
		assert_int_equal(k, NREC);
		assert_false(tt_rm_dec_in_record(&d));
		tt_rm_dec_free(&d);
	}
}

/* tether frames each record in uneven fragments; libtirpc reads them. */
static void test_tether_to_tirpc(void **state)
{
	(void)state;
	static struct pipe_buf wire;
	static char rec[11000], payload[10000], got[10000];
	static const size_t cuts[] = {1, 7, 13, 1000};
	memset(&wire, 0, sizeof(wire));
	for (u_int k = 0; k < NREC; k++) {
		size_t n = plain_rec(k, rec, sizeof(rec)), off = 0;
		for (size_t c = 0; off < n; c++) {
			size_t f = c < 4 ? cuts[c] : n - off;
			if (f > n - off)
				f = n - off;
			uint8_t h[4];
			tt_rm_put_mark(h, (uint32_t)f, off + f == n);
			mem_write(&wire, h, 4);
			mem_write(&wire, rec + off, (int)f);
			off += f;
		}
	}
	XDR x;
	xdrrec_create(&x, 0, 0, &wire, mem_read, mem_write);
	x.x_op = XDR_DECODE;
	for (u_int k = 0; k < NREC; k++) {
		u_int kk, n = 0;
		char *p = got;
		assert_true(xdrrec_skiprecord(&x));
		assert_true(xdr_u_int(&x, &kk));
		assert_true(xdr_bytes(&x, &p, &n, sizeof(got)));
		assert_int_equal(kk, k);
		assert_int_equal(n, g_sizes[k]);
		for (u_int i = 0; i < n; i++)
			payload[i] = (char)(i * 13 + k);
		assert_memory_equal(got, payload, n);
	}
	xdr_destroy(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tirpc_to_tether),
	    cmocka_unit_test(test_tether_to_tirpc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
