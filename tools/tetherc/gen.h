/* SPDX-License-Identifier: MIT */
/*
 * gen.h - shared state of tetherc's code generators (gen_types.c: C types
 * and the header; gen_codec.c: encode/decode; gen_desc.c: descriptor
 * tables; gen_rpc.c: stubs, handler tables, registration).
 */
#ifndef TETHERC_GEN_H
#define TETHERC_GEN_H

#include "tetherc.h"

/* Static helpers of the .c file, emitted only when used. */
enum {
	TC_NEED_DEC_I8 = 1u << 0,
	TC_NEED_DEC_U8 = 1u << 1,
	TC_NEED_DEC_I16 = 1u << 2,
	TC_NEED_DEC_U16 = 1u << 3,
	TC_NEED_DEC_OPAQUE = 1u << 4,
	TC_NEED_STRING_DESC = 1u << 5,
	TC_NEED_VOID_DESC = 1u << 6,
};

typedef struct tc_gen {
	tc_ctx *c;
	tc_buf *h;    /* the header */
	tc_buf *body; /* the .c after its prelude */
	tc_buf pre;   /* static helpers, built while generating body */
	const char *base;
	unsigned need;
	const tc_passthru *pt_next; /* next %-line to copy */
	bool pt_started;
	bool prim_desc[TC_B_NAMED + 1]; /* primitive descriptors used */
} tc_gen;

/* C spelling of a type specifier ("int32_t", "nfs_fh"). */
const char *tc_ctype(const tc_tspec *t);
/* An integer as a C literal of the right type. */
void tc_put_int(tc_buf *b, int64_t v);
/* A bound or size: its name if it has one, else the number. */
void tc_put_value(tc_buf *b, const tc_value *v);
void tc_put_bound(tc_buf *b, const tc_decl *x);
/* A declaration as a C member / typedef ("uint32_t x[4];"). */
void tc_put_cdecl(tc_buf *b, const tc_decl *x, const char *name,
		  const char *indent);
bool tc_def_generated(const tc_def *d);
char *tc_lower(tc_gen *g, const char *s);
char *tc_fmt(tc_gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void tc_gen_types(tc_gen *g);
/* Copies the %-lines that came before definition number `upto` (in
 * creation order; SIZE_MAX: all the rest) into the header. */
void tc_gen_passthru(tc_gen *g, size_t upto);
void tc_gen_codecs(tc_gen *g, tc_def *d);
void tc_gen_codec_prelude(tc_gen *g);
void tc_gen_desc(tc_gen *g, tc_def *d);
/* Descriptor expression (&x_desc) of declaration x inside the C object
 * `parent` at member path `member`; may emit anonymous descriptors. */
const char *tc_desc_of(tc_gen *g, const tc_decl *x, const char *parent,
		       const char *member, const char *anon);
void tc_gen_desc_prelude(tc_gen *g);
void tc_gen_programs(tc_gen *g);
void tc_gen_idl(tc_gen *g);

uint64_t tc_decl_min_wire(const tc_decl *x, unsigned depth);

#endif /* TETHERC_GEN_H */
