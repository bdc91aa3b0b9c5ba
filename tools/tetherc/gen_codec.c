/* SPDX-License-Identifier: MIT */
/*
 * gen_codec.c - generated encode/decode functions (RFC 4506 §4): one
 * function per type, a static helper per array or optional member, enum
 * and union range checks, tether_dec_enter/leave around recursive types,
 * and iterative loops for linked-list shaped structs.
 */
#include <string.h>

#include "gen.h"

static const char *const check = "\tif (st != TETHER_OK)\n\t\treturn st;\n";

static const char *bound_str(tc_gen *g, const tc_decl *x)
{
	tc_buf b = {0};
	tc_put_bound(&b, x);
	const char *r = tc_buf_take(&g->c->pool, &b);
	return r ? r : "";
}

static bool is_builtin(const tc_tspec *t)
{
	return t->base == TC_B_NAMED && t->def && t->def->kind == TC_D_BUILTIN;
}

static const char *enc_scalar(tc_gen *g, const tc_tspec *t, const char *lv)
{
	switch (t->base) {
	case TC_B_INT:
	case TC_B_CHAR:
	case TC_B_SHORT:
		return tc_fmt(g, "tether_enc_int(e, %s)", lv);
	case TC_B_UINT:
	case TC_B_UCHAR:
	case TC_B_USHORT:
		return tc_fmt(g, "tether_enc_uint(e, %s)", lv);
	case TC_B_HYPER:
		return tc_fmt(g, "tether_enc_hyper(e, %s)", lv);
	case TC_B_UHYPER:
		return tc_fmt(g, "tether_enc_uhyper(e, %s)", lv);
	case TC_B_FLOAT:
		return tc_fmt(g, "tether_enc_float(e, %s)", lv);
	case TC_B_DOUBLE:
		return tc_fmt(g, "tether_enc_double(e, %s)", lv);
	case TC_B_QUAD:
		return tc_fmt(g, "tether_enc_quad(e, &%s)", lv);
	case TC_B_BOOL:
		return tc_fmt(g, "tether_enc_bool(e, %s)", lv);
	case TC_B_NAMED:
		if (is_builtin(t))
			return tc_fmt(g,
				      "tether_enc_opaque(e, %s.n_bytes, "
				      "%s.n_len, TETHER_MAX_NETOBJ_SZ)",
				      lv, lv);
		return tc_fmt(g, "%s_encode(e, &%s)", t->def->name, lv);
	default:
		return "TETHER_E_INVAL";
	}
}

static const char *dec_scalar(tc_gen *g, const tc_tspec *t, const char *lv)
{
	static const char *const fn[] = {
	    [TC_B_INT] = "tether_dec_int",
	    [TC_B_UINT] = "tether_dec_uint",
	    [TC_B_HYPER] = "tether_dec_hyper",
	    [TC_B_UHYPER] = "tether_dec_uhyper",
	    [TC_B_FLOAT] = "tether_dec_float",
	    [TC_B_DOUBLE] = "tether_dec_double",
	    [TC_B_QUAD] = "tether_dec_quad",
	    [TC_B_BOOL] = "tether_dec_bool",
	    [TC_B_CHAR] = "tetherc_dec_int8",
	    [TC_B_UCHAR] = "tetherc_dec_uint8",
	    [TC_B_SHORT] = "tetherc_dec_int16",
	    [TC_B_USHORT] = "tetherc_dec_uint16",
	};
	if (t->base == TC_B_CHAR)
		g->need |= TC_NEED_DEC_I8;
	if (t->base == TC_B_UCHAR)
		g->need |= TC_NEED_DEC_U8;
	if (t->base == TC_B_SHORT)
		g->need |= TC_NEED_DEC_I16;
	if (t->base == TC_B_USHORT)
		g->need |= TC_NEED_DEC_U16;
	if (t->base == TC_B_NAMED) {
		if (is_builtin(t)) {
			g->need |= TC_NEED_DEC_OPAQUE;
			return tc_fmt(g,
				      "tetherc_dec_opaque(d, &%s.n_bytes, "
				      "&%s.n_len, TETHER_MAX_NETOBJ_SZ)",
				      lv, lv);
		}
		return tc_fmt(g, "%s_decode(d, &%s)", t->def->name, lv);
	}
	if (t->base > TC_B_USHORT || fn[t->base] == NULL)
		return "TETHER_E_INVAL";
	return tc_fmt(g, "%s(d, &%s)", fn[t->base], lv);
}

