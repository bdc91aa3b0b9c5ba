/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the handlers of the control program (control.x, DESIGN §2)
 * every tether server serves: ping, capabilities, cancel, health,
 * reflection (LIST, DESCRIBE) and, for administrators, STATS. Who may call
 * which is decided in dispatch.c before the arguments are decoded.
 */
#include <stdio.h>
#include <string.h>

#include <tether/server.h>

#include "common/tt.h"
#include "rpc/rpc.h"
#include "server/control.h"
#include "server/dispatch.h"

tether_status tt_ctl_register(tt_registry *reg, tt_sec *sec);

static const tt_sec *sec_of(tether_call_ctx *ctx)
{
	return tether_ctx_userdata(ctx);
}

static tether_status h_ping(tether_call_ctx *ctx, const uint64_t *argp,
			      uint64_t *resp)
{
	(void)ctx;
	*resp = *argp;
	return TETHER_OK;
}

static tether_status h_caps(tether_call_ctx *ctx, ctl_capabilities *resp)
{
	const tt_sec *sec = sec_of(ctx);

	resp->control_version = 1;
	resp->features = CTL_F_CANCEL | CTL_F_REFLECTION | CTL_F_RATE_VERF |
			 CTL_F_CALLBACKS | CTL_F_CONTEXT;
	if (sec->admin != NULL)
		resp->features |= CTL_F_STATS;
	resp->max_record = ctx->conn->max_record;
	resp->max_inbound = sec->max_inbound;
	resp->max_outbound = sec->max_outbound;
	resp->rate_flavor = TT_AUTH_TETHER_RATE;
	resp->implementation = (char *)"tether " TETHER_VERSION_STRING;
	return TETHER_OK;
}

/* Marks the peer's own call xid cancelled: its handler sees
 * tether_ctx_cancelled(), and whatever it answers the reply is an error.
 * Only calls of this connection can be named (handlers run on this loop
 * thread, so the list is ours to walk). A call whose reply is already
 * decided is not found: TRUE iff the call's reply will be
 * TETHER_E_CANCELLED (docs/protocol.md, Cancel). */
static tether_status h_cancel(tether_call_ctx *ctx, const uint32_t *argp,
				bool *resp)
{
	tether_call_ctx *x = tt_ctx_find(ctx->conn, *argp);

	*resp = x != NULL && x != ctx;
	if (*resp)
		atomic_store(&x->cancelled, true);
	return TETHER_OK;
}

static tether_status h_health(tether_call_ctx *ctx, ctl_health *resp)
{
	const tt_sec *sec = sec_of(ctx);

	resp->state = CTL_SERVING;
	resp->connections = tether_server_connections(sec->server);
	resp->uptime_ms = tt_io_now_ms() - sec->started_ms;
	return TETHER_OK;
}

/* The .x file that defines program prog, or NULL. */
static const tether_idl_desc *idl_of(const tt_sec *sec, uint32_t prog)
{
	if (prog == TETHER_CONTROL_PROG)
		return &control_idl;
	for (size_t i = 0; i < sec->nidls; i++)
		for (size_t j = 0; j < sec->idls[i]->nprograms; j++)
			if (sec->idls[i]->programs[j]->prog == prog)
				return sec->idls[i];
	return NULL;
}

static tether_status fill_version(tether_arena *a, const tether_version_desc *vd,
				  ctl_version *v)
{
	v->vers = vd->vers;
	v->name = (char *)(vd->name != NULL ? vd->name : "");
	v->procs.procs_len = (uint32_t)vd->nprocs;
	if (vd->nprocs == 0)
		return TETHER_OK;
	v->procs.procs_val = tether_arena_alloc(a, vd->nprocs * sizeof(ctl_proc));
	if (v->procs.procs_val == NULL)
		return TETHER_E_NOMEM;
	for (size_t i = 0; i < vd->nprocs; i++) {
		v->procs.procs_val[i].proc = vd->procs[i].proc;
		v->procs.procs_val[i].name =
		    (char *)(vd->procs[i].name != NULL ? vd->procs[i].name : "");
	}
	return TETHER_OK;
}

/* The program entry for prog in out[0..*n), added if new. */
static ctl_program *program_slot(ctl_program *out, uint32_t *n, uint32_t prog)
{
	for (uint32_t i = 0; i < *n; i++)
		if (out[i].prog == prog)
			return &out[i];
	out[*n].prog = prog;
	return &out[(*n)++];
}

