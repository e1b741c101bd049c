/*
 * bench_pack — the bytes and the time of history transfer.
 *
 * A province store is seeded with 5,000 catalog records over the 26 pilot
 * areas (5 commits) and copied in full to receivers. Then:
 *   - one single-record commit: the increment's bytes with govfed's thin
 *     pack writer (store_pack_range), with libgit2's packbuilder (what
 *     store_pack_build used before), and with stock
 *     `git pack-objects --revs --thin --stdout` fed "<new> ^<old>";
 *   - N more commits (1,000 by default; 90% updates, 10% new items): the
 *     catch-up pack's bytes, the time to build it (median of --reps runs)
 *     and the time store_import takes for it (one fresh receiver per run),
 *     for both writers, and git's bytes for reference.
 * Receivers import through store_import, which indexes with govfed's own
 * indexer (store/index.c), completing the thin pack from the receiver's
 * store (appending the missing bases). Each pack is also indexed alone,
 * into a scratch directory against the receiver's store, by that indexer
 * and by libgit2's git_indexer (what store_import used before), and the
 * import with git_indexer is estimated as the import less our indexing
 * plus git_indexer's.
 *
 * Prints figures; not a pass/fail test.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define PROVINCE_ID "350000"
#define RECV_REF "refs/nodes/" PROVINCE_ID

typedef struct opts {
	unsigned items;
	size_t catchup;
	unsigned reps;
	int git;
} opts;

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_pack [--items N] [--catchup N] [--reps N] "
	        "[--no-git]\n"
	        "  --items N    catalog records seeded first (5000)\n"
	        "  --catchup N  commits in the catch-up pack (1000)\n"
	        "  --reps N     builds timed, and receivers importing, per "
	        "writer (3)\n");
	exit(2);
}

static size_t num_arg(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		usage();
	return (size_t)v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[n / 2] : 0;
}

/* ---- the two writers ---------------------------------------------------- */

typedef enum writer { W_THIN = 0, W_PACKBUILDER = 1 } writer;
static const char *const wname[] = { "govfed-thin", "libgit2-packbuilder" };

/* The packbuilder exactly as store_pack_build used it. */
static void pack_packbuilder(store *st, const char *have, store_buf *out,
                             char head_out[STORE_OID_HEX])
{
	git_repository *repo = st->repo;
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	git_buf buf = GIT_BUF_INIT;
	git_oid head, h;

	if (git_reference_name_to_id(&head, repo, "refs/heads/main") != 0 ||
	    git_packbuilder_new(&pb, repo) != 0 ||
	    git_revwalk_new(&w, repo) != 0)
		bu_die("packbuilder: %s", git_error_last()->message);
	git_packbuilder_set_threads(pb, 1);
	if (git_revwalk_push(w, &head) != 0)
		bu_die("revwalk: %s", git_error_last()->message);
	if (have && have[0] && git_oid_fromstr(&h, have) == 0 &&
	    git_revwalk_hide(w, &h) != 0)
		bu_die("revwalk: %s", git_error_last()->message);
	if (git_packbuilder_insert_walk(pb, w) != 0 ||
	    git_packbuilder_write_buf(&buf, pb) != 0)
		bu_die("packbuilder: %s", git_error_last()->message);
	out->ptr = malloc(buf.size);
	if (out->ptr == NULL)
		bu_die("out of memory");
	memcpy(out->ptr, buf.ptr, buf.size);
	out->len = buf.size;
	git_oid_tostr(head_out, STORE_OID_HEX, &head);
	git_buf_dispose(&buf);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
}

static void build(writer wr, store *st, const char *have, store_buf *out,
                  char head[STORE_OID_HEX], store_pack_info *info)
{
	if (wr == W_THIN) {
		bu_check(store_pack_range(st, NULL, have, 0, out, info),
		         "store_pack_range");
		memcpy(head, info->head, STORE_OID_HEX);
	} else {
		pack_packbuilder(st, have, out, head);
	}
}

/* ---- stock git ---------------------------------------------------------- */

