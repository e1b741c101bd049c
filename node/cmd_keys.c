/* cmd_keys.c — govfed keys show|rotate|revoke. */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: govfed keys show   --home DIR [--json] [--allowed-signers]\n"
	"       govfed keys rotate --home DIR [--key FILE]\n"
	"       govfed keys revoke --home DIR --id CHILD --reason TEXT\n"
	"\n"
	"show    this node's key, its certificate as its parent issued it (when\n"
	"        the parent's history is held), its rotations and the children\n"
	"        it certified. --allowed-signers prints, instead, a file for\n"
	"        git's gpg.ssh.allowedSignersFile with every key in the store.\n"
	"rotate  replaces this node's key: one commit, signed by the old key,\n"
	"        records the rotation (signed by both keys); from then on only\n"
	"        the new key signs. The old key stays valid for what it signed.\n"
	"        --key FILE uses a prepared OpenSSH ed25519 key (made offline,\n"
	"        say) instead of a new one.\n"
	"revoke  (at a parent) revokes a child's keys from now on; commits the\n"
	"        child signed after the last one held here are refused.\n";

static const char *fp_of_line(char out[KEYS_FINGERPRINT_MAX], const char *line)
{
	keys_public k;

	if (line == NULL || keys_public_parse(&k, line, strlen(line), NULL, 0))
		return "?";
	keys_public_fingerprint(out, &k);
	return out;
}

/* Summarizes certs/<child>.json events: the key in effect and state. */
static json_t *cert_status(const char *data, size_t len)
{
	json_t *v = json_loadb(data, len, 0, NULL), *evs, *e, *out;
	const char *state = "none", *key = NULL, *from = NULL, *until = NULL,
	           *revoked_at = NULL, *reason = NULL, *name = NULL,
	           *level = NULL;
	char fp[KEYS_FINGERPRINT_MAX] = "";
	size_t i;

	if (v == NULL)
		return NULL;
	evs = json_object_get(v, "events");
	json_array_foreach(evs, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		if (t && !strcmp(t, "cert")) {
			state = "certified";
			key = json_string_value(json_object_get(e, "key"));
			from = json_string_value(json_object_get(e, "valid_from"));
			until = json_string_value(json_object_get(e, "valid_until"));
			name = json_string_value(json_object_get(e, "name"));
			level = json_string_value(json_object_get(e, "level"));
			revoked_at = reason = NULL;
		} else {
			state = "revoked";
			revoked_at = json_string_value(json_object_get(e, "at"));
			reason = json_string_value(json_object_get(e, "reason"));
		}
	}
	out = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:I}", "state",
	                state, "key", key, "valid_from", from, "valid_until",
	                until, "revoked_at", revoked_at, "reason", reason, "name",
	                name, "level", level, "events",
	                (json_int_t)json_array_size(evs));
	if (key)
		json_object_set_new(out, "fingerprint",
		                    json_string(fp_of_line(fp, key)));
	json_decref(v);
	return out;
}

typedef struct child_ctx {
	json_t *children;
} child_ctx;

static int child_cb(void *ctx, const char *path, const char *data, size_t len)
{
	child_ctx *cc = ctx;
	json_t *s = cert_status(data, len);
	char id[32];
	size_t n = strlen(path);

	if (s == NULL || n < 12) {
		json_decref(s);
		return 0;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(n - 11), path + 6);
	json_object_set_new(s, "id", json_string(id));
	json_array_append_new(cc->children, s);
	return 0;
}

