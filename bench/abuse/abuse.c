/* SPDX-License-Identifier: MIT */
/*
 * abuse.c - tether-abuse: the black-hole benchmark (docs/abuse.md). A server
 * runs in a child process; this process opens thousands of black-hole
 * connections (each asks for callbacks and never answers one, never reads)
 * spread over loopback source addresses 127.0.1.x, then slowloris and flood
 * connections, and measures a well-behaved client's latency against its
 * unloaded latency, the server's resident memory, and the worst lateness of
 * the server's I/O loops (tether_server_counters.loop_lag_max_us).
 * Never run by ctest.
 *
 *   tether-abuse [--blackholes N] [--per-addr N] [--slowloris N]
 *                [--flood N] [--deadline-ms MS] [--io-threads N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adv_util.h"

typedef struct cfg {
	unsigned blackholes, per_addr, slowloris, flood, io_threads;
	unsigned deadline_ms, samples;
} cfg;

/* ---- control: how late this process's own sleeps wake up ----------------- */

/* The same 50 ms heartbeat as the server's loops, in a thread of this
 * process that does nothing else: when both are late together, the machine
 * (shared, 2 cores) did not run us; when only the server is, a loop was
 * blocked. */
static atomic_ullong g_ctl_lag_us;
static atomic_bool g_ctl_stop;

static void *control_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_ctl_stop)) {
		uint64_t t0 = adv_now_ms(), late;
		adv_sleep_ms(50);
		late = (adv_now_ms() - t0 - 50) * 1000u;
		if (late > atomic_load(&g_ctl_lag_us))
			atomic_store(&g_ctl_lag_us, late);
	}
	return NULL;
}

/* ---- the server (child) ------------------------------------------------- */

static void print_stats(tether_server *s)
{
	tether_server_counters k;
	if (tether_server_stats(s, &k, sizeof k) != TETHER_OK)
		return;
	printf("open=%llu accepted=%llu refused_source=%llu "
	       "closed_unresponsive=%llu closed_malformed=%llu "
	       "accept_pauses=%llu lag_us=%llu lib_bytes=%zu\n",
	       (unsigned long long)k.open, (unsigned long long)k.accepted,
	       (unsigned long long)k.refused_source,
	       (unsigned long long)k.closed_unresponsive,
	       (unsigned long long)k.closed_malformed,
	       (unsigned long long)k.accept_pauses,
	       (unsigned long long)k.loop_lag_max_us, adv_alloc_current());
	fflush(stdout);
}

/* Serves until stdin closes; each line read prints the counters. */
static int serve(const cfg *c)
{
	tether_server_opts *o;
	tether_server *s;
	char ep[128], line[64];

	adv_alloc_install();
	if (tether_server_opts_new(&o) != TETHER_OK)
		return 2;
	tether_server_opts_set_io_threads(o, c->io_threads);
	tether_server_opts_set_max_connections(o, 30000);
	tether_server_opts_set_call_deadline_ms(o, c->deadline_ms);
	if (tether_server_new(o, &s) != TETHER_OK ||
	    tether_server_register(s, &tp_v1, &adv_handlers, NULL) !=
		TETHER_OK ||
	    tether_server_listen(s, "tcp://127.0.0.1:0") != TETHER_OK ||
	    tether_server_endpoint(s, 0, ep, sizeof ep) != TETHER_OK ||
	    tether_server_start(s) != TETHER_OK)
		return 3;
	tether_server_opts_free(o);
	printf("%s\n", ep);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin) != NULL)
		print_stats(s);
	tether_server_free(s);
	return 0;
}

/* ---- the attacker and the good client (parent) ----------------------------
 */

typedef struct child {
	pid_t pid;
	FILE *in, *out;
	char ep[128];
} child;

static int start_server(child *ch, char **argv)
{
	int pin[2], pout[2];

	if (pipe(pin) != 0 || pipe(pout) != 0)
		return -1;
	ch->pid = fork();
	if (ch->pid < 0)
		return -1;
	if (ch->pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[1]), close(pout[0]);
		argv[0] = "tether-abuse";
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pin[0]), close(pout[1]);
	ch->in = fdopen(pin[1], "w");
	ch->out = fdopen(pout[0], "r");
	if (ch->in == NULL || ch->out == NULL ||
	    fgets(ch->ep, sizeof ch->ep, ch->out) == NULL)
		return -1;
	ch->ep[strcspn(ch->ep, "\n")] = 0;
	return 0;
}

/* The server's counters line (see print_stats). */
static void server_stats(child *ch, char *buf, size_t cap)
{
	fputs("stats\n", ch->in);
	fflush(ch->in);
	if (fgets(buf, (int)cap, ch->out) == NULL)
		snprintf(buf, cap, "(no answer)\n");
	buf[strcspn(buf, "\n")] = 0;
}

