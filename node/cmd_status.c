/* cmd_status.c — govfed status: what a node holds and how its links are,
 * whether or not its daemon runs. */
#define _GNU_SOURCE
#include "cli.h"
#include "daemon.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
	"usage: govfed status --home DIR [--json]\n"
	"\n"
	"Per held node: head, height, last update, lag behind what peers\n"
	"announced, fresh or stale; the link to the parent and the children;\n"
	"the last rejected updates with their reasons. Reads the store and the\n"
	"daemon's status.json; works whether or not the daemon runs.\n";

static json_t *node_entry(json_t *daemon_nodes, const char *id)
{
	size_t i;
	json_t *n;

	json_array_foreach(daemon_nodes, i, n)
		if (!strcmp(json_string_value(json_object_get(n, "id")) ?: "", id))
			return n;
	return NULL;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL;
	int idx, c, json = 0, rc, running = 0;
	char path[4200], t[21];
	store_head *heads = NULL;
	size_t n = 0;
	json_t *st = NULL, *out, *nodes;
	node_home h;

	while ((c = cli_getopt("status", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: json = 1; break;
		case 2: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("status", "--home is required");
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	rc = store_heads_list(h.st, &heads, &n);
	if (rc != 0) {
		cli_err("cannot read the store: %s", store_errmsg());
		home_close(&h);
		return cli_exit_for(rc);
	}
	home_path(&h, path, sizeof(path), DAEMON_STATUS_FILE);
	st = json_load_file(path, 0, NULL);
	if (st) {
		json_int_t pid = json_integer_value(json_object_get(st, "pid"));
		int64_t upd = 0;
		keys_time_parse(&upd, json_string_value(json_object_get(st, "updated")) ?: "");
		running = pid > 0 && kill((pid_t)pid, 0) == 0 &&
		          store_now() - upd <= 5;
	}
	out = json_object();
	json_object_set_new(out, "node", json_string(h.cfg.id));
	json_object_set_new(out, "name", json_string(h.cfg.name));
	json_object_set_new(out, "daemon", json_string(running ? "running"
	                                               : st   ? "not running"
	                                                      : "never ran"));
	if (st && json_object_get(st, "updated"))
		json_object_set(out, "daemon_updated", json_object_get(st, "updated"));
	nodes = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *e = st ? node_entry(json_object_get(st, "nodes"), heads[i].id)
		               : NULL;
		json_t *x = json_pack("{s:s,s:s,s:I,s:s}", "id", heads[i].id, "head",
		                      heads[i].commit, "height",
		                      (json_int_t)heads[i].height, "head_time",
		                      (keys_time_format(t, heads[i].time), t));
		json_int_t ann = e ? json_integer_value(json_object_get(e, "announced_height")) : 0;
		json_object_set_new(x, "own", json_boolean(heads[i].own));
		json_object_set_new(x, "lag", json_integer(ann > (json_int_t)heads[i].height
		                                                   ? ann - (json_int_t)heads[i].height
		                                                   : 0));
		if (e) {
			static const char *const copy[] = { "role", "updated", "last_seen",
				                            "fresh", NULL };
			for (const char *const *k = copy; *k; k++)
				if (json_object_get(e, *k))
					json_object_set(x, *k, json_object_get(e, *k));
		}
		json_array_append_new(nodes, x);
	}
	/* nodes the daemon knows of whose history is not held (a township
	 * that has published nothing yet is still a node to watch) */
	if (st) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(st, "nodes"), i, e) {
			const char *id = json_string_value(json_object_get(e, "id"));
			json_t *x;
			int held = 0;
			for (size_t k = 0; k < n && id; k++)
				held |= !strcmp(heads[k].id, id);
			if (held || id == NULL)
				continue;
			x = json_pack("{s:s,s:n,s:I,s:n,s:b,s:I}", "id", id, "head",
			              "height", (json_int_t)0, "head_time", "own", 0,
			              "lag", (json_int_t)0);
			static const char *const copy[] = { "role", "last_seen", "fresh",
				                            NULL };
			for (const char *const *k = copy; *k; k++)
				if (json_object_get(e, *k))
					json_object_set(x, *k, json_object_get(e, *k));
			json_array_append_new(nodes, x);
		}
	}
	json_object_set_new(out, "nodes", nodes);
	if (st) {
		static const char *const copy[] = { "parent", "children", "rejected",
			                            "counters", NULL };
		for (const char *const *k = copy; *k; k++)
			if (json_object_get(st, *k))
				json_object_set(out, *k, json_object_get(st, *k));
	}
	if (json) {
		char *s = json_dumps(out, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else {
		size_t i;
		json_t *x, *p = json_object_get(out, "parent");
		printf("node %s %s: daemon %s\n", h.cfg.id, h.cfg.name,
		       json_string_value(json_object_get(out, "daemon")));
		if (p)
			printf("parent %s at %s: link %s%s%s\n",
			       json_string_value(json_object_get(p, "id")),
			       json_string_value(json_object_get(p, "url")),
			       running ? json_string_value(json_object_get(p, "state"))
			               : "unknown (daemon not running)",
			       json_object_get(p, "last_error") ? "; last error: " : "",
			       json_string_value(json_object_get(p, "last_error")) ?: "");
		json_array_foreach(json_object_get(out, "children"), i, x)
			printf("child %-10s %s%s%s\n",
			       json_string_value(json_object_get(x, "id")),
			       json_string_value(json_object_get(x, "state")),
			       json_object_get(x, "last_seen") ? ", last seen " : "",
			       json_string_value(json_object_get(x, "last_seen")) ?: "");
		printf("%-12s %-10s %-12s %7s  %-20s %4s  %s\n", "held", "role", "head",
		       "height", "head time", "lag", "freshness");
		json_array_foreach(nodes, i, x) {
			json_t *f = json_object_get(x, "fresh");
			printf("%-12s %-10s %-12.12s %7lld  %-20s %4lld  %s\n",
			       json_string_value(json_object_get(x, "id")),
			       json_string_value(json_object_get(x, "role")) ?: (json_is_true(json_object_get(x, "own")) ? "self" : "-"),
			       json_string_value(json_object_get(x, "head")) ?: "(none yet)",
			       (long long)json_integer_value(json_object_get(x, "height")),
			       json_string_value(json_object_get(x, "head_time")) ?: "-",
			       (long long)json_integer_value(json_object_get(x, "lag")),
			       f == NULL ? "-" : json_is_true(f) ? "fresh" : "STALE");
		}
		json_array_foreach(json_object_get(out, "rejected"), i, x)
			printf("rejected %s %s from %s: %s\n",
			       json_string_value(json_object_get(x, "at")),
			       json_string_value(json_object_get(x, "node")),
			       json_string_value(json_object_get(x, "from")),
			       json_string_value(json_object_get(x, "reason")));
	}
	json_decref(out);
	json_decref(st);
	free(heads);
	home_close(&h);
	return EXIT_OK;
}
