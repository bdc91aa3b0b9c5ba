/* SPDX-License-Identifier: MIT */
/*
 * test_xdr_codec.c - known-answer vectors (RFC 4506 §4) for every XDR
 * primitive, both directions, and every decoder error path with the
 * never-advance-on-failure rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tether/xdr.h>

/* Asserts that what was encoded equals the expected bytes. */
static void assert_enc(const tether_enc *e, const uint8_t *want, size_t n)
{
	assert_int_equal(e->len, n);
	assert_memory_equal(e->buf, want, n);
}

#define ENC_FIXED(e, buf) tether_enc_init_fixed(&(e), (buf), sizeof(buf))

static void test_kat_int(void **state)
{
	(void)state;
	uint8_t buf[64];
	tether_enc e;
	ENC_FIXED(e, buf);
	assert_int_equal(tether_enc_int(&e, 1), TETHER_OK);
	assert_int_equal(tether_enc_int(&e, -1), TETHER_OK);
	assert_int_equal(tether_enc_int(&e, INT32_MIN), TETHER_OK);
	assert_int_equal(tether_enc_uint(&e, 0xdeadbeefu), TETHER_OK);
	assert_int_equal(tether_enc_enum(&e, 7), TETHER_OK);
	assert_int_equal(tether_enc_bool(&e, true), TETHER_OK);
	assert_int_equal(tether_enc_bool(&e, false), TETHER_OK);
	static const uint8_t want[] = {
	    0,	  0,	0, 1, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0xde, 0xad,
	    0xbe, 0xef, 0, 0, 0,    7,	  0,	0,    0,    1, 0, 0, 0,	   0};
	assert_enc(&e, want, sizeof(want));

	tether_dec d;
	tether_dec_init(&d, want, sizeof(want), NULL);
	int32_t i;
	uint32_t u;
	bool b;
	assert_int_equal(tether_dec_int(&d, &i), TETHER_OK);
	assert_int_equal(i, 1);
	assert_int_equal(tether_dec_int(&d, &i), TETHER_OK);
	assert_int_equal(i, -1);
	assert_int_equal(tether_dec_int(&d, &i), TETHER_OK);
	assert_true(i == INT32_MIN);
	assert_int_equal(tether_dec_uint(&d, &u), TETHER_OK);
	assert_int_equal(u, 0xdeadbeefu);
	assert_int_equal(tether_dec_enum(&d, &i), TETHER_OK);
	assert_int_equal(i, 7);
	assert_int_equal(tether_dec_bool(&d, &b), TETHER_OK);
	assert_true(b);
	assert_int_equal(tether_dec_bool(&d, &b), TETHER_OK);
	assert_false(b);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
}

static void test_kat_hyper_float(void **state)
{
	(void)state;
	uint8_t buf[64];
	tether_enc e;
	ENC_FIXED(e, buf);
	assert_int_equal(tether_enc_hyper(&e, -2), TETHER_OK);
	assert_int_equal(tether_enc_uhyper(&e, 0x0102030405060708u), TETHER_OK);
	assert_int_equal(tether_enc_float(&e, 1.0f), TETHER_OK);
	assert_int_equal(tether_enc_double(&e, -2.5), TETHER_OK);
	static const uint8_t want[] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, /* -2 */
	    1,	  2,	3,    4,    5,	  6,	7,    8,    /* uhyper */
	    0x3f, 0x80, 0,    0,			    /* 1.0f */
	    0xc0, 0x04, 0,    0,    0,	  0,	0,    0};   /* -2.5 */
	assert_enc(&e, want, sizeof(want));
	tether_dec d;
	tether_dec_init(&d, want, sizeof(want), NULL);
	int64_t h;
	uint64_t uh;
	float f;
	double g;
	assert_int_equal(tether_dec_hyper(&d, &h), TETHER_OK);
	assert_true(h == -2);
	assert_int_equal(tether_dec_uhyper(&d, &uh), TETHER_OK);
	assert_true(uh == 0x0102030405060708u);
	assert_int_equal(tether_dec_float(&d, &f), TETHER_OK);
	assert_true(f == 1.0f);
	assert_int_equal(tether_dec_double(&d, &g), TETHER_OK);
	assert_true(g == -2.5);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
}

