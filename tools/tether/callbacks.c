/* SPDX-License-Identifier: MIT */
/*
 * callbacks.c - fixed JSON answers to the callbacks a server makes on the
 * CLI's connection (callbacks.h). A registered version is a copy of the
 * .x file's version whose argument descriptors keep the XDR bytes (printed
 * as JSON) and whose result descriptors encode the JSON given on the
 * command line; procedures without a --reply stay unanswered
 * (PROC_UNAVAIL), other programs PROG_UNAVAIL (the runtime's rule).
 */
#include <stdio.h>
#include <string.h>

#include <tether/server.h>

#include "box.h"
#include "callbacks.h"
#include "cli.h"
#include "common/tt.h"

#define MAX_VERSIONS 8

typedef struct cb_version {
	const tether_version_desc *orig; /* from the .x file */
	tether_version_desc vd;		 /* what is registered */
	tether_proc_desc *procs;
	tether_type_desc *args, *ress; /* box descriptors, one per proc */
	const tj_value **replies;      /* per proc; NULL: not answered */
	cli_cbs *owner;
} cb_version;

struct cli_cbs {
	cb_version v[MAX_VERSIONS];
	size_t nv;
	tjx x; /* encodes the replies (checked beforehand) */
	unsigned long answered;
};

static const tether_version_desc *version_of(cli_idl *idl,
					     const tether_proc_desc *pd)
{
	size_t n;
	const tether_program_desc *const *ps = cli_idl_programs(idl, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0;
		     ps[i]->prog == pd->prog && j < ps[i]->nversions; j++)
			if (ps[i]->versions[j]->vers == pd->vers)
				return ps[i]->versions[j];
	return NULL;
}

static tether_status cb_invoke(tether_call_ctx *ctx, const void *handlers,
			       const void *arg, void *res);

static cb_version *version_slot(cli_cbs *cbs, const tether_version_desc *vd,
				tether_arena *a)
{
	for (size_t i = 0; i < cbs->nv; i++)
		if (cbs->v[i].orig == vd)
			return &cbs->v[i];
	if (cbs->nv == MAX_VERSIONS)
		return NULL;
	cb_version *v = &cbs->v[cbs->nv];
	size_t n = vd->nprocs ? vd->nprocs : 1;
	v->procs = tether_arena_alloc(a, n * sizeof(*v->procs));
	v->args = tether_arena_alloc(a, n * sizeof(*v->args));
	v->ress = tether_arena_alloc(a, n * sizeof(*v->ress));
	v->replies = tether_arena_alloc(a, n * sizeof(*v->replies));
	if (!v->procs || !v->args || !v->ress || !v->replies)
		return NULL;
	v->orig = vd, v->owner = cbs, v->vd = *vd;
	for (size_t i = 0; i < vd->nprocs; i++) {
		v->procs[i] = vd->procs[i];
		v->procs[i].invoke = NULL; /* until a --reply names it */
		v->procs[i].complete = NULL;
	}
	v->vd.procs = v->procs;
	cbs->nv++;
	return v;
}

