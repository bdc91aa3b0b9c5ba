/* SPDX-License-Identifier: MIT */
/*
 * test_xdr_tirpc.c - differential test of tether's XDR codec against
 * libtirpc's xdrmem: for every XDR type, random values (seeded PRNG plus
 * edge values) must encode to identical bytes on both sides, and each
 * side's bytes must decode with the other back to the same value.
 *
 * TETHER_SEED=<n> replays a seed; TETHER_XDR_ITERS=<n> changes the count
 * of values per type (default 100000). The seed is printed on failure.
 */
#define _DEFAULT_SOURCE /* quad_t, u_int in <rpc/xdr.h> */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rpc/types.h>
#include <rpc/xdr.h>

#include <tether/xdr.h>

/* libtirpc's procedures take different pointer types; the classic cast
 * goes through void (*)(void) so the compiler knows it is deliberate. */
#define XPROC(f) ((xdrproc_t)(void (*)(void))(f))

/* ---- PRNG: splitmix64 ------------------------------------------------ */

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

/* One time in four an edge value from the table, else random bits. */
static uint64_t gen_bits(rng *r, unsigned i, const uint64_t *edge, size_t nedge)
{
	if (i < nedge)
		return edge[i];
	if (rng_below(r, 4) == 0)
		return edge[rng_below(r, (uint32_t)nedge)];
	return rng_next(r);
}

#define GEN(r, i, tab) gen_bits((r), (i), (tab), sizeof(tab) / sizeof((tab)[0]))

static const uint64_t edge32[] = {
    0, 1, 0xffffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 2, 0x7ffffffeu};
static const uint64_t edge64[] = {0,
				  1,
				  UINT64_MAX,
				  INT64_MAX,
				  (uint64_t)INT64_MIN,
				  0xffffffffu,
				  0x100000000u,
				  0x80000000u};
/* Zeros, infinities, quiet and signalling NaNs with payloads, subnormals. */
static const uint64_t edgef32[] = {0,		0x80000000u, 0x7f800000u,
				   0xff800000u, 0x7fc00000u, 0xffc00001u,
				   0x7f800001u, 0x7fbfffffu, 0x00000001u,
				   0x3f800000u, 0x7f7fffffu};
static const uint64_t edgef64[] = {0,
				   0x8000000000000000u,
				   0x7ff0000000000000u,
				   0xfff0000000000000u,
				   0x7ff8000000000000u,
				   0xfff8000000000001u,
				   0x7ff0000000000001u,
				   0x7ff7ffffffffffffu,
				   1,
				   0x3ff0000000000000u};

/* Lengths 0..5, at the bound, one under it, else random in [0, max]. */
static uint32_t gen_len(rng *r, unsigned i, uint32_t max)
{
	uint32_t pick = i < 8 ? i : rng_below(r, 10);
	if (pick <= 5)
		return pick <= max ? pick : max;
	if (pick == 6)
		return max;
	if (pick == 7)
		return max - 1;
	return rng_below(r, max + 1);
}

/* ---- the cases ------------------------------------------------------- */

typedef struct tcase {
	const char *name;
	size_t size; /* of the value struct */
	void (*gen)(rng *r, void *v, unsigned i);
	void (*prep)(void *v); /* point buffers before a libtirpc decode */
	tether_status (*tenc)(tether_enc *e, void *v);
	tether_status (*tdec)(tether_dec *d, void *v);
	bool_t (*tx)(XDR *x, void *v);
	bool (*eq)(const void *a, const void *b);
} tcase;

/* Scalars: one struct holding each kind, compared bit by bit. */
typedef struct vscalar {
	union {
		int32_t i;
		u_int u;
		enum_t en;
		bool_t b;
		quad_t h;
		u_quad_t uh;
		float f;
		double d;
	} x;
} vscalar;

static bool eq_i32(const void *a, const void *b)
{
	return memcmp(a, b, 4) == 0;
}

static bool eq_i64(const void *a, const void *b)
{
	return memcmp(a, b, 8) == 0;
}

