/* SPDX-License-Identifier: MIT */
/*
 * idl.c - tether_type_desc / tether_proc_desc tables built at run time from
 * a .x file parsed and checked by tetherc_core, so that `tether call
 * --idl FILE.x` needs no generated code. Everything lives in the tetherc
 * context's pool and is freed with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"
#include "tetherc.h"
#include "common/tt.h"

typedef struct defmap {
	const tc_def *def;
	tether_type_desc *desc;
	struct defmap *next;
} defmap;

struct cli_idl {
	tc_ctx *c;
	defmap *map;
	const tether_program_desc **progs;
	size_t nprogs;
	bool oom;
};

static const tether_type_desc void_desc = {.name = "void",
					   .kind = TETHER_T_VOID};

/* Primitive descriptors: the size is what the JSON range checks use (char
 * is an XDR int holding -128..127, RFC 4506 has no smaller integers). */
static const tether_type_desc prims[] = {
    [TC_B_INT] = {.name = "int", .kind = TETHER_T_INT, .size = 4},
    [TC_B_UINT] = {.name = "unsigned int", .kind = TETHER_T_UINT, .size = 4},
    [TC_B_HYPER] = {.name = "hyper", .kind = TETHER_T_HYPER, .size = 8},
    [TC_B_UHYPER] = {.name = "unsigned hyper",
		     .kind = TETHER_T_UHYPER,
		     .size = 8},
    [TC_B_FLOAT] = {.name = "float", .kind = TETHER_T_FLOAT, .size = 4},
    [TC_B_DOUBLE] = {.name = "double", .kind = TETHER_T_DOUBLE, .size = 8},
    [TC_B_QUAD] = {.name = "quadruple", .kind = TETHER_T_QUAD, .size = 16},
    [TC_B_BOOL] = {.name = "bool", .kind = TETHER_T_BOOL, .size = 1},
    [TC_B_CHAR] = {.name = "char", .kind = TETHER_T_INT, .size = 1},
    [TC_B_UCHAR] = {.name = "unsigned char", .kind = TETHER_T_UINT, .size = 1},
    [TC_B_SHORT] = {.name = "short", .kind = TETHER_T_INT, .size = 2},
    [TC_B_USHORT] = {.name = "unsigned short",
		     .kind = TETHER_T_UINT,
		     .size = 2},
};

static const tether_type_desc netobj_desc = {
    .name = "netobj", .kind = TETHER_T_OPAQUE, .bound = 1024};

static void *alloc(cli_idl *idl, size_t n)
{
	void *p = tc_pool_alloc(&idl->c->pool, n ? n : 1);
	if (p == NULL)
		idl->oom = true;
	return p;
}

static const tether_type_desc *def_desc(cli_idl *idl, const tc_def *d);

static const tether_type_desc *spec_desc(cli_idl *idl, const tc_tspec *t)
{
	if (t->base == TC_B_NAMED) {
		if (t->def == NULL)
			return &void_desc;
		if (t->def->kind == TC_D_BUILTIN)
			return &netobj_desc;
		return def_desc(idl, t->def);
	}
	if (t->base == TC_B_VOID || t->base > TC_B_USHORT)
		return &void_desc;
	return &prims[t->base];
}

static const tether_type_desc *decl_desc(cli_idl *idl, const tc_decl *x)
{
	if (x->kind == TC_K_VOID)
		return &void_desc;
	if (x->kind == TC_K_SCALAR)
		return spec_desc(idl, &x->t);
	tether_type_desc *t = alloc(idl, sizeof(*t));
	if (t == NULL)
		return &void_desc;
	bool opaque = x->t.base == TC_B_OPAQUE,
	     string = x->t.base == TC_B_STRING;
	t->bound = x->kind == TC_K_FIXED || x->bounded ? (uint32_t)x->bound.v
						       : TETHER_XDR_UNBOUNDED;
	if (x->kind == TC_K_OPTIONAL) {
		t->kind = TETHER_T_OPTIONAL;
		t->elem = spec_desc(idl, &x->t);
	} else if (string) {
		t->kind = TETHER_T_STRING;
	} else if (opaque) {
		t->kind =
		    x->kind == TC_K_FIXED ? TETHER_T_FOPAQUE : TETHER_T_OPAQUE;
	} else {
		t->kind =
		    x->kind == TC_K_FIXED ? TETHER_T_FARRAY : TETHER_T_VARRAY;
		t->elem = spec_desc(idl, &x->t);
	}
	return t;
}

