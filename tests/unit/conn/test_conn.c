/* SPDX-License-Identifier: MIT */
/*
 * test_conn.c - the connection engine byte by byte: two engines back to
 * back in memory, calls both ways, replies matched, every limit with its
 * status and counter, deadlines, exactly-once completion, backpressure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "rpc/rm.h"
#include "xdr/wire.h"

typedef struct pair {
	tt_conn *cli, *srv;
} pair;

static void pair_new(pair *p, const tt_conn_opts *co, const tt_conn_opts *so)
{
	tt_conn_opts d;
	tt_conn_opts_init(&d);
	d.xid_seed = 1000;
	assert_int_equal(tt_conn_new(co ? co : &d, TT_CONN_CLIENT, &p->cli),
			 TETHER_OK);
	d.xid_seed = 5000;
	assert_int_equal(tt_conn_new(so ? so : &d, TT_CONN_SERVER, &p->srv),
			 TETHER_OK);
}

static void pair_free(pair *p)
{
	tt_conn_free(p->cli);
	tt_conn_free(p->srv);
}

static const uint8_t ARGS[8] = {0, 0, 0, 7, 'a', 'b', 'c', 'd'};

static uint32_t call_bytes(tt_conn *c, uint32_t proc, void *cookie)
{
	tt_conn_call_args a;
	uint32_t xid = 0;
	memset(&a, 0, sizeof(a));
	a.prog = 0x20000001;
	a.vers = 1;
	a.proc = proc;
	a.body = ARGS;
	a.body_len = sizeof(ARGS);
	assert_int_equal(tt_conn_call(c, &a, cookie, &xid), TETHER_OK);
	return xid;
}

static void expect_none(tt_conn *c)
{
	tt_event ev;
	assert_false(tt_conn_next_event(c, &ev));
	assert_int_equal(ev.type, TT_EV_NONE);
}

static void expect_event(tt_conn *c, tt_event *ev, tt_event_type t)
{
	assert_true(tt_conn_next_event(c, ev));
	assert_int_equal(ev->type, t);
}

/* A call from the client, answered by the server, one byte at a time. */
static void test_call_reply_bytewise(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	int cookie;
	pair_new(&p, NULL, NULL);
	uint32_t xid = call_bytes(p.cli, 3, &cookie);
	assert_int_equal(xid, 1000);
	assert_int_equal(tt_conn_outstanding(p.cli), 1);
	h_settle(p.cli, p.srv, 1);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(ev.xid, 1000);
	assert_int_equal(ev.call.prog, 0x20000001);
	assert_int_equal(ev.call.vers, 1);
	assert_int_equal(ev.call.proc, 3);
	assert_int_equal(ev.call.cred.flavor, TT_AUTH_NONE);
	assert_int_equal(ev.body_len, sizeof(ARGS));
	assert_memory_equal(ev.body, ARGS, sizeof(ARGS));
	assert_int_equal(tt_conn_inflight(p.srv), 1);
	expect_none(p.srv);

	const uint8_t res[4] = {1, 2, 3, 4};
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, res, 4),
			 TETHER_OK);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, res, 4),
			 TETHER_E_NOT_FOUND);
	assert_int_equal(tt_conn_inflight(p.srv), 0);
	h_settle(p.cli, p.srv, 1);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	assert_ptr_equal(ev.cookie, &cookie);
	assert_int_equal(ev.xid, xid);
	assert_int_equal(ev.status, TETHER_OK);
	assert_int_equal(ev.body_len, 4);
	assert_memory_equal(ev.body, res, 4);
	expect_none(p.cli);
	assert_int_equal(tt_conn_outstanding(p.cli), 0);

	tt_conn_counters s;
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.calls_out, 1);
	assert_int_equal(s.replies_in, 1);
	assert_int_equal(s.records_in, 1);
	assert_int_equal(s.records_out, 1);
	tt_conn_stats(p.srv, &s);
	assert_int_equal(s.calls_in, 1);
	assert_int_equal(s.replies_out, 1);
	pair_free(&p);
}

