/*
 * peer_tool.c — govfed-peer: a test peer that speaks the sync protocol
 * (protocol/README.md) honestly or maliciously, for tests/e2e/e2e_hostile.sh.
 *
 *   govfed-peer child --parent HOST:PORT --to PARENT_ID --id CHILD_ID
 *               --key KEYFILE [--timeout MS] ACTION...
 *     dials ws://HOST:PORT/sync (REQ) and runs the actions in order (each
 *     request on a context of its own; sending it and awaiting its reply
 *     each take at most --timeout, 5 s):
 *       summary                  a correct summary
 *       seen NODE PARENT         a summary saying NODE sits under PARENT in
 *                                the sender's subtree, heard from just now
 *       fetch NODE [HAVE]        a fetch of NODE's history
 *       push NODE HEAD BUNDLE [HEIGHT]
 *                                a push of NODE's pack from a govfed bundle
 *                                (HEAD "-": the head the bundle names; a
 *                                bundle of one history is used whatever
 *                                node it names)
 *       garbage N                N messages of garbage (random bytes, broken
 *                                frames, truncated and bit-flipped ones)
 *       oversize MB              one message of MB megabytes
 *       old-summary              a correctly signed summary an hour old
 *       wrong-to [ID]            a summary addressed to ID (999999)
 *       badsig                   a summary from CHILD_ID signed by a random
 *                                key
 *       flood N [CTXS]           N summaries at once over CTXS (16) contexts
 *       flood-badsig N [CTXS]    the same, each signed by a random key
 *
 *   govfed-peer parent --listen HOST:PORT --id PARENT_ID --key KEYFILE
 *               [--wait MS] ACTION...
 *     listens on ws://HOST:PORT/pub (PUB) and /sync (REP) and, once a
 *     subscriber is connected (waiting at most --wait, 10 s):
 *       announce NODE COMMIT HEIGHT SECONDS
 *                                publishes every 100 ms a head announcement
 *                                signed by KEYFILE; /sync requests get a
 *                                signed `error busy`
 *       forge NODE COMMIT HEIGHT SECONDS
 *                                the same signed by a fresh random key
 *       garbage SECONDS [pub|sync]
 *                                publishes garbage and answers every /sync
 *                                request with garbage (only pub: /sync gets
 *                                a signed `error busy`; only sync: nothing
 *                                is published)
 *
 * Output: one line per reply ("reply error CODE: REASON", "reply ok ...",
 * "reply pack N bytes ...", "reply summary N heads ...", "timeout",
 * "closed"), a summary line for garbage and flood, one line per parent
 * action. Exit 0 if the actions ran, 1 if they could not (a refused dial,
 * an unreadable key or bundle), 2 on a usage error.
 */
#define _GNU_SOURCE
#include "proto.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_WAIT_MS 10000
#define FLOOD_CTX_MAX 64
#define GARBAGE_MAX 4096

static const char usage_text[] =
	"usage: govfed-peer child --parent HOST:PORT --to PARENT_ID --id ID "
	"--key KEYFILE [--timeout MS] ACTION...\n"
	"       govfed-peer parent --listen HOST:PORT --id PARENT_ID --key "
	"KEYFILE [--wait MS] ACTION...\n"
	"child actions:  summary | seen NODE PARENT | fetch NODE [HAVE] |\n"
	"                push NODE HEAD|- BUNDLE [HEIGHT] | garbage N | "
	"oversize MB |\n"
	"                old-summary | wrong-to [ID] | badsig |\n"
	"                flood N [CTXS] | flood-badsig N [CTXS]\n"
	"parent actions: announce NODE COMMIT HEIGHT SECONDS | forge NODE COMMIT "
	"HEIGHT SECONDS |\n"
	"                garbage SECONDS [pub|sync]\n";

static struct {
	const char *hostport;
	char me[KEYS_ID_MAX + 1];
	char to[KEYS_ID_MAX + 1];
	keys_secret *sk;
	int timeout_ms;
	int wait_ms;
	nng_socket s;   /* child: REQ; parent: REP */
	nng_socket pub; /* parent */
	uint64_t seq;
} G;

static atomic_int subscribers;

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "govfed-peer: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(usage_text, stderr);
	return 2;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return (n == 6 || n == 9 || n == 12) && strspn(s, "0123456789") == n;
}

