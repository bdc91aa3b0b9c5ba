/* SPDX-License-Identifier: MIT */
/*
 * test_tetherc_import.c - nis_callback.x compiled with --import nis.x:
 * both outputs link into one program without duplicate symbols, and a
 * cback_data (a list of nis_object pointers, a type of nis.x) round-trips.
 */
#include <stdio.h>
#include <string.h>

#include "nis_callback.h"
#include "weak_runtime.h"

int main(void)
{
	nis_object obj;
	memset(&obj, 0, sizeof(obj));
	obj.zo_name = "name";
	obj.zo_owner = "owner";
	obj.zo_group = "group";
	obj.zo_domain = "domain";
	obj.zo_data.zo_type = NIS_NO_OBJ;
	obj_p entries[2] = {&obj, NULL};
	cback_data cb = {{2, entries}};

	uint8_t buf[512];
	tether_enc e;
	tether_enc_init_fixed(&e, buf, sizeof(buf));
	if (cback_data_encode(&e, &cb) != TETHER_OK) {
		puts("encode failed");
		return 1;
	}
	tether_arena *a;
	if (tether_arena_new(1 << 16, &a) != TETHER_OK)
		return 1;
	tether_dec d;
	cback_data out;
	tether_dec_init(&d, buf, e.len, a);
	tether_status st = cback_data_decode(&d, &out);
	int ok = st == TETHER_OK && d.left == 0 &&
		 out.entries.entries_len == 2 &&
		 out.entries.entries_val[0] != NULL &&
		 strcmp(out.entries.entries_val[0]->zo_domain, "domain") == 0 &&
		 out.entries.entries_val[1] == NULL &&
		 cb_prog_1_desc.nprocs == 3 && nis_callback_idl.ntypes == 2;
	printf("%s: %zu bytes, %s\n", ok ? "ok" : "FAILED", e.len,
	       tether_status_name(st));
	tether_arena_free(a);
	return ok ? 0 : 1;
}
