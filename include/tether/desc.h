/* SPDX-License-Identifier: MIT */
/*
 * tether/desc.h - descriptor tables written by tetherc.
 *
 * For every .x file tetherc emits constant tables describing its types,
 * programs, versions and procedures. The runtime dispatches through them,
 * the CLI converts JSON to XDR and back through them, and server reflection
 * serves them (with the .x source) to peers. All descriptors are static
 * constant data: never freed, safe to share between threads.
 */
#ifndef TETHER_DESC_H
#define TETHER_DESC_H

#include <stddef.h>
#include <stdint.h>
#include <tether/export.h>
#include <tether/status.h>
#include <tether/xdr.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_call_ctx tether_call_ctx; /* server.h */
typedef struct tether_conn tether_conn;         /* call.h */

typedef tether_status (*tether_encode_fn)(tether_enc *e, const void *v);
typedef tether_status (*tether_decode_fn)(tether_dec *d, void *v);

typedef enum tether_type_kind {
	TETHER_T_VOID = 0,
	TETHER_T_INT,
	TETHER_T_UINT,
	TETHER_T_ENUM,
	TETHER_T_BOOL,
	TETHER_T_HYPER,
	TETHER_T_UHYPER,
	TETHER_T_FLOAT,
	TETHER_T_DOUBLE,
	TETHER_T_QUAD,
	TETHER_T_FOPAQUE, /* opaque x[bound] */
	TETHER_T_OPAQUE,  /* opaque x<bound>: struct { u_int len; char *val; } */
	TETHER_T_STRING,  /* string x<bound>: char * */
	TETHER_T_FARRAY,  /* T x[bound] */
	TETHER_T_VARRAY,  /* T x<bound>: struct { u_int len; T *val; } */
	TETHER_T_OPTIONAL, /* T *x */
	TETHER_T_STRUCT,
	TETHER_T_UNION,
	TETHER_T_TYPEDEF /* a named alias of elem */
} tether_type_kind;

typedef struct tether_type_desc tether_type_desc;

typedef struct tether_field_desc {
	const char *name;
	const tether_type_desc *type;
	size_t offset; /* offsetof in the C struct */
} tether_field_desc;

typedef struct tether_enum_value {
	const char *name;
	int32_t value;
} tether_enum_value;

/* One `case` arm of a union. A void arm has type->kind TETHER_T_VOID. */
typedef struct tether_arm_desc {
	int32_t value;    /* the case value (enum/bool/unsigned as int32) */
	const char *name; /* the arm's member name; NULL for void */
	const tether_type_desc *type;
} tether_arm_desc;

struct tether_type_desc {
	const char *name; /* the .x name, or NULL for an anonymous type */
	tether_type_kind kind;
	size_t size;    /* sizeof the C representation */
	uint32_t bound; /* arrays, opaque, string; TETHER_XDR_UNBOUNDED if none */
	const tether_type_desc *elem; /* arrays, optional, typedef */
	/* struct: its fields; union: fields[0] is the discriminant */
	const tether_field_desc *fields;
	size_t nfields;
	const tether_enum_value *values; /* enum */
	size_t nvalues;
	const tether_arm_desc *arms; /* union */
	size_t narms;
	const tether_arm_desc *default_arm; /* union; NULL: no default */
	size_t union_offset; /* union: offsetof the TYPE_u member */
	size_t len_offset, val_offset; /* VARRAY, OPAQUE: the len/val members */
	tether_encode_fn encode;
	tether_decode_fn decode;
};

/* The typed completion callback of an async stub, as a generic pointer;
 * tether_proc_desc.complete casts it back to its real type. */
typedef void (*tether_generic_fn)(void);

typedef struct tether_proc_desc {
	const char *name; /* "ECHO" */
	uint32_t prog, vers, proc;
	const tether_type_desc *arg; /* never NULL: void is TETHER_T_VOID */
	const tether_type_desc *res;
	/* Server side: calls the handler of this procedure found in the
	 * version's handler table. Returns the handler's status. */
	tether_status (*invoke)(tether_call_ctx *ctx, const void *handlers,
				const void *arg, void *res);
	/* Client side: calls the typed async completion fn. NULL when fn is
	 * a tether_done_fn. */
	void (*complete)(tether_generic_fn fn, tether_status st, void *res,
			 void *ud);
} tether_proc_desc;

typedef struct tether_version_desc {
	const char *prog_name; /* "ECHO_PROG" */
	const char *name;      /* "ECHO_V1" */
	uint32_t prog, vers;
	const tether_proc_desc *procs; /* sorted by procedure number */
	size_t nprocs;
} tether_version_desc;

typedef struct tether_program_desc {
	const char *name;
	uint32_t prog;
	const tether_version_desc *const *versions;
	size_t nversions;
} tether_program_desc;

/* One per .x file: everything it defines, and its source text for
 * reflection. */
typedef struct tether_idl_desc {
	const char *file;   /* base name, "echo.x" */
	const char *source; /* the .x text as given to tetherc */
	const tether_type_desc *const *types;
	size_t ntypes;
	const tether_program_desc *const *programs;
	size_t nprograms;
} tether_idl_desc;

/* Finds the procedure proc in vd; NULL if absent. */
TETHER_API const tether_proc_desc *
tether_version_find_proc(const tether_version_desc *vd, uint32_t proc);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_DESC_H */
