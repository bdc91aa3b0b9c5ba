/* SPDX-License-Identifier: MIT */
/*
 * check.c - tetherc's semantic pass: resolves constants (also those used
 * before their definition) and type names, checks bounds, enum values and
 * case labels, builds rpcgen -N argument structs, and computes what the
 * code generators need: C emission order, recursion (cyclic types),
 * linked-list shapes and minimum wire sizes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tetherc.h"

#define TC_MAX_GRAPH_DEPTH 1000

static bool resolve_value(tc_ctx *c, tc_value *v, unsigned depth);

static bool resolve_enum(tc_ctx *c, tc_def *d, unsigned depth)
{
	if (d->mark == 2)
		return true;
	if (d->mark == 1) {
		tc_error(c, d->loc, "enum '%s' depends on itself", d->name);
		return false;
	}
	d->mark = 1;
	int64_t next = 0;
	for (size_t i = 0; i < d->nvals; i++) {
		tc_enumval *e = &d->vals[i];
		if (e->has_value) {
			if (!resolve_value(c, &e->value, depth + 1))
				return false;
		} else {
			e->value.v = next; /* rpcgen: previous + 1 */
			e->value.resolved = true;
			e->value.loc = e->loc;
		}
		if (e->value.v < INT32_MIN || e->value.v > INT32_MAX) {
			tc_error(c, e->loc,
				 "enum value %s = %lld out of the range of int",
				 e->name, (long long)e->value.v);
			return false;
		}
		next = e->value.v + 1;
	}
	d->mark = 2;
	return true;
}

/* Constants of the <rpc/...> headers that .x files use without defining them.
 */
static const struct {
	const char *name;
	int64_t value;
} rpc_consts[] = {
    {"TRUE", 1},
    {"FALSE", 0},
    {"MAXNETNAMELEN", 255},  /* rpc/auth_des.h */
    {"MAX_NETOBJ_SZ", 1024}, /* rpc/xdr.h */
    {"MAX_AUTH_BYTES", 400}, /* RFC 5531 §8.2 */
};

/* "%#define NAME body" pass-through lines become constants tetherc can
 * evaluate (rpcgen leaves them to the C compiler; tetherc needs bounds).
 * They are indexed once; names the .x file defines win. */
static void index_passthru(tc_ctx *c)
{
	for (tc_passthru *p = c->pt; p != NULL && !c->failed; p = p->next) {
		const char *s = p->text;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s++ != '#')
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "define", 6) != 0 ||
		    (s[6] != ' ' && s[6] != '\t'))
			continue;
		s += 6;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = 0;
		while (isalnum((unsigned char)s[n]) || s[n] == '_')
			n++;
		if (n == 0 || s[n] == '(')
			continue;
		char *name = tc_pool_strndup(&c->pool, s, n);
		tc_def *d = tc_pool_alloc(&c->pool, sizeof(*d));
		if (name == NULL || d == NULL)
			return;
		if (tc_sym_find(c, name) != NULL || tc_is_c_keyword(name) ||
		    tc_is_reserved(name))
			continue;
		d->kind = TC_D_CONST;
		d->name = name;
		d->ptbody = s + n;
		d->value.ident = name;
		d->value.loc = (tc_loc){c->main_file, 0, 0};
		tc_sym *sym = tc_sym_add(c, name, d->value.loc);
		if (sym == NULL)
			return;
		sym->def = d;
	}
}

static bool ident_value(tc_ctx *c, const char *name, size_t n, tc_loc loc,
			unsigned depth, int64_t *out);

static bool ident_value(tc_ctx *c, const char *name, size_t n, tc_loc loc,
			unsigned depth, int64_t *out)
{
	tc_value v = {0};
	v.ident = tc_pool_strndup(&c->pool, name, n);
	v.loc = loc;
	if (v.ident == NULL || !resolve_value(c, &v, depth + 1))
		return false;
	*out = v.v;
	return true;
}

