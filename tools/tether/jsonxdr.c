/* SPDX-License-Identifier: MIT */
/*
 * jsonxdr.c - JSON <-> the C representation of a tetherc descriptor, and
 * the scalar rules shared with jsonwire.c (integer ranges, enum names, hex
 * opaques, strings, JSON paths in error messages). The mapping is in
 * docs/cli.md.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonxdr.h"
#include "common/tt.h"

/* ---- context, paths, errors ------------------------------------------- */

void tjx_init(tjx *x, tether_arena *a, const char *root)
{
	memset(x, 0, sizeof(*x));
	x->a = a;
	x->max_depth = TJX_DEFAULT_MAX_DEPTH;
	x->plen = (size_t)snprintf(x->path, sizeof(x->path), "%s", root);
	if (x->plen >= sizeof(x->path))
		x->plen = sizeof(x->path) - 1;
}

static size_t push(tjx *x, const char *seg)
{
	size_t old = x->plen, room = sizeof(x->path) - x->plen;
	int n = snprintf(x->path + x->plen, room, "%s", seg);
	if (n < 0 || (size_t)n >= room) {
		/* Deep paths keep their start and say they were cut. */
		memcpy(x->path + sizeof(x->path) - 4, "...", 4);
		x->plen = sizeof(x->path) - 1;
	} else {
		x->plen += (size_t)n;
	}
	return old;
}

size_t tjx_push_field(tjx *x, const char *name)
{
	char seg[80];
	snprintf(seg, sizeof(seg), ".%s", name);
	return push(x, seg);
}

size_t tjx_push_index(tjx *x, size_t i)
{
	char seg[32];
	snprintf(seg, sizeof(seg), "[%zu]", i);
	return push(x, seg);
}

void tjx_pop(tjx *x, size_t old)
{
	x->plen = old;
	x->path[old] = '\0';
}

tether_status tjx_fail(tjx *x, tether_status st, const char *fmt, ...)
{
	va_list ap;
	size_t n = x->plen < sizeof(x->msg) - 3 ? x->plen : sizeof(x->msg) - 3;
	memcpy(x->msg, x->path, n);
	memcpy(x->msg + n, ": ", 3);
	va_start(ap, fmt);
	vsnprintf(x->msg + n + 2, sizeof(x->msg) - n - 2, fmt, ap);
	va_end(ap);
	return st;
}

tether_status tjx_mismatch(tjx *x, const char *want, const tj_value *v)
{
	return tjx_fail(x, TETHER_E_INVAL, "expected %s, found %s", want,
			tj_kind_name(v));
}

tether_status tjx_nomem(tjx *x)
{
	tether_status st = tether_arena_error(x->a);
	if (st == TETHER_OK)
		st = TETHER_E_NOMEM;
	return tjx_fail(x, st, "out of memory (%s)", tether_strerror(st));
}

tether_status tjx_enter(tjx *x)
{
	if (++x->depth > x->max_depth)
		return tjx_fail(x, TETHER_E_DEPTH,
				"nested deeper than %u levels", x->max_depth);
	return TETHER_OK;
}

void tjx_leave(tjx *x)
{
	x->depth--;
}

tether_status tjx_step(tjx *x)
{
	if (x->chain >= 4u * x->max_depth + 64)
		return tjx_fail(x, TETHER_E_DEPTH,
				"optional/typedef chain too long");
	x->chain++;
	return TETHER_OK;
}

const tether_type_desc *tjx_resolve(const tether_type_desc *t)
{
	/* Typedef chains are finite (tetherc refuses cycles); 64 is plenty. */
	for (int i = 0; i < 64 && t->kind == TETHER_T_TYPEDEF && t->elem; i++)
		t = t->elem;
	return t;
}

/* ---- integers --------------------------------------------------------------
 */

static bool is_signed(const tether_type_desc *t)
{
	return t->kind == TETHER_T_INT || t->kind == TETHER_T_HYPER ||
	       t->kind == TETHER_T_ENUM;
}

