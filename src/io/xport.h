/* SPDX-License-Identifier: MIT */
/*
 * xport.h - the transport under one engine: a non-blocking socket, either
 * plaintext or RPC-over-TLS (RFC 9289): the AUTH_TLS probe exchange, then
 * the TLS filter (src/tls) between the socket and the engine with the same
 * buf/ack contract (STYLE 14). Both drivers move bytes only through this.
 */
#ifndef TT_IO_XPORT_H
#define TT_IO_XPORT_H

#include <tether/tls.h>

#include "conn/conn.h"
#include "io/io.h"
#include "tls/tls.h"

/* Input the engine (or the filter) did not take yet: a heap copy, released
 * once consumed, so an idle connection holds no buffer. */
typedef struct tt_io_inbuf {
	uint8_t *buf;
	size_t cap, off, len;
} tt_io_inbuf;

void tt_io_inbuf_free(tt_io_inbuf *in);

/* How to secure a connection. tls NULL: plaintext. */
typedef struct tt_io_sec {
	tt_tls_ctx *tls;       /* borrowed for tt_io_xport_init only */
	bool server;	       /* accepted side */
	const char *peer_name; /* client: the name to verify (endpoint host) */
	uint32_t handshake_timeout_ms;	 /* probe + handshake; 0: 5000 */
	uint32_t probe_prog, probe_vers; /* client: the probe's program */
} tt_io_sec;

enum { TT_XP_PLAIN = 0, TT_XP_PROBE, TT_XP_TLS };

typedef struct tt_io_xport {
	int fd;
	tt_conn *eng; /* borrowed */
	tt_io_inbuf in;
	tt_tls *tls;
	int phase;
	bool server;
	/* probe: the record being read (mark + body) and the one to write */
	uint8_t pin[64];
	size_t pin_len;
	uint8_t pout[64];
	size_t pout_len, pout_off;
	uint32_t probe_xid;
	uint64_t hs_deadline;		/* UINT64_MAX: none */
	tether_peer_identity *identity; /* peer's, once TLS is open */
} tt_io_xport;

/* Sets x up over fd (not owned) and eng. For TLS a client queues its probe
 * and a server waits for one. TETHER_E_NOMEM, TETHER_E_TLS, TETHER_E_CERT,
 * TETHER_E_PEER_IDENTITY (no name to verify). */
tether_status tt_io_xport_init(tt_io_xport *x, int fd, tt_conn *eng,
			       const tt_io_sec *sec, uint64_t now_ms);
/* Last words before the socket closes: what the engine still queued and,
 * on TLS, a close_notify; best effort, never waits. */
void tt_io_xport_finish(tt_io_xport *x);
/* Frees the filter and buffers (not the fd, not the engine). */
void tt_io_xport_free(tt_io_xport *x);

/* Writes what is queued (probe, engine output through the filter).
 * TETHER_OK: nothing left for the socket; TETHER_E_NEED_MORE: the socket
 * is full; TETHER_E_CLOSED / E_RESET: the transport failed (the engine is
 * aborted with it). */
tether_status tt_io_xport_flush(tt_io_xport *x);
/* Feeds kept input, then reads (at most max_reads times) and feeds.
 * Probe and TLS failures abort the engine with their status (E_TLS,
 * E_TLS_REQUIRED, E_PEER_IDENTITY...) and return TETHER_OK: the engine's
 * events report them. TETHER_E_CLOSED on EOF, TETHER_E_RESET on error
 * (the engine is aborted with them). */
tether_status tt_io_xport_fill(tt_io_xport *x, uint8_t *scratch,
			       size_t scratch_len, unsigned max_reads);
/* True when application data can flow: plaintext, or TLS open. */
bool tt_io_xport_ready(const tt_io_xport *x);
/* True while reading the socket can make progress. */
bool tt_io_xport_wants_read(const tt_io_xport *x);
/* True when input already read (kept bytes, or decrypted TLS data) waits and
 * the engine would take it now: the driver must feed it without waiting for
 * the socket (it may never become readable again). */
bool tt_io_xport_input_pending(const tt_io_xport *x);
/* The earliest of the engine's deadline and the handshake deadline. */
uint64_t tt_io_xport_next_deadline(const tt_io_xport *x);
/* Fires the handshake deadline (engine aborted with TETHER_E_TIMEOUT)
 * and ticks the engine. */
void tt_io_xport_tick(tt_io_xport *x, uint64_t now_ms);
/* Takes the peer identity found by the TLS handshake (caller frees with
 * tether_peer_identity_free); NULL if none (yet). */
tether_peer_identity *tt_io_xport_take_identity(tt_io_xport *x);

#endif /* TT_IO_XPORT_H */
