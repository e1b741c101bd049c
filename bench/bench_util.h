/*
 * bench_util.h — helpers shared by the benchmarks: a monotonic clock,
 * scratch directories under /tmp, running stock git, and the catalog
 * records both the govfed and the stock-git workloads write.
 *
 * The benchmarks print figures; they are not pass/fail tests.
 */
#ifndef GOVFED_BENCH_UTIL_H
#define GOVFED_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define BU_NAREAS 26
extern const char *const bu_areas[BU_NAREAS];

/* Seconds on CLOCK_MONOTONIC. */
double bu_now(void);

/* Prints to stderr and exits 1 (the scratch directory is removed by the
 * atexit handler bu_tmpdir installs). */
void bu_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Dies with store_errmsg() when rc != 0. */
void bu_check(int rc, const char *what);

/* mkdtemp("/tmp/govfed-bench-<tag>-XXXXXX"); removed at exit or on
 * SIGINT/SIGTERM (kept when $GOVFED_BENCH_KEEP is set and not "0", for
 * looking into). One per process. */
const char *bu_tmpdir(const char *tag);
void bu_rmrf(const char *path);

/* Runs argv (argv[0] looked up in PATH). `in` (may be NULL) is written to
 * its stdin; up to outcap-1 bytes of its stdout are kept in `out` (may be
 * NULL: stdout goes to /dev/null), NUL-terminated and with trailing
 * whitespace stripped. stderr is inherited unless quiet. Returns the exit
 * status, or -1 if it could not run or died of a signal. */
int bu_run(char *const argv[], const void *in, size_t inlen, char *out,
           size_t outcap, int quiet);

/* A small deterministic PRNG (xorshift64*). */
uint64_t bu_rand(uint64_t *state);

/* A catalog item in canonical form (store_record_prepare), with its path
 * catalog/<area>/<id>.json. `version` changes its content. Free *data. */
typedef struct bu_record {
	char path[STORE_PATH_MAX];
	char *data;
	size_t len;
} bu_record;
void bu_catalog_record(bu_record *out, unsigned area, unsigned serial,
                       unsigned version);

/*
 * The workload: `n` single-record changes over a catalog that already
 * holds items 0..seeded-1 (item i in area i % 26); `new_pct` percent add a
 * new item, the rest update a random existing one. Deterministic for a
 * given seed.
 */
typedef struct bu_workload {
	bu_record *rec;
	size_t n;
	unsigned items; /* items after the workload */
	size_t news;    /* how many changes added an item */
} bu_workload;
void bu_workload_make(bu_workload *w, size_t n, unsigned seeded,
                      unsigned new_pct, uint64_t seed);
void bu_workload_free(bu_workload *w);

/* Prints the machine and library versions (one "# " line each). */
void bu_print_env(void);

#endif
