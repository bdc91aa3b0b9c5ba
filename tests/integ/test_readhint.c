/* SPDX-License-Identifier: MIT */
/*
 * test_readhint.c - the read-size hint the blocking driver sizes its reads
 * with (src/io/fdio.c): tt_rm_dec_frag_left() and tt_conn_in_need() say
 * how much of the current fragment (RFC 5531 §11) is still to come, and 0
 * when nothing is known (between fragments, after a failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conn/conn.h"
#include "rpc/rm.h"

static void mark(uint8_t *p, uint32_t len, bool last)
{
	uint32_t v = len | (last ? TT_RM_LAST : 0);
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static size_t feed(tt_rm_dec *d, const uint8_t *p, size_t n)
{
	size_t used = 0;
	tether_status st = tt_rm_dec_feed(d, p, n, &used);
	assert_true(st == TETHER_OK || st == TETHER_E_NEED_MORE);
	return used;
}

static void test_rm_frag_left(void **state)
{
	uint8_t hdr[4], body[100];
	tt_rm_dec d;
	tt_rm_record r;
	(void)state;

	memset(body, 0x5a, sizeof body);
	tt_rm_dec_init(&d, 0, 0);
	assert_int_equal(tt_rm_dec_frag_left(&d), 0);
	/* A partial header announces nothing yet. */
	mark(hdr, 10, false);
	assert_int_equal(feed(&d, hdr, 2), 2);
	assert_int_equal(tt_rm_dec_frag_left(&d), 0);
	assert_int_equal(feed(&d, hdr + 2, 2), 2);
	assert_int_equal(tt_rm_dec_frag_left(&d), 10);
	assert_int_equal(feed(&d, body, 4), 4);
	assert_int_equal(tt_rm_dec_frag_left(&d), 6);
	assert_int_equal(feed(&d, body, 6), 6);
	/* Between fragments: the next one's length is not known. */
	assert_int_equal(tt_rm_dec_frag_left(&d), 0);
	mark(hdr, 100, true);
	assert_int_equal(feed(&d, hdr, 4), 4);
	assert_int_equal(tt_rm_dec_frag_left(&d), 100);
	assert_int_equal(feed(&d, body, 30), 30);
	assert_int_equal(tt_rm_dec_frag_left(&d), 70);
	assert_int_equal(feed(&d, body, 70), 70);
	assert_int_equal(tt_rm_dec_frag_left(&d), 0);
	assert_int_equal(tt_rm_dec_take(&d, &r), TETHER_OK);
	assert_int_equal(r.len, 110);
	tt_rm_record_free(&r);
	tt_rm_dec_free(&d);
}

static void test_conn_in_need(void **state)
{
	uint8_t b[4 + 64];
	tt_conn *c = NULL;
	size_t used = 0;
	(void)state;

	assert_int_equal(tt_conn_in_need(NULL), 0);
	assert_int_equal(tt_conn_new(NULL, TT_CONN_CLIENT, &c), TETHER_OK);
	assert_int_equal(tt_conn_in_need(c), 0);
	/* A 1,000-byte record has begun: 64 bytes of it came. */
	mark(b, 1000, true);
	memset(b + 4, 0, 64);
	assert_int_equal(tt_conn_in(c, b, sizeof b, &used), TETHER_OK);
	assert_int_equal(used, sizeof b);
	assert_int_equal(tt_conn_in_need(c), 1000 - 64);
	/* A failed engine wants nothing. */
	tt_conn_abort(c, TETHER_E_CLOSED);
	assert_int_equal(tt_conn_in_need(c), 0);
	tt_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rm_frag_left),
	    cmocka_unit_test(test_conn_in_need),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
