/* SPDX-License-Identifier: MIT */
/*
 * gen_desc.c - generated descriptor tables (tether/desc.h): one
 * tether_type_desc per named type, anonymous ones for arrays, optionals,
 * strings and opaques, and static ones for the primitive types used.
 */
#include <string.h>

#include "gen.h"

static const struct {
	const char *name, *kind, *ctype, *enc, *dec;
} prims[] = {
    [TC_B_VOID] = {"void", "TETHER_T_VOID", NULL, NULL, NULL},
    [TC_B_INT] = {"int", "TETHER_T_INT", "int32_t", "tether_enc_int",
		  "tether_dec_int"},
    [TC_B_UINT] = {"unsigned int", "TETHER_T_UINT", "uint32_t",
		   "tether_enc_uint", "tether_dec_uint"},
    [TC_B_HYPER] = {"hyper", "TETHER_T_HYPER", "int64_t", "tether_enc_hyper",
		    "tether_dec_hyper"},
    [TC_B_UHYPER] = {"unsigned hyper", "TETHER_T_UHYPER", "uint64_t",
		     "tether_enc_uhyper", "tether_dec_uhyper"},
    [TC_B_FLOAT] = {"float", "TETHER_T_FLOAT", "float", "tether_enc_float",
		    "tether_dec_float"},
    [TC_B_DOUBLE] = {"double", "TETHER_T_DOUBLE", "double", "tether_enc_double",
		     "tether_dec_double"},
    [TC_B_QUAD] = {"quadruple", "TETHER_T_QUAD", "tether_quad",
		   "tether_enc_quad", "tether_dec_quad"},
    [TC_B_BOOL] = {"bool", "TETHER_T_BOOL", "bool", "tether_enc_bool",
		   "tether_dec_bool"},
    [TC_B_CHAR] = {"char", "TETHER_T_INT", "int8_t", "tether_enc_int",
		   "tetherc_dec_int8"},
    [TC_B_UCHAR] = {"unsigned char", "TETHER_T_UINT", "uint8_t",
		    "tether_enc_uint", "tetherc_dec_uint8"},
    [TC_B_SHORT] = {"short", "TETHER_T_INT", "int16_t", "tether_enc_int",
		    "tetherc_dec_int16"},
    [TC_B_USHORT] = {"unsigned short", "TETHER_T_UINT", "uint16_t",
		     "tether_enc_uint", "tetherc_dec_uint16"},
};

static const char *prim_id(tc_base b)
{
	static const char *const ids[] = {
	    [TC_B_VOID] = "void",     [TC_B_INT] = "int",
	    [TC_B_UINT] = "uint",     [TC_B_HYPER] = "hyper",
	    [TC_B_UHYPER] = "uhyper", [TC_B_FLOAT] = "float",
	    [TC_B_DOUBLE] = "double", [TC_B_QUAD] = "quad",
	    [TC_B_BOOL] = "bool",     [TC_B_CHAR] = "char",
	    [TC_B_UCHAR] = "uchar",   [TC_B_SHORT] = "short",
	    [TC_B_USHORT] = "ushort",
	};
	return ids[b];
}

static const char *scalar_desc(tc_gen *g, const tc_tspec *t)
{
	if (t->base == TC_B_NAMED) {
		if (t->def->kind == TC_D_BUILTIN) {
			g->prim_desc[TC_B_NAMED] = true; /* netobj */
			return "&tetherc_netobj_desc";
		}
		return tc_fmt(g, "&%s_desc", t->def->name);
	}
	if (t->base == TC_B_STRING) {
		g->need |= TC_NEED_STRING_DESC;
		return "&tetherc_string_desc";
	}
	if (t->base > TC_B_USHORT)
		return "NULL";
	g->prim_desc[t->base] = true;
	if (t->base == TC_B_CHAR)
		g->need |= TC_NEED_DEC_I8;
	if (t->base == TC_B_UCHAR)
		g->need |= TC_NEED_DEC_U8;
	if (t->base == TC_B_SHORT)
		g->need |= TC_NEED_DEC_I16;
	if (t->base == TC_B_USHORT)
		g->need |= TC_NEED_DEC_U16;
	return tc_fmt(g, "&tetherc_%s_desc", prim_id(t->base));
}

static const char *sizeof_member(tc_gen *g, const char *parent,
				 const char *member)
{
	if (member == NULL)
		return tc_fmt(g, "sizeof(%s)", parent);
	return tc_fmt(g, "sizeof(((%s *)0)->%s)", parent, member);
}

static const char *rel_offset(tc_gen *g, const char *parent, const char *member,
			      const char *sub)
{
	if (member == NULL)
		return tc_fmt(g, "offsetof(%s, %s)", parent, sub);
	return tc_fmt(g, "offsetof(%s, %s.%s) - offsetof(%s, %s)", parent,
		      member, sub, parent, member);
}

