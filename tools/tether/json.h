/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small, strict, bounded JSON (RFC 8259) parser and writer for
 * the tether CLI. Values live in a tether_arena (one release frees them);
 * the parser enforces a size and a nesting limit, validates UTF-8, refuses
 * duplicate object keys, and reports errors with line:column.
 */
#ifndef TETHER_CLI_JSON_H
#define TETHER_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/status.h>
#include <tether/xdr.h>

#define TJ_DEFAULT_MAX_BYTES (1u << 20)
#define TJ_DEFAULT_MAX_DEPTH 64u

typedef enum tj_kind {
	TJ_NULL,
	TJ_BOOL,
	TJ_INT,	   /* an integer literal: neg/mag, exact to 64 bits */
	TJ_DOUBLE, /* a number with a fraction or an exponent */
	TJ_STRING,
	TJ_ARRAY,
	TJ_OBJECT
} tj_kind;

typedef struct tj_value tj_value;

typedef struct tj_member {
	const char *key; /* NUL-terminated; klen bytes (may hold \u0000) */
	size_t klen;
	tj_value *val;
} tj_member;

struct tj_value {
	tj_kind kind;
	bool single; /* TJ_DOUBLE written from a float: 9 digits suffice */
	union {
		bool b;
		struct {
			bool neg;     /* value is -mag; never neg with mag 0 */
			uint64_t mag; /* at most 2^63 when neg */
		} i;
		double d;
		struct {
			char *s; /* NUL-terminated; len bytes (may hold NULs) */
			size_t len;
		} str;
		struct {
			tj_value **items;
			size_t n;
		} arr;
		struct {
			tj_member *m;
			size_t n;
		} obj;
	} u;
};

typedef struct tj_limits {
	size_t max_bytes;   /* input longer than this is refused */
	unsigned max_depth; /* arrays/objects nested deeper are refused */
} tj_limits;

typedef struct tj_error {
	uint32_t line, col; /* 1-based; col counts bytes */
	char msg[160];
} tj_error;

/* Parses text[0..len) as one JSON text (whitespace around it allowed).
 * lim NULL: the defaults. Values are allocated from a (valid until its
 * reset/free). Returns TETHER_OK, TETHER_E_INVAL (syntax; err says where
 * and why), TETHER_E_TOO_LARGE (input over max_bytes), TETHER_E_DEPTH,
 * TETHER_E_BUDGET/TETHER_E_NOMEM (arena). err may be NULL. */
tether_status tj_parse(const char *text, size_t len, const tj_limits *lim,
		       tether_arena *a, tj_value **out, tj_error *err);

/* ---- building values (for the XDR -> JSON direction) ---------------- */

tj_value *tj_new(tether_arena *a, tj_kind k);
tj_value *tj_new_int(tether_arena *a, bool neg, uint64_t mag);
tj_value *tj_new_double(tether_arena *a, double d, bool single);
/* Copies s[0..len). */
tj_value *tj_new_string(tether_arena *a, const char *s, size_t len);
/* n items / members, zeroed, to be filled by the caller. */
tj_value *tj_new_array(tether_arena *a, size_t n);
tj_value *tj_new_object(tether_arena *a, size_t n);

/* Member of an object by key, or NULL. */
const tj_value *tj_get(const tj_value *obj, const char *key);
/* "null", "a boolean", "a number", ... for error messages. */
const char *tj_kind_name(const tj_value *v);
/* Structural equality (numbers by kind and value; objects in order). */
bool tj_equal(const tj_value *a, const tj_value *b);

/* ---- writer ------------------------------------------------------------ */

typedef struct tj_buf {
	char *s; /* NUL-terminated when not failed */
	size_t len, cap, max;
	tether_status st; /* sticky: TETHER_E_NOMEM, TETHER_E_TOO_LARGE */
} tj_buf;

void tj_buf_init(tj_buf *b, size_t max);
void tj_buf_free(tj_buf *b);
void tj_buf_put(tj_buf *b, const char *s, size_t n);
void tj_buf_puts(tj_buf *b, const char *s);

/* Appends v as JSON: compact when indent is 0, else pretty with indent
 * spaces per level. Strings that are not valid UTF-8 are written with
 * U+FFFD for each bad byte. Returns b->st. */
tether_status tj_write(tj_buf *b, const tj_value *v, unsigned indent);

/* Appends s[0..len) as a JSON string literal. */
void tj_write_string(tj_buf *b, const char *s, size_t len);

#endif /* TETHER_CLI_JSON_H */