#define SCALAR(NAME, FIELD, BITS, EDGE, CONV, TENC, TDEC, TIRPC, EQ)           \
	static void gen_##NAME(rng *r, void *v, unsigned i)                    \
	{                                                                      \
		vscalar *s = v;                                                \
		uint##BITS##_t bits = (uint##BITS##_t)CONV(GEN(r, i, EDGE));   \
		memcpy(&s->x.FIELD, &bits, sizeof(bits));                      \
	}                                                                      \
	static tether_status tenc_##NAME(tether_enc *e, void *v)               \
	{                                                                      \
		return TENC(e, ((vscalar *)v)->x.FIELD);                       \
	}                                                                      \
	static tether_status tdec_##NAME(tether_dec *d, void *v)               \
	{                                                                      \
		return TDEC(d, (void *)&((vscalar *)v)->x.FIELD);              \
	}                                                                      \
	static bool_t tx_##NAME(XDR *x, void *v)                               \
	{                                                                      \
		return TIRPC(x, &((vscalar *)v)->x.FIELD);                     \
	}

#define ID(x) (x)
#define AS_BOOL(x) ((x)&1)

/* Thin adapters so every tether decoder takes a void *. */
static tether_status dec_int_v(tether_dec *d, void *p)
{
	return tether_dec_int(d, p);
}
static tether_status dec_uint_v(tether_dec *d, void *p)
{
	return tether_dec_uint(d, p);
}
static tether_status dec_enum_v(tether_dec *d, void *p)
{
	return tether_dec_enum(d, p);
}
static tether_status dec_bool_v(tether_dec *d, void *p)
{
	bool b;
	tether_status st = tether_dec_bool(d, &b);
	if (st == TETHER_OK)
		*(bool_t *)p = b ? 1 : 0;
	return st;
}
static tether_status dec_hyper_v(tether_dec *d, void *p)
{
	int64_t h;
	tether_status st = tether_dec_hyper(d, &h);
	if (st == TETHER_OK)
		*(quad_t *)p = h;
	return st;
}
static tether_status dec_uhyper_v(tether_dec *d, void *p)
{
	uint64_t h;
	tether_status st = tether_dec_uhyper(d, &h);
	if (st == TETHER_OK)
		*(u_quad_t *)p = h;
	return st;
}
static tether_status dec_float_v(tether_dec *d, void *p)
{
	return tether_dec_float(d, p);
}
static tether_status dec_double_v(tether_dec *d, void *p)
{
	return tether_dec_double(d, p);
}

SCALAR(int, i, 32, edge32, ID, tether_enc_int, dec_int_v, xdr_int, eq_i32)
SCALAR(uint, u, 32, edge32, ID, tether_enc_uint, dec_uint_v, xdr_u_int, eq_i32)
SCALAR(enum, en, 32, edge32, ID, tether_enc_enum, dec_enum_v, xdr_enum, eq_i32)
SCALAR(bool, b, 32, edge32, AS_BOOL, tether_enc_bool, dec_bool_v, xdr_bool,
       eq_i32)
SCALAR(hyper, h, 64, edge64, ID, tether_enc_hyper, dec_hyper_v, xdr_hyper,
       eq_i64)
SCALAR(uhyper, uh, 64, edge64, ID, tether_enc_uhyper, dec_uhyper_v, xdr_u_hyper,
       eq_i64)
SCALAR(float, f, 32, edgef32, ID, tether_enc_float, dec_float_v, xdr_float,
       eq_i32)
SCALAR(double, d, 64, edgef64, ID, tether_enc_double, dec_double_v, xdr_double,
       eq_i64)

/* Fixed-length opaque[FO_N] (RFC 4506 §4.9); FO_N needs padding. */
#define FO_N 13
typedef struct vfopaque {
	uint8_t b[FO_N];
} vfopaque;

static void gen_fopaque(rng *r, void *v, unsigned i)
{
	vfopaque *o = v;
	for (size_t k = 0; k < FO_N; k++)
		o->b[k] = i == 0 ? 0 : (uint8_t)rng_next(r);
}
static tether_status tenc_fopaque(tether_enc *e, void *v)
{
	return tether_enc_fopaque(e, ((vfopaque *)v)->b, FO_N);
}
static tether_status tdec_fopaque(tether_dec *d, void *v)
{
	return tether_dec_fopaque(d, ((vfopaque *)v)->b, FO_N);
}
static bool_t tx_fopaque(XDR *x, void *v)
{
	return xdr_opaque(x, (char *)((vfopaque *)v)->b, FO_N);
}
static bool eq_fopaque(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(vfopaque)) == 0;
}

