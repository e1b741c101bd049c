/*
 * odb.c — the object database every store opens: packs, plus loose objects
 * read by a validating reader of our own.
 *
 * libgit2 1.5.1 loops forever reading a truncated loose object (libgit2
 * #7342, fixed upstream by #7346) and can write out of bounds on a loose
 * object whose header understates its size (#7177). A store may come from
 * anywhere — an auditor verifies stores handed to them — so loose objects
 * are read here instead: the whole file is inflated with bounds, the
 * header must match the body exactly, nothing may follow the stream, and
 * the object's hash must equal its name. Anything else is an error that
 * names the object. libgit2's own loose backend stays, at a lower
 * priority, for writing (and finds nothing this reader did not).
 */
#include "store_int.h"

#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Larger objects are refused: records are 1 MiB, attachments 32 MiB. */
#define LOOSE_MAX ((size_t)64 << 20)

typedef struct vloose {
	git_odb_backend parent;
	char *dir;
} vloose;

static int odb_err(const git_oid *oid, const char *what)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	git_error_set(GIT_ERROR_ODB, "object %s is corrupt: %s", hex, what);
	return GIT_ERROR;
}

static int object_path(vloose *b, const git_oid *oid, char *out, size_t len)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	return snprintf(out, len, "%s/%.2s/%s", b->dir, hex, hex + 2) <
	       (int)len ? 0 : -1;
}

/* Reads the compressed file; ENOTFOUND when there is none. */
static int slurp(vloose *b, const git_oid *oid, unsigned char **out,
                 size_t *outlen)
{
	char path[4096];
	struct stat sb;
	unsigned char *buf;
	size_t n = 0;
	int fd;

	if (object_path(b, oid, path, sizeof(path)) != 0)
		return GIT_ENOTFOUND;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? GIT_ENOTFOUND : odb_err(oid, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size > LOOSE_MAX + 4096) {
		close(fd);
		return odb_err(oid, "not a plain file of a sane size");
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		close(fd);
		git_error_set_oom();
		return GIT_ERROR;
	}
	while (n < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n != (size_t)sb.st_size) {
		free(buf);
		return odb_err(oid, "short read");
	}
	*out = buf;
	*outlen = n;
	return 0;
}

static int parse_type(const char *s, size_t n, git_object_t *out)
{
	static const struct { const char *name; git_object_t t; } types[] = {
		{ "commit", GIT_OBJECT_COMMIT }, { "tree", GIT_OBJECT_TREE },
		{ "blob", GIT_OBJECT_BLOB },     { "tag", GIT_OBJECT_TAG },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n && memcmp(s, types[i].name, n) == 0) {
			*out = types[i].t;
			return 0;
		}
	return -1;
}

/* Inflates and checks one loose object. With data == NULL only the header
 * is read and checked (the full read checks the rest). */