static bool is_simple(const tc_decl *x)
{
	return x->kind == TC_K_SCALAR ||
	       (x->kind == TC_K_VAR &&
		(x->t.base == TC_B_STRING || x->t.base == TC_B_OPAQUE)) ||
	       (x->kind == TC_K_FIXED && x->t.base == TC_B_OPAQUE);
}

/* One call that encodes a simple declaration held in lv. */
static const char *enc_simple(tc_gen *g, const tc_decl *x, const char *lv,
			      const char *name)
{
	if (x->kind == TC_K_SCALAR)
		return enc_scalar(g, &x->t, lv);
	const char *b = bound_str(g, x);
	if (x->t.base == TC_B_STRING)
		return tc_fmt(g, "tether_enc_string(e, %s, %s)", lv, b);
	if (x->kind == TC_K_FIXED)
		return tc_fmt(g, "tether_enc_fopaque(e, %s, %s)", lv, b);
	return tc_fmt(g, "tether_enc_opaque(e, %s.%s_val, %s.%s_len, %s)", lv,
		      name, lv, name, b);
}

static const char *dec_simple(tc_gen *g, const tc_decl *x, const char *lv,
			      const char *name)
{
	if (x->kind == TC_K_SCALAR)
		return dec_scalar(g, &x->t, lv);
	const char *b = bound_str(g, x);
	if (x->t.base == TC_B_STRING)
		return tc_fmt(g, "tether_dec_string(d, &%s, %s)", lv, b);
	if (x->kind == TC_K_FIXED)
		return tc_fmt(g, "tether_dec_fopaque(d, %s, %s)", lv, b);
	g->need |= TC_NEED_DEC_OPAQUE;
	return tc_fmt(g, "tetherc_dec_opaque(d, &%s.%s_val, &%s.%s_len, %s)",
		      lv, name, lv, name, b);
}

/* ---- bodies of array / optional codecs --------------------------------------
 */

static void enc_loop(tc_gen *g, const tc_decl *x, const char *count,
		     const char *elem)
{
	tc_buf *b = g->body;
	tc_buf_printf(b, "\tfor (i = 0; i < %s; i++) {\n\t\tst = %s;\n", count,
		      enc_scalar(g, &x->t, elem));
	tc_buf_puts(b, "\t\tif (st != TETHER_OK)\n\t\t\treturn st;\n\t}\n");
}

static void dec_loop(tc_gen *g, const tc_decl *x, const char *count,
		     const char *elem)
{
	tc_buf *b = g->body;
	tc_buf_printf(b, "\tfor (i = 0; i < %s; i++) {\n\t\tst = %s;\n", count,
		      dec_scalar(g, &x->t, elem));
	tc_buf_puts(b, "\t\tif (st != TETHER_OK)\n\t\t\treturn st;\n\t}\n");
}

/* The statements of a function encoding x held in lv. */
static void enc_body(tc_gen *g, const tc_decl *x, const char *lv,
		     const char *name)
{
	tc_buf *b = g->body;
	if (is_simple(x)) {
		tc_buf_printf(b, "\treturn %s;\n", enc_simple(g, x, lv, name));
		return;
	}
	if (x->kind == TC_K_OPTIONAL) {
		tc_buf_printf(b,
			      "\ttether_status st;\n\n"
			      "\tst = tether_enc_optional(e, %s != NULL);\n%s"
			      "\tif (%s == NULL)\n\t\treturn TETHER_OK;\n"
			      "\treturn %s;\n",
			      lv, check, lv,
			      enc_scalar(g, &x->t, tc_fmt(g, "(*%s)", lv)));
		return;
	}
	tc_buf_puts(b, "\tuint32_t i;\n\ttether_status st;\n\n");
	if (x->kind == TC_K_FIXED) {
		enc_loop(g, x, bound_str(g, x), tc_fmt(g, "%s[i]", lv));
	} else {
		tc_buf_printf(
		    b,
		    "\tif (%s.%s_len > 0 && %s.%s_val == NULL)\n"
		    "\t\treturn TETHER_E_INVAL;\n"
		    "\tst = tether_enc_array_len(e, %s.%s_len, %s);\n%s",
		    lv, name, lv, name, lv, name, bound_str(g, x), check);
		enc_loop(g, x, tc_fmt(g, "%s.%s_len", lv, name),
			 tc_fmt(g, "%s.%s_val[i]", lv, name));
	}
	tc_buf_puts(b, "\treturn TETHER_OK;\n");
}

