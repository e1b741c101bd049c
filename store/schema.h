/* schema.h — a small table-driven validator for record objects. */
#ifndef GOVFED_SCHEMA_H
#define GOVFED_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

typedef enum sch_type {
	SCH_STR = 1,   /* string */
	SCH_INT,       /* integer */
	SCH_BOOL,
	SCH_STRARR,    /* array of strings */
	SCH_OBJ,       /* object with a sub-schema */
	SCH_OBJARR,    /* array of objects with a sub-schema */
	SCH_EXT        /* any object: local extensions, bounded in size */
} sch_type;

#define SCH_REQ 0x1       /* must be present */
#define SCH_NULL 0x2      /* may be null */
#define SCH_MULTILINE 0x4 /* a string may hold \n and \t */
#define SCH_NONEMPTY 0x8  /* a string or array may not be empty */

typedef int (*sch_check_fn)(const json_t *v, char *why, size_t whylen);

typedef struct sch_field {
	const char *name;
	sch_type type;
	unsigned flags;
	size_t max;               /* bytes of a string, items of an array */
	const char *const *oneof; /* NULL-terminated allowed strings */
	sch_check_fn check;       /* further check of a (non-null) value */
	const struct sch_schema *sub;
} sch_field;

typedef struct sch_schema {
	const char *what; /* "catalog item", for messages */
	const sch_field *fields; /* terminated by a field with name NULL */
} sch_schema;

/* 0, or -1 with one sentence in `why` naming the field. Unknown fields
 * are refused. */
int sch_validate(const sch_schema *s, const json_t *obj, char *why,
                 size_t whylen);

/* A single-line string of printable characters (no C0 controls). */
int sch_text_ok(const char *s, size_t len, int multiline);

#endif