/* Bytes of `git pack-objects --revs [--thin] --stdout` for new ^old. */
static size_t git_pack_bytes(const char *gitdir, const char *newc,
                             const char *oldc, int thin, double *secs)
{
	char cmd[1024], revs[128], out[64];
	char *argv[] = { "sh", "-c", cmd, NULL };
	double t;

	snprintf(cmd, sizeof(cmd),
	         "git --git-dir='%s' pack-objects --revs %s--stdout -q | wc -c",
	         gitdir, thin ? "--thin " : "");
	snprintf(revs, sizeof(revs), "%s\n^%s\n", newc, oldc);
	t = bu_now();
	if (bu_run(argv, revs, strlen(revs), out, sizeof(out), 0) != 0)
		bu_die("git pack-objects failed");
	*secs = bu_now() - t;
	return (size_t)strtoull(out, NULL, 10);
}

/* ---- a look inside our pack ---------------------------------------------- */

/* Sums the bytes each kind of entry takes in a pack (header, base name
 * and deflated data). */
static void pack_breakdown(const store_buf *b)
{
	static const char *const kinds[8] = { "?", "commit", "tree", "blob",
		                              "tag", "?", "ofs-delta",
		                              "ref-delta" };
	const unsigned char *p = b->ptr, *end = p + b->len - 20;
	size_t bytes[8] = { 0 }, count[8] = { 0 };
	uint32_t n = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
	             (uint32_t)p[10] << 8 | p[11];

	p += 12;
	for (uint32_t i = 0; i < n && p < end; i++) {
		const unsigned char *start = p;
		unsigned char c = *p++, sink[4096];
		int type = (c >> 4) & 7;
		z_stream z;
		int r;

		while ((c & 0x80) && p < end)
			c = *p++;
		if (type == 7)
			p += 20;
		memset(&z, 0, sizeof(z));
		if (inflateInit(&z) != Z_OK)
			bu_die("inflateInit");
		z.next_in = (Bytef *)(uintptr_t)p;
		z.avail_in = (uInt)(end - p);
		do {
			z.next_out = sink;
			z.avail_out = sizeof(sink);
			r = inflate(&z, Z_NO_FLUSH);
		} while (r == Z_OK);
		if (r != Z_STREAM_END)
			bu_die("pack entry %u does not inflate", i);
		p += z.total_in;
		inflateEnd(&z);
		bytes[type] += (size_t)(p - start);
		count[type]++;
	}
	printf("#         inside: 12 B header, 20 B trailer");
	for (int t = 0; t < 8; t++)
		if (count[t])
			printf(", %zu %s %zu B", count[t], kinds[t], bytes[t]);
	printf("\n");
}

/* Indexes a pack as store_import did before (libgit2's indexer,
 * completing a thin pack from the store's objects) into a scratch
 * directory: how long, and how many bases it appended. */
static double index_libgit2(store *st, const char *dir, const store_buf *b,
                            unsigned *appended)
{
	char path[1024];
	git_indexer_options io;
	git_indexer_progress stats;
	git_indexer *idx = NULL;
	git_odb *odb = NULL;
	double t;
	static unsigned n;

	snprintf(path, sizeof(path), "%s/index-libgit2-%u", dir, n++);
	if (mkdir(path, 0755) != 0)
		bu_die("mkdir %s", path);
	git_indexer_options_init(&io, GIT_INDEXER_OPTIONS_VERSION);
	if (git_repository_odb(&odb, st->repo) != 0)
		bu_die("odb: %s", git_error_last()->message);
	t = bu_now();
	if (git_indexer_new(&idx, path, 0, odb, &io) != 0 ||
	    git_indexer_append(idx, b->ptr, b->len, &stats) != 0 ||
	    git_indexer_commit(idx, &stats) != 0)
		bu_die("indexer: %s", git_error_last()->message);
	t = bu_now() - t;
	*appended = stats.local_objects;
	git_indexer_free(idx);
	git_odb_free(odb);
	bu_rmrf(path);
	return t;
}

/* The same with govfed's indexer (store_index_pack), as store_import
 * runs it (without fsync here). */
