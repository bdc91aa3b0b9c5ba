/* SPDX-License-Identifier: MIT */
/*
 * wire.h - internal big-endian load/store helpers for XDR's 4-byte units
 * (RFC 4506 §3: the most significant byte comes first). Shared by enc.c,
 * dec.c and other core layers that build on XDR (tt_xdr_ prefix).
 */
#ifndef TT_XDR_WIRE_H
#define TT_XDR_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 4506 §3: every item is a multiple of four bytes long. */
#define TT_XDR_UNIT 4u

/* Bytes of zero padding after n bytes of data (RFC 4506 §4.9, §4.10). */
static inline size_t tt_xdr_pad(size_t n)
{
	return (TT_XDR_UNIT - (n & (TT_XDR_UNIT - 1))) & (TT_XDR_UNIT - 1);
}

static inline void tt_xdr_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t tt_xdr_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void tt_xdr_put64(uint8_t *p, uint64_t v)
{
	tt_xdr_put32(p, (uint32_t)(v >> 32));
	tt_xdr_put32(p + 4, (uint32_t)v);
}

static inline uint64_t tt_xdr_get64(const uint8_t *p)
{
	return (uint64_t)tt_xdr_get32(p) << 32 | tt_xdr_get32(p + 4);
}

#endif /* TT_XDR_WIRE_H */
