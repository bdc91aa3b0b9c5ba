/* SPDX-License-Identifier: MIT */
/* test_policy_text.c - the policy file format: a valid file with comments,
 * CRLF and names resolved through descriptor tables gives the expected
 * decisions and line numbers; every error gives its exact
 * "file:line:col: error: message" and leaves the policy unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>

#include "sec_fixture.h"
#include "security/security_int.h"

#define PROG 0x20000E02u

static const tether_proc_desc v1_procs[] = {
    {.name = "NULL", .prog = PROG, .vers = 1, .proc = 0},
    {.name = "ECHO", .prog = PROG, .vers = 1, .proc = 1},
    {.name = "STATS", .prog = PROG, .vers = 1, .proc = 2},
};
static const tether_proc_desc v2_procs[] = {
    {.name = "NULL", .prog = PROG, .vers = 2, .proc = 0},
    {.name = "ECHO", .prog = PROG, .vers = 2, .proc = 1},
    {.name = "STATS", .prog = PROG, .vers = 2, .proc = 4},
};
static const tether_version_desc v1 = {"ECHO_PROG", "ECHO_V1", PROG,
				       1,	    v1_procs,  3};
static const tether_version_desc v2 = {"ECHO_PROG", "ECHO_V2", PROG,
				       2,	    v2_procs,  3};
static const tether_version_desc *const versions[] = {&v1, &v2};
static const tether_program_desc prog = {"ECHO_PROG", PROG, versions, 2};
static const tether_program_desc *const programs[] = {&prog};
static const tether_idl_desc idl = {"echo.x", "", NULL, 0, programs, 1};
static const tether_idl_desc *const idls[] = {&idl};

static const char good_text[] =
    "# tether policy\n"
    "\n"
    "deny  uri:spiffe://ex.org/client-a prog=ECHO_PROG vers=ECHO_V1 "
    "proc=STATS   # no stats for a\r\n"
    "allow uri:spiffe://ex.org/*  prog=0x20000E02 vers=1 proc=*\n"
    "\tallow uid:1000 prog=ECHO_PROG proc=ECHO\n"
    "allow gid:0 prog=536874498 vers=2 proc=STATS\n"
    "deny any\n"
    "allow any prog=1 # never reached\n"
    "   # trailing comment without newline";

static void test_good_file(void **state)
{
	(void)state;
	tether_policy *p;
	char err[256];
	size_t idx;
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(tether_policy_load_text(p, "t.policy", good_text,
						 strlen(good_text), idls, 1,
						 err, sizeof(err)),
			 TETHER_OK);
	assert_string_equal(err, "");
	assert_int_equal(tether_policy_rule_count(p), 6);
	const uint32_t lines[] = {3, 4, 5, 6, 7, 8};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(tether_policy_rule_line(p, i), lines[i]);
	tt_subject a = {TETHER_PEER_TLS,
			TETHER_PEER_NAME_SAN_URI,
			"spiffe://ex.org/client-a",
			"",
			false,
			0,
			0};
	tt_subject b = a;
	b.name = "spiffe://ex.org/client-b";
	tt_subject u = {TETHER_PEER_UNIX, 0, "", "", true, 1000, 1000};
	tt_subject r = {TETHER_PEER_UNIX, 0, "", "", true, 5, 0};
	struct {
		const tt_subject *s;
		uint32_t vers, proc;
		tether_status want;
		size_t rule;
	} t[] = {
	    {&a, 1, 2, TETHER_E_DENIED, 0}, {&a, 1, 1, TETHER_OK, 1},
	    {&b, 1, 2, TETHER_OK, 1},	    {&a, 2, 1, TETHER_E_DENIED, 4},
	    {&u, 1, 1, TETHER_OK, 2},	    {&u, 2, 1, TETHER_OK, 2},
	    {&u, 1, 2, TETHER_E_DENIED, 4}, {&r, 2, 4, TETHER_OK, 3},
	    {&r, 1, 2, TETHER_E_DENIED, 4},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tether_status st = tt_policy_check_subject(
		    p, t[i].s, PROG, t[i].vers, t[i].proc, &idx);
		if (st != t[i].want || idx != t[i].rule)
			fail_msg("case %zu: status %d rule %zu", i, st, idx);
	}
	tether_policy_free(p);
}

typedef struct ecase {
	const char *text;
	const char *msg;
} ecase;

static void test_errors(void **state)
{
	(void)state;
	static const char nul_text[] = "allow any\nallow a\0ny\n";
	const ecase cases[] = {
	    {"permit any", "p:1:1: error: expected 'allow' or 'deny'"},
	    {"allow", "p:1:6: error: missing identity"},
	    {"allow   # c", "p:1:6: error: missing identity"},
	    {"\n\n  deny bogus:x",
	     "p:3:8: error: unknown identity (expected any, authenticated, "
	     "unauthenticated, name:, uri:, dns:, cn:, uid:, gid: or "
	     "sha256:)"},
	    {"allow uri:a*b", "p:1:12: error: '*' is allowed only as the whole "
			      "pattern, at its end, or as a leading '*.'"},
	    {"allow uid:x1", "p:1:11: error: expected a decimal id (0 to "
			     "4294967295)"},
	    {"allow sha256:00", "p:1:14: error: sha256: needs exactly 64 hex "
				"digits"},
	    {"allow any prog", "p:1:11: error: expected prog=, vers= or proc="},
	    {"allow any port=1", "p:1:11: error: expected prog=, vers= or "
				 "proc="},
	    {"allow any prog=1 prog=2", "p:1:18: error: key given twice"},
	    {"allow any vers=", "p:1:16: error: missing value after '='"},
	    {"allow any prog=12x", "p:1:16: error: bad number (decimal or 0x "
				   "hex, at most 4294967294)"},
	    {"allow any prog=0x", "p:1:16: error: bad number (decimal or 0x "
				  "hex, at most 4294967294)"},
	    {"allow any prog=0x100000000",
	     "p:1:16: error: bad number (decimal or 0x hex, at most "
	     "4294967294)"},
	    {"allow any prog=4294967296",
	     "p:1:16: error: bad number (decimal or 0x hex, at most "
	     "4294967294)"},
	    {"allow any proc=0xFFFFFFFF",
	     "p:1:16: error: 4294967295 is reserved for '*'"},
	    {"allow any prog=-1", "p:1:16: error: expected a number, '*' or a "
				  "name"},
	    {"allow any prog=NOPE", "p:1:16: error: unknown program name"},
	    {"allow any vers=ECHO_V1",
	     "p:1:16: error: a version or procedure name needs prog= to name "
	     "one program"},
	    {"allow any prog=* proc=ECHO",
	     "p:1:23: error: a version or procedure name needs prog= to name "
	     "one program"},
	    {"allow any prog=ECHO_PROG vers=ECHO_V9",
	     "p:1:31: error: unknown version name for this program"},
	    {"allow any prog=ECHO_PROG vers=2 proc=NOPE",
	     "p:1:38: error: unknown procedure name for this program and "
	     "version"},
	    {"allow any prog=ECHO_PROG proc=STATS",
	     "p:1:31: error: procedure name has different numbers in "
	     "different versions; give vers="},
	    {"allow any prog=1 vers=1 proc=1 x=1",
	     "p:1:32: error: too many fields on this line"},
	    {"allow any\x01", "p:1:10: error: control character in policy "
			      "text"},
	    {"allow any\x7f", "p:1:10: error: control character in policy "
			      "text"},
	    {"allow any\n\rdeny any", "p:2:1: error: control character in "
				      "policy text"},
	    /* The leftmost error on a line is the one reported. */
	    {"allow bogus prog=x!", "p:1:7: error: unknown identity (expected "
				    "any, authenticated, unauthenticated, "
				    "name:, uri:, dns:, cn:, uid:, gid: or "
				    "sha256:)"},
	    {"allow uid:1 prog=x! vers=NOPE", "p:1:18: error: expected a "
					      "number, '*' or a name"},
	};
	tether_policy *p;
	char err[256];
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(tether_policy_allow(p, "any", 9, 9, 9), TETHER_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(err, 'X', sizeof(err));
		tether_status st = tether_policy_load_text(
		    p, "p", cases[i].text, strlen(cases[i].text), idls, 1, err,
		    sizeof(err));
		if (st != TETHER_E_POLICY_SYNTAX ||
		    strcmp(err, cases[i].msg) != 0)
			fail_msg("case %zu: status %d\n got: %s\nwant: %s", i,
				 st, err, cases[i].msg);
		/* Nothing of a failed load stays. */
		assert_int_equal(tether_policy_rule_count(p), 1);
	}
	assert_int_equal(tether_policy_load_text(p, "n", nul_text,
						 sizeof(nul_text) - 1, idls, 1,
						 err, sizeof(err)),
			 TETHER_E_POLICY_SYNTAX);
	assert_string_equal(err, "n:2:8: error: NUL byte in policy text");
	assert_int_equal(tether_policy_rule_count(p), 1);
	tether_policy_free(p);
}

