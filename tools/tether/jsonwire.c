/* SPDX-License-Identifier: MIT */
/*
 * jsonwire.c - JSON <-> XDR bytes straight through a descriptor, with no C
 * value in between: the route for descriptors built at run time from a .x
 * file (idl.c), which have no C layout. Same mapping as jsonxdr.c; the XDR
 * rules are RFC 4506 §4 as implemented by tether_enc_* / tether_dec_*.
 */
#include <string.h>

#include "jsonxdr.h"
#include "common/tt.h"

/* ---- JSON -> XDR ------------------------------------------------------------
 */

static tether_status wire(tjx *x, tether_status st)
{
	if (st == TETHER_OK)
		return st;
	return tjx_fail(x, st, "cannot encode: %s", tether_strerror(st));
}

static tether_status enc_int(tjx *x, const tether_type_desc *t, int64_t v,
			     tether_enc *e)
{
	switch (t->kind) {
	case TETHER_T_BOOL:
		return wire(x, tether_enc_bool(e, v != 0));
	case TETHER_T_HYPER:
		return wire(x, tether_enc_hyper(e, v));
	case TETHER_T_UHYPER:
		return wire(x, tether_enc_uhyper(e, (uint64_t)v));
	case TETHER_T_UINT:
		return wire(x, tether_enc_uint(e, (uint32_t)v));
	default: /* INT, ENUM: RFC 4506 §4.1, §4.3 */
		return wire(x, tether_enc_int(e, (int32_t)v));
	}
}

static tether_status enc_scalar(tjx *x, const tether_type_desc *t,
				const tj_value *v, tether_enc *e)
{
	int64_t i;
	double d;
	if (t->kind == TETHER_T_FLOAT || t->kind == TETHER_T_DOUBLE) {
		TT_TRY(tjx_json_real(x, t, v, &d));
		if (t->kind == TETHER_T_FLOAT)
			return wire(x, tether_enc_float(e, (float)d));
		return wire(x, tether_enc_double(e, d));
	}
	TT_TRY(tjx_json_int(x, t, v, &i));
	return enc_int(x, t, i, e);
}

static tether_status enc_bytes(tjx *x, const tether_type_desc *t,
			       const tj_value *v, tether_enc *e)
{
	uint8_t *p;
	size_t n;
	tether_quad q;
	switch (t->kind) {
	case TETHER_T_QUAD:
		TT_TRY(tjx_json_hex(x, v, 16, 16, &p, &n));
		memcpy(q.b, p, 16);
		return wire(x, tether_enc_quad(e, &q));
	case TETHER_T_FOPAQUE:
		TT_TRY(tjx_json_hex(x, v, t->bound, t->bound, &p, &n));
		return wire(x, tether_enc_fopaque(e, p, n));
	default:
		TT_TRY(tjx_json_hex(x, v, SIZE_MAX, t->bound, &p, &n));
		return wire(x, tether_enc_opaque(e, p, (uint32_t)n, t->bound));
	}
}

static tether_status enc_array(tjx *x, const tether_type_desc *t,
			       const tj_value *v, tether_enc *e)
{
	if (v->kind != TJ_ARRAY)
		return tjx_mismatch(x, "an array", v);
	size_t n = v->u.arr.n;
	if (t->kind == TETHER_T_FARRAY && n != t->bound)
		return tjx_fail(x, TETHER_E_INVAL,
				"expected exactly %u items, found %zu",
				t->bound, n);
	if (t->kind == TETHER_T_VARRAY) {
		if (n > t->bound)
			return tjx_fail(x, TETHER_E_INVAL,
					"%zu items exceed the bound of %u", n,
					t->bound);
		TT_TRY(wire(x, tether_enc_array_len(e, (uint32_t)n, t->bound)));
	}
	for (size_t i = 0; i < n; i++) {
		size_t old = tjx_push_index(x, i);
		TT_TRY(tjx_encode(x, t->elem, v->u.arr.items[i], e));
		tjx_pop(x, old);
	}
	return TETHER_OK;
}

static tether_status enc_struct(tjx *x, const tether_type_desc *t,
				const tj_value *v, tether_enc *e)
{
	const char *names[64];
	if (v->kind != TJ_OBJECT)
		return tjx_mismatch(x, "an object", v);
	if (t->nfields > TT_ARRAY_LEN(names))
		return tjx_fail(x, TETHER_E_UNSUPPORTED,
				"struct with over 64 fields");
	for (size_t i = 0; i < t->nfields; i++)
		names[i] = t->fields[i].name;
	TT_TRY(tjx_check_keys(x, v, names, t->nfields));
	for (size_t i = 0; i < t->nfields; i++) {
		size_t old = tjx_push_field(x, t->fields[i].name);
		TT_TRY(tjx_encode(x, t->fields[i].type,
				  tj_get(v, t->fields[i].name), e));
		tjx_pop(x, old);
	}
	return TETHER_OK;
}

