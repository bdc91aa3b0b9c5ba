/* SPDX-License-Identifier: MIT */
/*
 * test_jsonxdr.c - JSON <-> XDR through tetherc descriptors of
 * bench/notify.x and /usr/include/rpcsvc/mount.x: for every type, seeded
 * random JSON values go JSON -> C -> XDR (the generated encoder) -> C (the
 * generated decoder) -> JSON and must come back equal; the direct route
 * (JSON -> XDR, XDR -> JSON, no C value) must give the same bytes and the
 * same JSON. Hand-written texts cover the recursive lists of mount.x and
 * the error messages (JSON path, what was expected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <tether/alloc.h>

#include "jsonxdr.h"
#include "mount.h"
#include "notify.h"

/* ---- seeded random JSON for a descriptor ----------------------------------
 */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic across runs. */
	rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static const tether_type_desc *res(const tether_type_desc *t)
{
	return tjx_resolve(t);
}

static tj_value *gen(tether_arena *a, const tether_type_desc *t, int depth);

static tj_value *gen_int(tether_arena *a, const tether_type_desc *t)
{
	uint64_t r = rnd();
	unsigned bits = t->kind == TETHER_T_HYPER || t->kind == TETHER_T_UHYPER
			    ? 64
			: t->size == 1 ? 8
			: t->size == 2 ? 16
				       : 32;
	bool sg = t->kind == TETHER_T_INT || t->kind == TETHER_T_HYPER;
	if (bits < 64)
		r &= ((uint64_t)1 << bits) - 1;
	if (sg && bits < 64 && (r >> (bits - 1)))
		return tj_new_int(a, true, ((uint64_t)1 << bits) - r);
	if (sg && bits == 64 && (r >> 63))
		return tj_new_int(a, true, 0 - r);
	return tj_new_int(a, false, r);
}

static tj_value *gen_hex(tether_arena *a, size_t n)
{
	static const char d[] = "0123456789abcdef";
	char buf[2 * 40 + 1];
	assert_true(n <= 40);
	for (size_t i = 0; i < 2 * n; i++)
		buf[i] = d[rnd() % 16];
	return tj_new_string(a, buf, 2 * n);
}