/* Both sides call each other at once (DESIGN §2), with an encode fn. */
static void test_calls_both_ways(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	int ck1, ck2;
	uint32_t pairv[2] = {11, 22};
	pair_new(&p, NULL, NULL);
	uint32_t x1 = call_bytes(p.cli, 1, &ck1);
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	a.prog = 0x40000000;
	a.vers = 2;
	a.proc = 9;
	a.encode = h_enc_pair;
	a.arg = pairv;
	uint32_t x2;
	assert_int_equal(tt_conn_call(p.srv, &a, &ck2, &x2), TETHER_OK);
	assert_int_equal(x2, 5000);
	h_settle(p.cli, p.srv, 3);

	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(ev.xid, x1);
	uint64_t id_srv = ev.call_id;
	expect_event(p.cli, &ev, TT_EV_CALL);
	assert_int_equal(ev.xid, x2);
	assert_int_equal(ev.call.prog, 0x40000000);
	assert_int_equal(ev.body_len, 8);
	assert_int_equal(tt_xdr_get32(ev.body), 11);
	assert_int_equal(tt_xdr_get32(ev.body + 4), 22);
	/* The client answers with an encode fn, the server with bytes. */
	assert_int_equal(
	    tt_conn_reply(p.cli, ev.call_id, NULL, h_enc_pair, pairv),
	    TETHER_OK);
	assert_int_equal(tt_conn_reply_bytes(p.srv, id_srv, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 7);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	assert_ptr_equal(ev.cookie, &ck1);
	assert_int_equal(ev.body_len, 0);
	expect_event(p.srv, &ev, TT_EV_REPLY);
	assert_ptr_equal(ev.cookie, &ck2);
	assert_int_equal(ev.body_len, 8);
	assert_int_equal(tt_xdr_get32(ev.body + 4), 22);
	expect_none(p.cli);
	expect_none(p.srv);
	pair_free(&p);
}

/* A REPLY for an XID never issued is dropped and counted; the connection
 * stays usable. */
static void test_unmatched_reply(void **state)
{
	(void)state;
	pair p;
	uint8_t buf[128];
	tt_event ev;
	tt_conn_counters s;
	pair_new(&p, NULL, NULL);
	size_t n = h_reply_record(buf, sizeof(buf), 77, NULL, 0);
	assert_true(n > 0);
	h_feed_all(p.cli, buf, n);
	expect_none(p.cli);
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.unmatched_replies, 1);
	assert_int_equal(tt_conn_status(p.cli), TETHER_OK);
	/* Still usable. */
	int ck;
	uint32_t xid = call_bytes(p.cli, 1, &ck);
	h_settle(p.cli, p.srv, 64);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 64);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	assert_int_equal(ev.xid, xid);
	/* A second reply for the same XID is now unmatched too. */
	n = h_reply_record(buf, sizeof(buf), xid, NULL, 0);
	h_feed_all(p.cli, buf, n);
	expect_none(p.cli);
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.unmatched_replies, 2);
	pair_free(&p);
}

/* RFC 5531 §9: rpcvers 3 is answered MSG_DENIED/RPC_MISMATCH(2,2) by the
 * engine itself and never surfaces. */
static void test_rpc_version_mismatch(void **state)
{
	(void)state;
	pair p;
	uint8_t buf[128];
	tt_conn_counters s;
	pair_new(&p, NULL, NULL);
	size_t n = h_call_record(buf, sizeof(buf), 42, 3, 100, 1, 0, NULL, 0);
	assert_true(n > 0);
	h_feed_all(p.srv, buf, n);
	expect_none(p.srv);
	tt_conn_stats(p.srv, &s);
	assert_int_equal(s.rpc_mismatch, 1);
	size_t len;
	const uint8_t *out = tt_conn_out_buf(p.srv, &len);
	assert_non_null(out);
	assert_true(len > 4);
	assert_int_equal(tt_xdr_get32(out) & 0x7fffffff, len - 4);
	tether_dec d;
	tt_rpc_msg m;
	tether_dec_init(&d, out + 4, len - 4, NULL);
	assert_int_equal(tt_rpc_decode(&d, &m), TETHER_OK);
	assert_int_equal(m.xid, 42);
	assert_int_equal(m.type, TT_MSG_REPLY);
	assert_int_equal(m.u.reply.stat, TT_REPLY_DENIED);
	assert_int_equal(m.u.reply.reject_stat, TT_RPC_MISMATCH);
	assert_int_equal(m.u.reply.low, 2);
	assert_int_equal(m.u.reply.high, 2);
	tt_conn_out_ack(p.srv, len);
	assert_int_equal(tt_conn_status(p.srv), TETHER_OK);
	pair_free(&p);
}

