/* SPDX-License-Identifier: MIT */
/*
 * diff_rpcgen.c - the rpcgen side of the differential test: decodes bytes
 * with rpcgen's xdr_<type> (found with dlsym in the test executable, which
 * links rpcgen -c output and libtirpc) and encodes the value again.
 * Compiled without tether headers: the two sides share only bytes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <rpc/rpc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_side.h"

/* rpcgen's C objects are at most a few KiB; the buffer is generous. */
#define RP_OBJ_SIZE (1u << 20)

int rp_have(const char *type)
{
	char sym[256];
	snprintf(sym, sizeof(sym), "xdr_%s", type);
	return dlsym(RTLD_DEFAULT, sym) != NULL;
}

int rp_roundtrip(const char *type, const uint8_t *in, size_t n, uint8_t *out,
		 size_t cap, size_t *outn)
{
	char sym[256];
	snprintf(sym, sizeof(sym), "xdr_%s", type);
	void *addr = dlsym(RTLD_DEFAULT, sym);
	xdrproc_t proc;
	if (addr == NULL)
		return -1;
	/* ISO C has no object-to-function pointer cast; POSIX makes this work.
	 */
	memcpy(&proc, &addr, sizeof(proc));
	void *obj = calloc(1, RP_OBJ_SIZE);
	if (obj == NULL)
		return -1;
	XDR x;
	xdrmem_create(&x, (char *)(uintptr_t)in, (u_int)n, XDR_DECODE);
	int ok = proc(&x, obj, 0) && xdr_getpos(&x) == n;
	xdr_destroy(&x);
	if (ok) {
		xdrmem_create(&x, (char *)out, (u_int)cap, XDR_ENCODE);
		ok = proc(&x, obj, 0);
		*outn = xdr_getpos(&x);
		xdr_destroy(&x);
	}
	xdr_free(proc, obj);
	free(obj);
	return ok ? 0 : -2;
}
