/* SPDX-License-Identifier: MIT */
/*
 * lex.c - tetherc's lexer and built-in preprocessor: comments, `%`
 * pass-through lines, #define (object-like), #undef, #include, #if/#ifdef/
 * #ifndef/#elif/#else/#endif with defined(), #error; no external cpp.
 * Columns are 1-based byte offsets in the line.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tetherc.h"

static tc_frame *top(tc_ctx *c)
{
	return c->nframes ? &c->frames[c->nframes - 1] : NULL;
}

static bool active(const tc_ctx *c)
{
	if (c->nconds == 0)
		return true;
	const tc_cond *k = &c->conds[c->nconds - 1];
	return k->parent_active && k->taking;
}

static tc_loc here(const tc_frame *f)
{
	if (f->macro != NULL)
		return f->mloc;
	return (tc_loc){f->file, f->line, f->col};
}

static int peekc(const tc_frame *f, size_t ahead)
{
	size_t i = f->pos + ahead;
	return i < f->len ? (unsigned char)f->text[i] : -1;
}

static void adv(tc_frame *f)
{
	if (f->pos >= f->len)
		return;
	if (f->text[f->pos] == '\n') {
		f->line++;
		f->col = 1;
	} else {
		f->col++;
	}
	f->pos++;
}

bool tc_lex_push_file(tc_ctx *c, const char *path, const char *text, size_t len)
{
	if (c->nfiles >= TC_MAX_INCLUDE_DEPTH || c->nframes >= TC_MAX_FRAMES) {
		tc_error(c, c->nframes ? here(top(c)) : (tc_loc){path, 1, 1},
			 "#include nested too deeply (limit %u)",
			 TC_MAX_INCLUDE_DEPTH);
		return false;
	}
	if (len > TC_MAX_INPUT) {
		tc_error(c, (tc_loc){path, 1, 1}, "input larger than %u bytes",
			 TC_MAX_INPUT);
		return false;
	}
	tc_frame *f = &c->frames[c->nframes++];
	memset(f, 0, sizeof(*f));
	f->text = text;
	f->len = len;
	f->line = f->col = 1;
	f->file = path;
	f->cond_base = c->nconds;
	f->bol = true;
	c->nfiles++;
	return true;
}

static bool count_expansion(tc_ctx *c, tc_loc loc)
{
	if (++c->expansions <= TC_MAX_EXPANSIONS)
		return true;
	tc_error(c, loc, "too many macro expansions (limit %u)",
		 TC_MAX_EXPANSIONS);
	return false;
}

static bool push_macro(tc_ctx *c, tc_macro *m, tc_loc loc)
{
	if (!count_expansion(c, loc))
		return false;
	if (c->nframes >= TC_MAX_FRAMES) {
		tc_error(c, loc, "macro expansion nested too deeply");
		return false;
	}
	tc_frame *f = &c->frames[c->nframes++];
	memset(f, 0, sizeof(*f));
	f->text = m->body;
	f->len = m->len;
	f->line = loc.line;
	f->col = loc.col;
	f->file = loc.file;
	f->macro = m;
	f->mloc = loc;
	m->busy = true;
	return true;
}

static void pop_frame(tc_ctx *c)
{
	tc_frame *f = top(c);
	if (f->macro != NULL) {
		f->macro->busy = false;
	} else {
		if (c->nconds > f->cond_base) {
			tc_error(c, c->conds[c->nconds - 1].loc,
				 "unterminated conditional directive");
			c->nconds = f->cond_base;
		}
		c->nfiles--;
		c->eof_loc = (tc_loc){f->file, f->line, f->col};
	}
	c->nframes--;
}

static tc_macro *find_macro(tc_ctx *c, const char *name, size_t n)
{
	for (tc_macro *m = c->macros; m != NULL; m = m->next)
		if (strlen(m->name) == n && memcmp(m->name, name, n) == 0)
			return m;
	return NULL;
}

bool tc_define(tc_ctx *c, const char *name, const char *value)
{
	if (value == NULL)
		value = "1";
	tc_macro *m = find_macro(c, name, strlen(name));
	if (m == NULL) {
		m = tc_pool_alloc(&c->pool, sizeof(*m));
		if (m == NULL)
			return false;
		m->name = tc_pool_strndup(&c->pool, name, strlen(name));
		m->next = c->macros;
		c->macros = m;
	}
	m->len = strlen(value);
	m->body = tc_pool_strndup(&c->pool, value, m->len);
	return m->name != NULL && m->body != NULL;
}

static void undef(tc_ctx *c, const char *name, size_t n)
{
	for (tc_macro **pp = &c->macros; *pp != NULL; pp = &(*pp)->next) {
		if (strlen((*pp)->name) == n &&
		    memcmp((*pp)->name, name, n) == 0 && !(*pp)->busy) {
			*pp = (*pp)->next;
			return;
		}
	}
}

/* ---- directive lines ---------------------------------------------------- */

