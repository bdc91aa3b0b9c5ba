/* SPDX-License-Identifier: MIT */
/*
 * test_rpc_msg.c - RPC message headers (RFC 5531 §9): every shape round
 * trips, malformed headers are refused with the right status, AUTH_SYS
 * bodies, the STARTTLS verifier, reply status mapping, golden vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/tt.h"
#include "rpc/rpc.h"
#include "rpc_vector_msgs.h"

static uint8_t g_sys_body[TT_AUTH_MAX_BODY];
static uint32_t g_sys_len;

static void fill_sys(tt_auth_sys *s)
{
	memset(s, 0, sizeof(*s));
	s->stamp = VEC_SYS_STAMP;
	memcpy(s->machinename, VEC_SYS_NAME, sizeof(VEC_SYS_NAME));
	s->uid = VEC_SYS_UID;
	s->gid = VEC_SYS_GID;
	s->ngids = 3;
	memcpy(s->gids, vec_sys_gids, sizeof(vec_sys_gids));
}

static int setup_sys(void **state)
{
	(void)state;
	tt_auth_sys s;
	fill_sys(&s);
	return tt_auth_sys_encode(&s, g_sys_body, &g_sys_len) == TETHER_OK ? 0
									   : -1;
}

static void body_of(uint32_t kind, tt_opaque_auth *a)
{
	if (kind == VEC_BODY_SYS) {
		a->body = g_sys_body;
		a->len = g_sys_len;
	} else if (kind == VEC_BODY_STARTTLS) {
		a->body = tt_starttls_verf;
		a->len = sizeof(tt_starttls_verf);
	}
}

/* Builds the tether header for a table entry. */
static void msg_of(const struct vec_msg *v, tt_rpc_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->xid = v->xid;
	m->type = v->type;
	if (v->type == VEC_CALL) {
		tt_call_hdr *c = &m->u.call;
		c->rpcvers = TT_RPC_VERS;
		c->prog = v->prog;
		c->vers = v->vers;
		c->proc = v->proc;
		c->cred.flavor = v->cred_flavor;
		body_of(v->cred_body, &c->cred);
		return;
	}
	tt_reply_hdr *r = &m->u.reply;
	r->stat = v->stat;
	body_of(v->verf_body, &r->verf);
	r->accept_stat = v->accept_stat;
	r->reject_stat = v->reject_stat;
	r->auth_stat = v->auth_stat;
	r->low = v->low;
	r->high = v->high;
}

static tether_status encode_msg(const tt_rpc_msg *m, tether_enc *e)
{
	if (m->type == TT_MSG_CALL)
		return tt_rpc_encode_call(e, m->xid, &m->u.call);
	return tt_rpc_encode_reply(e, m->xid, &m->u.reply);
}

static void assert_auth_eq(const tt_opaque_auth *a, const tt_opaque_auth *b)
{
	assert_int_equal(a->flavor, b->flavor);
	assert_int_equal(a->len, b->len);
	if (a->len)
		assert_memory_equal(a->body, b->body, a->len);
}

static void assert_msg_eq(const tt_rpc_msg *a, const tt_rpc_msg *b)
{
	assert_int_equal(a->xid, b->xid);
	assert_int_equal(a->type, b->type);
	if (a->type == TT_MSG_CALL) {
		const tt_call_hdr *x = &a->u.call, *y = &b->u.call;
		assert_int_equal(x->rpcvers, y->rpcvers);
		assert_int_equal(x->prog, y->prog);
		assert_int_equal(x->vers, y->vers);
		assert_int_equal(x->proc, y->proc);
		assert_auth_eq(&x->cred, &y->cred);
		assert_auth_eq(&x->verf, &y->verf);
		return;
	}
	const tt_reply_hdr *x = &a->u.reply, *y = &b->u.reply;
	assert_int_equal(x->stat, y->stat);
	assert_auth_eq(&x->verf, &y->verf);
	assert_int_equal(x->accept_stat, y->accept_stat);
	assert_int_equal(x->reject_stat, y->reject_stat);
	assert_int_equal(x->auth_stat, y->auth_stat);
	assert_int_equal(x->low, y->low);
	assert_int_equal(x->high, y->high);
}

