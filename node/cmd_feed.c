/*
 * cmd_feed.c — govfed feed: serve the consolidated feed over HTTP, pull it
 * into a SQLite mirror, dump the mirror.
 *
 * The pull (protocol/README.md, "Checkpoints and the HTTP feed"):
 *   1. GET /checkpoints/latest; then every checkpoint from the mirror's
 *      last + 1 up to it, each checked against the root key and its
 *      predecessor (store_checkpoint_check) before it is stored. A forged,
 *      reordered or rolled-back checkpoint is refused and not stored.
 *   2. GET /feed?after=N (N: the checkpoint the mirror is complete at),
 *      then the `next` cursors, until the mirror is complete at the latest
 *      checkpoint. Each page is checked whole, then applied with the cursor
 *      it advances in ONE transaction (WAL, synchronous=FULL): a pull
 *      killed at any moment resumes from the stored cursor, losing nothing
 *      and applying nothing twice. A page's changes are applied only once
 *      its checkpoint T is verified and stored. While a page is
 *      applied, the next one is fetched and parsed on a thread (the
 *      server's work and the mirror's overlap); it is checked and applied
 *      in its turn like any other.
 *
 * The mirror, DIR/feed.sqlite:
 *   state(key, value)        schema, root_key, url, cursor ("N": complete
 *                            at checkpoint N; "N.T.K": K changes of N→T
 *                            applied)
 *   checkpoints(seq, hash, bytes, time)
 *   records(node, path, level, kind, record, commit, signer, checkpoint)
 *                            the latest version of every record (the
 *                            record as compact canonical JSON)
 *   tombstones(node, path, at, reason, commit, checkpoint)
 *   history(id, checkpoint, after, node, path, level, kind, record, commit,
 *           signer)          provenance: every change applied, in order
 *
 * HTTP is nng's client: one connection kept open while the server allows,
 * every answer bounded by its Content-Length (checkpoints 32 MiB, pages
 * 128 MiB) and every step by a timeout.
 */
#include "checkpoint.h"
#include "cli.h"
#include "http_feed.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: govfed feed serve --home DIR [--listen HOST:PORT]\n"
	"       govfed feed pull  --url http://HOST:PORT --root-key FILE.pub\n"
	"                         --out DIR [--limit M] [--timeout SECONDS] "
	"[--json]\n"
	"       govfed feed dump  --out DIR [--json]\n"
	"\n"
	"serve  serves the node's signed checkpoints and the record changes\n"
	"       between them over HTTP: GET /checkpoints/latest,\n"
	"       /checkpoints/N, /feed?after=N[&limit=M] and /feed?cursor=C, on\n"
	"       HOST:PORT (default: the config's listen address, for a node\n"
	"       whose daemon is not running; the daemon serves the same on its\n"
	"       port), in the foreground until SIGTERM or SIGINT.\n"
	"pull   mirrors the feed at URL into DIR/feed.sqlite (DIR is created\n"
	"       when missing). It fetches the latest checkpoint and every one\n"
	"       after the mirror's last, each verified against the root key\n"
	"       (FILE.pub: the province's node.pub) and its predecessor: a\n"
	"       forged, reordered or rolled-back checkpoint is refused and\n"
	"       nothing of it is stored. Then the record changes up to it,\n"
	"       page by page (M changes a page, 1-10000; default the server's),\n"
	"       into the tables records, tombstones, history and checkpoints.\n"
	"       Each page commits with the cursor it advances, so a pull killed\n"
	"       at any moment resumes where it stopped, nothing lost or applied\n"
	"       twice. Progress on stderr when it is a terminal. Each network\n"
	"       step times out after SECONDS (default 60).\n"
	"dump   prints the mirror: its checkpoint, every record (the latest\n"
	"       version) sorted by node and path, and the tombstones; --json\n"
	"       prints one document that also holds every checkpoint and the\n"
	"       history of the changes applied.\n"
	"\n"
	"Exit codes: 0 ok; 1 a checkpoint or a page refused, or no mirror;\n"
	"2 usage; 3 the feed unreachable or answering an error, or i/o.\n";

#define MIRROR_FILE "feed.sqlite"
#define MIRROR_LOCK "feed.lock"
#define MIRROR_SCHEMA "1"
#define PAGE_MAX (128u * 1024 * 1024)  /* one /feed answer */
#define ERRBODY_MAX (64u * 1024)       /* an error answer */
#define LIMIT_MAX 10000
#define CP_BATCH 64                    /* checkpoints per transaction */
#define CONNECT_MS 10000
#define SIGNER_MAX 128

/* what went wrong, for the exit code */
enum { P_OK = 0, P_NO = 1, P_RT = 3 };

/* ---- small helpers ------------------------------------------------------ */

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
	free(s);
}

/* a decimal without sign, leading zeros or spaces, at most `max` */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* a cursor: "N" (complete at N) or "N.T.K" (K changes of N→T applied);
 * *t is 0 for "N" */
static int cursor_parse(const char *s, uint64_t *n, uint64_t *t, uint64_t *k)
{
	const char *d1 = strchr(s, '.'), *d2;

	*t = 0;
	*k = 0;
	if (d1 == NULL)
		return parse_u64(s, strlen(s), STORE_CHECKPOINT_SEQ_MAX, n);
	d2 = strchr(d1 + 1, '.');
	if (d2 == NULL || strchr(d2 + 1, '.') != NULL)
		return -1;
	if (parse_u64(s, (size_t)(d1 - s), STORE_CHECKPOINT_SEQ_MAX, n) != 0 ||
	    parse_u64(d1 + 1, (size_t)(d2 - d1 - 1), STORE_CHECKPOINT_SEQ_MAX,
	              t) != 0 ||
	    parse_u64(d2 + 1, strlen(d2 + 1), UINT32_MAX, k) != 0)
		return -1;
	return *t > *n ? 0 : -1;
}

static int hex40(const char *s)
{
	if (s == NULL || strlen(s) != 40)
		return 0;
	for (int i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* a record path as the store writes them: relative, no empty, "." or ".."
 * segment, no control character or backslash */
static int path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0, seg = 0;

	if (n == 0 || n >= STORE_PATH_MAX || p[0] == '/' || p[n - 1] == '/')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			if (seg == 0 || (seg == 1 && p[i - 1] == '.') ||
			    (seg == 2 && p[i - 1] == '.' && p[i - 2] == '.'))
				return 0;
			seg = 0;
			continue;
		}
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			return 0;
		seg++;
	}
	return 1;
}

static int signer_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n <= 7 || n >= SIGNER_MAX || strncmp(s, "SHA256:", 7) != 0)
		return 0;
	return strspn(s + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                     "0123456789+/=") == n - 7;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- HTTP: nng's client, bounded -------------------------------------- */

typedef struct hc {
	nng_url *url;
	nng_http_client *cli;
	nng_http_conn *conn;   /* kept between requests when the server allows */
	nng_aio *aio;
	char prefix[512];      /* the URL's path, without a trailing '/' */
	nng_duration timeout;
} hc;

static void hc_close(hc *c)
{
	if (c->conn) {
		nng_http_conn_close(c->conn);
		c->conn = NULL;
	}
	if (c->aio) {
		nng_aio_free(c->aio);
		c->aio = NULL;
	}
	if (c->cli) {
		nng_http_client_free(c->cli);
		c->cli = NULL;
	}
	if (c->url) {
		nng_url_free(c->url);
		c->url = NULL;
	}
}