static void dec_body(tc_gen *g, const tc_decl *x, const char *lv,
		     const char *name)
{
	tc_buf *b = g->body;
	if (is_simple(x)) {
		tc_buf_printf(b, "\treturn %s;\n", dec_simple(g, x, lv, name));
		return;
	}
	if (x->kind == TC_K_OPTIONAL) {
		tc_buf_printf(
		    b,
		    "\tbool present;\n\tvoid *p;\n\ttether_status st;\n\n"
		    "\t%s = NULL;\n"
		    "\tst = tether_dec_optional(d, &present);\n%s"
		    "\tif (!present)\n\t\treturn TETHER_OK;\n"
		    "\tst = tether_dec_alloc(d, 1, sizeof(*%s), &p);\n%s"
		    "\t%s = p;\n\treturn %s;\n",
		    lv, check, lv, check, lv,
		    dec_scalar(g, &x->t, tc_fmt(g, "(*%s)", lv)));
		return;
	}
	if (x->kind == TC_K_FIXED) {
		tc_buf_puts(b, "\tuint32_t i;\n\ttether_status st;\n\n");
		dec_loop(g, x, bound_str(g, x), tc_fmt(g, "%s[i]", lv));
		tc_buf_puts(b, "\treturn TETHER_OK;\n");
		return;
	}
	tc_decl elem = *x;
	elem.kind = TC_K_SCALAR;
	tc_buf_printf(
	    b,
	    "\tuint32_t i, n;\n\tvoid *p;\n\ttether_status st;\n\n"
	    "\tst = tether_dec_array_len(d, &n, %s, %llu);\n%s"
	    "\tst = tether_dec_alloc(d, n, sizeof(*%s.%s_val), &p);\n%s"
	    "\t%s.%s_val = p;\n\t%s.%s_len = n;\n",
	    bound_str(g, x), (unsigned long long)tc_decl_min_wire(&elem, 0),
	    check, lv, name, check, lv, name, lv, name);
	dec_loop(g, x, "n", tc_fmt(g, "%s.%s_val[i]", lv, name));
	tc_buf_puts(b, "\treturn TETHER_OK;\n");
}

/* ---- per-member helpers
 * ---------------------------------------------------------- */

static const char *member_lv(tc_gen *g, const tc_def *d, const tc_decl *x,
			     bool arm)
{
	if (arm)
		return tc_fmt(g, "v->%s_u.%s", d->name, x->name);
	return tc_fmt(g, "v->%s", x->name);
}

/* For a member that is not one call, a helper pair P__m_encode/decode. */
static void member_helpers(tc_gen *g, const tc_def *d, const tc_decl *x,
			   bool arm)
{
	if (x->kind == TC_K_VOID || is_simple(x))
		return;
	const char *lv = member_lv(g, d, x, arm);
	tc_buf_printf(g->body,
		      "static tether_status %s__%s_encode(tether_enc *e, const "
		      "%s *v)\n{\n",
		      d->name, x->name, d->name);
	enc_body(g, x, lv, x->name);
	tc_buf_printf(g->body,
		      "}\n\nstatic tether_status %s__%s_decode(tether_dec *d, "
		      "%s *v)\n{\n",
		      d->name, x->name, d->name);
	dec_body(g, x, lv, x->name);
	tc_buf_puts(g->body, "}\n\n");
}

static const char *member_enc(tc_gen *g, const tc_def *d, const tc_decl *x,
			      bool arm)
{
	if (x->kind == TC_K_VOID)
		return "TETHER_OK";
	if (is_simple(x))
		return enc_simple(g, x, member_lv(g, d, x, arm), x->name);
	return tc_fmt(g, "%s__%s_encode(e, v)", d->name, x->name);
}

