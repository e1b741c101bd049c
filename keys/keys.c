/* keys.c — errors, init, base64 and time helpers. */
#define _GNU_SOURCE
#include "keys.h"
#include "keys_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *keys_strerror(int rc)
{
	switch (rc) {
	case KEYS_OK: return "success";
	case KEYS_ENOMEM: return "out of memory";
	case KEYS_EIO: return "key file i/o error";
	case KEYS_EPERM: return "key file permissions are too open";
	case KEYS_EFORMAT: return "malformed key or signature";
	case KEYS_EEXIST: return "key file exists";
	case KEYS_EBADSIG: return "signature does not verify";
	case KEYS_EINVAL: return "invalid argument";
	case KEYS_ECHAIN: return "key does not chain to the root";
	case KEYS_ENOTFOUND: return "not found";
	}
	return "unknown error";
}

int keys_init(void)
{
	return sodium_init() < 0 ? KEYS_ENOMEM : 0;
}

void keys_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

void keys_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int keys_b64_encode(char *out, size_t outcap, const unsigned char *bin,
                    size_t len)
{
	size_t need = sodium_base64_ENCODED_LEN(len,
	        sodium_base64_VARIANT_ORIGINAL);

	if (outcap < need)
		return KEYS_EINVAL;
	sodium_bin2base64(out, outcap, bin, len, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

int keys_b64_decode(unsigned char *out, size_t outcap, size_t *outlen,
                    const char *b64, size_t b64len)
{
	const char *end = NULL;

	if (sodium_base642bin(out, outcap, b64, b64len, NULL, outlen, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return KEYS_EFORMAT;
	if (end != b64 + b64len)
		return KEYS_EFORMAT;
	return 0;
}

void keys_time_format(char out[21], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "0000-00-00T00:00:00Z");
}

int keys_time_parse(int64_t *out, const char *s)
{
	struct tm tm;
	char back[21];
	int y, mo, d, h, mi, se, n = 0;
	time_t t;

	if (s == NULL || strlen(s) != 20)
		return KEYS_EINVAL;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se,
	           &n) != 6 || n != 20)
		return KEYS_EINVAL;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
		return KEYS_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return KEYS_EINVAL;
	/* round trip rejects 2026-02-30 and friends */
	keys_time_format(back, (int64_t)t);
	if (strcmp(back, s) != 0)
		return KEYS_EINVAL;
	*out = (int64_t)t;
	return 0;
}
