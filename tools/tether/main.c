/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `tether` command: ping, call, list, describe, stats, certs.
 * Each subcommand lives in its own cmd_*.c and returns an exit code
 * (cli.h; documented in tether(1) and docs/cli.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cmds[] = {
    {"ping", cmd_ping, "NULL call to a program; prints the round-trip time"},
    {"call", cmd_call,
     "call a procedure with JSON arguments; prints the result"},
    {"list", cmd_list, "list the programs a tether server serves (reflection)"},
    {"describe", cmd_describe, "show the .x of a served program (reflection)"},
    {"stats", cmd_stats, "show a tether server's statistics (administrators)"},
    {"certs", cmd_certs, "create a development CA and certificates"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tether COMMAND [ARGS...]   (tether COMMAND --help "
		   "for more)\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\nendpoints: tcp://HOST:PORT, unix:/ABSOLUTE/PATH, "
		"tls://HOST:PORT\n"
		"exit codes: 0 ok, 1 call failed, 2 usage, 3 connection/TLS, "
		"4 not offered by the server or this build\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("tether 0.1.0\n");
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tether: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return CLI_EUSAGE;
}