static const char *member_dec(tc_gen *g, const tc_def *d, const tc_decl *x,
			      bool arm)
{
	if (x->kind == TC_K_VOID)
		return "TETHER_OK";
	if (is_simple(x))
		return dec_simple(g, x, member_lv(g, d, x, arm), x->name);
	return tc_fmt(g, "%s__%s_decode(d, v)", d->name, x->name);
}

/* ---- function heads
 * ------------------------------------------------------------- */

static void enc_head(tc_gen *g, const tc_def *d, const char *suffix, bool pub)
{
	tc_buf_printf(
	    g->body,
	    "%stether_status %s_encode%s(tether_enc *e, const %s *v)\n{\n",
	    pub ? "" : "static ", d->name, suffix, d->name);
}

static void dec_head(tc_gen *g, const tc_def *d, const char *suffix, bool pub)
{
	tc_buf_printf(g->body,
		      "%stether_status %s_decode%s(tether_dec *d, %s *v)\n{\n",
		      pub ? "" : "static ", d->name, suffix, d->name);
}

/* Recursive types: the public decoder bounds the nesting depth. */
static void dec_guard(tc_gen *g, const tc_def *d)
{
	dec_head(g, d, "", true);
	tc_buf_printf(g->body,
		      "\ttether_status st = tether_dec_enter(d);\n\n"
		      "\tif (st != TETHER_OK)\n\t\treturn st;\n"
		      "\tst = %s_decode_body(d, v);\n"
		      "\ttether_dec_leave(d);\n\treturn st;\n}\n\n",
		      d->name);
}

static void dec_start(tc_gen *g, const tc_def *d)
{
	if (d->cyclic)
		dec_head(g, d, "_body", false);
	else
		dec_head(g, d, "", true);
}

static void dec_end(tc_gen *g, const tc_def *d)
{
	if (d->cyclic)
		dec_guard(g, d);
}

/* ---- enums
 * --------------------------------------------------------------------- */

static void gen_enum(tc_gen *g, const tc_def *d)
{
	tc_buf *b = g->body;
	enc_head(g, d, "", true);
	tc_buf_puts(b, "\treturn tether_enc_enum(e, (int32_t)*v);\n}\n\n");
	dec_head(g, d, "", true);
	tc_buf_puts(
	    b,
	    "\tint32_t x;\n\ttether_status st = tether_dec_enum(d, &x);\n\n");
	tc_buf_puts(b, check);
	tc_buf_puts(b, "\tswitch (x) {\n");
	for (size_t i = 0; i < d->nvals; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= d->vals[j].value.v == d->vals[i].value.v;
		if (!dup)
			tc_buf_printf(b, "\tcase %s:\n", d->vals[i].name);
	}
	tc_buf_printf(
	    b,
	    "\t\t*v = (%s)x;\n\t\treturn TETHER_OK;\n"
	    "\tdefault:\n\t\treturn TETHER_E_XDR_RANGE; /* RFC 4506 §4.3 */\n"
	    "\t}\n}\n\n",
	    d->name);
}

/* ---- structs
 * ---------------------------------------------------------------------- */

static void struct_fields(tc_gen *g, const tc_def *d, size_t n, bool enc)
{
	for (size_t i = 0; i < n; i++) {
		const tc_decl *x = &d->fields[i];
		tc_buf_printf(g->body, "\tst = %s;\n%s",
			      enc ? member_enc(g, d, x, false)
				  : member_dec(g, d, x, false),
			      check);
	}
}

static void gen_struct_plain(tc_gen *g, const tc_def *d)
{
	enc_head(g, d, "", true);
	tc_buf_puts(g->body, "\ttether_status st;\n\n");
	struct_fields(g, d, d->nfields, true);
	tc_buf_puts(g->body, "\treturn TETHER_OK;\n}\n\n");
	dec_start(g, d);
	tc_buf_puts(g->body, "\ttether_status st;\n\n");
	struct_fields(g, d, d->nfields, false);
	tc_buf_puts(g->body, "\treturn TETHER_OK;\n}\n\n");
	dec_end(g, d);
}

/* struct entry { ...; entry *next; }: a loop, not recursion, so that a
 * long list neither grows the stack nor counts against the depth. */
