/*
 * bench_verify — verifying a history, three ways.
 *
 * A province store enrolls a city; the city's store imports the
 * province's history (store_pack_build + store_import, so it holds
 * refs/nodes/<province> and the certificate chain is exercised), then
 * writes N commits of its own (store_commit, one catalog record each).
 * Two such histories are built: "bulk", stamped by the real clock as fast
 * as store_commit goes (so many commits share a second, as in any batch
 * import), and "spaced", one commit per second (through GOVFED_NOW), as a
 * history written over time. The commit times matter: libgit2's
 * git_graph_descendant_of, which store_verify runs for every reflog
 * entry, walks to the root when parent and child share a second.
 * Timed, in one run:
 *   (a) store_verify over the city's store (every history, every rule),
 *       for each history kind;
 *   (b) the signatures alone, extracted beforehand with
 *       git_commit_extract_signature: keys_sshsig_dearmor +
 *       keys_sshsig_verify (SSHSIG parse, SHA-512 of the commit, Ed25519),
 *       and bare crypto_sign_verify_detached over the prepared 95-byte
 *       SSHSIG messages;
 *   (c) stock git: `git -c gpg.ssh.allowedSignersFile=F verify-commit`
 *       per commit (two ssh-keygen runs each), F from
 *       store_allowed_signers.
 * (b) and (c) use the bulk history (the signatures do not depend on the
 * times). Ratios are printed for both history kinds.
 *
 * Prints figures; not a pass/fail test.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVINCE_ID "350000"
#define CITY_ID "350100"

typedef struct opts {
	size_t n;
	size_t git_sample; /* 0 = every commit */
	unsigned repeat;
	int git;
	int bulk, spaced;  /* which histories to build */
} opts;

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_verify [-n N] [--git-sample N] [--repeat R] "
	        "[--no-git]\n"
	        "                    [--history bulk|spaced|both]\n"
	        "  -n N            city commits to build and verify (default 2000)\n"
	        "  --git-sample N  time git verify-commit on N evenly spread\n"
	        "                  commits and extrapolate (default: all)\n"
	        "  --repeat R      in-process timings: best of R (default 3)\n"
	        "  --history bulk|spaced|both\n"
	        "                  bulk: commits stamped by the real clock, as\n"
	        "                  fast as store_commit goes (many share a second);\n"
	        "                  spaced: one commit per second (GOVFED_NOW), as\n"
	        "                  a history written over time (default both)\n");
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

static void identity(store_identity *id, const char *nid, store_level l,
                     const char *name, const char *parent,
                     const keys_public *key)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->id, sizeof(id->id), "%s", nid);
	id->level = l;
	snprintf(id->name, sizeof(id->name), "%s", name);
	snprintf(id->parent, sizeof(id->parent), "%s", parent);
	id->key = *key;
}

/* One signature as extracted from a commit. */
typedef struct sigrec {
	char *armor;
	size_t armorlen;
	char *data;
	size_t datalen;
	/* prepared for bare Ed25519 */
	unsigned char tbs[128];
	size_t tbslen;
	unsigned char sig[64];
	unsigned char pk[32];
	char hex[STORE_OID_HEX];
} sigrec;

static void put_string(unsigned char *b, size_t *o, const void *s, size_t n)
{
	b[(*o)++] = (unsigned char)(n >> 24);
	b[(*o)++] = (unsigned char)(n >> 16);
	b[(*o)++] = (unsigned char)(n >> 8);
	b[(*o)++] = (unsigned char)n;
	memcpy(b + *o, s, n);
	*o += n;
}

/* The SSHSIG blob layout for Ed25519, namespace "git" (173 bytes):
 * pk at 10+4+4+11+4 = 33, signature at 86+4+4+11+4 = 109. */
