/* SPDX-License-Identifier: MIT */
/*
 * idl.h - descriptors built at run time from a .x file, through tetherc's
 * parser and checker (tetherc_core). They carry names, kinds, bounds,
 * fields, enum values and union arms but no C layout and no codecs: the
 * CLI converts JSON straight to XDR and back through them (jsonwire.c).
 */
#ifndef TETHER_CLI_IDL_H
#define TETHER_CLI_IDL_H

#include <stdbool.h>
#include <stddef.h>
#include <tether/desc.h>

typedef struct cli_idl cli_idl;

/* Parses and checks path (with include dirs and -D defines). On failure
 * returns NULL with tetherc's messages ("file:line:col: error: ...") in
 * err[0..n). Free with cli_idl_free(). */
cli_idl *cli_idl_load(const char *path, const char *const *incdirs,
		      size_t nincdirs, const char *const *defines,
		      size_t ndefines, char *err, size_t n);
/* The same from a .x text (a server's DESCRIBE answer) labelled name;
 * #include is refused (no local file is ever read for it). */
cli_idl *cli_idl_load_text(const char *name, const char *text, size_t len,
			   char *err, size_t n);
void cli_idl_free(cli_idl *idl);

/* The descriptor of a program/version/procedure given by name or number
 * ("MOUNTPROG.MOUNTVERS.MOUNTPROC_EXPORT", "100005.1.5"), or NULL with a
 * message in err saying which part is unknown and what exists. */
const tether_proc_desc *cli_idl_find_proc(cli_idl *idl, const char *spec,
					  char *err, size_t n);
/* A program number by name (or number); false if unknown. */
bool cli_idl_find_prog(cli_idl *idl, const char *name, uint32_t *prog);
/* A version number by name within prog (or a number); false if unknown. */
bool cli_idl_find_vers(cli_idl *idl, uint32_t prog, const char *name,
		       uint32_t *vers);
/* Every program, for `describe`-like listings. */
const tether_program_desc *const *cli_idl_programs(cli_idl *idl, size_t *n);

#endif /* TETHER_CLI_IDL_H */