static tj_value *gen_string(tether_arena *a, uint32_t bound)
{
	static const char *const pieces[] = {"a",
					     "Z",
					     "0",
					     " ",
					     "\"",
					     "\\",
					     "\n",
					     "\xc3\xa9",
					     "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80",
					     "/"};
	char buf[64];
	size_t n = 0, want = rnd() % 8;
	for (size_t i = 0; i < want; i++) {
		const char *p =
		    pieces[rnd() % (sizeof(pieces) / sizeof(*pieces))];
		if (n + strlen(p) > bound || n + strlen(p) >= sizeof(buf))
			break;
		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	return tj_new_string(a, buf, n);
}

static tj_value *gen_array(tether_arena *a, const tether_type_desc *t,
			   int depth)
{
	size_t n = t->bound;
	if (t->kind == TETHER_T_VARRAY) {
		size_t cap = depth > 4 ? 1 : 4;
		n = rnd() % (cap + 1);
		if (n > t->bound)
			n = t->bound;
	}
	tj_value *v = tj_new_array(a, n);
	for (size_t i = 0; i < n; i++)
		v->u.arr.items[i] = gen(a, t->elem, depth + 1);
	return v;
}

static tj_value *gen_struct(tether_arena *a, const tether_type_desc *t,
			    int depth)
{
	tj_value *v = tj_new_object(a, t->nfields);
	for (size_t i = 0; i < t->nfields; i++)
		v->u.obj.m[i] =
		    (tj_member){t->fields[i].name, strlen(t->fields[i].name),
				gen(a, t->fields[i].type, depth + 1)};
	return v;
}

static tj_value *gen_enum_value(tether_arena *a, const tether_type_desc *dt,
				int32_t v)
{
	tjx x;
	tjx_init(&x, a, "$");
	return tjx_int_json(&x, dt, v);
}

static tj_value *gen_union(tether_arena *a, const tether_type_desc *t,
			   int depth)
{
	const tether_type_desc *dt = res(t->fields[0].type);
	const tether_arm_desc *arm = &t->arms[rnd() % t->narms];
	tj_value *v = tj_new_object(a, arm->name ? 2 : 1);
	v->u.obj.m[0] =
	    (tj_member){t->fields[0].name, strlen(t->fields[0].name),
			gen_enum_value(a, dt, arm->value)};
	if (arm->name)
		v->u.obj.m[1] = (tj_member){arm->name, strlen(arm->name),
					    gen(a, arm->type, depth + 1)};
	return v;
}

static tj_value *gen(tether_arena *a, const tether_type_desc *t, int depth)
{
	switch (t->kind) {
	case TETHER_T_VOID:
		return tj_new(a, TJ_NULL);
	case TETHER_T_BOOL: {
		tj_value *v = tj_new(a, TJ_BOOL);
		v->u.b = rnd() & 1;
		return v;
	}
	case TETHER_T_ENUM:
		return gen_enum_value(a, t,
				      t->values[rnd() % t->nvalues].value);
	case TETHER_T_FLOAT:
		return tj_new_double(a, (float)((double)(int64_t)rnd() / 1e12),
				     true);
	case TETHER_T_DOUBLE:
		return tj_new_double(a, (double)(int64_t)rnd() / 1e9, false);
	case TETHER_T_QUAD:
		return gen_hex(a, 16);
	case TETHER_T_FOPAQUE:
		return gen_hex(a, t->bound);
	case TETHER_T_OPAQUE:
		return gen_hex(a, rnd() % (t->bound < 9 ? t->bound + 1 : 9));
	case TETHER_T_STRING:
		return gen_string(a, t->bound);
	case TETHER_T_FARRAY:
	case TETHER_T_VARRAY:
		return gen_array(a, t, depth);
	case TETHER_T_OPTIONAL:
		if (depth > 6 || rnd() % 3 == 0)
			return tj_new(a, TJ_NULL);
		return gen(a, t->elem, depth + 1);
	case TETHER_T_STRUCT:
		return gen_struct(a, t, depth);
	case TETHER_T_UNION:
		return gen_union(a, t, depth);
	case TETHER_T_TYPEDEF:
		return gen(a, t->elem, depth);
	default:
		return gen_int(a, t);
	}
}

/* ---- one value through both routes -----------------------------------------
 */

static void dump(const char *what, const tj_value *v)
{
	tj_buf b;
	tj_buf_init(&b, 1 << 16);
	(void)tj_write(&b, v, 0);
	print_message("%s: %s\n", what, b.s ? b.s : "(none)");
	tj_buf_free(&b);
}

static void round_trip(const tether_type_desc *t, const tj_value *j)
{
	tether_arena *a;
	tjx x;
	tj_value *back = NULL, *direct = NULL;
	tether_enc e1, e2;
	tether_dec d;

	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	void *c = tether_arena_alloc(a, t->size ? t->size : 1);
	void *c2 = tether_arena_alloc(a, t->size ? t->size : 1);
	assert_non_null(c);
	tjx_init(&x, a, "$");
	tether_status st = tjx_from_json(&x, t, j, c);
	if (st != TETHER_OK)
		print_message("%s\n", x.msg), dump("json", j);
	assert_int_equal(st, TETHER_OK);

	tether_enc_init_growable(&e1, 1 << 20);
	assert_int_equal(t->encode(&e1, c), TETHER_OK);
	tether_enc_init_growable(&e2, 1 << 20);
	assert_int_equal(tjx_encode(&x, t, j, &e2), TETHER_OK);
	assert_int_equal(e1.len, e2.len);
	assert_memory_equal(e1.buf, e2.buf, e1.len);

	tether_dec_init(&d, e1.buf, e1.len, a);
	assert_int_equal(t->decode(&d, c2), TETHER_OK);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
	assert_int_equal(tjx_to_json(&x, t, c2, &back), TETHER_OK);
	if (!tj_equal(j, back))
		dump("sent", j), dump("back", back);
	assert_true(tj_equal(j, back));

	tether_dec_init(&d, e1.buf, e1.len, a);
	assert_int_equal(tjx_decode(&x, t, &d, &direct), TETHER_OK);
	assert_int_equal(tether_dec_finish(&d), TETHER_OK);
	assert_true(tj_equal(j, direct));

	tether_enc_release(&e1);
	tether_enc_release(&e2);
	tether_arena_free(a);
}

static void every_type(const tether_idl_desc *idl, unsigned rounds)
{
	tether_arena *a;
	assert_int_equal(tether_arena_new(1 << 22, &a), TETHER_OK);
	for (size_t i = 0; i < idl->ntypes; i++) {
		const tether_type_desc *t = idl->types[i];
		rng_state = 0x9e3779b97f4a7c15ull + i;
		for (unsigned r = 0; r < rounds; r++) {
			tj_value *j = gen(a, t, 0);
			assert_non_null(j);
			round_trip(t, j);
			/* and through text: write, parse, same value */
			tj_buf b;
			tj_value *p;
			tj_error err;
			tj_buf_init(&b, 1 << 20);
			assert_int_equal(tj_write(&b, j, r % 2 ? 2 : 0),
					 TETHER_OK);
			assert_int_equal(
			    tj_parse(b.s, b.len, NULL, a, &p, &err), TETHER_OK);
			assert_true(tj_equal(j, p));
			tj_buf_free(&b);
			tether_arena_reset(a);
		}
	}
	tether_arena_free(a);
}

static void notify_every_type(void **state)
{
	(void)state;
	assert_true(notify_idl.ntypes >= 2);
	every_type(&notify_idl, 200);
}

static void mount_every_type(void **state)
{
	(void)state;
	assert_true(mount_idl.ntypes >= 10);
	every_type(&mount_idl, 200);
}

/* ---- hand-written texts ----------------------------------------------------
 */

static const tj_value *parse(tether_arena *a, const char *text)
{
	tj_value *v;
	tj_error err;
	tether_status st = tj_parse(text, strlen(text), NULL, a, &v, &err);
	if (st != TETHER_OK)
		print_message("%u:%u: %s\n", err.line, err.col, err.msg);
	assert_int_equal(st, TETHER_OK);
	return v;
}

static void mount_exports_list(void **state)
{
	(void)state;
	tether_arena *a;
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	const char *text =
	    "{\"ex_dir\": \"/srv\", \"ex_groups\": {\"gr_name\": \"admins\","
	    " \"gr_next\": {\"gr_name\": \"ops\", \"gr_next\": null}},"
	    " \"ex_next\": {\"ex_dir\": \"/home\", \"ex_groups\": null,"
	    " \"ex_next\": {\"ex_dir\": \"/tmp\", \"ex_groups\": null, "
	    "\"ex_next\": null}}}";
	round_trip(&exports_desc, parse(a, text));
	round_trip(&exportnode_desc, parse(a, text));

	/* the list comes back with its three nodes in order */
	exports ex = NULL;
	tjx x;
	tjx_init(&x, a, "$");
	assert_int_equal(tjx_from_json(&x, &exports_desc, parse(a, text), &ex),
			 TETHER_OK);
	assert_string_equal(ex->ex_dir, "/srv");
	assert_string_equal(ex->ex_groups->gr_next->gr_name, "ops");
	assert_string_equal(ex->ex_next->ex_next->ex_dir, "/tmp");
	assert_null(ex->ex_next->ex_next->ex_next);

	round_trip(
	    &fhstatus_desc,
	    parse(a, "{\"fhs_status\": 0, \"fhs_fhandle\": \"" /* 32 bytes */
		     "000102030405060708090a0b0c0d0e0f"
		     "101112131415161718191a1b1c1d1e1f\"}"));
	round_trip(&fhstatus_desc, parse(a, "{\"fhs_status\": 13}"));
	round_trip(&subscribe_args_desc,
		   parse(a, "{\"count\": 4294967295, \"size\": 0}"));
	tether_arena_free(a);
}

static void expect_error(const tether_type_desc *t, const char *text,
			 const char *msg)
{
	tether_arena *a;
	tjx x;
	tether_enc e;
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	void *c = tether_arena_alloc(a, t->size);
	const tj_value *v = parse(a, text);
	tjx_init(&x, a, "$.args");
	assert_int_not_equal(tjx_from_json(&x, t, v, c), TETHER_OK);
	if (strcmp(x.msg, msg) != 0)
		print_message("got: %s\nwant: %s\n", x.msg, msg);
	assert_string_equal(x.msg, msg);
	/* the direct route says the same */
	tjx_init(&x, a, "$.args");
	tether_enc_init_growable(&e, 1 << 16);
	assert_int_not_equal(tjx_encode(&x, t, v, &e), TETHER_OK);
	assert_string_equal(x.msg, msg);
	tether_enc_release(&e);
	tether_arena_free(a);
}

static void errors_name_the_path(void **state)
{
	(void)state;
	expect_error(&subscribe_args_desc, "{\"count\": \"x\", \"size\": 1}",
		     "$.args.count: \"x\" is not a decimal integer");
	expect_error(&subscribe_args_desc, "{\"count\": 1}",
		     "$.args: missing field \"size\"");
	expect_error(&subscribe_args_desc,
		     "{\"count\": 1, \"size\": 2, \"sise\": 3}",
		     "$.args: unknown field \"sise\"");
	expect_error(
	    &subscribe_args_desc, "{\"count\": -1, \"size\": 2}",
	    "$.args.count: -1 is out of range for a 32-bit unsigned integer");
	expect_error(&subscribe_args_desc,
		     "{\"count\": 4294967296, \"size\": 2}",
		     "$.args.count: 4294967296 is out of range for a 32-bit "
		     "unsigned integer");
	expect_error(&subscribe_args_desc, "[1, 2]",
		     "$.args: expected an object, found an array");
	expect_error(
	    &exports_desc,
	    "{\"ex_dir\": \"/a\", \"ex_groups\": null, \"ex_next\": "
	    "{\"ex_dir\": 5, \"ex_groups\": null, \"ex_next\": null}}",
	    "$.args.ex_next.ex_dir: expected a string, found an integer");
	expect_error(
	    &fhstatus_desc, "{\"fhs_status\": 0, \"fhs_fhandle\": \"00\"}",
	    "$.args.fhs_fhandle: expected 32 bytes (64 hex digits), found 1");
	expect_error(&fhstatus_desc, "{\"fhs_status\": 0}",
		     "$.args: missing field \"fhs_fhandle\"");
	expect_error(&fhstatus_desc,
		     "{\"fhs_status\": 2, \"fhs_fhandle\": \"\"}",
		     "$.args: unknown field \"fhs_fhandle\"");
	expect_error(
	    &dirpath_desc, "\"a\\u0000b\"",
	    "$.args: string contains \\u0000, which XDR strings cannot carry");
	char big[1100] = "\"";
	memset(big + 1, 'x', 1025);
	memcpy(big + 1026, "\"", 2);
	expect_error(&dirpath_desc, big,
		     "$.args: string of 1025 bytes exceeds the bound of 1024");
}

/* Wire bytes a peer could send: garbage must fail with a decoder status,
 * never crash, and name where it stopped. */
static void bad_wire_fails_cleanly(void **state)
{
	(void)state;
	tether_arena *a;
	tjx x;
	tether_dec d;
	tj_value *v;
	/* exports: present, string length 0xffffffff */
	static const uint8_t b1[] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff};
	/* fhstatus: status 0 then a short handle */
	static const uint8_t b2[] = {0, 0, 0, 0, 1, 2, 3};
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	tjx_init(&x, a, "$");
	tether_dec_init(&d, b1, sizeof(b1), a);
	assert_int_equal(tjx_decode(&x, &exports_desc, &d, &v),
			 TETHER_E_XDR_LENGTH);
	assert_non_null(strstr(x.msg, "$.ex_dir: cannot decode"));
	tjx_init(&x, a, "$");
	tether_dec_init(&d, b2, sizeof(b2), a);
	assert_int_equal(tjx_decode(&x, &fhstatus_desc, &d, &v),
			 TETHER_E_XDR_SHORT);
	assert_non_null(strstr(x.msg, "$.fhs_fhandle"));
	tether_arena_free(a);
}

