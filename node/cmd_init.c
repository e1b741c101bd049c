/* cmd_init.c — govfed init: a node's key, store and config. */
#define _GNU_SOURCE
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: govfed init --home DIR --id ID --level LEVEL --name NAME\n"
	"                   [--parent ID --root-key FILE [--parent-url HOST:PORT]]\n"
	"                   [--listen HOST:PORT]\n"
	"\n"
	"Creates a node in DIR: DIR/node.key (0600) and DIR/node.pub, the bare\n"
	"store DIR/store.git, DIR/root.pub and DIR/config.json.\n"
	"\n"
	"  --id ID              administrative division code (6, 9 or 12 digits)\n"
	"  --level LEVEL        province, city, district, township or village\n"
	"  --name NAME          the node's name, e.g. 仓山区\n"
	"  --parent ID          the parent node (every node but the province)\n"
	"  --root-key FILE      the province's public key (node.pub of the root)\n"
	"  --parent-url H:P     where the parent listens\n"
	"  --listen H:P         where this node listens for its children\n"
	"  --key FILE           use this existing OpenSSH ed25519 private key\n"
	"                       (copied to DIR/node.key) instead of a new one\n"
	"\n"
	"A province is its own root: its node.pub is the root key. Any other\n"
	"node must then be enrolled by its parent:\n"
	"  govfed enroll --home PARENT --child-pub DIR/node.pub --id ID ...\n";

int cli_hostport_ok(const char *s);
int cli_hostport_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || colon == s || strlen(s) > 255)
		return 0;
	if (s[0] == '[' && colon[-1] != ']')
		return 0;
	for (const char *p = s; p < colon; p++)
		if (*p <= ' ' || *p == '/' || *p == 0x7f)
			return 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && colon[1] != '\0' && port > 0 &&
	       port < 65536;
}