/* 0, or EXIT_USAGE / EXIT_RUNTIME with the reason in why */
static int hc_open(hc *c, const char *url, int timeout_s, char *why,
                   size_t whylen)
{
	int rv;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->timeout = (nng_duration)timeout_s * 1000;
	if (strncmp(url, "http://", 7) != 0) {
		snprintf(why, whylen, "--url '%s' is not an http:// URL (https is "
		                      "not supported; put a TLS proxy in front)", url);
		return EXIT_USAGE;
	}
	if ((rv = nng_url_parse(&c->url, url)) != 0) {
		snprintf(why, whylen, "--url '%s' is not a URL: %s", url,
		         nng_strerror(rv));
		return EXIT_USAGE;
	}
	if (c->url->u_hostname == NULL || c->url->u_hostname[0] == '\0' ||
	    (c->url->u_query && c->url->u_query[0]) ||
	    (c->url->u_fragment && c->url->u_fragment[0]) ||
	    (c->url->u_userinfo && c->url->u_userinfo[0])) {
		snprintf(why, whylen, "--url '%s' must be http://HOST:PORT[/PATH] "
		                      "without a query, fragment or user", url);
		hc_close(c);
		return EXIT_USAGE;
	}
	n = snprintf(c->prefix, sizeof(c->prefix), "%s",
	             c->url->u_path ? c->url->u_path : "");
	if (n >= sizeof(c->prefix)) {
		snprintf(why, whylen, "--url '%s' has too long a path", url);
		hc_close(c);
		return EXIT_USAGE;
	}
	while (n > 0 && c->prefix[n - 1] == '/')
		c->prefix[--n] = '\0';
	if ((rv = nng_http_client_alloc(&c->cli, c->url)) != 0 ||
	    (rv = nng_aio_alloc(&c->aio, NULL, NULL)) != 0) {
		snprintf(why, whylen, "cannot set up an HTTP client: %s",
		         nng_strerror(rv));
		hc_close(c);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int hc_wait(hc *c)
{
	nng_aio_wait(c->aio);
	return nng_aio_result(c->aio);
}

/* a Connection header naming "close" */
static int has_close(const char *v)
{
	for (; *v; v++)
		if (strncasecmp(v, "close", 5) == 0)
			return 1;
	return 0;
}

/* "Content-Length" as a number no larger than max */
static int content_length(nng_http_res *res, size_t max, size_t *out,
                          int *toobig)
{
	const char *v = nng_http_res_get_header(res, "Content-Length");
	uint64_t n;

	*toobig = 0;
	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (parse_u64(v, len, UINT64_MAX, &n) != 0)
		return -1;
	if (n > max) {
		*toobig = 1;
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

/*
 * GET prefix+uri. On 0: *status, and the body (NUL-terminated, free()) of
 * at most `max` bytes. P_RT with why: unreachable, timed out, a body over
 * max or without a Content-Length. A kept connection the server closed
 * meanwhile is reopened once.
 */
static int hc_get(hc *c, const char *uri, size_t max, int *status,
                  char **body, size_t *blen, char *why, size_t whylen)
{
	char full[1024];
	int rv = 0;

	*body = NULL;
	*blen = 0;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", c->prefix, uri) >=
	    sizeof(full)) {
		snprintf(why, whylen, "request path too long");
		return P_RT;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		nng_http_req *req = NULL;
		nng_http_res *res = NULL;
		const char *te, *conn_h, *vers;
		size_t len = 0;
		int fresh = 0, toobig;
		char *buf;

		if (c->conn == NULL) {
			nng_aio_set_timeout(c->aio, c->timeout < CONNECT_MS
			                                    ? c->timeout : CONNECT_MS);
			nng_http_client_connect(c->cli, c->aio);
			if ((rv = hc_wait(c)) != 0) {
				snprintf(why, whylen, "cannot connect to %s:%s: %s",
				         c->url->u_hostname, c->url->u_port,
				         nng_strerror(rv));
				return P_RT;
			}
			c->conn = nng_aio_get_output(c->aio, 0);
			fresh = 1;
		}
		if ((rv = nng_http_req_alloc(&req, c->url)) != 0 ||
		    (rv = nng_http_req_set_uri(req, full)) != 0 ||
		    (rv = nng_http_req_set_header(req, "Accept",
		                                  "application/json")) != 0 ||
		    (rv = nng_http_res_alloc(&res)) != 0) {
			nng_http_req_free(req);
			snprintf(why, whylen, "cannot build a request: %s",
			         nng_strerror(rv));
			return P_RT;
		}
		nng_aio_set_timeout(c->aio, c->timeout);
		nng_http_conn_write_req(c->conn, req, c->aio);
		rv = hc_wait(c);
		if (rv == 0) {
			nng_aio_set_timeout(c->aio, c->timeout);
			nng_http_conn_read_res(c->conn, res, c->aio);
			rv = hc_wait(c);
		}
		nng_http_req_free(req);
		if (rv != 0) {
			nng_http_res_free(res);
			nng_http_conn_close(c->conn);
			c->conn = NULL;
			if (!fresh && rv != NNG_ETIMEDOUT)
				continue;  /* the kept connection was closed */
			snprintf(why, whylen, "GET %s from %s:%s: %s", full,
			         c->url->u_hostname, c->url->u_port, nng_strerror(rv));
			return P_RT;
		}
		*status = nng_http_res_get_status(res);
		te = nng_http_res_get_header(res, "Transfer-Encoding");
		if (te != NULL && strcasecmp(te, "identity") != 0) {
			snprintf(why, whylen, "GET %s: the answer uses Transfer-Encoding "
			                      "'%s'; only a Content-Length is read", full,
			         te);
			goto bad;
		}
		if (content_length(res, *status == 200 ? max : ERRBODY_MAX, &len,
		                   &toobig) != 0) {
			if (toobig)
				snprintf(why, whylen, "GET %s: the answer is larger than "
				                      "%zu bytes%s", full, max,
				         strncmp(uri, "/feed", 5) == 0
				                 ? "; pull with a smaller --limit" : "");
			else
				snprintf(why, whylen, "GET %s: the answer has no valid "
				                      "Content-Length", full);
			goto bad;
		}
		buf = malloc(len + 1);
		if (buf == NULL) {
			snprintf(why, whylen, "out of memory for %zu bytes", len);
			goto bad;
		}
		if (len > 0) {
			nng_iov iov = { .iov_buf = buf, .iov_len = len };
			nng_aio_set_iov(c->aio, 1, &iov);
			nng_aio_set_timeout(c->aio, c->timeout);
			nng_http_conn_read_all(c->conn, c->aio);
			if ((rv = hc_wait(c)) != 0) {
				free(buf);
				snprintf(why, whylen, "GET %s: reading %zu bytes: %s", full,
				         len, nng_strerror(rv));
				goto bad;
			}
		}
		buf[len] = '\0';
		/* keep the connection only for HTTP/1.1 without "close" */
		vers = nng_http_res_get_version(res);
		conn_h = nng_http_res_get_header(res, "Connection");
		if (vers == NULL || strcmp(vers, "HTTP/1.1") != 0 ||
		    (conn_h != NULL && has_close(conn_h))) {
			nng_http_conn_close(c->conn);
			c->conn = NULL;
		}
		nng_http_res_free(res);
		*body = buf;
		*blen = len;
		return P_OK;
bad:
		nng_http_res_free(res);
		nng_http_conn_close(c->conn);
		c->conn = NULL;
		return P_RT;
	}
	snprintf(why, whylen, "GET %s from %s:%s: %s", full, c->url->u_hostname,
	         c->url->u_port, nng_strerror(rv));
	return P_RT;
}

/* the server's message of an error answer {"error", "message"} */
static void http_errmsg(char *out, size_t outlen, int status, const char *body,
                        size_t len)
{
	json_t *v = json_loadb(body, len, 0, NULL);
	const char *m = v ? str_of(v, "message") : NULL;

	if (m != NULL)
		snprintf(out, outlen, "%d: %s", status, m);
	else
		snprintf(out, outlen, "%d", status);
	json_decref(v);
}

/* ---- the mirror --------------------------------------------------------- */

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS state("
	"  key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS checkpoints("
	"  seq INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
	"  bytes BLOB NOT NULL, time TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS records("
	"  node TEXT NOT NULL, path TEXT NOT NULL, level TEXT NOT NULL,"
	"  kind TEXT NOT NULL, record TEXT NOT NULL, \"commit\" TEXT NOT NULL,"
	"  signer TEXT NOT NULL,"
	"  checkpoint INTEGER NOT NULL REFERENCES checkpoints(seq),"
	"  PRIMARY KEY(node, path)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tombstones("
	"  node TEXT NOT NULL, path TEXT NOT NULL, at TEXT NOT NULL,"
	"  reason TEXT NOT NULL, \"commit\" TEXT NOT NULL,"
	"  checkpoint INTEGER NOT NULL REFERENCES checkpoints(seq),"
	"  PRIMARY KEY(node, path)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS history("
	"  id INTEGER PRIMARY KEY,"
	"  checkpoint INTEGER NOT NULL REFERENCES checkpoints(seq),"
	"  after INTEGER NOT NULL, node TEXT NOT NULL, path TEXT NOT NULL,"
	"  level TEXT NOT NULL, kind TEXT NOT NULL, record TEXT NOT NULL,"
	"  \"commit\" TEXT NOT NULL, signer TEXT NOT NULL,"
	"  UNIQUE(checkpoint, node, path));"
	"INSERT OR IGNORE INTO state(key, value) VALUES('schema', '"
	MIRROR_SCHEMA "'), ('cursor', '0');";

typedef struct mirror {
	sqlite3 *db;
	char path[4200];
	int lockfd;
} mirror;

static int db_exec(mirror *m, const char *sql, char *why, size_t whylen)
{
	char *err = NULL;

	if (sqlite3_exec(m->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		snprintf(why, whylen, "%s: %s", m->path,
		         err ? err : sqlite3_errmsg(m->db));
		sqlite3_free(err);
		return P_RT;
	}
	return P_OK;
}

static void mirror_close(mirror *m)
{
	if (m->db)
		sqlite3_close(m->db);
	m->db = NULL;
	if (m->lockfd >= 0)
		close(m->lockfd);
	m->lockfd = -1;
}

/* the value of state `key` into out ("" when absent) */
static int state_get(mirror *m, const char *key, char *out, size_t outlen,
                     char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(m->db, "SELECT value FROM state WHERE key = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		goto err;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		snprintf(out, outlen, "%s", v ? v : "");
	} else if (rc != SQLITE_DONE) {
		goto err;
	}
	sqlite3_finalize(st);
	return P_OK;
err:
	snprintf(why, whylen, "%s: %s", m->path, sqlite3_errmsg(m->db));
	sqlite3_finalize(st);
	return P_RT;
}

static int state_set(mirror *m, const char *key, const char *value, char *why,
                     size_t whylen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(m->db, "INSERT INTO state(key, value) VALUES(?, ?) "
	                              "ON CONFLICT(key) DO UPDATE SET "
	                              "value = excluded.value",
	                       -1, &st, NULL) != SQLITE_OK)
		goto err;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto err;
	sqlite3_finalize(st);
	return P_OK;
err:
	snprintf(why, whylen, "%s: %s", m->path, sqlite3_errmsg(m->db));
	sqlite3_finalize(st);
	return P_RT;
}

/*
 * Opens DIR/feed.sqlite. For writing (pull): DIR is created when missing,
 * an exclusive lock on DIR/feed.lock is taken (one pull at a time; the
 * kernel drops it when the process dies, even by SIGKILL), the schema is
 * created. Read-only (dump): the mirror must exist. Returns P_OK, P_NO (no
 * mirror) or P_RT with why.
 */
static int mirror_open(mirror *m, const char *dir, int write, char *why,
                       size_t whylen)
{
	char lock[4200], v[64];
	struct stat sb;
	int rc;

	memset(m, 0, sizeof(*m));
	m->lockfd = -1;
	if ((size_t)snprintf(m->path, sizeof(m->path), "%s/%s", dir,
	                     MIRROR_FILE) >= sizeof(m->path) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s/%s", dir, MIRROR_LOCK) >=
	            sizeof(lock)) {
		snprintf(why, whylen, "--out '%s' is too long", dir);
		return P_RT;
	}
	if (!write) {
		if (stat(m->path, &sb) != 0) {
			snprintf(why, whylen, "no mirror at '%s' (%s); run 'govfed feed "
			                      "pull --out %s' first", m->path,
			         strerror(errno), dir);
			return P_NO;
		}
		/* read-write when it can: a pull killed mid-transaction leaves a
		 * journal that only a writer can recover; nothing is written */
		rc = sqlite3_open_v2(m->path, &m->db, SQLITE_OPEN_READWRITE, NULL);
		if (rc != SQLITE_OK) {
			sqlite3_close(m->db);
			m->db = NULL;
			rc = sqlite3_open_v2(m->path, &m->db, SQLITE_OPEN_READONLY, NULL);
		}
	} else {
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create the mirror directory '%s': "
			                      "%s", dir, strerror(errno));
			return P_RT;
		}
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(why, whylen, "--out '%s' is not a directory", dir);
			return P_RT;
		}
		m->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (m->lockfd < 0) {
			snprintf(why, whylen, "cannot open '%s': %s", lock,
			         strerror(errno));
			return P_RT;
		}
		if (flock(m->lockfd, LOCK_EX | LOCK_NB) != 0) {
			snprintf(why, whylen, "another pull is writing the mirror in '%s' "
			                      "(%s is locked); wait for it to end", dir,
			         lock);
			mirror_close(m);
			return P_RT;
		}
		rc = sqlite3_open_v2(m->path, &m->db,
		                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "cannot open the mirror '%s': %s", m->path,
		         m->db ? sqlite3_errmsg(m->db) : sqlite3_errstr(rc));
		mirror_close(m);
		return P_RT;
	}
	sqlite3_busy_timeout(m->db, 10000);
	if (write) {
		if (db_exec(m, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
		               "PRAGMA foreign_keys=ON;", why, whylen) != 0 ||
		    db_exec(m, "BEGIN IMMEDIATE", why, whylen) != 0)
			goto bad;
		if (db_exec(m, schema_sql, why, whylen) != 0) {
			sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
			goto bad;
		}
		if (db_exec(m, "COMMIT", why, whylen) != 0)
			goto bad;
	}
	if (!write) {
		/* a pull killed before its first commit leaves an empty file */
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(m->db, "SELECT 1 FROM sqlite_master "
		                               "WHERE name = 'state'", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE) {
			snprintf(why, whylen, "no mirror at '%s' (empty); run 'govfed "
			                      "feed pull --out %s'", m->path, dir);
			mirror_close(m);
			return P_NO;
		}
		if (rc != SQLITE_ROW) {
			snprintf(why, whylen, "cannot read the mirror '%s': %s", m->path,
			         sqlite3_errmsg(m->db));
			goto bad;
		}
	}
	if (state_get(m, "schema", v, sizeof(v), why, whylen) != 0)
		goto bad;
	if (strcmp(v, MIRROR_SCHEMA) != 0) {
		snprintf(why, whylen, "'%s' is not a feed mirror of this version "
		                      "(schema '%s'); pull into another --out",
		         m->path, v);
		goto bad;
	}
	return P_OK;
bad:
	mirror_close(m);
	return P_RT;
}

/* the mirror's last checkpoint: *seq 0 when none; bytes (may be NULL) */
static int mirror_last(mirror *m, uint64_t *seq, char **bytes, size_t *len,
                       char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*seq = 0;
	if (bytes)
		*bytes = NULL;
	if (sqlite3_prepare_v2(m->db, "SELECT seq, bytes FROM checkpoints "
	                              "ORDER BY seq DESC LIMIT 1",
	                       -1, &st, NULL) != SQLITE_OK)
		goto err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (bytes) {
			int n = sqlite3_column_bytes(st, 1);
			const void *b = sqlite3_column_blob(st, 1);
			*bytes = malloc((size_t)n + 1);
			if (*bytes == NULL)
				goto err;
			if (n > 0)
				memcpy(*bytes, b, (size_t)n);
			(*bytes)[n] = '\0';
			*len = (size_t)n;
		}
	} else if (rc != SQLITE_DONE) {
		goto err;
	}
	sqlite3_finalize(st);
	return P_OK;
err:
	snprintf(why, whylen, "%s: %s", m->path, sqlite3_errmsg(m->db));
	sqlite3_finalize(st);
	return P_RT;
}

