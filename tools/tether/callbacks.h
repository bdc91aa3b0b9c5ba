/* SPDX-License-Identifier: MIT */
/*
 * callbacks.h - `tether call --reply PROG.VERS.PROC=JSON`: the CLI serves
 * callback procedures on its own connection (tether_client_register), so a
 * server that calls its client back (DESIGN §2) gets a fixed JSON answer.
 * Each callback received is printed to stderr as JSON.
 */
#ifndef TETHER_CLI_CALLBACKS_H
#define TETHER_CLI_CALLBACKS_H

#include <stddef.h>
#include <tether/client.h>

#include "idl.h"
#include "jsonxdr.h"

typedef struct cli_cbs cli_cbs;

/* Resolves and checks every "PROG.VERS.PROC=JSON" spec against idl (the
 * JSON must encode as the procedure's result). Memory from a. Returns
 * CLI_OK with *out (NULL when n is 0), or CLI_EUSAGE after printing why. */
int cli_cbs_setup(cli_idl *idl, const char *const *specs, size_t n,
		  unsigned max_depth, tether_arena *a, cli_cbs **out);
/* Serves the callback versions on c's connection. cbs must outlive c. */
int cli_cbs_register(cli_cbs *cbs, tether_client *c);
/* Callbacks answered so far. */
unsigned long cli_cbs_answered(const cli_cbs *cbs);

#endif /* TETHER_CLI_CALLBACKS_H */
