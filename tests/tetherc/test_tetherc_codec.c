/* SPDX-License-Identifier: MIT */
/*
 * test_tetherc_codec.c - generated code from list.x: a 1,000,000-element
 * linked list round-trips with the default stack (iterative codecs), the
 * depth limit stops a deep tree, enum and union range checks, descriptors,
 * invoke/complete trampolines and the embedded source text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "list.h"
#include "weak_runtime.h"

#define LIST_N 1000000u

static void list_roundtrip(void **state)
{
	(void)state;
	entry *nodes = calloc(LIST_N, sizeof(*nodes));
	assert_non_null(nodes);
	for (uint32_t i = 0; i < LIST_N; i++) {
		nodes[i].id = i * 7u;
		nodes[i].name = (i % 3) ? "n" : "node";
		nodes[i].next = i + 1 < LIST_N ? &nodes[i + 1] : NULL;
	}
	tether_enc e;
	tether_enc_init_growable(&e, 64u << 20);
	assert_int_equal(entry_encode(&e, &nodes[0]), TETHER_OK);
	assert_int_equal(e.len, (size_t)LIST_N *
				    16u); /* id, len, 4 name bytes, next */

	tether_arena *a;
	assert_int_equal(tether_arena_new(256u << 20, &a), TETHER_OK);
	tether_dec d;
	tether_dec_init(&d, e.buf, e.len, a);
	entry head;
	assert_int_equal(entry_decode(&d, &head), TETHER_OK);
	assert_int_equal(d.left, 0);

	uint32_t n = 0;
	for (const entry *p = &head; p != NULL; p = p->next, n++) {
		assert_true(n < LIST_N);
		assert_int_equal(p->id, n * 7u);
		assert_string_equal(p->name, (n % 3) ? "n" : "node");
	}
	assert_int_equal(n, LIST_N);

	/* A budget too small for the list fails cleanly. */
	tether_arena_reset(a);
	tether_arena_set_budget(a, 1u << 20);
	tether_dec_init(&d, e.buf, e.len, a);
	assert_int_equal(entry_decode(&d, &head), TETHER_E_BUDGET);

	tether_arena_free(a);
	tether_enc_release(&e);
	free(nodes);
}

static void typedef_list(void **state)
{
	(void)state;
	node nodes[100];
	for (int i = 0; i < 100; i++) {
		nodes[i].value = -1000000000000LL * i;
		nodes[i].next = i < 99 ? &nodes[i + 1] : NULL;
	}
	uint8_t buf[100 * 12 + 4];
	tether_enc e;
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	nodeptr p = &nodes[0];
	assert_int_equal(nodeptr_encode(&e, &p), TETHER_OK);
	assert_int_equal(e.len, 4 + 100 * 12);
	tether_arena *a;
	assert_int_equal(tether_arena_new(1u << 20, &a), TETHER_OK);
	tether_dec d;
	tether_dec_init(&d, buf, e.len, a);
	nodeptr q = NULL;
	assert_int_equal(nodeptr_decode(&d, &q), TETHER_OK);
	for (int i = 0; i < 100; i++, q = q->next) {
		assert_non_null(q);
		assert_true(q->value == -1000000000000LL * i);
	}
	assert_null(q);
	tether_arena_free(a);
}

/* struct link { ...; link_alias *next; } is a list too: 100,000 links
 * would exceed the depth limit if it were decoded recursively. */
static void alias_list(void **state)
{
	(void)state;
	enum { N = 100000 };
	link *links = calloc(N, sizeof(*links));
	assert_non_null(links);
	for (int i = 0; i < N; i++) {
		links[i].tag = "t";
		links[i].next = i + 1 < N ? &links[i + 1] : NULL;
	}
	tether_enc e;
	tether_enc_init_growable(&e, 8u << 20);
	assert_int_equal(link_encode(&e, &links[0]), TETHER_OK);
	assert_int_equal(e.len, (size_t)N * 12);
	tether_arena *a;
	assert_int_equal(tether_arena_new(64u << 20, &a), TETHER_OK);
	tether_dec d;
	tether_dec_init(&d, e.buf, e.len, a);
	link head;
	assert_int_equal(link_decode(&d, &head), TETHER_OK);
	int n = 0;
	for (const link *p = &head; p != NULL; p = p->next)
		n++;
	assert_int_equal(n, N);
	tether_arena_free(a);
	tether_enc_release(&e);
	free(links);
}

