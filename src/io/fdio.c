/* SPDX-License-Identifier: MIT */
/*
 * fdio.c - the blocking driver: a client thread doing its own I/O with
 * poll() on a non-blocking socket, no thread hand-off (DESIGN §6).
 * Large records are read in one go: when the engine knows how many bytes
 * the record being received still needs, the read is that big, into a
 * buffer that lives for one round only (an idle connection holds none).
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

/* Reads on the stack up to SCRATCH bytes; bigger reads (at most BIG_MAX
 * plus SCRATCH) go to the heap. READS bounds the reads of one round. */
enum { SCRATCH = 16384, BIG_MAX = 1u << 20, READS = 8 };

typedef struct rbuf {
	uint8_t *stack; /* SCRATCH bytes */
	uint8_t *big;	/* NULL, or big_len bytes for this round */
	size_t big_len;
} rbuf;

static uint64_t fed(const tt_io_xport *x)
{
	tt_conn_counters k;
	tt_conn_stats(x->eng, &k);
	return k.bytes_in;
}

/* Where the next read goes: the stack scratch, or (when the engine says
 * the record needs more than it holds) a heap buffer of what the record
 * still needs plus SCRATCH, so the read that completes the record is
 * short and ends the round without a read that would only say EAGAIN. */
static uint8_t *read_buf(tt_io_xport *x, rbuf *b, size_t *len)
{
	size_t need = tt_conn_in_need(x->eng);

	if (need > BIG_MAX)
		need = BIG_MAX;
	if (need > SCRATCH && need + SCRATCH > b->big_len) {
		uint8_t *p = tt_alloc(need + SCRATCH);
		if (p != NULL) {
			if (b->big != NULL)
				tt_free(b->big, b->big_len);
			b->big = p, b->big_len = need + SCRATCH;
		}
	}
	if (need > SCRATCH && b->big != NULL) {
		*len = b->big_len;
		return b->big;
	}
	*len = SCRATCH;
	return b->stack;
}

/* Reads and feeds while the socket has bytes (one read at a time, each
 * sized by read_buf), READS at most: ends on a short read. */
static tether_status read_feed(tt_io_xport *x, rbuf *b)
{
	for (unsigned i = 0; i < READS; i++) {
		size_t len;
		uint8_t *buf = read_buf(x, b, &len);
		uint64_t before = fed(x);
		tether_status st = tt_io_xport_fill(x, buf, len, 1);

		if (failed(st) || !tt_io_xport_wants_read(x))
			return st;
		/* Bytes the engine took: fewer than read means the socket
		 * was drained (or TLS kept part of a record): poll again. */
		if (fed(x) - before < len)
			return TETHER_OK;
	}
	return TETHER_OK;
}

tether_status tt_io_block_round(tt_io_xport *x, uint32_t wait_ms)
{
	uint8_t scratch[SCRATCH];
	rbuf b = {scratch, NULL, 0};
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
		st = read_feed(x, &b);
		if (b.big != NULL)
			tt_free(b.big, b.big_len);
		if (failed(st))
			return st;
	}
	tt_io_xport_tick(x, tt_io_now_ms());
	st = tt_io_xport_flush(x);
	return failed(st) ? st : TETHER_OK;
}
