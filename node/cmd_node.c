/* cmd_node.c — govfed node run: the daemon, in the foreground. */
#include "cli.h"
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed node run --home DIR [--verbose]\n"
	"\n"
	"Runs the node in the foreground (as systemd and docker expect): it\n"
	"dials its parent (parent_url in config.json), listens for its children\n"
	"on one port (listen), and keeps its store in sync both ways. One log\n"
	"line per event on stderr: time, level, node, what, why. SIGTERM or\n"
	"SIGINT stops it cleanly; every write it makes is atomic, so a kill at\n"
	"any moment leaves the store intact.\n"
	"\n"
	"Test only: GOVFED_TEST_DROP_ANNOUNCE=0.5 drops that share of incoming\n"
	"announcements, to show that anti-entropy converges anyway.\n";

int cmd_node(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "verbose", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *drop;
	daemon_opts o = { 0, 0.0 };
	node_home h;
	int idx, c, rc;

	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	while ((c = cli_getopt("node run", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: o.verbose = 1; break;
		case 2: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("node run", "--home is required");
	drop = getenv("GOVFED_TEST_DROP_ANNOUNCE");
	if (drop && *drop) {
		char *end;
		o.drop_announce = strtod(drop, &end);
		if (*end != '\0' || o.drop_announce < 0 || o.drop_announce > 1)
			return cli_usage("node run", "GOVFED_TEST_DROP_ANNOUNCE must be "
			                             "a share from 0 to 1");
	}
	daemon_catch_signals();
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	rc = daemon_run(&h, &o);
	home_close(&h);
	return rc;
}