/* RFC 4506 §4.9-§4.11: opaque and string with padding. */
static void test_kat_opaque_string(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(1024, &a), TETHER_OK);
	uint8_t buf[64];
	tether_enc e;
	ENC_FIXED(e, buf);
	assert_int_equal(tether_enc_fopaque(&e, "\x01\x02\x03", 3), TETHER_OK);
	assert_int_equal(tether_enc_opaque(&e, "abcde", 5, 8), TETHER_OK);
	assert_int_equal(tether_enc_string(&e, "sillyprog", 16), TETHER_OK);
	assert_int_equal(tether_enc_opaque(&e, NULL, 0, 0), TETHER_OK);
	static const uint8_t want[] = {
	    1,	 2, 3, 0,					/* fopaque[3] */
	    0,	 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0,	0,   0, /* opaque<8> */
	    0,	 0, 0, 9, 's', 'i', 'l', 'l', 'y', 'p', 'r', 'o',
	    'g', 0, 0, 0, /* string "sillyprog" */
	    0,	 0, 0, 0};
	assert_enc(&e, want, sizeof(want));

	tether_dec d;
	tether_dec_init(&d, want, sizeof(want), a);
	uint8_t f3[3], *op;
	uint32_t n;
	char *s;
	assert_int_equal(tether_dec_fopaque(&d, f3, 3), TETHER_OK);
	assert_memory_equal(f3, "\x01\x02\x03", 3);
	assert_int_equal(tether_dec_opaque(&d, &op, &n, 8), TETHER_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(op, "abcde", 5);
	assert_int_equal(tether_dec_string(&d, &s, 16), TETHER_OK);
	assert_string_equal(s, "sillyprog");
	op = (uint8_t *)&n;
	assert_int_equal(tether_dec_opaque(&d, &op, &n, 0), TETHER_OK);
	assert_int_equal(n, 0);
	assert_null(op);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
	tether_arena_free(a);
}

/* Truncated input: SHORT and nothing consumed. */
static void test_dec_short(void **state)
{
	(void)state;
	static const uint8_t in[7] = {0};
	tether_dec d;
	tether_dec_init(&d, in, 3, NULL);
	int32_t i;
	assert_int_equal(tether_dec_int(&d, &i), TETHER_E_XDR_SHORT);
	assert_int_equal(d.left, 3);
	tether_dec_init(&d, in, 7, NULL);
	int64_t h;
	assert_int_equal(tether_dec_hyper(&d, &h), TETHER_E_XDR_SHORT);
	assert_int_equal(d.left, 7);
	assert_ptr_equal(d.p, in);
}

static void test_dec_errors(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(1024, &a), TETHER_OK);
	tether_dec d;
	bool b;
	static const uint8_t two[] = {0, 0, 0, 2};
	tether_dec_init(&d, two, sizeof(two), a);
	assert_int_equal(tether_dec_bool(&d, &b), TETHER_E_XDR_RANGE);
	assert_int_equal(d.left, 4);

	static const uint8_t badpad[] = {0, 0, 0, 1, 'x', 0, 1, 0};
	uint8_t *p;
	uint32_t n;
	char *s;
	tether_dec_init(&d, badpad, sizeof(badpad), a);
	assert_int_equal(tether_dec_opaque(&d, &p, &n, 8),
			 TETHER_E_XDR_PADDING);
	assert_int_equal(tether_dec_string(&d, &s, 8), TETHER_E_XDR_PADDING);
	assert_int_equal(d.left, 8);

	static const uint8_t nul[] = {0, 0, 0, 3, 'a', 0, 'b', 0};
	tether_dec_init(&d, nul, sizeof(nul), a);
	assert_int_equal(tether_dec_string(&d, &s, 8), TETHER_E_XDR_STRING);
	assert_int_equal(d.left, 8);
	/* The same bytes are a valid opaque. */
	assert_int_equal(tether_dec_opaque(&d, &p, &n, 8), TETHER_OK);

	static const uint8_t over[] = {0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0};
	tether_dec_init(&d, over, sizeof(over), a);
	assert_int_equal(tether_dec_opaque(&d, &p, &n, 4), TETHER_E_XDR_LENGTH);
	tether_dec_init(&d, over, sizeof(over) - 1, a);
	assert_int_equal(tether_dec_opaque(&d, &p, &n, 8), TETHER_E_XDR_LENGTH);
	assert_int_equal(d.left, sizeof(over) - 1);
	tether_arena_free(a);
}

