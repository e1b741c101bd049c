/*
 * bench_commit — signed commits per second.
 *
 * A province store is seeded with 5,000 catalog records over the 26 pilot
 * areas (a few big commits), reopened, and then N single-record commits
 * are timed through store_commit (90% updates of existing items, 10% new
 * items), once with fsync off and once with STORE_OPEN_FSYNC, each in a
 * fresh store. The same workload (its first --git-n changes) is then run
 * through stock git as a user would without govfed: hash-object -w,
 * update-index --cacheinfo, write-tree, commit-tree -S (gpg.format=ssh)
 * and update-ref, per commit, in a bare repository seeded with the same
 * 5,000 files — with git's default core.fsync and with core.fsync=all.
 *
 * Prints figures; not a pass/fail test.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVINCE_ID "350000"

typedef struct opts {
	size_t n;          /* govfed commits */
	size_t git_n;      /* stock git commits */
	unsigned seed_items;
	unsigned seed_commits;
	int git;           /* run stock git */
	int fsync_off, fsync_on;
} opts;

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_commit [-n N] [--git-n N] [--seed-items N]\n"
	        "                    [--seed-commits N] [--no-git]\n"
	        "                    [--fsync off|on|both]\n"
	        "  -n N             govfed commits to time (default 2000)\n"
	        "  --git-n N        stock git commits to time (default 200)\n"
	        "  --seed-items N   catalog records in the store first (5000)\n"
	        "  --seed-commits N commits the seed is written in (5)\n");
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

static void print_latency(double *lat, size_t n)
{
	if (n == 0)
		return;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("#         per commit: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
	       "max %.2f ms\n",
	       lat[n / 2] * 1e3, lat[n * 9 / 10] * 1e3,
	       lat[n * 99 / 100 < n ? n * 99 / 100 : n - 1] * 1e3,
	       lat[n - 1] * 1e3);
}

/* ---- govfed ---------------------------------------------------------------- */

static double run_govfed(const char *dir, unsigned flags, const bu_record *seed,
                         const opts *o, const bu_workload *w)
{
	char gitdir[512], out[STORE_OID_HEX], msg[STORE_PATH_MAX + 32];
	const char *mode = (flags & STORE_OPEN_FSYNC) ? "on" : "off";
	store_identity id;
	keys_secret *sk = NULL;
	store *st = NULL;
	store_change *ch;
	double t0, t, *lat;
	size_t per, done = 0;

	snprintf(gitdir, sizeof(gitdir), "%s/govfed-fsync-%s.git", dir, mode);
	bu_check(store_create(&st, gitdir, flags), "store_create");
	if (keys_secret_generate(&sk) != 0)
		bu_die("keys_secret_generate failed");
	store_set_root(st, keys_secret_public(sk));
	memset(&id, 0, sizeof(id));
	snprintf(id.id, sizeof(id.id), "%s", PROVINCE_ID);
	id.level = STORE_LEVEL_PROVINCE;
	snprintf(id.name, sizeof(id.name), "福建省");
	id.key = *keys_secret_public(sk);
	bu_check(store_genesis(st, sk, &id, out), "store_genesis");

	/* the seed, in a few big commits */
	ch = calloc(o->seed_items ? o->seed_items : 1, sizeof(*ch));
	if (ch == NULL)
		bu_die("out of memory");
	for (size_t i = 0; i < o->seed_items; i++)
		ch[i] = (store_change){ seed[i].path, seed[i].data, seed[i].len };
	per = (o->seed_items + o->seed_commits - 1) /
	      (o->seed_commits ? o->seed_commits : 1);
	t0 = bu_now();
	for (unsigned c = 0; done < o->seed_items; c++) {
		size_t k = o->seed_items - done < per ? o->seed_items - done : per;
		snprintf(msg, sizeof(msg), "seed %u: %zu records", c + 1, k);
		bu_check(store_commit(st, sk, ch + done, k, msg, out), "seed commit");
		done += k;
	}
	t = bu_now() - t0;
	printf("#   seed  fsync=%-3s govfed  %u records in %u commits, %.2f s\n",
	       mode, o->seed_items, o->seed_commits, t);
	free(ch);
	/* a fresh handle, as the CLI would have */
	store_free(st);
	bu_check(store_open(&st, gitdir, flags), "store_open");
	store_set_root(st, keys_secret_public(sk));

	lat = calloc(w->n ? w->n : 1, sizeof(*lat));
	if (lat == NULL)
		bu_die("out of memory");
	t0 = bu_now();
	for (size_t i = 0; i < w->n; i++) {
		store_change c1 = { w->rec[i].path, w->rec[i].data, w->rec[i].len };
		double s = bu_now();
		snprintf(msg, sizeof(msg), "catalog: %s", w->rec[i].path);
		bu_check(store_commit(st, sk, &c1, 1, msg, out), "store_commit");
		lat[i] = bu_now() - s;
	}
	t = bu_now() - t0;
	printf("commit  fsync=%-3s govfed  %8.1f commits/s  (%zu commits, %.2f s)\n",
	       mode, (double)w->n / t, w->n, t);
	print_latency(lat, w->n);
	fflush(stdout);
	free(lat);
	store_free(st);
	keys_secret_free(sk);
	bu_rmrf(gitdir);
	return (double)w->n / t;
}

