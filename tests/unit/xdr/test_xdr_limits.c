/* SPDX-License-Identifier: MIT */
/*
 * test_xdr_limits.c - the decode arena and its budget, forged length
 * prefixes (rpcbomb, CVE-2017-8779), decoder inputs placed against a
 * PROT_NONE guard page, and an allocation-failure sweep.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <tether/alloc.h>
#include <tether/xdr.h>

/* ---- arena ----------------------------------------------------------- */

static void test_arena_basic(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(100, &a), TETHER_OK);
	assert_int_equal(tether_arena_budget(a), 100);
	uint8_t *p = tether_arena_alloc(a, 1);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
	assert_int_equal(tether_arena_used(a), 16);
	uint8_t *q = tether_arena_alloc(a, 33); /* counts 48 */
	assert_non_null(q);
	assert_int_equal((uintptr_t)q % _Alignof(max_align_t), 0);
	for (int i = 0; i < 33; i++)
		assert_int_equal(q[i], 0);
	memset(q, 0xaa, 33);
	assert_int_equal(tether_arena_used(a), 64);
	/* 36 left: 37 rounds to 48 and fails, 36 rounds to 48 too. */
	assert_null(tether_arena_alloc(a, 37));
	assert_int_equal(tether_arena_error(a), TETHER_E_BUDGET);
	assert_null(tether_arena_alloc(a, 33));
	assert_non_null(tether_arena_alloc(a, 32));
	assert_int_equal(tether_arena_used(a), 96);
	assert_null(tether_arena_alloc(a, SIZE_MAX));
	assert_null(tether_arena_alloc(a, SIZE_MAX - 8));
	/* Zero bytes: non-NULL and free. */
	assert_non_null(tether_arena_alloc(a, 0));
	assert_int_equal(tether_arena_used(a), 96);

	tether_arena_reset(a);
	assert_int_equal(tether_arena_used(a), 0);
	assert_int_equal(tether_arena_error(a), TETHER_OK);
	/* Reused memory is zeroed again. */
	uint8_t *r = tether_arena_alloc(a, 64);
	assert_non_null(r);
	for (int i = 0; i < 64; i++)
		assert_int_equal(r[i], 0);
	tether_arena_set_budget(a, 10);
	assert_null(tether_arena_alloc(a, 1)); /* used 64 > budget 10 */
	assert_int_equal(tether_arena_error(a), TETHER_E_BUDGET);
	tether_arena_free(a);
	tether_arena_free(NULL);
	assert_int_equal(tether_arena_new(1, NULL), TETHER_E_INVAL);
}

/* Many blocks, big and small, all distinct and all accounted. */
static void test_arena_blocks(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	uint8_t *ptrs[200];
	size_t sizes[200];
	size_t total = 0;
	for (int i = 0; i < 200; i++) {
		sizes[i] = (i % 7 == 0) ? 3000 + (size_t)i : 1 + (size_t)i * 5;
		ptrs[i] = tether_arena_alloc(a, sizes[i]);
		assert_non_null(ptrs[i]);
		memset(ptrs[i], i, sizes[i]);
		total += (sizes[i] + 15) & ~(size_t)15;
	}
	assert_int_equal(tether_arena_used(a), total);
	for (int i = 0; i < 200; i++)
		for (size_t j = 0; j < sizes[i]; j++)
			assert_int_equal(ptrs[i][j], (uint8_t)i);
	tether_arena_reset(a);
	assert_non_null(tether_arena_alloc(a, 5000));
	tether_arena_free(a);
}

/* ---- rpcbomb: forged lengths with 8 bytes following ------------------ */

