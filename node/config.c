/*
 * config.c — a node's config.json and its home directory.
 *
 *   DIR/config.json  this file: identity, parent, addresses, tuning
 *   DIR/node.key     the node's Ed25519 key (OpenSSH format, 0600)
 *   DIR/node.pub     its public key line
 *   DIR/root.pub     the pinned root (province) key
 *   DIR/store.git    the signed store
 *
 * A bad config is fatal and printed with its file, line and column.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX (64 * 1024)
#define DEFAULT_BEACON_MS 1000
#define DEFAULT_CHECKPOINT_MS 500
#define DEFAULT_STALE_MS 10000
#define DEFAULT_SYNC_STEP 500

static const char *const known[] = { "id", "level", "name", "parent",
	                             "parent_url", "listen", "root_key",
	                             "beacon_ms", "checkpoint_ms", "stale_ms",
	                             "sync_step", NULL };

static int str_field(const char *path, json_t *o, const char *k, char *out,
                     size_t outlen, int required)
{
	json_t *v = json_object_get(o, k);

	out[0] = '\0';
	if (v == NULL || json_is_null(v)) {
		if (required) {
			cli_err("%s: '%s' is missing", path, k);
			return -1;
		}
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= outlen) {
		cli_err("%s: '%s' must be a string of at most %zu bytes", path, k,
		        outlen - 1);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int int_field(const char *path, json_t *o, const char *k, int *out,
                     int def, int lo, int hi)
{
	json_t *v = json_object_get(o, k);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		cli_err("%s: '%s' must be a whole number from %d to %d", path, k, lo,
		        hi);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

int config_load(node_config *cfg, const char *path)
{
	json_error_t err;
	json_t *o;
	const char *k;
	json_t *v;
	char level[32];
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL) {
		if (err.line < 1)
			cli_err("cannot read '%s': %s", path, err.text);
		else
			cli_err("%s:%d:%d: %s", path, err.line, err.column, err.text);
		return -1;
	}
	if (!json_is_object(o)) {
		cli_err("%s: must hold a JSON object", path);
		goto cleanup;
	}
	json_object_foreach(o, k, v) {
		const char *const *x;
		for (x = known; *x; x++)
			if (!strcmp(*x, k))
				break;
		if (*x == NULL) {
			cli_err("%s: unknown setting '%s'", path, k);
			goto cleanup;
		}
	}
	if (str_field(path, o, "id", cfg->id, sizeof(cfg->id), 1) ||
	    str_field(path, o, "level", level, sizeof(level), 1) ||
	    str_field(path, o, "name", cfg->name, sizeof(cfg->name), 1) ||
	    str_field(path, o, "parent", cfg->parent, sizeof(cfg->parent), 0) ||
	    str_field(path, o, "parent_url", cfg->parent_url,
	              sizeof(cfg->parent_url), 0) ||
	    str_field(path, o, "listen", cfg->listen, sizeof(cfg->listen), 0) ||
	    str_field(path, o, "root_key", cfg->root_key, sizeof(cfg->root_key),
	              1) ||
	    int_field(path, o, "beacon_ms", &cfg->beacon_ms, DEFAULT_BEACON_MS, 50,
	              600000) ||
	    int_field(path, o, "checkpoint_ms", &cfg->checkpoint_ms,
	              DEFAULT_CHECKPOINT_MS, 10, 600000) ||
	    int_field(path, o, "stale_ms", &cfg->stale_ms, DEFAULT_STALE_MS, 100,
	              86400000) ||
	    int_field(path, o, "sync_step", &cfg->sync_step, DEFAULT_SYNC_STEP, 1,
	              10000))
		goto cleanup;
	if (!store_id_valid(cfg->id)) {
		cli_err("%s: 'id' must be a division code of 6, 9 or 12 digits", path);
		goto cleanup;
	}
	if (store_level_parse(&cfg->level, level) != 0) {
		cli_err("%s: 'level' must be province, city, district, township or "
		        "village", path);
		goto cleanup;
	}
	if ((cfg->level == STORE_LEVEL_PROVINCE) != (cfg->parent[0] == '\0')) {
		cli_err("%s: a province has no 'parent'; every other node has one",
		        path);
		goto cleanup;
	}
	if (cfg->parent[0] && !store_id_valid(cfg->parent)) {
		cli_err("%s: 'parent' must be a division code", path);
		goto cleanup;
	}
	rc = 0;
cleanup:
	json_decref(o);
	return rc;
}

int config_save(const node_config *cfg, const char *path)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "id", cfg->id, "level",
	                      store_level_name(cfg->level), "name", cfg->name,
	                      "root_key", cfg->root_key);
	char *text;
	int rc;

	if (o == NULL)
		return -1;
	if (cfg->parent[0])
		json_object_set_new(o, "parent", json_string(cfg->parent));
	if (cfg->parent_url[0])
		json_object_set_new(o, "parent_url", json_string(cfg->parent_url));
	if (cfg->listen[0])
		json_object_set_new(o, "listen", json_string(cfg->listen));
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		return -1;
	{
		size_t n = strlen(text);
		char *t2 = realloc(text, n + 2);
		if (t2 == NULL) {
			free(text);
			return -1;
		}
		text = t2;
		text[n] = '\n';
		text[n + 1] = '\0';
	}
	rc = cli_write_file(path, text, strlen(text), 0644);
	free(text);
	return rc;
}

void home_path(const node_home *h, char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", h->dir, name);
}

/* Finishes or discards a key rotation that was interrupted between writing
 * node.key.next and renaming it over node.key. */