static bool resolve_value(tc_ctx *c, tc_value *v, unsigned depth)
{
	if (v->resolved)
		return true;
	if (depth > TC_MAX_GRAPH_DEPTH) {
		tc_error(c, v->loc, "constants refer to each other too deeply");
		return false;
	}
	tc_sym *s = tc_sym_find(c, v->ident);
	for (size_t i = 0;
	     s == NULL && i < sizeof(rpc_consts) / sizeof(rpc_consts[0]); i++) {
		if (strcmp(v->ident, rpc_consts[i].name) == 0) {
			v->v = rpc_consts[i].value;
			v->resolved = v->builtin = true;
			return true;
		}
	}
	if (s == NULL) {
		tc_error(c, v->loc, "undefined constant '%s'", v->ident);
		return false;
	}
	if (s->enumval != NULL) {
		/* An earlier member of the enum being resolved is ready. */
		if (!s->enumval->value.resolved &&
		    !resolve_enum(c, s->enumdef, depth))
			return false;
		v->v = s->enumval->value.v;
	} else if (s->def->kind == TC_D_CONST) {
		tc_def *d = s->def;
		if (d->mark == 1) {
			tc_error(c, d->loc, "constant '%s' depends on itself",
				 d->name);
			return false;
		}
		d->mark = 1;
		bool ok;
		if (d->ptbody != NULL && !d->value.resolved) {
			ok = tc_eval(c, d->ptbody, v->loc, depth + 1,
				     ident_value, &d->value.v);
			d->value.resolved = ok;
		} else {
			ok = resolve_value(c, &d->value, depth + 1);
		}
		d->mark = 2;
		if (!ok)
			return false;
		if (d->value.str != NULL) {
			tc_error(c, v->loc, "'%s' is a string constant",
				 v->ident);
			return false;
		}
		v->v = d->value.v;
	} else {
		tc_error(c, v->loc, "'%s' is not a constant", v->ident);
		return false;
	}
	v->resolved = true;
	return true;
}

/* ---- type names -------------------------------------------------------- */

static const struct {
	const char *name;
	tc_base base;
} aliases[] = {
    {"u_int", TC_B_UINT},	   {"u_long", TC_B_UINT},
    {"uint32_t", TC_B_UINT},	   {"int32_t", TC_B_INT},
    {"u_short", TC_B_USHORT},	   {"uint16_t", TC_B_USHORT},
    {"int16_t", TC_B_SHORT},	   {"u_char", TC_B_UCHAR},
    {"uint8_t", TC_B_UCHAR},	   {"int8_t", TC_B_CHAR},
    {"uint64_t", TC_B_UHYPER},	   {"u_hyper", TC_B_UHYPER},
    {"u_quad_t", TC_B_UHYPER},	   {"int64_t", TC_B_HYPER},
    {"quad_t", TC_B_HYPER},	   {"bool_t", TC_B_BOOL},
    {"u_longlong_t", TC_B_UHYPER}, {"longlong_t", TC_B_HYPER},
};