/* Every table shape: encode, decode, compare; the cursor ends exactly at
 * the end of the header. */
static void test_roundtrip_all_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < VEC_COUNT; i++) {
		tt_rpc_msg m, back;
		uint8_t buf[512];
		tether_enc e;
		tether_dec d;
		msg_of(&vec_msgs[i], &m);
		tether_enc_init_fixed(&e, buf, sizeof(buf));
		assert_int_equal(encode_msg(&m, &e), TETHER_OK);
		tether_dec_init(&d, buf, e.len, NULL);
		assert_int_equal(tt_rpc_decode(&d, &back), TETHER_OK);
		assert_int_equal(d.left, 0);
		assert_msg_eq(&m, &back);
	}
}

/* tether's encoder and decoder against the independent golden bytes. */
static void test_golden_vectors(void **state)
{
	(void)state;
	static struct vec_bytes vb[64];
	int n = vec_load(VEC_DIR, "rpc_msg.hex", vb, 64);
	assert_int_equal(n, (int)VEC_COUNT);
	for (size_t i = 0; i < VEC_COUNT; i++) {
		const struct vec_bytes *g = vec_find(vb, n, vec_msgs[i].name);
		assert_non_null(g);
		tt_rpc_msg m, back;
		uint8_t buf[512];
		tether_enc e;
		tether_dec d;
		msg_of(&vec_msgs[i], &m);
		tether_enc_init_fixed(&e, buf, sizeof(buf));
		assert_int_equal(encode_msg(&m, &e), TETHER_OK);
		assert_int_equal(e.len, g->len);
		assert_memory_equal(buf, g->data, g->len);
		tether_dec_init(&d, g->data, g->len, NULL);
		assert_int_equal(tt_rpc_decode(&d, &back), TETHER_OK);
		assert_int_equal(d.left, 0);
		assert_msg_eq(&m, &back);
	}
}

static size_t encode_vec(const char *name, uint8_t *buf, size_t cap)
{
	for (size_t i = 0; i < VEC_COUNT; i++) {
		if (strcmp(vec_msgs[i].name, name) != 0)
			continue;
		tt_rpc_msg m;
		tether_enc e;
		msg_of(&vec_msgs[i], &m);
		tether_enc_init_fixed(&e, buf, cap);
		assert_int_equal(encode_msg(&m, &e), TETHER_OK);
		return e.len;
	}
	fail_msg("no vector %s", name);
	return 0;
}

/* Every strict prefix of every shape is refused as short, and the cursor
 * is left where it was. */
static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < VEC_COUNT; i++) {
		uint8_t buf[512];
		size_t len = encode_vec(vec_msgs[i].name, buf, sizeof(buf));
		for (size_t cut = 0; cut < len; cut++) {
			tether_dec d;
			tt_rpc_msg m;
			tether_dec_init(&d, buf, cut, NULL);
			assert_int_equal(tt_rpc_decode(&d, &m),
					 TETHER_E_XDR_SHORT);
			assert_ptr_equal(d.p, buf);
			assert_int_equal(d.left, cut);
		}
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static tether_status decode_bytes(const uint8_t *b, size_t n, tt_rpc_msg *m)
{
	tether_dec d;
	tether_dec_init(&d, b, n, NULL);
	return tt_rpc_decode(&d, m);
}

/* RFC 5531 §8.2: opaque_auth bodies are at most 400 bytes. */
static void test_auth_len_limit(void **state)
{
	(void)state;
	static uint8_t buf[4096];
	tt_rpc_msg m;
	memset(buf, 0, sizeof(buf));
	put32(buf + 4, TT_MSG_CALL);
	put32(buf + 8, 2);
	put32(buf + 24, TT_AUTH_SYS);
	put32(buf + 28, 401);
	assert_int_equal(decode_bytes(buf, sizeof(buf), &m),
			 TETHER_E_RPC_AUTH_LEN);
	put32(buf + 28, 0xffffffffu);
	assert_int_equal(decode_bytes(buf, sizeof(buf), &m),
			 TETHER_E_RPC_AUTH_LEN);
	/* Exactly 400 is fine; the verifier follows at 32 + 400. */
	put32(buf + 28, 400);
	assert_int_equal(decode_bytes(buf, 32 + 400 + 8, &m), TETHER_OK);
	assert_int_equal(m.u.call.cred.len, 400);
	assert_ptr_equal(m.u.call.cred.body, buf + 32);
	/* A 401-byte verifier in a reply, too. */
	memset(buf, 0, 64);
	put32(buf + 4, TT_MSG_REPLY);
	put32(buf + 16, 401);
	assert_int_equal(decode_bytes(buf, sizeof(buf), &m),
			 TETHER_E_RPC_AUTH_LEN);
}

static void test_auth_padding(void **state)
{
	(void)state;
	uint8_t buf[512];
	tt_rpc_msg m;
	size_t len = encode_vec("reply_starttls", buf, sizeof(buf));
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_OK);
	assert_true(tt_rpc_is_starttls_verf(&m.u.reply.verf));
	/* A 5-byte body with its 3 padding bytes: make one non-zero. */
	put32(buf + 16, 5);
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_E_XDR_PADDING);
	buf[20 + 5] = 0;
	buf[20 + 6] = 0;
	buf[20 + 7] = 0;
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_OK);
	assert_false(tt_rpc_is_starttls_verf(&m.u.reply.verf));
}

