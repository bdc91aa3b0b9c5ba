/* SPDX-License-Identifier: MIT */
/*
 * test_tirpc_vectors.c - libtirpc (the reference ONC RPC implementation)
 * against tether's golden RPC header vectors: xdr_callmsg/xdr_replymsg
 * encode each message to exactly the vector's bytes, and decode each
 * vector back to the same fields. The unit test holds tether to the same
 * vectors, so the two implementations agree byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
/* libtirpc's rpc/rpc.h by its full path: "rpc/rpc.h" on the include path
 * is tether's own src/rpc/rpc.h. */
#include <tirpc/rpc/rpc.h>

#include "../../unit/rpc/rpc_vector_msgs.h"

static struct vec_bytes g_vb[64];
static int g_nvb;
static char g_sys_body[400];
static u_int g_sys_len;
static char g_starttls[8] = {'S', 'T', 'A', 'R', 'T', 'T', 'L', 'S'};

/* xdrproc_t for "no results" with the exact prototype libtirpc calls. */
static bool_t no_results(XDR *x, ...)
{
	(void)x;
	return TRUE;
}

/* AUTH_SYS body encoded by libtirpc's own xdr_authunix_parms. */
static int setup(void **state)
{
	(void)state;
	g_nvb = vec_load(VEC_DIR, "rpc_msg.hex", g_vb, 64);
	if (g_nvb != (int)VEC_COUNT)
		return -1;
	gid_t gids[3] = {vec_sys_gids[0], vec_sys_gids[1], vec_sys_gids[2]};
	struct authunix_parms p = {
	    .aup_time = VEC_SYS_STAMP,
	    .aup_machname = (char *)VEC_SYS_NAME,
	    .aup_uid = VEC_SYS_UID,
	    .aup_gid = VEC_SYS_GID,
	    .aup_len = 3,
	    .aup_gids = gids,
	};
	XDR x;
	xdrmem_create(&x, g_sys_body, sizeof(g_sys_body), XDR_ENCODE);
	if (!xdr_authunix_parms(&x, &p))
		return -1;
	g_sys_len = xdr_getpos(&x);
	xdr_destroy(&x);
	return 0;
}

static void set_auth(struct opaque_auth *a, uint32_t flavor, uint32_t body)
{
	a->oa_flavor = (int)flavor;
	a->oa_base = NULL;
	a->oa_length = 0;
	if (body == VEC_BODY_SYS) {
		a->oa_base = g_sys_body;
		a->oa_length = g_sys_len;
	} else if (body == VEC_BODY_STARTTLS) {
		a->oa_base = g_starttls;
		a->oa_length = sizeof(g_starttls);
	}
}

static void tirpc_msg_of(const struct vec_msg *v, struct rpc_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->rm_xid = v->xid;
	if (v->type == VEC_CALL) {
		m->rm_direction = CALL;
		m->rm_call.cb_rpcvers = RPC_MSG_VERSION;
		m->rm_call.cb_prog = v->prog;
		m->rm_call.cb_vers = v->vers;
		m->rm_call.cb_proc = v->proc;
		set_auth(&m->rm_call.cb_cred, v->cred_flavor, v->cred_body);
		set_auth(&m->rm_call.cb_verf, AUTH_NONE, VEC_BODY_NONE);
		return;
	}
	m->rm_direction = REPLY;
	m->rm_reply.rp_stat = (enum reply_stat)v->stat;
	if (v->stat == MSG_ACCEPTED) {
		set_auth(&m->acpted_rply.ar_verf, AUTH_NONE, v->verf_body);
		m->acpted_rply.ar_stat = (enum accept_stat)v->accept_stat;
		m->acpted_rply.ar_vers.low = v->low;
		m->acpted_rply.ar_vers.high = v->high;
		if (v->accept_stat == SUCCESS) {
			m->acpted_rply.ar_results.where = NULL;
			m->acpted_rply.ar_results.proc = no_results;
		}
		return;
	}
	m->rjcted_rply.rj_stat = (enum reject_stat)v->reject_stat;
	if (v->reject_stat == RPC_MISMATCH) {
		m->rjcted_rply.rj_vers.low = v->low;
		m->rjcted_rply.rj_vers.high = v->high;
	} else {
		m->rjcted_rply.rj_why = (enum auth_stat)v->auth_stat;
	}
}

static void test_tirpc_encodes_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < VEC_COUNT; i++) {
		const struct vec_bytes *g =
		    vec_find(g_vb, g_nvb, vec_msgs[i].name);
		assert_non_null(g);
		struct rpc_msg m;
		char buf[512];
		XDR x;
		tirpc_msg_of(&vec_msgs[i], &m);
		xdrmem_create(&x, buf, sizeof(buf), XDR_ENCODE);
		bool_t ok = vec_msgs[i].type == VEC_CALL ? xdr_callmsg(&x, &m)
							 : xdr_replymsg(&x, &m);
		assert_true(ok);
		assert_int_equal(xdr_getpos(&x), g->len);
		assert_memory_equal(buf, g->data, g->len);
		xdr_destroy(&x);
	}
}

