/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the connection engine's lifecycle: options, creation, sticky
 * failure and clean drain, the event queue, accounting (see conn.h).
 */
#include <string.h>

#include "conn/conn_int.h"

void tt_conn_opts_init(tt_conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_record = TT_CONN_DEFAULT_MAX_RECORD;
	o->max_fragments = TT_CONN_DEFAULT_MAX_FRAGMENTS;
	o->record_timeout_ms = TT_CONN_DEFAULT_RECORD_TIMEOUT_MS;
	o->max_inbound = TT_CONN_DEFAULT_MAX_INBOUND;
	o->max_outbound = TT_CONN_DEFAULT_MAX_OUTBOUND;
	o->call_deadline_ms = TT_CONN_DEFAULT_CALL_DEADLINE_MS;
	o->max_expiries = TT_CONN_DEFAULT_MAX_EXPIRIES;
	o->max_out_bytes = TT_CONN_DEFAULT_MAX_OUT_BYTES;
	o->idle_timeout_ms = TT_CONN_DEFAULT_IDLE_TIMEOUT_MS;
	o->max_mem = TT_CONN_DEFAULT_MAX_MEM;
}

/* Replaces 0 ("the default") in each limit by its default. */
static void opts_fill(tt_conn_opts *o)
{
	tt_conn_opts d;
	tt_conn_opts_init(&d);
	if (o->max_record == 0)
		o->max_record = d.max_record;
	if (o->max_fragments == 0)
		o->max_fragments = d.max_fragments;
	if (o->record_timeout_ms == 0)
		o->record_timeout_ms = d.record_timeout_ms;
	if (o->max_inbound == 0)
		o->max_inbound = d.max_inbound;
	if (o->max_outbound == 0)
		o->max_outbound = d.max_outbound;
	if (o->call_deadline_ms == 0)
		o->call_deadline_ms = d.call_deadline_ms;
	if (o->max_expiries == 0)
		o->max_expiries = d.max_expiries;
	if (o->max_out_bytes == 0)
		o->max_out_bytes = d.max_out_bytes;
	if (o->idle_timeout_ms == 0)
		o->idle_timeout_ms = d.idle_timeout_ms;
	if (o->max_mem == 0)
		o->max_mem = d.max_mem;
}

tether_status tt_conn_new(const tt_conn_opts *o, tt_conn_role role,
			  tt_conn **out)
{
	tt_conn_opts opts;
	if (out == NULL)
		return TETHER_E_INVAL;
	*out = NULL;
	if (role != TT_CONN_CLIENT && role != TT_CONN_SERVER)
		return TETHER_E_INVAL;
	if (o != NULL)
		opts = *o;
	else
		tt_conn_opts_init(&opts);
	opts_fill(&opts);
	/* RFC 5531 §11: one fragment carries at most 2^31-1 bytes, and we
	 * send every record as one fragment. */
	if (opts.max_record > TT_RM_MAX_FRAGMENT - 4)
		return TETHER_E_INVAL;
	tt_conn *c = tt_calloc(1, sizeof(*c));
	if (c == NULL)
		return TETHER_E_NOMEM;
	c->slots = tt_calloc(opts.max_outbound, sizeof(conn_slot));
	if (c->slots == NULL) {
		tt_free(c, sizeof(*c));
		return TETHER_E_NOMEM;
	}
	c->o = opts;
	c->role = role;
	c->now = c->last_activity = opts.now_ms;
	c->next_xid = opts.xid_seed;
	c->mem = sizeof(*c) + (size_t)opts.max_outbound * sizeof(conn_slot);
	tt_rm_dec_init(&c->rm, opts.max_record, opts.max_fragments);
	*out = c;
	return TETHER_OK;
}

void tt_conn_free(tt_conn *c)
{
	if (c == NULL)
		return;
	/* Every message is on the FIFO, the in-flight list, or both (a queued
	 * CALL), or is the current REPLY. */
	while (c->fifo_head != NULL) {
		conn_msg *m = c->fifo_head;
		c->fifo_head = m->next;
		m->queued = false;
		if (m->ev.type != TT_EV_CALL)
			tt_conn__msg_free(c, m);
	}
	while (c->inflight != NULL) {
		conn_msg *m = c->inflight;
		c->inflight = m->inb;
		tt_conn__msg_free(c, m);
	}
	if (c->cur != NULL)
		tt_conn__msg_free(c, c->cur);
	tt_rm_dec_free(&c->rm);
	tt_free(c->out, c->out_cap);
	tt_free(c->slots, (size_t)c->o.max_outbound * sizeof(conn_slot));
	tt_free(c, sizeof(*c));
}

/* ---- memory ------------------------------------------------------------- */

void *tt_conn__alloc(tt_conn *c, size_t n)
{
	void *p = tt_alloc(n);
	if (p != NULL)
		c->mem += n;
	return p;
}

void tt_conn__free(tt_conn *c, void *p, size_t n)
{
	if (p == NULL)
		return;
	tt_free(p, n);
	c->mem -= n;
}

void tt_conn__msg_free(tt_conn *c, conn_msg *m)
{
	c->mem -= m->rec.cap;
	tt_rm_record_free(&m->rec);
	tt_conn__free(c, m, sizeof(*m));
}

size_t tt_conn_mem(const tt_conn *c)
{
	if (c == NULL)
		return 0;
	/* The reassembler's buffer is not tracked incrementally: it grows
	 * inside tt_rm_dec_feed(), so read its size here. */
	return c->mem + c->rm.rec.cap;
}

