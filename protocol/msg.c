/* msg.c — frames: encoding, strict decoding, signatures. */
#include "proto.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_TIME 946684800LL  /* 2000-01-01 */
#define MAX_TIME 7258118400LL /* 2200-01-01 */
#define MAX_UINT53 ((uint64_t)1 << 53)

const char *proto_strerror(int rc)
{
	switch (rc) {
	case PROTO_OK: return "success";
	case PROTO_ENOMEM: return "out of memory";
	case PROTO_EFORMAT: return "malformed frame";
	case PROTO_EBADSIG: return "bad signature";
	case PROTO_EINVAL: return "invalid argument";
	}
	return "unknown error";
}

static const char *const type_names[] = { NULL,   "head", "summary", "fetch",
	                                  "pack", "push", "ok",      "error" };

const char *proto_type_name(proto_type t)
{
	if (t < PROTO_HEAD || t > PROTO_ERROR)
		return "?";
	return type_names[t];
}

void proto_msg_clear(proto_msg *m)
{
	free(m->heads);
	free(m->seen);
	free(m->announce);
	memset(m, 0, sizeof(*m));
}

static const char *ns_of(proto_type t)
{
	return t == PROTO_HEAD ? PROTO_NS_HEAD : PROTO_NS_SYNC;
}

/* ---- small validators ------------------------------------------------- */

static int id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return (n == 6 || n == 9 || n == 12) && strspn(s, "0123456789") == n;
}