/* ---- long recursive lists, depth limit --------------------------------------
 */

static char *list_text(size_t n, size_t *len)
{
	static const char head[] =
	    "{\"ex_dir\":\"/d\",\"ex_groups\":null,\"ex_next\":";
	size_t cap = n * (sizeof(head) + 1) + 8;
	char *t = test_malloc(cap), *p = t;
	for (size_t i = 0; i < n; i++)
		memcpy(p, head, sizeof(head) - 1), p += sizeof(head) - 1;
	memcpy(p, "null", 4), p += 4;
	memset(p, '}', n), p += n;
	*len = (size_t)(p - t);
	return t;
}

static void long_list(void **state)
{
	(void)state;
	tether_arena *a;
	tj_value *v;
	tj_limits lim = {1u << 20, 1000};
	size_t len;
	assert_int_equal(tether_arena_new(16u << 20, &a), TETHER_OK);
	/* 900 nodes: within the 1000 levels the CLI allows */
	char *t = list_text(900, &len);
	assert_int_equal(tj_parse(t, len, &lim, a, &v, NULL), TETHER_OK);
	round_trip(&exports_desc, v);
	test_free(t);
	/* 1001 nodes: refused with a depth error, no crash */
	t = list_text(1001, &len);
	lim.max_depth = 2000;
	assert_int_equal(tj_parse(t, len, &lim, a, &v, NULL), TETHER_OK);
	exports ex = NULL;
	tjx x;
	tjx_init(&x, a, "$");
	assert_int_equal(tjx_from_json(&x, &exports_desc, v, &ex),
			 TETHER_E_DEPTH);
	assert_non_null(strstr(x.msg, "nested deeper than 1000 levels"));
	tjx_init(&x, a, "$");
	tether_enc e;
	tether_enc_init_growable(&e, 1u << 20);
	assert_int_equal(tjx_encode(&x, &exports_desc, v, &e), TETHER_E_DEPTH);
	tether_enc_release(&e);
	test_free(t);
	tether_arena_free(a);
}

