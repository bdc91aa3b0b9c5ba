/* SPDX-License-Identifier: MIT */
/* tt.h - internal helpers shared by every layer: the allocator and macros. */
#ifndef TT_H
#define TT_H

#include <stddef.h>
#include <stdint.h>
#include <tether/alloc.h>
#include <tether/status.h>

/* The one allocator (tether_set_allocator). Sized frees. */
void *tt_alloc(size_t n);
void *tt_calloc(size_t count, size_t size); /* overflow-checked, zeroed */
void *tt_realloc(void *p, size_t old_n, size_t new_n);
void tt_free(void *p, size_t n);

#define TT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TT_UNUSED(x) ((void)(x))

/* Propagate a non-OK status. */
#define TT_TRY(expr)                                                           \
	do {                                                                   \
		tether_status tt__st = (expr);                                 \
		if (tt__st != TETHER_OK)                                       \
			return tt__st;                                         \
	} while (0)

/* Constant-time comparison of n bytes: 0 if equal (STYLE 24). */
int tt_ct_memcmp(const void *a, const void *b, size_t n);
/* Zeroes n bytes in a way the compiler may not elide (STYLE 24). */
void tt_memzero(void *p, size_t n);

#endif /* TT_H */
