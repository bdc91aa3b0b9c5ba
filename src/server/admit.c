/* SPDX-License-Identifier: MIT */
/*
 * admit.c - connection caps, total and per source. Sources are kept in a
 * small array of those with open connections: a linear scan per accept and
 * per close, bounded by the total cap.
 */
#include <stdio.h>
#include <string.h>

#include "common/tt.h"
#include "server/admit.h"

/* "tcp://10.0.0.1:4000" -> "10.0.0.1"; Unix peers by uid. The scheme is
 * left out: the server renames a connection's address "tls://..." once it
 * knows the listener, and leaving must find the key entering made. */
static void source_key(const tt_peer *p, char *key, size_t cap)
{
	const char *start = p->addr, *colon;

	if (p->has_cred) {
		snprintf(key, cap, "unix:uid=%u", (unsigned)p->uid);
		return;
	}
	if (strncmp(start, "tcp://", 6) == 0 || strncmp(start, "tls://", 6) == 0)
		start += 6;
	colon = strrchr(start, ':');
	if (colon == NULL || start == p->addr)
		colon = start + strlen(start);
	snprintf(key, cap, "%.*s", (int)(colon - start), start);
}

static tt_admit_src *find(tt_admit *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, key) == 0)
			return &a->v[i];
	return NULL;
}

static tt_admit_src *add(tt_admit *a, const char *key)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		tt_admit_src *v =
		    tt_realloc(a->v, a->cap * sizeof *v, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		a->v = v, a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof a->v[a->n]);
	snprintf(a->v[a->n].key, sizeof a->v[a->n].key, "%s", key);
	return &a->v[a->n++];
}

tether_status tt_admit_enter(tt_admit *a, const tt_peer *p)
{
	char key[sizeof a->v->key];
	tt_admit_src *s;

	if (a->max_total != 0 && a->total >= a->max_total) {
		a->refused_total++;
		return TETHER_E_BUSY;
	}
	source_key(p, key, sizeof key);
	s = find(a, key);
	if (s != NULL && a->max_per_source != 0 && s->n >= a->max_per_source) {
		a->refused_source++;
		return TETHER_E_BUSY;
	}
	if (s == NULL && (s = add(a, key)) == NULL)
		return TETHER_E_NOMEM;
	s->n++;
	a->total++;
	return TETHER_OK;
}

void tt_admit_leave(tt_admit *a, const tt_peer *p)
{
	char key[sizeof a->v->key];
	tt_admit_src *s;

	source_key(p, key, sizeof key);
	s = find(a, key);
	if (s == NULL)
		return;
	a->total--;
	if (--s->n == 0)
		*s = a->v[--a->n]; /* keep the array dense */
}

void tt_admit_free(tt_admit *a)
{
	tt_free(a->v, a->cap * sizeof *a->v);
	a->v = NULL, a->n = a->cap = 0;
}