/* ---- memory failures: every budget, every failed allocation
 * ------------------ */

static const char sweep_text[] =
    "{\"ex_dir\": \"/srv\", \"ex_groups\": {\"gr_name\": \"admins\","
    " \"gr_next\": null}, \"ex_next\": {\"ex_dir\": \"/home\","
    " \"ex_groups\": null, \"ex_next\": null}}";

/* Parse, JSON -> C, C -> JSON, JSON -> XDR, XDR -> JSON under an arena of
 * the given budget: each step succeeds or fails with a memory status. */
static bool all_steps(size_t budget)
{
	tether_arena *a;
	tj_value *v, *w;
	tjx x;
	tether_enc e;
	tether_dec d;
	exports ex = NULL;
	bool done = false;
	tether_status st;
	if (tether_arena_new(budget, &a) != TETHER_OK)
		return false;
	tjx_init(&x, a, "$");
	tether_enc_init_growable(&e, 1u << 16);
	if ((st = tj_parse(sweep_text, strlen(sweep_text), NULL, a, &v,
			   NULL)) != TETHER_OK)
		goto out;
	if ((st = tjx_from_json(&x, &exports_desc, v, &ex)) != TETHER_OK)
		goto out;
	if ((st = tjx_to_json(&x, &exports_desc, &ex, &w)) != TETHER_OK)
		goto out;
	assert_true(tj_equal(v, w));
	if ((st = tjx_encode(&x, &exports_desc, v, &e)) != TETHER_OK)
		goto out;
	tether_dec_init(&d, e.buf, e.len, a);
	if ((st = tjx_decode(&x, &exports_desc, &d, &w)) != TETHER_OK)
		goto out;
	assert_true(tj_equal(v, w));
	done = true;
out:
	if (!done)
		assert_true(st == TETHER_E_BUDGET || st == TETHER_E_NOMEM);
	tether_enc_release(&e);
	tether_arena_free(a);
	return done;
}