/* the stored bytes of checkpoint seq; P_RT when it is missing */
static int mirror_cp(mirror *m, uint64_t seq, char **bytes, size_t *len,
                     char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;

	*bytes = NULL;
	if (sqlite3_prepare_v2(m->db, "SELECT bytes FROM checkpoints "
	                              "WHERE seq = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		goto err;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, whylen, "the mirror '%s' lacks checkpoint %" PRIu64
		                      "; pull into a new --out", m->path, seq);
		sqlite3_finalize(st);
		return P_RT;
	}
	int n = sqlite3_column_bytes(st, 0);
	*bytes = malloc((size_t)n + 1);
	if (*bytes == NULL)
		goto err;
	if (n > 0)
		memcpy(*bytes, sqlite3_column_blob(st, 0), (size_t)n);
	(*bytes)[n] = '\0';
	*len = (size_t)n;
	sqlite3_finalize(st);
	return P_OK;
err:
	snprintf(why, whylen, "%s: %s", m->path, sqlite3_errmsg(m->db));
	sqlite3_finalize(st);
	return P_RT;
}

/* ---- pull ----------------------------------------------------------------- */

enum { K_ADDED, K_CHANGED, K_WITHDRAWN, K_VALIDITY, K_N };
static const char *const kind_names[K_N] = { "added", "changed", "withdrawn",
	                                         "validity" };

