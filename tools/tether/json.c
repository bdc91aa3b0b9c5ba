/* SPDX-License-Identifier: MIT */
/*
 * json.c - strict, bounded JSON (RFC 8259) parser and writer of the tether
 * CLI. Parsing allocates only from a tether_arena; recursion is bounded by
 * the depth limit; errors say line:column and what was expected.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "common/tt.h"

/* ---- parser state and errors ------------------------------------------- */

typedef struct ps {
	const char *start, *p, *end;
	tether_arena *a;
	unsigned depth, max_depth;
	tj_error *err;
} ps;

static void where(const char *start, const char *pos, tj_error *err)
{
	err->line = 1;
	const char *ls = start;
	for (const char *q = start; q < pos; q++)
		if (*q == '\n')
			err->line++, ls = q + 1;
	err->col = (uint32_t)(pos - ls) + 1;
}

__attribute__((format(printf, 4, 5))) static tether_status
fail(ps *s, const char *pos, tether_status st, const char *fmt, ...)
{
	if (s->err == NULL)
		return st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err->msg, sizeof(s->err->msg), fmt, ap);
	va_end(ap);
	where(s->start, pos, s->err);
	return st;
}

static tether_status nomem(ps *s)
{
	tether_status st = tether_arena_error(s->a);
	return fail(s, s->p, st == TETHER_OK ? TETHER_E_NOMEM : st,
		    "out of memory for the parsed value (%s)",
		    tether_strerror(st));
}

