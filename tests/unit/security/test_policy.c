/* SPDX-License-Identifier: MIT */
/* test_policy.c - the authorization policy: matcher tables (exact, prefix,
 * label wildcard, uid/gid, fingerprint, authenticated/unauthenticated),
 * default deny, first match wins, allow-one-deny-another, bad matchers,
 * and real identities made from certificates and Unix credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sec_fixture.h"
#include "security/security_int.h"

#define ANY TETHER_POLICY_ANY

static tt_subject tls_subj(tether_peer_name_source src, const char *name)
{
	tt_subject s = {TETHER_PEER_TLS, src, name, "", false, 0, 0};
	return s;
}

static tt_subject unix_subj(uint32_t uid, uint32_t gid)
{
	tt_subject s = {
	    TETHER_PEER_UNIX, TETHER_PEER_NAME_NONE, "", "", true, uid, gid};
	return s;
}

static const tt_subject none_subj = {
    TETHER_PEER_NONE, TETHER_PEER_NAME_NONE, "", "", false, 0, 0};

typedef struct mcase {
	const char *who;
	tt_subject s;
	bool match;
} mcase;

#define URI TETHER_PEER_NAME_SAN_URI
#define DNS TETHER_PEER_NAME_SAN_DNS
#define CN TETHER_PEER_NAME_SUBJECT_CN

static void test_matcher_table(void **state)
{
	(void)state;
	const char *fp = "00112233445566778899aabbccddeeff"
			 "00112233445566778899aabbccddeeff";
	tt_subject with_fp = tls_subj(DNS, "a.example.org");
	with_fp.fingerprint = fp;
	const mcase cases[] = {
	    {"any", none_subj, true},
	    {"any", unix_subj(1, 1), true},
	    {"authenticated", none_subj, false},
	    {"authenticated", unix_subj(0, 0), true},
	    {"authenticated", tls_subj(CN, "x"), true},
	    {"unauthenticated", none_subj, true},
	    {"unauthenticated", tls_subj(CN, "x"), false},
	    /* exact */
	    {"uri:spiffe://ex.org/a", tls_subj(URI, "spiffe://ex.org/a"), true},
	    {"uri:spiffe://ex.org/a", tls_subj(URI, "spiffe://ex.org/ab"),
	     false},
	    {"uri:spiffe://ex.org/a", tls_subj(URI, "spiffe://ex.org/"), false},
	    {"uri:spiffe://ex.org/a", tls_subj(DNS, "spiffe://ex.org/a"),
	     false},
	    {"uri:spiffe://ex.org/a", tls_subj(URI, "SPIFFE://ex.org/a"),
	     false},
	    /* prefix */
	    {"uri:spiffe://ex.org/*", tls_subj(URI, "spiffe://ex.org/a/b"),
	     true},
	    {"uri:spiffe://ex.org/*", tls_subj(URI, "spiffe://ex.org/"), true},
	    {"uri:spiffe://ex.org/*", tls_subj(URI, "spiffe://ex.org"), false},
	    {"uri:spiffe://ex.org/*", tls_subj(URI, "spiffe://ex.orgx/a"),
	     false},
	    /* one-label wildcard, case-insensitive for DNS */
	    {"dns:*.example.org", tls_subj(DNS, "a.example.org"), true},
	    {"dns:*.example.org", tls_subj(DNS, "A.EXAMPLE.ORG"), true},
	    {"dns:*.example.org", tls_subj(DNS, "a.b.example.org"), false},
	    {"dns:*.example.org", tls_subj(DNS, "example.org"), false},
	    {"dns:*.example.org", tls_subj(DNS, ".example.org"), false},
	    {"dns:*.example.org", tls_subj(DNS, "aexample.org"), false},
	    {"dns:*.example.org", tls_subj(CN, "a.example.org"), false},
	    {"dns:host.example.org", tls_subj(DNS, "HOST.example.org"), true},
	    {"cn:*.example.org", tls_subj(CN, "a.example.org"), true},
	    {"name:*", tls_subj(CN, "anything"), true},
	    {"name:*", tls_subj(URI, "u:x"), true},
	    {"name:*", tls_subj(TETHER_PEER_NAME_NONE, ""), false},
	    {"name:*", unix_subj(1, 1), false},
	    {"name:abc", tls_subj(DNS, "abc"), true},
	    /* uid / gid */
	    {"uid:1000", unix_subj(1000, 5), true},
	    {"uid:1000", unix_subj(1001, 1000), false},
	    {"uid:0", unix_subj(0, 0), true},
	    {"uid:0", none_subj, false},
	    {"gid:5", unix_subj(1000, 5), true},
	    {"gid:5", unix_subj(5, 6), false},
	    {"uid:4294967295", unix_subj(UINT32_MAX, 0), true},
	    /* fingerprint, case-insensitive in the rule */
	    {"sha256:00112233445566778899AABBCCDDEEFF"
	     "00112233445566778899aabbccddeeff",
	     with_fp, true},
	    {"sha256:00112233445566778899aabbccddeeff"
	     "00112233445566778899aabbccddeef0",
	     with_fp, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tt_matcher m;
		const char *why = NULL;
		size_t at = 0;
		assert_int_equal(tt_matcher_parse(cases[i].who,
						  strlen(cases[i].who), &m,
						  &why, &at),
				 TETHER_OK);
		if (tt_matcher_match(&m, &cases[i].s) != cases[i].match)
			fail_msg("case %zu: %s vs '%s' should be %d", i,
				 cases[i].who, cases[i].s.name, cases[i].match);
		tt_matcher_clear(&m);
	}
}

