/* SPDX-License-Identifier: MIT */
/*
 * drv.h - the two drivers of a tt_conn engine over a connected
 * non-blocking socket (through its transport, xport.h: plaintext or TLS):
 * the libuv driver (server connections, started clients) and the blocking
 * driver (a client thread doing its own I/O with poll()). Both only move
 * bytes and time between the socket and the engine; events are drained by
 * the owner (STYLE 14).
 */
#ifndef TT_IO_DRV_H
#define TT_IO_DRV_H

#include "conn/conn.h"
#include "io/io.h"
#include "io/loop.h"
#include "io/xport.h"

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

/* Drives x (takes ownership of the transport and its fd; x->eng is
 * borrowed and must outlive the driver) on loop; call on the loop thread. */
tether_status tt_io_conn_new(tt_io_loop *loop, const tt_io_xport *x,
			     const tt_io_conn_cbs *cbs, void *ud,
			     tt_io_conn **out);
/* After any change to the engine (a call, a reply): flush output, feed
 * pending input, deliver events, re-arm the timer, close when the engine
 * is closed. Loop thread. */
void tt_io_conn_update(tt_io_conn *ic);
/* Stops driving without closing the socket: the transport (with its
 * pending input and TLS state) is moved to *x; the handles close and
 * on_closed runs later on the loop thread. Loop thread; ignored once the
 * driver is closing. */
void tt_io_conn_detach(tt_io_conn *ic, tt_io_xport *x);
/* True when the driver closed (or will close) the socket itself. */
bool tt_io_conn_closing(const tt_io_conn *ic);
/* The driver's transport (borrowed), e.g. for the peer identity. */
tt_io_xport *tt_io_conn_xport(tt_io_conn *ic);

/* ---- blocking driver -------------------------------------------------- */

/* One round on the calling thread: flush, wait up to wait_ms (bounded by
 * the next deadline) for the socket, read and feed, tick the clock. The
 * caller drains events afterwards. Returns TETHER_OK or the transport
 * error (the engine was then aborted with it). */
tether_status tt_io_block_round(tt_io_xport *x, uint32_t wait_ms);

#endif /* TT_IO_DRV_H */
