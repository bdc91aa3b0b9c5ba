/* SPDX-License-Identifier: MIT */
/*
 * util.c - tetherc's memory pool (one free at the end of a compilation),
 * growable text buffers, error reporting and the default file reader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/tt.h"
#include "tetherc.h"

struct tc_chunk {
	tc_chunk *next;
	size_t size;
	/* data follows, aligned for any type */
	max_align_t data[];
};

#define TC_CHUNK 65536u

void *tc_pool_alloc(tc_pool *p, size_t n)
{
	size_t al = sizeof(max_align_t);
	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if (p->head == NULL || p->cap - p->used < n) {
		size_t cap = n > TC_CHUNK ? n : TC_CHUNK;
		size_t total = sizeof(tc_chunk) + cap;
		tc_chunk *ch = tt_alloc(total);
		if (ch == NULL) {
			p->failed = true;
			return NULL;
		}
		ch->next = p->head;
		ch->size = total;
		p->head = ch;
		p->used = 0;
		p->cap = cap;
	}
	void *r = (char *)p->head->data + p->used;
	p->used += n;
	memset(r, 0, n);
	return r;
}

char *tc_pool_strndup(tc_pool *p, const char *s, size_t n)
{
	char *r = tc_pool_alloc(p, n + 1);
	if (r != NULL) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

void tc_pool_free(tc_pool *p)
{
	tc_chunk *ch = p->head;
	while (ch != NULL) {
		tc_chunk *next = ch->next;
		tt_free(ch, ch->size);
		ch = next;
	}
	p->head = NULL;
	p->used = p->cap = 0;
}

static bool buf_grow(tc_buf *b, size_t n)
{
	if (b->failed)
		return false;
	if (b->cap - b->len > n)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *s = tt_realloc(b->s, b->cap, cap);
	if (s == NULL) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void tc_buf_put(tc_buf *b, const char *s, size_t n)
{
	if (!buf_grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void tc_buf_puts(tc_buf *b, const char *s)
{
	tc_buf_put(b, s, strlen(s));
}

static void buf_vprintf(tc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void buf_vprintf(tc_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !buf_grow(b, (size_t)n + 1))
		return;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void tc_buf_printf(tc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void tc_buf_free(tc_buf *b)
{
	tt_free(b->s, b->cap);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* Only the first error is kept: later ones are usually consequences. */
void tc_error(tc_ctx *c, tc_loc loc, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	tc_buf_printf(&c->err, "%s:%u:%u: error: ", loc.file ? loc.file : "?",
		      loc.line, loc.col);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&c->err, fmt, ap);
	va_end(ap);
	tc_buf_puts(&c->err, "\n");
}

char *tc_buf_take(tc_pool *pool, tc_buf *b)
{
	char *r =
	    b->failed ? NULL : tc_pool_strndup(pool, b->s ? b->s : "", b->len);
	if (r == NULL)
		pool->failed = true;
	tc_buf_free(b);
	return r;
}

void tc_note_file(tc_ctx *c, const char *path)
{
	tc_file *f = tc_pool_alloc(&c->pool, sizeof(*f));
	if (f == NULL)
		return;
	f->path = path;
	if (c->files_tail == NULL)
		c->files_tail = &c->files;
	*c->files_tail = f;
	c->files_tail = &f->next;
}

bool tc_ok(tc_ctx *c)
{
	if (c->pool.failed && !c->failed)
		tc_error(c, (tc_loc){c->main_file, 0, 0}, "out of memory");
	return !c->failed;
}

bool tc_read_default(void *ud, const char *path, char **text, size_t *len,
		     tc_pool *pool)
{
	(void)ud;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	char *buf = tc_pool_alloc(pool, TC_MAX_INPUT + 1);
	size_t n = buf ? fread(buf, 1, TC_MAX_INPUT + 1, f) : 0;
	bool ok = buf != NULL && !ferror(f);
	fclose(f);
	if (!ok)
		return false;
	buf[n < TC_MAX_INPUT + 1 ? n : TC_MAX_INPUT] = '\0';
	*text = buf;
	*len = n; /* may be TC_MAX_INPUT + 1: the caller reports "too large" */
	return true;
}

static const char *const c_keywords[] = {
    "auto",	     "break",
    "case",	     "char",
    "const",	     "continue",
    "default",	     "do",
    "double",	     "else",
    "enum",	     "extern",
    "float",	     "for",
    "goto",	     "if",
    "inline",	     "int",
    "long",	     "register",
    "restrict",	     "return",
    "short",	     "signed",
    "sizeof",	     "static",
    "struct",	     "switch",
    "typedef",	     "union",
    "unsigned",	     "void",
    "volatile",	     "while",
    "bool",	     "true",
    "false",	     "_Alignas",
    "_Alignof",	     "_Atomic",
    "_Bool",	     "_Complex",
    "_Generic",	     "_Imaginary",
    "_Noreturn",     "_Static_assert",
    "_Thread_local", "NULL",
};

static const char *const reserved[] = {
    "e",      "d",	     "v",	"st",	"i",	    "n",
    "p",      "x",	     "present", "more", "h",	    "client",
    "server", "conn",	     "ctx",	"done", "ud",	    "fn",
    "arena",  "deadline_ms", "argp",	"resp", "handlers", "o",
};

bool tc_is_reserved(const char *s)
{
	for (size_t i = 0; i < TT_ARRAY_LEN(reserved); i++)
		if (strcmp(s, reserved[i]) == 0)
			return true;
	return strncmp(s, "tether_", 7) == 0 ||
	       strncmp(s, "tetherc_", 8) == 0 || strncmp(s, "TETHER_", 7) == 0;
}

bool tc_is_c_keyword(const char *s)
{
	for (size_t i = 0; i < TT_ARRAY_LEN(c_keywords); i++)
		if (strcmp(s, c_keywords[i]) == 0)
			return true;
	return false;
}
