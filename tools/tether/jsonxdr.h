/* SPDX-License-Identifier: MIT */
/*
 * jsonxdr.h - JSON <-> XDR values through tether_type_desc descriptors
 * (tether/desc.h). Two routes with the same JSON mapping (docs/cli.md):
 *  - through the C representation tetherc generated (tjx_from_json builds
 *    it in an arena so that desc->encode can run; tjx_to_json reads what
 *    desc->decode produced);
 *  - straight between JSON and XDR bytes (tjx_encode / tjx_decode), for
 *    descriptors built at run time from a .x file, which have no C layout.
 * Errors name the JSON path: "$.args.list[3].name: expected a string,
 * found an integer".
 */
#ifndef TETHER_CLI_JSONXDR_H
#define TETHER_CLI_JSONXDR_H

#include <stddef.h>
#include <tether/desc.h>
#include <tether/xdr.h>

#include "json.h"

/* Nesting allowed by default (each struct, union, array or optional is one
 * level); recursive lists count one level per element. */
#define TJX_DEFAULT_MAX_DEPTH 1000u

typedef struct tjx {
	tether_arena *a; /* memory for the values made (C or JSON) */
	unsigned depth, max_depth;
	unsigned chain; /* optional/typedef steps on the way, guarded too */
	size_t plen;
	char path[240];
	char msg[400]; /* after a failure: "PATH: what was wrong" */
} tjx;

/* Prepares a conversion whose values come from a and whose paths start
 * with root ("$", "$.args"). */
void tjx_init(tjx *x, tether_arena *a, const char *root);

/* JSON -> the C value of t at out (t->size bytes, zeroed by the caller);
 * pointers inside point into x->a. TETHER_E_INVAL (the JSON does not fit
 * the type: x->msg says where and why), TETHER_E_DEPTH, TETHER_E_BUDGET,
 * TETHER_E_NOMEM. */
tether_status tjx_from_json(tjx *x, const tether_type_desc *t,
			    const tj_value *v, void *out);
/* The C value of t at in -> JSON in x->a. TETHER_E_INVAL for a value the
 * type cannot hold (bad enum, union without an arm, NULL string). */
tether_status tjx_to_json(tjx *x, const tether_type_desc *t, const void *in,
			  tj_value **out);

/* JSON -> XDR bytes appended to e, without a C value. */
tether_status tjx_encode(tjx *x, const tether_type_desc *t, const tj_value *v,
			 tether_enc *e);
/* XDR bytes from d -> JSON in x->a, without a C value. Wire errors are the
 * decoder's (TETHER_E_XDR_*), with x->msg naming the path. */
tether_status tjx_decode(tjx *x, const tether_type_desc *t, tether_dec *d,
			 tj_value **out);

/* ---- shared by jsonxdr.c and jsonwire.c -------------------------------- */

/* Follows typedefs to the underlying descriptor. */
const tether_type_desc *tjx_resolve(const tether_type_desc *t);
tether_status tjx_fail(tjx *x, tether_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
tether_status tjx_mismatch(tjx *x, const char *want, const tj_value *v);
/* Path segments: push returns the old length for tjx_pop. */
size_t tjx_push_field(tjx *x, const char *name);
size_t tjx_push_index(tjx *x, size_t i);
void tjx_pop(tjx *x, size_t old);
tether_status tjx_enter(tjx *x);
void tjx_leave(tjx *x);
/* Optional and typedef steps do not nest in JSON and are not counted as
 * depth, but a malformed descriptor cycle through them alone must still
 * stop: at most 4 * max_depth + 64 of them at once. */
tether_status tjx_step(tjx *x);

/* Integers of kind INT/UINT/HYPER/UHYPER/ENUM/BOOL as one int64/uint64:
 * the JSON value checked against t's range (enum: its name or a declared
 * value; bool: true/false). */
tether_status tjx_json_int(tjx *x, const tether_type_desc *t, const tj_value *v,
			   int64_t *out);
tether_status tjx_json_real(tjx *x, const tether_type_desc *t,
			    const tj_value *v, double *out);
/* Hex text of JSON string v -> exactly want bytes (want SIZE_MAX: any
 * count up to max) in arena memory. */
tether_status tjx_json_hex(tjx *x, const tj_value *v, size_t want, size_t max,
			   uint8_t **out, size_t *n);
tether_status tjx_json_string(tjx *x, const tether_type_desc *t,
			      const tj_value *v, const char **out);
/* The other way. */
tj_value *tjx_int_json(tjx *x, const tether_type_desc *t, int64_t v);
tj_value *tjx_real_json(tjx *x, double d, bool single);
tj_value *tjx_hex_json(tjx *x, const uint8_t *p, size_t n);
tether_status tjx_nomem(tjx *x);
/* The union arm for discriminant value v (or the default arm), or NULL. */
const tether_arm_desc *tjx_arm(const tether_type_desc *u, int64_t v);
/* Checks that obj has exactly the keys in names (n of them; NULL entries
 * are skipped). */
tether_status tjx_check_keys(tjx *x, const tj_value *obj,
			     const char *const *names, size_t n);

#endif /* TETHER_CLI_JSONXDR_H */
