/* SPDX-License-Identifier: MIT */
/*
 * test_sim.c - deterministic simulation of two engines over a simulated
 * network with seeded faults: connection loss, partial reads and writes of
 * random sizes, stalls, replies in random order, a peer that never answers
 * some calls, EOF after close. Invariant: every call completes exactly
 * once, with a result or an error, by its deadline, with the right bytes;
 * no byte leaks (counting allocator). The seed is printed on failure.
 * TETHER_SIM_SEEDS=N runs N seeds (default 2000); TETHER_SIM_SEED=S one.
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
#include "xdr/wire.h"

/* ---- a counting allocator: bytes outstanding must return to 0 --------- */

static size_t g_live;

static void *count_alloc(size_t n, void *ud)
{
	(void)ud;
	void *p = malloc(n);
	if (p != NULL)
		g_live += n;
	return p;
}

static void *count_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	void *q = realloc(p, new_n);
	if (q != NULL)
		g_live += new_n - old_n;
	return q;
}

static void count_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p != NULL)
		g_live -= n;
	free(p);
}

/* ---- the simulation ---------------------------------------------------- */

/* Totals over all seeds: proof that the faults were actually exercised. */
static struct {
	uint64_t calls, ok, rpc_err, timeout, closed, cancelled, drained;
	uint64_t other_fail, lost, refused;
	uint64_t unmatched, stalls, expiries_cut, idle, rec_timeout, busy;
} g_tot;

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(2685821657736338717);
}

static uint32_t below(rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

static bool chance(rng *r, uint32_t per_mille)
{
	return below(r, 1000) < per_mille;
}

enum { MAX_CALLS = 256, MAX_PEND = 64, WIRE_CAP = 4096, MAX_WORDS = 48 };

typedef struct call_rec {
	int side; /* issuer */
	uint32_t xid, seq, words;
	uint64_t deadline;
	int done;
} call_rec;

typedef struct pend {
	uint64_t id;
	uint32_t seq, words;
	bool hole; /* never answered */
} pend;

typedef struct side {
	tt_conn *c;
	pend pend[MAX_PEND];
	int npend;
	bool closed_ev;		/* TT_EV_CLOSED seen */
	bool eof_sent;		/* transport closed by this side */
	bool eof_seen;		/* ... and the peer noticed */
	uint32_t dflt_dl;	/* its call_deadline_ms */
	bool draining;		/* tt_conn_shutdown called */
	uint64_t stall_until;	/* writes from this side stall */
	uint8_t wire[WIRE_CAP]; /* bytes from this side to the peer */
	size_t wire_len;
	uint64_t closed_at;
	uint32_t hole_pm; /* per mille of inbound calls left unanswered */
} side;

typedef struct sim {
	uint64_t seed;
	rng r;
	uint64_t now;
	side s[2];
	call_rec calls[MAX_CALLS];
	uint32_t ncalls;
	uint32_t completed;
	bool lost;
} sim;

#define SIM_CHECK(sm, cond)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg("seed %llu: %s (line %d, t=%llu)",            \
				 (unsigned long long)(sm)->seed, #cond,        \
				 __LINE__, (unsigned long long)(sm)->now);     \
	} while (0)

static void opts_random(sim *sm, tt_conn_opts *o, int i)
{
	rng *r = &sm->r;
	tt_conn_opts_init(o);
	o->xid_seed = (uint32_t)rnd(r);
	o->now_ms = sm->now;
	o->max_outbound = 1 + below(r, 16);
	o->max_inbound = 1 + below(r, 8);
	o->max_out_bytes = chance(r, 300) ? 64 + below(r, 2048) : 0;
	o->call_deadline_ms = 50 + below(r, 2000);
	o->max_expiries = chance(r, 300) ? UINT32_MAX : 1 + below(r, 6);
	o->idle_timeout_ms = 500 + below(r, 5000);
	o->record_timeout_ms = 200 + below(r, 3000);
	o->max_record = chance(r, 100) ? 256 + below(r, 256) : 0;
	sm->s[i].hole_pm = chance(r, 300) ? below(r, 1000) : 0;
	sm->s[i].dflt_dl = o->call_deadline_ms;
}

