/*
 * maintain.c — packing loose objects, as git's auto-gc does.
 *
 * Every signed commit writes a handful of loose objects; thousands of them
 * cost disk (a 2,000-commit history: 42 MB loose, 2 MB packed) and slow
 * every walk. When an estimate of the loose count passes a threshold, all
 * loose objects go into one new pack. Each is read through the validating
 * reader first (a damaged one stops the whole thing, nothing deleted), the
 * pack is written and indexed, every object is confirmed in it, and only
 * then are the loose files removed. Readers meanwhile find each object in
 * one place or the other.
 */
#define _GNU_SOURCE
#include "store_int.h"

#include <git2/sys/odb_backend.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* git's gc.auto default is 6700; our objects are small and many. */
#define LOOSE_THRESHOLD 2048

static int is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") == n && s[n] == '\0';
}

/* git's estimate: the objects in one fan-out directory times 256. */
static size_t estimate(const char *objects)
{
	char dir[4300];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/17", objects);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strlen(e->d_name) == 38 && is_hex(e->d_name, 38))
			n++;
	closedir(d);
	return n * 256;
}

typedef struct loose_list {
	git_oid *v;
	size_t n, cap;
} loose_list;

static int list_loose(const char *objects, loose_list *l)
{
	char dir[4300], hex[GIT_OID_HEXSZ + 1];

	for (int i = 0; i < 256; i++) {
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%02x", objects, i);
		d = opendir(dir);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (strlen(e->d_name) != 38 || !is_hex(e->d_name, 38))
				continue;
			if (l->n == l->cap) {
				size_t ncap = l->cap ? l->cap * 2 : 1024;
				git_oid *nv = realloc(l->v, ncap * sizeof(*nv));
				if (nv == NULL) {
					closedir(d);
					return STORE_ENOMEM;
				}
				l->v = nv;
				l->cap = ncap;
			}
			snprintf(hex, sizeof(hex), "%02x%.38s", i, e->d_name);
			if (git_oid_fromstr(&l->v[l->n], hex) == 0)
				l->n++;
		}
		closedir(d);
	}
	return 0;
}

int store_maintain(store *st, int force, size_t *packed)
{
	char objects[4200], packdir[4300], path[4400];
	git_packbuilder *pb = NULL;
	git_odb *packs = NULL;
	git_odb_backend *pback = NULL;
	loose_list l = { 0 };
	int rc;

	if (packed)
		*packed = 0;
	snprintf(objects, sizeof(objects), "%sobjects",
	         git_repository_path(st->repo));
	if (!force && estimate(objects) < LOOSE_THRESHOLD)
		return 0;
	rc = list_loose(objects, &l);
	if (rc != 0 || l.n == 0)
		goto cleanup;
	if (git_packbuilder_new(&pb, st->repo) != 0) {
		rc = store_giterr("cannot pack");
		goto cleanup;
	}
	git_packbuilder_set_threads(pb, 1);
	for (size_t i = 0; i < l.n; i++)
		if (git_packbuilder_insert(pb, &l.v[i], NULL) != 0) {
			rc = store_giterr("cannot pack loose objects");
			goto cleanup;
		}
	snprintf(packdir, sizeof(packdir), "%s/pack", objects);
	if (git_packbuilder_write(pb, packdir, 0, NULL, NULL) != 0) {
		rc = store_giterr("cannot write pack");
		goto cleanup;
	}
	/* every object must now be in a pack before any loose one goes */
	if (git_odb_new(&packs) != 0 ||
	    git_odb_backend_pack(&pback, objects) != 0 ||
	    git_odb_add_backend(packs, pback, 1) != 0) {
		if (pback && !packs)
			pback->free(pback);
		rc = store_giterr("cannot read the new pack");
		goto cleanup;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!git_odb_exists(packs, &l.v[i])) {
			store_seterr("the new pack lacks an object; loose objects "
			             "kept");
			rc = STORE_ECORRUPT;
			goto cleanup;
		}
	for (size_t i = 0; i < l.n; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &l.v[i]);
		snprintf(path, sizeof(path), "%s/%.2s/%s", objects, hex, hex + 2);
		unlink(path);
	}
	for (int i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/%02x", objects, i);
		rmdir(path); /* only the empty ones go */
	}
	{
		git_odb *odb = NULL;
		if (git_repository_odb(&odb, st->repo) == 0) {
			git_odb_refresh(odb);
			git_odb_free(odb);
		}
	}
	if (packed)
		*packed = l.n;
	rc = 0;
cleanup:
	git_odb_free(packs);
	git_packbuilder_free(pb);
	free(l.v);
	return rc;
}

/* ---- after a crash ---------------------------------------------------- */

static int old_enough(const char *path, int64_t min_age)
{
	struct stat sb;

	return lstat(path, &sb) == 0 &&
	       (int64_t)time(NULL) - (int64_t)sb.st_mtime >= min_age;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[4700];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (e->d_type == DT_DIR)
			rm_rf(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

int store_recover(store *st, int replicas_mine, size_t *removed)
{
	char dir[4300], path[4700];
	const char *gd = git_repository_path(st->repo);
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	/* quarantines of imports that never finished */
	snprintf(dir, sizeof(dir), "%sobjects", gd);
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "incoming-", 9) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (replicas_mine || old_enough(path, 600)) {
				rm_rf(path);
				n++;
			}
		}
		closedir(d);
	}
	/* ref locks held by a process that died */
	snprintf(dir, sizeof(dir), "%srefs/nodes", gd);
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l < 5 || strcmp(e->d_name + l - 5, ".lock") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (replicas_mine || old_enough(path, 600)) {
				unlink(path);
				n++;
			}
		}
		closedir(d);
	}
	{
		static const char *const locks[] = { "refs/heads/main.lock",
			                             "packed-refs.lock", NULL };
		for (const char *const *l = locks; *l; l++) {
			snprintf(path, sizeof(path), "%s%s", gd, *l);
			if (old_enough(path, 600) && unlink(path) == 0)
				n++;
		}
	}
	if (removed)
		*removed = n;
	return 0;
}
