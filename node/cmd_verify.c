/* cmd_verify.c — govfed verify: the auditor's walk of a store. */
#include "cli.h"
#include "checkpoint.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed verify --store DIR/store.git --root-key FILE [--json]\n"
	"\n"
	"Walks every history in the store (the node's own and every replica)\n"
	"from its first commit, using nothing but the store and the root key:\n"
	"signatures, the certificate chain at each commit, revocations, key\n"
	"rotations, continuity, record rules, forks kept as evidence and the\n"
	"reflog of every history. Prints a report per node.\n"
	"When the store holds checkpoints (refs/checkpoints/), their chain is\n"
	"checked too: each signed by the node that cut them (the province: the\n"
	"root key), each naming its predecessor's hash, no node dropped, no\n"
	"head rolled back, every head a commit of its node's history.\n"
	"\n"
	"Exit 0 when everything holds, 1 on any problem, 3 if the store cannot\n"
	"be read at all.\n";

static void progress(void *ctx, const char *node, size_t done, size_t total)
{
	(void)ctx;
	fprintf(stderr, "\rverifying %s: %zu/%zu commits", node, done, total);
	if (done == total)
		fputc('\n', stderr);
}

/* What the checkpoint chain walk found. */
typedef struct cp_report {
	int present;      /* the store holds checkpoints */
	uint64_t latest;
	size_t checked;
	int ok;
	char why[512];
} cp_report;

static void print_text(const store_report *r, const cp_report *cp)
{
	size_t commits = 0;

	for (size_t i = 0; i < r->n; i++) {
		const store_node_report *n = &r->nodes[i];
		char a[21] = "-", b[21] = "-";

		commits += n->commits;
		if (n->commits) {
			keys_time_format(a, n->first_time);
			keys_time_format(b, n->last_time);
		}
		printf("%-12s %-22s %6zu commits  %s .. %s  %s\n", n->id,
		       n->own ? "(own) refs/heads/main" : n->ref, n->commits, a, b,
		       n->nproblems ? "FAILED" : "ok");
		for (size_t j = 0; j < n->nproblems; j++) {
			if (n->problems[j].commit[0])
				printf("  commit %.12s: %s\n", n->problems[j].commit,
				       n->problems[j].reason);
			else
				printf("  %s\n", n->problems[j].reason);
		}
		if (n->problems_dropped)
			printf("  ... and %zu more problems\n", n->problems_dropped);
	}
	if (cp->present && cp->ok)
		printf("checkpoints: %zu, chain ok (latest %" PRIu64 ")\n",
		       cp->checked, cp->latest);
	else if (cp->present)
		printf("checkpoints: FAILED after %zu: %s\n", cp->checked,
		       cp->why);
	printf("%s: %zu histories, %zu commits, %zu problem%s%s\n",
	       r->problems || !cp->ok ? "FAILED" : "verified", r->n, commits,
	       r->problems, r->problems == 1 ? "" : "s",
	       cp->ok ? "" : ", checkpoint chain broken");
}

