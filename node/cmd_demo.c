/*
 * cmd_demo.c — govfed demo: the main job. A local federation on loopback,
 * on embedded defaults: the province, two cities, two districts under
 * 福州市 and three townships under 仓山区, each a real `govfed node run`
 * process. It publishes a catalog item at the province and shows it
 * arriving at every node, files a township report and shows it arriving
 * at the province, with the time each took, then runs until Ctrl-C (or
 * exits at once with --once).
 *
 * This process never touches nng: it starts the daemons with fork+exec
 * (nng's threads do not survive a fork) and watches the stores.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct demo_node {
	const char *id, *level, *name, *parent;
	int listens;
} demo_node;

/* the embedded federation */
static const demo_node fed[] = {
	{ "350000", "province", "福建省", NULL, 1 },
	{ "350100", "city", "福州市", "350000", 1 },
	{ "350200", "city", "厦门市", "350000", 0 },
	{ "350104", "district", "仓山区", "350100", 1 },
	{ "350112", "district", "长乐区", "350100", 0 },
	{ "350104004", "township", "上渡街道", "350104", 0 },
	{ "350104005", "township", "下渡街道", "350104", 0 },
	{ "350104006", "township", "城门镇", "350104", 0 },
};
#define NFED (sizeof(fed) / sizeof(fed[0]))

static const char item_province[] =
	"{\"id\":\"YWJY.02.03\",\"area\":\"义务教育\",\"name\":\"招生范围\","
	"\"content\":\"义务教育阶段学校招生范围、学区划分详细情况\","
	"\"basis\":\"《中华人民共和国义务教育法》《中华人民共和国政府信息公开条例》\","
	"\"time_limit\":\"信息形成或者变更之日起20个工作日内\","
	"\"subject\":\"福建省教育厅\",\"method\":\"主动公开\","
	"\"channels\":[\"政府网站\",\"公开查阅点\"],\"audience\":\"全社会\"}";
static const char item_township[] =
	"{\"id\":\"SHJZ.01.01\",\"area\":\"社会救助\",\"name\":\"最低生活保障\","
	"\"content\":\"低保对象名单（姓名、家庭人口、保障金额）按季度公示\","
	"\"basis\":\"《社会救助暂行办法》\",\"time_limit\":\"每季度\","
	"\"subject\":\"上渡街道办事处\",\"method\":\"主动公开\","
	"\"channels\":[\"社区/企事业单位/村公示栏(电子屏)\"],"
	"\"audience\":\"全社会\"}";

static const char usage[] =
	"usage: govfed demo [--dir DIR] [--base-port PORT] [--once]\n"
	"       govfed demo --setup-only --dir DIR [--docker]\n"
	"\n"
	"Starts a local federation on loopback: 350000 福建省; 350100 福州市 and\n"
	"350200 厦门市; 350104 仓山区 and 350112 长乐区 under 福州市; 350104004\n"
	"上渡街道, 350104005 下渡街道 and 350104006 城门镇 under 仓山区. It\n"
	"publishes a catalog item at the province and shows it arriving at every\n"
	"node, files a report at 上渡街道 and shows it arriving at the province,\n"
	"then runs until Ctrl-C (--once: stops at once). Nodes with children\n"
	"listen on PORT, PORT+1, ... (default 7400). DIR defaults to a new\n"
	"directory under /tmp; an existing federation in DIR is reused.\n"
	"\n"
	"--setup-only writes the homes and exits; with --docker every node\n"
	"listens on 0.0.0.0:7400 and dials its parent as n<id>:7400, as\n"
	"docker-compose.yml expects.\n";

static char self[4096];
static volatile sig_atomic_t stop_demo;