/* Each error reply reaches the caller with its status and fields. */
static void test_error_replies(void **state)
{
	(void)state;
	static const struct {
		tether_status st;
		uint32_t a, b;
	} cases[] = {
	    {TETHER_E_PROG_UNAVAIL, 0, 0},
	    {TETHER_E_PROG_MISMATCH, 1, 3},
	    {TETHER_E_PROC_UNAVAIL, 0, 0},
	    {TETHER_E_GARBAGE_ARGS, 0, 0},
	    {TETHER_E_SYSTEM_ERR, 0, 0},
	    /* AUTH_TOOWEAK comes back as TETHER_E_DENIED (policy denial). */
	    {TETHER_E_AUTH_REJECTED, TT_AUTH_BADCRED, 0},
	    /* SYSTEM_ERR with tether's rate verifier (docs/protocol.md). */
	    {TETHER_E_RATE_LIMITED, 1000, 0},
	    {TETHER_E_RPC_MISMATCH, 2, 2},
	    {TETHER_E_INVAL, 0, 0}, /* anything else: SYSTEM_ERR */
	};
	pair p;
	tt_event ev;
	pair_new(&p, NULL, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ck;
		call_bytes(p.cli, 1, &ck);
		h_settle(p.cli, p.srv, 5);
		expect_event(p.srv, &ev, TT_EV_CALL);
		assert_int_equal(tt_conn_reply_error(p.srv, ev.call_id,
						     cases[i].st, cases[i].a,
						     cases[i].b),
				 TETHER_OK);
		h_settle(p.cli, p.srv, 5);
		expect_event(p.cli, &ev, TT_EV_REPLY);
		assert_ptr_equal(ev.cookie, &ck);
		tether_status want = cases[i].st == TETHER_E_INVAL
					 ? TETHER_E_SYSTEM_ERR
					 : cases[i].st;
		assert_int_equal(ev.status, want);
		assert_null(ev.body);
		if (want == TETHER_E_PROG_MISMATCH ||
		    want == TETHER_E_RPC_MISMATCH) {
			assert_int_equal(ev.reply.low, cases[i].a);
			assert_int_equal(ev.reply.high, cases[i].b);
		}
		if (want == TETHER_E_AUTH_REJECTED)
			assert_int_equal(ev.reply.auth_stat, TT_AUTH_BADCRED);
	}
	pair_free(&p);
}

/* Drains c's events; counts each kind; asserts CLOSED comes last with
 * status st. */
static void drain_closed(tt_conn *c, tether_status st, int *failed)
{
	tt_event ev;
	bool closed = false;
	*failed = 0;
	while (tt_conn_next_event(c, &ev)) {
		assert_false(closed);
		if (ev.type == TT_EV_CALL_FAILED) {
			assert_int_equal(ev.status, st);
			(*failed)++;
		}
		if (ev.type == TT_EV_CLOSED) {
			assert_int_equal(ev.status, st);
			closed = true;
		}
	}
	assert_true(closed);
	assert_true(tt_conn_closed(c));
	expect_none(c);
}

static void assert_sticky(tt_conn *c, tether_status st)
{
	tt_conn_call_args a;
	size_t used = 99;
	uint8_t b[4] = {0};
	memset(&a, 0, sizeof(a));
	assert_int_equal(tt_conn_status(c), st);
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), st);
	assert_int_equal(tt_conn_in(c, b, 4, &used), st);
	assert_int_equal(used, 0);
	assert_false(tt_conn_wants_input(c));
	assert_int_equal(tt_conn_next_deadline(c), UINT64_MAX);
}

/* Limit: max_record. The mark alone is refused; outstanding calls fail
 * exactly once with the sticky status, then CLOSED. */
static void test_limit_max_record(void **state)
{
	(void)state;
	tt_conn_opts o;
	tt_conn *c;
	tt_conn_counters s;
	int failed;
	tt_conn_opts_init(&o);
	o.max_record = 1024;
	assert_int_equal(tt_conn_new(&o, TT_CONN_CLIENT, &c), TETHER_OK);
	int ck;
	call_bytes(c, 1, &ck);
	call_bytes(c, 2, &ck);
	uint8_t mark[4];
	tt_rm_put_mark(mark, 1025, true);
	size_t used;
	assert_int_equal(tt_conn_in(c, mark, 4, &used), TETHER_E_RM_TOO_LARGE);
	tt_conn_stats(c, &s);
	assert_int_equal(s.rec_too_large, 1);
	drain_closed(c, TETHER_E_RM_TOO_LARGE, &failed);
	assert_int_equal(failed, 2);
	assert_sticky(c, TETHER_E_RM_TOO_LARGE);
	/* Outbound too: a call over max_record is refused up front. */
	tt_conn_free(c);
	assert_int_equal(tt_conn_new(&o, TT_CONN_CLIENT, &c), TETHER_OK);
	static uint8_t big[2048];
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	a.body = big;
	a.body_len = sizeof(big);
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_E_TOO_LARGE);
	/* The CALL header is 40 bytes with AUTH_NONE: 988 bytes of body make
	 * a 1028-byte record, 984 exactly 1024. */
	a.body_len = 988;
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_E_TOO_LARGE);
	assert_int_equal(tt_conn_outstanding(c), 0);
	assert_int_equal(tt_conn_status(c), TETHER_OK);
	size_t len;
	assert_null(tt_conn_out_buf(c, &len));
	a.body_len = 984;
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_OK);
	assert_non_null(tt_conn_out_buf(c, &len));
	assert_int_equal(len, 1028);
	tt_conn_free(c);
}

