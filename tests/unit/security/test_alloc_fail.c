/* SPDX-License-Identifier: MIT */
/* test_alloc_fail.c - allocation-failure sweep (STYLE 21): every
 * allocation of each security component is failed in turn; each time the
 * call returns TETHER_E_NOMEM (or succeeds), a failed policy load keeps
 * the rules it had, and once everything is freed no byte is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/tt.h"
#include "sec_fixture.h"
#include "security/security_int.h"

typedef tether_status (*scenario)(void);

static const tether_proc_desc procs[] = {
    {.name = "ECHO", .prog = 7, .vers = 1, .proc = 1},
};
static const tether_version_desc v1 = {"P", "P_V1", 7, 1, procs, 1};
static const tether_version_desc *const versions[] = {&v1};
static const tether_program_desc prog = {"P", 7, versions, 1};
static const tether_program_desc *const programs[] = {&prog};
static const tether_idl_desc idl = {"p.x", "", NULL, 0, programs, 1};
static const tether_idl_desc *const idls[] = {&idl};

static tether_status policy_scenario(void)
{
	static const char text[] = "allow uid:1 prog=P vers=P_V1 proc=ECHO\n"
				   "allow uri:spiffe://x/* prog=7\n"
				   "deny dns:*.example.org\n"
				   "allow sha256:0000000000000000000000000000"
				   "000000000000000000000000000000000000\n";
	tether_policy *p;
	char err[128];
	TT_TRY(tether_policy_new(&p));
	tether_status st = TETHER_OK;
	for (uint32_t i = 0; i < 20 && st == TETHER_OK; i++)
		st = tether_policy_allow(p, "cn:abc*", i, 1, 1);
	size_t before = tether_policy_rule_count(p);
	if (st == TETHER_OK) {
		st = tether_policy_load_text(p, "t", text, sizeof(text) - 1,
					     idls, 1, err, sizeof(err));
		if (st != TETHER_OK)
			assert_int_equal(tether_policy_rule_count(p), before);
		else
			assert_int_equal(tether_policy_rule_count(p), 24);
	}
	tether_policy_free(p);
	return st;
}

static tether_status ratelimit_scenario(void)
{
	tether_ratelimit *rl;
	TT_TRY(tether_ratelimit_new(64, 1, &rl));
	tether_status st =
	    tether_ratelimit_add(rl, TETHER_RL_ADDRESS, TETHER_POLICY_ANY,
				 TETHER_POLICY_ANY, TETHER_POLICY_ANY, 1, 1);
	if (st == TETHER_OK)
		st = tether_ratelimit_check(rl, NULL, "a", 1, 1, 1, 0, NULL);
	tether_ratelimit_free(rl);
	return st;
}

static tether_status metrics_scenario(void)
{
	tether_metrics *m;
	char buf[8192];
	TT_TRY(tether_metrics_new(&m));
	tether_metrics_call(m, 1, 1, 1, TETHER_OK, 5);
	tether_status st = tether_metrics_prometheus(m, buf, sizeof(buf), NULL);
	tether_metrics_free(m);
	return st;
}

static void cb(const tether_audit_record *r, void *ud)
{
	(void)r;
	(*(int *)ud)++;
}

static tether_status audit_scenario(void)
{
	tether_audit_sink *a, *b;
	tether_audit_record r;
	int n = 0;
	tether_audit_record_init(&r);
	TT_TRY(tether_audit_sink_new_callback(cb, &n, &a));
	tether_status st = tether_audit_sink_new_syslog("t", &b);
	if (st == TETHER_OK) {
		st = tether_audit_emit(a, &r, NULL);
		assert_int_equal(n, 1);
		tether_audit_sink_free(b);
	}
	tether_audit_sink_free(a);
	return st;
}

static void sweep(scenario run, const char *name)
{
	sfx_count_allocs(true);
	size_t base = sfx_live_bytes();
	long n;
	for (n = 0; n < 1000; n++) {
		sfx_fail_alloc(n);
		tether_status st = run();
		bool fired = sfx_fail_fired();
		sfx_fail_alloc(-1);
		if (sfx_live_bytes() != base)
			fail_msg("%s: leak after failing allocation %ld", name,
				 n);
		if (!fired) {
			assert_int_equal(st, TETHER_OK);
			break;
		}
		if (st != TETHER_E_NOMEM)
			fail_msg("%s: allocation %ld failed, status %d", name,
				 n, st);
	}
	assert_true(n > 0 && n < 1000);
	sfx_count_allocs(false);
}

static void test_policy(void **state)
{
	(void)state;
	sweep(policy_scenario, "policy");
}

static void test_ratelimit(void **state)
{
	(void)state;
	sweep(ratelimit_scenario, "ratelimit");
}

static void test_metrics(void **state)
{
	(void)state;
	sweep(metrics_scenario, "metrics");
}

static void test_audit(void **state)
{
	(void)state;
	sweep(audit_scenario, "audit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_ratelimit),
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_audit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