/* RFC 4506 §4.8, §4.12-§4.13, §4.19: quadruple, arrays, optional-data. */
static void test_kat_quad_array_optional(void **state)
{
	(void)state;
	uint8_t buf[64];
	tether_enc e;
	ENC_FIXED(e, buf);
	tether_quad q;
	for (unsigned i = 0; i < 16; i++)
		q.b[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(tether_enc_quad(&e, &q), TETHER_OK);
	assert_int_equal(tether_enc_array_len(&e, 2, 2), TETHER_OK);
	assert_int_equal(tether_enc_int(&e, 10), TETHER_OK);
	assert_int_equal(tether_enc_int(&e, 20), TETHER_OK);
	assert_int_equal(tether_enc_optional(&e, true), TETHER_OK);
	assert_int_equal(tether_enc_optional(&e, false), TETHER_OK);
	uint8_t want[16 + 4 + 8 + 8] = {0};
	memcpy(want, q.b, 16);
	want[19] = 2;
	want[23] = 10;
	want[27] = 20;
	want[31] = 1;
	assert_enc(&e, want, sizeof(want));

	tether_dec d;
	tether_dec_init(&d, want, sizeof(want), NULL);
	tether_quad q2;
	uint32_t n;
	bool present;
	assert_int_equal(tether_dec_quad(&d, &q2), TETHER_OK);
	assert_memory_equal(q2.b, q.b, 16);
	/* Two 4-byte elements need 8 bytes: fine. Three do not fit. */
	assert_int_equal(tether_dec_array_len(&d, &n, 1, 4),
			 TETHER_E_XDR_LENGTH);
	assert_int_equal(tether_dec_array_len(&d, &n, 2, 9),
			 TETHER_E_XDR_LENGTH); /* 2 * 9 > 12 left */
	assert_int_equal(tether_dec_array_len(&d, &n, 2, 6), TETHER_OK);
	assert_int_equal(n, 2);
	int32_t v;
	assert_int_equal(tether_dec_int(&d, &v), TETHER_OK);
	assert_int_equal(v, 10);
	assert_int_equal(tether_dec_int(&d, &v), TETHER_OK);
	assert_int_equal(tether_dec_finish(&d), TETHER_E_XDR_TRAILING);
	assert_int_equal(tether_dec_optional(&d, &present), TETHER_OK);
	assert_true(present);
	assert_int_equal(tether_dec_optional(&d, &present), TETHER_OK);
	assert_false(present);
	assert_int_equal(tether_dec_quad(&d, &q2), TETHER_E_XDR_SHORT);
}

/* Encoder errors leave len and the bytes written unchanged. */
static void test_enc_errors(void **state)
{
	(void)state;
	uint8_t buf[10];
	memset(buf, 0xee, sizeof(buf));
	tether_enc e;
	ENC_FIXED(e, buf);
	assert_int_equal(tether_enc_uint(&e, 1), TETHER_OK);
	assert_int_equal(tether_enc_hyper(&e, 1), TETHER_E_TOO_LARGE);
	assert_int_equal(tether_enc_opaque(&e, "ab", 2, 8), TETHER_E_TOO_LARGE);
	assert_int_equal(tether_enc_string(&e, "abc", 2), TETHER_E_XDR_LENGTH);
	assert_int_equal(tether_enc_opaque(&e, "abc", 3, 2),
			 TETHER_E_XDR_LENGTH);
	assert_int_equal(tether_enc_opaque(&e, NULL, 1, 2), TETHER_E_INVAL);
	assert_int_equal(tether_enc_fopaque(&e, NULL, 1), TETHER_E_INVAL);
	assert_int_equal(tether_enc_string(&e, NULL, 2), TETHER_E_INVAL);
	assert_int_equal(tether_enc_quad(&e, NULL), TETHER_E_INVAL);
	assert_int_equal(tether_enc_array_len(&e, 3, 2), TETHER_E_XDR_LENGTH);
	assert_int_equal(tether_enc_fopaque(&e, "abcde", 5),
			 TETHER_E_TOO_LARGE);
	assert_int_equal(e.len, 4);
	assert_int_equal(buf[4], 0xee);
	assert_int_equal(tether_enc_fopaque(&e, "ab", 2), TETHER_OK);
	assert_int_equal(e.len, 8);
	assert_int_equal(tether_enc_bool(&e, true), TETHER_E_TOO_LARGE);
	assert_int_equal(e.len, 8);
	tether_enc_release(&e); /* a no-op for fixed buffers */
}

/* The growable encoder doubles up to max and refuses past it. */
static void test_enc_growable(void **state)
{
	(void)state;
	tether_enc e;
	tether_enc_init_growable(&e, 1000);
	for (uint32_t i = 0; i < 250; i++)
		assert_int_equal(tether_enc_uint(&e, i), TETHER_OK);
	assert_int_equal(e.len, 1000);
	assert_true(e.cap <= 1000);
	assert_int_equal(tether_enc_uint(&e, 1), TETHER_E_TOO_LARGE);
	assert_int_equal(e.len, 1000);
	for (uint32_t i = 0; i < 250; i++) {
		uint8_t want[4] = {0, 0, (uint8_t)(i >> 8), (uint8_t)i};
		assert_memory_equal(e.buf + 4 * i, want, 4);
	}
	tether_enc_release(&e);
	assert_null(e.buf);
	assert_int_equal(e.len, 0);
	/* Zero-byte items before anything is allocated (fuzz_xdr found
	 * NULL + 0 here). */
	assert_int_equal(tether_enc_fopaque(&e, NULL, 0), TETHER_OK);
	assert_int_equal(e.len, 0);
	uint8_t *r;
	assert_int_equal(tether_enc_reserve(&e, 0, &r), TETHER_OK);
	assert_int_equal(tether_enc_opaque(&e, NULL, 0, 0), TETHER_OK);
	assert_int_equal(e.len, 4);
	tether_enc_release(&e);
	/* A single oversized item is refused up front. */
	tether_enc_init_growable(&e, 16);
	static const uint8_t big[20];
	assert_int_equal(tether_enc_opaque(&e, big, 20, 100),
			 TETHER_E_TOO_LARGE);
	assert_int_equal(e.len, 0);
	assert_int_equal(tether_enc_opaque(&e, big, 12, 100), TETHER_OK);
	assert_int_equal(e.len, 16);
	tether_enc_release(&e);
}

/* A string exactly at its bound, and the unbounded `<>` bound. */
static void test_bounds(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(256, &a), TETHER_OK);
	uint8_t buf[32];
	tether_enc e;
	ENC_FIXED(e, buf);
	assert_int_equal(tether_enc_string(&e, "abcd", 4), TETHER_OK);
	assert_int_equal(tether_enc_string(&e, "", 0), TETHER_OK);
	assert_int_equal(tether_enc_string(&e, "xyz", TETHER_XDR_UNBOUNDED),
			 TETHER_OK);
	tether_dec d;
	tether_dec_init(&d, buf, e.len, a);
	char *s;
	assert_int_equal(tether_dec_string(&d, &s, 3), TETHER_E_XDR_LENGTH);
	assert_int_equal(tether_dec_string(&d, &s, 4), TETHER_OK);
	assert_string_equal(s, "abcd");
	assert_int_equal(tether_dec_string(&d, &s, 0), TETHER_OK);
	assert_string_equal(s, "");
	assert_int_equal(tether_dec_string(&d, &s, TETHER_XDR_UNBOUNDED),
			 TETHER_OK);
	assert_string_equal(s, "xyz");
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
	tether_arena_free(a);
}

