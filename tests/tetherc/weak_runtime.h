/* SPDX-License-Identifier: MIT */
/*
 * weak_runtime.h - weak stand-ins for the runtime functions that generated
 * stubs reference, for tests that link only the common and xdr layers.
 * Include in exactly one .c of a test program; the real runtime, when
 * linked, wins.
 */
#ifndef TETHERC_WEAK_RUNTIME_H
#define TETHERC_WEAK_RUNTIME_H
#include <tether/call.h>

tether_status tether_call(tether_client *c, const tether_proc_desc *pd,
			  const void *arg, void *res, tether_arena *arena,
			  uint32_t deadline_ms) __attribute__((weak));
tether_status tether_call(tether_client *c, const tether_proc_desc *pd,
			  const void *arg, void *res, tether_arena *arena,
			  uint32_t deadline_ms)
{
	(void)c, (void)pd, (void)arg, (void)res, (void)arena, (void)deadline_ms;
	return TETHER_E_UNSUPPORTED;
}

tether_status tether_call_async(tether_conn *conn, const tether_proc_desc *pd,
				const void *arg, uint32_t deadline_ms,
				tether_generic_fn done, void *ud)
    __attribute__((weak));
tether_status tether_call_async(tether_conn *conn, const tether_proc_desc *pd,
				const void *arg, uint32_t deadline_ms,
				tether_generic_fn done, void *ud)
{
	(void)conn, (void)pd, (void)arg, (void)deadline_ms, (void)done,
	    (void)ud;
	return TETHER_E_UNSUPPORTED;
}

tether_status tether_server_register(tether_server *s,
				     const tether_version_desc *vd,
				     const void *handlers, void *ud)
    __attribute__((weak));
tether_status tether_server_register(tether_server *s,
				     const tether_version_desc *vd,
				     const void *handlers, void *ud)
{
	(void)s, (void)vd, (void)handlers, (void)ud;
	return TETHER_E_UNSUPPORTED;
}

tether_status tether_client_register(tether_client *c,
				     const tether_version_desc *vd,
				     const void *handlers, void *ud)
    __attribute__((weak));
tether_status tether_client_register(tether_client *c,
				     const tether_version_desc *vd,
				     const void *handlers, void *ud)
{
	(void)c, (void)vd, (void)handlers, (void)ud;
	return TETHER_E_UNSUPPORTED;
}

tether_status tether_ctx_reply(tether_call_ctx *ctx, const void *res)
    __attribute__((weak));
tether_status tether_ctx_reply(tether_call_ctx *ctx, const void *res)
{
	(void)ctx, (void)res;
	return TETHER_E_UNSUPPORTED;
}
#endif
