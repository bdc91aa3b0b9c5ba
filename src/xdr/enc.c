/* SPDX-License-Identifier: MIT */
/*
 * enc.c - XDR encoder (RFC 4506 §4): big-endian 4-byte units, zero padding,
 * into a fixed buffer or a growable one with a hard cap. Every primitive
 * sizes its item first and reserves it in one step, so a failure leaves
 * e->len (and the bytes already written) unchanged.
 */
#include <string.h>

#include <tether/xdr.h>

#include "common/tt.h"
#include "xdr/wire.h"

#define ENC_GROWABLE 1u
/* First allocation of a growable encoder. */
#define ENC_MIN_CAP 256u

void tether_enc_init_fixed(tether_enc *e, void *buf, size_t cap)
{
	e->buf = buf;
	e->len = 0;
	e->cap = buf != NULL ? cap : 0;
	e->max = e->cap;
	e->flags = 0;
}

void tether_enc_init_growable(tether_enc *e, size_t max)
{
	e->buf = NULL;
	e->len = 0;
	e->cap = 0;
	e->max = max;
	e->flags = ENC_GROWABLE;
}

void tether_enc_release(tether_enc *e)
{
	if (e == NULL)
		return;
	if (e->flags & ENC_GROWABLE)
		tt_free(e->buf, e->cap);
	e->buf = NULL;
	e->len = 0;
	e->cap = 0;
}

/* Grows a growable buffer geometrically so that need more bytes fit,
 * never past e->max. */
static tether_status enc_grow(tether_enc *e, size_t need)
{
	size_t want = e->len + need; /* caller checked need <= max - len */
	size_t cap = e->cap < ENC_MIN_CAP ? ENC_MIN_CAP : e->cap;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > e->max)
		cap = e->max;
	uint8_t *nb = tt_realloc(e->buf, e->cap, cap);
	if (nb == NULL)
		return TETHER_E_NOMEM;
	e->buf = nb;
	e->cap = cap;
	return TETHER_OK;
}

tether_status tether_enc_reserve(tether_enc *e, size_t n, uint8_t **out)
{
	if (e == NULL || out == NULL)
		return TETHER_E_INVAL;
	if (e->buf == NULL && n == 0) {
		/* Nothing allocated yet and nothing asked: no pointer
		 * arithmetic on NULL (found by fuzz_xdr). */
		*out = NULL;
		return TETHER_OK;
	}
	if (n > e->cap - e->len) {
		if (!(e->flags & ENC_GROWABLE) || e->len > e->max ||
		    n > e->max - e->len)
			return TETHER_E_TOO_LARGE;
		TT_TRY(enc_grow(e, n));
	}
	*out = e->buf + e->len;
	e->len += n;
	return TETHER_OK;
}

/* RFC 4506 §4.1, §4.2: one 4-byte big-endian unit. */
tether_status tether_enc_uint(tether_enc *e, uint32_t v)
{
	uint8_t *p;
	TT_TRY(tether_enc_reserve(e, 4, &p));
	tt_xdr_put32(p, v);
	return TETHER_OK;
}

/* RFC 4506 §4.1: two's complement. */
tether_status tether_enc_int(tether_enc *e, int32_t v)
{
	return tether_enc_uint(e, (uint32_t)v);
}

/* RFC 4506 §4.3: enumerations have the same representation as ints. */
tether_status tether_enc_enum(tether_enc *e, int32_t v)
{
	return tether_enc_uint(e, (uint32_t)v);
}

/* RFC 4506 §4.4: bool is the enum { FALSE = 0, TRUE = 1 }. */
tether_status tether_enc_bool(tether_enc *e, bool v)
{
	return tether_enc_uint(e, v ? 1u : 0u);
}

/* RFC 4506 §4.5: 8 bytes, most significant first. */
tether_status tether_enc_uhyper(tether_enc *e, uint64_t v)
{
	uint8_t *p;
	TT_TRY(tether_enc_reserve(e, 8, &p));
	tt_xdr_put64(p, v);
	return TETHER_OK;
}

tether_status tether_enc_hyper(tether_enc *e, int64_t v)
{
	return tether_enc_uhyper(e, (uint64_t)v);
}

