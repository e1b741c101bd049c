/* testutil.c — see testutil.h. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/govfed-test-XXXXXX", base ? base : "/tmp") < 0)
		fail_msg("asprintf");
	if (mkdtemp(p) == NULL)
		fail_msg("mkdtemp %s", p);
	return p;
}

void tu_rmrf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *sub;
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&sub, "%s/%s", path, e->d_name) < 0)
			continue;
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			tu_rmrf(sub);
		else
			unlink(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

int tu_count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int tu_quarantines(const store *st)
{
	char path[4096];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "%s/objects", git_repository_path(st->repo));
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "incoming-", 9) == 0)
			n++;
	closedir(d);
	return n;
}

char *tu_item(const char *id, const char *area, const char *name, size_t *len)
{
	char *raw, *out = NULL;
	int rc;

	if (asprintf(&raw,
	             "{\"id\":\"%s\",\"area\":\"%s\",\"name\":\"%s\","
	             "\"method\":\"主动公开\",\"channels\":[\"政府网站\"]}",
	             id, area, name) < 0)
		fail_msg("asprintf");
	rc = store_record_prepare(&out, len, "catalog/x/x.json", raw,
	                          strlen(raw));
	free(raw);
	if (rc != 0)
		fail_msg("tu_item: %s", store_errmsg());
	return out;
}

void tu_node_new(tu_node *n, const char *base, const char *id,
                 store_level level, const char *name, const char *parent)
{
	char out[STORE_OID_HEX];

	memset(n, 0, sizeof(*n));
	if (asprintf(&n->dir, "%s/%s.git", base, id) < 0)
		fail_msg("asprintf");
	assert_int_equal(store_create(&n->st, n->dir, 0), 0);
	assert_int_equal(keys_secret_generate(&n->sk), 0);
	snprintf(n->id.id, sizeof(n->id.id), "%s", id);
	n->id.level = level;
	snprintf(n->id.name, sizeof(n->id.name), "%s", name);
	snprintf(n->id.parent, sizeof(n->id.parent), "%s", parent ? parent : "");
	n->id.key = *keys_secret_public(n->sk);
	if (level == STORE_LEVEL_PROVINCE) {
		store_set_root(n->st, keys_secret_public(n->sk));
		assert_int_equal(store_genesis(n->st, n->sk, &n->id, out), 0);
	}
}

void tu_node_free(tu_node *n)
{
	store_free(n->st);
	keys_secret_free(n->sk);
	free(n->dir);
	memset(n, 0, sizeof(*n));
}

void tu_enroll(tu_node *parent, tu_node *child)
{
	char out[STORE_OID_HEX];
	int rc = store_enroll(parent->st, parent->sk, &child->id,
	                      keys_secret_public(child->sk), store_now() - 3600, 0,
	                      0, out);
	if (rc != 0)
		fail_msg("enroll: %s", store_errmsg());
}

void tu_genesis(tu_node *n)
{
	char out[STORE_OID_HEX];

	if (store_genesis(n->st, n->sk, &n->id, out) != 0)
		fail_msg("genesis: %s", store_errmsg());
}

void tu_put_item(tu_node *n, const char *id, const char *area,
                 const char *name)
{
	char path[256], out[STORE_OID_HEX];
	size_t len;
	char *rec = tu_item(id, area, name, &len);
	store_change ch;
	int rc;

	snprintf(path, sizeof(path), "catalog/%s/%s.json", area, id);
	ch = (store_change){ path, rec, len };
	rc = store_commit(n->st, n->sk, &ch, 1, "put", out);
	free(rec);
	if (rc != 0)
		fail_msg("put: %s", store_errmsg());
}

int tu_sync(store *src, const char *node, store *dst, const keys_public *root,
            store_import_result *res)
{
	char have[STORE_OID_HEX] = "", head[STORE_OID_HEX], ref[STORE_PATH_MAX];
	store_buf pack;
	int rc;

	snprintf(ref, sizeof(ref), "refs/nodes/%s", node);
	tu_ref(dst, ref, have);
	rc = store_pack_build(src, node, have, &pack, head);
	if (rc != 0)
		fail_msg("pack: %s", store_errmsg());
	rc = store_import(dst, root, node, head, pack.ptr, pack.len, res);
	store_buf_free(&pack);
	return rc;
}

int tu_sync_as(store *src, const char *node, store *dst,
               const keys_public *root, store_import_result *res)
{
	char have[STORE_OID_HEX] = "", head[STORE_OID_HEX], ref[STORE_PATH_MAX];
	store_buf pack;
	int rc;

	snprintf(ref, sizeof(ref), "refs/nodes/%s", node);
	tu_ref(dst, ref, have);
	rc = store_pack_build(src, NULL, have, &pack, head);
	if (rc != 0)
		fail_msg("pack: %s", store_errmsg());
	rc = store_import(dst, root, node, head, pack.ptr, pack.len, res);
	store_buf_free(&pack);
	return rc;
}

void tu_ref(store *st, const char *ref, char out[STORE_OID_HEX])
{
	git_oid id;

	out[0] = '\0';
	if (git_reference_name_to_id(&id, st->repo, ref) == 0)
		git_oid_tostr(out, STORE_OID_HEX, &id);
}

void tu_forge(store *st, const tu_forge_opts *o, char out[STORE_OID_HEX])
{
	git_repository *repo = st->repo;
	git_commit *parent = NULL, *parent2 = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_oid pid, tid, cid;
	git_tree_update up;
	git_signature *who = NULL;
	git_buf buf = GIT_BUF_INIT;
	const git_commit *parents[2];
	size_t np = 0;
	int64_t t = o->time;

	memset(&up, 0, sizeof(up));
	if (o->parent != NULL) {
		if (o->parent[0] != '\0') {
			assert_int_equal(git_oid_fromstr(&pid, o->parent), 0);
			assert_int_equal(git_commit_lookup(&parent, repo, &pid), 0);
		}
	} else if (o->ref != NULL &&
	           git_reference_name_to_id(&pid, repo, o->ref) == 0) {
		assert_int_equal(git_commit_lookup(&parent, repo, &pid), 0);
	}
	if (parent) {
		parents[np++] = parent;
		assert_int_equal(git_commit_tree(&base, parent), 0);
		if (t == 0)
			t = git_commit_time(parent) + 1;
	}
	if (o->parent2) {
		git_oid p2;
		assert_int_equal(git_oid_fromstr(&p2, o->parent2), 0);
		assert_int_equal(git_commit_lookup(&parent2, repo, &p2), 0);
		parents[np++] = parent2;
	}
	if (t == 0)
		t = (int64_t)time(NULL);
	if (o->path != NULL) {
		up.path = o->path;
		if (o->data == NULL) {
			up.action = GIT_TREE_UPDATE_REMOVE;
		} else {
			up.action = GIT_TREE_UPDATE_UPSERT;
			up.filemode = (o->flags & TU_EXEC)      ? GIT_FILEMODE_BLOB_EXECUTABLE
			              : (o->flags & TU_SYMLINK) ? GIT_FILEMODE_LINK
			                                        : GIT_FILEMODE_BLOB;
			assert_int_equal(git_blob_create_from_buffer(&up.id, repo, o->data,
			                                             o->len),
			                 0);
		}
		assert_int_equal(git_tree_create_updated(&tid, repo, base, 1, &up), 0);
	} else {
		assert_non_null(base);
		tid = *git_tree_id(base);
	}
	assert_int_equal(git_tree_lookup(&tree, repo, &tid), 0);
	assert_int_equal(git_signature_new(&who, "forger", "x@govfed.invalid",
	                                   (git_time_t)t, 0),
	                 0);
	assert_int_equal(git_commit_create_buffer(&buf, repo, who, who, NULL,
	                                          o->message ? o->message
	                                                     : "forged\n",
	                                          tree, np, parents),
	                 0);
	if (o->flags & TU_UNSIGNED) {
		git_odb *odb;
		assert_int_equal(git_repository_odb(&odb, repo), 0);
		assert_int_equal(git_odb_write(&cid, odb, buf.ptr, buf.size,
		                               GIT_OBJECT_COMMIT),
		                 0);
		git_odb_free(odb);
	} else {
		unsigned char sig[KEYS_SSHSIG_MAX];
		char armor[1024];
		size_t siglen;
		int n;
		assert_int_equal(keys_sshsig_sign(sig, sizeof(sig), &siglen, o->sk,
		                                  "git", buf.ptr, buf.size),
		                 0);
		n = keys_sshsig_armor(armor, sizeof(armor), sig, siglen);
		assert_true(n > 0);
		if (o->flags & TU_BADSIG) {
			/* a character inside the signature value, near the end */
			char *p = armor + n - 40;
			*p = *p == 'A' ? 'B' : 'A';
		}
		if (o->flags & TU_TAMPER) {
			/* change the message after signing */
			char *m = strstr(buf.ptr, "\n\n");
			assert_non_null(m);
			m[2] = m[2] == 'X' ? 'Y' : 'X';
		}
		assert_int_equal(git_commit_create_with_signature(&cid, repo, buf.ptr,
		                                                  armor, "gpgsig"),
		                 0);
	}
	if (o->ref != NULL && !(o->flags & TU_NOMOVE)) {
		git_reference *r = NULL;
		assert_int_equal(git_reference_create(&r, repo, o->ref, &cid, 1,
		                                      "forged"),
		                 0);
		git_reference_free(r);
	}
	git_oid_tostr(out, STORE_OID_HEX, &cid);
	git_buf_dispose(&buf);
	git_signature_free(who);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	git_commit_free(parent2);
}