/* netobj (rpc/xdr.h: opaque<1024>) is known without a definition. */
static tc_def *netobj_def(tc_ctx *c)
{
	tc_sym *s = tc_sym_find(c, "netobj");
	if (s != NULL)
		return s->def;
	tc_def *d = tc_pool_alloc(&c->pool, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->kind = TC_D_BUILTIN;
	d->name = "netobj";
	s = tc_sym_add(c, "netobj", d->loc);
	if (s == NULL)
		return NULL;
	s->def = d;
	c->uses_netobj = true;
	return d;
}

/* des_block (rpc/auth.h, RFC 2695): 8 opaque bytes on the wire; tetherc
 * defines it in the output as typedef opaque des_block[8]. */
static tc_def *des_block_def(tc_ctx *c)
{
	tc_def *d = tc_pool_alloc(&c->pool, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->kind = TC_D_TYPEDEF;
	d->name = "des_block";
	d->loc = (tc_loc){c->main_file, 1, 1};
	d->td.name = d->name;
	d->td.t.base = TC_B_OPAQUE;
	d->td.kind = TC_K_FIXED;
	d->td.bound.v = 8;
	d->td.bound.resolved = true;
	tc_sym *s = tc_sym_add(c, d->name, d->loc);
	if (s == NULL)
		return NULL;
	s->def = d;
	*c->defs_tail = d;
	c->defs_tail = &d->next;
	c->ndefs++;
	return d;
}

static bool resolve_tspec(tc_ctx *c, tc_tspec *t)
{
	if (t->base != TC_B_NAMED || t->def != NULL)
		return true;
	tc_sym *s = tc_sym_find(c, t->name);
	if (s == NULL) {
		for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]);
		     i++) {
			if (strcmp(t->name, aliases[i].name) == 0) {
				t->base = aliases[i].base;
				return true;
			}
		}
		if (strcmp(t->name, "netobj") == 0) {
			t->def = netobj_def(c);
			return t->def != NULL;
		}
		if (strcmp(t->name, "des_block") == 0) {
			t->def = des_block_def(c);
			return t->def != NULL;
		}
		tc_error(c, t->loc, "undefined type '%s'", t->name);
		return false;
	}
	if (s->enumval != NULL || s->def->kind == TC_D_CONST ||
	    s->def->kind == TC_D_PROGRAM) {
		tc_error(c, t->loc, "'%s' is not a type", t->name);
		return false;
	}
	t->def = s->def;
	return true;
}

/* Follows typedefs of plain (scalar) declarations to the real type. */
static const tc_tspec *underlying(const tc_tspec *t)
{
	for (unsigned i = 0; i < TC_MAX_GRAPH_DEPTH; i++) {
		if (t->base != TC_B_NAMED || t->def == NULL ||
		    t->def->kind != TC_D_TYPEDEF ||
		    t->def->td.kind != TC_K_SCALAR)
			return t;
		t = &t->def->td.t;
	}
	return t;
}

static bool check_decl(tc_ctx *c, tc_decl *d)
{
	if (d->kind == TC_K_VOID)
		return true;
	if (!resolve_tspec(c, &d->t))
		return false;
	if ((d->kind == TC_K_FIXED || (d->kind == TC_K_VAR && d->bounded)) &&
	    !resolve_value(c, &d->bound, 0))
		return false;
	if (d->kind == TC_K_FIXED &&
	    (d->bound.v <= 0 || d->bound.v > (1 << 24))) {
		tc_error(c, d->bound.loc,
			 "array size of '%s' must be between 1 and %d",
			 d->name ? d->name : "?", 1 << 24);
		return false;
	}
	if (d->kind == TC_K_VAR && d->bounded && d->bound.v < 0) {
		tc_error(c, d->bound.loc, "negative bound for '%s'",
			 d->name ? d->name : "?");
		return false;
	}
	if (d->t.base == TC_B_NAMED && d->t.def->kind == TC_D_TYPEDEF &&
	    d->t.def->td.kind != TC_K_SCALAR && d->kind == TC_K_FIXED &&
	    d->t.def->td.kind == TC_K_FIXED) {
		/* array of a fixed-array typedef: fine in C too. */
	}
	return true;
}

static const tc_enumval *enum_member(const tc_def *e, int64_t v)
{
	for (size_t i = 0; i < e->nvals; i++)
		if (e->vals[i].value.v == v)
			return &e->vals[i];
	return NULL;
}