static tether_status enc_union(tjx *x, const tether_type_desc *t,
			       const tj_value *v, tether_enc *e)
{
	const tether_field_desc *df = &t->fields[0];
	const tether_type_desc *dt = tjx_resolve(df->type);
	int64_t dv;
	if (v->kind != TJ_OBJECT)
		return tjx_mismatch(x, "an object", v);
	const tj_value *dj = tj_get(v, df->name);
	if (dj == NULL)
		return tjx_fail(x, TETHER_E_INVAL,
				"missing discriminant \"%s\"", df->name);
	size_t old = tjx_push_field(x, df->name);
	TT_TRY(tjx_json_int(x, dt, dj, &dv));
	tjx_pop(x, old);
	const tether_arm_desc *arm = tjx_arm(t, dv);
	if (arm == NULL)
		return tjx_fail(
		    x, TETHER_E_INVAL, "no arm of union %s for %s = %lld",
		    t->name ? t->name : "", df->name, (long long)dv);
	const char *names[2] = {df->name, arm->name};
	TT_TRY(tjx_check_keys(x, v, names, 2));
	TT_TRY(enc_int(x, dt, dv, e)); /* RFC 4506 §4.15 */
	if (arm->name == NULL)
		return TETHER_OK;
	old = tjx_push_field(x, arm->name);
	TT_TRY(tjx_encode(x, arm->type, tj_get(v, arm->name), e));
	tjx_pop(x, old);
	return TETHER_OK;
}

static tether_status enc_composite(tjx *x, const tether_type_desc *t,
				   const tj_value *v, tether_enc *e)
{
	switch (t->kind) {
	case TETHER_T_FARRAY:
	case TETHER_T_VARRAY:
		return enc_array(x, t, v, e);
	case TETHER_T_OPTIONAL: /* RFC 4506 §4.19 */
		TT_TRY(wire(x, tether_enc_optional(e, v->kind != TJ_NULL)));
		return v->kind == TJ_NULL ? TETHER_OK
					  : tjx_encode(x, t->elem, v, e);
	case TETHER_T_STRUCT:
		return enc_struct(x, t, v, e);
	case TETHER_T_UNION:
		return enc_union(x, t, v, e);
	default:
		return tjx_encode(x, t->elem, v, e);
	}
}

tether_status tjx_encode(tjx *x, const tether_type_desc *t, const tj_value *v,
			 tether_enc *e)
{
	tether_status st;
	const char *s;
	switch (t->kind) {
	case TETHER_T_VOID:
		return v->kind == TJ_NULL ? TETHER_OK
					  : tjx_mismatch(x, "null", v);
	case TETHER_T_QUAD:
	case TETHER_T_FOPAQUE:
	case TETHER_T_OPAQUE:
		return enc_bytes(x, t, v, e);
	case TETHER_T_STRING:
		TT_TRY(tjx_json_string(x, t, v, &s));
		return wire(x, tether_enc_string(e, s, t->bound));
	case TETHER_T_OPTIONAL:
	case TETHER_T_TYPEDEF:
		/* Not a JSON level; chains of these end at a struct, union or
		 * array (XDR has no other recursion), which count. */
		TT_TRY(tjx_step(x));
		st = enc_composite(x, t, v, e);
		x->chain--;
		return st;
	case TETHER_T_FARRAY:
	case TETHER_T_VARRAY:
	case TETHER_T_STRUCT:
	case TETHER_T_UNION: {
		TT_TRY(tjx_enter(x));
		st = enc_composite(x, t, v, e);
		tjx_leave(x);
		return st;
	}
	default:
		return enc_scalar(x, t, v, e);
	}
}

/* ---- XDR -> JSON ------------------------------------------------------------
 */

static tether_status unwire(tjx *x, tether_status st)
{
	if (st == TETHER_OK)
		return st;
	return tjx_fail(x, st, "cannot decode: %s", tether_strerror(st));
}

static tether_status wire_made(tjx *x, tj_value *v, tj_value **out)
{
	if (v == NULL)
		return tjx_nomem(x);
	*out = v;
	return TETHER_OK;
}