static tether_status h_list(tether_call_ctx *ctx, ctl_program_list *resp)
{
	const tt_registry *r = ctx->conn->reg;
	const tt_sec *sec = sec_of(ctx);
	tether_arena *a = tether_ctx_arena(ctx);
	size_t n = r->n < CTL_PROGS_MAX ? r->n : CTL_PROGS_MAX;
	ctl_program *out;
	uint32_t np = 0;

	out = tether_arena_alloc(a, (n ? n : 1) * sizeof *out);
	if (out == NULL)
		return TETHER_E_NOMEM;
	memset(out, 0, (n ? n : 1) * sizeof *out);
	for (size_t i = 0; i < n; i++) {
		const tether_version_desc *vd = r->v[i].vd;
		const tether_idl_desc *idl = idl_of(sec, vd->prog);
		ctl_program *p = program_slot(out, &np, vd->prog);
		ctl_version *v;
		if (p->name == NULL) {
			p->name = (char *)(vd->prog_name ? vd->prog_name : "");
			p->idl_file = (char *)(idl != NULL ? idl->file : "");
			/* at most every registered version of it */
			p->versions.versions_val =
			    tether_arena_alloc(a, n * sizeof(ctl_version));
			if (p->versions.versions_val == NULL)
				return TETHER_E_NOMEM;
		}
		if (p->versions.versions_len == CTL_VERS_MAX)
			continue;
		v = &p->versions.versions_val[p->versions.versions_len++];
		TT_TRY(fill_version(a, vd, v));
	}
	resp->ctl_program_list_len = np;
	resp->ctl_program_list_val = out;
	return TETHER_OK;
}

static bool served(const tt_registry *r, uint32_t prog)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].vd->prog == prog)
			return true;
	return false;
}

static tether_status h_describe(tether_call_ctx *ctx, const uint32_t *argp,
				  ctl_source *resp)
{
	const tether_idl_desc *idl = idl_of(sec_of(ctx), *argp);

	/* Only what this server serves: a registered idl may define more
	 * programs than were registered. */
	resp->found = idl != NULL && idl->source != NULL &&
		      served(ctx->conn->reg, *argp);
	resp->file = (char *)(resp->found ? idl->file : "");
	resp->text = (char *)(resp->found ? idl->source : "");
	return TETHER_OK;
}

/* The server's own counters (tether_server_stats) as Prometheus text. */
static size_t counters_text(const tether_server_counters *k, char *buf,
			    size_t cap)
{
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
	    {"tether_server_connections_accepted_total", k->accepted},
	    {"tether_server_connections_refused_total_cap", k->refused_total},
	    {"tether_server_connections_refused_source_cap", k->refused_source},
	    {"tether_server_calls_refused_memory", k->refused_memory},
	    {"tether_server_connections_open", k->open},
	    {"tether_server_call_memory_bytes", k->call_memory},
	    {"tether_server_closed_unresponsive", k->closed_unresponsive},
	    {"tether_server_closed_idle", k->closed_idle},
	    {"tether_server_closed_malformed", k->closed_malformed},
	    {"tether_server_closed_handshake", k->closed_handshake},
	};
	size_t len = 0;

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int n = snprintf(buf + len, cap - len, "%s %llu\n", rows[i].name,
				 (unsigned long long)rows[i].v);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	return len;
}

/* Server counters first, then the application's metrics, in the
 * Prometheus text format 0.0.4. */
static tether_status h_stats(tether_call_ctx *ctx, ctl_text *resp)
{
	const tt_sec *sec = sec_of(ctx);
	tether_arena *a = tether_ctx_arena(ctx);
	tether_server_counters k;
	char head[2048], probe[1];
	size_t hl, ml = 0;
	char *out;

	TT_TRY(tether_server_stats(sec->server, &k, sizeof k));
	hl = counters_text(&k, head, sizeof head);
	if (sec->metrics != NULL &&
	    tether_metrics_prometheus(sec->metrics, probe, sizeof probe,
				      &ml) == TETHER_OK)
		ml = 0;
	out = tether_arena_alloc(a, hl + ml + 1);
	if (out == NULL)
		return TETHER_E_NOMEM;
	memcpy(out, head, hl);
	out[hl] = '\0';
	if (ml != 0)
		TT_TRY(tether_metrics_prometheus(sec->metrics, out + hl, ml + 1,
						 NULL));
	*resp = out;
	return TETHER_OK;
}

static const ctl_prog_1_handlers handlers = {
    .ctl_ping = h_ping,
    .ctl_capabilities = h_caps,
    .ctl_cancel = h_cancel,
    .ctl_health = h_health,
    .ctl_list = h_list,
    .ctl_describe = h_describe,
    .ctl_stats = h_stats,
};

tether_status tt_ctl_register(tt_registry *reg, tt_sec *sec)
{
	return tt_reg_add(reg, &ctl_prog_1_desc, &handlers, sec, false);
}
