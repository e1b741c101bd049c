/* cmd_log.c — govfed log: a node's history, newest first. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed log --home DIR [--node ID] [--max N] [--json]\n"
	"\n"
	"Lists a history (this node's, or a held node's with --node), newest\n"
	"first: commit, time, the key that signed it and the subject. The\n"
	"signature is checked; the key's chain is not (that is govfed verify).\n";

typedef struct log_ctx {
	int json;
	json_t *arr;
} log_ctx;

static int entry(void *ctx, const store_log_entry *e)
{
	log_ctx *lc = ctx;
	char t[21], fp[KEYS_FINGERPRINT_MAX] = "unsigned or bad signature";

	keys_time_format(t, e->time);
	if (e->sig_ok)
		keys_public_fingerprint(fp, &e->signer);
	if (lc->json)
		json_array_append_new(lc->arr,
		                      json_pack("{s:s,s:s,s:b,s:s,s:s}", "commit",
		                                e->commit, "time", t, "signature_ok",
		                                e->sig_ok, "signer", fp, "subject",
		                                e->subject));
	else
		printf("%.12s  %s  %s  %s\n", e->commit, t, fp, e->subject);
	return 0;
}

int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "max", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *node = NULL;
	log_ctx lc = { 0, NULL };
	long max = 0;
	int idx, c, rc;
	node_home h;
	char *end;

	while ((c = cli_getopt("log", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: node = optarg; break;
		case 2:
			max = strtol(optarg, &end, 10);
			if (*end != '\0' || max < 1 || max > 100000000)
				return cli_usage("log", "--max '%s' must be a positive "
				                        "number", optarg);
			break;
		case 3: lc.json = 1; break;
		case 4: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("log", "--home is required");
	if (node && !store_id_valid(node))
		return cli_usage("log", "--node '%s' is not a division code", node);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	lc.arr = json_array();
	rc = store_log(h.st, node, (size_t)max, entry, &lc);
	if (rc != 0) {
		cli_err("%s", store_errmsg());
		rc = cli_exit_for(rc);
	} else if (lc.json) {
		char *s = json_dumps(lc.arr, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	}
	json_decref(lc.arr);
	home_close(&h);
	return rc;
}
