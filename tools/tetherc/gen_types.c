/* SPDX-License-Identifier: MIT */
/*
 * gen_types.c - the C side of .x types, named as rpcgen names them:
 * constants as #defines, enums as C enums, struct/union typedefs declared
 * up front, then every type in dependency order (a type used by value is
 * defined before its user), then codec prototypes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

char *tc_fmt(tc_gen *g, const char *fmt, ...)
{
	tc_buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		g->c->pool.failed = true;
		return "";
	}
	tc_buf_puts(&b, tmp);
	char *r = tc_buf_take(&g->c->pool, &b);
	return r ? r : "";
}

char *tc_lower(tc_gen *g, const char *s)
{
	char *r = tc_pool_strndup(&g->c->pool, s, strlen(s));
	if (r == NULL)
		return "";
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

bool tc_is_type(const tc_def *d)
{
	return d->kind == TC_D_ENUM || d->kind == TC_D_STRUCT ||
	       d->kind == TC_D_UNION || d->kind == TC_D_TYPEDEF;
}

bool tc_def_generated(const tc_def *d)
{
	return tc_is_type(d) && !d->imported;
}

const char *tc_ctype(const tc_tspec *t)
{
	switch (t->base) {
	case TC_B_INT:
		return "int32_t";
	case TC_B_UINT:
		return "uint32_t";
	case TC_B_HYPER:
		return "int64_t";
	case TC_B_UHYPER:
		return "uint64_t";
	case TC_B_FLOAT:
		return "float";
	case TC_B_DOUBLE:
		return "double";
	case TC_B_QUAD:
		return "tether_quad";
	case TC_B_BOOL:
		return "bool";
	case TC_B_CHAR:
		return "int8_t";
	case TC_B_UCHAR:
		return "uint8_t";
	case TC_B_SHORT:
		return "int16_t";
	case TC_B_USHORT:
		return "uint16_t";
	case TC_B_STRING:
		return "char *";
	case TC_B_OPAQUE:
		return "char";
	case TC_B_NAMED:
		return t->def ? t->def->name : t->name;
	default:
		return "void";
	}
}

void tc_put_int(tc_buf *b, int64_t v)
{
	if (v == INT32_MIN)
		tc_buf_puts(b, "(-2147483647 - 1)");
	else if (v < 0)
		tc_buf_printf(b, "(%lld)", (long long)v);
	else if (v > INT32_MAX)
		tc_buf_printf(b, "%lluu", (unsigned long long)v);
	else
		tc_buf_printf(b, "%lld", (long long)v);
}

void tc_put_value(tc_buf *b, const tc_value *v)
{
	if (v->ident != NULL && !v->builtin)
		tc_buf_puts(b, v->ident);
	else if (v->ident == NULL && v->text != NULL)
		tc_buf_puts(b, v->text); /* as written: 0x7fffffff, 010 */
	else
		tc_put_int(b, v->v);
}

void tc_put_bound(tc_buf *b, const tc_decl *x)
{
	if (x->kind == TC_K_VAR && !x->bounded)
		tc_buf_puts(b, "TETHER_XDR_UNBOUNDED");
	else
		tc_put_value(b, &x->bound);
}

void tc_put_cdecl(tc_buf *b, const tc_decl *x, const char *name,
		  const char *indent)
{
	const char *t = tc_ctype(&x->t);
	tc_buf_puts(b, indent);
	switch (x->kind) {
	case TC_K_SCALAR:
		tc_buf_printf(b, "%s %s;\n", t, name);
		break;
	case TC_K_OPTIONAL:
		tc_buf_printf(b, "%s *%s;\n", t, name);
		break;
	case TC_K_FIXED:
		tc_buf_printf(b, "%s %s[", t, name);
		tc_put_value(b, &x->bound);
		tc_buf_puts(b, "];\n");
		break;
	case TC_K_VAR:
		if (x->t.base == TC_B_STRING)
			tc_buf_printf(b, "char *%s;\n", name);
		else
			tc_buf_printf(b,
				      "struct {\n%s\tuint32_t %s_len;\n%s\t%s "
				      "*%s_val;\n%s} %s;\n",
				      indent, name, indent, t, name, indent,
				      name);
		break;
	default:
		break;
	}
}

/* ---- dependency order ------------------------------------------------------
 */

/* C needs a complete type for members held by value, and a declared name
 * for every typedef or enum, even behind a pointer; struct and union names
 * are declared up front, so pointers to them need nothing. */