/* Quadruple (RFC 4506 §4.8): libtirpc has none; it must be the same bytes
 * as opaque[16]. */
static void gen_quad(rng *r, void *v, unsigned i)
{
	tether_quad *q = v;
	for (size_t k = 0; k < 16; k++)
		q->b[k] = i == 0 ? 0 : (uint8_t)rng_next(r);
}
static tether_status tenc_quad(tether_enc *e, void *v)
{
	return tether_enc_quad(e, v);
}
static tether_status tdec_quad(tether_dec *d, void *v)
{
	return tether_dec_quad(d, v);
}
static bool_t tx_quad(XDR *x, void *v)
{
	return xdr_opaque(x, (char *)((tether_quad *)v)->b, 16);
}
static bool eq_quad(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(tether_quad)) == 0;
}

/* Variable-length opaque<OP_MAX> (RFC 4506 §4.10). */
#define OP_MAX 64
typedef struct vopaque {
	u_int n;
	char *p;
	char buf[OP_MAX];
} vopaque;

static void gen_opaque_into(rng *r, vopaque *o, unsigned i, u_int max)
{
	o->n = gen_len(r, i, max);
	o->p = o->buf;
	for (u_int k = 0; k < o->n; k++)
		o->buf[k] = (char)rng_next(r);
}
static void gen_opaque(rng *r, void *v, unsigned i)
{
	gen_opaque_into(r, v, i, OP_MAX);
}
static void prep_opaque(void *v)
{
	((vopaque *)v)->p = ((vopaque *)v)->buf;
}
static tether_status tenc_opaque_max(tether_enc *e, vopaque *o, u_int max)
{
	return tether_enc_opaque(e, o->p, o->n, max);
}
static tether_status tdec_opaque_max(tether_dec *d, vopaque *o, u_int max)
{
	uint8_t *p;
	uint32_t n;
	tether_status st = tether_dec_opaque(d, &p, &n, max);
	if (st == TETHER_OK) {
		o->p = (char *)p;
		o->n = n;
	}
	return st;
}
static tether_status tenc_opaque(tether_enc *e, void *v)
{
	return tenc_opaque_max(e, v, OP_MAX);
}
static tether_status tdec_opaque(tether_dec *d, void *v)
{
	return tdec_opaque_max(d, v, OP_MAX);
}
static bool_t tx_opaque(XDR *x, void *v)
{
	vopaque *o = v;
	return xdr_bytes(x, &o->p, &o->n, OP_MAX);
}
static bool eq_opaque(const void *a, const void *b)
{
	const vopaque *x = a, *y = b;
	return x->n == y->n && (x->n == 0 || memcmp(x->p, y->p, x->n) == 0);
}

/* string<STR_MAX> (RFC 4506 §4.11): any bytes but NUL. */
#define STR_MAX 64
typedef struct vstring {
	char *s;
	char buf[STR_MAX + 1];
} vstring;

static void gen_string_into(rng *r, vstring *s, unsigned i, u_int max)
{
	u_int n = gen_len(r, i, max);
	for (u_int k = 0; k < n; k++)
		s->buf[k] = (char)(1 + rng_below(r, 255));
	s->buf[n] = 0;
	s->s = s->buf;
}
static void gen_string(rng *r, void *v, unsigned i)
{
	gen_string_into(r, v, i, STR_MAX);
}
static void prep_string(void *v)
{
	((vstring *)v)->s = ((vstring *)v)->buf;
}
static tether_status tenc_string(tether_enc *e, void *v)
{
	return tether_enc_string(e, ((vstring *)v)->s, STR_MAX);
}
static tether_status tdec_string(tether_dec *d, void *v)
{
	return tether_dec_string(d, &((vstring *)v)->s, STR_MAX);
}
static bool_t tx_string(XDR *x, void *v)
{
	return xdr_string(x, &((vstring *)v)->s, STR_MAX);
}
static bool eq_string(const void *a, const void *b)
{
	return strcmp(((const vstring *)a)->s, ((const vstring *)b)->s) == 0;
}