static void test_bad_discriminants(void **state)
{
	(void)state;
	uint8_t buf[512];
	tt_rpc_msg m;
	size_t len = encode_vec("call_auth_none", buf, sizeof(buf));
	put32(buf + 4, 2);
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_E_RPC_MSG_TYPE);
	put32(buf + 4, 0x80000000u);
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_E_RPC_MSG_TYPE);

	len = encode_vec("reply_success", buf, sizeof(buf));
	put32(buf + 8, 2); /* reply_stat */
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_E_RPC_MSG);
	len = encode_vec("reply_success", buf, sizeof(buf));
	put32(buf + 20, 6); /* accept_stat */
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_E_RPC_MSG);
	len = encode_vec("reply_rpc_mismatch", buf, sizeof(buf));
	put32(buf + 12, 2); /* reject_stat */
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_E_RPC_MSG);
	/* Unknown auth_stat values are tolerated and map to AUTH_REJECTED. */
	len = encode_vec("reply_auth_tooweak", buf, sizeof(buf));
	put32(buf + 16, 999);
	assert_int_equal(decode_bytes(buf, len, &m), TETHER_OK);
	assert_int_equal(m.u.reply.auth_stat, 999);
	assert_int_equal(tt_rpc_reply_status(&m.u.reply),
			 TETHER_E_AUTH_REJECTED);
}

/* rpcvers is returned as is; the arguments start right after the header. */
static void test_call_args_and_rpcvers(void **state)
{
	(void)state;
	uint8_t buf[512];
	tt_call_hdr c = {.rpcvers = 3, .prog = 5, .vers = 6, .proc = 7};
	tether_enc e;
	tether_dec d;
	tt_rpc_msg m;
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	assert_int_equal(tt_rpc_encode_call(&e, 99, &c), TETHER_OK);
	assert_int_equal(tether_enc_uint(&e, 0xcafef00d), TETHER_OK);
	tether_dec_init(&d, buf, e.len, NULL);
	assert_int_equal(tt_rpc_decode(&d, &m), TETHER_OK);
	assert_int_equal(m.u.call.rpcvers, 3);
	assert_int_equal(m.u.call.cred.flavor, TT_AUTH_NONE);
	assert_null(m.u.call.cred.body);
	assert_int_equal(d.left, 4);
	uint32_t arg;
	assert_int_equal(tether_dec_uint(&d, &arg), TETHER_OK);
	assert_int_equal(arg, 0xcafef00d);
}

