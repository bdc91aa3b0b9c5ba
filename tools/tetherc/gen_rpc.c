/* SPDX-License-Identifier: MIT */
/*
 * gen_rpc.c - programs (RFC 5531 §12): number #defines, typed blocking and
 * async client stubs, handler tables, invoke/complete trampolines,
 * registration, deferred replies, version/program descriptors, the
 * per-file tether_idl_desc, and tc_generate() that puts it all together.
 */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

typedef struct tc_pinfo {
	tc_proc *p;
	const char *stub;      /* nfsproc_getattr_2 */
	const char *member;    /* nfsproc_getattr */
	const char *arg, *res; /* C types; NULL for void */
	size_t index;	       /* in the sorted procs array */
} tc_pinfo;

static const char *proc_ctype(const tc_decl *x, const tc_proc *p, bool arg)
{
	if (arg && p->nargs == 0)
		return NULL;
	if (arg && p->nargs > 1)
		return p->argstruct->name;
	if (x->kind == TC_K_VOID)
		return NULL;
	if (x->t.base == TC_B_STRING)
		return "char *";
	return tc_ctype(&x->t);
}

/* "const T *arg" / "T *res", and "char *const *arg" for strings. */
static const char *ptr_param(tc_gen *g, const char *ctype, bool cnst,
			     const char *name)
{
	size_t n = strlen(ctype);
	if (ctype[n - 1] == '*')
		return tc_fmt(g, "%s%s*%s", ctype, cnst ? "const " : "", name);
	return tc_fmt(g, "%s%s *%s", cnst ? "const " : "", ctype, name);
}

static const char *proc_desc(tc_gen *g, const tc_proc *p, bool arg)
{
	if (arg && p->nargs > 1)
		return tc_fmt(g, "&%s_desc", p->argstruct->name);
	tc_decl v = {0};
	v.kind = TC_K_VOID;
	const tc_decl *x = arg ? (p->nargs ? &p->args[0] : &v) : &p->res;
	if (x->kind == TC_K_VAR) { /* string */
		g->need |= TC_NEED_STRING_DESC;
		return "&tetherc_string_desc";
	}
	return tc_desc_of(g, x, NULL, NULL, NULL);
}

static int cmp_proc(const void *a, const void *b)
{
	const tc_pinfo *x = a, *y = b;
	return x->p->num.v < y->p->num.v ? -1 : x->p->num.v > y->p->num.v;
}

static tc_pinfo *proc_infos(tc_gen *g, tc_version *v)
{
	tc_pinfo *pi =
	    tc_pool_alloc(&g->c->pool, (v->nprocs + 1) * sizeof(*pi));
	if (pi == NULL)
		return NULL;
	for (size_t i = 0; i < v->nprocs; i++) {
		tc_proc *p = &v->procs[i];
		pi[i].p = p;
		pi[i].member = tc_lower(g, p->name);
		pi[i].stub =
		    tc_fmt(g, "%s_%lld", pi[i].member, (long long)v->num.v);
		pi[i].arg = proc_ctype(p->nargs ? &p->args[0] : NULL, p, true);
		pi[i].res = proc_ctype(&p->res, p, false);
	}
	qsort(pi, v->nprocs, sizeof(*pi), cmp_proc);
	for (size_t i = 0; i < v->nprocs; i++)
		pi[i].index = i;
	return pi;
}

/* ---- header ---------------------------------------------------------------
 */

static void h_stub_protos(tc_gen *g, const tc_pinfo *pi)
{
	tc_buf *h = g->h;
	tc_buf_printf(h, "TETHER_WUR tether_status %s(tether_client *client, ",
		      pi->stub);
	if (pi->arg)
		tc_buf_printf(h, "%s, ", ptr_param(g, pi->arg, true, "argp"));
	if (pi->res)
		tc_buf_printf(h, "%s, ", ptr_param(g, pi->res, false, "resp"));
	tc_buf_puts(h, "tether_arena *arena, uint32_t deadline_ms);\n");
	tc_buf_printf(h, "typedef void (*%s_done)(tether_status st, ",
		      pi->stub);
	if (pi->res)
		tc_buf_printf(h, "%s, ", ptr_param(g, pi->res, false, "resp"));
	tc_buf_puts(h, "void *ud);\n");
	tc_buf_printf(h,
		      "TETHER_WUR tether_status %s_async(tether_conn *conn, ",
		      pi->stub);
	if (pi->arg)
		tc_buf_printf(h, "%s, ", ptr_param(g, pi->arg, true, "argp"));
	tc_buf_printf(h, "uint32_t deadline_ms, %s_done done, void *ud);\n",
		      pi->stub);
	tc_buf_printf(
	    h, "TETHER_WUR tether_status %s_reply(tether_call_ctx *ctx%s%s);\n",
	    pi->stub, pi->res ? ", " : "",
	    pi->res ? ptr_param(g, pi->res, true, "resp") : "");
}