/* Fixed-length array int[FA_N] (RFC 4506 §4.12). */
#define FA_N 5
typedef struct vfarray {
	int a[FA_N];
} vfarray;

static void gen_farray(rng *r, void *v, unsigned i)
{
	for (unsigned k = 0; k < FA_N; k++)
		((vfarray *)v)->a[k] =
		    (int)(uint32_t)GEN(r, i * FA_N + k, edge32);
}
static tether_status tenc_farray(tether_enc *e, void *v)
{
	for (unsigned k = 0; k < FA_N; k++) {
		tether_status st = tether_enc_int(e, ((vfarray *)v)->a[k]);
		if (st != TETHER_OK)
			return st;
	}
	return TETHER_OK;
}
static tether_status tdec_farray(tether_dec *d, void *v)
{
	for (unsigned k = 0; k < FA_N; k++) {
		tether_status st = tether_dec_int(d, &((vfarray *)v)->a[k]);
		if (st != TETHER_OK)
			return st;
	}
	return TETHER_OK;
}
static bool_t tx_farray(XDR *x, void *v)
{
	return xdr_vector(x, (char *)((vfarray *)v)->a, FA_N, sizeof(int),
			  XPROC(xdr_int));
}
static bool eq_farray(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(vfarray)) == 0;
}

/* Variable-length array hyper<VA_MAX> (RFC 4506 §4.13). */
#define VA_MAX 16
typedef struct varray {
	u_int n;
	quad_t *p;
	quad_t buf[VA_MAX];
} varray;

static void gen_varray_into(rng *r, varray *a, unsigned i, u_int max)
{
	a->n = gen_len(r, i, max);
	a->p = a->buf;
	for (u_int k = 0; k < a->n; k++)
		a->buf[k] = (quad_t)GEN(r, i + k, edge64);
}
static void gen_varray(rng *r, void *v, unsigned i)
{
	gen_varray_into(r, v, i, VA_MAX);
}
static void prep_varray(void *v)
{
	((varray *)v)->p = ((varray *)v)->buf;
}
static tether_status tenc_varray_max(tether_enc *e, varray *a, u_int max)
{
	tether_status st = tether_enc_array_len(e, a->n, max);
	for (u_int k = 0; st == TETHER_OK && k < a->n; k++)
		st = tether_enc_hyper(e, a->p[k]);
	return st;
}
/* What generated code does: check the count, allocate, decode each. */
static tether_status tdec_varray_max(tether_dec *d, varray *a, u_int max)
{
	uint32_t n;
	void *mem;
	tether_status st = tether_dec_array_len(d, &n, max, 8);
	if (st == TETHER_OK)
		st = tether_dec_alloc(d, n, sizeof(quad_t), &mem);
	if (st != TETHER_OK)
		return st;
	quad_t *p = mem;
	for (u_int k = 0; st == TETHER_OK && k < n; k++) {
		int64_t h;
		st = tether_dec_hyper(d, &h);
		p[k] = h;
	}
	a->n = n;
	a->p = p;
	return st;
}
static tether_status tenc_varray(tether_enc *e, void *v)
{
	return tenc_varray_max(e, v, VA_MAX);
}
static tether_status tdec_varray(tether_dec *d, void *v)
{
	return tdec_varray_max(d, v, VA_MAX);
}
static bool_t tx_varray_max(XDR *x, varray *a, u_int max)
{
	return xdr_array(x, (char **)&a->p, &a->n, max, sizeof(quad_t),
			 XPROC(xdr_hyper));
}
static bool_t tx_varray(XDR *x, void *v)
{
	return tx_varray_max(x, v, VA_MAX);
}
static bool eq_varray(const void *a, const void *b)
{
	const varray *x = a, *y = b;
	return x->n == y->n &&
	       (x->n == 0 || memcmp(x->p, y->p, x->n * sizeof(quad_t)) == 0);
}

/* Optional-data `int *` (RFC 4506 §4.19), libtirpc's xdr_pointer. */
typedef struct voptional {
	int *p;
	int v;
} voptional;