/* Unknown auth flavors are carried as opaque bodies, both ways. */
static void test_unknown_flavor(void **state)
{
	(void)state;
	uint8_t buf[512];
	static const uint8_t body[3] = {0xaa, 0xbb, 0xcc};
	tt_call_hdr c = {.rpcvers = 2, .prog = 1, .vers = 1, .proc = 1};
	c.cred = (tt_opaque_auth){390003, 3, body};
	c.verf = (tt_opaque_auth){0xffffffffu, 0, NULL};
	tether_enc e;
	tt_rpc_msg m;
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	assert_int_equal(tt_rpc_encode_call(&e, 5, &c), TETHER_OK);
	assert_int_equal(e.len, 24 + 8 + 4 + 8);
	assert_int_equal(decode_bytes(buf, e.len, &m), TETHER_OK);
	assert_int_equal(m.u.call.cred.flavor, 390003);
	assert_int_equal(m.u.call.cred.len, 3);
	assert_memory_equal(m.u.call.cred.body, body, 3);
	assert_int_equal(m.u.call.verf.flavor, 0xffffffffu);
	tt_auth_sys s;
	assert_int_equal(tt_auth_sys_decode(&m.u.call.cred, &s),
			 TETHER_E_INVAL);
}

static void test_encode_refusals(void **state)
{
	(void)state;
	uint8_t buf[512], small[20];
	tether_enc e;
	tt_call_hdr c = {.prog = 1};
	tt_reply_hdr r = {.stat = TT_REPLY_ACCEPTED, .accept_stat = 6};
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	assert_int_equal(tt_rpc_encode_reply(&e, 1, &r), TETHER_E_INVAL);
	assert_int_equal(e.len, 0); /* rolled back */
	r = (tt_reply_hdr){.stat = TT_REPLY_DENIED, .reject_stat = 2};
	assert_int_equal(tt_rpc_encode_reply(&e, 1, &r), TETHER_E_INVAL);
	r = (tt_reply_hdr){.stat = 2};
	assert_int_equal(tt_rpc_encode_reply(&e, 1, &r), TETHER_E_INVAL);
	c.cred.len = 401;
	c.cred.body = buf;
	assert_int_equal(tt_rpc_encode_call(&e, 1, &c), TETHER_E_INVAL);
	c.cred.len = 4;
	c.cred.body = NULL;
	assert_int_equal(tt_rpc_encode_call(&e, 1, &c), TETHER_E_INVAL);
	assert_int_equal(e.len, 0);
	/* A buffer too small: an encoder error, nothing left written. */
	c.cred.len = 0;
	tether_enc_init_fixed(&e, small, sizeof(small));
	assert_int_equal(tt_rpc_encode_call(&e, 1, &c), TETHER_E_TOO_LARGE);
	assert_int_equal(e.len, 0);
}

static void test_reply_status(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		tether_status st;
	} t[] = {
	    {"reply_success", TETHER_OK},
	    {"reply_starttls", TETHER_OK},
	    {"reply_prog_unavail", TETHER_E_PROG_UNAVAIL},
	    {"reply_prog_mismatch", TETHER_E_PROG_MISMATCH},
	    {"reply_proc_unavail", TETHER_E_PROC_UNAVAIL},
	    {"reply_garbage_args", TETHER_E_GARBAGE_ARGS},
	    {"reply_system_err", TETHER_E_SYSTEM_ERR},
	    {"reply_rpc_mismatch", TETHER_E_RPC_MISMATCH},
	    {"reply_auth_badcred", TETHER_E_AUTH_REJECTED},
	    {"reply_auth_rpcsec_gss_ctxproblem", TETHER_E_AUTH_REJECTED},
	};
	for (size_t i = 0; i < TT_ARRAY_LEN(t); i++) {
		uint8_t buf[512];
		tt_rpc_msg m;
		size_t len = encode_vec(t[i].name, buf, sizeof(buf));
		assert_int_equal(decode_bytes(buf, len, &m), TETHER_OK);
		assert_int_equal(tt_rpc_reply_status(&m.u.reply), t[i].st);
	}
	tt_reply_hdr r = {.stat = 7};
	assert_int_equal(tt_rpc_reply_status(&r), TETHER_E_BAD_REPLY);
	r = (tt_reply_hdr){.stat = TT_REPLY_ACCEPTED, .accept_stat = 42};
	assert_int_equal(tt_rpc_reply_status(&r), TETHER_E_BAD_REPLY);
	/* Policy denial: AUTH_ERROR / AUTH_TOOWEAK. */
	r = (tt_reply_hdr){.stat = TT_REPLY_DENIED,
			   .reject_stat = TT_AUTH_ERROR,
			   .auth_stat = TT_AUTH_TOOWEAK};
	assert_int_equal(tt_rpc_reply_status(&r), TETHER_E_DENIED);
	/* Rate limit: SYSTEM_ERR with tether's verifier; without it a plain
	 * SYSTEM_ERR. */
	r = (tt_reply_hdr){.stat = TT_REPLY_ACCEPTED,
			   .accept_stat = TT_SYSTEM_ERR};
	r.verf.flavor = TT_AUTH_TETHER_RATE;
	assert_int_equal(tt_rpc_reply_status(&r), TETHER_E_RATE_LIMITED);
	r.verf.flavor = TT_AUTH_TETHER_CANCEL;
	assert_int_equal(tt_rpc_reply_status(&r), TETHER_E_CANCELLED);
	r.verf.flavor = TT_AUTH_NONE;
	assert_int_equal(tt_rpc_reply_status(&r), TETHER_E_SYSTEM_ERR);
}