static void prepare(sigrec *s)
{
	unsigned char raw[KEYS_SSHSIG_MAX], h[crypto_hash_sha512_BYTES];
	size_t rawlen, o = 0;

	if (keys_sshsig_dearmor(raw, sizeof(raw), &rawlen, s->armor,
	                        s->armorlen) != 0 || rawlen != 173 ||
	    memcmp(raw, "SSHSIG", 6) != 0 || memcmp(raw + 80, "sha512", 6) != 0)
		bu_die("commit %s: unexpected SSHSIG layout", s->hex);
	memcpy(s->pk, raw + 33, 32);
	memcpy(s->sig, raw + 109, 64);
	crypto_hash_sha512(h, (const unsigned char *)s->data, s->datalen);
	memcpy(s->tbs, "SSHSIG", 6);
	o = 6;
	put_string(s->tbs, &o, "git", 3);
	put_string(s->tbs, &o, "", 0);
	put_string(s->tbs, &o, "sha512", 6);
	put_string(s->tbs, &o, h, sizeof(h));
	s->tbslen = o;
	if (crypto_sign_verify_detached(s->sig, s->tbs, s->tbslen, s->pk) != 0)
		bu_die("commit %s: prepared message does not verify", s->hex);
}

static sigrec *extract_all(store *st, size_t *n)
{
	git_revwalk *w = NULL;
	git_oid id;
	sigrec *v = NULL;
	size_t len = 0, cap = 0;

	if (git_revwalk_new(&w, st->repo) != 0 ||
	    git_revwalk_push_ref(w, STORE_REF_OWN) != 0)
		bu_die("revwalk failed");
	git_revwalk_simplify_first_parent(w);
	while (git_revwalk_next(&id, w) == 0) {
		git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
		sigrec *s;

		if (len == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (v == NULL)
				bu_die("out of memory");
		}
		s = &v[len++];
		memset(s, 0, sizeof(*s));
		git_oid_tostr(s->hex, sizeof(s->hex), &id);
		if (git_commit_extract_signature(&sig, &data, st->repo, &id, NULL))
			bu_die("commit %s has no signature", s->hex);
		s->armor = malloc(sig.size + 1);
		s->data = malloc(data.size + 1);
		if (s->armor == NULL || s->data == NULL)
			bu_die("out of memory");
		memcpy(s->armor, sig.ptr, sig.size);
		s->armorlen = sig.size;
		memcpy(s->data, data.ptr, data.size);
		s->datalen = data.size;
		git_buf_dispose(&sig);
		git_buf_dispose(&data);
		prepare(s);
	}
	git_revwalk_free(w);
	*n = len;
	return v;
}

static int count_log(void *ctx, const store_log_entry *e)
{
	size_t *ok = ctx;

	if (e->sig_ok)
		(*ok)++;
	return 0;
}

/* A province, a city enrolled by it, and the city's store holding the
 * province's history and n commits of the city's own. */
typedef struct city {
	char dir[512];     /* the city's store */
	keys_secret *psk;  /* the province's (root) key */
	size_t commits;    /* the city's own, genesis included */
} city;

static void set_clock(int spaced, int64_t *t)
{
	char v[32];

	if (!spaced)
		return;
	snprintf(v, sizeof(v), "%lld", (long long)(*t)++);
	setenv("GOVFED_NOW", v, 1);
}

