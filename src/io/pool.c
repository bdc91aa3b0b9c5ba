/* SPDX-License-Identifier: MIT */
/*
 * pool.c - the bounded worker pool for handlers registered as blocking
 * (DESIGN §6): a fixed number of threads and a capped queue; a job's
 * completion is posted back to the loop that owns its connection.
 */
#include "common/tt.h"
#include "io/loop.h"

typedef struct job {
	struct job *next;
	tt_io_loop *loop;
	tt_io_task_fn work, done;
	void *arg;
} job;

struct tt_io_pool {
	uv_mutex_t mu;
	uv_cond_t cv;
	job *head, *tail;
	size_t queued, max_queued;
	bool stopping;
	unsigned nthreads, nalloc;
	uv_thread_t *threads;
};

static job *next_job(tt_io_pool *p)
{
	job *j;
	uv_mutex_lock(&p->mu);
	while (p->head == NULL && !p->stopping)
		uv_cond_wait(&p->cv, &p->mu);
	j = p->head;
	if (j != NULL) {
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
	}
	uv_mutex_unlock(&p->mu);
	return j;
}

static _Thread_local bool tl_worker;

bool tt_io_pool_on_worker(void)
{
	return tl_worker;
}

static void worker(void *arg)
{
	tt_io_pool *p = arg;
	job *j;

	tl_worker = true;
	while ((j = next_job(p)) != NULL) {
		j->work(j->arg);
		/* If the loop refuses (it is stopping), done cannot run on the
		 * loop thread: the owner guarantees loops outlive the pool. */
		if (tt_io_loop_post(j->loop, j->done, j->arg) != TETHER_OK)
			j->done(j->arg);
		tt_free(j, sizeof *j);
	}
}

tether_status tt_io_pool_new(unsigned nthreads, size_t max_queued,
			     tt_io_pool **out)
{
	tt_io_pool *p = tt_calloc(1, sizeof *p);
	if (p == NULL)
		return TETHER_E_NOMEM;
	if (nthreads == 0)
		nthreads = 1;
	p->threads = tt_calloc(nthreads, sizeof *p->threads);
	if (p->threads == NULL) {
		tt_free(p, sizeof *p);
		return TETHER_E_NOMEM;
	}
	p->nalloc = nthreads;
	p->max_queued = max_queued;
	uv_mutex_init(&p->mu);
	uv_cond_init(&p->cv);
	for (unsigned i = 0; i < nthreads; i++) {
		if (uv_thread_create(&p->threads[i], worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		tt_io_pool_free(p);
		return TETHER_E_IO;
	}
	*out = p;
	return TETHER_OK;
}

tether_status tt_io_pool_submit(tt_io_pool *p, tt_io_loop *loop,
				tt_io_task_fn work, tt_io_task_fn done,
				void *arg)
{
	job *j = tt_alloc(sizeof *j);
	if (j == NULL)
		return TETHER_E_NOMEM;
	*j = (job){NULL, loop, work, done, arg};
	uv_mutex_lock(&p->mu);
	if (p->stopping || p->queued >= p->max_queued) {
		tether_status st =
		    p->stopping ? TETHER_E_SHUTDOWN : TETHER_E_BUSY;
		uv_mutex_unlock(&p->mu);
		tt_free(j, sizeof *j);
		return st;
	}
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	uv_cond_signal(&p->cv);
	uv_mutex_unlock(&p->mu);
	return TETHER_OK;
}

void tt_io_pool_free(tt_io_pool *p)
{
	if (p == NULL)
		return;
	uv_mutex_lock(&p->mu);
	p->stopping = true;
	uv_cond_broadcast(&p->cv);
	uv_mutex_unlock(&p->mu);
	/* Workers drain what is queued before they see stopping. */
	for (unsigned i = 0; i < p->nthreads; i++)
		uv_thread_join(&p->threads[i]);
	uv_cond_destroy(&p->cv);
	uv_mutex_destroy(&p->mu);
	tt_free(p->threads, (size_t)p->nalloc * sizeof *p->threads);
	tt_free(p, sizeof *p);
}
