/* SPDX-License-Identifier: MIT */
/*
 * fdio.c - the blocking driver: a client thread doing its own I/O with
 * poll() on a non-blocking socket, no thread hand-off (DESIGN §6).
 */
#include <errno.h>
#include <poll.h>

#include "common/tt.h"
#include "io/drv.h"

static int poll_timeout(const tt_io_xport *x, uint32_t wait_ms)
{
	uint64_t now = tt_io_now_ms();
	uint64_t next = tt_io_xport_next_deadline(x);
	uint64_t t = wait_ms;

	if (next != UINT64_MAX)
		t = next <= now ? 0 : (next - now < t ? next - now : t);
	return (int)t;
}

static bool failed(tether_status st)
{
	return st != TETHER_OK && st != TETHER_E_NEED_MORE;
}

tether_status tt_io_block_round(tt_io_xport *x, uint32_t wait_ms)
{
	uint8_t scratch[16384];
	struct pollfd p = {.fd = x->fd};
	tether_status st;
	int r;

	/* Input kept back earlier goes first, without waiting. */
	st = tt_io_xport_fill(x, scratch, sizeof scratch, 0);
	if (failed(st))
		return st;
	st = tt_io_xport_flush(x);
	if (failed(st))
		return st;
	if (st == TETHER_E_NEED_MORE)
		p.events |= POLLOUT;
	if (tt_io_xport_wants_read(x))
		p.events |= POLLIN;
	r = poll(&p, 1, poll_timeout(x, wait_ms));
	if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
		st = tt_io_xport_fill(x, scratch, sizeof scratch, 4);
		if (failed(st))
			return st;
	}
	tt_io_xport_tick(x, tt_io_now_ms());
	st = tt_io_xport_flush(x);
	return failed(st) ? st : TETHER_OK;
}