static double index_ours(store *st, const char *dir, const store_buf *b,
                         unsigned *appended)
{
	char path[1024], why[512];
	store_index_stats stats;
	git_odb *odb = NULL;
	double t;
	static unsigned n;

	snprintf(path, sizeof(path), "%s/index-ours-%u", dir, n++);
	if (mkdir(path, 0755) != 0)
		bu_die("mkdir %s", path);
	if (git_repository_odb(&odb, st->repo) != 0)
		bu_die("odb: %s", git_error_last()->message);
	t = bu_now();
	if (store_index_pack(odb, b->ptr, b->len, path, NULL, &stats, why,
	                     sizeof(why)) != 0)
		bu_die("store_index_pack: %s", why);
	t = bu_now() - t;
	*appended = (unsigned)stats.appended;
	git_odb_free(odb);
	bu_rmrf(path);
	return t;
}

/* Both indexers on one pack (best of `reps` each), printed. */
static void index_both(store *st, const char *dir, const store_buf *b,
                       unsigned reps, double *ours, double *lg2)
{
	unsigned ao = 0, al = 0;

	*ours = *lg2 = 1e9;
	for (unsigned r = 0; r < reps; r++) {
		double t = index_ours(st, dir, b, &ao);
		if (t < *ours)
			*ours = t;
		t = index_libgit2(st, dir, b, &al);
		if (t < *lg2)
			*lg2 = t;
	}
	printf("#         indexing alone: govfed %.3f s (%u bases appended), "
	       "libgit2 git_indexer %.3f s (%u bases); best of %u\n",
	       *ours, ao, *lg2, al, reps);
}

/* ---- stores ------------------------------------------------------------- */

static store *make_receiver(const char *dir, const char *name)
{
	char path[1024];
	store *st;

	snprintf(path, sizeof(path), "%s/%s.git", dir, name);
	bu_check(store_create(&st, path, 0), "store_create");
	return st;
}

static void import(store *dst, const keys_public *root, const char *head,
                   const store_buf *b, double *secs)
{
	store_import_result res;
	double t = bu_now();

	bu_check(store_import(dst, root, PROVINCE_ID, head, b->ptr, b->len, &res),
	         "store_import");
	if (secs)
		*secs = bu_now() - t;
}

static void head_of(store *st, const char *node, char out[STORE_OID_HEX])
{
	store_head h;

	bu_check(store_head_get(st, node, &h), "store_head_get");
	memcpy(out, h.commit, STORE_OID_HEX);
}