static tc_def *needs(const tc_decl *x, bool in_typedef)
{
	if (x->kind == TC_K_VOID || x->t.base != TC_B_NAMED || x->t.def == NULL)
		return NULL;
	tc_def *t = x->t.def;
	if (t->kind == TC_D_BUILTIN || t->imported)
		return NULL;
	/* "typedef struct s alias;" needs only the (declared) tag. */
	bool by_value =
	    x->kind == TC_K_FIXED || (x->kind == TC_K_SCALAR && !in_typedef);
	bool aggregate = t->kind == TC_D_STRUCT || t->kind == TC_D_UNION;
	return by_value || !aggregate ? t : NULL;
}

static void emit_type(tc_gen *g, tc_def *d, unsigned depth);

static void emit_deps_decl(tc_gen *g, const tc_decl *x, unsigned depth,
			   bool in_typedef)
{
	tc_def *t = needs(x, in_typedef);
	if (t != NULL)
		emit_type(g, t, depth + 1);
	/* A member of type `alias` (typedef struct s alias) by value needs
	 * struct s complete as well. */
	bool by_value =
	    x->kind == TC_K_FIXED || (x->kind == TC_K_SCALAR && !in_typedef);
	for (unsigned i = 0; t != NULL && by_value && i < 1000 && !g->c->failed;
	     i++) {
		if (t->kind != TC_D_TYPEDEF || t->td.kind == TC_K_VOID ||
		    (t->td.kind != TC_K_SCALAR && t->td.kind != TC_K_FIXED) ||
		    t->td.t.base != TC_B_NAMED || t->td.t.def == NULL)
			break;
		t = t->td.t.def;
		if (t->kind != TC_D_BUILTIN && !t->imported)
			emit_type(g, t, depth + 1);
	}
}

static void emit_deps(tc_gen *g, tc_def *d, unsigned depth)
{
	if (d->kind == TC_D_STRUCT) {
		for (size_t i = 0; i < d->nfields; i++)
			emit_deps_decl(g, &d->fields[i], depth, false);
	} else if (d->kind == TC_D_UNION) {
		emit_deps_decl(g, &d->disc, depth, false);
		for (size_t i = 0; i < d->narms; i++)
			emit_deps_decl(g, &d->arms[i].decl, depth, false);
		if (d->deflt)
			emit_deps_decl(g, d->deflt, depth, false);
	} else if (d->kind == TC_D_TYPEDEF) {
		emit_deps_decl(g, &d->td, depth, true);
	}
}

static void emit_enum(tc_gen *g, tc_def *d)
{
	tc_buf_printf(g->h, "enum %s {\n", d->name);
	for (size_t i = 0; i < d->nvals; i++) {
		tc_buf_printf(g->h, "\t%s = ", d->vals[i].name);
		tc_put_int(g->h, d->vals[i].value.v);
		tc_buf_puts(g->h, i + 1 < d->nvals ? ",\n" : "\n");
	}
	tc_buf_printf(g->h, "};\ntypedef enum %s %s;\n\n", d->name, d->name);
}

static void emit_union(tc_gen *g, tc_def *d)
{
	tc_buf_printf(g->h, "struct %s {\n", d->name);
	tc_put_cdecl(g->h, &d->disc, d->disc.name, "\t");
	bool any = false;
	for (size_t i = 0; i < d->narms; i++)
		any |= d->arms[i].decl.kind != TC_K_VOID;
	any |= d->deflt != NULL && d->deflt->kind != TC_K_VOID;
	if (any) {
		tc_buf_puts(g->h, "\tunion {\n");
		for (size_t i = 0; i < d->narms; i++) {
			const tc_decl *x = &d->arms[i].decl;
			if (x->kind != TC_K_VOID)
				tc_put_cdecl(g->h, x, x->name, "\t\t");
		}
		if (d->deflt && d->deflt->kind != TC_K_VOID)
			tc_put_cdecl(g->h, d->deflt, d->deflt->name, "\t\t");
		tc_buf_printf(g->h, "\t} %s_u;\n", d->name);
	}
	tc_buf_puts(g->h, "};\n\n");
}

static void emit_type(tc_gen *g, tc_def *d, unsigned depth)
{
	if (d->emitted || !tc_def_generated(d))
		return;
	if (d->mark == 1 || depth > 1000) {
		tc_error(g->c, d->loc,
			 "type '%s' contains itself; use an optional '*' or a "
			 "variable-length array",
			 d->name);
		return;
	}
	d->mark = 1;
	emit_deps(g, d, depth);
	d->mark = 2;
	if (g->c->failed || d->emitted)
		return;
	d->emitted = true;
	switch (d->kind) {
	case TC_D_ENUM:
		emit_enum(g, d);
		break;
	case TC_D_STRUCT:
		tc_buf_printf(g->h, "struct %s {\n", d->name);
		for (size_t i = 0; i < d->nfields; i++)
			tc_put_cdecl(g->h, &d->fields[i], d->fields[i].name,
				     "\t");
		tc_buf_puts(g->h, "};\n\n");
		break;
	case TC_D_UNION:
		emit_union(g, d);
		break;
	case TC_D_TYPEDEF:
		tc_buf_puts(g->h, "typedef ");
		tc_put_cdecl(g->h, &d->td, d->name, "");
		tc_buf_puts(g->h, "\n");
		break;
	default:
		break;
	}
}

