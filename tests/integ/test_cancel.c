/* SPDX-License-Identifier: MIT */
/*
 * test_cancel.c - the control program's CANCEL contract on a live loopback
 * server (docs/protocol.md, Cancel): TRUE iff the call's reply is the
 * cancelled error (SYSTEM_ERR with the cancel verifier), including a CANCEL
 * held back by max_inbound that is dispatched while the call it names is
 * being answered.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../adversarial/adv_util.h"

enum { CTL_PROG = 0x20746574u, CTL_CANCEL = 3 }; /* src/server/control.x */
enum { AUTH_TETHER_CANCEL = 0x74745202u, SYSTEM_ERR = 5 };
enum { CALL_XID = 7, CANCEL_XID = 8 };

typedef struct outcome {
	int call;   /* 0 none, 1 success, 2 cancelled error, 3 other */
	int cancel; /* 0 none, 1 TRUE, 2 FALSE */
} outcome;

/* One reply record body (RFC 5531 §9) into o. */
static void note_reply(const uint8_t *p, size_t n, outcome *o)
{
	uint32_t vlen, acc = UINT32_MAX;
	size_t off;

	if (n < 24)
		return;
	vlen = adv_get32(p + 16);
	off = 20 + ((vlen + 3u) & ~3u);
	if (adv_get32(p + 8) == 0 && off + 4 <= n)
		acc = adv_get32(p + off);
	if (adv_get32(p) == CANCEL_XID)
		o->cancel = acc == 0 && off + 8 <= n &&
				    adv_get32(p + off + 4) == 1
				? 1
				: 2;
	else if (adv_get32(p) == CALL_XID)
		o->call = acc == 0				      ? 1
			  : acc == SYSTEM_ERR &&
				    adv_get32(p + 12) == AUTH_TETHER_CANCEL ? 2
									    : 3;
}

/* Reads both replies (single-fragment records) within 5 s. */
static outcome read_two(int fd)
{
	uint8_t buf[512];
	size_t have = 0;
	outcome o = {0, 0};
	uint64_t end = adv_now_ms() + 5000;

	while ((o.call == 0 || o.cancel == 0) && adv_now_ms() < end) {
		ssize_t n = recv(fd, buf + have, sizeof buf - have,
				 MSG_DONTWAIT);
		size_t off = 0;
		if (n <= 0) {
			if (n == 0)
				break;
			adv_sleep_ms(2);
			continue;
		}
		have += (size_t)n;
		while (have - off >= 4) {
			uint32_t len = adv_get32(buf + off) & 0x7fffffffu;
			if (len > sizeof buf - 4)
				return o; /* not ours: fails below */
			if (have - off - 4 < len)
				break;
			note_reply(buf + off + 4, len, &o);
			off += 4 + len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	return o;
}

/* A blocking SLOW call of ms milliseconds and a CANCEL of it, sent in one
 * write to a server allowing max_inbound calls per connection. */
static outcome slow_then_cancel(uint32_t max_inbound, uint32_t ms)
{
	tether_server_opts *o;
	tether_server *s;
	char ep[128];
	uint8_t b[128];
	uint32_t x = CALL_XID;
	size_t n;
	outcome out;
	int fd;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	tether_server_opts_set_workers(o, 2);
	tether_server_opts_set_max_inbound(o, max_inbound);
	assert_int_equal(tether_server_new(o, &s), TETHER_OK);
	tether_server_opts_free(o);
	assert_int_equal(
	    tether_server_register_blocking(s, &tp_v2, &adv_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(tether_server_listen(s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_int_equal(tether_server_start(s), TETHER_OK);
	fd = adv_connect(adv_port(ep), NULL, false);
	assert_true(fd >= 0);
	n = adv_call(b, CALL_XID, 2, TP_PROG, 2, TP_SLOW, &ms, 1);
	n += adv_call(b + n, CANCEL_XID, 2, CTL_PROG, 1, CTL_CANCEL, &x, 1);
	assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
	out = read_two(fd);
	close(fd);
	tether_server_free(s);
	return out;
}

/* max_inbound 1: the CANCEL waits for the call's slot, so it is dispatched
 * only as the call is answered (the worker's completion feeds the held
 * input): the reply is already decided, so CANCEL must say FALSE and the
 * call succeeds. Repeated: the window was a matter of timing. */
static void test_cancel_held_behind_its_call(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		outcome o = slow_then_cancel(1, 20);
		assert_int_equal(o.call, 1);
		assert_int_equal(o.cancel, 2);
	}
}

/* Room for both: the CANCEL runs while the handler sleeps, says TRUE, and
 * the call fails with the cancelled error. */
static void test_cancel_in_flight(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		outcome o = slow_then_cancel(4, 200);
		assert_int_equal(o.cancel, 1);
		assert_int_equal(o.call, 2);
	}
}

/* A CANCEL of an XID never sent says FALSE; the call is untouched. */
static void test_cancel_unknown_xid(void **state)
{
	(void)state;
	/* CALL_XID is cancelled before the call exists: same write, the
	 * CANCEL first. */
	tether_server_opts *o;
	tether_server *s;
	char ep[128];
	uint8_t b[128];
	uint32_t x = CALL_XID, ms = 20;
	size_t n;
	outcome out;
	int fd;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_server_new(o, &s), TETHER_OK);
	tether_server_opts_free(o);
	assert_int_equal(
	    tether_server_register_blocking(s, &tp_v2, &adv_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(tether_server_listen(s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_int_equal(tether_server_start(s), TETHER_OK);
	fd = adv_connect(adv_port(ep), NULL, false);
	assert_true(fd >= 0);
	n = adv_call(b, CANCEL_XID, 2, CTL_PROG, 1, CTL_CANCEL, &x, 1);
	n += adv_call(b + n, CALL_XID, 2, TP_PROG, 2, TP_SLOW, &ms, 1);
	assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
	out = read_two(fd);
	assert_int_equal(out.cancel, 2);
	assert_int_equal(out.call, 1);
	close(fd);
	tether_server_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cancel_held_behind_its_call),
	    cmocka_unit_test(test_cancel_in_flight),
	    cmocka_unit_test(test_cancel_unknown_xid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