/* Limit: fragments per record. */
static void test_limit_fragments(void **state)
{
	(void)state;
	tt_conn_opts o;
	tt_conn *c;
	tt_conn_counters s;
	int failed;
	uint8_t buf[64];
	tt_conn_opts_init(&o);
	o.max_fragments = 2;
	assert_int_equal(tt_conn_new(&o, TT_CONN_SERVER, &c), TETHER_OK);
	/* Three non-last 4-byte fragments. */
	for (int i = 0; i < 3; i++) {
		tt_rm_put_mark(buf + i * 8, 4, false);
		memset(buf + i * 8 + 4, 0, 4);
	}
	size_t used;
	assert_int_equal(tt_conn_in(c, buf, 24, &used), TETHER_E_RM_FRAGMENTS);
	assert_true(used < 24);
	tt_conn_stats(c, &s);
	assert_int_equal(s.rec_fragments, 1);
	drain_closed(c, TETHER_E_RM_FRAGMENTS, &failed);
	assert_int_equal(failed, 0);
	assert_sticky(c, TETHER_E_RM_FRAGMENTS);
	tt_conn_free(c);
}

/* Limit: a record must complete in record_timeout_ms from its first byte
 * (slow drip). */
static void test_limit_record_timeout(void **state)
{
	(void)state;
	tt_conn_opts o;
	tt_conn *c;
	tt_conn_counters s;
	int failed;
	uint8_t buf[128];
	tt_conn_opts_init(&o);
	o.record_timeout_ms = 1000;
	o.now_ms = 50;
	assert_int_equal(tt_conn_new(&o, TT_CONN_SERVER, &c), TETHER_OK);
	size_t n = h_call_record(buf, sizeof(buf), 1, 2, 9, 1, 1, NULL, 0);
	assert_int_equal(tt_conn_next_deadline(c), 50 + 120000); /* idle */
	/* One byte every 400 ms. */
	uint64_t t = 100;
	tt_conn_tick(c, t);
	h_feed_all(c, buf, 1);
	assert_int_equal(tt_conn_next_deadline(c), 1100);
	for (size_t i = 1; i < n && tt_conn_status(c) == TETHER_OK; i++) {
		t += 400;
		tt_conn_tick(c, t);
		if (tt_conn_status(c) != TETHER_OK)
			break;
		h_feed_all(c, buf + i, 1);
	}
	assert_int_equal(tt_conn_status(c), TETHER_E_RM_TIMEOUT);
	assert_int_equal(t, 1300); /* failed at the first tick past 1100 */
	tt_conn_stats(c, &s);
	assert_int_equal(s.rec_timeouts, 1);
	drain_closed(c, TETHER_E_RM_TIMEOUT, &failed);
	tt_conn_free(c);
}

/* Limit: inbound calls in flight. Past it tt_conn_in stops consuming; as
 * calls are answered it consumes again. */
static void test_limit_inbound_backpressure(void **state)
{
	(void)state;
	tt_conn_opts o;
	pair p;
	tt_event ev;
	tt_conn_counters s;
	tt_conn_opts_init(&o);
	o.max_inbound = 2;
	pair_new(&p, NULL, &o);
	int ck[3];
	for (int i = 0; i < 3; i++)
		call_bytes(p.cli, (uint32_t)i, &ck[i]);
	size_t before;
	tt_conn_out_buf(p.cli, &before);
	h_settle(p.cli, p.srv, 1000);
	size_t left;
	tt_conn_out_buf(p.cli, &left);
	assert_int_equal(left, before / 3); /* the third record waits */
	assert_int_equal(tt_conn_inflight(p.srv), 2);
	assert_false(tt_conn_wants_input(p.srv));
	tt_conn_stats(p.srv, &s);
	assert_true(s.in_stalls >= 1);
	expect_event(p.srv, &ev, TT_EV_CALL);
	uint64_t id0 = ev.call_id;
	expect_event(p.srv, &ev, TT_EV_CALL);
	expect_none(p.srv);
	assert_int_equal(tt_conn_reply_bytes(p.srv, id0, NULL, NULL, 0),
			 TETHER_OK);
	assert_true(tt_conn_wants_input(p.srv));
	h_settle(p.cli, p.srv, 1000);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(ev.call.proc, 2);
	tt_conn_out_buf(p.cli, &left);
	assert_int_equal(left, 0);
	pair_free(&p);
}