static unsigned bits(const tether_type_desc *t)
{
	if (t->kind == TETHER_T_HYPER || t->kind == TETHER_T_UHYPER)
		return 64;
	if (t->kind == TETHER_T_ENUM)
		return 32;
	return t->size == 1 ? 8 : t->size == 2 ? 16 : 32;
}

/* Decimal integer text, for 64-bit values given as strings (JSON numbers
 * past 2^53 lose precision in many tools). */
static bool parse_dec(const char *s, size_t len, bool *neg, uint64_t *mag)
{
	size_t i = 0;
	*neg = len > 0 && s[0] == '-';
	i = *neg;
	if (i == len || len - i > 20)
		return false;
	*mag = 0;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || *mag > (UINT64_MAX - d) / 10)
			return false;
		*mag = *mag * 10 + d;
	}
	return true;
}

static tether_status enum_json(tjx *x, const tether_type_desc *t,
			       const tj_value *v, int64_t *out)
{
	for (size_t i = 0; v->kind == TJ_STRING && i < t->nvalues; i++)
		if (strlen(t->values[i].name) == v->u.str.len &&
		    !memcmp(t->values[i].name, v->u.str.s, v->u.str.len)) {
			*out = t->values[i].value;
			return TETHER_OK;
		}
	if (v->kind == TJ_STRING)
		return tjx_fail(x, TETHER_E_INVAL,
				"\"%.60s\" is not a value of enum %s",
				v->u.str.s, t->name ? t->name : "");
	if (v->kind != TJ_INT)
		return tjx_mismatch(x, "an enum name or number", v);
	for (size_t i = 0; i < t->nvalues; i++)
		if ((t->values[i].value < 0) == v->u.i.neg &&
		    (uint64_t)llabs(t->values[i].value) == v->u.i.mag) {
			*out = t->values[i].value;
			return TETHER_OK;
		}
	return tjx_fail(x, TETHER_E_INVAL, "%s%llu is not a value of enum %s",
			v->u.i.neg ? "-" : "", (unsigned long long)v->u.i.mag,
			t->name ? t->name : "");
}

static tether_status int_range(tjx *x, const tether_type_desc *t, bool neg,
			       uint64_t mag, int64_t *out)
{
	unsigned b = bits(t);
	if (is_signed(t)) {
		uint64_t lim = (uint64_t)1 << (b - 1);
		if (neg ? mag > lim : mag >= lim)
			return tjx_fail(x, TETHER_E_INVAL,
					"%s%llu is out of range for a %u-bit "
					"signed integer",
					neg ? "-" : "", (unsigned long long)mag,
					b);
		*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		return TETHER_OK;
	}
	if (neg || (b < 64 && mag >> b))
		return tjx_fail(
		    x, TETHER_E_INVAL,
		    "%s%llu is out of range for a %u-bit unsigned integer",
		    neg ? "-" : "", (unsigned long long)mag, b);
	*out = (int64_t)mag; /* UHYPER: the bit pattern */
	return TETHER_OK;
}

tether_status tjx_json_int(tjx *x, const tether_type_desc *t, const tj_value *v,
			   int64_t *out)
{
	bool neg;
	uint64_t mag;
	if (t->kind == TETHER_T_BOOL) {
		if (v->kind != TJ_BOOL)
			return tjx_mismatch(x, "true or false", v);
		*out = v->u.b;
		return TETHER_OK;
	}
	if (t->kind == TETHER_T_ENUM)
		return enum_json(x, t, v, out);
	if (v->kind == TJ_INT) {
		neg = v->u.i.neg, mag = v->u.i.mag;
	} else if (v->kind == TJ_STRING) {
		if (!parse_dec(v->u.str.s, v->u.str.len, &neg, &mag))
			return tjx_fail(x, TETHER_E_INVAL,
					"\"%.40s\" is not a decimal integer",
					v->u.str.s);
	} else {
		return tjx_mismatch(x, "an integer", v);
	}
	return int_range(x, t, neg, mag, out);
}