typedef struct pull {
	hc http;
	mirror m;
	keys_public root;
	const char *url;
	int limit;
	int tty;
	int progress;       /* a progress line is on the terminal */
	int64_t last_progress;
	/* the checkpoint of the page being applied, parsed (cached) */
	store_checkpoint tcp;
	uint64_t tcp_seq;
	/* statements */
	sqlite3_stmt *get_rec, *get_tomb, *put_rec, *put_tomb, *put_hist,
	        *get_cursor, *set_cursor, *has_cp;
	/* what this run did */
	uint64_t latest, ncp, npages, nchanges, nkind[K_N];
	int resumed;
	char why[8192];
} pull;

static int refuse(pull *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int refuse(pull *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	return P_NO;
}

static int db_fail(pull *p)
{
	snprintf(p->why, sizeof(p->why), "%s: %s", p->m.path,
	         sqlite3_errmsg(p->m.db));
	return P_RT;
}

static void progress(pull *p, int force, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void progress(pull *p, int force, const char *fmt, ...)
{
	va_list ap;
	int64_t now;

	if (!p->tty)
		return;
	now = mono_ms();
	if (!force && now - p->last_progress < 100)
		return;
	p->last_progress = now;
	fputs("\rgovfed: pull: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	p->progress = 1;
}

static void progress_end(pull *p)
{
	if (p->progress)
		fputc('\n', stderr);
	p->progress = 0;
}

static int prepare(pull *p)
{
	struct {
		sqlite3_stmt **st;
		const char *sql;
	} s[] = {
		{ &p->get_rec, "SELECT record, checkpoint FROM records "
		               "WHERE node = ? AND path = ?" },
		{ &p->get_tomb, "SELECT checkpoint FROM tombstones "
		                "WHERE node = ? AND path = ?" },
		{ &p->put_rec,
		  "INSERT INTO records(node, path, level, kind, record, \"commit\", "
		  "signer, checkpoint) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		  "ON CONFLICT(node, path) DO UPDATE SET level = ?3, kind = ?4, "
		  "record = ?5, \"commit\" = ?6, signer = ?7, checkpoint = ?8" },
		{ &p->put_tomb,
		  "INSERT INTO tombstones(node, path, at, reason, \"commit\", "
		  "checkpoint) VALUES(?, ?, ?, ?, ?, ?)" },
		{ &p->put_hist,
		  "INSERT INTO history(checkpoint, after, node, path, level, kind, "
		  "record, \"commit\", signer) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)" },
		{ &p->get_cursor, "SELECT value FROM state WHERE key = 'cursor'" },
		{ &p->set_cursor, "UPDATE state SET value = ? WHERE key = 'cursor'" },
		{ &p->has_cp, "SELECT 1 FROM checkpoints WHERE seq = ?" },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (sqlite3_prepare_v2(p->m.db, s[i].sql, -1, s[i].st, NULL) !=
		    SQLITE_OK)
			return db_fail(p);
	return P_OK;
}

static void unprepare(pull *p)
{
	sqlite3_finalize(p->get_rec);
	sqlite3_finalize(p->get_tomb);
	sqlite3_finalize(p->put_rec);
	sqlite3_finalize(p->put_tomb);
	sqlite3_finalize(p->put_hist);
	sqlite3_finalize(p->get_cursor);
	sqlite3_finalize(p->set_cursor);
	sqlite3_finalize(p->has_cp);
}

static int get_cursor(pull *p, char *out, size_t outlen)
{
	int rc;

	sqlite3_reset(p->get_cursor);
	rc = sqlite3_step(p->get_cursor);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(p->get_cursor);
		return rc == SQLITE_DONE ? refuse(p, "the mirror '%s' has no cursor",
		                                  p->m.path)
		                         : db_fail(p);
	}
	snprintf(out, outlen, "%s",
	         (const char *)sqlite3_column_text(p->get_cursor, 0));
	sqlite3_reset(p->get_cursor);
	return P_OK;
}

/* GET a path that must answer 200; why: p->why, or the caller's own
 * (the page fetched ahead, on another thread) */
static int get_ok_why(pull *p, const char *uri, size_t max, char **body,
                      size_t *len, int *status, char *why, size_t whylen)
{
	char msg[600];
	int rc;

	*status = 0;
	rc = hc_get(&p->http, uri, max, status, body, len, why, whylen);
	if (rc != 0)
		return rc;
	if (*status == 200)
		return P_OK;
	http_errmsg(msg, sizeof(msg), *status, *body, *len);
	snprintf(why, whylen, "%s%s answered %s", p->url, uri, msg);
	free(*body);
	*body = NULL;
	return P_RT;
}

static int get_ok(pull *p, const char *uri, size_t max, char **body,
                  size_t *len, int *status)
{
	return get_ok_why(p, uri, max, body, len, status, p->why,
	                  sizeof(p->why));
}

/*
 * Fetches checkpoints from..to, each checked against the root key and its
 * predecessor (the mirror's checkpoint from-1, or none at seq 1), and
 * stores each as soon as it holds (CP_BATCH to a transaction); the last
 * must also be byte-equal to want_last when given (/checkpoints/latest).
 * A refused one is not stored; those before it, verified, stay.
 */
static int fetch_checkpoints(pull *p, uint64_t from, uint64_t to,
                             const char *want_last, size_t want_len)
{
	sqlite3_stmt *ins = NULL;
	char *prev = NULL, *cur = NULL, uri[64], why[512];
	size_t prevlen = 0, curlen = 0;
	int rc, status, in_tx = 0;
	uint64_t batch = 0;

	if (from > 1 &&
	    (rc = mirror_cp(&p->m, from - 1, &prev, &prevlen, p->why,
	                    sizeof(p->why))) != 0)
		return rc;
	if (sqlite3_prepare_v2(p->m.db, "INSERT INTO checkpoints(seq, hash, "
	                                "bytes, time) VALUES(?, ?, ?, ?)",
	                       -1, &ins, NULL) != SQLITE_OK) {
		rc = db_fail(p);
		goto done;
	}
	for (uint64_t s = from; s <= to; s++) {
		store_checkpoint cp;
		char tbuf[32];

		progress(p, s == from || s == to, "checkpoint %" PRIu64 " of %" PRIu64,
		         s, to);
		snprintf(uri, sizeof(uri), "/checkpoints/%" PRIu64, s);
		rc = get_ok(p, uri, STORE_CHECKPOINT_MAX, &cur, &curlen, &status);
		if (rc != 0) {
			if (status == 404)
				rc = refuse(p, "the feed lacks checkpoint %" PRIu64 " though "
				               "its latest is %" PRIu64 " (%s)", s, to,
				            p->why);
			goto done;
		}
		memset(&cp, 0, sizeof(cp));
		if (store_checkpoint_parse(&cp, cur, curlen, why, sizeof(why)) != 0) {
			store_checkpoint_clear(&cp);
			rc = refuse(p, "checkpoint %" PRIu64 " from the feed is refused: "
			               "%s", s, why);
			goto done;
		}
		if (cp.seq != s) {
			rc = refuse(p, "the feed answered checkpoint %" PRIu64 " for "
			               "/checkpoints/%" PRIu64 " (reordered); refused",
			            cp.seq, s);
			store_checkpoint_clear(&cp);
			goto done;
		}
		rc = store_checkpoint_check(cur, curlen, &p->root, prev, prevlen, why,
		                            sizeof(why));
		if (rc != 0) {
			store_checkpoint_clear(&cp);
			if (rc == STORE_ENOMEM) {
				snprintf(p->why, sizeof(p->why), "out of memory");
				rc = P_RT;
			} else {
				rc = refuse(p, "checkpoint %" PRIu64 " from the feed is "
				               "refused: %s", s, why);
			}
			goto done;
		}
		if (s == to && want_last != NULL &&
		    (curlen != want_len || memcmp(cur, want_last, curlen) != 0)) {
			store_checkpoint_clear(&cp);
			rc = refuse(p, "the feed's /checkpoints/latest and /checkpoints/%"
			               PRIu64 " differ; refused", s);
			goto done;
		}
		keys_time_format(tbuf, cp.time);
		if (!in_tx) {
			if (db_exec(&p->m, "BEGIN IMMEDIATE", p->why, sizeof(p->why))) {
				store_checkpoint_clear(&cp);
				rc = P_RT;
				goto done;
			}
			in_tx = 1;
		}
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)s);
		sqlite3_bind_text(ins, 2, cp.hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(ins, 3, cur, (int)curlen, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, tbuf, -1, SQLITE_TRANSIENT);
		store_checkpoint_clear(&cp);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = db_fail(p);
			goto done;
		}
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
		p->ncp++;
		free(prev);
		prev = cur;
		prevlen = curlen;
		cur = NULL;
		if (++batch % CP_BATCH == 0 || s == to) {
			if (db_exec(&p->m, "COMMIT", p->why, sizeof(p->why))) {
				rc = P_RT;
				goto done;
			}
			in_tx = 0;
		}
	}
	rc = P_OK;
done:
	if (in_tx) {
		/* what verified so far stays; the refused one was never inserted */
		if (sqlite3_exec(p->m.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			sqlite3_exec(p->m.db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(ins);
	free(prev);
	free(cur);
	return rc;
}

/* the parsed checkpoint seq of the mirror, cached in p->tcp */
static int load_tcp(pull *p, uint64_t seq)
{
	char *b = NULL, why[512];
	size_t n = 0;
	int rc;

	if (p->tcp_seq == seq)
		return P_OK;
	store_checkpoint_clear(&p->tcp);
	memset(&p->tcp, 0, sizeof(p->tcp));
	p->tcp_seq = 0;
	if ((rc = mirror_cp(&p->m, seq, &b, &n, p->why, sizeof(p->why))) != 0)
		return rc;
	rc = store_checkpoint_parse(&p->tcp, b, n, why, sizeof(why));
	free(b);
	if (rc != 0) {
		snprintf(p->why, sizeof(p->why), "checkpoint %" PRIu64 " of the "
		                                  "mirror is unreadable: %s", seq, why);
		return P_RT;
	}
	p->tcp_seq = seq;
	return P_OK;
}

static const store_cp_head *tcp_head(pull *p, const char *node)
{
	for (size_t i = 0; i < p->tcp.nheads; i++)
		if (strcmp(p->tcp.heads[i].node, node) == 0)
			return &p->tcp.heads[i];
	return NULL;
}

/* one change of a page, checked alone */
typedef struct change {
	int kind;
	const char *node, *path, *level, *commit, *signer;
	json_t *record;
	const char *wd_at, *wd_reason;  /* its withdrawn {at, reason}, if any */
	char *text;                     /* compact canonical record */
} change;

static int check_change(pull *p, json_t *c, size_t i, change *out)
{
	const char *kind;
	json_t *wd;
	int k;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(c))
		return refuse(p, "change %zu is not an object", i);
	kind = str_of(c, "kind");
	for (k = 0; k < K_N; k++)
		if (kind && strcmp(kind, kind_names[k]) == 0)
			break;
	if (k == K_N)
		return refuse(p, "change %zu: kind '%s' is not added, changed, "
		                 "withdrawn or validity", i, kind ? kind : "(none)");
	out->kind = k;
	out->node = str_of(c, "node");
	out->path = str_of(c, "path");
	out->level = str_of(c, "level");
	out->commit = str_of(c, "commit");
	out->signer = str_of(c, "signer");
	out->record = json_object_get(c, "record");
	if (out->node == NULL || !store_id_valid(out->node))
		return refuse(p, "change %zu: node '%s' is not a division code", i,
		              out->node ? out->node : "(none)");
	if (!path_ok(out->path))
		return refuse(p, "change %zu: path '%s' is not a record path", i,
		              out->path ? out->path : "(none)");
	const store_cp_head *h = tcp_head(p, out->node);
	if (h == NULL)
		return refuse(p, "change %zu: node %s is not among the heads of "
		                 "checkpoint %" PRIu64, i, out->node, p->tcp_seq);
	if (out->level == NULL || strcmp(out->level, store_level_name(h->level)))
		return refuse(p, "change %zu: level '%s' of %s differs from checkpoint "
		                 "%" PRIu64 "'s '%s'", i,
		              out->level ? out->level : "(none)", out->node,
		              p->tcp_seq, store_level_name(h->level));
	if (!hex40(out->commit))
		return refuse(p, "change %zu (%s %s): commit is not 40 hex digits", i,
		              out->node, out->path);
	if (!signer_ok(out->signer))
		return refuse(p, "change %zu (%s %s): signer is not a SHA256: "
		                 "fingerprint", i, out->node, out->path);
	if (!json_is_object(out->record))
		return refuse(p, "change %zu (%s %s): record is not an object", i,
		              out->node, out->path);
	wd = json_object_get(out->record, "withdrawn");
	if (wd != NULL) {
		out->wd_at = str_of(wd, "at");
		out->wd_reason = str_of(wd, "reason");
		if (!json_is_object(wd) || out->wd_at == NULL ||
		    out->wd_reason == NULL)
			return refuse(p, "change %zu (%s %s): withdrawn is not {at, "
			                 "reason}", i, out->node, out->path);
	} else if (k == K_WITHDRAWN) {
		return refuse(p, "change %zu (%s %s): kind withdrawn without a "
		                 "withdrawn {at, reason} in the record", i, out->node,
		              out->path);
	}
	out->text = json_dumps(out->record, JSON_COMPACT | JSON_SORT_KEYS);
	if (out->text == NULL) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		return P_RT;
	}
	return P_OK;
}

static int bind_step(pull *p, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return P_OK;
	if (rc == SQLITE_CONSTRAINT)
		return P_NO;
	return db_fail(p);
}

/* record fields other than validity equal? */
static int same_but_validity(const char *old_text, const json_t *new_rec)
{
	json_t *o = json_loads(old_text, 0, NULL), *n = json_deep_copy(new_rec);
	int eq;

	if (o == NULL || n == NULL) {
		json_decref(o);
		json_decref(n);
		return 0;
	}
	json_object_del(o, "validity");
	json_object_del(n, "validity");
	eq = json_equal(o, n);
	json_decref(o);
	json_decref(n);
	return eq;
}

/* one change, inside the page's transaction */
static int apply_change(pull *p, const change *c, uint64_t from, uint64_t to,
                        size_t i)
{
	int exists, tomb, rc;
	char *old = NULL;

	sqlite3_bind_text(p->get_rec, 1, c->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(p->get_rec, 2, c->path, -1, SQLITE_STATIC);
	rc = sqlite3_step(p->get_rec);
	exists = rc == SQLITE_ROW;
	if (exists && c->kind == K_VALIDITY) {
		old = strdup((const char *)sqlite3_column_text(p->get_rec, 0));
		if (old == NULL) {
			sqlite3_reset(p->get_rec);
			snprintf(p->why, sizeof(p->why), "out of memory");
			return P_RT;
		}
	}
	sqlite3_reset(p->get_rec);
	sqlite3_clear_bindings(p->get_rec);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(p);
	sqlite3_bind_text(p->get_tomb, 1, c->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(p->get_tomb, 2, c->path, -1, SQLITE_STATIC);
	rc = sqlite3_step(p->get_tomb);
	tomb = rc == SQLITE_ROW;
	sqlite3_reset(p->get_tomb);
	sqlite3_clear_bindings(p->get_tomb);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(old);
		return db_fail(p);
	}
	if (tomb) {
		free(old);
		return refuse(p, "change %zu changes %s %s, withdrawn before "
		                 "checkpoint %" PRIu64 ": a tombstone never changes",
		              i, c->node, c->path, from);
	}
	if (c->kind == K_ADDED && exists)
		return refuse(p, "change %zu adds %s %s, which the mirror already "
		                 "holds at checkpoint %" PRIu64, i, c->node, c->path,
		              from);
	if ((c->kind == K_CHANGED || c->kind == K_VALIDITY) && !exists)
		return refuse(p, "change %zu changes %s %s, which the mirror does not "
		                 "hold at checkpoint %" PRIu64, i, c->node, c->path,
		              from);
	if (c->kind == K_VALIDITY && !same_but_validity(old, c->record)) {
		free(old);
		return refuse(p, "change %zu (%s %s) is marked validity but changes "
		                 "more than validity", i, c->node, c->path);
	}
	free(old);

	sqlite3_stmt *st = p->put_rec;
	sqlite3_bind_text(st, 1, c->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->level, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kind_names[c->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->signer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)to);
	if ((rc = bind_step(p, st)) != 0)
		return rc == P_NO ? db_fail(p) : rc;
	if (c->wd_at) {
		st = p->put_tomb;
		sqlite3_bind_text(st, 1, c->node, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, c->wd_at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->wd_reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->commit, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)to);
		if ((rc = bind_step(p, st)) != 0)
			return rc == P_NO ? db_fail(p) : rc;
	}
	st = p->put_hist;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)to);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_text(st, 3, c->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->level, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, kind_names[c->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, c->commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, c->signer, -1, SQLITE_STATIC);
	if ((rc = bind_step(p, st)) == P_NO)
		return refuse(p, "change %zu: %s %s comes twice in the changes from "
		                 "checkpoint %" PRIu64 " to %" PRIu64, i, c->node,
		              c->path, from, to);
	return rc;
}

/*
 * Checks one page whole, then applies it and advances the cursor from
 * `cursor` to `next` in one transaction. Nothing is applied when anything
 * is refused.
 */
static int apply_page(pull *p, const char *cursor, json_t *changes,
                      uint64_t from, uint64_t to, const char *next)
{
	size_t n = json_array_size(changes), i;
	change *cs = NULL;
	char cur[64];
	int rc = P_OK, in_tx = 0;

	if (n > 0 && (cs = calloc(n, sizeof(*cs))) == NULL) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		return P_RT;
	}
	if ((rc = load_tcp(p, to)) != 0)
		goto done;
	for (i = 0; i < n; i++)
		if ((rc = check_change(p, json_array_get(changes, i), i, &cs[i])) != 0)
			goto done;
	if ((rc = db_exec(&p->m, "BEGIN IMMEDIATE", p->why, sizeof(p->why))) != 0)
		goto done;
	in_tx = 1;
	/* the cursor did not move under us, and T is verified and stored */
	if ((rc = get_cursor(p, cur, sizeof(cur))) != 0)
		goto done;
	if (strcmp(cur, cursor) != 0) {
		rc = refuse(p, "the mirror's cursor moved from %s to %s during the "
		               "pull; pull again", cursor, cur);
		goto done;
	}
	sqlite3_bind_int64(p->has_cp, 1, (sqlite3_int64)to);
	rc = sqlite3_step(p->has_cp);
	sqlite3_reset(p->has_cp);
	sqlite3_clear_bindings(p->has_cp);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? refuse(p, "checkpoint %" PRIu64 " is not "
		                                   "verified in the mirror", to)
		                       : db_fail(p);
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((rc = apply_change(p, &cs[i], from, to, i)) != 0)
			goto done;
	sqlite3_bind_text(p->set_cursor, 1, next, -1, SQLITE_STATIC);
	if ((rc = bind_step(p, p->set_cursor)) != 0) {
		rc = db_fail(p);
		goto done;
	}
	if ((rc = db_exec(&p->m, "COMMIT", p->why, sizeof(p->why))) != 0)
		goto done;
	in_tx = 0;
	for (i = 0; i < n; i++)
		p->nkind[cs[i].kind]++;
	p->nchanges += n;
	p->npages++;
done:
	if (in_tx)
		sqlite3_exec(p->m.db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; cs && i < n; i++)
		free(cs[i].text);
	free(cs);
	return rc;
}

/*
 * One page: GET uri and parse it. Touches nothing of p but its HTTP
 * client (and reads p->url), so that the next page can be fetched on a
 * thread while this one is applied; the reason goes to why.
 */
static int fetch_page(pull *p, const char *uri, json_t **page, char *why,
                      size_t whylen)
{
	char *body = NULL;
	size_t len = 0;
	json_error_t jerr;
	int rc, status;

	*page = NULL;
	if ((rc = get_ok_why(p, uri, PAGE_MAX, &body, &len, &status, why,
	                     whylen)) != 0)
		return rc;
	*page = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	free(body);
	if (*page == NULL) {
		snprintf(why, whylen, "%s%s: not JSON (%s, line %d)", p->url, uri,
		         jerr.text, jerr.line);
		return P_NO;
	}
	return P_OK;
}

/* the next page, fetched while the current one is applied */
typedef struct ahead {
	pthread_t th;
	int active;
	pull *p;
	char uri[160];
	int rc;
	json_t *page;
	char why[1024];
} ahead;

static void *ahead_main(void *arg)
{
	ahead *a = arg;

	a->rc = fetch_page(a->p, a->uri, &a->page, a->why, sizeof(a->why));
	return NULL;
}

static void ahead_start(ahead *a, pull *p, const char *uri)
{
	a->p = p;
	a->page = NULL;
	snprintf(a->uri, sizeof(a->uri), "%s", uri);
	a->active = pthread_create(&a->th, NULL, ahead_main, a) == 0;
}

/* waits for the page fetched ahead; 1 when it is the page of uri (its
 * result in *rc and *page, the reason in p->why), else 0 (discarded) */
static int ahead_take(ahead *a, pull *p, const char *uri, int *rc,
                      json_t **page)
{
	if (!a->active)
		return 0;
	pthread_join(a->th, NULL);
	a->active = 0;
	if (uri == NULL || strcmp(uri, a->uri) != 0) {
		json_decref(a->page);
		a->page = NULL;
		return 0;
	}
	*rc = a->rc;
	*page = a->page;
	a->page = NULL;
	if (a->rc != 0)
		snprintf(p->why, sizeof(p->why), "%s", a->why);
	return 1;
}

static int pull_pages(pull *p, ahead *a);

/* pages until the mirror is complete at its last checkpoint */
static int pull_feed(pull *p)
{
	ahead a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = pull_pages(p, &a);
	ahead_take(&a, p, NULL, NULL, NULL);  /* a failed run's page ahead */
	return rc;
}

static int pull_pages(pull *p, ahead *a)
{
	char cursor[64], uri[160], next[64], lim[32] = "";
	uint64_t n, t, k, last, loops = 0;
	int rc;

	if (p->limit > 0)
		snprintf(lim, sizeof(lim), "&limit=%d", p->limit);
	for (;;) {
		json_t *page, *changes, *jnext;
		uint64_t pf, pt, nchanges;
		char nuri[160] = "";

		if (++loops > 100000000)
			return refuse(p, "the feed never ends");
		if ((rc = get_cursor(p, cursor, sizeof(cursor))) != 0)
			return rc;
		if (cursor_parse(cursor, &n, &t, &k) != 0)
			return refuse(p, "the mirror's cursor '%s' is not N or N.T.K; "
			                 "pull into a new --out", cursor);
		if ((rc = mirror_last(&p->m, &last, NULL, NULL, p->why,
		                      sizeof(p->why))) != 0)
			return rc;
		if (t == 0 && n == last) {
			progress(p, 1, "%" PRIu64 " changes, complete at checkpoint %"
			               PRIu64, p->nchanges, n);
			return P_OK;
		}
		if ((t == 0 && n > last) || t > last)
			return refuse(p, "the mirror's cursor %s is past its last "
			                 "checkpoint %" PRIu64 "; pull into a new --out",
			              cursor, last);
		if (t == 0)
			snprintf(uri, sizeof(uri), "/feed?after=%" PRIu64 "%s", n, lim);
		else
			snprintf(uri, sizeof(uri), "/feed?cursor=%s%s", cursor, lim);
		progress(p, 0, "changes %" PRIu64 " (checkpoint %" PRIu64 " of %"
		               PRIu64 ")", p->nchanges, n, p->latest);
		if (!ahead_take(a, p, uri, &rc, &page))
			rc = fetch_page(p, uri, &page, p->why, sizeof(p->why));
		if (rc != 0)
			return rc;
		changes = json_object_get(page, "changes");
		jnext = json_object_get(page, "next");
		if (!json_is_object(page) ||
		    !json_is_integer(json_object_get(page, "from")) ||
		    !json_is_integer(json_object_get(page, "to")) ||
		    !json_is_array(changes) ||
		    !(json_is_null(jnext) || json_is_string(jnext))) {
			rc = refuse(p, "%s%s: not a feed page {from, to, changes, next}",
			            p->url, uri);
			goto next_page;
		}
		if (json_integer_value(json_object_get(page, "from")) < 0 ||
		    json_integer_value(json_object_get(page, "to")) < 0) {
			rc = refuse(p, "%s%s: from or to is negative", p->url, uri);
			goto next_page;
		}
		pf = (uint64_t)json_integer_value(json_object_get(page, "from"));
		pt = (uint64_t)json_integer_value(json_object_get(page, "to"));
		nchanges = json_array_size(changes);
		if (pf != n || pt <= n || (t != 0 && pt != t) ||
		    pt > STORE_CHECKPOINT_SEQ_MAX) {
			rc = refuse(p, "%s%s answered the changes from checkpoint %" PRIu64
			               " to %" PRIu64 "; asked from %" PRIu64 "%s",
			            p->url, uri, pf, pt, n, t ? " with a cursor" : "");
			goto next_page;
		}
		if (json_is_null(jnext)) {
			snprintf(next, sizeof(next), "%" PRIu64, pt);
		} else {
			uint64_t nn, nt, nk;
			if (cursor_parse(json_string_value(jnext), &nn, &nt, &nk) != 0 ||
			    nt == 0 || nn != n || nt != pt || nk != k + nchanges ||
			    nchanges == 0) {
				rc = refuse(p, "%s%s: next cursor '%s' does not follow %" PRIu64
				               " changes of checkpoint %" PRIu64 " to %" PRIu64
				               " after %" PRIu64, p->url, uri,
				            json_string_value(jnext), nchanges, n, pt, k);
				goto next_page;
			}
			snprintf(next, sizeof(next), "%s", json_string_value(jnext));
		}
		/* a page beyond the mirror's last checkpoint: verify up to it first */
		if (pt > last) {
			if ((rc = fetch_checkpoints(p, last + 1, pt, NULL, 0)) != 0)
				goto next_page;
			if (pt > p->latest)
				p->latest = pt;
			last = pt;
		}
		/* the page after this one, as the next turn will ask for it,
		 * fetched meanwhile (the HTTP client is the thread's until then) */
		if (!json_is_null(jnext))
			snprintf(nuri, sizeof(nuri), "/feed?cursor=%s%s", next, lim);
		else if (pt < last)
			snprintf(nuri, sizeof(nuri), "/feed?after=%" PRIu64 "%s", pt,
			         lim);
		if (nuri[0])
			ahead_start(a, p, nuri);
		rc = apply_page(p, cursor, changes, n, pt, next);
		if (rc == P_NO) {
			char tmp[sizeof(p->why)];
			snprintf(tmp, sizeof(tmp), "%s", p->why);
			snprintf(p->why, sizeof(p->why), "the page %s from checkpoint %"
			                                  PRIu64 " to %" PRIu64 " is "
			                                  "refused, nothing of it applied: "
			                                  "%.7000s", uri, n, pt, tmp);
		}
next_page:
		json_decref(page);
		if (rc != 0)
			return rc;
	}
}

static int pull_run(pull *p, const char *keyline)
{
	char *lbytes = NULL, *mbytes = NULL, why[512], sv[600];
	size_t llen = 0, mlen = 0;
	uint64_t mseq;
	store_checkpoint lcp;
	int rc, status;

	memset(&lcp, 0, sizeof(lcp));
	/* the mirror is of one root key */
	if ((rc = state_get(&p->m, "root_key", sv, sizeof(sv), p->why,
	                    sizeof(p->why))) != 0)
		return rc;
	if (sv[0] == '\0') {
		if ((rc = state_set(&p->m, "root_key", keyline, p->why,
		                    sizeof(p->why))) != 0)
			return rc;
	} else if (strcmp(sv, keyline) != 0) {
		return refuse(p, "the mirror '%s' mirrors the feed of another root "
		                 "key (%s); pull into another --out", p->m.path, sv);
	}
	if ((rc = state_set(&p->m, "url", p->url, p->why, sizeof(p->why))) != 0 ||
	    (rc = prepare(p)) != 0 || (rc = get_cursor(p, sv, sizeof(sv))) != 0)
		return rc;
	p->resumed = strchr(sv, '.') != NULL;

	/* 1. the latest checkpoint, and the chain up to it */
	progress(p, 1, "checkpoint latest");
	rc = get_ok(p, "/checkpoints/latest", STORE_CHECKPOINT_MAX, &lbytes, &llen,
	            &status);
	if (rc != 0) {
		if (status == 503)
			snprintf(p->why + strlen(p->why),
			         sizeof(p->why) - strlen(p->why),
			         " (no checkpoint cut yet; try again later)");
		goto done;
	}
	if (store_checkpoint_parse(&lcp, lbytes, llen, why, sizeof(why)) != 0) {
		rc = refuse(p, "the latest checkpoint from the feed is refused: %s",
		            why);
		goto done;
	}
	if ((rc = mirror_last(&p->m, &mseq, &mbytes, &mlen, p->why,
	                      sizeof(p->why))) != 0)
		goto done;
	p->latest = lcp.seq > mseq ? lcp.seq : mseq;
	if (lcp.seq < mseq) {
		rc = refuse(p, "the feed's latest checkpoint is %" PRIu64 ", older "
		               "than checkpoint %" PRIu64 " the mirror already holds: "
		               "rolled back; refused", lcp.seq, mseq);
		goto done;
	}
	if (lcp.seq == mseq) {
		if (llen != mlen || memcmp(lbytes, mbytes, llen) != 0) {
			rc = refuse(p, "the feed's checkpoint %" PRIu64 " (hash %s) "
			               "differs from the one the mirror holds: a fork or "
			               "a forgery; refused", lcp.seq, lcp.hash);
			goto done;
		}
	} else {
		if ((rc = fetch_checkpoints(p, mseq + 1, lcp.seq, lbytes, llen)) != 0)
			goto done;
	}
	/* 2. the record changes up to it */
	rc = pull_feed(p);
done:
	store_checkpoint_clear(&lcp);
	free(lbytes);
	free(mbytes);
	return rc;
}

static int count_rows(sqlite3 *db, const char *table, int64_t *out)
{
	char sql[96];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int feed_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 0 },
		{ "root-key", required_argument, NULL, 0 },
		{ "out", required_argument, NULL, 0 },
		{ "limit", required_argument, NULL, 0 },
		{ "timeout", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL, *keyfile = NULL, *out = NULL;
	char keyline[256], why[600];
	uint64_t v;
	int idx, c, json = 0, rc, timeout = 60, limit = 0;
	int64_t t0 = mono_ms(), nrec = 0, ntomb = 0, ncps = 0;
	pull *p;

	while ((c = cli_getopt("feed pull", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: url = optarg; break;
		case 1: keyfile = optarg; break;
		case 2: out = optarg; break;
		case 3:
			if (parse_u64(optarg, strlen(optarg), LIMIT_MAX, &v) != 0 || v < 1)
				return cli_usage("feed pull", "--limit '%s' is not a number "
				                              "from 1 to %d", optarg,
				                 LIMIT_MAX);
			limit = (int)v;
			break;
		case 4:
			if (parse_u64(optarg, strlen(optarg), 3600, &v) != 0 || v < 1)
				return cli_usage("feed pull", "--timeout '%s' is not a number "
				                              "of seconds from 1 to 3600",
				                 optarg);
			timeout = (int)v;
			break;
		case 5: json = 1; break;
		case 6: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!url)
		return cli_usage("feed pull", "--url is required (http://HOST:PORT "
		                              "of the province's node)");
	if (!keyfile)
		return cli_usage("feed pull", "--root-key is required (the "
		                              "province's node.pub)");
	if (!out)
		return cli_usage("feed pull", "--out is required (the mirror's "
		                              "directory)");
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	p->m.lockfd = -1;
	p->url = url;
	p->limit = limit;
	p->tty = cli_tty();
	rc = hc_open(&p->http, url, timeout, why, sizeof(why));
	if (rc == EXIT_USAGE) {
		free(p);
		return cli_usage("feed pull", "%s", why);
	}
	if (rc != 0) {
		cli_err("%s", why);
		free(p);
		return EXIT_RUNTIME;
	}
	if (keys_public_load(&p->root, keyfile, why, sizeof(why)) != 0) {
		cli_err("cannot read the root key '%s': %s", keyfile, why);
		rc = EXIT_RUNTIME;
		goto done;
	}
	if (keys_public_format(keyline, sizeof(keyline), &p->root, NULL) != 0) {
		cli_err("cannot format the root key '%s'", keyfile);
		rc = EXIT_RUNTIME;
		goto done;
	}
	rc = mirror_open(&p->m, out, 1, p->why, sizeof(p->why));
	if (rc != 0) {
		cli_err("%s", p->why);
		rc = rc == P_NO ? EXIT_NO : EXIT_RUNTIME;
		goto done;
	}
	rc = pull_run(p, keyline);
	progress_end(p);
	if (rc != 0) {
		cli_err("%s", p->why);
		rc = rc == P_NO ? EXIT_NO : EXIT_RUNTIME;
		goto done;
	}
	count_rows(p->m.db, "records", &nrec);
	count_rows(p->m.db, "tombstones", &ntomb);
	count_rows(p->m.db, "checkpoints", &ncps);
	{
		uint64_t last;
		char *lb = NULL, hash[STORE_SHA256_HEX] = "";
		size_t ll = 0;
		int64_t ms = mono_ms() - t0;

		if (mirror_last(&p->m, &last, &lb, &ll, p->why, sizeof(p->why)) == 0 &&
		    lb != NULL)
			keys_sha256_hex(hash, lb, ll);
		free(lb);
		if (json) {
			json_t *o = json_pack(
				"{s:s, s:s, s:{s:I, s:s}, s:I, s:I, s:I, s:{s:I, s:I, s:I, "
				"s:I}, s:I, s:I, s:I, s:b, s:I}",
				"url", url, "out", out, "checkpoint", "seq",
				(json_int_t)last, "hash", hash, "checkpoints_pulled",
				(json_int_t)p->ncp, "pages", (json_int_t)p->npages,
				"changes", (json_int_t)p->nchanges, "kinds", "added",
				(json_int_t)p->nkind[K_ADDED], "changed",
				(json_int_t)p->nkind[K_CHANGED], "withdrawn",
				(json_int_t)p->nkind[K_WITHDRAWN], "validity",
				(json_int_t)p->nkind[K_VALIDITY], "records",
				(json_int_t)nrec, "tombstones", (json_int_t)ntomb,
				"checkpoints", (json_int_t)ncps, "resumed", p->resumed,
				"ms", (json_int_t)ms);
			print_json(o);
			json_decref(o);
		} else {
			printf("mirror %s at checkpoint %" PRIu64 " (%s): %" PRIu64
			       " changes pulled, %" PRId64 " records, %" PRId64
			       " tombstones\n", out, last, hash, p->nchanges, nrec, ntomb);
		}
	}
	rc = EXIT_OK;
done:
	unprepare(p);
	store_checkpoint_clear(&p->tcp);
	mirror_close(&p->m);
	hc_close(&p->http);
	free(p);
	return rc;
}

/* ---- dump ------------------------------------------------------------------- */

static json_t *col_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/* rows of `sql` as objects; a column named "record" is parsed as JSON */
static int rows_json(sqlite3 *db, const char *sql, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);
			json_t *v;
			if (strcmp(name, "record") == 0)
				v = json_loads((const char *)sqlite3_column_text(st, i), 0,
				               NULL);
			else
				v = col_json(st, i);
			json_object_set_new(o, name, v ? v : json_null());
		}
		json_array_append_new(arr, o);
	}
	if (rc != SQLITE_DONE)
		goto err;
	sqlite3_finalize(st);
	*out = arr;
	return 0;
err:
	sqlite3_finalize(st);
	json_decref(arr);
	return -1;
}

