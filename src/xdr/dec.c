/* SPDX-License-Identifier: MIT */
/*
 * dec.c - XDR decoder (RFC 4506 §4) over a bounded cursor (STYLE 11).
 * Every primitive checks all it needs (bytes, bounds, padding, range)
 * before it consumes anything or allocates, and never advances on failure.
 * Lengths are compared against the bytes left before the arena is asked for
 * memory, so a forged length prefix costs nothing (rpcbomb, CVE-2017-8779).
 */
#include <string.h>

#include <tether/xdr.h>

#include "common/tt.h"
#include "xdr/wire.h"

void tether_dec_init(tether_dec *d, const void *buf, size_t len,
		     tether_arena *arena)
{
	d->p = buf;
	d->left = buf != NULL ? len : 0;
	d->arena = arena;
	d->depth = 0;
	d->max_depth = TETHER_XDR_DEFAULT_MAX_DEPTH;
}

static void dec_advance(tether_dec *d, size_t n)
{
	if (n == 0)
		return; /* d->p may be NULL for an empty input */
	d->p += n;
	d->left -= n;
}

/* The next 4-byte unit, not consumed. */
static tether_status dec_peek32(const tether_dec *d, uint32_t *v)
{
	if (d->left < TT_XDR_UNIT)
		return TETHER_E_XDR_SHORT;
	*v = tt_xdr_get32(d->p);
	return TETHER_OK;
}

/* RFC 4506 §4.2. */
tether_status tether_dec_uint(tether_dec *d, uint32_t *v)
{
	uint32_t u;
	TT_TRY(dec_peek32(d, &u));
	dec_advance(d, TT_XDR_UNIT);
	*v = u;
	return TETHER_OK;
}

/* Two's complement without relying on implementation-defined conversion. */
static int32_t as_int32(uint32_t u)
{
	if (u <= (uint32_t)INT32_MAX)
		return (int32_t)u;
	return (int32_t)(u - (uint32_t)INT32_MAX - 1u) + INT32_MIN;
}

static int64_t as_int64(uint64_t u)
{
	if (u <= (uint64_t)INT64_MAX)
		return (int64_t)u;
	return (int64_t)(u - (uint64_t)INT64_MAX - 1u) + INT64_MIN;
}

/* RFC 4506 §4.1. */
tether_status tether_dec_int(tether_dec *d, int32_t *v)
{
	uint32_t u;
	TT_TRY(tether_dec_uint(d, &u));
	*v = as_int32(u);
	return TETHER_OK;
}

/* RFC 4506 §4.3: an int; the caller checks the value is a member. */
tether_status tether_dec_enum(tether_dec *d, int32_t *v)
{
	return tether_dec_int(d, v);
}

/* RFC 4506 §4.4: only 0 and 1 are booleans; anything else is refused
 * rather than read as "true". */
tether_status tether_dec_bool(tether_dec *d, bool *v)
{
	uint32_t u;
	TT_TRY(dec_peek32(d, &u));
	if (u > 1)
		return TETHER_E_XDR_RANGE;
	dec_advance(d, TT_XDR_UNIT);
	*v = u == 1;
	return TETHER_OK;
}

/* RFC 4506 §4.5. */
tether_status tether_dec_uhyper(tether_dec *d, uint64_t *v)
{
	if (d->left < 8)
		return TETHER_E_XDR_SHORT;
	*v = tt_xdr_get64(d->p);
	dec_advance(d, 8);
	return TETHER_OK;
}

tether_status tether_dec_hyper(tether_dec *d, int64_t *v)
{
	uint64_t u;
	TT_TRY(tether_dec_uhyper(d, &u));
	*v = as_int64(u);
	return TETHER_OK;
}

/* RFC 4506 §4.6: the binary32 bit pattern, copied, so NaN payloads and
 * signalling NaNs survive unchanged. */
tether_status tether_dec_float(tether_dec *d, float *v)
{
	uint32_t bits;
	TT_TRY(tether_dec_uint(d, &bits));
	memcpy(v, &bits, sizeof(*v));
	return TETHER_OK;
}

/* RFC 4506 §4.7. */
tether_status tether_dec_double(tether_dec *d, double *v)
{
	uint64_t bits;
	TT_TRY(tether_dec_uhyper(d, &bits));
	memcpy(v, &bits, sizeof(*v));
	return TETHER_OK;
}

/* RFC 4506 §4.8: 16 bytes, no arithmetic (docs/internals/xdr.md). */
tether_status tether_dec_quad(tether_dec *d, tether_quad *v)
{
	if (d->left < sizeof(v->b))
		return TETHER_E_XDR_SHORT;
	memcpy(v->b, d->p, sizeof(v->b));
	dec_advance(d, sizeof(v->b));
	return TETHER_OK;
}

/* RFC 4506 §4.9, §4.10: padding bytes must be zero. */
static tether_status check_pad(const uint8_t *p, size_t n)
{
	size_t pad = tt_xdr_pad(n);
	for (size_t i = 0; i < pad; i++)
		if (p[n + i] != 0)
			return TETHER_E_XDR_PADDING;
	return TETHER_OK;
}

/* RFC 4506 §4.9: n bytes then padding to a multiple of four. */
tether_status tether_dec_fopaque(tether_dec *d, void *dst, size_t n)
{
	if (dst == NULL && n != 0)
		return TETHER_E_INVAL;
	if (n > d->left || tt_xdr_pad(n) > d->left - n)
		return TETHER_E_XDR_SHORT;
	TT_TRY(check_pad(d->p, n));
	if (n != 0)
		memcpy(dst, d->p, n);
	dec_advance(d, n + tt_xdr_pad(n));
	return TETHER_OK;
}

