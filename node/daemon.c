/*
 * daemon.c — govfed node run.
 *
 * One thread (the caller's) owns the store and does all the work: it takes
 * jobs from a queue and runs a housekeeping tick every 100 ms. nng's aio
 * callbacks, on nng's threads, only move messages between the sockets and
 * that queue (a REP context waits, message in hand, until the store thread
 * answers it). So the store is never touched by two threads, and no
 * callback ever blocks or closes anything.
 *
 * Sockets (protocol/README.md): a node with children listens on one port —
 * PUB at ws://HOST:PORT/pub, REP at ws://HOST:PORT/sync and the HTTP
 * status page — and every node dials its parent's /pub (SUB) and /sync
 * (REQ). Downward, the parent announces; children fetch. Upward, children
 * push. Every beacon_ms, the child and the parent swap summaries: that is
 * what makes them converge whatever announcements were lost.
 */
#define _GNU_SOURCE
#include "checkpoint.h"
#include "daemon.h"
#include "http_feed.h"
#include "proto.h"

#include <errno.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/http/http.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_REP 8            /* requests from children handled at once */
#define N_REQ 4            /* requests to the parent in flight */
#define TICK_MS 100
#define QUEUE_MAX 4096
#define REQ_TIMEOUT_MS 60000
#define RATE_PER_S 400.0   /* requests per second per child */
#define RATE_BURST 800.0
#define REJECTS_MAX 32
#define STATUS_EVERY_MS 1000
#define MAINTAIN_EVERY_MS 60000
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
/* A catch-up arrives in steps of at most sync_step commits (config.json,
 * default 500): each pack stays well inside a frame, and each step is
 * imported (and checked) before the next is asked for. A parent serves
 * at most this many per fetch. */
#define STEP_COMMITS_MAX 2000

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

void daemon_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- state ------------------------------------------------------------ */

typedef struct held {
	char id[KEYS_ID_MAX + 1];
	char parent[KEYS_ID_MAX + 1]; /* "" until known */
	int have;                     /* its history is held here */
	int ancestor;                 /* one of this node's ancestors */
	int rank;                     /* ancestors: 0 for the root, then down */
	char commit[PROTO_OID_HEX];
	uint64_t height;
	int64_t time;                 /* the head commit's time */
	int64_t moved;                /* when the head last moved here */
	/* the author's latest signed announcement, for forwarding */
	unsigned char *frame;
	size_t frame_len;
	char frame_commit[PROTO_OID_HEX];
	uint64_t frame_height;
	/* the best head peers announced, for lag */
	char ann_commit[PROTO_OID_HEX];
	uint64_t ann_height;
	int64_t ann_at;
	int64_t seen;                 /* last sign of life */
	/* what the parent holds of it (nodes in this node's subtree) */
	char parent_has[PROTO_OID_HEX];
	uint64_t parent_height;
	int parent_known;
	/* work */
	int want_fetch, want_push, inflight;
	int64_t retry_ms;
	int failures;
} held;

typedef struct rejected {
	int64_t at;
	char node[KEYS_ID_MAX + 1];
	char from[KEYS_ID_MAX + 1];
	char reason[400];
	uint64_t count;   /* the same rejection, repeated */
} rejected;

/* A log that a peer cannot flood: at most LOG_BURST lines of a kind per
 * second; the rest are counted and summed up once a second. */
#define LOG_BURST 10
typedef struct limiter {
	int64_t second;
	unsigned lines;
	uint64_t suppressed;
} limiter;

typedef struct nd nd;

typedef struct rep_slot {
	nd *d;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
} rep_slot;

typedef struct req_slot {
	nd *d;
	nng_ctx ctx;
	nng_aio *aio;
	int busy, receiving;
	proto_type kind;
	char node[KEYS_ID_MAX + 1];
	int64_t sent_ms;
} req_slot;

enum job_kind { J_SUB, J_REQUEST, J_REPLY, J_LINK, J_HEAD };

typedef struct job {
	enum job_kind kind;
	nng_msg *msg;
	rep_slot *rs;
	req_slot *qs;
	int err;
	struct job *next;
} job;

typedef struct child {
	char id[KEYS_ID_MAX + 1];
	int active;
	double tokens;
	int64_t refill_ms;
	int64_t seen;
} child;

