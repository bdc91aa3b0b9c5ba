/* SPDX-License-Identifier: MIT */
/*
 * admit.h - connection admission (DESIGN §6, §7): a cap on connections
 * open at once and per source (TCP: the peer's address without port; Unix:
 * the peer's uid). Not thread-safe: the server calls it under its mutex.
 */
#ifndef TT_SERVER_ADMIT_H
#define TT_SERVER_ADMIT_H

#include <stdint.h>

#include "io/io.h"

typedef struct tt_admit_src {
	char key[TT_EP_HOST_MAX + 24];
	uint32_t n;
} tt_admit_src;

typedef struct tt_admit {
	uint32_t max_total, max_per_source; /* 0: no cap */
	uint32_t total;
	tt_admit_src *v; /* sources with at least one connection */
	size_t n, cap;
	uint64_t refused_total, refused_source; /* counters */
} tt_admit;

/* Counts a new connection from p: TETHER_OK, or TETHER_E_BUSY past a cap
 * (nothing counted), TETHER_E_NOMEM. */
tether_status tt_admit_enter(tt_admit *a, const tt_peer *p);
/* Uncounts a connection admitted by tt_admit_enter(a, p). */
void tt_admit_leave(tt_admit *a, const tt_peer *p);
void tt_admit_free(tt_admit *a);

#endif /* TT_SERVER_ADMIT_H */