static int hex40_ok(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static int parse_uint(const char *s, unsigned long long max,
                      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static void copy_id(char out[KEYS_ID_MAX + 1], const char *s)
{
	snprintf(out, KEYS_ID_MAX + 1, "%s", s);
}

/* ---- frames ------------------------------------------------------------- */

static int encode(unsigned char **buf, size_t *len, const proto_msg *m,
                  const keys_secret *sk, const void *payload, size_t plen)
{
	int rc = proto_encode(buf, len, m, sk, payload, plen);

	if (rc != 0)
		fprintf(stderr, "govfed-peer: cannot encode a %s message: %s\n",
		        proto_type_name(m->type), proto_strerror(rc));
	return rc;
}

static proto_msg request_base(proto_type t)
{
	proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	copy_id(m.from, G.me);
	copy_id(m.to, G.to);
	m.time = now_s();
	return m;
}

static int summary_frame(unsigned char **buf, size_t *len, const char *to,
                         int64_t t, const keys_secret *sk)
{
	proto_msg m = request_base(PROTO_SUMMARY);

	copy_id(m.to, to);
	m.time = t;
	m.seq = ++G.seq;
	return encode(buf, len, &m, sk, NULL, 0);
}

enum rclass {
	RC_SUMMARY,
	RC_PACK,
	RC_OK,
	RC_BUSY,
	RC_ERROR,
	RC_BAD,
	RC_OTHER,
	RC_TIMEOUT,
	RC_CLOSED,
	RC_N
};

static const char *const rclass_name[RC_N] = {
	"summary", "pack", "ok", "busy", "error", "undecodable", "other",
	"timeout", "closed"
};

/* Describes a reply in one line; returns its class. */
static enum rclass describe(const void *buf, size_t len, char *line,
                           size_t linelen)
{
	proto_msg m;
	char why[PROTO_REASON_MAX];
	enum rclass c;
	const char *sig;

	if (proto_decode(&m, buf, len, why, sizeof(why)) != 0) {
		snprintf(line, linelen, "reply undecodable (%zu bytes): %s", len,
		         why);
		return RC_BAD;
	}
	sig = proto_verify(&m, NULL, NULL) == 0 ? "" : " (signature broken)";
	switch (m.type) {
	case PROTO_ERROR:
		snprintf(line, linelen, "reply error %s: %s%s", m.code, m.reason,
		         sig);
		c = strcmp(m.code, "busy") == 0 ? RC_BUSY : RC_ERROR;
		break;
	case PROTO_OKAY:
		snprintf(line, linelen, "reply ok %s %s %u commits%s", m.head.node,
		         m.head.commit, m.commits, sig);
		c = RC_OK;
		break;
	case PROTO_PACK:
		snprintf(line, linelen,
		         "reply pack %zu bytes %s head %s height %" PRIu64
		         " commits %u%s%s",
		         m.payload_len, m.head.node, m.head.commit, m.head.height,
		         m.commits, m.announce ? " announced" : "", sig);
		c = RC_PACK;
		break;
	case PROTO_SUMMARY: {
		size_t off;
		off = (size_t)snprintf(line, linelen, "reply summary %zu heads%s",
		                       m.nheads, sig);
		for (size_t i = 0; i < m.nheads && off + 40 < linelen; i++)
			off += (size_t)snprintf(line + off, linelen - off,
			                        " %s@%.12s/%" PRIu64, m.heads[i].node,
			                        m.heads[i].commit, m.heads[i].height);
		c = RC_SUMMARY;
		break;
	}
	default:
		snprintf(line, linelen, "reply %s%s", proto_type_name(m.type), sig);
		c = RC_OTHER;
	}
	proto_msg_clear(&m);
	return c;
}

static enum rclass nng_class(int rv)
{
	if (rv == NNG_ETIMEDOUT)
		return RC_TIMEOUT;
	return RC_CLOSED;
}

/* ---- child: requests to a parent ----------------------------------------- */

static int child_open(void)
{
	char url[300];
	int rv;

	snprintf(url, sizeof(url), "ws://%s/sync", G.hostport);
	if ((rv = nng_req0_open(&G.s)) != 0) {
		fprintf(stderr, "govfed-peer: req socket: %s\n", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_size(G.s, NNG_OPT_RECVMAXSZ, PROTO_FRAME_MAX);
	/* never resend on our own: one request, one outcome */
	nng_socket_set_ms(G.s, NNG_OPT_REQ_RESENDTIME, 3600000);
	nng_socket_set_ms(G.s, NNG_OPT_RECONNMINT, 100);
	nng_socket_set_ms(G.s, NNG_OPT_RECONNMAXT, 500);
	if ((rv = nng_dial(G.s, url, NULL, 0)) != 0) {
		printf("closed (cannot dial %s: %s)\n", url, nng_strerror(rv));
		fflush(stdout);
		return -1;
	}
	return 0;
}

/* One request on a REQ context: sends m (always consumed) and waits for
 * the reply, each step bounded by the aio's timeout. 0 or an nng error. */
static int round_trip(nng_ctx ctx, nng_aio *aio, nng_msg *m, nng_msg **reply)
{
	int rv;

	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio));
		return rv;
	}
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0)
		return rv;
	*reply = nng_aio_get_msg(aio);
	return 0;
}

