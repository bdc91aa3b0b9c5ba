/* SPDX-License-Identifier: MIT */
/*
 * fuzz_xdr.c - libFuzzer target for the XDR decoder (STYLE 22).
 *
 * Input layout: byte 0 = n - 1 (low 4 bits), then n selector bytes (low
 * nibble: the primitive, high nibble: its bound), then the XDR stream.
 * The selectors are used in turn (cyclically) to pick the next primitive
 * and its bound; decoding stops at the first failure or when the stream
 * is used up. Properties checked (abort on violation):
 *  - a failed decode consumes nothing;
 *  - whatever decodes re-encodes to exactly the bytes it consumed (every
 *    accepted encoding is canonical: zero padding, bool 0/1, no NUL in
 *    strings, lengths within bounds);
 *  - the arena never hands out more than its budget.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tether/xdr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_BUDGET 4096u
#define FUZZ_MAX_STEPS 4096u

static const uint32_t bounds[16] = {
    0,	1,  2,	3,   4,	   5,	  7,	       8,
    15, 16, 64, 255, 1024, 65536, 0x7fffffffu, TETHER_XDR_UNBOUNDED};

enum kind {
	K_INT,
	K_UINT,
	K_ENUM,
	K_BOOL,
	K_HYPER,
	K_UHYPER,
	K_FLOAT,
	K_DOUBLE,
	K_QUAD,
	K_FOPAQUE,
	K_OPAQUE,
	K_BORROW,
	K_STRING,
	K_ARRAY,
	K_OPTIONAL,
	K_DEPTH
};

/* The value of one decoded item, kept for re-encoding. */
typedef struct item {
	union {
		int32_t i;
		uint32_t u;
		bool b;
		int64_t h;
		uint64_t uh;
		float f;
		double d;
		tether_quad q;
	} v;
	const uint8_t *p; /* opaque, borrowed opaque, string, fixed opaque */
	uint32_t n;
	uint8_t fixed[1024];
} item;

static tether_status decode_one(tether_dec *d, unsigned k, uint32_t bound,
				item *it)
{
	uint8_t *op;
	char *s;
	switch (k) {
	case K_INT:
		return tether_dec_int(d, &it->v.i);
	case K_UINT:
		return tether_dec_uint(d, &it->v.u);
	case K_ENUM:
		return tether_dec_enum(d, &it->v.i);
	case K_BOOL:
		return tether_dec_bool(d, &it->v.b);
	case K_HYPER:
		return tether_dec_hyper(d, &it->v.h);
	case K_UHYPER:
		return tether_dec_uhyper(d, &it->v.uh);
	case K_FLOAT:
		return tether_dec_float(d, &it->v.f);
	case K_DOUBLE:
		return tether_dec_double(d, &it->v.d);
	case K_QUAD:
		return tether_dec_quad(d, &it->v.q);
	case K_FOPAQUE:
		it->n = bound < sizeof(it->fixed) ? bound : sizeof(it->fixed);
		it->p = it->fixed;
		return tether_dec_fopaque(d, it->fixed, it->n);
	case K_OPAQUE: {
		tether_status st = tether_dec_opaque(d, &op, &it->n, bound);
		it->p = op;
		return st;
	}
	case K_BORROW:
		return tether_dec_opaque_borrow(d, &it->p, &it->n, bound);
	case K_STRING: {
		tether_status st = tether_dec_string(d, &s, bound);
		if (st == TETHER_OK) {
			/* The terminator is in place and nothing precedes it.
			 */
			it->p = (const uint8_t *)s;
			it->n = (uint32_t)strlen(s);
		}
		return st;
	}
	case K_ARRAY:
		return tether_dec_array_len(d, &it->v.u, bound, bound & 7u);
	case K_OPTIONAL:
		return tether_dec_optional(d, &it->v.b);
	default:
		return tether_dec_enter(d);
	}
}

static tether_status encode_one(tether_enc *e, unsigned k, uint32_t bound,
				const item *it)
{
	switch (k) {
	case K_INT:
	case K_ENUM:
		return tether_enc_int(e, it->v.i);
	case K_UINT:
		return tether_enc_uint(e, it->v.u);
	case K_BOOL:
	case K_OPTIONAL:
		return tether_enc_bool(e, it->v.b);
	case K_HYPER:
		return tether_enc_hyper(e, it->v.h);
	case K_UHYPER:
		return tether_enc_uhyper(e, it->v.uh);
	case K_FLOAT:
		return tether_enc_float(e, it->v.f);
	case K_DOUBLE:
		return tether_enc_double(e, it->v.d);
	case K_QUAD:
		return tether_enc_quad(e, &it->v.q);
	case K_FOPAQUE:
		return tether_enc_fopaque(e, it->p, it->n);
	case K_OPAQUE:
	case K_BORROW:
		return tether_enc_opaque(e, it->p, it->n, bound);
	case K_STRING:
		return tether_enc_string(e, (const char *)it->p, bound);
	case K_ARRAY:
		return tether_enc_array_len(e, it->v.u, bound);
	default:
		return TETHER_OK; /* depth markers have no bytes */
	}
}

/* Decodes one item, checks the failure and round-trip rules; false when
 * decoding must stop. */
static bool step(tether_dec *d, tether_enc *all, uint8_t sel)
{
	unsigned k = sel & 15u;
	uint32_t bound = bounds[sel >> 4];
	const uint8_t *p0 = d->p;
	size_t left0 = d->left;
	item it;
	memset(&it, 0, sizeof(it));
	tether_status st = decode_one(d, k, bound, &it);
	if (st != TETHER_OK) {
		if (d->p != p0 || d->left != left0)
			abort(); /* consumed on failure */
		return false;
	}
	size_t used = left0 - d->left;
	/* A growable encoder capped at exactly the bytes consumed. */
	tether_enc e;
	tether_enc_init_growable(&e, used);
	if (encode_one(&e, k, bound, &it) != TETHER_OK || e.len != used ||
	    (used != 0 && memcmp(e.buf, p0, used) != 0))
		abort(); /* not the bytes that were consumed */
	tether_enc_release(&e);
	if (encode_one(all, k, bound, &it) != TETHER_OK)
		abort();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t nsel = (size_t)(data[0] & 15u) + 1;
	if (nsel > size - 1)
		nsel = size - 1;
	const uint8_t *sel = data + 1;
	const uint8_t *xdr = data + 1 + nsel;
	size_t xlen = size - 1 - nsel;

	tether_arena *a;
	if (tether_arena_new(FUZZ_BUDGET, &a) != TETHER_OK)
		return 0;
	tether_dec d;
	tether_dec_init(&d, xdr, xlen, a);
	d.max_depth = 8;
	tether_enc all;
	tether_enc_init_growable(&all, xlen);
	for (unsigned i = 0; i < FUZZ_MAX_STEPS && d.left > 0; i++) {
		if (!step(&d, &all, sel[i % nsel]))
			break;
		if (tether_arena_used(a) > FUZZ_BUDGET)
			abort();
	}
	/* Everything consumed, re-encoded in one growable buffer, is the
	 * same prefix of the input. */
	if (all.len != xlen - d.left ||
	    (all.len != 0 && memcmp(all.buf, xdr, all.len) != 0))
		abort();
	tether_enc_release(&all);
	tether_arena_free(a);
	return 0;
}
