/*
 * http_feed.c — the checkpoints and the consolidated feed over HTTP
 * (http_feed.h; protocol/README.md, "Checkpoints and the HTTP feed").
 *
 * nng runs the handlers on its own threads, several at once; a libgit2
 * repository handle must not be used by two of them at a time. So the
 * feed opens its own two store handles: one for /checkpoints, one for
 * /feed and the cache of computed change lists, each behind a mutex. A
 * handler answers synchronously: the answer is built under the lock, the
 * JSON written out after it.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "checkpoint.h"
#include "feed.h"
#include "http_feed.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT_JSON "application/json; charset=utf-8"
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_NONE "no-cache"

struct http_feed {
	char *gitdir;
	pthread_mutex_t mu;      /* st and cache: /feed */
	store *st;
	store_feed_cache *cache;
	pthread_mutex_t cp_mu;   /* cp_st: /checkpoints */
	store *cp_st;
	int mu_ok, cp_mu_ok;
	nng_http_handler *h_cp;  /* while attaching: to take them back */
	nng_http_handler *h_feed;
};

/* ---- answers ------------------------------------------------------------------ */

/* A value from the request, fit to quote in a message: at most 40
 * characters, anything but printable ASCII as '?'. */
static void clip(char out[48], const char *s, size_t len)
{
	size_t n = len > 40 ? 40 : len, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c
		                                                          : '?';
	}
	if (len > n) {
		out[i++] = '.';
		out[i++] = '.';
		out[i++] = '.';
	}
	out[i] = '\0';
}

typedef struct dumpbuf {
	char *p;
	size_t n, cap;
} dumpbuf;

static int dump_cb(const char *buf, size_t size, void *data)
{
	dumpbuf *d = data;

	if (size > d->cap - d->n) {
		size_t cap = d->cap ? d->cap : 4096;
		char *p;
		while (size > cap - d->n) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		p = realloc(d->p, cap);
		if (p == NULL)
			return -1;
		d->p = p;
		d->cap = cap;
	}
	memcpy(d->p + d->n, buf, size);
	d->n += size;
	return 0;
}

/* v (taken) as compact JSON and a newline; 500 when memory runs out. */
static void answer_json(http_feed_answer *a, uint16_t status, json_t *v)
{
	dumpbuf d = { NULL, 0, 0 };

	if (v == NULL || json_dump_callback(v, dump_cb, &d, JSON_COMPACT) != 0 ||
	    dump_cb("\n", 1, &d) != 0) {
		static const char oom[] =
		        "{\"error\":\"internal\",\"message\":\"out of memory\"}\n";
		json_decref(v);
		free(d.p);
		a->status = 500;
		a->body = strdup(oom);
		a->len = a->body ? strlen(oom) : 0;
		return;
	}
	json_decref(v);
	a->body = d.p;
	a->len = d.n;
	a->status = status;
}