static int hex40_ok(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/* ---- encoding ------------------------------------------------------------ */

static int set_common(json_t *o, const proto_msg *m)
{
	if (!id_ok(m->from) || !id_ok(m->to))
		return PROTO_EINVAL;
	json_object_set_new(o, "from", json_string(m->from));
	json_object_set_new(o, "to", json_string(m->to));
	json_object_set_new(o, "time", json_integer(m->time));
	return 0;
}

static int set_head_fields(json_t *o, const proto_head *h, const char *field)
{
	if (!id_ok(h->node) || !hex40_ok(h->commit) || h->height >= MAX_UINT53)
		return PROTO_EINVAL;
	json_object_set_new(o, "node", json_string(h->node));
	json_object_set_new(o, field, json_string(h->commit));
	json_object_set_new(o, "height", json_integer((json_int_t)h->height));
	return 0;
}

static json_t *build_header(const proto_msg *m, const void *payload,
                            size_t payload_len, int *rc)
{
	json_t *o = json_object();
	char hex[65];

	*rc = PROTO_EINVAL;
	if (o == NULL) {
		*rc = PROTO_ENOMEM;
		return NULL;
	}
	json_object_set_new(o, "v", json_integer(PROTO_VERSION));
	json_object_set_new(o, "type", json_string(proto_type_name(m->type)));
	switch (m->type) {
	case PROTO_HEAD:
		if (set_head_fields(o, &m->head, "commit"))
			goto bad;
		json_object_set_new(o, "time", json_integer(m->head.time));
		break;
	case PROTO_SUMMARY: {
		json_t *hs = json_array(), *ss = json_array();
		json_object_set_new(o, "heads", hs);
		json_object_set_new(o, "seen", ss);
		if (set_common(o, m))
			goto bad;
		json_object_set_new(o, "seq", json_integer((json_int_t)m->seq));
		for (size_t i = 0; i < m->nheads; i++) {
			json_t *h = json_object();
			json_array_append_new(hs, h);
			if (set_head_fields(h, &m->heads[i], "commit"))
				goto bad;
			json_object_set_new(h, "time", json_integer(m->heads[i].time));
		}
		for (size_t i = 0; i < m->nseen; i++) {
			if (!id_ok(m->seen[i].node) || !id_ok(m->seen[i].parent))
				goto bad;
			json_array_append_new(ss, json_pack("{s:s,s:s,s:I}", "node",
			                                    m->seen[i].node, "parent",
			                                    m->seen[i].parent, "time",
			                                    (json_int_t)m->seen[i].time));
		}
		break;
	}
	case PROTO_FETCH:
		if (set_common(o, m) || !id_ok(m->head.node) ||
		    (m->base[0] && !hex40_ok(m->base)))
			goto bad;
		json_object_set_new(o, "node", json_string(m->head.node));
		json_object_set_new(o, "have", json_string(m->base));
		json_object_set_new(o, "limit", json_integer(m->limit));
		break;
	case PROTO_PACK:
	case PROTO_PUSH:
		if (set_common(o, m) || set_head_fields(o, &m->head, "head") ||
		    (m->base[0] && !hex40_ok(m->base)))
			goto bad;
		json_object_set_new(o, "base", json_string(m->base));
		if (m->type == PROTO_PACK)
			json_object_set_new(o, "commits", json_integer(m->commits));
		if (payload_len > 0) {
			sha256_hex(hex, payload, payload_len);
			json_object_set_new(o, "payload", json_string(hex));
		}
		if (m->announce_len > 0) {
			size_t n = sodium_base64_ENCODED_LEN(
			        m->announce_len, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(n);
			if (b64 == NULL) {
				*rc = PROTO_ENOMEM;
				goto bad;
			}
			sodium_bin2base64(b64, n, m->announce, m->announce_len,
			                  sodium_base64_VARIANT_ORIGINAL);
			json_object_set_new(o, "announce", json_string(b64));
			free(b64);
		}
		break;
	case PROTO_OKAY:
		if (set_common(o, m) || !id_ok(m->head.node) ||
		    !hex40_ok(m->head.commit))
			goto bad;
		json_object_set_new(o, "node", json_string(m->head.node));
		json_object_set_new(o, "head", json_string(m->head.commit));
		json_object_set_new(o, "commits", json_integer(m->commits));
		break;
	case PROTO_ERROR:
		if (set_common(o, m) || m->code[0] == '\0')
			goto bad;
		json_object_set_new(o, "code", json_string(m->code));
		json_object_set_new(o, "reason", json_string(m->reason));
		break;
	default:
		goto bad;
	}
	*rc = 0;
	return o;
bad:
	json_decref(o);
	return NULL;
}

int proto_encode(unsigned char **out, size_t *outlen, const proto_msg *m,
                 const keys_secret *sk, const void *payload,
                 size_t payload_len)
{
	unsigned char sig[KEYS_SSHSIG_MAX], *buf;
	size_t siglen, hlen, total;
	char *hdr;
	json_t *o;
	int rc;

	if ((payload_len > 0 && m->type != PROTO_PACK && m->type != PROTO_PUSH) ||
	    payload_len > PROTO_PAYLOAD_MAX || sk == NULL)
		return PROTO_EINVAL;
	o = build_header(m, payload, payload_len, &rc);
	if (o == NULL)
		return rc;
	hdr = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (hdr == NULL)
		return PROTO_ENOMEM;
	hlen = strlen(hdr);
	if (hlen > PROTO_HEADER_MAX ||
	    keys_sshsig_sign(sig, sizeof(sig), &siglen, sk, ns_of(m->type), hdr,
	                     hlen) != 0) {
		free(hdr);
		return PROTO_EINVAL;
	}
	total = 4 + 4 + hlen + 4 + siglen + payload_len;
	buf = malloc(total);
	if (buf == NULL) {
		free(hdr);
		return PROTO_ENOMEM;
	}
	memcpy(buf, PROTO_MAGIC, 4);
	put_be32(buf + 4, (uint32_t)hlen);
	memcpy(buf + 8, hdr, hlen);
	put_be32(buf + 8 + hlen, (uint32_t)siglen);
	memcpy(buf + 12 + hlen, sig, siglen);
	if (payload_len)
		memcpy(buf + 12 + hlen + siglen, payload, payload_len);
	free(hdr);
	*out = buf;
	*outlen = total;
	return 0;
}

/* ---- decoding ------------------------------------------------------------- */

typedef struct dctx {
	json_t *o;
	char *why;
	size_t whylen;
	int bad;
} dctx;

static void badf(dctx *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void badf(dctx *d, const char *fmt, ...)
{
	va_list ap;

	if (d->bad)
		return;
	d->bad = 1;
	va_start(ap, fmt);
	vsnprintf(d->why, d->whylen, fmt, ap);
	va_end(ap);
}

static const char *get_str(dctx *d, json_t *o, const char *k, size_t max)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v)) {
		badf(d, "field '%s' is missing or not a string", k);
		return NULL;
	}
	if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		badf(d, "field '%s' is too long or holds a NUL", k);
		return NULL;
	}
	return json_string_value(v);
}

