/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conn.c - libFuzzer target for the connection engine: the input is a
 * little program of operations (feed a chunk of the input to the server or
 * the client engine, move the clock, issue calls, answer or drop inbound
 * calls, pump the engines into each other, drain output, cancel, shut down,
 * abort). Fixed clock origin and XID seeds: deterministic. Checks: no
 * crash, no leak, every accepted call completes exactly once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn.h"

enum { MAX_CALLS = 64, MAX_PEND = 16 };

typedef struct fz {
	const uint8_t *p;
	size_t left;
	tt_conn *c[2];
	uint64_t now;
	int issued;
	int done[MAX_CALLS];
	int cookie[MAX_CALLS];
	uint32_t xid[MAX_CALLS];
	uint64_t pend[2][MAX_PEND];
	int npend[2];
	bool closed[2];
} fz;

/* Reading the borrowed views makes ASan check them. */
static volatile uint8_t g_sink;

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

static uint8_t take(fz *f)
{
	if (f->left == 0)
		return 0;
	f->left--;
	return *f->p++;
}

static void drain(fz *f, int i)
{
	tt_event ev;
	while (tt_conn_next_event(f->c[i], &ev)) {
		CHECK(!f->closed[i]);
		switch (ev.type) {
		case TT_EV_CALL:
			/* Touch the borrowed views (ASan checks them). */
			if (ev.body_len > 0)
				g_sink = ev.body[0];
			if (f->npend[i] < MAX_PEND)
				f->pend[i][f->npend[i]++] = ev.call_id;
			else
				CHECK(tt_conn_drop_call(f->c[i], ev.call_id) ==
				      TETHER_OK);
			break;
		case TT_EV_REPLY:
		case TT_EV_CALL_FAILED: {
			int *k = ev.cookie;
			CHECK(k != NULL && *k >= 0 && *k < f->issued);
			CHECK(f->done[*k] == 0);
			CHECK(f->xid[*k] == ev.xid);
			f->done[*k] = 1;
			if (ev.body_len > 0)
				g_sink = ev.body[ev.body_len - 1];
			break;
		}
		case TT_EV_CLOSED:
			CHECK(ev.status != TETHER_OK);
			CHECK(tt_conn_outstanding(f->c[i]) == 0);
			f->closed[i] = true;
			break;
		default:
			CHECK(0);
		}
	}
}

/* Feeds the next n input bytes to engine i, as far as it consumes. */
static void feed(fz *f, int i)
{
	size_t n = take(f);
	size_t used = 0;
	if (n > f->left)
		n = f->left;
	tether_status st = tt_conn_in(f->c[i], f->p, n, &used);
	CHECK(used <= n);
	CHECK(st == TETHER_OK || st == tt_conn_status(f->c[i]));
	f->p += n;
	f->left -= n;
}

static void issue(fz *f, int i)
{
	static const uint8_t body[16] = {0, 0, 0, 1, 0, 0, 0, 2};
	uint8_t b = take(f);
	if (f->issued >= MAX_CALLS)
		return;
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	a.prog = 100000u + (b & 3u);
	a.vers = 1;
	a.proc = b >> 4;
	a.body = body;
	a.body_len = (size_t)(b & 12u);
	a.deadline_ms = (uint32_t)(b & 3u) * 100u;
	int k = f->issued;
	f->cookie[k] = k;
	tether_status st = tt_conn_call(f->c[i], &a, &f->cookie[k], &f->xid[k]);
	if (st == TETHER_OK)
		f->issued++;
}