/* ---- stock git ------------------------------------------------------------- */

static void git_ok(char *const argv[], const void *in, size_t inlen, char *out,
                   size_t outcap)
{
	int rc = bu_run(argv, in, inlen, out, outcap, 0);

	if (rc != 0) {
		char cmd[512] = "";
		for (size_t i = 0; argv[i]; i++) {
			strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
			strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
		}
		bu_die("'%s' exited %d", cmd, rc);
	}
}

/* A fast-import stream that writes the seed in one commit. */
static char *seed_stream(const bu_record *seed, unsigned n, size_t *len)
{
	size_t cap = 1024, o = 0;
	char *s;
	int w;

	for (unsigned i = 0; i < n; i++)
		cap += seed[i].len + strlen(seed[i].path) + 64;
	s = malloc(cap);
	if (s == NULL)
		bu_die("out of memory");
	w = snprintf(s, cap,
	             "commit refs/heads/main\n"
	             "committer Bench <bench@govfed.invalid> 1700000000 +0000\n"
	             "data 5\nseed\n\n");
	o = (size_t)w;
	for (unsigned i = 0; i < n; i++) {
		w = snprintf(s + o, cap - o, "M 100644 inline %s\ndata %zu\n",
		             seed[i].path, seed[i].len);
		o += (size_t)w;
		memcpy(s + o, seed[i].data, seed[i].len);
		o += seed[i].len;
		s[o++] = '\n';
	}
	s[o] = '\0';
	*len = o;
	return s;
}

