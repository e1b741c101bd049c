/*
 * json.c — strict parsing and the canonical form of records.
 *
 * A record's bytes are part of what its author signs (through the commit),
 * and other records pin them by blob id, so the serialization must never
 * change. It is therefore written here rather than taken from a library:
 *
 *   - values: objects, arrays, strings, integers, true, false, null
 *     (no floating point);
 *   - object keys sorted by their UTF-8 bytes; no duplicates;
 *   - strings: UTF-8 as is; escaped are only '"', '\\' and the C0 controls
 *     (\b \f \n \r \t, others \u00XX, lower-case hex);
 *   - compact form: no whitespace at all (what record signatures cover);
 *   - file form: two-space indentation, "key": value, one item per line,
 *     empty containers as {} and [], and a final newline.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ------------------------------------------------------------- */

size_t store_utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return (size_t)-1;
}

/* ---- parsing ----------------------------------------------------------- */

static int has_real(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_REAL:
		return 1;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, x)
			if (has_real(x))
				return 1;
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
			if (has_real(x))
				return 1;
		return 0;
	default:
		return 0;
	}
}

int store_json_parse(json_t **out, const void *data, size_t len, size_t max,
                     const char *what)
{
	json_error_t err;
	size_t bad;
	json_t *v;

	if (len > max) {
		store_seterr("%s is too large (%zu bytes; the limit is %zu)", what,
		             len, max);
		return STORE_ETOOBIG;
	}
	bad = store_utf8_invalid_at(data, len);
	if (bad != (size_t)-1) {
		store_seterr("%s is not valid UTF-8 (bad byte 0x%02x at offset "
		             "%zu); save it as UTF-8", what,
		             ((const unsigned char *)data)[bad], bad);
		return STORE_EJSON;
	}
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL) {
		store_seterr("%s is not valid JSON: %s (line %d, column %d)", what,
		             err.text, err.line, err.column);
		return STORE_EJSON;
	}
	if (has_real(v)) {
		json_decref(v);
		store_seterr("%s holds a fractional number; records use whole "
		             "numbers and strings only", what);
		return STORE_EJSON;
	}
	*out = v;
	return 0;
}

/* ---- canonical output -------------------------------------------------- */

typedef struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *np;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_cs(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void put_string(sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	sb_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\b')
			esc = "\\b";
		else if (c == '\f')
			esc = "\\f";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20) {
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		if (esc != NULL) {
			sb_put(b, s + i - run, run);
			run = 0;
			sb_cs(b, esc);
		} else {
			run++;
		}
	}
	sb_put(b, s + n - run, run);
	sb_put(b, "\"", 1);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void indent(sbuf *b, int pretty, int depth)
{
	if (!pretty)
		return;
	sb_put(b, "\n", 1);
	for (int i = 0; i < depth; i++)
		sb_put(b, "  ", 2);
}

static int put_value(sbuf *b, const json_t *v, int pretty, int depth)
{
	char num[32];

	if (depth > STORE_JSON_DEPTH_MAX)
		return STORE_EJSON;
	switch (json_typeof(v)) {
	case JSON_NULL:
		sb_cs(b, "null");
		return 0;
	case JSON_TRUE:
		sb_cs(b, "true");
		return 0;
	case JSON_FALSE:
		sb_cs(b, "false");
		return 0;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld",
		         (long long)json_integer_value(v));
		sb_cs(b, num);
		return 0;
	case JSON_REAL:
		return STORE_EJSON;
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (n == 0) {
			sb_cs(b, "[]");
			return 0;
		}
		sb_put(b, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				sb_put(b, ",", 1);
			indent(b, pretty, depth + 1);
			if (put_value(b, json_array_get(v, i), pretty, depth + 1))
				return STORE_EJSON;
		}
		indent(b, pretty, depth);
		sb_put(b, "]", 1);
		return 0;
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys, *k;
		json_t *x;
		int rc = 0;

		if (n == 0) {
			sb_cs(b, "{}");
			return 0;
		}
		keys = malloc(n * sizeof(*keys));
		if (keys == NULL) {
			b->oom = 1;
			return STORE_ENOMEM;
		}
		json_object_foreach((json_t *)v, k, x)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), key_cmp);
		sb_put(b, "{", 1);
		for (i = 0; i < n && rc == 0; i++) {
			if (i > 0)
				sb_put(b, ",", 1);
			indent(b, pretty, depth + 1);
			put_string(b, keys[i], strlen(keys[i]));
			sb_cs(b, pretty ? ": " : ":");
			rc = put_value(b, json_object_get(v, keys[i]), pretty,
			               depth + 1);
		}
		free(keys);
		if (rc)
			return rc;
		indent(b, pretty, depth);
		sb_put(b, "}", 1);
		return 0;
	}
	}
	return STORE_EJSON;
}

int store_json_canon(char **out, size_t *outlen, const json_t *v, int pretty)
{
	sbuf b = { 0 };
	int rc = put_value(&b, v, pretty, 0);

	if (rc == 0 && pretty)
		sb_put(&b, "\n", 1);
	if (rc == 0 && b.oom)
		rc = STORE_ENOMEM;
	if (rc != 0) {
		free(b.p);
		if (rc == STORE_EJSON)
			store_seterr("value cannot be written canonically "
			             "(fractional number or nesting too deep)");
		return rc;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}