static void skip_ws(ps *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static const char *describe_here(const ps *s, char *buf, size_t n)
{
	unsigned char c;
	if (s->p >= s->end)
		return "end of input";
	c = (unsigned char)*s->p;
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

static tether_status expected(ps *s, const char *what)
{
	char b[16];
	return fail(s, s->p, TETHER_E_INVAL, "expected %s, found %s", what,
		    describe_here(s, b, sizeof(b)));
}

/* ---- values ---------------------------------------------------------------
 */

tj_value *tj_new(tether_arena *a, tj_kind k)
{
	tj_value *v = tether_arena_alloc(a, sizeof(*v));
	if (v != NULL)
		v->kind = k;
	return v;
}

tj_value *tj_new_int(tether_arena *a, bool neg, uint64_t mag)
{
	tj_value *v = tj_new(a, TJ_INT);
	if (v != NULL)
		v->u.i.neg = neg && mag != 0, v->u.i.mag = mag;
	return v;
}

tj_value *tj_new_double(tether_arena *a, double d, bool single)
{
	tj_value *v = tj_new(a, TJ_DOUBLE);
	if (v != NULL)
		v->u.d = d, v->single = single;
	return v;
}

tj_value *tj_new_string(tether_arena *a, const char *s, size_t len)
{
	tj_value *v = tj_new(a, TJ_STRING);
	if (v == NULL || len == SIZE_MAX)
		return NULL;
	v->u.str.s = tether_arena_alloc(a, len + 1);
	if (v->u.str.s == NULL)
		return NULL;
	if (len)
		memcpy(v->u.str.s, s, len);
	v->u.str.len = len;
	return v;
}

tj_value *tj_new_array(tether_arena *a, size_t n)
{
	tj_value *v = tj_new(a, TJ_ARRAY);
	if (v == NULL || n > SIZE_MAX / sizeof(tj_value *))
		return NULL;
	v->u.arr.items = tether_arena_alloc(a, n * sizeof(tj_value *));
	v->u.arr.n = n;
	return v->u.arr.items == NULL ? NULL : v;
}

tj_value *tj_new_object(tether_arena *a, size_t n)
{
	tj_value *v = tj_new(a, TJ_OBJECT);
	if (v == NULL || n > SIZE_MAX / sizeof(tj_member))
		return NULL;
	v->u.obj.m = tether_arena_alloc(a, n * sizeof(tj_member));
	v->u.obj.n = n;
	return v->u.obj.m == NULL ? NULL : v;
}

/* ---- literals and numbers ------------------------------------------------ */

static tether_status parse_word(ps *s, tj_value **out)
{
	static const struct {
		const char *w;
		tj_kind k;
		bool b;
	} words[] = {{"null", TJ_NULL, false},
		     {"true", TJ_BOOL, true},
		     {"false", TJ_BOOL, false}};
	for (size_t i = 0; i < TT_ARRAY_LEN(words); i++) {
		size_t n = strlen(words[i].w);
		if ((size_t)(s->end - s->p) >= n &&
		    !memcmp(s->p, words[i].w, n)) {
			if ((*out = tj_new(s->a, words[i].k)) == NULL)
				return nomem(s);
			(*out)->u.b = words[i].b;
			s->p += n;
			return TETHER_OK;
		}
	}
	return expected(s, "a value");
}

static bool is_digit(const ps *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* Scans the RFC 8259 §6 number grammar; *integral when there is neither a
 * fraction nor an exponent. */
static tether_status scan_number(ps *s, bool *integral)
{
	*integral = true;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (!is_digit(s))
		return expected(s, "a digit");
	if (*s->p++ != '0')
		while (is_digit(s))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++, *integral = false;
		if (!is_digit(s))
			return expected(s, "a digit after '.'");
		while (is_digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++, *integral = false;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!is_digit(s))
			return expected(s, "a digit in the exponent");
		while (is_digit(s))
			s->p++;
	}
	return TETHER_OK;
}

static tether_status number_int(ps *s, const char *b, tj_value **out)
{
	bool neg = *b == '-';
	uint64_t mag = 0;
	for (const char *q = b + neg; q < s->p; q++) {
		unsigned d = (unsigned)(*q - '0');
		if (mag > (UINT64_MAX - d) / 10)
			return fail(s, b, TETHER_E_INVAL,
				    "integer out of the 64-bit range");
		mag = mag * 10 + d;
	}
	if (neg && mag > (uint64_t)INT64_MAX + 1)
		return fail(s, b, TETHER_E_INVAL,
			    "integer below the 64-bit range");
	if ((*out = tj_new_int(s->a, neg, mag)) == NULL)
		return nomem(s);
	return TETHER_OK;
}

static tether_status number_double(ps *s, const char *b, tj_value **out)
{
	char tmp[512];
	size_t n = (size_t)(s->p - b);
	if (n >= sizeof(tmp))
		return fail(s, b, TETHER_E_INVAL,
			    "number longer than %zu characters",
			    sizeof(tmp) - 1);
	memcpy(tmp, b, n);
	tmp[n] = '\0';
	errno = 0;
	double d = strtod(tmp, NULL);
	if (!isfinite(d))
		return fail(s, b, TETHER_E_INVAL,
			    "number out of the double range");
	if ((*out = tj_new_double(s->a, d, false)) == NULL)
		return nomem(s);
	return TETHER_OK;
}

static tether_status parse_number(ps *s, tj_value **out)
{
	const char *b = s->p;
	bool integral;
	TT_TRY(scan_number(s, &integral));
	return integral ? number_int(s, b, out) : number_double(s, b, out);
}

/* ---- strings ---------------------------------------------------------------
 */

/* Length of the valid UTF-8 sequence at p (RFC 3629 §4), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80,
		hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80,
		hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6),
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f)),
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
						    : 16u;
		if (d == 16)
			return false;
		*v = *v << 4 | d;
	}
	return true;
}

/* RFC 8259 §7: \uXXXX, with UTF-16 surrogate pairs for code points past
 * the BMP; a lone surrogate is refused (it has no UTF-8 form). */
static tether_status unicode_escape(ps *s, uint32_t *cp)
{
	const char *at = s->p - 2;
	if (s->end - s->p < 4 || !hex4(s->p, cp))
		return fail(s, at, TETHER_E_INVAL,
			    "bad \\u escape (need 4 hex digits)");
	s->p += 4;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return fail(s, at, TETHER_E_INVAL,
			    "lone low surrogate in \\u escape");
	if (*cp < 0xd800 || *cp > 0xdbff)
		return TETHER_OK;
	uint32_t lo;
	if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
	    !hex4(s->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return fail(s, at, TETHER_E_INVAL,
			    "high surrogate not followed by a low one");
	s->p += 6;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return TETHER_OK;
}

static tether_status escape(ps *s, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *at = s->p;
	if (++s->p >= s->end)
		return fail(s, at, TETHER_E_INVAL, "unterminated string");
	char c = *s->p++;
	if (c == 'u') {
		uint32_t cp = 0;
		TT_TRY(unicode_escape(s, &cp));
		*n += put_utf8(o + *n, cp);
		return TETHER_OK;
	}
	const char *f = c ? strchr(from, c) : NULL;
	if (f == NULL)
		return fail(s, at, TETHER_E_INVAL, "unknown escape '\\%c'",
			    c >= 0x20 && c < 0x7f ? c : '?');
	o[(*n)++] = to[f - from];
	return TETHER_OK;
}

/* The decoded text is never longer than the raw text: escapes shrink. */
static tether_status parse_string_raw(ps *s, char **out, size_t *len)
{
	const char *q = ++s->p;
	while (q < s->end && *q != '"')
		q += *q == '\\' && q + 1 < s->end ? 2 : 1;
	if (q >= s->end)
		return fail(s, s->p - 1, TETHER_E_INVAL, "unterminated string");
	char *o = tether_arena_alloc(s->a, (size_t)(q - s->p) + 1);
	size_t n = 0;
	if (o == NULL)
		return nomem(s);
	while (*s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c == '\\') {
			TT_TRY(escape(s, o, &n));
			continue;
		}
		if (c < 0x20)
			return fail(
			    s, s->p, TETHER_E_INVAL,
			    "control character 0x%02x in a string (escape it)",
			    c);
		size_t k = utf8_seq((const unsigned char *)s->p,
				    (size_t)(s->end - s->p));
		if (k == 0)
			return fail(s, s->p, TETHER_E_INVAL,
				    "invalid UTF-8 in a string");
		memcpy(o + n, s->p, k);
		n += k, s->p += k;
	}
	s->p++;
	o[n] = '\0';
	*out = o, *len = n;
	return TETHER_OK;
}

static tether_status parse_string(ps *s, tj_value **out)
{
	tj_value *v = tj_new(s->a, TJ_STRING);
	if (v == NULL)
		return nomem(s);
	TT_TRY(parse_string_raw(s, &v->u.str.s, &v->u.str.len));
	*out = v;
	return TETHER_OK;
}

/* ---- arrays and objects -------------------------------------------------- */

typedef struct node {
	tj_member m;
	const char *pos;
	struct node *next;
} node;

static tether_status parse_value(ps *s, tj_value **out);

static tether_status enter(ps *s)
{
	if (++s->depth > s->max_depth)
		return fail(s, s->p, TETHER_E_DEPTH,
			    "nesting deeper than %u levels", s->max_depth);
	s->p++;
	skip_ws(s);
	return TETHER_OK;
}

/* After an item: ',' (more follow) or the closing bracket. */
static tether_status next_item(ps *s, char close, bool *more)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++, *more = true;
		skip_ws(s);
		return TETHER_OK;
	}
	if (s->p < s->end && *s->p == close) {
		s->p++, *more = false;
		return TETHER_OK;
	}
	return expected(s, close == ']' ? "',' or ']'" : "',' or '}'");
}