static void test_forged_lengths(void **state)
{
	(void)state;
	static const uint32_t forged[] = {0xffffffffu, 0x7fffffffu, 0xfffffffcu,
					  9u, 12u};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		uint8_t in[12] = {(uint8_t)(forged[i] >> 24),
				  (uint8_t)(forged[i] >> 16),
				  (uint8_t)(forged[i] >> 8),
				  (uint8_t)forged[i],
				  1,
				  2,
				  3,
				  4,
				  5,
				  6,
				  7,
				  8};
		tether_arena *a;
		assert_int_equal(tether_arena_new(SIZE_MAX, &a), TETHER_OK);
		tether_dec d;
		tether_dec_init(&d, in, sizeof(in), a);
		uint8_t *p;
		const uint8_t *bp;
		char *s;
		uint32_t n;
		assert_int_equal(
		    tether_dec_opaque(&d, &p, &n, TETHER_XDR_UNBOUNDED),
		    TETHER_E_XDR_LENGTH);
		assert_int_equal(
		    tether_dec_opaque_borrow(&d, &bp, &n, TETHER_XDR_UNBOUNDED),
		    TETHER_E_XDR_LENGTH);
		assert_int_equal(
		    tether_dec_string(&d, &s, TETHER_XDR_UNBOUNDED),
		    TETHER_E_XDR_LENGTH);
		/* As an array count: every count here exceeds the 8 bytes
		 * left even with 1-byte elements. */
		assert_int_equal(
		    tether_dec_array_len(&d, &n, TETHER_XDR_UNBOUNDED, 1),
		    TETHER_E_XDR_LENGTH);
		assert_int_equal(tether_arena_used(a), 0);
		assert_int_equal(d.left, sizeof(in));
		tether_arena_free(a);
	}
	/* Array counts whose n * min_wire would wrap 32 or 64 bits. */
	uint8_t in[12] = {0xff, 0xff, 0xff, 0xff};
	tether_dec d;
	tether_dec_init(&d, in, sizeof(in), NULL);
	uint32_t n;
	assert_int_equal(
	    tether_dec_array_len(&d, &n, TETHER_XDR_UNBOUNDED, (size_t)1 << 32),
	    TETHER_E_XDR_LENGTH);
	assert_int_equal(
	    tether_dec_array_len(&d, &n, TETHER_XDR_UNBOUNDED, SIZE_MAX),
	    TETHER_E_XDR_LENGTH);
	/* min_wire 0: only the bound applies; the caller's arena does the
	 * rest. */
	assert_int_equal(tether_dec_array_len(&d, &n, TETHER_XDR_UNBOUNDED, 0),
			 TETHER_OK);
	assert_int_equal(n, 0xffffffffu);
}

/* ---- guard page ------------------------------------------------------ */

typedef struct guard {
	uint8_t *base;
	size_t page;
} guard;

static void guard_map(guard *g)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->base = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->base != MAP_FAILED);
	assert_int_equal(mprotect(g->base + g->page, g->page, PROT_NONE), 0);
}

/* Copies n bytes so that they end exactly at the guard page. */
static const uint8_t *guard_place(guard *g, const uint8_t *src, size_t n)
{
	assert_true(n <= g->page);
	uint8_t *dst = g->base + g->page - n;
	if (n != 0)
		memcpy(dst, src, n);
	return dst;
}

enum {
	K_INT,
	K_HYPER,
	K_BOOL,
	K_FLOAT,
	K_DOUBLE,
	K_QUAD,
	K_FOPAQUE,
	K_OPAQUE,
	K_BORROW,
	K_STRING,
	K_ARRAY,
	K_OPTIONAL,
	K_COUNT
};

/* Decodes one item of kind k; 7 is the fixed-opaque size and the bound. */
static tether_status decode_kind(tether_dec *d, int k)
{
	union {
		int32_t i;
		int64_t h;
		bool b;
		float f;
		double g;
		tether_quad q;
		uint8_t fo[7];
	} u;
	uint8_t *p;
	const uint8_t *bp;
	char *s;
	uint32_t n;
	switch (k) {
	case K_INT:
		return tether_dec_int(d, &u.i);
	case K_HYPER:
		return tether_dec_hyper(d, &u.h);
	case K_BOOL:
		return tether_dec_bool(d, &u.b);
	case K_FLOAT:
		return tether_dec_float(d, &u.f);
	case K_DOUBLE:
		return tether_dec_double(d, &u.g);
	case K_QUAD:
		return tether_dec_quad(d, &u.q);
	case K_FOPAQUE:
		return tether_dec_fopaque(d, u.fo, 7);
	case K_OPAQUE:
		return tether_dec_opaque(d, &p, &n, 7);
	case K_BORROW:
		return tether_dec_opaque_borrow(d, &bp, &n, 7);
	case K_STRING:
		return tether_dec_string(d, &s, 7);
	case K_ARRAY:
		return tether_dec_array_len(d, &n, 7, 4);
	default:
		return tether_dec_optional(d, &u.b);
	}
}

/* A valid encoding of kind k with payload length len (0..7). */
static void encode_kind(tether_enc *e, int k, uint32_t len)
{
	static const uint8_t data[7] = {'a', 'b', 'c', 'd', 'e', 'f', 'g'};
	char str[8] = {0};
	memcpy(str, data, len);
	tether_quad q;
	memset(q.b, 0x5a, sizeof(q.b));
	tether_status st;
	switch (k) {
	case K_INT:
		st = tether_enc_int(e, -5);
		break;
	case K_HYPER:
		st = tether_enc_hyper(e, INT64_MIN);
		break;
	case K_BOOL:
		st = tether_enc_bool(e, true);
		break;
	case K_FLOAT:
		st = tether_enc_float(e, 3.5f);
		break;
	case K_DOUBLE:
		st = tether_enc_double(e, -0.0);
		break;
	case K_QUAD:
		st = tether_enc_quad(e, &q);
		break;
	case K_FOPAQUE:
		st = tether_enc_fopaque(e, data, 7);
		break;
	case K_OPAQUE:
	case K_BORROW:
		st = tether_enc_opaque(e, data, len, 7);
		break;
	case K_STRING:
		st = tether_enc_string(e, str, 7);
		break;
	case K_ARRAY:
		st = tether_enc_array_len(e, len, 7);
		for (uint32_t i = 0; st == TETHER_OK && i < len; i++)
			st = tether_enc_uint(e, i);
		break;
	default:
		st = tether_enc_optional(e, false);
		break;
	}
	assert_int_equal(st, TETHER_OK);
}

