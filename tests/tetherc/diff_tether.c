/* SPDX-License-Identifier: MIT */
/*
 * diff_tether.c - the tether side of the differential test. For every
 * type of one .x file (found through its generated tether_idl_desc), makes
 * random values from the descriptor tables, and checks that
 *   tether encodes -> rpcgen decodes and re-encodes the same bytes,
 *   tether decodes rpcgen's bytes -> a value equal to the original
 *   (descriptor-driven deep compare) that re-encodes to the same bytes.
 * Seeded (TETHERC_DIFF_SEED, else the time); the seed is printed.
 * Build with -DTC_IDL=<base>_idl.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tether/call.h>
#include <tether/desc.h>
#include <tether/xdr.h>

#include "diff_side.h"

extern const tether_idl_desc TC_IDL;

/* The runtime is not needed: only codecs and descriptors run here. Weak
 * definitions satisfy the stubs' references when the runtime is absent. */
#include "weak_runtime.h"

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static const tether_type_desc *resolve(const tether_type_desc *t)
{
	while (t->kind == TETHER_T_TYPEDEF)
		t = t->elem;
	return t;
}

static void *alloc(tether_arena *a, size_t n)
{
	void *p = tether_arena_alloc(a, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "arena exhausted\n");
		exit(2);
	}
	return p;
}

static void put_int(void *p, size_t size, int64_t v)
{
	if (size == 1) {
		int8_t x = (int8_t)v;
		memcpy(p, &x, 1);
	} else if (size == 2) {
		int16_t x = (int16_t)v;
		memcpy(p, &x, 2);
	} else if (size == 4) {
		int32_t x = (int32_t)v;
		memcpy(p, &x, 4);
	} else {
		memcpy(p, &v, 8);
	}
}

static int64_t get_int(const void *p, size_t size)
{
	int8_t a;
	int16_t b;
	int32_t c;
	int64_t d;
	switch (size) {
	case 1:
		memcpy(&a, p, 1);
		return a;
	case 2:
		memcpy(&b, p, 2);
		return b;
	case 4:
		memcpy(&c, p, 4);
		return c;
	default:
		memcpy(&d, p, 8);
		return d;
	}
}

static void make(const tether_type_desc *t, void *p, tether_arena *a,
		 unsigned depth);

static void make_small_int(const tether_type_desc *t, void *p)
{
	int64_t v = (int32_t)rnd();
	if (t->size == 1)
		v = t->kind == TETHER_T_INT ? (int8_t)v : (uint8_t)v;
	else if (t->size == 2)
		v = t->kind == TETHER_T_INT ? (int16_t)v : (uint16_t)v;
	put_int(p, t->size, v);
}

static void make_string(const tether_type_desc *t, void *p, tether_arena *a)
{
	uint32_t max = t->bound < 12 ? t->bound : 12;
	uint32_t n = rnd_below(max + 1);
	char *s = alloc(a, n + 1);
	for (uint32_t i = 0; i < n; i++)
		s[i] = (char)('a' + rnd_below(26));
	memcpy(p, &s, sizeof(s));
}

static void make_opaque(const tether_type_desc *t, void *p, tether_arena *a)
{
	uint32_t max = t->bound < 12 ? t->bound : 12;
	uint32_t n = rnd_below(max + 1);
	char *v = n ? alloc(a, n) : NULL;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (char)rnd();
	memcpy((char *)p + t->len_offset, &n, 4);
	memcpy((char *)p + t->val_offset, &v, sizeof(v));
}

static void make_varray(const tether_type_desc *t, void *p, tether_arena *a,
			unsigned depth)
{
	uint32_t max = depth > 3 ? 0 : (t->bound < 3 ? t->bound : 3);
	uint32_t n = rnd_below(max + 1);
	char *v = n ? alloc(a, (size_t)n * t->elem->size) : NULL;
	for (uint32_t i = 0; i < n; i++)
		make(t->elem, v + (size_t)i * t->elem->size, a, depth + 1);
	memcpy((char *)p + t->len_offset, &n, 4);
	memcpy((char *)p + t->val_offset, &v, sizeof(v));
}

static void make_optional(const tether_type_desc *t, void *p, tether_arena *a,
			  unsigned depth)
{
	void *v = NULL;
	if (depth < 4 && rnd_below(2)) {
		v = alloc(a, t->elem->size);
		make(t->elem, v, a, depth + 1);
	}
	memcpy(p, &v, sizeof(v));
}

static bool has_label(const tether_type_desc *t, int32_t v)
{
	for (size_t i = 0; i < t->narms; i++)
		if (t->arms[i].value == v)
			return true;
	return false;
}

/* A discriminant for the default arm: a value with no arm, or false. */
static bool default_value(const tether_type_desc *dt, const tether_type_desc *u,
			  int32_t *out)
{
	if (dt->kind == TETHER_T_ENUM) {
		for (size_t i = 0; i < dt->nvalues; i++) {
			if (!has_label(u, dt->values[i].value)) {
				*out = dt->values[i].value;
				return true;
			}
		}
		return false;
	}
	if (dt->kind == TETHER_T_BOOL) {
		for (int32_t v = 0; v < 2; v++)
			if (!has_label(u, v))
				return *out = v, true;
		return false;
	}
	for (int tries = 0; tries < 100; tries++) {
		int32_t v = (int32_t)rnd_below(1000);
		if (!has_label(u, v))
			return *out = v, true;
	}
	return false;
}