static tether_status parse_array(ps *s, tj_value **out)
{
	node *head = NULL, **tail = &head;
	size_t n = 0;
	bool more = true;
	TT_TRY(enter(s));
	if (s->p < s->end && *s->p == ']')
		s->p++, more = false;
	while (more) {
		node *nd = tether_arena_alloc(s->a, sizeof(*nd));
		if (nd == NULL)
			return nomem(s);
		TT_TRY(parse_value(s, &nd->m.val));
		*tail = nd, tail = &nd->next, n++;
		TT_TRY(next_item(s, ']', &more));
	}
	s->depth--;
	tj_value *v = tj_new_array(s->a, n);
	if (v == NULL)
		return nomem(s);
	for (size_t i = 0; i < n; i++, head = head->next)
		v->u.arr.items[i] = head->m.val;
	*out = v;
	return TETHER_OK;
}

typedef struct keyref {
	const char *k;
	size_t klen, idx;
	const char *pos;
} keyref;

static int keycmp(const void *x, const void *y)
{
	const keyref *a = x, *b = y;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->k, b->k, n);
	if (c != 0)
		return c;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* RFC 8259 §4 leaves duplicate names to the receiver: tether refuses them
 * (an argument given twice is a mistake). Sorting keeps this O(n log n). */
static tether_status check_dups(ps *s, const node *head, size_t n)
{
	if (n < 2)
		return TETHER_OK;
	keyref *r = tt_calloc(n, sizeof(*r));
	if (r == NULL)
		return fail(s, s->p, TETHER_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++, head = head->next)
		r[i] = (keyref){head->m.key, head->m.klen, i, head->pos};
	qsort(r, n, sizeof(*r), keycmp);
	tether_status st = TETHER_OK;
	for (size_t i = 1; i < n && st == TETHER_OK; i++)
		if (r[i].klen == r[i - 1].klen &&
		    !memcmp(r[i].k, r[i - 1].k, r[i].klen))
			st = fail(s, r[i].pos, TETHER_E_INVAL,
				  "duplicate key \"%.60s\"", r[i].k);
	tt_free(r, n * sizeof(*r));
	return st;
}

static tether_status parse_member(ps *s, node *nd)
{
	if (s->p >= s->end || *s->p != '"')
		return expected(s, "a string key");
	nd->pos = s->p;
	TT_TRY(parse_string_raw(s, (char **)&nd->m.key, &nd->m.klen));
	skip_ws(s);
	if (s->p >= s->end || *s->p != ':')
		return expected(s, "':'");
	s->p++;
	skip_ws(s);
	return parse_value(s, &nd->m.val);
}