static void fill_enum(cli_idl *idl, const tc_def *d, tether_type_desc *t)
{
	tether_enum_value *v = alloc(idl, d->nvals * sizeof(*v));
	if (v == NULL)
		return;
	for (size_t i = 0; i < d->nvals; i++)
		v[i] = (tether_enum_value){d->vals[i].name,
					   (int32_t)d->vals[i].value.v};
	t->kind = TETHER_T_ENUM, t->size = 4;
	t->values = v, t->nvalues = d->nvals;
}

static void fill_struct(cli_idl *idl, const tc_def *d, tether_type_desc *t)
{
	tether_field_desc *f = alloc(idl, d->nfields * sizeof(*f));
	if (f == NULL)
		return;
	for (size_t i = 0; i < d->nfields; i++)
		f[i] = (tether_field_desc){d->fields[i].name,
					   decl_desc(idl, &d->fields[i]), 0};
	t->kind = TETHER_T_STRUCT;
	t->fields = f, t->nfields = d->nfields;
}

static tether_arm_desc arm_of(cli_idl *idl, int64_t v, const tc_decl *x)
{
	/* desc.h: case values are carried as int32 (unsigned ones wrap). */
	return (tether_arm_desc){(int32_t)(uint32_t)v,
				 x->kind == TC_K_VOID ? NULL : x->name,
				 decl_desc(idl, x)};
}

static void fill_union(cli_idl *idl, const tc_def *d, tether_type_desc *t)
{
	size_t n = 0;
	for (size_t i = 0; i < d->narms; i++)
		n += d->arms[i].nlabels;
	tether_field_desc *f = alloc(idl, sizeof(*f));
	tether_arm_desc *arms = alloc(idl, n * sizeof(*arms));
	tether_arm_desc *def = d->deflt ? alloc(idl, sizeof(*def)) : NULL;
	if (f == NULL || arms == NULL || (d->deflt && def == NULL))
		return;
	*f = (tether_field_desc){d->disc.name, decl_desc(idl, &d->disc), 0};
	n = 0;
	for (size_t i = 0; i < d->narms; i++)
		for (size_t l = 0; l < d->arms[i].nlabels; l++)
			arms[n++] = arm_of(idl, d->arms[i].labels[l].v,
					   &d->arms[i].decl);
	if (def != NULL)
		*def = arm_of(idl, 0, d->deflt);
	t->kind = TETHER_T_UNION;
	t->fields = f, t->nfields = 1;
	t->arms = arms, t->narms = n, t->default_arm = def;
}

/* Named types are made once and registered before their members are, so
 * that recursive types (mount.x's lists) point back at themselves. */
static const tether_type_desc *def_desc(cli_idl *idl, const tc_def *d)
{
	for (defmap *m = idl->map; m != NULL; m = m->next)
		if (m->def == d)
			return m->desc;
	defmap *m = alloc(idl, sizeof(*m));
	tether_type_desc *t = alloc(idl, sizeof(*t));
	if (m == NULL || t == NULL)
		return &void_desc;
	*m = (defmap){d, t, idl->map};
	idl->map = m;
	t->name = d->name;
	switch (d->kind) {
	case TC_D_ENUM:
		fill_enum(idl, d, t);
		break;
	case TC_D_STRUCT:
		fill_struct(idl, d, t);
		break;
	case TC_D_UNION:
		fill_union(idl, d, t);
		break;
	case TC_D_TYPEDEF:
		t->kind = TETHER_T_TYPEDEF;
		t->elem = decl_desc(idl, &d->td);
		break;
	default:
		t->kind = TETHER_T_VOID;
		break;
	}
	return t;
}

/* ---- programs ---------------------------------------------------------------
 */

static void fill_proc(cli_idl *idl, const tc_def *p, const tc_version *v,
		      const tc_proc *pr, tether_proc_desc *pd)
{
	pd->name = pr->name;
	pd->prog = (uint32_t)p->num.v, pd->vers = (uint32_t)v->num.v;
	pd->proc = (uint32_t)pr->num.v;
	if (pr->nargs == 0)
		pd->arg = &void_desc;
	else if (pr->nargs == 1)
		pd->arg = decl_desc(idl, &pr->args[0]);
	else
		pd->arg = def_desc(idl, pr->argstruct);
	pd->res = decl_desc(idl, &pr->res);
}

