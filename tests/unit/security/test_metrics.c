/* SPDX-License-Identifier: MIT */
/* test_metrics.c - metrics: counters, calls by status, latency buckets at
 * their exact bounds, the exact Prometheus text for a known set, the
 * overflow series past TETHER_METRICS_MAX_SERIES, short buffers, and exact
 * totals from two threads updating at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sec_fixture.h"
#include "security/security_int.h"

static tether_metrics *mk(void)
{
	tether_metrics *m = NULL;
	assert_int_equal(tether_metrics_new(&m), TETHER_OK);
	return m;
}

static void test_counters_and_buckets(void **state)
{
	(void)state;
	tether_metrics *m = mk();
	uint64_t b[TETHER_METRICS_NBUCKETS + 1], count, sum;
	tether_metrics_add(m, TETHER_METRIC_DENIALS, 2);
	tether_metrics_add(m, TETHER_METRIC_DENIALS, 3);
	tether_metrics_add(m, TETHER_METRIC__COUNT, 1); /* ignored */
	assert_int_equal(tether_metrics_get(m, TETHER_METRIC_DENIALS), 5);
	assert_int_equal(tether_metrics_get(m, TETHER_METRIC_BYTES_IN), 0);
	assert_int_equal(tether_metrics_latency(m, 1, 1, 1, b, &count, &sum),
			 TETHER_E_NOT_FOUND);
	/* Bounds are inclusive ("le"). */
	const uint64_t d[] = {0,   100,	     101,      250,
			      251, 10000000, 10000001, UINT32_MAX};
	const unsigned want[] = {0, 0, 1, 1, 2, 15, 16, 16};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		tether_metrics_call(m, 1, 1, (uint32_t)i, TETHER_OK, d[i]);
		assert_int_equal(tether_metrics_latency(m, 1, 1, (uint32_t)i, b,
							&count, &sum),
				 TETHER_OK);
		for (unsigned k = 0; k <= TETHER_METRICS_NBUCKETS; k++)
			assert_int_equal(b[k], k == want[i] ? 1 : 0);
		assert_int_equal(count, 1);
		assert_int_equal(sum, d[i]);
	}
	tether_metrics_call(m, 1, 1, 0, TETHER_E_DENIED, 7);
	tether_metrics_call(m, 1, 1, 0, TETHER_E_DENIED, 7);
	assert_int_equal(tether_metrics_calls(m, 1, 1, 0, TETHER_OK), 1);
	assert_int_equal(tether_metrics_calls(m, 1, 1, 0, TETHER_E_DENIED), 2);
	assert_int_equal(tether_metrics_calls(m, 1, 1, 0, TETHER_E_TIMEOUT), 0);
	assert_int_equal(tether_metrics_latency(m, 1, 1, 0, b, &count, &sum),
			 TETHER_OK);
	assert_int_equal(count, 3);
	assert_int_equal(sum, 14);
	assert_int_equal(b[0], 3);
	assert_int_equal(tether_metrics_bucket_bound_us(0), 100);
	assert_int_equal(tether_metrics_bucket_bound_us(15), 10000000);
	assert_true(tether_metrics_bucket_bound_us(16) == UINT64_MAX);
	tether_metrics_free(m);
}

static const char *const les[] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
    "0.01",   "0.025",	 "0.05",   "0.1",   "0.25",   "0.5",
    "1",      "2.5",	 "5",	   "10",    "+Inf"};

/* Appends s to out (sized by the caller: the texts here are fixed). */
static void app(char *out, const char *s)
{
	size_t n = strlen(out);
	memcpy(out + n, s, strlen(s) + 1);
}

/* Appends the bucket lines of one histogram series (cumulative counts). */
static void hist(char *out, const char *labels, const unsigned cum[17])
{
	char line[200];
	for (int i = 0; i < 17; i++) {
		snprintf(line, sizeof(line),
			 "tether_call_duration_seconds_bucket{%s,le=\"%s\"} "
			 "%u\n",
			 labels, les[i], cum[i]);
		app(out, line);
	}
}