static tether_status parse_object(ps *s, tj_value **out)
{
	node *head = NULL, **tail = &head;
	size_t n = 0;
	bool more = true;
	TT_TRY(enter(s));
	if (s->p < s->end && *s->p == '}')
		s->p++, more = false;
	while (more) {
		node *nd = tether_arena_alloc(s->a, sizeof(*nd));
		if (nd == NULL)
			return nomem(s);
		TT_TRY(parse_member(s, nd));
		*tail = nd, tail = &nd->next, n++;
		TT_TRY(next_item(s, '}', &more));
	}
	s->depth--;
	TT_TRY(check_dups(s, head, n));
	tj_value *v = tj_new_object(s->a, n);
	if (v == NULL)
		return nomem(s);
	for (size_t i = 0; i < n; i++, head = head->next)
		v->u.obj.m[i] = head->m;
	*out = v;
	return TETHER_OK;
}

static tether_status parse_value(ps *s, tj_value **out)
{
	if (s->p >= s->end)
		return expected(s, "a value");
	switch (*s->p) {
	case '{':
		return parse_object(s, out);
	case '[':
		return parse_array(s, out);
	case '"':
		return parse_string(s, out);
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return parse_number(s, out);
	default:
		return parse_word(s, out);
	}
}

tether_status tj_parse(const char *text, size_t len, const tj_limits *lim,
		       tether_arena *a, tj_value **out, tj_error *err)
{
	tj_limits def = {TJ_DEFAULT_MAX_BYTES, TJ_DEFAULT_MAX_DEPTH};
	ps s = {text, text, text + len, a, 0, 0, err};
	if (lim == NULL)
		lim = &def;
	s.max_depth = lim->max_depth;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (text == NULL || a == NULL || out == NULL)
		return TETHER_E_INVAL;
	if (len > lim->max_bytes)
		return fail(&s, text, TETHER_E_TOO_LARGE,
			    "input of %zu bytes exceeds the limit of %zu", len,
			    lim->max_bytes);
	skip_ws(&s);
	TT_TRY(parse_value(&s, out));
	skip_ws(&s);
	if (s.p != s.end)
		return expected(&s, "end of input after the value");
	return TETHER_OK;
}

/* ---- queries ------------------------------------------------------------- */

const tj_value *tj_get(const tj_value *obj, const char *key)
{
	size_t n = strlen(key);
	if (obj == NULL || obj->kind != TJ_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->u.obj.n; i++)
		if (obj->u.obj.m[i].klen == n &&
		    !memcmp(obj->u.obj.m[i].key, key, n))
			return obj->u.obj.m[i].val;
	return NULL;
}

const char *tj_kind_name(const tj_value *v)
{
	static const char *const names[] = {
	    [TJ_NULL] = "null",	       [TJ_BOOL] = "a boolean",
	    [TJ_INT] = "an integer",   [TJ_DOUBLE] = "a number",
	    [TJ_STRING] = "a string",  [TJ_ARRAY] = "an array",
	    [TJ_OBJECT] = "an object",
	};
	return v == NULL ? "nothing" : names[v->kind];
}

bool tj_equal(const tj_value *a, const tj_value *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TJ_NULL:
		return true;
	case TJ_BOOL:
		return a->u.b == b->u.b;
	case TJ_INT:
		return a->u.i.neg == b->u.i.neg && a->u.i.mag == b->u.i.mag;
	case TJ_DOUBLE:
		return a->u.d == b->u.d;
	case TJ_STRING:
		return a->u.str.len == b->u.str.len &&
		       !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	case TJ_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!tj_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case TJ_OBJECT:
		if (a->u.obj.n != b->u.obj.n)
			return false;
		for (size_t i = 0; i < a->u.obj.n; i++) {
			const tj_member *x = &a->u.obj.m[i],
					*y = &b->u.obj.m[i];
			if (x->klen != y->klen ||
			    memcmp(x->key, y->key, x->klen) ||
			    !tj_equal(x->val, y->val))
				return false;
		}
		return true;
	}
	return false;
}

/* ---- writer ----------------------------------------------------------------
 */

