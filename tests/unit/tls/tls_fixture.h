/* SPDX-License-Identifier: MIT */
/* tls_fixture.h - shared helpers for the TLS unit tests: a temp dir of
 * certificates minted by certs.c, contexts, and a pump that moves bytes
 * between two in-memory filters. */
#ifndef TLS_FIXTURE_H
#define TLS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tt.h"
#include "tls/tls.h"

typedef struct fx {
	char dir[256];
} fx;

/* Creates a temp dir; returns 0 on success. */
int fx_init(fx *f);
/* Removes every file the fixture made and the dir. */
void fx_cleanup(fx *f);
/* dir/name into out. */
void fx_path(const fx *f, const char *name, char *out, size_t cap);

/* Mints a CA named `name` (files name.crt, name.key). */
tether_status fx_make_ca(fx *f, const char *name);
/* Issues name.crt/name.key from CA `ca`, with optional CN, DNS, IP, URI
 * (NULL to omit), usage mask and validity offsets in seconds. */
tether_status fx_issue(fx *f, const char *ca, const char *name, const char *cn,
		       const char *dns, const char *ip, const char *uri,
		       unsigned usage, int64_t nb, int64_t na);

/* A context trusting ca.crt and presenting name.crt (name may be NULL). */
tether_status fx_ctx(fx *f, const char *ca, const char *name,
		     const char *expected, bool require_client_cert,
		     tt_tls_ctx **out);

/* Moves bytes both ways (chunks of random size from a fixed seed when
 * random is true) until nothing moves or max_rounds. Returns rounds. */
int fx_pump(tt_tls *a, tt_tls *b, bool random, unsigned *seed, int max_rounds);

#endif /* TLS_FIXTURE_H */
