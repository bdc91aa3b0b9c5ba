/* SPDX-License-Identifier: MIT */
/*
 * tetherc.h - internals of tetherc, the .x (RFC 4506 §6, RFC 5531 §12) to C
 * compiler: memory pool, text buffers, lexer/preprocessor, AST, checker and
 * code generators. Library code (tetherc_core) never prints: errors are
 * collected in the context as "file:line:col: error: ..." text.
 */
#ifndef TETHERC_H
#define TETHERC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/status.h>

#define TC_VERSION "0.1.0"
#define TC_MAX_INPUT (1u << 20) /* bytes per source file */
/* members, values, arms, labels, procedures per definition */
#define TC_MAX_ITEMS 1024
#define TC_MAX_DEPTH 200 /* parser / expression / type nesting */
#define TC_MAX_INCLUDE_DEPTH 16
#define TC_MAX_MACRO_DEPTH 32
#define TC_MAX_DEFS 20000
#define TC_MAX_NAME 255		 /* characters in a name or number */
#define TC_MAX_EXPANSIONS 100000 /* macro expansions per compilation */

/* ---- memory pool: everything the compiler allocates, freed at once ---- */

typedef struct tc_chunk tc_chunk;
typedef struct tc_pool {
	tc_chunk *head;
	size_t used, cap;
	bool failed;
} tc_pool;

void *tc_pool_alloc(tc_pool *p, size_t n); /* zeroed; NULL on OOM */
char *tc_pool_strndup(tc_pool *p, const char *s, size_t n);
void tc_pool_free(tc_pool *p);

/* ---- growable text buffer (tt_alloc) ---------------------------------- */

typedef struct tc_buf {
	char *s;
	size_t len, cap;
	bool failed;
} tc_buf;

