/* SPDX-License-Identifier: MIT */
/* test_tls_probe.c - the RFC 9289 §4.1 AUTH_TLS probe: exact bytes of the
 * call and the "STARTTLS" reply (written out by hand from RFC 5531 §9), and
 * the classification of every other answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls/tls.h"

/* xid 0x01020304, program 100003 (0x186a3), version 4, procedure 0. */
static const uint8_t golden_call[40] = {
    0x01, 0x02, 0x03, 0x04, /* xid */
    0,	  0,	0,    0,    /* CALL */
    0,	  0,	0,    2,    /* rpcvers 2 */
    0,	  0x01, 0x86, 0xa3, /* prog */
    0,	  0,	0,    4,    /* vers */
    0,	  0,	0,    0,    /* proc NULL */
    0,	  0,	0,    7,    /* cred flavor AUTH_TLS */
    0,	  0,	0,    0,    /* cred body length 0 */
    0,	  0,	0,    0,    /* verf flavor AUTH_NONE */
    0,	  0,	0,    0,    /* verf body length 0 */
};

static const uint8_t golden_reply[32] = {
    0x01, 0x02, 0x03, 0x04, /* xid */
    0,	  0,	0,    1,    /* REPLY */
    0,	  0,	0,    0,    /* MSG_ACCEPTED */
    0,	  0,	0,    0,    /* verf flavor AUTH_NONE */
    0,	  0,	0,    8,    /* verf body length 8 */
    'S',  'T',	'A',  'R',  'T', 'T',
    'L',  'S',	0,    0,    0,	 0, /* SUCCESS, void result */
};

static void test_call_bytes(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t len = 0;
	uint32_t xid, prog, vers;
	assert_int_equal(tt_tls_probe_call_encode(0x01020304, 100003, 4, buf,
						  sizeof(buf), &len),
			 TETHER_OK);
	assert_int_equal(len, sizeof(golden_call));
	assert_memory_equal(buf, golden_call, len);
	assert_int_equal(tt_tls_probe_call_encode(1, 2, 3, buf, 39, &len),
			 TETHER_E_TOO_LARGE);
	assert_int_equal(
	    tt_tls_probe_call_check(golden_call, 40, &xid, &prog, &vers),
	    TETHER_OK);
	assert_int_equal(xid, 0x01020304);
	assert_int_equal(prog, 100003);
	assert_int_equal(vers, 4);
}

static void test_call_not_probe(void **state)
{
	(void)state;
	uint8_t m[48];
	uint32_t xid, prog, vers;
	/* AUTH_NONE credential: an ordinary NULL call. */
	memcpy(m, golden_call, 40);
	m[27] = 0;
	assert_int_equal(tt_tls_probe_call_check(m, 40, &xid, &prog, &vers),
			 TETHER_E_NOT_FOUND);
	/* Procedure 1. */
	memcpy(m, golden_call, 40);
	m[23] = 1;
	assert_int_equal(tt_tls_probe_call_check(m, 40, &xid, &prog, &vers),
			 TETHER_E_NOT_FOUND);
	/* AUTH_TLS with a non-empty body (4 bytes). */
	memcpy(m, golden_call, 32);
	m[31] = 4;
	memset(m + 32, 'x', 4);
	memcpy(m + 36, golden_call + 32, 8);
	assert_int_equal(tt_tls_probe_call_check(m, 44, &xid, &prog, &vers),
			 TETHER_E_NOT_FOUND);
	/* Arguments after the header. */
	memcpy(m, golden_call, 40);
	memset(m + 40, 0, 4);
	assert_int_equal(tt_tls_probe_call_check(m, 44, &xid, &prog, &vers),
			 TETHER_E_NOT_FOUND);
	/* A REPLY is not a call at all. */
	assert_int_equal(
	    tt_tls_probe_call_check(golden_reply, 32, &xid, &prog, &vers),
	    TETHER_E_RPC_MSG);
	/* Credential body over 400 bytes. */
	memcpy(m, golden_call, 40);
	m[30] = 0x01;
	m[31] = 0x91; /* 401 */
	assert_int_equal(tt_tls_probe_call_check(m, 40, &xid, &prog, &vers),
			 TETHER_E_RPC_AUTH_LEN);
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < 40; n++)
		assert_int_equal(
		    tt_tls_probe_call_check(golden_call, n, &xid, &prog, &vers),
		    TETHER_E_RPC_MSG);
}