/* Sends one raw message and prints the outcome. A context of its own per
 * request: closing it drops a request that got no answer, so nng does not
 * resend it on the next connection. */
static enum rclass exchange(const void *buf, size_t len, int quiet)
{
	nng_msg *m, *r = NULL;
	nng_ctx ctx;
	nng_aio *aio;
	char line[2048];
	enum rclass c;
	int rv;

	if ((rv = nng_msg_alloc(&m, 0)) != 0 ||
	    (rv = nng_msg_append(m, buf, len)) != 0 ||
	    (rv = nng_ctx_open(&ctx, G.s)) != 0) {
		fprintf(stderr, "govfed-peer: %s\n", nng_strerror(rv));
		exit(1);
	}
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		fprintf(stderr, "govfed-peer: %s\n", nng_strerror(rv));
		exit(1);
	}
	nng_aio_set_timeout(aio, G.timeout_ms);
	rv = round_trip(ctx, aio, m, &r);
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	if (rv != 0) {
		c = nng_class(rv);
		if (!quiet)
			printf("%s (%s)\n", rclass_name[c], nng_strerror(rv));
		fflush(stdout);
		return c;
	}
	c = describe(nng_msg_body(r), nng_msg_len(r), line, sizeof(line));
	nng_msg_free(r);
	if (!quiet)
		printf("%s\n", line);
	fflush(stdout);
	return c;
}

static int send_frame_of(proto_msg *m, const keys_secret *sk,
                         const void *payload, size_t plen)
{
	unsigned char *buf;
	size_t len;

	if (encode(&buf, &len, m, sk, payload, plen) != 0)
		return -1;
	exchange(buf, len, 0);
	free(buf);
	return 0;
}

static int act_summary(int64_t t, const char *to, const keys_secret *sk)
{
	unsigned char *buf;
	size_t len;

	if (summary_frame(&buf, &len, to, t, sk) != 0)
		return -1;
	exchange(buf, len, 0);
	free(buf);
	return 0;
}

/* A summary claiming that `node` sits under `parent` in the sender's
 * subtree and was heard from just now. */
static int act_seen(const char *node, const char *parent)
{
	proto_msg m = request_base(PROTO_SUMMARY);
	proto_seen sn;

	memset(&sn, 0, sizeof(sn));
	copy_id(sn.node, node);
	copy_id(sn.parent, parent);
	sn.time = now_s();
	m.seq = ++G.seq;
	m.seen = &sn;
	m.nseen = 1;
	return send_frame_of(&m, G.sk, NULL, 0);
}

static int act_fetch(const char *node, const char *have)
{
	proto_msg m = request_base(PROTO_FETCH);

	copy_id(m.head.node, node);
	snprintf(m.base, sizeof(m.base), "%s", have ? have : "");
	return send_frame_of(&m, G.sk, NULL, 0);
}

