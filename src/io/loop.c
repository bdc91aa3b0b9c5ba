/* SPDX-License-Identifier: MIT */
/*
 * loop.c - a libuv loop thread with a task queue: other threads hand work to
 * the loop by queueing a task and waking it with uv_async_send (libuv
 * coalesces wake-ups; the callback drains the whole queue).
 */
#include <stdatomic.h>
#include <string.h>

#include "common/tt.h"
#include "io/loop.h"

typedef struct task {
	struct task *next;
	tt_io_task_fn fn;
	void *arg;
} task;

struct tt_io_loop {
	uv_loop_t uv;
	uv_async_t wake;
	uv_mutex_t mu;
	task *head, *tail;
	bool stopping;	     /* no more posts accepted */
	bool closed;	     /* wake handle closed */
	atomic_bool running; /* release: runner is set */
	bool has_thread;
	uv_thread_t thread;
	uv_thread_t runner; /* valid while running */
	uint8_t *scratch;   /* TT_IO_SCRATCH bytes, allocated on first use */
	uv_timer_t lag;	    /* fires every LAG_PERIOD_MS: measures lateness */
	uint64_t lag_due_ns;
	atomic_uint_least64_t lag_max_us; /* worst lateness seen */
};

enum { LAG_PERIOD_MS = 50 };

/* A timer that should fire every LAG_PERIOD_MS: how late it fires is how
 * long the loop was kept from polling (a handler or a driver blocking it).
 * Unreferenced: it never keeps the loop alive. */
static void on_lag(uv_timer_t *t)
{
	tt_io_loop *l = t->data;
	uint64_t now = uv_hrtime(), late;

	if (l->lag_due_ns != 0 && now > l->lag_due_ns) {
		late = (now - l->lag_due_ns) / 1000u;
		if (late > atomic_load(&l->lag_max_us))
			atomic_store(&l->lag_max_us, late);
	}
	l->lag_due_ns = now + (uint64_t)LAG_PERIOD_MS * 1000000u;
}

uint64_t tt_io_loop_lag_max_us(tt_io_loop *l)
{
	return atomic_load(&l->lag_max_us);
}

static void close_handles(tt_io_loop *l)
{
	l->closed = true;
	uv_close((uv_handle_t *)&l->wake, NULL);
	uv_close((uv_handle_t *)&l->lag, NULL);
}

static task *take_all(tt_io_loop *l)
{
	task *t;
	uv_mutex_lock(&l->mu);
	t = l->head;
	l->head = l->tail = NULL;
	uv_mutex_unlock(&l->mu);
	return t;
}

static void run_tasks(tt_io_loop *l)
{
	task *t;
	while ((t = take_all(l)) != NULL) {
		while (t != NULL) {
			task *next = t->next;
			t->fn(t->arg);
			tt_free(t, sizeof *t);
			t = next;
		}
	}
}

static void on_wake(uv_async_t *a)
{
	tt_io_loop *l = a->data;
	bool stop;

	run_tasks(l);
	uv_mutex_lock(&l->mu);
	stop = l->stopping && l->head == NULL;
	uv_mutex_unlock(&l->mu);
	if (stop && !l->closed)
		close_handles(l);
}

tether_status tt_io_loop_new(tt_io_loop **out)
{
	tt_io_loop *l = tt_calloc(1, sizeof *l);
	if (l == NULL)
		return TETHER_E_NOMEM;
	if (uv_loop_init(&l->uv) != 0) {
		tt_free(l, sizeof *l);
		return TETHER_E_IO;
	}
	if (uv_mutex_init(&l->mu) != 0 ||
	    uv_async_init(&l->uv, &l->wake, on_wake) != 0) {
		uv_loop_close(&l->uv);
		tt_free(l, sizeof *l);
		return TETHER_E_IO;
	}
	l->wake.data = l;
	l->uv.data = l;
	uv_timer_init(&l->uv, &l->lag);
	l->lag.data = l;
	uv_timer_start(&l->lag, on_lag, LAG_PERIOD_MS, LAG_PERIOD_MS);
	uv_unref((uv_handle_t *)&l->lag);
	*out = l;
	return TETHER_OK;
}

uv_loop_t *tt_io_loop_uv(tt_io_loop *l)
{
	return &l->uv;
}

uint8_t *tt_io_loop_scratch(tt_io_loop *l)
{
	if (l->scratch == NULL)
		l->scratch = tt_alloc(TT_IO_SCRATCH);
	return l->scratch;
}

void tt_io_loop_run(tt_io_loop *l)
{
	l->runner = uv_thread_self();
	atomic_store_explicit(&l->running, true, memory_order_release);
	uv_run(&l->uv, UV_RUN_DEFAULT);
	atomic_store_explicit(&l->running, false, memory_order_release);
}

static void thread_main(void *arg)
{
	tt_io_loop_run(arg);
}

tether_status tt_io_loop_start(tt_io_loop *l)
{
	if (uv_thread_create(&l->thread, thread_main, l) != 0)
		return TETHER_E_IO;
	l->has_thread = true;
	return TETHER_OK;
}

tether_status tt_io_loop_post(tt_io_loop *l, tt_io_task_fn fn, void *arg)
{
	task *t = tt_alloc(sizeof *t);
	if (t == NULL)
		return TETHER_E_NOMEM;
	t->fn = fn, t->arg = arg, t->next = NULL;
	uv_mutex_lock(&l->mu);
	if (l->stopping) {
		uv_mutex_unlock(&l->mu);
		tt_free(t, sizeof *t);
		return TETHER_E_SHUTDOWN;
	}
	if (l->tail != NULL)
		l->tail->next = t;
	else
		l->head = t;
	l->tail = t;
	uv_mutex_unlock(&l->mu);
	uv_async_send(&l->wake);
	return TETHER_OK;
}

bool tt_io_loop_on_thread(tt_io_loop *l)
{
	uv_thread_t self = uv_thread_self();
	return atomic_load_explicit(&l->running, memory_order_acquire) &&
	       uv_thread_equal(&self, &l->runner);
}

void tt_io_loop_stop(tt_io_loop *l)
{
	uv_mutex_lock(&l->mu);
	l->stopping = true;
	uv_mutex_unlock(&l->mu);
	uv_async_send(&l->wake);
}

void tt_io_loop_join(tt_io_loop *l)
{
	if (l->has_thread) {
		uv_thread_join(&l->thread);
		l->has_thread = false;
	}
}

void tt_io_loop_free(tt_io_loop *l)
{
	if (l == NULL)
		return;
	if (!l->closed) {
		/* Never ran to its stop: close the handles ourselves. */
		close_handles(l);
		uv_run(&l->uv, UV_RUN_NOWAIT);
	}
	run_tasks(l);
	uv_loop_close(&l->uv);
	uv_mutex_destroy(&l->mu);
	tt_free(l->scratch, TT_IO_SCRATCH);
	tt_free(l, sizeof *l);
}

unsigned tt_io_ncpu(void)
{
	unsigned n = uv_available_parallelism();
	return n == 0 ? 1 : n;
}