static void handler_member(tc_gen *g, tc_buf *b, const tc_pinfo *pi)
{
	tc_buf_printf(b, "\ttether_status (*%s)(tether_call_ctx *ctx",
		      pi->member);
	if (pi->arg)
		tc_buf_printf(b, ", %s", ptr_param(g, pi->arg, true, "argp"));
	if (pi->res)
		tc_buf_printf(b, ", %s", ptr_param(g, pi->res, false, "resp"));
	tc_buf_puts(b, ");\n");
}

static void h_version(tc_gen *g, tc_def *prog, tc_version *v, tc_pinfo *pi)
{
	tc_buf *h = g->h;
	const char *vn =
	    tc_fmt(g, "%s_%lld", tc_lower(g, prog->name), (long long)v->num.v);
	tc_buf_printf(h, "/* %s version %s = %lld. */\n#define %s ", prog->name,
		      v->name, (long long)v->num.v, v->name);
	tc_put_int(h, v->num.v);
	tc_buf_puts(h, "\n");
	for (size_t i = 0; i < v->nprocs; i++) {
		tc_buf_printf(h, "#define %s ", pi[i].p->name);
		tc_put_int(h, pi[i].p->num.v);
		tc_buf_puts(h, "\n");
	}
	tc_buf_puts(
	    h,
	    "\n/*\n"
	    " * Client stubs. P_n: blocking (tether_call); *argp is borrowed,\n"
	    " * *resp is filled with memory from arena (valid until it is\n"
	    " * reset or freed). P_n_async: tether_call_async; *argp is\n"
	    " * encoded before it returns; done runs once on the connection's\n"
	    " * loop thread, *resp valid only during the call. P_n_reply:\n"
	    " * the reply of a handler that returned TETHER_E_DEFERRED.\n"
	    " */\n");
	for (size_t i = 0; i < v->nprocs; i++)
		h_stub_protos(g, &pi[i]);
	tc_buf_printf(
	    h,
	    "\n/* Server side: handlers get *argp (valid during the call) and\n"
	    " * fill *resp with memory from tether_ctx_arena(ctx). A NULL\n"
	    " * handler answers PROC_UNAVAIL. The table is borrowed: it must\n"
	    " * outlive the server or client it is registered with. */\n"
	    "typedef struct %s_handlers {\n",
	    vn);
	for (size_t i = 0; i < v->nprocs; i++)
		handler_member(g, h, &pi[i]);
	tc_buf_printf(h, "} %s_handlers;\n\n", vn);
	tc_buf_printf(
	    h,
	    "TETHER_WUR tether_status %s_register(tether_server *server, const "
	    "%s_handlers *h, void *ud);\n"
	    "TETHER_WUR tether_status %s_register_client(tether_client "
	    "*client, const %s_handlers *h, void *ud);\n"
	    "extern const tether_version_desc %s_desc;\n\n",
	    vn, vn, vn, vn, vn);
}

/* ---- source ----------------------------------------------------------------
 */

static void c_trampolines(tc_gen *g, const char *vn, const tc_pinfo *pi)
{
	tc_buf *b = g->body;
	tc_buf_printf(b,
		      "static tether_status %s_invoke(tether_call_ctx *ctx, "
		      "const void *handlers,\n"
		      "\t\t\t\t  const void *argp, void *resp)\n{\n"
		      "\tconst %s_handlers *h = handlers;\n\n",
		      pi->stub, vn);
	if (!pi->arg)
		tc_buf_puts(b, "\t(void)argp;\n");
	if (!pi->res)
		tc_buf_puts(b, "\t(void)resp;\n");
	tc_buf_printf(
	    b,
	    "\tif (h->%s == NULL)\n\t\treturn TETHER_E_PROC_UNAVAIL;\n"
	    "\treturn h->%s(ctx%s%s);\n}\n\n",
	    pi->member, pi->member,
	    pi->arg ? tc_fmt(g, ", (%s)argp", ptr_param(g, pi->arg, true, ""))
		    : "",
	    pi->res ? tc_fmt(g, ", (%s)resp", ptr_param(g, pi->res, false, ""))
		    : "");
	tc_buf_printf(b,
		      "static void %s_complete(tether_generic_fn fn, "
		      "tether_status st, void *resp,\n"
		      "\t\t\t  void *ud)\n{\n"
		      "\t%s_done done = (%s_done)fn;\n\n",
		      pi->stub, pi->stub, pi->stub);
	if (pi->res)
		tc_buf_puts(b, "\tdone(st, resp, ud);\n}\n\n");
	else
		tc_buf_puts(b, "\t(void)resp;\n\tdone(st, ud);\n}\n\n");
}

