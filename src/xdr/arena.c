/* SPDX-License-Identifier: MIT */
/*
 * arena.c - the decode arena: a chain of blocks with a hard byte budget
 * (STYLE 10). Every decoded pointer lives here; one reset frees them all.
 */
#include <stddef.h>
#include <string.h>

#include <tether/xdr.h>

#include "common/tt.h"

/* Everything handed out is aligned for any type. */
#define ARENA_ALIGN ((size_t) _Alignof(max_align_t))
/* Usable bytes of a regular block. */
#define ARENA_BLOCK 4096u
/* A request larger than this gets a block of its own, so that a regular
 * block never wastes more than a quarter of itself on a tail. */
#define ARENA_BIG (ARENA_BLOCK / 4u)

typedef struct arena_block {
	struct arena_block *next;
	size_t size; /* usable bytes after the header */
	size_t used; /* bytes handed out from this block */
} arena_block;

/* What a block costs beyond its usable bytes: the header and room to
 * align the data, since a replaced allocator (tether_set_allocator) need
 * not return memory aligned for max_align_t. */
#define ARENA_HDR (sizeof(arena_block) + ARENA_ALIGN - 1)

struct tether_arena {
	arena_block *head; /* regular blocks, the current one first */
	arena_block *big;  /* blocks of one big request each */
	size_t budget;
	/* Bytes handed out, each request rounded up to ARENA_ALIGN. */
	size_t used;
	tether_status err;
};

/* Sentinel for zero-byte requests: not NULL, never written through. */
static max_align_t arena_empty;

tether_status tether_arena_new(size_t budget, tether_arena **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	tether_arena *a = tt_alloc(sizeof(*a));
	if (a == NULL)
		return TETHER_E_NOMEM;
	a->head = NULL;
	a->big = NULL;
	a->budget = budget;
	a->used = 0;
	a->err = TETHER_OK;
	*out = a;
	return TETHER_OK;
}

static uint8_t *block_data(arena_block *b)
{
	uint8_t *p = (uint8_t *)(b + 1);
	size_t mis = (size_t)((uintptr_t)p & (ARENA_ALIGN - 1));
	return mis == 0 ? p : p + (ARENA_ALIGN - mis);
}

static void block_free(arena_block *b)
{
	tt_free(b, ARENA_HDR + b->size);
}

static arena_block *block_new(size_t size)
{
	if (size > SIZE_MAX - ARENA_HDR)
		return NULL;
	arena_block *b = tt_alloc(ARENA_HDR + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/* Size of a new regular block: ARENA_BLOCK, or less when the budget left is
 * smaller, so a tiny budget never costs a full block. */
static size_t regular_size(const tether_arena *a, size_t need)
{
	size_t left = a->budget - a->used; /* caller checked used <= budget */
	size_t size = left < ARENA_BLOCK ? left : ARENA_BLOCK;
	return size < need ? need : size;
}

/* Takes need bytes from a block (new if needed). NULL only on NOMEM. */
static void *arena_take(tether_arena *a, size_t need)
{
	arena_block *h = a->head;
	if (h != NULL && need <= h->size - h->used) {
		void *p = block_data(h) + h->used;
		h->used += need;
		return p;
	}
	int big = need > ARENA_BIG;
	arena_block *b = block_new(big ? need : regular_size(a, need));
	if (b == NULL)
		return NULL;
	b->used = need;
	/* A big request does not retire the current regular block: the
	 * small requests that follow still fill it. */
	arena_block **list = big ? &a->big : &a->head;
	b->next = *list;
	*list = b;
	return block_data(b);
}

void *tether_arena_alloc(tether_arena *a, size_t n)
{
	if (a == NULL)
		return NULL;
	if (n == 0)
		return &arena_empty;
	if (n > SIZE_MAX - (ARENA_ALIGN - 1)) {
		a->err = TETHER_E_BUDGET;
		return NULL;
	}
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	/* Compare against what remains; used may exceed a lowered budget. */
	if (a->used > a->budget || need > a->budget - a->used) {
		a->err = TETHER_E_BUDGET;
		return NULL;
	}
	void *p = arena_take(a, need);
	if (p == NULL) {
		a->err = TETHER_E_NOMEM;
		return NULL;
	}
	a->used += need;
	memset(p, 0, n);
	return p;
}

tether_status tether_arena_error(const tether_arena *a)
{
	return a == NULL ? TETHER_E_INVAL : a->err;
}

static void chain_free(arena_block *b)
{
	while (b != NULL) {
		arena_block *next = b->next;
		block_free(b);
		b = next;
	}
}

void tether_arena_reset(tether_arena *a)
{
	if (a == NULL)
		return;
	chain_free(a->big);
	a->big = NULL;
	/* Keep the current regular block (the most recent, so sized for the
	 * present budget) for reuse. */
	if (a->head != NULL) {
		chain_free(a->head->next);
		a->head->next = NULL;
		a->head->used = 0;
	}
	a->used = 0;
	a->err = TETHER_OK;
}

void tether_arena_free(tether_arena *a)
{
	if (a == NULL)
		return;
	chain_free(a->big);
	chain_free(a->head);
	tt_free(a, sizeof(*a));
}

size_t tether_arena_used(const tether_arena *a)
{
	return a == NULL ? 0 : a->used;
}

size_t tether_arena_budget(const tether_arena *a)
{
	return a == NULL ? 0 : a->budget;
}

void tether_arena_set_budget(tether_arena *a, size_t budget)
{
	if (a != NULL)
		a->budget = budget;
}
