/*
 * cmd_calendar.c — govfed calendar (the province's working-day calendar)
 * and govfed request (依申请公开 applications and their statutory clock).
 *
 * The calendar is calendar/<year>.json in the province's history; every
 * other node reads it from its replica of that history. A request is
 * requests/<id>.json in the history of the node that received it: its
 * receipt date, channel and dated events, never the applicant. The clock
 * (store/clock.h) is computed when read, as of a day (--today, default
 * today in China; $GOVFED_NOW sets "now" for tests).
 */
#include "cli.h"
#include "clock.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cal_usage[] =
	"usage: govfed calendar put          --home DIR --file YEAR.json [--json]\n"
	"       govfed calendar show         --home DIR [--year Y] [--json]\n"
	"       govfed calendar add-workdays --home DIR --from DATE --days N "
	"[--json]\n"
	"\n"
	"put           (the province only) publishes the working-day calendar of\n"
	"              one year, from the State Council's yearly notice, as\n"
	"              calendar/<year>.json: {year, holidays: [{name, from, to}],\n"
	"              workdays: [the adjusted working weekends, 调休], source:\n"
	"              the notice}. examples/calendar/ holds 2020, 2024 and 2025.\n"
	"              Every holiday and working day lies in the year; a working\n"
	"              day is a Saturday or Sunday outside every holiday.\n"
	"show          the calendar in effect here: the years the province has\n"
	"              published, from its history as held here. Years it has not\n"
	"              published are counted Monday to Friday.\n"
	"add-workdays  the N-th working day after DATE on that calendar (DATE\n"
	"              itself does not count: a period 自…之日起 N个工作日 ends\n"
	"              there), and the years on the way the calendar does not\n"
	"              cover.\n";

static const char req_usage[] =
	"usage: govfed request open  --home DIR --id ID --received DATE --channel CH\n"
	"                            [--summary TEXT] [--json]\n"
	"       govfed request event --home DIR --id ID --type TYPE --date DATE "
	"[--json]\n"
	"       govfed request show  --home DIR --id ID [--node NODE] [--today DATE]\n"
	"                            [--json]\n"
	"       govfed request list  --home DIR [--overdue] [--today DATE] [--json]\n"
	"\n"
	"The statutory clock of a 依申请公开 application (政府信息公开条例 arts\n"
	"30-34). Only dates are recorded: no applicant, no personal data (keep\n"
	"names, ID numbers and addresses out of --summary).\n"
	"\n"
	"open   records an application received on DATE (art 31: in person, the\n"
	"       day it was handed in; registered post, the day signed for; other\n"
	"       post, internet or fax, the day receipt was confirmed).\n"
	"       CH: 当面 邮寄 网络 传真 其他. ID: 1-64 of A-Z a-z 0-9 . _ -.\n"
	"event  appends a dated event, in order, none before the receipt or after\n"
	"       today. TYPE:\n"
	"         补正告知    the one-time notice to correct the application (due\n"
	"                     within 7 working days of receipt, art 30); the answer\n"
	"                     period then waits\n"
	"         补正收到    the corrected application arrived: the 20 working days\n"
	"                     start again from this day\n"
	"         第三方征求 / 第三方回复, 他机关征求 / 他机关回复\n"
	"                     a consultation (arts 32, 34): its working days are not\n"
	"                     counted\n"
	"         延期批准    an extension of 20 working days (art 33), approved in\n"
	"                     time\n"
	"         答复        the answer; the clock stops\n"
	"show   one application of this node (or of the held node --node) and its\n"
	"       clock as of --today (default: today in China).\n"
	"list   this node's applications and those of every descendant whose\n"
	"       history is held here, each with its node, due date and state;\n"
	"       --overdue: only those not answered by their due date.\n"
	"\n"
	"Counting: the day of the event does not count; the period ends on the\n"
	"N-th working day after it, on the province's calendar (Monday to Friday\n"
	"where it has none).\n";

#define DESCENT_MAX 8

static const char *const channels[] = { "当面", "邮寄", "网络", "传真", "其他",
	                                NULL };
static const char *const event_types[] = {
	"补正告知", "补正收到", "第三方征求", "第三方回复", "他机关征求",
	"他机关回复", "延期批准", "答复", NULL
};

static const char *const weekdays[] = { "", "Monday", "Tuesday", "Wednesday",
	                                "Thursday", "Friday", "Saturday",
	                                "Sunday" };

