/* SPDX-License-Identifier: MIT */
/*
 * test_alloc.c - allocation-failure sweep (STYLE 21) over a short scenario
 * of two engines calling each other: allocation 1, 2, 3... fails in turn.
 * Every status must be clean (OK, NOMEM or the sticky status), every
 * accepted call must still complete exactly once, and no byte may leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <tether/alloc.h>

#include "harness.h"

static size_t g_live;
static long g_count, g_fail_at;
static bool g_failed;

static bool should_fail(void)
{
	g_count++;
	if (g_count == g_fail_at) {
		g_failed = true;
		return true;
	}
	return false;
}

static void *f_alloc(size_t n, void *ud)
{
	(void)ud;
	if (should_fail())
		return NULL;
	void *p = malloc(n);
	if (p != NULL)
		g_live += n;
	return p;
}

static void *f_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	if (should_fail())
		return NULL;
	void *q = realloc(p, new_n);
	if (q != NULL)
		g_live += new_n - old_n;
	return q;
}

static void f_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p != NULL)
		g_live -= n;
	free(p);
}

enum { NCALLS = 6 };
static int g_done[NCALLS];
static bool g_issued[NCALLS];

static bool clean(tether_status st, tt_conn *c)
{
	return st == TETHER_OK || st == TETHER_E_NOMEM ||
	       st == tt_conn_status(c);
}

static void drain(tt_conn *c)
{
	tt_event ev;
	while (tt_conn_next_event(c, &ev)) {
		if (ev.type == TT_EV_CALL) {
			static const uint8_t res[8] = {0, 0, 0, 1, 0, 0, 0, 2};
			tether_status st =
			    ev.call.proc == 2
				? tt_conn_reply(c, ev.call_id, NULL, h_enc_pair,
						res)
				: tt_conn_reply_bytes(c, ev.call_id, NULL, res,
						      8);
			assert_true(clean(st, c));
		} else if (ev.type == TT_EV_REPLY ||
			   ev.type == TT_EV_CALL_FAILED) {
			int *k = ev.cookie;
			assert_true(*k >= 0 && *k < NCALLS);
			assert_int_equal(g_done[*k], 0);
			g_done[*k]++;
		}
	}
}

static void scenario(void)
{
	static int idx[NCALLS] = {0, 1, 2, 3, 4, 5};
	static const uint32_t pv[2] = {5, 6};
	tt_conn *c[2] = {NULL, NULL};
	memset(g_done, 0, sizeof(g_done));
	memset(g_issued, 0, sizeof(g_issued));
	for (int i = 0; i < 2; i++) {
		tether_status st = tt_conn_new(NULL, (tt_conn_role)i, &c[i]);
		assert_true(st == TETHER_OK || st == TETHER_E_NOMEM);
		if (st != TETHER_OK) {
			tt_conn_free(c[0]);
			return;
		}
	}
	for (int k = 0; k < NCALLS; k++) {
		tt_conn_call_args a;
		memset(&a, 0, sizeof(a));
		a.proc = (uint32_t)(k % 3);
		if (k % 2) {
			a.encode = h_enc_pair;
			a.arg = pv;
		}
		a.deadline_ms = 1000;
		tt_conn *from = c[k % 2];
		tether_status st = tt_conn_call(from, &a, &idx[k], NULL);
		assert_true(clean(st, from));
		g_issued[k] = st == TETHER_OK;
	}
	for (int r = 0; r < 4; r++) {
		h_settle(c[0], c[1], 7 + (size_t)r * 20);
		drain(c[0]);
		drain(c[1]);
	}
	/* Whatever a failure left unanswered ends by its deadline. */
	tt_conn_tick(c[0], 1000);
	tt_conn_tick(c[1], 1000);
	drain(c[0]);
	drain(c[1]);
	for (int k = 0; k < NCALLS; k++)
		assert_int_equal(g_done[k], g_issued[k] ? 1 : 0);
	tt_conn_abort(c[0], TETHER_E_CLOSED);
	tt_conn_abort(c[1], TETHER_E_CLOSED);
	drain(c[0]);
	drain(c[1]);
	tt_conn_free(c[0]);
	tt_conn_free(c[1]);
}

static void test_alloc_sweep(void **state)
{
	(void)state;
	long n;
	for (n = 1; n < 10000; n++) {
		g_count = 0;
		g_fail_at = n;
		g_failed = false;
		scenario();
		assert_int_equal(g_live, 0);
		if (!g_failed)
			break; /* the scenario needs fewer than n allocations */
	}
	assert_true(n > 5 && n < 10000);
	printf("allocation sweep: %ld failure points\n", n - 1);
}

int main(void)
{
	const tether_allocator a = {f_alloc, f_realloc, f_free, NULL};
	tether_set_allocator(&a);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