static void gen_struct_list(tc_gen *g, const tc_def *d)
{
	tc_buf *b = g->body;
	size_t n = d->nfields - 1;
	const char *next = d->fields[n].name;
	if (n > 0) {
		enc_head(g, d, "_head", false);
		tc_buf_puts(b, "\ttether_status st;\n\n");
		struct_fields(g, d, n, true);
		tc_buf_puts(b, "\treturn TETHER_OK;\n}\n\n");
		dec_head(g, d, "_head", false);
		tc_buf_puts(b, "\ttether_status st;\n\n");
		struct_fields(g, d, n, false);
		tc_buf_puts(b, "\treturn TETHER_OK;\n}\n\n");
	}
	enc_head(g, d, "", true);
	tc_buf_puts(b, "\ttether_status st;\n\n\tfor (;;) {\n");
	if (n > 0)
		tc_buf_printf(b,
			      "\t\tst = %s_encode_head(e, v);\n"
			      "\t\tif (st != TETHER_OK)\n\t\t\treturn st;\n",
			      d->name);
	tc_buf_printf(
	    b,
	    "\t\tst = tether_enc_optional(e, v->%s != NULL);\n"
	    "\t\tif (st != TETHER_OK || v->%s == NULL)\n\t\t\treturn st;\n"
	    "\t\tv = v->%s;\n\t}\n}\n\n",
	    next, next, next);
	dec_start(g, d);
	tc_buf_puts(
	    b,
	    "\tbool more;\n\tvoid *p;\n\ttether_status st;\n\n\tfor (;;) {\n");
	if (n > 0)
		tc_buf_printf(b,
			      "\t\tst = %s_decode_head(d, v);\n"
			      "\t\tif (st != TETHER_OK)\n\t\t\treturn st;\n",
			      d->name);
	tc_buf_printf(b,
		      "\t\tv->%s = NULL;\n"
		      "\t\tst = tether_dec_optional(d, &more);\n"
		      "\t\tif (st != TETHER_OK || !more)\n\t\t\treturn st;\n"
		      "\t\tst = tether_dec_alloc(d, 1, sizeof(*v), &p);\n"
		      "\t\tif (st != TETHER_OK)\n\t\t\treturn st;\n"
		      "\t\tv->%s = p;\n\t\tv = p;\n\t}\n}\n\n",
		      next, next);
	dec_end(g, d);
}

static void gen_struct(tc_gen *g, const tc_def *d)
{
	size_t n = d->list ? d->nfields - 1 : d->nfields;
	for (size_t i = 0; i < n; i++)
		member_helpers(g, d, &d->fields[i], false);
	if (d->list)
		gen_struct_list(g, d);
	else
		gen_struct_plain(g, d);
}

/* ---- unions
 * ----------------------------------------------------------------------- */

/* Case labels by name when the .x file named them (an enum member or a
 * constant, both C names in the header), else by value. */
static void case_labels(tc_gen *g, const tc_arm *a)
{
	for (size_t i = 0; i < a->nlabels; i++) {
		const tc_value *l = &a->labels[i];
		tc_buf_puts(g->body, "\tcase ");
		tc_put_value(g->body, l);
		tc_buf_puts(g->body, ":\n");
	}
}

static void union_switch(tc_gen *g, const tc_def *d, bool enc)
{
	tc_buf *b = g->body;
	const tc_tspec *dt = &d->disc.t;
	bool is_bool = dt->base == TC_B_BOOL;
	tc_buf_printf(b, "\tswitch (%sv->%s) {\n", is_bool ? "(int)" : "",
		      d->disc.name);
	for (size_t i = 0; i < d->narms; i++) {
		const tc_decl *x = &d->arms[i].decl;
		case_labels(g, &d->arms[i]);
		tc_buf_printf(b, "\t\treturn %s;\n",
			      enc ? member_enc(g, d, x, true)
				  : member_dec(g, d, x, true));
	}
	tc_buf_puts(b, "\tdefault:\n");
	if (d->deflt != NULL)
		tc_buf_printf(b, "\t\treturn %s;\n",
			      enc ? member_enc(g, d, d->deflt, true)
				  : member_dec(g, d, d->deflt, true));
	else
		tc_buf_puts(b, "\t\treturn TETHER_E_XDR_RANGE; /* no arm: RFC "
			       "4506 §4.15 */\n");
	tc_buf_puts(b, "\t}\n}\n\n");
}