/* Copies the rest of the directive line, comments replaced by a blank and
 * backslash-newlines joined, into pool memory; leaves f at the newline. */
static char *directive_line(tc_ctx *c, tc_frame *f)
{
	tc_buf b = {0};
	while (f->pos < f->len && !c->failed) {
		int ch = peekc(f, 0);
		if (ch == '\n')
			break;
		if (ch == '\\' && peekc(f, 1) == '\n') {
			adv(f);
			adv(f);
			continue;
		}
		if (ch == '/' && peekc(f, 1) == '*') {
			tc_loc at = here(f);
			adv(f);
			adv(f);
			while (f->pos < f->len &&
			       !(peekc(f, 0) == '*' && peekc(f, 1) == '/'))
				adv(f);
			if (f->pos >= f->len) {
				tc_error(c, at, "unterminated comment");
				break;
			}
			adv(f);
			adv(f);
			tc_buf_put(&b, " ", 1);
			continue;
		}
		if (ch == '/' && peekc(f, 1) == '/') {
			while (f->pos < f->len && peekc(f, 0) != '\n')
				adv(f);
			break;
		}
		char ch8 = (char)ch;
		tc_buf_put(&b, &ch8, 1);
		adv(f);
	}
	char *r = tc_pool_strndup(&c->pool, b.s ? b.s : "", b.len);
	if (b.failed)
		c->pool.failed = true;
	tc_buf_free(&b);
	return r;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' ||
	       *p == '\v')
		p++;
	return p;
}

static bool ident_start(int ch)
{
	return isalpha(ch) || ch == '_';
}

static bool ident_char(int ch)
{
	return isalnum(ch) || ch == '_';
}

static size_t ident_len(const char *p)
{
	size_t n = 0;
	if (!ident_start((unsigned char)p[0]))
		return 0;
	while (ident_char((unsigned char)p[n]))
		n++;
	return n;
}

/* ---- #if expressions ---------------------------------------------------- */

typedef struct pp_expr {
	tc_ctx *c;
	const char *p;
	tc_loc loc;
	unsigned depth;
	tc_ident_fn ident;
} pp_expr;

static int64_t pp_cond(pp_expr *x);

static bool pp_bad(pp_expr *x, const char *what)
{
	tc_error(x->c, x->loc, "invalid #if expression: %s", what);
	return false;
}

static bool pp_accept(pp_expr *x, const char *op)
{
	x->p = skip_blank(x->p);
	size_t n = strlen(op);
	if (strncmp(x->p, op, n) != 0)
		return false;
	/* "<" must not match "<=", "!" not "!=", "=" never alone. */
	if (n == 1 && (op[0] == '<' || op[0] == '>' || op[0] == '!') &&
	    x->p[1] == '=')
		return false;
	if (n == 1 && (op[0] == '&' || op[0] == '|') && x->p[1] == op[0])
		return false;
	x->p += n;
	return true;
}