typedef struct bad {
	const char *who;
	size_t at;
	const char *why;
} bad;

static void test_bad_matchers(void **state)
{
	(void)state;
	const bad cases[] = {
	    {"", 0, "unknown identity"},
	    {"anyone", 0, "unknown identity"},
	    {"URI:x", 0, "unknown identity"},
	    {"uri:", 4, "empty identity pattern"},
	    {"uri:a*b", 5, "'*' is allowed only"},
	    {"uri:**", 4, "'*' is allowed only"},
	    {"dns:*.a*", 4, "only one '*'"},
	    {"dns:a b", 5, "space or control byte"},
	    {"uid:", 4, "expected a decimal id"},
	    {"uid:-1", 4, "expected a decimal id"},
	    {"uid:4294967296", 4, "expected a decimal id"},
	    {"gid:12a", 4, "expected a decimal id"},
	    {"sha256:abc", 7, "sha256: needs exactly 64"},
	    {"sha256:zz112233445566778899aabbccddeeff"
	     "00112233445566778899aabbccddeeff",
	     7, "sha256: not a hex digit"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tt_matcher m;
		const char *why = NULL;
		size_t at = 99;
		assert_int_equal(tt_matcher_parse(cases[i].who,
						  strlen(cases[i].who), &m,
						  &why, &at),
				 TETHER_E_INVAL);
		assert_non_null(why);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0 ||
		    at != cases[i].at)
			fail_msg("case %zu (%s): got '%s' at %zu", i,
				 cases[i].who, why, at);
		assert_null(m.pat);
	}
	tether_policy *p;
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "bogus", 1, 1, 1),
			 TETHER_E_INVAL);
	assert_int_equal(tether_policy_allow(p, NULL, 1, 1, 1), TETHER_E_INVAL);
	assert_int_equal(tether_policy_rule_count(p), 0);
	tether_policy_free(p);
}