static int get_uint(dctx *d, json_t *o, const char *k, uint64_t max,
                    uint64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		badf(d, "field '%s' is missing or out of range", k);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_time(dctx *d, json_t *o, const char *k, int64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < MIN_TIME ||
	    json_integer_value(v) > MAX_TIME) {
		badf(d, "field '%s' is missing or not a time in seconds", k);
		return -1;
	}
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static void get_id(dctx *d, json_t *o, const char *k, char out[KEYS_ID_MAX + 1])
{
	const char *s = get_str(d, o, k, KEYS_ID_MAX);

	if (s == NULL)
		return;
	if (!id_ok(s)) {
		badf(d, "field '%s' is not a node id", k);
		return;
	}
	memcpy(out, s, strlen(s) + 1);
}

static void get_oid(dctx *d, json_t *o, const char *k, char out[PROTO_OID_HEX],
                    int may_be_empty)
{
	const char *s = get_str(d, o, k, 40);

	if (s == NULL)
		return;
	if (!(may_be_empty && s[0] == '\0') && !hex40_ok(s)) {
		badf(d, "field '%s' is not a commit id", k);
		return;
	}
	memcpy(out, s, strlen(s) + 1);
}

/* Only the listed fields (plus v and type) may appear. */
static void only(dctx *d, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(d->o, k, v) {
		const char *const *a;
		if (!strcmp(k, "v") || !strcmp(k, "type"))
			continue;
		for (a = allowed; *a; a++)
			if (!strcmp(*a, k))
				break;
		if (*a == NULL) {
			badf(d, "unknown field '%.40s'", k);
			return;
		}
	}
}

static void get_common(dctx *d, proto_msg *m)
{
	get_id(d, d->o, "from", m->from);
	get_id(d, d->o, "to", m->to);
	get_time(d, d->o, "time", &m->time);
}

static int decode_announce(dctx *d, proto_msg *m)
{
	json_t *v = json_object_get(d->o, "announce");
	size_t cap, len;
	unsigned char *buf;
	proto_msg inner;
	char iwhy[256];
	const char *b64;

	if (v == NULL)
		return 0;
	b64 = get_str(d, d->o, "announce", 8192);
	if (b64 == NULL)
		return -1;
	cap = strlen(b64);
	buf = malloc(cap ? cap : 1);
	if (buf == NULL) {
		badf(d, "out of memory");
		return -1;
	}
	if (sodium_base642bin(buf, cap, b64, strlen(b64), NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(buf);
		badf(d, "field 'announce' is not base64");
		return -1;
	}
	memset(&inner, 0, sizeof(inner));
	if (proto_decode(&inner, buf, len, iwhy, sizeof(iwhy)) != 0 ||
	    inner.type != PROTO_HEAD || strcmp(inner.head.node, m->head.node) != 0) {
		proto_msg_clear(&inner);
		free(buf);
		badf(d, "field 'announce' is not a head announcement for %s",
		     m->head.node);
		return -1;
	}
	proto_msg_clear(&inner);
	m->announce = buf;
	m->announce_len = len;
	return 0;
}

int proto_decode(proto_msg *m, const void *data, size_t len, char *why,
                 size_t whylen)
{
	const unsigned char *p = data;
	json_error_t err;
	dctx d = { NULL, why, whylen, 0 };
	uint32_t hlen, slen;
	const char *type;
	json_t *vv;
	uint64_t u;

	memset(m, 0, sizeof(*m));
	if (why && whylen)
		why[0] = '\0';
	if (len < 12 || memcmp(p, PROTO_MAGIC, 4) != 0) {
		badf(&d, "not a govfed frame (bad magic or too short)");
		return PROTO_EFORMAT;
	}
	hlen = get_be32(p + 4);
	if (hlen == 0 || hlen > PROTO_HEADER_MAX || hlen > len - 12) {
		badf(&d, "header length %u is out of range", hlen);
		return PROTO_EFORMAT;
	}
	slen = get_be32(p + 8 + hlen);
	if (slen == 0 || slen > PROTO_SIG_MAX || slen > len - 12 - hlen) {
		badf(&d, "signature length %u is out of range", slen);
		return PROTO_EFORMAT;
	}
	m->header = p + 8;
	m->header_len = hlen;
	m->sig = p + 12 + hlen;
	m->sig_len = slen;
	m->payload = p + 12 + hlen + slen;
	m->payload_len = len - 12 - hlen - slen;
	if (m->payload_len > PROTO_PAYLOAD_MAX) {
		badf(&d, "payload is too large");
		return PROTO_EFORMAT;
	}
	d.o = json_loadb((const char *)m->header, hlen, JSON_REJECT_DUPLICATES,
	                 &err);
	if (d.o == NULL || !json_is_object(d.o)) {
		badf(&d, "header is not a JSON object%s%s", d.o ? "" : ": ",
		     d.o ? "" : err.text);
		json_decref(d.o);
		return PROTO_EFORMAT;
	}
	vv = json_object_get(d.o, "v");
	if (!json_is_integer(vv) || json_integer_value(vv) != PROTO_VERSION) {
		badf(&d, "unsupported protocol version (this node speaks 1)");
		goto fail;
	}
	type = get_str(&d, d.o, "type", 16);
	for (int t = PROTO_HEAD; type && t <= PROTO_ERROR; t++)
		if (!strcmp(type, type_names[t]))
			m->type = (proto_type)t;
	if (m->type == 0) {
		badf(&d, "unknown message type '%.16s'", type ? type : "");
		goto fail;
	}
	switch (m->type) {
	case PROTO_HEAD: {
		static const char *const f[] = { "node", "commit", "height", "time",
			                         NULL };
		only(&d, f);
		get_id(&d, d.o, "node", m->head.node);
		get_oid(&d, d.o, "commit", m->head.commit, 0);
		if (get_uint(&d, d.o, "height", MAX_UINT53, &m->head.height) == 0 &&
		    m->head.height == 0)
			badf(&d, "field 'height' must be at least 1");
		get_time(&d, d.o, "time", &m->head.time);
		m->time = m->head.time;
		break;
	}
	case PROTO_SUMMARY: {
		static const char *const f[] = { "from", "to", "time", "seq",
			                         "heads", "seen", NULL };
		json_t *hs = json_object_get(d.o, "heads"),
		       *ss = json_object_get(d.o, "seen"), *x;
		size_t i;
		only(&d, f);
		get_common(&d, m);
		get_uint(&d, d.o, "seq", MAX_UINT53, &m->seq);
		if (!json_is_array(hs) || !json_is_array(ss) ||
		    json_array_size(hs) > PROTO_HEADS_MAX ||
		    json_array_size(ss) > PROTO_HEADS_MAX) {
			badf(&d, "fields 'heads' and 'seen' must be arrays of at most "
			         "%u", PROTO_HEADS_MAX);
			break;
		}
		m->heads = calloc(json_array_size(hs) + 1, sizeof(*m->heads));
		m->seen = calloc(json_array_size(ss) + 1, sizeof(*m->seen));
		if (m->heads == NULL || m->seen == NULL) {
			badf(&d, "out of memory");
			break;
		}
		json_array_foreach(hs, i, x) {
			static const char *const hf[] = { "node", "commit", "height",
				                          "time", NULL };
			dctx e = { x, why, whylen, 0 };
			proto_head *h = &m->heads[i];
			if (!json_is_object(x)) {
				badf(&d, "heads item %zu is not an object", i + 1);
				break;
			}
			only(&e, hf);
			get_id(&e, x, "node", h->node);
			get_oid(&e, x, "commit", h->commit, 0);
			get_uint(&e, x, "height", MAX_UINT53, &h->height);
			get_time(&e, x, "time", &h->time);
			if (e.bad) {
				d.bad = 1;
				break;
			}
			for (size_t j = 0; j < i; j++)
				if (!strcmp(m->heads[j].node, h->node)) {
					badf(&d, "heads names node %s twice", h->node);
					break;
				}
			m->nheads = i + 1;
		}
		json_array_foreach(ss, i, x) {
			static const char *const sf[] = { "node", "parent", "time",
				                          NULL };
			dctx e = { x, why, whylen, 0 };
			if (d.bad)
				break;
			if (!json_is_object(x)) {
				badf(&d, "seen item %zu is not an object", i + 1);
				break;
			}
			only(&e, sf);
			get_id(&e, x, "node", m->seen[i].node);
			get_id(&e, x, "parent", m->seen[i].parent);
			get_time(&e, x, "time", &m->seen[i].time);
			if (e.bad) {
				d.bad = 1;
				break;
			}
			m->nseen = i + 1;
		}
		break;
	}
	case PROTO_FETCH: {
		static const char *const f[] = { "from", "to", "time", "node",
			                         "have", "limit", NULL };
		only(&d, f);
		get_common(&d, m);
		get_id(&d, d.o, "node", m->head.node);
		get_oid(&d, d.o, "have", m->base, 1);
		if (get_uint(&d, d.o, "limit", PROTO_FETCH_LIMIT, &u) == 0)
			m->limit = (uint32_t)u;
		break;
	}
	case PROTO_PACK:
	case PROTO_PUSH: {
		static const char *const fpack[] = { "from", "to", "time", "node",
			                             "head", "height", "base",
			                             "commits", "payload",
			                             "announce", NULL };
		static const char *const fpush[] = { "from", "to", "time", "node",
			                             "head", "height", "base",
			                             "payload", "announce", NULL };
		json_t *ph = json_object_get(d.o, "payload");
		only(&d, m->type == PROTO_PACK ? fpack : fpush);
		get_common(&d, m);
		get_id(&d, d.o, "node", m->head.node);
		get_oid(&d, d.o, "head", m->head.commit, 0);
		get_uint(&d, d.o, "height", MAX_UINT53, &m->head.height);
		get_oid(&d, d.o, "base", m->base, 1);
		if (m->type == PROTO_PACK &&
		    get_uint(&d, d.o, "commits", UINT32_MAX, &u) == 0)
			m->commits = (uint32_t)u;
		if (d.bad)
			break;
		if (ph == NULL) {
			if (m->payload_len != 0)
				badf(&d, "a payload without its 'payload' hash");
		} else {
			char want[65];
			const char *got = get_str(&d, d.o, "payload", 64);
			sha256_hex(want, m->payload, m->payload_len);
			if (got && strcmp(got, want) != 0)
				badf(&d, "the payload does not match its hash");
		}
		if (!d.bad)
			decode_announce(&d, m);
		if (!d.bad && m->announce) {
			proto_msg inner;
			char iwhy[64];
			proto_decode(&inner, m->announce, m->announce_len, iwhy,
			             sizeof(iwhy));
			if (strcmp(inner.head.commit, m->head.commit) != 0 &&
			    m->type == PROTO_PUSH)
				badf(&d, "the announcement is for another commit");
			proto_msg_clear(&inner);
		}
		break;
	}
	case PROTO_OKAY: {
		static const char *const f[] = { "from", "to", "time", "node",
			                         "head", "commits", NULL };
		only(&d, f);
		get_common(&d, m);
		get_id(&d, d.o, "node", m->head.node);
		get_oid(&d, d.o, "head", m->head.commit, 0);
		if (get_uint(&d, d.o, "commits", UINT32_MAX, &u) == 0)
			m->commits = (uint32_t)u;
		break;
	}
	case PROTO_ERROR: {
		static const char *const f[] = { "from", "to", "time", "code",
			                         "reason", NULL };
		const char *code, *reason;
		only(&d, f);
		get_common(&d, m);
		code = get_str(&d, d.o, "code", sizeof(m->code) - 1);
		reason = get_str(&d, d.o, "reason", sizeof(m->reason) - 1);
		if (code)
			memcpy(m->code, code, strlen(code) + 1);
		if (reason)
			memcpy(m->reason, reason, strlen(reason) + 1);
		break;
	}
	}
	if (!d.bad && m->type != PROTO_PACK && m->type != PROTO_PUSH &&
	    m->payload_len != 0)
		badf(&d, "a %s message carries no payload", proto_type_name(m->type));
	if (d.bad)
		goto fail;
	json_decref(d.o);
	return 0;
fail:
	json_decref(d.o);
	{
		/* keep the reason; free what was allocated */
		char keep[PROTO_REASON_MAX];
		snprintf(keep, sizeof(keep), "%s", why ? why : "");
		proto_msg_clear(m);
		if (why && whylen)
			snprintf(why, whylen, "%s", keep);
	}
	return PROTO_EFORMAT;
}

int proto_verify(const proto_msg *m, const keys_public *key,
                 keys_public *signer)
{
	keys_public who;

	if (m->sig == NULL || m->header == NULL)
		return PROTO_EBADSIG;
	if (keys_sshsig_verify(&who, m->sig, m->sig_len, ns_of(m->type),
	                       m->header, m->header_len) != 0)
		return PROTO_EBADSIG;
	if (key != NULL && !keys_public_equal(key, &who))
		return PROTO_EBADSIG;
	if (signer)
		*signer = who;
	return 0;
}

int proto_check_addressing(const proto_msg *m, const char *me, int64_t now,
                           char *why, size_t whylen)
{
	if (m->type == PROTO_HEAD)
		return 0;
	if (strcmp(m->to, me) != 0) {
		snprintf(why, whylen, "the message is addressed to %s, not %s",
		         m->to, me);
		return PROTO_EFORMAT;
	}
	if (m->time < now - PROTO_CLOCK_SKEW || m->time > now + PROTO_CLOCK_SKEW) {
		snprintf(why, whylen,
		         "the message is dated %lld s from this node's clock (more "
		         "than %d s: replayed, or a clock is wrong)",
		         (long long)(m->time - now), PROTO_CLOCK_SKEW);
		return PROTO_EFORMAT;
	}
	return 0;
}

int proto_pub_wrap(unsigned char **out, size_t *outlen, const char *node,
                   const unsigned char *frame, size_t len)
{
	size_t n = strlen(node);
	unsigned char *b;

	if (!id_ok(node))
		return PROTO_EINVAL;
	b = malloc(n + 1 + len);
	if (b == NULL)
		return PROTO_ENOMEM;
	memcpy(b, node, n);
	b[n] = ' ';
	memcpy(b + n + 1, frame, len);
	*out = b;
	*outlen = n + 1 + len;
	return 0;
}

int proto_pub_unwrap(const unsigned char **frame, size_t *len,
                     char topic[KEYS_ID_MAX + 1], const void *msg,
                     size_t msglen)
{
	const unsigned char *p = msg;
	size_t i;

	for (i = 0; i < msglen && i <= KEYS_ID_MAX && p[i] != ' '; i++)
		;
	if (i >= msglen || p[i] != ' ' || i > KEYS_ID_MAX)
		return PROTO_EFORMAT;
	memcpy(topic, p, i);
	topic[i] = '\0';
	if (!id_ok(topic))
		return PROTO_EFORMAT;
	*frame = p + i + 1;
	*len = msglen - i - 1;
	return 0;
}
