/* SPDX-License-Identifier: MIT */
/* test_ratelimit.c - token buckets on an injected clock: burst, exact
 * refill, per-identity and per-address isolation, most specific rule,
 * both scopes at once, clock going back, huge time jumps, long keys,
 * bounded memory under 100,000 rotating addresses (LRU keeps the hot key),
 * and exact accounting under two threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sec_fixture.h"
#include "security/security_int.h"

#define ANY TETHER_POLICY_ANY
#define OK TETHER_OK
#define LIMITED TETHER_E_RATE_LIMITED

static tether_ratelimit *mk(size_t buckets)
{
	tether_ratelimit *rl = NULL;
	assert_int_equal(tether_ratelimit_new(buckets, 0x1234, &rl), OK);
	return rl;
}

static tether_status id_call(tether_ratelimit *rl, const char *id,
			     uint32_t proc, uint64_t now)
{
	return tether_ratelimit_check(rl, id, NULL, 7, 1, proc, now, NULL);
}

static void test_burst_and_refill(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(16);
	/* 2 tokens per second, burst 3. */
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, ANY, ANY, ANY, 2, 3),
	    OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(id_call(rl, "a", 1, 1000), OK);
	assert_int_equal(id_call(rl, "a", 1, 1000), LIMITED);
	/* 499 ms give 0.998 tokens: still limited; 500 ms give one. */
	assert_int_equal(id_call(rl, "a", 1, 1499), LIMITED);
	assert_int_equal(id_call(rl, "a", 1, 1500), OK);
	assert_int_equal(id_call(rl, "a", 1, 1500), LIMITED);
	/* A long pause refills to the burst, not beyond. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(id_call(rl, "a", 1, 100000), OK);
	assert_int_equal(id_call(rl, "a", 1, 100000), LIMITED);
	/* Refill keeps fractions: 250 ms twice = one token. */
	assert_int_equal(id_call(rl, "a", 1, 100250), LIMITED);
	assert_int_equal(id_call(rl, "a", 1, 100500), OK);
	tether_ratelimit_free(rl);
}

static void test_isolation_and_no_rule(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(16);
	/* No rule: unlimited, and no bucket is kept. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(id_call(rl, "a", 1, 0), OK);
	assert_int_equal(tether_ratelimit_buckets(rl), 0);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, 7, 1, ANY, 1, 1), OK);
	assert_int_equal(id_call(rl, "tls:a", 1, 0), OK);
	assert_int_equal(id_call(rl, "tls:a", 1, 0), LIMITED);
	/* Another identity has its own bucket. */
	assert_int_equal(id_call(rl, "tls:b", 1, 0), OK);
	assert_int_equal(id_call(rl, "tls:b", 1, 0), LIMITED);
	/* A program the rule does not name is not limited. */
	assert_int_equal(
	    tether_ratelimit_check(rl, "tls:a", NULL, 8, 1, 1, 0, NULL), OK);
	/* The address scope has no rule: addresses are not limited. */
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "10.0.0.1", 7, 1, 1, 0, NULL), OK);
	assert_int_equal(tether_ratelimit_buckets(rl), 2);
	tether_ratelimit_free(rl);
}

