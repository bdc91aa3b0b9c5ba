/* SPDX-License-Identifier: MIT */
/*
 * fuzz_idl.c - libFuzzer target for tetherc: preprocess, parse and check
 * arbitrary .x text, and generate the C for what compiles, into memory.
 * #include is refused (no file system access), so runs are deterministic.
 */
#include <stddef.h>
#include <stdint.h>

#include "tetherc.h"

static bool no_files(void *ud, const char *path, char **text, size_t *len,
		     tc_pool *pool)
{
	(void)ud, (void)path, (void)text, (void)len, (void)pool;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tc_ctx c;
	tc_buf h = {0}, src = {0};
	tc_init(&c);
	tc_set_reader(&c, no_files, NULL);
	if (tc_parse_text(&c, "fuzz.x", (const char *)data, size) &&
	    tc_check(&c))
		(void)tc_generate(&c, "fuzz", &h, &src);
	tc_buf_free(&h);
	tc_buf_free(&src);
	tc_fini(&c);
	return 0;
}
