/* SPDX-License-Identifier: MIT */
/*
 * rm.c - RFC 5531 §11 record marking: reassemble records from fragments,
 * incrementally, with a size limit checked from each fragment header, a
 * fragment count limit and a buffer that grows only with bytes received.
 */
#include <string.h>

#include "common/tt.h"
#include "rpc/rm.h"

/* A buffer kept between records above this size is released on discard so
 * one large record does not pin memory on an idle connection. */
enum { RM_MIN_CAP = 256, RM_KEEP_CAP = 64 * 1024 };

void tt_rm_dec_init(tt_rm_dec *d, uint32_t max_record, uint32_t max_fragments)
{
	memset(d, 0, sizeof(*d));
	d->max_record = max_record ? max_record : TT_RM_DEFAULT_MAX_RECORD;
	d->max_fragments =
	    max_fragments ? max_fragments : TT_RM_DEFAULT_MAX_FRAGMENTS;
	d->err = TETHER_OK;
}

void tt_rm_record_free(tt_rm_record *r)
{
	if (r == NULL)
		return;
	tt_free(r->data, r->cap);
	memset(r, 0, sizeof(*r));
}

void tt_rm_dec_free(tt_rm_dec *d)
{
	if (d != NULL)
		tt_rm_record_free(&d->rec);
}

static tether_status fail(tt_rm_dec *d, tether_status st)
{
	d->err = st;
	return st;
}

/* Appends n received bytes. The capacity at most doubles past what was
 * received (and never passes max_record), so memory follows the bytes that
 * arrived, not a length a peer announced (STYLE 11, CVE-2017-8779). */
static tether_status append(tt_rm_dec *d, const uint8_t *src, size_t n)
{
	tt_rm_record *r = &d->rec;
	size_t need = r->len + n; /* <= max_record: checked at the header */
	if (need > r->cap) {
		size_t grow = r->cap ? r->cap * 2 : RM_MIN_CAP;
		if (grow > d->max_record)
			grow = d->max_record;
		size_t cap = grow > need ? grow : need;
		uint8_t *p = tt_realloc(r->data, r->cap, cap);
		if (p == NULL)
			return fail(d, TETHER_E_NOMEM);
		r->data = p;
		r->cap = cap;
	}
	memcpy(r->data + r->len, src, n);
	r->len = need;
	return TETHER_OK;
}

static void complete(tt_rm_dec *d)
{
	d->ready = true;
	d->started = false;
	d->in_frag = false;
	d->last = false;
	d->nfrags = 0;
}

/* RFC 5531 §11: a fragment header is four octets, big-endian; the high bit
 * marks the last fragment of the record, the low 31 bits are the fragment
 * length. Both limits are checked here, before any body byte is stored. */
static tether_status start_fragment(tt_rm_dec *d)
{
	uint32_t v = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
		     (uint32_t)d->hdr[2] << 8 | d->hdr[3];
	uint32_t flen = v & TT_RM_MAX_FRAGMENT;
	d->hdr_have = 0;
	if (d->nfrags >= d->max_fragments)
		return fail(d, TETHER_E_RM_FRAGMENTS);
	/* rec.len <= max_record always holds, so this cannot wrap. */
	if (flen > (size_t)d->max_record - d->rec.len)
		return fail(d, TETHER_E_RM_TOO_LARGE);
	d->nfrags++;
	d->last = (v & TT_RM_LAST) != 0;
	d->frag_left = flen;
	d->in_frag = flen > 0;
	if (flen == 0 && d->last)
		complete(d); /* zero-length fragments are legal */
	return TETHER_OK;
}

static tether_status take_header(tt_rm_dec *d, const uint8_t *in, size_t len,
				 size_t *pos)
{
	size_t n = 4u - d->hdr_have;
	if (n > len - *pos)
		n = len - *pos;
	memcpy(d->hdr + d->hdr_have, in + *pos, n);
	d->hdr_have = (uint8_t)(d->hdr_have + n);
	*pos += n;
	d->started = true;
	if (d->hdr_have < 4)
		return TETHER_OK;
	return start_fragment(d);
}

static tether_status take_body(tt_rm_dec *d, const uint8_t *in, size_t len,
			       size_t *pos)
{
	size_t n = d->frag_left;
	if (n > len - *pos)
		n = len - *pos;
	TT_TRY(append(d, in + *pos, n));
	*pos += n;
	d->frag_left -= (uint32_t)n;
	if (d->frag_left > 0)
		return TETHER_OK;
	d->in_frag = false;
	if (d->last)
		complete(d);
	return TETHER_OK;
}

tether_status tt_rm_dec_feed(tt_rm_dec *d, const uint8_t *in, size_t len,
			     size_t *used)
{
	*used = 0;
	if (d->err != TETHER_OK)
		return d->err;
	if (d->ready)
		return TETHER_E_STATE;
	if (in == NULL && len > 0)
		return TETHER_E_INVAL;
	size_t pos = 0;
	while (pos < len) {
		tether_status st = d->in_frag ? take_body(d, in, len, &pos)
					      : take_header(d, in, len, &pos);
		*used = pos;
		if (st != TETHER_OK)
			return st;
		if (d->ready)
			return TETHER_OK;
	}
	return TETHER_E_NEED_MORE;
}

tether_status tt_rm_dec_take(tt_rm_dec *d, tt_rm_record *out)
{
	if (!d->ready)
		return TETHER_E_STATE;
	*out = d->rec;
	memset(&d->rec, 0, sizeof(d->rec));
	d->ready = false;
	return TETHER_OK;
}

const uint8_t *tt_rm_dec_peek(const tt_rm_dec *d, size_t *len)
{
	if (!d->ready) {
		*len = 0;
		return NULL;
	}
	*len = d->rec.len;
	return d->rec.data;
}

void tt_rm_dec_discard(tt_rm_dec *d)
{
	if (!d->ready)
		return;
	d->ready = false;
	d->rec.len = 0;
	if (d->rec.cap > RM_KEEP_CAP)
		tt_rm_record_free(&d->rec);
}

bool tt_rm_dec_in_record(const tt_rm_dec *d)
{
	return d->started && !d->ready;
}

tether_status tt_rm_dec_error(const tt_rm_dec *d)
{
	return d->err;
}

uint32_t tt_rm_dec_frag_left(const tt_rm_dec *d)
{
	return d->in_frag && d->err == TETHER_OK ? d->frag_left : 0;
}

void tt_rm_put_mark(uint8_t hdr[4], uint32_t len, bool last)
{
	uint32_t v = (len & TT_RM_MAX_FRAGMENT) | (last ? TT_RM_LAST : 0);
	hdr[0] = (uint8_t)(v >> 24);
	hdr[1] = (uint8_t)(v >> 16);
	hdr[2] = (uint8_t)(v >> 8);
	hdr[3] = (uint8_t)v;
}