static void put_disc(const tether_type_desc *dt, void *p, int32_t v)
{
	if (dt->kind == TETHER_T_BOOL) {
		bool b = v != 0;
		memcpy(p, &b, sizeof(b));
	} else {
		put_int(p, dt->size, v);
	}
}

static void make_union(const tether_type_desc *t, void *p, tether_arena *a,
		       unsigned depth)
{
	const tether_type_desc *dt = resolve(t->fields[0].type);
	void *dp = (char *)p + t->fields[0].offset;
	int32_t dv;
	size_t pick = rnd_below((uint32_t)t->narms + (t->default_arm ? 1 : 0));
	if (pick == t->narms && default_value(dt, t, &dv)) {
		put_disc(dt, dp, dv);
		make(t->default_arm->type, (char *)p + t->union_offset, a,
		     depth + 1);
		return;
	}
	pick = pick % t->narms;
	put_disc(dt, dp, t->arms[pick].value);
	make(t->arms[pick].type, (char *)p + t->union_offset, a, depth + 1);
}

static void make(const tether_type_desc *t, void *p, tether_arena *a,
		 unsigned depth)
{
	switch (t->kind) {
	case TETHER_T_VOID:
		break;
	case TETHER_T_INT:
	case TETHER_T_UINT:
		make_small_int(t, p);
		break;
	case TETHER_T_ENUM:
		put_int(p, t->size,
			t->values[rnd_below((uint32_t)t->nvalues)].value);
		break;
	case TETHER_T_BOOL: {
		bool b = rnd_below(2);
		memcpy(p, &b, sizeof(b));
		break;
	}
	case TETHER_T_HYPER:
	case TETHER_T_UHYPER:
		put_int(p, 8, (int64_t)((uint64_t)rnd() << 32 | rnd()));
		break;
	case TETHER_T_FLOAT: {
		float f = (float)(int32_t)rnd() / 1024.0f;
		memcpy(p, &f, sizeof(f));
		break;
	}
	case TETHER_T_DOUBLE: {
		double f = (double)(int32_t)rnd() / 3.0;
		memcpy(p, &f, sizeof(f));
		break;
	}
	case TETHER_T_QUAD:
	case TETHER_T_FOPAQUE:
		for (size_t i = 0; i < t->size; i++)
			((uint8_t *)p)[i] = (uint8_t)rnd();
		break;
	case TETHER_T_OPAQUE:
		make_opaque(t, p, a);
		break;
	case TETHER_T_STRING:
		make_string(t, p, a);
		break;
	case TETHER_T_FARRAY:
		for (uint32_t i = 0; i < t->bound; i++)
			make(t->elem, (char *)p + (size_t)i * t->elem->size, a,
			     depth + 1);
		break;
	case TETHER_T_VARRAY:
		make_varray(t, p, a, depth);
		break;
	case TETHER_T_OPTIONAL:
		make_optional(t, p, a, depth);
		break;
	case TETHER_T_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			make(t->fields[i].type, (char *)p + t->fields[i].offset,
			     a, depth + 1);
		break;
	case TETHER_T_UNION:
		make_union(t, p, a, depth);
		break;
	case TETHER_T_TYPEDEF:
		make(t->elem, p, a, depth);
		break;
	}
}

/* ---- deep equality through the descriptors ----------------------------------
 */

static bool equal(const tether_type_desc *t, const void *x, const void *y);

static bool equal_ptrs(const tether_type_desc *t, const void *x, const void *y)
{
	const char *a, *b;
	uint32_t na, nb;
	memcpy(&a, (const char *)x + t->val_offset, sizeof(a));
	memcpy(&b, (const char *)y + t->val_offset, sizeof(b));
	memcpy(&na, (const char *)x + t->len_offset, 4);
	memcpy(&nb, (const char *)y + t->len_offset, 4);
	if (na != nb)
		return false;
	if (t->kind == TETHER_T_OPAQUE)
		return na == 0 || memcmp(a, b, na) == 0;
	for (uint32_t i = 0; i < na; i++)
		if (!equal(t->elem, a + (size_t)i * t->elem->size,
			   b + (size_t)i * t->elem->size))
			return false;
	return true;
}

static bool equal_union(const tether_type_desc *t, const void *x, const void *y)
{
	const tether_type_desc *dt = t->fields[0].type;
	size_t off = t->fields[0].offset;
	if (!equal(dt, (const char *)x + off, (const char *)y + off))
		return false;
	dt = resolve(dt);
	int32_t v = dt->kind == TETHER_T_BOOL
			? *((const bool *)((const char *)x + off))
			: (int32_t)get_int((const char *)x + off, dt->size);
	const tether_type_desc *arm =
	    t->default_arm ? t->default_arm->type : NULL;
	for (size_t i = 0; i < t->narms; i++)
		if (t->arms[i].value == v)
			arm = t->arms[i].type;
	return arm == NULL || equal(arm, (const char *)x + t->union_offset,
				    (const char *)y + t->union_offset);
}

