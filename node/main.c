/* main.c — govfed: dispatch to the command named first. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const cmd commands[] = {
	{ "demo", cmd_demo, "the main job: a local federation on loopback" },
	{ "init", cmd_init, "create a node: key, store and config" },
	{ "enroll", cmd_enroll, "certify a child node's key (run at the parent)" },
	{ "catalog", cmd_catalog, "catalog items: publish, derive, drift, coverage" },
	{ "person", cmd_person, "reviewers (拟稿人, 审核人, 发布人) and their keys" },
	{ "doc", cmd_doc, "documents: review, publish, retire, withdraw" },
	{ "task", cmd_task, "work-plan tasks: assign, report, roll-up, import" },
	{ "calendar", cmd_calendar, "the working-day calendar (province)" },
	{ "checkpoint", cmd_checkpoint, "cut, show and list signed checkpoints" },
	{ "feed", cmd_feed, "serve the consolidated feed; pull it into SQLite" },
	{ "request", cmd_request, "依申请公开 applications and their clock" },
	{ "keys", cmd_keys, "show, rotate or revoke keys" },
	{ "verify", cmd_verify, "check every history in a store against the root key" },
	{ "log", cmd_log, "show a node's history" },
	{ "node", cmd_node, "node run: the daemon that syncs with parent and children" },
	{ "status", cmd_status, "what a node holds, its links, lag and freshness" },
	{ "export", cmd_export, "write a node's history to a bundle file" },
	{ "import", cmd_import, "apply a bundle file, under the acceptance rules" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: govfed <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'govfed <command> --help' describes a command.\n"
	           "Exit codes: 0 ok, 1 negative answer, 2 usage, 3 runtime "
	           "error.\n");
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("govfed 0.1.0\n");
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (store_global_init() != 0) {
			cli_err("cannot start: %s", store_errmsg());
			return EXIT_RUNTIME;
		}
		rc = commands[i].fn(argc - 1, argv + 1);
		store_global_shutdown();
		return rc;
	}
	cli_err("'%s' is not a govfed command; see 'govfed --help'", argv[1]);
	return EXIT_USAGE;
}