static void body_make(uint8_t *b, uint32_t seq, uint32_t words, bool reply)
{
	tt_xdr_put32(b, reply ? ~seq : seq);
	for (uint32_t i = 0; i < words; i++)
		tt_xdr_put32(b + 4 + 4 * i, seq * 2654435761u + i);
}

static void issue(sim *sm, int i)
{
	side *sd = &sm->s[i];
	uint8_t body[4 + 4 * MAX_WORDS];
	if (sm->ncalls >= MAX_CALLS)
		return;
	call_rec *cr = &sm->calls[sm->ncalls];
	uint32_t words = below(&sm->r, MAX_WORDS + 1);
	uint32_t seq = sm->ncalls + 1;
	body_make(body, seq, words, false);
	tt_conn_call_args a;
	memset(&a, 0, sizeof(a));
	a.prog = 0x30000000u + (uint32_t)i;
	a.vers = 1;
	a.proc = seq % 7 == 0 ? 99 : 1;
	a.body = body;
	a.body_len = 4 + 4 * words;
	a.deadline_ms = chance(&sm->r, 500) ? 0 : 10 + below(&sm->r, 3000);
	uint32_t xid;
	tether_status st = tt_conn_call(sd->c, &a, cr, &xid);
	if (st != TETHER_OK) {
		SIM_CHECK(sm, st == TETHER_E_BUSY || st == TETHER_E_TOO_LARGE ||
				  st == TETHER_E_SHUTDOWN ||
				  st == tt_conn_status(sd->c));
		return;
	}
	cr->side = i;
	cr->xid = xid;
	cr->seq = seq;
	cr->words = words;
	cr->deadline = sm->now + (a.deadline_ms ? a.deadline_ms : sd->dflt_dl);
	sm->ncalls++;
}

static void on_completion(sim *sm, int i, const tt_event *ev)
{
	call_rec *cr = ev->cookie;
	SIM_CHECK(sm, cr != NULL);
	SIM_CHECK(sm, cr->side == i);
	SIM_CHECK(sm, cr->done == 0);
	SIM_CHECK(sm, ev->xid == cr->xid);
	SIM_CHECK(sm, sm->now <= cr->deadline);
	cr->done++;
	sm->completed++;
	if (ev->type == TT_EV_CALL_FAILED) {
		SIM_CHECK(sm, ev->status != TETHER_OK);
		if (ev->status == TETHER_E_TIMEOUT)
			g_tot.timeout++;
		else if (ev->status == TETHER_E_CLOSED ||
			 ev->status == TETHER_E_RESET)
			g_tot.closed++;
		else if (ev->status == TETHER_E_CANCELLED)
			g_tot.cancelled++;
		else
			g_tot.other_fail++;
		return;
	}
	if (ev->status == TETHER_E_SYSTEM_ERR) {
		/* The peer was draining: it refuses new calls. */
		SIM_CHECK(sm, sm->s[1 - i].draining);
		g_tot.refused++;
		return;
	}
	if (cr->seq % 7 == 0) {
		SIM_CHECK(sm, ev->status == TETHER_E_PROC_UNAVAIL);
		g_tot.rpc_err++;
		return;
	}
	g_tot.ok++;
	uint8_t want[4 + 4 * MAX_WORDS];
	body_make(want, cr->seq, cr->words, true);
	SIM_CHECK(sm, ev->status == TETHER_OK);
	SIM_CHECK(sm, ev->body_len == 4 + 4 * (size_t)cr->words);
	SIM_CHECK(sm, memcmp(ev->body, want, ev->body_len) == 0);
}

