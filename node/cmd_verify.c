/* cmd_verify.c — govfed verify: the auditor's walk of a store. */
#include "cli.h"

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

static void print_text(const store_report *r)
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
	printf("%s: %zu histories, %zu commits, %zu problem%s\n",
	       r->problems ? "FAILED" : "verified", r->n, commits, r->problems,
	       r->problems == 1 ? "" : "s");
}

static void print_json(const store_report *r)
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
	json_object_set_new(o, "ok", json_boolean(r->problems == 0));
	json_object_set_new(o, "histories", json_integer((json_int_t)r->n));
	json_object_set_new(o, "commits", json_integer((json_int_t)commits));
	json_object_set_new(o, "problems", json_integer((json_int_t)r->problems));
	json_object_set_new(o, "nodes", nodes);
	s = json_dumps(o, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(o);
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
	store_free(st);
	if (rc != 0) {
		cli_err("cannot verify '%s': %s", path, store_errmsg());
		return EXIT_RUNTIME;
	}
	if (json)
		print_json(&r);
	else
		print_text(&r);
	rc = r.problems ? EXIT_NO : EXIT_OK;
	if (r.n == 0) {
		cli_err("'%s' holds no history to verify", path);
		rc = EXIT_NO;
	}
	store_report_free(&r);
	return rc;
}
