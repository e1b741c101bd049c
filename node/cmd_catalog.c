/* cmd_catalog.c — govfed catalog put|show|list. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed catalog put  --home DIR --file ITEM.json [--json]\n"
	"       govfed catalog show --home DIR --item ID [--node ID] [--json]\n"
	"       govfed catalog list --home DIR [--node ID] [--json]\n"
	"\n"
	"put   validates one catalog item and commits it, signed, as\n"
	"      catalog/<area>/<id>.json. Keys: id, area, name (required),\n"
	"      content 内容, basis 依据, time_limit 时限, subject 主体,\n"
	"      method 方式 (主动公开|依申请公开), channels 渠道 (array),\n"
	"      audience 公开对象, ext (local additions).\n"
	"show  prints one item (of this node, or of a held node with --node).\n"
	"list  lists the items.\n";

static int put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "file", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *file = NULL;
	char *data = NULL, *canon = NULL, path[STORE_PATH_MAX], msg[600];
	char out[STORE_OID_HEX];
	size_t len, clen;
	int idx, c, json = 0, rc;
	json_t *v = NULL;
	store_change ch;
	node_home h;

	while ((c = cli_getopt("catalog put", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: file = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !file)
		return cli_usage("catalog put", "--home and --file are required");
	rc = cli_read_file(file, STORE_RECORD_MAX, "item file", &data, &len);
	if (rc != 0)
		return rc;
	/* validate before opening anything: the kind is known from the
	 * path prefix; area and id come from the item itself */
	rc = store_record_prepare(&canon, &clen, "catalog/x/x.json", data, len);
	free(data);
	if (rc != 0) {
		cli_err("%s: %s", file, store_errmsg());
		return cli_exit_for(rc);
	}
	v = json_loadb(canon, clen, 0, NULL);
	if (v == NULL) {
		free(canon);
		cli_err("internal error re-reading the item");
		return EXIT_RUNTIME;
	}
	snprintf(path, sizeof(path), "catalog/%s/%s.json",
	         json_string_value(json_object_get(v, "area")),
	         json_string_value(json_object_get(v, "id")));
	snprintf(msg, sizeof(msg), "catalog put %s/%s %s",
	         json_string_value(json_object_get(v, "area")),
	         json_string_value(json_object_get(v, "id")),
	         json_string_value(json_object_get(v, "name")));
	json_decref(v);

	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0) {
		free(canon);
		return rc;
	}
	rc = home_ensure_genesis(&h);
	if (rc != 0)
		goto done;
	ch = (store_change){ path, canon, clen };
	rc = store_commit(h.st, h.sk, &ch, 1, msg, out);
	if (rc == STORE_EUNCHANGED) {
		if (json)
			printf("{\"path\":\"%s\",\"commit\":null,\"unchanged\":true}\n",
			       path);
		else
			printf("unchanged: %s already holds this item\n", path);
		rc = EXIT_OK;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot publish %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:b}", "path", path, "commit", out,
		                      "unchanged", 0);
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		printf("committed %s %s\n", out, path);
	}
	home_maintain(&h);
	rc = EXIT_OK;
done:
	free(canon);
	home_close(&h);
	return rc;
}

typedef struct list_ctx {
	json_t *items;
	const char *want; /* item id for show, NULL for list */
	int bad;
} list_ctx;

static int collect(void *ctx, const char *path, const char *data, size_t len)
{
	list_ctx *lc = ctx;
	json_t *v;

	(void)path;
	v = json_loadb(data, len, 0, NULL);
	if (v == NULL) {
		lc->bad++;
		return 0;
	}
	if (lc->want && strcmp(json_string_value(json_object_get(v, "id")) ?: "",
	                       lc->want) != 0) {
		json_decref(v);
		return 0;
	}
	json_array_append_new(lc->items, v);
	return 0;
}

static int show_or_list(int argc, char **argv, int show)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "item", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *nodeid = NULL, *item = NULL;
	const char *name = show ? "catalog show" : "catalog list";
	list_ctx lc = { 0 };
	int idx, c, json = 0, rc;
	node_home h;

	while ((c = cli_getopt(name, argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: nodeid = optarg; break;
		case 2: item = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage(name, "--home is required");
	if (show && !item)
		return cli_usage(name, "--item is required");
	if (!show && item)
		return cli_usage(name, "--item belongs to 'catalog show'");
	if (nodeid && !store_id_valid(nodeid))
		return cli_usage(name, "--node '%s' is not a division code", nodeid);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	lc.items = json_array();
	lc.want = item;
	rc = store_record_foreach(h.st, nodeid, "catalog/", collect, &lc);
	if (rc == STORE_ENOTFOUND) {
		cli_err("%s", store_errmsg());
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read the catalog: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (show && json_array_size(lc.items) == 0) {
		cli_err("no catalog item '%s' in %s's catalog", item,
		        nodeid ? nodeid : h.cfg.id);
		rc = EXIT_NO;
		goto done;
	}
	if (json) {
		char *s = json_dumps(show ? json_array_get(lc.items, 0) : lc.items,
		                     JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
	} else if (show) {
		char *s = json_dumps(json_array_get(lc.items, 0),
		                     JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(lc.items, i, v)
			printf("%-24s %-16s %s\n",
			       json_string_value(json_object_get(v, "id")),
			       json_string_value(json_object_get(v, "area")),
			       json_string_value(json_object_get(v, "name")));
		fprintf(stderr, "%zu items\n", json_array_size(lc.items));
	}
	rc = EXIT_OK;
done:
	json_decref(lc.items);
	home_close(&h);
	return rc;
}

int cmd_catalog(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "put"))
		return put(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return show_or_list(argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "list"))
		return show_or_list(argc - 1, argv + 1, 0);
	return cli_usage("catalog", "'%s' is not a catalog command (put, show, "
	                            "list)", argv[1]);
}
