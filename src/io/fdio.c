/* SPDX-License-Identifier: MIT */
/*
 * fdio.c - moving bytes between a non-blocking socket and an engine, shared
 * by both drivers, and the blocking driver (poll() on the caller's thread).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/tt.h"
#include "io/drv.h"

tether_status tt_io_fd_flush(int fd, tt_conn *eng)
{
	for (;;) {
		size_t len;
		const uint8_t *p = tt_conn_out_buf(eng, &len);
		ssize_t n;

		if (p == NULL || len == 0)
			return TETHER_OK;
		/* MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE. */
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			tt_conn_out_ack(eng, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TETHER_E_NEED_MORE;
		return errno == EPIPE ? TETHER_E_CLOSED : TETHER_E_RESET;
	}
}

void tt_io_inbuf_free(tt_io_inbuf *in)
{
	tt_free(in->buf, in->cap);
	memset(in, 0, sizeof *in);
}

/* Keeps data[0..n) that the engine refused for later. */
static tether_status keep(tt_io_inbuf *in, const uint8_t *data, size_t n)
{
	if (n == 0)
		return TETHER_OK;
	in->buf = tt_alloc(n);
	if (in->buf == NULL)
		return TETHER_E_NOMEM;
	memcpy(in->buf, data, n);
	in->cap = in->len = n;
	in->off = 0;
	return TETHER_OK;
}

static tether_status feed_pending(tt_conn *eng, tt_io_inbuf *in)
{
	size_t used = 0;

	if (in->len == 0)
		return TETHER_OK;
	TT_TRY(tt_conn_in(eng, in->buf + in->off, in->len, &used));
	in->off += used, in->len -= used;
	if (in->len == 0)
		tt_io_inbuf_free(in);
	return TETHER_OK;
}

tether_status tt_io_fd_fill(int fd, tt_conn *eng, tt_io_inbuf *in,
			    uint8_t *scratch, size_t scratch_len,
			    unsigned max_reads)
{
	TT_TRY(feed_pending(eng, in));
	for (unsigned i = 0; i < max_reads; i++) {
		size_t used = 0;
		ssize_t n;

		if (in->len != 0 || !tt_conn_wants_input(eng))
			return TETHER_OK;
		n = read(fd, scratch, scratch_len);
		if (n == 0)
			return TETHER_E_CLOSED;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return TETHER_OK;
			return TETHER_E_RESET;
		}
		TT_TRY(tt_conn_in(eng, scratch, (size_t)n, &used));
		TT_TRY(keep(in, scratch + used, (size_t)n - used));
		if ((size_t)n < scratch_len)
			return TETHER_OK; /* drained the socket */
	}
	return TETHER_OK;
}

static int poll_timeout(tt_conn *eng, uint32_t wait_ms)
{
	uint64_t now = tt_io_now_ms();
	uint64_t next = tt_conn_next_deadline(eng);
	uint64_t t = wait_ms;

	if (next != UINT64_MAX)
		t = next <= now ? 0 : (next - now < t ? next - now : t);
	return (int)t;
}

/* Transport failures abort the engine; engine statuses (it failed on its
 * own, sticky) are left for its events to report. */
static tether_status transport_error(tt_conn *eng, tether_status st)
{
	if (st == TETHER_E_CLOSED || st == TETHER_E_RESET) {
		tt_conn_abort(eng, st);
		return st;
	}
	return TETHER_OK;
}

tether_status tt_io_block_round(int fd, tt_conn *eng, tt_io_inbuf *in,
				uint32_t wait_ms)
{
	uint8_t scratch[16384];
	struct pollfd p = {.fd = fd};
	tether_status st;
	int r;

	/* Input kept back earlier goes first, without waiting. */
	st = tt_io_fd_fill(fd, eng, in, scratch, sizeof scratch, 0);
	if (st != TETHER_OK)
		return transport_error(eng, st);
	st = tt_io_fd_flush(fd, eng);
	if (st != TETHER_OK && st != TETHER_E_NEED_MORE)
		return transport_error(eng, st);
	if (st == TETHER_E_NEED_MORE)
		p.events |= POLLOUT;
	if (tt_conn_wants_input(eng) && in->len == 0)
		p.events |= POLLIN;
	r = poll(&p, 1, poll_timeout(eng, wait_ms));
	if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
		st = tt_io_fd_fill(fd, eng, in, scratch, sizeof scratch, 4);
		if (st != TETHER_OK)
			return transport_error(eng, st);
	}
	tt_conn_tick(eng, tt_io_now_ms());
	st = tt_io_fd_flush(fd, eng);
	if (st != TETHER_OK && st != TETHER_E_NEED_MORE)
		return transport_error(eng, st);
	return TETHER_OK;
}
