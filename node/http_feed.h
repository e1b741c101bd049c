/*
 * http_feed.h — the checkpoints and the consolidated feed over HTTP, on
 * an nng HTTP server (protocol/README.md, "Checkpoints and the HTTP
 * feed"; the daemon serves them on its one port, `govfed feed serve` on
 * its own):
 *
 *   GET /checkpoints/latest     the latest checkpoint, its stored bytes
 *   GET /checkpoints/<N>        checkpoint N, its stored bytes
 *   GET /feed?after=N[&limit=M]  the changes from N to the latest
 *   GET /feed?cursor=C[&limit=M] the next page of a list (C is N.T.K)
 *
 * Every answer is application/json; charset=utf-8. Errors are
 * {"error": code, "message": sentence}: 400 bad_parameter (a parameter
 * malformed, out of range, unknown, given twice, or a cursor past its
 * list's end), 404 not_found (no such checkpoint, no such path here),
 * 405 method_not_allowed (anything but GET and HEAD), 503 no_checkpoint
 * (none cut yet; Retry-After: 1), 500 internal (the store cannot be read).
 */
#ifndef GOVFED_HTTP_FEED_H
#define GOVFED_HTTP_FEED_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

typedef struct http_feed http_feed;

typedef struct http_feed_opts {
	size_t cache_bytes; /* the computed change lists kept (0: 64 MiB) */
	int catch_all;      /* 1: also answer every path no other handler
	                     * serves, with a JSON 404 (instead of nng's HTML
	                     * page); longer paths (/status, /pub, /sync)
	                     * still go to their own handlers */
} http_feed_opts;

/*
 * Opens the store at `gitdir` (twice: one handle for the checkpoints, one
 * for the feed and its cache, each under its own mutex, so that a long
 * feed computation never holds up /checkpoints) and adds the handlers for
 * /checkpoints/... and /feed to `srv` (before or after it is started).
 * The handlers read the store as it is at each request: checkpoints cut
 * meanwhile by another handle or process are seen at once.
 *
 * `o` may be NULL. Returns 0, or -1 with one sentence in `why`.
 *
 * Lifetime: `*out` must outlive every request, so free it with
 * http_feed_free only after the server's last nng_http_server_stop has
 * returned (that stop waits for the requests under way). The handlers
 * stay registered with the server until it is released.
 */
int http_feed_attach(http_feed **out, nng_http_server *srv,
                     const char *gitdir, const http_feed_opts *o, char *why,
                     size_t whylen);
void http_feed_free(http_feed *f);

/*
 * One answer, without HTTP: what the handlers send for `method` and the
 * request-target `uri` (path and query, as the request line has it).
 * body (malloc'd, free() it) is JSON or a checkpoint's bytes; `cache` a
 * Cache-Control value. Used by the handlers; tests may call it directly.
 */
typedef struct http_feed_answer {
	uint16_t status;
	char *body;
	size_t len;
	const char *cache;  /* Cache-Control, or NULL */
	int retry_after;    /* seconds, 503 only; 0 none */
	int allow;          /* 1: send Allow: GET, HEAD (405) */
} http_feed_answer;
void http_feed_answer_for(http_feed *f, const char *method, const char *uri,
                          http_feed_answer *out);

/*
 * `govfed feed serve --home DIR [--listen HOST:PORT]`: serves the
 * checkpoints and the feed of the home's store on HOST:PORT (default: the
 * home's `listen`), until SIGINT or SIGTERM. Prints one line on stderr
 * once it listens. Returns an exit code (0 after a signal; 2 a bad
 * listen address; 3 the port cannot be had or the store cannot be read).
 */
int http_feed_serve_main(const char *home, const char *listen);

#endif