static void answer(fz *f, int i)
{
	static const uint8_t res[8] = {0, 0, 0, 9, 0, 0, 0, 8};
	uint8_t b = take(f);
	if (f->npend[i] == 0)
		return;
	uint64_t id = f->pend[i][--f->npend[i]];
	tether_status st;
	switch (b & 3u) {
	case 0:
		st = tt_conn_reply_bytes(f->c[i], id, NULL, res, sizeof(res));
		break;
	case 1:
		st = tt_conn_reply_error(f->c[i], id,
					 (tether_status)(400 + (b >> 2) % 8), b,
					 b >> 1);
		break;
	case 2:
		st = tt_conn_reply_error(f->c[i], id, TETHER_E_AUTH_REJECTED,
					 b >> 2, 0);
		break;
	default:
		st = tt_conn_drop_call(f->c[i], id);
		break;
	}
	CHECK(st == TETHER_OK || st == TETHER_E_NOMEM ||
	      st == tt_conn_status(f->c[i]));
}

/* Moves engine i's output into the other engine, n bytes at most. */
static void pump(fz *f, int i)
{
	size_t len, used = 0;
	size_t n = (size_t)take(f) * 16 + 1;
	const uint8_t *out = tt_conn_out_buf(f->c[i], &len);
	if (out == NULL)
		return;
	if (n > len)
		n = len;
	tether_status st = tt_conn_in(f->c[1 - i], out, n, &used);
	CHECK(st == TETHER_OK || st == tt_conn_status(f->c[1 - i]));
	tt_conn_out_ack(f->c[i], used);
}

static void discard(fz *f, int i)
{
	size_t len;
	(void)tt_conn_out_buf(f->c[i], &len);
	tt_conn_out_ack(f->c[i], len > 0 ? (size_t)take(f) % (len + 1) : 0);
}

static void misc(fz *f, int i)
{
	uint8_t b = take(f);
	switch (b & 7u) {
	case 0:
		tt_conn_shutdown(f->c[i]);
		break;
	case 1:
		tt_conn_abort(f->c[i], TETHER_E_RESET);
		break;
	case 2:
		if (f->issued > 0) {
			tether_status st = tt_conn_cancel(
			    f->c[i], f->xid[(b >> 3) % f->issued]);
			CHECK(st == TETHER_OK || st == TETHER_E_NOT_FOUND);
		}
		break;
	default:
		f->now += (uint64_t)b * 37u;
		tt_conn_tick(f->c[0], f->now);
		tt_conn_tick(f->c[1], f->now);
		break;
	}
}

static void run(fz *f)
{
	while (f->left > 0) {
		uint8_t op = take(f);
		int i = op & 1;
		switch ((op >> 1) % 8) {
		case 0:
		case 1:
			feed(f, i);
			break;
		case 2:
			issue(f, i);
			break;
		case 3:
			answer(f, i);
			break;
		case 4:
			pump(f, i);
			break;
		case 5:
			discard(f, i);
			break;
		default:
			misc(f, i);
			break;
		}
		drain(f, 0);
		drain(f, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fz f;
	tt_conn_opts o;
	memset(&f, 0, sizeof(f));
	f.p = data;
	f.left = size;
	tt_conn_opts_init(&o);
	o.max_record = 4096;
	o.max_fragments = 8;
	o.max_inbound = 4;
	o.max_outbound = 4;
	o.max_out_bytes = 8192;
	o.max_expiries = 3;
	o.record_timeout_ms = 500;
	o.idle_timeout_ms = 3000;
	o.call_deadline_ms = 250;
	for (int i = 0; i < 2; i++) {
		o.xid_seed = i ? 0x80000000u : 1u;
		if (tt_conn_new(&o, (tt_conn_role)i, &f.c[i]) != TETHER_OK)
			abort();
	}
	run(&f);
	/* Exactly once: after an abort every accepted call has completed. */
	for (int i = 0; i < 2; i++) {
		tt_conn_abort(f.c[i], TETHER_E_CLOSED);
		drain(&f, i);
		CHECK(f.closed[i]);
	}
	for (int k = 0; k < f.issued; k++)
		CHECK(f.done[k] == 1);
	tt_conn_free(f.c[0]);
	tt_conn_free(f.c[1]);
	return 0;
}