static int64_t pp_number(pp_expr *x)
{
	const char *p = x->p;
	uint64_t v = 0;
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0') {
		base = 8;
	}
	for (; isxdigit((unsigned char)*p); p++) {
		unsigned d =
		    isdigit((unsigned char)*p)
			? (unsigned)(*p - '0')
			: (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		if (d >= base) {
			pp_bad(x, "bad digit in number");
			return 0;
		}
		v = v * base + d;
	}
	while (*p == 'u' || *p == 'U' || *p == 'l' || *p == 'L')
		p++;
	if (ident_char((unsigned char)*p))
		pp_bad(x, "bad number");
	x->p = p;
	return (int64_t)v;
}

static int64_t pp_macro_value(pp_expr *x, tc_macro *m)
{
	if (m->busy)
		return 0; /* as cpp: a macro does not expand inside itself */
	if (x->depth > TC_MAX_MACRO_DEPTH) {
		pp_bad(x, "macros nested too deeply");
		return 0;
	}
	if (!count_expansion(x->c, x->loc))
		return 0;
	pp_expr sub = {x->c, m->body, x->loc, x->depth + 1, NULL};
	m->busy = true;
	int64_t v = pp_cond(&sub);
	m->busy = false;
	if (*skip_blank(sub.p) != '\0')
		pp_bad(x, "macro does not expand to a number");
	return v;
}

static int64_t pp_primary(pp_expr *x)
{
	x->p = skip_blank(x->p);
	if (x->c->failed)
		return 0;
	if (++x->depth > TC_MAX_DEPTH) {
		pp_bad(x, "nested too deeply");
		return 0;
	}
	int64_t v = 0;
	if (pp_accept(x, "(")) {
		v = pp_cond(x);
		if (!pp_accept(x, ")"))
			pp_bad(x, "expected ')'");
	} else if (pp_accept(x, "!")) {
		v = !pp_primary(x);
	} else if (pp_accept(x, "-")) {
		v = (int64_t)(0 - (uint64_t)pp_primary(x));
	} else if (pp_accept(x, "+")) {
		v = pp_primary(x);
	} else if (pp_accept(x, "~")) {
		v = ~pp_primary(x);
	} else if (isdigit((unsigned char)*x->p)) {
		v = pp_number(x);
	} else if (ident_len(x->p) > 0) {
		size_t n = ident_len(x->p);
		const char *id = x->p;
		x->p += n;
		if (n == 7 && memcmp(id, "defined", 7) == 0) {
			bool paren = pp_accept(x, "(");
			x->p = skip_blank(x->p);
			size_t m = ident_len(x->p);
			if (m == 0) {
				pp_bad(x, "expected a name after 'defined'");
				return 0;
			}
			v = find_macro(x->c, x->p, m) != NULL;
			x->p += m;
			if (paren && !pp_accept(x, ")"))
				pp_bad(x, "expected ')'");
		} else if (x->ident != NULL) {
			if (!x->ident(x->c, id, n, x->loc, x->depth, &v))
				v = 0;
		} else {
			tc_macro *m = find_macro(x->c, id, n);
			v = m ? pp_macro_value(x, m) : 0;
		}
	} else {
		pp_bad(x, *x->p ? "unexpected character" : "missing operand");
	}
	x->depth--;
	return v;
}

static int64_t pp_mul(pp_expr *x)
{
	int64_t v = pp_primary(x);
	for (;;) {
		if (pp_accept(x, "*")) {
			v = (int64_t)((uint64_t)v * (uint64_t)pp_primary(x));
		} else if (pp_accept(x, "/") || pp_accept(x, "%")) {
			bool div = x->p[-1] == '/';
			int64_t r = pp_primary(x);
			if (r == 0 || (r == -1 && v == INT64_MIN)) {
				pp_bad(x, "division by zero or overflow");
				return 0;
			}
			v = div ? v / r : v % r;
		} else {
			return v;
		}
	}
}

static int64_t pp_add(pp_expr *x)
{
	int64_t v = pp_mul(x);
	for (;;) {
		if (pp_accept(x, "+"))
			v = (int64_t)((uint64_t)v + (uint64_t)pp_mul(x));
		else if (pp_accept(x, "-"))
			v = (int64_t)((uint64_t)v - (uint64_t)pp_mul(x));
		else
			return v;
	}
}