static void test_prometheus_exact(void **state)
{
	(void)state;
	tether_metrics *m = mk();
	tether_metrics_call(m, 100, 1, 2, TETHER_OK, 150);
	tether_metrics_call(m, 100, 1, 2, TETHER_E_DENIED, 20);
	tether_metrics_call(m, 7, 1, 0, TETHER_OK, 20000000);
	tether_metrics_add(m, TETHER_METRIC_BYTES_IN, 1000);
	tether_metrics_add(m, TETHER_METRIC_BYTES_OUT, 500);
	tether_metrics_add(m, TETHER_METRIC_CONN_OPENED, 3);
	tether_metrics_add(m, TETHER_METRIC_CONN_CLOSED, 1);
	tether_metrics_add(m, TETHER_METRIC_DENIALS, 1);
	tether_metrics_add(m, TETHER_METRIC_CALLBACK_EXPIRIES, 2);
	tether_metrics_add(m, TETHER_METRIC_LIMIT_RATE_ADDRESS, 4);
	tether_metrics_add(m, TETHER_METRIC_LIMIT_MEMORY, 1);

	static char want[16384];
	want[0] = '\0';
	app(want,
	    "# HELP tether_calls_total Calls finished, by program, version, "
	    "procedure and status.\n"
	    "# TYPE tether_calls_total counter\n"
	    "tether_calls_total{prog=\"7\",vers=\"1\",proc=\"0\","
	    "status=\"OK\"} 1\n"
	    "tether_calls_total{prog=\"100\",vers=\"1\",proc=\"2\","
	    "status=\"OK\"} 1\n"
	    "tether_calls_total{prog=\"100\",vers=\"1\",proc=\"2\","
	    "status=\"E_DENIED\"} 1\n"
	    "# HELP tether_call_duration_seconds Time from a call's arrival "
	    "to its reply.\n"
	    "# TYPE tether_call_duration_seconds histogram\n");
	const unsigned c7[17] = {0, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 1};
	hist(want, "prog=\"7\",vers=\"1\",proc=\"0\"", c7);
	app(want, "tether_call_duration_seconds_sum{prog=\"7\",vers=\"1\","
		  "proc=\"0\"} 20.000000\n"
		  "tether_call_duration_seconds_count{prog=\"7\",vers=\"1\","
		  "proc=\"0\"} 1\n");
	const unsigned c100[17] = {1, 2, 2, 2, 2, 2, 2, 2, 2,
				   2, 2, 2, 2, 2, 2, 2, 2};
	hist(want, "prog=\"100\",vers=\"1\",proc=\"2\"", c100);
	app(want,
	    "tether_call_duration_seconds_sum{prog=\"100\",vers=\"1\","
	    "proc=\"2\"} 0.000170\n"
	    "tether_call_duration_seconds_count{prog=\"100\",vers=\"1\","
	    "proc=\"2\"} 2\n"
	    "# HELP tether_bytes_received_total Bytes received on "
	    "connections.\n"
	    "# TYPE tether_bytes_received_total counter\n"
	    "tether_bytes_received_total 1000\n"
	    "# HELP tether_bytes_sent_total Bytes sent on connections.\n"
	    "# TYPE tether_bytes_sent_total counter\n"
	    "tether_bytes_sent_total 500\n"
	    "# HELP tether_connections_opened_total Connections opened.\n"
	    "# TYPE tether_connections_opened_total counter\n"
	    "tether_connections_opened_total 3\n"
	    "# HELP tether_connections_closed_total Connections closed.\n"
	    "# TYPE tether_connections_closed_total counter\n"
	    "tether_connections_closed_total 1\n"
	    "# HELP tether_denials_total Calls denied by the authorization "
	    "policy.\n"
	    "# TYPE tether_denials_total counter\n"
	    "tether_denials_total 1\n"
	    "# HELP tether_callback_expiries_total Outbound calls "
	    "(callbacks) whose deadline expired.\n"
	    "# TYPE tether_callback_expiries_total counter\n"
	    "tether_callback_expiries_total 2\n"
	    "# HELP tether_limit_hits_total Times a limit refused a call or "
	    "a connection, by limit.\n"
	    "# TYPE tether_limit_hits_total counter\n"
	    "tether_limit_hits_total{limit=\"rate_identity\"} 0\n"
	    "tether_limit_hits_total{limit=\"rate_address\"} 4\n"
	    "tether_limit_hits_total{limit=\"connections\"} 0\n"
	    "tether_limit_hits_total{limit=\"connections_per_address\"} 0\n"
	    "tether_limit_hits_total{limit=\"handshake_timeout\"} 0\n"
	    "tether_limit_hits_total{limit=\"idle_timeout\"} 0\n"
	    "tether_limit_hits_total{limit=\"record_timeout\"} 0\n"
	    "tether_limit_hits_total{limit=\"record_size\"} 0\n"
	    "tether_limit_hits_total{limit=\"inbound\"} 0\n"
	    "tether_limit_hits_total{limit=\"outbound\"} 0\n"
	    "tether_limit_hits_total{limit=\"memory\"} 1\n");

	static char got[16384];
	size_t len = 0;
	assert_int_equal(tether_metrics_prometheus(m, got, sizeof(got), &len),
			 TETHER_OK);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	/* Short buffer: refused, with the size needed. */
	size_t need = 0;
	assert_int_equal(tether_metrics_prometheus(m, got, len, &need),
			 TETHER_E_TOO_LARGE);
	assert_int_equal(need, len);
	assert_string_equal(got, "");
	assert_int_equal(tether_metrics_prometheus(m, got, len + 1, NULL),
			 TETHER_OK);
	assert_int_equal(tether_metrics_prometheus(NULL, got, 10, NULL),
			 TETHER_E_INVAL);
	tether_metrics_free(m);
}

