/* SPDX-License-Identifier: MIT */
/*
 * tether/xdr.h - XDR (RFC 4506) primitives, the decode arena and buffers.
 *
 * Generated code (tetherc) calls these; applications rarely do. Encoding
 * writes into a fixed buffer or a growable one with a hard cap. Decoding
 * reads through a bounded cursor that checks before it touches and never
 * advances on failure, and allocates only from an arena with a byte budget:
 * a length prefix that claims more than the bytes remaining fails at once,
 * without allocating (rpcbomb, CVE-2017-8779).
 *
 * Ownership: decoded pointers point into the arena; they are valid until
 * the arena is reset or freed. Nothing decoded needs a per-field free.
 */
#ifndef TETHER_XDR_H
#define TETHER_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/export.h>
#include <tether/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The bound written for rpcgen's unbounded `<>`: the real limits are the
 * record size and the decode arena's budget. */
#define TETHER_XDR_UNBOUNDED UINT32_MAX

/* Default nesting depth for decoding (DESIGN §7). */
#define TETHER_XDR_DEFAULT_MAX_DEPTH 64

/* RFC 4506 §4.8: quadruple-precision float, carried as its 16 big-endian
 * IEEE 754 binary128 bytes; tether does no arithmetic on it. */
typedef struct tether_quad {
	uint8_t b[16];
} tether_quad;

/* ---- arena ------------------------------------------------------------ */

typedef struct tether_arena tether_arena;

/* Creates an arena that hands out at most `budget` bytes in total.
 * Caller frees with tether_arena_free(). Errors: TETHER_E_INVAL (out NULL),
 * TETHER_E_NOMEM.
 *
 * Budget rule: each request of n > 0 bytes is counted as n rounded up to
 * the 16-byte alignment (max_align_t); block headers and the unused tail of
 * a block are NOT counted (they are bounded: a regular block is 4 KiB or the
 * budget left, whichever is smaller, and requests over 1 KiB get a block of
 * their own). A 0-byte request returns a non-NULL pointer that must not be
 * written through and costs nothing. tether_arena_used() reports the
 * counted bytes. */
TETHER_API TETHER_WUR tether_status tether_arena_new(size_t budget,
						     tether_arena **out);
/* Returns n zeroed bytes aligned for any type, or NULL when the budget is
 * exhausted (TETHER_E_BUDGET) or memory is short (TETHER_E_NOMEM);
 * tether_arena_error() says which (the last failure since creation or the
 * last reset; TETHER_OK if none). */
TETHER_API void *tether_arena_alloc(tether_arena *a, size_t n);
TETHER_API tether_status tether_arena_error(const tether_arena *a);
/* Frees everything allocated from a; a stays usable. At most one regular
 * block is kept for reuse; used and the error are cleared. */
TETHER_API void tether_arena_reset(tether_arena *a);
TETHER_API void tether_arena_free(tether_arena *a);
TETHER_API size_t tether_arena_used(const tether_arena *a);
/* Changes the budget; lowering it below tether_arena_used() makes every
 * later allocation fail until the next reset. */
TETHER_API void tether_arena_set_budget(tether_arena *a, size_t budget);
TETHER_API size_t tether_arena_budget(const tether_arena *a);

/* ---- encoder ---------------------------------------------------------- */

typedef struct tether_enc {
	uint8_t *buf; /* bytes written so far are buf[0..len) */
	size_t len;
	size_t cap;
	size_t max;     /* never hold more than max bytes */
	unsigned flags; /* internal */
} tether_enc;

/* Encodes into buf[0..cap); nothing is allocated. */
TETHER_API void tether_enc_init_fixed(tether_enc *e, void *buf, size_t cap);
/* Encodes into a buffer from the tether allocator that grows up to max
 * bytes. Caller releases with tether_enc_release(). */
TETHER_API void tether_enc_init_growable(tether_enc *e, size_t max);
TETHER_API void tether_enc_release(tether_enc *e);
/* Makes n more bytes writable at *out and counts them as written. */
TETHER_API TETHER_WUR tether_status tether_enc_reserve(tether_enc *e, size_t n,
						       uint8_t **out);

/* Each returns TETHER_OK, TETHER_E_TOO_LARGE (buffer cap or max reached),
 * TETHER_E_NOMEM, or for bounded items TETHER_E_XDR_LENGTH (over bound) /
 * TETHER_E_INVAL (NULL string or data with non-zero length). */
TETHER_API TETHER_WUR tether_status tether_enc_int(tether_enc *e, int32_t v);
TETHER_API TETHER_WUR tether_status tether_enc_uint(tether_enc *e, uint32_t v);
TETHER_API TETHER_WUR tether_status tether_enc_enum(tether_enc *e, int32_t v);
TETHER_API TETHER_WUR tether_status tether_enc_bool(tether_enc *e, bool v);
TETHER_API TETHER_WUR tether_status tether_enc_hyper(tether_enc *e, int64_t v);
TETHER_API TETHER_WUR tether_status tether_enc_uhyper(tether_enc *e,
						      uint64_t v);
TETHER_API TETHER_WUR tether_status tether_enc_float(tether_enc *e, float v);
TETHER_API TETHER_WUR tether_status tether_enc_double(tether_enc *e, double v);
TETHER_API TETHER_WUR tether_status tether_enc_quad(tether_enc *e,
						    const tether_quad *v);
/* Fixed-length opaque[n]: n bytes then zero padding to a multiple of 4. */
TETHER_API TETHER_WUR tether_status tether_enc_fopaque(tether_enc *e,
						       const void *p, size_t n);