static tether_status dec_int(tjx *x, const tether_type_desc *t, tether_dec *d,
			     int64_t *v)
{
	int32_t i;
	uint32_t u;
	bool b;
	switch (t->kind) {
	case TETHER_T_BOOL:
		TT_TRY(unwire(x, tether_dec_bool(d, &b)));
		*v = b;
		return TETHER_OK;
	case TETHER_T_HYPER:
		return unwire(x, tether_dec_hyper(d, v));
	case TETHER_T_UHYPER:
		return unwire(x, tether_dec_uhyper(d, (uint64_t *)v));
	case TETHER_T_UINT:
		TT_TRY(unwire(x, tether_dec_uint(d, &u)));
		*v = u;
		if (t->size == 1   ? u > UINT8_MAX
		    : t->size == 2 ? u > UINT16_MAX
				   : false)
			return tjx_fail(x, TETHER_E_XDR_RANGE,
					"%u out of range", u);
		return TETHER_OK;
	default:
		TT_TRY(unwire(x, tether_dec_int(d, &i)));
		*v = i;
		if (t->kind == TETHER_T_INT &&
		    (t->size == 1   ? (i < INT8_MIN || i > INT8_MAX)
		     : t->size == 2 ? (i < INT16_MIN || i > INT16_MAX)
				    : false))
			return tjx_fail(x, TETHER_E_XDR_RANGE,
					"%d out of range", i);
		return TETHER_OK;
	}
}

static bool enum_known(const tether_type_desc *t, int64_t v)
{
	for (size_t i = 0; i < t->nvalues; i++)
		if (t->values[i].value == v)
			return true;
	return false;
}

static tether_status dec_scalar(tjx *x, const tether_type_desc *t,
				tether_dec *d, tj_value **out)
{
	float f;
	double db;
	tether_quad q;
	int64_t v;
	switch (t->kind) {
	case TETHER_T_FLOAT:
		TT_TRY(unwire(x, tether_dec_float(d, &f)));
		return wire_made(x, tjx_real_json(x, f, true), out);
	case TETHER_T_DOUBLE:
		TT_TRY(unwire(x, tether_dec_double(d, &db)));
		return wire_made(x, tjx_real_json(x, db, false), out);
	case TETHER_T_QUAD:
		TT_TRY(unwire(x, tether_dec_quad(d, &q)));
		return wire_made(x, tjx_hex_json(x, q.b, 16), out);
	default:
		TT_TRY(dec_int(x, t, d, &v));
		if (t->kind == TETHER_T_ENUM && !enum_known(t, v))
			return tjx_fail(x, TETHER_E_XDR_RANGE,
					"%lld is not a value of enum %s",
					(long long)v, t->name ? t->name : "");
		return wire_made(x, tjx_int_json(x, t, v), out);
	}
}

static tether_status dec_bytes(tjx *x, const tether_type_desc *t, tether_dec *d,
			       tj_value **out)
{
	const uint8_t *p;
	uint32_t n;
	char *s;
	if (t->kind == TETHER_T_STRING) {
		TT_TRY(unwire(x, tether_dec_string(d, &s, t->bound)));
		return wire_made(x, tj_new_string(x->a, s, strlen(s)), out);
	}
	if (t->kind == TETHER_T_OPAQUE) {
		TT_TRY(
		    unwire(x, tether_dec_opaque_borrow(d, &p, &n, t->bound)));
		return wire_made(x, tjx_hex_json(x, p, n), out);
	}
	uint8_t *buf = tether_arena_alloc(x->a, t->bound);
	if (buf == NULL && t->bound > 0)
		return tjx_nomem(x);
	TT_TRY(unwire(x, tether_dec_fopaque(d, buf, t->bound)));
	return wire_made(x, tjx_hex_json(x, buf, t->bound), out);
}

/* The fewest bytes an item of t takes on the wire, for the array count
 * check of tether_dec_array_len (RFC 4506: every item but void and
 * zero-length opaque is a multiple of 4 bytes). */
static size_t min_wire(const tether_type_desc *t, unsigned depth)
{
	if (depth > 16)
		return 0;
	switch (t->kind) {
	case TETHER_T_VOID:
		return 0;
	case TETHER_T_HYPER:
	case TETHER_T_UHYPER:
	case TETHER_T_DOUBLE:
		return 8;
	case TETHER_T_QUAD:
		return 16;
	case TETHER_T_FOPAQUE:
		return ((size_t)t->bound + 3) & ~(size_t)3;
	case TETHER_T_FARRAY:
		return t->bound ? min_wire(t->elem, depth + 1) : 0;
	case TETHER_T_TYPEDEF:
		return min_wire(t->elem, depth + 1);
	case TETHER_T_STRUCT: {
		size_t n = 0;
		for (size_t i = 0; i < t->nfields && n < 4; i++)
			n += min_wire(t->fields[i].type, depth + 1);
		return n;
	}
	default:
		return 4;
	}
}