static void on_call(sim *sm, int i, const tt_event *ev)
{
	side *sd = &sm->s[i];
	SIM_CHECK(sm, ev->call.prog == 0x30000000u + (uint32_t)(1 - i));
	SIM_CHECK(sm, ev->body_len >= 4 && ev->body_len % 4 == 0);
	uint32_t seq = tt_xdr_get32(ev->body);
	uint32_t words = (uint32_t)(ev->body_len / 4 - 1);
	uint8_t want[4 + 4 * MAX_WORDS];
	SIM_CHECK(sm, words <= MAX_WORDS);
	body_make(want, seq, words, false);
	SIM_CHECK(sm, memcmp(ev->body, want, ev->body_len) == 0);
	/* max_inbound <= 8 < MAX_PEND bounds the pending list. */
	SIM_CHECK(sm, sd->npend < MAX_PEND);
	pend *p = &sd->pend[sd->npend++];
	p->id = ev->call_id;
	p->seq = seq;
	p->words = words;
	p->hole = chance(&sm->r, sd->hole_pm);
}

static void drain_events(sim *sm, int i)
{
	side *sd = &sm->s[i];
	tt_event ev;
	while (tt_conn_next_event(sd->c, &ev)) {
		SIM_CHECK(sm, !sd->closed_ev);
		switch (ev.type) {
		case TT_EV_CALL:
			on_call(sm, i, &ev);
			break;
		case TT_EV_REPLY:
		case TT_EV_CALL_FAILED:
			on_completion(sm, i, &ev);
			break;
		case TT_EV_CLOSED:
			SIM_CHECK(sm, ev.status != TETHER_OK);
			SIM_CHECK(sm, tt_conn_outstanding(sd->c) == 0);
			g_tot.drained += ev.status == TETHER_E_SHUTDOWN;
			sd->closed_ev = true;
			sd->closed_at = sm->now;
			break;
		default:
			SIM_CHECK(sm, false);
		}
	}
}

/* The application answers a random pending call (replies leave in any
 * order: the legal reordering of independent calls). */
static void answer_one(sim *sm, int i)
{
	side *sd = &sm->s[i];
	if (sd->npend == 0)
		return;
	int k = (int)below(&sm->r, (uint32_t)sd->npend);
	pend p = sd->pend[k];
	if (p.hole && !sd->closed_ev)
		return;
	sd->pend[k] = sd->pend[--sd->npend];
	tether_status st;
	if (p.hole) {
		st = tt_conn_drop_call(sd->c, p.id);
		SIM_CHECK(sm, st == TETHER_OK);
		return;
	}
	if (p.seq % 7 == 0) {
		st = tt_conn_reply_error(sd->c, p.id, TETHER_E_PROC_UNAVAIL, 0,
					 0);
	} else {
		uint8_t res[4 + 4 * MAX_WORDS];
		body_make(res, p.seq, p.words, true);
		st = tt_conn_reply_bytes(sd->c, p.id, NULL, res,
					 4 + 4 * (size_t)p.words);
	}
	SIM_CHECK(sm, st == TETHER_OK || st == tt_conn_status(sd->c));
}

/* The application gives up on one of its calls still outstanding. */
static void cancel_one(sim *sm, int i)
{
	if (sm->ncalls == 0)
		return;
	call_rec *cr = &sm->calls[below(&sm->r, sm->ncalls)];
	if (cr->side != i || cr->done)
		return;
	/* Events are drained after every operation, so a call not done is
	 * still outstanding in its engine. */
	SIM_CHECK(sm, tt_conn_cancel(sm->s[i].c, cr->xid) == TETHER_OK);
	drain_events(sm, i);
	SIM_CHECK(sm, cr->done == 1);
}

/* Partial write: a random prefix of the engine's output onto the wire. */
static void write_some(sim *sm, int i)
{
	side *sd = &sm->s[i];
	size_t len;
	if (sd->eof_sent || sm->now < sd->stall_until)
		return;
	const uint8_t *p = tt_conn_out_buf(sd->c, &len);
	if (p == NULL)
		return;
	size_t room = WIRE_CAP - sd->wire_len;
	size_t n = 1 + below(&sm->r, 700);
	if (n > len)
		n = len;
	if (n > room)
		n = room;
	memcpy(sd->wire + sd->wire_len, p, n);
	sd->wire_len += n;
	tt_conn_out_ack(sd->c, n);
}