struct nd {
	node_home *h;
	const daemon_opts *o;
	char me[KEYS_ID_MAX + 1];
	char parent[KEYS_ID_MAX + 1];
	held *nodes;
	size_t n, cap;
	child *kids;
	size_t nkids;
	rejected rej[REJECTS_MAX];
	size_t nrej, rej_next;
	/* sockets */
	nng_socket pub, rep, sub, req;
	int has_pub, has_rep, has_sub, has_req;
	nng_http_server *http;
	int http_started;
	http_feed *feed;   /* /checkpoints and /feed on the same port */
	nng_http_handler *status_h;
	rep_slot reps[N_REP];
	req_slot reqs[N_REQ];
	nng_aio *sub_aio;
	/* the queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job *head, *tail;
	size_t queued;
	size_t dropped;
	/* the parent link */
	int link_up;
	int64_t link_since, link_last_ok, link_last_err_at;
	char link_last_err[256];
	int64_t next_summary_ms;
	uint64_t seq;
	/* own head watch */
	int inotify_fd;
	pthread_t watch_thread;
	int watch_running, watch_stop;
	char own_commit[PROTO_OID_HEX];
	/* status */
	pthread_mutex_t status_mu;
	char *status_json;
	int64_t next_status_ms, next_maintain_ms, next_tick_ms, started;
	int64_t next_checkpoint_ms;
	int checkpoint_broken; /* said once: the chain needs an operator */
	/* counters */
	uint64_t imported, served, pushed, fetched, announced, bad_frames;
	uint64_t busy, dropped_flood;
	limiter lim_reject, lim_bad, lim_busy;
	/* requests per connection, before anything is verified */
	struct { uint32_t pipe; double tokens; int64_t refill_ms; } pipes[64];
	/* the answer to requests over that budget: signed once a second */
	unsigned char *busy_frame;
	size_t busy_len;
	int64_t busy_second;
	unsigned rand_state;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall(void)
{
	return store_now();
}

/* ---- logging: one line per event ------------------------------------- */

static void dlog(nd *d, const char *level, const char *what,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void dlog(nd *d, const char *level, const char *what,
                 const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char t[32], msg[1200];
	va_list ap;

	if (!strcmp(level, "DEBUG") && !d->o->verbose)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ %-5s %s %s: %s\n", t, ts.tv_nsec / 1000000,
	        level, d->me, what, msg);
	fflush(stderr);
}

/* May a line of this kind go to the log now? Reports what was held back
 * once its second is over. */
static int log_ok(nd *d, limiter *l, const char *what)
{
	int64_t sec = now_ms() / 1000;

	if (sec != l->second) {
		if (l->suppressed)
			dlog(d, "WARN", what, "%llu more in the last second, not "
			     "logged one by one", (unsigned long long)l->suppressed);
		l->second = sec;
		l->lines = 0;
		l->suppressed = 0;
	}
	if (l->lines < LOG_BURST) {
		l->lines++;
		return 1;
	}
	l->suppressed++;
	return 0;
}

static void reject(nd *d, const char *node, const char *from,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reject(nd *d, const char *node, const char *from,
                   const char *fmt, ...)
{
	rejected nr, *last;
	char tmp[400];
	const char *reason;
	size_t nl;
	va_list ap;

	memset(&nr, 0, sizeof(nr));
	nr.at = wall();
	nr.count = 1;
	snprintf(nr.node, sizeof(nr.node), "%s", node ? node : "");
	snprintf(nr.from, sizeof(nr.from), "%s", from ? from : "");
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* store messages start with the node's id: say it once */
	reason = tmp;
	nl = strlen(nr.node);
	if (nl && !strncmp(reason, nr.node, nl) && !strncmp(reason + nl, ": ", 2))
		reason += nl + 2;
	snprintf(nr.reason, sizeof(nr.reason), "%s", reason);
	/* the same rejection again only counts (a flood of one kind must
	 * not wipe out the others) */
	last = d->nrej ? &d->rej[(d->rej_next + REJECTS_MAX - 1) % REJECTS_MAX]
	               : NULL;
	if (last && !strcmp(last->node, nr.node) && !strcmp(last->from, nr.from) &&
	    !strcmp(last->reason, nr.reason)) {
		last->count++;
		last->at = nr.at;
	} else {
		d->rej[d->rej_next] = nr;
		d->rej_next = (d->rej_next + 1) % REJECTS_MAX;
		if (d->nrej < REJECTS_MAX)
			d->nrej++;
	}
	if (log_ok(d, &d->lim_reject, "rejected"))
		dlog(d, "WARN", "rejected", "%s from %s: %s",
		     nr.node[0] ? nr.node : "?", nr.from[0] ? nr.from : "?",
		     nr.reason);
}

/* ---- the node table -------------------------------------------------- */

static held *find(nd *d, const char *id)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->nodes[mid].id, id);
		if (c == 0)
			return &d->nodes[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static held *get(nd *d, const char *id)
{
	size_t lo = 0, hi = d->n;
	held *x = find(d, id);

	if (x != NULL)
		return x;
	if (!store_id_valid(id))
		return NULL;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 64;
		held *nv = realloc(d->nodes, ncap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		d->nodes = nv;
		d->cap = ncap;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(d->nodes[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&d->nodes[lo + 1], &d->nodes[lo], (d->n - lo) * sizeof(held));
	memset(&d->nodes[lo], 0, sizeof(held));
	snprintf(d->nodes[lo].id, sizeof(d->nodes[lo].id), "%s", id);
	d->n++;
	return &d->nodes[lo];
}

/* Is x (transitively) a child of c, as far as this node knows? */
static int in_subtree(nd *d, const char *x, const char *c)
{
	const char *cur = x;

	for (int depth = 0; depth < 8 && cur && cur[0]; depth++) {
		held *h;
		if (strcmp(cur, c) == 0)
			return 1;
		h = find(d, cur);
		if (h == NULL || h->parent[0] == '\0')
			return 0;
		cur = h->parent;
	}
	return 0;
}

static int is_ancestor(nd *d, const char *x)
{
	held *h = find(d, x);

	if (d->parent[0] && strcmp(x, d->parent) == 0)
		return 1;
	if (h != NULL && h->ancestor)
		return 1;
	/* through the chain of parents held here */
	for (const char *cur = d->parent; cur && cur[0];) {
		held *p = find(d, cur);
		if (strcmp(cur, x) == 0)
			return 1;
		if (p == NULL)
			break;
		cur = p->parent;
	}
	return 0;
}

static int depth_of(nd *d, const char *id)
{
	int n = 0;
	for (held *h = find(d, id); h && h->parent[0] && n < 8;
	     h = find(d, h->parent))
		n++;
	return n;
}

/* Reads a held history's head, height and parent from the store. */
static void refresh(nd *d, held *x)
{
	store_head hd;
	store_identity id;
	const char *node = strcmp(x->id, d->me) == 0 ? NULL : x->id;

	if (store_head_get(d->h->st, node, &hd) != 0)
		return;
	if (strcmp(hd.commit, x->commit) != 0)
		x->moved = wall();
	x->have = 1;
	snprintf(x->commit, sizeof(x->commit), "%s", hd.commit);
	x->height = hd.height;
	x->time = hd.time;
	/* where a held history says it sits is authoritative, whatever was
	 * claimed before it arrived */
	if (store_identity_get(d->h->st, node, &id) == 0)
		snprintf(x->parent, sizeof(x->parent), "%s", id.parent);
	if (x->ann_height < x->height) {
		snprintf(x->ann_commit, sizeof(x->ann_commit), "%s", x->commit);
		x->ann_height = x->height;
	}
}

static void load_nodes(nd *d)
{
	store_head *hs = NULL;
	size_t n = 0;

	if (store_heads_list(d->h->st, &hs, &n) != 0) {
		dlog(d, "ERROR", "store", "cannot list histories: %s",
		     store_errmsg());
		return;
	}
	for (size_t i = 0; i < n; i++) {
		held *x = get(d, hs[i].id);
		if (x != NULL)
			refresh(d, x);
	}
	free(hs);
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->nodes[i].id, d->me) && is_ancestor(d, d->nodes[i].id))
			d->nodes[i].ancestor = 1;
	{
		held *me = get(d, d->me);
		if (me) {
			snprintf(me->parent, sizeof(me->parent), "%s", d->parent);
			snprintf(d->own_commit, sizeof(d->own_commit), "%s", me->commit);
		}
	}
}

static void load_children(nd *d)
{
	store_child *c = NULL;
	size_t n = 0;

	if (store_children(d->h->st, &c, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		child *k = NULL;
		held *x;
		for (size_t j = 0; j < d->nkids; j++)
			if (!strcmp(d->kids[j].id, c[i].id))
				k = &d->kids[j];
		if (k == NULL) {
			child *nk = realloc(d->kids, (d->nkids + 1) * sizeof(*nk));
			if (nk == NULL)
				break;
			d->kids = nk;
			k = &d->kids[d->nkids++];
			memset(k, 0, sizeof(*k));
			snprintf(k->id, sizeof(k->id), "%s", c[i].id);
			k->tokens = RATE_BURST;
			k->refill_ms = now_ms();
		}
		k->active = c[i].active;
		x = get(d, c[i].id);
		if (x && x->parent[0] == '\0')
			snprintf(x->parent, sizeof(x->parent), "%s", d->me);
	}
	free(c);
}

static child *find_child(nd *d, const char *id)
{
	for (size_t i = 0; i < d->nkids; i++)
		if (!strcmp(d->kids[i].id, id))
			return &d->kids[i];
	return NULL;
}

static void keep_frame(held *x, const unsigned char *f, size_t len,
                       const char *commit, uint64_t height)
{
	unsigned char *c;

	if (x->frame && x->frame_height >= height)
		return;
	c = malloc(len);
	if (c == NULL)
		return;
	memcpy(c, f, len);
	free(x->frame);
	x->frame = c;
	x->frame_len = len;
	snprintf(x->frame_commit, sizeof(x->frame_commit), "%s", commit);
	x->frame_height = height;
}

static void note_announced(held *x, const char *commit, uint64_t height)
{
	if (height > x->ann_height) {
		snprintf(x->ann_commit, sizeof(x->ann_commit), "%s", commit);
		x->ann_height = height;
		x->ann_at = wall();
	}
}

/* ---- the queue -------------------------------------------------------- */

static int enqueue(nd *d, enum job_kind kind, nng_msg *msg, rep_slot *rs,
                   req_slot *qs, int err)
{
	job *j;

	pthread_mutex_lock(&d->mu);
	if (d->queued >= QUEUE_MAX && kind != J_REPLY) {
		d->dropped++;
		pthread_mutex_unlock(&d->mu);
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		pthread_mutex_unlock(&d->mu);
		return -1;
	}
	j->kind = kind;
	j->msg = msg;
	j->rs = rs;
	j->qs = qs;
	j->err = err;
	if (d->tail)
		d->tail->next = j;
	else
		d->head = j;
	d->tail = j;
	d->queued++;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

static job *dequeue(nd *d, int timeout_ms)
{
	struct timespec ts;
	job *j;

	pthread_mutex_lock(&d->mu);
	if (d->head == NULL && timeout_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)timeout_ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
	}
	j = d->head;
	if (j) {
		d->head = j->next;
		if (d->head == NULL)
			d->tail = NULL;
		d->queued--;
	}
	pthread_mutex_unlock(&d->mu);
	return j;
}

/* ---- nng callbacks (nng's threads: no store, no blocking) -------------- */

/*
 * Who owns a message: an aio holds one only while an operation on it is
 * pending (a send not yet taken by the socket, or given back by a failed
 * send). A received message is taken OUT of the aio here, in the callback,
 * before it goes to the queue: from then on the job (and the store thread,
 * which frees it) is its one owner. nng leaves a received message in the
 * aio after the callback (nng_aio_get_msg(3)); left there, close_sockets
 * freed each request slot's last reply a second time at shutdown, long
 * after the store thread had. That decremented a count in freed memory:
 * harmless while the memory lay unused, but when a new message had been
 * allocated there, it freed that live message under nng's feet ("free():
 * corrupted unsorted chunks" at the stop of an idle township).
 */
static nng_msg *take_msg(nng_aio *aio)
{
	nng_msg *m = nng_aio_get_msg(aio);

	nng_aio_set_msg(aio, NULL);
	return m;
}

static void rep_cb(void *arg)
{
	rep_slot *rs = arg;
	int rv = nng_aio_result(rs->aio);
	nng_msg *m;

	if (rs->sending) {
		if (rv != 0)
			nng_msg_free(take_msg(rs->aio));
		rs->sending = 0;
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
		nng_ctx_recv(rs->ctx, rs->aio);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) {
		nng_ctx_recv(rs->ctx, rs->aio);
		return;
	}
	m = take_msg(rs->aio);
	if (enqueue(rs->d, J_REQUEST, m, rs, NULL, 0) != 0) {
		/* overloaded: drop it; the requester times out and retries */
		nng_msg_free(m);
		nng_ctx_recv(rs->ctx, rs->aio);
	}
	/* else the slot is the store thread's until it replies: nothing
	 * here may touch rs any more */
}

static void sub_cb(void *arg)
{
	nd *d = arg;
	int rv = nng_aio_result(d->sub_aio);

	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv == 0) {
		nng_msg *m = take_msg(d->sub_aio);
		if (enqueue(d, J_SUB, m, NULL, NULL, 0) != 0)
			nng_msg_free(m);
	}
	nng_recv_aio(d->sub, d->sub_aio);
}

static void req_cb(void *arg)
{
	req_slot *qs = arg;
	int rv = nng_aio_result(qs->aio);
	nng_msg *m;

	/* a cancel (the link dropped) is a failure the store thread must
	 * see, to free the slot and retry; only a close (shutdown) is not */
	if (!qs->receiving) {
		if (rv != 0) {
			nng_msg_free(take_msg(qs->aio));
			if (rv != NNG_ECLOSED)
				enqueue(qs->d, J_REPLY, NULL, NULL, qs, rv);
			return;
		}
		qs->receiving = 1;
		nng_ctx_recv(qs->ctx, qs->aio);
		return;
	}
	if (rv == NNG_ECLOSED)
		return;
	m = rv == 0 ? take_msg(qs->aio) : NULL;
	/* the last thing done here: once queued, the store thread may free
	 * the slot and send on this aio again */
	if (enqueue(qs->d, J_REPLY, m, NULL, qs, rv) != 0)
		nng_msg_free(m); /* out of memory: the slot stays busy */
}

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	enqueue(arg, J_LINK, NULL, NULL, NULL, ev == NNG_PIPE_EV_ADD_POST);
}

/* ---- sending ----------------------------------------------------------- */

static nng_msg *to_msg(const void *a, size_t alen, const void *b, size_t blen)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, 0) != 0)
		return NULL;
	if ((alen && nng_msg_append(m, a, alen) != 0) ||
	    (blen && nng_msg_append(m, b, blen) != 0)) {
		nng_msg_free(m);
		return NULL;
	}
	return m;
}

