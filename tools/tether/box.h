/* SPDX-License-Identifier: MIT */
/*
 * box.h - how the CLI hands JSON values to the runtime: a descriptor whose
 * encode runs the JSON -> XDR encoder on an argbox, and one whose decode
 * keeps the XDR bytes in a resbox (converted to JSON afterwards, so that
 * errors can name the JSON path). Used for calls (cmd_call.c) and for
 * answering callbacks (callbacks.c).
 */
#ifndef TETHER_CLI_BOX_H
#define TETHER_CLI_BOX_H

#include <tether/desc.h>

#include "jsonxdr.h"

typedef struct argbox {
	tjx *x;
	const tether_type_desc *t;
	const tj_value *v;
} argbox;

typedef struct resbox {
	const uint8_t *p; /* in the decoder's arena */
	size_t n;
} resbox;

/* A descriptor of kind `like` (never void) whose encode takes an argbox. */
void box_encoder(tether_type_desc *d, const tether_type_desc *like);
/* A descriptor of kind `like` (never void) whose decode fills a resbox. */
void box_decoder(tether_type_desc *d, const tether_type_desc *like);

#endif /* TETHER_CLI_BOX_H */