static int64_t pp_rel(pp_expr *x)
{
	int64_t v = pp_add(x);
	for (;;) {
		if (pp_accept(x, "<="))
			v = v <= pp_add(x);
		else if (pp_accept(x, ">="))
			v = v >= pp_add(x);
		else if (pp_accept(x, "<"))
			v = v < pp_add(x);
		else if (pp_accept(x, ">"))
			v = v > pp_add(x);
		else
			return v;
	}
}

static int64_t pp_eq(pp_expr *x)
{
	int64_t v = pp_rel(x);
	for (;;) {
		if (pp_accept(x, "=="))
			v = v == pp_rel(x);
		else if (pp_accept(x, "!="))
			v = v != pp_rel(x);
		else
			return v;
	}
}

static int64_t pp_bits(pp_expr *x)
{
	int64_t v = pp_eq(x);
	for (;;) {
		if (pp_accept(x, "&"))
			v &= pp_eq(x);
		else if (pp_accept(x, "^"))
			v ^= pp_eq(x);
		else if (pp_accept(x, "|"))
			v |= pp_eq(x);
		else
			return v;
	}
}

static int64_t pp_and(pp_expr *x)
{
	int64_t v = pp_bits(x);
	while (pp_accept(x, "&&")) {
		int64_t r = pp_bits(x);
		v = v && r;
	}
	return v;
}

static int64_t pp_cond(pp_expr *x)
{
	int64_t v = pp_and(x);
	while (pp_accept(x, "||")) {
		int64_t r = pp_and(x);
		v = v || r;
	}
	return v;
}

bool tc_eval(tc_ctx *c, const char *text, tc_loc loc, unsigned depth,
	     tc_ident_fn ident, int64_t *out)
{
	pp_expr x = {c, text, loc, depth, ident};
	if (*skip_blank(text) == '\0')
		return pp_bad(&x, "missing expression");
	*out = pp_cond(&x);
	if (!c->failed && *skip_blank(x.p) != '\0')
		pp_bad(&x, "unexpected text after the expression");
	return !c->failed;
}

static bool pp_eval(tc_ctx *c, const char *line, tc_loc loc)
{
	pp_expr x = {c, line, loc, 0, NULL};
	if (*skip_blank(line) == '\0') {
		pp_bad(&x, "missing expression");
		return false;
	}
	int64_t v = pp_cond(&x);
	if (!c->failed && *skip_blank(x.p) != '\0')
		pp_bad(&x, "unexpected text after the expression");
	return v != 0;
}

/* ---- conditionals -------------------------------------------------------- */

static void cond_push(tc_ctx *c, tc_loc loc, bool taking)
{
	if (c->nconds >= TC_MAX_CONDS) {
		tc_error(c, loc, "#if nested too deeply (limit %u)",
			 TC_MAX_CONDS);
		return;
	}
	bool parent = active(c);
	c->conds[c->nconds++] =
	    (tc_cond){parent, parent && taking, parent && taking, false, loc};
}

static tc_cond *cond_top(tc_ctx *c, tc_frame *f, tc_loc loc, const char *dir)
{
	if (c->nconds <= f->cond_base) {
		tc_error(c, loc, "#%s without #if", dir);
		return NULL;
	}
	return &c->conds[c->nconds - 1];
}

static void do_elif(tc_ctx *c, tc_frame *f, tc_loc loc, const char *rest)
{
	tc_cond *k = cond_top(c, f, loc, "elif");
	if (k == NULL)
		return;
	if (k->seen_else) {
		tc_error(c, loc, "#elif after #else");
		return;
	}
	if (!k->parent_active || k->any_taken) {
		k->taking = false;
		return;
	}
	k->taking = pp_eval(c, rest, loc);
	k->any_taken = k->taking;
}