int main(int argc, char **argv)
{
	opts o = { 5000, 1000, 3, 1 };
	const char *dir;
	char path[1024], old[STORE_OID_HEX], newc[STORE_OID_HEX];
	char out[STORE_OID_HEX];
	store *src, **recv[2];
	keys_secret *sk;
	store_identity id;
	bu_record *seed;
	bu_workload w;
	store_buf b[2];
	store_pack_info info;
	double t, git_secs;
	size_t per;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--items") == 0 && i + 1 < argc)
			o.items = (unsigned)num_arg(argv[++i]);
		else if (strcmp(a, "--catchup") == 0 && i + 1 < argc)
			o.catchup = num_arg(argv[++i]);
		else if (strcmp(a, "--reps") == 0 && i + 1 < argc)
			o.reps = (unsigned)num_arg(argv[++i]);
		else if (strcmp(a, "--no-git") == 0)
			o.git = 0;
		else
			usage();
	}
	if (o.items == 0 || o.reps == 0)
		usage();
	bu_check(store_global_init(), "store_global_init");
	dir = bu_tmpdir("pack");
	bu_print_env();
	printf("# bench_pack: %u seeded records in %d areas; a 1-record "
	       "increment, then a %zu-commit catch-up (90%% updates, 10%% new "
	       "items); %u reps; dir %s\n",
	       o.items, BU_NAREAS, o.catchup, o.reps, dir);
	fflush(stdout);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);

	/* the sender: genesis and the seed in 5 commits */
	snprintf(path, sizeof(path), "%s/src.git", dir);
	bu_check(store_create(&src, path, 0), "store_create");
	if (keys_secret_generate(&sk) != 0)
		bu_die("keys_secret_generate failed");
	store_set_root(src, keys_secret_public(sk));
	memset(&id, 0, sizeof(id));
	snprintf(id.id, sizeof(id.id), "%s", PROVINCE_ID);
	id.level = STORE_LEVEL_PROVINCE;
	snprintf(id.name, sizeof(id.name), "福建省");
	id.key = *keys_secret_public(sk);
	bu_check(store_genesis(src, sk, &id, out), "store_genesis");
	seed = calloc(o.items, sizeof(*seed));
	if (seed == NULL)
		bu_die("out of memory");
	for (unsigned i = 0; i < o.items; i++)
		bu_catalog_record(&seed[i], i % BU_NAREAS, i, 1);
	per = (o.items + 4) / 5;
	for (size_t done = 0; done < o.items;) {
		size_t k = o.items - done < per ? o.items - done : per;
		store_change *ch = calloc(k, sizeof(*ch));
		if (ch == NULL)
			bu_die("out of memory");
		for (size_t i = 0; i < k; i++)
			ch[i] = (store_change){ seed[done + i].path, seed[done + i].data,
				                seed[done + i].len };
		bu_check(store_commit(src, sk, ch, k, "seed", out), "seed commit");
		free(ch);
		done += k;
	}
	for (unsigned i = 0; i < o.items; i++)
		free(seed[i].data);
	free(seed);

	/* the receivers, each with the full history (through our writer) */
	for (int wr = 0; wr < 2; wr++) {
		recv[wr] = calloc(o.reps, sizeof(store *));
		if (recv[wr] == NULL)
			bu_die("out of memory");
	}
	t = bu_now();
	build(W_THIN, src, NULL, &b[0], out, &info);
	printf("#   full   %-20s %9zu B  %5zu objects, build %.3f s\n",
	       wname[W_THIN], b[0].len, info.objects, bu_now() - t);
	t = bu_now();
	build(W_PACKBUILDER, src, NULL, &b[1], out, &info);
	printf("#   full   %-20s %9zu B  build %.3f s\n", wname[W_PACKBUILDER],
	       b[1].len, bu_now() - t);
	for (int wr = 0; wr < 2; wr++) {
		for (unsigned r = 0; r < o.reps; r++) {
			char name[64];
			double s;
			snprintf(name, sizeof(name), "recv-%d-%u", wr, r);
			recv[wr][r] = make_receiver(dir, name);
			import(recv[wr][r], keys_secret_public(sk), out, &b[0], &s);
			if (r == 0 && wr == 0)
				printf("#   full   import %.3f s\n", s);
		}
	}
	store_buf_free(&b[0]);
	store_buf_free(&b[1]);
	fflush(stdout);

	/* ---- 1-record increments: an update, then a new item ---- */
	bu_workload_make(&w, o.catchup, o.items + 1, 10, 42);
	for (int kind = 0; kind < 2; kind++) {
		bu_record rec;
		store_change c1;
		const char *what = kind == 0 ? "1-update" : "1-new";
		head_of(src, NULL, old);
		if (kind == 0) /* item 1234 (or the last), version 2 */
			bu_catalog_record(&rec, (o.items > 1234 ? 1234 : o.items - 1) %
			                                BU_NAREAS,
			                  o.items > 1234 ? 1234 : o.items - 1, 2);
		else /* the workload below counts it as seeded */
			bu_catalog_record(&rec, o.items % BU_NAREAS, o.items, 1);
		c1 = (store_change){ rec.path, rec.data, rec.len };
		bu_check(store_commit(src, sk, &c1, 1, "catalog: one", newc),
		         "store_commit");
		free(rec.data);
		for (int wr = 0; wr < 2; wr++) {
			double bt[64], it;
			unsigned reps = o.reps < 64 ? o.reps : 64;
			for (unsigned r = 0; r < reps; r++) {
				t = bu_now();
				build((writer)wr, src, old, &b[wr], out, &info);
				bt[r] = bu_now() - t;
				if (r + 1 < reps)
					store_buf_free(&b[wr]);
			}
			import(recv[wr][0], keys_secret_public(sk), out, &b[wr], &it);
			for (unsigned r = 1; r < o.reps; r++)
				import(recv[wr][r], keys_secret_public(sk), out, &b[wr],
				       NULL);
			printf("pack    %-9s %-20s %7zu B  build %6.2f ms  import "
			       "%6.2f ms\n",
			       what, wname[wr], b[wr].len, median(bt, reps) * 1e3,
			       it * 1e3);
			if (wr == W_THIN) {
				double io, il;
				pack_breakdown(&b[wr]);
				/* against a receiver that does not hold it yet */
				index_both(recv[W_PACKBUILDER][0], dir, &b[wr],
				           o.reps, &io, &il);
				printf("import  %-9s %-20s govfed indexer %6.2f ms; "
				       "with git_indexer ~%6.2f ms\n",
				       what, wname[wr], it * 1e3,
				       (it - io + il) * 1e3);
			}
			store_buf_free(&b[wr]);
		}
		if (o.git) {
			double full_secs;
			size_t thin = git_pack_bytes(store_gitdir(src), newc, old, 1,
			                             &git_secs);
			size_t full = git_pack_bytes(store_gitdir(src), newc, old, 0,
			                             &full_secs);
			printf("pack    %-9s %-20s %7zu B  (%.0f ms; without --thin "
			       "%zu B)\n",
			       what, "git-pack-objects", thin, git_secs * 1e3, full);
		}
		fflush(stdout);
	}

	/* ---- a catch-up ---- */
	memcpy(old, newc, STORE_OID_HEX);
	t = bu_now();
	for (size_t i = 0; i < o.catchup; i++) {
		store_change c1 = { w.rec[i].path, w.rec[i].data, w.rec[i].len };
		char msg[STORE_PATH_MAX + 16];
		snprintf(msg, sizeof(msg), "catalog: %s", w.rec[i].path);
		bu_check(store_commit(src, sk, &c1, 1, msg, newc), "store_commit");
	}
	printf("#   %zu commits written in %.2f s\n", o.catchup, bu_now() - t);
	for (int wr = 0; wr < 2; wr++) {
		double bt[64], itv[64];
		unsigned reps = o.reps < 64 ? o.reps : 64;
		double ixo = 0, ixl = 0;
		for (unsigned r = 0; r < reps; r++) {
			t = bu_now();
			build((writer)wr, src, old, &b[wr], out, &info);
			bt[r] = bu_now() - t;
			if (r == 0)
				index_both(recv[wr][r], dir, &b[wr], reps, &ixo, &ixl);
			import(recv[wr][r], keys_secret_public(sk), out, &b[wr],
			       &itv[r]);
			if (wr == W_THIN && r == 0)
				printf("#         %s: %zu commits, %zu objects, %zu as "
				       "deltas\n",
				       wname[wr], info.commits, info.objects,
				       info.deltas);
			if (r + 1 < reps)
				store_buf_free(&b[wr]);
		}
		printf("pack    catch-up  %-20s %7zu B  build %6.3f s  import "
		       "%6.3f s  (%zu commits; medians of %u)\n",
		       wname[wr], b[wr].len, median(bt, reps), median(itv, reps),
		       o.catchup, reps);
		printf("import  catch-up  %-20s govfed indexer %6.3f s; with "
		       "git_indexer ~%6.3f s\n",
		       wname[wr], median(itv, reps),
		       median(itv, reps) - ixo + ixl);
		store_buf_free(&b[wr]);
		head_of(recv[wr][0], PROVINCE_ID, out);
		if (strcmp(out, newc) != 0)
			bu_die("receiver did not reach the head");
	}
	if (o.git) {
		size_t thin = git_pack_bytes(store_gitdir(src), newc, old, 1,
		                             &git_secs);
		printf("pack    catch-up  %-20s %7zu B  build %6.3f s\n",
		       "git-pack-objects", thin, git_secs);
	}

	for (int wr = 0; wr < 2; wr++) {
		for (unsigned r = 0; r < o.reps; r++)
			store_free(recv[wr][r]);
		free(recv[wr]);
	}
	bu_workload_free(&w);
	store_free(src);
	keys_secret_free(sk);
	store_global_shutdown();
	return 0;
}