static int show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "allowed-signers", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL;
	int idx, c, json = 0, allowed = 0, rc;
	char line[KEYS_PUBLIC_LINE_MAX], fp[KEYS_FINGERPRINT_MAX],
	        rfp[KEYS_FINGERPRINT_MAX], path[64], why[512], kpath[4200];
	json_t *o = NULL, *cert = NULL, *rots = NULL;
	child_ctx cc = { NULL };
	keys_public pub;
	store_identity me;
	node_home h;
	char *data = NULL;
	size_t len;

	while ((c = cli_getopt("keys show", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: json = 1; break;
		case 2: allowed = 1; break;
		case 3: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("keys show", "--home is required");
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (allowed) {
		char *out = NULL;
		rc = store_allowed_signers(h.st, &h.root, &out);
		if (rc != 0) {
			cli_err("cannot list keys: %s", store_errmsg());
			home_close(&h);
			return cli_exit_for(rc);
		}
		fputs(out, stdout);
		free(out);
		home_close(&h);
		return EXIT_OK;
	}
	home_path(&h, kpath, sizeof(kpath), "node.pub");
	if (keys_public_load(&pub, kpath, why, sizeof(why)) != 0) {
		cli_err("%s", why);
		home_close(&h);
		return EXIT_RUNTIME;
	}
	keys_public_format(line, sizeof(line), &pub, NULL);
	keys_public_fingerprint(fp, &pub);
	keys_public_fingerprint(rfp, &h.root);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "id", h.cfg.id, "level",
	              store_level_name(h.cfg.level), "name", h.cfg.name, "key",
	              line, "fingerprint", fp, "root_fingerprint", rfp, "is_root",
	              keys_public_equal(&pub, &h.root) ||
	                      h.cfg.level == STORE_LEVEL_PROVINCE);
	if (store_identity_get(h.st, NULL, &me) == 0) {
		char hfp[KEYS_FINGERPRINT_MAX];
		keys_public_fingerprint(hfp, &me.key);
		json_object_set_new(o, "history_key", json_string(hfp));
	}
	if (h.cfg.parent[0]) {
		snprintf(path, sizeof(path), "certs/%s.json", h.cfg.id);
		rc = store_record_read(h.st, h.cfg.parent, path, &data, &len);
		if (rc == 0) {
			cert = cert_status(data, len);
			free(data);
		}
		if (cert == NULL)
			cert = json_pack("{s:s}", "state", "unknown: the parent's "
			                                   "history is not held here");
		json_object_set_new(cert, "issuer", json_string(h.cfg.parent));
		json_object_set_new(o, "certificate", cert);
	}
	rots = json_array();
	if (store_record_read(h.st, NULL, "keys.json", &data, &len) == 0) {
		json_t *v = json_loadb(data, len, 0, NULL), *r;
		size_t i;
		free(data);
		json_array_foreach(json_object_get(v, "rotations"), i, r) {
			char a[KEYS_FINGERPRINT_MAX], b[KEYS_FINGERPRINT_MAX];
			json_array_append_new(
			        rots, json_pack("{s:s,s:s,s:s}", "at",
			                        json_string_value(json_object_get(r, "at")),
			                        "old",
			                        fp_of_line(a, json_string_value(json_object_get(
			                                              r, "old"))),
			                        "new",
			                        fp_of_line(b, json_string_value(json_object_get(
			                                              r, "new")))));
		}
		json_decref(v);
	}
	json_object_set_new(o, "rotations", rots);
	cc.children = json_array();
	store_record_foreach(h.st, NULL, "certs/", child_cb, &cc);
	json_object_set_new(o, "children", cc.children);

	if (json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
	} else {
		json_t *x;
		size_t i;
		printf("node         %s %s (%s)\n", h.cfg.id, h.cfg.name,
		       store_level_name(h.cfg.level));
		printf("key          %s\n", fp);
		printf("             %s\n", line);
		printf("root key     %s%s\n", rfp,
		       json_is_true(json_object_get(o, "is_root")) ? " (this node)"
		                                                   : "");
		cert = json_object_get(o, "certificate");
		if (cert) {
			const char *st = json_string_value(json_object_get(cert, "state"));
			printf("certificate  %s by %s", st, h.cfg.parent);
			if (json_object_get(cert, "valid_from"))
				printf(", valid from %s",
				       json_string_value(json_object_get(cert, "valid_from")));
			if (json_is_string(json_object_get(cert, "valid_until")))
				printf(" until %s", json_string_value(
				                            json_object_get(cert, "valid_until")));
			if (json_is_string(json_object_get(cert, "revoked_at")))
				printf(", revoked at %s (%s)",
				       json_string_value(json_object_get(cert, "revoked_at")),
				       json_string_value(json_object_get(cert, "reason")));
			printf("\n");
		}
		json_array_foreach(rots, i, x)
			printf("rotation     %s  %s -> %s\n",
			       json_string_value(json_object_get(x, "at")),
			       json_string_value(json_object_get(x, "old")),
			       json_string_value(json_object_get(x, "new")));
		json_array_foreach(json_object_get(o, "children"), i, x)
			printf("child        %-10s %-9s %-10s %s%s\n",
			       json_string_value(json_object_get(x, "id")),
			       json_string_value(json_object_get(x, "state")),
			       json_string_value(json_object_get(x, "level")) ?: "",
			       json_string_value(json_object_get(x, "name")) ?: "",
			       "");
	}
	json_decref(o);
	home_close(&h);
	return EXIT_OK;
}

static int do_rotate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ "key", required_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *keyfile = NULL;
	char next[4200], cur[4200], pub[4200], why[512], out[STORE_OID_HEX];
	char line[KEYS_PUBLIC_LINE_MAX + 2], a[KEYS_FINGERPRINT_MAX],
	        b[KEYS_FINGERPRINT_MAX];
	keys_secret *nk = NULL;
	int idx, c, rc;
	node_home h;

	while ((c = cli_getopt("keys rotate", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: fputs(usage, stdout); return EXIT_OK;
		case 2: keyfile = optarg; break;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("keys rotate", "--home is required");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	rc = home_ensure_genesis(&h);
	if (rc != 0)
		goto done;
	home_path(&h, next, sizeof(next), "node.key.next");
	home_path(&h, cur, sizeof(cur), "node.key");
	home_path(&h, pub, sizeof(pub), "node.pub");
	if (keyfile != NULL) {
		if (keys_secret_load(&nk, keyfile, why, sizeof(why)) != 0) {
			cli_err("--key: %s", why);
			rc = EXIT_NO;
			goto done;
		}
	} else if (keys_secret_generate(&nk) != 0) {
		cli_err("cannot generate a key");
		rc = EXIT_RUNTIME;
		goto done;
	}
	/* the new key is on disk before the history names it: a crash in
	 * between is finished (or undone) by the next command */
	if (keys_secret_save(nk, next, h.cfg.id, 0, why, sizeof(why)) != 0) {
		cli_err("%s", why);
		rc = EXIT_RUNTIME;
		goto done;
	}
	rc = store_rotate(h.st, h.sk, nk, out);
	if (rc != 0) {
		unlink(next);
		cli_err("cannot rotate: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (rename(next, cur) != 0) {
		cli_err("the rotation is committed but node.key could not be "
		        "replaced (%s); the next govfed command finishes it",
		        strerror(errno));
		rc = EXIT_RUNTIME;
		goto done;
	}
	keys_public_format(line, sizeof(line) - 1, keys_secret_public(nk),
	                   h.cfg.id);
	strcat(line, "\n");
	if (cli_write_file(pub, line, strlen(line), 0644) != 0)
		cli_err("warning: cannot rewrite '%s': %s", pub, strerror(errno));
	keys_public_fingerprint(a, keys_secret_public(h.sk));
	keys_public_fingerprint(b, keys_secret_public(nk));
	printf("rotated %s: %s -> %s\ncommit %s\n", h.cfg.id, a, b, out);
	rc = EXIT_OK;
done:
	keys_secret_free(nk);
	home_close(&h);
	return rc;
}

static int do_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "reason", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *reason = NULL;
	char out[STORE_OID_HEX];
	int idx, c, rc;
	node_home h;

	while ((c = cli_getopt("keys revoke", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: reason = optarg; break;
		case 3: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !reason)
		return cli_usage("keys revoke", "--home, --id and --reason are "
		                                "required");
	if (!store_id_valid(id))
		return cli_usage("keys revoke", "--id '%s' is not a division code",
		                 id);
	if (reason[0] == '\0' || strlen(reason) > 500)
		return cli_usage("keys revoke", "--reason must be 1-500 bytes");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	rc = store_revoke(h.st, h.sk, id, reason, out);
	if (rc == STORE_EUNCHANGED) {
		printf("unchanged: %s\n", store_errmsg());
		rc = EXIT_OK;
	} else if (rc != 0) {
		cli_err("cannot revoke %s: %s", id, store_errmsg());
		rc = cli_exit_for(rc);
	} else {
		printf("revoked %s: %s\ncommit %s\n", id, reason, out);
	}
	home_close(&h);
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "show", show },
		{ "rotate", do_rotate },
		{ "revoke", do_revoke },
	};

	return cli_dispatch("keys", usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}