static void test_auth_sys_roundtrip(void **state)
{
	(void)state;
	tt_auth_sys s, back;
	uint8_t body[TT_AUTH_MAX_BODY];
	uint32_t len;
	fill_sys(&s);
	assert_int_equal(tt_auth_sys_encode(&s, body, &len), TETHER_OK);
	/* 4 + (4 + 12) + 4 + 4 + 4 + 3 * 4 */
	assert_int_equal(len, 44);
	tt_opaque_auth a = {TT_AUTH_SYS, len, body};
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_OK);
	assert_int_equal(back.stamp, s.stamp);
	assert_string_equal(back.machinename, VEC_SYS_NAME);
	assert_int_equal(back.uid, 1000);
	assert_int_equal(back.ngids, 3);
	assert_memory_equal(back.gids, vec_sys_gids, sizeof(vec_sys_gids));
	/* Largest: 255-byte name, 16 gids = 340 bytes. */
	memset(s.machinename, 'x', 255);
	s.machinename[255] = '\0';
	s.ngids = 16;
	assert_int_equal(tt_auth_sys_encode(&s, body, &len), TETHER_OK);
	assert_int_equal(len, 340);
	a.len = len;
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_OK);
	assert_int_equal(strlen(back.machinename), 255);
	s.ngids = 17;
	assert_int_equal(tt_auth_sys_encode(&s, body, &len), TETHER_E_INVAL);
}

static void test_auth_sys_malformed(void **state)
{
	(void)state;
	tt_auth_sys s, back;
	uint8_t body[TT_AUTH_MAX_BODY];
	uint32_t len;
	fill_sys(&s);
	assert_int_equal(tt_auth_sys_encode(&s, body, &len), TETHER_OK);
	tt_opaque_auth a = {TT_AUTH_NONE, len, body};
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_E_INVAL);
	a.flavor = TT_AUTH_SYS;
	for (uint32_t cut = 0; cut < len; cut++) {
		a.len = cut;
		assert_int_equal(tt_auth_sys_decode(&a, &back),
				 TETHER_E_XDR_SHORT);
	}
	a.len = len + 4; /* trailing bytes in the body */
	body[len] = body[len + 1] = body[len + 2] = body[len + 3] = 0;
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_E_XDR_TRAILING);
	a.len = len;
	body[8 + 2] = 0; /* NUL inside the machine name */
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_E_XDR_STRING);
	body[8 + 2] = 't';
	body[8 + 11] = 1; /* the name's padding byte */
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_E_XDR_PADDING);
	body[8 + 11] = 0;
	put32(body + 4, 256); /* name over 255 */
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_E_XDR_LENGTH);
	put32(body + 4, 11);
	put32(body + 28, 17); /* 17 gids */
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_E_XDR_LENGTH);
	put32(body + 28, 3);
	assert_int_equal(tt_auth_sys_decode(&a, &back), TETHER_OK);
}