static void gen_optional(rng *r, void *v, unsigned i)
{
	voptional *o = v;
	o->v = (int)(uint32_t)GEN(r, i, edge32);
	o->p = (i == 0 || rng_below(r, 2) == 0) ? NULL : &o->v;
}
static void prep_optional(void *v)
{
	((voptional *)v)->p = &((voptional *)v)->v;
}
static tether_status tenc_optional(tether_enc *e, void *v)
{
	voptional *o = v;
	tether_status st = tether_enc_optional(e, o->p != NULL);
	if (st == TETHER_OK && o->p != NULL)
		st = tether_enc_int(e, *o->p);
	return st;
}
static tether_status tdec_optional(tether_dec *d, void *v)
{
	voptional *o = v;
	bool present;
	tether_status st = tether_dec_optional(d, &present);
	if (st != TETHER_OK)
		return st;
	o->p = NULL;
	if (!present)
		return TETHER_OK;
	void *mem;
	st = tether_dec_alloc(d, 1, sizeof(int), &mem);
	if (st == TETHER_OK)
		st = tether_dec_int(d, mem);
	if (st == TETHER_OK)
		o->p = mem;
	return st;
}
static bool_t tx_optional(XDR *x, void *v)
{
	return xdr_pointer(x, (char **)&((voptional *)v)->p, sizeof(int),
			   XPROC(xdr_int));
}
static bool eq_optional(const void *a, const void *b)
{
	const voptional *x = a, *y = b;
	if ((x->p == NULL) != (y->p == NULL))
		return false;
	return x->p == NULL || *x->p == *y->p;
}

/* Discriminated union (RFC 4506 §4.15):
 *   union u switch (int disc) { case 1: int i; case 2: hyper h;
 *                               case 3: string s<16>; default: void; }; */
#define U_STR 16
typedef struct vunion {
	enum_t disc;
	union {
		int i;
		quad_t h;
		char *s;
	} u;
	char sbuf[U_STR + 1];
} vunion;

static bool_t xdr_str16(XDR *x, char **s)
{
	return xdr_string(x, s, U_STR);
}

static const struct xdr_discrim u_arms[] = {
    {1, XPROC(xdr_int)},
    {2, XPROC(xdr_hyper)},
    {3, XPROC(xdr_str16)},
    {__dontcare__, NULL_xdrproc_t},
};

static void gen_union(rng *r, void *v, unsigned i)
{
	vunion *u = v;
	static const uint64_t discs[] = {1, 2,		 3,	     0,
					 4, 0xffffffffu, 0x80000000u};
	u->disc = (enum_t)(uint32_t)GEN(r, i, discs);
	if (rng_below(r, 2))
		u->disc = (enum_t)(1 + rng_below(r, 3));
	switch (u->disc) {
	case 1:
		u->u.i = (int)(uint32_t)GEN(r, i, edge32);
		break;
	case 2:
		u->u.h = (quad_t)GEN(r, i, edge64);
		break;
	case 3: {
		vstring tmp;
		gen_string_into(r, &tmp, i, U_STR);
		memcpy(u->sbuf, tmp.buf, sizeof(u->sbuf));
		u->u.s = u->sbuf;
		break;
	}
	default:
		break;
	}
}
static void prep_union(void *v)
{
	((vunion *)v)->u.s = ((vunion *)v)->sbuf;
}
static tether_status tenc_union(tether_enc *e, void *v)
{
	vunion *u = v;
	tether_status st = tether_enc_int(e, u->disc);
	if (st != TETHER_OK)
		return st;
	switch (u->disc) {
	case 1:
		return tether_enc_int(e, u->u.i);
	case 2:
		return tether_enc_hyper(e, u->u.h);
	case 3:
		return tether_enc_string(e, u->u.s, U_STR);
	default:
		return TETHER_OK;
	}
}
static tether_status tdec_union(tether_dec *d, void *v)
{
	vunion *u = v;
	int32_t disc;
	int64_t h;
	tether_status st = tether_dec_int(d, &disc);
	if (st != TETHER_OK)
		return st;
	u->disc = disc;
	switch (disc) {
	case 1:
		return tether_dec_int(d, &u->u.i);
	case 2:
		st = tether_dec_hyper(d, &h);
		u->u.h = h;
		return st;
	case 3:
		return tether_dec_string(d, &u->u.s, U_STR);
	default:
		return TETHER_OK;
	}
}
static bool_t tx_union(XDR *x, void *v)
{
	vunion *u = v;
	return xdr_union(x, &u->disc, (char *)&u->u, u_arms, XPROC(xdr_void));
}
static bool eq_union(const void *a, const void *b)
{
	const vunion *x = a, *y = b;
	if (x->disc != y->disc)
		return false;
	switch (x->disc) {
	case 1:
		return x->u.i == y->u.i;
	case 2:
		return x->u.h == y->u.h;
	case 3:
		return strcmp(x->u.s, y->u.s) == 0;
	default:
		return true;
	}
}