static void test_default_deny(void **state)
{
	(void)state;
	tether_policy *p;
	size_t idx = 0;
	tt_subject u = unix_subj(1000, 1000);
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	/* No rules: no policy, everything allowed. */
	assert_int_equal(tt_policy_check_subject(p, &u, 1, 2, 3, &idx),
			 TETHER_OK);
	assert_true(idx == TETHER_POLICY_NO_RULE);
	assert_int_equal(tether_policy_allow(p, "uid:1000", 100, 1, ANY),
			 TETHER_OK);
	assert_int_equal(tt_policy_check_subject(p, &u, 100, 1, 7, &idx),
			 TETHER_OK);
	assert_int_equal(idx, 0);
	/* Once a rule exists, whatever it does not match is denied. */
	assert_int_equal(tt_policy_check_subject(p, &u, 100, 2, 7, &idx),
			 TETHER_E_DENIED);
	assert_true(idx == TETHER_POLICY_NO_RULE);
	assert_int_equal(tt_policy_check_subject(p, &u, 101, 1, 7, &idx),
			 TETHER_E_DENIED);
	tt_subject other = unix_subj(1001, 1000);
	assert_int_equal(tt_policy_check_subject(p, &other, 100, 1, 7, &idx),
			 TETHER_E_DENIED);
	assert_int_equal(
	    tt_policy_check_subject(p, &none_subj, 100, 1, 7, NULL),
	    TETHER_E_DENIED);
	tether_policy_free(p);
	/* Misuse fails closed. */
	assert_int_equal(tether_policy_check(NULL, NULL, 1, 1, 1, &idx),
			 TETHER_E_DENIED);
}

static void test_allow_one_deny_another(void **state)
{
	(void)state;
	tether_policy *p;
	size_t idx;
	tt_subject a = tls_subj(URI, "spiffe://ex.org/client-a");
	tt_subject b = tls_subj(URI, "spiffe://ex.org/client-b");
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(tether_policy_deny(p, "uri:spiffe://ex.org/client-a",
					    0x20000E02, 1, 2),
			 TETHER_OK);
	assert_int_equal(
	    tether_policy_allow(p, "uri:spiffe://ex.org/*", 0x20000E02, 1, ANY),
	    TETHER_OK);
	assert_int_equal(tt_policy_check_subject(p, &a, 0x20000E02, 1, 1, &idx),
			 TETHER_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(tt_policy_check_subject(p, &a, 0x20000E02, 1, 2, &idx),
			 TETHER_E_DENIED);
	assert_int_equal(idx, 0);
	assert_int_equal(tt_policy_check_subject(p, &b, 0x20000E02, 1, 2, &idx),
			 TETHER_OK);
	assert_int_equal(idx, 1);
	tether_policy_free(p);
}

static void test_first_match_wins(void **state)
{
	(void)state;
	tether_policy *p;
	size_t idx;
	tt_subject u = unix_subj(0, 0);
	/* allow-all first: the later deny never applies. */
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "any", ANY, ANY, ANY),
			 TETHER_OK);
	assert_int_equal(tether_policy_deny(p, "uid:0", 5, 1, 1), TETHER_OK);
	assert_int_equal(tt_policy_check_subject(p, &u, 5, 1, 1, &idx),
			 TETHER_OK);
	assert_int_equal(idx, 0);
	tether_policy_free(p);
	/* the same two rules the other way round. */
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(tether_policy_deny(p, "uid:0", 5, 1, 1), TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "any", ANY, ANY, ANY),
			 TETHER_OK);
	assert_int_equal(tt_policy_check_subject(p, &u, 5, 1, 1, &idx),
			 TETHER_E_DENIED);
	assert_int_equal(idx, 0);
	assert_int_equal(tt_policy_check_subject(p, &u, 5, 1, 2, &idx),
			 TETHER_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(tether_policy_rule_count(p), 2);
	assert_int_equal(tether_policy_rule_line(p, 0), 0);
	tether_policy_free(p);
}