static void on_sig(int s)
{
	stop_demo = s;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1000.0 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Runs `govfed ARGS...` (this binary) and waits; output to `log`. */
static int run_self(const char *log, char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null",
		              O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(self, argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int index_of(const char *id)
{
	for (size_t i = 0; i < NFED; i++)
		if (!strcmp(fed[i].id, id))
			return (int)i;
	return -1;
}

static int port_of(int base, const char *id)
{
	int p = 0;

	for (size_t i = 0; i < NFED && strcmp(fed[i].id, id); i++)
		p += fed[i].listens;
	return base + p;
}

static int setup(const char *dir, int base, int docker)
{
	char home[4200], parent_home[4200], pub[4300], root[4300], log[4300];
	char listen[64], purl[64];

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		cli_err("cannot create '%s': %s", dir, strerror(errno));
		return EXIT_RUNTIME;
	}
	snprintf(log, sizeof(log), "%s/setup.log", dir);
	snprintf(root, sizeof(root), "%s/350000/node.pub", dir);
	for (size_t i = 0; i < NFED; i++) {
		const demo_node *n = &fed[i];
		char *argv[24];
		int a = 0, rc;

		snprintf(home, sizeof(home), "%s/%s", dir, n->id);
		if (docker) {
			snprintf(listen, sizeof(listen), "0.0.0.0:7400");
			snprintf(purl, sizeof(purl), "n%s:7400", n->parent ? n->parent : "");
		} else {
			snprintf(listen, sizeof(listen), "127.0.0.1:%d",
			         port_of(base, n->id));
			snprintf(purl, sizeof(purl), "127.0.0.1:%d",
			         n->parent ? port_of(base, n->parent) : 0);
		}
		argv[a++] = self;
		argv[a++] = "init";
		argv[a++] = "--home";
		argv[a++] = home;
		argv[a++] = "--id";
		argv[a++] = (char *)n->id;
		argv[a++] = "--level";
		argv[a++] = (char *)n->level;
		argv[a++] = "--name";
		argv[a++] = (char *)n->name;
		if (n->parent) {
			argv[a++] = "--parent";
			argv[a++] = (char *)n->parent;
			argv[a++] = "--parent-url";
			argv[a++] = purl;
			argv[a++] = "--root-key";
			argv[a++] = root;
		}
		if (n->listens) {
			argv[a++] = "--listen";
			argv[a++] = listen;
		}
		argv[a] = NULL;
		rc = run_self(log, argv);
		if (rc != 0) {
			cli_err("init of %s failed (see %s)", n->id, log);
			return rc == EXIT_OK ? EXIT_RUNTIME : rc;
		}
		if (n->parent) {
			char *ev[16];
			a = 0;
			snprintf(parent_home, sizeof(parent_home), "%s/%s", dir,
			         n->parent);
			snprintf(pub, sizeof(pub), "%s/node.pub", home);
			ev[a++] = self;
			ev[a++] = "enroll";
			ev[a++] = "--home";
			ev[a++] = parent_home;
			ev[a++] = "--child-pub";
			ev[a++] = pub;
			ev[a++] = "--id";
			ev[a++] = (char *)n->id;
			ev[a++] = "--level";
			ev[a++] = (char *)n->level;
			ev[a++] = "--name";
			ev[a++] = (char *)n->name;
			ev[a] = NULL;
			rc = run_self(log, ev);
			if (rc != 0) {
				cli_err("enrollment of %s failed (see %s)", n->id, log);
				return rc;
			}
		}
		printf("  %-10s %-13s %-9s %s%s%s\n", n->id, n->name, n->level,
		       n->parent ? "under " : "the root", n->parent ? n->parent : "",
		       n->listens ? (docker ? ", listens on :7400" : "") : "");
		if (n->listens && !docker)
			printf("  %-10s listens on %s\n", "", listen);
	}
	return EXIT_OK;
}

/* ---- watching ---------------------------------------------------------- */

static store *stores[NFED];

static int open_stores(const char *dir)
{
	char path[4200];

	for (size_t i = 0; i < NFED; i++) {
		snprintf(path, sizeof(path), "%s/%s/store.git", dir, fed[i].id);
		if (store_open(&stores[i], path, 0) != 0) {
			cli_err("cannot open %s: %s", path, store_errmsg());
			return -1;
		}
	}
	return 0;
}

/* Does node i hold `who`'s history at `commit` (or beyond it)? */
static int holds(size_t i, const char *who, const char *commit)
{
	char hex[STORE_OID_HEX];

	if (store_head_peek(stores[i], strcmp(fed[i].id, who) ? who : NULL,
	                    hex) != 0)
		return 0;
	return strcmp(hex, commit) == 0;
}

static int linked(const char *dir)
{
	/* every node below the root holds the root's history */
	char root_head[STORE_OID_HEX];

	(void)dir;
	if (store_head_peek(stores[0], NULL, root_head) != 0)
		return 0;
	for (size_t i = 1; i < NFED; i++)
		if (!holds(i, fed[0].id, root_head))
			return 0;
	return 1;
}

static int publish(const char *dir, const char *id, const char *json,
                   char out[STORE_OID_HEX])
{
	char home[4200], file[4300];
	char *argv[8];
	FILE *f;
	int rc;

	snprintf(home, sizeof(home), "%s/%s", dir, id);
	snprintf(file, sizeof(file), "%s/%s/demo-item.json", dir, id);
	f = fopen(file, "w");
	if (f == NULL || fputs(json, f) < 0 || fclose(f) != 0)
		return -1;
	argv[0] = self;
	argv[1] = "catalog";
	argv[2] = "put";
	argv[3] = "--home";
	argv[4] = home;
	argv[5] = "--file";
	argv[6] = file;
	argv[7] = NULL;
	rc = run_self(NULL, argv);
	if (rc != 0)
		return rc;
	return store_head_peek(stores[index_of(id)], NULL, out);
}

static pid_t pids[NFED];

static void start_all(const char *dir)
{
	for (size_t i = 0; i < NFED; i++) {
		char home[4200], log[4300];
		pid_t pid;

		snprintf(home, sizeof(home), "%s/%s", dir, fed[i].id);
		snprintf(log, sizeof(log), "%s/%s/node.log", dir, fed[i].id);
		pid = fork();
		if (pid == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			              0644);
			char *argv[] = { self, "node", "run", "--home", home, NULL };
			if (fd >= 0)
				dup2(fd, 2);
			execv(self, argv);
			_exit(127);
		}
		pids[i] = pid;
	}
}

static void stop_all(void)
{
	for (size_t i = 0; i < NFED; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (size_t i = 0; i < NFED; i++) {
		for (int k = 0; pids[i] > 0 && k < 100; k++) {
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
				pids[i] = 0;
				break;
			}
			usleep(50000);
		}
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
}

/* Waits until every node in `who` holds `node`'s `commit`, printing each
 * arrival; at most `limit_ms`. Returns how many arrived. */
static size_t watch(const char *node, const char *commit,
                    const char *const *who, size_t nwho, double limit_ms,
                    const struct timespec *t0)
{
	int done[NFED] = { 0 };
	size_t arrived = 0;

	while (arrived < nwho && ms_since(t0) < limit_ms && !stop_demo) {
		for (size_t k = 0; k < nwho; k++) {
			int i = index_of(who[k]);
			if (done[i] || !holds((size_t)i, node, commit))
				continue;
			done[i] = 1;
			arrived++;
			printf("  %-10s %-13s has it after %6.0f ms\n", fed[i].id,
			       fed[i].name, ms_since(t0));
			fflush(stdout);
		}
		usleep(5000);
	}
	for (size_t k = 0; k < nwho; k++)
		if (!done[index_of(who[k])])
			printf("  %-10s %-13s did NOT get it within %.0f s\n", who[k],
			       fed[index_of(who[k])].name, limit_ms / 1000);
	return arrived;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 0 },
		{ "base-port", required_argument, NULL, 0 },
		{ "once", no_argument, NULL, 0 },
		{ "setup-only", no_argument, NULL, 0 },
		{ "docker", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *dirarg = NULL;
	char dir[4096], cfg[4200], head[STORE_OID_HEX];
	int idx, c, once = 0, setup_only = 0, docker = 0, base = 7400, rc = EXIT_OK;
	struct timespec t0;
	struct sigaction sa;
	ssize_t sl;
	size_t got;

	while ((c = cli_getopt("demo", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: dirarg = optarg; break;
		case 1: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1024 || v > 65500)
				return cli_usage("demo", "--base-port '%s' must be 1024-65500",
				                 optarg);
			base = (int)v;
			break;
		}
		case 2: once = 1; break;
		case 3: setup_only = 1; break;
		case 4: docker = 1; break;
		case 5: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (docker && !setup_only)
		return cli_usage("demo", "--docker goes with --setup-only");
	if (setup_only && !dirarg)
		return cli_usage("demo", "--setup-only needs --dir");
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		cli_err("cannot find the govfed binary itself");
		return EXIT_RUNTIME;
	}
	self[sl] = '\0';
	if (dirarg)
		snprintf(dir, sizeof(dir), "%s", dirarg);
	else {
		snprintf(dir, sizeof(dir), "/tmp/govfed-demo-XXXXXX");
		if (mkdtemp(dir) == NULL) {
			cli_err("cannot make a directory under /tmp: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	snprintf(cfg, sizeof(cfg), "%s/350000/config.json", dir);
	if (access(cfg, F_OK) != 0) {
		printf("== setting up the federation in %s\n", dir);
		rc = setup(dir, base, docker);
		if (rc != EXIT_OK || setup_only)
			return rc;
	} else if (setup_only) {
		cli_err("'%s' holds a federation already", dir);
		return EXIT_NO;
	} else {
		printf("== reusing the federation in %s\n", dir);
	}
	if (open_stores(dir) != 0)
		return EXIT_RUNTIME;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("\n== starting %zu nodes (govfed node run; logs in %s/<id>/node.log)\n",
	       NFED, dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	start_all(dir);
	while (!linked(dir) && ms_since(&t0) < 30000 && !stop_demo)
		usleep(20000);
	if (!linked(dir)) {
		printf("  the nodes did not link up within 30 s; see the logs\n");
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("  all linked and in sync after %.0f ms\n", ms_since(&t0));

	printf("\n== 350000 福建省 publishes catalog item YWJY.02.03 招生范围 (义务教育)\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (publish(dir, "350000", item_province, head) != 0) {
		printf("  the publication failed\n");
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("  signed commit %.12s after %.0f ms\n", head, ms_since(&t0));
	{
		const char *who[NFED - 1];
		for (size_t i = 1; i < NFED; i++)
			who[i - 1] = fed[i].id;
		got = watch("350000", head, who, NFED - 1, 10000, &t0);
		if (got != NFED - 1)
			rc = EXIT_NO;
	}

	printf("\n== 350104004 上渡街道 files a report: SHJZ.01.01 最低生活保障 (社会救助)\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (publish(dir, "350104004", item_township, head) != 0) {
		printf("  the report failed\n");
		rc = EXIT_RUNTIME;
		goto out;
	}
	printf("  signed commit %.12s after %.0f ms\n", head, ms_since(&t0));
	{
		static const char *const up[] = { "350104", "350100", "350000" };
		got = watch("350104004", head, up, 3, 10000, &t0);
		if (got != 3)
			rc = EXIT_NO;
	}
	printf("\n== the province's store verifies against its root key\n");
	{
		char store_path[4200], rootk[4200];
		char *av[] = { self, "verify", "--store", store_path, "--root-key",
			       rootk, NULL };
		snprintf(store_path, sizeof(store_path), "%s/350000/store.git", dir);
		snprintf(rootk, sizeof(rootk), "%s/350000/node.pub", dir);
		fflush(stdout);
		if (run_self("/dev/stdout", av) != 0)
			rc = EXIT_NO;
	}
	if (!once) {
		printf("\n== the federation runs until Ctrl-C\n"
		       "  status pages: http://127.0.0.1:%d/status (province), "
		       "http://127.0.0.1:%d/status (福州市), "
		       "http://127.0.0.1:%d/status (仓山区)\n"
		       "  try: govfed status --home %s/350104004\n"
		       "       govfed catalog put --home %s/350000 --file ITEM.json\n",
		       port_of(base, "350000"), port_of(base, "350100"),
		       port_of(base, "350104"), dir, dir);
		fflush(stdout);
		while (!stop_demo)
			pause();
	}
out:
	printf("\n== stopping the nodes\n");
	stop_all();
	for (size_t i = 0; i < NFED; i++)
		store_free(stores[i]);
	printf("  stopped; the federation stays in %s (run 'govfed demo --dir %s' "
	       "to start it again)\n", dir, dir);
	return rc;
}
