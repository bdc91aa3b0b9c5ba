/* SPDX-License-Identifier: MIT */
/* diff_side.h - the byte-only interface between the two sides of the
 * tetherc differential test (tether types and rpcgen types share names). */
#ifndef DIFF_SIDE_H
#define DIFF_SIDE_H
#include <stddef.h>
#include <stdint.h>

/* 1 if rpcgen's xdr_<type> exists in this program. */
int rp_have(const char *type);
/* rpcgen decodes in[0..n) as type (all bytes must be used) and encodes
 * the value again into out[0..cap): 0 ok, -1 no such type, -2 failed. */
int rp_roundtrip(const char *type, const uint8_t *in, size_t n, uint8_t *out,
		 size_t cap, size_t *outn);
#endif
