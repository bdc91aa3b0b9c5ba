/* SPDX-License-Identifier: MIT */
/* prog.c - descriptor tables of the integration-test programs (prog.h). */
#include "prog.h"

static tether_status enc_bytes(tether_enc *e, const void *v)
{
	const tp_bytes *b = v;
	return tether_enc_opaque(e, b->val, b->len, TETHER_XDR_UNBOUNDED);
}

static tether_status dec_bytes(tether_dec *d, void *v)
{
	tp_bytes *b = v;
	return tether_dec_opaque(d, &b->val, &b->len, TETHER_XDR_UNBOUNDED);
}

static tether_status enc_uint(tether_enc *e, const void *v)
{
	return tether_enc_uint(e, *(const uint32_t *)v);
}

static tether_status dec_uint(tether_dec *d, void *v)
{
	return tether_dec_uint(d, v);
}

static tether_status enc_sub(tether_enc *e, const void *v)
{
	const tp_sub_args *a = v;
	tether_status st = tether_enc_uint(e, a->count);
	return st != TETHER_OK ? st : tether_enc_uint(e, a->size);
}

static tether_status dec_sub(tether_dec *d, void *v)
{
	tp_sub_args *a = v;
	tether_status st = tether_dec_uint(d, &a->count);
	return st != TETHER_OK ? st : tether_dec_uint(d, &a->size);
}

static const tether_type_desc t_void = {.name = "void", .kind = TETHER_T_VOID};
static const tether_type_desc t_bytes = {.name = "tp_bytes",
					 .kind = TETHER_T_OPAQUE,
					 .size = sizeof(tp_bytes),
					 .bound = TETHER_XDR_UNBOUNDED,
					 .encode = enc_bytes,
					 .decode = dec_bytes};
static const tether_type_desc t_uint = {.name = "u_int",
					.kind = TETHER_T_UINT,
					.size = sizeof(uint32_t),
					.encode = enc_uint,
					.decode = dec_uint};
static const tether_type_desc t_sub = {.name = "tp_sub_args",
				       .kind = TETHER_T_STRUCT,
				       .size = sizeof(tp_sub_args),
				       .encode = enc_sub,
				       .decode = dec_sub};

#define H(h) ((const tp_handlers *)(h))

static tether_status inv_echo(tether_call_ctx *ctx, const void *h,
			      const void *arg, void *res)
{
	return H(h)->echo(ctx, arg, res);
}

static tether_status inv_slow(tether_call_ctx *ctx, const void *h,
			      const void *arg, void *res)
{
	return H(h)->slow(ctx, arg, res);
}

static tether_status inv_sub(tether_call_ctx *ctx, const void *h,
			     const void *arg, void *res)
{
	return H(h)->subscribe(ctx, arg, res);
}

static tether_status inv_whoami(tether_call_ctx *ctx, const void *h,
				const void *arg, void *res)
{
	(void)arg;
	return H(h)->whoami(ctx, res);
}

static tether_status inv_hold(tether_call_ctx *ctx, const void *h,
			      const void *arg, void *res)
{
	return H(h)->hold(ctx, arg, res);
}

static tether_status inv_fire(tether_call_ctx *ctx, const void *h,
			      const void *arg, void *res)
{
	return H(h)->fire(ctx, arg, res);
}

static tether_status inv_drop(tether_call_ctx *ctx, const void *h,
			      const void *arg, void *res)
{
	return H(h)->drop(ctx, arg, res);
}

static tether_status inv_notify(tether_call_ctx *ctx, const void *h,
				const void *arg, void *res)
{
	return ((const tp_cb_handlers *)h)->notify(ctx, arg, res);
}

#define PROC(n, vers, num, a, r, inv)                                          \
	{                                                                      \
		n, TP_PROG, vers, num, a, r, inv, NULL                         \
	}

static const tether_proc_desc v1_procs[] = {
    PROC("PING", 1, 0, &t_void, &t_void, NULL),
    PROC("ECHO", 1, TP_ECHO, &t_bytes, &t_bytes, inv_echo),
    PROC("SLOW", 1, TP_SLOW, &t_uint, &t_uint, inv_slow),
    PROC("SUBSCRIBE", 1, TP_SUBSCRIBE, &t_sub, &t_uint, inv_sub),
    PROC("WHOAMI", 1, TP_WHOAMI, &t_void, &t_uint, inv_whoami),
    PROC("HOLD", 1, TP_HOLD, &t_uint, &t_uint, inv_hold),
    PROC("FIRE", 1, TP_FIRE, &t_uint, &t_uint, inv_fire),
    PROC("DROP", 1, TP_DROP, &t_uint, &t_uint, inv_drop),
};

static const tether_proc_desc v2_procs[] = {
    PROC("PING", 2, 0, &t_void, &t_void, NULL),
    PROC("ECHO", 2, TP_ECHO, &t_bytes, &t_bytes, inv_echo),
    PROC("SLOW", 2, TP_SLOW, &t_uint, &t_uint, inv_slow),
    PROC("HOLD", 2, TP_HOLD, &t_uint, &t_uint, inv_hold),
};

static const tether_proc_desc cb_procs[] = {
    {"CB_PING", TP_CB_PROG, 1, 0, &t_void, &t_void, NULL, NULL},
    {"NOTIFY", TP_CB_PROG, 1, 1, &t_bytes, &t_uint, inv_notify, NULL},
};

const tether_version_desc tp_v1 = {
    "TP_PROG", "TP_V1",	 TP_PROG,
    1,	       v1_procs, sizeof v1_procs / sizeof v1_procs[0]};
const tether_version_desc tp_v2 = {
    "TP_PROG", "TP_V2",	 TP_PROG,
    2,	       v2_procs, sizeof v2_procs / sizeof v2_procs[0]};
const tether_version_desc tp_cb_v1 = {
    "TP_CB_PROG", "TP_CB_V1",
    TP_CB_PROG,	  1,
    cb_procs,	  sizeof cb_procs / sizeof cb_procs[0]};

const tether_proc_desc *const tp_echo_pd = &v1_procs[1];
const tether_proc_desc *const tp_slow_pd = &v1_procs[2];
const tether_proc_desc *const tp_sub_pd = &v1_procs[3];
const tether_proc_desc *const tp_whoami_pd = &v1_procs[4];
const tether_proc_desc *const tp_hold_pd = &v1_procs[5];
const tether_proc_desc *const tp_fire_pd = &v1_procs[6];
const tether_proc_desc *const tp_drop_pd = &v1_procs[7];
const tether_proc_desc *const tp_notify_pd = &cb_procs[1];
const tether_proc_desc *const tp_v2_slow_pd = &v2_procs[2];
const tether_proc_desc *const tp_v2_hold_pd = &v2_procs[3];

const tether_proc_desc tp_bad_args_pd =
    PROC("ECHO", 1, TP_ECHO, &t_uint, &t_bytes, NULL);
const tether_proc_desc tp_no_proc_pd =
    PROC("NOPE", 1, 99, &t_void, &t_void, NULL);
const tether_proc_desc tp_no_vers_pd =
    PROC("ECHO", 9, TP_ECHO, &t_bytes, &t_bytes, NULL);
const tether_proc_desc tp_no_prog_pd = {"X",	  0x3fffffffu, 1,    1,
					&t_bytes, &t_bytes,    NULL, NULL};
const tether_proc_desc tp_ping_pd = PROC("PING", 1, 0, &t_void, &t_void, NULL);
