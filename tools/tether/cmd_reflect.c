/* SPDX-License-Identifier: MIT */
/*
 * cmd_reflect.c - `tether list`, `tether describe` and `tether stats`: what
 * a tether server serves and its statistics, through the control program
 * (DESIGN §2, docs/protocol.md); and cli_reflect_idl(), which lets
 * `tether call` fetch a program's .x from the server instead of --idl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "idl.h"
#include "server/control.h"

typedef struct reflect_cmd {
	const char *name, *usage;
	size_t npos;
} reflect_cmd;

static const reflect_cmd list_cmd = {
    "list",
    "usage: tether list ENDPOINT [options]\n"
    "Lists the programs, versions and procedures a tether server serves,\n"
    "through the LIST procedure of its control program.\n",
    1};
static const reflect_cmd describe_cmd = {
    "describe",
    "usage: tether describe ENDPOINT PROGRAM [options]\n"
    "Prints the .x source of a program (name or number) served by a tether\n"
    "server, through the DESCRIBE procedure of its control program.\n",
    2};
static const reflect_cmd stats_cmd = {
    "stats",
    "usage: tether stats ENDPOINT [options]\n"
    "Prints a tether server's metrics (Prometheus text format) through the\n"
    "STATS procedure of its control program; administrators only.\n",
    1};

/* Says why a control call failed; the exit code. */
static int failed(const char *cmd, const char *ep, const char *what,
		  tether_status st)
{
	if (st == TETHER_E_PROG_UNAVAIL || st == TETHER_E_PROG_MISMATCH) {
		cli_err(cmd,
			"%s does not serve the tether control program: not a "
			"tether server (a plain ONC RPC server?)",
			ep);
		return CLI_EUNSUPP;
	}
	if (st == TETHER_E_DENIED) {
		cli_err(cmd, "%s: %s denied by the server's policy%s", ep, what,
			strcmp(cmd, "stats") == 0 ? " (administrators only)"
						  : "");
		return CLI_ECALL;
	}
	cli_err(cmd, "%s at %s: %s (%s)", what, ep, tether_strerror(st),
		tether_status_name(st));
	return cli_exit_code(st);
}

static void print_list(const ctl_program_list *l)
{
	for (uint32_t i = 0; i < l->ctl_program_list_len; i++) {
		const ctl_program *p = &l->ctl_program_list_val[i];
		printf("%s %u (0x%08x)%s%s\n", p->name[0] ? p->name : "?",
		       p->prog, p->prog, p->idl_file[0] ? " from " : "",
		       p->idl_file);
		for (uint32_t j = 0; j < p->versions.versions_len; j++) {
			const ctl_version *v = &p->versions.versions_val[j];
			printf("  version %s %u:", v->name, v->vers);
			for (uint32_t k = 0; k < v->procs.procs_len; k++)
				printf(" %s=%u", v->procs.procs_val[k].name,
				       v->procs.procs_val[k].proc);
			printf("\n");
		}
	}
}

/* PROGRAM as a number, or its name looked up in the server's LIST. */
static tether_status prog_number(tether_client *c, tether_arena *a,
				 const char *spec, uint32_t *prog, bool *found)
{
	ctl_program_list l;
	char *end;
	unsigned long long v;

	*found = false;
	errno = 0;
	v = strtoull(spec, &end, 0);
	if (spec[0] >= '0' && spec[0] <= '9' && *end == '\0' && errno == 0 &&
	    v <= UINT32_MAX) {
		*prog = (uint32_t)v, *found = true;
		return TETHER_OK;
	}
	tether_status st = ctl_list_1(c, &l, a, 0);
	if (st != TETHER_OK)
		return st;
	for (uint32_t i = 0; i < l.ctl_program_list_len; i++)
		if (strcmp(l.ctl_program_list_val[i].name, spec) == 0) {
			*prog = l.ctl_program_list_val[i].prog, *found = true;
			break;
		}
	return TETHER_OK;
}

/* DESCRIBE of spec: the source (arena memory) and its file name. */
static int fetch_source(const char *cmd, const char *ep, tether_client *c,
			tether_arena *a, const char *spec, ctl_source *src)
{
	uint32_t prog = 0;
	bool found;
	tether_status st = prog_number(c, a, spec, &prog, &found);

	if (st == TETHER_OK && !found) {
		cli_err(cmd, "%s serves no program named '%s' (see tether list)",
			ep, spec);
		return CLI_EUSAGE;
	}
	if (st == TETHER_OK)
		st = ctl_describe_1(c, &prog, src, a, 0);
	if (st != TETHER_OK)
		return failed(cmd, ep, "DESCRIBE", st);
	if (!src->found) {
		cli_err(cmd,
			"%s: program %s is not served there, or its .x source "
			"was not registered (tether_server_register_idl)",
			ep, spec);
		return CLI_EUNSUPP;
	}
	return CLI_OK;
}

static int act(const reflect_cmd *rc_, const char *const *pos,
	       tether_client *c, tether_arena *a)
{
	tether_status st;

	if (rc_ == &list_cmd) {
		ctl_program_list l;
		st = ctl_list_1(c, &l, a, 0);
		if (st != TETHER_OK)
			return failed("list", pos[0], "LIST", st);
		print_list(&l);
		return CLI_OK;
	}
	if (rc_ == &describe_cmd) {
		ctl_source src;
		int rc = fetch_source("describe", pos[0], c, a, pos[1], &src);
		if (rc == CLI_OK)
			fputs(src.text, stdout);
		return rc;
	}
	ctl_text text;
	st = ctl_stats_1(c, &text, a, 0);
	if (st != TETHER_OK)
		return failed("stats", pos[0], "STATS", st);
	fputs(text, stdout);
	return CLI_OK;
}

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
	tether_arena *a;
	if ((rc = cli_connect(rc_->name, pos[0], &net, &c)) != CLI_OK)
		return rc;
	if (tether_arena_new(64u << 20, &a) != TETHER_OK) {
		tether_client_free(c);
		cli_err(rc_->name, "out of memory");
		return CLI_ECALL;
	}
	rc = act(rc_, pos, c, a);
	tether_arena_free(a);
	tether_client_free(c);
	return rc;
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

int cli_reflect_idl(const char *endpoint, cli_net *net, const char *spec,
		    cli_idl **out)
{
	char prog[256], err[2048], name[300];
	const char *dot = strchr(spec, '.');
	size_t n = dot != NULL ? (size_t)(dot - spec) : strlen(spec);
	tether_client *c;
	tether_arena *a;
	ctl_source src;
	int rc;

	*out = NULL;
	if (n == 0 || n >= sizeof prog) {
		cli_err("call", "bad PROGRAM.VERSION.PROCEDURE '%s'", spec);
		return CLI_EUSAGE;
	}
	memcpy(prog, spec, n);
	prog[n] = '\0';
	if ((rc = cli_connect("call", endpoint, net, &c)) != CLI_OK)
		return rc;
	if (tether_arena_new(64u << 20, &a) != TETHER_OK) {
		tether_client_free(c);
		return CLI_ECALL;
	}
	rc = fetch_source("call", endpoint, c, a, prog, &src);
	if (rc == CLI_OK) {
		snprintf(name, sizeof name, "%s (from %s)", src.file,
			 endpoint);
		*out = cli_idl_load_text(name, src.text, strlen(src.text), err,
					 sizeof err);
		if (*out == NULL) {
			cli_err("call", "the server's .x does not parse: %s",
				err);
			rc = CLI_EUSAGE;
		}
	}
	tether_arena_free(a);
	tether_client_free(c);
	return rc;
}