static void answer_err(http_feed_answer *a, uint16_t status, const char *code,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void answer_err(http_feed_answer *a, uint16_t status, const char *code,
                       const char *fmt, ...)
{
	char msg[512];
	json_t *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(a->body);
	a->body = NULL;
	a->cache = CACHE_NONE;
	/* json_string refuses bytes that are not UTF-8: a store message
	 * might quote some; say so rather than send nothing */
	m = json_string(msg);
	if (m == NULL)
		m = json_string("(a message that is not UTF-8)");
	answer_json(a, status,
	            json_pack("{s:s,s:o}", "error", code, "message", m));
}

static void answer_store_err(http_feed_answer *a, int rc, const char *what)
{
	if (rc == STORE_ENOTFOUND)
		answer_err(a, 404, "not_found", "%s: %s", what, store_errmsg());
	else
		answer_err(a, 500, "internal", "%s: %s", what, store_errmsg());
}

/* ---- /checkpoints ---------------------------------------------------------------- */

static void checkpoints(http_feed *f, const char *rest, const char *query,
                        http_feed_answer *a)
{
	char q[48];
	uint64_t seq = 0, latest = 0;
	char *bytes = NULL;
	size_t len = 0;
	int rc;

	if (query && query[0]) {
		clip(q, query, strlen(query));
		answer_err(a, 400, "bad_parameter",
		           "/checkpoints takes no parameter (got '%s')", q);
		return;
	}
	if (rest[0] == '\0' || strchr(rest, '/') != NULL) {
		answer_err(a, 404, "not_found",
		           "no such resource: ask for /checkpoints/latest or "
		           "/checkpoints/N");
		return;
	}
	if (strcmp(rest, "latest") != 0 &&
	    store_feed_number_parse(rest, strlen(rest), STORE_CHECKPOINT_SEQ_MAX,
	                            &seq) != 0) {
		clip(q, rest, strlen(rest));
		answer_err(a, 400, "bad_parameter",
		           "'%s' is not a checkpoint number: ask for "
		           "/checkpoints/latest or /checkpoints/N, N a number from 1",
		           q);
		return;
	}
	pthread_mutex_lock(&f->cp_mu);
	rc = store_checkpoint_latest(f->cp_st, &latest);
	if (rc != 0) {
		answer_store_err(a, rc, "cannot read the checkpoints");
	} else if (latest == 0) {
		answer_err(a, 503, "no_checkpoint",
		           "no checkpoint has been cut yet; try again later");
		a->retry_after = 1;
	} else if (seq > latest || (seq == 0 && strcmp(rest, "latest") != 0)) {
		answer_err(a, 404, "not_found",
		           "there is no checkpoint %" PRIu64 " (they run from 1 to "
		           "%" PRIu64 ")", seq, latest);
	} else {
		rc = store_checkpoint_read(f->cp_st, seq ? seq : latest, &bytes, &len,
		                           NULL);
		if (rc != 0) {
			answer_store_err(a, rc, "cannot read the checkpoint");
		} else {
			a->status = 200;
			a->body = bytes;
			a->len = len;
			a->cache = seq ? CACHE_IMMUTABLE : CACHE_NONE;
		}
	}
	pthread_mutex_unlock(&f->cp_mu);
}

/* ---- /feed ----------------------------------------------------------------------- */

typedef struct feed_params {
	const char *v[3];  /* after, cursor, limit: the raw values */
	size_t len[3];
} feed_params;

enum { P_AFTER, P_CURSOR, P_LIMIT };

/* 0, or an answer 400 in `a` and -1. */
static int parse_query(const char *q, feed_params *p, http_feed_answer *a)
{
	static const char *const names[3] = { "after", "cursor", "limit" };
	const char *s = q;
	char b[48];

	memset(p, 0, sizeof(*p));
	if (q == NULL || q[0] == '\0') {
		answer_err(a, 400, "bad_parameter",
		           "the feed needs after=N (a checkpoint, 0 for the "
		           "beginning) or cursor=C (from a page's 'next')");
		return -1;
	}
	for (;;) {
		const char *amp = strchr(s, '&');
		size_t seglen = amp ? (size_t)(amp - s) : strlen(s);
		const char *eq = memchr(s, '=', seglen);
		size_t nlen;
		int which = -1;

		if (seglen == 0) {
			answer_err(a, 400, "bad_parameter",
			           "an empty parameter in the query (a stray '&')");
			return -1;
		}
		nlen = eq ? (size_t)(eq - s) : seglen;
		for (int i = 0; i < 3; i++)
			if (strlen(names[i]) == nlen && memcmp(s, names[i], nlen) == 0)
				which = i;
		clip(b, s, nlen);
		if (which < 0) {
			answer_err(a, 400, "bad_parameter",
			           "unknown parameter '%s': the feed takes after, "
			           "cursor and limit", b);
			return -1;
		}
		if (eq == NULL || eq + 1 == s + seglen) {
			answer_err(a, 400, "bad_parameter", "parameter '%s' has no value",
			           b);
			return -1;
		}
		if (p->v[which]) {
			answer_err(a, 400, "bad_parameter",
			           "parameter '%s' is given twice", b);
			return -1;
		}
		p->v[which] = eq + 1;
		p->len[which] = seglen - nlen - 1;
		if (amp == NULL)
			break;
		s = amp + 1;
	}
	if (p->v[P_AFTER] && p->v[P_CURSOR]) {
		answer_err(a, 400, "bad_parameter",
		           "give after or cursor, not both");
		return -1;
	}
	if (!p->v[P_AFTER] && !p->v[P_CURSOR]) {
		answer_err(a, 400, "bad_parameter",
		           "the feed needs after=N (a checkpoint, 0 for the "
		           "beginning) or cursor=C (from a page's 'next')");
		return -1;
	}
	return 0;
}

static void feed(http_feed *f, const char *query, http_feed_answer *a)
{
	feed_params p;
	uint64_t n = 0, t = 0, k = 0, limit = STORE_FEED_LIMIT_DEFAULT, latest = 0;
	const store_feed_list *l = NULL;
	json_t *changes = NULL, *o;
	char b[48], why[256], next[STORE_FEED_CURSOR_MAX];
	size_t total = 0, got;
	int rc, by_cursor;

	if (parse_query(query, &p, a) != 0)
		return;
	if (p.v[P_LIMIT] &&
	    (store_feed_number_parse(p.v[P_LIMIT], p.len[P_LIMIT],
	                             STORE_FEED_LIMIT_MAX, &limit) != 0 ||
	     limit == 0)) {
		clip(b, p.v[P_LIMIT], p.len[P_LIMIT]);
		answer_err(a, 400, "bad_parameter",
		           "limit '%s' is not a number from 1 to %d", b,
		           STORE_FEED_LIMIT_MAX);
		return;
	}
	by_cursor = p.v[P_CURSOR] != NULL;
	if (by_cursor) {
		char c[STORE_FEED_CURSOR_MAX];
		if (p.len[P_CURSOR] >= sizeof(c)) {
			clip(b, p.v[P_CURSOR], p.len[P_CURSOR]);
			answer_err(a, 400, "bad_parameter",
			           "cursor '%s' is not N.T.K as a page's 'next' gives it",
			           b);
			return;
		}
		memcpy(c, p.v[P_CURSOR], p.len[P_CURSOR]);
		c[p.len[P_CURSOR]] = '\0';
		if (store_feed_cursor_parse(c, &n, &t, &k) != 0) {
			snprintf(why, sizeof(why), "%s", store_errmsg());
			clip(b, c, strlen(c));
			answer_err(a, 400, "bad_parameter",
			           "cursor '%s' is not N.T.K as a page's 'next' gives "
			           "it: %s", b, why);
			return;
		}
	} else if (store_feed_number_parse(p.v[P_AFTER], p.len[P_AFTER],
	                                   STORE_CHECKPOINT_SEQ_MAX, &n) != 0) {
		clip(b, p.v[P_AFTER], p.len[P_AFTER]);
		answer_err(a, 400, "bad_parameter",
		           "after '%s' is not a checkpoint number (0 for the "
		           "beginning)", b);
		return;
	}

	pthread_mutex_lock(&f->mu);
	rc = store_checkpoint_latest(f->st, &latest);
	if (rc != 0) {
		answer_store_err(a, rc, "cannot read the checkpoints");
		goto unlock;
	}
	if (latest == 0) {
		answer_err(a, 503, "no_checkpoint",
		           "no checkpoint has been cut yet; try again later");
		a->retry_after = 1;
		goto unlock;
	}
	if (!by_cursor) {
		if (n > latest) {
			answer_err(a, 404, "not_found",
			           "there is no checkpoint %" PRIu64 " (they run from 1 "
			           "to %" PRIu64 ")", n, latest);
			goto unlock;
		}
		t = latest;
	} else if (t > latest) {
		answer_err(a, 404, "not_found",
		           "the cursor names checkpoint %" PRIu64 ", which is not "
		           "here (they run from 1 to %" PRIu64 ")", t, latest);
		goto unlock;
	}
	rc = store_feed_cache_get(f->cache, f->st, n, t, &l);
	if (rc != 0) {
		answer_store_err(a, rc, "cannot compute the feed");
		goto unlock;
	}
	total = store_feed_list_total(l);
	if (k > total) {
		answer_err(a, 400, "bad_parameter",
		           "the cursor's position %" PRIu64 " is past the end of "
		           "the %zu changes from checkpoint %" PRIu64 " to %" PRIu64,
		           k, total, n, t);
		goto unlock;
	}
	rc = store_feed_list_page(f->st, l, (size_t)k, (size_t)limit, &changes);
	if (rc != 0)
		answer_store_err(a, rc, "cannot read the feed");
unlock:
	pthread_mutex_unlock(&f->mu);
	if (changes == NULL)
		return;
	got = json_array_size(changes);
	o = json_object();
	if (o) {
		json_object_set_new(o, "from", json_integer((json_int_t)n));
		json_object_set_new(o, "to", json_integer((json_int_t)t));
		json_object_set_new(o, "changes", changes);
		if (k + got < total) {
			store_feed_cursor_format(next, n, t, k + got);
			json_object_set_new(o, "next", json_string(next));
		} else {
			json_object_set_new(o, "next", json_null());
		}
	} else {
		json_decref(changes);
	}
	/* a cursor names a fixed list; after=N follows the latest */
	a->cache = by_cursor ? CACHE_IMMUTABLE : CACHE_NONE;
	answer_json(a, 200, o);
}

/* ---- routing --------------------------------------------------------------------- */

void http_feed_answer_for(http_feed *f, const char *method, const char *uri,
                          http_feed_answer *a)
{
	const char *path = uri, *q;
	char *p = NULL, m[48];
	int is_feed, is_cp;

	memset(a, 0, sizeof(*a));
	/* an absolute-form target: skip the scheme and the host */
	if (strncasecmp(path, "http://", 7) == 0 ||
	    strncasecmp(path, "https://", 8) == 0) {
		path = strchr(path, ':') + 3;
		path = strchr(path, '/') ? strchr(path, '/') : "/";
	}
	q = strchr(path, '?');
	p = strndup(path, q ? (size_t)(q - path) : strlen(path));
	if (p == NULL) {
		answer_err(a, 500, "internal", "out of memory");
		return;
	}
	if (q)
		q++;
	is_feed = strcmp(p, "/feed") == 0;
	is_cp = strncmp(p, "/checkpoints/", 13) == 0;
	if (!is_feed && !is_cp) {
		answer_err(a, 404, "not_found",
		           "no such resource: ask for /checkpoints/latest, "
		           "/checkpoints/N or /feed?after=N");
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		clip(m, method, strlen(method));
		answer_err(a, 405, "method_not_allowed",
		           "only GET (and HEAD) is served here, not %s", m);
		a->allow = 1;
	} else if (is_feed) {
		feed(f, q, a);
	} else {
		checkpoints(f, p + 13, q, a);
	}
	free(p);
}

static void serve(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	http_feed *f = nng_http_handler_get_data(h);
	http_feed_answer a;
	nng_http_res *res = NULL;
	char retry[16];
	int rv;

	http_feed_answer_for(f, nng_http_req_get_method(req),
	                     nng_http_req_get_uri(req), &a);
	if ((rv = nng_http_res_alloc(&res)) != 0)
		goto fail;
	if ((rv = nng_http_res_set_status(res, a.status)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Content-Type", CT_JSON)) != 0 ||
	    (a.cache &&
	     (rv = nng_http_res_set_header(res, "Cache-Control", a.cache)) != 0) ||
	    (a.allow &&
	     (rv = nng_http_res_set_header(res, "Allow", "GET, HEAD")) != 0))
		goto fail;
	if (a.retry_after) {
		snprintf(retry, sizeof(retry), "%d", a.retry_after);
		if ((rv = nng_http_res_set_header(res, "Retry-After", retry)) != 0)
			goto fail;
	}
	if ((rv = nng_http_res_copy_data(res, a.body ? a.body : "",
	                                 a.body ? a.len : 0)) != 0)
		goto fail;
	free(a.body);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
	return;
fail:
	free(a.body);
	if (res)
		nng_http_res_free(res);
	nng_aio_finish(aio, rv);
}

/* ---- attaching ------------------------------------------------------------------- */

void http_feed_free(http_feed *f)
{
	if (f == NULL)
		return;
	store_feed_cache_free(f->cache);
	store_free(f->st);
	store_free(f->cp_st);
	if (f->mu_ok)
		pthread_mutex_destroy(&f->mu);
	if (f->cp_mu_ok)
		pthread_mutex_destroy(&f->cp_mu);
	free(f->gitdir);
	free(f);
}

static int add_handler(nng_http_server *srv, http_feed *f, const char *path,
                       int tree, nng_http_handler **out, char *why,
                       size_t whylen)
{
	nng_http_handler *h = NULL;
	int rv;

	if ((rv = nng_http_handler_alloc(&h, path, serve)) != 0 ||
	    /* every method: the answer to a wrong one is ours (405, JSON) */
	    (rv = nng_http_handler_set_method(h, NULL)) != 0 ||
	    (tree && (rv = nng_http_handler_set_tree(h)) != 0) ||
	    (rv = nng_http_handler_set_data(h, f, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(srv, h)) != 0) {
		if (h)
			nng_http_handler_free(h);
		snprintf(why, whylen, "cannot serve %s: %s", path, nng_strerror(rv));
		return -1;
	}
	if (out)
		*out = h;
	return 0;
}

int http_feed_attach(http_feed **out, nng_http_server *srv,
                     const char *gitdir, const http_feed_opts *o, char *why,
                     size_t whylen)
{
	http_feed *f = calloc(1, sizeof(*f));
	int rc;

	*out = NULL;
	if (f == NULL || (f->gitdir = strdup(gitdir)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if (pthread_mutex_init(&f->mu, NULL) != 0) {
		snprintf(why, whylen, "cannot make a mutex");
		goto fail;
	}
	f->mu_ok = 1;
	if (pthread_mutex_init(&f->cp_mu, NULL) != 0) {
		snprintf(why, whylen, "cannot make a mutex");
		goto fail;
	}
	f->cp_mu_ok = 1;
	if ((rc = store_open(&f->st, gitdir, 0)) != 0 ||
	    (rc = store_open(&f->cp_st, gitdir, 0)) != 0) {
		snprintf(why, whylen, "cannot open store '%s': %s", gitdir,
		         store_errmsg());
		goto fail;
	}
	if (store_feed_cache_new(&f->cache, o ? o->cache_bytes : 0) != 0) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	/* /checkpoints as a tree: /checkpoints/latest and /checkpoints/N */
	if (add_handler(srv, f, "/checkpoints", 1, &f->h_cp, why, whylen) != 0)
		goto fail;
	if (add_handler(srv, f, "/feed", 0, &f->h_feed, why, whylen) != 0) {
		/* take /checkpoints back (it frees the handler) before f goes */
		nng_http_server_del_handler(srv, f->h_cp);
		goto fail;
	}
	/* "/" as a tree matches what no longer path does */
	if (o && o->catch_all &&
	    add_handler(srv, f, "/", 1, NULL, why, whylen) != 0) {
		nng_http_server_del_handler(srv, f->h_cp);
		nng_http_server_del_handler(srv, f->h_feed);
		goto fail;
	}
	*out = f;
	return 0;
fail:
	http_feed_free(f);
	return -1;
}

/* ---- govfed feed serve -------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig; /* sigwait takes it; this only keeps it from being ignored */
}

/* HOST:PORT with a port from 1 to 65535. */
static int listen_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;

	return colon != NULL && colon != s &&
	       store_feed_number_parse(colon + 1, strlen(colon + 1), 65535,
	                               &port) == 0 &&
	       port > 0;
}

int http_feed_serve_main(const char *home, const char *listen)
{
	node_home h;
	char url[400], why[512], gitdir[4200];
	nng_url *u = NULL;
	nng_http_server *srv = NULL;
	http_feed *f = NULL;
	http_feed_opts opts = { 0, 1 };
	sigset_t set, old;
	struct sigaction sa;
	int rc, rv, sig, started = 0;

	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (listen == NULL || listen[0] == '\0')
		listen = h.cfg.listen;
	if (listen[0] == '\0') {
		cli_err("'%s' has no listen address in config.json: give --listen "
		        "HOST:PORT", home);
		home_close(&h);
		return EXIT_USAGE;
	}
	if (!listen_ok(listen) || strlen(listen) > 300) {
		cli_err("--listen '%s' is not HOST:PORT (e.g. 127.0.0.1:7480)",
		        listen);
		home_close(&h);
		return EXIT_USAGE;
	}
	snprintf(url, sizeof(url), "http://%s", listen);
	snprintf(gitdir, sizeof(gitdir), "%s", store_gitdir(h.st));

	/* the signals go to sigwait below: block them before nng starts its
	 * threads, so that every thread inherits the mask */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	if ((rv = nng_url_parse(&u, url)) != 0) {
		cli_err("--listen '%s' is not HOST:PORT: %s", listen,
		        nng_strerror(rv));
		rc = EXIT_USAGE;
		goto done;
	}
	if ((rv = nng_http_server_hold(&srv, u)) != 0) {
		cli_err("cannot serve %s: %s", url, nng_strerror(rv));
		rc = EXIT_RUNTIME;
		goto done;
	}
	if (http_feed_attach(&f, srv, gitdir, &opts, why, sizeof(why)) != 0) {
		cli_err("%s", why);
		rc = EXIT_RUNTIME;
		goto done;
	}
	if ((rv = nng_http_server_start(srv)) != 0) {
		cli_err("cannot listen on %s: %s; is another process using the "
		        "port?", listen, nng_strerror(rv));
		rc = EXIT_RUNTIME;
		goto done;
	}
	started = 1;
	fprintf(stderr, "govfed: serving the checkpoints and the feed of %s at "
	                "http://%s (/checkpoints/latest, /checkpoints/N, "
	                "/feed?after=N); stop with Ctrl-C\n", h.cfg.id, listen);
	fflush(stderr);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "govfed: %s: stopping\n", sig == SIGINT ? "SIGINT"
	                                                         : "SIGTERM");
	rc = EXIT_OK;
done:
	if (srv) {
		if (started)
			nng_http_server_stop(srv);
		nng_http_server_release(srv);
	}
	http_feed_free(f);
	nng_url_free(u);
	home_close(&h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