/* Under inbound backpressure a REPLY at the head of the stream is still
 * taken (a callback's answer must not wait behind the limit), a CALL is
 * not. */
static void test_backpressure_takes_replies(void **state)
{
	(void)state;
	tt_conn_opts o;
	pair p;
	tt_event ev;
	tt_conn_opts_init(&o);
	o.max_inbound = 1;
	o.xid_seed = 5000;
	pair_new(&p, NULL, &o);
	int ck1, ck2, ck3;
	call_bytes(p.cli, 1, &ck1);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.srv, &ev, TT_EV_CALL);
	uint64_t held = ev.call_id;
	assert_false(tt_conn_wants_input(p.srv));
	/* The handler calls back; the client answers, then calls again. */
	call_bytes(p.srv, 8, &ck2);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.cli, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.cli, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	call_bytes(p.cli, 2, &ck3);
	h_settle(p.cli, p.srv, 1000);
	expect_event(p.srv, &ev, TT_EV_REPLY);
	assert_ptr_equal(ev.cookie, &ck2);
	expect_none(p.srv);
	assert_int_equal(tt_conn_inflight(p.srv), 1);
	size_t left;
	tt_conn_out_buf(p.cli, &left);
	assert_int_equal(left, 44 + sizeof(ARGS)); /* the second CALL waits */
	assert_int_equal(tt_conn_reply_bytes(p.srv, held, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 1000);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(ev.call.proc, 2);
	pair_free(&p);
}

/* Limit: outbound calls outstanding -> TETHER_E_BUSY; a slot frees when
 * its call completes. */
static void test_limit_outbound(void **state)
{
	(void)state;
	tt_conn_opts o;
	pair p;
	tt_event ev;
	tt_conn_counters s;
	tt_conn_call_args a;
	tt_conn_opts_init(&o);
	o.max_outbound = 2;
	pair_new(&p, &o, NULL);
	int ck;
	call_bytes(p.cli, 1, &ck);
	call_bytes(p.cli, 2, &ck);
	memset(&a, 0, sizeof(a));
	assert_int_equal(tt_conn_call(p.cli, &a, &ck, NULL), TETHER_E_BUSY);
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.out_busy, 1);
	assert_int_equal(tt_conn_status(p.cli), TETHER_OK);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 100);
	/* The slot is free once the REPLY is taken... and even before. */
	assert_int_equal(tt_conn_call(p.cli, &a, &ck, NULL), TETHER_OK);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	pair_free(&p);
}

/* Limit: buffered output bytes. */
static void test_limit_out_bytes(void **state)
{
	(void)state;
	tt_conn_opts o;
	tt_conn *c;
	tt_conn_counters s;
	tt_conn_call_args a;
	tt_conn_opts_init(&o);
	o.max_out_bytes = 100;
	o.max_outbound = 64;
	assert_int_equal(tt_conn_new(&o, TT_CONN_CLIENT, &c), TETHER_OK);
	memset(&a, 0, sizeof(a));
	int ok = 0;
	while (tt_conn_call(c, &a, NULL, NULL) == TETHER_OK)
		ok++;
	/* 44-byte records: 3 fit under 100, the 4th pushes over. */
	assert_int_equal(ok, 3);
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_E_BUSY);
	tt_conn_stats(c, &s);
	assert_int_equal(s.out_full, 2);
	size_t len;
	tt_conn_out_buf(c, &len);
	assert_int_equal(len, 3 * 44);
	/* A server whose output is over the cap stops reading too. */
	tt_conn_out_ack(c, len);
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_OK);
	tt_conn_free(c);
}

/* Deadlines fire through tick only, exactly at the deadline; a late reply
 * is dropped as unmatched; exactly one completion per call. */
