/* SPDX-License-Identifier: MIT */
/*
 * cmd_reflect.c - `tether list`, `tether describe` and `tether stats`: what
 * a tether server serves and its statistics, through the control program
 * (DESIGN §2). The runtime has no control program yet, so each connects
 * (so that a wrong endpoint is still reported as such) and then says
 * plainly that the server does not offer it (exit code 4).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct reflect_cmd {
	const char *name, *usage, *what;
	size_t npos;
} reflect_cmd;

static const reflect_cmd list_cmd = {
    "list",
    "usage: tether list ENDPOINT [options]\n"
    "Lists the programs and versions a tether server serves, through\n"
    "the reflection procedure of its control program.\n",
    "reflection (the programs it serves)", 1};
static const reflect_cmd describe_cmd = {
    "describe",
    "usage: tether describe ENDPOINT PROGRAM [options]\n"
    "Prints the .x source of a program served by a tether server,\n"
    "through the reflection procedure of its control program.\n",
    "reflection (the .x source of its programs)", 2};
static const reflect_cmd stats_cmd = {
    "stats",
    "usage: tether stats ENDPOINT [options]\n"
    "Prints a tether server's statistics (administrators only),\n"
    "through its control program.\n",
    "statistics", 1};

static int run(const reflect_cmd *rc_, int argc, char **argv)
{
	cli_net net = {0};
	const char *pos[2];
	size_t npos;
	bool h = false;
	const cli_opt opts[] = {
	    CLI_NET_OPTS(&net),
	    {"help", NULL, &h, NULL, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]),
			   pos, rc_->npos, &npos);
	if (rc != CLI_OK || h) {
		fprintf(rc ? stderr : stdout, "%soptions:\n%s", rc_->usage,
			CLI_NET_HELP);
		return rc;
	}
	if (npos != rc_->npos) {
		cli_err(rc_->name, "needs %s",
			rc_->npos == 1 ? "ENDPOINT" : "ENDPOINT and PROGRAM");
		return CLI_EUSAGE;
	}
	tether_client *c;
	if ((rc = cli_connect(rc_->name, pos[0], &net, &c)) != CLI_OK)
		return rc;
	tether_client_free(c);
	cli_err(rc_->name,
		"%s: the server does not offer %s: the tether control "
		"program is not implemented in this runtime yet",
		pos[0], rc_->what);
	return CLI_EUNSUPP;
}

int cmd_list(int argc, char **argv)
{
	return run(&list_cmd, argc, argv);
}

int cmd_describe(int argc, char **argv)
{
	return run(&describe_cmd, argc, argv);
}

int cmd_stats(int argc, char **argv)
{
	return run(&stats_cmd, argc, argv);
}