static bool check_label(tc_ctx *c, tc_def *u, const tc_tspec *dt, tc_value *l)
{
	if (!resolve_value(c, l, 0))
		return false;
	if (dt->base == TC_B_NAMED && dt->def->kind == TC_D_ENUM &&
	    enum_member(dt->def, l->v) == NULL) {
		tc_error(c, l->loc, "case value %lld is not a value of enum %s",
			 (long long)l->v, dt->def->name);
		return false;
	}
	if (dt->base == TC_B_BOOL && l->v != 0 && l->v != 1) {
		tc_error(c, l->loc, "case value %lld is not a bool",
			 (long long)l->v);
		return false;
	}
	if (dt->base == TC_B_INT && l->v > INT32_MAX) {
		tc_error(c, l->loc, "case value %lld out of the range of int",
			 (long long)l->v);
		return false;
	}
	if (dt->base == TC_B_UINT && l->v < 0) {
		tc_error(c, l->loc,
			 "negative case value for an unsigned discriminant");
		return false;
	}
	/* Duplicates: compare with every earlier label. */
	for (size_t a = 0; a < u->narms; a++) {
		for (size_t i = 0; i < u->arms[a].nlabels; i++) {
			tc_value *o = &u->arms[a].labels[i];
			if (o == l)
				return true;
			if (o->v == l->v) {
				tc_error(c, l->loc, "duplicate case value %lld",
					 (long long)l->v);
				return false;
			}
		}
	}
	return true;
}

static bool check_union(tc_ctx *c, tc_def *u)
{
	if (!check_decl(c, &u->disc))
		return false;
	const tc_tspec *dt = underlying(&u->disc.t);
	bool ok = dt->base == TC_B_INT || dt->base == TC_B_UINT ||
		  dt->base == TC_B_BOOL ||
		  (dt->base == TC_B_NAMED && dt->def->kind == TC_D_ENUM);
	if (!ok) {
		tc_error(c, u->disc.t.loc,
			 "union discriminant must be int, unsigned int, enum "
			 "or bool");
		return false;
	}
	if (dt->base == TC_B_NAMED && !resolve_enum(c, dt->def, 0))
		return false;
	for (size_t a = 0; a < u->narms; a++) {
		for (size_t i = 0; i < u->arms[a].nlabels; i++)
			if (!check_label(c, u, dt, &u->arms[a].labels[i]))
				return false;
		if (!check_decl(c, &u->arms[a].decl))
			return false;
		for (size_t b = 0; b < a && u->arms[a].decl.name; b++) {
			const char *n = u->arms[b].decl.name;
			if (n != NULL && strcmp(n, u->arms[a].decl.name) == 0) {
				tc_error(c, u->arms[a].decl.loc,
					 "duplicate member '%s'", n);
				return false;
			}
		}
	}
	return u->deflt == NULL || check_decl(c, u->deflt);
}

/* ---- programs ----------------------------------------------------------- */

static char *lower_name(tc_ctx *c, const char *s, const char *suffix)
{
	tc_buf b = {0};
	for (; *s; s++) {
		char ch = (char)tolower((unsigned char)*s);
		tc_buf_put(&b, &ch, 1);
	}
	tc_buf_puts(&b, suffix);
	char *r = tc_buf_take(&c->pool, &b);
	return r;
}

/* rpcgen -N: several arguments travel as struct <proc>_<vers>_argument
 * with members arg1..argN. */
static bool make_argstruct(tc_ctx *c, tc_proc *p, tc_version *v)
{
	char suffix[32];
	snprintf(suffix, sizeof(suffix), "_%lld_argument", (long long)v->num.v);
	tc_def *d = tc_pool_alloc(&c->pool, sizeof(*d));
	if (d == NULL)
		return false;
	d->kind = TC_D_STRUCT;
	d->name = lower_name(c, p->name, suffix);
	d->loc = p->loc;
	d->imported = c->importing;
	d->fields = p->args;
	d->nfields = p->nargs;
	for (size_t i = 0; i < p->nargs; i++) {
		char an[24];
		snprintf(an, sizeof(an), "arg%zu", i + 1);
		p->args[i].name = tc_pool_strndup(&c->pool, an, strlen(an));
	}
	if (d->name == NULL)
		return false;
	tc_sym *s = tc_sym_add(c, d->name, d->loc);
	if (s == NULL)
		return false;
	s->def = d;
	*c->defs_tail = d;
	c->defs_tail = &d->next;
	p->argstruct = d;
	return true;
}