/* The pack of `node` in a govfed bundle (cmd_bundle.c's format). */
static int bundle_pack(const char *file, const char *node, char head[41],
                       char base[41], unsigned char **pack, size_t *plen)
{
	static const char magic[] = "govfed-bundle 1\n";
	FILE *f = fopen(file, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, off, i;
	json_t *hdr = NULL, *hs, *x;
	json_error_t err;
	const unsigned char *nl;
	int found = 0;

	if (f == NULL) {
		fprintf(stderr, "govfed-peer: cannot open %s: %s\n", file,
		        strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;
		if (len == cap) {
			unsigned char *nd;
			cap = cap ? cap * 2 : 1 << 16;
			nd = realloc(data, cap);
			if (nd == NULL) {
				fclose(f);
				free(data);
				return -1;
			}
			data = nd;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	if (len < sizeof(magic) - 1 || memcmp(data, magic, sizeof(magic) - 1) ||
	    (nl = memchr(data + sizeof(magic) - 1, '\n',
	                 len - (sizeof(magic) - 1))) == NULL) {
		fprintf(stderr, "govfed-peer: %s is not a govfed bundle\n", file);
		free(data);
		return -1;
	}
	hdr = json_loadb((const char *)data + sizeof(magic) - 1,
	                 (size_t)(nl - data) - (sizeof(magic) - 1), 0, &err);
	hs = json_object_get(hdr, "histories");
	off = (size_t)(nl + 1 - data);
	json_array_foreach(hs, i, x) {
		const char *n = json_string_value(json_object_get(x, "node"));
		const char *h = json_string_value(json_object_get(x, "head"));
		const char *b = json_string_value(json_object_get(x, "base"));
		json_int_t sz = json_integer_value(json_object_get(x, "size"));
		if (n == NULL || h == NULL || sz < 0 || (size_t)sz > len - off)
			break;
		/* a bundle of one history is taken whoever it names */
		if (strcmp(n, node) == 0 || json_array_size(hs) == 1) {
			snprintf(head, 41, "%s", h);
			snprintf(base, 41, "%s", b ? b : "");
			*pack = malloc(sz ? (size_t)sz : 1);
			if (*pack == NULL)
				break;
			memcpy(*pack, data + off, (size_t)sz);
			*plen = (size_t)sz;
			found = 1;
			break;
		}
		off += (size_t)sz;
	}
	json_decref(hdr);
	free(data);
	if (!found)
		fprintf(stderr, "govfed-peer: %s holds no history of %s\n", file,
		        node);
	return found ? 0 : -1;
}

static int act_push(const char *node, const char *head, const char *file,
                    uint64_t height)
{
	proto_msg m = request_base(PROTO_PUSH);
	char bhead[41], bbase[41];
	unsigned char *pack = NULL;
	size_t plen = 0;
	int rc;

	if (bundle_pack(file, node, bhead, bbase, &pack, &plen) != 0)
		return -1;
	copy_id(m.head.node, node);
	snprintf(m.head.commit, sizeof(m.head.commit), "%s",
	         strcmp(head, "-") ? head : bhead);
	m.head.height = height;
	snprintf(m.base, sizeof(m.base), "%s", bbase);
	rc = send_frame_of(&m, G.sk, pack, plen);
	free(pack);
	return rc;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One garbage message of kind i % 7 in b (GARBAGE_MAX bytes). */
static size_t make_garbage(unsigned char *b, unsigned i)
{
	size_t n = 1 + randombytes_uniform(1024), hl, flen;
	unsigned char *f;

	randombytes_buf(b, GARBAGE_MAX);
	switch (i % 7) {
	case 0: /* noise */
		return n;
	case 1: /* the magic, then noise */
		memcpy(b, PROTO_MAGIC, 4);
		return n + 4;
	case 2: /* lengths that lie */
		memcpy(b, PROTO_MAGIC, 4);
		put_be32(b + 4, 0xffffffffu - randombytes_uniform(16));
		return 12 + n;
	case 3: /* a header that is not JSON */
		memcpy(b, PROTO_MAGIC, 4);
		hl = 1 + randombytes_uniform(200);
		put_be32(b + 4, (uint32_t)hl);
		put_be32(b + 8 + hl, 100);
		return 12 + hl + 100;
	case 4: /* JSON of the wrong shape */
		hl = (size_t)snprintf((char *)b + 8, 400,
		                      "{\"v\":1,\"type\":\"push\",\"from\":\"%s\","
		                      "\"to\":\"%s\",\"time\":%lld,\"node\":[1],"
		                      "\"head\":{},\"height\":-1}",
		                      G.me, G.to, (long long)now_s());
		if (hl >= 400)
			hl = 399;
		memcpy(b, PROTO_MAGIC, 4);
		put_be32(b + 4, (uint32_t)hl);
		put_be32(b + 8 + hl, 64);
		return 12 + hl + 64;
	default: /* a correct frame, truncated (5) or with a byte flipped (6) */
		if (summary_frame(&f, &flen, G.to, now_s(), G.sk) != 0 ||
		    flen > GARBAGE_MAX)
			return n;
		memcpy(b, f, flen);
		free(f);
		if (i % 7 == 5)
			return 1 + randombytes_uniform((uint32_t)flen - 1);
		b[4 + randombytes_uniform((uint32_t)flen - 4)] ^=
		        (unsigned char)(1u << randombytes_uniform(8));
		return flen;
	}
}

static int act_garbage(unsigned long long n)
{
	unsigned char *b = malloc(GARBAGE_MAX);
	unsigned counts[RC_N] = { 0 };

	if (b == NULL)
		return -1;
	for (unsigned long long i = 0; i < n; i++) {
		size_t len = make_garbage(b, (unsigned)i);
		counts[exchange(b, len, 0)]++;
	}
	free(b);
	printf("garbage %llu sent:", n);
	for (int c = 0; c < RC_N; c++)
		if (counts[c])
			printf(" %u %s", counts[c], rclass_name[c]);
	printf("\n");
	fflush(stdout);
	return 0;
}

static int act_oversize(unsigned long long mb)
{
	size_t len = (size_t)mb * 1000 * 1000;
	unsigned char *b = malloc(len ? len : 1);
	int64_t t0 = mono_ms();
	enum rclass c;

	if (b == NULL)
		return -1;
	memset(b, 'x', len);
	if (len >= 12) {
		memcpy(b, PROTO_MAGIC, 4);
		put_be32(b + 4, 64);
	}
	c = exchange(b, len, 0);
	free(b);
	printf("oversize %llu MB: %s after %lld ms\n", mb, rclass_name[c],
	       (long long)(mono_ms() - t0));
	/* the request's context is closed, so nothing resends it; let the copy
	 * still being written to the dropped connection go (nng 1.5.2 leaks a
	 * message whose send is cut short by nng_close) */
	if (c == RC_TIMEOUT || c == RC_CLOSED)
		sleep_ms(1000);
	fflush(stdout);
	return 0;
}

static int act_badsig(void)
{
	keys_secret *rnd;
	int rc;

	if (keys_secret_generate(&rnd) != 0)
		return -1;
	rc = act_summary(now_s(), G.to, rnd);
	keys_secret_free(rnd);
	return rc;
}

typedef struct flood {
	const keys_secret *sk;
	atomic_long left;
	atomic_int counts[RC_N];
	pthread_mutex_t mu;
	char first_error[1024];
} flood;

static int badsig_flood(const flood *fl)
{
	return fl->sk != G.sk;
}

static void *flood_main(void *arg)
{
	flood *fl = arg;
	nng_ctx ctx;
	nng_aio *aio;
	char line[1024];

	if (nng_ctx_open(&ctx, G.s) != 0 || nng_aio_alloc(&aio, NULL, NULL) != 0)
		return NULL;
	nng_aio_set_timeout(aio, G.timeout_ms);
	while (atomic_fetch_sub(&fl->left, 1) > 0) {
		unsigned char *buf;
		size_t len;
		nng_msg *m;
		enum rclass c;
		int rv;

		if (summary_frame(&buf, &len, G.to, now_s(), fl->sk) != 0)
			break;
		if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, buf, len) != 0) {
			free(buf);
			break;
		}
		free(buf);
		if ((rv = round_trip(ctx, aio, m, &m)) != 0) {
			atomic_fetch_add(&fl->counts[nng_class(rv)], 1);
			continue;
		}
		c = describe(nng_msg_body(m), nng_msg_len(m), line, sizeof(line));
		nng_msg_free(m);
		atomic_fetch_add(&fl->counts[c], 1);
		if (c != RC_SUMMARY && c != RC_BUSY && !badsig_flood(fl)) {
			pthread_mutex_lock(&fl->mu);
			if (fl->first_error[0] == '\0')
				snprintf(fl->first_error, sizeof(fl->first_error), "%s",
				         line);
			pthread_mutex_unlock(&fl->mu);
		}
	}
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	return NULL;
}

static int act_flood(unsigned long long n, unsigned long long nctx,
                     int badsig)
{
	pthread_t th[FLOOD_CTX_MAX];
	flood fl;
	int64_t t0 = mono_ms();
	unsigned long long started = 0;
	keys_secret *rnd = NULL;

	memset(&fl, 0, sizeof(fl));
	fl.sk = G.sk;
	if (badsig) {
		if (keys_secret_generate(&rnd) != 0)
			return -1;
		fl.sk = rnd;
	}
	atomic_init(&fl.left, (long)n);
	for (int c = 0; c < RC_N; c++)
		atomic_init(&fl.counts[c], 0);
	pthread_mutex_init(&fl.mu, NULL);
	for (; started < nctx; started++)
		if (pthread_create(&th[started], NULL, flood_main, &fl) != 0)
			break;
	for (unsigned long long i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	keys_secret_free(rnd);
	printf("%s %llu over %llu contexts in %lld ms:",
	       badsig ? "flood-badsig" : "flood", n, started,
	       (long long)(mono_ms() - t0));
	for (int c = 0; c < RC_N; c++)
		printf(" %s %d", rclass_name[c], atomic_load(&fl.counts[c]));
	printf("\n");
	if (fl.first_error[0])
		printf("flood first error: %s\n", fl.first_error);
	fflush(stdout);
	pthread_mutex_destroy(&fl.mu);
	return 0;
}

static int run_child(int argc, char **argv)
{
	unsigned long long n, v;
	int i = 0, rc = 0;

	if (child_open() != 0)
		return 1;
	while (i < argc && rc == 0) {
		const char *a = argv[i++];
#define NEED(k)                                                         \
	do {                                                                \
		if (argc - i < (k))                                             \
			return usage("'%s' needs more arguments", a);               \
	} while (0)
		if (!strcmp(a, "summary")) {
			rc = act_summary(now_s(), G.to, G.sk);
		} else if (!strcmp(a, "old-summary")) {
			rc = act_summary(now_s() - 3600, G.to, G.sk);
		} else if (!strcmp(a, "wrong-to")) {
			const char *to = "999999";
			if (i < argc && id_ok(argv[i]))
				to = argv[i++];
			rc = act_summary(now_s(), to, G.sk);
		} else if (!strcmp(a, "badsig")) {
			rc = act_badsig();
		} else if (!strcmp(a, "seen")) {
			NEED(2);
			if (!id_ok(argv[i]) || !id_ok(argv[i + 1]))
				return usage("seen NODE PARENT: bad node ids");
			rc = act_seen(argv[i], argv[i + 1]);
			i += 2;
		} else if (!strcmp(a, "fetch")) {
			const char *have = NULL;
			NEED(1);
			if (!id_ok(argv[i]))
				return usage("'%s' is not a node id", argv[i]);
			if (i + 1 < argc && hex40_ok(argv[i + 1]))
				have = argv[i + 1];
			rc = act_fetch(argv[i], have);
			i += have ? 2 : 1;
		} else if (!strcmp(a, "push")) {
			uint64_t height = 1;
			NEED(3);
			if (!id_ok(argv[i]))
				return usage("'%s' is not a node id", argv[i]);
			if (strcmp(argv[i + 1], "-") && !hex40_ok(argv[i + 1]))
				return usage("'%s' is not a commit id", argv[i + 1]);
			if (i + 3 < argc && parse_uint(argv[i + 3], 1ULL << 52, &v) == 0) {
				height = v;
				rc = act_push(argv[i], argv[i + 1], argv[i + 2], height);
				i += 4;
			} else {
				rc = act_push(argv[i], argv[i + 1], argv[i + 2], height);
				i += 3;
			}
		} else if (!strcmp(a, "garbage")) {
			NEED(1);
			if (parse_uint(argv[i++], 1000000, &n) != 0)
				return usage("garbage N: '%s' is not a count", argv[i - 1]);
			rc = act_garbage(n);
		} else if (!strcmp(a, "oversize")) {
			NEED(1);
			if (parse_uint(argv[i++], 1000, &n) != 0)
				return usage("oversize MB: '%s' is not a size", argv[i - 1]);
			rc = act_oversize(n);
		} else if (!strcmp(a, "flood") || !strcmp(a, "flood-badsig")) {
			unsigned long long nctx = 16;
			NEED(1);
			if (parse_uint(argv[i++], 10000000, &n) != 0)
				return usage("%s N: '%s' is not a count", a, argv[i - 1]);
			if (i < argc && parse_uint(argv[i], FLOOD_CTX_MAX, &v) == 0 &&
			    v > 0) {
				nctx = v;
				i++;
			}
			rc = act_flood(n, nctx, !strcmp(a, "flood-badsig"));
		} else {
			return usage("unknown child action '%s'", a);
		}
#undef NEED
	}
	nng_close(G.s);
	return rc == 0 ? 0 : 1;
}

/* ---- parent: announcements and answers to a child ------------------------- */

static void pub_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)arg;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_fetch_add(&subscribers, 1);
	else if (ev == NNG_PIPE_EV_REM_POST)
		atomic_fetch_sub(&subscribers, 1);
}

static int parent_open(void)
{
	char url[300];
	int rv;

	if ((rv = nng_pub0_open(&G.pub)) != 0 || (rv = nng_rep0_open(&G.s)) != 0) {
		fprintf(stderr, "govfed-peer: socket: %s\n", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_size(G.s, NNG_OPT_RECVMAXSZ, PROTO_FRAME_MAX);
	nng_pipe_notify(G.pub, NNG_PIPE_EV_ADD_POST, pub_pipe_cb, NULL);
	nng_pipe_notify(G.pub, NNG_PIPE_EV_REM_POST, pub_pipe_cb, NULL);
	snprintf(url, sizeof(url), "ws://%s/pub", G.hostport);
	if ((rv = nng_listen(G.pub, url, NULL, 0)) != 0) {
		fprintf(stderr, "govfed-peer: cannot listen on %s: %s\n", url,
		        nng_strerror(rv));
		return -1;
	}
	snprintf(url, sizeof(url), "ws://%s/sync", G.hostport);
	if ((rv = nng_listen(G.s, url, NULL, 0)) != 0) {
		fprintf(stderr, "govfed-peer: cannot listen on %s: %s\n", url,
		        nng_strerror(rv));
		return -1;
	}
	return 0;
}

static void publish(const void *buf, size_t len)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, 0) != 0)
		return;
	if (nng_msg_append(m, buf, len) != 0 ||
	    nng_sendmsg(G.pub, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
}

typedef struct answer_stats {
	unsigned requests, undecodable;
	unsigned by_type[PROTO_ERROR + 1];
} answer_stats;

/* Answers whatever waits on /sync: a signed `error busy` from `sk`, or
 * garbage. */
static void answer(const keys_secret *sk, int garbage, answer_stats *st)
{
	nng_msg *req, *rep;
	unsigned char g[GARBAGE_MAX], *buf = NULL;
	size_t len = 0;

	while (nng_recvmsg(G.s, &req, NNG_FLAG_NONBLOCK) == 0) {
		proto_msg m, e;
		char why[PROTO_REASON_MAX];
		st->requests++;
		if (proto_decode(&m, nng_msg_body(req), nng_msg_len(req), why,
		                 sizeof(why)) == 0)
			st->by_type[m.type]++;
		else
			st->undecodable++;
		nng_msg_free(req);
		if (garbage) {
			len = make_garbage(g, st->requests);
			buf = NULL;
		} else {
			memset(&e, 0, sizeof(e));
			e.type = PROTO_ERROR;
			copy_id(e.from, G.me);
			copy_id(e.to, m.from[0] ? m.from : G.me);
			e.time = now_s();
			snprintf(e.code, sizeof(e.code), "busy");
			snprintf(e.reason, sizeof(e.reason),
			         "govfed-peer answers no requests");
			if (proto_encode(&buf, &len, &e, sk, NULL, 0) != 0) {
				proto_msg_clear(&m);
				continue;
			}
		}
		proto_msg_clear(&m);
		if (nng_msg_alloc(&rep, 0) == 0) {
			if (nng_msg_append(rep, buf ? buf : g, len) != 0 ||
			    nng_sendmsg(G.s, rep, 0) != 0)
				nng_msg_free(rep);
		}
		free(buf);
		buf = NULL;
	}
}

static void wait_subscriber(void)
{
	int64_t t0 = mono_ms();

	if (atomic_load(&subscribers) > 0)
		return;
	while (atomic_load(&subscribers) == 0 && mono_ms() - t0 < G.wait_ms)
		sleep_ms(10);
	if (atomic_load(&subscribers) > 0) {
		sleep_ms(100); /* let its subscription settle */
		printf("subscriber connected after %lld ms\n",
		       (long long)(mono_ms() - t0));
	} else {
		printf("no subscriber within %d ms\n", G.wait_ms);
	}
	fflush(stdout);
}

/* Publishes for `seconds`: every 100 ms a head announcement of
 * node/commit/height signed by `sk`, or garbage (gpub), or nothing (when
 * node is NULL and !gpub), answering /sync meanwhile with a signed error
 * or garbage (gsync). */
static int announce_loop(const char *what, const char *node,
                         const char *commit, uint64_t height,
                         unsigned long long seconds, const keys_secret *sk,
                         int gpub, int gsync)
{
	unsigned char *frame = NULL, *wrapped = NULL;
	size_t flen = 0, wlen = 0;
	answer_stats st;
	unsigned published = 0;
	int64_t end, next = 0;

	memset(&st, 0, sizeof(st));
	if (node != NULL) {
		proto_msg m;
		memset(&m, 0, sizeof(m));
		m.type = PROTO_HEAD;
		copy_id(m.head.node, node);
		snprintf(m.head.commit, sizeof(m.head.commit), "%s", commit);
		m.head.height = height;
		m.head.time = now_s();
		if (encode(&frame, &flen, &m, sk, NULL, 0) != 0 ||
		    proto_pub_wrap(&wrapped, &wlen, node, frame, flen) != 0) {
			free(frame);
			return -1;
		}
	}
	wait_subscriber();
	end = mono_ms() + (int64_t)seconds * 1000;
	while (mono_ms() < end) {
		if (mono_ms() >= next && (wrapped != NULL || gpub)) {
			if (wrapped != NULL) {
				publish(wrapped, wlen);
			} else {
				unsigned char g[GARBAGE_MAX], *w;
				size_t len = make_garbage(g, published), wl;
				/* half of it behind a valid topic */
				if (published % 2 == 0 &&
				    proto_pub_wrap(&w, &wl, G.me, g, len) == 0) {
					publish(w, wl);
					free(w);
				} else {
					publish(g, len);
				}
			}
			published++;
			next = mono_ms() + 100;
		}
		answer(sk, gsync, &st);
		sleep_ms(5);
	}
	answer(sk, gsync, &st);
	if (node != NULL)
		printf("%s: published %u announcements of %s at %.12s height %" PRIu64
		       "; ",
		       what, published, node, commit, height);
	else
		printf("%s: published %u garbage messages; ", what, published);
	printf("answered %u requests (%u summary, %u fetch, %u push, %u "
	       "undecodable) with %s\n",
	       st.requests, st.by_type[PROTO_SUMMARY], st.by_type[PROTO_FETCH],
	       st.by_type[PROTO_PUSH], st.undecodable,
	       gsync ? "garbage" : "error busy");
	fflush(stdout);
	free(frame);
	free(wrapped);
	return 0;
}

static int run_parent(int argc, char **argv)
{
	unsigned long long n, secs;
	int i = 0, rc = 0;

	if (parent_open() != 0)
		return 1;
	while (i < argc && rc == 0) {
		const char *a = argv[i++];
		if (!strcmp(a, "announce") || !strcmp(a, "forge")) {
			keys_secret *rnd = NULL;
			if (argc - i < 4)
				return usage("'%s' needs NODE COMMIT HEIGHT SECONDS", a);
			if (!id_ok(argv[i]) || !hex40_ok(argv[i + 1]) ||
			    parse_uint(argv[i + 2], 1ULL << 52, &n) != 0 || n == 0 ||
			    parse_uint(argv[i + 3], 3600, &secs) != 0)
				return usage("'%s': bad NODE COMMIT HEIGHT SECONDS", a);
			if (!strcmp(a, "forge") && keys_secret_generate(&rnd) != 0)
				return 1;
			rc = announce_loop(a, argv[i], argv[i + 1], n, secs,
			                   rnd ? rnd : G.sk, 0, 0);
			keys_secret_free(rnd);
			i += 4;
		} else if (!strcmp(a, "garbage")) {
			if (argc - i < 1 || parse_uint(argv[i], 3600, &secs) != 0)
				return usage("'%s' needs SECONDS", a);
			i++;
			if (i < argc && !strcmp(argv[i], "pub")) {
				rc = announce_loop("garbage (pub)", NULL, NULL, 0, secs, G.sk,
				                   1, 0);
				i++;
			} else if (i < argc && !strcmp(argv[i], "sync")) {
				rc = announce_loop("garbage (sync)", NULL, NULL, 0, secs, G.sk,
				                   0, 1);
				i++;
			} else {
				rc = announce_loop(a, NULL, NULL, 0, secs, G.sk, 1, 1);
			}
		} else {
			return usage("unknown parent action '%s'", a);
		}
	}
	nng_close(G.s);
	nng_close(G.pub);
	return rc == 0 ? 0 : 1;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const char *mode, *keyfile = NULL, *id = NULL, *to = NULL;
	char why[256];
	unsigned long long v;
	int i, rc, child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage(NULL);
	mode = argv[1];
	if (strcmp(mode, "child") && strcmp(mode, "parent"))
		return usage("the mode is 'child' or 'parent', not '%s'", mode);
	child = !strcmp(mode, "child");
	G.timeout_ms = DEFAULT_TIMEOUT_MS;
	G.wait_ms = DEFAULT_WAIT_MS;
	for (i = 2; i < argc && !strncmp(argv[i], "--", 2); i += 2) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return usage("%s needs a value", o);
		if (child && !strcmp(o, "--parent"))
			G.hostport = val;
		else if (!child && !strcmp(o, "--listen"))
			G.hostport = val;
		else if (child && !strcmp(o, "--to"))
			to = val;
		else if (!strcmp(o, "--id"))
			id = val;
		else if (!strcmp(o, "--key"))
			keyfile = val;
		else if (child && !strcmp(o, "--timeout") &&
		         parse_uint(val, 600000, &v) == 0)
			G.timeout_ms = (int)v;
		else if (!child && !strcmp(o, "--wait") &&
		         parse_uint(val, 600000, &v) == 0)
			G.wait_ms = (int)v;
		else
			return usage("unknown option or bad value '%s'", o);
	}
	if (G.hostport == NULL || keyfile == NULL || !id_ok(id) ||
	    (child && !id_ok(to)))
		return usage("missing or bad options");
	if (i >= argc)
		return usage("no action");
	copy_id(G.me, id);
	copy_id(G.to, child ? to : id);
	if (keys_init() != 0) {
		fprintf(stderr, "govfed-peer: keys_init failed\n");
		return 1;
	}
	if (keys_secret_load(&G.sk, keyfile, why, sizeof(why)) != 0) {
		fprintf(stderr, "govfed-peer: %s: %s\n", keyfile, why);
		return 1;
	}
	G.seq = (uint64_t)now_s() * 1000;
	rc = child ? run_child(argc - i, argv + i) : run_parent(argc - i, argv + i);
	keys_secret_free(G.sk);
	nng_fini();
	return rc;
}
