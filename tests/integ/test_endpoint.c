/* SPDX-License-Identifier: MIT */
/* test_endpoint.c - endpoint strings, listen/accept/connect, SO_PEERCRED. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"

static void parse_ok(const char *s, tt_ep_kind kind, const char *host,
		     unsigned port)
{
	tt_endpoint ep;
	char back[300];
	assert_int_equal(tt_io_endpoint_parse(s, &ep), TETHER_OK);
	assert_int_equal(ep.kind, kind);
	if (kind == TT_EP_UNIX) {
		assert_string_equal(ep.path, host);
	} else {
		assert_string_equal(ep.host, host);
		assert_int_equal(ep.port, port);
	}
	assert_int_equal(tt_io_endpoint_format(&ep, back, sizeof back),
			 TETHER_OK);
	assert_string_equal(back, s);
}

static void test_parse_good(void **state)
{
	(void)state;
	parse_ok("tcp://127.0.0.1:0", TT_EP_TCP, "127.0.0.1", 0);
	parse_ok("tcp://127.0.0.1:65535", TT_EP_TCP, "127.0.0.1", 65535);
	parse_ok("tcp://[::1]:8080", TT_EP_TCP, "::1", 8080);
	parse_ok("tcp://localhost:1", TT_EP_TCP, "localhost", 1);
	parse_ok("tls://example.org:2049", TT_EP_TLS, "example.org", 2049);
	parse_ok("tls://[fe80::1%lo]:5", TT_EP_TLS, "fe80::1%lo", 5);
	parse_ok("unix:/tmp/x.sock", TT_EP_UNIX, "/tmp/x.sock", 0);
}

static void test_parse_bad(void **state)
{
	static const char *bad[] = {
	    "",
	    "tcp://",
	    "tcp://127.0.0.1",
	    "tcp://127.0.0.1:",
	    "tcp://:80",
	    "tcp://127.0.0.1:65536",
	    "tcp://127.0.0.1:123456",
	    "tcp://127.0.0.1:-1",
	    "tcp://127.0.0.1:80x",
	    "tcp://::1:80",
	    "tcp://[::1:80",
	    "tcp://[::1]80",
	    "tcp://[]:80",
	    "tcp://a b:80",
	    "tcp://user@host:80",
	    "tcp://host/x:80",
	    "udp://127.0.0.1:80",
	    "TCP://127.0.0.1:80",
	    "unix:",
	    "unix:relative/path",
	    "unix:/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "127.0.0.1:80",
	};
	tt_endpoint ep;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (tt_io_endpoint_parse(bad[i], &ep) != TETHER_E_BAD_ENDPOINT)
			fail_msg("accepted bad endpoint \"%s\"", bad[i]);
	}
	assert_int_equal(tt_io_endpoint_parse(NULL, &ep),
			 TETHER_E_BAD_ENDPOINT);
}

static void roundtrip(const char *s)
{
	tt_endpoint ep, bound;
	tt_peer peer;
	int lfd, cfd, sfd = -1;
	char a = 'x', b = 0;

	assert_int_equal(tt_io_endpoint_parse(s, &ep), TETHER_OK);
	assert_int_equal(tt_io_listen(&ep, 16, &lfd, &bound), TETHER_OK);
	if (ep.kind != TT_EP_UNIX)
		assert_true(bound.port != 0);
	assert_int_equal(tt_io_connect(&bound, 2000, &cfd), TETHER_OK);
	for (int i = 0; i < 200 && sfd < 0; i++) {
		tether_status st = tt_io_accept(lfd, &sfd, &peer);
		if (st == TETHER_E_NEED_MORE)
			usleep(5000);
		else
			assert_int_equal(st, TETHER_OK);
	}
	assert_true(sfd >= 0);
	assert_int_equal(write(cfd, &a, 1), 1);
	for (int i = 0; i < 200 && read(sfd, &b, 1) != 1; i++)
		usleep(5000);
	assert_int_equal(b, 'x');
	if (ep.kind == TT_EP_UNIX) {
		assert_true(peer.has_cred);
		assert_int_equal(peer.uid, getuid());
		assert_int_equal(peer.pid, getpid());
		assert_string_equal(peer.addr, "unix:");
	} else {
		assert_false(peer.has_cred);
		assert_non_null(strstr(peer.addr, "tcp://"));
	}
	tt_io_close(sfd);
	tt_io_close(cfd);
	tt_io_close(lfd);
	/* Nobody listens now. */
	assert_int_equal(tt_io_connect(&bound, 2000, &cfd), TETHER_E_REFUSED);
}

static void test_sockets(void **state)
{
	char path[64];
	(void)state;
	roundtrip("tcp://127.0.0.1:0");
	roundtrip("tcp://[::1]:0");
	snprintf(path, sizeof path, "unix:/tmp/tether-ep-%d.sock",
		 (int)getpid());
	roundtrip(path);
	unlink(path + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