static void do_else(tc_ctx *c, tc_frame *f, tc_loc loc)
{
	tc_cond *k = cond_top(c, f, loc, "else");
	if (k == NULL)
		return;
	if (k->seen_else) {
		tc_error(c, loc, "#else after #else");
		return;
	}
	k->seen_else = true;
	k->taking = k->parent_active && !k->any_taken;
	k->any_taken = true;
}

/* ---- #include ------------------------------------------------------------ */

static const char *join_path(tc_ctx *c, const char *dir, size_t dlen,
			     const char *name)
{
	tc_buf b = {0};
	if (dlen > 0) {
		tc_buf_put(&b, dir, dlen);
		tc_buf_puts(&b, "/");
	}
	tc_buf_puts(&b, name);
	const char *r = tc_buf_take(&c->pool, &b);
	return r;
}

static bool try_open(tc_ctx *c, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	if (path == NULL || !c->read(c->read_ud, path, &text, &len, &c->pool))
		return false;
	tc_note_file(c, path);
	return tc_lex_push_file(c, path, text, len);
}

static void do_include(tc_ctx *c, tc_frame *f, tc_loc loc, const char *rest)
{
	const char *p = skip_blank(rest);
	char close = *p == '"' ? '"' : *p == '<' ? '>' : 0;
	const char *end = close ? strchr(p + 1, close) : NULL;
	if (end == NULL || end == p + 1 || *skip_blank(end + 1) != '\0') {
		tc_error(c, loc, "expected \"FILE\" or <FILE> after #include");
		return;
	}
	const char *name =
	    tc_pool_strndup(&c->pool, p + 1, (size_t)(end - p - 1));
	if (name == NULL)
		return;
	if (close == '"' && name[0] != '/') {
		const char *slash = strrchr(f->file, '/');
		size_t dlen = slash ? (size_t)(slash - f->file) : 0;
		if (try_open(c, join_path(c, f->file, dlen, name)) || c->failed)
			return;
	} else if (name[0] == '/') {
		if (try_open(c, name) || c->failed)
			return;
	}
	for (size_t i = 0; i < c->nincdirs && name[0] != '/'; i++) {
		const char *d = c->incdirs[i];
		if (try_open(c, join_path(c, d, strlen(d), name)) || c->failed)
			return;
	}
	tc_error(c, loc, "cannot open include file '%s'", name);
}

/* ---- directive dispatch -------------------------------------------------- */

static void do_ifdef(tc_ctx *c, tc_loc loc, const char *name, const char *rest)
{
	size_t m = ident_len(rest);
	if ((m == 0 || *skip_blank(rest + m) != '\0') && active(c)) {
		tc_error(c, loc, "expected a name after #%s", name);
		return;
	}
	bool def = m > 0 && find_macro(c, rest, m) != NULL;
	cond_push(c, loc, name[2] == 'd' ? def : !def);
}

static void do_define(tc_ctx *c, tc_loc loc, const char *rest)
{
	size_t m = ident_len(rest);
	if (m == 0) {
		tc_error(c, loc, "expected a name after #define");
		return;
	}
	if (rest[m] == '(') {
		tc_error(c, loc, "function-like macros are not supported");
		return;
	}
	char *mname = tc_pool_strndup(&c->pool, rest, m);
	if (mname != NULL)
		tc_define(c, mname, skip_blank(rest + m));
}

/* Directives that only matter in an active group. */
static void active_directive(tc_ctx *c, tc_frame *f, tc_loc loc, const char *p,
			     size_t n, const char *rest)
{
	char name[16] = "";
	if (n < sizeof(name))
		memcpy(name, p, n);
	if (strcmp(name, "define") == 0) {
		do_define(c, loc, rest);
	} else if (strcmp(name, "undef") == 0) {
		if (ident_len(rest) == 0)
			tc_error(c, loc, "expected a name after #undef");
		else
			undef(c, rest, ident_len(rest));
	} else if (strcmp(name, "include") == 0) {
		do_include(c, f, loc, rest);
	} else if (strcmp(name, "error") == 0) {
		tc_error(c, loc, "#error %s", rest);
	} else if (n == 0 && (isdigit((unsigned char)*p) || *p == '\0')) {
		return; /* line marker "# 12 "file"" or null directive */
	} else if (strcmp(name, "pragma") != 0 && strcmp(name, "ident") != 0 &&
		   strcmp(name, "line") != 0 && strcmp(name, "warning") != 0) {
		tc_error(c, loc, "unknown preprocessor directive '#%.*s'",
			 (int)(n ? n : 1), n ? p : "?");
	}
}