static void print_json(const store_report *r, const cp_report *cp)
{
	json_t *o = json_object(), *nodes = json_array();
	size_t commits = 0;
	char *s;

	for (size_t i = 0; i < r->n; i++) {
		const store_node_report *n = &r->nodes[i];
		json_t *p = json_array(), *x;
		char a[21], b[21];

		commits += n->commits;
		for (size_t j = 0; j < n->nproblems; j++)
			json_array_append_new(
			        p, json_pack("{s:s?,s:s}", "commit",
			                     n->problems[j].commit[0]
			                             ? n->problems[j].commit
			                             : NULL,
			                     "reason", n->problems[j].reason));
		x = json_pack("{s:s,s:s,s:s,s:b,s:I,s:o,s:I,s:b}", "node", n->id,
		              "ref", n->ref, "head", n->head, "own", n->own,
		              "commits", (json_int_t)n->commits, "problems", p,
		              "problems_dropped", (json_int_t)n->problems_dropped,
		              "ok", n->nproblems == 0);
		if (n->commits) {
			keys_time_format(a, n->first_time);
			keys_time_format(b, n->last_time);
			json_object_set_new(x, "first_time", json_string(a));
			json_object_set_new(x, "last_time", json_string(b));
		}
		json_array_append_new(nodes, x);
	}
	json_object_set_new(o, "ok", json_boolean(r->problems == 0 && cp->ok));
	json_object_set_new(o, "histories", json_integer((json_int_t)r->n));
	json_object_set_new(o, "commits", json_integer((json_int_t)commits));
	json_object_set_new(o, "problems", json_integer((json_int_t)r->problems));
	json_object_set_new(o, "nodes", nodes);
	if (cp->present)
		json_object_set_new(
		        o, "checkpoints",
		        json_pack("{s:b,s:I,s:I,s:s?}", "ok", cp->ok, "latest",
		                  (json_int_t)cp->latest, "checked",
		                  (json_int_t)cp->checked, "problem",
		                  cp->ok ? NULL : cp->why));
	else
		json_object_set_new(o, "checkpoints", json_null());
	s = json_dumps(o, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(o);
}

/*
 * The checkpoint chain, when there is one. The key that signs it: the
 * root key for the province's checkpoints; another node's own key in
 * effect (which store_verify chains to the root). A rotated key is out of
 * scope (store/checkpoint.h). Returns 0 when the walk ran (cp says how it
 * went), or a store error when the store could not be read.
 */
static int verify_checkpoints(store *st, const keys_public *root,
                              cp_report *cp)
{
	store_identity me;
	const keys_public *key = root;
	int rc;

	memset(cp, 0, sizeof(*cp));
	cp->ok = 1;
	rc = store_checkpoint_latest(st, &cp->latest);
	if (rc != 0)
		return rc;
	if (store_identity_get(st, NULL, &me) == 0 &&
	    me.level != STORE_LEVEL_PROVINCE)
		key = &me.key;
	/* the walk lists every ref under refs/checkpoints/, so a stray one
	 * is found even when there is no checkpoint 1 */
	rc = store_checkpoint_verify_chain(st, key, &cp->checked, cp->why,
	                                   sizeof(cp->why));
	if (rc == STORE_EREJECT) {
		cp->present = 1;
		cp->ok = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	cp->present = cp->checked > 0;
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 0 },
		{ "root-key", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *rootf = NULL;
	char why[512];
	keys_public root;
	store_report r;
	cp_report cp;
	store *st = NULL;
	int idx, c, json = 0, rc;

	while ((c = cli_getopt("verify", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: path = optarg; break;
		case 1: rootf = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!path || !rootf)
		return cli_usage("verify", "--store and --root-key are required");
	if (keys_public_load(&root, rootf, why, sizeof(why)) != 0) {
		cli_err("--root-key: %s", why);
		return EXIT_USAGE;
	}
	rc = store_open(&st, path, 0);
	if (rc != 0) {
		cli_err("cannot open store '%s': %s", path, store_errmsg());
		return EXIT_RUNTIME;
	}
	rc = store_verify(st, &root, &r, cli_tty() ? progress : NULL, NULL);
	if (rc != 0) {
		store_free(st);
		cli_err("cannot verify '%s': %s", path, store_errmsg());
		return EXIT_RUNTIME;
	}
	rc = verify_checkpoints(st, &root, &cp);
	store_free(st);
	if (rc != 0) {
		store_report_free(&r);
		cli_err("cannot verify the checkpoints in '%s': %s", path,
		        store_errmsg());
		return EXIT_RUNTIME;
	}
	if (json)
		print_json(&r, &cp);
	else
		print_text(&r, &cp);
	rc = r.problems || !cp.ok ? EXIT_NO : EXIT_OK;
	if (r.n == 0) {
		cli_err("'%s' holds no history to verify", path);
		rc = EXIT_NO;
	}
	store_report_free(&r);
	return rc;
}