static void test_deadline_expiry(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	tt_conn_counters s;
	tt_conn_opts o;
	tt_conn_opts_init(&o);
	o.now_ms = 1000;
	o.xid_seed = 1;
	pair_new(&p, &o, NULL);
	int ck1, ck2;
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	a.deadline_ms = 300;
	uint32_t x1, x2;
	assert_int_equal(tt_conn_call(p.cli, &a, &ck1, &x1), TETHER_OK);
	tt_conn_tick(p.cli, 1100);
	a.deadline_ms = 0; /* default 5 s */
	assert_int_equal(tt_conn_call(p.cli, &a, &ck2, &x2), TETHER_OK);
	assert_int_equal(tt_conn_next_deadline(p.cli), 1300);
	h_settle(p.cli, p.srv, 100);
	tt_conn_tick(p.cli, 1299);
	expect_none(p.cli);
	tt_conn_tick(p.cli, 1300);
	expect_event(p.cli, &ev, TT_EV_CALL_FAILED);
	assert_int_equal(ev.status, TETHER_E_TIMEOUT);
	assert_ptr_equal(ev.cookie, &ck1);
	assert_int_equal(ev.xid, x1);
	expect_none(p.cli);
	assert_int_equal(tt_conn_next_deadline(p.cli), 6100);
	/* The server answers both; the first is late. */
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	assert_ptr_equal(ev.cookie, &ck2);
	expect_none(p.cli);
	tt_conn_tick(p.cli, 100000 - 1);
	expect_none(p.cli);
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.expired, 1);
	assert_int_equal(s.unmatched_replies, 1);
	assert_int_equal(s.replies_in, 1);
	pair_free(&p);
}

/* A peer that lets max_expiries calls in a row expire is cut off. */
static void test_limit_expiries(void **state)
{
	(void)state;
	tt_conn_opts o;
	tt_conn *c;
	tt_conn_counters s;
	tt_conn_call_args a;
	int failed;
	tt_conn_opts_init(&o);
	o.max_expiries = 2;
	o.call_deadline_ms = 10;
	assert_int_equal(tt_conn_new(&o, TT_CONN_SERVER, &c), TETHER_OK);
	memset(&a, 0, sizeof(a));
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_OK);
	tt_conn_tick(c, 10);
	tt_event ev;
	expect_event(c, &ev, TT_EV_CALL_FAILED);
	assert_int_equal(ev.status, TETHER_E_TIMEOUT);
	assert_int_equal(tt_conn_status(c), TETHER_OK);
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_OK);
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_OK);
	a.deadline_ms = 1000;
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_OK);
	tt_conn_tick(c, 20);
	/* Two more expired (3 in a row): cut off; the 4th call fails with
	 * the sticky status. */
	tt_conn_stats(c, &s);
	assert_int_equal(s.unresponsive, 1);
	assert_int_equal(s.expired, 3);
	int timeouts = 0, others = 0;
	while (tt_conn_next_event(c, &ev) && ev.type == TT_EV_CALL_FAILED) {
		if (ev.status == TETHER_E_TIMEOUT)
			timeouts++;
		else if (ev.status == TETHER_E_UNRESPONSIVE)
			others++;
	}
	assert_int_equal(ev.type, TT_EV_CLOSED);
	assert_int_equal(ev.status, TETHER_E_UNRESPONSIVE);
	assert_int_equal(timeouts, 2);
	assert_int_equal(others, 1);
	(void)failed;
	assert_sticky(c, TETHER_E_UNRESPONSIVE);
	tt_conn_free(c);
}

