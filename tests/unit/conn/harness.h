/* SPDX-License-Identifier: MIT */
/*
 * harness.h - helpers for the connection engine tests: wiring two engines
 * back to back in memory, draining events, building raw records.
 */
#ifndef TT_TEST_CONN_HARNESS_H
#define TT_TEST_CONN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn/conn.h"

/* Moves up to max bytes of a's output into b, chunk bytes per tt_conn_in
 * call (acking only what b consumed). Returns the bytes moved. */
size_t h_pump(tt_conn *a, tt_conn *b, size_t chunk, size_t max);
/* Pumps both ways, chunk bytes at a time, until nothing moves. */
void h_settle(tt_conn *a, tt_conn *b, size_t chunk);

/* Builds a whole record (mark + CALL header + body) into buf; returns its
 * length (0 if cap is too small). rpcvers is written as given. */
size_t h_call_record(uint8_t *buf, size_t cap, uint32_t xid, uint32_t rpcvers,
		     uint32_t prog, uint32_t vers, uint32_t proc,
		     const uint8_t *body, size_t len);
/* Builds a whole record: mark + accepted SUCCESS reply + body. */
size_t h_reply_record(uint8_t *buf, size_t cap, uint32_t xid,
		      const uint8_t *body, size_t len);

/* Feeds all of buf[0..len) to c, asserting it is consumed. */
void h_feed_all(tt_conn *c, const uint8_t *buf, size_t len);

/* Encode function for tests: a uint32 array of fixed length 2. */
tether_status h_enc_pair(tether_enc *e, const void *v);

#endif