/* A left-leaning tree of the given depth, encoded by hand: v, left, right. */
static size_t deep_tree(uint8_t *buf, unsigned depth)
{
	size_t n = 0;
	for (unsigned i = 0; i < depth; i++) {
		memset(buf + n, 0, 8);
		buf[n + 3] = (uint8_t)i;
		buf[n + 7] = i + 1 < depth; /* left present */
		n += 8;
	}
	for (unsigned i = 0; i < depth; i++) {
		memset(buf + n, 0, 4); /* right absent */
		n += 4;
	}
	return n;
}

static void depth_limit(void **state)
{
	(void)state;
	static uint8_t buf[200 * 12];
	tether_arena *a;
	assert_int_equal(tether_arena_new(1u << 20, &a), TETHER_OK);
	tether_dec d;
	tree t;
	tether_dec_init(&d, buf, deep_tree(buf, 40), a);
	assert_int_equal(tree_decode(&d, &t), TETHER_OK);
	assert_int_equal(d.left, 0);
	assert_non_null(t.left);
	assert_int_equal(t.left->v, 1);
	tether_arena_reset(a);
	tether_dec_init(&d, buf, deep_tree(buf, 200), a);
	assert_int_equal(tree_decode(&d, &t), TETHER_E_DEPTH);
	tether_arena_free(a);
}

static void ranges(void **state)
{
	(void)state;
	tether_dec d;
	color c;
	const uint8_t three[4] = {0, 0, 0, 3}, four[4] = {0, 0, 0, 4};
	tether_dec_init(&d, three, 4, NULL);
	assert_int_equal(color_decode(&d, &c), TETHER_E_XDR_RANGE);
	tether_dec_init(&d, four, 4, NULL);
	assert_int_equal(color_decode(&d, &c), TETHER_OK);
	assert_int_equal(c, BLUE);

	/* pick: discriminant 4 (BLUE) has an arm, an enum value that is not
	 * a color is refused; maybe: bool 2 is refused. */
	const uint8_t pick_blue[12] = {0, 0, 0, 4, 0, 0, 0, 2, 'h', 'i', 0, 0};
	pick pk;
	tether_arena *a;
	assert_int_equal(tether_arena_new(4096, &a), TETHER_OK);
	tether_dec_init(&d, pick_blue, sizeof(pick_blue), a);
	assert_int_equal(pick_decode(&d, &pk), TETHER_OK);
	assert_string_equal(pk.pick_u.label, "hi");
	const uint8_t pick_bad[8] = {0, 0, 0, 8, 0, 0, 0, 1};
	tether_dec_init(&d, pick_bad, sizeof(pick_bad), a);
	assert_int_equal(pick_decode(&d, &pk), TETHER_E_XDR_RANGE);
	const uint8_t maybe_bad[4] = {0, 0, 0, 2};
	maybe m;
	tether_dec_init(&d, maybe_bad, 4, a);
	assert_int_not_equal(maybe_decode(&d, &m), TETHER_OK);
	/* Encoding a label longer than its bound fails. */
	pk.c = BLUE;
	pk.pick_u.label = "too long!";
	uint8_t out[64];
	tether_enc e;
	tether_enc_init_fixed(&e, out, sizeof(out));
	assert_int_equal(pick_encode(&e, &pk), TETHER_E_XDR_LENGTH);
	tether_arena_free(a);
}