/* Reads and checks a length prefix (not consumed): n <= max, and n bytes
 * plus padding fit in what follows the prefix. The comparison is against
 * what remains, never a sum that could wrap. */
static tether_status peek_len(const tether_dec *d, uint32_t max, uint32_t *n)
{
	uint32_t len;
	TT_TRY(dec_peek32(d, &len));
	size_t rest = d->left - TT_XDR_UNIT;
	if (len > max || len > rest || tt_xdr_pad(len) > rest - len)
		return TETHER_E_XDR_LENGTH;
	*n = len;
	return TETHER_OK;
}

/* Copies n bytes from src into the arena, with extra zero bytes after
 * them (1 for a string terminator). */
static tether_status arena_copy(tether_dec *d, const uint8_t *src, size_t n,
				size_t extra, uint8_t **out)
{
	if (d->arena == NULL)
		return TETHER_E_BUDGET;
	uint8_t *p = tether_arena_alloc(d->arena, n + extra);
	if (p == NULL)
		return tether_arena_error(d->arena);
	memcpy(p, src, n);
	*out = p;
	return TETHER_OK;
}

/* A checked length prefix and its zero padding, nothing consumed yet:
 * *data is where the n bytes start. */
static tether_status peek_counted(const tether_dec *d, uint32_t max,
				  const uint8_t **data, uint32_t *n)
{
	uint32_t len;
	TT_TRY(peek_len(d, max, &len));
	TT_TRY(check_pad(d->p + TT_XDR_UNIT, len));
	*data = d->p + TT_XDR_UNIT;
	*n = len;
	return TETHER_OK;
}

static void skip_counted(tether_dec *d, uint32_t len)
{
	dec_advance(d, TT_XDR_UNIT + len + tt_xdr_pad(len));
}

/* RFC 4506 §4.10: variable-length opaque, copied into the arena. */
tether_status tether_dec_opaque(tether_dec *d, uint8_t **p, uint32_t *n,
				uint32_t max)
{
	const uint8_t *src;
	uint32_t len;
	TT_TRY(peek_counted(d, max, &src, &len));
	uint8_t *copy = NULL;
	if (len != 0)
		TT_TRY(arena_copy(d, src, len, 0, &copy));
	skip_counted(d, len);
	*p = copy;
	*n = len;
	return TETHER_OK;
}

/* RFC 4506 §4.10, zero-copy: *p borrows from the input buffer. */
tether_status tether_dec_opaque_borrow(tether_dec *d, const uint8_t **p,
				       uint32_t *n, uint32_t max)
{
	const uint8_t *src;
	uint32_t len;
	TT_TRY(peek_counted(d, max, &src, &len));
	skip_counted(d, len);
	*p = len != 0 ? src : NULL;
	*n = len;
	return TETHER_OK;
}

/* RFC 4506 §4.11: a string of ASCII bytes; an embedded NUL is refused
 * (TETHER_E_XDR_STRING) because it could not round-trip through a C
 * string and would truncate it silently (docs/internals/xdr.md). */
tether_status tether_dec_string(tether_dec *d, char **s, uint32_t max)
{
	uint32_t len;
	TT_TRY(peek_len(d, max, &len));
	const uint8_t *data = d->p + TT_XDR_UNIT;
	if (len != 0 && memchr(data, 0, len) != NULL)
		return TETHER_E_XDR_STRING;
	TT_TRY(check_pad(data, len));
	uint8_t *copy = NULL;
	TT_TRY(arena_copy(d, data, len, 1, &copy));
	/* The arena zeroes memory, so copy[len] is the terminator. */
	skip_counted(d, len);
	*s = (char *)copy;
	return TETHER_OK;
}

/* RFC 4506 §4.13: an array count. n elements of at least min_wire bytes
 * must fit in what is left; n * min_wire <= rest is tested as
 * min_wire <= rest / n, which cannot overflow. */
tether_status tether_dec_array_len(tether_dec *d, uint32_t *n, uint32_t max,
				   size_t min_wire)
{
	uint32_t cnt;
	TT_TRY(dec_peek32(d, &cnt));
	size_t rest = d->left - TT_XDR_UNIT;
	if (cnt > max)
		return TETHER_E_XDR_LENGTH;
	if (cnt != 0 && min_wire != 0 && min_wire > rest / cnt)
		return TETHER_E_XDR_LENGTH;
	dec_advance(d, TT_XDR_UNIT);
	*n = cnt;
	return TETHER_OK;
}

/* RFC 4506 §4.19: the "present" boolean of optional-data. */
tether_status tether_dec_optional(tether_dec *d, bool *present)
{
	return tether_dec_bool(d, present);
}

tether_status tether_dec_alloc(tether_dec *d, size_t n, size_t size, void **out)
{
	if (n == 0 || size == 0) {
		*out = NULL;
		return TETHER_OK;
	}
	if (d->arena == NULL || n > SIZE_MAX / size)
		return TETHER_E_BUDGET;
	void *p = tether_arena_alloc(d->arena, n * size);
	if (p == NULL)
		return tether_arena_error(d->arena);
	*out = p;
	return TETHER_OK;
}

tether_status tether_dec_enter(tether_dec *d)
{
	if (d->depth >= d->max_depth)
		return TETHER_E_DEPTH;
	d->depth++;
	return TETHER_OK;
}

void tether_dec_leave(tether_dec *d)
{
	if (d->depth > 0)
		d->depth--;
}

tether_status tether_dec_finish(const tether_dec *d)
{
	return d->left == 0 ? TETHER_OK : TETHER_E_XDR_TRAILING;
}
