/* SPDX-License-Identifier: MIT */
/*
 * test_rm.c - record marking (RFC 5531 §11): any split of the input
 * decodes the same records, limits are enforced from the fragment header
 * before buffering, allocation follows bytes received, errors are sticky.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/tt.h"
#include "rpc/rm.h"

/* ---- a counting allocator ------------------------------------------- */

static size_t g_live, g_peak, g_largest, g_allocs;
static long g_fail_after = -1; /* fail the n-th allocation from now */

static bool should_fail(void)
{
	if (g_fail_after < 0)
		return false;
	return g_fail_after-- == 0;
}

static void note(size_t n)
{
	g_allocs++;
	g_live += n;
	if (g_live > g_peak)
		g_peak = g_live;
	if (n > g_largest)
		g_largest = n;
}

static void *c_alloc(size_t n, void *ud)
{
	(void)ud;
	if (should_fail())
		return NULL;
	void *p = malloc(n);
	if (p)
		note(n);
	return p;
}

static void *c_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	if (should_fail())
		return NULL;
	void *q = realloc(p, new_n);
	if (q) {
		g_live -= old_n;
		note(new_n);
	}
	return q;
}

static void c_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p)
		g_live -= n;
	free(p);
}

static int reset_alloc(void **state)
{
	(void)state;
	static const tether_allocator a = {c_alloc, c_realloc, c_free, NULL};
	tether_set_allocator(&a);
	g_live = g_peak = g_largest = g_allocs = 0;
	g_fail_after = -1;
	return 0;
}

static int check_no_leak(void **state)
{
	(void)state;
	tether_set_allocator(NULL);
	return g_live == 0 ? 0 : -1;
}

/* ---- stream building and decoding ------------------------------------ */

typedef struct {
	uint8_t *b;
	size_t len, cap;
} bytes;

