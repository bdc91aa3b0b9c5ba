/* SPDX-License-Identifier: MIT */
/*
 * parse.c - recursive-descent parser for the .x language: RFC 4506 §6.3
 * definitions, RFC 5531 §12 programs, and rpcgen's extensions (enum values
 * without "=", "struct x" references, unsigned alone, char/short/long,
 * several procedure arguments). Nesting is bounded by TC_MAX_DEPTH.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tetherc.h"

static const char *const keywords[] = {
    "bool",    "case",	 "const",  "default", "double", "quadruple",
    "enum",    "float",	 "hyper",  "int",     "opaque", "program",
    "string",  "struct", "switch", "typedef", "union",	"unsigned",
    "version", "void",	 "char",   "short",   "long",
};

static bool is_keyword(const char *s)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(s, keywords[i]) == 0)
			return true;
	return false;
}

/* ---- symbols --------------------------------------------------------------
 */

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33u + (unsigned char)*s++;
	return h % TC_HASH;
}

tc_sym *tc_sym_find(tc_ctx *c, const char *name)
{
	for (tc_sym *s = c->syms[hash(name)]; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static tc_loc sym_loc(const tc_sym *s)
{
	return s->enumval ? s->enumval->loc : s->def->loc;
}

tc_sym *tc_sym_add(tc_ctx *c, const char *name, tc_loc loc)
{
	tc_sym *old = tc_sym_find(c, name);
	if (old != NULL) {
		tc_loc o = sym_loc(old);
		tc_error(c, loc,
			 "duplicate name '%s' (first defined at %s:%u:%u)",
			 name, o.file, o.line, o.col);
		return NULL;
	}
	if (tc_is_c_keyword(name)) {
		tc_error(c, loc, "name '%s' is a C keyword", name);
		return NULL;
	}
	if (tc_is_reserved(name)) {
		tc_error(c, loc, "name '%s' is reserved by the generated code",
			 name);
		return NULL;
	}
	tc_sym *s = tc_pool_alloc(&c->pool, sizeof(*s));
	if (s == NULL)
		return NULL;
	unsigned h = hash(name);
	s->name = name;
	s->next = c->syms[h];
	c->syms[h] = s;
	return s;
}

/* ---- token helpers ----------------------------------------------------------
 */

static tc_tok *peek(tc_ctx *c)
{
	if (!c->have_tok) {
		c->tok = tc_lex_next(c);
		c->have_tok = true;
	}
	return &c->tok;
}

static tc_tok take(tc_ctx *c)
{
	tc_tok t = *peek(c);
	c->have_tok = false;
	return t;
}

static void expected(tc_ctx *c, const char *what)
{
	tc_tok *t = peek(c);
	char found[96];
	tc_describe_tok(t, found, sizeof(found));
	tc_error(c, t->loc, "expected %s, found %s", what, found);
}

static bool is_punct(tc_ctx *c, char ch)
{
	tc_tok *t = peek(c);
	return !c->failed && t->kind == TK_PUNCT && t->c == ch;
}

static bool is_word(tc_ctx *c, const char *w)
{
	tc_tok *t = peek(c);
	return !c->failed && t->kind == TK_IDENT && strcmp(t->s, w) == 0;
}

static bool expect_punct(tc_ctx *c, char ch)
{
	if (is_punct(c, ch)) {
		take(c);
		return true;
	}
	if (!c->failed) {
		char what[8] = {'\'', ch, '\'', 0};
		expected(c, what);
	}
	return false;
}

static bool expect_word(tc_ctx *c, const char *w)
{
	if (is_word(c, w)) {
		take(c);
		return true;
	}
	if (!c->failed) {
		char what[40];
		snprintf(what, sizeof(what), "'%s'", w);
		expected(c, what);
	}
	return false;
}

static const char *expect_ident(tc_ctx *c, const char *what, tc_loc *loc)
{
	tc_tok *t = peek(c);
	if (c->failed)
		return NULL;
	if (t->kind != TK_IDENT || is_keyword(t->s)) {
		expected(c, what);
		return NULL;
	}
	if (loc != NULL)
		*loc = t->loc;
	return take(c).s;
}

static bool enter(tc_ctx *c, tc_loc loc)
{
	if (++c->depth > TC_MAX_DEPTH) {
		tc_error(c, loc, "definitions nested too deeply (limit %u)",
			 TC_MAX_DEPTH);
		return false;
	}
	return true;
}

static void leave(tc_ctx *c)
{
	c->depth--;
}

static bool too_many(tc_ctx *c, size_t n)
{
	if (n < TC_MAX_ITEMS)
		return false;
	tc_error(c, peek(c)->loc, "too many items in one definition (limit %u)",
		 TC_MAX_ITEMS);
	return true;
}

/* ---- values -----------------------------------------------------------------
 */

static bool parse_number(tc_ctx *c, const char *s, bool neg, tc_loc loc,
			 int64_t *out)
{
	unsigned base = 10;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (*p == '\0')
			goto bad;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
		p++;
	}
	uint64_t v = 0;
	for (; *p; p++) {
		int ch = tolower((unsigned char)*p);
		unsigned d = isdigit(ch) ? (unsigned)(ch - '0')
			     : (ch >= 'a' && ch <= 'f')
				 ? (unsigned)(ch - 'a' + 10)
				 : 99;
		if (d >= base)
			goto bad;
		v = v * base + d;
		if (v > 0xffffffffu) {
			tc_error(c, loc, "constant '%s%s' out of range",
				 neg ? "-" : "", s);
			return false;
		}
	}
	if (neg && v > 0x80000000u) {
		tc_error(c, loc, "constant '-%s' out of range", s);
		return false;
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
bad:
	tc_error(c, loc, "malformed number '%s'", s);
	return false;
}

/* value: constant | identifier (RFC 4506 §6.3) */
static bool parse_value(tc_ctx *c, tc_value *v, const char *what)
{
	tc_tok *t = peek(c);
	if (c->failed)
		return false;
	v->loc = t->loc;
	bool neg = false;
	if (t->kind == TK_PUNCT && t->c == '-') {
		take(c);
		neg = true;
		t = peek(c);
		if (t->kind != TK_NUM) {
			expected(c, "a number after '-'");
			return false;
		}
	}
	if (t->kind == TK_NUM) {
		tc_tok n = take(c);
		v->resolved = parse_number(c, n.s, neg, n.loc, &v->v);
		v->text = neg ? NULL : n.s;
		return v->resolved;
	}
	if (t->kind == TK_IDENT && !is_keyword(t->s)) {
		v->ident = take(c).s;
		return true;
	}
	expected(c, what);
	return false;
}

/* ---- types and declarations
 * -------------------------------------------------- */

static tc_def *new_def(tc_ctx *c, tc_defkind kind, const char *name, tc_loc loc)
{
	if (c->ndefs >= TC_MAX_DEFS) {
		tc_error(c, loc, "too many definitions (limit %u)",
			 TC_MAX_DEFS);
		return NULL;
	}
	tc_def *d = tc_pool_alloc(&c->pool, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->kind = kind;
	d->name = name;
	d->loc = loc;
	d->imported = c->importing;
	d->seq = ++c->ndefs;
	return d;
}

/* Appends d to the definitions and names it (NULL name: anonymous, named
 * later by register_def). */
static bool register_def(tc_ctx *c, tc_def *d)
{
	tc_sym *s = tc_sym_add(c, d->name, d->loc);
	if (s == NULL)
		return false;
	s->def = d;
	*c->defs_tail = d;
	c->defs_tail = &d->next;
	return true;
}

static bool parse_enum_body(tc_ctx *c, tc_def *d);
static bool parse_struct_body(tc_ctx *c, tc_def *d);
static bool parse_union_body(tc_ctx *c, tc_def *d);

/* An inline "struct { ... }" body: a definition named after its use. */
static bool parse_anon(tc_ctx *c, tc_tspec *t, tc_defkind kind)
{
	tc_def *d = new_def(c, kind, NULL, t->loc);
	if (d == NULL)
		return false;
	t->base = TC_B_NAMED;
	t->def = d;
	if (kind == TC_D_ENUM)
		return parse_enum_body(c, d);
	if (kind == TC_D_STRUCT)
		return parse_struct_body(c, d);
	return parse_union_body(c, d);
}

static bool parse_unsigned(tc_ctx *c, tc_tspec *t)
{
	t->base = TC_B_UINT; /* rpcgen: "unsigned" alone is unsigned int */
	if (is_word(c, "int") || is_word(c, "long")) {
		take(c);
	} else if (is_word(c, "hyper")) {
		take(c);
		t->base = TC_B_UHYPER;
	} else if (is_word(c, "char")) {
		take(c);
		t->base = TC_B_UCHAR;
	} else if (is_word(c, "short")) {
		take(c);
		t->base = TC_B_USHORT;
	}
	return true;
}

static const struct {
	const char *kw;
	tc_base base;
} simple_types[] = {
    {"int", TC_B_INT},	   {"long", TC_B_INT},	    {"hyper", TC_B_HYPER},
    {"float", TC_B_FLOAT}, {"double", TC_B_DOUBLE}, {"quadruple", TC_B_QUAD},
    {"bool", TC_B_BOOL},   {"char", TC_B_CHAR},	    {"short", TC_B_SHORT},
};

/* type-specifier (RFC 4506 §6.3), plus rpcgen's "struct name" references. */
static bool parse_tspec(tc_ctx *c, tc_tspec *t)
{
	tc_tok *k = peek(c);
	if (c->failed)
		return false;
	t->loc = k->loc;
	if (k->kind != TK_IDENT) {
		expected(c, "a type");
		return false;
	}
	for (size_t i = 0; i < sizeof(simple_types) / sizeof(simple_types[0]);
	     i++) {
		if (strcmp(k->s, simple_types[i].kw) == 0) {
			take(c);
			t->base = simple_types[i].base;
			return true;
		}
	}
	if (strcmp(k->s, "unsigned") == 0) {
		take(c);
		return parse_unsigned(c, t);
	}
	static const char *const agg[] = {"enum", "struct", "union"};
	static const tc_defkind aggk[] = {TC_D_ENUM, TC_D_STRUCT, TC_D_UNION};
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(k->s, agg[i]) != 0)
			continue;
		take(c);
		if (is_punct(c, '{') || (i == 2 && is_word(c, "switch")))
			return parse_anon(c, t, aggk[i]);
		t->base = TC_B_NAMED;
		t->name = expect_ident(c, "a type name", NULL);
		return t->name != NULL;
	}
	if (is_keyword(k->s)) {
		expected(c, "a type");
		return false;
	}
	t->base = TC_B_NAMED;
	t->name = take(c).s;
	return true;
}

/* "[n]", "<n>", "<>" after a declared name */
static bool parse_dims(tc_ctx *c, tc_decl *d)
{
	if (is_punct(c, '[')) {
		take(c);
		d->kind = TC_K_FIXED;
		return parse_value(c, &d->bound, "an array size") &&
		       expect_punct(c, ']');
	}
	if (is_punct(c, '<')) {
		take(c);
		d->kind = TC_K_VAR;
		if (is_punct(c, '>')) {
			take(c);
			return true;
		}
		d->bounded = true;
		return parse_value(c, &d->bound, "a bound or '>'") &&
		       expect_punct(c, '>');
	}
	return true;
}

static bool name_anon(tc_ctx *c, tc_decl *d, const char *prefix)
{
	tc_def *a = d->t.def;
	if (a == NULL || a->name != NULL)
		return true;
	if (prefix == NULL && d->kind == TC_K_SCALAR) {
		a->name = d->name; /* typedef struct { ... } name; */
	} else {
		tc_buf b = {0};
		tc_buf_printf(&b, "%s_%s", prefix ? prefix : d->name,
			      prefix ? d->name : "elem");
		a->name = tc_buf_take(&c->pool, &b);
	}
	if (a->name == NULL)
		return false;
	d->t.name = a->name;
	return register_def(c, a);
}

/* declaration (RFC 4506 §6.3). `prefix` names inline struct bodies. */
static bool parse_decl(tc_ctx *c, tc_decl *d, const char *prefix)
{
	tc_tok *k = peek(c);
	if (c->failed)
		return false;
	d->loc = k->loc;
	if (is_word(c, "void")) {
		take(c);
		d->kind = TC_K_VOID;
		return true;
	}
	bool str = is_word(c, "string"), opq = is_word(c, "opaque");
	if (str || opq) {
		d->t.loc = take(c).loc;
		d->t.base = str ? TC_B_STRING : TC_B_OPAQUE;
	} else if (!parse_tspec(c, &d->t)) {
		return false;
	}
	if (!str && !opq && is_punct(c, '*')) {
		take(c);
		d->kind = TC_K_OPTIONAL;
	}
	d->name = expect_ident(c, "a name", &d->loc);
	if (d->name == NULL)
		return false;
	if (d->kind == TC_K_OPTIONAL &&
	    (is_punct(c, '[') || is_punct(c, '<'))) {
		/* RFC 4506 §6.3: "*" declares one optional item, not arrays. */
		tc_error(c, d->loc,
			 "no arrays of optional data ('%s'): use a typedef",
			 d->name);
		return false;
	}
	if (!parse_dims(c, d))
		return false;
	if (tc_is_c_keyword(d->name)) {
		tc_error(c, d->loc, "name '%s' is a C keyword", d->name);
		return false;
	}
	if (str && d->kind != TC_K_VAR) {
		tc_error(c, d->loc, "string '%s' needs a <bound> or <>",
			 d->name);
		return false;
	}
	if (opq && d->kind != TC_K_VAR && d->kind != TC_K_FIXED) {
		tc_error(c, d->loc, "opaque '%s' needs [size], <bound> or <>",
			 d->name);
		return false;
	}
	return name_anon(c, d, prefix);
}

/* ---- definitions
 * -------------------------------------------------------------- */

static bool parse_enum_body(tc_ctx *c, tc_def *d)
{
	if (!enter(c, d->loc) || !expect_punct(c, '{'))
		return false;
	size_t cap = 0;
	do {
		if (is_punct(c, '}') && d->nvals > 0)
			break; /* trailing comma */
		if (too_many(c, d->nvals))
			return false;
		if (d->nvals == cap) {
			cap = cap ? cap * 2 : 8;
			tc_enumval *n =
			    tc_pool_alloc(&c->pool, cap * sizeof(*n));
			if (n == NULL)
				return false;
			if (d->nvals)
				memcpy(n, d->vals, d->nvals * sizeof(*n));
			d->vals = n;
		}
		tc_enumval *v = &d->vals[d->nvals];
		v->name = expect_ident(c, "an enumerator name", &v->loc);
		if (v->name == NULL)
			return false;
		if (is_punct(c, '=')) {
			take(c);
			v->has_value = true;
			if (!parse_value(c, &v->value, "a value"))
				return false;
		}
		tc_sym *s = tc_sym_add(c, v->name, v->loc);
		if (s == NULL)
			return false;
		s->enumval = v;
		s->enumdef = d;
		d->nvals++;
	} while (is_punct(c, ',') && (take(c), true));
	leave(c);
	return expect_punct(c, '}');
}

static bool grow_decls(tc_ctx *c, tc_decl **arr, size_t n, size_t *cap)
{
	if (too_many(c, n))
		return false;
	if (n < *cap)
		return true;
	*cap = *cap ? *cap * 2 : 8;
	tc_decl *a = tc_pool_alloc(&c->pool, *cap * sizeof(*a));
	if (a == NULL)
		return false;
	if (n)
		memcpy(a, *arr, n * sizeof(*a));
	*arr = a;
	return true;
}

static bool parse_struct_body(tc_ctx *c, tc_def *d)
{
	if (!enter(c, d->loc) || !expect_punct(c, '{'))
		return false;
	size_t cap = 0;
	do {
		if (!grow_decls(c, &d->fields, d->nfields, &cap))
			return false;
		tc_decl *f = &d->fields[d->nfields];
		if (!parse_decl(c, f, d->name ? d->name : "anon"))
			return false;
		if (f->kind == TC_K_VOID) {
			tc_error(c, f->loc, "a struct member cannot be void");
			return false;
		}
		for (size_t i = 0; i < d->nfields; i++) {
			if (strcmp(d->fields[i].name, f->name) == 0) {
				tc_error(c, f->loc, "duplicate member '%s'",
					 f->name);
				return false;
			}
		}
		d->nfields++;
		if (!expect_punct(c, ';'))
			return false;
	} while (!is_punct(c, '}') && !c->failed);
	leave(c);
	return expect_punct(c, '}');
}

static bool parse_case_labels(tc_ctx *c, tc_arm *a)
{
	size_t cap = 0;
	while (is_word(c, "case")) {
		take(c);
		if (too_many(c, a->nlabels))
			return false;
		if (a->nlabels == cap) {
			cap = cap ? cap * 2 : 4;
			tc_value *n = tc_pool_alloc(&c->pool, cap * sizeof(*n));
			if (n == NULL)
				return false;
			if (a->nlabels)
				memcpy(n, a->labels, a->nlabels * sizeof(*n));
			a->labels = n;
		}
		if (!parse_value(c, &a->labels[a->nlabels++], "a case value") ||
		    !expect_punct(c, ':'))
			return false;
	}
	return true;
}

static bool parse_arm_decl(tc_ctx *c, tc_def *d, tc_decl *decl)
{
	if (!parse_decl(c, decl, d->name ? d->name : "anon") ||
	    !expect_punct(c, ';'))
		return false;
	if (decl->kind != TC_K_VOID && strcmp(decl->name, d->disc.name) == 0) {
		tc_error(c, decl->loc, "duplicate member '%s'", decl->name);
		return false;
	}
	return true;
}

static bool parse_union_body(tc_ctx *c, tc_def *d)
{
	if (!enter(c, d->loc) || !expect_word(c, "switch") ||
	    !expect_punct(c, '(') || !parse_decl(c, &d->disc, d->name) ||
	    !expect_punct(c, ')') || !expect_punct(c, '{'))
		return false;
	if (d->disc.kind != TC_K_SCALAR) {
		tc_error(c, d->disc.loc,
			 "the discriminant must be a plain int, unsigned int, "
			 "enum or bool");
		return false;
	}
	size_t cap = 0;
	size_t labels = 0;
	while (is_word(c, "case")) {
		if (too_many(c, d->narms) || too_many(c, labels))
			return false;
		if (d->narms == cap) {
			cap = cap ? cap * 2 : 8;
			tc_arm *n = tc_pool_alloc(&c->pool, cap * sizeof(*n));
			if (n == NULL)
				return false;
			if (d->narms)
				memcpy(n, d->arms, d->narms * sizeof(*n));
			d->arms = n;
		}
		tc_arm *a = &d->arms[d->narms++];
		if (!parse_case_labels(c, a) || !parse_arm_decl(c, d, &a->decl))
			return false;
		labels += a->nlabels;
	}
	if (c->failed)
		return false;
	if (d->narms == 0) {
		expected(c, "'case'");
		return false;
	}
	if (is_word(c, "default")) {
		take(c);
		d->deflt = tc_pool_alloc(&c->pool, sizeof(*d->deflt));
		if (d->deflt == NULL || !expect_punct(c, ':') ||
		    !parse_arm_decl(c, d, d->deflt))
			return false;
	}
	leave(c);
	return expect_punct(c, '}');
}

static bool parse_named_aggregate(tc_ctx *c, tc_defkind kind)
{
	tc_loc loc;
	const char *name = expect_ident(c, "a name", &loc);
	if (name == NULL)
		return false;
	tc_def *d = new_def(c, kind, name, loc);
	if (d == NULL || !register_def(c, d))
		return false;
	bool ok = kind == TC_D_ENUM	? parse_enum_body(c, d)
		  : kind == TC_D_STRUCT ? parse_struct_body(c, d)
					: parse_union_body(c, d);
	return ok && expect_punct(c, ';');
}

static bool parse_typedef(tc_ctx *c)
{
	tc_decl decl;
	memset(&decl, 0, sizeof(decl));
	if (!parse_decl(c, &decl, NULL))
		return false;
	if (decl.kind == TC_K_VOID) {
		tc_error(c, decl.loc, "expected a declaration, found 'void'");
		return false;
	}
	if (!expect_punct(c, ';'))
		return false;
	/* rpcgen accepts "typedef struct foo foo;": C already has it. */
	if (decl.kind == TC_K_SCALAR && decl.t.base == TC_B_NAMED &&
	    decl.t.def == NULL && strcmp(decl.t.name, decl.name) == 0)
		return true;
	/* "typedef struct { ... } name;" is "struct name { ... };" and
	 * parse_decl has already given the body that name. */
	if (decl.kind == TC_K_SCALAR && decl.t.def != NULL &&
	    decl.t.def->name == decl.name)
		return true;
	tc_def *d = new_def(c, TC_D_TYPEDEF, decl.name, decl.loc);
	if (d == NULL)
		return false;
	d->td = decl;
	return register_def(c, d);
}

static bool parse_const(tc_ctx *c)
{
	tc_loc loc;
	const char *name = expect_ident(c, "a constant name", &loc);
	if (name == NULL)
		return false;
	tc_def *d = new_def(c, TC_D_CONST, name, loc);
	if (d == NULL || !expect_punct(c, '='))
		return false;
	if (peek(c)->kind == TK_STRING) {
		d->value.loc = peek(c)->loc;
		d->value.str = take(c).s;
		d->value.resolved = true;
	} else if (!parse_value(c, &d->value, "a constant")) {
		return false;
	}
	if (!expect_punct(c, ';'))
		return false;
	return register_def(c, d);
}

/* ---- programs (RFC 5531 §12.2)
 * -------------------------------------------------- */

static bool parse_proc_type(tc_ctx *c, tc_decl *d, bool arg)
{
	memset(d, 0, sizeof(*d));
	d->loc = peek(c)->loc;
	if (is_word(c, "void")) {
		take(c);
		d->kind = TC_K_VOID;
		return true;
	}
	if (is_word(c, "string")) { /* rpcgen: string<> */
		d->t.loc = take(c).loc;
		d->t.base = TC_B_STRING;
		d->kind = TC_K_VAR;
		return true;
	}
	if (!parse_tspec(c, &d->t))
		return false;
	if (d->t.def != NULL && d->t.def->name == NULL) {
		tc_error(c, d->loc, "a procedure %s must be a named type",
			 arg ? "argument" : "result");
		return false;
	}
	return true;
}

static bool parse_proc_args(tc_ctx *c, tc_proc *p)
{
	size_t cap = 0;
	do {
		if (!grow_decls(c, &p->args, p->nargs, &cap))
			return false;
		tc_decl *a = &p->args[p->nargs];
		if (!parse_proc_type(c, a, true))
			return false;
		if (a->kind == TC_K_VOID) {
			if (p->nargs > 0 || is_punct(c, ',')) {
				tc_error(c, a->loc,
					 "'void' must be the only argument");
				return false;
			}
			return true;
		}
		p->nargs++;
	} while (is_punct(c, ',') && (take(c), true));
	return !c->failed;
}

static bool parse_procs(tc_ctx *c, tc_version *v)
{
	size_t cap = 0;
	do {
		if (too_many(c, v->nprocs))
			return false;
		if (v->nprocs == cap) {
			cap = cap ? cap * 2 : 8;
			tc_proc *n = tc_pool_alloc(&c->pool, cap * sizeof(*n));
			if (n == NULL)
				return false;
			if (v->nprocs)
				memcpy(n, v->procs, v->nprocs * sizeof(*n));
			v->procs = n;
		}
		tc_proc *p = &v->procs[v->nprocs];
		if (!parse_proc_type(c, &p->res, false))
			return false;
		p->name = expect_ident(c, "a procedure name", &p->loc);
		if (p->name == NULL || !expect_punct(c, '(') ||
		    !parse_proc_args(c, p) || !expect_punct(c, ')') ||
		    !expect_punct(c, '=') ||
		    !parse_value(c, &p->num, "a procedure number") ||
		    !expect_punct(c, ';'))
			return false;
		v->nprocs++;
	} while (!is_punct(c, '}') && !c->failed);
	return !c->failed;
}

static bool parse_program(tc_ctx *c)
{
	tc_loc loc;
	const char *name = expect_ident(c, "a program name", &loc);
	if (name == NULL || !expect_punct(c, '{'))
		return false;
	tc_def *d = new_def(c, TC_D_PROGRAM, name, loc);
	if (d == NULL)
		return false;
	size_t cap = 0;
	do {
		if (too_many(c, d->nvers))
			return false;
		if (d->nvers == cap) {
			cap = cap ? cap * 2 : 4;
			tc_version *n =
			    tc_pool_alloc(&c->pool, cap * sizeof(*n));
			if (n == NULL)
				return false;
			if (d->nvers)
				memcpy(n, d->vers, d->nvers * sizeof(*n));
			d->vers = n;
		}
		tc_version *v = &d->vers[d->nvers];
		if (!expect_word(c, "version"))
			return false;
		v->name = expect_ident(c, "a version name", &v->loc);
		if (v->name == NULL || !expect_punct(c, '{') ||
		    !parse_procs(c, v) || !expect_punct(c, '}') ||
		    !expect_punct(c, '=') ||
		    !parse_value(c, &v->num, "a version number") ||
		    !expect_punct(c, ';'))
			return false;
		d->nvers++;
	} while (!is_punct(c, '}') && !c->failed);
	if (!expect_punct(c, '}') || !expect_punct(c, '=') ||
	    !parse_value(c, &d->num, "a program number") ||
	    !expect_punct(c, ';'))
		return false;
	return register_def(c, d);
}

static bool parse_definition(tc_ctx *c)
{
	tc_tok *t = peek(c);
	if (t->kind == TK_IDENT) {
		const char *w = t->s;
		if (strcmp(w, "const") == 0)
			return take(c), parse_const(c);
		if (strcmp(w, "typedef") == 0)
			return take(c), parse_typedef(c);
		if (strcmp(w, "enum") == 0)
			return take(c), parse_named_aggregate(c, TC_D_ENUM);
		if (strcmp(w, "struct") == 0)
			return take(c), parse_named_aggregate(c, TC_D_STRUCT);
		if (strcmp(w, "union") == 0)
			return take(c), parse_named_aggregate(c, TC_D_UNION);
		if (strcmp(w, "program") == 0)
			return take(c), parse_program(c);
	}
	if (t->kind == TK_PUNCT && t->c == ';') {
		take(c); /* stray ';' as rpcgen accepts */
		return true;
	}
	expected(c, "a definition");
	return false;
}

bool tc_parse_all(tc_ctx *c)
{
	c->have_tok = false;
	c->depth = 0;
	while (tc_ok(c) && peek(c)->kind != TK_EOF)
		parse_definition(c);
	return tc_ok(c);
}