/* Zero-copy opaque borrows from the input; no arena involved. */
static void test_opaque_borrow(void **state)
{
	(void)state;
	static const uint8_t in[] = {0, 0, 0, 2, 7, 8, 0, 0, 0, 0, 0, 0};
	tether_dec d;
	tether_dec_init(&d, in, sizeof(in), NULL);
	const uint8_t *p;
	uint32_t n;
	uint8_t *copy;
	assert_int_equal(tether_dec_opaque(&d, &copy, &n, 4), TETHER_E_BUDGET);
	assert_int_equal(d.left, sizeof(in));
	assert_int_equal(tether_dec_opaque_borrow(&d, &p, &n, 1),
			 TETHER_E_XDR_LENGTH);
	assert_int_equal(tether_dec_opaque_borrow(&d, &p, &n, 2), TETHER_OK);
	assert_ptr_equal(p, in + 4);
	assert_int_equal(n, 2);
	assert_int_equal(tether_dec_opaque_borrow(&d, &p, &n, 2), TETHER_OK);
	assert_null(p);
	assert_int_equal(n, 0);
	/* A NULL-arena decoder can still read empty opaques. */
	tether_dec_init(&d, in + 8, 4, NULL);
	assert_int_equal(tether_dec_opaque(&d, &copy, &n, 4), TETHER_OK);
	assert_null(copy);
}