static unsigned long long stat_field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	return p == NULL ? 0 : strtoull(p + strlen(key), NULL, 10);
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

typedef struct lat {
	uint64_t p50, p99, max;
	unsigned ok, failed;
} lat;

/* n echo calls from the good client, one at a time, 2 ms apart. */
static lat measure(tether_client *c, unsigned n)
{
	uint64_t *us = calloc(n, sizeof *us);
	lat r = {0, 0, 0, 0, 0};

	if (us == NULL)
		return r;
	for (unsigned i = 0; i < n; i++) {
		if (adv_probe(c, &us[r.ok]) == TETHER_OK)
			r.ok++;
		else
			r.failed++;
		adv_sleep_ms(2);
	}
	if (r.ok != 0) {
		qsort(us, r.ok, sizeof *us, cmp_u64);
		r.p50 = us[r.ok / 2];
		r.p99 = us[(size_t)r.ok * 99 / 100];
		r.max = us[r.ok - 1];
	}
	free(us);
	return r;
}

static void print_lat(const char *what, const lat *l)
{
	printf("%-34s p50 %6llu us  p99 %6llu us  max %7llu us  ok %u "
	       "failed %u\n",
	       what, (unsigned long long)l->p50, (unsigned long long)l->p99,
	       (unsigned long long)l->max, l->ok, l->failed);
}

/* Opens n black holes from 127.0.1.x (per_addr each): a SUBSCRIBE asking
 * for 1000 callbacks, then nothing; never reads. Returns how many opened. */
static unsigned open_blackholes(const child *ch, const cfg *c, int *fds)
{
	uint32_t args[2] = {1000, 8};
	uint8_t b[64];
	size_t n = adv_call(b, 1, 2, TP_PROG, 1, TP_SUBSCRIBE, args, 2);
	uint16_t port = adv_port(ch->ep);
	unsigned opened = 0;

	for (unsigned i = 0; i < c->blackholes; i++) {
		char src[32];
		unsigned a = i / c->per_addr;
		snprintf(src, sizeof src, "127.0.%u.%u", 1 + a / 250,
			 1 + a % 250);
		fds[i] = adv_connect(port, src, true);
		if (fds[i] < 0)
			continue;
		if (send(fds[i], b, n, MSG_NOSIGNAL) == (ssize_t)n)
			opened++;
		if (i % 100 == 99)
			adv_sleep_ms(5); /* let the backlog (128) drain */
	}
	return opened;
}

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void phase_blackholes(child *ch, const cfg *c, tether_client *good)
{
	int *fds = calloc(c->blackholes, sizeof *fds);
	char st[512];
	lat base, load;
	long rss0 = rss_kib(ch->pid), rss1;
	unsigned opened;
	uint64_t t0;

	base = measure(good, c->samples);
	print_lat("good client, unloaded", &base);
	t0 = adv_now_ms();
	opened = open_blackholes(ch, c, fds);
	printf("black holes: %u of %u opened in %llu ms over %u source "
	       "addresses\n",
	       opened, c->blackholes, (unsigned long long)(adv_now_ms() - t0),
	       (c->blackholes + c->per_addr - 1) / c->per_addr);
	adv_sleep_ms(1000); /* all accepted, all SUBSCRIBEs pumping */
	server_stats(ch, st, sizeof st);
	printf("server: %s\n", st);
	load = measure(good, c->samples);
	rss1 = rss_kib(ch->pid);
	server_stats(ch, st, sizeof st);
	print_lat("good client, with black holes", &load);
	printf("server RSS %ld KiB before, %ld KiB with %llu connections "
	       "open (each holding its 16 callbacks)\n",
	       rss0, rss1, stat_field(st, "open="));
	printf("p99 ratio loaded/unloaded: %.2f (target <= 2)\n",
	       base.p99 ? (double)load.p99 / (double)base.p99 : 0.0);
	printf("server: %s\n", st);
	/* The callbacks expire (deadline_ms), the peers are cut off. */
	for (uint64_t end = adv_now_ms() + c->deadline_ms + 5000;
	     adv_now_ms() < end;) {
		adv_sleep_ms(500);
		server_stats(ch, st, sizeof st);
		if (stat_field(st, "closed_unresponsive=") >= opened)
			break;
	}
	printf("after the deadline: %s\n", st);
	printf("server loop lag max: %llu us; control thread in the attacker "
	       "process: %llu us (ms resolution)\n",
	       stat_field(st, "lag_us="),
	       (unsigned long long)atomic_load(&g_ctl_lag_us));
	close_fds(fds, c->blackholes);
	free(fds);
}