static bool check_number(tc_ctx *c, tc_value *v, const char *what)
{
	if (!resolve_value(c, v, 0))
		return false;
	if (v->v < 0 || v->v > UINT32_MAX) {
		tc_error(c, v->loc, "%s number out of range", what);
		return false;
	}
	return true;
}

static bool check_proc(tc_ctx *c, tc_version *v, size_t i)
{
	tc_proc *p = &v->procs[i];
	if (!check_number(c, &p->num, "procedure"))
		return false;
	for (size_t j = 0; j < i; j++) {
		if (v->procs[j].num.v == p->num.v ||
		    strcmp(v->procs[j].name, p->name) == 0) {
			tc_error(c, p->loc, "duplicate procedure %s = %lld",
				 p->name, (long long)p->num.v);
			return false;
		}
	}
	if (p->res.kind != TC_K_VOID && !check_decl(c, &p->res))
		return false;
	for (size_t a = 0; a < p->nargs; a++)
		if (!check_decl(c, &p->args[a]))
			return false;
	if (p->nargs > 1)
		return make_argstruct(c, p, v);
	return true;
}

/* Programs, versions and procedures become #defines: a name may repeat
 * (YPPUSHPROC_XFRRESP in two versions) only with the same number. */
static bool check_define_name(tc_ctx *c, const char *name, tc_value *num,
			      tc_loc loc, tc_def *prog)
{
	tc_sym *s = tc_sym_find(c, name);
	if (s != NULL && s->def != prog) {
		bool same = s->def != NULL && s->def->kind == TC_D_CONST &&
			    s->def->value.resolved && s->def->value.v == num->v;
		if (!same) {
			tc_loc o = s->enumval ? s->enumval->loc : s->def->loc;
			tc_error(
			    c, loc,
			    "duplicate name '%s' (first defined at %s:%u:%u)",
			    name, o.file, o.line, o.col);
			return false;
		}
		return true;
	}
	if (s != NULL)
		return true;
	/* Remember it as a constant so that later repeats are compared. */
	tc_def *d = tc_pool_alloc(&c->pool, sizeof(*d));
	if (d == NULL)
		return false;
	d->kind = TC_D_CONST;
	d->name = name;
	d->loc = loc;
	d->value = *num;
	d->mark = 2;
	s = tc_sym_add(c, name, loc);
	if (s == NULL)
		return false;
	s->def = d;
	return true;
}

static bool check_program(tc_ctx *c, tc_def *d)
{
	if (!check_number(c, &d->num, "program"))
		return false;
	for (size_t i = 0; i < d->nvers; i++) {
		tc_version *v = &d->vers[i];
		if (!check_number(c, &v->num, "version"))
			return false;
		for (size_t j = 0; j < i; j++) {
			if (d->vers[j].num.v == v->num.v) {
				tc_error(c, v->loc, "duplicate version %lld",
					 (long long)v->num.v);
				return false;
			}
		}
		if (!check_define_name(c, v->name, &v->num, v->loc, NULL))
			return false;
		for (size_t p = 0; p < v->nprocs; p++) {
			if (!check_proc(c, v, p) ||
			    !check_define_name(c, v->procs[p].name,
					       &v->procs[p].num,
					       v->procs[p].loc, NULL))
				return false;
		}
	}
	return true;
}

/* ---- graph properties ---------------------------------------------------- */

typedef bool (*decl_fn)(tc_ctx *c, tc_def *d, tc_decl *x, void *ud);

static bool each_decl(tc_ctx *c, tc_def *d, decl_fn fn, void *ud)
{
	switch (d->kind) {
	case TC_D_STRUCT:
		for (size_t i = 0; i < d->nfields; i++)
			if (!fn(c, d, &d->fields[i], ud))
				return false;
		return true;
	case TC_D_UNION:
		if (!fn(c, d, &d->disc, ud))
			return false;
		for (size_t i = 0; i < d->narms; i++)
			if (!fn(c, d, &d->arms[i].decl, ud))
				return false;
		return d->deflt == NULL || fn(c, d, d->deflt, ud);
	case TC_D_TYPEDEF:
		return fn(c, d, &d->td, ud);
	default:
		return true;
	}
}