static int load(vloose *b, const git_oid *oid, void **data, size_t *len,
                git_object_t *type)
{
	unsigned char *z = NULL, hdr[64], *body = NULL;
	size_t zlen = 0, hlen, size = 0;
	z_stream s;
	git_oid check;
	char *sp;
	int rc, zr;

	rc = slurp(b, oid, &z, &zlen);
	if (rc != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	if (inflateInit(&s) != Z_OK) {
		free(z);
		return odb_err(oid, "zlib");
	}
	s.next_in = z;
	s.avail_in = (uInt)zlen;
	/* the header: "<type> <size>\0" within the first 64 bytes */
	s.next_out = hdr;
	s.avail_out = sizeof(hdr);
	zr = inflate(&s, Z_SYNC_FLUSH);
	if (zr != Z_OK && zr != Z_STREAM_END) {
		rc = odb_err(oid, "damaged zlib stream");
		goto out;
	}
	hlen = sizeof(hdr) - s.avail_out;
	{
		unsigned char *nul = memchr(hdr, '\0', hlen);
		char *end;
		unsigned long long v;
		if (nul == NULL) {
			rc = odb_err(oid, "truncated header");
			goto out;
		}
		sp = memchr(hdr, ' ', (size_t)(nul - hdr));
		if (sp == NULL || parse_type((char *)hdr, (size_t)((unsigned char *)sp - hdr), type) != 0) {
			rc = odb_err(oid, "unknown object type");
			goto out;
		}
		if (sp[1] < '0' || sp[1] > '9' || (sp[1] == '0' && (unsigned char *)sp + 2 != nul)) {
			rc = odb_err(oid, "bad size in header");
			goto out;
		}
		v = strtoull(sp + 1, &end, 10);
		if ((unsigned char *)end != nul || v > LOOSE_MAX) {
			rc = odb_err(oid, "bad or too large size in header");
			goto out;
		}
		size = (size_t)v;
		hlen -= (size_t)(nul + 1 - hdr);
		if (hlen > size) {
			rc = odb_err(oid, "longer than its header says");
			goto out;
		}
		if (data == NULL) {
			*len = size;
			rc = 0;
			goto out;
		}
		body = git_odb_backend_data_alloc(&b->parent, size + 1);
		if (body == NULL) {
			git_error_set_oom();
			rc = GIT_ERROR;
			goto out;
		}
		memcpy(body, nul + 1, hlen);
	}
	/* the rest of the body, and nothing more */
	if (zr != Z_STREAM_END) {
		s.next_out = body + hlen;
		s.avail_out = (uInt)(size - hlen + 1); /* one spare byte: overrun */
		zr = inflate(&s, Z_FINISH);
		if (zr != Z_STREAM_END) {
			rc = odb_err(oid, zr == Z_BUF_ERROR && s.avail_out == 0
			                          ? "longer than its header says"
			                          : "truncated or damaged");
			goto out;
		}
		hlen = size + 1 - s.avail_out;
	}
	if (hlen != size) {
		rc = odb_err(oid, "shorter than its header says");
		goto out;
	}
	if (s.avail_in != 0) {
		rc = odb_err(oid, "data after the end of the object");
		goto out;
	}
	body[size] = '\0'; /* libgit2's parsers expect it, as its reader does */
	if (git_odb_hash(&check, body, size, *type) != 0 ||
	    !git_oid_equal(&check, oid)) {
		rc = odb_err(oid, "its content does not hash to its name");
		goto out;
	}
	*len = size;
	*data = body;
	body = NULL;
	rc = 0;
out:
	inflateEnd(&s);
	if (body)
		git_odb_backend_data_free(&b->parent, body);
	free(z);
	return rc;
}

static int vl_read(void **data, size_t *len, git_object_t *type,
                   git_odb_backend *b, const git_oid *oid)
{
	return load((vloose *)b, oid, data, len, type);
}

static int vl_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
                          const git_oid *oid)
{
	return load((vloose *)b, oid, NULL, len, type);
}

static int vl_exists(git_odb_backend *b, const git_oid *oid)
{
	char path[4096];
	struct stat sb;

	if (object_path((vloose *)b, oid, path, sizeof(path)) != 0)
		return 0;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void vl_free(git_odb_backend *b)
{
	vloose *v = (vloose *)b;

	free(v->dir);
	free(v);
}

static int vloose_new(git_odb_backend **out, const char *dir)
{
	vloose *v = calloc(1, sizeof(*v));

	if (v == NULL || (v->dir = strdup(dir)) == NULL) {
		free(v);
		return -1;
	}
	if (git_odb_init_backend(&v->parent, GIT_ODB_BACKEND_VERSION) != 0) {
		free(v->dir);
		free(v);
		return -1;
	}
	v->parent.read = vl_read;
	v->parent.read_header = vl_read_header;
	v->parent.exists = vl_exists;
	v->parent.free = vl_free;
	*out = &v->parent;
	return 0;
}

/* Adds, for one objects directory: its packs (tried first), our loose
 * reader, and libgit2's loose backend last (it takes the writes). */
int store_odb_add(git_odb *odb, const char *objects, int writable, int fsync)
{
	git_odb_backend *packs = NULL, *reader = NULL, *writer = NULL;

	if (git_odb_backend_pack(&packs, objects) != 0)
		return -1;
	if (git_odb_add_backend(odb, packs, 30) != 0) {
		packs->free(packs);
		return -1;
	}
	if (vloose_new(&reader, objects) != 0)
		return -1;
	if (git_odb_add_backend(odb, reader, 20) != 0) {
		reader->free(reader);
		return -1;
	}
	if (!writable)
		return 0;
	if (git_odb_backend_loose(&writer, objects, -1, fsync, 0, 0) != 0)
		return -1;
	if (git_odb_add_backend(odb, writer, 10) != 0) {
		writer->free(writer);
		return -1;
	}
	return 0;
}

int store_odb_attach(git_repository *repo, int fsync)
{
	char objects[4096];
	git_odb *odb = NULL;

	snprintf(objects, sizeof(objects), "%sobjects",
	         git_repository_path(repo));
	if (git_odb_new(&odb) != 0 || store_odb_add(odb, objects, 1, fsync) != 0) {
		git_odb_free(odb);
		return store_giterr("cannot open the object database");
	}
	git_repository_set_odb(repo, odb);
	git_odb_free(odb); /* the repository holds it */
	return 0;
}