/* ---- the XID table ------------------------------------------------------ */

conn_slot *tt_conn__slot_find(tt_conn *c, uint32_t xid)
{
	for (uint32_t i = 0; i < c->o.max_outbound; i++) {
		conn_slot *s = &c->slots[i];
		if (s->state == SLOT_ACTIVE && s->xid == xid)
			return s;
	}
	return NULL;
}

/* The call of slot s ends without a reply; its event comes from
 * tt_conn_next_event() (no allocation: failing never needs memory). */
void tt_conn__slot_fail(tt_conn *c, conn_slot *s, tether_status why)
{
	s->state = SLOT_FAILED;
	s->why = why;
	c->nactive--;
}

/* ---- failure and drain -------------------------------------------------- */

/* Drops inbound CALLs nobody has seen yet: they can no longer be answered.
 * Queued REPLYs stay: their calls did complete. */
static void drop_undelivered_calls(tt_conn *c)
{
	conn_msg **pp = &c->inflight;
	while (*pp != NULL) {
		conn_msg *m = *pp;
		if (!m->queued) {
			pp = &m->inb;
			continue;
		}
		*pp = m->inb;
		c->ninflight--;
		c->st.dropped_calls++;
		m->ev.type = TT_EV_NONE; /* unlinked from the FIFO below */
	}
	conn_msg *keep = NULL, *tail = NULL;
	for (conn_msg *m = c->fifo_head, *n; m != NULL; m = n) {
		n = m->next;
		if (m->ev.type == TT_EV_NONE) {
			tt_conn__msg_free(c, m);
			continue;
		}
		m->next = NULL;
		if (tail != NULL)
			tail->next = m;
		else
			keep = m;
		tail = m;
	}
	c->fifo_head = keep;
	c->fifo_tail = tail;
}

/* STYLE 7: records why, fails every outstanding call exactly once (their
 * events come before TT_EV_CLOSED), keeps queued output. */
void tt_conn__fail(tt_conn *c, tether_status why)
{
	if (c->err != TETHER_OK)
		return;
	c->err = why;
	for (uint32_t i = 0; i < c->o.max_outbound; i++)
		if (c->slots[i].state == SLOT_ACTIVE)
			tt_conn__slot_fail(c, &c->slots[i], why);
	drop_undelivered_calls(c);
	tt_rm_dec_free(&c->rm);
	tt_rm_dec_init(&c->rm, c->o.max_record, c->o.max_fragments);
	c->closed_queued = true;
}

void tt_conn__check_drain(tt_conn *c)
{
	if (!c->draining || c->err != TETHER_OK)
		return;
	if (c->nactive == 0 && c->ninflight == 0)
		tt_conn__fail(c, TETHER_E_SHUTDOWN);
}

void tt_conn_shutdown(tt_conn *c)
{
	if (c == NULL || c->err != TETHER_OK)
		return;
	c->draining = true;
	tt_conn__check_drain(c);
}

void tt_conn_abort(tt_conn *c, tether_status why)
{
	if (c == NULL)
		return;
	tt_conn__fail(c, why == TETHER_OK ? TETHER_E_CLOSED : why);
}

tether_status tt_conn_status(const tt_conn *c)
{
	return c == NULL ? TETHER_E_INVAL : c->err;
}

bool tt_conn_closed(const tt_conn *c)
{
	return c == NULL || c->closed_queued;
}

uint32_t tt_conn_outstanding(const tt_conn *c)
{
	return c == NULL ? 0 : c->nactive;
}

uint32_t tt_conn_inflight(const tt_conn *c)
{
	return c == NULL ? 0 : c->ninflight;
}

void tt_conn_stats(const tt_conn *c, tt_conn_counters *out)
{
	if (c == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = c->st;
}

/* ---- events ------------------------------------------------------------- */

void tt_conn__fifo_push(tt_conn *c, conn_msg *m)
{
	m->next = NULL;
	m->queued = true;
	if (c->fifo_tail != NULL)
		c->fifo_tail->next = m;
	else
		c->fifo_head = m;
	c->fifo_tail = m;
}

static bool pop_msg(tt_conn *c, tt_event *ev)
{
	conn_msg *m = c->fifo_head;
	if (m == NULL)
		return false;
	c->fifo_head = m->next;
	if (c->fifo_head == NULL)
		c->fifo_tail = NULL;
	m->next = NULL;
	m->queued = false;
	*ev = m->ev;
	if (m->ev.type == TT_EV_REPLY)
		c->cur = m; /* freed at the next tt_conn_next_event() */
	return true;
}

static bool pop_failure(tt_conn *c, tt_event *ev)
{
	for (uint32_t i = 0; i < c->o.max_outbound; i++) {
		conn_slot *s = &c->slots[i];
		if (s->state != SLOT_FAILED)
			continue;
		ev->type = TT_EV_CALL_FAILED;
		ev->status = s->why;
		ev->xid = s->xid;
		ev->cookie = s->cookie;
		memset(s, 0, sizeof(*s));
		c->nused--;
		return true;
	}
	return false;
}

bool tt_conn_next_event(tt_conn *c, tt_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (c == NULL)
		return false;
	if (c->cur != NULL) {
		tt_conn__msg_free(c, c->cur);
		c->cur = NULL;
	}
	if (pop_msg(c, ev) || pop_failure(c, ev))
		return true;
	if (c->closed_queued && !c->closed_done) {
		c->closed_done = true;
		ev->type = TT_EV_CLOSED;
		ev->status = c->err;
		return true;
	}
	return false;
}