static void directive(tc_ctx *c, tc_frame *f)
{
	tc_loc loc = here(f);
	adv(f); /* '#' */
	char *line = directive_line(c, f);
	if (line == NULL || c->failed)
		return;
	const char *p = skip_blank(line);
	size_t n = ident_len(p);
	char name[16] = "";
	if (n < sizeof(name))
		memcpy(name, p, n);
	const char *rest = skip_blank(p + n);

	if (strcmp(name, "if") == 0)
		cond_push(c, loc, active(c) && pp_eval(c, rest, loc));
	else if (strcmp(name, "ifdef") == 0 || strcmp(name, "ifndef") == 0)
		do_ifdef(c, loc, name, rest);
	else if (strcmp(name, "elif") == 0)
		do_elif(c, f, loc, rest);
	else if (strcmp(name, "else") == 0)
		do_else(c, f, loc);
	else if (strcmp(name, "endif") == 0 &&
		 cond_top(c, f, loc, "endif") != NULL)
		c->nconds--;
	else if (strcmp(name, "endif") != 0 && active(c))
		active_directive(c, f, loc, p, n, rest);
}

/* ---- tokens ---------------------------------------------------------------
 */

static void passthru(tc_ctx *c, tc_frame *f)
{
	adv(f); /* '%' */
	size_t start = f->pos;
	while (f->pos < f->len && peekc(f, 0) != '\n')
		adv(f);
	if (c->importing)
		return;
	tc_passthru *pt = tc_pool_alloc(&c->pool, sizeof(*pt));
	if (pt == NULL)
		return;
	size_t n = f->pos - start;
	if (n > 0 && f->text[start + n - 1] == '\r')
		n--;
	pt->text = tc_pool_strndup(&c->pool, f->text + start, n);
	pt->before = c->ndefs;
	*c->pt_tail = pt;
	c->pt_tail = &pt->next;
}

static bool skip_comment(tc_ctx *c, tc_frame *f)
{
	if (peekc(f, 0) != '/')
		return false;
	if (peekc(f, 1) == '/') {
		while (f->pos < f->len && peekc(f, 0) != '\n')
			adv(f);
		return true;
	}
	if (peekc(f, 1) != '*')
		return false;
	tc_loc at = here(f);
	adv(f);
	adv(f);
	while (f->pos < f->len && !(peekc(f, 0) == '*' && peekc(f, 1) == '/'))
		adv(f);
	if (f->pos >= f->len) {
		tc_error(c, at, "unterminated comment");
		return true;
	}
	adv(f);
	adv(f);
	return true;
}

static tc_tok word(tc_ctx *c, tc_frame *f, tc_tokkind kind)
{
	tc_tok t = {kind, NULL, 0, here(f)};
	size_t start = f->pos;
	while (f->pos < f->len && ident_char(peekc(f, 0)))
		adv(f);
	if (f->pos - start > TC_MAX_NAME) {
		tc_error(c, t.loc, "name or number longer than %u characters",
			 TC_MAX_NAME);
		t.kind = TK_EOF;
		return t;
	}
	t.s = tc_pool_strndup(&c->pool, f->text + start, f->pos - start);
	if (t.s == NULL)
		t.kind = TK_EOF;
	return t;
}

