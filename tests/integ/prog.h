/* SPDX-License-Identifier: MIT */
/*
 * prog.h - hand-written descriptor tables for the integration tests (what
 * tetherc would generate): an echo-like test program served by the test
 * server and a callback program served by the test client.
 */
#ifndef TEST_INTEG_PROG_H
#define TEST_INTEG_PROG_H

#include <stdint.h>

#include <tether/tether.h>

#define TP_PROG 0x20000F01u
#define TP_CB_PROG 0x20000F03u

enum {
	TP_ECHO = 1,	  /* bytes -> bytes */
	TP_SLOW = 2,	  /* uint ms -> uint (sleeps: blocking handler, v2) */
	TP_SUBSCRIBE = 3, /* sub_args -> uint callbacks answered */
	TP_WHOAMI = 4,	  /* void -> uint uid (0xFFFFFFFF: no credentials) */
	TP_HOLD = 5,	  /* uint ms -> uint: deferred, replied from a thread */
	TP_FIRE = 6,	  /* uint size -> uint: one callback, replies at once */
	TP_DROP = 7	  /* uint -> uint: deferred and never answered */
};

typedef struct tp_bytes {
	uint32_t len;
	uint8_t *val;
} tp_bytes;

typedef struct tp_sub_args {
	uint32_t count;
	uint32_t size;
} tp_sub_args;

typedef struct tp_handlers {
	tether_status (*echo)(tether_call_ctx *, const tp_bytes *, tp_bytes *);
	tether_status (*slow)(tether_call_ctx *, const uint32_t *, uint32_t *);
	tether_status (*subscribe)(tether_call_ctx *, const tp_sub_args *,
				   uint32_t *);
	tether_status (*whoami)(tether_call_ctx *, uint32_t *);
	tether_status (*hold)(tether_call_ctx *, const uint32_t *, uint32_t *);
	tether_status (*fire)(tether_call_ctx *, const uint32_t *, uint32_t *);
	tether_status (*drop)(tether_call_ctx *, const uint32_t *, uint32_t *);
} tp_handlers;

typedef struct tp_cb_handlers {
	tether_status (*notify)(tether_call_ctx *, const tp_bytes *,
				uint32_t *);
} tp_cb_handlers;

/* The test program, version 1 (inline handlers) and 2 (the same table,
 * registered blocking), and the callback program. */
extern const tether_version_desc tp_v1, tp_v2, tp_cb_v1;
/* Single procedures for direct calls. */
extern const tether_proc_desc *const tp_echo_pd,
    *const tp_slow_pd, *const tp_sub_pd,
			   *const tp_whoami_pd,
			       *const tp_hold_pd,
				   *const tp_notify_pd,
				       *const tp_v2_slow_pd,
					   *const tp_fire_pd,
					       *const tp_drop_pd,
						   *const tp_v2_hold_pd;
/* A uint-argument ECHO: its arguments cannot decode as bytes
 * (GARBAGE_ARGS), and procedure/version/program variants for errors. */
extern const tether_proc_desc tp_bad_args_pd, tp_no_proc_pd, tp_no_vers_pd,
    tp_no_prog_pd, tp_ping_pd;

#endif