static void build_city(city *c, const char *dir, const char *tag, size_t n,
                       int spaced)
{
	char pdir[600], out[STORE_OID_HEX], head[STORE_OID_HEX];
	char msg[STORE_PATH_MAX + 32];
	keys_secret *csk = NULL;
	store *prov = NULL, *cs = NULL;
	store_identity pid, cid;
	store_import_result res;
	store_buf pack;
	bu_workload w;
	/* spaced: one commit per second, ending about now */
	int64_t clock = store_now() - (int64_t)n - 60;
	double t0, t;

	memset(c, 0, sizeof(*c));
	if (keys_secret_generate(&c->psk) != 0 ||
	    keys_secret_generate(&csk) != 0)
		bu_die("keys_secret_generate failed");
	snprintf(pdir, sizeof(pdir), "%s/province-%s.git", dir, tag);
	snprintf(c->dir, sizeof(c->dir), "%s/city-%s.git", dir, tag);
	bu_check(store_create(&prov, pdir, 0), "store_create province");
	store_set_root(prov, keys_secret_public(c->psk));
	identity(&pid, PROVINCE_ID, STORE_LEVEL_PROVINCE, "福建省", "",
	         keys_secret_public(c->psk));
	set_clock(spaced, &clock);
	bu_check(store_genesis(prov, c->psk, &pid, out), "province genesis");
	identity(&cid, CITY_ID, STORE_LEVEL_CITY, "福州市", PROVINCE_ID,
	         keys_secret_public(csk));
	set_clock(spaced, &clock);
	bu_check(store_enroll(prov, c->psk, &cid, keys_secret_public(csk),
	                      clock - 86400, 0, 0, out),
	         "store_enroll");

	/* the city's store holds the province's history first */
	bu_check(store_create(&cs, c->dir, 0), "store_create city");
	store_set_root(cs, keys_secret_public(c->psk));
	bu_check(store_pack_build(prov, NULL, NULL, &pack, head),
	         "store_pack_build");
	bu_check(store_import(cs, keys_secret_public(c->psk), PROVINCE_ID, head,
	                      pack.ptr, pack.len, &res),
	         "store_import");
	store_buf_free(&pack);
	set_clock(spaced, &clock);
	bu_check(store_genesis(cs, csk, &cid, out), "city genesis");

	bu_workload_make(&w, n, 0, 10, 7);
	t0 = bu_now();
	for (size_t i = 0; i < w.n; i++) {
		store_change c1 = { w.rec[i].path, w.rec[i].data, w.rec[i].len };
		snprintf(msg, sizeof(msg), "catalog: %s", w.rec[i].path);
		set_clock(spaced, &clock);
		bu_check(store_commit(cs, csk, &c1, 1, msg, out), "store_commit");
	}
	t = bu_now() - t0;
	unsetenv("GOVFED_NOW");
	printf("#   build history=%-6s %zu city commits (%u items) in %.2f s, "
	       "%.1f commits/s (fsync off, chain checked)\n", tag, w.n, w.items,
	       t, (double)w.n / t);
	fflush(stdout);
	c->commits = n + 1;
	/* the CLI and the daemon pack loose objects as they go
	 * (store_maintain); a store of this size would be packed */
	{
		size_t packed = 0;
		bu_check(store_maintain(cs, 1, &packed), "store_maintain");
		printf("#   packed %zu loose objects\n", packed);
	}
	bu_workload_free(&w);
	store_free(prov);
	store_free(cs);
	keys_secret_free(csk);
}

/* (a) store_verify over the whole store, best of `repeat`. */
static double time_verify(const city *c, const char *tag, unsigned repeat)
{
	store *st = NULL;
	size_t vcommits = 0;
	double best = 1e30, t0, t;

	bu_check(store_open(&st, c->dir, 0), "store_open city");
	store_set_root(st, keys_secret_public(c->psk));
	for (unsigned r = 0; r < repeat; r++) {
		store_report rep;
		size_t n = 0;
		t0 = bu_now();
		bu_check(store_verify(st, keys_secret_public(c->psk), &rep, NULL,
		                      NULL),
		         "store_verify");
		t = bu_now() - t0;
		for (size_t i = 0; i < rep.n; i++)
			n += rep.nodes[i].commits;
		if (rep.problems != 0) {
			for (size_t i = 0; i < rep.n; i++)
				for (size_t j = 0; j < rep.nodes[i].nproblems; j++)
					fprintf(stderr, "  %s %s: %s\n", rep.nodes[i].id,
					        rep.nodes[i].problems[j].commit,
					        rep.nodes[i].problems[j].reason);
			bu_die("store_verify found %zu problems", rep.problems);
		}
		store_report_free(&rep);
		vcommits = n;
		if (t < best)
			best = t;
	}
	printf("verify  history=%-6s govfed store_verify            %9.1f "
	       "commits/s  (%zu commits in 2 histories, %.3f s, best of %u)\n",
	       tag, (double)vcommits / best, vcommits, best, repeat);
	fflush(stdout);
	store_free(st);
	return (double)vcommits / best;
}

/* A diagnostic: the library's signature-only walk (store_log). */
static void time_log(const city *c, const char *tag, unsigned repeat)
{
	store *st = NULL;
	size_t ok = 0;
	double best = 1e30, t0, t;

	bu_check(store_open(&st, c->dir, 0), "store_open city");
	for (unsigned r = 0; r < repeat; r++) {
		ok = 0;
		t0 = bu_now();
		bu_check(store_log(st, NULL, 0, count_log, &ok), "store_log");
		t = bu_now() - t0;
		if (t < best)
			best = t;
	}
	if (ok != c->commits)
		bu_die("store_log: %zu of %zu signatures good", ok, c->commits);
	printf("#   history=%-6s govfed store_log (lookup + extract + verify, "
	       "no rules) %.1f commits/s  (%zu commits, %.3f s)\n",
	       tag, (double)ok / best, ok, best);
	store_free(st);
}

