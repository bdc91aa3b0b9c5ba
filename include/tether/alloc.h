/* SPDX-License-Identifier: MIT */
/*
 * tether/alloc.h - the one allocator of tether (STYLE 9).
 *
 * Every byte tether allocates goes through these hooks: applications may
 * replace them (before any other tether call) to account for memory or to
 * inject failures. Frees are sized. tether never aborts on allocation
 * failure: it returns TETHER_E_NOMEM.
 */
#ifndef TETHER_ALLOC_H
#define TETHER_ALLOC_H

#include <stddef.h>
#include <tether/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_allocator {
	/* Returns n bytes (n > 0) or NULL. */
	void *(*alloc)(size_t n, void *ud);
	/* Resizes p (of old_n bytes) to new_n > 0 bytes; NULL leaves p as it
	 * was. p may be NULL with old_n 0. */
	void *(*realloc)(void *p, size_t old_n, size_t new_n, void *ud);
	/* Frees p of n bytes; p may be NULL. */
	void (*free)(void *p, size_t n, void *ud);
	void *ud;
} tether_allocator;

/* Installs a (copied) allocator; NULL restores the default (libc). Not
 * thread-safe: call it before tether allocates anything. */
TETHER_API void tether_set_allocator(const tether_allocator *a);

/* Library version string, e.g. "0.1.0". */
TETHER_API const char *tether_version(void);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_ALLOC_H */