/* Idle timeout: nothing in flight and no bytes for idle_timeout_ms. */
static void test_idle_timeout(void **state)
{
	(void)state;
	tt_conn_opts o;
	tt_conn *c;
	tt_conn_counters s;
	int failed;
	uint8_t buf[64];
	tt_conn_opts_init(&o);
	o.idle_timeout_ms = 500;
	assert_int_equal(tt_conn_new(&o, TT_CONN_SERVER, &c), TETHER_OK);
	tt_conn_tick(c, 400);
	size_t n = h_call_record(buf, sizeof(buf), 1, 2, 9, 1, 1, NULL, 0);
	h_feed_all(c, buf, n);
	/* A call in flight: not idle however long it takes. */
	assert_int_equal(tt_conn_next_deadline(c), UINT64_MAX);
	tt_conn_tick(c, 5000);
	assert_int_equal(tt_conn_status(c), TETHER_OK);
	tt_event ev;
	expect_event(c, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(c, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	assert_int_equal(tt_conn_next_deadline(c), 5500);
	size_t len;
	tt_conn_out_buf(c, &len);
	tt_conn_tick(c, 5200);
	tt_conn_out_ack(c, len);
	assert_int_equal(tt_conn_next_deadline(c), 5700);
	tt_conn_tick(c, 5699);
	assert_int_equal(tt_conn_status(c), TETHER_OK);
	tt_conn_tick(c, 5700);
	tt_conn_stats(c, &s);
	assert_int_equal(s.idle_timeouts, 1);
	drain_closed(c, TETHER_E_IDLE, &failed);
	assert_sticky(c, TETHER_E_IDLE);
	tt_conn_free(c);
}

/* tt_conn_abort: every outstanding call fails once, undelivered inbound
 * calls are dropped, delivered ones stay valid until released, CLOSED
 * comes last and exactly once. */
static void test_abort_exactly_once(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	int failed;
	pair_new(&p, NULL, NULL);
	int ck[3];
	for (int i = 0; i < 3; i++)
		call_bytes(p.srv, (uint32_t)i, &ck[i]);
	h_settle(p.cli, p.srv, 9);
	expect_event(p.cli, &ev, TT_EV_CALL);
	uint64_t id = ev.call_id;
	const uint8_t *body = ev.body;
	tt_conn_abort(p.cli, TETHER_E_RESET);
	tt_conn_abort(p.srv, TETHER_OK);
	/* The delivered call's bytes are still readable (ASan checks). */
	assert_memory_equal(body, ARGS, sizeof(ARGS));
	assert_int_equal(tt_conn_inflight(p.cli), 1);
	drain_closed(p.cli, TETHER_E_RESET, &failed);
	assert_int_equal(failed, 0);
	drain_closed(p.srv, TETHER_E_CLOSED, &failed);
	assert_int_equal(failed, 3);
	assert_int_equal(tt_conn_reply_bytes(p.cli, id, NULL, NULL, 0),
			 TETHER_E_RESET);
	assert_int_equal(tt_conn_inflight(p.cli), 0);
	tt_conn_abort(p.srv, TETHER_E_TLS); /* no second CLOSED */
	expect_none(p.srv);
	assert_int_equal(tt_conn_status(p.srv), TETHER_E_CLOSED);
	pair_free(&p);
}

/* Clean drain: no new calls, outstanding ones finish, then CLOSED. */
static void test_shutdown_drain(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	tt_conn_counters s;
	pair_new(&p, NULL, NULL);
	int ck;
	call_bytes(p.cli, 1, &ck);
	h_settle(p.cli, p.srv, 100);
	tt_conn_shutdown(p.cli);
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	assert_int_equal(tt_conn_call(p.cli, &a, NULL, NULL),
			 TETHER_E_SHUTDOWN);
	assert_int_equal(tt_conn_status(p.cli), TETHER_OK);
	/* A call arriving while draining is answered SYSTEM_ERR. */
	int ck2;
	call_bytes(p.srv, 4, &ck2);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.srv, &ev, TT_EV_REPLY);
	assert_int_equal(ev.status, TETHER_E_SYSTEM_ERR);
	assert_ptr_equal(ev.cookie, &ck2);
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.refused_in_drain, 1);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	assert_ptr_equal(ev.cookie, &ck);
	expect_event(p.cli, &ev, TT_EV_CLOSED);
	assert_int_equal(ev.status, TETHER_E_SHUTDOWN);
	expect_none(p.cli);
	pair_free(&p);
}

/* Cancel fails the call once; its reply is then unmatched. */
static void test_cancel(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	pair_new(&p, NULL, NULL);
	int ck;
	uint32_t xid = call_bytes(p.cli, 1, &ck);
	assert_int_equal(tt_conn_cancel(p.cli, xid), TETHER_OK);
	assert_int_equal(tt_conn_cancel(p.cli, xid), TETHER_E_NOT_FOUND);
	expect_event(p.cli, &ev, TT_EV_CALL_FAILED);
	assert_int_equal(ev.status, TETHER_E_CANCELLED);
	assert_ptr_equal(ev.cookie, &ck);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL, NULL, 0),
			 TETHER_OK);
	h_settle(p.cli, p.srv, 100);
	expect_none(p.cli);
	pair_free(&p);
}

/* A result over max_record is answered SYSTEM_ERR instead. */
static tether_status enc_huge(tether_enc *e, const void *v)
{
	(void)v;
	for (int i = 0; i < 1000; i++) {
		tether_status st = tether_enc_uint(e, (uint32_t)i);
		if (st != TETHER_OK)
			return st;
	}
	return TETHER_OK;
}

static void test_reply_too_large(void **state)
{
	(void)state;
	tt_conn_opts o;
	pair p;
	tt_event ev;
	tt_conn_opts_init(&o);
	o.max_record = 1024;
	pair_new(&p, NULL, &o);
	int ck;
	call_bytes(p.cli, 1, &ck);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.srv, &ev, TT_EV_CALL);
	assert_int_equal(tt_conn_reply(p.srv, ev.call_id, NULL, enc_huge, NULL),
			 TETHER_E_TOO_LARGE);
	h_settle(p.cli, p.srv, 100);
	expect_event(p.cli, &ev, TT_EV_REPLY);
	assert_int_equal(ev.status, TETHER_E_SYSTEM_ERR);
	pair_free(&p);
}

/* A CALL header that does not decode is a protocol violation (sticky); a
 * malformed REPLY to one of our calls fails just that call. */