/* Variable-length opaque<max>: length, bytes, padding. */
TETHER_API TETHER_WUR tether_status tether_enc_opaque(tether_enc *e,
						      const void *p, uint32_t n,
						      uint32_t max);
/* string<max>: s is NUL-terminated. */
TETHER_API TETHER_WUR tether_status tether_enc_string(tether_enc *e,
						      const char *s,
						      uint32_t max);
/* The count of a variable-length array, checked against max. */
TETHER_API TETHER_WUR tether_status tether_enc_array_len(tether_enc *e,
							 uint32_t n,
							 uint32_t max);
/* Optional-data (`T *p`): the "present" boolean. */
TETHER_API TETHER_WUR tether_status tether_enc_optional(tether_enc *e,
							bool present);

/* ---- decoder ---------------------------------------------------------- */

typedef struct tether_dec {
	const uint8_t *p; /* next byte to read */
	size_t left;      /* bytes left */
	tether_arena *arena;
	unsigned depth;
	unsigned max_depth;
} tether_dec;

/* Reads buf[0..len) (borrowed for the decoder's life), allocating from
 * arena (may be NULL if nothing decoded needs memory). max_depth starts at
 * TETHER_XDR_DEFAULT_MAX_DEPTH. */
TETHER_API void tether_dec_init(tether_dec *d, const void *buf, size_t len,
				tether_arena *arena);

/* Each returns TETHER_OK or: TETHER_E_XDR_SHORT (not enough bytes),
 * TETHER_E_XDR_PADDING (non-zero pad), TETHER_E_XDR_RANGE (bool not 0/1),
 * TETHER_E_XDR_LENGTH (length over its bound or over the bytes left),
 * TETHER_E_XDR_STRING (NUL inside a string), TETHER_E_BUDGET /
 * TETHER_E_NOMEM (arena; TETHER_E_BUDGET also when memory is needed and the
 * decoder has no arena), TETHER_E_INVAL (NULL destination with n > 0).
 * Checks run in this order: bytes for the prefix (SHORT), bound and bytes
 * left (LENGTH), embedded NUL (STRING), padding (PADDING), arena
 * (BUDGET/NOMEM); a failed item allocates nothing. On failure nothing is
 * consumed and outputs are left untouched. */
TETHER_API TETHER_WUR tether_status tether_dec_int(tether_dec *d, int32_t *v);
TETHER_API TETHER_WUR tether_status tether_dec_uint(tether_dec *d, uint32_t *v);
/* Enum values are range-checked by the caller (generated code). */
TETHER_API TETHER_WUR tether_status tether_dec_enum(tether_dec *d, int32_t *v);
TETHER_API TETHER_WUR tether_status tether_dec_bool(tether_dec *d, bool *v);
TETHER_API TETHER_WUR tether_status tether_dec_hyper(tether_dec *d,
						     int64_t *v);
TETHER_API TETHER_WUR tether_status tether_dec_uhyper(tether_dec *d,
						      uint64_t *v);
TETHER_API TETHER_WUR tether_status tether_dec_float(tether_dec *d, float *v);
TETHER_API TETHER_WUR tether_status tether_dec_double(tether_dec *d,
						      double *v);
TETHER_API TETHER_WUR tether_status tether_dec_quad(tether_dec *d,
						    tether_quad *v);
/* Fixed-length opaque[n] into dst[0..n). */
TETHER_API TETHER_WUR tether_status tether_dec_fopaque(tether_dec *d,
						       void *dst, size_t n);
/* Variable-length opaque<max>: *p points to *n bytes in the arena (NULL
 * when *n is 0). */
TETHER_API TETHER_WUR tether_status tether_dec_opaque(tether_dec *d,
						      uint8_t **p, uint32_t *n,
						      uint32_t max);
/* Zero-copy variant: *p borrows n bytes from the decoder's input buffer
 * (valid as long as that buffer; NULL when *n is 0); no arena needed. */
TETHER_API TETHER_WUR tether_status tether_dec_opaque_borrow(tether_dec *d,
							     const uint8_t **p,
							     uint32_t *n,
							     uint32_t max);
/* string<max>: *s is a NUL-terminated copy in the arena (always allocated,
 * even for ""). A NUL byte inside the string is refused with
 * TETHER_E_XDR_STRING: it could not survive as a C string. */
TETHER_API TETHER_WUR tether_status tether_dec_string(tether_dec *d, char **s,
						      uint32_t max);
/* The count of a variable-length array: checks n <= max and that n elements
 * of at least min_wire bytes each fit in what is left (min_wire 0 is taken
 * as 1 would be too strict for void-like elements: then only the arena
 * bounds the count). */
TETHER_API TETHER_WUR tether_status tether_dec_array_len(tether_dec *d,
							 uint32_t *n,
							 uint32_t max,
							 size_t min_wire);
TETHER_API TETHER_WUR tether_status tether_dec_optional(tether_dec *d,
							bool *present);
/* n * size zeroed bytes from the arena, overflow-checked. *out is NULL
 * when n is 0. */
TETHER_API TETHER_WUR tether_status tether_dec_alloc(tether_dec *d, size_t n,
						     size_t size, void **out);
/* TETHER_OK when every byte was consumed, else TETHER_E_XDR_TRAILING. */
TETHER_API TETHER_WUR tether_status tether_dec_finish(const tether_dec *d);
/* Nesting guards for recursive types: enter fails with TETHER_E_DEPTH past
 * max_depth. */
TETHER_API TETHER_WUR tether_status tether_dec_enter(tether_dec *d);
TETHER_API void tether_dec_leave(tether_dec *d);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_XDR_H */