static void test_long_lines_and_limits(void **state)
{
	(void)state;
	tether_policy *p;
	char err[128];
	size_t n = 5000;
	char *t = malloc(n);
	assert_non_null(t);
	memcpy(t, "allow uri:", 10);
	memset(t + 10, 'a', n - 10);
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(
	    tether_policy_load_text(p, NULL, t, n, NULL, 0, err, sizeof(err)),
	    TETHER_E_POLICY_SYNTAX);
	assert_string_equal(err, "<policy>:1:4097: error: line longer than "
				 "4096 bytes");
	/* 1025-byte pattern on a short enough line. */
	assert_int_equal(tether_policy_load_text(p, "x", t, 10 + 1025, NULL, 0,
						 err, sizeof(err)),
			 TETHER_E_POLICY_SYNTAX);
	assert_string_equal(err, "x:1:11: error: identity pattern too long");
	assert_int_equal(tether_policy_load_text(p, "x", t, 10 + 1024, NULL, 0,
						 err, sizeof(err)),
			 TETHER_OK);
	/* Without descriptor tables a name cannot resolve. */
	assert_int_equal(tether_policy_load_text(p, "x", "deny any prog=ECHO",
						 18, NULL, 0, err, sizeof(err)),
			 TETHER_E_POLICY_SYNTAX);
	assert_string_equal(err, "x:1:15: error: unknown program name");
	/* A short error buffer is cut, never overrun. */
	char small[8];
	memset(small, 'Z', sizeof(small));
	assert_int_equal(
	    tether_policy_load_text(p, "x", "nope", 4, NULL, 0, small, 5),
	    TETHER_E_POLICY_SYNTAX);
	assert_string_equal(small, "x:1:");
	assert_int_equal(small[5], 'Z');
	/* Empty text and NULL errors are fine. */
	assert_int_equal(
	    tether_policy_load_text(p, "x", NULL, 0, NULL, 0, NULL, 0),
	    TETHER_OK);
	assert_int_equal(tether_policy_rule_count(p), 1);
	free(t);
	tether_policy_free(p);
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/tether-policy-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "allow uid:7 prog=ECHO_PROG vers=1 proc=ECHO\n"
			    "deny uid:8\n"
			    "allow uid:9 prog=ECHO_PROG vers=2 proc=FOO\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	close(fd);
	tether_policy *p;
	char err[256], want[256];
	assert_int_equal(tether_policy_new(&p), TETHER_OK);
	assert_int_equal(
	    tether_policy_load_file(p, path, idls, 1, err, sizeof(err)),
	    TETHER_E_POLICY_SYNTAX);
	snprintf(want, sizeof(want),
		 "%s:3:40: error: unknown procedure name for this program and "
		 "version",
		 path);
	assert_string_equal(err, want);
	assert_int_equal(tether_policy_rule_count(p), 0);
	/* Fix line 3 and load again. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, 55), 55);
	close(fd);
	assert_int_equal(
	    tether_policy_load_file(p, path, idls, 1, err, sizeof(err)),
	    TETHER_OK);
	assert_int_equal(tether_policy_rule_count(p), 2);
	tt_subject s = {TETHER_PEER_UNIX, 0, "", "", true, 7, 7};
	assert_int_equal(tt_policy_check_subject(p, &s, PROG, 1, 1, NULL),
			 TETHER_OK);
	assert_int_equal(tt_policy_check_subject(p, &s, PROG, 1, 2, NULL),
			 TETHER_E_DENIED);
	unlink(path);
	assert_int_equal(
	    tether_policy_load_file(p, path, idls, 1, err, sizeof(err)),
	    TETHER_E_IO);
	snprintf(want, sizeof(want), "%s: error: cannot read policy file",
		 path);
	assert_string_equal(err, want);
	tether_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_file),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_long_lines_and_limits),
	    cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