const char *tc_desc_of(tc_gen *g, const tc_decl *x, const char *parent,
		       const char *member, const char *anon)
{
	if (x->kind == TC_K_VOID) {
		g->need |= TC_NEED_VOID_DESC;
		return "&tetherc_void_desc";
	}
	if (x->kind == TC_K_SCALAR)
		return scalar_desc(g, &x->t);
	tc_buf *b = g->body;
	const char *name = x->name ? x->name : parent;
	const char *kind, *elem = NULL;
	bool lens = false;
	if (x->t.base == TC_B_STRING) {
		kind = "TETHER_T_STRING";
	} else if (x->t.base == TC_B_OPAQUE) {
		kind = x->kind == TC_K_FIXED ? "TETHER_T_FOPAQUE"
					     : "TETHER_T_OPAQUE";
		lens = x->kind == TC_K_VAR;
	} else {
		kind = x->kind == TC_K_FIXED ? "TETHER_T_FARRAY"
		       : x->kind == TC_K_VAR ? "TETHER_T_VARRAY"
					     : "TETHER_T_OPTIONAL";
		lens = x->kind == TC_K_VAR;
		elem = scalar_desc(g, &x->t);
	}
	tc_buf_printf(b,
		      "static const tether_type_desc %s = {\n\t.kind = "
		      "%s,\n\t.size = %s,\n",
		      anon, kind, sizeof_member(g, parent, member));
	if (x->kind != TC_K_OPTIONAL) {
		tc_buf_puts(b, "\t.bound = ");
		tc_put_bound(b, x);
		tc_buf_puts(b, ",\n");
	}
	if (elem != NULL)
		tc_buf_printf(b, "\t.elem = %s,\n", elem);
	if (lens)
		tc_buf_printf(
		    b, "\t.len_offset = %s,\n\t.val_offset = %s,\n",
		    rel_offset(g, parent, member, tc_fmt(g, "%s_len", name)),
		    rel_offset(g, parent, member, tc_fmt(g, "%s_val", name)));
	tc_buf_puts(b, "};\n\n");
	return tc_fmt(g, "&%s", anon);
}

/* ---- named types
 * -------------------------------------------------------------- */

static void desc_tail(tc_gen *g, const tc_def *d)
{
	tc_buf_printf(
	    g->body,
	    "\t.encode = %s_encode_any,\n\t.decode = %s_decode_any,\n};\n\n",
	    d->name, d->name);
}

static void any_wrappers(tc_gen *g, const tc_def *d)
{
	tc_buf_printf(
	    g->body,
	    "static tether_status %s_encode_any(tether_enc *e, const void "
	    "*v)\n{\n"
	    "\treturn %s_encode(e, (const %s *)v);\n}\n\n"
	    "static tether_status %s_decode_any(tether_dec *d, void *v)\n{\n"
	    "\treturn %s_decode(d, (%s *)v);\n}\n\n",
	    d->name, d->name, d->name, d->name, d->name, d->name);
}

static void desc_enum(tc_gen *g, const tc_def *d)
{
	tc_buf *b = g->body;
	tc_buf_printf(b, "static const tether_enum_value %s_values[] = {\n",
		      d->name);
	for (size_t i = 0; i < d->nvals; i++) {
		tc_buf_printf(b, "\t{ \"%s\", ", d->vals[i].name);
		tc_put_int(b, d->vals[i].value.v);
		tc_buf_puts(b, " },\n");
	}
	tc_buf_puts(b, "};\n\n");
	any_wrappers(g, d);
	tc_buf_printf(b,
		      "const tether_type_desc %s_desc = {\n\t.name = \"%s\",\n"
		      "\t.kind = TETHER_T_ENUM,\n\t.size = sizeof(%s),\n"
		      "\t.values = %s_values,\n\t.nvalues = %zu,\n",
		      d->name, d->name, d->name, d->name, d->nvals);
	desc_tail(g, d);
}

static void desc_struct(tc_gen *g, const tc_def *d)
{
	tc_buf *b = g->body;
	const char **ds = tc_pool_alloc(&g->c->pool, d->nfields * sizeof(*ds));
	if (ds == NULL)
		return;
	for (size_t i = 0; i < d->nfields; i++) {
		const tc_decl *x = &d->fields[i];
		ds[i] = tc_desc_of(g, x, d->name, x->name,
				   tc_fmt(g, "%s__%s_desc", d->name, x->name));
	}
	tc_buf_printf(b, "static const tether_field_desc %s_fields[] = {\n",
		      d->name);
	for (size_t i = 0; i < d->nfields; i++)
		tc_buf_printf(b, "\t{ \"%s\", %s, offsetof(%s, %s) },\n",
			      d->fields[i].name, ds[i], d->name,
			      d->fields[i].name);
	tc_buf_puts(b, "};\n\n");
	any_wrappers(g, d);
	tc_buf_printf(b,
		      "const tether_type_desc %s_desc = {\n\t.name = \"%s\",\n"
		      "\t.kind = TETHER_T_STRUCT,\n\t.size = sizeof(%s),\n"
		      "\t.fields = %s_fields,\n\t.nfields = %zu,\n",
		      d->name, d->name, d->name, d->name, d->nfields);
	desc_tail(g, d);
}

