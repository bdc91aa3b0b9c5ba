/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json.c - libFuzzer target for the tether CLI's JSON parser
 * (tools/tether/json.c) and the JSON -> XDR -> JSON conversion
 * (tools/tether/jsonwire.c). Properties checked:
 *  - whatever parses re-serializes (compact and pretty) and re-parses to
 *    the same value;
 *  - a value that encodes through the descriptor below decodes from those
 *    bytes, consuming all of them, and the decoded JSON encodes to the
 *    same bytes again.
 * The CLI sources are compiled in directly: the fuzz build links only the
 * library targets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/tether/json.c"
#include "../tools/tether/jsonwire.c"
#include "../tools/tether/jsonxdr.c"

/* enum color { RED = 0, GREEN = 1, BLUE = 2 };
 * union shape switch (color c) { case RED: int r; case GREEN: string g<16>;
 *                                default: void; };
 * struct node { string name<32>; opaque tag<8>; opaque fx[3]; hyper h;
 *               unsigned hyper uh; double d; float f; bool b; short sh;
 *               shape s; int pair[2]; node *next; };
 * typedef node list<4>; */
static const tether_type_desc t_int = {
    .name = "int", .kind = TETHER_T_INT, .size = 4};
static const tether_type_desc t_short = {
    .name = "short", .kind = TETHER_T_INT, .size = 2};
static const tether_type_desc t_hyper = {
    .name = "hyper", .kind = TETHER_T_HYPER, .size = 8};
static const tether_type_desc t_uhyper = {
    .name = "uhyper", .kind = TETHER_T_UHYPER, .size = 8};
static const tether_type_desc t_double = {
    .name = "double", .kind = TETHER_T_DOUBLE, .size = 8};
static const tether_type_desc t_float = {
    .name = "float", .kind = TETHER_T_FLOAT, .size = 4};
static const tether_type_desc t_bool = {
    .name = "bool", .kind = TETHER_T_BOOL, .size = 1};
static const tether_type_desc t_void = {.name = "void", .kind = TETHER_T_VOID};
static const tether_type_desc t_name = {.kind = TETHER_T_STRING, .bound = 32};
static const tether_type_desc t_g = {.kind = TETHER_T_STRING, .bound = 16};
static const tether_type_desc t_tag = {.kind = TETHER_T_OPAQUE, .bound = 8};
static const tether_type_desc t_fx = {.kind = TETHER_T_FOPAQUE, .bound = 3};
static const tether_type_desc t_pair = {
    .kind = TETHER_T_FARRAY, .bound = 2, .elem = &t_int};

static const tether_enum_value color_values[] = {
    {"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
static const tether_type_desc t_color = {.name = "color",
					 .kind = TETHER_T_ENUM,
					 .size = 4,
					 .values = color_values,
					 .nvalues = 3};
static const tether_field_desc shape_disc[] = {{"c", &t_color, 0}};
static const tether_arm_desc shape_arms[] = {{0, "r", &t_int}, {1, "g", &t_g}};
static const tether_arm_desc shape_default = {0, NULL, &t_void};
static const tether_type_desc t_shape = {.name = "shape",
					 .kind = TETHER_T_UNION,
					 .fields = shape_disc,
					 .nfields = 1,
					 .arms = shape_arms,
					 .narms = 2,
					 .default_arm = &shape_default};

extern const tether_type_desc t_node;
static const tether_type_desc t_next = {.kind = TETHER_T_OPTIONAL,
					.elem = &t_node};
static const tether_field_desc node_fields[] = {
    {"name", &t_name, 0}, {"tag", &t_tag, 0},	{"fx", &t_fx, 0},
    {"h", &t_hyper, 0},	  {"uh", &t_uhyper, 0}, {"d", &t_double, 0},
    {"f", &t_float, 0},	  {"b", &t_bool, 0},	{"sh", &t_short, 0},
    {"s", &t_shape, 0},	  {"pair", &t_pair, 0}, {"next", &t_next, 0},
};
const tether_type_desc t_node = {.name = "node",
				 .kind = TETHER_T_STRUCT,
				 .fields = node_fields,
				 .nfields = sizeof(node_fields) /
					    sizeof(node_fields[0])};
static const tether_type_desc t_list_v = {
    .kind = TETHER_T_VARRAY, .bound = 4, .elem = &t_node};
static const tether_type_desc t_list = {
    .name = "list", .kind = TETHER_T_TYPEDEF, .elem = &t_list_v};

static void text_round_trip(tether_arena *a, const tj_value *v)
{
	for (unsigned indent = 0; indent <= 2; indent += 2) {
		tj_buf b;
		tj_value *w;
		tj_buf_init(&b, 16u << 20);
		if (tj_write(&b, v, indent) != TETHER_OK)
			abort();
		if (tj_parse(b.s, b.len, NULL, a, &w, NULL) != TETHER_OK)
			abort();
		if (!tj_equal(v, w))
			abort();
		tj_buf_free(&b);
	}
}

static void xdr_round_trip(tether_arena *a, const tj_value *v)
{
	tjx x;
	tether_enc e1, e2;
	tether_dec d;
	tj_value *back;
	tjx_init(&x, a, "$");
	tether_enc_init_growable(&e1, 1u << 20);
	tether_enc_init_growable(&e2, 1u << 20);
	if (tjx_encode(&x, &t_list, v, &e1) == TETHER_OK) {
		tether_dec_init(&d, e1.buf, e1.len, a);
		if (tjx_decode(&x, &t_list, &d, &back) != TETHER_OK ||
		    tether_dec_finish(&d) != TETHER_OK)
			abort();
		if (tjx_encode(&x, &t_list, back, &e2) != TETHER_OK ||
		    e1.len != e2.len ||
		    (e1.len && memcmp(e1.buf, e2.buf, e1.len)))
			abort();
	}
	tether_enc_release(&e1);
	tether_enc_release(&e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tether_arena *a;
	tj_value *v;
	tj_error err;
	if (tether_arena_new(64u << 20, &a) != TETHER_OK)
		return 0;
	if (tj_parse((const char *)data, size, NULL, a, &v, &err) ==
	    TETHER_OK) {
		text_round_trip(a, v);
		xdr_round_trip(a, v);
	}
	tether_arena_free(a);
	return 0;
}
