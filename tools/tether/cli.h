/* SPDX-License-Identifier: MIT */
/*
 * cli.h - shared pieces of the `tether` subcommands: option parsing, exit
 * codes, connecting with the TLS options, messages.
 */
#ifndef TETHER_CLI_H
#define TETHER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/client.h>
#include <tether/status.h>

/* Exit codes (docs/cli.md, tether(1)). */
enum {
	CLI_OK = 0,
	CLI_ECALL = 1,	/* the call failed: RPC error, bad reply, local error */
	CLI_EUSAGE = 2, /* bad arguments, JSON, names, .x file */
	CLI_ECONN = 3,	/* connection, TLS, deadline */
	CLI_EUNSUPP = 4, /* the server or this build does not offer it */
};

/* One option: "--name VALUE" / "--name=VALUE" when val is set, a flag when
 * flag is set; repeatable into multi[0..max) when multi is set. */
typedef struct cli_opt {
	const char *name;
	const char **val;
	bool *flag;
	const char **multi;
	size_t *nmulti, max;
} cli_opt;

/* Parses argv[1..argc) (argv[0] is the subcommand name) into opts and up
 * to maxpos positionals. "--" ends options. Returns CLI_OK, or CLI_EUSAGE
 * after printing what was wrong. */
int cli_parse(int argc, char **argv, const cli_opt *opts, size_t nopts,
	      const char **pos, size_t maxpos, size_t *npos);

/* Options every networked subcommand takes. */
typedef struct cli_net {
	const char *cert, *key, *ca, *deadline, *connect_timeout;
	bool allow_plaintext;
	uint32_t deadline_ms;
} cli_net;
#define CLI_NET_OPTS(n)                                                        \
	{"cert", &(n)->cert, NULL, NULL, NULL, 0},                             \
	    {"key", &(n)->key, NULL, NULL, NULL, 0},                           \
	    {"ca", &(n)->ca, NULL, NULL, NULL, 0},                             \
	    {"deadline", &(n)->deadline, NULL, NULL, NULL, 0},                 \
	    {"connect-timeout", &(n)->connect_timeout, NULL, NULL, NULL, 0},   \
	{                                                                      \
		"allow-plaintext", NULL, &(n)->allow_plaintext, NULL, NULL, 0  \
	}
#define CLI_NET_HELP                                                           \
	"  --deadline MS          deadline of each call (default 5000)\n"      \
	"  --connect-timeout MS   time allowed to connect (default 5000)\n"    \
	"  --cert FILE --key FILE our certificate and key (PEM), for tls://\n" \
	"  --ca FILE              CA bundle that verifies the server, for "    \
	"tls://\n"                                                             \
	"  --allow-plaintext      allow tcp:// to a non-loopback address\n"

/* Connects to endpoint with n's options. Returns CLI_OK with *out, or an
 * exit code after printing why. */
int cli_connect(const char *cmd, const char *endpoint, cli_net *n,
		tether_client **out);

/* "5000" -> 5000 within [lo, hi]; false (message printed) otherwise. */
bool cli_uint(const char *cmd, const char *what, const char *s, uint32_t lo,
	      uint32_t hi, uint32_t *out);

/* The exit code for a failed status. */
int cli_exit_code(tether_status st);

/* "tether CMD: message" on stderr. */
void cli_err(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Monotonic clock in nanoseconds. */
uint64_t cli_now_ns(void);

/* `tether call` without --idl: fetches the .x of the program named by
 * spec's first part through the server's control program (LIST to find a
 * name, DESCRIBE for the text) and parses it (no #include is ever read).
 * CLI_OK with *out (free with cli_idl_free), or an exit code after
 * printing why. */
struct cli_idl;
int cli_reflect_idl(const char *endpoint, cli_net *net, const char *spec,
		    struct cli_idl **out);

int cmd_ping(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_certs(int argc, char **argv);

#endif /* TETHER_CLI_H */