void tj_buf_init(tj_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void tj_buf_free(tj_buf *b)
{
	if (b->s != NULL)
		tt_free(b->s, b->cap);
	memset(b, 0, sizeof(*b));
}

void tj_buf_put(tj_buf *b, const char *s, size_t n)
{
	if (b->st != TETHER_OK)
		return;
	if (n > b->max - b->len || b->len >= b->max) {
		b->st = TETHER_E_TOO_LARGE;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = tt_realloc(b->s, b->cap, cap);
		if (p == NULL) {
			b->st = TETHER_E_NOMEM;
			return;
		}
		b->s = p, b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void tj_buf_puts(tj_buf *b, const char *s)
{
	tj_buf_put(b, s, strlen(s));
}

void tj_write_string(tj_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	tj_buf_put(b, "\"", 1);
	for (size_t i = 0; i < len;) {
		char e[8];
		size_t k = utf8_seq(p + i, len - i);
		if (k == 0) {
			tj_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
		} else if (p[i] == '"' || p[i] == '\\') {
			e[0] = '\\', e[1] = (char)p[i];
			tj_buf_put(b, e, 2), i++;
		} else if (p[i] < 0x20) {
			const char *sh = p[i] == '\n'	? "\\n"
					 : p[i] == '\t' ? "\\t"
					 : p[i] == '\r' ? "\\r"
							: NULL;
			if (sh == NULL) {
				snprintf(e, sizeof(e), "\\u%04x", p[i]);
				sh = e;
			}
			tj_buf_puts(b, sh), i++;
		} else {
			tj_buf_put(b, s + i, k), i += k;
		}
	}
	tj_buf_put(b, "\"", 1);
}

/* The shortest %g form that reads back to the same value; always with a
 * '.' or an exponent so that it parses back as a non-integer. */
static void write_double(tj_buf *b, double d, bool single)
{
	char t[40];
	if (!isfinite(d)) {
		tj_buf_puts(b, "null");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(t, sizeof(t), "%.*g", prec, d);
		double r = strtod(t, NULL);
		if (single ? (float)r == (float)d : r == d)
			break;
	}
	tj_buf_puts(b, t);
	if (strpbrk(t, ".e") == NULL)
		tj_buf_puts(b, ".0");
}

static void newline(tj_buf *b, unsigned indent, unsigned level)
{
	static const char sp[] = "                                ";
	if (indent == 0)
		return;
	tj_buf_put(b, "\n", 1);
	for (size_t n = (size_t)indent * level; n > 0;) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;
		tj_buf_put(b, sp, k);
		n -= k;
	}
}

static void write_value(tj_buf *b, const tj_value *v, unsigned indent,
			unsigned level);

static void write_array(tj_buf *b, const tj_value *v, unsigned indent,
			unsigned level)
{
	tj_buf_put(b, "[", 1);
	for (size_t i = 0; i < v->u.arr.n; i++) {
		if (i)
			tj_buf_put(b, ",", 1);
		newline(b, indent, level + 1);
		write_value(b, v->u.arr.items[i], indent, level + 1);
	}
	if (v->u.arr.n)
		newline(b, indent, level);
	tj_buf_put(b, "]", 1);
}

static void write_object(tj_buf *b, const tj_value *v, unsigned indent,
			 unsigned level)
{
	tj_buf_put(b, "{", 1);
	for (size_t i = 0; i < v->u.obj.n; i++) {
		if (i)
			tj_buf_put(b, ",", 1);
		newline(b, indent, level + 1);
		tj_write_string(b, v->u.obj.m[i].key, v->u.obj.m[i].klen);
		tj_buf_puts(b, indent ? ": " : ":");
		write_value(b, v->u.obj.m[i].val, indent, level + 1);
	}
	if (v->u.obj.n)
		newline(b, indent, level);
	tj_buf_put(b, "}", 1);
}

static void write_value(tj_buf *b, const tj_value *v, unsigned indent,
			unsigned level)
{
	char t[32];
	switch (v->kind) {
	case TJ_NULL:
		tj_buf_puts(b, "null");
		break;
	case TJ_BOOL:
		tj_buf_puts(b, v->u.b ? "true" : "false");
		break;
	case TJ_INT:
		snprintf(t, sizeof(t), "%s%llu", v->u.i.neg ? "-" : "",
			 (unsigned long long)v->u.i.mag);
		tj_buf_puts(b, t);
		break;
	case TJ_DOUBLE:
		write_double(b, v->u.d, v->single);
		break;
	case TJ_STRING:
		tj_write_string(b, v->u.str.s, v->u.str.len);
		break;
	case TJ_ARRAY:
		write_array(b, v, indent, level);
		break;
	case TJ_OBJECT:
		write_object(b, v, indent, level);
		break;
	}
}

tether_status tj_write(tj_buf *b, const tj_value *v, unsigned indent)
{
	write_value(b, v, indent, 0);
	return b->st;
}