/* Partial read: a random chunk of the peer's wire into side i. */
static void read_some(sim *sm, int i)
{
	side *sd = &sm->s[i], *peer = &sm->s[1 - i];
	if (peer->wire_len == 0 || sd->eof_sent)
		return;
	size_t n = 1 + below(&sm->r, 900);
	if (n > peer->wire_len)
		n = peer->wire_len;
	size_t used = 0;
	tether_status st = tt_conn_in(sd->c, peer->wire, n, &used);
	SIM_CHECK(sm, used <= n);
	SIM_CHECK(sm, st == TETHER_OK || st == tt_conn_status(sd->c));
	memmove(peer->wire, peer->wire + used, peer->wire_len - used);
	peer->wire_len -= used;
}

/* After CLOSED and a flush (or a second), a side closes its transport;
 * the peer sees EOF once it has read what was on the wire (or 2 s later if
 * it does not read). */
static void transport_close(sim *sm, int i)
{
	side *sd = &sm->s[i], *peer = &sm->s[1 - i];
	size_t len;
	if (sd->closed_ev && !sd->eof_sent) {
		tt_conn_out_buf(sd->c, &len);
		if (len == 0 || sm->now >= sd->closed_at + 1000)
			sd->eof_sent = true;
	}
	if (sd->eof_sent && !sd->eof_seen &&
	    (sd->wire_len == 0 || sm->now >= sd->closed_at + 2000)) {
		tt_conn_abort(peer->c, TETHER_E_CLOSED);
		sd->wire_len = 0;
		sd->eof_seen = true;
	}
}

static void lose_connection(sim *sm)
{
	sm->lost = true;
	for (int i = 0; i < 2; i++) {
		sm->s[i].wire_len = 0;
		tt_conn_abort(sm->s[i].c, chance(&sm->r, 500)
					      ? TETHER_E_RESET
					      : TETHER_E_CLOSED);
		sm->s[i].eof_sent = sm->s[i].eof_seen = true;
	}
	drain_events(sm, 0);
	drain_events(sm, 1);
}

/* Advances the clock by a random step, never past a deadline: expiries
 * happen exactly at their deadline. */
static void advance(sim *sm)
{
	uint64_t t = sm->now + below(&sm->r, 60);
	for (int i = 0; i < 2; i++) {
		uint64_t d = tt_conn_next_deadline(sm->s[i].c);
		if (d < t)
			t = d > sm->now ? d : sm->now;
	}
	sm->now = t;
	for (int i = 0; i < 2; i++) {
		tt_conn_tick(sm->s[i].c, sm->now);
		drain_events(sm, i);
	}
}

static void step(sim *sm, bool issuing)
{
	rng *r = &sm->r;
	advance(sm);
	for (int i = 0; i < 2; i++) {
		side *sd = &sm->s[i];
		if (issuing && chance(r, 250))
			issue(sm, i);
		if (issuing && chance(r, 3)) {
			tt_conn_shutdown(sd->c);
			sd->draining = true;
		}
		if (chance(r, 10))
			cancel_one(sm, i);
		if (chance(r, 5))
			sd->stall_until = sm->now + below(r, 1500);
		for (uint32_t k = below(r, 4); k > 0; k--)
			answer_one(sm, i);
		write_some(sm, i);
		read_some(sm, 1 - i);
		drain_events(sm, 1 - i);
		drain_events(sm, i);
		transport_close(sm, i);
		drain_events(sm, 1 - i);
	}
	if (issuing && !sm->lost && chance(r, 2))
		lose_connection(sm);
}