static void test_most_specific_rule(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(64);
	/* Added least specific first, to show order does not decide. */
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, ANY, ANY, ANY, 1, 100),
	    OK);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, 7, ANY, 2, 1, 2), OK);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, 7, 1, ANY, 1, 5), OK);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, 7, 1, 2, 1, 1), OK);
	/* 7/1/2: the exact rule, burst 1. */
	assert_int_equal(id_call(rl, "x", 2, 0), OK);
	assert_int_equal(id_call(rl, "x", 2, 0), LIMITED);
	/* 7/1/3: prog+vers rule, burst 5, separate buckets from 7/1/2. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(id_call(rl, "x", 3, 0), OK);
	assert_int_equal(id_call(rl, "x", 3, 0), LIMITED);
	/* 7/2/2: prog+proc rule, burst 2. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    tether_ratelimit_check(rl, "x", NULL, 7, 2, 2, 0, NULL),
		    OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, "x", NULL, 7, 2, 2, 0, NULL), LIMITED);
	/* 9/9/9: the catch-all, burst 100. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(
		    tether_ratelimit_check(rl, "x", NULL, 9, 9, 9, 0, NULL),
		    OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, "x", NULL, 9, 9, 9, 0, NULL), LIMITED);
	tether_ratelimit_free(rl);
}

static void test_both_scopes(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(64);
	tether_rl_scope hit = TETHER_RL_ADDRESS;
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, ANY, ANY, ANY, 1, 2),
	    OK);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_ADDRESS, ANY, ANY, ANY, 1, 3),
	    OK);
	/* Identity "a" from one address: identity runs out first. */
	assert_int_equal(
	    tether_ratelimit_check(rl, "a", "10.0.0.1", 1, 1, 1, 0, &hit), OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, "a", "10.0.0.1", 1, 1, 1, 0, &hit), OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, "a", "10.0.0.1", 1, 1, 1, 0, &hit),
	    LIMITED);
	assert_int_equal(hit, TETHER_RL_IDENTITY);
	/* The refused call took no address token: "b" gets the last one. */
	assert_int_equal(
	    tether_ratelimit_check(rl, "b", "10.0.0.1", 1, 1, 1, 0, &hit), OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, "b", "10.0.0.1", 1, 1, 1, 0, &hit),
	    LIMITED);
	assert_int_equal(hit, TETHER_RL_ADDRESS);
	/* ...and that refusal took no identity token from "b". */
	assert_int_equal(
	    tether_ratelimit_check(rl, "b", "10.0.0.2", 1, 1, 1, 0, &hit), OK);
	tether_ratelimit_free(rl);
}

static void test_clock_edges(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(8);
	assert_int_equal(tether_ratelimit_add(rl, TETHER_RL_ADDRESS, ANY, ANY,
					      ANY, UINT32_MAX, 1),
			 OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "h", 1, 1, 1, 5000, NULL), OK);
	/* The clock going back refills nothing. */
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "h", 1, 1, 1, 1000, NULL),
	    LIMITED);
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "h", 1, 1, 1, 5000, NULL),
	    LIMITED);
	/* A huge jump with the largest rate does not overflow. */
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "h", 1, 1, 1, UINT64_MAX, NULL),
	    OK);
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "h", 1, 1, 1, UINT64_MAX, NULL),
	    LIMITED);
	tether_ratelimit_free(rl);
}

static void test_long_keys(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(8);
	char a[600], b[600];
	memset(a, 'k', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(a));
	b[sizeof(b) - 2] = 'z'; /* differs only past TETHER_RL_KEY_MAX */
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, ANY, ANY, ANY, 1, 1),
	    OK);
	assert_int_equal(id_call(rl, a, 1, 0), OK);
	assert_int_equal(id_call(rl, a, 1, 0), LIMITED);
	assert_int_equal(id_call(rl, b, 1, 0), OK);
	assert_int_equal(tether_ratelimit_buckets(rl), 2);
	tether_ratelimit_free(rl);
}

static void test_bad_args(void **state)
{
	(void)state;
	tether_ratelimit *rl = NULL;
	assert_int_equal(tether_ratelimit_new(1, 0, &rl), TETHER_E_INVAL);
	assert_int_equal(tether_ratelimit_new(16, 0, NULL), TETHER_E_INVAL);
	rl = mk(0); /* default size */
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, 1, 1, 1, 0, 1),
	    TETHER_E_INVAL);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_IDENTITY, 1, 1, 1, 1, 0),
	    TETHER_E_INVAL);
	assert_int_equal(
	    tether_ratelimit_add(rl, (tether_rl_scope)7, 1, 1, 1, 1, 1),
	    TETHER_E_INVAL);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(tether_ratelimit_add(rl, TETHER_RL_ADDRESS,
						      (uint32_t)i, 1, 1, 1, 1),
				 OK);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_ADDRESS, 1, 1, 1, 1, 1),
	    TETHER_E_TOO_LARGE);
	tether_ratelimit_free(rl);
	assert_int_equal(
	    tether_ratelimit_check(NULL, "a", "b", 1, 1, 1, 0, NULL),
	    TETHER_E_INVAL);
}