/* RFC 4506 §4.6: IEEE 754 binary32, the bit pattern sent as an unsigned
 * int (NaN payloads pass through unchanged). */
tether_status tether_enc_float(tether_enc *e, float v)
{
	uint32_t bits;
	_Static_assert(sizeof(bits) == sizeof(v), "float must be binary32");
	memcpy(&bits, &v, sizeof(bits));
	return tether_enc_uint(e, bits);
}

/* RFC 4506 §4.7: IEEE 754 binary64 as an unsigned hyper. */
tether_status tether_enc_double(tether_enc *e, double v)
{
	uint64_t bits;
	_Static_assert(sizeof(bits) == sizeof(v), "double must be binary64");
	memcpy(&bits, &v, sizeof(bits));
	return tether_enc_uhyper(e, bits);
}

/* Writes n data bytes then zero padding at p. */
static void put_padded(uint8_t *p, const void *src, size_t n)
{
	if (n != 0)
		memcpy(p, src, n);
	size_t pad = tt_xdr_pad(n);
	if (pad != 0)
		memset(p + n, 0, pad);
}

/* RFC 4506 §4.8: quadruple precision, carried as its 16 bytes. */
tether_status tether_enc_quad(tether_enc *e, const tether_quad *v)
{
	if (v == NULL)
		return TETHER_E_INVAL;
	uint8_t *p;
	TT_TRY(tether_enc_reserve(e, sizeof(v->b), &p));
	memcpy(p, v->b, sizeof(v->b));
	return TETHER_OK;
}

/* RFC 4506 §4.9: n bytes, then zero bytes up to a multiple of four. */
tether_status tether_enc_fopaque(tether_enc *e, const void *src, size_t n)
{
	if (src == NULL && n != 0)
		return TETHER_E_INVAL;
	if (n > SIZE_MAX - TT_XDR_UNIT)
		return TETHER_E_TOO_LARGE;
	uint8_t *p;
	TT_TRY(tether_enc_reserve(e, n + tt_xdr_pad(n), &p));
	put_padded(p, src, n);
	return TETHER_OK;
}

/* Length-prefixed bytes: RFC 4506 §4.10 (opaque) and §4.11 (string). */
static tether_status enc_counted(tether_enc *e, const void *src, size_t n)
{
	if (n > SIZE_MAX - 2 * TT_XDR_UNIT)
		return TETHER_E_TOO_LARGE;
	uint8_t *p;
	TT_TRY(tether_enc_reserve(e, TT_XDR_UNIT + n + tt_xdr_pad(n), &p));
	tt_xdr_put32(p, (uint32_t)n);
	put_padded(p + TT_XDR_UNIT, src, n);
	return TETHER_OK;
}

/* RFC 4506 §4.10: unsigned length n <= max, bytes, zero padding. */
tether_status tether_enc_opaque(tether_enc *e, const void *src, uint32_t n,
				uint32_t max)
{
	if (src == NULL && n != 0)
		return TETHER_E_INVAL;
	if (n > max)
		return TETHER_E_XDR_LENGTH;
	return enc_counted(e, src, n);
}

/* RFC 4506 §4.11: the string's bytes without the C terminator. A C string
 * cannot hold an embedded NUL, so nothing else needs checking here. */
tether_status tether_enc_string(tether_enc *e, const char *s, uint32_t max)
{
	if (s == NULL)
		return TETHER_E_INVAL;
	/* Look no further than max + 1 bytes: a long string is refused
	 * without walking all of it. */
	size_t limit = max;
	if (limit < SIZE_MAX)
		limit++;
	size_t n = strnlen(s, limit);
	if (n > max)
		return TETHER_E_XDR_LENGTH;
	return enc_counted(e, s, n);
}

/* RFC 4506 §4.13: the element count of a variable-length array. */
tether_status tether_enc_array_len(tether_enc *e, uint32_t n, uint32_t max)
{
	if (n > max)
		return TETHER_E_XDR_LENGTH;
	return tether_enc_uint(e, n);
}

/* RFC 4506 §4.19: optional-data is a union on a bool discriminant. */
tether_status tether_enc_optional(tether_enc *e, bool present)
{
	return tether_enc_bool(e, present);
}