/* A composite struct, as rpcgen would write it:
 *   struct comp { int a; unsigned hyper b; bool flag; float f;
 *                 string name<16>; opaque blob<8>; opaque fix[13];
 *                 hyper list<4>; int *opt; u un; double d; }; */
typedef struct vcomp {
	vscalar a, b, flag, f, d;
	vstring name;
	vopaque blob;
	vfopaque fix;
	varray list;
	voptional opt;
	vunion un;
} vcomp;

static void gen_comp(rng *r, void *v, unsigned i)
{
	vcomp *c = v;
	gen_int(r, &c->a, i);
	gen_uhyper(r, &c->b, i);
	gen_bool(r, &c->flag, i);
	gen_float(r, &c->f, i);
	gen_string_into(r, &c->name, i, 16);
	gen_opaque_into(r, &c->blob, i, 8);
	gen_fopaque(r, &c->fix, i);
	gen_varray_into(r, &c->list, i, 4);
	gen_optional(r, &c->opt, i);
	gen_union(r, &c->un, i);
	gen_double(r, &c->d, i);
}
static void prep_comp(void *v)
{
	vcomp *c = v;
	prep_string(&c->name);
	prep_opaque(&c->blob);
	prep_varray(&c->list);
	prep_optional(&c->opt);
	prep_union(&c->un);
}
static tether_status tenc_comp(tether_enc *e, void *v)
{
	vcomp *c = v;
	tether_status st = tenc_int(e, &c->a);
	if (st == TETHER_OK)
		st = tenc_uhyper(e, &c->b);
	if (st == TETHER_OK)
		st = tenc_bool(e, &c->flag);
	if (st == TETHER_OK)
		st = tenc_float(e, &c->f);
	if (st == TETHER_OK)
		st = tether_enc_string(e, c->name.s, 16);
	if (st == TETHER_OK)
		st = tenc_opaque_max(e, &c->blob, 8);
	if (st == TETHER_OK)
		st = tenc_fopaque(e, &c->fix);
	if (st == TETHER_OK)
		st = tenc_varray_max(e, &c->list, 4);
	if (st == TETHER_OK)
		st = tenc_optional(e, &c->opt);
	if (st == TETHER_OK)
		st = tenc_union(e, &c->un);
	if (st == TETHER_OK)
		st = tenc_double(e, &c->d);
	return st;
}
static tether_status tdec_comp(tether_dec *d, void *v)
{
	vcomp *c = v;
	tether_status st = tdec_int(d, &c->a);
	if (st == TETHER_OK)
		st = tdec_uhyper(d, &c->b);
	if (st == TETHER_OK)
		st = tdec_bool(d, &c->flag);
	if (st == TETHER_OK)
		st = tdec_float(d, &c->f);
	if (st == TETHER_OK)
		st = tether_dec_string(d, &c->name.s, 16);
	if (st == TETHER_OK)
		st = tdec_opaque_max(d, &c->blob, 8);
	if (st == TETHER_OK)
		st = tdec_fopaque(d, &c->fix);
	if (st == TETHER_OK)
		st = tdec_varray_max(d, &c->list, 4);
	if (st == TETHER_OK)
		st = tdec_optional(d, &c->opt);
	if (st == TETHER_OK)
		st = tdec_union(d, &c->un);
	if (st == TETHER_OK)
		st = tdec_double(d, &c->d);
	return st;
}
static bool_t tx_comp(XDR *x, void *v)
{
	vcomp *c = v;
	return tx_int(x, &c->a) && tx_uhyper(x, &c->b) &&
	       tx_bool(x, &c->flag) && tx_float(x, &c->f) &&
	       xdr_string(x, &c->name.s, 16) &&
	       xdr_bytes(x, &c->blob.p, &c->blob.n, 8) &&
	       tx_fopaque(x, &c->fix) && tx_varray_max(x, &c->list, 4) &&
	       tx_optional(x, &c->opt) && tx_union(x, &c->un) &&
	       tx_double(x, &c->d);
}
static bool eq_comp(const void *a, const void *b)
{
	const vcomp *x = a, *y = b;
	return eq_i32(&x->a, &y->a) && eq_i64(&x->b, &y->b) &&
	       eq_i32(&x->flag, &y->flag) && eq_i32(&x->f, &y->f) &&
	       eq_string(&x->name, &y->name) && eq_opaque(&x->blob, &y->blob) &&
	       eq_fopaque(&x->fix, &y->fix) && eq_varray(&x->list, &y->list) &&
	       eq_optional(&x->opt, &y->opt) && eq_union(&x->un, &y->un) &&
	       eq_i64(&x->d, &y->d);
}

