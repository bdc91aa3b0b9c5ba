/* SPDX-License-Identifier: MIT */
/*
 * uvconn.c - the libuv driver of one connection: a uv_poll_t on the socket
 * (we read and write ourselves so output goes straight from the engine's
 * buffer, STYLE 13) and a uv_timer_t armed at the next deadline.
 */
#include <string.h>

#include "common/tt.h"
#include "io/drv.h"

struct tt_io_conn {
	uv_poll_t poll;
	uv_timer_t timer;
	tt_io_loop *loop;
	tt_io_xport x;
	tt_io_conn_cbs cbs;
	void *ud;
	int events;	  /* current poll mask */
	uint64_t armed;	  /* deadline the timer is set for */
	unsigned handles; /* open libuv handles */
	bool updating, again, closing, keep_fd;
};

static void on_handle_closed(uv_handle_t *h)
{
	tt_io_conn *ic = h->data;
	if (--ic->handles != 0)
		return;
	if (!ic->keep_fd) {
		tt_io_close(ic->x.fd);
		tt_io_xport_free(&ic->x);
	}
	ic->cbs.on_closed(ic->ud);
	tt_free(ic, sizeof *ic);
}

static void close_handles(tt_io_conn *ic)
{
	ic->closing = true;
	uv_close((uv_handle_t *)&ic->poll, on_handle_closed);
	uv_close((uv_handle_t *)&ic->timer, on_handle_closed);
}

static void on_poll(uv_poll_t *p, int status, int events);

static void set_poll(tt_io_conn *ic, bool want_write)
{
	int ev = 0;
	if (tt_io_xport_wants_read(&ic->x))
		ev |= UV_READABLE;
	if (want_write)
		ev |= UV_WRITABLE;
	if (ev == ic->events)
		return;
	ic->events = ev;
	if (ev == 0)
		uv_poll_stop(&ic->poll);
	else
		uv_poll_start(&ic->poll, ev, on_poll);
}

static void on_timer(uv_timer_t *t);

enum { MAX_ROUNDS = 4 }; /* passes over kept input per update */

static void arm_timer(tt_io_conn *ic)
{
	uint64_t next = tt_io_xport_next_deadline(&ic->x);
	uint64_t now = tt_io_now_ms();

	if (next == ic->armed)
		return;
	ic->armed = next;
	if (next == UINT64_MAX) {
		uv_timer_stop(&ic->timer);
		return;
	}
	uv_timer_start(&ic->timer, on_timer, next > now ? next - now : 0, 0);
}

/* One pass: feed pending input, deliver events, flush. True when the
 * socket is full (wait for UV_WRITABLE). */
static bool pass(tt_io_conn *ic)
{
	tether_status st;

	(void)tt_io_xport_fill(&ic->x, NULL, 0, 0); /* kept input only */
	ic->cbs.on_events(ic->ud);
	st = tt_io_xport_flush(&ic->x);
	if (st != TETHER_OK && st != TETHER_E_NEED_MORE)
		ic->cbs.on_events(ic->ud); /* the engine was aborted */
	return st == TETHER_E_NEED_MORE;
}

void tt_io_conn_update(tt_io_conn *ic)
{
	bool want_write = false;
	unsigned rounds = 0;

	if (ic->closing)
		return;
	if (ic->updating) {
		ic->again = true;
		return;
	}
	ic->updating = true;
	do {
		ic->again = false;
		want_write = pass(ic);
		/* Answering calls may have lifted the engine's backpressure
		 * while input read earlier still waits: feed it now, a few
		 * rounds at most so one connection cannot hold the loop. */
	} while (ic->again ||
		 (tt_io_xport_input_pending(&ic->x) && ++rounds < MAX_ROUNDS));
	ic->updating = false;
	if (tt_conn_closed(ic->x.eng)) {
		ic->cbs.on_events(ic->ud); /* drain up to TT_EV_CLOSED */
		/* Last words (a reject, an alert, close_notify) if the
		 * socket takes them. */
		tt_io_xport_finish(&ic->x);
		close_handles(ic);
		return;
	}
	set_poll(ic, want_write);
	if (tt_io_xport_input_pending(&ic->x)) {
		/* Still more: come back on the next loop turn, after others. */
		ic->armed = 0;
		uv_timer_start(&ic->timer, on_timer, 0, 0);
		return;
	}
	arm_timer(ic);
}

static void on_timer(uv_timer_t *t)
{
	tt_io_conn *ic = t->data;
	ic->armed = UINT64_MAX;
	tt_io_xport_tick(&ic->x, tt_io_now_ms());
	tt_io_conn_update(ic);
}

/* Reads into the loop's shared buffer (what the engine does not take is
 * copied out by the transport). */
static void read_some(tt_io_conn *ic)
{
	uint8_t *buf = tt_io_loop_scratch(ic->loop);

	if (buf == NULL)
		tt_conn_abort(ic->x.eng, TETHER_E_NOMEM);
	else
		(void)tt_io_xport_fill(&ic->x, buf, TT_IO_SCRATCH, 16);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	tt_io_conn *ic = p->data;

	if (status < 0)
		tt_conn_abort(ic->x.eng, TETHER_E_RESET);
	else if (events & UV_READABLE)
		read_some(ic);
	tt_io_conn_update(ic);
}

tether_status tt_io_conn_new(tt_io_loop *loop, const tt_io_xport *x,
			     const tt_io_conn_cbs *cbs, void *ud,
			     tt_io_conn **out)
{
	tt_io_conn *ic = tt_calloc(1, sizeof *ic);
	uv_loop_t *uv = tt_io_loop_uv(loop);

	if (ic == NULL)
		return TETHER_E_NOMEM;
	if (uv_poll_init_socket(uv, &ic->poll, x->fd) != 0) {
		tt_free(ic, sizeof *ic);
		return TETHER_E_IO;
	}
	uv_timer_init(uv, &ic->timer);
	ic->poll.data = ic->timer.data = ic;
	ic->handles = 2;
	ic->loop = loop, ic->x = *x, ic->cbs = *cbs, ic->ud = ud;
	ic->armed = UINT64_MAX;
	*out = ic;
	tt_io_xport_tick(&ic->x, tt_io_now_ms());
	return TETHER_OK;
}

void tt_io_conn_detach(tt_io_conn *ic, tt_io_xport *x)
{
	if (ic->closing)
		return;
	*x = ic->x;
	memset(&ic->x, 0, sizeof ic->x);
	ic->x.fd = -1;
	ic->keep_fd = true;
	close_handles(ic);
}

bool tt_io_conn_closing(const tt_io_conn *ic)
{
	return ic->closing;
}

tt_io_xport *tt_io_conn_xport(tt_io_conn *ic)
{
	return &ic->x;
}