static long fail_at, allocs;

static void *failing_alloc(size_t n, void *ud)
{
	(void)ud;
	return ++allocs == fail_at ? NULL : test_malloc(n);
}

static void *failing_realloc(void *p, size_t o, size_t n, void *ud)
{
	(void)ud, (void)o;
	return ++allocs == fail_at ? NULL : test_realloc(p, n);
}

static void failing_free(void *p, size_t n, void *ud)
{
	(void)ud, (void)n;
	if (p != NULL)
		test_free(p);
}

static void memory_failures(void **state)
{
	(void)state;
	size_t budget = 0;
	while (!all_steps(budget)) {
		budget += 16;
		assert_true(budget < (1u << 20));
	}
	print_message("all steps fit in a budget of %zu bytes\n", budget);
	/* the allocator failing at the 1st, 2nd, ... call (cmocka's
	 * test_malloc also reports any leak) */
	const tether_allocator fa = {failing_alloc, failing_realloc,
				     failing_free, NULL};
	tether_set_allocator(&fa);
	bool ok = false;
	for (fail_at = 1; !ok && fail_at < 1000; fail_at++) {
		allocs = 0;
		ok = all_steps(1u << 20);
	}
	tether_set_allocator(NULL);
	assert_true(ok);
	assert_true(fail_at > 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(notify_every_type),
	    cmocka_unit_test(mount_every_type),
	    cmocka_unit_test(mount_exports_list),
	    cmocka_unit_test(errors_name_the_path),
	    cmocka_unit_test(bad_wire_fails_cleanly),
	    cmocka_unit_test(long_list),
	    cmocka_unit_test(memory_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
