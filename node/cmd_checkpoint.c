/*
 * cmd_checkpoint.c — govfed checkpoint: cut, show and list the signed
 * checkpoints of a node's store (store/checkpoint.h; the format is in
 * protocol/README.md, "Checkpoints and the HTTP feed").
 */
#include "cli.h"
#include "checkpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed checkpoint cut  --home DIR [--json]\n"
	"       govfed checkpoint show --home DIR [--seq N] [--json]\n"
	"       govfed checkpoint list --home DIR [--json]\n"
	"\n"
	"cut   cuts a checkpoint of every history this node holds (its own\n"
	"      included), signed with node.key, as refs/checkpoints/<seq>: a\n"
	"      consistent cut, in which a head whose references (a derived\n"
	"      item's upstream commit, a task's 'from', a report's task, a\n"
	"      document's 'interprets' and successor) do not resolve inside the\n"
	"      cut is held back at its head in the previous checkpoint, or left\n"
	"      out if it never entered one. Nothing is written when no head\n"
	"      changed. The daemon (node run) cuts by itself; this is for an\n"
	"      operator or a script.\n"
	"show  prints checkpoint N (default: the latest). With --json, its\n"
	"      stored bytes exactly, so that its SHA-256 can be checked.\n"
	"list  lists every checkpoint: seq, time, heads, hash.\n"
	"\n"
	"Exit 0 ok, 1 no such checkpoint, 2 usage, 3 a store that cannot be\n"
	"read or written.\n";

static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* ---- cut ------------------------------------------------------------------ */

