/* SPDX-License-Identifier: MIT */
/*
 * cmd_call.c - `tether call ENDPOINT PROG.VERS.PROC 'JSON' --idl FILE.x`:
 * the JSON argument is encoded to XDR through descriptors built from the
 * .x file (idl.c, jsonwire.c), sent with tether_call(), and the reply is
 * decoded back to JSON on stdout. The argument is checked before any
 * connection is made, so a bad argument never reaches the server.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "idl.h"
#include "box.h"
#include "callbacks.h"

static const char help[] =
    "usage: tether call ENDPOINT PROGRAM.VERSION.PROCEDURE [JSON] [--idl FILE.x] "
    "[options]\n"
    "Calls a procedure with its argument given as JSON and prints the result\n"
    "as JSON. Each part of PROGRAM.VERSION.PROCEDURE is a name from the .x\n"
    "file or a number. JSON '-' reads the argument from stdin; no JSON means\n"
    "null (procedures taking void). The JSON mapping of XDR types is in\n"
    "tether(1) and docs/cli.md.\n\n"
    "options:\n"
    "  --idl FILE.x           the .x file describing the program (default:\n"
    "                         ask a tether server for it, DESCRIBE)\n"
    "  --include DIR          search DIR for #include files of the .x "
    "(repeatable)\n"
    "  --define NAME[=VALUE]  preprocessor definition for the .x (repeatable)\n"
    "  --compact              print the result on one line\n"
    "  --max-depth N          JSON and value nesting limit (default 1000)\n"
    "  --check                only check the argument against the type; no "
    "call\n"
    "  --reply P.V.PROC=JSON  answer the server's callbacks of procedure\n"
    "                         P.V.PROC (from the .x) with JSON during the "
    "call;\n"
    "                         each callback is printed on stderr "
    "(repeatable)\n" CLI_NET_HELP;

typedef struct call_opts {
	cli_net net;
	const char *idl, *inc[16], *def[16], *reply[16], *depth, *pos[3];
	size_t ninc, ndef, nreply, npos;
	bool compact, check, help;
} call_opts;

static int parse_opts(int argc, char **argv, call_opts *o)
{
	const cli_opt opts[] = {
	    CLI_NET_OPTS(&o->net),
	    {"idl", &o->idl, NULL, NULL, NULL, 0},
	    {"include", NULL, NULL, o->inc, &o->ninc, 16},
	    {"define", NULL, NULL, o->def, &o->ndef, 16},
	    {"reply", NULL, NULL, o->reply, &o->nreply, 16},
	    {"max-depth", &o->depth, NULL, NULL, NULL, 0},
	    {"compact", NULL, &o->compact, NULL, NULL, 0},
	    {"check", NULL, &o->check, NULL, NULL, 0},
	    {"help", NULL, &o->help, NULL, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]),
			   o->pos, 3, &o->npos);
	if (rc != CLI_OK || o->help) {
		fputs(help, rc ? stderr : stdout);
		return rc != CLI_OK ? rc : -1;
	}
	if (o->npos < 2) {
		cli_err("call", "needs ENDPOINT and PROGRAM.VERSION.PROCEDURE");
		return CLI_EUSAGE;
	}
	if (o->idl == NULL && (o->ninc != 0 || o->ndef != 0)) {
		cli_err("call", "--include and --define need --idl");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Reads all of stdin (at most limit bytes) into a tj_buf. */