/* Nesting depth guard. */
static void test_depth(void **state)
{
	(void)state;
	tether_dec d;
	tether_dec_init(&d, NULL, 0, NULL);
	assert_int_equal(d.max_depth, TETHER_XDR_DEFAULT_MAX_DEPTH);
	d.max_depth = 3;
	for (int i = 0; i < 3; i++)
		assert_int_equal(tether_dec_enter(&d), TETHER_OK);
	assert_int_equal(tether_dec_enter(&d), TETHER_E_DEPTH);
	tether_dec_leave(&d);
	assert_int_equal(tether_dec_enter(&d), TETHER_OK);
	for (int i = 0; i < 5; i++)
		tether_dec_leave(&d);
	assert_int_equal(d.depth, 0);
	/* An empty input: zero-byte items decode, nothing else does. */
	uint8_t none[1];
	assert_int_equal(tether_dec_fopaque(&d, none, 0), TETHER_OK);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
	int32_t v;
	assert_int_equal(tether_dec_int(&d, &v), TETHER_E_XDR_SHORT);
}

/* Float bit patterns (NaN payloads, -0, infinities) survive both ways. */
static void test_float_bits(void **state)
{
	(void)state;
	static const uint32_t f32[] = {0x7fc00001u, 0x7f800001u, 0xffffffffu,
				       0x80000000u, 0x7f800000u, 0x00000001u};
	static const uint64_t f64[] = {0x7ff8000000000001u, 0xfff0000000000001u,
				       0x8000000000000000u, 1u};
	for (size_t i = 0; i < sizeof(f32) / sizeof(f32[0]); i++) {
		float f;
		memcpy(&f, &f32[i], 4);
		uint8_t buf[4];
		tether_enc e;
		ENC_FIXED(e, buf);
		assert_int_equal(tether_enc_float(&e, f), TETHER_OK);
		uint8_t want[4] = {(uint8_t)(f32[i] >> 24),
				   (uint8_t)(f32[i] >> 16),
				   (uint8_t)(f32[i] >> 8), (uint8_t)f32[i]};
		assert_memory_equal(buf, want, 4);
		tether_dec d;
		tether_dec_init(&d, buf, 4, NULL);
		float g;
		assert_int_equal(tether_dec_float(&d, &g), TETHER_OK);
		assert_memory_equal(&g, &f, 4);
	}
	for (size_t i = 0; i < sizeof(f64) / sizeof(f64[0]); i++) {
		double f;
		memcpy(&f, &f64[i], 8);
		uint8_t buf[8];
		tether_enc e;
		ENC_FIXED(e, buf);
		assert_int_equal(tether_enc_double(&e, f), TETHER_OK);
		assert_int_equal(buf[0], (uint8_t)(f64[i] >> 56));
		assert_int_equal(buf[7], (uint8_t)f64[i]);
		tether_dec d;
		tether_dec_init(&d, buf, 8, NULL);
		double g;
		assert_int_equal(tether_dec_double(&d, &g), TETHER_OK);
		assert_memory_equal(&g, &f, 8);
	}
}

/* Never advance on failure, for every primitive at every error. */
static void test_never_advance(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(16, &a), TETHER_OK);
	/* A 20-byte string: passes the byte checks, exceeds the budget. */
	uint8_t in[24] = {0, 0, 0, 20};
	memset(in + 4, 'a', 20);
	tether_dec d;
	tether_dec_init(&d, in, sizeof(in), a);
	char *s = (char *)in;
	uint8_t *p = in;
	uint32_t n = 99;
	assert_int_equal(tether_dec_string(&d, &s, 100), TETHER_E_BUDGET);
	assert_ptr_equal(s, (char *)in);
	assert_int_equal(tether_dec_opaque(&d, &p, &n, 100), TETHER_E_BUDGET);
	assert_ptr_equal(p, in);
	assert_int_equal(n, 99);
	assert_int_equal(d.left, sizeof(in));
	assert_ptr_equal(d.p, in);
	assert_int_equal(tether_arena_used(a), 0);
	uint8_t f[25];
	assert_int_equal(tether_dec_fopaque(&d, f, 25), TETHER_E_XDR_SHORT);
	assert_int_equal(tether_dec_fopaque(&d, NULL, 1), TETHER_E_INVAL);
	assert_int_equal(d.left, sizeof(in));
	/* fopaque[21] needs 3 zero pad bytes; 'a' is not zero. */
	tether_dec_init(&d, in, sizeof(in), a);
	assert_int_equal(tether_dec_fopaque(&d, f, 21), TETHER_E_XDR_PADDING);
	assert_int_equal(d.left, sizeof(in));
	void *q;
	assert_int_equal(tether_dec_alloc(&d, SIZE_MAX / 2, 4, &q),
			 TETHER_E_BUDGET);
	assert_int_equal(tether_dec_alloc(&d, 0, 4, &q), TETHER_OK);
	assert_null(q);
	assert_int_equal(tether_dec_alloc(&d, 2, 8, &q), TETHER_OK);
	assert_non_null(q);
	assert_int_equal(tether_dec_alloc(&d, 1, 1, &q), TETHER_E_BUDGET);
	tether_arena_free(a);
}

