/*
 * cmd_bundle.c — govfed export / import: histories in a file, for offline
 * transfer between networks that do not meet (政务外网 and an isolated
 * intranet, say) and for tests. An import runs exactly the acceptance
 * rules a sync runs.
 *
 * Format: the line "govfed-bundle 1", one line of JSON
 *   {"histories":[{"node":ID,"head":HEX,"base":HEX|null,"size":N},...]}
 * and then, for each history in that order, a git packfile of N bytes.
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "govfed-bundle 1\n"
#define HEADER_MAX (1024 * 1024)
#define BUNDLE_MAX ((size_t)1 << 31)
#define IDS_MAX 4096

static const char export_usage[] =
	"usage: govfed export --home DIR [--id NODE ...] [--since COMMIT] "
	"--out FILE\n"
	"\n"
	"Writes the histories of the given nodes (this node's own if no --id)\n"
	"to FILE. With --since, only the commits after COMMIT (one --id).\n";

static const char import_usage[] =
	"usage: govfed import --home DIR --file FILE [--json]\n"
	"\n"
	"Applies each history in a bundle under the acceptance rules: the key\n"
	"at every commit chains to the root, every commit is signed by it, the\n"
	"history fast-forwards what is held, and every change lies in its\n"
	"author's records and passes its schema. Parents are applied before\n"
	"children. Exit 0 if every history was applied (or already held).\n";

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "since", required_argument, NULL, 0 },
		{ "out", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *since = NULL, *out = NULL, *ids[IDS_MAX];
	size_t nids = 0, total;
	store_buf *packs = NULL;
	json_t *hdr = NULL, *hs;
	char *hdrs = NULL;
	node_home h;
	FILE *f = NULL;
	int idx, c, rc;

	while ((c = cli_getopt("export", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1:
			if (nids == IDS_MAX)
				return cli_usage("export", "too many --id");
			if (!store_id_valid(optarg))
				return cli_usage("export", "--id '%s' is not a division "
				                           "code", optarg);
			ids[nids++] = optarg;
			break;
		case 2: since = optarg; break;
		case 3: out = optarg; break;
		case 4: fputs(export_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !out)
		return cli_usage("export", "--home and --out are required");
	if (since && nids > 1)
		return cli_usage("export", "--since needs a single --id");
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (nids == 0)
		ids[nids++] = h.cfg.id;
	packs = calloc(nids, sizeof(*packs));
	hdr = json_object();
	hs = json_array();
	json_object_set_new(hdr, "histories", hs);
	rc = EXIT_RUNTIME;
	if (packs == NULL || hdr == NULL)
		goto done;
	for (size_t i = 0; i < nids; i++) {
		char head[STORE_OID_HEX];
		int r = store_pack_build(h.st, ids[i], since, &packs[i], head);
		if (r != 0) {
			cli_err("cannot export %s: %s", ids[i], store_errmsg());
			rc = cli_exit_for(r);
			goto done;
		}
		json_array_append_new(hs, json_pack("{s:s,s:s,s:s?,s:I}", "node",
		                                    ids[i], "head", head, "base",
		                                    since, "size",
		                                    (json_int_t)packs[i].len));
	}
	hdrs = json_dumps(hdr, JSON_COMPACT);
	f = fopen(out, "wbx");
	if (f == NULL) {
		cli_err("cannot create '%s' (it must not exist yet): %m", out);
		rc = errno == EEXIST ? EXIT_NO : EXIT_RUNTIME;
		goto done;
	}
	total = 0;
	if (fputs(MAGIC, f) < 0 || fputs(hdrs, f) < 0 || fputc('\n', f) < 0)
		goto werr;
	for (size_t i = 0; i < nids; i++) {
		if (packs[i].len &&
		    fwrite(packs[i].ptr, 1, packs[i].len, f) != packs[i].len)
			goto werr;
		total += packs[i].len;
	}
	if (fflush(f) != 0 || fclose(f) != 0) {
		f = NULL;
		goto werr;
	}
	f = NULL;
	printf("wrote %zu histor%s (%zu bytes of packs) to %s\n", nids,
	       nids == 1 ? "y" : "ies", total, out);
	rc = EXIT_OK;
	goto done;
werr:
	cli_err("cannot write '%s': %m", out);
	if (f)
		fclose(f);
	f = NULL;
	remove(out);
done:
	free(hdrs);
	json_decref(hdr);
	for (size_t i = 0; packs && i < nids; i++)
		store_buf_free(&packs[i]);
	free(packs);
	home_close(&h);
	return rc;
}

typedef struct section {
	char node[KEYS_ID_MAX + 1];
	char head[STORE_OID_HEX];
	const char *pack;
	size_t len;
	int done;
	int rc;
	char msg[1024];
	store_import_result res;
} section;

/* Parses the bundle; prints why and returns an exit code on failure. */
static int parse_bundle(const char *file, const char *data, size_t len,
                        section **out, size_t *n)
{
	const char *p = data, *nl;
	json_t *hdr = NULL, *hs, *x;
	json_error_t err;
	section *s = NULL;
	size_t off, i;

	if (len < strlen(MAGIC) || memcmp(data, MAGIC, strlen(MAGIC)) != 0) {
		cli_err("'%s' is not a govfed bundle (it must start with "
		        "'govfed-bundle 1')", file);
		return EXIT_NO;
	}
	p += strlen(MAGIC);
	nl = memchr(p, '\n', len - strlen(MAGIC) < HEADER_MAX
	                             ? len - strlen(MAGIC)
	                             : HEADER_MAX);
	if (nl == NULL) {
		cli_err("'%s': the bundle header is missing or too long", file);
		return EXIT_NO;
	}
	hdr = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &err);
	hs = hdr ? json_object_get(hdr, "histories") : NULL;
	if (!json_is_array(hs) || json_array_size(hs) == 0 ||
	    json_array_size(hs) > IDS_MAX) {
		cli_err("'%s': the bundle header is malformed%s%s", file,
		        hdr ? "" : ": ", hdr ? "" : err.text);
		json_decref(hdr);
		return EXIT_NO;
	}
	s = calloc(json_array_size(hs), sizeof(*s));
	if (s == NULL) {
		json_decref(hdr);
		return EXIT_RUNTIME;
	}
	off = (size_t)(nl + 1 - data);
	json_array_foreach(hs, i, x) {
		const char *node = json_string_value(json_object_get(x, "node"));
		const char *head = json_string_value(json_object_get(x, "head"));
		json_t *size = json_object_get(x, "size");

		if (!store_id_valid(node) || head == NULL || strlen(head) != 40 ||
		    strspn(head, "0123456789abcdef") != 40 ||
		    !json_is_integer(size) || json_integer_value(size) < 0 ||
		    (size_t)json_integer_value(size) > len - off) {
			cli_err("'%s': history %zu in the header is malformed or the "
			        "file is truncated", file, i + 1);
			free(s);
			json_decref(hdr);
			return EXIT_NO;
		}
		snprintf(s[i].node, sizeof(s[i].node), "%s", node);
		snprintf(s[i].head, sizeof(s[i].head), "%s", head);
		s[i].pack = data + off;
		s[i].len = (size_t)json_integer_value(size);
		off += s[i].len;
	}
	if (off != len) {
		cli_err("'%s': %zu bytes follow the last pack", file, len - off);
		free(s);
		json_decref(hdr);
		return EXIT_NO;
	}
	*n = json_array_size(hs);
	*out = s;
	json_decref(hdr);
	return EXIT_OK;
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "file", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *file = NULL;
	char *data = NULL;
	size_t len, n = 0, failed = 0;
	section *s = NULL;
	int idx, c, json = 0, rc, progressed;
	node_home h;

	while ((c = cli_getopt("import", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: file = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(import_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !file)
		return cli_usage("import", "--home and --file are required");
	rc = cli_read_file(file, BUNDLE_MAX, "bundle", &data, &len);
	if (rc != 0)
		return rc;
	rc = parse_bundle(file, data, len, &s, &n);
	if (rc != 0) {
		free(data);
		return rc;
	}
	rc = home_open(&h, home, 0);
	if (rc != 0) {
		free(s);
		free(data);
		return rc;
	}
	/* parents first: retry what waits on a parent until nothing moves */
	do {
		progressed = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i].done)
				continue;
			s[i].rc = store_import(h.st, &h.root, s[i].node, s[i].head,
			                       s[i].pack, s[i].len, &s[i].res);
			snprintf(s[i].msg, sizeof(s[i].msg), "%s", store_errmsg());
			if (s[i].rc != STORE_EWAIT) {
				s[i].done = 1;
				progressed |= s[i].rc == 0;
			}
		}
	} while (progressed);
	for (size_t i = 0; i < n; i++) {
		if (s[i].rc == STORE_ESTALE) /* a newer head is held: fine */
			s[i].rc = 0;
		if (s[i].rc != 0)
			failed++;
	}
	if (json) {
		json_t *o = json_array();
		char *str;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
			        o, json_pack("{s:s,s:s,s:b,s:I,s:s?,s:s?}", "node",
			                     s[i].node, "head", s[i].head, "applied",
			                     s[i].rc == 0, "commits",
			                     (json_int_t)s[i].res.commits, "reason",
			                     s[i].rc ? s[i].msg : NULL, "evidence",
			                     s[i].res.evidence[0] ? s[i].res.evidence
			                                          : NULL));
		str = json_dumps(o, JSON_INDENT(2));
		printf("%s\n", str);
		free(str);
		json_decref(o);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (s[i].rc == 0 && s[i].res.commits == 0)
				printf("%s: already held at %.12s\n", s[i].node, s[i].head);
			else if (s[i].rc == 0)
				printf("%s: applied %zu commit%s, head %.12s\n", s[i].node,
				       s[i].res.commits, s[i].res.commits == 1 ? "" : "s",
				       s[i].head);
			else
				cli_err("%s: refused: %s", s[i].node, s[i].msg);
		}
	}
	home_maintain(&h);
	rc = failed ? EXIT_NO : EXIT_OK;
	for (size_t i = 0; i < n; i++)
		if (s[i].rc != 0 && cli_exit_for(s[i].rc) == EXIT_RUNTIME)
			rc = EXIT_RUNTIME;
	free(s);
	free(data);
	home_close(&h);
	return rc;
}