static void check_auth(const struct opaque_auth *a, uint32_t flavor,
		       uint32_t body)
{
	struct opaque_auth want;
	set_auth(&want, flavor, body);
	assert_int_equal(a->oa_flavor, want.oa_flavor);
	assert_int_equal(a->oa_length, want.oa_length);
	if (want.oa_length)
		assert_memory_equal(a->oa_base, want.oa_base, want.oa_length);
}

static void check_call(const struct vec_msg *v, const struct rpc_msg *m)
{
	assert_int_equal(m->rm_direction, CALL);
	assert_int_equal(m->rm_call.cb_rpcvers, 2);
	assert_int_equal(m->rm_call.cb_prog, v->prog);
	assert_int_equal(m->rm_call.cb_vers, v->vers);
	assert_int_equal(m->rm_call.cb_proc, v->proc);
	check_auth(&m->rm_call.cb_cred, v->cred_flavor, v->cred_body);
	check_auth(&m->rm_call.cb_verf, AUTH_NONE, VEC_BODY_NONE);
}

static void check_reply(const struct vec_msg *v, const struct rpc_msg *m)
{
	assert_int_equal(m->rm_direction, REPLY);
	assert_int_equal(m->rm_reply.rp_stat, v->stat);
	if (v->stat == MSG_ACCEPTED) {
		check_auth(&m->acpted_rply.ar_verf, AUTH_NONE, v->verf_body);
		assert_int_equal(m->acpted_rply.ar_stat, v->accept_stat);
		if (v->accept_stat == PROG_MISMATCH) {
			assert_int_equal(m->acpted_rply.ar_vers.low, v->low);
			assert_int_equal(m->acpted_rply.ar_vers.high, v->high);
		}
		return;
	}
	assert_int_equal(m->rjcted_rply.rj_stat, v->reject_stat);
	if (v->reject_stat == RPC_MISMATCH) {
		assert_int_equal(m->rjcted_rply.rj_vers.low, v->low);
		assert_int_equal(m->rjcted_rply.rj_vers.high, v->high);
	} else {
		assert_int_equal(m->rjcted_rply.rj_why, v->auth_stat);
	}
}

static void test_tirpc_decodes_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < VEC_COUNT; i++) {
		const struct vec_bytes *g =
		    vec_find(g_vb, g_nvb, vec_msgs[i].name);
		assert_non_null(g);
		char data[512], cred[400], verf[400];
		memcpy(data, g->data, g->len);
		struct rpc_msg m;
		memset(&m, 0, sizeof(m));
		XDR x;
		xdrmem_create(&x, data, (u_int)g->len, XDR_DECODE);
		bool_t ok;
		if (vec_msgs[i].type == VEC_CALL) {
			/* Caller-provided bodies: libtirpc allocates none. */
			m.rm_call.cb_cred.oa_base = cred;
			m.rm_call.cb_verf.oa_base = verf;
			ok = xdr_callmsg(&x, &m);
		} else {
			m.acpted_rply.ar_verf.oa_base = verf;
			m.acpted_rply.ar_results.where = NULL;
			m.acpted_rply.ar_results.proc = no_results;
			ok = xdr_replymsg(&x, &m);
		}
		assert_true(ok);
		assert_int_equal(xdr_getpos(&x), g->len);
		xdr_destroy(&x);
		if (vec_msgs[i].type == VEC_CALL)
			check_call(&vec_msgs[i], &m);
		else
			check_reply(&vec_msgs[i], &m);
	}
}

/* The AUTH_SYS body inside call_auth_sys decodes with libtirpc. */
static void test_tirpc_decodes_auth_sys(void **state)
{
	(void)state;
	const struct vec_bytes *g = vec_find(g_vb, g_nvb, "call_auth_sys");
	assert_non_null(g);
	/* xid, type, rpcvers, prog, vers, proc, flavor, then the length. */
	size_t off = 7 * 4;
	uint32_t len = (uint32_t)g->data[off] << 24 |
		       (uint32_t)g->data[off + 1] << 16 |
		       (uint32_t)g->data[off + 2] << 8 | g->data[off + 3];
	assert_int_equal(len, g_sys_len);
	char body[400], name[256];
	gid_t gids[16];
	memcpy(body, g->data + off + 4, len);
	struct authunix_parms p = {.aup_machname = name, .aup_gids = gids};
	XDR x;
	xdrmem_create(&x, body, len, XDR_DECODE);
	assert_true(xdr_authunix_parms(&x, &p));
	assert_int_equal(xdr_getpos(&x), len);
	xdr_destroy(&x);
	assert_int_equal(p.aup_time, VEC_SYS_STAMP);
	assert_string_equal(p.aup_machname, VEC_SYS_NAME);
	assert_int_equal(p.aup_uid, VEC_SYS_UID);
	assert_int_equal(p.aup_gid, VEC_SYS_GID);
	assert_int_equal(p.aup_len, 3);
	assert_int_equal(p.aup_gids[1], vec_sys_gids[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tirpc_encodes_vectors),
	    cmocka_unit_test(test_tirpc_decodes_vectors),
	    cmocka_unit_test(test_tirpc_decodes_auth_sys),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