static int level_id_ok(store_level l, const char *id)
{
	size_t n = strlen(id);

	if (l == STORE_LEVEL_TOWNSHIP)
		return n == 9;
	if (l == STORE_LEVEL_VILLAGE)
		return n == 12;
	return n == 6;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[8192];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= STORE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "level", required_argument, NULL, 0 },
		{ "name", required_argument, NULL, 0 },
		{ "parent", required_argument, NULL, 0 },
		{ "parent-url", required_argument, NULL, 0 },
		{ "root-key", required_argument, NULL, 0 },
		{ "listen", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ "key", required_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *level = NULL, *name = NULL,
	           *parent = NULL, *parent_url = NULL, *root_key = NULL,
	           *listen = NULL, *keyfile = NULL;
	char path[4200], line[KEYS_PUBLIC_LINE_MAX + 32], why[512];
	char fp[KEYS_FINGERPRINT_MAX];
	node_config cfg;
	keys_public root;
	keys_secret *sk = NULL;
	store *st = NULL;
	node_home h;
	int idx, c, rc = EXIT_RUNTIME, made_dir = 0;
	struct stat sb;
	store_level lv;

	while ((c = cli_getopt("init", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: level = optarg; break;
		case 3: name = optarg; break;
		case 4: parent = optarg; break;
		case 5: parent_url = optarg; break;
		case 6: root_key = optarg; break;
		case 7: listen = optarg; break;
		case 8: fputs(usage, stdout); return EXIT_OK;
		case 9: keyfile = optarg; break;
		}
	}
	if (c == -2)
		return EXIT_USAGE;

	/* everything is checked before anything is written */
	if (!home || !id || !level || !name)
		return cli_usage("init", "--home, --id, --level and --name are "
		                         "required");
	if (!store_id_valid(id))
		return cli_usage("init", "--id '%s' is not a division code of 6, 9 "
		                         "or 12 digits", id);
	if (store_level_parse(&lv, level) != 0)
		return cli_usage("init", "--level '%s' must be province, city, "
		                         "district, township or village", level);
	if (!level_id_ok(lv, id))
		return cli_usage("init", "a %s's id has %s digits; '%s' does not",
		                 level, lv == STORE_LEVEL_TOWNSHIP  ? "9"
		                        : lv == STORE_LEVEL_VILLAGE ? "12"
		                                                    : "6",
		                 id);
	if (!name_ok(name))
		return cli_usage("init", "--name must be 1-%d bytes without control "
		                         "characters", STORE_NAME_MAX - 1);
	if (lv == STORE_LEVEL_PROVINCE) {
		if (parent || root_key || parent_url)
			return cli_usage("init", "a province has no parent: it is the "
			                         "root (omit --parent, --parent-url and "
			                         "--root-key)");
	} else {
		if (!parent || !root_key)
			return cli_usage("init", "a %s needs --parent ID and --root-key "
			                         "FILE (the province's node.pub)", level);
		if (!store_id_valid(parent) || !strcmp(parent, id))
			return cli_usage("init", "--parent '%s' is not another node's "
			                         "division code", parent);
		if (keys_public_load(&root, root_key, why, sizeof(why)) != 0) {
			cli_err("--root-key: %s", why);
			return EXIT_NO;
		}
	}
	if (parent_url && !cli_hostport_ok(parent_url))
		return cli_usage("init", "--parent-url '%s' must be HOST:PORT",
		                 parent_url);
	if (listen && !cli_hostport_ok(listen))
		return cli_usage("init", "--listen '%s' must be HOST:PORT", listen);
	if (strlen(home) > 4000)
		return cli_usage("init", "--home is too long");
	snprintf(path, sizeof(path), "%s/config.json", home);
	if (access(path, F_OK) == 0) {
		cli_err("'%s' already holds a govfed node; refusing to touch it",
		        home);
		return EXIT_NO;
	}
	snprintf(path, sizeof(path), "%s/store.git", home);
	if (access(path, F_OK) == 0) {
		cli_err("'%s' already exists; refusing to touch it", path);
		return EXIT_NO;
	}
	snprintf(path, sizeof(path), "%s/node.key", home);
	if (access(path, F_OK) == 0) {
		cli_err("'%s' already exists; refusing to overwrite a key", path);
		return EXIT_NO;
	}

	if (keyfile != NULL) {
		if (keys_secret_load(&sk, keyfile, why, sizeof(why)) != 0) {
			cli_err("--key: %s", why);
			return EXIT_NO;
		}
	} else if (keys_secret_generate(&sk) != 0) {
		cli_err("cannot generate a key");
		return EXIT_RUNTIME;
	}

	if (stat(home, &sb) != 0) {
		if (mkdir(home, 0755) != 0) {
			cli_err("cannot create '%s': %s", home, strerror(errno));
			keys_secret_free(sk);
			return EXIT_RUNTIME;
		}
		made_dir = 1;
	} else if (!S_ISDIR(sb.st_mode)) {
		cli_err("'%s' is not a directory", home);
		keys_secret_free(sk);
		return EXIT_NO;
	}

	snprintf(path, sizeof(path), "%s/node.key", home);
	if (keys_secret_save(sk, path, id, 0, why, sizeof(why)) != 0) {
		cli_err("%s", why);
		goto fail;
	}
	keys_public_format(line, sizeof(line) - 1, keys_secret_public(sk), id);
	strcat(line, "\n");
	snprintf(path, sizeof(path), "%s/node.pub", home);
	if (cli_write_file(path, line, strlen(line), 0644) != 0) {
		cli_err("cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (lv != STORE_LEVEL_PROVINCE) {
		keys_public_format(line, sizeof(line) - 1, &root, "root");
		strcat(line, "\n");
	}
	snprintf(path, sizeof(path), "%s/root.pub", home);
	if (cli_write_file(path, line, strlen(line), 0644) != 0) {
		cli_err("cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/store.git", home);
	if (store_create(&st, path, STORE_OPEN_FSYNC) != 0) {
		cli_err("cannot create store '%s': %s", path, store_errmsg());
		goto fail;
	}
	store_free(st);
	st = NULL;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.id, sizeof(cfg.id), "%s", id);
	cfg.level = lv;
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	snprintf(cfg.parent, sizeof(cfg.parent), "%s", parent ? parent : "");
	snprintf(cfg.parent_url, sizeof(cfg.parent_url), "%s",
	         parent_url ? parent_url : "");
	snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen ? listen : "");
	snprintf(cfg.root_key, sizeof(cfg.root_key), "root.pub");
	snprintf(path, sizeof(path), "%s/config.json", home);
	if (config_save(&cfg, path) != 0) {
		cli_err("cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}

	/* The province signs its first commit now; every other node does so
	 * on its first write, after its parent has enrolled it. */
	if (lv == STORE_LEVEL_PROVINCE) {
		rc = home_open(&h, home, HOME_KEY);
		if (rc != 0)
			goto fail;
		rc = home_ensure_genesis(&h);
		home_close(&h);
		if (rc != 0)
			goto fail;
	}
	keys_public_fingerprint(fp, keys_secret_public(sk));
	keys_secret_free(sk);
	printf("initialized %s %s (%s) in %s\n", id, name, level, home);
	printf("key %s in %s/node.pub\n", fp, home);
	if (lv == STORE_LEVEL_PROVINCE)
		printf("this node is the root: give %s/node.pub to every node as "
		       "--root-key\n", home);
	else
		printf("next: the parent's operator runs\n"
		       "  govfed enroll --home PARENT_HOME --child-pub %s/node.pub "
		       "--id %s --level %s --name %s\n",
		       home, id, level, name);
	return EXIT_OK;
fail:
	keys_secret_free(sk);
	store_free(st);
	/* leave nothing behind */
	{
		static const char *const made[] = { "node.key", "node.pub",
			                            "root.pub", "config.json", NULL };
		for (const char *const *m = made; *m; m++) {
			snprintf(path, sizeof(path), "%s/%s", home, *m);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/store.git", home);
		rm_tree(path);
		if (made_dir)
			rmdir(home);
	}
	return rc == EXIT_OK ? EXIT_RUNTIME : rc;
}
