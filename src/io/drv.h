/* SPDX-License-Identifier: MIT */
/*
 * drv.h - the two drivers of a tt_conn engine over a connected
 * non-blocking socket: the libuv driver (server connections, started
 * clients) and the blocking driver (a client thread doing its own I/O with
 * poll()). Both only move bytes and time between the socket and the
 * engine; events are drained by the owner (STYLE 14).
 */
#ifndef TT_IO_DRV_H
#define TT_IO_DRV_H

#include "conn/conn.h"
#include "io/io.h"
#include "io/loop.h"

/* Input the engine did not take yet (backpressure): a heap copy, released
 * once consumed, so an idle connection holds no buffer. */
typedef struct tt_io_inbuf {
	uint8_t *buf;
	size_t cap, off, len;
} tt_io_inbuf;

/* Writes what the engine has queued, straight from tt_conn_out_buf(), and
 * acks it. TETHER_OK: all written; TETHER_E_NEED_MORE: the socket is full;
 * TETHER_E_RESET / E_CLOSED: the transport failed. */
tether_status tt_io_fd_flush(int fd, tt_conn *eng);

/* Feeds pending input to the engine, then reads from fd into scratch and
 * feeds it (keeping what is refused in in). TETHER_OK: progress or nothing
 * to read; TETHER_E_CLOSED on EOF; TETHER_E_RESET on error. Reads at most
 * max_reads times. */
tether_status tt_io_fd_fill(int fd, tt_conn *eng, tt_io_inbuf *in,
			    uint8_t *scratch, size_t scratch_len,
			    unsigned max_reads);
void tt_io_inbuf_free(tt_io_inbuf *in);

/* ---- libuv driver ----------------------------------------------------- */

typedef struct tt_io_conn tt_io_conn;

typedef struct tt_io_conn_cbs {
	/* The engine may have events: drain tt_conn_next_event(). Called on
	 * the loop thread; may call tt_io_conn_update() (it is re-entrant:
	 * nested updates are folded into the running one). */
	void (*on_events)(void *ud);
	/* The socket is closed and the driver is gone; the engine (not
	 * freed by the driver) has emitted TT_EV_CLOSED. Loop thread. */
	void (*on_closed)(void *ud);
} tt_io_conn_cbs;

/* Drives eng (borrowed; must outlive the driver) over fd (takes
 * ownership) on loop; call on the loop thread. */
tether_status tt_io_conn_new(tt_io_loop *loop, int fd, tt_conn *eng,
			     const tt_io_conn_cbs *cbs, void *ud,
			     tt_io_conn **out);
/* After any change to the engine (a call, a reply): flush output, feed
 * pending input, deliver events, re-arm the timer, close when the engine
 * is closed. Loop thread. */
void tt_io_conn_update(tt_io_conn *ic);

/* Stops driving without closing the socket: the driver's pending input
 * is moved to *in (empty before), the handles close and on_closed runs
 * later on the loop thread; the fd then belongs to the caller again.
 * Loop thread; not after the engine closed (then the driver closes). */
void tt_io_conn_detach(tt_io_conn *ic, tt_io_inbuf *in);
/* True when the driver closed (or will close) the socket itself. */
bool tt_io_conn_closing(const tt_io_conn *ic);

/* ---- blocking driver -------------------------------------------------- */

/* One round on the calling thread: flush, wait up to wait_ms (bounded by
 * the engine's next deadline) for the socket, read and feed, tick the
 * clock. The caller drains events afterwards. Returns TETHER_OK or the
 * transport error (the engine was then aborted with it). */
tether_status tt_io_block_round(int fd, tt_conn *eng, tt_io_inbuf *in,
				uint32_t wait_ms);

#endif /* TT_IO_DRV_H */