static void put(bytes *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->b = realloc(s->b, s->cap);
		assert_non_null(s->b);
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void frag(bytes *s, const void *p, uint32_t n, bool last)
{
	uint8_t h[4];
	tt_rm_put_mark(h, n, last);
	put(s, h, 4);
	put(s, p, n);
}

/* Feeds s in chunks whose sizes come from next_chunk(); the transcript
 * lists each record as a 4-byte length then its bytes. Returns the final
 * status: NEED_MORE when the stream ends between records. */
typedef size_t (*chunker)(size_t left, void *ud);

static tether_status decode(const bytes *s, chunker next_chunk, void *ud,
			    bytes *transcript, uint32_t max_rec,
			    uint32_t max_frags)
{
	tt_rm_dec d;
	tt_rm_dec_init(&d, max_rec, max_frags);
	size_t pos = 0;
	tether_status st = TETHER_E_NEED_MORE;
	while (pos < s->len) {
		size_t n = next_chunk(s->len - pos, ud);
		size_t off = 0;
		while (off < n) {
			size_t used;
			st = tt_rm_dec_feed(&d, s->b + pos + off, n - off,
					    &used);
			assert_true(used <= n - off);
			off += used;
			if (st == TETHER_OK) {
				tt_rm_record r;
				assert_int_equal(tt_rm_dec_take(&d, &r),
						 TETHER_OK);
				uint8_t h[4];
				tt_rm_put_mark(h, (uint32_t)r.len, false);
				put(transcript, h, 4);
				if (r.len)
					put(transcript, r.data, r.len);
				tt_rm_record_free(&r);
				st = TETHER_E_NEED_MORE;
			} else if (st != TETHER_E_NEED_MORE) {
				tt_rm_dec_free(&d);
				return st;
			}
		}
		pos += n;
	}
	tt_rm_dec_free(&d);
	return st;
}

static size_t chunk_all(size_t left, void *ud)
{
	(void)ud;
	return left;
}

static size_t chunk_one(size_t left, void *ud)
{
	(void)ud;
	(void)left;
	return 1;
}

/* First chunk of *(size_t *)ud bytes, then the rest. */
static size_t chunk_split(size_t left, void *ud)
{
	size_t *first = ud;
	size_t n = *first ? *first : left;
	*first = 0;
	return n < left ? n : left;
}

/* Random chunk sizes 1..64 from a fixed-seed xorshift. */
static size_t chunk_random(size_t left, void *ud)
{
	uint32_t *x = ud;
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	size_t n = 1 + *x % 64;
	return n < left ? n : left;
}

/* Three records: fragmented with zero-length fragments, empty, plain. */
static void build_stream(bytes *s)
{
	uint8_t data[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	frag(s, data, 0, false);
	frag(s, data, 5, false);
	frag(s, data + 5, 0, false);
	frag(s, data + 5, 100, false);
	frag(s, data + 105, 3, true);
	frag(s, data, 0, true); /* an empty record */
	frag(s, data + 108, 192, true);
}

static void test_every_split_point(void **state)
{
	(void)state;
	bytes s = {0}, ref = {0};
	build_stream(&s);
	assert_int_equal(decode(&s, chunk_all, NULL, &ref, 0, 0),
			 TETHER_E_NEED_MORE);
	/* three records: 108, 0 and 192 bytes */
	assert_int_equal(ref.len, 3 * 4 + 108 + 0 + 192);
	for (size_t k = 1; k < s.len; k++) {
		bytes t = {0};
		size_t first = k;
		decode(&s, chunk_split, &first, &t, 0, 0);
		assert_int_equal(t.len, ref.len);
		assert_memory_equal(t.b, ref.b, ref.len);
		free(t.b);
	}
	bytes t = {0};
	decode(&s, chunk_one, NULL, &t, 0, 0);
	assert_int_equal(t.len, ref.len);
	assert_memory_equal(t.b, ref.b, ref.len);
	free(t.b);
	free(s.b);
	free(ref.b);
}

static void test_random_chunks(void **state)
{
	(void)state;
	bytes s = {0}, ref = {0};
	for (int i = 0; i < 20; i++)
		build_stream(&s);
	decode(&s, chunk_all, NULL, &ref, 0, 0);
	assert_int_equal(ref.len, 20 * (3 * 4 + 300));
	for (uint32_t seed = 1; seed <= 200; seed++) {
		bytes t = {0};
		uint32_t x = seed * 2654435761u;
		decode(&s, chunk_random, &x, &t, 0, 0);
		assert_int_equal(t.len, ref.len);
		assert_memory_equal(t.b, ref.b, ref.len);
		free(t.b);
	}
	free(s.b);
	free(ref.b);
}

/* A header announcing 0x7fffffff bytes followed by 8 bytes: refused from
 * the header, nothing near that size allocated. */
static void test_huge_header_refused(void **state)
{
	(void)state;
	static const uint32_t marks[] = {0x7fffffffu, 0xffffffffu};
	for (size_t i = 0; i < TT_ARRAY_LEN(marks); i++) {
		uint8_t in[12] = {0};
		in[0] = (uint8_t)(marks[i] >> 24);
		in[1] = in[2] = in[3] = 0xff;
		tt_rm_dec d;
		size_t used;
		g_largest = g_peak = 0;
		tt_rm_dec_init(&d, 0, 0);
		assert_int_equal(tt_rm_dec_feed(&d, in, sizeof(in), &used),
				 TETHER_E_RM_TOO_LARGE);
		assert_int_equal(used, 4); /* nothing of the body taken */
		assert_int_equal(g_peak, 0);
		tt_rm_dec_free(&d);
	}
	/* Even when the limit allows it, memory follows the bytes that
	 * arrived: 8 body bytes cost at most the minimum buffer. */
	uint8_t in[12] = {0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8};
	tt_rm_dec d;
	size_t used;
	tt_rm_dec_init(&d, 0xffffffffu, 0);
	assert_int_equal(tt_rm_dec_feed(&d, in, sizeof(in), &used),
			 TETHER_E_NEED_MORE);
	assert_int_equal(used, sizeof(in));
	assert_true(tt_rm_dec_in_record(&d));
	assert_true(g_largest <= 256);
	/* 100 KiB more: capacity stays within twice what was received. */
	static uint8_t more[100 * 1024];
	assert_int_equal(tt_rm_dec_feed(&d, more, sizeof(more), &used),
			 TETHER_E_NEED_MORE);
	assert_true(g_largest <= 2 * (sizeof(more) + 8));
	tt_rm_dec_free(&d);
}

/* The running total is checked at each header, before its body. */
static void test_running_total(void **state)
{
	(void)state;
	uint8_t data[100] = {0};
	bytes s = {0}, t = {0};
	frag(&s, data, 60, false);
	frag(&s, data, 40, true);
	assert_int_equal(decode(&s, chunk_all, NULL, &t, 100, 0),
			 TETHER_E_NEED_MORE);
	assert_int_equal(t.len, 4 + 100);
	free(s.b);
	free(t.b);
	s = (bytes){0};
	t = (bytes){0};
	frag(&s, data, 60, false);
	frag(&s, data, 41, true);
	assert_int_equal(decode(&s, chunk_all, NULL, &t, 100, 0),
			 TETHER_E_RM_TOO_LARGE);
	assert_int_equal(t.len, 0);
	assert_true(g_largest <= 100);
	free(s.b);
	free(t.b);
}

/* 100,000 one-byte fragments of one record: refused at the cap. */
static void test_fragment_cap(void **state)
{
	(void)state;
	bytes s = {0};
	uint8_t one = 0x5a;
	for (int i = 0; i < 100000; i++)
		frag(&s, &one, 1, i == 99999);
	tt_rm_dec d;
	size_t used;
	tt_rm_dec_init(&d, 0, 0);
	assert_int_equal(tt_rm_dec_feed(&d, s.b, s.len, &used),
			 TETHER_E_RM_FRAGMENTS);
	/* Refused at the header of fragment 1025. */
	assert_int_equal(used, (size_t)TT_RM_DEFAULT_MAX_FRAGMENTS * 5 + 4);
	assert_true(g_largest <= 2 * TT_RM_DEFAULT_MAX_FRAGMENTS);
	tt_rm_dec_free(&d);
	free(s.b);
	/* Exactly the cap is fine. */
	bytes s2 = {0}, t = {0};
	for (int i = 0; i < 8; i++)
		frag(&s2, &one, 1, i == 7);
	assert_int_equal(decode(&s2, chunk_one, NULL, &t, 0, 8),
			 TETHER_E_NEED_MORE);
	assert_int_equal(t.len, 4 + 8);
	free(t.b);
	t = (bytes){0};
	assert_int_equal(decode(&s2, chunk_one, NULL, &t, 0, 7),
			 TETHER_E_RM_FRAGMENTS);
	free(t.b);
	free(s2.b);
}

static void test_zero_length(void **state)
{
	(void)state;
	uint8_t in[4];
	tt_rm_dec d;
	size_t used, len;
	tt_rm_dec_init(&d, 0, 0);
	tt_rm_put_mark(in, 0, true);
	assert_int_equal(tt_rm_dec_feed(&d, in, 4, &used), TETHER_OK);
	assert_int_equal(used, 4);
	assert_null(tt_rm_dec_peek(&d, &len));
	assert_int_equal(len, 0);
	assert_false(tt_rm_dec_in_record(&d));
	tt_rm_record r;
	assert_int_equal(tt_rm_dec_take(&d, &r), TETHER_OK);
	assert_int_equal(r.len, 0);
	tt_rm_record_free(&r);
	/* Zero-length non-last fragments count toward the cap. */
	tt_rm_put_mark(in, 0, false);
	tt_rm_dec_free(&d);
	tt_rm_dec_init(&d, 0, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tt_rm_dec_feed(&d, in, 4, &used),
				 TETHER_E_NEED_MORE);
	assert_int_equal(tt_rm_dec_feed(&d, in, 4, &used),
			 TETHER_E_RM_FRAGMENTS);
	assert_int_equal(g_allocs, 0);
	tt_rm_dec_free(&d);
}

static void test_multi_record_and_state(void **state)
{
	(void)state;
	bytes s = {0};
	frag(&s, "abc", 3, true);
	frag(&s, "defg", 4, true);
	tt_rm_dec d;
	size_t used, len;
	tt_rm_dec_init(&d, 0, 0);
	assert_false(tt_rm_dec_in_record(&d));
	assert_int_equal(tt_rm_dec_feed(&d, s.b, s.len, &used), TETHER_OK);
	assert_int_equal(used, 7);
	const uint8_t *p = tt_rm_dec_peek(&d, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "abc", 3);
	size_t u2 = 99;
	/* Not taken yet: refused, nothing consumed, not sticky. */
	assert_int_equal(tt_rm_dec_feed(&d, s.b + 7, s.len - 7, &u2),
			 TETHER_E_STATE);
	assert_int_equal(u2, 0);
	tt_rm_dec_discard(&d);
	assert_int_equal(tt_rm_dec_feed(&d, s.b + 7, 2, &used),
			 TETHER_E_NEED_MORE);
	assert_true(tt_rm_dec_in_record(&d));
	assert_int_equal(tt_rm_dec_feed(&d, s.b + 9, s.len - 9, &used),
			 TETHER_OK);
	p = tt_rm_dec_peek(&d, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "defg", 4);
	assert_false(tt_rm_dec_in_record(&d));
	tt_rm_record r, none;
	assert_int_equal(tt_rm_dec_take(&d, &r), TETHER_OK);
	assert_int_equal(tt_rm_dec_take(&d, &none), TETHER_E_STATE);
	assert_memory_equal(r.data, "defg", 4);
	tt_rm_record_free(&r);
	tt_rm_dec_free(&d);
	free(s.b);
}

static void test_errors_sticky(void **state)
{
	(void)state;
	uint8_t in[8];
	tt_rm_dec d;
	size_t used;
	tt_rm_dec_init(&d, 16, 0);
	tt_rm_put_mark(in, 17, true);
	tt_rm_put_mark(in + 4, 1, true);
	assert_int_equal(tt_rm_dec_feed(&d, in, 8, &used),
			 TETHER_E_RM_TOO_LARGE);
	assert_int_equal(tt_rm_dec_error(&d), TETHER_E_RM_TOO_LARGE);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tt_rm_dec_feed(&d, in + 4, 4, &used),
				 TETHER_E_RM_TOO_LARGE);
		assert_int_equal(used, 0);
	}
	tt_rm_record r;
	assert_int_equal(tt_rm_dec_take(&d, &r), TETHER_E_STATE);
	tt_rm_dec_free(&d);
}