static int finish_rotation(node_home *h)
{
	char next[4200], cur[4200], why[512];
	keys_secret *sk = NULL;
	store_identity me;

	home_path(h, next, sizeof(next), "node.key.next");
	home_path(h, cur, sizeof(cur), "node.key");
	if (access(next, F_OK) != 0)
		return 0;
	if (keys_secret_load(&sk, next, why, sizeof(why)) != 0 ||
	    store_identity_get(h->st, NULL, &me) != 0) {
		keys_secret_free(sk);
		cli_err("an interrupted key rotation left '%s' behind, and it "
		        "cannot be judged; move it away after checking", next);
		return -1;
	}
	if (keys_public_equal(&me.key, keys_secret_public(sk))) {
		char line[KEYS_PUBLIC_LINE_MAX + 2], pub[4200];
		/* the rotation was committed: the next key is the key */
		if (rename(next, cur) != 0) {
			keys_secret_free(sk);
			cli_err("cannot finish the key rotation: %s", strerror(errno));
			return -1;
		}
		keys_public_format(line, sizeof(line) - 1, keys_secret_public(sk),
		                   h->cfg.id);
		strcat(line, "\n");
		home_path(h, pub, sizeof(pub), "node.pub");
		cli_write_file(pub, line, strlen(line), 0644);
		cli_err("finished an interrupted key rotation: node.key is now the "
		        "rotated key");
	} else {
		unlink(next); /* never committed: the old key stays */
	}
	keys_secret_free(sk);
	return 0;
}

int home_open(node_home *h, const char *dir, unsigned flags)
{
	char path[8400], why[512];
	int rc;

	memset(h, 0, sizeof(*h));
	if (dir == NULL || dir[0] == '\0') {
		cli_err("no --home given");
		return EXIT_USAGE;
	}
	if (strlen(dir) >= sizeof(h->dir) - 64) {
		cli_err("home path is too long");
		return EXIT_USAGE;
	}
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	home_path(h, path, sizeof(path), "config.json");
	if (access(path, F_OK) != 0) {
		cli_err("'%s' is not a govfed home (no config.json); create one with "
		        "'govfed init --home %s ...'", dir, dir);
		return EXIT_NO;
	}
	if (config_load(&h->cfg, path) != 0)
		return EXIT_RUNTIME;
	if (h->cfg.root_key[0] == '/')
		snprintf(path, sizeof(path), "%s", h->cfg.root_key);
	else
		home_path(h, path, sizeof(path), h->cfg.root_key);
	if (keys_public_load(&h->root, path, why, sizeof(why)) != 0) {
		cli_err("root key: %s", why);
		return EXIT_RUNTIME;
	}
	home_path(h, path, sizeof(path), "store.git");
	rc = store_open(&h->st, path, STORE_OPEN_FSYNC);
	if (rc != 0) {
		cli_err("cannot open store '%s': %s", path, store_errmsg());
		return EXIT_RUNTIME;
	}
	store_set_root(h->st, &h->root);
	if (flags & HOME_KEY) {
		if (finish_rotation(h) != 0) {
			home_close(h);
			return EXIT_RUNTIME;
		}
		home_path(h, path, sizeof(path), "node.key");
		if (keys_secret_load(&h->sk, path, why, sizeof(why)) != 0) {
			cli_err("%s", why);
			home_close(h);
			return EXIT_RUNTIME;
		}
	}
	return EXIT_OK;
}

void home_close(node_home *h)
{
	keys_secret_free(h->sk);
	store_free(h->st);
	memset(h, 0, sizeof(*h));
}

int home_ensure_genesis(node_home *h)
{
	store_identity id;
	char out[STORE_OID_HEX];
	int rc;

	rc = store_identity_get(h->st, NULL, &id);
	if (rc == 0) {
		if (strcmp(id.id, h->cfg.id) != 0) {
			cli_err("the store holds node %s's history but config.json "
			        "names %s", id.id, h->cfg.id);
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	if (rc != STORE_ENOTFOUND) {
		cli_err("cannot read the store: %s", store_errmsg());
		return EXIT_RUNTIME;
	}
	memset(&id, 0, sizeof(id));
	snprintf(id.id, sizeof(id.id), "%s", h->cfg.id);
	id.level = h->cfg.level;
	snprintf(id.name, sizeof(id.name), "%s", h->cfg.name);
	snprintf(id.parent, sizeof(id.parent), "%s", h->cfg.parent);
	rc = store_genesis(h->st, h->sk, &id, out);
	if (rc != 0) {
		cli_err("cannot write the first commit: %s", store_errmsg());
		return cli_exit_for(rc);
	}
	return EXIT_OK;
}

void home_maintain(node_home *h)
{
	size_t n = 0;

	if (h->st != NULL && store_maintain(h->st, 0, &n) != 0)
		cli_err("warning: could not pack loose objects: %s",
		        store_errmsg());
}