int main(int argc, char **argv)
{
	opts o = { 2000, 0, 3, 1, 1, 1 };
	const char *dir, *tag;
	char asfile[600];
	city bulk, spaced, *main_city;
	store *st = NULL;
	sigrec *sigs;
	size_t nsigs;
	double t0, t, best, rate_bulk = 0, rate_spaced = 0, rate_verify;
	double rate_sshsig, rate_ed, rate_git = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-n") == 0 && i + 1 < argc)
			o.n = num_arg(argv[++i]);
		else if (strcmp(a, "--git-sample") == 0 && i + 1 < argc)
			o.git_sample = num_arg(argv[++i]);
		else if (strcmp(a, "--repeat") == 0 && i + 1 < argc)
			o.repeat = (unsigned)num_arg(argv[++i]);
		else if (strcmp(a, "--no-git") == 0)
			o.git = 0;
		else if (strcmp(a, "--history") == 0 && i + 1 < argc) {
			const char *m = argv[++i];
			o.bulk = strcmp(m, "bulk") == 0 || strcmp(m, "both") == 0;
			o.spaced = strcmp(m, "spaced") == 0 || strcmp(m, "both") == 0;
			if (!o.bulk && !o.spaced)
				usage();
		} else
			usage();
	}
	if (o.repeat == 0)
		o.repeat = 1;
	bu_check(store_global_init(), "store_global_init");
	dir = bu_tmpdir("verify");
	bu_print_env();
	printf("# bench_verify: province %s enrolls city %s; the city store "
	       "holds the province's history and %zu city commits; dir %s\n",
	       PROVINCE_ID, CITY_ID, o.n, dir);
	fflush(stdout);

	memset(&bulk, 0, sizeof(bulk));
	memset(&spaced, 0, sizeof(spaced));
	if (o.bulk) {
		build_city(&bulk, dir, "bulk", o.n, 0);
		rate_bulk = time_verify(&bulk, "bulk", o.repeat);
		time_log(&bulk, "bulk", o.repeat);
	}
	if (o.spaced) {
		build_city(&spaced, dir, "spaced", o.n, 1);
		rate_spaced = time_verify(&spaced, "spaced", o.repeat);
		time_log(&spaced, "spaced", o.repeat);
	}
	/* signatures and git: on the bulk history when there is one (the
	 * signatures do not depend on the commit times) */
	main_city = o.bulk ? &bulk : &spaced;
	tag = o.bulk ? "bulk" : "spaced";
	rate_verify = o.bulk ? rate_bulk : rate_spaced;

	/* (b) the signatures alone */
	bu_check(store_open(&st, main_city->dir, 0), "store_open city");
	sigs = extract_all(st, &nsigs);
	best = 1e30;
	for (unsigned r = 0; r < o.repeat; r++) {
		t0 = bu_now();
		for (size_t i = 0; i < nsigs; i++) {
			unsigned char raw[KEYS_SSHSIG_MAX];
			size_t rawlen;
			keys_public signer;
			if (keys_sshsig_dearmor(raw, sizeof(raw), &rawlen,
			                        sigs[i].armor, sigs[i].armorlen) != 0 ||
			    keys_sshsig_verify(&signer, raw, rawlen, "git", sigs[i].data,
			                       sigs[i].datalen) != 0)
				bu_die("commit %s: signature does not verify",
				       sigs[i].hex);
		}
		t = bu_now() - t0;
		if (t < best)
			best = t;
	}
	rate_sshsig = (double)nsigs / best;
	printf("verify  raw keys_sshsig_dearmor+verify          %9.1f commits/s  "
	       "(%zu signatures, %.3f s, best of %u)\n",
	       rate_sshsig, nsigs, best, o.repeat);
	best = 1e30;
	for (unsigned r = 0; r < o.repeat; r++) {
		t0 = bu_now();
		for (size_t i = 0; i < nsigs; i++)
			if (crypto_sign_verify_detached(sigs[i].sig, sigs[i].tbs,
			                                sigs[i].tbslen, sigs[i].pk) != 0)
				bu_die("commit %s: Ed25519 fails", sigs[i].hex);
		t = bu_now() - t0;
		if (t < best)
			best = t;
	}
	rate_ed = (double)nsigs / best;
	printf("verify  raw crypto_sign_verify_detached         %9.1f commits/s  "
	       "(%zu signatures, %.3f s, best of %u)\n",
	       rate_ed, nsigs, best, o.repeat);
	fflush(stdout);

	/* (c) stock git */
	if (o.git) {
		char *signers = NULL, asopt[700];
		size_t sample = o.git_sample && o.git_sample < nsigs ? o.git_sample
		                                                     : nsigs;
		size_t bad = 0;
		FILE *f;

		bu_check(store_allowed_signers(st, keys_secret_public(main_city->psk),
		                               &signers),
		         "store_allowed_signers");
		snprintf(asfile, sizeof(asfile), "%s/allowed_signers", dir);
		f = fopen(asfile, "w");
		if (f == NULL || fputs(signers, f) < 0 || fclose(f) != 0)
			bu_die("cannot write %s", asfile);
		free(signers);
		setenv("GIT_DIR", main_city->dir, 1);
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
		snprintf(asopt, sizeof(asopt), "gpg.ssh.allowedSignersFile=%s",
		         asfile);
		t0 = bu_now();
		for (size_t k = 0; k < sample; k++) {
			size_t i = sample == nsigs ? k : k * nsigs / sample;
			char *a[] = { "git", "-c", asopt, "verify-commit", sigs[i].hex,
				      NULL };
			if (bu_run(a, NULL, 0, NULL, 0, 1) != 0)
				bad++;
		}
		t = bu_now() - t0;
		if (bad != 0)
			bu_die("git verify-commit refused %zu of %zu commits", bad,
			       sample);
		rate_git = (double)sample / t;
		printf("verify  git verify-commit                       %9.1f "
		       "commits/s  (%zu commits, %.2f s%s)\n",
		       rate_git, sample, t,
		       sample == nsigs ? "" : "; a sample, extrapolated");
		if (sample != nsigs)
			printf("#   extrapolated: %.1f s for all %zu commits\n",
			       t * (double)nsigs / (double)sample, nsigs);
		unsetenv("GIT_DIR");
	}

	if (rate_git > 0) {
		printf("ratio   history=%-6s govfed/git              %9.1fx  "
		       "(goal >= 50x: %s)\n", tag, rate_verify / rate_git,
		       rate_verify / rate_git >= 50 ? "met" : "NOT met");
		if (o.bulk && o.spaced)
			printf("ratio   history=%-6s govfed/git              %9.1fx  "
			       "(goal >= 50x: %s)\n", "spaced", rate_spaced / rate_git,
			       rate_spaced / rate_git >= 50 ? "met" : "NOT met");
	}
	printf("ratio   history=%-6s govfed/raw-sshsig       %9.2f   (goal >= "
	       "0.33: %s)\n", tag, rate_verify / rate_sshsig,
	       rate_verify / rate_sshsig >= 0.33 ? "met" : "NOT met");
	if (o.bulk && o.spaced)
		printf("ratio   history=%-6s govfed/raw-sshsig       %9.2f   (goal "
		       ">= 0.33: %s)\n", "spaced", rate_spaced / rate_sshsig,
		       rate_spaced / rate_sshsig >= 0.33 ? "met" : "NOT met");
	printf("ratio   history=%-6s govfed/raw-ed25519      %9.2f   (bare "
	       "Ed25519; goal >= 0.33: %s)\n", tag, rate_verify / rate_ed,
	       rate_verify / rate_ed >= 0.33 ? "met" : "NOT met");
	if (o.bulk && o.spaced)
		printf("ratio   history=%-6s govfed/raw-ed25519      %9.2f   (bare "
		       "Ed25519; goal >= 0.33: %s)\n", "spaced",
		       rate_spaced / rate_ed,
		       rate_spaced / rate_ed >= 0.33 ? "met" : "NOT met");

	for (size_t i = 0; i < nsigs; i++) {
		free(sigs[i].armor);
		free(sigs[i].data);
	}
	free(sigs);
	store_free(st);
	keys_secret_free(bulk.psk);
	keys_secret_free(spaced.psk);
	store_global_shutdown();
	return 0;
}