static void primitives(void **state)
{
	(void)state;
	prims v;
	memset(&v, 0, sizeof(v));
	v.i = -5;
	v.u = 4000000000u;
	v.h = INT64_MIN;
	v.uh = UINT64_MAX;
	v.f = 1.5f;
	v.dbl = -2.25;
	v.q.b[0] = 0x40;
	v.q.b[15] = 1;
	v.b = true;
	v.ch = -128;
	v.uch = 255;
	v.sh = -32768;
	v.ush = 65535;
	memcpy(v.fix, "abc", 3);
	v.var.var_len = 5;
	v.var.var_val = "12345";
	v.str = "hello";
	v.ints[0] = 1;
	v.ints[1] = -1;
	color cs[2] = {RED, BLUE};
	v.colors.colors_len = 2;
	v.colors.colors_val = cs;
	v.opt_maybe.present = true;
	v.opt_maybe.maybe_u.value = 7;
	pick pk = {.c = GREEN, .pick_u.level = 3};
	v.opt_pick = &pk;
	uint8_t buf[256];
	tether_enc e;
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	assert_int_equal(prims_encode(&e, &v), TETHER_OK);
	/* i u h uh f dbl q b = 56; ch uch sh ush = 16; fix 4; var 4+8;
	 * str 4+8; ints 8; colors 4+8; opt_maybe 4+8; opt_pick 4+4+4 */
	assert_int_equal(e.len, 144);
	assert_int_equal(buf[56 + 3],
			 0x80); /* char -128 as the XDR int 0xffffff80 */
	assert_int_equal(buf[56], 0xff);

	tether_arena *a;
	assert_int_equal(tether_arena_new(4096, &a), TETHER_OK);
	tether_dec d;
	prims w;
	tether_dec_init(&d, buf, e.len, a);
	assert_int_equal(prims_decode(&d, &w), TETHER_OK);
	assert_int_equal(d.left, 0);
	assert_true(w.i == -5 && w.u == 4000000000u && w.h == INT64_MIN &&
		    w.uh == UINT64_MAX);
	assert_true(w.f == 1.5f && w.dbl == -2.25 &&
		    memcmp(&w.q, &v.q, 16) == 0);
	assert_true(w.b && w.ch == -128 && w.uch == 255 && w.sh == -32768 &&
		    w.ush == 65535);
	assert_memory_equal(w.fix, "abc", 3);
	assert_int_equal(w.var.var_len, 5);
	assert_memory_equal(w.var.var_val, "12345", 5);
	assert_string_equal(w.str, "hello");
	assert_int_equal(w.colors.colors_val[1], BLUE);
	assert_int_equal(w.opt_maybe.maybe_u.value, 7);
	assert_non_null(w.opt_pick);
	assert_int_equal(w.opt_pick->pick_u.level, 3);

	/* unsigned char 256 on the wire is out of range. */
	buf[56 + 4 + 2] = 1;
	buf[56 + 4 + 3] = 0;
	tether_dec_init(&d, buf, e.len, a);
	assert_int_equal(prims_decode(&d, &w), TETHER_E_XDR_RANGE);
	tether_arena_free(a);
}

static tether_status h_add(tether_call_ctx *ctx, const list_add_1_argument *arg,
			   int32_t *res)
{
	(void)ctx;
	*res = arg->arg1 + arg->arg2;
	return TETHER_OK;
}

static int done_calls;
static void add_done(tether_status st, int32_t *res, void *ud)
{
	assert_int_equal(st, TETHER_OK);
	assert_int_equal(*res, 42);
	assert_ptr_equal(ud, &done_calls);
	done_calls++;
}

static void descriptors(void **state)
{
	(void)state;
	const tether_version_desc *vd = &listprog_1_desc;
	assert_string_equal(vd->prog_name, "LISTPROG");
	assert_int_equal(vd->prog, LISTPROG);
	assert_int_equal(vd->prog, 0x20000001);
	assert_int_equal(vd->nprocs, 3);
	for (size_t i = 0; i < vd->nprocs; i++)
		assert_int_equal(vd->procs[i].proc, i); /* sorted */
	const tether_proc_desc *add = &vd->procs[LIST_ADD];
	assert_string_equal(add->name, "LIST_ADD");
	assert_ptr_equal(add->arg, &list_add_1_argument_desc);
	assert_int_equal(add->res->kind, TETHER_T_INT);
	assert_int_equal(vd->procs[LIST_PING].arg->kind, TETHER_T_VOID);

	listprog_1_handlers h = {0};
	list_add_1_argument arg = {40, 2};
	int32_t res = 0;
	assert_int_equal(add->invoke(NULL, &h, &arg, &res),
			 TETHER_E_PROC_UNAVAIL);
	h.list_add = h_add;
	assert_int_equal(add->invoke(NULL, &h, &arg, &res), TETHER_OK);
	assert_int_equal(res, 42);
	add->complete((tether_generic_fn)add_done, TETHER_OK, &res,
		      &done_calls);
	assert_int_equal(done_calls, 1);

	assert_int_equal(entry_desc.kind, TETHER_T_STRUCT);
	assert_int_equal(entry_desc.nfields, 3);
	assert_int_equal(entry_desc.fields[1].type->kind, TETHER_T_STRING);
	assert_int_equal(entry_desc.fields[1].type->bound, NAMELEN);
	assert_int_equal(pick_desc.narms, 3);
	assert_int_equal(color_desc.nvalues, 3);
	assert_int_equal(list_idl.nprograms, 1);
	assert_ptr_equal(list_idl.programs[0]->versions[0], vd);
	assert_string_equal(list_idl.file, "list.x");
}

static void source_text(void **state)
{
	(void)state;
	const char *dir = getenv("TETHER_SOURCE_DIR");
	if (dir == NULL)
		skip();
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/tetherc/list.x", dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_string_equal(list_idl.source, text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(list_roundtrip), cmocka_unit_test(typedef_list),
	    cmocka_unit_test(alias_list),     cmocka_unit_test(primitives),
	    cmocka_unit_test(depth_limit),    cmocka_unit_test(ranges),
	    cmocka_unit_test(descriptors),    cmocka_unit_test(source_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