static void sim_run(uint64_t seed, uint32_t steps)
{
	static sim sm; /* big: keep it off the stack */
	memset(&sm, 0, sizeof(sm));
	sm.seed = seed;
	sm.r.s = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	sm.now = below(&sm.r, 1000000);
	for (int i = 0; i < 2; i++) {
		tt_conn_opts o;
		opts_random(&sm, &o, i);
		SIM_CHECK(&sm,
			  tt_conn_new(&o, i ? TT_CONN_SERVER : TT_CONN_CLIENT,
				      &sm.s[i].c) == TETHER_OK);
	}
	for (uint32_t k = 0; k < steps; k++)
		step(&sm, true);
	/* Wind down: no new calls; every call must complete by its deadline
	 * (at most ~3 s away). */
	uint64_t end = sm.now + 10000;
	while (sm.completed < sm.ncalls && sm.now < end)
		step(&sm, false);
	for (uint32_t k = 0; k < sm.ncalls; k++)
		SIM_CHECK(&sm, sm.calls[k].done == 1);
	g_tot.calls += sm.ncalls;
	g_tot.lost += sm.lost;
	for (int i = 0; i < 2; i++) {
		tt_conn_counters cs;
		tt_conn_stats(sm.s[i].c, &cs);
		g_tot.unmatched += cs.unmatched_replies;
		g_tot.stalls += cs.in_stalls;
		g_tot.expiries_cut += cs.unresponsive;
		g_tot.idle += cs.idle_timeouts;
		g_tot.rec_timeout += cs.rec_timeouts;
		g_tot.busy += cs.out_busy + cs.out_full;
		SIM_CHECK(&sm, tt_conn_outstanding(sm.s[i].c) == 0);
		/* Half the time the app drops what it still holds. */
		if (sm.seed & 1)
			for (int k = 0; k < sm.s[i].npend; k++)
				SIM_CHECK(&sm,
					  tt_conn_drop_call(
					      sm.s[i].c, sm.s[i].pend[k].id) ==
					      TETHER_OK);
		tt_conn_free(sm.s[i].c);
	}
	SIM_CHECK(&sm, g_live == 0);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return dflt;
	return strtoull(v, NULL, 10);
}

static void test_sim_seeds(void **state)
{
	(void)state;
	const char *one = getenv("TETHER_SIM_SEED");
	if (one != NULL && *one != '\0') {
		sim_run(strtoull(one, NULL, 10), 400);
		return;
	}
	uint64_t n = env_u64("TETHER_SIM_SEEDS", 2000);
	for (uint64_t s = 1; s <= n; s++)
		sim_run(s, 400);
	printf(
	    "simulated %llu seeds: %llu calls: %llu ok, %llu rpc errors, "
	    "%llu refused in drain, %llu timed out, %llu closed, "
	    "%llu cancelled, %llu other; %llu clean drains, %llu lost "
	    "connections, %llu unmatched replies, %llu input stalls, "
	    "%llu peers cut off, %llu idle, %llu record timeouts, "
	    "%llu busy\n",
	    (unsigned long long)n, (unsigned long long)g_tot.calls,
	    (unsigned long long)g_tot.ok, (unsigned long long)g_tot.rpc_err,
	    (unsigned long long)g_tot.refused,
	    (unsigned long long)g_tot.timeout, (unsigned long long)g_tot.closed,
	    (unsigned long long)g_tot.cancelled,
	    (unsigned long long)g_tot.other_fail,
	    (unsigned long long)g_tot.drained, (unsigned long long)g_tot.lost,
	    (unsigned long long)g_tot.unmatched,
	    (unsigned long long)g_tot.stalls,
	    (unsigned long long)g_tot.expiries_cut,
	    (unsigned long long)g_tot.idle,
	    (unsigned long long)g_tot.rec_timeout,
	    (unsigned long long)g_tot.busy);
	/* The faults must actually have happened (the seeds are fixed). */
	if (n >= 200) {
		assert_true(g_tot.ok > 0 && g_tot.rpc_err > 0);
		assert_true(g_tot.timeout > 0 && g_tot.closed > 0);
		assert_true(g_tot.lost > 0 && g_tot.stalls > 0);
		assert_true(g_tot.unmatched > 0 && g_tot.expiries_cut > 0);
		assert_true(g_tot.cancelled > 0 && g_tot.drained > 0);
	}
}

int main(void)
{
	const tether_allocator a = {count_alloc, count_realloc, count_free,
				    NULL};
	tether_set_allocator(&a);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sim_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