tj_value *tjx_int_json(tjx *x, const tether_type_desc *t, int64_t v)
{
	if (t->kind == TETHER_T_BOOL) {
		tj_value *j = tj_new(x->a, TJ_BOOL);
		if (j != NULL)
			j->u.b = v != 0;
		return j;
	}
	for (size_t i = 0; t->kind == TETHER_T_ENUM && i < t->nvalues; i++)
		if (t->values[i].value == v)
			return tj_new_string(x->a, t->values[i].name,
					     strlen(t->values[i].name));
	if (!is_signed(t) || v >= 0)
		return tj_new_int(x->a, false, (uint64_t)v);
	return tj_new_int(x->a, true, 0 - (uint64_t)v);
}

/* ---- reals, hex, strings ------------------------------------------------- */

/* Non-finite values have no JSON number: they travel as these strings. */
static const struct {
	const char *s;
	int sign;
} nonfinite[] = {{"NaN", 0}, {"Infinity", 1}, {"-Infinity", -1}};

tether_status tjx_json_real(tjx *x, const tether_type_desc *t,
			    const tj_value *v, double *out)
{
	if (v->kind == TJ_DOUBLE) {
		*out = v->u.d;
	} else if (v->kind == TJ_INT) {
		*out = (double)v->u.i.mag;
		if (v->u.i.neg)
			*out = -*out;
	} else if (v->kind == TJ_STRING) {
		for (size_t i = 0; i < TT_ARRAY_LEN(nonfinite); i++)
			if (!strcmp(v->u.str.s, nonfinite[i].s)) {
				*out = nonfinite[i].sign
					   ? nonfinite[i].sign * HUGE_VAL
					   : NAN;
				return TETHER_OK;
			}
		return tjx_fail(x, TETHER_E_INVAL,
				"\"%.40s\" is not a number (NaN, Infinity and "
				"-Infinity are the only strings accepted)",
				v->u.str.s);
	} else {
		return tjx_mismatch(x, "a number", v);
	}
	if (t->kind == TETHER_T_FLOAT && fabs(*out) > FLT_MAX)
		return tjx_fail(x, TETHER_E_INVAL,
				"%g is out of the float range", *out);
	return TETHER_OK;
}

