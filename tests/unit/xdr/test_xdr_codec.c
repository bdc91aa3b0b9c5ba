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
		0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0,
		0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0};
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
		1, 2, 3, 4, 5, 6, 7, 8,                          /* uhyper */
		0x3f, 0x80, 0, 0,                                /* 1.0f */
		0xc0, 0x04, 0, 0, 0, 0, 0, 0};                   /* -2.5 */
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
		1, 2, 3, 0,                                  /* fopaque[3] */
		0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0, /* opaque<8> */
		0, 0, 0, 9, 's', 'i', 'l', 'l', 'y', 'p', 'r', 'o', 'g',
		0, 0, 0, /* string "sillyprog" */
		0, 0, 0, 0};
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
	assert_int_equal(tether_dec_opaque(&d, &p, &n, 8), TETHER_E_XDR_PADDING);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_int),
		cmocka_unit_test(test_kat_hyper_float),
		cmocka_unit_test(test_kat_opaque_string),
		cmocka_unit_test(test_dec_short),
		cmocka_unit_test(test_dec_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
