/* SPDX-License-Identifier: MIT */
/* policy_text.c - the policy file parser: one rule per line,
 *   allow|deny IDENTITY [prog=P] [vers=V] [proc=Q]   # comment
 * with numbers, '*' or names resolved through descriptor tables. Errors
 * are reported as "NAME:LINE:COL: error: MESSAGE"; the parser reads only
 * text[0..len) and appends nothing unless the whole text is valid
 * (docs/policy.md). */
#include <stdio.h>
#include <string.h>

#include "common/tt.h"
#include "security/security_int.h"

#define LINE_MAX_BYTES 4096u
#define MAX_TOKENS 5 /* verb, identity, prog=, vers=, proc= */
#define FILE_MAX_BYTES (1024u * 1024u)

typedef struct tok {
	const char *p;
	size_t n;
	size_t col; /* 1-based byte column */
} tok;

typedef struct pctx {
	const char *name;
	const tether_idl_desc *const *idls;
	size_t nidls;
	char *err;
	size_t errcap;
	uint32_t line;
} pctx;

static tether_status perr(pctx *c, size_t col, const char *msg)
{
	if (c->err != NULL && c->errcap > 0)
		(void)snprintf(c->err, c->errcap, "%s:%u:%zu: error: %s",
			       c->name, (unsigned)c->line, col, msg);
	return TETHER_E_POLICY_SYNTAX;
}

/* Rejects bytes no policy line may hold. */
static tether_status check_bytes(pctx *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b == 0)
			return perr(c, i + 1, "NUL byte in policy text");
		if ((b < 0x20 && b != '\t') || b == 0x7f)
			return perr(c, i + 1,
				    "control character in policy text");
	}
	return TETHER_OK;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Splits a line into tokens up to a '#' comment. *nt gets the count;
 * more than MAX_TOKENS is an error. */
static tether_status tokenize(pctx *c, const char *s, size_t n, tok *t,
			      size_t *nt)
{
	size_t i = 0;
	*nt = 0;
	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i == n || s[i] == '#')
			return TETHER_OK;
		if (*nt == MAX_TOKENS)
			return perr(c, i + 1, "too many fields on this line");
		size_t start = i;
		while (i < n && !is_space(s[i]))
			i++;
		t[*nt] = (tok){s + start, i - start, start + 1};
		(*nt)++;
	}
}

static bool tok_is(const tok *t, const char *word)
{
	return t->n == strlen(word) && memcmp(t->p, word, t->n) == 0;
}

static bool is_ident_start(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       ch == '_';
}