static int cut(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL;
	int idx, c, json = 0, rc;
	node_home h;
	store_cp_cut res;

	while ((c = cli_getopt("checkpoint cut", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: json = 1; break;
		case 2: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("checkpoint cut", "--home is required");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	rc = store_checkpoint_cut(h.st, h.sk, NULL, 0, &res);
	if (rc != 0) {
		cli_err("cannot cut a checkpoint in '%s': %s", home, store_errmsg());
		rc = rc == STORE_EKEY ? EXIT_RUNTIME : cli_exit_for(rc);
		goto done;
	}
	if (json) {
		json_t *o = json_object(), *held = json_array();
		for (size_t i = 0; i < res.nheld; i++) {
			const store_cp_held *x = &res.held[i];
			json_array_append_new(
			        held, json_pack("{s:s,s:s,s:s?,s:s}", "node", x->node,
			                        "head", x->commit, "in_cut",
			                        x->in_cut[0] ? x->in_cut : NULL,
			                        "reason", x->reason));
		}
		json_object_set_new(o, "seq", json_integer((json_int_t)res.seq));
		json_object_set_new(o, "unchanged", json_boolean(res.unchanged));
		json_object_set_new(o, "heads", json_integer((json_int_t)res.nheads));
		json_object_set_new(o, "hash", res.hash[0] ? json_string(res.hash)
		                                          : json_null());
		json_object_set_new(o, "held_back", held);
		print_json(o);
		json_decref(o);
	} else {
		if (res.unchanged && res.seq == 0)
			printf("nothing to cut: no head can enter a checkpoint yet\n");
		else if (res.unchanged)
			printf("unchanged: checkpoint %" PRIu64 " holds the same %zu "
			       "heads (sha256 %s)\n", res.seq, res.nheads, res.hash);
		else
			printf("checkpoint %" PRIu64 ": %zu heads, sha256 %s\n",
			       res.seq, res.nheads, res.hash);
		for (size_t i = 0; i < res.nheld; i++) {
			const store_cp_held *x = &res.held[i];
			if (x->in_cut[0])
				printf("held back: %s at %.12s, not its head %.12s: %s\n",
				       x->node, x->in_cut, x->commit, x->reason);
			else
				printf("left out: %s (head %.12s): %s\n", x->node,
				       x->commit, x->reason);
		}
	}
	rc = EXIT_OK;
done:
	store_cp_cut_clear(&res);
	home_close(&h);
	return rc;
}

/* ---- show ------------------------------------------------------------------ */

static int parse_seq(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9' || strlen(s) > 10)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < 1 || v > STORE_CHECKPOINT_SEQ_MAX)
		return -1;
	*out = v;
	return 0;
}

static void show_text(const store_checkpoint *cp, const char *sigline)
{
	char t[21], f[KEYS_FINGERPRINT_MAX];

	keys_time_format(t, cp->time);
	keys_public_fingerprint(f, &cp->key);
	printf("checkpoint %" PRIu64 " of %s, cut %s\n", cp->seq, cp->node, t);
	printf("hash       %s\n", cp->hash);
	printf("prev       %s\n", cp->prev[0] ? cp->prev : "(none: the first)");
	printf("key        %s\n", f);
	printf("signature  %s\n", sigline);
	printf("heads      %zu\n", cp->nheads);
	for (size_t i = 0; i < cp->nheads; i++) {
		const store_cp_head *h = &cp->heads[i];
		char ht[21], st[21];
		keys_time_format(ht, h->time);
		keys_time_format(st, h->seen);
		printf("  %-12s %-9s %.12s  height %-6" PRIu64 " %s  seen %s%s\n",
		       h->node, store_level_name(h->level), h->commit, h->height, ht,
		       st, h->stale ? "  STALE" : "");
	}
}

static int show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "seq", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *seqs = NULL;
	char *bytes = NULL, *prev = NULL, why[512];
	size_t len = 0, plen = 0;
	uint64_t seq = 0, got = 0;
	int idx, c, json = 0, rc;
	node_home h;
	store_checkpoint cp;
	store_identity me;

	while ((c = cli_getopt("checkpoint show", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: seqs = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("checkpoint show", "--home is required");
	if (seqs && parse_seq(seqs, &seq) != 0)
		return cli_usage("checkpoint show",
		                 "--seq '%s' is not a checkpoint number (1 to "
		                 "9999999999)", seqs);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	rc = store_checkpoint_read(h.st, seq, &bytes, &len, &got);
	if (rc == STORE_ENOTFOUND) {
		if (seq)
			cli_err("there is no checkpoint %" PRIu64 " in '%s'; "
			        "'govfed checkpoint list' shows them", seq, home);
		else
			cli_err("'%s' has no checkpoint yet; cut one with 'govfed "
			        "checkpoint cut'", home);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read checkpoint %" PRIu64 " in '%s': %s", seq, home,
		        store_errmsg());
		rc = EXIT_RUNTIME;
		goto done;
	}
	if (json) {
		fwrite(bytes, 1, len, stdout);
		rc = EXIT_OK;
		goto done;
	}
	if (store_checkpoint_parse(&cp, bytes, len, why, sizeof(why)) != 0) {
		cli_err("checkpoint %" PRIu64 " in '%s' is damaged: %s; run "
		        "'govfed verify'", got, home, why);
		rc = EXIT_RUNTIME;
		goto done;
	}
	/* the signature, against this node's key and the predecessor */
	if (got > 1 && store_checkpoint_read(h.st, got - 1, &prev, &plen,
	                                     NULL) != 0) {
		snprintf(why, sizeof(why), "checkpoint %" PRIu64 " is missing",
		         got - 1);
		show_text(&cp, why);
	} else if (store_identity_get(h.st, NULL, &me) != 0) {
		show_text(&cp, "unknown (no own history)");
	} else if (store_checkpoint_check(bytes, len, &me.key, prev, plen, why,
	                                  sizeof(why)) != 0) {
		char line[600];
		snprintf(line, sizeof(line), "FAILED: %s", why);
		show_text(&cp, line);
	} else {
		show_text(&cp, "ok (this node's key; follows its predecessor)");
	}
	store_checkpoint_clear(&cp);
	rc = EXIT_OK;
done:
	free(bytes);
	free(prev);
	home_close(&h);
	return rc;
}

/* ---- list ------------------------------------------------------------------ */

static int list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL;
	char why[512];
	uint64_t latest = 0;
	int idx, c, json = 0, rc;
	node_home h;
	json_t *arr = NULL;

	while ((c = cli_getopt("checkpoint list", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: json = 1; break;
		case 2: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("checkpoint list", "--home is required");
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	rc = store_checkpoint_latest(h.st, &latest);
	if (rc != 0) {
		cli_err("cannot list the checkpoints in '%s': %s", home,
		        store_errmsg());
		rc = EXIT_RUNTIME;
		goto done;
	}
	arr = json_array();
	if (!json && latest == 0)
		fprintf(stderr, "no checkpoint yet; cut one with 'govfed "
		                "checkpoint cut'\n");
	for (uint64_t s = 1; s <= latest; s++) {
		char *bytes = NULL, t[21];
		size_t len;
		store_checkpoint cp;
		size_t stale = 0;

		rc = store_checkpoint_read(h.st, s, &bytes, &len, NULL);
		if (rc != 0) {
			cli_err("cannot read checkpoint %" PRIu64 " in '%s': %s; run "
			        "'govfed verify'", s, home, store_errmsg());
			rc = EXIT_RUNTIME;
			goto done;
		}
		rc = store_checkpoint_parse(&cp, bytes, len, why, sizeof(why));
		free(bytes);
		if (rc != 0) {
			cli_err("checkpoint %" PRIu64 " in '%s' is damaged: %s; run "
			        "'govfed verify'", s, home, why);
			rc = EXIT_RUNTIME;
			goto done;
		}
		for (size_t i = 0; i < cp.nheads; i++)
			stale += cp.heads[i].stale != 0;
		keys_time_format(t, cp.time);
		if (json)
			json_array_append_new(
			        arr, json_pack("{s:I,s:s,s:I,s:I,s:s,s:s?}", "seq",
			                       (json_int_t)cp.seq, "time", t, "heads",
			                       (json_int_t)cp.nheads, "stale",
			                       (json_int_t)stale, "hash", cp.hash,
			                       "prev", cp.prev[0] ? cp.prev : NULL));
		else
			printf("%10" PRIu64 "  %s  %4zu heads  %3zu stale  %.16s\n",
			       cp.seq, t, cp.nheads, stale, cp.hash);
		store_checkpoint_clear(&cp);
	}
	if (json)
		print_json(arr);
	rc = EXIT_OK;
done:
	json_decref(arr);
	home_close(&h);
	return rc;
}

int cmd_checkpoint(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "cut", cut },
		{ "show", show },
		{ "list", list },
	};

	return cli_dispatch("checkpoint", usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}