static const char *arm_desc(tc_gen *g, const tc_def *d, const tc_decl *x)
{
	if (x->kind == TC_K_VOID)
		return tc_desc_of(g, x, d->name, NULL, NULL);
	return tc_desc_of(g, x, d->name, tc_fmt(g, "%s_u.%s", d->name, x->name),
			  tc_fmt(g, "%s__%s_desc", d->name, x->name));
}

static void put_arm(tc_gen *g, int64_t v, const tc_decl *x, const char *ds)
{
	tc_buf_puts(g->body, "\t{ ");
	/* Case values are carried as int32 (desc.h). */
	tc_put_int(g->body, v > INT32_MAX ? v - 4294967296LL : v);
	if (x->kind == TC_K_VOID)
		tc_buf_printf(g->body, ", NULL, %s }", ds);
	else
		tc_buf_printf(g->body, ", \"%s\", %s }", x->name, ds);
}

static void desc_union(tc_gen *g, const tc_def *d)
{
	tc_buf *b = g->body;
	const char *disc = tc_desc_of(g, &d->disc, d->name, d->disc.name, NULL);
	const char **ds = tc_pool_alloc(&g->c->pool, d->narms * sizeof(*ds));
	if (ds == NULL)
		return;
	bool any = false;
	for (size_t i = 0; i < d->narms; i++) {
		ds[i] = arm_desc(g, d, &d->arms[i].decl);
		any |= d->arms[i].decl.kind != TC_K_VOID;
	}
	if (d->deflt != NULL) {
		const char *dd = arm_desc(g, d, d->deflt);
		any |= d->deflt->kind != TC_K_VOID;
		tc_buf_printf(b,
			      "static const tether_arm_desc %s_default_arm =\n",
			      d->name);
		put_arm(g, 0, d->deflt, dd);
		tc_buf_puts(b, ";\n\n");
	}
	tc_buf_printf(b,
		      "static const tether_field_desc %s_fields[] = {\n"
		      "\t{ \"%s\", %s, offsetof(%s, %s) },\n};\n\n",
		      d->name, d->disc.name, disc, d->name, d->disc.name);
	size_t narms = 0;
	tc_buf_printf(b, "static const tether_arm_desc %s_arms[] = {\n",
		      d->name);
	for (size_t i = 0; i < d->narms; i++) {
		for (size_t l = 0; l < d->arms[i].nlabels; l++, narms++) {
			put_arm(g, d->arms[i].labels[l].v, &d->arms[i].decl,
				ds[i]);
			tc_buf_puts(b, ",\n");
		}
	}
	tc_buf_puts(b, "};\n\n");
	any_wrappers(g, d);
	tc_buf_printf(b,
		      "const tether_type_desc %s_desc = {\n\t.name = \"%s\",\n"
		      "\t.kind = TETHER_T_UNION,\n\t.size = sizeof(%s),\n"
		      "\t.fields = %s_fields,\n\t.nfields = 1,\n"
		      "\t.arms = %s_arms,\n\t.narms = %zu,\n",
		      d->name, d->name, d->name, d->name, d->name, narms);
	if (d->deflt != NULL)
		tc_buf_printf(b, "\t.default_arm = &%s_default_arm,\n",
			      d->name);
	if (any)
		tc_buf_printf(b, "\t.union_offset = offsetof(%s, %s_u),\n",
			      d->name, d->name);
	desc_tail(g, d);
}

static void desc_typedef(tc_gen *g, const tc_def *d)
{
	const char *elem = tc_desc_of(g, &d->td, d->name, NULL,
				      tc_fmt(g, "%s__value_desc", d->name));
	any_wrappers(g, d);
	tc_buf_printf(g->body,
		      "const tether_type_desc %s_desc = {\n\t.name = \"%s\",\n"
		      "\t.kind = TETHER_T_TYPEDEF,\n\t.size = sizeof(%s),\n"
		      "\t.elem = %s,\n",
		      d->name, d->name, d->name, elem);
	desc_tail(g, d);
}