static void test_overflow_series(void **state)
{
	(void)state;
	tether_metrics *m = mk();
	for (uint32_t p = 0; p < 600; p++)
		tether_metrics_call(m, 5, 1, p, TETHER_OK, 10);
	assert_int_equal(tether_metrics_calls(m, 5, 1, 0, TETHER_OK), 1);
	assert_int_equal(tether_metrics_calls(m, 5, 1, 511, TETHER_OK), 1);
	assert_int_equal(tether_metrics_calls(m, 5, 1, 512, TETHER_OK), 0);
	/* Known series keep counting. */
	tether_metrics_call(m, 5, 1, 3, TETHER_OK, 10);
	assert_int_equal(tether_metrics_calls(m, 5, 1, 3, TETHER_OK), 2);
	size_t cap = 1 << 20, len;
	char *txt = malloc(cap);
	assert_non_null(txt);
	assert_int_equal(tether_metrics_prometheus(m, txt, cap, &len),
			 TETHER_OK);
	assert_non_null(strstr(txt, "tether_calls_total{prog=\"other\","
				    "vers=\"other\",proc=\"other\","
				    "status=\"other\"} 88\n"));
	assert_non_null(strstr(txt, "tether_call_duration_seconds_count{"
				    "prog=\"other\",vers=\"other\","
				    "proc=\"other\"} 88\n"));
	free(txt);
	tether_metrics_free(m);
}

typedef struct worker {
	tether_metrics *m;
	uint32_t proc;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	for (uint32_t i = 0; i < 100000; i++) {
		tether_metrics_call(w->m, 9, 1, i % 4, TETHER_OK, i % 3);
		tether_metrics_add(w->m, TETHER_METRIC_BYTES_IN, 2);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	tether_metrics *m = mk();
	pthread_t t[2];
	worker w[2] = {{m, 0}, {m, 1}};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(tether_metrics_get(m, TETHER_METRIC_BYTES_IN), 400000);
	uint64_t total = 0, b[TETHER_METRICS_NBUCKETS + 1], count, sum;
	for (uint32_t p = 0; p < 4; p++) {
		assert_int_equal(tether_metrics_calls(m, 9, 1, p, TETHER_OK),
				 50000);
		assert_int_equal(
		    tether_metrics_latency(m, 9, 1, p, b, &count, &sum),
		    TETHER_OK);
		assert_int_equal(count, 50000);
		assert_int_equal(b[0], 50000);
		total += sum;
	}
	/* Sum of i % 3 over 0..99999, twice. */
	uint64_t want = 0;
	for (uint32_t i = 0; i < 100000; i++)
		want += i % 3;
	assert_int_equal(total, 2 * want);
	tether_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters_and_buckets),
	    cmocka_unit_test(test_prometheus_exact),
	    cmocka_unit_test(test_overflow_series),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