static const tether_version_desc *make_version(cli_idl *idl, const tc_def *p,
					       const tc_version *v)
{
	tether_version_desc *vd = alloc(idl, sizeof(*vd));
	tether_proc_desc *procs = alloc(idl, v->nprocs * sizeof(*procs));
	if (vd == NULL || procs == NULL)
		return NULL;
	for (size_t i = 0; i < v->nprocs; i++)
		fill_proc(idl, p, v, &v->procs[i], &procs[i]);
	*vd = (tether_version_desc){
	    p->name, v->name,  (uint32_t)p->num.v, (uint32_t)v->num.v,
	    procs,   v->nprocs};
	return vd;
}

static tether_program_desc *make_program(cli_idl *idl, const tc_def *p)
{
	tether_program_desc *pd = alloc(idl, sizeof(*pd));
	const tether_version_desc **vs = alloc(idl, p->nvers * sizeof(*vs));
	if (pd == NULL || vs == NULL)
		return NULL;
	for (size_t i = 0; i < p->nvers; i++)
		if ((vs[i] = make_version(idl, p, &p->vers[i])) == NULL)
			return NULL;
	*pd = (tether_program_desc){p->name, (uint32_t)p->num.v, vs, p->nvers};
	return pd;
}

static bool make_programs(cli_idl *idl)
{
	size_t n = 0;
	for (const tc_def *d = idl->c->defs; d != NULL; d = d->next)
		n += d->kind == TC_D_PROGRAM;
	idl->progs = alloc(idl, n * sizeof(*idl->progs));
	if (idl->progs == NULL)
		return false;
	for (const tc_def *d = idl->c->defs; d != NULL; d = d->next)
		if (d->kind == TC_D_PROGRAM &&
		    (idl->progs[idl->nprogs++] = make_program(idl, d)) == NULL)
			return false;
	return !idl->oom;
}

/* ---- loading
 * ------------------------------------------------------------------ */

void cli_idl_free(cli_idl *idl)
{
	if (idl == NULL)
		return;
	if (idl->c != NULL) {
		tc_fini(idl->c);
		tt_free(idl->c, sizeof(*idl->c));
	}
	tt_free(idl, sizeof(*idl));
}

static bool setup(cli_idl *idl, const char *const *incdirs, size_t ninc,
		  const char *const *defines, size_t ndef)
{
	for (size_t i = 0; i < ninc; i++)
		if (!tc_add_include_dir(idl->c, incdirs[i]))
			return false;
	for (size_t i = 0; i < ndef; i++) {
		char name[128];
		const char *eq = strchr(defines[i], '=');
		size_t n = eq ? (size_t)(eq - defines[i]) : strlen(defines[i]);
		if (n == 0 || n >= sizeof(name))
			return false;
		memcpy(name, defines[i], n);
		name[n] = '\0';
		if (!tc_define(idl->c, name, eq ? eq + 1 : NULL))
			return false;
	}
	return true;
}

/* Reflection: a .x text from a server must never make us read local
 * files through #include. */
static bool no_files(void *ud, const char *path, char **text, size_t *len,
		     tc_pool *pool)
{
	(void)ud, (void)path, (void)text, (void)len, (void)pool;
	return false;
}

static cli_idl *load(const char *path, const char *text, size_t len,
		     const char *const *incdirs, size_t nincdirs,
		     const char *const *defines, size_t ndefines, char *err,
		     size_t n)
{
	cli_idl *idl = tt_calloc(1, sizeof(*idl));
	if (idl == NULL || (idl->c = tt_calloc(1, sizeof(*idl->c))) == NULL) {
		snprintf(err, n, "out of memory");
		cli_idl_free(idl);
		return NULL;
	}
	tc_init(idl->c);
	if (text != NULL)
		tc_set_reader(idl->c, no_files, NULL);
	bool ok = setup(idl, incdirs, nincdirs, defines, ndefines) &&
		  (text != NULL ? tc_parse_text(idl->c, path, text, len)
				: tc_parse_file(idl->c, path)) &&
		  tc_check(idl->c) && make_programs(idl);
	if (!ok) {
		const char *m =
		    idl->c->err.len ? idl->c->err.s : "out of memory or bad -D";
		snprintf(err, n, "%s", m);
		/* tetherc's messages end with a newline; keep one line clean */
		size_t l = strlen(err);
		while (l > 0 && err[l - 1] == '\n')
			err[--l] = '\0';
		cli_idl_free(idl);
		return NULL;
	}
	return idl;
}

cli_idl *cli_idl_load(const char *path, const char *const *incdirs,
		      size_t nincdirs, const char *const *defines,
		      size_t ndefines, char *err, size_t n)
{
	return load(path, NULL, 0, incdirs, nincdirs, defines, ndefines, err,
		    n);
}

