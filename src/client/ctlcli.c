/* SPDX-License-Identifier: MIT */
/*
 * ctlcli.c - the client's side of the control program (DESIGN §2,
 * docs/protocol.md): what the peer supports, and cancelling a call.
 */
#include <tether/client.h>

#include "common/tt.h"
#include "server/control.h"
#include "server/rconn.h"

tether_status tether_client_peer_features(tether_client *c, uint32_t *features)
{
	tether_arena *a;
	ctl_capabilities caps;
	tether_status st;

	if (c == NULL || features == NULL)
		return TETHER_E_INVAL;
	*features = 0;
	TT_TRY(tether_arena_new(4096, &a));
	st = ctl_capabilities_1(c, &caps, a, 0);
	if (st == TETHER_OK)
		*features = caps.features;
	/* From now on calls carry the per-call context (docs/protocol.md §6):
	 * the peer said it takes it. */
	if (st == TETHER_OK && (caps.features & CTL_F_CONTEXT) != 0)
		atomic_store(&tether_client_conn(c)->send_ctx, true);
	tether_arena_free(a);
	/* A plain ONC RPC server does not serve the control program. */
	if (st == TETHER_E_PROG_UNAVAIL || st == TETHER_E_PROG_MISMATCH)
		st = TETHER_OK;
	return st;
}

tether_status tether_client_cancel(tether_client *c, uint32_t xid)
{
	tether_arena *a;
	bool found = false;
	tether_status st;

	if (c == NULL)
		return TETHER_E_INVAL;
	TT_TRY(tether_arena_new(256, &a));
	st = ctl_cancel_1(c, &xid, &found, a, 0);
	tether_arena_free(a);
	if (st == TETHER_OK && !found)
		st = TETHER_E_NOT_FOUND;
	return st;
}