#define SCASE(N, EQ)                                                           \
	{                                                                      \
#N, sizeof(vscalar), gen_##N, NULL, tenc_##N, tdec_##N,        \
		    tx_##N, EQ                                                 \
	}
#define CASE(N, T, PREP)                                                       \
	{                                                                      \
#N, sizeof(T), gen_##N, PREP, tenc_##N, tdec_##N, tx_##N,      \
		    eq_##N                                                     \
	}

static const tcase cases[] = {
    SCASE(int, eq_i32),
    SCASE(uint, eq_i32),
    SCASE(enum, eq_i32),
    SCASE(bool, eq_i32),
    SCASE(hyper, eq_i64),
    SCASE(uhyper, eq_i64),
    SCASE(float, eq_i32),
    SCASE(double, eq_i64),
    CASE(quad, tether_quad, NULL),
    CASE(fopaque, vfopaque, NULL),
    CASE(opaque, vopaque, prep_opaque),
    CASE(string, vstring, prep_string),
    CASE(farray, vfarray, NULL),
    CASE(varray, varray, prep_varray),
    CASE(optional, voptional, prep_optional),
    CASE(union, vunion, prep_union),
    CASE(comp, vcomp, prep_comp),
};

/* ---- the driver ------------------------------------------------------ */

static uint64_t g_seed;
static unsigned g_iters;

#define CHECK(cond, what)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg("%s: %s at value %u (TETHER_SEED=%llu)",      \
				 c->name, what, i,                             \
				 (unsigned long long)g_seed);                  \
	} while (0)