/* Through the public API with identities built the real way. */
static void test_real_identities(void **state)
{
	(void)state;
	tether_policy *p;
	size_t idx;
	tether_peer_identity *a =
	    sfx_tls_identity("spiffe://ex.org/client-a", NULL, "ignored");
	tether_peer_identity *d =
	    sfx_tls_identity(NULL, "db.example.org", NULL);
	tether_peer_identity *c = sfx_tls_identity(NULL, NULL, "Legacy");
	tether_peer_identity *u = sfx_unix_identity(1000, 100, 42);
	tether_peer_identity *n = sfx_none_identity();
	assert_non_null(a);
	assert_non_null(d);
	assert_non_null(c);
	assert_non_null(u);
	assert_non_null(n);
	char fprule[80];
	snprintf(fprule, sizeof(fprule), "sha256:%s",
		 tether_peer_identity_fingerprint(c));
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(
	    tether_policy_allow(p, "uri:spiffe://ex.org/*", 7, 1, 1),
	    TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "dns:*.example.org", 7, 1, 2),
			 TETHER_OK);
	assert_int_equal(tether_policy_allow(p, fprule, 7, 1, 3), TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "uid:1000", 7, 1, 4),
			 TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "gid:100", 7, 1, 5), TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "unauthenticated", 7, 1, 0),
			 TETHER_OK);
	struct {
		tether_peer_identity *id;
		uint32_t proc;
		tether_status want;
	} t[] = {
	    {a, 1, TETHER_OK},	     {a, 2, TETHER_E_DENIED},
	    {d, 2, TETHER_OK},	     {d, 1, TETHER_E_DENIED},
	    {c, 3, TETHER_OK},	     {a, 3, TETHER_E_DENIED},
	    {u, 4, TETHER_OK},	     {u, 5, TETHER_OK},
	    {u, 1, TETHER_E_DENIED}, {n, 0, TETHER_OK},
	    {NULL, 0, TETHER_OK},    {n, 4, TETHER_E_DENIED},
	    {u, 0, TETHER_E_DENIED},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (tether_policy_check(p, t[i].id, 7, 1, t[i].proc, &idx) !=
		    t[i].want)
			fail_msg("case %zu", i);
	tether_policy_free(p);
	tether_peer_identity_free(a);
	tether_peer_identity_free(d);
	tether_peer_identity_free(c);
	tether_peer_identity_free(u);
	tether_peer_identity_free(n);
}

static void test_too_many_rules(void **state)
{
	(void)state;
	tether_policy *p;
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	for (uint32_t i = 0; i < TETHER_POLICY_MAX_RULES; i++)
		assert_int_equal(tether_policy_allow(p, "any", i, 1, 1),
				 TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "any", 1, 1, 1),
			 TETHER_E_TOO_LARGE);
	size_t idx;
	assert_int_equal(tether_policy_check(p, NULL, 65535, 1, 1, &idx),
			 TETHER_OK);
	assert_int_equal(idx, 65535);
	tether_policy_free(p);
}

static void test_refusal_replies(void **state)
{
	(void)state;
	int32_t rs, as, au;
	assert_int_equal(
	    tether_security_refusal(TETHER_E_DENIED, &rs, &as, &au), TETHER_OK);
	assert_int_equal(rs, 1);  /* MSG_DENIED */
	assert_int_equal(as, -1); /* no accept_stat */
	assert_int_equal(au, 5);  /* AUTH_TOOWEAK */
	assert_int_equal(
	    tether_security_refusal(TETHER_E_RATE_LIMITED, &rs, &as, &au),
	    TETHER_OK);
	assert_int_equal(rs, 0); /* MSG_ACCEPTED */
	assert_int_equal(as, 5); /* SYSTEM_ERR */
	assert_int_equal(au, -1);
	assert_int_equal(tether_security_refusal(TETHER_OK, &rs, &as, &au),
			 TETHER_E_INVAL);
	assert_int_equal(
	    tether_security_refusal(TETHER_E_DENIED, NULL, &as, &au),
	    TETHER_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matcher_table),
	    cmocka_unit_test(test_bad_matchers),
	    cmocka_unit_test(test_default_deny),
	    cmocka_unit_test(test_allow_one_deny_another),
	    cmocka_unit_test(test_first_match_wins),
	    cmocka_unit_test(test_real_identities),
	    cmocka_unit_test(test_too_many_rules),
	    cmocka_unit_test(test_refusal_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
