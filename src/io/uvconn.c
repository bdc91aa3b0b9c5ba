/* SPDX-License-Identifier: MIT */
/*
 * uvconn.c - the libuv driver of one connection: a uv_poll_t on the socket
 * (we read and write ourselves so output goes straight from the engine's
 * buffer, STYLE 13) and a uv_timer_t armed at tt_conn_next_deadline().
 */
#include <string.h>

#include "common/tt.h"
#include "io/drv.h"

/* One scratch read buffer per thread is enough: loop threads never read
 * two sockets at once. Pending input is copied out of it. */
static _Thread_local uint8_t g_scratch[65536];

struct tt_io_conn {
	uv_poll_t poll;
	uv_timer_t timer;
	tt_io_loop *loop;
	int fd;
	tt_conn *eng;
	tt_io_conn_cbs cbs;
	void *ud;
	tt_io_inbuf in;
	int events;       /* current poll mask */
	uint64_t armed;   /* deadline the timer is set for */
	unsigned handles; /* open libuv handles */
	bool updating, again, closing, keep_fd;
};

static void on_handle_closed(uv_handle_t *h)
{
	tt_io_conn *ic = h->data;
	if (--ic->handles != 0)
		return;
	if (!ic->keep_fd)
		tt_io_close(ic->fd);
	tt_io_inbuf_free(&ic->in);
	ic->cbs.on_closed(ic->ud);
	tt_free(ic, sizeof *ic);
}

static void start_close(tt_io_conn *ic)
{
	/* Last words (a reject, an error reply) if the socket takes them. */
	(void)tt_io_fd_flush(ic->fd, ic->eng);
	ic->closing = true;
	uv_close((uv_handle_t *)&ic->poll, on_handle_closed);
	uv_close((uv_handle_t *)&ic->timer, on_handle_closed);
}

static void on_poll(uv_poll_t *p, int status, int events);

static void set_poll(tt_io_conn *ic, bool want_write)
{
	int ev = 0;
	if (tt_conn_wants_input(ic->eng) && ic->in.len == 0)
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

static void arm_timer(tt_io_conn *ic)
{
	uint64_t next = tt_conn_next_deadline(ic->eng);
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

static void abort_on(tt_io_conn *ic, tether_status st)
{
	if (st == TETHER_E_CLOSED || st == TETHER_E_RESET)
		tt_conn_abort(ic->eng, st);
}

/* One pass: feed pending input, flush, deliver events. */
static bool pass(tt_io_conn *ic)
{
	tether_status st;

	st = tt_io_fd_fill(ic->fd, ic->eng, &ic->in, g_scratch,
			   sizeof g_scratch, 0);
	abort_on(ic, st);
	ic->cbs.on_events(ic->ud);
	st = tt_io_fd_flush(ic->fd, ic->eng);
	abort_on(ic, st);
	if (st == TETHER_E_CLOSED || st == TETHER_E_RESET)
		ic->cbs.on_events(ic->ud);
	return st == TETHER_E_NEED_MORE;
}

void tt_io_conn_update(tt_io_conn *ic)
{
	bool want_write = false;

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
	} while (ic->again);
	ic->updating = false;
	if (tt_conn_closed(ic->eng)) {
		ic->cbs.on_events(ic->ud); /* drain up to TT_EV_CLOSED */
		start_close(ic);
		return;
	}
	set_poll(ic, want_write);
	arm_timer(ic);
}

static void on_timer(uv_timer_t *t)
{
	tt_io_conn *ic = t->data;
	ic->armed = UINT64_MAX;
	tt_conn_tick(ic->eng, tt_io_now_ms());
	tt_io_conn_update(ic);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	tt_io_conn *ic = p->data;

	if (status < 0) {
		tt_conn_abort(ic->eng, TETHER_E_RESET);
	} else if (events & UV_READABLE) {
		tether_status st = tt_io_fd_fill(ic->fd, ic->eng, &ic->in,
						 g_scratch, sizeof g_scratch,
						 16);
		abort_on(ic, st);
	}
	tt_io_conn_update(ic);
}

tether_status tt_io_conn_new(tt_io_loop *loop, int fd, tt_conn *eng,
			     const tt_io_conn_cbs *cbs, void *ud,
			     tt_io_conn **out)
{
	tt_io_conn *ic = tt_calloc(1, sizeof *ic);
	uv_loop_t *uv = tt_io_loop_uv(loop);

	if (ic == NULL)
		return TETHER_E_NOMEM;
	if (uv_poll_init_socket(uv, &ic->poll, fd) != 0) {
		tt_free(ic, sizeof *ic);
		return TETHER_E_IO;
	}
	uv_timer_init(uv, &ic->timer);
	ic->poll.data = ic->timer.data = ic;
	ic->handles = 2;
	ic->loop = loop, ic->fd = fd, ic->eng = eng, ic->cbs = *cbs;
	ic->ud = ud;
	ic->armed = UINT64_MAX;
	*out = ic;
	tt_conn_tick(eng, tt_io_now_ms());
	return TETHER_OK;
}

void tt_io_conn_detach(tt_io_conn *ic, tt_io_inbuf *in)
{
	if (ic->closing)
		return;
	*in = ic->in;
	memset(&ic->in, 0, sizeof ic->in);
	ic->keep_fd = true;
	ic->closing = true;
	uv_close((uv_handle_t *)&ic->poll, on_handle_closed);
	uv_close((uv_handle_t *)&ic->timer, on_handle_closed);
}

bool tt_io_conn_closing(const tt_io_conn *ic)
{
	return ic->closing;
}