void tc_gen_passthru(tc_gen *g, size_t upto)
{
	const tc_passthru *p = g->pt_started ? g->pt_next : g->c->pt;
	g->pt_started = true;
	bool any = false;
	for (; p != NULL && p->before <= upto; p = p->next) {
		if (!any)
			tc_buf_puts(g->h, "/* %-lines of the .x file. */\n");
		any = true;
		/* SCCS "#pragma ident" lines would trip -Wunknown-pragmas. */
		const char *t = p->text;
		while (*t == ' ' || *t == '\t')
			t++;
		if (strncmp(t, "#pragma ident", 13) == 0 && !strstr(t, "*/"))
			tc_buf_printf(g->h, "/* %s */\n", t);
		else
			tc_buf_printf(g->h, "%s\n", p->text);
	}
	if (any)
		tc_buf_puts(g->h, "\n");
	g->pt_next = p;
}

static void emit_consts(tc_gen *g)
{
	bool any = false;
	for (tc_def *d = g->c->defs; d != NULL; d = d->next) {
		if (d->kind != TC_D_CONST || d->imported)
			continue;
		if (!any)
			tc_buf_puts(g->h, "/* Constants. */\n");
		any = true;
		tc_buf_printf(g->h, "#define %s ", d->name);
		if (d->value.str != NULL)
			tc_buf_puts(g->h, d->value.str);
		else if (d->value.ident != NULL || d->value.text == NULL)
			tc_put_int(g->h, d->value.v);
		else
			tc_buf_puts(g->h, d->value.text);
		tc_buf_puts(g->h, "\n");
	}
	if (any)
		tc_buf_puts(g->h, "\n");
}

static void emit_netobj(tc_gen *g)
{
	if (!g->c->uses_netobj)
		return;
	tc_buf_puts(g->h,
		    "/* netobj, as <rpc/xdr.h> defines it: opaque<1024>. */\n"
		    "#ifndef TETHER_NETOBJ_DEFINED\n"
		    "#define TETHER_NETOBJ_DEFINED\n"
		    "#define TETHER_MAX_NETOBJ_SZ 1024\n"
		    "typedef struct netobj {\n\tuint32_t n_len;\n\tchar "
		    "*n_bytes;\n} netobj;\n"
		    "#endif\n\n");
}

static void emit_prototypes(tc_gen *g)
{
	tc_buf_puts(
	    g->h,
	    "/* Codecs: encode *v; decode into *v with memory from the\n"
	    " * decoder's arena. Descriptors for the CLI and reflection. */\n");
	for (tc_def *d = g->c->defs; d != NULL; d = d->next) {
		if (!tc_def_generated(d))
			continue;
		tc_buf_printf(g->h,
			      "TETHER_WUR tether_status %s_encode(tether_enc "
			      "*e, const %s *v);\n"
			      "TETHER_WUR tether_status %s_decode(tether_dec "
			      "*d, %s *v);\n"
			      "extern const tether_type_desc %s_desc;\n",
			      d->name, d->name, d->name, d->name, d->name);
	}
	tc_buf_puts(g->h, "\n");
}

void tc_gen_types(tc_gen *g)
{
	tc_ctx *c = g->c;
	emit_consts(g);
	emit_netobj(g);
	bool any = false;
	for (tc_def *d = c->defs; d != NULL; d = d->next) {
		if (tc_def_generated(d) &&
		    (d->kind == TC_D_STRUCT || d->kind == TC_D_UNION)) {
			tc_buf_printf(g->h, "typedef struct %s %s;\n", d->name,
				      d->name);
			any = true;
		}
		d->emitted = false;
		d->mark = 0;
	}
	if (any)
		tc_buf_puts(g->h, "\n");
	/* Types in source order, each after what it needs, with the %-lines
	 * where they were, as rpcgen places them. */
	for (tc_def *d = c->defs; d != NULL && !c->failed; d = d->next) {
		if (d->seq > 0 && !d->imported)
			tc_gen_passthru(g, d->seq - 1);
		emit_type(g, d, 0);
	}
	tc_gen_passthru(g, SIZE_MAX);
	if (!c->failed)
		emit_prototypes(g);
}
