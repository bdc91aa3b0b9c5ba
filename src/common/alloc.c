/* SPDX-License-Identifier: MIT */
/* alloc.c - the replaceable, sized allocator every tether byte comes from. */
#include <stdlib.h>
#include <string.h>

#include "tt.h"

static void *libc_alloc(size_t n, void *ud)
{
	(void)ud;
	return malloc(n);
}

static void *libc_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	(void)old_n;
	return realloc(p, new_n);
}

static void libc_free(void *p, size_t n, void *ud)
{
	(void)ud;
	(void)n;
	free(p);
}

static tether_allocator g_alloc = {libc_alloc, libc_realloc, libc_free, NULL};

void tether_set_allocator(const tether_allocator *a)
{
	if (a == NULL || a->alloc == NULL || a->realloc == NULL ||
	    a->free == NULL) {
		g_alloc = (tether_allocator){libc_alloc, libc_realloc,
					     libc_free, NULL};
		return;
	}
	g_alloc = *a;
}

const char *tether_version(void)
{
	return TETHER_VERSION_STRING;
}

void *tt_alloc(size_t n)
{
	return g_alloc.alloc(n ? n : 1, g_alloc.ud);
}

void *tt_calloc(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	size_t n = count * size;
	void *p = tt_alloc(n);
	if (p != NULL && n != 0)
		memset(p, 0, n);
	return p;
}

void *tt_realloc(void *p, size_t old_n, size_t new_n)
{
	if (p == NULL)
		return tt_alloc(new_n);
	return g_alloc.realloc(p, old_n, new_n ? new_n : 1, g_alloc.ud);
}

void tt_free(void *p, size_t n)
{
	if (p != NULL)
		g_alloc.free(p, n, g_alloc.ud);
}

int tt_ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= (unsigned char)(x[i] ^ y[i]);
	return acc;
}

void tt_memzero(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}
