/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy.c - libFuzzer target for the policy text parser
 * (src/security/policy_text.c) through tether_policy_load_text, with a
 * small descriptor table so names resolve. Oracles: no crash or sanitizer
 * report; a failed load appends no rule and always gives a message of the
 * form "fuzz:LINE:COL: error: ..." with LINE and COL inside the input; a
 * successful load gives rules whose checks are deterministic (checking
 * twice gives the same answer) for a few fixed identities.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/security_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROG 0x20000E02u

static const tether_proc_desc v1_procs[] = {
    {.name = "NULL", .prog = PROG, .vers = 1, .proc = 0},
    {.name = "ECHO", .prog = PROG, .vers = 1, .proc = 1},
    {.name = "STATS", .prog = PROG, .vers = 1, .proc = 2},
};
static const tether_proc_desc v2_procs[] = {
    {.name = "ECHO", .prog = PROG, .vers = 2, .proc = 1},
    {.name = "STATS", .prog = PROG, .vers = 2, .proc = 4},
};
static const tether_version_desc v1 = {"ECHO_PROG", "ECHO_V1", PROG,
				       1,	    v1_procs,  3};
static const tether_version_desc v2 = {"ECHO_PROG", "ECHO_V2", PROG,
				       2,	    v2_procs,  2};
static const tether_version_desc *const versions[] = {&v1, &v2};
static const tether_program_desc prog = {"ECHO_PROG", PROG, versions, 2};
static const tether_program_desc *const programs[] = {&prog};
static const tether_idl_desc idl = {"echo.x", "", NULL, 0, programs, 1};
static const tether_idl_desc *const idls[] = {&idl};

static const tt_subject subjects[] = {
    {TETHER_PEER_NONE, TETHER_PEER_NAME_NONE, "", "", false, 0, 0},
    {TETHER_PEER_UNIX, TETHER_PEER_NAME_NONE, "", "", true, 1000, 100},
    {TETHER_PEER_TLS, TETHER_PEER_NAME_SAN_URI, "spiffe://ex.org/a",
     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", false,
     0, 0},
    {TETHER_PEER_TLS, TETHER_PEER_NAME_SAN_DNS, "a.example.org", "", false, 0,
     0},
};

/* The error message must name a position inside the input. */
static void check_error(const char *err, size_t size)
{
	unsigned long line = 0, col = 0;
	int used = 0;
	if (sscanf(err, "fuzz:%lu:%lu: error: %n", &line, &col, &used) != 2 ||
	    used == 0 || err[used] == '\0')
		abort();
	if (line == 0 || line > size + 1 || col == 0 || col > 4097)
		abort();
}

static void check_rules(const tether_policy *p)
{
	static const uint32_t calls[][3] = {
	    {PROG, 1, 0}, {PROG, 1, 1}, {PROG, 2, 4}, {1, 1, 1}};
	for (size_t s = 0; s < sizeof(subjects) / sizeof(subjects[0]); s++)
		for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++) {
			size_t i1, i2;
			tether_status a = tt_policy_check_subject(
			    p, &subjects[s], calls[c][0], calls[c][1],
			    calls[c][2], &i1);
			tether_status b = tt_policy_check_subject(
			    p, &subjects[s], calls[c][0], calls[c][1],
			    calls[c][2], &i2);
			if (a != b || i1 != i2 ||
			    (a != TETHER_OK && a != TETHER_E_DENIED))
				abort();
			if (i1 != TETHER_POLICY_NO_RULE &&
			    i1 >= tether_policy_rule_count(p))
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tether_policy *p;
	char err[512];
	if (tether_policy_new(&p) != TETHER_OK)
		return 0;
	tether_status st = tether_policy_load_text(
	    p, "fuzz", (const char *)data, size, idls, 1, err, sizeof(err));
	if (st == TETHER_OK) {
		check_rules(p);
	} else {
		if (st != TETHER_E_POLICY_SYNTAX && st != TETHER_E_TOO_LARGE &&
		    st != TETHER_E_NOMEM)
			abort();
		if (tether_policy_rule_count(p) != 0)
			abort();
		check_error(err, size);
	}
	tether_policy_free(p);
	return 0;
}