/* RFC 4506 §7: the "file" example, john's lisp program "sillyprog"
 * containing "(quit)": filename<255>, union filetype (EXEC = 2:
 * interpretor<255> "lisp"), owner<32>, data<65535>. */
static const uint8_t rfc4506_file[] = {
    0x00, 0x00, 0x00, 0x09, 0x73, 0x69, 0x6c, 0x6c, 0x79, 0x70, 0x72, 0x6f,
    0x67, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x04,
    0x6c, 0x69, 0x73, 0x70, 0x00, 0x00, 0x00, 0x04, 0x6a, 0x6f, 0x68, 0x6e,
    0x00, 0x00, 0x00, 0x06, 0x28, 0x71, 0x75, 0x69, 0x74, 0x29, 0x00, 0x00};

static void test_rfc4506_example(void **state)
{
	(void)state;
	uint8_t buf[64];
	tether_enc e;
	ENC_FIXED(e, buf);
	assert_int_equal(tether_enc_string(&e, "sillyprog", 255), TETHER_OK);
	assert_int_equal(tether_enc_enum(&e, 2), TETHER_OK);
	assert_int_equal(tether_enc_string(&e, "lisp", 255), TETHER_OK);
	assert_int_equal(tether_enc_string(&e, "john", 32), TETHER_OK);
	assert_int_equal(tether_enc_opaque(&e, "(quit)", 6, 65535), TETHER_OK);
	assert_enc(&e, rfc4506_file, sizeof(rfc4506_file));

	tether_arena *a;
	assert_int_equal(tether_arena_new(256, &a), TETHER_OK);
	tether_dec d;
	tether_dec_init(&d, rfc4506_file, sizeof(rfc4506_file), a);
	char *name, *interp, *owner;
	int32_t kind;
	uint8_t *data;
	uint32_t n;
	assert_int_equal(tether_dec_string(&d, &name, 255), TETHER_OK);
	assert_int_equal(tether_dec_enum(&d, &kind), TETHER_OK);
	assert_int_equal(tether_dec_string(&d, &interp, 255), TETHER_OK);
	assert_int_equal(tether_dec_string(&d, &owner, 32), TETHER_OK);
	assert_int_equal(tether_dec_opaque(&d, &data, &n, 65535), TETHER_OK);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
	assert_string_equal(name, "sillyprog");
	assert_int_equal(kind, 2);
	assert_string_equal(interp, "lisp");
	assert_string_equal(owner, "john");
	assert_int_equal(n, 6);
	assert_memory_equal(data, "(quit)", 6);
	/* Every truncation of it fails and consumes nothing. */
	for (size_t cut = 0; cut < sizeof(rfc4506_file); cut++) {
		tether_arena_reset(a);
		tether_dec_init(&d, rfc4506_file, cut, a);
		tether_status st = tether_dec_string(&d, &name, 255);
		if (st == TETHER_OK)
			st = tether_dec_enum(&d, &kind);
		if (st == TETHER_OK)
			st = tether_dec_string(&d, &interp, 255);
		if (st == TETHER_OK)
			st = tether_dec_string(&d, &owner, 32);
		if (st == TETHER_OK)
			st = tether_dec_opaque(&d, &data, &n, 65535);
		assert_true(st == TETHER_E_XDR_SHORT ||
			    st == TETHER_E_XDR_LENGTH);
	}
	tether_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kat_int),
	    cmocka_unit_test(test_kat_hyper_float),
	    cmocka_unit_test(test_kat_opaque_string),
	    cmocka_unit_test(test_dec_short),
	    cmocka_unit_test(test_dec_errors),
	    cmocka_unit_test(test_kat_quad_array_optional),
	    cmocka_unit_test(test_enc_errors),
	    cmocka_unit_test(test_enc_growable),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_opaque_borrow),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_float_bits),
	    cmocka_unit_test(test_never_advance),
	    cmocka_unit_test(test_rfc4506_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
