/* SPDX-License-Identifier: MIT */
/*
 * rpc_vector_msgs.h - the messages behind tests/vectors/rpc_msg.hex, as
 * plain numbers (no tether or libtirpc types), and a loader for the .hex
 * format. Shared by the unit test (tether) and the interop test
 * (libtirpc). Must match tests/vectors/gen_rpc_msg.py field for field.
 */
#ifndef RPC_VECTOR_MSGS_H
#define RPC_VECTOR_MSGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AUTH_SYS body of call_auth_sys (RFC 5531 Appendix A). */
#define VEC_SYS_STAMP 0x12345678u
#define VEC_SYS_NAME "tether-host"
#define VEC_SYS_UID 1000u
#define VEC_SYS_GID 1000u
static const uint32_t vec_sys_gids[3] = {1000, 27, 100};

enum { VEC_CALL = 0, VEC_REPLY = 1 };
enum { VEC_BODY_NONE = 0, VEC_BODY_SYS = 1, VEC_BODY_STARTTLS = 2 };

struct vec_msg {
	const char *name;
	uint32_t xid, type;
	/* CALL */
	uint32_t prog, vers, proc;
	uint32_t cred_flavor, cred_body; /* VEC_BODY_* */
	/* REPLY (and the CALL verifier: always AUTH_NONE, empty) */
	uint32_t verf_body; /* VEC_BODY_NONE or VEC_BODY_STARTTLS */
	uint32_t stat, accept_stat, reject_stat, auth_stat, low, high;
};

#define VEC_ACC(n, x, a)                                                       \
	{                                                                      \
		n, x, VEC_REPLY, 0, 0, 0, 0, 0, 0, 0, a, 0, 0, 0, 0            \
	}
#define VEC_AUTH(n, x, s)                                                      \
	{                                                                      \
		n, x, VEC_REPLY, 0, 0, 0, 0, 0, 0, 1, 0, 1, s, 0, 0            \
	}

static const struct vec_msg vec_msgs[] = {
    {"call_auth_none", 0x01020304, VEC_CALL, 100003, 4, 1, 0, VEC_BODY_NONE, 0,
     0, 0, 0, 0, 0, 0},
    {"call_auth_sys", 0xdeadbeef, VEC_CALL, 0x20000001, 1, 7, 1, VEC_BODY_SYS,
     0, 0, 0, 0, 0, 0, 0},
    {"call_auth_tls_probe", 0x42, VEC_CALL, 100003, 4, 0, 7, VEC_BODY_NONE, 0,
     0, 0, 0, 0, 0, 0},
    VEC_ACC("reply_success", 0x01020304, 0),
    {"reply_starttls", 0x42, VEC_REPLY, 0, 0, 0, 0, 0, VEC_BODY_STARTTLS, 0, 0,
     0, 0, 0, 0},
    VEC_ACC("reply_prog_unavail", 7, 1),
    {"reply_prog_mismatch", 8, VEC_REPLY, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 2, 4},
    VEC_ACC("reply_proc_unavail", 9, 3),
    VEC_ACC("reply_garbage_args", 10, 4),
    VEC_ACC("reply_system_err", 11, 5),
    {"reply_rpc_mismatch", 12, VEC_REPLY, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 2},
    VEC_AUTH("reply_auth_ok", 100, 0),
    VEC_AUTH("reply_auth_badcred", 101, 1),
    VEC_AUTH("reply_auth_rejectedcred", 102, 2),
    VEC_AUTH("reply_auth_badverf", 103, 3),
    VEC_AUTH("reply_auth_rejectedverf", 104, 4),
    VEC_AUTH("reply_auth_tooweak", 105, 5),
    VEC_AUTH("reply_auth_invalidresp", 106, 6),
    VEC_AUTH("reply_auth_failed", 107, 7),
    VEC_AUTH("reply_auth_kerb_generic", 108, 8),
    VEC_AUTH("reply_auth_timeexpire", 109, 9),
    VEC_AUTH("reply_auth_tkt_file", 110, 10),
    VEC_AUTH("reply_auth_decode", 111, 11),
    VEC_AUTH("reply_auth_net_addr", 112, 12),
    VEC_AUTH("reply_auth_rpcsec_gss_credproblem", 113, 13),
    VEC_AUTH("reply_auth_rpcsec_gss_ctxproblem", 114, 14),
};
#define VEC_COUNT (sizeof(vec_msgs) / sizeof(vec_msgs[0]))

/* One vector read from the .hex file. */
struct vec_bytes {
	char name[64];
	uint8_t data[512];
	size_t len;
};

static inline int vec_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses one "NAME HEX" line; returns 1 on a vector, 0 on a comment or
 * blank line, -1 on a malformed line. */
static inline int vec_parse_line(const char *line, struct vec_bytes *v)
{
	if (line[0] == '#' || line[0] == '\n' || line[0] == '\0')
		return 0;
	const char *sp = strchr(line, ' ');
	if (sp == NULL || (size_t)(sp - line) >= sizeof(v->name))
		return -1;
	memcpy(v->name, line, (size_t)(sp - line));
	v->name[sp - line] = '\0';
	v->len = 0;
	for (const char *h = sp + 1; *h != '\0' && *h != '\n'; h += 2) {
		int hi = vec_hexval(h[0]), lo = hi < 0 ? -1 : vec_hexval(h[1]);
		if (lo < 0 || v->len >= sizeof(v->data))
			return -1;
		v->data[v->len++] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
}

/* Loads every vector of dir/file into out[0..max); returns the count or -1
 * on error. (dir comes from CMake: $TETHER_TEST_VECTORS is one level off
 * for tests in tests/<kind>/<layer>/.) */
static inline int vec_load(const char *dir, const char *file,
			   struct vec_bytes *out, int max)
{
	char path[1024], line[2048];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	int n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (n >= max) {
			n = -1;
			break;
		}
		int r = vec_parse_line(line, &out[n]);
		if (r < 0) {
			n = -1;
			break;
		}
		n += r;
	}
	fclose(f);
	return n;
}

static inline const struct vec_bytes *vec_find(const struct vec_bytes *v, int n,
					       const char *name)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	}
	return NULL;
}

#endif /* RPC_VECTOR_MSGS_H */