/* ---- helpers ------------------------------------------------------------------ */

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
	free(s);
}

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static int id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

/* A --DATE option: a usage error when it is not a date. */
static int date_opt(const char *name, const char *opt, const char *s,
                    int32_t *out)
{
	if (date_parse(out, s) != 0)
		return cli_usage(name, "%s '%s' is not a date like 2024-09-30", opt,
		                 s);
	return 0;
}

static json_t *date_json(int32_t d)
{
	char s[11];

	if (d == 0)
		return json_null();
	date_format(s, d);
	return json_string(s);
}

static const char *fmt(int32_t d, char buf[11])
{
	date_format(buf, d);
	return buf;
}

/* The province's history as held here: its id, and whether it is the own.
 * 0 found, STORE_ENOTFOUND not held, or a store error. */
static int province_of(store *st, char out[KEYS_ID_MAX + 1], int *own)
{
	store_head *hs = NULL;
	size_t n = 0;
	int rc;

	rc = store_heads_list(st, &hs, &n);
	if (rc != 0)
		return rc;
	rc = STORE_ENOTFOUND;
	for (size_t i = 0; i < n; i++) {
		store_identity id;
		if (store_identity_get(st, hs[i].own ? NULL : hs[i].id, &id) == 0 &&
		    id.level == STORE_LEVEL_PROVINCE) {
			snprintf(out, KEYS_ID_MAX + 1, "%s", id.id);
			*own = hs[i].own;
			rc = 0;
			break;
		}
	}
	free(hs);
	return rc;
}

/* The province's calendar; prints why not and returns an exit code. */
static int load_cal(node_home *h, calendar *cal)
{
	char why[512];
	int rc;

	calendar_init(cal);
	rc = clock_calendar_load(h->st, cal, why, sizeof(why));
	if (rc != 0) {
		cli_err("cannot read the province's working-day calendar: %s", why);
		calendar_free(cal);
		return cli_exit_for(rc) == EXIT_NO ? EXIT_RUNTIME : cli_exit_for(rc);
	}
	return 0;
}

/* ---- calendar put ------------------------------------------------------------- */