static int add_reply(cli_cbs *cbs, cli_idl *idl, const char *spec,
		     unsigned max_depth, tether_arena *a)
{
	char name[256], err[1024];
	tj_error je;
	tj_value *v;
	tj_limits lim = {TJ_DEFAULT_MAX_BYTES, max_depth};
	const char *eq = strchr(spec, '=');
	if (eq == NULL || (size_t)(eq - spec) >= sizeof(name)) {
		cli_err("call", "--reply '%s' is not PROG.VERS.PROC=JSON",
			spec);
		return CLI_EUSAGE;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	const tether_proc_desc *pd =
	    cli_idl_find_proc(idl, name, err, sizeof(err));
	if (pd == NULL) {
		cli_err("call", "--reply %s: %s", name, err);
		return CLI_EUSAGE;
	}
	if (tj_parse(eq + 1, strlen(eq + 1), &lim, a, &v, &je) != TETHER_OK) {
		cli_err("call", "--reply %s: JSON %u:%u: %s", name, je.line,
			je.col, je.msg);
		return CLI_EUSAGE;
	}
	tether_enc e;
	tether_enc_init_growable(&e, 4u << 20);
	tether_status st = tjx_encode(&cbs->x, pd->res, v, &e);
	tether_enc_release(&e);
	if (st != TETHER_OK) {
		cli_err("call", "--reply %s: %s", name, cbs->x.msg);
		return CLI_EUSAGE;
	}
	const tether_version_desc *vd = version_of(idl, pd);
	cb_version *cv = vd ? version_slot(cbs, vd, a) : NULL;
	if (cv == NULL) {
		cli_err(
		    "call",
		    "--reply %s: too many callback versions (or out of memory)",
		    name);
		return CLI_EUSAGE;
	}
	size_t i = (size_t)(pd - vd->procs);
	cv->replies[i] = v;
	cv->procs[i].invoke = cb_invoke;
	if (pd->arg->kind != TETHER_T_VOID) {
		box_decoder(&cv->args[i], pd->arg);
		cv->procs[i].arg = &cv->args[i];
	}
	if (pd->res->kind != TETHER_T_VOID) {
		box_encoder(&cv->ress[i], pd->res);
		cv->procs[i].res = &cv->ress[i];
	}
	return CLI_OK;
}

int cli_cbs_setup(cli_idl *idl, const char *const *specs, size_t n,
		  unsigned max_depth, tether_arena *a, cli_cbs **out)
{
	*out = NULL;
	if (n == 0)
		return CLI_OK;
	cli_cbs *cbs = tether_arena_alloc(a, sizeof(*cbs));
	if (cbs == NULL) {
		cli_err("call", "out of memory");
		return CLI_ECALL;
	}
	tjx_init(&cbs->x, a, "$");
	cbs->x.max_depth = max_depth;
	for (size_t i = 0; i < n; i++) {
		int rc = add_reply(cbs, idl, specs[i], max_depth, a);
		if (rc != CLI_OK)
			return rc;
	}
	*out = cbs;
	return CLI_OK;
}

int cli_cbs_register(cli_cbs *cbs, tether_client *c)
{
	for (size_t i = 0; cbs != NULL && i < cbs->nv; i++) {
		tether_status st =
		    tether_client_register(c, &cbs->v[i].vd, &cbs->v[i], NULL);
		if (st != TETHER_OK) {
			cli_err("call", "cannot serve %s: %s",
				cbs->v[i].vd.name, tether_strerror(st));
			return CLI_ECALL;
		}
	}
	return CLI_OK;
}

unsigned long cli_cbs_answered(const cli_cbs *cbs)
{
	return cbs ? cbs->answered : 0;
}

/* Prints "callback PROG.VERS.PROC ARG" (ARG as compact JSON). */
static tether_status log_call(tether_call_ctx *ctx, const cb_version *cv,
			      const tether_proc_desc *orig, const void *arg)
{
	tj_value *v = NULL;
	tjx x;
	tj_buf b;
	tjx_init(&x, tether_ctx_arena(ctx), "$");
	if (orig->arg->kind != TETHER_T_VOID) {
		const resbox *rb = arg;
		tether_dec d;
		tether_dec_init(&d, rb->p, rb->n, tether_ctx_arena(ctx));
		if (tjx_decode(&x, orig->arg, &d, &v) != TETHER_OK ||
		    tether_dec_finish(&d) != TETHER_OK) {
			cli_err("call", "callback %s: bad argument: %s",
				orig->name, x.msg);
			return TETHER_E_GARBAGE_ARGS;
		}
	}
	tj_buf_init(&b, 4096);
	if (v != NULL)
		(void)tj_write(&b, v, 0);
	fprintf(stderr, "tether call: callback %s.%s.%s %s%s\n",
		cv->vd.prog_name, cv->vd.name, orig->name, b.s ? b.s : "null",
		b.st == TETHER_E_TOO_LARGE ? "..." : "");
	tj_buf_free(&b);
	return TETHER_OK;
}

/* The handler of every answered callback procedure: handlers is its
 * cb_version; runs on the thread inside tether_call() (blocking mode). */
static tether_status cb_invoke(tether_call_ctx *ctx, const void *handlers,
			       const void *arg, void *res)
{
	const cb_version *cv = handlers;
	const tether_proc_desc *pd = tether_ctx_proc(ctx);
	size_t i = 0;
	while (i < cv->vd.nprocs && cv->procs[i].proc != pd->proc)
		i++;
	if (i == cv->vd.nprocs || cv->replies[i] == NULL)
		return TETHER_E_PROC_UNAVAIL;
	const tether_proc_desc *orig = &cv->orig->procs[i];
	TT_TRY(log_call(ctx, cv, orig, arg));
	if (orig->res->kind != TETHER_T_VOID)
		*(argbox *)res =
		    (argbox){&cv->owner->x, orig->res, cv->replies[i]};
	cv->owner->answered++;
	return TETHER_OK;
}