static int feed_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL;
	char why[1024], cursor[64];
	int idx, c, json = 0, rc;
	json_t *cps = NULL, *recs = NULL, *tombs = NULL, *hist = NULL, *doc;
	mirror m;

	while ((c = cli_getopt("feed dump", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: out = optarg; break;
		case 1: json = 1; break;
		case 2: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!out)
		return cli_usage("feed dump", "--out is required (the mirror's "
		                              "directory)");
	rc = mirror_open(&m, out, 0, why, sizeof(why));
	if (rc != 0) {
		cli_err("%s", why);
		return rc == P_NO ? EXIT_NO : EXIT_RUNTIME;
	}
	/* one read transaction: a consistent view while a pull writes */
	if (db_exec(&m, "BEGIN", why, sizeof(why)) != 0 ||
	    state_get(&m, "cursor", cursor, sizeof(cursor), why, sizeof(why)) ||
	    rows_json(m.db, "SELECT seq, hash, time FROM checkpoints ORDER BY seq",
	              &cps) != 0 ||
	    rows_json(m.db, "SELECT node, path, level, kind, record, \"commit\", "
	                    "signer, checkpoint FROM records ORDER BY node, path",
	              &recs) != 0 ||
	    rows_json(m.db, "SELECT node, path, at, reason, \"commit\", checkpoint "
	                    "FROM tombstones ORDER BY node, path",
	              &tombs) != 0 ||
	    (json && rows_json(m.db, "SELECT checkpoint, after, node, path, level, "
	                             "kind, record, \"commit\", signer FROM history "
	                             "ORDER BY id",
	                       &hist) != 0)) {
		cli_err("cannot read the mirror '%s': %s", m.path,
		        why[0] ? why : sqlite3_errmsg(m.db));
		json_decref(cps);
		json_decref(recs);
		json_decref(tombs);
		json_decref(hist);
		mirror_close(&m);
		return EXIT_RUNTIME;
	}
	sqlite3_exec(m.db, "COMMIT", NULL, NULL, NULL);
	mirror_close(&m);
	json_t *last = json_array_get(cps, json_array_size(cps) - 1);
	if (json) {
		doc = json_pack("{s:O, s:s, s:o, s:o, s:o, s:o}", "checkpoint",
		                last ? last : json_null(), "cursor", cursor,
		                "checkpoints", cps, "records", recs, "tombstones", tombs,
		                "history", hist);
		print_json(doc);
		json_decref(doc);
		return EXIT_OK;
	}
	if (last)
		printf("checkpoint %" JSON_INTEGER_FORMAT " %s %s\n",
		       json_integer_value(json_object_get(last, "seq")),
		       str_of(last, "hash"), str_of(last, "time"));
	else
		printf("checkpoint none\n");
	size_t i;
	json_t *r;
	json_array_foreach(recs, i, r) {
		char *s = json_dumps(json_object_get(r, "record"),
		                     JSON_COMPACT | JSON_SORT_KEYS);
		printf("record %s %s %s %s %s\n", str_of(r, "node"), str_of(r, "path"),
		       str_of(r, "kind"), str_of(r, "commit"), s ? s : "null");
		free(s);
	}
	json_array_foreach(tombs, i, r)
		printf("tombstone %s %s %s %s\n", str_of(r, "node"), str_of(r, "path"),
		       str_of(r, "at"), str_of(r, "reason"));
	json_decref(cps);
	json_decref(recs);
	json_decref(tombs);
	return EXIT_OK;
}

/* ---- serve ------------------------------------------------------------------ */

static int feed_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "listen", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *listen = NULL;
	int idx, c;

	while ((c = cli_getopt("feed serve", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: listen = optarg; break;
		case 2: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("feed serve", "--home is required");
	/* the listen address (default: the home's) is checked there */
	return http_feed_serve_main(home, listen);
}

int cmd_feed(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "serve", feed_serve },
		{ "pull", feed_pull },
		{ "dump", feed_dump },
	};

	return cli_dispatch("feed", usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}
