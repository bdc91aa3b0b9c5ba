/* SPDX-License-Identifier: MIT */
/*
 * main.c - the tetherc command: tetherc [-I DIR] [-D NAME[=VAL]]
 * [--import FILE.x] [--depfile FILE] -o DIR FILE.x writes DIR/FILE.h
 * and DIR/FILE.c.
 */
#include <stdio.h>
#include <string.h>

#include "tetherc.h"

static const char usage[] =
    "usage: tetherc [options] -o DIR FILE.x\n"
    "Compiles an ONC RPC .x file (RFC 4506, RFC 5531, rpcgen dialect) into\n"
    "DIR/FILE.h and DIR/FILE.c for the tether runtime.\n\n"
    "options:\n"
    "  -o DIR            output directory (required)\n"
    "  -I DIR            search DIR for #include files\n"
    "  -D NAME[=VALUE]   define a preprocessor macro\n"
    "  --import FILE.x   use the types and constants of FILE.x without\n"
    "                    generating them (the output includes FILE.h)\n"
    "  --depfile FILE    also write the files read, as a make rule\n"
    "  --version         print the version and exit\n"
    "  -h, --help        print this help and exit\n";

static int write_file(const char *dir, const char *base, const char *ext,
		      const tc_buf *b)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s%s", dir, base, ext);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "tetherc: output path too long\n");
		return 1;
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "tetherc: cannot write %s\n", path);
		return 1;
	}
	size_t w = b->len ? fwrite(b->s, 1, b->len, f) : 0;
	int bad = fclose(f) != 0 || w != b->len;
	if (bad)
		fprintf(stderr, "tetherc: error writing %s\n", path);
	return bad;
}

/* "dir/nfs_prot.x" -> "nfs_prot" */
static void base_name(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');
	const char *s = slash ? slash + 1 : path;
	size_t len = strlen(s);
	if (len > 2 && strcmp(s + len - 2, ".x") == 0)
		len -= 2;
	snprintf(out, n, "%.*s", (int)len, s);
}

static int define(tc_ctx *c, const char *arg)
{
	char name[256];
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n == 0 || n >= sizeof(name)) {
		fprintf(stderr, "tetherc: bad -D %s\n", arg);
		return 1;
	}
	memcpy(name, arg, n);
	name[n] = '\0';
	return tc_define(c, name, eq ? eq + 1 : NULL) ? 0 : 1;
}

typedef struct opts {
	const char *out, *in, *depfile;
	const char *imports[16];
	int nimports;
} opts;

static int parse_args(tc_ctx *c, int argc, char **argv, opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--version") == 0) {
			printf("tetherc %s\n", TC_VERSION);
			return -1;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return -1;
		}
		if ((strcmp(a, "-o") == 0 || strcmp(a, "-I") == 0 ||
		     strcmp(a, "-D") == 0 || strcmp(a, "--import") == 0 ||
		     strcmp(a, "--depfile") == 0) &&
		    next == NULL) {
			fprintf(stderr, "tetherc: %s needs an argument\n%s", a,
				usage);
			return 2;
		}
		if (strcmp(a, "-o") == 0) {
			o->out = argv[++i];
		} else if (strcmp(a, "--depfile") == 0) {
			o->depfile = argv[++i];
		} else if (strcmp(a, "-I") == 0) {
			tc_add_include_dir(c, argv[++i]);
		} else if (strncmp(a, "-I", 2) == 0) {
			tc_add_include_dir(c, a + 2);
		} else if (strcmp(a, "-D") == 0) {
			if (define(c, argv[++i]))
				return 2;
		} else if (strncmp(a, "-D", 2) == 0) {
			if (define(c, a + 2))
				return 2;
		} else if (strcmp(a, "--import") == 0) {
			if (o->nimports == 16) {
				fprintf(stderr, "tetherc: too many --import\n");
				return 2;
			}
			o->imports[o->nimports++] = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "tetherc: unknown option %s\n%s", a,
				usage);
			return 2;
		} else if (o->in == NULL) {
			o->in = a;
		} else {
			fprintf(stderr, "tetherc: one input file only\n");
			return 2;
		}
	}
	if (o->in == NULL || o->out == NULL) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	return 0;
}

/* Escapes what make would read as a separator. */
static void put_dep_path(FILE *f, const char *p)
{
	for (; *p; p++) {
		if (*p == ' ' || *p == '#' || *p == '\\')
			fputc('\\', f);
		if (*p == '$')
			fputc('$', f);
		fputc(*p, f);
	}
}

/* A make rule "DIR/base.c DIR/base.h: every file read", for DEPFILE. */
static int write_depfile(const tc_ctx *c, const opts *o, const char *base)
{
	FILE *f = fopen(o->depfile, "w");
	if (f == NULL) {
		fprintf(stderr, "tetherc: cannot write %s\n", o->depfile);
		return 1;
	}
	put_dep_path(f, o->out);
	fprintf(f, "/%s.c ", base);
	put_dep_path(f, o->out);
	fprintf(f, "/%s.h:", base);
	for (const tc_file *d = c->files; d != NULL; d = d->next) {
		fputs(" \\\n  ", f);
		put_dep_path(f, d->path);
	}
	fputc('\n', f);
	return fclose(f) != 0;
}

static int run(tc_ctx *c, const opts *o)
{
	tc_buf h = {0}, src = {0};
	char base[256];
	base_name(o->in, base, sizeof(base));
	bool ok = true;
	for (int i = 0; i < o->nimports && ok; i++)
		ok = tc_import_file(c, o->imports[i]);
	ok = ok && tc_parse_file(c, o->in) && tc_check(c) &&
	     tc_generate(c, base, &h, &src);
	int rc = 1;
	if (ok)
		rc = write_file(o->out, base, ".h", &h) |
		     write_file(o->out, base, ".c", &src);
	if (ok && rc == 0 && o->depfile != NULL)
		rc = write_depfile(c, o, base);
	if (!ok)
		fputs(c->err.s ? c->err.s : "tetherc: failed\n", stderr);
	tc_buf_free(&h);
	tc_buf_free(&src);
	return rc;
}

int main(int argc, char **argv)
{
	tc_ctx c;
	opts o = {0};
	tc_init(&c);
	int rc = parse_args(&c, argc, argv, &o);
	if (rc == 0)
		rc = run(&c, &o);
	else if (rc < 0)
		rc = 0;
	tc_fini(&c);
	return rc;
}
