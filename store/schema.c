/* schema.c — see schema.h. */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXT_MAX_BYTES 16384

int sch_text_ok(const char *s, size_t len, int multiline)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f)
			return 0;
		if (c >= 0x20)
			continue;
		if (multiline && (c == '\n' || c == '\t'))
			continue;
		return 0;
	}
	return 1;
}

static int oneof_ok(const char *const *set, const char *s)
{
	for (; *set != NULL; set++)
		if (strcmp(*set, s) == 0)
			return 1;
	return 0;
}

static void oneof_list(char *out, size_t outlen, const char *const *set)
{
	size_t o = 0;

	out[0] = '\0';
	for (; *set != NULL && o < outlen; set++) {
		int n = snprintf(out + o, outlen - o, "%s%s", o ? ", " : "", *set);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int check_string(const sch_schema *s, const sch_field *f,
                        const json_t *v, char *why, size_t whylen)
{
	const char *str = json_string_value(v);
	size_t len = json_string_length(v);
	char list[512];

	if ((f->flags & SCH_NONEMPTY) && len == 0) {
		snprintf(why, whylen, "%s: field '%s' may not be empty", s->what,
		         f->name);
		return -1;
	}
	if (f->max && len > f->max) {
		snprintf(why, whylen,
		         "%s: field '%s' is too long (%zu bytes; at most %zu)",
		         s->what, f->name, len, f->max);
		return -1;
	}
	if (!sch_text_ok(str, len, (f->flags & SCH_MULTILINE) != 0)) {
		snprintf(why, whylen,
		         "%s: field '%s' holds a control character%s", s->what,
		         f->name,
		         (f->flags & SCH_MULTILINE) ? "" : " (it is one line)");
		return -1;
	}
	if (f->oneof && !oneof_ok(f->oneof, str)) {
		oneof_list(list, sizeof(list), f->oneof);
		snprintf(why, whylen, "%s: field '%s' must be one of %s (got '%.64s')",
		         s->what, f->name, list, str);
		return -1;
	}
	return 0;
}

static const char *type_name(sch_type t)
{
	switch (t) {
	case SCH_STR: return "a string";
	case SCH_INT: return "a whole number";
	case SCH_BOOL: return "true or false";
	case SCH_STRARR: return "an array of strings";
	case SCH_OBJ: return "an object";
	case SCH_OBJARR: return "an array of objects";
	case SCH_EXT: return "an object";
	}
	return "?";
}

static int check_field(const sch_schema *s, const sch_field *f,
                       const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *x;

	if (json_is_null(v)) {
		if (f->flags & SCH_NULL)
			return 0;
		snprintf(why, whylen, "%s: field '%s' may not be null", s->what,
		         f->name);
		return -1;
	}
	switch (f->type) {
	case SCH_STR:
		if (!json_is_string(v))
			goto badtype;
		if (check_string(s, f, v, why, whylen))
			return -1;
		break;
	case SCH_INT:
		if (!json_is_integer(v))
			goto badtype;
		break;
	case SCH_BOOL:
		if (!json_is_boolean(v))
			goto badtype;
		break;
	case SCH_STRARR:
		if (!json_is_array(v))
			goto badtype;
		if ((f->flags & SCH_NONEMPTY) && json_array_size(v) == 0) {
			snprintf(why, whylen, "%s: field '%s' may not be empty",
			         s->what, f->name);
			return -1;
		}
		if (f->max && json_array_size(v) > f->max) {
			snprintf(why, whylen,
			         "%s: field '%s' has too many items (at most %zu)",
			         s->what, f->name, f->max);
			return -1;
		}
		json_array_foreach(v, i, x) {
			sch_field one = *f;
			if (!json_is_string(x)) {
				snprintf(why, whylen,
				         "%s: field '%s' item %zu must be a string",
				         s->what, f->name, i + 1);
				return -1;
			}
			one.max = 512;
			one.flags = SCH_NONEMPTY;
			if (check_string(s, &one, x, why, whylen))
				return -1;
			for (size_t j = 0; j < i; j++)
				if (json_equal(json_array_get(v, j), x)) {
					snprintf(why, whylen,
					         "%s: field '%s' lists '%.64s' twice",
					         s->what, f->name, json_string_value(x));
					return -1;
				}
		}
		break;
	case SCH_OBJ:
		if (!json_is_object(v))
			goto badtype;
		if (f->sub && sch_validate(f->sub, v, why, whylen))
			return -1;
		break;
	case SCH_OBJARR:
		if (!json_is_array(v))
			goto badtype;
		if (f->max && json_array_size(v) > f->max) {
			snprintf(why, whylen,
			         "%s: field '%s' has too many items (at most %zu)",
			         s->what, f->name, f->max);
			return -1;
		}
		json_array_foreach(v, i, x) {
			if (!json_is_object(x)) {
				snprintf(why, whylen,
				         "%s: field '%s' item %zu must be an object",
				         s->what, f->name, i + 1);
				return -1;
			}
			if (f->sub && sch_validate(f->sub, x, why, whylen))
				return -1;
		}
		break;
	case SCH_EXT: {
		char *dump;
		size_t n;
		if (!json_is_object(v))
			goto badtype;
		dump = json_dumps(v, JSON_COMPACT);
		n = dump ? strlen(dump) : 0;
		free(dump);
		if (n > EXT_MAX_BYTES) {
			snprintf(why, whylen, "%s: field '%s' is too large", s->what,
			         f->name);
			return -1;
		}
		break;
	}
	}
	if (f->check && f->check(v, why, whylen)) {
		/* prefix the field name to the check's sentence */
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", why);
		snprintf(why, whylen, "%s: field '%s' %s", s->what, f->name, tmp);
		return -1;
	}
	return 0;
badtype:
	snprintf(why, whylen, "%s: field '%s' must be %s", s->what, f->name,
	         type_name(f->type));
	return -1;
}

int sch_validate(const sch_schema *s, const json_t *obj, char *why,
                 size_t whylen)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(why, whylen, "%s must be a JSON object", s->what);
		return -1;
	}
	json_object_foreach((json_t *)obj, k, v) {
		const sch_field *f;
		for (f = s->fields; f->name != NULL; f++)
			if (strcmp(f->name, k) == 0)
				break;
		if (f->name == NULL) {
			snprintf(why, whylen,
			         "%s: unknown field '%.64s' (local additions go under "
			         "'ext')", s->what, k);
			return -1;
		}
	}
	for (const sch_field *f = s->fields; f->name != NULL; f++) {
		json_t *x = json_object_get(obj, f->name);
		if (x == NULL) {
			if (f->flags & SCH_REQ) {
				snprintf(why, whylen, "%s: field '%s' is required",
				         s->what, f->name);
				return -1;
			}
			continue;
		}
		if (check_field(s, f, x, why, whylen))
			return -1;
	}
	return 0;
}