static bool equal(const tether_type_desc *t, const void *x, const void *y)
{
	switch (t->kind) {
	case TETHER_T_VOID:
		return true;
	case TETHER_T_BOOL:
		return *(const bool *)x == *(const bool *)y;
	case TETHER_T_STRING: {
		const char *a, *b;
		memcpy(&a, x, sizeof(a));
		memcpy(&b, y, sizeof(b));
		return strcmp(a ? a : "", b ? b : "") == 0;
	}
	case TETHER_T_OPAQUE:
	case TETHER_T_VARRAY:
		return equal_ptrs(t, x, y);
	case TETHER_T_OPTIONAL: {
		const void *a, *b;
		memcpy(&a, x, sizeof(a));
		memcpy(&b, y, sizeof(b));
		if (a == NULL || b == NULL)
			return a == b;
		return equal(t->elem, a, b);
	}
	case TETHER_T_FARRAY:
		for (uint32_t i = 0; i < t->bound; i++)
			if (!equal(t->elem,
				   (const char *)x + (size_t)i * t->elem->size,
				   (const char *)y + (size_t)i * t->elem->size))
				return false;
		return true;
	case TETHER_T_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			if (!equal(t->fields[i].type,
				   (const char *)x + t->fields[i].offset,
				   (const char *)y + t->fields[i].offset))
				return false;
		return true;
	case TETHER_T_UNION:
		return equal_union(t, x, y);
	case TETHER_T_TYPEDEF:
		return equal(t->elem, x, y);
	default:
		return memcmp(x, y, t->size) == 0;
	}
}

/* ---- the test
 * ------------------------------------------------------------------- */

#define BUF (1u << 20)

static int check_type(const tether_type_desc *t, tether_arena *a, uint8_t *b1,
		      uint8_t *b2, uint8_t *b3)
{
	tether_arena_reset(a);
	void *v = alloc(a, t->size);
	make(t, v, a, 0);
	tether_enc e;
	tether_enc_init_fixed(&e, b1, BUF);
	tether_status st = t->encode(&e, v);
	if (st != TETHER_OK) {
		fprintf(stderr, "%s: tether encode: %s\n", t->name,
			tether_status_name(st));
		return 1;
	}
	size_t n2 = 0;
	int r = rp_roundtrip(t->name, b1, e.len, b2, BUF, &n2);
	if (r != 0 || n2 != e.len || memcmp(b1, b2, n2) != 0) {
		fprintf(
		    stderr,
		    "%s: rpcgen round trip differs (r=%d, %zu vs %zu bytes)\n",
		    t->name, r, e.len, n2);
		return 1;
	}
	void *w = alloc(a, t->size);
	tether_dec d;
	tether_dec_init(&d, b2, n2, a);
	st = t->decode(&d, w);
	if (st != TETHER_OK || d.left != 0) {
		fprintf(stderr, "%s: tether decode of rpcgen bytes: %s\n",
			t->name, tether_status_name(st));
		return 1;
	}
	if (!equal(t, v, w)) {
		fprintf(stderr, "%s: decoded value differs\n", t->name);
		return 1;
	}
	tether_enc_init_fixed(&e, b3, BUF);
	st = t->encode(&e, w);
	if (st != TETHER_OK || e.len != n2 || memcmp(b3, b2, n2) != 0) {
		fprintf(stderr, "%s: re-encoding differs\n", t->name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("TETHERC_DIFF_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
	rng = seed * 2654435761u + 1;
	printf("%s: seed %llu (set TETHERC_DIFF_SEED to repeat)\n", TC_IDL.file,
	       (unsigned long long)seed);
	uint8_t *b1 = malloc(BUF), *b2 = malloc(BUF), *b3 = malloc(BUF);
	tether_arena *a = NULL;
	if (!b1 || !b2 || !b3 || tether_arena_new(64u << 20, &a) != TETHER_OK)
		return 2;
	int fails = 0;
	size_t tested = 0;
	for (size_t i = 0; i < TC_IDL.ntypes; i++) {
		const tether_type_desc *t = TC_IDL.types[i];
		if (!rp_have(t->name)) {
			printf("  %s: no rpcgen counterpart (skipped)\n",
			       t->name);
			continue;
		}
		tested++;
		for (unsigned k = 0; k < rounds && fails < 10; k++)
			fails += check_type(t, a, b1, b2, b3);
	}
	printf("%s: %zu types x %u values, %d failures\n", TC_IDL.file, tested,
	       rounds, fails);
	if (fails)
		printf("FAILED with seed %llu\n", (unsigned long long)seed);
	tether_arena_free(a);
	free(b1);
	free(b2);
	free(b3);
	return fails || tested == 0 ? 1 : 0;
}
