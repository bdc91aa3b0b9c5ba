/* SPDX-License-Identifier: MIT */
/*
 * loop.h - a libuv loop with a cross-thread task queue (one uv_async), run
 * on a thread of its own or on the caller's, and a bounded worker pool whose
 * results come back to a loop thread. Thread rules are stated per function.
 */
#ifndef TT_IO_LOOP_H
#define TT_IO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include <tether/status.h>

typedef void (*tt_io_task_fn)(void *arg);

typedef struct tt_io_loop tt_io_loop;

/* Creates a loop (not running). Caller frees with tt_io_loop_free() after
 * it stopped. */
tether_status tt_io_loop_new(tt_io_loop **out);
uv_loop_t *tt_io_loop_uv(tt_io_loop *l);

/* Runs the loop on a new thread. */
tether_status tt_io_loop_start(tt_io_loop *l);
/* Runs the loop on the calling thread until it is stopped and every handle
 * is closed. */
void tt_io_loop_run(tt_io_loop *l);

/* Queues fn(arg) to run on the loop thread; any thread. FIFO per poster.
 * TETHER_E_SHUTDOWN once the loop is stopping (fn will not run),
 * TETHER_E_NOMEM. */
tether_status tt_io_loop_post(tt_io_loop *l, tt_io_task_fn fn, void *arg);

/* The loop's read buffer, shared by its connections (a loop reads one
 * socket at a time): TT_IO_SCRATCH bytes. Loop thread only. */
enum { TT_IO_SCRATCH = 65536 };
uint8_t *tt_io_loop_scratch(tt_io_loop *l);

/* True when the caller is this loop's thread (while it runs). */
bool tt_io_loop_on_thread(tt_io_loop *l);

/* The worst lateness of the loop's 50 ms heartbeat timer since it was
 * created, in microseconds: how long the loop thread was ever kept from
 * polling (a blocking handler, a long pass). Any thread. */
uint64_t tt_io_loop_lag_max_us(tt_io_loop *l);

/* Asks the loop to stop: queued tasks still run, then its own handle
 * closes; the loop returns once its users closed their handles too. Any
 * thread; idempotent. */
void tt_io_loop_stop(tt_io_loop *l);
/* Waits for a loop started with tt_io_loop_start to return. */
void tt_io_loop_join(tt_io_loop *l);
void tt_io_loop_free(tt_io_loop *l);

/* ---- worker pool ------------------------------------------------------ */

typedef struct tt_io_pool tt_io_pool;

/* nthreads workers (>= 1), at most max_queued jobs waiting. */
tether_status tt_io_pool_new(unsigned nthreads, size_t max_queued,
			     tt_io_pool **out);
/* Runs work(arg) on a worker, then done(arg) on loop's thread. Any thread.
 * TETHER_E_BUSY when the queue is full, TETHER_E_SHUTDOWN when stopping. */
tether_status tt_io_pool_submit(tt_io_pool *p, tt_io_loop *loop,
				tt_io_task_fn work, tt_io_task_fn done,
				void *arg);
/* Finishes queued jobs, joins the workers, frees p. Their done callbacks
 * are posted to their loops (which must still accept posts). */
void tt_io_pool_free(tt_io_pool *p);

/* True on a worker thread of any pool (a blocking handler). */
bool tt_io_pool_on_worker(void);

/* The number of CPU cores (>= 1), the default thread count. */
unsigned tt_io_ncpu(void);

#endif /* TT_IO_LOOP_H */