static nng_msg *encode(nd *d, proto_msg *m, const void *payload,
                       size_t plen)
{
	unsigned char *buf = NULL;
	size_t len;
	nng_msg *msg;

	if (proto_encode(&buf, &len, m, d->h->sk, payload, plen) != 0) {
		dlog(d, "ERROR", "encode", "cannot encode a %s message",
		     proto_type_name(m->type));
		return NULL;
	}
	msg = to_msg(buf, len, NULL, 0);
	free(buf);
	return msg;
}

static void reply(rep_slot *rs, nng_msg *m)
{
	if (m == NULL) {
		nng_ctx_recv(rs->ctx, rs->aio);
		return;
	}
	rs->sending = 1;
	nng_aio_set_msg(rs->aio, m);
	nng_ctx_send(rs->ctx, rs->aio);
}

static nng_msg *error_msg(nd *d, const char *to, const char *code,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static nng_msg *error_msg(nd *d, const char *to, const char *code,
                          const char *fmt, ...)
{
	proto_msg m;
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_ERROR;
	snprintf(m.from, sizeof(m.from), "%s", d->me);
	snprintf(m.to, sizeof(m.to), "%s",
	         to && store_id_valid(to) ? to : d->me);
	m.time = wall();
	snprintf(m.code, sizeof(m.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(m.reason, sizeof(m.reason), fmt, ap);
	va_end(ap);
	return encode(d, &m, NULL, 0);
}

static void publish(nd *d, const char *node, const unsigned char *frame,
                    size_t len)
{
	unsigned char *w;
	size_t wl;
	nng_msg *m;

	if (!d->has_pub || proto_pub_wrap(&w, &wl, node, frame, len) != 0)
		return;
	m = to_msg(w, wl, NULL, 0);
	free(w);
	if (m == NULL)
		return;
	if (nng_sendmsg(d->pub, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
	else
		d->announced++;
}

/* ---- the own head ------------------------------------------------------- */

static void own_head_changed(nd *d)
{
	char hex[STORE_OID_HEX];
	held *me;
	proto_msg m;
	unsigned char *f;
	size_t flen;

	if (store_head_peek(d->h->st, NULL, hex) != 0 ||
	    strcmp(hex, d->own_commit) == 0)
		return;
	snprintf(d->own_commit, sizeof(d->own_commit), "%s", hex);
	me = get(d, d->me);
	if (me == NULL)
		return;
	refresh(d, me);
	snprintf(me->parent, sizeof(me->parent), "%s", d->parent);
	load_children(d); /* a new enrollment or revocation */
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEAD;
	m.head = (proto_head){ "", "", me->height, me->time };
	snprintf(m.head.node, sizeof(m.head.node), "%s", d->me);
	snprintf(m.head.commit, sizeof(m.head.commit), "%s", me->commit);
	if (proto_encode(&f, &flen, &m, d->h->sk, NULL, 0) == 0) {
		keep_frame(me, f, flen, me->commit, me->height);
		publish(d, d->me, f, flen);
		free(f);
	}
	dlog(d, "INFO", "head", "own history at %.12s (height %llu)",
	     me->commit, (unsigned long long)me->height);
	if (d->parent[0])
		me->want_push = 1;
}

static void *watch_main(void *arg)
{
	nd *d = arg;
	char buf[4096];

	/* no cancellation: a poll with a timeout, and a flag to stop */
	while (!__atomic_load_n(&d->watch_stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { d->inotify_fd, POLLIN, 0 };
		int r = poll(&p, 1, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (read(d->inotify_fd, buf, sizeof(buf)) > 0)
			enqueue(d, J_HEAD, NULL, NULL, NULL, 0);
	}
	return NULL;
}

/* ---- requests from children --------------------------------------------- */

static int rate_ok(child *k)
{
	int64_t t = now_ms();

	k->tokens += (double)(t - k->refill_ms) * RATE_PER_S / 1000.0;
	if (k->tokens > RATE_BURST)
		k->tokens = RATE_BURST;
	k->refill_ms = t;
	if (k->tokens < 1.0)
		return 0;
	k->tokens -= 1.0;
	return 1;
}

static nng_msg *summary_for_child(nd *d, const char *c)
{
	proto_msg m;
	proto_head *hs;
	size_t n = 0;
	nng_msg *out;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_SUMMARY;
	snprintf(m.from, sizeof(m.from), "%s", d->me);
	snprintf(m.to, sizeof(m.to), "%s", c);
	m.time = wall();
	m.seq = ++d->seq;
	hs = calloc(d->n + 1, sizeof(*hs));
	if (hs == NULL)
		return NULL;
	/* its ancestors, root first (the order it must apply them in), then
	 * what this node holds of its subtree */
	for (int depth = 0; depth <= 8; depth++)
		for (size_t i = 0; i < d->n; i++) {
			held *x = &d->nodes[i];
			int anc = !strcmp(x->id, d->me) || is_ancestor(d, x->id);
			if (!x->have || !anc || depth_of(d, x->id) != depth)
				continue;
			snprintf(hs[n].node, sizeof(hs[n].node), "%s", x->id);
			snprintf(hs[n].commit, sizeof(hs[n].commit), "%s", x->commit);
			hs[n].height = x->height;
			hs[n].time = x->time;
			n++;
		}
	for (size_t i = 0; i < d->n; i++) {
		held *x = &d->nodes[i];
		if (!x->have || !in_subtree(d, x->id, c))
			continue;
		snprintf(hs[n].node, sizeof(hs[n].node), "%s", x->id);
		snprintf(hs[n].commit, sizeof(hs[n].commit), "%s", x->commit);
		hs[n].height = x->height;
		hs[n].time = x->time;
		n++;
	}
	m.heads = hs;
	m.nheads = n;
	out = encode(d, &m, NULL, 0);
	free(hs);
	return out;
}

static void on_summary(nd *d, const proto_msg *m)
{
	int64_t t = wall();

	for (size_t i = 0; i < m->nseen; i++) {
		const proto_seen *s = &m->seen[i];
		held *x;
		/* the sender speaks for its own subtree only, and a node is
		 * where the certificates held here put it: its parent (in the
		 * sender's subtree) must have certified it */
		if (!in_subtree(d, s->parent, m->from) ||
		    !store_certifies(d->h->st, s->parent, s->node))
			continue;
		x = get(d, s->node);
		if (x == NULL || (x->have && !in_subtree(d, s->node, m->from)) ||
		    (x->parent[0] && strcmp(x->parent, s->parent) != 0))
			continue;
		if (x->parent[0] == '\0')
			snprintf(x->parent, sizeof(x->parent), "%s", s->parent);
		if (s->time > x->seen && s->time <= t + 60)
			x->seen = s->time;
	}
	for (size_t i = 0; i < m->nheads; i++) {
		held *x;
		if (!in_subtree(d, m->heads[i].node, m->from) &&
		    strcmp(m->heads[i].node, m->from) != 0)
			continue;
		x = get(d, m->heads[i].node);
		if (x)
			note_announced(x, m->heads[i].commit, m->heads[i].height);
	}
}

static nng_msg *serve_fetch(nd *d, const proto_msg *m)
{
	const char *x = m->head.node;
	held *hx = find(d, x);
	store_buf pack = { 0 };
	store_pack_info info;
	size_t limit = m->limit ? m->limit : (size_t)d->h->cfg.sync_step;
	proto_msg r;
	nng_msg *out;
	int rc;

	if (strcmp(x, d->me) != 0 && !is_ancestor(d, x)) {
		reject(d, x, m->from, "fetch refused: %s is not an ancestor of %s",
		       x, m->from);
		return error_msg(d, m->from, "not-entitled",
		                 "%s is not an ancestor of %s: its history is not "
		                 "served to you", x, m->from);
	}
	if (hx == NULL || !hx->have)
		return error_msg(d, m->from, "internal",
		                 "%s's history is not held here yet", x);
	if (limit > STEP_COMMITS_MAX)
		limit = STEP_COMMITS_MAX;
	rc = store_pack_range(d->h->st, strcmp(x, d->me) ? x : NULL, m->base,
	                      limit, &pack, &info);
	if (rc != 0)
		return error_msg(d, m->from, "internal", "cannot pack %s: %s", x,
		                 store_errmsg());
	memset(&r, 0, sizeof(r));
	r.type = PROTO_PACK;
	snprintf(r.from, sizeof(r.from), "%s", d->me);
	snprintf(r.to, sizeof(r.to), "%s", m->from);
	r.time = wall();
	snprintf(r.head.node, sizeof(r.head.node), "%s", x);
	snprintf(r.head.commit, sizeof(r.head.commit), "%s", info.head);
	r.head.height = hx->height;
	if (strcmp(info.head, hx->commit) != 0)
		store_commit_height(d->h->st, info.head, &r.head.height);
	r.commits = (uint32_t)info.commits;
	snprintf(r.base, sizeof(r.base), "%s", info.base);
	if (hx->frame && !strcmp(hx->frame_commit, info.head)) {
		r.announce = hx->frame;
		r.announce_len = hx->frame_len;
	}
	out = encode(d, &r, pack.ptr, pack.len);
	d->served++;
	dlog(d, "DEBUG", "serve", "%s's history to %s: %zu commits from %.12s "
	     "(%zu bytes, %zu deltas)", x, m->from, info.commits,
	     info.base[0] ? info.base : "the start", pack.len, info.deltas);
	store_buf_free(&pack);
	return out;
}

/* entitlement for pushes: the pushed node is the sender or below it */
typedef struct push_ctx {
	nd *d;
	const char *from;
	int denied;
} push_ctx;

static int push_allowed(void *ctx, const char *node, const char *parent,
                        char *why, size_t whylen)
{
	push_ctx *pc = ctx;

	if (!strcmp(node, pc->from) || in_subtree(pc->d, parent, pc->from))
		return 1;
	pc->denied = 1;
	snprintf(why, whylen,
	         "%s (child of %s) is not %s or below it: a child pushes only "
	         "its own subtree", node, parent[0] ? parent : "nobody",
	         pc->from);
	return 0;
}

static void after_import(nd *d, held *x, const proto_msg *m,
                         const char *from, size_t commits)
{
	x->have = 1;
	refresh(d, x);
	/* keep the author's announcement if it is genuine */
	if (m->announce) {
		proto_msg a;
		char why[256];
		keys_public signer;
		if (proto_decode(&a, m->announce, m->announce_len, why,
		                 sizeof(why)) == 0 &&
		    proto_verify(&a, NULL, &signer) == 0 &&
		    store_key_speaks_for(d->h->st, &d->h->root, x->id, &signer, why,
		                         sizeof(why)) == 0) {
			note_announced(x, a.head.commit, a.head.height);
			keep_frame(x, m->announce, m->announce_len, a.head.commit,
			           a.head.height);
		}
		proto_msg_clear(&a);
	}
	d->imported += commits;
	if (commits)
		dlog(d, "INFO", "import", "%s +%zu commit%s from %s, head %.12s "
		     "(height %llu)", x->id, commits, commits == 1 ? "" : "s", from,
		     x->commit, (unsigned long long)x->height);
}

static nng_msg *accept_push(nd *d, const proto_msg *m)
{
	const char *x = m->head.node;
	store_import_result res;
	push_ctx pc = { d, m->from, 0 };
	proto_msg r;
	held *hx;
	int rc;

	rc = store_import_ex(d->h->st, &d->h->root, x, m->head.commit,
	                     m->payload, m->payload_len, push_allowed, &pc, &res);
	if (rc == STORE_EWAIT)
		return error_msg(d, m->from, "wait", "%s", store_errmsg());
	if (rc == STORE_ESTALE)
		return error_msg(d, m->from, "stale", "%s", store_errmsg());
	if (rc == STORE_EFORK) {
		reject(d, x, m->from, "%s", store_errmsg());
		return error_msg(d, m->from, "refused", "%s", store_errmsg());
	}
	if (rc != 0) {
		reject(d, x, m->from, "%s%s", pc.denied ? "push refused: " : "",
		       store_errmsg());
		return error_msg(d, m->from, pc.denied              ? "not-entitled"
		                             : rc == STORE_EREJECT ? "refused"
		                                                   : "internal",
		                 "%s", store_errmsg());
	}
	hx = get(d, x);
	if (hx) {
		after_import(d, hx, m, m->from, res.commits);
		if (d->parent[0])
			hx->want_push = 1;
	}
	memset(&r, 0, sizeof(r));
	r.type = PROTO_OKAY;
	snprintf(r.from, sizeof(r.from), "%s", d->me);
	snprintf(r.to, sizeof(r.to), "%s", m->from);
	r.time = wall();
	snprintf(r.head.node, sizeof(r.head.node), "%s", x);
	snprintf(r.head.commit, sizeof(r.head.commit), "%s", m->head.commit);
	r.commits = (uint32_t)res.commits;
	return encode(d, &r, NULL, 0);
}

static void bad_frame(nd *d, const char *why)
{
	d->bad_frames++;
	if (log_ok(d, &d->lim_bad, "bad-frame"))
		dlog(d, "WARN", "bad-frame", "%s", why);
}

/* A budget per connection, spent before any signature is checked: a
 * flood costs the flooder, not the node. */
static int pipe_ok(nd *d, nng_msg *msg)
{
	uint32_t id = nng_pipe_id(nng_msg_get_pipe(msg));
	int64_t t = now_ms();
	size_t slot = id % 64;

	if (d->pipes[slot].pipe != id) {
		d->pipes[slot].pipe = id;
		d->pipes[slot].tokens = RATE_BURST;
		d->pipes[slot].refill_ms = t;
	}
	d->pipes[slot].tokens += (double)(t - d->pipes[slot].refill_ms) *
	                         RATE_PER_S / 1000.0;
	if (d->pipes[slot].tokens > RATE_BURST)
		d->pipes[slot].tokens = RATE_BURST;
	d->pipes[slot].refill_ms = t;
	if (d->pipes[slot].tokens < 1.0)
		return 0;
	d->pipes[slot].tokens -= 1.0;
	return 1;
}

static void on_request(nd *d, rep_slot *rs, nng_msg *msg)
{
	proto_msg m;
	char why[512];
	keys_public signer;
	child *k;
	nng_msg *out = NULL;

	memset(&m, 0, sizeof(m));
	if (!pipe_ok(d, msg)) {
		/* over its budget: answered busy, unread, with a frame signed
		 * once a second (a flood costs the flooder, not this node) */
		int64_t sec = wall();
		d->dropped_flood++;
		if (log_ok(d, &d->lim_busy, "flood"))
			dlog(d, "WARN", "flood", "a connection is over %.0f requests "
			     "per second; answered busy unread", RATE_PER_S);
		if (d->busy_frame == NULL || d->busy_second != sec) {
			proto_msg e;
			memset(&e, 0, sizeof(e));
			e.type = PROTO_ERROR;
			snprintf(e.from, sizeof(e.from), "%s", d->me);
			snprintf(e.to, sizeof(e.to), "%s", d->me);
			e.time = sec;
			snprintf(e.code, sizeof(e.code), "busy");
			snprintf(e.reason, sizeof(e.reason),
			         "too many requests on this connection; slow down");
			free(d->busy_frame);
			d->busy_frame = NULL;
			if (proto_encode(&d->busy_frame, &d->busy_len, &e, d->h->sk,
			                 NULL, 0) == 0)
				d->busy_second = sec;
		}
		nng_msg_free(msg);
		reply(rs, d->busy_frame ? to_msg(d->busy_frame, d->busy_len, NULL, 0)
		                        : NULL);
		return;
	}
	if (proto_decode(&m, nng_msg_body(msg), nng_msg_len(msg), why,
	                 sizeof(why)) != 0) {
		bad_frame(d, why);
		out = error_msg(d, NULL, "bad-frame", "%s", why);
		goto done;
	}
	if (proto_check_addressing(&m, d->me, wall(), why, sizeof(why)) != 0) {
		reject(d, NULL, m.from, "%s", why);
		out = error_msg(d, m.from, "bad-frame", "%s", why);
		goto done;
	}
	k = find_child(d, m.from);
	if (k == NULL || !k->active) {
		load_children(d);
		k = find_child(d, m.from);
	}
	if (k == NULL || !k->active) {
		reject(d, NULL, m.from, "%s is not an enrolled child of %s", m.from,
		       d->me);
		out = error_msg(d, m.from, "not-enrolled",
		                "%s is not an enrolled child of %s", m.from, d->me);
		goto done;
	}
	if (proto_verify(&m, NULL, &signer) != 0) {
		reject(d, NULL, m.from, "bad signature: the request's signature "
		       "does not verify");
		out = error_msg(d, m.from, "bad-signature",
		                "the request is not signed by %s's key", m.from);
		goto done;
	}
	if (store_key_speaks_for(d->h->st, &d->h->root, m.from, &signer, why,
	                         sizeof(why)) != 0) {
		reject(d, NULL, m.from, "bad signature: %s", why);
		out = error_msg(d, m.from, "bad-signature",
		                "the request is not signed by %s's key", m.from);
		goto done;
	}
	if (!rate_ok(k)) {
		d->busy++;
		if (log_ok(d, &d->lim_busy, "busy"))
			dlog(d, "WARN", "busy", "%s is over %.0f requests per second; "
			     "answered busy", m.from, RATE_PER_S);
		out = error_msg(d, m.from, "busy", "too many requests; slow down");
		goto done;
	}
	k->seen = wall();
	{
		held *hc = get(d, m.from);
		if (hc) {
			hc->seen = k->seen;
			if (hc->parent[0] == '\0')
				snprintf(hc->parent, sizeof(hc->parent), "%s", d->me);
		}
	}
	switch (m.type) {
	case PROTO_SUMMARY:
		on_summary(d, &m);
		out = summary_for_child(d, m.from);
		break;
	case PROTO_FETCH:
		out = serve_fetch(d, &m);
		break;
	case PROTO_PUSH:
		out = accept_push(d, &m);
		break;
	default:
		out = error_msg(d, m.from, "bad-frame",
		                "a parent does not take '%s' messages",
		                proto_type_name(m.type));
	}
done:
	proto_msg_clear(&m);
	nng_msg_free(msg);
	reply(rs, out);
}

/* ---- announcements from the parent --------------------------------------- */

static void on_announcement(nd *d, nng_msg *msg)
{
	const unsigned char *f;
	size_t flen;
	char topic[KEYS_ID_MAX + 1], why[512];
	keys_public signer;
	proto_msg m;
	held *x;

	memset(&m, 0, sizeof(m));
	if (proto_pub_unwrap(&f, &flen, topic, nng_msg_body(msg),
	                     nng_msg_len(msg)) != 0) {
		bad_frame(d, "a message on the parent's /pub without a node topic");
		return;
	}
	if (proto_decode(&m, f, flen, why, sizeof(why)) != 0) {
		char b[600];
		snprintf(b, sizeof(b), "an announcement from the parent: %s", why);
		bad_frame(d, b);
		return;
	}
	if (m.type != PROTO_HEAD || strcmp(topic, m.head.node) != 0) {
		bad_frame(d, "a message on /pub that is not a head announcement");
		goto done;
	}
	if (d->o->drop_announce > 0) {
		d->rand_state = d->rand_state * 1103515245u + 12345u;
		if ((double)((d->rand_state >> 8) & 0xffff) / 65536.0 <
		    d->o->drop_announce) {
			dlog(d, "DEBUG", "announce", "dropped %s %.12s (test switch)",
			     m.head.node, m.head.commit);
			goto done;
		}
	}
	if (!is_ancestor(d, m.head.node) && strcmp(m.head.node, d->parent) != 0) {
		if (find(d, m.head.node) == NULL || !find(d, m.head.node)->have) {
			/* not known here yet: the next summary lists the
			 * ancestors, and says whether this is one */
			dlog(d, "DEBUG", "announce", "%s not known yet; asking the "
			     "parent for a summary", m.head.node);
			d->next_summary_ms = 0;
		} else {
			reject(d, m.head.node, d->parent,
			       "an announcement for %s, which is not an ancestor of "
			       "%s", m.head.node, d->me);
		}
		goto done;
	}
	if (proto_verify(&m, NULL, &signer) != 0) {
		reject(d, m.head.node, d->parent,
		       "forged announcement: its signature does not verify");
		goto done;
	}
	switch (store_key_speaks_for(d->h->st, &d->h->root, m.head.node, &signer,
	                             why, sizeof(why))) {
	case 0:
		break;
	case STORE_ENOTFOUND:
		/* cannot judge it yet: the summary leads the way */
		dlog(d, "DEBUG", "announce", "%s: %s", m.head.node, why);
		d->next_summary_ms = 0;
		goto done;
	default:
		reject(d, m.head.node, d->parent, "forged announcement: %s", why);
		goto done;
	}
	x = get(d, m.head.node);
	if (x == NULL)
		goto done;
	x->ancestor = 1;
	note_announced(x, m.head.commit, m.head.height);
	if (m.head.height > x->height || !x->have) {
		keep_frame(x, f, flen, m.head.commit, m.head.height);
		x->want_fetch = 1;
		dlog(d, "DEBUG", "announce", "%s at %.12s (height %llu)",
		     m.head.node, m.head.commit,
		     (unsigned long long)m.head.height);
	} else if (m.head.height < x->height) {
		reject(d, m.head.node, d->parent,
		       "replayed announcement: height %llu, older than the %llu "
		       "held; ignored", (unsigned long long)m.head.height,
		       (unsigned long long)x->height);
	}
done:
	proto_msg_clear(&m);
}

/* ---- requests to the parent ---------------------------------------------- */

static req_slot *free_slot(nd *d)
{
	for (int i = 0; i < N_REQ; i++)
		if (!d->reqs[i].busy)
			return &d->reqs[i];
	return NULL;
}

static void send_req(req_slot *qs, proto_type kind, const char *node,
                     nng_msg *m)
{
	qs->busy = 1;
	qs->receiving = 0;
	qs->kind = kind;
	snprintf(qs->node, sizeof(qs->node), "%s", node ? node : "");
	qs->sent_ms = now_ms();
	nng_aio_set_msg(qs->aio, m);
	nng_ctx_send(qs->ctx, qs->aio);
}

static void send_summary(nd *d, req_slot *qs)
{
	proto_msg m;
	proto_head *hs = calloc(d->n + 1, sizeof(*hs));
	proto_seen *ss = calloc(d->n + 1, sizeof(*ss));
	nng_msg *msg;

	if (hs == NULL || ss == NULL) {
		free(hs);
		free(ss);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_SUMMARY;
	snprintf(m.from, sizeof(m.from), "%s", d->me);
	snprintf(m.to, sizeof(m.to), "%s", d->parent);
	m.time = wall();
	m.seq = ++d->seq;
	for (size_t i = 0; i < d->n; i++) {
		held *x = &d->nodes[i];
		if (!in_subtree(d, x->id, d->me))
			continue;
		if (x->have) {
			proto_head *h = &hs[m.nheads++];
			snprintf(h->node, sizeof(h->node), "%s", x->id);
			snprintf(h->commit, sizeof(h->commit), "%s", x->commit);
			h->height = x->height;
			h->time = x->time;
		}
		if (strcmp(x->id, d->me) != 0 && x->seen > 0 && x->parent[0]) {
			proto_seen *s = &ss[m.nseen++];
			snprintf(s->node, sizeof(s->node), "%s", x->id);
			snprintf(s->parent, sizeof(s->parent), "%s", x->parent);
			s->time = x->seen;
		}
	}
	m.heads = hs;
	m.seen = ss;
	msg = encode(d, &m, NULL, 0);
	free(hs);
	free(ss);
	if (msg)
		send_req(qs, PROTO_SUMMARY, NULL, msg);
}

static void send_fetch(nd *d, req_slot *qs, held *x)
{
	proto_msg m;
	nng_msg *msg;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_FETCH;
	snprintf(m.from, sizeof(m.from), "%s", d->me);
	snprintf(m.to, sizeof(m.to), "%s", d->parent);
	m.time = wall();
	snprintf(m.head.node, sizeof(m.head.node), "%s", x->id);
	if (x->have)
		snprintf(m.base, sizeof(m.base), "%s", x->commit);
	m.limit = (uint32_t)d->h->cfg.sync_step;
	msg = encode(d, &m, NULL, 0);
	if (msg == NULL)
		return;
	x->inflight = 1;
	x->want_fetch = 0;
	send_req(qs, PROTO_FETCH, x->id, msg);
}

static void send_push(nd *d, req_slot *qs, held *x)
{
	store_buf pack = { 0 };
	store_pack_info info;
	proto_msg m;
	nng_msg *msg;
	const char *node = strcmp(x->id, d->me) ? x->id : NULL;

	if (store_pack_range(d->h->st, node,
	                     x->parent_known ? x->parent_has : NULL,
	                     (size_t)d->h->cfg.sync_step, &pack, &info) != 0) {
		dlog(d, "ERROR", "push", "cannot pack %s: %s", x->id,
		     store_errmsg());
		x->want_push = 0;
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_PUSH;
	snprintf(m.from, sizeof(m.from), "%s", d->me);
	snprintf(m.to, sizeof(m.to), "%s", d->parent);
	m.time = wall();
	snprintf(m.head.node, sizeof(m.head.node), "%s", x->id);
	snprintf(m.head.commit, sizeof(m.head.commit), "%s", info.head);
	m.head.height = x->height;
	if (strcmp(info.head, x->commit) != 0)
		store_commit_height(d->h->st, info.head, &m.head.height);
	snprintf(m.base, sizeof(m.base), "%s", info.base);
	if (x->frame && !strcmp(x->frame_commit, info.head)) {
		m.announce = x->frame;
		m.announce_len = x->frame_len;
	}
	msg = encode(d, &m, pack.ptr, pack.len);
	store_buf_free(&pack);
	if (msg == NULL)
		return;
	x->inflight = 1;
	x->want_push = 0;
	send_req(qs, PROTO_PUSH, x->id, msg);
}

static int cmp_depth(nd *d, held *a, held *b)
{
	return depth_of(d, a->id) - depth_of(d, b->id);
}

static void dispatch(nd *d)
{
	int64_t t = now_ms();
	req_slot *qs;

	if (!d->has_req || !d->link_up)
		return;
	if (t >= d->next_summary_ms && (qs = free_slot(d)) != NULL) {
		int busy = 0;
		for (int i = 0; i < N_REQ; i++)
			busy |= d->reqs[i].busy && d->reqs[i].kind == PROTO_SUMMARY;
		if (!busy) {
			send_summary(d, qs);
			d->next_summary_ms = t + d->h->cfg.beacon_ms;
		}
	}
	while ((qs = free_slot(d)) != NULL) {
		held *best = NULL;
		int push = 0;
		for (size_t i = 0; i < d->n; i++) {
			held *x = &d->nodes[i];
			if (x->inflight || x->retry_ms > t)
				continue;
			if (x->want_push && x->have) {
				if (!push || cmp_depth(d, x, best) < 0)
					best = x;
				push = 1;
			} else if (!push && x->want_fetch &&
			           (best == NULL || x->rank < best->rank)) {
				best = x; /* ancestors root first */
			}
		}
		if (best == NULL)
			break;
		if (push)
			send_push(d, qs, best);
		else
			send_fetch(d, qs, best);
	}
}

static void backoff(held *x)
{
	int64_t b = BACKOFF_MIN_MS << (x->failures < 5 ? x->failures : 5);

	if (b > BACKOFF_MAX_MS)
		b = BACKOFF_MAX_MS;
	x->failures++;
	x->retry_ms = now_ms() + b;
}

static void on_parent_summary(nd *d, const proto_msg *m)
{
	int64_t t = wall();

	for (size_t i = 0; i < m->nheads; i++) {
		const proto_head *h = &m->heads[i];
		held *x = get(d, h->node);
		if (x == NULL)
			continue;
		if (in_subtree(d, h->node, d->me)) {
			snprintf(x->parent_has, sizeof(x->parent_has), "%s", h->commit);
			x->parent_height = h->height;
			x->parent_known = 1;
			continue;
		}
		/* the parent lists only this node's ancestors besides, root
		 * first */
		x->ancestor = 1;
		x->rank = (int)i;
		note_announced(x, h->commit, h->height);
		if (!x->have || h->height > x->height)
			x->want_fetch = 1;
	}
	/* what the parent lacks of this node's subtree */
	for (size_t i = 0; i < d->n; i++) {
		held *x = &d->nodes[i];
		int listed = 0;
		if (!x->have || !in_subtree(d, x->id, d->me))
			continue;
		for (size_t j = 0; j < m->nheads; j++)
			listed |= !strcmp(m->heads[j].node, x->id);
		if (!listed)
			x->parent_known = 0;
		if (!listed || strcmp(x->parent_has, x->commit) != 0)
			x->want_push = 1;
	}
	{
		held *p = get(d, d->parent);
		if (p)
			p->seen = t;
	}
}

static void on_reply(nd *d, req_slot *qs, nng_msg *msg, int err)
{
	held *x = qs->node[0] ? find(d, qs->node) : NULL;
	proto_msg m;
	char why[512];
	keys_public signer;

	memset(&m, 0, sizeof(m));
	if (x)
		x->inflight = 0;
	qs->busy = 0;
	if (err != 0 || msg == NULL) {
		snprintf(d->link_last_err, sizeof(d->link_last_err), "%s %s: %s",
		         proto_type_name(qs->kind), qs->node,
		         err == NNG_ECANCELED ? "the link dropped" : nng_strerror(err));
		d->link_last_err_at = wall();
		dlog(d, "WARN", "parent", "%s", d->link_last_err);
		if (x)
			backoff(x);
		if (x && qs->kind == PROTO_FETCH)
			x->want_fetch = 1;
		if (x && qs->kind == PROTO_PUSH)
			x->want_push = 1;
		return;
	}
	if (proto_decode(&m, nng_msg_body(msg), nng_msg_len(msg), why,
	                 sizeof(why)) != 0 ||
	    proto_check_addressing(&m, d->me, wall(), why, sizeof(why)) != 0) {
		bad_frame(d, why);
		if (x)
			backoff(x);
		goto done;
	}
	/* the parent's key, when this node can know it (packs prove
	 * themselves; summaries are hints for what to fetch) */
	if (proto_verify(&m, NULL, &signer) != 0 ||
	    (store_key_speaks_for(d->h->st, &d->h->root, d->parent, &signer, why,
	                          sizeof(why)) == STORE_EREJECT)) {
		reject(d, qs->node, d->parent, "a reply not signed by %s: %s",
		       d->parent, why);
		if (x)
			backoff(x);
		goto done;
	}
	d->link_last_ok = wall();
	switch (m.type) {
	case PROTO_SUMMARY:
		on_parent_summary(d, &m);
		break;
	case PROTO_PACK: {
		store_import_result res;
		int rc;
		if (x == NULL || strcmp(m.head.node, x->id) != 0)
			break;
		rc = store_import(d->h->st, &d->h->root, x->id, m.head.commit,
		                  m.payload, m.payload_len, &res);
		if (rc == STORE_EWAIT) {
			/* its parent's history first: the summary says which */
			dlog(d, "DEBUG", "fetch", "%s", store_errmsg());
			x->want_fetch = 1;
			x->retry_ms = now_ms() + BACKOFF_MIN_MS;
			d->next_summary_ms = 0;
			break;
		}
		if (rc != 0 && rc != STORE_ESTALE) {
			reject(d, x->id, d->parent, "%s", store_errmsg());
			backoff(x);
			break;
		}
		x->failures = 0;
		d->fetched += res.commits;
		after_import(d, x, &m, d->parent, res.commits);
		/* forward the author's announcement to this node's children */
		if (x->frame && !strcmp(x->frame_commit, x->commit))
			publish(d, x->id, x->frame, x->frame_len);
		if (x->ann_height > x->height)
			x->want_fetch = 1;
		break;
	}
	case PROTO_OKAY:
		if (x == NULL)
			break;
		x->failures = 0;
		snprintf(x->parent_has, sizeof(x->parent_has), "%s", m.head.commit);
		x->parent_known = 1;
		d->pushed += m.commits;
		if (strcmp(x->commit, m.head.commit) != 0)
			x->want_push = 1;
		break;
	case PROTO_ERROR:
		if (x) {
			backoff(x);
			if (strcmp(m.code, "stale") == 0) {
				x->parent_known = 0; /* ask again at the next summary */
			} else if (qs->kind == PROTO_PUSH) {
				x->want_push = strcmp(m.code, "refused") != 0;
			} else if (qs->kind == PROTO_FETCH) {
				x->want_fetch = strcmp(m.code, "not-entitled") != 0;
			}
		}
		dlog(d, strcmp(m.code, "wait") ? "WARN" : "DEBUG", "parent",
		     "%s %s: %s: %s", proto_type_name(qs->kind), qs->node, m.code,
		     m.reason);
		break;
	default:
		bad_frame(d, "an unexpected reply from the parent");
	}
done:
	proto_msg_clear(&m);
	nng_msg_free(msg);
}

/* ---- status ---------------------------------------------------------------- */

static const char *fmt_time(char buf[21], int64_t t)
{
	if (t <= 0)
		return NULL;
	keys_time_format(buf, t);
	return buf;
}

static json_t *status_doc(nd *d)
{
	json_t *o = json_object(), *nodes = json_array(), *kids = json_array(),
	       *rej = json_array(), *link = json_object();
	int64_t t = wall(), stale = (int64_t)d->h->cfg.stale_ms / 1000;
	char a[21], b[21], c[21];

	if (stale < 1)
		stale = 1;
	json_object_set_new(o, "node", json_string(d->me));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "started", json_string(fmt_time(a, d->started)));
	json_object_set_new(o, "updated", json_string(fmt_time(b, t)));
	json_object_set_new(o, "stale_after_s", json_integer(stale));
	for (size_t i = 0; i < d->n; i++) {
		held *x = &d->nodes[i];
		int self = !strcmp(x->id, d->me);
		const char *role = self ? "self"
		                   : is_ancestor(d, x->id)        ? "ancestor"
		                   : in_subtree(d, x->id, d->me) ? "descendant"
		                                                  : "other";
		json_t *n = json_pack("{s:s,s:s,s:s,s:b}", "id", x->id, "role", role,
		                      "parent", x->parent, "held", x->have);
		if (x->have) {
			json_object_set_new(n, "head", json_string(x->commit));
			json_object_set_new(n, "height", json_integer((json_int_t)x->height));
			json_object_set_new(n, "head_time",
			                    json_string(fmt_time(c, x->time)));
		}
		if (x->moved > 0)
			json_object_set_new(n, "updated", json_string(fmt_time(a, x->moved)));
		json_object_set_new(n, "announced_height",
		                    json_integer((json_int_t)x->ann_height));
		json_object_set_new(n, "lag", json_integer(x->ann_height > x->height
		                                                   ? (json_int_t)(x->ann_height - x->height)
		                                                   : 0));
		if (!self && !is_ancestor(d, x->id)) {
			json_object_set_new(n, "last_seen",
			                    x->seen ? json_string(fmt_time(b, x->seen))
			                            : json_null());
			json_object_set_new(n, "fresh",
			                    json_boolean(x->seen && t - x->seen <= stale));
		}
		json_array_append_new(nodes, n);
	}
	for (size_t i = 0; i < d->nkids; i++) {
		child *k = &d->kids[i];
		json_array_append_new(
		        kids, json_pack("{s:s,s:b,s:s?,s:s}", "id", k->id, "enrolled",
		                        k->active, "last_seen", fmt_time(a, k->seen),
		                        "state", !k->seen ? "never"
		                                 : t - k->seen <= stale ? "up"
		                                                        : "stale"));
	}
	for (size_t i = 0; i < d->nrej; i++) {
		rejected *r = &d->rej[(d->rej_next + REJECTS_MAX - 1 - i) % REJECTS_MAX];
		json_array_append_new(rej, json_pack("{s:s,s:s,s:s,s:s,s:I}", "at",
		                                     fmt_time(a, r->at), "node", r->node,
		                                     "from", r->from, "reason",
		                                     r->reason, "count",
		                                     (json_int_t)r->count));
	}
	if (d->parent[0]) {
		json_object_set_new(link, "id", json_string(d->parent));
		json_object_set_new(link, "url", json_string(d->h->cfg.parent_url));
		json_object_set_new(link, "state",
		                    json_string(d->link_up ? "up" : "down"));
		json_object_set_new(link, "since", json_string(fmt_time(a, d->link_since)));
		if (d->link_last_ok)
			json_object_set_new(link, "last_ok",
			                    json_string(fmt_time(b, d->link_last_ok)));
		if (d->link_last_err_at) {
			json_object_set_new(link, "last_error", json_string(d->link_last_err));
			json_object_set_new(link, "last_error_at",
			                    json_string(fmt_time(c, d->link_last_err_at)));
		}
		json_object_set_new(o, "parent", link);
	} else {
		json_decref(link);
	}
	json_object_set_new(o, "listen", json_string(d->h->cfg.listen));
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "children", kids);
	json_object_set_new(o, "rejected", rej);
	json_object_set_new(o, "counters",
	                    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	                              "busy", (json_int_t)d->busy, "flood_dropped",
	                              (json_int_t)d->dropped_flood, "imported",
	                              (json_int_t)d->imported, "fetched",
	                              (json_int_t)d->fetched, "pushed",
	                              (json_int_t)d->pushed, "served",
	                              (json_int_t)d->served, "announced",
	                              (json_int_t)d->announced, "bad_frames",
	                              (json_int_t)d->bad_frames, "queue_dropped",
	                              (json_int_t)d->dropped));
	return o;
}

static void write_status(nd *d)
{
	json_t *o = status_doc(d);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	char path[4200];

	json_decref(o);
	if (s == NULL)
		return;
	home_path(d->h, path, sizeof(path), DAEMON_STATUS_FILE);
	if (cli_write_file(path, s, strlen(s), 0644) != 0)
		dlog(d, "WARN", "status", "cannot write %s: %s", path,
		     strerror(errno));
	pthread_mutex_lock(&d->status_mu);
	free(d->status_json);
	d->status_json = s;
	pthread_mutex_unlock(&d->status_mu);
}

static void http_status(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	nd *d = nng_http_handler_get_data(h);
	nng_http_res *res;
	int rv;

	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	pthread_mutex_lock(&d->status_mu);
	nng_http_res_set_header(res, "Content-Type",
	                        "application/json; charset=utf-8");
	nng_http_res_copy_data(res, d->status_json ? d->status_json : "{}",
	                       d->status_json ? strlen(d->status_json) : 2);
	pthread_mutex_unlock(&d->status_mu);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* ---- the loop ------------------------------------------------------------------ */

/* The province cuts a checkpoint of what it holds when something moved,
 * at most every checkpoint_ms (a cut with nothing new writes nothing). */
static int cut_checkpoint(nd *d)
{
	int64_t t = wall(), stale = (int64_t)d->h->cfg.stale_ms / 1000;
	store_cp_seen *seen = calloc(d->n ? d->n : 1, sizeof(*seen));
	store_cp_cut res;
	size_t n = 0;
	int rc, wrote;

	if (seen == NULL)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		held *x = &d->nodes[i];
		if (!x->have)
			continue;
		snprintf(seen[n].node, sizeof(seen[n].node), "%s", x->id);
		if (!strcmp(x->id, d->me)) {
			seen[n].seen = t;
		} else {
			seen[n].seen = x->seen ? x->seen : x->time;
			seen[n].stale = !x->seen || t - x->seen > stale;
		}
		n++;
	}
	memset(&res, 0, sizeof(res));
	rc = store_checkpoint_cut(d->h->st, d->h->sk, seen, n, &res);
	if (rc == 0 && !res.unchanged) {
		dlog(d, "INFO", "checkpoint", "cut %llu: %zu heads%s",
		     (unsigned long long)res.seq, res.nheads,
		     res.nheld ? ", some held back (unresolved references)" : "");
		for (size_t i = 0; i < res.nheld; i++)
			dlog(d, "DEBUG", "checkpoint", "held back %s at %.12s: %s",
			     res.held[i].node,
			     res.held[i].in_cut[0] ? res.held[i].in_cut : "(left out)",
			     res.held[i].reason);
		d->checkpoint_broken = 0;
	} else if (rc != 0 && rc != STORE_ECONFLICT && !d->checkpoint_broken) {
		dlog(d, "ERROR", "checkpoint", "cannot cut: %s", store_errmsg());
		d->checkpoint_broken = 1;
	}
	wrote = rc == 0 && !res.unchanged;
	store_cp_cut_clear(&res);
	free(seen);
	return wrote;
}

static void tick(nd *d)
{
	int64_t t = now_ms();

	own_head_changed(d); /* a poll besides inotify */
	/* requests stuck beyond their timeout are failed by nng's aio */
	if (t >= d->next_status_ms) {
		write_status(d);
		d->next_status_ms = t + STATUS_EVERY_MS;
	}
	if (d->h->cfg.level == STORE_LEVEL_PROVINCE && d->h->cfg.checkpoint_ms > 0 &&
	    t >= d->next_checkpoint_ms) {
		/* after a cut, wait checkpoint_ms; otherwise look again at the
		 * next tick, so a change is cut soon after it arrives */
		d->next_checkpoint_ms = cut_checkpoint(d)
		                                ? t + d->h->cfg.checkpoint_ms
		                                : t + TICK_MS;
	}
	if (t >= d->next_maintain_ms) {
		size_t packed = 0;
		if (store_maintain(d->h->st, 0, &packed) != 0)
			dlog(d, "WARN", "maintain", "%s", store_errmsg());
		else if (packed)
			dlog(d, "INFO", "maintain", "packed %zu loose objects", packed);
		d->next_maintain_ms = t + MAINTAIN_EVERY_MS;
	}
}

static void handle(nd *d, job *j)
{
	switch (j->kind) {
	case J_SUB:
		on_announcement(d, j->msg);
		nng_msg_free(j->msg);
		break;
	case J_REQUEST:
		on_request(d, j->rs, j->msg);
		break;
	case J_REPLY:
		on_reply(d, j->qs, j->msg, j->err);
		break;
	case J_LINK:
		if (j->err != d->link_up) {
			d->link_up = j->err;
			d->link_since = wall();
			dlog(d, j->err ? "INFO" : "WARN", "parent", "link to %s at %s %s",
			     d->parent, d->h->cfg.parent_url, j->err ? "up" : "down");
			if (j->err)
				d->next_summary_ms = 0; /* catch up at once */
			else
				/* what was in flight is lost with the link: fail it
				 * now (its callback reports the cancel), not after
				 * the request timeout */
				for (int i = 0; i < N_REQ; i++)
					if (d->reqs[i].busy)
						nng_aio_cancel(d->reqs[i].aio);
		}
		break;
	case J_HEAD:
		own_head_changed(d);
		break;
	}
}

static int ws_url(char *out, size_t len, const char *hostport, const char *path)
{
	return snprintf(out, len, "ws://%s%s", hostport, path) < (int)len ? 0 : -1;
}

static int open_sockets(nd *d)
{
	char url[400];
	nng_url *u = NULL;
	int rv;

	if (d->h->cfg.listen[0]) {
		/* one port: the HTTP server, /pub and /sync share it */
		snprintf(url, sizeof(url), "http://%s", d->h->cfg.listen);
		if ((rv = nng_url_parse(&u, url)) != 0 ||
		    (rv = nng_http_server_hold(&d->http, u)) != 0 ||
		    (rv = nng_http_handler_alloc(&d->status_h, "/status",
		                                 http_status)) != 0 ||
		    (rv = nng_http_handler_set_data(d->status_h, d, NULL)) != 0 ||
		    (rv = nng_http_server_add_handler(d->http, d->status_h)) != 0) {
			nng_url_free(u);
			dlog(d, "ERROR", "listen", "cannot serve %s: %s", url,
			     nng_strerror(rv));
			return -1;
		}
		nng_url_free(u);
		{
			char why[300];
			if (http_feed_attach(&d->feed, d->http, store_gitdir(d->h->st),
			                     NULL, why, sizeof(why)) != 0) {
				dlog(d, "ERROR", "listen", "cannot serve the feed: %s", why);
				return -1;
			}
		}
		if ((rv = nng_rep0_open(&d->rep)) != 0)
			goto fail;
		d->has_rep = 1;
		if ((rv = nng_pub0_open(&d->pub)) != 0)
			goto fail;
		d->has_pub = 1;
		nng_socket_set_size(d->rep, NNG_OPT_RECVMAXSZ, PROTO_FRAME_MAX);
		nng_socket_set_int(d->pub, NNG_OPT_SENDBUF, 1024);
		ws_url(url, sizeof(url), d->h->cfg.listen, "/sync");
		if ((rv = nng_listen(d->rep, url, NULL, 0)) != 0)
			goto fail_url;
		ws_url(url, sizeof(url), d->h->cfg.listen, "/pub");
		if ((rv = nng_listen(d->pub, url, NULL, 0)) != 0)
			goto fail_url;
		if ((rv = nng_http_server_start(d->http)) != 0)
			goto fail;
		d->http_started = 1;
		for (int i = 0; i < N_REP; i++) {
			rep_slot *rs = &d->reps[i];
			rs->d = d;
			if ((rv = nng_ctx_open(&rs->ctx, d->rep)) != 0 ||
			    (rv = nng_aio_alloc(&rs->aio, rep_cb, rs)) != 0)
				goto fail;
			nng_ctx_recv(rs->ctx, rs->aio);
		}
		dlog(d, "INFO", "listen", "ws://%s/pub, ws://%s/sync, http://%s/status",
		     d->h->cfg.listen, d->h->cfg.listen, d->h->cfg.listen);
	}
	if (d->parent[0] && d->h->cfg.parent_url[0]) {
		if ((rv = nng_sub0_open(&d->sub)) != 0)
			goto fail;
		d->has_sub = 1;
		if ((rv = nng_req0_open(&d->req)) != 0)
			goto fail;
		d->has_req = 1;
		nng_socket_set(d->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0);
		nng_socket_set_int(d->sub, NNG_OPT_RECVBUF, 1024);
		nng_socket_set_size(d->sub, NNG_OPT_RECVMAXSZ, PROTO_HEADER_MAX + 4096);
		nng_socket_set_size(d->req, NNG_OPT_RECVMAXSZ, PROTO_FRAME_MAX);
		nng_socket_set_ms(d->req, NNG_OPT_REQ_RESENDTIME, REQ_TIMEOUT_MS);
		nng_socket_set_ms(d->sub, NNG_OPT_RECONNMINT, 100);
		nng_socket_set_ms(d->sub, NNG_OPT_RECONNMAXT, 2000);
		nng_socket_set_ms(d->req, NNG_OPT_RECONNMINT, 100);
		nng_socket_set_ms(d->req, NNG_OPT_RECONNMAXT, 2000);
		nng_pipe_notify(d->req, NNG_PIPE_EV_ADD_POST, pipe_cb, d);
		nng_pipe_notify(d->req, NNG_PIPE_EV_REM_POST, pipe_cb, d);
		if ((rv = nng_aio_alloc(&d->sub_aio, sub_cb, d)) != 0)
			goto fail;
		for (int i = 0; i < N_REQ; i++) {
			req_slot *qs = &d->reqs[i];
			qs->d = d;
			if ((rv = nng_ctx_open(&qs->ctx, d->req)) != 0 ||
			    (rv = nng_aio_alloc(&qs->aio, req_cb, qs)) != 0)
				goto fail;
			nng_aio_set_timeout(qs->aio, REQ_TIMEOUT_MS);
		}
		ws_url(url, sizeof(url), d->h->cfg.parent_url, "/pub");
		if ((rv = nng_dial(d->sub, url, NULL, NNG_FLAG_NONBLOCK)) != 0)
			goto fail_url;
		ws_url(url, sizeof(url), d->h->cfg.parent_url, "/sync");
		if ((rv = nng_dial(d->req, url, NULL, NNG_FLAG_NONBLOCK)) != 0)
			goto fail_url;
		nng_recv_aio(d->sub, d->sub_aio);
		dlog(d, "INFO", "dial", "parent %s at %s", d->parent,
		     d->h->cfg.parent_url);
	} else if (d->parent[0]) {
		dlog(d, "WARN", "dial", "no parent_url in config.json: this node "
		                        "syncs with nobody (set one with govfed init "
		                        "--parent-url, or carry bundles)");
	}
	return 0;
fail_url:
	dlog(d, "ERROR", "socket", "%s: %s", url, nng_strerror(rv));
	return -1;
fail:
	dlog(d, "ERROR", "socket", "%s", nng_strerror(rv));
	return -1;
}

/*
 * The shutdown, in order (the store thread calls it, after the watcher is
 * joined, with nothing more taken from the queue):
 *  1. nng_aio_stop on every aio: cancels what is pending and waits for its
 *     callback to return; a stopped aio refuses new operations, so no
 *     callback re-arms it (nng_aio_stop(3)).
 *  2. the HTTP server, then the sockets: nng_close returns once its pipes
 *     are gone, and a pipe is gone only after its notify callbacks
 *     (pipe_cb) have returned; the last stop of the shared HTTP server
 *     (the ws listeners' close) waits for its connections, so for
 *     http_status too.
 *  3. the aios are freed, with a message an aio still owns (a request
 *     given back by a canceled send). Received messages are never in an
 *     aio by now: the callbacks took them (take_msg), and the queue frees
 *     what was not handled.
 * Only then may the caller drain the queue and free the state.
 */
static void close_sockets(nd *d)
{
	if (d->sub_aio)
		nng_aio_stop(d->sub_aio);
	for (int i = 0; i < N_REQ; i++)
		if (d->reqs[i].aio)
			nng_aio_stop(d->reqs[i].aio);
	for (int i = 0; i < N_REP; i++)
		if (d->reps[i].aio)
			nng_aio_stop(d->reps[i].aio);
	if (d->http) {
		if (d->http_started)
			nng_http_server_stop(d->http);
		nng_http_server_release(d->http);
		d->http = NULL;
	}
	if (d->has_sub)
		nng_close(d->sub);
	if (d->has_req)
		nng_close(d->req);
	if (d->has_rep)
		nng_close(d->rep);
	if (d->has_pub)
		nng_close(d->pub);
	d->has_sub = d->has_req = d->has_rep = d->has_pub = 0;
	/* the server is stopped: no feed request is under way any more */
	http_feed_free(d->feed);
	d->feed = NULL;
	if (d->sub_aio) {
		nng_msg_free(take_msg(d->sub_aio));
		nng_aio_free(d->sub_aio);
		d->sub_aio = NULL;
	}
	for (int i = 0; i < N_REQ; i++)
		if (d->reqs[i].aio) {
			nng_msg_free(take_msg(d->reqs[i].aio));
			nng_aio_free(d->reqs[i].aio);
			d->reqs[i].aio = NULL;
		}
	for (int i = 0; i < N_REP; i++)
		if (d->reps[i].aio) {
			nng_msg_free(take_msg(d->reps[i].aio));
			nng_aio_free(d->reps[i].aio);
			d->reps[i].aio = NULL;
		}
}

static void start_watch(nd *d)
{
	char dir[4200];

	d->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (d->inotify_fd < 0)
		return;
	snprintf(dir, sizeof(dir), "%s/store.git/refs/heads", d->h->dir);
	mkdir(dir, 0755);
	if (inotify_add_watch(d->inotify_fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0 ||
	    pthread_create(&d->watch_thread, NULL, watch_main, d) != 0) {
		close(d->inotify_fd);
		d->inotify_fd = -1;
		return;
	}
	d->watch_running = 1;
}

static void stop_watch(nd *d)
{
	if (d->watch_running) {
		__atomic_store_n(&d->watch_stop, 1, __ATOMIC_RELEASE);
		pthread_join(d->watch_thread, NULL);
	}
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
}

int daemon_run(node_home *h, const daemon_opts *o)
{
	nd *d = calloc(1, sizeof(*d));
	job *j;
	int rc = EXIT_OK;

	if (d == NULL)
		return EXIT_RUNTIME;
	d->h = h;
	d->o = o;
	d->inotify_fd = -1;
	d->started = wall();
	d->rand_state = (unsigned)getpid();
	snprintf(d->me, sizeof(d->me), "%s", h->cfg.id);
	snprintf(d->parent, sizeof(d->parent), "%s", h->cfg.parent);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	pthread_mutex_init(&d->status_mu, NULL);

	daemon_catch_signals(); /* again: daemon_run may be called alone */

	{
		size_t removed = 0;
		store_recover(h->st, 1, &removed);
		if (removed)
			dlog(d, "WARN", "recover", "removed %zu leftover(s) of an "
			     "interrupted import (quarantine, ref lock)", removed);
	}
	load_nodes(d);
	load_children(d);
	if (o->drop_announce > 0)
		dlog(d, "WARN", "test", "dropping %.0f%% of incoming announcements "
		                        "(GOVFED_TEST_DROP_ANNOUNCE)",
		     o->drop_announce * 100);
	dlog(d, "INFO", "start", "%s %s (%s), %zu histories held, pid %d",
	     d->me, h->cfg.name, store_level_name(h->cfg.level), d->n,
	     (int)getpid());
	if (open_sockets(d) != 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	start_watch(d);
	write_status(d);
	{
		/* announce where the own history stands */
		held *me = find(d, d->me);
		if (me && me->have) {
			d->own_commit[0] = '\0';
			own_head_changed(d);
		}
	}
	while (!stop_signal) {
		j = dequeue(d, TICK_MS);
		if (j != NULL) {
			handle(d, j);
			free(j);
		}
		if (now_ms() >= d->next_tick_ms) {
			tick(d);
			d->next_tick_ms = now_ms() + TICK_MS;
		}
		dispatch(d);
	}
	dlog(d, "INFO", "stop", "signal %d: closing", (int)stop_signal);
out:
	stop_watch(d);
	close_sockets(d);
	while ((j = dequeue(d, 0)) != NULL) {
		if (j->msg)
			nng_msg_free(j->msg);
		free(j);
	}
	write_status(d);
	for (size_t i = 0; i < d->n; i++)
		free(d->nodes[i].frame);
	free(d->nodes);
	free(d->kids);
	free(d->status_json);
	free(d->busy_frame);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->status_mu);
	free(d);
	return rc;
}