/* An attacker rotating through 100,000 source addresses: memory stays
 * what it was after creation, at most max_buckets buckets exist, and a
 * key in constant use keeps its (empty) bucket. */
static void test_eviction_bounded(void **state)
{
	(void)state;
	sfx_count_allocs(true);
	size_t base = sfx_live_bytes();
	tether_ratelimit *rl = mk(1024);
	assert_int_equal(
	    tether_ratelimit_add(rl, TETHER_RL_ADDRESS, ANY, ANY, ANY, 1, 1),
	    OK);
	size_t after_new = sfx_live_bytes();
	assert_true(after_new > base);
	/* The hot key spends its only token at once. */
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "192.0.2.1", 1, 1, 1, 0, NULL),
	    OK);
	char addr[64];
	for (uint32_t i = 0; i < 100000; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x:%x", i >> 16,
			 i & 0xffff);
		assert_int_equal(
		    tether_ratelimit_check(rl, NULL, addr, 1, 1, 1, 0, NULL),
		    OK);
		if (i % 100 == 0) /* the hot key is used all the time */
			assert_int_equal(tether_ratelimit_check(rl, NULL,
								"192.0.2.1", 1,
								1, 1, 0, NULL),
					 LIMITED);
	}
	assert_int_equal(tether_ratelimit_buckets(rl), 1024);
	assert_int_equal(sfx_live_bytes(), after_new);
	/* A cold key was recycled: it starts again with a full bucket. */
	assert_int_equal(
	    tether_ratelimit_check(rl, NULL, "2001:db8::0:0", 1, 1, 1, 0, NULL),
	    OK);
	tether_ratelimit_free(rl);
	assert_int_equal(sfx_live_bytes(), base);
	sfx_count_allocs(false);
}

typedef struct hammer {
	tether_ratelimit *rl;
	unsigned ok;
} hammer;

static void *hammer_run(void *arg)
{
	hammer *h = arg;
	for (int i = 0; i < 20000; i++)
		if (tether_ratelimit_check(h->rl, "shared", "10.0.0.1", 1, 1, 1,
					   42, NULL) == OK)
			h->ok++;
	return NULL;
}

/* Two threads on one bucket with a frozen clock: exactly burst calls
 * pass in total. */
static void test_threads_exact(void **state)
{
	(void)state;
	tether_ratelimit *rl = mk(64);
	assert_int_equal(tether_ratelimit_add(rl, TETHER_RL_IDENTITY, ANY, ANY,
					      ANY, 1, 5000),
			 OK);
	hammer h[2] = {{rl, 0}, {rl, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]),
				 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(h[0].ok + h[1].ok, 5000);
	tether_ratelimit_free(rl);
}

static void test_peer_key(void **state)
{
	(void)state;
	char buf[300];
	tether_peer_identity *t = sfx_tls_identity("spiffe://ex/a", NULL, NULL);
	tether_peer_identity *u = sfx_unix_identity(1000, 10, 1);
	tether_peer_identity *n = sfx_none_identity();
	assert_non_null(t);
	assert_non_null(u);
	assert_non_null(n);
	assert_int_equal(tether_peer_key(t, buf, sizeof(buf)), OK);
	assert_string_equal(buf, "tls:spiffe://ex/a");
	assert_int_equal(tether_peer_key(u, buf, sizeof(buf)), OK);
	assert_string_equal(buf, "unix-uid:1000");
	assert_int_equal(tether_peer_key(n, buf, sizeof(buf)), OK);
	assert_string_equal(buf, "");
	assert_int_equal(tether_peer_key(NULL, buf, sizeof(buf)), OK);
	assert_string_equal(buf, "");
	assert_int_equal(tether_peer_key(t, buf, 8), TETHER_E_TOO_LARGE);
	tether_peer_identity_free(t);
	tether_peer_identity_free(u);
	tether_peer_identity_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_and_refill),
	    cmocka_unit_test(test_isolation_and_no_rule),
	    cmocka_unit_test(test_most_specific_rule),
	    cmocka_unit_test(test_both_scopes),
	    cmocka_unit_test(test_clock_edges),
	    cmocka_unit_test(test_long_keys),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_eviction_bounded),
	    cmocka_unit_test(test_threads_exact),
	    cmocka_unit_test(test_peer_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
