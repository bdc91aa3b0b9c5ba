/* SPDX-License-Identifier: MIT */
/*
 * box.c - descriptors that carry JSON to the runtime's encoder and keep
 * reply bytes from its decoder (box.h).
 */
#include <string.h>

#include "box.h"

static tether_status box_encode(tether_enc *e, const void *p)
{
	const argbox *b = p;
	return tjx_encode(b->x, b->t, b->v, e);
}

/* Keeps every byte left: the caller converts them with tjx_decode() and
 * tether_dec_finish() so trailing bytes are still an error. */
static tether_status box_decode(tether_dec *d, void *p)
{
	resbox *r = p;
	uint8_t *c = NULL;
	if (d->left > 0 && (c = tether_arena_alloc(d->arena, d->left)) == NULL)
		return TETHER_E_BUDGET;
	if (d->left > 0)
		memcpy(c, d->p, d->left);
	r->p = c, r->n = d->left;
	d->p += d->left, d->left = 0;
	return TETHER_OK;
}

void box_encoder(tether_type_desc *d, const tether_type_desc *like)
{
	memset(d, 0, sizeof(*d));
	d->name = like->name;
	d->kind = like->kind;
	d->size = sizeof(argbox);
	d->encode = box_encode;
}

void box_decoder(tether_type_desc *d, const tether_type_desc *like)
{
	memset(d, 0, sizeof(*d));
	d->name = like->name;
	d->kind = like->kind;
	d->size = sizeof(resbox);
	d->decode = box_decode;
}