static double run_git(const char *dir, int fsync_all, const bu_record *seed,
                      const opts *o, const bu_workload *w, const char *keyfile)
{
	char gd[512], idx[512], parent[64], blob[64], tree[64], commit[64];
	char cacheinfo[STORE_PATH_MAX + 128], msg[STORE_PATH_MAX + 32];
	char keyopt[600], buf[4096];
	const char *mode = fsync_all ? "on" : "off";
	size_t slen, n = o->git_n < w->n ? o->git_n : w->n;
	char *stream;
	double t0, t, *lat, step[5] = { 0, 0, 0, 0, 0 };

	snprintf(gd, sizeof(gd), "%s/git-fsync-%s.git", dir, mode);
	snprintf(idx, sizeof(idx), "%s/git-fsync-%s.index", dir, mode);
	snprintf(keyopt, sizeof(keyopt), "user.signingkey=%s", keyfile);
	setenv("GIT_DIR", gd, 1);
	setenv("GIT_INDEX_FILE", idx, 1);
	if (fsync_all) {
		setenv("GIT_CONFIG_COUNT", "2", 1);
		setenv("GIT_CONFIG_KEY_0", "core.fsync", 1);
		setenv("GIT_CONFIG_VALUE_0", "all", 1);
		setenv("GIT_CONFIG_KEY_1", "core.fsyncMethod", 1);
		setenv("GIT_CONFIG_VALUE_1", "fsync", 1);
	} else {
		unsetenv("GIT_CONFIG_COUNT");
	}
	{
		char *a[] = { "git", "init", "-q", "--bare", gd, NULL };
		git_ok(a, NULL, 0, NULL, 0);
	}
	/* seed: the same 5,000 files, one commit, and an index of them */
	stream = seed_stream(seed, o->seed_items, &slen);
	t0 = bu_now();
	{
		char *a[] = { "git", "fast-import", "--quiet", NULL };
		git_ok(a, stream, slen, NULL, 0);
	}
	free(stream);
	{
		char *a[] = { "git", "read-tree", "refs/heads/main", NULL };
		git_ok(a, NULL, 0, NULL, 0);
	}
	{
		char *a[] = { "git", "rev-parse", "refs/heads/main", NULL };
		git_ok(a, NULL, 0, parent, sizeof(parent));
	}
	printf("#   seed  fsync=%-3s git     %u records (fast-import + read-tree), "
	       "%.2f s\n", mode, o->seed_items, bu_now() - t0);

	lat = calloc(n ? n : 1, sizeof(*lat));
	if (lat == NULL)
		bu_die("out of memory");
	t0 = bu_now();
	for (size_t i = 0; i < n; i++) {
		const bu_record *r = &w->rec[i];
		double s = bu_now();
		char *ho[] = { "git", "hash-object", "-w", "--stdin", NULL };
		char *ui[] = { "git", "update-index", "--add", "--cacheinfo",
			       cacheinfo, NULL };
		char *wt[] = { "git", "write-tree", NULL };
		char *ct[] = { "git", "-c", "gpg.format=ssh", "-c", keyopt,
			       "commit-tree", "-S", "-p", parent, "-m", msg, tree,
			       NULL };
		char *ur[] = { "git", "update-ref", "refs/heads/main", commit,
			       parent, NULL };

		double s1, s2, s3, s4;

		git_ok(ho, r->data, r->len, blob, sizeof(blob));
		snprintf(cacheinfo, sizeof(cacheinfo), "100644,%s,%s", blob, r->path);
		s1 = bu_now();
		git_ok(ui, NULL, 0, NULL, 0);
		s2 = bu_now();
		git_ok(wt, NULL, 0, tree, sizeof(tree));
		snprintf(msg, sizeof(msg), "catalog: %s", r->path);
		s3 = bu_now();
		git_ok(ct, NULL, 0, commit, sizeof(commit));
		s4 = bu_now();
		git_ok(ur, NULL, 0, NULL, 0);
		snprintf(parent, sizeof(parent), "%s", commit);
		lat[i] = bu_now() - s;
		step[0] += s1 - s;
		step[1] += s2 - s1;
		step[2] += s3 - s2;
		step[3] += s4 - s3;
		step[4] += s + lat[i] - s4;
	}
	t = bu_now() - t0;
	printf("commit  fsync=%-3s git     %8.1f commits/s  (%zu commits, %.2f s; "
	       "%s)\n", mode, (double)n / t, n, t,
	       fsync_all ? "core.fsync=all" : "git's default core.fsync");
	print_latency(lat, n);
	if (n > 0)
		printf("#         per step (mean): hash-object %.1f ms, update-index "
		       "%.1f ms, write-tree %.1f ms, commit-tree -S %.1f ms, "
		       "update-ref %.1f ms\n",
		       step[0] * 1e3 / (double)n, step[1] * 1e3 / (double)n,
		       step[2] * 1e3 / (double)n, step[3] * 1e3 / (double)n,
		       step[4] * 1e3 / (double)n);
	fflush(stdout);
	free(lat);
	/* the commits really are SSH-signed */
	{
		char *a[] = { "git", "cat-file", "commit", "refs/heads/main", NULL };
		git_ok(a, NULL, 0, buf, sizeof(buf));
		if (n > 0 && strstr(buf, "gpgsig -----BEGIN SSH SIGNATURE-----") == NULL)
			bu_die("stock git wrote an unsigned commit");
	}
	unsetenv("GIT_CONFIG_COUNT");
	unsetenv("GIT_DIR");
	unsetenv("GIT_INDEX_FILE");
	bu_rmrf(gd);
	bu_rmrf(idx);
	return (double)n / t;
}