/* Every prefix of every valid encoding, placed against the guard page:
 * a proper prefix fails (SHORT or LENGTH) without consuming; the whole
 * item decodes and consumes exactly its length. */
static void test_guard_page(void **state)
{
	(void)state;
	guard g;
	guard_map(&g);
	tether_arena *a;
	assert_int_equal(tether_arena_new(4096, &a), TETHER_OK);
	for (int k = 0; k < K_COUNT; k++) {
		for (uint32_t len = 0; len <= 7; len++) {
			uint8_t buf[64];
			tether_enc e;
			tether_enc_init_fixed(&e, buf, sizeof(buf));
			encode_kind(&e, k, len);
			size_t item = e.len;
			if (k == K_ARRAY)
				item = 4; /* only the count is decoded */
			for (size_t cut = 0; cut <= e.len; cut++) {
				const uint8_t *in = guard_place(&g, buf, cut);
				tether_dec d;
				tether_dec_init(&d, in, cut, a);
				tether_status st = decode_kind(&d, k);
				if (cut < e.len && (k != K_ARRAY || cut < 4)) {
					assert_true(st == TETHER_E_XDR_SHORT ||
						    st == TETHER_E_XDR_LENGTH);
					assert_int_equal(d.left, cut);
				} else if (k == K_ARRAY && cut < e.len) {
					/* The count says more than is left. */
					assert_int_equal(st,
							 TETHER_E_XDR_LENGTH);
				} else {
					assert_int_equal(st, TETHER_OK);
					assert_int_equal(d.left, cut - item);
				}
			}
			tether_arena_reset(a);
		}
	}
	tether_arena_free(a);
	munmap(g.base, 2 * g.page);
}

/* ---- allocation-failure sweep ---------------------------------------- */

typedef struct failalloc {
	long calls;   /* allocations and reallocations so far */
	long fail_at; /* fail this call (1-based); 0 never */
	long live;    /* blocks outstanding */
	size_t bytes; /* bytes outstanding, by the sized frees */
	int bad_size; /* a free or realloc named the wrong size */
} failalloc;

static failalloc g_fa;

/* Each block carries its size in front so sized frees can be checked. */
#define FA_HDR 16

static void *fa_alloc(size_t n, void *ud)
{
	(void)ud;
	if (++g_fa.calls == g_fa.fail_at)
		return NULL;
	uint8_t *p = malloc(n + FA_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	g_fa.live++;
	g_fa.bytes += n;
	return p + FA_HDR;
}

static void fa_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p == NULL)
		return;
	uint8_t *b = (uint8_t *)p - FA_HDR;
	size_t had;
	memcpy(&had, b, sizeof(had));
	if (had != n)
		g_fa.bad_size = 1;
	g_fa.live--;
	g_fa.bytes -= had;
	free(b);
}

static void *fa_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	if (p == NULL)
		return fa_alloc(new_n, ud);
	if (++g_fa.calls == g_fa.fail_at)
		return NULL;
	uint8_t *b = (uint8_t *)p - FA_HDR;
	size_t had;
	memcpy(&had, b, sizeof(had));
	if (had != old_n)
		g_fa.bad_size = 1;
	uint8_t *nb = realloc(b, new_n + FA_HDR);
	if (nb == NULL)
		return NULL;
	memcpy(nb, &new_n, sizeof(new_n));
	g_fa.bytes = g_fa.bytes - had + new_n;
	return nb + FA_HDR;
}

/* Encodes then decodes a message needing several arena blocks (big ones
 * too) and several encoder growths; checks the values that come back. */