static void test_malformed(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	tt_conn_counters s;
	int failed;
	uint8_t buf[64];
	pair_new(&p, NULL, NULL);
	int ck;
	uint32_t xid = call_bytes(p.cli, 1, &ck);
	/* REPLY, MSG_ACCEPTED, then nothing: truncated. */
	tt_rm_put_mark(buf, 12, true);
	tt_xdr_put32(buf + 4, xid);
	tt_xdr_put32(buf + 8, TT_MSG_REPLY);
	tt_xdr_put32(buf + 12, TT_REPLY_ACCEPTED);
	h_feed_all(p.cli, buf, 16);
	expect_event(p.cli, &ev, TT_EV_CALL_FAILED);
	assert_int_equal(ev.status, TETHER_E_BAD_REPLY);
	assert_int_equal(tt_conn_status(p.cli), TETHER_OK);
	tt_conn_stats(p.cli, &s);
	assert_int_equal(s.bad_replies, 1);
	/* msg_type 7 */
	tt_xdr_put32(buf + 8, 7);
	size_t used;
	assert_int_equal(tt_conn_in(p.srv, buf, 16, &used),
			 TETHER_E_RPC_MSG_TYPE);
	tt_conn_stats(p.srv, &s);
	assert_int_equal(s.malformed, 1);
	drain_closed(p.srv, TETHER_E_RPC_MSG_TYPE, &failed);
	pair_free(&p);
}

/* Memory: small idle footprint, buffers released when idle, accounting
 * back to the baseline after traffic. */
static void test_memory(void **state)
{
	(void)state;
	pair p;
	tt_event ev;
	pair_new(&p, NULL, NULL);
	size_t base_c = tt_conn_mem(p.cli), base_s = tt_conn_mem(p.srv);
	assert_true(base_c < 2048);
	int ck;
	for (int i = 0; i < 10; i++)
		call_bytes(p.cli, 1, &ck);
	assert_true(tt_conn_mem(p.cli) > base_c);
	h_settle(p.cli, p.srv, 13);
	assert_true(tt_conn_mem(p.srv) > base_s);
	while (tt_conn_next_event(p.srv, &ev))
		assert_int_equal(tt_conn_reply_bytes(p.srv, ev.call_id, NULL,
						     ARGS, sizeof(ARGS)),
				 TETHER_OK);
	h_settle(p.cli, p.srv, 13);
	while (tt_conn_next_event(p.cli, &ev))
		assert_int_equal(ev.type, TT_EV_REPLY);
	assert_int_equal(tt_conn_mem(p.cli), base_c);
	assert_int_equal(tt_conn_mem(p.srv), base_s);
	pair_free(&p);
}

static void test_bad_args(void **state)
{
	(void)state;
	tt_conn *c;
	tt_conn_opts o;
	tt_conn_opts_init(&o);
	assert_int_equal(tt_conn_new(NULL, (tt_conn_role)7, &c),
			 TETHER_E_INVAL);
	assert_null(c);
	o.max_record = 0x7fffffff;
	assert_int_equal(tt_conn_new(&o, TT_CONN_CLIENT, &c), TETHER_E_INVAL);
	assert_int_equal(tt_conn_new(NULL, TT_CONN_CLIENT, &c), TETHER_OK);
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	a.body_len = 3; /* not XDR */
	a.body = ARGS;
	assert_int_equal(tt_conn_call(c, &a, NULL, NULL), TETHER_E_INVAL);
	assert_int_equal(tt_conn_reply_error(c, 1, TETHER_OK, 0, 0),
			 TETHER_E_NOT_FOUND);
	assert_int_equal(tt_conn_drop_call(c, 1), TETHER_E_NOT_FOUND);
	tt_conn_free(c);
	tt_conn_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_reply_bytewise),
	    cmocka_unit_test(test_calls_both_ways),
	    cmocka_unit_test(test_unmatched_reply),
	    cmocka_unit_test(test_rpc_version_mismatch),
	    cmocka_unit_test(test_error_replies),
	    cmocka_unit_test(test_limit_max_record),
	    cmocka_unit_test(test_limit_fragments),
	    cmocka_unit_test(test_limit_record_timeout),
	    cmocka_unit_test(test_limit_inbound_backpressure),
	    cmocka_unit_test(test_backpressure_takes_replies),
	    cmocka_unit_test(test_limit_outbound),
	    cmocka_unit_test(test_limit_out_bytes),
	    cmocka_unit_test(test_deadline_expiry),
	    cmocka_unit_test(test_limit_expiries),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_abort_exactly_once),
	    cmocka_unit_test(test_shutdown_drain),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_reply_too_large),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_memory),
	    cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
