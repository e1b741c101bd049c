/* cmd_enroll.c — govfed enroll: a parent certifies a child's key. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: govfed enroll --home PARENT_DIR --child-pub FILE --id ID\n"
	"                     --level LEVEL --name NAME\n"
	"                     [--valid-from TIME] [--valid-until TIME] [--force]\n"
	"\n"
	"Run at the parent. Appends a certificate for the child to\n"
	"certs/<ID>.json in the parent's history, signed by the parent's key,\n"
	"in one signed commit.\n"
	"\n"
	"  --child-pub FILE     the child's node.pub (from its govfed init)\n"
	"  --valid-from TIME    default: now, less 10 minutes for clock skew\n"
	"  --valid-until TIME   default: no end (TIME is 2026-11-23T10:00:00Z)\n"
	"  --force              the child is enrolled with another key already:\n"
	"                       revoke that key and certify this one\n";

#define SKEW_ALLOWANCE 600

int cmd_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "child-pub", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "level", required_argument, NULL, 0 },
		{ "name", required_argument, NULL, 0 },
		{ "valid-from", required_argument, NULL, 0 },
		{ "valid-until", required_argument, NULL, 0 },
		{ "force", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *pub = NULL, *id = NULL, *level = NULL,
	           *name = NULL, *from = NULL, *until = NULL;
	char why[512], out[STORE_OID_HEX], fp[KEYS_FINGERPRINT_MAX];
	int idx, c, force = 0, rc;
	store_identity child;
	keys_public key;
	int64_t vf, vu = 0;
	node_home h;

	while ((c = cli_getopt("enroll", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: pub = optarg; break;
		case 2: id = optarg; break;
		case 3: level = optarg; break;
		case 4: name = optarg; break;
		case 5: from = optarg; break;
		case 6: until = optarg; break;
		case 7: force = 1; break;
		case 8: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !pub || !id || !level || !name)
		return cli_usage("enroll", "--home, --child-pub, --id, --level and "
		                           "--name are required");
	memset(&child, 0, sizeof(child));
	if (!store_id_valid(id))
		return cli_usage("enroll", "--id '%s' is not a division code", id);
	if (store_level_parse(&child.level, level) != 0)
		return cli_usage("enroll", "--level '%s' must be city, district, "
		                           "township or village", level);
	if (strlen(name) == 0 || strlen(name) >= sizeof(child.name))
		return cli_usage("enroll", "--name must be 1-%zu bytes",
		                 sizeof(child.name) - 1);
	if (from && keys_time_parse(&vf, from) != 0)
		return cli_usage("enroll", "--valid-from '%s' must be a UTC time "
		                           "like 2026-11-23T10:00:00Z", from);
	if (until && keys_time_parse(&vu, until) != 0)
		return cli_usage("enroll", "--valid-until '%s' must be a UTC time "
		                           "like 2026-11-23T10:00:00Z", until);
	if (keys_public_load(&key, pub, why, sizeof(why)) != 0) {
		cli_err("--child-pub: %s", why);
		return EXIT_NO;
	}
	snprintf(child.id, sizeof(child.id), "%s", id);
	snprintf(child.name, sizeof(child.name), "%s", name);

	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	if (!from)
		vf = store_now() - SKEW_ALLOWANCE;
	if (until && vu <= vf) {
		home_close(&h);
		return cli_usage("enroll", "--valid-until must be after --valid-from");
	}
	snprintf(child.parent, sizeof(child.parent), "%s", h.cfg.id);
	rc = home_ensure_genesis(&h);
	if (rc != 0)
		goto done;
	rc = store_enroll(h.st, h.sk, &child, &key, vf, vu, force, out);
	if (rc == STORE_EUNCHANGED) {
		printf("unchanged: %s\n", store_errmsg());
		rc = EXIT_OK;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot enroll %s: %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	keys_public_fingerprint(fp, &key);
	printf("enrolled %s %s (%s) with key %s\n", id, name, level, fp);
	printf("commit %s\n", out);
	home_maintain(&h);
	rc = EXIT_OK;
done:
	home_close(&h);
	return rc;
}