/* rpcgen's string constants: const NAME = "text"; kept as written. */
static bool string_tok(tc_ctx *c, tc_frame *f, tc_tok *out)
{
	tc_loc at = here(f);
	size_t start = f->pos;
	adv(f);
	while (f->pos < f->len && peekc(f, 0) != '"' && peekc(f, 0) != '\n') {
		int ch = peekc(f, 0);
		/* The text goes into a C string literal as written. */
		if (ch < 0x20 || ch == 0x7f ||
		    (ch == '\\' &&
		     (f->pos + 1 >= f->len ||
		      !strchr("\\\"'ntrabfv?01234567x", peekc(f, 1)) ||
		      peekc(f, 1) == 0))) {
			tc_error(c, here(f),
				 "invalid character or escape in string");
			return false;
		}
		if (ch == '\\')
			adv(f);
		adv(f);
	}
	if (peekc(f, 0) != '"') {
		tc_error(c, at, "unterminated string");
		return false;
	}
	adv(f);
	*out = (tc_tok){TK_STRING, NULL, 0, at};
	out->s = tc_pool_strndup(&c->pool, f->text + start, f->pos - start);
	return out->s != NULL;
}

static tc_tok eof_tok(tc_ctx *c)
{
	tc_tok t = {TK_EOF, NULL, 0, c->eof_loc};
	return t;
}

/* One step of the lexer: returns true with *out set when a token is
 * ready, false to go round again. */
static bool lex_step(tc_ctx *c, tc_frame *f, tc_tok *out)
{
	int ch = peekc(f, 0);
	if (ch == '\n') {
		adv(f);
		f->bol = true;
		return false;
	}
	if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
		adv(f);
		return false;
	}
	if (skip_comment(c, f))
		return false;
	if (f->macro == NULL && f->bol && ch == '#') {
		directive(c, f);
		return false;
	}
	if (!active(c)) {
		f->bol =
		    false; /* "%#endif" in a skipped group is no directive */
		adv(f);
		return false;
	}
	if (f->macro == NULL && f->bol && ch == '%') {
		passthru(c, f);
		return false;
	}
	f->bol = false;
	if (ident_start(ch)) {
		tc_loc loc = here(f);
		tc_tok t = word(c, f, TK_IDENT);
		tc_macro *m = t.s ? find_macro(c, t.s, strlen(t.s)) : NULL;
		if (m != NULL && !m->busy) {
			push_macro(c, m, loc);
			return false;
		}
		*out = t;
		return true;
	}
	if (isdigit(ch)) {
		*out = word(c, f, TK_NUM);
		return true;
	}
	if (ch == '"')
		return string_tok(c, f, out);
	if (ch > 0 && strchr("{}()[]<>;,=*:-", ch) != NULL) {
		*out = (tc_tok){TK_PUNCT, NULL, (char)ch, here(f)};
		adv(f);
		return true;
	}
	if (isprint(ch))
		tc_error(c, here(f), "unexpected character '%c'", ch);
	else
		tc_error(c, here(f), "unexpected byte 0x%02x", (unsigned)ch);
	return false;
}

tc_tok tc_lex_next(tc_ctx *c)
{
	tc_tok t;
	while (!c->failed && !c->pool.failed) {
		tc_frame *f = top(c);
		if (f == NULL)
			break;
		if (f->pos >= f->len) {
			pop_frame(c);
			continue;
		}
		if (lex_step(c, f, &t))
			return t;
	}
	if (c->pool.failed && !c->failed)
		tc_error(c, (tc_loc){c->main_file, 0, 0}, "out of memory");
	return eof_tok(c);
}

void tc_describe_tok(const tc_tok *t, char *out, size_t n)
{
	switch (t->kind) {
	case TK_EOF:
		snprintf(out, n, "end of file");
		break;
	case TK_IDENT:
		snprintf(out, n, "'%.64s'", t->s);
		break;
	case TK_NUM:
		snprintf(out, n, "number '%.64s'", t->s);
		break;
	case TK_STRING:
		snprintf(out, n, "string %.64s", t->s);
		break;
	case TK_PUNCT:
		snprintf(out, n, "'%c'", t->c);
		break;
	}
}