static int cal_put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "file", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *file = NULL;
	char *data = NULL, *canon = NULL, path[64], msg[128], why[512];
	char out[STORE_OID_HEX];
	size_t len, clen;
	int idx, c, json = 0, rc, year;
	calendar cal;
	json_t *v;
	store_change ch;
	node_home h;

	while ((c = cli_getopt("calendar put", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: file = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(cal_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !file)
		return cli_usage("calendar put", "--home and --file are required");
	rc = cli_read_file(file, STORE_RECORD_MAX, "calendar file", &data, &len);
	if (rc != 0)
		return rc;
	/* the schema and the canonical form; then the calendar's own rules,
	 * said before anything opens */
	rc = store_record_prepare(&canon, &clen, "calendar/2000.json", data, len);
	free(data);
	if (rc != 0) {
		cli_err("%s: %s", file, store_errmsg());
		return cli_exit_for(rc);
	}
	calendar_init(&cal);
	rc = clock_calendar_from_json(&cal, canon, clen, why, sizeof(why));
	calendar_free(&cal);
	if (rc != 0) {
		cli_err("%s: %s", file, why);
		free(canon);
		return cli_exit_for(rc);
	}
	v = json_loadb(canon, clen, 0, NULL);
	year = (int)json_integer_value(json_object_get(v, "year"));
	json_decref(v);
	snprintf(path, sizeof(path), "calendar/%d.json", year);
	snprintf(msg, sizeof(msg), "calendar put %d", year);

	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0) {
		free(canon);
		return rc;
	}
	if (h.cfg.level != STORE_LEVEL_PROVINCE) {
		cli_err("the working-day calendar is published by the province; "
		        "this node, %s (%s), reads it from the province's history "
		        "(give %s to the province's operator)", h.cfg.id,
		        store_level_name(h.cfg.level), file);
		rc = EXIT_NO;
		goto done;
	}
	rc = home_ensure_genesis(&h);
	if (rc != 0)
		goto done;
	ch = (store_change){ path, canon, clen };
	rc = store_commit(h.st, h.sk, &ch, 1, msg, out);
	if (rc == STORE_EUNCHANGED) {
		if (json)
			printf("{\"path\":\"%s\",\"commit\":null,\"unchanged\":true}\n",
			       path);
		else
			printf("unchanged: %s already holds this calendar\n", path);
		rc = EXIT_OK;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot publish %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json)
		printf("{\"path\":\"%s\",\"commit\":\"%s\",\"unchanged\":false}\n",
		       path, out);
	else
		printf("committed %s %s\n", out, path);
	home_maintain(&h);
	rc = EXIT_OK;
done:
	free(canon);
	home_close(&h);
	return rc;
}

/* ---- calendar show -------------------------------------------------------------- */

typedef struct show_ctx {
	json_t *years;
	int year;
} show_ctx;

static int show_one(void *ctx, const char *path, const char *data, size_t len)
{
	show_ctx *sc = ctx;
	json_t *v = json_loadb(data, len, 0, NULL);

	if (v == NULL) {
		cli_err("%s in the province's history is not JSON", path);
		return STORE_ECORRUPT;
	}
	if (sc->year == 0 ||
	    json_integer_value(json_object_get(v, "year")) == sc->year)
		json_array_append(sc->years, v);
	json_decref(v);
	return 0;
}

static int cal_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "year", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL;
	int idx, c, json = 0, rc, own = 0, held;
	char prov[KEYS_ID_MAX + 1] = "", *end;
	show_ctx sc = { NULL, 0 };
	json_t *o = NULL, *y, *x;
	size_t i, j;
	node_home h;

	while ((c = cli_getopt("calendar show", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: {
			long l = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || l < 1990 || l > 2200)
				return cli_usage("calendar show", "--year '%s' must be a "
				                 "year from 1990 to 2200", optarg);
			sc.year = (int)l;
			break;
		}
		case 2: json = 1; break;
		case 3: fputs(cal_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("calendar show", "--home is required");
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	sc.years = json_array();
	rc = province_of(h.st, prov, &own);
	held = rc == 0;
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_err("cannot read the store: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (held) {
		rc = store_record_foreach(h.st, own ? NULL : prov, "calendar/",
		                          show_one, &sc);
		if (rc != 0) {
			if (rc != STORE_ECORRUPT)
				cli_err("cannot read %s's calendar/: %s", prov,
				        store_errmsg());
			rc = EXIT_RUNTIME;
			goto done;
		}
	}
	if (json) {
		o = json_pack("{s:o,s:O}", "province",
		              held ? json_string(prov) : json_null(), "calendars",
		              sc.years);
		print_json(o);
	} else if (sc.year && json_array_size(sc.years) == 0) {
		/* said below */
	} else if (!held) {
		printf("the province's history is not held here yet (import it, or "
		       "let the daemon sync): working days are counted Monday to "
		       "Friday\n");
	} else if (json_array_size(sc.years) == 0) {
		printf("the province (%s) has published no calendar%s: working days "
		       "are counted Monday to Friday\n", prov,
		       sc.year ? " for that year" : "");
	} else {
		json_array_foreach(sc.years, i, y) {
			printf("%d  published by %s  (%s)\n",
			       (int)json_integer_value(json_object_get(y, "year")), prov,
			       str_of(y, "source") ? str_of(y, "source")
			                           : "no source given");
			json_array_foreach(json_object_get(y, "holidays"), j, x)
				printf("  holiday  %s .. %s  %s\n", str_of(x, "from"),
				       str_of(x, "to"), str_of(x, "name"));
			json_array_foreach(json_object_get(y, "workdays"), j, x) {
				int32_t d = 0;
				date_parse(&d, json_string_value(x));
				printf("  working  %s  %s (调休)\n", json_string_value(x),
				       weekdays[date_weekday(d)]);
			}
		}
	}
	/* asking for a year the province has not published is a "no" */
	rc = sc.year && json_array_size(sc.years) == 0 ? EXIT_NO : EXIT_OK;
	if (rc == EXIT_NO)
		cli_err("the province%s has published no calendar of %d: Monday to "
		        "Friday is assumed for it", held ? "" : "'s history is not "
		        "held here and", sc.year);
done:
	json_decref(o);
	json_decref(sc.years);
	home_close(&h);
	return rc;
}

/* ---- calendar add-workdays ---------------------------------------------------------- */

static int cal_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "from", required_argument, NULL, 0 },
		{ "days", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *from = NULL, *days = NULL;
	int idx, c, json = 0, rc, unc = 0;
	int32_t start, due;
	long n;
	char ds[11], *end, list[256] = "";
	json_t *o, *years;
	calendar cal;
	node_home h;

	while ((c = cli_getopt("calendar add-workdays", argc, argv, opts,
	                       &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: from = optarg; break;
		case 2: days = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(cal_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !from || !days)
		return cli_usage("calendar add-workdays",
		                 "--home, --from and --days are required");
	if ((rc = date_opt("calendar add-workdays", "--from", from, &start)) != 0)
		return rc;
	n = strtol(days, &end, 10);
	if (*days == '\0' || *end != '\0' || n < 0 || n > 3660)
		return cli_usage("calendar add-workdays",
		                 "--days '%s' must be a number of working days from 0 "
		                 "to 3660", days);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	rc = load_cal(&h, &cal);
	if (rc != 0) {
		home_close(&h);
		return rc;
	}
	due = calendar_add_workdays(&cal, start, (int)n, &unc);
	date_format(ds, due);
	years = json_array();
	for (int y = date_year(start + (n > 0)); y <= date_year(due); y++)
		if (!calendar_covers(&cal, y)) {
			json_array_append_new(years, json_integer(y));
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d",
			         list[0] ? ", " : "", y);
		}
	if (json) {
		o = json_pack("{s:s,s:i,s:s,s:s,s:b,s:o}", "from", from, "days",
		              (int)n, "date", ds, "weekday",
		              weekdays[date_weekday(due)], "uncovered",
		              json_array_size(years) > 0, "uncovered_years", years);
		print_json(o);
		json_decref(o);
	} else {
		printf("%s (%s): %ld working day%s after %s\n", ds,
		       weekdays[date_weekday(due)], n, n == 1 ? "" : "s", from);
		if (list[0])
			printf("not covered by the province's calendar: %s (Monday to "
			       "Friday assumed there)\n", list);
		json_decref(years);
	}
	calendar_free(&cal);
	home_close(&h);
	return EXIT_OK;
}

int cmd_calendar(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "put", cal_put },
		{ "show", cal_show },
		{ "add-workdays", cal_add },
	};

	return cli_dispatch("calendar", cal_usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}

/* ---- requests: writing ---------------------------------------------------------------- */

/* Commits requests/<id>.json = v; prints the result. */
static int req_write(node_home *h, const json_t *v, const char *id,
                     const char *msg, const calendar *cal, int32_t today,
                     int json)
{
	char *data = json_dumps(v, JSON_COMPACT), *canon = NULL;
	char path[128], out[STORE_OID_HEX], why[256];
	size_t clen;
	store_change ch;
	clock_request cr;
	int rc;

	snprintf(path, sizeof(path), "requests/%s.json", id);
	rc = data ? store_record_prepare(&canon, &clen, path, data, strlen(data))
	          : STORE_ENOMEM;
	free(data);
	if (rc != 0) {
		cli_err("%s", store_errmsg()); /* names the field */
		return cli_exit_for(rc);
	}
	if (clock_request_eval(cal, canon, clen, today, &cr, why,
	                       sizeof(why)) != 0) {
		cli_err("request %s: %s", id, why);
		free(canon);
		return EXIT_NO;
	}
	rc = home_ensure_genesis(h);
	if (rc != 0) {
		free(canon);
		return rc;
	}
	ch = (store_change){ path, canon, clen };
	rc = store_commit(h->st, h->sk, &ch, 1, msg, out);
	free(canon);
	if (rc != 0) {
		cli_err("cannot record %s: %s", path, store_errmsg());
		return cli_exit_for(rc);
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "path", path, "commit",
		                      out, "state", cr.state, "due",
		                      date_json(cr.due));
		print_json(o);
		json_decref(o);
	} else {
		printf("committed %s %s\n%s\n", out, path, cr.state);
	}
	home_maintain(h);
	return EXIT_OK;
}

static int req_open(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "received", required_argument, NULL, 0 },
		{ "channel", required_argument, NULL, 0 },
		{ "summary", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *rcv = NULL, *chn = NULL;
	const char *sum = NULL;
	char path[128], msg[160], today_s[11];
	int idx, c, json = 0, rc;
	int32_t d, today = clock_today();
	json_t *v = NULL;
	calendar cal;
	node_home h;

	while ((c = cli_getopt("request open", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: rcv = optarg; break;
		case 3: chn = optarg; break;
		case 4: sum = optarg; break;
		case 5: json = 1; break;
		case 6: fputs(req_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !rcv || !chn)
		return cli_usage("request open",
		                 "--home, --id, --received and --channel are required");
	if (!id_ok(id))
		return cli_usage("request open", "--id '%s' must be 1-64 letters, "
		                 "digits, '.', '_' or '-', starting with a letter or "
		                 "digit", id);
	if ((rc = date_opt("request open", "--received", rcv, &d)) != 0)
		return rc;
	if (!one_of(chn, channels))
		return cli_usage("request open", "--channel '%s' must be one of 当面 "
		                 "邮寄 网络 传真 其他", chn);
	if (d > today) {
		cli_err("--received %s is after today (%s); give the day the "
		        "application was received", rcv, fmt(today, today_s));
		return EXIT_NO;
	}
	v = json_pack("{s:s,s:s,s:s,s:[]}", "id", id, "received", rcv, "channel",
	              chn, "events");
	if (sum)
		json_object_set_new(v, "summary", json_string(sum));
	if (v == NULL || (sum && json_object_get(v, "summary") == NULL)) {
		json_decref(v);
		cli_err("--summary must be UTF-8 text");
		return EXIT_NO;
	}
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0) {
		json_decref(v);
		return rc;
	}
	snprintf(path, sizeof(path), "requests/%s.json", id);
	rc = store_record_stat(h.st, NULL, path, NULL, NULL);
	if (rc == 0) {
		cli_err("request %s is recorded already; add its events with 'govfed "
		        "request event --id %s'", id, id);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != STORE_ENOTFOUND) {
		cli_err("cannot read the store: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	rc = load_cal(&h, &cal);
	if (rc != 0)
		goto done;
	snprintf(msg, sizeof(msg), "request open %s (%s, received %s)", id, chn,
	         rcv);
	rc = req_write(&h, v, id, msg, &cal, today, json);
	calendar_free(&cal);
done:
	json_decref(v);
	home_close(&h);
	return rc;
}

/*
 * May an event of `type` follow the events `evs` (the answer not yet
 * given, etc.)? 0, or -1 with the reason in `why`.
 */
static int event_fits(const json_t *evs, const char *type, char *why,
                      size_t whylen)
{
	int asked = 0, arrived = 0, third = 0, agency = 0, extended = 0;
	const char *answered = NULL;
	size_t i;
	json_t *e;

	json_array_foreach(evs, i, e) {
		const char *t = str_of(e, "type");
		if (!strcmp(t, "补正告知"))
			asked++;
		else if (!strcmp(t, "补正收到"))
			arrived++;
		else if (!strcmp(t, "第三方征求"))
			third++;
		else if (!strcmp(t, "第三方回复"))
			third--;
		else if (!strcmp(t, "他机关征求"))
			agency++;
		else if (!strcmp(t, "他机关回复"))
			agency--;
		else if (!strcmp(t, "延期批准"))
			extended++;
		else if (!strcmp(t, "答复") && answered == NULL)
			answered = str_of(e, "date");
	}
	if (answered) {
		snprintf(why, whylen, "it was answered on %s (答复): its clock is "
		         "closed", answered);
		return -1;
	}
	if (!strcmp(type, "补正告知") && asked) {
		snprintf(why, whylen, "a 补正 was asked already; the 条例 allows one "
		         "notice (art 30: 一次性告知)");
		return -1;
	}
	if (!strcmp(type, "补正收到") && (asked == 0 || arrived >= asked)) {
		snprintf(why, whylen, asked ? "the 补正 has arrived already"
		                            : "no 补正 was asked (record 补正告知 first)");
		return -1;
	}
	if (!strcmp(type, "第三方回复") && third <= 0) {
		snprintf(why, whylen, "no third party is being consulted (record "
		         "第三方征求 first)");
		return -1;
	}
	if (!strcmp(type, "他机关回复") && agency <= 0) {
		snprintf(why, whylen, "no other agency is being consulted (record "
		         "他机关征求 first)");
		return -1;
	}
	if (!strcmp(type, "延期批准") && extended) {
		snprintf(why, whylen, "an extension was approved already; the 条例 "
		         "allows one of at most 20 working days (art 33)");
		return -1;
	}
	if (json_array_size(evs) >= 256) {
		snprintf(why, whylen, "it has 256 events, the most a request holds");
		return -1;
	}
	return 0;
}

static int req_event(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "type", required_argument, NULL, 0 },
		{ "date", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *type = NULL, *date = NULL;
	char path[128], msg[200], why[256], today_s[11], *old = NULL;
	const char *last;
	size_t oldlen;
	int idx, c, json = 0, rc;
	int32_t d, prev = 0, today = clock_today();
	json_t *v = NULL, *evs;
	calendar cal;
	node_home h;

	while ((c = cli_getopt("request event", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: type = optarg; break;
		case 3: date = optarg; break;
		case 4: json = 1; break;
		case 5: fputs(req_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !type || !date)
		return cli_usage("request event",
		                 "--home, --id, --type and --date are required");
	if (!id_ok(id))
		return cli_usage("request event", "--id '%s' is not a request id",
		                 id);
	if (!one_of(type, event_types))
		return cli_usage("request event", "--type '%s' must be one of 补正告知 "
		                 "补正收到 第三方征求 第三方回复 他机关征求 他机关回复 "
		                 "延期批准 答复", type);
	if ((rc = date_opt("request event", "--date", date, &d)) != 0)
		return rc;
	if (d > today) {
		cli_err("--date %s is after today (%s); record events when they have "
		        "happened", date, fmt(today, today_s));
		return EXIT_NO;
	}
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "requests/%s.json", id);
	rc = store_record_read(h.st, NULL, path, &old, &oldlen);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no request %s here; record it first with 'govfed request "
		        "open --id %s'", id, id);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	v = json_loadb(old, oldlen, 0, NULL);
	evs = json_object_get(v, "events");
	if (v == NULL || !json_is_array(evs)) {
		cli_err("%s in this store is not a request record", path);
		rc = EXIT_RUNTIME;
		goto done;
	}
	last = json_array_size(evs)
	               ? str_of(json_array_get(evs, json_array_size(evs) - 1),
	                        "date")
	               : str_of(v, "received");
	if (last == NULL || date_parse(&prev, last) != 0) {
		cli_err("%s in this store has a bad date", path);
		rc = EXIT_RUNTIME;
		goto done;
	}
	if (d < prev) {
		cli_err("--date %s is before %s, the %s of request %s: events are "
		        "recorded in order", date, last,
		        json_array_size(evs) ? "last event" : "receipt", id);
		rc = EXIT_NO;
		goto done;
	}
	if (event_fits(evs, type, why, sizeof(why)) != 0) {
		cli_err("request %s: cannot record %s: %s", id, type, why);
		rc = EXIT_NO;
		goto done;
	}
	json_array_append_new(evs, json_pack("{s:s,s:s}", "type", type, "date",
	                                     date));
	rc = load_cal(&h, &cal);
	if (rc != 0)
		goto done;
	snprintf(msg, sizeof(msg), "request %s: %s %s", id, type, date);
	rc = req_write(&h, v, id, msg, &cal, today, json);
	calendar_free(&cal);
done:
	free(old);
	json_decref(v);
	home_close(&h);
	return rc;
}

/* ---- requests: reading ------------------------------------------------------------------ */

static const char *correction_name(clock_correction c)
{
	switch (c) {
	case CLOCK_CORR_OPEN: return "open";
	case CLOCK_CORR_NONE: return "none";
	case CLOCK_CORR_ASKED: return "asked";
	case CLOCK_CORR_LATE: return "asked late";
	}
	return "?";
}

/* the clock as JSON */
static json_t *clock_json(const clock_request *cr, int32_t today)
{
	json_t *o = json_object();

	json_object_set_new(o, "today", date_json(today));
	json_object_set_new(o, "received", date_json(cr->received));
	json_object_set_new(o, "correction_due", date_json(cr->correction_due));
	json_object_set_new(o, "correction",
	                    json_string(correction_name(cr->correction)));
	json_object_set_new(o, "correction_asked",
	                    date_json(cr->correction_asked));
	json_object_set_new(o, "correction_received",
	                    date_json(cr->correction_received));
	json_object_set_new(o, "awaiting_correction",
	                    json_boolean(cr->awaiting_correction));
	json_object_set_new(o, "start", date_json(cr->start));
	json_object_set_new(o, "paused_workdays",
	                    json_integer(cr->paused_workdays));
	json_object_set_new(o, "consulting", json_boolean(cr->consulting));
	json_object_set_new(o, "consult_overdue",
	                    json_boolean(cr->consult_overdue));
	json_object_set_new(o, "extended", json_boolean(cr->extended));
	json_object_set_new(o, "extension_late",
	                    json_boolean(cr->extension_late));
	json_object_set_new(o, "due", date_json(cr->due));
	json_object_set_new(o, "answered", json_boolean(cr->answered));
	json_object_set_new(o, "answered_on", date_json(cr->answered_on));
	json_object_set_new(o, "late", json_boolean(cr->late));
	json_object_set_new(o, "overdue", json_boolean(cr->overdue));
	json_object_set_new(o, "workdays_late", json_integer(cr->workdays_late));
	json_object_set_new(o, "workdays_left", json_integer(cr->workdays_left));
	json_object_set_new(o, "ignored_events", json_integer(cr->ignored_events));
	json_object_set_new(o, "uncovered", json_boolean(cr->uncovered));
	json_object_set_new(o, "state", json_string(cr->state));
	return o;
}

/* Is `node` below `own`, as the node.json records held here say? */
static int is_descendant(store *st, const char *own, const char *node)
{
	char id[KEYS_ID_MAX + 1];
	store_identity ident;

	snprintf(id, sizeof(id), "%s", node);
	for (int i = 0; i < DESCENT_MAX; i++) {
		if (store_identity_get(st, id, &ident) != 0 ||
		    ident.parent[0] == '\0')
			return 0;
		if (strcmp(ident.parent, own) == 0)
			return 1;
		snprintf(id, sizeof(id), "%s", ident.parent);
	}
	return 0;
}

typedef struct req_ctx {
	const calendar *cal;
	int32_t today;
	const char *node;       /* its id */
	const char *only;       /* one request id, or NULL */
	int overdue_only;
	int uncovered;
	int bad;                /* records that could not be evaluated */
	json_t *rows;
} req_ctx;

static int req_one(void *ctx, const char *path, const char *data, size_t len)
{
	req_ctx *rq = ctx;
	clock_request cr;
	char why[256];
	json_t *v, *o;

	if (clock_request_eval(rq->cal, data, len, rq->today, &cr, why,
	                       sizeof(why)) != 0) {
		fprintf(stderr, "govfed: warning: %s of %s: %s\n", path, rq->node,
		        why);
		rq->bad++;
		return 0;
	}
	if (rq->only && strcmp(cr.id, rq->only) != 0)
		return 0;
	if (rq->overdue_only && !cr.overdue)
		return 0;
	v = json_loadb(data, len, 0, NULL);
	if (v == NULL)
		return STORE_ENOMEM;
	o = json_pack("{s:s,s:s,s:s,s:O,s:o}", "node", rq->node, "id", cr.id,
	              "path", path, "request", v, "clock",
	              clock_json(&cr, rq->today));
	json_decref(v);
	if (o == NULL)
		return STORE_ENOMEM;
	rq->uncovered |= cr.uncovered;
	json_array_append_new(rq->rows, o);
	return 0;
}

static void show_text(const json_t *row)
{
	const json_t *r = json_object_get(row, "request");
	const json_t *k = json_object_get(row, "clock");
	const json_t *e;
	size_t i;

	printf("request %s at %s\n", str_of(row, "id"), str_of(row, "node"));
	printf("  received        %s (%s)\n", str_of(r, "received"),
	       str_of(r, "channel"));
	if (str_of(r, "summary"))
		printf("  summary         %s\n", str_of(r, "summary"));
	json_array_foreach(json_object_get(r, "events"), i, e)
		printf("  %s %s  %s\n", i == 0 ? "events         " : "               ",
		       str_of(e, "date"), str_of(e, "type"));
	printf("  补正 notice due %s: %s\n", str_of(k, "correction_due"),
	       str_of(k, "correction"));
	printf("  answer due      %s\n",
	       str_of(k, "due") ? str_of(k, "due") : "(none while waiting)");
	printf("  state           %s\n", str_of(k, "state"));
}

static int req_read(int argc, char **argv, int show)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "overdue", no_argument, NULL, 0 },
		{ "today", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = show ? "request show" : "request list";
	const char *home = NULL, *id = NULL, *node = NULL;
	char path[128];
	int idx, c, json = 0, rc, overdue = 0;
	store_head *hs = NULL;
	size_t n = 0, i;
	calendar cal;
	req_ctx rq;
	node_home h;
	json_t *row;

	memset(&rq, 0, sizeof(rq));
	rq.today = clock_today();
	while ((c = cli_getopt(name, argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: node = optarg; break;
		case 3: overdue = 1; break;
		case 4:
			if ((rc = date_opt(name, "--today", optarg, &rq.today)) != 0)
				return rc;
			break;
		case 5: json = 1; break;
		case 6: fputs(req_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage(name, "--home is required");
	if (show && !id)
		return cli_usage(name, "--id is required");
	if (!show && (id || node))
		return cli_usage(name, "--id and --node go with 'request show'");
	if (show && overdue)
		return cli_usage(name, "--overdue goes with 'request list'");
	if (id && !id_ok(id))
		return cli_usage(name, "--id '%s' is not a request id", id);
	if (node && !store_id_valid(node))
		return cli_usage(name, "--node '%s' is not a node id (6, 9 or 12 "
		                 "digits)", node);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (node && strcmp(node, h.cfg.id) == 0)
		node = NULL;
	rc = load_cal(&h, &cal);
	if (rc != 0) {
		home_close(&h);
		return rc;
	}
	rq.cal = &cal;
	rq.only = id;
	rq.overdue_only = overdue;
	rq.rows = json_array();
	if (node) {
		store_head hd;
		rc = store_head_get(h.st, node, &hd);
		if (rc == STORE_ENOTFOUND) {
			cli_err("%s's history is not held here", node);
			rc = EXIT_NO;
			goto done;
		}
		rq.node = node;
		if (rc == 0)
			rc = store_record_foreach(h.st, node, "requests/", req_one, &rq);
	} else {
		rc = store_heads_list(h.st, &hs, &n);
		for (i = 0; rc == 0 && i < n; i++) {
			if (!hs[i].own && (show || !is_descendant(h.st, h.cfg.id,
			                                          hs[i].id)))
				continue;
			rq.node = hs[i].own ? h.cfg.id : hs[i].id;
			rc = store_record_foreach(h.st, hs[i].own ? NULL : hs[i].id,
			                          "requests/", req_one, &rq);
		}
	}
	if (rc == STORE_ENOTFOUND)
		rc = 0; /* no own history yet */
	if (rc != 0) {
		cli_err("cannot read requests/: %s", store_errmsg());
		rc = cli_exit_for(rc) == EXIT_NO ? EXIT_RUNTIME : cli_exit_for(rc);
		goto done;
	}
	if (show && json_array_size(rq.rows) == 0) {
		char where[256] = "";
		/* a descendant's, perhaps: say which to name */
		for (i = 0; !node && i < n && strlen(where) < 200; i++) {
			if (hs[i].own || !is_descendant(h.st, h.cfg.id, hs[i].id))
				continue;
			snprintf(path, sizeof(path), "requests/%s.json", id);
			if (store_record_stat(h.st, hs[i].id, path, NULL, NULL) == 0)
				snprintf(where + strlen(where), sizeof(where) - strlen(where),
				         "%s%s", where[0] ? ", " : "", hs[i].id);
		}
		if (where[0])
			cli_err("no request %s at this node; it is recorded at %s: give "
			        "--node", id, where);
		else
			cli_err("no request %s %s", id, node ? "in that node's history"
			                                      : "at this node");
		rc = EXIT_NO;
		goto done;
	}
	if (rq.uncovered)
		fprintf(stderr, "govfed: warning: the province's calendar does not "
		        "cover every day counted; Monday to Friday was assumed "
		        "there\n");
	if (json) {
		if (show) {
			print_json(json_array_get(rq.rows, 0));
		} else {
			char ts[11];
			json_t *o = json_pack("{s:s,s:O}", "today", fmt(rq.today, ts),
			                      "requests", rq.rows);
			print_json(o);
			json_decref(o);
		}
	} else if (show) {
		show_text(json_array_get(rq.rows, 0));
	} else {
		json_array_foreach(rq.rows, i, row) {
			const json_t *k = json_object_get(row, "clock");
			printf("%-12s %-24s received %s  due %-10s  %s\n",
			       str_of(row, "node"), str_of(row, "id"),
			       str_of(k, "received"),
			       str_of(k, "due") ? str_of(k, "due") : "-",
			       str_of(k, "state"));
		}
		fprintf(stderr, "%zu %srequest%s\n", json_array_size(rq.rows),
		        overdue ? "overdue " : "",
		        json_array_size(rq.rows) == 1 ? "" : "s");
	}
	rc = EXIT_OK;
done:
	free(hs);
	json_decref(rq.rows);
	calendar_free(&cal);
	home_close(&h);
	return rc;
}

static int req_show(int argc, char **argv)
{
	return req_read(argc, argv, 1);
}

static int req_list(int argc, char **argv)
{
	return req_read(argc, argv, 0);
}

int cmd_request(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "open", req_open },
		{ "event", req_event },
		{ "show", req_show },
		{ "list", req_list },
	};

	return cli_dispatch("request", req_usage, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}
