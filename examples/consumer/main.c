/* SPDX-License-Identifier: MIT */
/*
 * consumer - the smallest program that uses an installed tether: it
 * encodes a few XDR values, decodes them back and checks them. Built by
 * scripts/check-install.sh through both CMake and pkg-config.
 */
#include <stdio.h>
#include <string.h>
#include <tether/tether.h>

int main(void)
{
	uint8_t buf[64];
	tether_enc e;
	tether_enc_init_fixed(&e, buf, sizeof buf);
	if (tether_enc_uint(&e, 0x20000E01u) != TETHER_OK ||
	    tether_enc_string(&e, "tether", 16) != TETHER_OK) {
		fprintf(stderr, "consumer: encode failed\n");
		return 1;
	}

	tether_arena *arena = NULL;
	if (tether_arena_new(1024, &arena) != TETHER_OK) {
		fprintf(stderr, "consumer: no arena\n");
		return 1;
	}
	tether_dec d;
	tether_dec_init(&d, buf, e.len, arena);
	uint32_t prog = 0;
	char *s = NULL;
	tether_status st = tether_dec_uint(&d, &prog);
	if (st == TETHER_OK)
		st = tether_dec_string(&d, &s, 16);
	int ok = st == TETHER_OK && prog == 0x20000E01u && strcmp(s, "tether") == 0;
	printf("tether %s: %zu bytes, round trip %s (%s)\n", tether_version(), e.len,
	       ok ? "ok" : "FAILED", tether_status_name(st));
	tether_arena_free(arena);
	return ok ? 0 : 1;
}