static tether_status dec_array(tjx *x, const tether_type_desc *t, tether_dec *d,
			       tj_value **out)
{
	uint32_t n = t->bound;
	if (t->kind == TETHER_T_VARRAY)
		TT_TRY(unwire(x, tether_dec_array_len(d, &n, t->bound,
						      min_wire(t->elem, 0))));
	tj_value *v = tj_new_array(x->a, n);
	if (v == NULL)
		return tjx_nomem(x);
	for (size_t i = 0; i < n; i++) {
		size_t old = tjx_push_index(x, i);
		TT_TRY(tjx_decode(x, t->elem, d, &v->u.arr.items[i]));
		tjx_pop(x, old);
	}
	*out = v;
	return TETHER_OK;
}

static tether_status dec_struct(tjx *x, const tether_type_desc *t,
				tether_dec *d, tj_value **out)
{
	tj_value *v = tj_new_object(x->a, t->nfields);
	if (v == NULL)
		return tjx_nomem(x);
	for (size_t i = 0; i < t->nfields; i++) {
		const tether_field_desc *f = &t->fields[i];
		size_t old = tjx_push_field(x, f->name);
		v->u.obj.m[i].key = f->name,
		v->u.obj.m[i].klen = strlen(f->name);
		TT_TRY(tjx_decode(x, f->type, d, &v->u.obj.m[i].val));
		tjx_pop(x, old);
	}
	*out = v;
	return TETHER_OK;
}

static tether_status dec_union(tjx *x, const tether_type_desc *t, tether_dec *d,
			       tj_value **out)
{
	const tether_field_desc *df = &t->fields[0];
	tj_value *dj;
	size_t old = tjx_push_field(x, df->name);
	TT_TRY(tjx_decode(x, df->type, d, &dj));
	tjx_pop(x, old);
	int64_t dv;
	/* The JSON -> integer rule applied to what was just decoded (an enum
	 * was checked against its values already, so this cannot fail). */
	TT_TRY(tjx_json_int(x, tjx_resolve(df->type), dj, &dv));
	const tether_arm_desc *arm = tjx_arm(t, dv);
	if (arm == NULL)
		return tjx_fail(
		    x, TETHER_E_XDR_RANGE, "no arm of union %s for %s = %lld",
		    t->name ? t->name : "", df->name, (long long)dv);
	tj_value *v = tj_new_object(x->a, arm->name ? 2 : 1);
	if (v == NULL)
		return tjx_nomem(x);
	v->u.obj.m[0] = (tj_member){df->name, strlen(df->name), dj};
	if (arm->name != NULL) {
		old = tjx_push_field(x, arm->name);
		v->u.obj.m[1].key = arm->name,
		v->u.obj.m[1].klen = strlen(arm->name);
		TT_TRY(tjx_decode(x, arm->type, d, &v->u.obj.m[1].val));
		tjx_pop(x, old);
	}
	*out = v;
	return TETHER_OK;
}

static tether_status dec_composite(tjx *x, const tether_type_desc *t,
				   tether_dec *d, tj_value **out)
{
	bool present;
	switch (t->kind) {
	case TETHER_T_FARRAY:
	case TETHER_T_VARRAY:
		return dec_array(x, t, d, out);
	case TETHER_T_OPTIONAL:
		TT_TRY(unwire(x, tether_dec_optional(d, &present)));
		if (!present)
			return wire_made(x, tj_new(x->a, TJ_NULL), out);
		return tjx_decode(x, t->elem, d, out);
	case TETHER_T_STRUCT:
		return dec_struct(x, t, d, out);
	case TETHER_T_UNION:
		return dec_union(x, t, d, out);
	default:
		return tjx_decode(x, t->elem, d, out);
	}
}

tether_status tjx_decode(tjx *x, const tether_type_desc *t, tether_dec *d,
			 tj_value **out)
{
	tether_status st;
	switch (t->kind) {
	case TETHER_T_VOID:
		return wire_made(x, tj_new(x->a, TJ_NULL), out);
	case TETHER_T_STRING:
	case TETHER_T_FOPAQUE:
	case TETHER_T_OPAQUE:
		return dec_bytes(x, t, d, out);
	case TETHER_T_OPTIONAL:
	case TETHER_T_TYPEDEF:
		/* Not a JSON level; chains of these end at a struct, union or
		 * array (XDR has no other recursion), which count. */
		TT_TRY(tjx_step(x));
		st = dec_composite(x, t, d, out);
		x->chain--;
		return st;
	case TETHER_T_FARRAY:
	case TETHER_T_VARRAY:
	case TETHER_T_STRUCT:
	case TETHER_T_UNION: {
		TT_TRY(tjx_enter(x));
		st = dec_composite(x, t, d, out);
		tjx_leave(x);
		return st;
	}
	default:
		return dec_scalar(x, t, d, out);
	}
}