static tc_def *decl_def(const tc_decl *x)
{
	if (x->kind == TC_K_VOID || x->t.base != TC_B_NAMED)
		return NULL;
	return x->t.def;
}

static bool is_list_link(const tc_def *d, const tc_decl *x)
{
	if (d->kind != TC_D_STRUCT || x != &d->fields[d->nfields - 1])
		return false;
	const tc_def *t = decl_def(x);
	if (t == NULL)
		return false;
	if (x->kind == TC_K_OPTIONAL) /* entry *next, or entry_alias *next */
		return underlying(&x->t)->def == d;
	return x->kind == TC_K_SCALAR && t->kind == TC_D_TYPEDEF &&
	       t->td.kind == TC_K_OPTIONAL && underlying(&t->td.t)->def == d;
}

/* Tarjan's strongly connected components over "refers to" edges, minus
 * the link of linked-list shapes (those are decoded iteratively). */
typedef struct scc {
	tc_def **stack;
	size_t sp;
	int index;
	unsigned depth;
} scc;

static bool scc_visit(tc_ctx *c, tc_def *d, scc *s);

static bool scc_edge(tc_ctx *c, tc_def *d, tc_decl *x, void *ud)
{
	scc *s = ud;
	tc_def *t = decl_def(x);
	if (t == NULL || t->kind == TC_D_BUILTIN || is_list_link(d, x))
		return true;
	if (t == d)
		d->cyclic = true;
	if (t->mark == 0) {
		if (!scc_visit(c, t, s))
			return false;
		if (t->wire_state < d->wire_state)
			d->wire_state = t->wire_state; /* lowlink */
	} else if (t->emitted /* on stack */ && t->mark < d->wire_state) {
		d->wire_state = t->mark;
	}
	return true;
}

static bool scc_visit(tc_ctx *c, tc_def *d, scc *s)
{
	if (++s->depth > TC_MAX_GRAPH_DEPTH) {
		tc_error(c, d->loc, "types refer to each other too deeply");
		return false;
	}
	d->mark = ++s->index;	 /* index */
	d->wire_state = d->mark; /* lowlink */
	s->stack[s->sp++] = d;
	d->emitted = true; /* on stack */
	if (!each_decl(c, d, scc_edge, s))
		return false;
	if (d->wire_state == d->mark) {
		size_t n = 0;
		tc_def *x;
		size_t top = s->sp;
		do {
			x = s->stack[--s->sp];
			x->emitted = false;
			n++;
		} while (x != d);
		for (size_t i = s->sp; i < top && n > 1; i++)
			s->stack[i]->cyclic = true;
	}
	s->depth--;
	return true;
}

static bool find_cycles(tc_ctx *c)
{
	scc s = {0};
	s.stack = tc_pool_alloc(&c->pool, (c->ndefs + 1) * sizeof(tc_def *));
	if (s.stack == NULL)
		return false;
	for (tc_def *d = c->defs; d != NULL; d = d->next)
		d->mark = 0, d->emitted = false, d->wire_state = 0;
	for (tc_def *d = c->defs; d != NULL && !c->failed; d = d->next)
		if (d->mark == 0 && !scc_visit(c, d, &s))
			return false;
	for (tc_def *d = c->defs; d != NULL; d = d->next) {
		d->mark = 0;
		d->wire_state = 0;
		d->emitted = false;
		d->list = d->kind == TC_D_STRUCT &&
			  is_list_link(d, &d->fields[d->nfields - 1]);
	}
	return true;
}

/* Minimum XDR size of a value, saturated at 2^32 (for
 * tether_dec_array_len). */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;
	return r > UINT32_MAX ? UINT32_MAX : r;
}

static uint64_t def_min_wire(tc_def *d, unsigned depth);