static void test_starttls_verf(void **state)
{
	(void)state;
	assert_memory_equal(tt_starttls_verf, "STARTTLS", 8);
	tt_opaque_auth v = {TT_AUTH_NONE, 8, tt_starttls_verf};
	assert_true(tt_rpc_is_starttls_verf(&v));
	v.flavor = TT_AUTH_TLS;
	assert_false(tt_rpc_is_starttls_verf(&v));
	v.flavor = TT_AUTH_NONE;
	v.len = 7;
	assert_false(tt_rpc_is_starttls_verf(&v));
	const uint8_t lower[8] = "starttl";
	tt_opaque_auth w = {TT_AUTH_NONE, 8, lower};
	assert_false(tt_rpc_is_starttls_verf(&w));
}

/* Decoder inputs placed against a PROT_NONE page (STYLE 21): every prefix
 * of every vector ends exactly at the guard, so any read past the end
 * faults. */
static void test_guard_page(void **state)
{
	(void)state;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, pg, PROT_NONE), 0);
	for (size_t i = 0; i < VEC_COUNT; i++) {
		uint8_t buf[512];
		size_t len = encode_vec(vec_msgs[i].name, buf, sizeof(buf));
		for (size_t cut = 0; cut <= len; cut++) {
			uint8_t *at = map + pg - cut;
			tt_rpc_msg m;
			memcpy(at, buf, cut);
			assert_int_equal(decode_bytes(at, cut, &m),
					 cut == len ? TETHER_OK
						    : TETHER_E_XDR_SHORT);
		}
	}
	for (uint32_t cut = 0; cut <= g_sys_len; cut++) {
		tt_auth_sys s;
		uint8_t *at = map + pg - cut;
		memcpy(at, g_sys_body, cut);
		tt_opaque_auth a = {TT_AUTH_SYS, cut, at};
		assert_int_equal(tt_auth_sys_decode(&a, &s),
				 cut == g_sys_len ? TETHER_OK
						  : TETHER_E_XDR_SHORT);
	}
	munmap(map, 2 * pg);
}

static size_t g_nalloc;

static void *count_alloc(size_t n, void *ud)
{
	(void)ud;
	g_nalloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t o, size_t n, void *ud)
{
	(void)ud;
	(void)o;
	g_nalloc++;
	return realloc(p, n);
}

static void count_free(void *p, size_t n, void *ud)
{
	(void)ud;
	(void)n;
	free(p);
}

/* The header codec allocates nothing, on success or failure. */
static void test_no_allocation(void **state)
{
	(void)state;
	static const tether_allocator a = {count_alloc, count_realloc,
					   count_free, NULL};
	tether_set_allocator(&a);
	g_nalloc = 0;
	for (size_t i = 0; i < VEC_COUNT; i++) {
		uint8_t buf[512];
		size_t len = encode_vec(vec_msgs[i].name, buf, sizeof(buf));
		for (size_t cut = 0; cut <= len; cut++) {
			tt_rpc_msg m;
			(void)decode_bytes(buf, cut, &m);
		}
	}
	tt_auth_sys s;
	tt_opaque_auth au = {TT_AUTH_SYS, g_sys_len, g_sys_body};
	assert_int_equal(tt_auth_sys_decode(&au, &s), TETHER_OK);
	tether_set_allocator(NULL);
	assert_int_equal(g_nalloc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_all_shapes),
	    cmocka_unit_test(test_golden_vectors),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_auth_len_limit),
	    cmocka_unit_test(test_auth_padding),
	    cmocka_unit_test(test_bad_discriminants),
	    cmocka_unit_test(test_call_args_and_rpcvers),
	    cmocka_unit_test(test_encode_refusals),
	    cmocka_unit_test(test_reply_status),
	    cmocka_unit_test(test_auth_sys_roundtrip),
	    cmocka_unit_test(test_auth_sys_malformed),
	    cmocka_unit_test(test_starttls_verf),
	    cmocka_unit_test(test_guard_page),
	    cmocka_unit_test(test_no_allocation),
	    cmocka_unit_test(test_unknown_flavor),
	};
	return cmocka_run_group_tests(tests, setup_sys, NULL);
}
