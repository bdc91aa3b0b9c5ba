/* SPDX-License-Identifier: MIT */
/*
 * cmd_ping.c - `tether ping ENDPOINT PROGRAM [VERSION]`: the NULL
 * procedure (RFC 5531 §12.1: procedure 0 takes and returns void) of a
 * program, timed, like `rpcinfo -t` for every endpoint kind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "idl.h"

static const char help[] =
    "usage: tether ping ENDPOINT PROGRAM [VERSION] [options]\n"
    "Calls procedure 0 (NULL) of PROGRAM (default version 1) and prints the\n"
    "round-trip time. PROGRAM and VERSION are numbers (0x... accepted), or\n"
    "names with --idl.\n\n"
    "options:\n"
    "  --count N              calls to make, one after the other (default 1)\n"
    "  --idl FILE.x           resolve PROGRAM/VERSION names from this "
    "file\n" CLI_NET_HELP;

static const tether_type_desc void_desc = {.name = "void",
					   .kind = TETHER_T_VOID};

/* A program or version number: decimal or 0x hexadecimal. */
static bool number(const char *what, const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s < '0' || *s > '9' || errno || *end != '\0' || v > UINT32_MAX) {
		cli_err("ping", "%s: '%s' is not a number (decimal or 0x...)",
			what, s);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool resolve(cli_idl *idl, const char *prog_s, const char *vers_s,
		    uint32_t *prog, uint32_t *vers)
{
	if (idl != NULL && cli_idl_find_prog(idl, prog_s, prog)) {
		if (vers_s == NULL)
			return true;
		if (cli_idl_find_vers(idl, *prog, vers_s, vers))
			return true;
	} else if (!number(idl ? "PROGRAM (not in the .x file)"
			       : "PROGRAM (names need --idl FILE.x)",
			   prog_s, prog)) {
		return false;
	}
	return vers_s == NULL || number("VERSION", vers_s, vers);
}

static int ping_loop(tether_client *c, const tether_proc_desc *pd,
		     const char *endpoint, uint32_t count, uint32_t deadline)
{
	uint64_t min = UINT64_MAX, max = 0, sum = 0;
	char dummy[8];
	for (uint32_t i = 0; i < count; i++) {
		uint64_t t0 = cli_now_ns();
		tether_status st =
		    tether_call(c, pd, NULL, dummy, NULL, deadline);
		uint64_t dt = cli_now_ns() - t0;
		if (st != TETHER_OK) {
			cli_err("ping", "%s program %u version %u: %s (%s)",
				endpoint, pd->prog, pd->vers,
				tether_strerror(st), tether_status_name(st));
			return cli_exit_code(st);
		}
		min = dt < min ? dt : min, max = dt > max ? dt : max, sum += dt;
		printf("%s program %u version %u: ready, rtt %.3f ms\n",
		       endpoint, pd->prog, pd->vers, (double)dt / 1e6);
	}
	if (count > 1)
		printf("%u calls: rtt min %.3f ms, avg %.3f ms, max %.3f ms\n",
		       count, (double)min / 1e6, (double)sum / count / 1e6,
		       (double)max / 1e6);
	return CLI_OK;
}

int cmd_ping(int argc, char **argv)
{
	cli_net net = {0};
	const char *count_s = NULL, *idl_path = NULL, *pos[3];
	bool h = false;
	size_t npos;
	const cli_opt opts[] = {
	    CLI_NET_OPTS(&net),
	    {"count", &count_s, NULL, NULL, NULL, 0},
	    {"idl", &idl_path, NULL, NULL, NULL, 0},
	    {"help", NULL, &h, NULL, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]),
			   pos, 3, &npos);
	if (rc != CLI_OK || h) {
		fputs(help, rc ? stderr : stdout);
		return rc;
	}
	uint32_t count = 1, prog, vers = 1;
	if (npos < 2) {
		cli_err("ping", "needs ENDPOINT and PROGRAM");
		fputs(help, stderr);
		return CLI_EUSAGE;
	}
	if (count_s != NULL &&
	    !cli_uint("ping", "--count", count_s, 1, 100000, &count))
		return CLI_EUSAGE;
	char err[1024];
	cli_idl *idl = NULL;
	if (idl_path != NULL &&
	    (idl = cli_idl_load(idl_path, NULL, 0, NULL, 0, err,
				sizeof(err))) == NULL) {
		cli_err("ping", "%s", err);
		return CLI_EUSAGE;
	}
	bool ok = resolve(idl, pos[1], npos > 2 ? pos[2] : NULL, &prog, &vers);
	cli_idl_free(idl);
	if (!ok)
		return CLI_EUSAGE;
	tether_client *c;
	if ((rc = cli_connect("ping", pos[0], &net, &c)) != CLI_OK)
		return rc;
	tether_proc_desc pd = {.name = "NULL",
			       .prog = prog,
			       .vers = vers,
			       .proc = 0,
			       .arg = &void_desc,
			       .res = &void_desc};
	rc = ping_loop(c, &pd, pos[0], count, net.deadline_ms);
	tether_client_free(c);
	return rc;
}