static uint64_t tspec_min_wire(const tc_tspec *t, unsigned depth)
{
	switch (t->base) {
	case TC_B_VOID:
		return 0;
	case TC_B_HYPER:
	case TC_B_UHYPER:
	case TC_B_DOUBLE:
		return 8;
	case TC_B_QUAD:
		return 16;
	case TC_B_NAMED:
		return def_min_wire(t->def, depth + 1);
	default:
		return 4;
	}
}

uint64_t tc_decl_min_wire(const tc_decl *x, unsigned depth);

uint64_t tc_decl_min_wire(const tc_decl *x, unsigned depth)
{
	switch (x->kind) {
	case TC_K_VOID:
		return 0;
	case TC_K_VAR:
	case TC_K_OPTIONAL:
		return 4;
	case TC_K_FIXED:
		if (x->t.base == TC_B_OPAQUE)
			return ((uint64_t)x->bound.v + 3) / 4 * 4;
		{
			uint64_t e = tspec_min_wire(&x->t, depth);
			uint64_t r = e * (uint64_t)x->bound.v;
			return r > UINT32_MAX ? UINT32_MAX : r;
		}
	default:
		return tspec_min_wire(&x->t, depth);
	}
}

static uint64_t def_min_wire(tc_def *d, unsigned depth)
{
	if (d->wire_state == 2)
		return d->min_wire;
	if (d->wire_state == 1 || depth > TC_MAX_GRAPH_DEPTH)
		return 0; /* recursion: a lower bound is enough */
	d->wire_state = 1;
	uint64_t r = 0;
	switch (d->kind) {
	case TC_D_ENUM:
	case TC_D_BUILTIN:
		r = 4;
		break;
	case TC_D_STRUCT:
		for (size_t i = 0; i < d->nfields; i++)
			r = sat_add(r, tc_decl_min_wire(&d->fields[i], depth));
		break;
	case TC_D_UNION: {
		uint64_t m =
		    d->deflt ? tc_decl_min_wire(d->deflt, depth) : UINT32_MAX;
		for (size_t i = 0; i < d->narms; i++) {
			uint64_t a = tc_decl_min_wire(&d->arms[i].decl, depth);
			m = a < m ? a : m;
		}
		r = sat_add(4, m);
		break;
	}
	case TC_D_TYPEDEF:
		r = tc_decl_min_wire(&d->td, depth);
		break;
	default:
		break;
	}
	d->min_wire = r;
	d->wire_state = 2;
	return r;
}

/* ---- names the generated code defines ------------------------------------ */

typedef struct gen_name {
	const char *name;
	tc_loc loc;
	struct gen_name *next;
} gen_name;

typedef struct gen_names {
	gen_name *tab[TC_HASH];
} gen_names;

static unsigned name_hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33u + (unsigned char)*s++;
	return h % TC_HASH;
}

/* Each generated C name must be new: a .x name such as `foo_desc` next to
 * a type `foo` would otherwise make the C compiler fail later. */
static bool claim(tc_ctx *c, gen_names *g, tc_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool claim(tc_ctx *c, gen_names *g, tc_loc loc, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return true;
	unsigned h = name_hash(buf);
	for (gen_name *p = g->tab[h]; p != NULL; p = p->next) {
		if (strcmp(p->name, buf) == 0) {
			tc_error(c, loc,
				 "generated name '%s' is generated twice (also "
				 "for %s:%u:%u)",
				 buf, p->loc.file, p->loc.line, p->loc.col);
			return false;
		}
	}
	tc_sym *s = tc_sym_find(c, buf);
	if (s != NULL) {
		tc_error(c, loc,
			 "generated name '%s' clashes with the name defined at "
			 "%s:%u:%u",
			 buf,
			 s->enumval ? s->enumval->loc.file : s->def->loc.file,
			 s->enumval ? s->enumval->loc.line : s->def->loc.line,
			 s->enumval ? s->enumval->loc.col : s->def->loc.col);
		return false;
	}
	gen_name *p = tc_pool_alloc(&c->pool, sizeof(*p));
	if (p == NULL)
		return false;
	p->name = tc_pool_strndup(&c->pool, buf, (size_t)n);
	p->loc = loc;
	p->next = g->tab[h];
	g->tab[h] = p;
	return p->name != NULL;
}

static bool claim_type(tc_ctx *c, gen_names *g, const tc_def *d)
{
	static const char *const suffix[] = {
	    "encode",	   "decode",	  "desc",	 "encode_any",
	    "decode_any",  "values",	  "fields",	 "arms",
	    "default_arm", "encode_head", "decode_head", "decode_body",
	};
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++)
		if (!claim(c, g, d->loc, "%s_%s", d->name, suffix[i]))
			return false;
	return true;
}