static void c_stubs(tc_gen *g, const char *vn, const tc_pinfo *pi)
{
	tc_buf *b = g->body;
	const char *pd = tc_fmt(g, "&%s_procs[%zu]", vn, pi->index);
	tc_buf_printf(b, "tether_status %s(tether_client *client, ", pi->stub);
	if (pi->arg)
		tc_buf_printf(b, "%s, ", ptr_param(g, pi->arg, true, "argp"));
	if (pi->res)
		tc_buf_printf(b, "%s, ", ptr_param(g, pi->res, false, "resp"));
	tc_buf_printf(b,
		      "tether_arena *arena,\n\t\t\tuint32_t deadline_ms)\n{\n"
		      "\treturn tether_call(client, %s, %s, %s, arena, "
		      "deadline_ms);\n}\n\n",
		      pd, pi->arg ? "argp" : "NULL", pi->res ? "resp" : "NULL");
	tc_buf_printf(b, "tether_status %s_async(tether_conn *conn, ",
		      pi->stub);
	if (pi->arg)
		tc_buf_printf(b, "%s, ", ptr_param(g, pi->arg, true, "argp"));
	tc_buf_printf(
	    b,
	    "uint32_t deadline_ms,\n\t\t\t%s_done done, void *ud)\n{\n"
	    "\treturn tether_call_async(conn, %s, %s, deadline_ms,\n"
	    "\t\t\t\t (tether_generic_fn)done, ud);\n}\n\n",
	    pi->stub, pd, pi->arg ? "argp" : "NULL");
	tc_buf_printf(b,
		      "tether_status %s_reply(tether_call_ctx *ctx%s%s)\n{\n"
		      "\treturn tether_ctx_reply(ctx, %s);\n}\n\n",
		      pi->stub, pi->res ? ", " : "",
		      pi->res ? ptr_param(g, pi->res, true, "resp") : "",
		      pi->res ? "resp" : "NULL");
}

static void c_version(tc_gen *g, tc_def *prog, tc_version *v, tc_pinfo *pi)
{
	tc_buf *b = g->body;
	const char *vn =
	    tc_fmt(g, "%s_%lld", tc_lower(g, prog->name), (long long)v->num.v);
	const char **ad =
	    tc_pool_alloc(&g->c->pool, (v->nprocs + 1) * sizeof(*ad) * 2);
	if (ad == NULL)
		return;
	for (size_t i = 0; i < v->nprocs; i++) {
		c_trampolines(g, vn, &pi[i]);
		ad[2 * i] = proc_desc(g, pi[i].p, true);
		ad[2 * i + 1] = proc_desc(g, pi[i].p, false);
	}
	tc_buf_printf(b, "static const tether_proc_desc %s_procs[] = {\n", vn);
	for (size_t i = 0; i < v->nprocs; i++) {
		tc_buf_printf(
		    b, "\t{\n\t\t.name = \"%s\",\n\t\t.prog = ", pi[i].p->name);
		tc_put_int(b, prog->num.v);
		tc_buf_puts(b, ",\n\t\t.vers = ");
		tc_put_int(b, v->num.v);
		tc_buf_puts(b, ",\n\t\t.proc = ");
		tc_put_int(b, pi[i].p->num.v);
		tc_buf_printf(b,
			      ",\n\t\t.arg = %s,\n\t\t.res = %s,\n"
			      "\t\t.invoke = %s_invoke,\n\t\t.complete = "
			      "%s_complete,\n\t},\n",
			      ad[2 * i], ad[2 * i + 1], pi[i].stub, pi[i].stub);
	}
	tc_buf_printf(b,
		      "};\n\nconst tether_version_desc %s_desc = {\n"
		      "\t.prog_name = \"%s\",\n\t.name = \"%s\",\n\t.prog = ",
		      vn, prog->name, v->name);
	tc_put_int(b, prog->num.v);
	tc_buf_puts(b, ",\n\t.vers = ");
	tc_put_int(b, v->num.v);
	tc_buf_printf(b, ",\n\t.procs = %s_procs,\n\t.nprocs = %zu,\n};\n\n",
		      vn, v->nprocs);
	for (size_t i = 0; i < v->nprocs; i++)
		c_stubs(g, vn, &pi[i]);
	tc_buf_printf(
	    b,
	    "tether_status %s_register(tether_server *server, const "
	    "%s_handlers *h, void *ud)\n{\n"
	    "\treturn tether_server_register(server, &%s_desc, h, ud);\n}\n\n"
	    "tether_status %s_register_client(tether_client *client, const "
	    "%s_handlers *h,\n"
	    "\t\t\t\tvoid *ud)\n{\n"
	    "\treturn tether_client_register(client, &%s_desc, h, ud);\n}\n\n",
	    vn, vn, vn, vn, vn, vn);
}