cli_idl *cli_idl_load_text(const char *name, const char *text, size_t len,
			   char *err, size_t n)
{
	return load(name, text, len, NULL, 0, NULL, 0, err, n);
}

const tether_program_desc *const *cli_idl_programs(cli_idl *idl, size_t *n)
{
	*n = idl->nprogs;
	return idl->progs;
}

/* ---- lookups by name or number
 * ------------------------------------------------ */

static bool number(const char *s, uint32_t *v)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end != '\0' || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static const tether_program_desc *prog_of(cli_idl *idl, const char *s)
{
	uint32_t num;
	bool isnum = number(s, &num);
	for (size_t i = 0; i < idl->nprogs; i++)
		if (isnum ? idl->progs[i]->prog == num
			  : !strcmp(idl->progs[i]->name, s))
			return idl->progs[i];
	return NULL;
}

static const tether_version_desc *vers_of(const tether_program_desc *p,
					  const char *s)
{
	uint32_t num;
	bool isnum = number(s, &num);
	for (size_t i = 0; i < p->nversions; i++)
		if (isnum ? p->versions[i]->vers == num
			  : !strcmp(p->versions[i]->name, s))
			return p->versions[i];
	return NULL;
}

static const tether_proc_desc *proc_of(const tether_version_desc *v,
				       const char *s)
{
	uint32_t num;
	bool isnum = number(s, &num);
	for (size_t i = 0; i < v->nprocs; i++)
		if (isnum ? v->procs[i].proc == num
			  : !strcmp(v->procs[i].name, s))
			return &v->procs[i];
	return NULL;
}

bool cli_idl_find_prog(cli_idl *idl, const char *name, uint32_t *prog)
{
	const tether_program_desc *p = prog_of(idl, name);
	if (p != NULL)
		*prog = p->prog;
	return p != NULL;
}

bool cli_idl_find_vers(cli_idl *idl, uint32_t prog, const char *name,
		       uint32_t *vers)
{
	char num[16];
	snprintf(num, sizeof(num), "%u", prog);
	const tether_program_desc *p = prog_of(idl, num);
	const tether_version_desc *v = p ? vers_of(p, name) : NULL;
	if (v != NULL)
		*vers = v->vers;
	return v != NULL;
}

/* "a, b, c" of what exists, for error messages. */
static void names(char *out, size_t n, const char *(*get)(const void *, size_t),
		  const void *set, size_t count)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && len < n; i++) {
		int k = snprintf(out + len, n - len, "%s%s", i ? ", " : "",
				 get(set, i));
		if (k < 0)
			return;
		len += (size_t)k;
	}
}

static const char *prog_name(const void *set, size_t i)
{
	return ((const cli_idl *)set)->progs[i]->name;
}

static const char *vers_name(const void *set, size_t i)
{
	return ((const tether_program_desc *)set)->versions[i]->name;
}

static const char *proc_name(const void *set, size_t i)
{
	return ((const tether_version_desc *)set)->procs[i].name;
}

const tether_proc_desc *cli_idl_find_proc(cli_idl *idl, const char *spec,
					  char *err, size_t n)
{
	char buf[256], known[200];
	snprintf(buf, sizeof(buf), "%s", spec);
	char *v = strchr(buf, '.'), *pr = v ? strchr(v + 1, '.') : NULL;
	if (v == NULL || pr == NULL || strchr(pr + 1, '.') != NULL) {
		snprintf(err, n, "'%s' is not PROGRAM.VERSION.PROCEDURE", spec);
		return NULL;
	}
	*v++ = '\0', *pr++ = '\0';
	const tether_program_desc *p = prog_of(idl, buf);
	if (p == NULL) {
		names(known, sizeof(known), prog_name, idl, idl->nprogs);
		snprintf(err, n,
			 "no program '%s' in the .x file (programs: %s)", buf,
			 known);
		return NULL;
	}
	const tether_version_desc *vd = vers_of(p, v);
	if (vd == NULL) {
		names(known, sizeof(known), vers_name, p, p->nversions);
		snprintf(err, n,
			 "program %s has no version '%s' (versions: %s)",
			 p->name, v, known);
		return NULL;
	}
	const tether_proc_desc *pd = proc_of(vd, pr);
	if (pd == NULL) {
		names(known, sizeof(known), proc_name, vd, vd->nprocs);
		snprintf(err, n,
			 "version %s has no procedure '%s' (procedures: %s)",
			 vd->name, pr, known);
	}
	return pd;
}