void tc_gen_desc(tc_gen *g, tc_def *d)
{
	switch (d->kind) {
	case TC_D_ENUM:
		desc_enum(g, d);
		break;
	case TC_D_STRUCT:
		desc_struct(g, d);
		break;
	case TC_D_UNION:
		desc_union(g, d);
		break;
	case TC_D_TYPEDEF:
		desc_typedef(g, d);
		break;
	default:
		break;
	}
}

/* ---- primitive descriptors (static, only those used)
 * --------------------------- */

static void prim_desc(tc_gen *g, tc_base base)
{
	const char *id = prim_id(base);
	tc_buf *b = &g->pre;
	if (base == TC_B_VOID)
		return;
	tc_buf_printf(b,
		      "static tether_status tetherc_%s_encode(tether_enc *e, "
		      "const void *v)\n{\n",
		      id);
	if (base == TC_B_QUAD)
		tc_buf_printf(b, "\treturn %s(e, v);\n}\n\n", prims[base].enc);
	else
		tc_buf_printf(b, "\treturn %s(e, *(const %s *)v);\n}\n\n",
			      prims[base].enc, prims[base].ctype);
	tc_buf_printf(b,
		      "static tether_status tetherc_%s_decode(tether_dec *d, "
		      "void *v)\n{\n"
		      "\treturn %s(d, v);\n}\n\n",
		      id, prims[base].dec);
	tc_buf_printf(
	    b,
	    "static const tether_type_desc tetherc_%s_desc = {\n"
	    "\t.name = \"%s\",\n\t.kind = %s,\n\t.size = sizeof(%s),\n"
	    "\t.encode = tetherc_%s_encode,\n\t.decode = "
	    "tetherc_%s_decode,\n};\n\n",
	    id, prims[base].name, prims[base].kind, prims[base].ctype, id, id);
}

void tc_gen_desc_prelude(tc_gen *g)
{
	if (g->need & TC_NEED_VOID_DESC)
		tc_buf_puts(
		    &g->pre,
		    "static const tether_type_desc tetherc_void_desc = {\n"
		    "\t.name = \"void\",\n\t.kind = TETHER_T_VOID,\n};\n\n");
	for (int b = TC_B_INT; b <= TC_B_USHORT; b++)
		if (g->prim_desc[b])
			prim_desc(g, (tc_base)b);
	if (g->need & TC_NEED_STRING_DESC)
		tc_buf_puts(
		    &g->pre,
		    "static tether_status tetherc_string_encode(tether_enc *e, "
		    "const void *v)\n{\n"
		    "\treturn tether_enc_string(e, *(char *const *)v, "
		    "TETHER_XDR_UNBOUNDED);\n}\n\n"
		    "static tether_status tetherc_string_decode(tether_dec *d, "
		    "void *v)\n{\n"
		    "\treturn tether_dec_string(d, v, "
		    "TETHER_XDR_UNBOUNDED);\n}\n\n"
		    "static const tether_type_desc tetherc_string_desc = {\n"
		    "\t.name = \"string\",\n\t.kind = TETHER_T_STRING,\n"
		    "\t.size = sizeof(char *),\n\t.bound = "
		    "TETHER_XDR_UNBOUNDED,\n"
		    "\t.encode = tetherc_string_encode,\n\t.decode = "
		    "tetherc_string_decode,\n};\n\n");
	if (g->prim_desc[TC_B_NAMED]) {
		g->need |= TC_NEED_DEC_OPAQUE;
		tc_buf_puts(
		    &g->pre,
		    "static tether_status tetherc_netobj_encode(tether_enc *e, "
		    "const void *v)\n{\n"
		    "\tconst netobj *o = v;\n\n"
		    "\treturn tether_enc_opaque(e, o->n_bytes, o->n_len, "
		    "TETHER_MAX_NETOBJ_SZ);\n}\n\n"
		    "static tether_status tetherc_netobj_decode(tether_dec *d, "
		    "void *v)\n{\n"
		    "\tnetobj *o = v;\n\n"
		    "\treturn tetherc_dec_opaque(d, &o->n_bytes, &o->n_len, "
		    "TETHER_MAX_NETOBJ_SZ);\n}\n\n"
		    "static const tether_type_desc tetherc_netobj_desc = {\n"
		    "\t.name = \"netobj\",\n\t.kind = TETHER_T_OPAQUE,\n"
		    "\t.size = sizeof(netobj),\n\t.bound = "
		    "TETHER_MAX_NETOBJ_SZ,\n"
		    "\t.len_offset = offsetof(netobj, n_len),\n"
		    "\t.val_offset = offsetof(netobj, n_bytes),\n"
		    "\t.encode = tetherc_netobj_encode,\n\t.decode = "
		    "tetherc_netobj_decode,\n};\n\n");
	}
}