static void test_reply_bytes(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t len = 0;
	assert_int_equal(
	    tt_tls_probe_reply_encode(0x01020304, buf, sizeof(buf), &len),
	    TETHER_OK);
	assert_int_equal(len, sizeof(golden_reply));
	assert_memory_equal(buf, golden_reply, len);
	assert_int_equal(tt_tls_probe_reply_encode(1, buf, 31, &len),
			 TETHER_E_TOO_LARGE);
	assert_int_equal(tt_tls_probe_reply_check(golden_reply, 32, 0x01020304),
			 TETHER_OK);
	assert_int_equal(tt_tls_probe_reply_check(golden_reply, 32, 5),
			 TETHER_E_PROTOCOL);
	for (size_t n = 0; n < 32; n++)
		assert_int_not_equal(
		    tt_tls_probe_reply_check(golden_reply, n, 0x01020304),
		    TETHER_OK);
}

static void test_reply_declined_or_bad(void **state)
{
	(void)state;
	uint8_t m[48];
	const uint32_t xid = 0x01020304;
	/* Token with the wrong flavor (AUTH_SYS): not our answer. */
	memcpy(m, golden_reply, 32);
	m[15] = 1;
	assert_int_equal(tt_tls_probe_reply_check(m, 32, xid),
			 TETHER_E_BAD_REPLY);
	/* Another token: a server that does not do TLS. */
	memcpy(m, golden_reply, 32);
	m[27] = 'X';
	assert_int_equal(tt_tls_probe_reply_check(m, 32, xid),
			 TETHER_E_TLS_REQUIRED);
	/* Plain NULL reply, empty verifier (a server ignoring AUTH_TLS). */
	static const uint8_t plain[24] = {1, 2, 3, 4, 0, 0, 0, 1, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(tt_tls_probe_reply_check(plain, 24, xid),
			 TETHER_E_TLS_REQUIRED);
	/* MSG_DENIED, AUTH_ERROR, AUTH_BADCRED (1). */
	static const uint8_t denied[20] = {1, 2, 3, 4, 0, 0, 0, 1, 0, 0,
					   0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
	assert_int_equal(tt_tls_probe_reply_check(denied, 20, xid),
			 TETHER_E_TLS_REQUIRED);
	/* Trailing garbage after a good reply. */
	memcpy(m, golden_reply, 32);
	memset(m + 32, 0, 4);
	assert_int_equal(tt_tls_probe_reply_check(m, 36, xid),
			 TETHER_E_BAD_REPLY);
	/* Non-zero padding after a 7-byte token. */
	memcpy(m, golden_reply, 32);
	m[19] = 7;
	assert_int_equal(tt_tls_probe_reply_check(m, 32, xid),
			 TETHER_E_BAD_REPLY);
	/* reply_stat 2 does not exist. */
	memcpy(m, golden_reply, 32);
	m[11] = 2;
	assert_int_equal(tt_tls_probe_reply_check(m, 32, xid),
			 TETHER_E_BAD_REPLY);
}

/* Seeded random mutations of the golden messages: never a crash, and the
 * probe / STARTTLS is recognized only when the bytes are exactly right. */
static void test_mutations(void **state)
{
	(void)state;
	unsigned seed = 42;
	uint8_t m[64];
	uint32_t xid, prog, vers;
	for (int i = 0; i < 20000; i++) {
		const uint8_t *g = (i & 1) ? golden_reply : golden_call;
		size_t n = (i & 1) ? sizeof(golden_reply) : sizeof(golden_call);
		memcpy(m, g, n);
		size_t pos = (size_t)rand_r(&seed) % n;
		m[pos] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		size_t len =
		    n -
		    (size_t)(rand_r(&seed) % 3 == 0 ? rand_r(&seed) % 8 : 0);
		tether_status st;
		if (i & 1) {
			st = tt_tls_probe_reply_check(m, len, 0x01020304);
			/* Only the xid, which is then a mismatch, may change
			 * and still leave a well-formed probe reply. */
			assert_int_not_equal(st, TETHER_OK);
		} else {
			st =
			    tt_tls_probe_call_check(m, len, &xid, &prog, &vers);
			/* xid, prog and vers are free fields of the probe. */
			if (st == TETHER_OK)
				assert_true(pos < 4 || (pos >= 12 && pos < 20));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_bytes),
	    cmocka_unit_test(test_call_not_probe),
	    cmocka_unit_test(test_reply_bytes),
	    cmocka_unit_test(test_reply_declined_or_bad),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