static int read_stdin(tj_buf *b, size_t limit)
{
	char chunk[4096];
	size_t n;
	tj_buf_init(b, limit + 1);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		tj_buf_put(b, chunk, n);
	if (ferror(stdin) || b->st != TETHER_OK) {
		cli_err("call", "cannot read the argument from stdin (%s)",
			b->st ? tether_strerror(b->st) : "read error");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int parse_arg(const call_opts *o, tether_arena *a, unsigned depth,
		     tj_value **out)
{
	tj_limits lim = {TJ_DEFAULT_MAX_BYTES, depth};
	tj_error err;
	tj_buf in = {0};
	const char *text = o->npos > 2 ? o->pos[2] : "null";
	size_t len = strlen(text);
	if (!strcmp(text, "-")) {
		int rc = read_stdin(&in, lim.max_bytes);
		if (rc != CLI_OK)
			return rc;
		text = in.s ? in.s : "", len = in.len;
	}
	tether_status st = tj_parse(text, len, &lim, a, out, &err);
	tj_buf_free(&in);
	if (st != TETHER_OK) {
		cli_err("call", "argument JSON %u:%u: %s", err.line, err.col,
			err.msg);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Encodes once before connecting: a bad argument is a usage error found
 * without bothering the server. */
static int check_arg(tjx *x, const tether_proc_desc *pd, const tj_value *v)
{
	tether_enc e;
	tether_enc_init_growable(&e, 4u << 20);
	tether_status st = tjx_encode(x, pd->arg, v, &e);
	tether_enc_release(&e);
	if (st != TETHER_OK) {
		cli_err("call", "argument of %s: %s", pd->name, x->msg);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int print_result(const call_opts *o, tjx *x, const tether_proc_desc *pd,
			const resbox *r)
{
	tj_value *v;
	tether_dec d;
	tj_buf out;
	tjx_init(x, x->a, "$");
	tether_dec_init(&d, r->p, r->n, x->a);
	tether_status st = tjx_decode(x, pd->res, &d, &v);
	if (st == TETHER_OK && (st = tether_dec_finish(&d)) != TETHER_OK)
		tjx_fail(x, st, "%zu bytes left over after the result", d.left);
	if (st != TETHER_OK) {
		cli_err("call", "result of %s could not be decoded: %s",
			pd->name, x->msg);
		return CLI_ECALL;
	}
	tj_buf_init(&out, 64u << 20);
	st = tj_write(&out, v, o->compact ? 0 : 2);
	if (st == TETHER_OK)
		printf("%s\n", out.s);
	else
		cli_err("call", "cannot print the result: %s",
			tether_strerror(st));
	tj_buf_free(&out);
	return st == TETHER_OK ? CLI_OK : CLI_ECALL;
}

static int do_call(call_opts *o, tjx *x, const tether_proc_desc *pd,
		   const tj_value *v, cli_cbs *cbs)
{
	tether_client *c;
	int rc = cli_connect("call", o->pos[0], &o->net, &c);
	if (rc != CLI_OK)
		return rc;
	if ((rc = cli_cbs_register(cbs, c)) != CLI_OK) {
		tether_client_free(c);
		return rc;
	}
	argbox ab = {x, pd->arg, v};
	resbox rb = {NULL, 0};
	tether_type_desc at, rt;
	tether_proc_desc call = *pd;
	if (pd->arg->kind != TETHER_T_VOID)
		box_encoder(&at, pd->arg), call.arg = &at;
	if (pd->res->kind != TETHER_T_VOID)
		box_decoder(&rt, pd->res), call.res = &rt;
	tether_status st =
	    tether_call(c, &call, &ab, &rb, x->a, o->net.deadline_ms);
	tether_client_free(c);
	if (cbs != NULL)
		fprintf(stderr, "tether call: %lu callback(s) answered\n",
			cli_cbs_answered(cbs));
	if (st != TETHER_OK) {
		cli_err("call", "%s at %s: %s (%s)", o->pos[1], o->pos[0],
			tether_strerror(st), tether_status_name(st));
		return cli_exit_code(st);
	}
	return print_result(o, x, pd, &rb);
}

static int run(call_opts *o, cli_idl *idl, tether_arena *a)
{
	char err[1024];
	uint32_t depth = TJX_DEFAULT_MAX_DEPTH;
	tj_value *v;
	tjx x;
	if (o->depth != NULL &&
	    !cli_uint("call", "--max-depth", o->depth, 1, 100000, &depth))
		return CLI_EUSAGE;
	const tether_proc_desc *pd =
	    cli_idl_find_proc(idl, o->pos[1], err, sizeof(err));
	if (pd == NULL) {
		cli_err("call", "%s", err);
		return CLI_EUSAGE;
	}
	int rc = parse_arg(o, a, depth, &v);
	if (rc != CLI_OK)
		return rc;
	tjx_init(&x, a, "$");
	x.max_depth = depth;
	if ((rc = check_arg(&x, pd, v)) != CLI_OK || o->check) {
		if (rc == CLI_OK)
			printf("argument of %s is valid\n", pd->name);
		return rc;
	}
	cli_cbs *cbs;
	rc = cli_cbs_setup(idl, o->reply, o->nreply, depth, a, &cbs);
	if (rc != CLI_OK)
		return rc;
	return do_call(o, &x, pd, v, cbs);
}

int cmd_call(int argc, char **argv)
{
	call_opts o = {0};
	char err[2048];
	tether_arena *a;
	int rc = parse_opts(argc, argv, &o);
	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	cli_idl *idl = NULL;
	if (o.idl == NULL) {
		/* No --idl: the server describes its own program. */
		rc = cli_reflect_idl(o.pos[0], &o.net, o.pos[1], &idl);
		if (rc != CLI_OK)
			return rc;
	} else {
		idl = cli_idl_load(o.idl, o.inc, o.ninc, o.def, o.ndef, err,
				   sizeof(err));
	}
	if (idl == NULL) {
		cli_err("call", "%s", err);
		return CLI_EUSAGE;
	}
	if (tether_arena_new(64u << 20, &a) != TETHER_OK) {
		cli_idl_free(idl);
		cli_err("call", "out of memory");
		return CLI_ECALL;
	}
	rc = run(&o, idl, a);
	tether_arena_free(a);
	cli_idl_free(idl);
	return rc;
}