static void gen_union(tc_gen *g, const tc_def *d)
{
	for (size_t i = 0; i < d->narms; i++)
		member_helpers(g, d, &d->arms[i].decl, true);
	if (d->deflt != NULL)
		member_helpers(g, d, d->deflt, true);
	tc_buf *b = g->body;
	const char *dl = tc_fmt(g, "v->%s", d->disc.name);
	enc_head(g, d, "", true);
	tc_buf_printf(b, "\ttether_status st = %s;\n\n%s",
		      enc_scalar(g, &d->disc.t, dl), check);
	union_switch(g, d, true);
	dec_start(g, d);
	tc_buf_printf(b, "\ttether_status st = %s;\n\n%s",
		      dec_scalar(g, &d->disc.t, dl), check);
	union_switch(g, d, false);
	dec_end(g, d);
}

/* ---- typedefs
 * --------------------------------------------------------------------- */

static void gen_typedef(tc_gen *g, const tc_def *d)
{
	enc_head(g, d, "", true);
	enc_body(g, &d->td, "(*v)", d->name);
	tc_buf_puts(g->body, "}\n\n");
	dec_start(g, d);
	dec_body(g, &d->td, "(*v)", d->name);
	tc_buf_puts(g->body, "}\n\n");
	dec_end(g, d);
}

void tc_gen_codecs(tc_gen *g, tc_def *d)
{
	switch (d->kind) {
	case TC_D_ENUM:
		gen_enum(g, d);
		break;
	case TC_D_STRUCT:
		gen_struct(g, d);
		break;
	case TC_D_UNION:
		gen_union(g, d);
		break;
	case TC_D_TYPEDEF:
		gen_typedef(g, d);
		break;
	default:
		break;
	}
}

/* ---- static helpers used by the code above
 * ------------------------------------------- */

static void small_int_helper(tc_gen *g, const char *name, const char *ctype,
			     const char *wire, const char *lo, const char *hi)
{
	tc_buf_printf(
	    &g->pre,
	    "static tether_status %s(tether_dec *d, %s *v)\n{\n"
	    "\t%s x;\n\ttether_status st = tether_dec_%s(d, &x);\n\n%s"
	    "\tif (%s%s > %s)\n\t\treturn TETHER_E_XDR_RANGE;\n"
	    "\t*v = (%s)x;\n\treturn TETHER_OK;\n}\n\n",
	    name, ctype, wire[0] == 'i' ? "int32_t" : "uint32_t", wire, check,
	    lo, lo[0] ? " || x" : "x", hi, ctype);
}

void tc_gen_codec_prelude(tc_gen *g)
{
	if (g->need & TC_NEED_DEC_I8)
		small_int_helper(g, "tetherc_dec_int8", "int8_t", "int",
				 "x < INT8_MIN", "INT8_MAX");
	if (g->need & TC_NEED_DEC_U8)
		small_int_helper(g, "tetherc_dec_uint8", "uint8_t", "uint", "",
				 "UINT8_MAX");
	if (g->need & TC_NEED_DEC_I16)
		small_int_helper(g, "tetherc_dec_int16", "int16_t", "int",
				 "x < INT16_MIN", "INT16_MAX");
	if (g->need & TC_NEED_DEC_U16)
		small_int_helper(g, "tetherc_dec_uint16", "uint16_t", "uint",
				 "", "UINT16_MAX");
	if (g->need & TC_NEED_DEC_OPAQUE)
		tc_buf_puts(&g->pre,
			    "/* opaque<> into rpcgen's `char *` member. */\n"
			    "static tether_status "
			    "tetherc_dec_opaque(tether_dec *d, char **val,\n"
			    "\t\t\t\t\t uint32_t *len, uint32_t max)\n{\n"
			    "\tuint8_t *p;\n"
			    "\ttether_status st = tether_dec_opaque(d, &p, "
			    "len, max);\n\n"
			    "\tif (st == TETHER_OK)\n\t\t*val = (char *)p;\n"
			    "\treturn st;\n}\n\n");
}