/* Allocation failure: a clean sticky E_NOMEM and no leak. */
static void test_nomem(void **state)
{
	(void)state;
	uint8_t in[4 + 1000] = {0};
	tt_rm_put_mark(in, 1000, true);
	for (long k = 0; k < 4; k++) {
		tt_rm_dec d;
		size_t used;
		tt_rm_dec_init(&d, 0, 0);
		g_fail_after = k;
		tether_status st = TETHER_E_NEED_MORE;
		/* 100-byte chunks: several reallocations. */
		for (size_t off = 0;
		     off < sizeof(in) && st == TETHER_E_NEED_MORE; off += 100) {
			size_t n =
			    sizeof(in) - off < 100 ? sizeof(in) - off : 100;
			st = tt_rm_dec_feed(&d, in + off, n, &used);
		}
		g_fail_after = -1;
		if (st == TETHER_E_NOMEM)
			assert_int_equal(tt_rm_dec_feed(&d, in, 4, &used),
					 TETHER_E_NOMEM);
		else
			assert_int_equal(st, TETHER_OK);
		tt_rm_dec_free(&d);
		assert_int_equal(g_live, 0);
	}
}

static void test_put_mark(void **state)
{
	(void)state;
	uint8_t h[4];
	tt_rm_put_mark(h, 0x12345678, true);
	assert_memory_equal(h, "\x92\x34\x56\x78", 4);
	tt_rm_put_mark(h, 0x7fffffff, false);
	assert_memory_equal(h, "\x7f\xff\xff\xff", 4);
	tt_rm_put_mark(h, 0, true);
	assert_memory_equal(h, "\x80\x00\x00\x00", 4);
}

#define T(f) cmocka_unit_test_setup_teardown(f, reset_alloc, check_no_leak)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_every_split_point),
	    T(test_random_chunks),
	    T(test_huge_header_refused),
	    T(test_running_total),
	    T(test_fragment_cap),
	    T(test_zero_length),
	    T(test_multi_record_and_state),
	    T(test_errors_sticky),
	    T(test_nomem),
	    T(test_put_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