static void phase_slow_flood(child *ch, const cfg *c, tether_client *good)
{
	int *slow = calloc(c->slowloris, sizeof *slow);
	uint8_t rec[64];
	uint16_t port = adv_port(ch->ep);
	unsigned flooded = 0, flood_open = 0;
	char st[512];
	lat l = {0, 0, 0, 0, 0}, part;

	(void)adv_call(rec, 5, 2, TP_PROG, 1, 0, NULL, 0);
	for (unsigned i = 0; i < c->slowloris; i++) {
		char src[32];
		snprintf(src, sizeof src, "127.0.3.%u", 1 + i / 50);
		slow[i] = adv_connect(port, src, true);
	}
	/* 10 rounds: one byte to every slowloris connection, a burst of
	 * flood connections from one address (127.0.4.1, over the
	 * per-address cap) opened and closed, good calls meanwhile. */
	for (unsigned r = 0; r < 10; r++) {
		unsigned burst = c->flood / 10;
		int *f = calloc(burst, sizeof *f);
		for (unsigned i = 0; i < c->slowloris; i++)
			if (slow[i] >= 0)
				(void)send(slow[i], rec + r, 1, MSG_NOSIGNAL);
		for (unsigned i = 0; i < burst; i++) {
			f[i] = adv_connect(port, "127.0.4.1", true);
			flood_open += f[i] >= 0;
			flooded++;
		}
		part = measure(good, c->samples / 10);
		l.ok += part.ok, l.failed += part.failed;
		l.p99 = part.p99 > l.p99 ? part.p99 : l.p99;
		l.max = part.max > l.max ? part.max : l.max;
		close_fds(f, burst);
		free(f);
		adv_sleep_ms(500);
	}
	server_stats(ch, st, sizeof st);
	printf("slowloris %u + flood %u (%u connected): good client ok %u "
	       "failed %u, worst per-round p99 %llu us, max %llu us\n",
	       c->slowloris, flooded, flood_open, l.ok, l.failed,
	       (unsigned long long)l.p99, (unsigned long long)l.max);
	printf("server RSS %ld KiB; %s\n", rss_kib(ch->pid), st);
	close_fds(slow, c->slowloris);
	free(slow);
}

static void parse(int argc, char **argv, cfg *c)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);
		if (strcmp(argv[i], "--blackholes") == 0)
			c->blackholes = v;
		else if (strcmp(argv[i], "--per-addr") == 0)
			c->per_addr = v ? v : 1;
		else if (strcmp(argv[i], "--slowloris") == 0)
			c->slowloris = v;
		else if (strcmp(argv[i], "--flood") == 0)
			c->flood = v;
		else if (strcmp(argv[i], "--deadline-ms") == 0)
			c->deadline_ms = v;
		else if (strcmp(argv[i], "--io-threads") == 0)
			c->io_threads = v;
		else if (strcmp(argv[i], "--samples") == 0)
			c->samples = v;
	}
}

int main(int argc, char **argv)
{
	cfg c = {10000, 50, 200, 2000, 0, 15000, 2000};
	struct rlimit rl;
	child ch;
	tether_client *good;
	int status;

	parse(argc, argv, &c);
	if (argc > 1 && strcmp(argv[argc - 1], "--serve") == 0)
		return serve(&c);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	{
		char **av = calloc((size_t)argc + 2, sizeof *av);
		for (int i = 0; i < argc; i++)
			av[i] = argv[i];
		av[argc] = "--serve";
		if (start_server(&ch, av) != 0) {
			fprintf(stderr, "tether-abuse: server did not start\n");
			return 1;
		}
		free(av);
	}
	printf("server %s (pid %d), %u black holes x 16 callbacks, "
	       "callback deadline %u ms\n",
	       ch.ep, (int)ch.pid, c.blackholes, c.deadline_ms);
	if (tether_client_connect(ch.ep, NULL, &good) != TETHER_OK) {
		fprintf(stderr, "tether-abuse: good client cannot connect\n");
		kill(ch.pid, SIGKILL);
		return 1;
	}
	{
		pthread_t t;
		if (pthread_create(&t, NULL, control_thread, NULL) == 0)
			pthread_detach(t);
	}
	phase_blackholes(&ch, &c, good);
	phase_slow_flood(&ch, &c, good);
	atomic_store(&g_ctl_stop, true);
	printf("control thread worst oversleep over the whole run: %llu us\n",
	       (unsigned long long)atomic_load(&g_ctl_lag_us));
	tether_client_free(good);
	fclose(ch.in);
	fclose(ch.out);
	waitpid(ch.pid, &status, 0);
	return 0;
}
