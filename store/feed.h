/*
 * feed.h — the province's consolidated feed: the record changes between
 * two checkpoints of a store (protocol/README.md, "Checkpoints and the
 * HTTP feed"; that section is the contract for the format).
 *
 * The changes from checkpoint N (0: from nothing) to a later checkpoint T:
 * for every node of T, its records (every JSON record: catalog items,
 * documents' meta, tasks, reports, people, certificates, node.json ...;
 * never a document's body files) that differ between its head in N (none
 * if it was not in N) and its head in T, ordered by node id, then by path
 * (both in byte order). Each change is one JSON object:
 *
 *   { "kind": "added" | "changed" | "withdrawn" | "validity",
 *     "node": "350104004", "level": "township",
 *     "path": "catalog/义务教育/YWJY.02.03.json",
 *     "record": { the record at T },
 *     "commit": "<the commit at or before T's head that last changed it>",
 *     "signer": "SHA256:… (the fingerprint of that commit's key)" }
 *
 * kind: `withdrawn` when the record at T has `withdrawn` and the one at N
 * had not (also when it was not there at N: a tombstone is always sent as
 * a tombstone); else `added` when it was not there at N; else `validity`
 * for a document's meta.json whose `validity` is all that changed; else
 * `changed`. Records are never deleted, so there is no delete.
 *
 * The list for (N, T) depends on nothing but the two checkpoints and the
 * objects they name, which never change: the same (N, T) always gives the
 * same list, so a position in it (the cursor N.T.K) never expires.
 *
 * Functions return 0 or a negative STORE_E* code with store_errmsg() set.
 * None of them is thread-safe on a shared store or list: a caller serving
 * several threads holds one lock around the store, the cache and the
 * lists it uses.
 */
#ifndef GOVFED_FEED_H
#define GOVFED_FEED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* `limit` of a page: 1 to this many changes, 1,000 when not given. */
#define STORE_FEED_LIMIT_MAX 10000
#define STORE_FEED_LIMIT_DEFAULT 1000
/* A page stops after the record that takes its records past this. */
#define STORE_FEED_PAGE_BYTES ((size_t)32 << 20)
/* The longest cursor: three numbers of at most 20 digits, two dots. */
#define STORE_FEED_CURSOR_MAX 64

typedef enum store_feed_kind {
	STORE_FEED_ADDED = 1,
	STORE_FEED_CHANGED = 2,
	STORE_FEED_WITHDRAWN = 3,
	STORE_FEED_VALIDITY = 4
} store_feed_kind;

/* "added", "changed", "withdrawn", "validity" ("?" otherwise). */
const char *store_feed_kind_name(store_feed_kind k);

/* ---- one list of changes ------------------------------------------------- */

typedef struct store_feed_list store_feed_list;

/*
 * Computes the changes from checkpoint `from` (0: nothing) to checkpoint
 * `to` of this store (refs/checkpoints/<seq>). from == to gives an empty
 * list. STORE_EINVAL when from > to or to is 0; STORE_ENOTFOUND when
 * either checkpoint is not in the store; STORE_ECORRUPT when a checkpoint
 * or an object it names cannot be read as it should (a head commit
 * missing, a record that is not JSON). Free with store_feed_list_free.
 *
 * The records themselves are not kept: a page reads them again from the
 * store. The list holds, per change, its path, node, kind, blob and
 * commit ids and the signer (about 100 bytes and the path).
 */
int store_feed_compute(store *st, uint64_t from, uint64_t to,
                       store_feed_list **out);
void store_feed_list_free(store_feed_list *l);

uint64_t store_feed_list_from(const store_feed_list *l);
uint64_t store_feed_list_to(const store_feed_list *l);
/* The number of changes in the list. */
size_t store_feed_list_total(const store_feed_list *l);
/* About how many bytes of memory the list holds. */
size_t store_feed_list_bytes(const store_feed_list *l);

/* What one change says, without its record (for tests and tools). The
 * pointers are borrowed from the list. STORE_EINVAL when i >= total. */
typedef struct store_feed_entry {
	store_feed_kind kind;
	const char *node;
	const char *level;
	const char *path;
	char blob[STORE_OID_HEX];   /* the record at T */
	char commit[STORE_OID_HEX];
	const char *signer;
} store_feed_entry;
int store_feed_list_entry(const store_feed_list *l, size_t i,
                          store_feed_entry *out);

/*
 * Changes [offset, offset + limit) of the list, as a new JSON array of the
 * objects above (each record read from `st`, which must be the store the
 * list was computed from). Fewer at the list's end, and fewer once the
 * records taken pass STORE_FEED_PAGE_BYTES (a record is up to 1 MiB; a
 * page holds at least one change while any is left): a client goes on
 * from offset + the number it got. offset == total gives an empty array;
 * offset > total is STORE_EINVAL.
 */
int store_feed_list_page(store *st, const store_feed_list *l, size_t offset,
                         size_t limit, json_t **out_changes);

/* ---- a bounded cache of lists -------------------------------------------- */

/*
 * Keeps the lists last asked for, for one store, so that paging through a
 * large list computes it once. At most `max_bytes` (0: 64 MiB) of lists
 * and 32 lists; the least recently used go first, except the one just
 * used, which is kept even when it alone is larger.
 */
typedef struct store_feed_cache store_feed_cache;
int store_feed_cache_new(store_feed_cache **out, size_t max_bytes);
void store_feed_cache_free(store_feed_cache *c);
/* The list for (from, to), computed when not cached; borrowed from the
 * cache, valid until the next call on it. */
int store_feed_cache_get(store_feed_cache *c, store *st, uint64_t from,
                         uint64_t to, const store_feed_list **out);
/* store_feed_page through the cache. */
int store_feed_cache_page(store_feed_cache *c, store *st, uint64_t from,
                          uint64_t to, size_t offset, size_t limit,
                          json_t **out_changes, size_t *total);

/* ---- one page, no cache -------------------------------------------------- */

/*
 * Changes [offset, offset + limit) from checkpoint `from` to checkpoint
 * `to` (store_feed_compute, then store_feed_list_page); *total gets the
 * number of changes in all. The list is computed anew at each call: a
 * server uses a store_feed_cache instead.
 */
int store_feed_page(store *st, uint64_t from, uint64_t to, size_t offset,
                    size_t limit, json_t **out_changes, size_t *total);

/* ---- cursors ------------------------------------------------------------- */

/* "N.T.K" into out (STORE_FEED_CURSOR_MAX bytes suffice). */
void store_feed_cursor_format(char out[STORE_FEED_CURSOR_MAX], uint64_t n,
                              uint64_t t, uint64_t k);
/*
 * Parses a cursor strictly: three decimal numbers joined by '.', digits
 * only, no sign, no leading zero (but "0"), N and T at most 10 digits
 * (checkpoint numbers), K at most 19, N <= T, T >= 1. The numbers are not
 * looked up in any store. STORE_EINVAL otherwise, with the reason in
 * store_errmsg().
 */
int store_feed_cursor_parse(const char *s, uint64_t *n, uint64_t *t,
                            uint64_t *k);
/*
 * A decimal number as the feed's parameters take it: digits only, no
 * sign, no leading zero (but "0"), at most `max`. 0 or STORE_EINVAL.
 */
int store_feed_number_parse(const char *s, size_t len, uint64_t max,
                            uint64_t *out);

#endif