static void gen_program(tc_gen *g, tc_def *prog)
{
	const char *pn = tc_lower(g, prog->name);
	tc_buf_printf(g->h, "/* Program %s. */\n#define %s ", prog->name,
		      prog->name);
	tc_put_int(g->h, prog->num.v);
	tc_buf_puts(g->h, "\n\n");
	for (size_t i = 0; i < prog->nvers && !g->c->failed; i++) {
		tc_pinfo *pi = proc_infos(g, &prog->vers[i]);
		if (pi == NULL)
			return;
		h_version(g, prog, &prog->vers[i], pi);
		c_version(g, prog, &prog->vers[i], pi);
	}
	tc_buf_printf(g->h, "extern const tether_program_desc %s_desc;\n\n",
		      pn);
	tc_buf_printf(
	    g->body,
	    "static const tether_version_desc *const %s_versions[] = {\n", pn);
	for (size_t i = 0; i < prog->nvers; i++)
		tc_buf_printf(g->body, "\t&%s_%lld_desc,\n", pn,
			      (long long)prog->vers[i].num.v);
	tc_buf_printf(g->body,
		      "};\n\nconst tether_program_desc %s_desc = {\n"
		      "\t.name = \"%s\",\n\t.prog = ",
		      pn, prog->name);
	tc_put_int(g->body, prog->num.v);
	tc_buf_printf(
	    g->body,
	    ",\n\t.versions = %s_versions,\n\t.nversions = %zu,\n};\n\n", pn,
	    prog->nvers);
}

void tc_gen_programs(tc_gen *g)
{
	for (tc_def *d = g->c->defs; d != NULL; d = d->next)
		if (d->kind == TC_D_PROGRAM && !d->imported)
			gen_program(g, d);
}

/* ---- the idl descriptor ----------------------------------------------------
 */

void tc_gen_idl(tc_gen *g)
{
	tc_buf *b = g->body;
	const char *file = g->c->main_file;
	const char *slash = strrchr(file, '/');
	file = slash ? slash + 1 : file;
	/* A char array, not a string literal: C11 only promises literals of
	 * 4095 characters (-Wpedantic -Woverlength-strings). */
	tc_buf_printf(b,
		      "/* The text of %s, for reflection. */\n"
		      "static const char %s_source[] = {",
		      file, g->base);
	for (size_t i = 0; i < g->c->main_len; i++) {
		tc_buf_puts(b, i % 16 == 0 ? "\n\t" : " ");
		tc_buf_printf(b, "%u,", (unsigned char)g->c->main_text[i]);
	}
	tc_buf_puts(b, "\n\t0\n};\n\n");
	size_t nt = 0, np = 0;
	for (tc_def *d = g->c->defs; d != NULL; d = d->next) {
		nt += tc_def_generated(d);
		np += d->kind == TC_D_PROGRAM && !d->imported;
	}
	if (nt > 0) {
		tc_buf_printf(
		    b, "static const tether_type_desc *const %s_types[] = {\n",
		    g->base);
		for (tc_def *d = g->c->defs; d != NULL; d = d->next)
			if (tc_def_generated(d))
				tc_buf_printf(b, "\t&%s_desc,\n", d->name);
		tc_buf_puts(b, "};\n\n");
	}
	if (np > 0) {
		tc_buf_printf(b,
			      "static const tether_program_desc *const "
			      "%s_programs[] = {\n",
			      g->base);
		for (tc_def *d = g->c->defs; d != NULL; d = d->next)
			if (d->kind == TC_D_PROGRAM && !d->imported)
				tc_buf_printf(b, "\t&%s_desc,\n",
					      tc_lower(g, d->name));
		tc_buf_puts(b, "};\n\n");
	}
	tc_buf_printf(b,
		      "const tether_idl_desc %s_idl = {\n\t.file = \"%s\",\n"
		      "\t.source = %s_source,\n",
		      g->base, file, g->base);
	if (nt)
		tc_buf_printf(b, "\t.types = %s_types,\n\t.ntypes = %zu,\n",
			      g->base, nt);
	if (np)
		tc_buf_printf(
		    b, "\t.programs = %s_programs,\n\t.nprograms = %zu,\n",
		    g->base, np);
	tc_buf_puts(b, "};\n");
	tc_buf_printf(g->h,
		      "/* Everything in %s, with its text, for the CLI and "
		      "reflection. */\n"
		      "extern const tether_idl_desc %s_idl;\n\n",
		      file, g->base);
}