static void run_case(const tcase *c)
{
	/* Each type gets its own stream: the seed mixed with an FNV-1a hash
	 * of its name. */
	uint64_t h = 0xcbf29ce484222325u;
	for (const char *p = c->name; *p != 0; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3u;
	rng r = {g_seed ^ h};
	void *orig = test_calloc(1, c->size);
	void *from_t = test_calloc(1, c->size);
	void *from_x = test_calloc(1, c->size);
	tether_arena *a;
	assert_int_equal(tether_arena_new(64 * 1024, &a), TETHER_OK);
	static uint8_t tbuf[1024];
	static char xbuf[1024];
	for (unsigned i = 0; i < g_iters; i++) {
		memset(orig, 0, c->size);
		c->gen(&r, orig, i);
		tether_enc e;
		tether_enc_init_fixed(&e, tbuf, sizeof(tbuf));
		CHECK(c->tenc(&e, orig) == TETHER_OK, "tether encode failed");
		XDR x;
		xdrmem_create(&x, xbuf, sizeof(xbuf), XDR_ENCODE);
		CHECK(c->tx(&x, orig), "libtirpc encode failed");
		u_int xlen = xdr_getpos(&x);
		xdr_destroy(&x);
		CHECK(xlen == e.len, "encoded lengths differ");
		CHECK(memcmp(tbuf, xbuf, e.len) == 0, "encoded bytes differ");

		/* libtirpc's bytes, decoded by tether. */
		tether_arena_reset(a);
		tether_dec d;
		tether_dec_init(&d, xbuf, xlen, a);
		memset(from_t, 0, c->size);
		CHECK(c->tdec(&d, from_t) == TETHER_OK, "tether decode failed");
		CHECK(tether_dec_finish(&d) == TETHER_OK, "tether left bytes");
		CHECK(c->eq(orig, from_t), "tether decoded a different value");

		/* tether's bytes, decoded by libtirpc into our buffers. */
		memset(from_x, 0, c->size);
		if (c->prep != NULL)
			c->prep(from_x);
		xdrmem_create(&x, (char *)tbuf, (u_int)e.len, XDR_DECODE);
		CHECK(c->tx(&x, from_x), "libtirpc decode failed");
		CHECK(xdr_getpos(&x) == e.len, "libtirpc left bytes");
		xdr_destroy(&x);
		CHECK(c->eq(orig, from_x),
		      "libtirpc decoded a different value");
	}
	tether_arena_free(a);
	test_free(orig);
	test_free(from_t);
	test_free(from_x);
}

static void test_differential(void **state)
{
	const tcase *c = *state;
	run_case(c);
}

/* Where tether is deliberately stricter than libtirpc (docs/internals/
 * xdr.md): each input below is accepted by libtirpc and refused by tether
 * with a specific status, consuming nothing. */
static void test_stricter_than_tirpc(void **state)
{
	(void)state;
	static const uint8_t bool2[] = {0, 0, 0, 2};
	static const uint8_t badpad[] = {0, 0, 0, 1, 'x', 0, 0, 7};
	static const uint8_t nul[] = {0, 0, 0, 3, 'a', 0, 'b', 0};
	tether_arena *a;
	assert_int_equal(tether_arena_new(1024, &a), TETHER_OK);
	XDR x;
	tether_dec d;

	bool_t tb = 0;
	xdrmem_create(&x, (char *)bool2, sizeof(bool2), XDR_DECODE);
	assert_true(xdr_bool(&x, &tb));
	assert_true(tb != 0); /* libtirpc: any non-zero is TRUE */
	bool b;
	tether_dec_init(&d, bool2, sizeof(bool2), a);
	assert_int_equal(tether_dec_bool(&d, &b), TETHER_E_XDR_RANGE);
	assert_int_equal(d.left, sizeof(bool2));

	char obuf[8], *op = obuf;
	u_int on = 0;
	xdrmem_create(&x, (char *)badpad, sizeof(badpad), XDR_DECODE);
	assert_true(xdr_bytes(&x, &op, &on, 8)); /* padding not checked */
	uint8_t *tp;
	uint32_t tn;
	tether_dec_init(&d, badpad, sizeof(badpad), a);
	assert_int_equal(tether_dec_opaque(&d, &tp, &tn, 8),
			 TETHER_E_XDR_PADDING);
	assert_int_equal(d.left, sizeof(badpad));

	char sbuf[8], *sp = sbuf;
	xdrmem_create(&x, (char *)nul, sizeof(nul), XDR_DECODE);
	assert_true(xdr_string(&x, &sp, 8));
	assert_int_equal(strlen(sp), 1); /* libtirpc: silently "a" */
	char *ts;
	tether_dec_init(&d, nul, sizeof(nul), a);
	assert_int_equal(tether_dec_string(&d, &ts, 8), TETHER_E_XDR_STRING);
	assert_int_equal(d.left, sizeof(nul));
	assert_int_equal(tether_arena_used(a), 0);
	tether_arena_free(a);
}

int main(void)
{
	const char *s = getenv("TETHER_SEED");
	g_seed = s != NULL ? strtoull(s, NULL, 0) : 0x7e7e5eedu;
	const char *it = getenv("TETHER_XDR_ITERS");
	g_iters = it != NULL ? (unsigned)strtoul(it, NULL, 0) : 100000u;
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[NCASES + 1];
	for (size_t k = 0; k < NCASES; k++) {
		tests[k] = (struct CMUnitTest){cases[k].name, test_differential,
					       NULL, NULL, (void *)&cases[k]};
	}
	tests[NCASES] =
	    (struct CMUnitTest)cmocka_unit_test(test_stricter_than_tirpc);
	return _cmocka_run_group_tests("xdr_vs_libtirpc", tests,
				       sizeof(tests) / sizeof(tests[0]), NULL,
				       NULL);
}
