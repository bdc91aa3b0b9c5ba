/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rm.c - libFuzzer target for record marking (RFC 5531 §11). The
 * first three bytes choose the limits; the rest is the stream. Oracles:
 * feeding the stream in chunks whose sizes come from the input yields the
 * same records and the same final status as feeding it all at once; each
 * record re-framed as one fragment decodes to the same record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Records seen, as a transcript: 4-byte length then the bytes. */
typedef struct {
	uint8_t *b;
	size_t len, cap;
} out_t;

static void out_put(out_t *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = (o->len + n) * 2;
		uint8_t *b = realloc(o->b, cap);
		if (b == NULL)
			abort();
		o->b = b;
		o->cap = cap;
	}
	if (n)
		memcpy(o->b + o->len, p, n);
	o->len += n;
}

static void out_record(out_t *o, tt_rm_dec *d)
{
	tt_rm_record r;
	uint8_t h[4];
	if (tt_rm_dec_take(d, &r) != TETHER_OK)
		abort();
	tt_rm_put_mark(h, (uint32_t)r.len, true);
	out_put(o, h, 4);
	out_put(o, r.data, r.len);
	tt_rm_record_free(&r);
}

/* Feeds s[0..n) in chunks; chunk i has 1 + key[i % klen] % 31 bytes (all
 * at once when klen is 0). Returns the final status. */
static tether_status run(const uint8_t *s, size_t n, const uint8_t *key,
			 size_t klen, uint32_t max_rec, uint32_t max_frag,
			 out_t *o, int *in_rec)
{
	tt_rm_dec d;
	tt_rm_dec_init(&d, max_rec, max_frag);
	tether_status st = TETHER_E_NEED_MORE;
	size_t pos = 0;
	for (size_t i = 0; pos < n; i++) {
		size_t c = klen ? 1u + key[i % klen] % 31u : n - pos;
		if (c > n - pos)
			c = n - pos;
		size_t off = 0;
		while (off < c) {
			size_t used;
			st = tt_rm_dec_feed(&d, s + pos + off, c - off, &used);
			if (used > c - off)
				abort();
			off += used;
			if (st == TETHER_OK) {
				out_record(o, &d);
				st = TETHER_E_NEED_MORE;
			} else if (st != TETHER_E_NEED_MORE) {
				goto done;
			}
		}
		pos += c;
	}
done:
	*in_rec = tt_rm_dec_in_record(&d);
	tt_rm_dec_free(&d);
	return st;
}

/* Re-frames every record of transcript t as one last fragment; the
 * transcript format is already exactly that stream. */
static void check_reframed(const out_t *t, uint32_t max_rec)
{
	out_t again = {0};
	int in_rec;
	tether_status st =
	    run(t->b, t->len, NULL, 0, max_rec, 1, &again, &in_rec);
	if (st != TETHER_E_NEED_MORE || in_rec || again.len != t->len ||
	    (t->len && memcmp(again.b, t->b, t->len) != 0))
		abort();
	free(again.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint32_t max_rec = 1u + ((uint32_t)data[0] << 8 | data[1]) * 4u;
	uint32_t max_frag = 1u + data[2] % 64u;
	const uint8_t *s = data + 3;
	size_t n = size - 3;
	out_t whole = {0}, chunked = {0};
	int in1, in2;
	tether_status st1 = run(s, n, NULL, 0, max_rec, max_frag, &whole, &in1);
	tether_status st2 = run(s, n, s, n, max_rec, max_frag, &chunked, &in2);
	if (st1 != st2 || in1 != in2 || whole.len != chunked.len ||
	    (whole.len && memcmp(whole.b, chunked.b, whole.len) != 0))
		abort();
	check_reframed(&whole, max_rec);
	free(whole.b);
	free(chunked.b);
	return 0;
}
