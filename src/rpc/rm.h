/* SPDX-License-Identifier: MIT */
/*
 * rm.h - RFC 5531 §11 record marking: an incremental, bounded reassembler
 * of records from fragments, and the fragment header writer.
 * Internal to tether. Sans-I/O: bytes in, whole records out.
 */
#ifndef TT_RM_H
#define TT_RM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/status.h>

/* DESIGN §7: records up to 4 MiB by default. 1024 fragments lets a peer
 * that fragments at 4 KiB send a full 4 MiB record (libtirpc fragments at
 * its send-buffer size) while bounding the header work an attacker can
 * cause per record. Both are configurable. */
enum {
	TT_RM_DEFAULT_MAX_RECORD = 4 * 1024 * 1024,
	TT_RM_DEFAULT_MAX_FRAGMENTS = 1024,
	TT_RM_MAX_FRAGMENT = 0x7fffffff /* 31-bit length (RFC 5531 §11) */
};
#define TT_RM_LAST UINT32_C(0x80000000) /* last-fragment bit */

/* A reassembled record. Caller owns it after tt_rm_dec_take() and frees it
 * with tt_rm_record_free(). data is NULL when len and cap are 0. */
typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap; /* allocated size, for the sized free */
} tt_rm_record;

/* Decoder state. Caller-allocated (may be embedded); fields are private:
 * use the functions below. */
typedef struct tt_rm_dec {
	uint32_t max_record;
	uint32_t max_fragments;
	uint32_t nfrags;    /* fragments of the current record so far */
	uint32_t frag_left; /* bytes of the current fragment body to come */
	uint8_t hdr[4];	    /* partial fragment header */
	uint8_t hdr_have;   /* bytes of hdr received */
	bool in_frag;	    /* inside a fragment body */
	bool last;	    /* the current fragment is the last one */
	bool ready;	    /* a whole record waits in rec */
	bool started;	    /* some byte of the current record was received */
	tether_status err;  /* sticky error, TETHER_OK if none */
	tt_rm_record rec;   /* the record being reassembled */
} tt_rm_dec;

/* Initialises d. max_record 0 means TT_RM_DEFAULT_MAX_RECORD; max_fragments
 * 0 means TT_RM_DEFAULT_MAX_FRAGMENTS. Allocates nothing. */
void tt_rm_dec_init(tt_rm_dec *d, uint32_t max_record, uint32_t max_fragments);
/* Frees what d holds (a partial or untaken record). d may be re-inited. */
void tt_rm_dec_free(tt_rm_dec *d);

/*
 * Consumes bytes from in[0..len) (borrowed for the call) and sets *used to
 * how many were consumed. Stops right after the byte that completes a
 * record. Returns:
 *   TETHER_OK           a whole record is ready (tt_rm_dec_take/peek);
 *                       in[*used..len) still needs feeding afterwards.
 *   TETHER_E_NEED_MORE  all of in was consumed, no record completed.
 *   TETHER_E_STATE      a record is ready and was not taken yet; nothing
 *                       consumed (not sticky).
 *   TETHER_E_RM_TOO_LARGE  a fragment header announced more than
 *                       max_record in total (checked from the header,
 *                       before buffering any of its body).
 *   TETHER_E_RM_FRAGMENTS  the record has more than max_fragments.
 *   TETHER_E_NOMEM      the record buffer could not grow.
 * The three errors are sticky: every later call returns the same status
 * and consumes nothing. The record buffer grows with bytes received, never
 * to a length a peer merely announced. Zero-length fragments are legal
 * (and count as fragments).
 */
tether_status tt_rm_dec_feed(tt_rm_dec *d, const uint8_t *in, size_t len,
			     size_t *used);
/* Takes ownership of the ready record into *out (caller frees with
 * tt_rm_record_free). Returns TETHER_E_STATE if no record is ready. */
tether_status tt_rm_dec_take(tt_rm_dec *d, tt_rm_record *out);
/* The ready record, borrowed until the next take/discard/feed/free; returns
 * NULL (and *len 0) if none is ready. */
const uint8_t *tt_rm_dec_peek(const tt_rm_dec *d, size_t *len);
/* Drops the ready record, keeping its buffer for the next one. */
void tt_rm_dec_discard(tt_rm_dec *d);
/* True when part of a record has been received but not completed (for the
 * whole-record deadline against a slow drip of bytes). */
bool tt_rm_dec_in_record(const tt_rm_dec *d);
/* The sticky error, TETHER_OK if none. */
tether_status tt_rm_dec_error(const tt_rm_dec *d);
/* Bytes of the current fragment's body still to come, from its header
 * (RFC 5531 §11); 0 between fragments. A read-size hint for drivers only:
 * nothing is allocated for bytes merely announced. */
uint32_t tt_rm_dec_frag_left(const tt_rm_dec *d);

void tt_rm_record_free(tt_rm_record *r);

/* Writes the 4-byte fragment header for a fragment of len bytes
 * (len <= TT_RM_MAX_FRAGMENT), last set on the final fragment of a record.
 * RFC 5531 §11: big-endian, high bit = last fragment. */
void tt_rm_put_mark(uint8_t hdr[4], uint32_t len, bool last);

#endif /* TT_RM_H */