static tether_status sweep_op(void)
{
	tether_arena *a;
	tether_status st = tether_arena_new(1 << 20, &a);
	if (st != TETHER_OK)
		return st;
	static uint8_t big[3000];
	memset(big, 0x42, sizeof(big));
	tether_enc e;
	tether_enc_init_growable(&e, 1 << 20);
	for (int i = 0; st == TETHER_OK && i < 40; i++)
		st = tether_enc_string(&e, "a string of some length...", 64);
	for (int i = 0; st == TETHER_OK && i < 3; i++)
		st = tether_enc_opaque(&e, big, sizeof(big), 4096);
	tether_dec d;
	tether_dec_init(&d, e.buf, e.len, a);
	for (int i = 0; st == TETHER_OK && i < 40; i++) {
		char *s;
		st = tether_dec_string(&d, &s, 64);
		if (st == TETHER_OK && strcmp(s, "a string of some length..."))
			st = TETHER_E_INVAL;
	}
	for (int i = 0; st == TETHER_OK && i < 3; i++) {
		uint8_t *p;
		uint32_t n;
		st = tether_dec_opaque(&d, &p, &n, 4096);
		if (st == TETHER_OK && (n != sizeof(big) || memcmp(p, big, n)))
			st = TETHER_E_INVAL;
	}
	if (st == TETHER_OK)
		st = tether_dec_finish(&d);
	tether_enc_release(&e);
	tether_arena_free(a);
	return st;
}

static void test_alloc_failure_sweep(void **state)
{
	(void)state;
	const tether_allocator fa = {fa_alloc, fa_realloc, fa_free, NULL};
	tether_set_allocator(&fa);
	long n;
	for (n = 1; n < 1000; n++) {
		memset(&g_fa, 0, sizeof(g_fa));
		g_fa.fail_at = n;
		tether_status st = sweep_op();
		assert_int_equal(g_fa.live, 0);
		assert_int_equal(g_fa.bytes, 0);
		assert_false(g_fa.bad_size);
		if (g_fa.calls < n) {
			/* No failure was injected: the run must succeed. */
			assert_int_equal(st, TETHER_OK);
			break;
		}
		assert_int_equal(st, TETHER_E_NOMEM);
	}
	tether_set_allocator(NULL);
	assert_true(n > 5); /* the operation really allocates several times */
	assert_true(n < 1000);
}

/* The memory really taken from the allocator stays close to the budget:
 * block headers and tails are not counted in the budget, but bounded. */
static void test_arena_memory_bound(void **state)
{
	(void)state;
	const tether_allocator fa = {fa_alloc, fa_realloc, fa_free, NULL};
	static const size_t budgets[] = {0, 16, 100, 5000, 65536, 1 << 20};
	for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
		memset(&g_fa, 0, sizeof(g_fa));
		tether_set_allocator(&fa);
		tether_arena *a;
		assert_int_equal(tether_arena_new(budgets[b], &a), TETHER_OK);
		size_t base = g_fa.bytes; /* the arena struct itself */
		uint64_t x = 88172645463325252u;
		for (int round = 0; round < 2; round++) {
			for (;;) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				/* Mostly small, sometimes big requests. */
				size_t n =
				    1 + (size_t)(x % ((x & 64) ? 5000 : 900));
				if (tether_arena_alloc(a, n) == NULL)
					break;
			}
			assert_int_equal(tether_arena_error(a),
					 TETHER_E_BUDGET);
			assert_true(tether_arena_used(a) <= budgets[b]);
			size_t real = g_fa.bytes - base;
			assert_true(real <= 2 * budgets[b] + 8192);
			tether_arena_reset(a);
			assert_true(g_fa.bytes - base <= 4096 + 64);
		}
		tether_arena_free(a);
		tether_set_allocator(NULL);
		assert_int_equal(g_fa.live, 0);
		assert_false(g_fa.bad_size);
	}
}

/* An allocator whose blocks are only 8-byte aligned: the arena still
 * hands out max_align_t-aligned memory. */
static void *odd_alloc(size_t n, void *ud)
{
	(void)ud;
	uint8_t *p = malloc(n + 8);
	return p == NULL ? NULL : p + 8;
}
static void *odd_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	(void)old_n;
	uint8_t *b = p == NULL ? NULL : (uint8_t *)p - 8;
	uint8_t *nb = realloc(b, new_n + 8);
	return nb == NULL ? NULL : nb + 8;
}
static void odd_free(void *p, size_t n, void *ud)
{
	(void)ud;
	(void)n;
	if (p != NULL)
		free((uint8_t *)p - 8);
}

static void test_arena_alignment(void **state)
{
	(void)state;
	const tether_allocator odd = {odd_alloc, odd_realloc, odd_free, NULL};
	tether_set_allocator(&odd);
	tether_arena *a;
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	for (size_t n = 1; n < 3000; n += 97) {
		uint8_t *p = tether_arena_alloc(a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0x5c, n);
	}
	tether_arena_free(a);
	tether_set_allocator(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arena_basic),
	    cmocka_unit_test(test_arena_blocks),
	    cmocka_unit_test(test_forged_lengths),
	    cmocka_unit_test(test_guard_page),
	    cmocka_unit_test(test_alloc_failure_sweep),
	    cmocka_unit_test(test_arena_memory_bound),
	    cmocka_unit_test(test_arena_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