void tc_buf_put(tc_buf *b, const char *s, size_t n);
void tc_buf_puts(tc_buf *b, const char *s);
void tc_buf_printf(tc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tc_buf_free(tc_buf *b);
/* Moves b's text into the pool (NULL, with pool->failed set, when b or
 * the pool ran out of memory) and frees b. */
char *tc_buf_take(tc_pool *pool, tc_buf *b);

/* ---- source locations and errors ------------------------------------- */

typedef struct tc_loc {
	const char *file;
	uint32_t line, col;
} tc_loc;

/* A file that can be opened by #include or --import: returns the text in
 * *text (pool memory) or false. The default reads the file system. */
typedef bool (*tc_read_fn)(void *ud, const char *path, char **text, size_t *len,
			   tc_pool *pool);

/* ---- AST ---------------------------------------------------------------- */

typedef enum tc_base {
	TC_B_VOID,
	TC_B_INT,
	TC_B_UINT,
	TC_B_HYPER,
	TC_B_UHYPER,
	TC_B_FLOAT,
	TC_B_DOUBLE,
	TC_B_QUAD,
	TC_B_BOOL,
	TC_B_CHAR, /* rpcgen extensions: encoded as an XDR int */
	TC_B_UCHAR,
	TC_B_SHORT,
	TC_B_USHORT,
	TC_B_STRING, /* only with a <bound> */
	TC_B_OPAQUE, /* only with a [n] or <bound> */
	TC_B_NAMED
} tc_base;

typedef struct tc_def tc_def;

typedef struct tc_value {
	const char *ident; /* NULL for a literal */
	const char *text;  /* literal as written */
	const char *str;   /* rpcgen string constant "..." (const only) */
	int64_t v;
	bool resolved;
	bool builtin; /* TRUE, FALSE, MAXNETNAMELEN...: written as a number */
	tc_loc loc;
} tc_value;

typedef struct tc_tspec {
	tc_base base;
	const char *name; /* TC_B_NAMED */
	tc_def *def;	  /* resolved */
	tc_loc loc;
} tc_tspec;

typedef enum tc_dkind {
	TC_K_SCALAR,
	TC_K_FIXED,    /* T x[n] */
	TC_K_VAR,      /* T x<n> */
	TC_K_OPTIONAL, /* T *x */
	TC_K_VOID
} tc_dkind;

typedef struct tc_decl {
	const char *name;
	tc_tspec t;
	tc_dkind kind;
	bool bounded;	/* TC_K_VAR: <n> rather than <> */
	tc_value bound; /* TC_K_FIXED, TC_K_VAR when bounded */
	tc_loc loc;
} tc_decl;

typedef struct tc_enumval {
	const char *name;
	tc_value value;
	bool has_value;
	tc_loc loc;
} tc_enumval;

typedef struct tc_arm {
	tc_value *labels;
	size_t nlabels;
	tc_decl decl;
} tc_arm;

typedef struct tc_proc {
	const char *name;
	tc_decl res;   /* name NULL; kind TC_K_VOID for void */
	tc_decl *args; /* nargs 0: void */
	size_t nargs;
	tc_def *argstruct; /* nargs > 1: <proc>_<vers>_argument */
	tc_value num;
	tc_loc loc;
} tc_proc;

typedef struct tc_version {
	const char *name;
	tc_value num;
	tc_proc *procs;
	size_t nprocs;
	tc_loc loc;
} tc_version;

typedef enum tc_defkind {
	TC_D_CONST,
	TC_D_ENUM,
	TC_D_STRUCT,
	TC_D_UNION,
	TC_D_TYPEDEF,
	TC_D_PROGRAM,
	TC_D_BUILTIN /* a type tetherc knows without a definition (netobj) */
} tc_defkind;

struct tc_def {
	tc_defkind kind;
	const char *name;
	tc_loc loc;
	bool imported;	    /* from --import: known, not generated */
	tc_def *next;	    /* source order */
	const char *ptbody; /* const from a "%#define NAME body" line */
	size_t seq;	    /* creation order */

	tc_value value; /* const */

	tc_enumval *vals; /* enum */
	size_t nvals;

	tc_decl *fields; /* struct */
	size_t nfields;

	tc_decl disc; /* union */
	tc_arm *arms;
	size_t narms;
	tc_decl *deflt; /* NULL: no default */

	tc_decl td; /* typedef */

	tc_version *vers; /* program */
	size_t nvers;
	tc_value num;

	/* checker results */
	/* Scratch state of the passes, each resetting it when done:
	 * constant/enum resolution and C emission order use mark (0 new,
	 * 1 in progress, 2 done) and emitted; the cycle search uses mark as
	 * Tarjan's index, wire_state as its lowlink and emitted as "on the
	 * stack"; min_wire's memo uses wire_state. */
	int mark;
	bool emitted;
	bool cyclic; /* decode needs tether_dec_enter/leave */
	bool list;   /* linked-list shape: iterative codecs */
	int wire_state;
	uint64_t min_wire; /* minimum encoded size, saturated */
};

/* Every file read (main, #include, --import), for --depfile. */
typedef struct tc_file {
	const char *path;
	struct tc_file *next;
} tc_file;

typedef struct tc_passthru {
	const char *text;
	size_t before; /* definitions created before this line */
	struct tc_passthru *next;
} tc_passthru;

typedef struct tc_sym {
	const char *name;
	tc_def *def;	     /* the type, const, or program */
	tc_enumval *enumval; /* an enum member */
	tc_def *enumdef;
	struct tc_sym *next;
} tc_sym;

#define TC_HASH 1024

/* ---- lexer / preprocessor state ---------------------------------------- */

typedef struct tc_macro {
	const char *name;
	const char *body;
	size_t len;
	bool busy; /* being expanded: no self-expansion */
	struct tc_macro *next;
} tc_macro;

typedef struct tc_frame {
	const char *text;
	size_t len, pos;
	uint32_t line, col;
	const char *file; /* path as opened */
	tc_macro *macro;  /* non-NULL: a macro body being expanded */
	tc_loc mloc;	  /* macro frames: where the macro was used */
	size_t cond_base; /* #if depth when the file was entered */
	bool bol;	  /* nothing but blanks since the line began */
} tc_frame;

typedef enum tc_tokkind {
	TK_EOF,
	TK_IDENT,
	TK_NUM,
	TK_PUNCT,
	TK_STRING
} tc_tokkind;

typedef struct tc_tok {
	tc_tokkind kind;
	const char *s; /* TK_IDENT, TK_NUM: text (pool, NUL-terminated) */
	char c;	       /* TK_PUNCT */
	tc_loc loc;
} tc_tok;

typedef struct tc_cond {
	bool parent_active, taking, any_taken, seen_else;
	tc_loc loc;
} tc_cond;

#define TC_MAX_FRAMES (TC_MAX_INCLUDE_DEPTH + TC_MAX_MACRO_DEPTH + 2)
#define TC_MAX_CONDS 64

/* ---- the compiler context -------------------------------------------- */

typedef struct tc_ctx {
	tc_pool pool;
	tc_buf err; /* error text; empty when all went well */
	bool failed;

	tc_read_fn read;
	void *read_ud;
	const char **incdirs;
	size_t nincdirs;

	tc_macro *macros;
	tc_frame frames[TC_MAX_FRAMES];
	size_t nframes, nfiles;
	tc_cond conds[TC_MAX_CONDS];
	size_t nconds;
	tc_tok tok;
	bool have_tok;
	unsigned depth;
	unsigned long expansions;

	bool importing;
	const char *imports[TC_MAX_INCLUDE_DEPTH];
	size_t nimports;

	tc_def *defs, **defs_tail;
	size_t ndefs;
	tc_passthru *pt, **pt_tail;
	tc_sym *syms[TC_HASH];

	const char *main_file;
	const char *main_text;
	size_t main_len;
	bool uses_netobj;
	tc_loc eof_loc;
	tc_file *files, **files_tail;
} tc_ctx;

/* ---- API (driver.c, lex.c, parse.c, check.c, gen_*.c) ---------------- */

void tc_init(tc_ctx *c);
void tc_fini(tc_ctx *c);
void tc_set_reader(tc_ctx *c, tc_read_fn fn, void *ud);
bool tc_add_include_dir(tc_ctx *c, const char *dir);
/* #define name value before parsing (value may be NULL: "1"). */
bool tc_define(tc_ctx *c, const char *name, const char *value);
/* Parses text as the main file (named path for messages). */
bool tc_parse_text(tc_ctx *c, const char *path, const char *text, size_t len);
/* Reads and parses path as the main file. */
bool tc_parse_file(tc_ctx *c, const char *path);
/* Reads path: its types and constants become known but are not
 * generated; the output includes "<base>.h" for them. */
bool tc_import_file(tc_ctx *c, const char *path);
/* Resolves names, checks the definitions, computes codec properties. */
bool tc_check(tc_ctx *c);
/* Writes the header and the source for base name `base` ("nfs_prot"). */
bool tc_generate(tc_ctx *c, const char *base, tc_buf *h, tc_buf *src);

/* internal, shared between files */
/* Records path as read (for dependency lists). */
void tc_note_file(tc_ctx *c, const char *path);
/* False (with an "out of memory" error if none is set yet) when anything
 * failed so far. */
bool tc_ok(tc_ctx *c);
void tc_error(tc_ctx *c, tc_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool tc_lex_push_file(tc_ctx *c, const char *path, const char *text,
		      size_t len);
tc_tok tc_lex_next(tc_ctx *c);
bool tc_read_default(void *ud, const char *path, char **text, size_t *len,
		     tc_pool *pool);
bool tc_parse_all(tc_ctx *c);
tc_sym *tc_sym_find(tc_ctx *c, const char *name);
tc_sym *tc_sym_add(tc_ctx *c, const char *name, tc_loc loc);
void tc_describe_tok(const tc_tok *t, char *out, size_t n);
bool tc_is_c_keyword(const char *s);
/* Parameter and local names of generated code (a type of that name would
 * be shadowed) and names starting with tether_/tetherc_/TETHER_. */
bool tc_is_reserved(const char *s);
bool tc_is_type(const tc_def *d);
/* Evaluates a C constant expression (#if syntax); identifiers other than
 * defined() go to ident (NULL: preprocessor macros, undefined is 0). */
typedef bool (*tc_ident_fn)(tc_ctx *c, const char *name, size_t n, tc_loc loc,
			    unsigned depth, int64_t *out);
bool tc_eval(tc_ctx *c, const char *text, tc_loc loc, unsigned depth,
	     tc_ident_fn ident, int64_t *out);

#endif /* TETHERC_H */