static bool claim_program(tc_ctx *c, gen_names *g, const tc_def *d)
{
	char *pn = lower_name(c, d->name, "");
	if (pn == NULL || !claim(c, g, d->loc, "%s_desc", pn) ||
	    !claim(c, g, d->loc, "%s_versions", pn))
		return false;
	static const char *const vsuffix[] = {"desc", "handlers", "register",
					      "register_client", "procs"};
	static const char *const psuffix[] = {"",	"_async",  "_done",
					      "_reply", "_invoke", "_complete"};
	for (size_t i = 0; i < d->nvers; i++) {
		const tc_version *v = &d->vers[i];
		char num[32], vn[320];
		snprintf(num, sizeof(num), "_%lld", (long long)v->num.v);
		snprintf(vn, sizeof(vn), "%.256s%s", pn, num);
		for (size_t k = 0; k < 5; k++)
			if (!claim(c, g, v->loc, "%s_%s", vn, vsuffix[k]))
				return false;
		for (size_t p = 0; p < v->nprocs; p++) {
			char *stub = lower_name(c, v->procs[p].name, num);
			for (size_t k = 0; stub != NULL && k < 6; k++)
				if (!claim(c, g, v->procs[p].loc, "%s%s", stub,
					   psuffix[k]))
					return false;
		}
	}
	return true;
}

static bool check_generated_names(tc_ctx *c)
{
	gen_names *g = tc_pool_alloc(&c->pool, sizeof(*g));
	if (g == NULL)
		return false;
	for (tc_def *d = c->defs; d != NULL && !c->failed; d = d->next) {
		if (d->imported)
			continue;
		if (tc_is_type(d) && !claim_type(c, g, d))
			return false;
		if (d->kind == TC_D_PROGRAM && !claim_program(c, g, d))
			return false;
	}
	return !c->failed;
}

static bool check_def(tc_ctx *c, tc_def *d)
{
	switch (d->kind) {
	case TC_D_CONST:
		return resolve_value(c, &d->value, 0);
	case TC_D_ENUM:
		return resolve_enum(c, d, 0);
	case TC_D_STRUCT:
		for (size_t i = 0; i < d->nfields; i++)
			if (!check_decl(c, &d->fields[i]))
				return false;
		return true;
	case TC_D_UNION:
		return check_union(c, d);
	case TC_D_TYPEDEF:
		return check_decl(c, &d->td);
	case TC_D_PROGRAM:
		return check_program(c, d);
	default:
		return true;
	}
}

bool tc_check(tc_ctx *c)
{
	if (!tc_ok(c))
		return false;
	index_passthru(c);
	/* Programs last: they add argument structs to the list. */
	for (tc_def *d = c->defs; d != NULL && tc_ok(c); d = d->next)
		if (d->kind != TC_D_PROGRAM)
			check_def(c, d);
	for (tc_def *d = c->defs; d != NULL && tc_ok(c); d = d->next)
		if (d->kind == TC_D_PROGRAM)
			check_def(c, d);
	if (!tc_ok(c) || !find_cycles(c) || !tc_ok(c))
		return false;
	for (tc_def *d = c->defs; d != NULL; d = d->next)
		def_min_wire(d, 0);
	return check_generated_names(c) && tc_ok(c);
}