static void write_keyfile(const char *dir, char *path, size_t pathlen)
{
	keys_secret *sk = NULL;
	char why[256], pub[600], line[KEYS_PUBLIC_LINE_MAX];
	FILE *f;

	if (keys_secret_generate(&sk) != 0)
		bu_die("keys_secret_generate failed");
	snprintf(path, pathlen, "%s/git-signing-key", dir);
	if (keys_secret_save(sk, path, "bench@govfed.invalid", 0, why,
	                     sizeof(why)) != 0)
		bu_die("cannot write %s: %s", path, why);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	keys_public_format(line, sizeof(line), keys_secret_public(sk),
	                   "bench@govfed.invalid");
	f = fopen(pub, "w");
	if (f == NULL || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0)
		bu_die("cannot write %s", pub);
	keys_secret_free(sk);
}

int main(int argc, char **argv)
{
	opts o = { 2000, 200, 5000, 5, 1, 1, 1 };
	bu_record *seed;
	bu_workload w;
	const char *dir;
	char keyfile[512];
	double gv_off = 0, gv_on = 0, git_off = 0, git_on = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-n") == 0 && i + 1 < argc)
			o.n = num_arg(argv[++i]);
		else if (strcmp(a, "--git-n") == 0 && i + 1 < argc)
			o.git_n = num_arg(argv[++i]);
		else if (strcmp(a, "--seed-items") == 0 && i + 1 < argc)
			o.seed_items = (unsigned)num_arg(argv[++i]);
		else if (strcmp(a, "--seed-commits") == 0 && i + 1 < argc)
			o.seed_commits = (unsigned)num_arg(argv[++i]);
		else if (strcmp(a, "--no-git") == 0)
			o.git = 0;
		else if (strcmp(a, "--fsync") == 0 && i + 1 < argc) {
			const char *m = argv[++i];
			o.fsync_off = strcmp(m, "off") == 0 || strcmp(m, "both") == 0;
			o.fsync_on = strcmp(m, "on") == 0 || strcmp(m, "both") == 0;
			if (!o.fsync_off && !o.fsync_on)
				usage();
		} else
			usage();
	}
	if (o.seed_commits == 0)
		o.seed_commits = 1;
	if (o.seed_items == 0)
		bu_die("--seed-items must be at least 1");
	bu_check(store_global_init(), "store_global_init");
	dir = bu_tmpdir("commit");
	bu_print_env();
	printf("# bench_commit: %u seeded records in %d areas; %zu govfed commits, "
	       "%zu git commits (90%% updates, 10%% new items); dir %s\n",
	       o.seed_items, BU_NAREAS, o.n, o.git ? o.git_n : 0, dir);
	fflush(stdout);

	seed = calloc(o.seed_items, sizeof(*seed));
	if (seed == NULL)
		bu_die("out of memory");
	for (unsigned i = 0; i < o.seed_items; i++)
		bu_catalog_record(&seed[i], i % BU_NAREAS, i, 1);
	bu_workload_make(&w, o.n > o.git_n ? o.n : o.git_n, o.seed_items, 10, 42);
	{
		/* govfed times its first o.n changes, git its first o.git_n */
		bu_workload gw = w;
		gw.n = o.n;
		if (o.fsync_off)
			gv_off = run_govfed(dir, 0, seed, &o, &gw);
		if (o.fsync_on)
			gv_on = run_govfed(dir, STORE_OPEN_FSYNC, seed, &o, &gw);
	}
	if (o.git && o.git_n > 0) {
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
		setenv("GIT_AUTHOR_NAME", "Bench", 1);
		setenv("GIT_AUTHOR_EMAIL", "bench@govfed.invalid", 1);
		setenv("GIT_COMMITTER_NAME", "Bench", 1);
		setenv("GIT_COMMITTER_EMAIL", "bench@govfed.invalid", 1);
		write_keyfile(dir, keyfile, sizeof(keyfile));
		if (o.fsync_off)
			git_off = run_git(dir, 0, seed, &o, &w, keyfile);
		if (o.fsync_on)
			git_on = run_git(dir, 1, seed, &o, &w, keyfile);
		if (gv_off > 0 && git_off > 0)
			printf("ratio   fsync=off govfed/git  %6.1fx\n", gv_off / git_off);
		if (gv_on > 0 && git_on > 0)
			printf("ratio   fsync=on  govfed/git  %6.1fx  (git with "
			       "core.fsync=all)\n", gv_on / git_on);
	}
	for (unsigned i = 0; i < o.seed_items; i++)
		free(seed[i].data);
	free(seed);
	bu_workload_free(&w);
	store_global_shutdown();
	return 0;
}