tj_value *tjx_real_json(tjx *x, double d, bool single)
{
	if (isnan(d))
		return tj_new_string(x->a, "NaN", 3);
	if (isinf(d))
		return d > 0 ? tj_new_string(x->a, "Infinity", 8)
			     : tj_new_string(x->a, "-Infinity", 9);
	return tj_new_double(x->a, d, single);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

tether_status tjx_json_hex(tjx *x, const tj_value *v, size_t want, size_t max,
			   uint8_t **out, size_t *n)
{
	if (v->kind != TJ_STRING)
		return tjx_mismatch(x, "a hex string", v);
	size_t len = v->u.str.len;
	if (len % 2)
		return tjx_fail(x, TETHER_E_INVAL,
				"hex string of odd length %zu", len);
	if (want != SIZE_MAX && len / 2 != want)
		return tjx_fail(
		    x, TETHER_E_INVAL,
		    "expected %zu bytes (%zu hex digits), found %zu", want,
		    want * 2, len / 2);
	if (want == SIZE_MAX && len / 2 > max)
		return tjx_fail(x, TETHER_E_INVAL,
				"%zu bytes exceed the bound of %zu", len / 2,
				max);
	uint8_t *p = tether_arena_alloc(x->a, len / 2);
	if (p == NULL && len > 0)
		return tjx_nomem(x);
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval(v->u.str.s[i]), lo = hexval(v->u.str.s[i + 1]);
		if (hi < 0 || lo < 0)
			return tjx_fail(x, TETHER_E_INVAL,
					"not a hex digit at offset %zu",
					hi < 0 ? i : i + 1);
		p[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*out = len ? p : NULL, *n = len / 2;
	return TETHER_OK;
}

tj_value *tjx_hex_json(tjx *x, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	if (n > (SIZE_MAX - 1) / 2)
		return NULL;
	tj_value *v = tj_new_string(x->a, "", 0);
	char *s = v ? tether_arena_alloc(x->a, 2 * n + 1) : NULL;
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[2 * i] = digits[p[i] >> 4], s[2 * i + 1] = digits[p[i] & 15];
	v->u.str.s = s, v->u.str.len = 2 * n;
	return v;
}

tether_status tjx_json_string(tjx *x, const tether_type_desc *t,
			      const tj_value *v, const char **out)
{
	if (v->kind != TJ_STRING)
		return tjx_mismatch(x, "a string", v);
	if (memchr(v->u.str.s, '\0', v->u.str.len) != NULL)
		return tjx_fail(
		    x, TETHER_E_INVAL,
		    "string contains \\u0000, which XDR strings cannot carry");
	if (t->bound != TETHER_XDR_UNBOUNDED && v->u.str.len > t->bound)
		return tjx_fail(x, TETHER_E_INVAL,
				"string of %zu bytes exceeds the bound of %u",
				v->u.str.len, t->bound);
	*out = v->u.str.s;
	return TETHER_OK;
}

/* ---- structs and unions: key checks, arms -------------------------------- */

tether_status tjx_check_keys(tjx *x, const tj_value *obj,
			     const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && tj_get(obj, names[i]) == NULL)
			return tjx_fail(x, TETHER_E_INVAL,
					"missing field \"%s\"", names[i]);
	for (size_t k = 0; k < obj->u.obj.n; k++) {
		const tj_member *m = &obj->u.obj.m[k];
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = names[i] != NULL &&
				strlen(names[i]) == m->klen &&
				!memcmp(names[i], m->key, m->klen);
		if (!known)
			return tjx_fail(x, TETHER_E_INVAL,
					"unknown field \"%.60s\"", m->key);
	}
	return TETHER_OK;
}

const tether_arm_desc *tjx_arm(const tether_type_desc *u, int64_t v)
{
	for (size_t i = 0; i < u->narms; i++)
		if (u->arms[i].value == (int32_t)v)
			return &u->arms[i];
	return u->default_arm;
}

/* ---- JSON <-> C, through XDR -------------------------------------------------
 *
 * A C value is what the descriptor's own codec reads and writes, so the
 * conversion goes through the wire form: JSON -> XDR (jsonwire.c) -> the
 * generated decoder, and the generated encoder -> XDR -> JSON. One walk of
 * the JSON per direction, and the C layout is only ever touched by the
 * generated code that defines it.
 */

/* Largest wire form a conversion may build (the record limit). */
#define TJX_MAX_WIRE (4u << 20)

tether_status tjx_from_json(tjx *x, const tether_type_desc *t,
			    const tj_value *v, void *out)
{
	tether_enc e;
	tether_dec d;
	tether_status st;

	if (t->decode == NULL)
		return tjx_fail(x, TETHER_E_INVAL, "type %s has no C layout",
				t->name ? t->name : "(anonymous)");
	tether_enc_init_growable(&e, TJX_MAX_WIRE);
	st = tjx_encode(x, t, v, &e);
	if (st == TETHER_OK) {
		tether_dec_init(&d, e.buf, e.len, x->a);
		d.max_depth = x->max_depth;
		st = t->decode(&d, out);
		if (st == TETHER_OK)
			st = tether_dec_finish(&d);
		if (st != TETHER_OK)
			(void)tjx_fail(x, st, "%s", tether_strerror(st));
	}
	tether_enc_release(&e);
	return st;
}

tether_status tjx_to_json(tjx *x, const tether_type_desc *t, const void *in,
			  tj_value **out)
{
	tether_enc e;
	tether_dec d;
	tether_status st;

	if (t->encode == NULL)
		return tjx_fail(x, TETHER_E_INVAL, "type %s has no C layout",
				t->name ? t->name : "(anonymous)");
	tether_enc_init_growable(&e, TJX_MAX_WIRE);
	st = t->encode(&e, in);
	if (st != TETHER_OK) {
		/* A value the type cannot hold: bad enum, union without an
		 * arm, NULL string, over a bound. */
		(void)tjx_fail(x, st == TETHER_E_NOMEM ? st : TETHER_E_INVAL,
			       "%s", tether_strerror(st));
		st = st == TETHER_E_NOMEM ? st : TETHER_E_INVAL;
	} else {
		tether_dec_init(&d, e.buf, e.len, x->a);
		st = tjx_decode(x, t, &d, out);
	}
	tether_enc_release(&e);
	return st;
}