static bool is_ident(const tok *t)
{
	if (t->n == 0 || !is_ident_start(t->p[0]))
		return false;
	for (size_t i = 1; i < t->n; i++)
		if (!is_ident_start(t->p[i]) &&
		    !(t->p[i] >= '0' && t->p[i] <= '9'))
			return false;
	return true;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decimal or 0x-hex uint32 of exactly t. */
static bool parse_number(const tok *t, uint32_t *v)
{
	uint64_t x = 0;
	bool hex =
	    t->n > 2 && t->p[0] == '0' && (t->p[1] == 'x' || t->p[1] == 'X');
	size_t i = hex ? 2 : 0;
	if (t->n == 0 || t->n - i > (hex ? 8u : 10u))
		return false;
	for (; i < t->n; i++) {
		int d = hex ? hex_digit(t->p[i]) : t->p[i] - '0';
		if (d < 0 || d > (hex ? 15 : 9))
			return false;
		x = x * (hex ? 16u : 10u) + (uint64_t)d;
	}
	if (x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* What a key's value is: '*', a number, or a name to resolve. */
typedef struct val {
	bool given;
	bool is_name;
	uint32_t num;
	tok t;
} val;

static tether_status parse_val(pctx *c, val *v)
{
	if (tok_is(&v->t, "*")) {
		v->num = TETHER_POLICY_ANY;
		return TETHER_OK;
	}
	if (v->t.p[0] >= '0' && v->t.p[0] <= '9') {
		if (!parse_number(&v->t, &v->num))
			return perr(c, v->t.col,
				    "bad number (decimal or 0x hex, at most "
				    "4294967294)");
		if (v->num == TETHER_POLICY_ANY)
			return perr(c, v->t.col,
				    "4294967295 is reserved for '*'");
		return TETHER_OK;
	}
	if (!is_ident(&v->t))
		return perr(c, v->t.col, "expected a number, '*' or a name");
	v->is_name = true;
	return TETHER_OK;
}

static bool name_eq(const char *s, const tok *t)
{
	return s != NULL && strlen(s) == t->n && memcmp(s, t->p, t->n) == 0;
}

/* Program number of a program (or version prog_name) name. */
static bool find_prog(const pctx *c, const tok *t, uint32_t *out)
{
	for (size_t i = 0; i < c->nidls; i++) {
		const tether_idl_desc *d = c->idls[i];
		for (size_t j = 0; d != NULL && j < d->nprograms; j++) {
			const tether_program_desc *pd = d->programs[j];
			if (name_eq(pd->name, t)) {
				*out = pd->prog;
				return true;
			}
			for (size_t k = 0; k < pd->nversions; k++)
				if (name_eq(pd->versions[k]->prog_name, t)) {
					*out = pd->prog;
					return true;
				}
		}
	}
	return false;
}

/* Calls fn on every version of program prog (and version vers unless
 * ANY) known to the descriptor tables. */
typedef void (*ver_fn)(const tether_version_desc *vd, void *ud);

static void each_version(const pctx *c, uint32_t prog, uint32_t vers, ver_fn fn,
			 void *ud)
{
	for (size_t i = 0; i < c->nidls; i++) {
		const tether_idl_desc *d = c->idls[i];
		for (size_t j = 0; d != NULL && j < d->nprograms; j++) {
			const tether_program_desc *pd = d->programs[j];
			if (pd->prog != prog)
				continue;
			for (size_t k = 0; k < pd->nversions; k++)
				if (vers == TETHER_POLICY_ANY ||
				    pd->versions[k]->vers == vers)
					fn(pd->versions[k], ud);
		}
	}
}

typedef struct lookup {
	const tok *t;
	unsigned found; /* 0 none, 1 one number, 2 conflicting numbers */
	uint32_t num;
} lookup;

static void note(lookup *l, uint32_t num)
{
	if (l->found == 0) {
		l->found = 1;
		l->num = num;
	} else if (l->num != num) {
		l->found = 2;
	}
}

static void vers_by_name(const tether_version_desc *vd, void *ud)
{
	lookup *l = ud;
	if (name_eq(vd->name, l->t))
		note(l, vd->vers);
}

static void proc_by_name(const tether_version_desc *vd, void *ud)
{
	lookup *l = ud;
	for (size_t i = 0; i < vd->nprocs; i++)
		if (name_eq(vd->procs[i].name, l->t))
			note(l, vd->procs[i].proc);
}

static tether_status resolve(pctx *c, val *prog, val *vers, val *proc)
{
	if (prog->is_name && !find_prog(c, &prog->t, &prog->num))
		return perr(c, prog->t.col, "unknown program name");
	if (vers->is_name || proc->is_name) {
		val *v = vers->is_name ? vers : proc;
		if (prog->num == TETHER_POLICY_ANY)
			return perr(c, v->t.col,
				    "a version or procedure name needs prog= "
				    "to name one program");
	}
	if (vers->is_name) {
		lookup l = {&vers->t, 0, 0};
		each_version(c, prog->num, TETHER_POLICY_ANY, vers_by_name, &l);
		if (l.found != 1)
			return perr(c, vers->t.col,
				    "unknown version name for this program");
		vers->num = l.num;
	}
	if (proc->is_name) {
		lookup l = {&proc->t, 0, 0};
		each_version(c, prog->num, vers->num, proc_by_name, &l);
		if (l.found == 0)
			return perr(c, proc->t.col,
				    "unknown procedure name for this program "
				    "and version");
		if (l.found == 2)
			return perr(c, proc->t.col,
				    "procedure name has different numbers in "
				    "different versions; give vers=");
		proc->num = l.num;
	}
	return TETHER_OK;
}

/* One key=value token into the right slot. */
static tether_status parse_kv(pctx *c, const tok *t, val vals[3])
{
	static const char *const keys[3] = {"prog", "vers", "proc"};
	const char *eq = memchr(t->p, '=', t->n);
	size_t kl = eq == NULL ? 0 : (size_t)(eq - t->p);
	for (size_t k = 0; eq != NULL && k < 3; k++) {
		if (kl != strlen(keys[k]) || memcmp(t->p, keys[k], kl) != 0)
			continue;
		if (vals[k].given)
			return perr(c, t->col, "key given twice");
		if (kl + 1 == t->n)
			return perr(c, t->col + kl + 1,
				    "missing value after '='");
		vals[k].given = true;
		vals[k].t = (tok){eq + 1, t->n - kl - 1, t->col + kl + 1};
		return parse_val(c, &vals[k]);
	}
	return perr(c, t->col, "expected prog=, vers= or proc=");
}

static tether_status parse_rule(pctx *c, const tok *t, size_t nt,
				tether_policy *p)
{
	val vals[3] = {{0}};
	tt_rule r = {0};
	const char *why;
	size_t at;
	if (!tok_is(&t[0], "allow") && !tok_is(&t[0], "deny"))
		return perr(c, t[0].col, "expected 'allow' or 'deny'");
	if (nt < 2)
		return perr(c, t[0].col + t[0].n, "missing identity");
	for (size_t i = 0; i < 3; i++)
		vals[i].num = TETHER_POLICY_ANY;
	/* Left to right, so the first error on the line is the one shown. */
	tether_status st = tt_matcher_parse(t[1].p, t[1].n, &r.m, &why, &at);
	if (st == TETHER_E_INVAL)
		return perr(c, t[1].col + at, why);
	TT_TRY(st);
	for (size_t i = 2; i < nt && st == TETHER_OK; i++)
		st = parse_kv(c, &t[i], vals);
	if (st == TETHER_OK)
		st = resolve(c, &vals[0], &vals[1], &vals[2]);
	if (st != TETHER_OK) {
		tt_matcher_clear(&r.m);
		return st;
	}
	r.allow = tok_is(&t[0], "allow");
	r.prog = vals[0].num;
	r.vers = vals[1].num;
	r.proc = vals[2].num;
	r.line = c->line;
	st = tt_policy_push(p, &r);
	if (st == TETHER_E_TOO_LARGE)
		(void)perr(c, 1, "too many rules");
	return st;
}

static tether_status parse_line(pctx *c, const char *s, size_t n,
				tether_policy *p)
{
	tok t[MAX_TOKENS];
	size_t nt;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > LINE_MAX_BYTES)
		return perr(c, LINE_MAX_BYTES + 1,
			    "line longer than 4096 bytes");
	TT_TRY(check_bytes(c, s, n));
	TT_TRY(tokenize(c, s, n, t, &nt));
	return nt == 0 ? TETHER_OK : parse_rule(c, t, nt, p);
}

static tether_status parse_all(pctx *c, const char *text, size_t len,
			       tether_policy *p)
{
	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl == NULL ? len - off : (size_t)(nl - (text + off));
		c->line++;
		TT_TRY(parse_line(c, text + off, n, p));
		off += n + (nl != NULL);
	}
	return TETHER_OK;
}

tether_status tether_policy_load_text(tether_policy *p, const char *name,
				      const char *text, size_t len,
				      const tether_idl_desc *const *idls,
				      size_t nidls, char *err, size_t errcap)
{
	pctx c = {name != NULL ? name : "<policy>",
		  idls,
		  idls ? nidls : 0,
		  err,
		  errcap,
		  0};
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	if (p == NULL || (text == NULL && len > 0))
		return TETHER_E_INVAL;
	size_t before = tether_policy_rule_count(p);
	tether_status st = parse_all(&c, text, len, p);
	if (st != TETHER_OK)
		tt_policy_truncate(p, before);
	if (st == TETHER_E_NOMEM)
		(void)perr(&c, 1, "out of memory");
	return st;
}

static tether_status read_file(const char *path, char **buf, size_t *len,
			       size_t *cap)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return TETHER_E_IO;
	*cap = FILE_MAX_BYTES + 1;
	*buf = tt_alloc(*cap);
	if (*buf == NULL) {
		(void)fclose(f);
		return TETHER_E_NOMEM;
	}
	*len = fread(*buf, 1, *cap, f);
	bool bad = ferror(f) != 0;
	(void)fclose(f);
	if (bad)
		return TETHER_E_IO;
	return *len > FILE_MAX_BYTES ? TETHER_E_TOO_LARGE : TETHER_OK;
}

tether_status tether_policy_load_file(tether_policy *p, const char *path,
				      const tether_idl_desc *const *idls,
				      size_t nidls, char *err, size_t errcap)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	if (p == NULL || path == NULL)
		return TETHER_E_INVAL;
	tether_status st = read_file(path, &buf, &len, &cap);
	if (st == TETHER_OK)
		st = tether_policy_load_text(p, path, buf, len, idls, nidls,
					     err, errcap);
	else if (err != NULL && errcap > 0)
		(void)snprintf(err, errcap, "%s: error: %s", path,
			       st == TETHER_E_TOO_LARGE
				   ? "policy file larger than 1 MiB"
				   : "cannot read policy file");
	tt_free(buf, cap);
	return st;
}
