/* testutil.h — fixtures for the store tests: temp dirs, small federations,
 * and forged commits written straight into a repository, past every check
 * the store's writer makes. */
#ifndef GOVFED_TESTUTIL_H
#define GOVFED_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "store_int.h"

/* A fresh directory under $TMPDIR (or /tmp); removed by tu_rmrf. */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);
/* Number of files in dir (non-recursive), -1 if it cannot be read. */
int tu_count_files(const char *dir);
/* Number of objects/incoming-* quarantine dirs left in a store. */
int tu_quarantines(const store *st);

/* A canonical catalog item. Free with free(). */
char *tu_item(const char *id, const char *area, const char *name, size_t *len);

/* A node: its store and key. */
typedef struct tu_node {
	store *st;
	keys_secret *sk;
	store_identity id;
	char *dir;
} tu_node;

/* Creates a node's store; the province gets its genesis at once. */
void tu_node_new(tu_node *n, const char *base, const char *id,
                 store_level level, const char *name, const char *parent);
void tu_node_free(tu_node *n);
/* parent certifies child (valid from an hour ago). */
void tu_enroll(tu_node *parent, tu_node *child);
/* child writes its genesis */
void tu_genesis(tu_node *n);
/* One signed catalog item commit through the real writer. */
void tu_put_item(tu_node *n, const char *id, const char *area,
                 const char *name);
/* Copies `node`'s history from src into dst through a pack and the
 * importer; returns store_import's result. */
int tu_sync(store *src, const char *node, store *dst, const keys_public *root,
            store_import_result *res);
/* The same, packing src's own history (whatever its node.json says) and
 * importing it as `node`. */
int tu_sync_as(store *src, const char *node, store *dst,
               const keys_public *root, store_import_result *res);
/* The target of a ref as hex, "" if absent. */
void tu_ref(store *st, const char *ref, char out[STORE_OID_HEX]);

#define TU_UNSIGNED 0x1    /* no gpgsig at all */
#define TU_BADSIG 0x2      /* flip one character of the signature */
#define TU_TAMPER 0x4      /* sign, then change the message after signing */
#define TU_EXEC 0x8        /* the changed file gets mode 100755 */
#define TU_SYMLINK 0x10    /* the changed file becomes a symlink */
#define TU_NOMOVE 0x20     /* do not move the ref */

typedef struct tu_forge_opts {
	const char *ref;        /* parent from here; moved unless TU_NOMOVE */
	const char *parent;     /* hex to use as parent instead; "" = root */
	const char *parent2;    /* a second parent: a merge */
	const keys_secret *sk;  /* signer */
	const char *path;       /* the change */
	const void *data;       /* NULL removes path */
	size_t len;
	int64_t time;           /* 0 = parent's time + 1 (or now) */
	unsigned flags;
	const char *message;    /* default "forged" */
} tu_forge_opts;

/* Writes the commit; returns its hex in out. Aborts the test on failure. */
void tu_forge(store *st, const tu_forge_opts *o, char out[STORE_OID_HEX]);

#endif
