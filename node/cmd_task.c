/*
 * cmd_task.c — govfed task: assign, import, report, list, show.
 *
 * A task (store/README.md, "Task") is assigned by a node to nodes below
 * it: tasks/<task>.json in the assigner's history, with the assignees
 * either listed ({nodes}) or named by level ({level}: every node of that
 * level below the assigner). Each assignee answers in its own history
 * with reports/<assigner>/<task>.json ("Report"); its latest report is its
 * state. Histories flow up and down by sync, so every node can roll a
 * task up over what it holds:
 *
 *   done            reported done no later than the due day (or ongoing)
 *   late            reported done after the due day
 *   overdue         not done (no report, or in_progress) and the due day
 *                   has passed
 *   pending         not done, not yet due (or no due day: 长期)
 *   not_applicable  reported not applicable (with its reason)
 *
 * The nodes known here are this node, every held history (node.json:
 * level, name, parent) and every node certified in a held history
 * (certs/: a child enrolled but not yet heard from still counts as an
 * assignee — it is the one that has not reported). A roll-up is over this
 * node's subtree: all assignees of its own tasks (and of its
 * descendants'), the assignees in its subtree for an ancestor's task; and
 * again per direct child subtree.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "clock.h"
#include "dates.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed task assign --home DIR --id ID --title TEXT --deadline TEXT\n"
	"                          (--to ID[,ID...] | --level LEVEL)\n"
	"                          [--requirement TEXT] [--lead UNIT]... [--support UNIT]...\n"
	"                          [--unit UNIT]... [--assigned DATE] [--from NODE/TASK]\n"
	"                          [--json]\n"
	"       govfed task import --home DIR --file PLAN.csv|PLAN.json\n"
	"                          (--level LEVEL | --to ID[,ID...]) [--prefix TEXT]\n"
	"                          [--assigned DATE] [--plan DOC] [--dry-run] [--json]\n"
	"       govfed task report --home DIR --task ASSIGNER/TASK\n"
	"                          --status done|in_progress|not_applicable\n"
	"                          [--date DATE] [--note TEXT] [--evidence KIND:REF]...\n"
	"                          [--json]\n"
	"       govfed task list   --home DIR [--overdue] [--today DATE] [--json]\n"
	"       govfed task show   --home DIR --task [NODE/]TASK [--today DATE] [--json]\n"
	"\n"
	"assign  commits tasks/<id>.json: a work-plan task (工作任务) for nodes below\n"
	"        this one — listed with --to (descendants; ids not known here must\n"
	"        at least be division codes of a lower level), or every node of a\n"
	"        level with --level (city, district, township, village; below this\n"
	"        node's). --deadline as plans write it, kept as written and\n"
	"        normalised to its last day: 2020年10月23日前, 2020年9月中旬 (the 20th),\n"
	"        2020年12月底, 2022年上半年, 2020年第三季度, 长期 (no due day),\n"
	"        20个工作日内 (counted from --assigned on the province's calendar).\n"
	"        --assigned defaults to today. Responsible units: --lead (牵头),\n"
	"        --support (配合), --unit (落实). --from passes down a task this\n"
	"        node received from an ancestor; its title, requirement and\n"
	"        deadline are the defaults.\n"
	"import  reads a work-plan table (the columns 序号, 工作任务, 具体要求,\n"
	"        责任单位, 完成时限) as UTF-8 CSV, or JSON {plan?, assigned?, rows:\n"
	"        [{序号, 工作任务, ...}]}, checks every row, and assigns all of them in\n"
	"        one commit; a bad row is named with its column and nothing is\n"
	"        written. An empty 序号 continues the row above; an empty 工作任务 or\n"
	"        责任单位 repeats the one above within the same 序号 (merged cells).\n"
	"        Task ids are PREFIX<序号>.<n>. Units in 责任单位 are separated by\n"
	"        '、' and may carry their role: 区行政服务中心（牵头）; the default is\n"
	"        落实. --dry-run prints the tasks without writing.\n"
	"report  commits reports/<assigner>/<task>.json: this node's report on a\n"
	"        task an ancestor assigned to it (as held here). --date defaults to\n"
	"        today and may not be later. not_applicable needs --note (why).\n"
	"        --evidence catalog:AREA/ID (this node's item, pinned to its\n"
	"        version), document:ID, task:NODE/TASK, url:https://..., note:TEXT.\n"
	"list    every task visible here — this node's own, and its ancestors'\n"
	"        that reach this node or its subtree — with its roll-up over this\n"
	"        node's subtree, in all and per child subtree. An assignee's state\n"
	"        is its latest report held here: done, late (done after the due\n"
	"        day), overdue (not done and past due as of --today), pending,\n"
	"        not applicable; 'missing' counts those with no report at all.\n"
	"        The assignees of a level task are the nodes of that level below\n"
	"        the assigner known here (held, or certified in a held history).\n"
	"        --today defaults to today in China ($GOVFED_NOW when set).\n"
	"        --overdue lists only tasks with overdue assignees, and names them.\n"
	"show    one task (NODE/TASK; TASK alone is this node's; an ancestor's or\n"
	"        a descendant's held here) with every assignee's state and report.\n";

#define ANC_MAX 8
#define RID_MAX 65       /* 64 and a NUL */
#define IMPORT_ROWS_MAX 2000

static const char *const levels_below[] = { "city", "district", "township",
	                                    "village", NULL };

/* ---- small helpers -------------------------------------------------------- */

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
	free(s);
}

static int rid_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= RID_MAX)
		return 0;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

/* Today's date in China (clock_today: store_now(), which honours
 * $GOVFED_NOW, in UTC+8). */
static int32_t today_local(void)
{
	return clock_today();
}

static const char *fmt_date(int32_t d, char buf[11])
{
	date_format(buf, d);
	return buf;
}

static int32_t date_of(const json_t *o, const char *k, int32_t dflt)
{
	int32_t d;
	const char *s = str_of(o, k);

	if (s == NULL || date_parse(&d, s) != 0)
		return dflt;
	return d;
}

/* Valid UTF-8 without C0 controls other than those allowed ("\n" when
 * multiline). 0 ok, -1 bad encoding, -2 a control character. */
static int text_check(const char *s, int multiline)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		size_t n;
		if (c < 0x80) {
			if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
			    c == 0x7f)
				return -2;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return -1;
		for (size_t i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return -1;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return -1;
		p += n + 1;
	}
	return 0;
}

/* Trims ASCII blanks and the ideographic space (U+3000) at both ends, in
 * place. */
static char *trim(char *s)
{
	size_t n;

	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	n = strlen(s);
	for (;;) {
		if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		              s[n - 1] == '\r' || s[n - 1] == '\n'))
			n--;
		else if (n >= 3 && strncmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
			n -= 3;
		else
			break;
	}
	s[n] = '\0';
	return s;
}

/* "NODE/TASK" → node and task; "TASK" alone when `self` is given. */
static int task_ref_parse(const char *s, const char *self,
                          char node[KEYS_ID_MAX + 1], char task[RID_MAX])
{
	const char *slash = strchr(s, '/');

	if (slash == NULL) {
		if (self == NULL || !rid_ok(s))
			return -1;
		snprintf(node, KEYS_ID_MAX + 1, "%s", self);
		snprintf(task, RID_MAX, "%s", s);
		return 0;
	}
	if ((size_t)(slash - s) > KEYS_ID_MAX || !rid_ok(slash + 1))
		return -1;
	memcpy(node, s, (size_t)(slash - s));
	node[slash - s] = '\0';
	if (!store_id_valid(node))
		return -1;
	snprintf(task, RID_MAX, "%s", slash + 1);
	return 0;
}

/* the id length a level's division codes have */
static size_t id_len_of(store_level l)
{
	return l == STORE_LEVEL_TOWNSHIP ? 9 : l == STORE_LEVEL_VILLAGE ? 12 : 6;
}

/* ---- the command's view of the home: who is known, and where ------------- */

typedef struct known {
	char id[KEYS_ID_MAX + 1];
	char parent[KEYS_ID_MAX + 1];
	char name[STORE_NAME_MAX];
	store_level level;
	int held;    /* its history is held here (or it is this node) */
	int active;  /* held, or certified and not revoked */
} known;

typedef struct view {
	node_home h;
	int open;
	const char *self;
	store_level level;
	char anc[ANC_MAX][KEYS_ID_MAX + 1]; /* ancestors, the parent first */
	size_t nanc;
	known *nodes;
	size_t n, cap;
	size_t *slot;      /* hash index over nodes: index + 1, 0 empty */
	size_t nslot;      /* a power of two, at least twice cap */
	int32_t today;
	/* the province's calendar, loaded on first use */
	calendar cal;
	int cal_state; /* 0 not loaded, 1 loaded, -1 none */
	char cal_why[256];
} view;

static size_t id_hash(const char *id)
{
	size_t h = 14695981039346656037ULL;

	while (*id)
		h = (h ^ (unsigned char)*id++) * 1099511628211ULL;
	return h;
}

static known *known_get(view *v, const char *id)
{
	if (v->nslot == 0)
		return NULL;
	for (size_t i = id_hash(id) & (v->nslot - 1);; i = (i + 1) & (v->nslot - 1)) {
		size_t s = v->slot[i];
		if (s == 0)
			return NULL;
		if (strcmp(v->nodes[s - 1].id, id) == 0)
			return &v->nodes[s - 1];
	}
}

static void slot_put(view *v, size_t idx)
{
	size_t i = id_hash(v->nodes[idx].id) & (v->nslot - 1);

	while (v->slot[i] != 0)
		i = (i + 1) & (v->nslot - 1);
	v->slot[i] = idx + 1;
}

static known *known_add(view *v, const char *id)
{
	known *k = known_get(v, id);

	if (k != NULL)
		return k;
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 32;
		known *nv = realloc(v->nodes, ncap * sizeof(*nv));
		size_t *ns = calloc(ncap * 2, sizeof(*ns));
		if (nv != NULL)
			v->nodes = nv;
		if (nv == NULL || ns == NULL) {
			free(ns);
			return NULL;
		}
		v->cap = ncap;
		free(v->slot);
		v->slot = ns;
		v->nslot = ncap * 2;
		for (size_t i = 0; i < v->n; i++)
			slot_put(v, i);
	}
	k = &v->nodes[v->n];
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	slot_put(v, v->n++);
	return k;
}

/* is `x` strictly below `a` (by parent links)? */
static int is_below(view *v, const char *x, const char *a)
{
	known *k = known_get(v, x);

	for (int depth = 0; k != NULL && depth < 8; depth++) {
		if (k->parent[0] == '\0')
			return 0;
		if (strcmp(k->parent, a) == 0)
			return 1;
		k = known_get(v, k->parent);
	}
	return 0;
}

static int in_subtree(view *v, const char *x, const char *root)
{
	return strcmp(x, root) == 0 || is_below(v, x, root);
}

static int is_ancestor(const view *v, const char *node)
{
	for (size_t i = 0; i < v->nanc; i++)
		if (strcmp(v->anc[i], node) == 0)
			return 1;
	return 0;
}

/* the store's name for a history: NULL for the own */
static const char *nd(const view *v, const char *node)
{
	return strcmp(node, v->self) == 0 ? NULL : node;
}

static const char *name_of(view *v, const char *id)
{
	known *k = known_get(v, id);

	return k && k->name[0] ? k->name : "";
}

/* certs/<child>.json of a held history: its children, active or revoked */
typedef struct certs_ctx {
	view *v;
	const char *issuer;
	int oom;
} certs_ctx;

static int certs_cb(void *ctx, const char *path, const char *data, size_t len)
{
	certs_ctx *c = ctx;
	json_t *r = json_loadb(data, len, 0, NULL), *ev;
	const char *child = str_of(r, "child");
	known *k;
	size_t n;

	(void)path;
	if (r == NULL || child == NULL || !store_id_valid(child)) {
		json_decref(r);
		return 0;
	}
	n = json_array_size(json_object_get(r, "events"));
	ev = n ? json_array_get(json_object_get(r, "events"), n - 1) : NULL;
	k = known_add(c->v, child);
	if (k == NULL) {
		c->oom = 1;
		json_decref(r);
		return 1;
	}
	if (!k->held) {
		/* what the certificate says; node.json wins when held */
		const char *type = str_of(ev, "type");
		store_level l;
		snprintf(k->parent, sizeof(k->parent), "%s", c->issuer);
		if (type && strcmp(type, "cert") == 0) {
			k->active = 1;
			if (store_level_parse(&l, str_of(ev, "level")) == 0)
				k->level = l;
			if (str_of(ev, "name"))
				snprintf(k->name, sizeof(k->name), "%s", str_of(ev, "name"));
		} else {
			k->active = 0;
		}
		if (k->level == 0) {
			/* a revocation names no level: take it from an earlier
			 * certificate */
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(r, "events"), i, e) {
				if (store_level_parse(&l, str_of(e, "level")) == 0)
					k->level = l;
				if (str_of(e, "name") && k->name[0] == '\0')
					snprintf(k->name, sizeof(k->name), "%s", str_of(e, "name"));
			}
		}
	}
	json_decref(r);
	return 0;
}

static void view_close(view *v)
{
	if (v->open)
		home_close(&v->h);
	v->open = 0;
	free(v->nodes);
	free(v->slot);
	v->nodes = NULL;
	v->slot = NULL;
	v->n = v->cap = v->nslot = 0;
	calendar_free(&v->cal);
}

static int view_open(view *v, const char *home, unsigned flags)
{
	char cur[KEYS_ID_MAX + 1];
	store_identity id;
	store_head *heads = NULL;
	size_t nheads = 0;
	known *k;
	int rc;

	memset(v, 0, sizeof(*v));
	calendar_init(&v->cal);
	rc = home_open(&v->h, home, flags);
	if (rc != 0)
		return rc;
	v->open = 1;
	v->self = v->h.cfg.id;
	v->level = v->h.cfg.level;
	v->today = today_local();
	/* the ancestors: the configured parent, then each held history's */
	snprintf(cur, sizeof(cur), "%s", v->h.cfg.parent);
	while (cur[0] != '\0' && v->nanc < ANC_MAX) {
		snprintf(v->anc[v->nanc++], sizeof(v->anc[0]), "%s", cur);
		if (store_identity_get(v->h.st, cur, &id) != 0)
			break;
		snprintf(cur, sizeof(cur), "%s", id.parent);
	}
	/* who is known: this node, the held histories, their certificates */
	k = known_add(v, v->self);
	if (k == NULL)
		goto oom;
	snprintf(k->parent, sizeof(k->parent), "%s", v->h.cfg.parent);
	snprintf(k->name, sizeof(k->name), "%s", v->h.cfg.name);
	k->level = v->level;
	k->held = k->active = 1;
	/* the ancestors, by id at least (their histories may not be held) */
	for (size_t i = 0; i < v->nanc; i++) {
		k = known_add(v, v->anc[i]);
		if (k == NULL)
			goto oom;
		if (i + 1 < v->nanc)
			snprintf(k->parent, sizeof(k->parent), "%s", v->anc[i + 1]);
	}
	rc = store_heads_list(v->h.st, &heads, &nheads);
	if (rc != 0) {
		cli_err("cannot list the histories held here: %s", store_errmsg());
		return cli_exit_for(rc);
	}
	for (size_t i = 0; i < nheads; i++) {
		if (heads[i].own || store_identity_get(v->h.st, heads[i].id, &id) != 0)
			continue;
		k = known_add(v, id.id);
		if (k == NULL)
			goto oom;
		snprintf(k->parent, sizeof(k->parent), "%s", id.parent);
		snprintf(k->name, sizeof(k->name), "%s", id.name);
		k->level = id.level;
		k->held = k->active = 1;
	}
	for (size_t i = 0; i < nheads; i++) {
		certs_ctx c = { v, heads[i].own ? v->self : heads[i].id, 0 };
		rc = store_record_foreach(v->h.st, heads[i].own ? NULL : heads[i].id,
		                          "certs/", certs_cb, &c);
		if (c.oom)
			goto oom;
		if (rc != 0 && rc != STORE_ENOTFOUND) {
			cli_err("cannot read the certificates in %s's history: %s",
			        heads[i].id, store_errmsg());
			free(heads);
			return cli_exit_for(rc);
		}
	}
	free(heads);
	return EXIT_OK;
oom:
	free(heads);
	cli_err("out of memory");
	return EXIT_RUNTIME;
}

/* The province's calendar (clock_calendar_load). 1 loaded, 0 none. */
static int view_calendar(view *v)
{
	if (v->cal_state == 0) {
		v->cal_state = clock_calendar_load(v->h.st, &v->cal, v->cal_why,
		                                   sizeof(v->cal_why)) == 0 ? 1 : -1;
	}
	return v->cal_state == 1;
}

/* ---- reading tasks and reports ---------------------------------------------- */

/* the task `task` in `node`'s history: parsed, or NULL (rc says why) */
static json_t *task_read(view *v, const char *node, const char *task, int *rc)
{
	char path[STORE_PATH_MAX], *data = NULL;
	size_t len;
	json_t *t;

	snprintf(path, sizeof(path), "tasks/%s.json", task);
	*rc = store_record_read(v->h.st, nd(v, node), path, &data, &len);
	if (*rc != 0)
		return NULL;
	t = json_loadb(data, len, 0, NULL);
	free(data);
	if (t == NULL || !json_is_object(t)) {
		json_decref(t);
		*rc = STORE_ECORRUPT;
		return NULL;
	}
	return t;
}

typedef struct tasks_ctx {
	json_t *arr; /* [[assigner, task], ...] */
	const char *assigner;
} tasks_ctx;

static int tasks_cb(void *ctx, const char *path, const char *data, size_t len)
{
	tasks_ctx *c = ctx;
	json_t *t;

	if (strchr(path + 6, '/') != NULL)
		return 0;
	t = json_loadb(data, len, 0, NULL);
	if (t == NULL || !json_is_object(t) || str_of(t, "id") == NULL) {
		json_decref(t);
		return 0;
	}
	json_array_append_new(c->arr, json_pack("[s,o]", c->assigner, t));
	return 0;
}

static int tasks_of(view *v, const char *node, json_t *arr)
{
	tasks_ctx c = { arr, node };
	int rc = store_record_foreach(v->h.st, nd(v, node), "tasks/", tasks_cb, &c);

	return rc == STORE_ENOTFOUND ? 0 : rc;
}

/* the report of `x` on (assigner, task): parsed, or NULL */
static json_t *report_read(view *v, const char *x, const char *assigner,
                           const char *task)
{
	char path[STORE_PATH_MAX], *data = NULL;
	size_t len;
	json_t *r;

	snprintf(path, sizeof(path), "reports/%s/%s.json", assigner, task);
	if (store_record_read(v->h.st, nd(v, x), path, &data, &len) != 0)
		return NULL;
	r = json_loadb(data, len, 0, NULL);
	free(data);
	if (r == NULL || !json_is_object(r)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* Does the task (by `assigner`) assign `x`? */
static int assigns(view *v, const char *assigner, const json_t *t,
                   const char *x)
{
	const json_t *as = json_object_get(t, "assignees");
	const char *lv = str_of(as, "level");
	json_t *e;
	size_t i;

	if (lv != NULL) {
		known *k = known_get(v, x);
		return k != NULL && strcmp(store_level_name(k->level), lv) == 0 &&
		       is_below(v, x, assigner);
	}
	json_array_foreach(json_object_get(as, "nodes"), i, e)
		if (strcmp(json_string_value(e), x) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The assignees of a task that a roll-up here covers, sorted: all of them
 * when the assigner is this node or below it, else those in this node's
 * subtree.
 */
static json_t *assignees_here(view *v, const char *assigner, const json_t *t)
{
	const json_t *as = json_object_get(t, "assignees");
	const char *lv = str_of(as, "level");
	int all = in_subtree(v, assigner, v->self);
	const char **ids = calloc(v->n + json_array_size(json_object_get(as, "nodes")) + 1,
	                          sizeof(*ids));
	json_t *out = json_array(), *e;
	size_t n = 0, i;

	if (ids == NULL)
		return out;
	if (lv != NULL) {
		for (i = 0; i < v->n; i++) {
			known *k = &v->nodes[i];
			if (!(k->held || k->active) ||
			    strcmp(store_level_name(k->level), lv) != 0 ||
			    !is_below(v, k->id, assigner))
				continue;
			if (all || in_subtree(v, k->id, v->self))
				ids[n++] = k->id;
		}
	} else {
		json_array_foreach(json_object_get(as, "nodes"), i, e) {
			const char *x = json_string_value(e);
			int dup = 0;
			if (x == NULL || !(all || in_subtree(v, x, v->self)))
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= strcmp(ids[j], x) == 0;
			if (!dup)
				ids[n++] = x;
		}
	}
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(ids[i]));
	free(ids);
	return out;
}

/* Is a task (by an ancestor) visible here: does it reach this node or its
 * subtree? */
static int reaches_here(view *v, const char *assigner, const json_t *t)
{
	const json_t *as = json_object_get(t, "assignees");
	const char *lv = str_of(as, "level");
	json_t *arr;
	int hit;

	if (lv != NULL) {
		store_level l;
		return store_level_parse(&l, lv) == 0 && l >= v->level;
	}
	arr = assignees_here(v, assigner, t);
	hit = json_array_size(arr) > 0;
	json_decref(arr);
	return hit;
}

/* ---- the roll-up ---------------------------------------------------------------- */

enum { ST_DONE, ST_LATE, ST_OVERDUE, ST_PENDING, ST_NA, ST_N };
static const char *const state_names[] = { "done", "late", "overdue",
	                                   "pending", "not_applicable" };

typedef struct counts {
	long n, st[ST_N], missing;
} counts;

/* the state of an assignee from its latest report */
static int state_of(const json_t *report, int32_t due, int has_due,
                    int32_t today)
{
	const char *s = str_of(report, "status");

	if (s != NULL && strcmp(s, "done") == 0)
		return has_due && date_of(report, "date", 0) > due ? ST_LATE : ST_DONE;
	if (s != NULL && strcmp(s, "not_applicable") == 0)
		return ST_NA;
	return has_due && today > due ? ST_OVERDUE : ST_PENDING;
}

static json_t *counts_json(const counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "assignees",
	                 (json_int_t)c->n, "done", (json_int_t)c->st[ST_DONE],
	                 "late", (json_int_t)c->st[ST_LATE], "overdue",
	                 (json_int_t)c->st[ST_OVERDUE], "pending",
	                 (json_int_t)c->st[ST_PENDING], "not_applicable",
	                 (json_int_t)c->st[ST_NA], "missing",
	                 (json_int_t)c->missing);
}

static void counts_text(char *out, size_t outlen, const counts *c)
{
	snprintf(out, outlen,
	         "%ld assignee%s: done %ld, late %ld, overdue %ld, pending %ld, "
	         "not applicable %ld (no report: %ld)", c->n, c->n == 1 ? "" : "s",
	         c->st[ST_DONE], c->st[ST_LATE], c->st[ST_OVERDUE],
	         c->st[ST_PENDING], c->st[ST_NA], c->missing);
}

/* the direct children of this node, sorted */
static json_t *children_here(view *v)
{
	const char **ids = calloc(v->n + 1, sizeof(*ids));
	json_t *out = json_array();
	size_t n = 0;

	if (ids == NULL)
		return out;
	for (size_t i = 0; i < v->n; i++)
		if ((v->nodes[i].held || v->nodes[i].active) &&
		    strcmp(v->nodes[i].parent, v->self) == 0 &&
		    strcmp(v->nodes[i].id, v->self) != 0)
			ids[n++] = v->nodes[i].id;
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_string(ids[i]));
	free(ids);
	return out;
}

/*
 * The roll-up of task `t` by `assigner` as seen here: a JSON object with
 * the task's summary, counts, per-child counts, the overdue assignees
 * and, with `details`, every assignee's state and report.
 */
static json_t *rollup(view *v, const char *assigner, const json_t *t,
                      int details)
{
	const json_t *dl = json_object_get(t, "deadline");
	int has_due = str_of(dl, "due") != NULL;
	int32_t due = date_of(dl, "due", 0);
	json_t *ids = assignees_here(v, assigner, t);
	json_t *kids = children_here(v);
	size_t nk = json_array_size(kids), i;
	counts all = { 0 }, *per = calloc(nk + 2, sizeof(*per)); /* + self, other */
	json_t *list, *overdue, *e, *res, *ch;
	char buf[11], ref[KEYS_ID_MAX + RID_MAX + 2];

	if (per == NULL) {
		json_decref(ids);
		json_decref(kids);
		return NULL;
	}
	list = json_array();
	overdue = json_array();
	json_array_foreach(ids, i, e) {
		const char *x = json_string_value(e);
		known *k = known_get(v, x);
		json_t *r = report_read(v, x, assigner, str_of(t, "id"));
		int st = state_of(r, due, has_due, v->today);
		size_t slot = nk + 1; /* other */
		all.n++;
		all.st[st]++;
		all.missing += r == NULL;
		if (strcmp(x, v->self) == 0) {
			slot = nk;
		} else {
			for (size_t j = 0; j < nk; j++)
				if (in_subtree(v, x, json_string_value(json_array_get(kids, j)))) {
					slot = j;
					break;
				}
		}
		per[slot].n++;
		per[slot].st[st]++;
		per[slot].missing += r == NULL;
		if (st == ST_OVERDUE)
			json_array_append_new(overdue, json_string(x));
		if (details) {
			json_t *a = json_pack("{s:s,s:s,s:s,s:b,s:s,s:O}", "node", x,
			                      "name", k ? k->name : "", "level",
			                      k ? store_level_name(k->level) : "?",
			                      "held", k && k->held, "state",
			                      state_names[st], "report",
			                      r ? r : json_null());
			if (slot < nk)
				json_object_set(a, "child", json_array_get(kids, slot));
			json_array_append_new(list, a);
		}
		json_decref(r);
	}
	snprintf(ref, sizeof(ref), "%s/%s", assigner, str_of(t, "id"));
	res = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:o,s:O,s:b,s:o,s:s}", "ref",
	                ref, "assigner", assigner, "id", str_of(t, "id"), "title",
	                str_of(t, "title"), "assigned", str_of(t, "assigned"),
	                "deadline", dl, "due",
	                has_due ? json_string(str_of(dl, "due")) : json_null(),
	                "assign", json_object_get(t, "assignees"), "withdrawn",
	                json_object_get(t, "withdrawn") != NULL, "counts",
	                counts_json(&all), "today", fmt_date(v->today, buf));
	if (json_object_get(t, "from"))
		json_object_set(res, "from", json_object_get(t, "from"));
	json_object_set_new(res, "overdue", overdue);
	ch = json_array();
	for (size_t j = 0; j < nk; j++) {
		const char *c = json_string_value(json_array_get(kids, j));
		known *k = known_get(v, c);
		store_level tl;
		/* a child shows with no assignees when a level task could
		 * reach into its subtree (none there known yet) */
		if (per[j].n == 0 &&
		    !(store_level_parse(&tl, str_of(json_object_get(t, "assignees"),
		                                    "level")) == 0 &&
		      k != NULL && k->level < tl && is_below(v, c, assigner)))
			continue;
		json_array_append_new(ch, json_pack("{s:s,s:s,s:s,s:o}", "node", c,
		                                    "name", k ? k->name : "",
		                                    "level",
		                                    k ? store_level_name(k->level) : "?",
		                                    "counts", counts_json(&per[j])));
	}
	json_object_set_new(res, "children", ch);
	if (per[nk].n > 0)
		json_object_set_new(res, "self", counts_json(&per[nk]));
	if (per[nk + 1].n > 0)
		json_object_set_new(res, "elsewhere", counts_json(&per[nk + 1]));
	if (details) {
		json_object_set_new(res, "assignees", list);
		json_object_set(res, "task", (json_t *)t);
	} else {
		json_decref(list);
	}
	free(per);
	json_decref(ids);
	json_decref(kids);
	return res;
}

static void counts_from_json(counts *c, const json_t *o)
{
	memset(c, 0, sizeof(*c));
	c->n = (long)json_integer_value(json_object_get(o, "assignees"));
	for (int i = 0; i < ST_N; i++)
		c->st[i] = (long)json_integer_value(json_object_get(o, state_names[i]));
	c->missing = (long)json_integer_value(json_object_get(o, "missing"));
}

static void assign_text(char *out, size_t outlen, const json_t *as)
{
	const char *lv = str_of(as, "level");
	size_t i, n = 0;
	json_t *e;

	if (lv != NULL) {
		snprintf(out, outlen, "every %s below", lv);
		return;
	}
	out[0] = '\0';
	json_array_foreach(json_object_get(as, "nodes"), i, e) {
		n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s",
		                      i ? "," : "", json_string_value(e));
		if (n >= outlen)
			break;
	}
}

static void rollup_text(view *v, const json_t *r, int overdue_only)
{
	const json_t *dl = json_object_get(r, "deadline");
	char line[512], as[256];
	counts c;
	size_t i;
	json_t *e;

	assign_text(as, sizeof(as), json_object_get(r, "assign"));
	printf("%s  %s\n", str_of(r, "ref"), str_of(r, "title"));
	printf("  deadline %s (%s)%s%s; assigned %s to %s%s\n",
	       str_of(dl, "text"), str_of(dl, "kind"),
	       str_of(r, "due") ? ", due " : ", no due day",
	       str_of(r, "due") ? str_of(r, "due") : "", str_of(r, "assigned"), as,
	       json_is_true(json_object_get(r, "withdrawn")) ? " [withdrawn]" : "");
	counts_from_json(&c, json_object_get(r, "counts"));
	counts_text(line, sizeof(line), &c);
	printf("  %s\n", line);
	json_array_foreach(json_object_get(r, "children"), i, e) {
		counts_from_json(&c, json_object_get(e, "counts"));
		counts_text(line, sizeof(line), &c);
		printf("    %s %s: %s\n", str_of(e, "node"), str_of(e, "name"), line);
	}
	if (json_object_get(r, "self") &&
	    json_array_size(json_object_get(r, "children")) > 0) {
		counts_from_json(&c, json_object_get(r, "self"));
		counts_text(line, sizeof(line), &c);
		printf("    %s itself: %s\n", v->self, line);
	}
	if (json_array_size(json_object_get(r, "overdue")) > 0 || overdue_only) {
		printf("  overdue:");
		json_array_foreach(json_object_get(r, "overdue"), i, e)
			printf(" %s %s%s", json_string_value(e),
			       name_of(v, json_string_value(e)),
			       i + 1 < json_array_size(json_object_get(r, "overdue"))
			               ? ","
			               : "");
		printf("\n");
	}
}

/* ---- building a task ------------------------------------------------------------- */

/*
 * A deadline record from its text: {text, kind, due?, workdays?}; for
 * working days, `due` is counted from `assigned` on the province's
 * calendar. `note` gets a remark worth printing ("" if none). NULL with
 * the reason in `why`.
 */
static json_t *deadline_make(view *v, const char *text, int32_t assigned,
                             char *note, size_t notelen, char *why,
                             size_t whylen)
{
	deadline d;
	char buf[11];
	json_t *o;

	note[0] = '\0';
	if (text_check(text, 0) != 0 || strlen(text) == 0 || strlen(text) >= 128) {
		snprintf(why, whylen,
		         "'%s' is not a deadline: give 1-127 bytes of UTF-8 text on "
		         "one line", text);
		return NULL;
	}
	if (deadline_parse(&d, text) != 0) {
		snprintf(why, whylen,
		         "'%s' is not a deadline as plans write them (e.g. "
		         "2020年10月23日前, 2020年9月中旬, 2020年12月底, 2022年上半年, "
		         "长期, 20个工作日内)", text);
		return NULL;
	}
	o = json_pack("{s:s}", "text", text);
	switch (d.kind) {
	case DEADLINE_DATE:
		json_object_set_new(o, "kind", json_string("date"));
		json_object_set_new(o, "due", json_string(fmt_date(d.date, buf)));
		if (d.date < assigned) {
			char a[11];
			snprintf(why, whylen,
			         "'%s' (due %s) is before the assignment date %s; give "
			         "--assigned", text, buf, fmt_date(assigned, a));
			json_decref(o);
			return NULL;
		}
		break;
	case DEADLINE_WORKDAYS: {
		int uncovered = 0;
		int32_t due;
		if (!view_calendar(v)) {
			snprintf(why, whylen,
			         "'%s': cannot read the province's working-day "
			         "calendar to count the days: %s", text, v->cal_why);
			json_decref(o);
			return NULL;
		}
		due = calendar_add_workdays(&v->cal, assigned, d.workdays,
		                            &uncovered);
		json_object_set_new(o, "kind", json_string("workdays"));
		json_object_set_new(o, "workdays", json_integer(d.workdays));
		json_object_set_new(o, "due", json_string(fmt_date(due, buf)));
		if (v->cal.nyears == 0)
			snprintf(note, notelen,
			         "no working-day calendar of the province is held here: "
			         "due %s counts Monday–Friday (assumed)", buf);
		else if (uncovered)
			snprintf(note, notelen,
			         "the province's calendar does not cover every day up "
			         "to %s: Monday–Friday assumed there", buf);
		break;
	}
	case DEADLINE_ONGOING:
	default:
		json_object_set_new(o, "kind", json_string("ongoing"));
		break;
	}
	return o;
}

/* one unit of 责任单位 with its role: "X（牵头）", "X(配合)", "X负责落实" */
static json_t *unit_make(char *u, const char *dflt)
{
	static const struct {
		const char *suffix, *role;
	} sfx[] = {
		{ "（牵头）", "牵头" }, { "(牵头)", "牵头" }, { "牵头", "牵头" },
		{ "（配合）", "配合" }, { "(配合)", "配合" }, { "配合", "配合" },
		{ "（落实）", "落实" }, { "(落实)", "落实" },
		{ "（负责落实）", "落实" }, { "(负责落实)", "落实" },
		{ "负责落实", "落实" },
	};
	const char *role = dflt;
	size_t n;

	u = trim(u);
	n = strlen(u);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t m = strlen(sfx[i].suffix);
		if (n > m && strcmp(u + n - m, sfx[i].suffix) == 0) {
			u[n - m] = '\0';
			u = trim(u);
			role = sfx[i].role;
			break;
		}
	}
	if (u[0] == '\0')
		return NULL;
	return json_pack("{s:s,s:s}", "unit", u, "role", role);
}

/* 责任单位 "A、B（牵头）、C" → [{unit, role}] (appended to `arr`); units are
 * separated by '、', '；' or ';'. -1 if a unit is empty or too long. */
static int units_parse(json_t *arr, const char *text, const char *dflt)
{
	static const char *const seps[] = { "、", "；", ";" };
	char *s = strdup(text), *p = s;

	if (s == NULL)
		return -1;
	for (;;) {
		char *cut = NULL;
		size_t cutlen = 0;
		json_t *u;
		for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
			char *q = strstr(p, seps[i]);
			if (q != NULL && (cut == NULL || q < cut)) {
				cut = q;
				cutlen = strlen(seps[i]);
			}
		}
		if (cut != NULL)
			*cut = '\0';
		u = unit_make(p, dflt);
		if (u == NULL || strlen(str_of(u, "unit")) > 256) {
			json_decref(u);
			free(s);
			return -1;
		}
		json_array_append_new(arr, u);
		if (cut == NULL)
			break;
		p = cut + cutlen;
	}
	free(s);
	return 0;
}

/* ---- committing ------------------------------------------------------------------- */

/* canonical bytes for `path` from `rec` (the store's schema), or the store's
 * reason in `why` */
static int prepare(const char *path, const json_t *rec, char **canon,
                   size_t *clen, char *why, size_t whylen)
{
	char *s = json_dumps(rec, JSON_COMPACT);
	int rc;

	*canon = NULL;
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return STORE_ENOMEM;
	}
	rc = store_record_prepare(canon, clen, path, s, strlen(s));
	free(s);
	if (rc != 0)
		snprintf(why, whylen, "%s", store_errmsg());
	return rc;
}

static int commit_changes(view *v, store_change *ch, size_t n, const char *msg,
                          char out[STORE_OID_HEX])
{
	int rc = home_ensure_genesis(&v->h);

	if (rc != 0)
		return rc;
	rc = store_commit(v->h.st, v->h.sk, ch, n, msg, out);
	if (rc == STORE_EUNCHANGED) {
		out[0] = '\0';
		return EXIT_OK;
	}
	if (rc != 0) {
		cli_err("cannot commit %s: %s", n == 1 ? ch[0].path : "the tasks",
		        store_errmsg());
		return cli_exit_for(rc);
	}
	home_maintain(&v->h);
	return EXIT_OK;
}

/* ---- the assignees of a new task ------------------------------------------------ */

/*
 * --level: a level below this node's. --to: ids, each a descendant known
 * here or, when not known, a division code of a level below this node's.
 * An {assignees} object, or NULL after printing why (rc the exit code).
 * `unknown` gets the ids not known here (a note for the operator).
 */
static json_t *assignees_make(view *v, const char *level, json_t *to,
                              const char *what_level, const char *what_to,
                              json_t *unknown, int *rc)
{
	size_t i;
	json_t *e;

	*rc = EXIT_NO;
	if (level != NULL) {
		store_level l;
		int ok = 0;
		for (const char *const *p = levels_below; *p; p++)
			ok |= strcmp(*p, level) == 0;
		if (!ok || store_level_parse(&l, level) != 0) {
			cli_err("%s '%s' is not a level (city, district, township or "
			        "village)", what_level, level);
			*rc = EXIT_USAGE;
			return NULL;
		}
		if (l <= v->level) {
			cli_err("%s %s: a %s assigns tasks to levels below it (%s "
			        "is not below %s)", what_level, level,
			        store_level_name(v->level), level,
			        store_level_name(v->level));
			return NULL;
		}
		{
			size_t seen = 0;
			for (size_t j = 0; j < v->n; j++)
				seen += (v->nodes[j].held || v->nodes[j].active) &&
				        v->nodes[j].level == l &&
				        is_below(v, v->nodes[j].id, v->self);
			if (seen == 0)
				json_array_append_new(
					unknown, json_pack("{s:s}", "level", level));
		}
		*rc = EXIT_OK;
		return json_pack("{s:s}", "level", level);
	}
	if (json_array_size(to) == 0) {
		cli_err("%s names no node", what_to);
		*rc = EXIT_USAGE;
		return NULL;
	}
	json_array_foreach(to, i, e) {
		const char *x = json_string_value(e);
		known *k;
		if (!store_id_valid(x)) {
			cli_err("%s: '%s' is not a node id (a division code of 6, 9 or "
			        "12 digits)", what_to, x);
			*rc = EXIT_USAGE;
			return NULL;
		}
		if (strcmp(x, v->self) == 0) {
			cli_err("%s: %s is this node; a node assigns tasks to nodes "
			        "below it", what_to, x);
			return NULL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(to, j)), x) == 0) {
				cli_err("%s names %s twice", what_to, x);
				*rc = EXIT_USAGE;
				return NULL;
			}
		k = known_get(v, x);
		if (k != NULL && !is_below(v, x, v->self)) {
			cli_err("%s: %s (%s) is not below %s; a task goes to "
			        "descendants", what_to, x, k->name, v->self);
			return NULL;
		}
		if (k == NULL) {
			int ok = 0;
			for (int l = v->level + 1; l <= STORE_LEVEL_VILLAGE; l++)
				ok |= strlen(x) == id_len_of((store_level)l);
			if (!ok || v->level >= STORE_LEVEL_VILLAGE) {
				cli_err("%s: %s is not known here and is not the division "
				        "code of a level below %s; enroll it or sync first",
				        what_to, x, store_level_name(v->level));
				return NULL;
			}
			json_array_append_new(unknown, json_string(x));
		}
	}
	*rc = EXIT_OK;
	return json_pack("{s:O}", "nodes", to);
}

/* "A,B" (and repeated options) → a JSON array of strings */
static void split_commas(json_t *arr, const char *s)
{
	char *d = strdup(s), *p, *save = NULL;

	if (d == NULL)
		return;
	for (p = strtok_r(d, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char *t = trim(p);
		if (*t)
			json_array_append_new(arr, json_string(t));
	}
	free(d);
}

/* ---- assign --------------------------------------------------------------------- */

static int task_exists(view *v, const char *id)
{
	char path[STORE_PATH_MAX], blob[STORE_OID_HEX];

	snprintf(path, sizeof(path), "tasks/%s.json", id);
	return store_record_stat(v->h.st, NULL, path, blob, NULL) == 0;
}

static int assign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },        /* 0 */
		{ "id", required_argument, NULL, 0 },          /* 1 */
		{ "title", required_argument, NULL, 0 },       /* 2 */
		{ "requirement", required_argument, NULL, 0 }, /* 3 */
		{ "deadline", required_argument, NULL, 0 },    /* 4 */
		{ "to", required_argument, NULL, 0 },          /* 5 */
		{ "level", required_argument, NULL, 0 },       /* 6 */
		{ "lead", required_argument, NULL, 0 },        /* 7 */
		{ "support", required_argument, NULL, 0 },     /* 8 */
		{ "unit", required_argument, NULL, 0 },        /* 9 */
		{ "assigned", required_argument, NULL, 0 },    /* 10 */
		{ "from", required_argument, NULL, 0 },        /* 11 */
		{ "json", no_argument, NULL, 0 },              /* 12 */
		{ "help", no_argument, NULL, 0 },              /* 13 */
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *title = NULL, *req = NULL,
	           *dtext = NULL, *level = NULL, *assigned_s = NULL, *from = NULL;
	char fnode[KEYS_ID_MAX + 1], ftask[RID_MAX], why[700], note[512];
	char path[STORE_PATH_MAX], out[STORE_OID_HEX], msg[256], buf[11];
	json_t *to = json_array(), *resp = json_array(), *unknown = json_array();
	json_t *up = NULL, *rec = NULL, *dl = NULL, *as = NULL;
	char *canon = NULL;
	size_t clen;
	int idx, c, json = 0, rc;
	int32_t assigned;
	store_change ch;
	view v = { 0 };

	calendar_init(&v.cal);
	while ((c = cli_getopt("task assign", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: title = optarg; break;
		case 3: req = optarg; break;
		case 4: dtext = optarg; break;
		case 5: split_commas(to, optarg); break;
		case 6: level = optarg; break;
		case 7:
		case 8:
		case 9: {
			const char *role = c == 7 ? "牵头" : c == 8 ? "配合" : "落实";
			if (text_check(optarg, 0) != 0 || units_parse(resp, optarg, role)) {
				rc = cli_usage("task assign",
				               "--%s '%s' is not a unit name (1-256 bytes of "
				               "UTF-8 on one line)", opts[c].name, optarg);
				goto done;
			}
			break;
		}
		case 10: assigned_s = optarg; break;
		case 11: from = optarg; break;
		case 12: json = 1; break;
		case 13: fputs(usage, stdout); rc = EXIT_OK; goto done;
		}
	}
	if (c == -2) {
		rc = EXIT_USAGE;
		goto done;
	}
	if (!home || !id) {
		rc = cli_usage("task assign", "--home and --id are required");
		goto done;
	}
	if ((level != NULL) == (json_array_size(to) > 0)) {
		rc = cli_usage("task assign",
		               "give the assignees with --to ID,... or --level LEVEL "
		               "(one of them)");
		goto done;
	}
	if (!from && (!title || !dtext)) {
		rc = cli_usage("task assign", "--title and --deadline are required "
		                              "(unless --from gives them)");
		goto done;
	}
	if (!rid_ok(id)) {
		rc = cli_usage("task assign",
		               "--id '%s' is not a task id (1-64 letters, digits, '.', "
		               "'_' or '-', starting with a letter or digit)", id);
		goto done;
	}
	if (title && (title[0] == '\0' || strlen(title) > 512 ||
	              text_check(title, 0) != 0)) {
		rc = cli_usage("task assign", "--title must be 1-512 bytes of UTF-8 "
		                              "on one line");
		goto done;
	}
	if (req && (strlen(req) > 8192 || text_check(req, 1) != 0)) {
		rc = cli_usage("task assign", "--requirement must be at most 8192 "
		                              "bytes of UTF-8 text");
		goto done;
	}
	if (assigned_s && date_parse(&assigned, assigned_s) != 0) {
		rc = cli_usage("task assign",
		               "--assigned '%s' is not a date like 2020-09-10",
		               assigned_s);
		goto done;
	}
	if (from && task_ref_parse(from, NULL, fnode, ftask) != 0) {
		rc = cli_usage("task assign", "--from '%s' is not NODE/TASK", from);
		goto done;
	}
	rc = view_open(&v, home, HOME_KEY);
	if (rc != 0)
		goto done;
	if (!assigned_s)
		assigned = v.today;
	if (v.level >= STORE_LEVEL_VILLAGE) {
		cli_err("%s is a village: there is no level below it to assign "
		        "tasks to", v.self);
		rc = EXIT_NO;
		goto done;
	}
	if (from) {
		if (!is_ancestor(&v, fnode)) {
			cli_err("--from %s: %s is not an ancestor of %s; a task passed "
			        "down comes from above", from, fnode, v.self);
			rc = EXIT_NO;
			goto done;
		}
		up = task_read(&v, fnode, ftask, &rc);
		if (up == NULL) {
			cli_err("--from %s: %s", from,
			        rc == STORE_ENOTFOUND
			                ? "no such task in that history as held here; "
			                  "let the node sync, or check the id"
			                : store_errmsg());
			rc = rc == STORE_ENOTFOUND ? EXIT_NO : cli_exit_for(rc);
			goto done;
		}
		if (json_object_get(up, "withdrawn")) {
			cli_err("--from %s: that task was withdrawn", from);
			rc = EXIT_NO;
			goto done;
		}
		if (!assigns(&v, fnode, up, v.self)) {
			cli_err("--from %s: that task is not assigned to %s", from,
			        v.self);
			rc = EXIT_NO;
			goto done;
		}
		if (!title)
			title = str_of(up, "title");
		if (!req)
			req = str_of(up, "requirement");
	}
	if (task_exists(&v, id)) {
		cli_err("--id %s: %s already has a task %s; choose another id", id,
		        v.self, id);
		rc = EXIT_NO;
		goto done;
	}
	note[0] = '\0';
	if (dtext) {
		dl = deadline_make(&v, dtext, assigned, note, sizeof(note), why,
		                   sizeof(why));
		if (dl == NULL) {
			cli_err("--deadline %s", why);
			rc = EXIT_NO;
			goto done;
		}
	} else {
		/* the upstream's deadline as it stands */
		dl = json_deep_copy(json_object_get(up, "deadline"));
		if (str_of(dl, "due") && date_of(dl, "due", 0) < assigned) {
			cli_err("--from %s: its deadline (due %s) is before the "
			        "assignment date %s; give --deadline or --assigned",
			        from, str_of(dl, "due"), fmt_date(assigned, buf));
			rc = EXIT_NO;
			goto done;
		}
	}
	as = assignees_make(&v, level, to, "--level", "--to", unknown, &rc);
	if (as == NULL)
		goto done;
	rec = json_pack("{s:s,s:s,s:s,s:O,s:O}", "id", id, "title", title,
	                "assigned", fmt_date(assigned, buf), "deadline", dl,
	                "assignees", as);
	if (req && req[0])
		json_object_set_new(rec, "requirement", json_string(req));
	if (json_array_size(resp) > 0)
		json_object_set(rec, "responsible", resp);
	if (from)
		json_object_set_new(rec, "from", json_pack("{s:s,s:s}", "node", fnode,
		                                           "task", ftask));
	snprintf(path, sizeof(path), "tasks/%s.json", id);
	rc = prepare(path, rec, &canon, &clen, why, sizeof(why));
	if (rc != 0) {
		cli_err("task %s: %s", id, why);
		rc = cli_exit_for(rc);
		goto done;
	}
	snprintf(msg, sizeof(msg), "task assign %s", id);
	ch = (store_change){ path, canon, clen };
	rc = commit_changes(&v, &ch, 1, msg, out);
	if (rc != 0)
		goto done;
	if (note[0])
		cli_err("note: %s", note);
	{
		size_t i;
		json_t *e;
		json_array_foreach(unknown, i, e) {
			if (json_is_object(e))
				cli_err("note: no %s below %s is known here yet; the task "
				        "reaches each one as it is enrolled",
				        str_of(e, "level"), v.self);
			else
				cli_err("note: %s is not known here yet (not certified by "
				        "%s or a held descendant); it counts as an assignee "
				        "that has not reported", json_string_value(e), v.self);
		}
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:O}", "path", path, "commit", out,
		                      "task", rec);
		if (note[0])
			json_object_set_new(o, "note", json_string(note));
		print_json(o);
		json_decref(o);
	} else {
		char a[256];
		assign_text(a, sizeof(a), as);
		printf("committed %s %s: %s, deadline %s%s%s, to %s\n", out, path,
		       title, dtext ? dtext : str_of(dl, "text"),
		       str_of(dl, "due") ? " → due " : " (no due day)",
		       str_of(dl, "due") ? str_of(dl, "due") : "", a);
	}
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(to);
	json_decref(resp);
	json_decref(unknown);
	json_decref(up);
	json_decref(rec);
	json_decref(dl);
	json_decref(as);
	view_close(&v);
	return rc;
}

/* ---- import: a work-plan table ----------------------------------------------------- */

static const char *const columns[] = { "序号", "工作任务", "具体要求", "责任单位",
	                               "完成时限" };
enum { COL_SEQ, COL_TASK, COL_REQ, COL_UNIT, COL_DUE, NCOL };

typedef struct row {
	char *f[NCOL];
	long line; /* the line it starts on (CSV), or 0 (JSON) */
} row;

typedef struct table {
	row *rows;
	size_t n, cap;
	char *plan;     /* plan.doc from JSON */
	char *assigned; /* from JSON */
} table;

static void table_free(table *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (int j = 0; j < NCOL; j++)
			free(t->rows[i].f[j]);
	free(t->rows);
	free(t->plan);
	free(t->assigned);
	memset(t, 0, sizeof(*t));
}

static row *table_add(table *t)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		row *nv = realloc(t->rows, ncap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		t->rows = nv;
		t->cap = ncap;
	}
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	return &t->rows[t->n++];
}

/* A CSV record (RFC 4180: quoted fields with "" inside, CRLF or LF). Fields
 * are appended to `fields` (malloc'd strings). Returns 1 with a record, 0 at
 * the end, -1 with the reason in `why`. */
static int csv_record(const char **pp, long *line, char ***fields, size_t *nf,
                      char *why, size_t whylen)
{
	const char *p = *pp;
	size_t cap = 0;
	long start = *line;

	*fields = NULL;
	*nf = 0;
	if (*p == '\0')
		return 0;
	for (;;) {
		size_t n = 0, fcap = 64;
		char *f = malloc(fcap);
		int quoted = 0;
		if (f == NULL)
			goto oom;
		if (*p == '"') {
			quoted = 1;
			p++;
			for (;;) {
				if (*p == '\0') {
					free(f);
					snprintf(why, whylen,
					         "line %ld: a quoted field is not closed", start);
					goto fail;
				}
				if (*p == '"' && p[1] == '"') {
					p += 2;
					if (n + 1 >= fcap) {
						char *nf2 = realloc(f, fcap *= 2);
						if (!nf2) { free(f); goto oom; }
						f = nf2;
					}
					f[n++] = '"';
					continue;
				}
				if (*p == '"') {
					p++;
					break;
				}
				if (*p == '\r' && p[1] == '\n')
					p++; /* a line break inside a field: "\n" */
				if (*p == '\n')
					(*line)++;
				if (n + 1 >= fcap) {
					char *nf2 = realloc(f, fcap *= 2);
					if (!nf2) { free(f); goto oom; }
					f = nf2;
				}
				f[n++] = *p++;
			}
		}
		while (*p != ',' && *p != '\n' && *p != '\0' &&
		       !(*p == '\r' && (p[1] == '\n' || p[1] == '\0'))) {
			if (*p == '"' || quoted) {
				free(f);
				snprintf(why, whylen,
				         "line %ld: a '\"' inside a field, or text after a "
				         "quoted field; quote the whole field and double "
				         "the quotes in it", *line);
				goto fail;
			}
			if (n + 1 >= fcap) {
				char *nf2 = realloc(f, fcap *= 2);
				if (!nf2) { free(f); goto oom; }
				f = nf2;
			}
			f[n++] = *p++;
		}
		f[n] = '\0';
		if (*nf == cap) {
			char **nv = realloc(*fields, (cap = cap ? cap * 2 : 8) *
			                                     sizeof(*nv));
			if (nv == NULL) {
				free(f);
				goto oom;
			}
			*fields = nv;
		}
		(*fields)[(*nf)++] = f;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\r')
			p++;
		if (*p == '\n') {
			p++;
			(*line)++;
		}
		break;
	}
	*pp = p;
	return 1;
oom:
	snprintf(why, whylen, "out of memory");
fail:
	for (size_t i = 0; i < *nf; i++)
		free((*fields)[i]);
	free(*fields);
	*fields = NULL;
	*nf = 0;
	return -1;
}

static void fields_free(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

/* the column index of a header cell, or -1 */
static int column_of(const char *h)
{
	for (int i = 0; i < NCOL; i++)
		if (strcmp(h, columns[i]) == 0)
			return i;
	return -1;
}

static int csv_load(table *t, const char *file, const char *data, char *why,
                    size_t whylen)
{
	const char *p = data;
	long line = 1;
	char **f = NULL;
	size_t nf = 0;
	int map[NCOL], r;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	/* the header */
	r = csv_record(&p, &line, &f, &nf, why, whylen);
	if (r <= 0) {
		if (r == 0)
			snprintf(why, whylen, "%s is empty; its first line names the "
			                      "columns 序号,工作任务,具体要求,责任单位,完成时限",
			         file);
		return -1;
	}
	for (int i = 0; i < NCOL; i++)
		map[i] = -1;
	for (size_t i = 0; i < nf; i++) {
		int c;
		if (text_check(f[i], 0) == -1) {
			snprintf(why, whylen, "%s: line 1 is not UTF-8; save the table "
			                      "as UTF-8 CSV", file);
			goto bad;
		}
		c = column_of(trim(f[i]));
		if (c < 0) {
			snprintf(why, whylen,
			         "%s: line 1, column %zu: '%s' is not a column of a work "
			         "plan (序号, 工作任务, 具体要求, 责任单位, 完成时限)", file,
			         i + 1, f[i]);
			goto bad;
		}
		if (map[c] >= 0) {
			snprintf(why, whylen, "%s: line 1: the column %s is there twice",
			         file, columns[c]);
			goto bad;
		}
		map[c] = (int)i;
	}
	for (int c = 0; c < NCOL; c++)
		if (map[c] < 0) {
			snprintf(why, whylen, "%s: line 1: the column %s is missing", file,
			         columns[c]);
			goto bad;
		}
	fields_free(f, nf);
	f = NULL;
	for (;;) {
		long at = line;
		row *rw;
		int blank = 1;
		r = csv_record(&p, &line, &f, &nf, why, whylen);
		if (r == 0)
			break;
		if (r < 0) {
			char tmp[300];
			snprintf(tmp, sizeof(tmp), "%.299s", why);
			snprintf(why, whylen, "%s: %s", file, tmp);
			return -1;
		}
		for (size_t i = 0; i < nf; i++)
			blank &= trim(f[i])[0] == '\0';
		if (blank) { /* an empty line, or only commas */
			fields_free(f, nf);
			f = NULL;
			continue;
		}
		if (nf != NCOL) {
			snprintf(why, whylen,
			         "%s: row %zu (line %ld) has %zu columns, not 5 (序号, "
			         "工作任务, 具体要求, 责任单位, 完成时限); quote a field that "
			         "holds a ','", file, t->n + 1, at, nf);
			goto bad;
		}
		if (t->n >= IMPORT_ROWS_MAX) {
			snprintf(why, whylen, "%s has more than %d rows; split the plan",
			         file, IMPORT_ROWS_MAX);
			goto bad;
		}
		rw = table_add(t);
		if (rw == NULL) {
			snprintf(why, whylen, "out of memory");
			goto bad;
		}
		rw->line = at;
		for (int c = 0; c < NCOL; c++) {
			rw->f[c] = strdup(trim(f[map[c]]));
			if (rw->f[c] == NULL) {
				snprintf(why, whylen, "out of memory");
				goto bad;
			}
		}
		fields_free(f, nf);
		f = NULL;
	}
	return 0;
bad:
	fields_free(f, nf);
	return -1;
}

static int json_load_plan(table *t, const char *file, const char *data,
                          size_t len, char *why, size_t whylen)
{
	json_error_t err;
	json_t *root = json_loadb(data, len, 0, &err), *rows, *r, *val;
	const char *k;
	size_t i;
	int rc = -1;

	if (root == NULL) {
		snprintf(why, whylen, "%s: line %d, column %d: %s", file, err.line,
		         err.column, err.text);
		return -1;
	}
	if (json_is_array(root)) {
		rows = root;
	} else if (json_is_object(root)) {
		json_object_foreach(root, k, val) {
			if (strcmp(k, "rows") && strcmp(k, "plan") &&
			    strcmp(k, "assigned") && strcmp(k, "title")) {
				snprintf(why, whylen,
				         "%s: unknown key '%s' (a plan has rows, and may "
				         "have plan, title and assigned)", file, k);
				goto done;
			}
			if (strcmp(k, "rows") && !json_is_string(val)) {
				snprintf(why, whylen, "%s: '%s' must be a string", file, k);
				goto done;
			}
		}
		rows = json_object_get(root, "rows");
		if (str_of(root, "plan"))
			t->plan = strdup(str_of(root, "plan"));
		if (str_of(root, "assigned"))
			t->assigned = strdup(str_of(root, "assigned"));
	} else {
		snprintf(why, whylen, "%s: a plan is an object {rows: [...]} or an "
		                      "array of rows", file);
		goto done;
	}
	if (!json_is_array(rows)) {
		snprintf(why, whylen, "%s: 'rows' must be an array of rows", file);
		goto done;
	}
	if (json_array_size(rows) > IMPORT_ROWS_MAX) {
		snprintf(why, whylen, "%s has more than %d rows; split the plan",
		         file, IMPORT_ROWS_MAX);
		goto done;
	}
	json_array_foreach(rows, i, r) {
		row *rw;
		if (!json_is_object(r)) {
			snprintf(why, whylen, "%s: row %zu is not an object with the "
			                      "columns as keys", file, i + 1);
			goto done;
		}
		json_object_foreach(r, k, val) {
			if (column_of(k) < 0) {
				snprintf(why, whylen,
				         "%s: row %zu: '%s' is not a column of a work plan "
				         "(序号, 工作任务, 具体要求, 责任单位, 完成时限)", file,
				         i + 1, k);
				goto done;
			}
			if (!json_is_string(val) && !json_is_integer(val)) {
				snprintf(why, whylen, "%s: row %zu, column %s: must be a "
				                      "string", file, i + 1, k);
				goto done;
			}
		}
		rw = table_add(t);
		if (rw == NULL) {
			snprintf(why, whylen, "out of memory");
			goto done;
		}
		for (int c = 0; c < NCOL; c++) {
			json_t *x = json_object_get(r, columns[c]);
			char num[32];
			const char *s = "";
			if (json_is_integer(x)) {
				snprintf(num, sizeof(num), "%lld",
				         (long long)json_integer_value(x));
				s = num;
			} else if (json_is_string(x)) {
				s = json_string_value(x);
			}
			rw->f[c] = strdup(s);
			if (rw->f[c] == NULL) {
				snprintf(why, whylen, "out of memory");
				goto done;
			}
			{
				char *tt = trim(rw->f[c]);
				memmove(rw->f[c], tt, strlen(tt) + 1);
			}
		}
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

static void row_name(char *out, size_t outlen, const char *file, size_t i,
                     const row *r)
{
	if (r->line > 0)
		snprintf(out, outlen, "%s: row %zu (line %ld)", file, i + 1, r->line);
	else
		snprintf(out, outlen, "%s: row %zu", file, i + 1);
}

static int do_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },     /* 0 */
		{ "file", required_argument, NULL, 0 },     /* 1 */
		{ "level", required_argument, NULL, 0 },    /* 2 */
		{ "to", required_argument, NULL, 0 },       /* 3 */
		{ "prefix", required_argument, NULL, 0 },   /* 4 */
		{ "assigned", required_argument, NULL, 0 }, /* 5 */
		{ "plan", required_argument, NULL, 0 },     /* 6 */
		{ "dry-run", no_argument, NULL, 0 },        /* 7 */
		{ "json", no_argument, NULL, 0 },           /* 8 */
		{ "help", no_argument, NULL, 0 },           /* 9 */
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *file = NULL, *level = NULL, *prefix = "",
	           *assigned_s = NULL, *plan = NULL;
	char why[900], note[512], where[600], buf[11], out[STORE_OID_HEX];
	char msg[300];
	char *data = NULL;
	size_t len, i;
	int idx, c, json = 0, dry = 0, rc, is_json;
	int32_t assigned = 0;
	json_t *to = json_array(), *unknown = json_array(), *as = NULL;
	json_t *recs = json_array(), *notes = json_array();
	store_change *ch = NULL;
	char **canon = NULL;
	size_t *clen = NULL;
	char (*paths)[STORE_PATH_MAX] = NULL;
	table t = { 0 };
	view v = { 0 };

	calendar_init(&v.cal);
	while ((c = cli_getopt("task import", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: file = optarg; break;
		case 2: level = optarg; break;
		case 3: split_commas(to, optarg); break;
		case 4: prefix = optarg; break;
		case 5: assigned_s = optarg; break;
		case 6: plan = optarg; break;
		case 7: dry = 1; break;
		case 8: json = 1; break;
		case 9: fputs(usage, stdout); rc = EXIT_OK; goto done;
		}
	}
	if (c == -2) {
		rc = EXIT_USAGE;
		goto done;
	}
	if (!home || !file) {
		rc = cli_usage("task import", "--home and --file are required");
		goto done;
	}
	if ((level != NULL) == (json_array_size(to) > 0)) {
		rc = cli_usage("task import",
		               "give the assignees with --level LEVEL or --to ID,... "
		               "(one of them)");
		goto done;
	}
	if (prefix[0] != '\0' && (!rid_ok(prefix) || strlen(prefix) > 40)) {
		rc = cli_usage("task import",
		               "--prefix '%s' must be 1-40 letters, digits, '.', '_' "
		               "or '-', starting with a letter or digit", prefix);
		goto done;
	}
	if (assigned_s && date_parse(&assigned, assigned_s) != 0) {
		rc = cli_usage("task import",
		               "--assigned '%s' is not a date like 2020-09-10",
		               assigned_s);
		goto done;
	}
	if (plan && (plan[0] == '\0' || strlen(plan) > 256 ||
	             text_check(plan, 0) != 0)) {
		rc = cli_usage("task import", "--plan must be 1-256 bytes of UTF-8 "
		                              "on one line (the plan's 文号 or id)");
		goto done;
	}
	rc = cli_read_file(file, 8 * 1024 * 1024, "work plan", &data, &len);
	if (rc != 0)
		goto done;
	if (memchr(data, '\0', len) != NULL) {
		cli_err("work plan '%s' holds NUL bytes; give a UTF-8 CSV or JSON "
		        "file", file);
		rc = EXIT_NO;
		goto done;
	}
	{
		const char *p = data;
		if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		p += strspn(p, " \t\r\n");
		is_json = *p == '{' || *p == '[';
	}
	if ((is_json ? json_load_plan(&t, file, data, len, why, sizeof(why))
	             : csv_load(&t, file, data, why, sizeof(why))) != 0) {
		cli_err("%s", why);
		rc = EXIT_NO;
		goto done;
	}
	if (t.n == 0) {
		cli_err("work plan '%s' has no rows", file);
		rc = EXIT_NO;
		goto done;
	}
	if (!assigned_s && t.assigned) {
		if (date_parse(&assigned, t.assigned) != 0) {
			cli_err("%s: 'assigned' '%s' is not a date like 2020-09-10",
			        file, t.assigned);
			rc = EXIT_NO;
			goto done;
		}
		assigned_s = t.assigned;
	}
	if (!plan && t.plan) {
		if (t.plan[0] == '\0' || strlen(t.plan) > 256 ||
		    text_check(t.plan, 0) != 0) {
			cli_err("%s: 'plan' must be 1-256 bytes of UTF-8 on one line",
			        file);
			rc = EXIT_NO;
			goto done;
		}
		plan = t.plan;
	}
	rc = view_open(&v, home, HOME_KEY);
	if (rc != 0)
		goto done;
	if (!assigned_s)
		assigned = v.today;
	if (v.level >= STORE_LEVEL_VILLAGE) {
		cli_err("%s is a village: there is no level below it to assign "
		        "tasks to", v.self);
		rc = EXIT_NO;
		goto done;
	}
	as = assignees_make(&v, level, to, "--level", "--to", unknown, &rc);
	if (as == NULL)
		goto done;
	canon = calloc(t.n, sizeof(*canon));
	clen = calloc(t.n, sizeof(*clen));
	paths = calloc(t.n, sizeof(*paths));
	ch = calloc(t.n, sizeof(*ch));
	if (!canon || !clen || !paths || !ch) {
		cli_err("out of memory");
		rc = EXIT_RUNTIME;
		goto done;
	}
	/* every row, checked before anything is written */
	{
		const char *seq = NULL, *task = NULL, *units = NULL;
		json_t *subs = json_object(); /* seq → rows so far */
		for (i = 0; i < t.n; i++) {
			row *r = &t.rows[i];
			char id[RID_MAX * 2], *f;
			json_t *rec, *dl, *resp = NULL;
			json_int_t sub;
			int bad = -1;

			row_name(where, sizeof(where), file, i, r);
			for (int col = 0; col < NCOL; col++) {
				int tc = text_check(r->f[col], col == COL_REQ);
				if (tc != 0) {
					cli_err("%s, column %s: %s", where, columns[col],
					        tc == -1 ? "not UTF-8; save the table as UTF-8"
					                 : "a control character (a line break "
					                   "is allowed only in 具体要求)");
					goto row_bad;
				}
			}
			f = r->f[COL_SEQ];
			if (f[0] != '\0') {
				if (strlen(f) > 16 || !rid_ok(f)) {
					cli_err("%s, column 序号: '%s' is not a number like 3 or "
					        "3.1 (at most 16 letters, digits, '.', '_' or "
					        "'-')", where, f);
					goto row_bad;
				}
				if (seq == NULL || strcmp(seq, f) != 0) {
					task = NULL;
					units = NULL;
				}
				seq = f;
			} else if (seq == NULL) {
				cli_err("%s, column 序号: empty in the first row; only a "
				        "later row continues the one above", where);
				goto row_bad;
			}
			if (r->f[COL_TASK][0] != '\0')
				task = r->f[COL_TASK];
			if (task == NULL) {
				cli_err("%s, column 工作任务: empty, and no row above with "
				        "序号 %s names the task", where, seq);
				goto row_bad;
			}
			if (strlen(task) > 512) {
				cli_err("%s, column 工作任务: longer than 512 bytes", where);
				goto row_bad;
			}
			if (strlen(r->f[COL_REQ]) > 8192) {
				cli_err("%s, column 具体要求: longer than 8192 bytes", where);
				goto row_bad;
			}
			if (r->f[COL_UNIT][0] != '\0')
				units = r->f[COL_UNIT];
			if (units != NULL) {
				resp = json_array();
				if (units_parse(resp, units, "落实") != 0) {
					cli_err("%s, column 责任单位: '%s' has an empty unit or "
					        "one longer than 256 bytes (units are separated "
					        "by '、')", where, units);
					json_decref(resp);
					goto row_bad;
				}
			}
			if (r->f[COL_DUE][0] == '\0') {
				cli_err("%s, column 完成时限: empty; give a deadline such as "
				        "2020年10月23日前 or 长期", where);
				json_decref(resp);
				goto row_bad;
			}
			dl = deadline_make(&v, r->f[COL_DUE], assigned, note,
			                   sizeof(note), why, sizeof(why));
			if (dl == NULL) {
				cli_err("%s, column 完成时限: %s", where, why);
				json_decref(resp);
				goto row_bad;
			}
			if (note[0]) {
				int dup = 0;
				json_t *x;
				size_t j;
				json_array_foreach(notes, j, x)
					dup |= strcmp(json_string_value(x), note) == 0;
				if (!dup)
					json_array_append_new(notes, json_string(note));
			}
			sub = json_integer_value(json_object_get(subs, seq)) + 1;
			json_object_set_new(subs, seq, json_integer(sub));
			snprintf(id, sizeof(id), "%s%s.%lld", prefix, seq, (long long)sub);
			if (!rid_ok(id)) {
				cli_err("%s, column 序号: the task id '%s' would be longer "
				        "than 64 characters; use a shorter --prefix", where, id);
				json_decref(resp);
				json_decref(dl);
				goto row_bad;
			}
			rec = json_pack("{s:s,s:s,s:s,s:o,s:O,s:{s:s}}", "id", id, "title",
			                task, "assigned", fmt_date(assigned, buf),
			                "deadline", dl, "assignees", as, "plan", "seq",
			                seq);
			if (plan)
				json_object_set_new(json_object_get(rec, "plan"), "doc",
				                    json_string(plan));
			if (r->f[COL_REQ][0] != '\0')
				json_object_set_new(rec, "requirement",
				                    json_string(r->f[COL_REQ]));
			if (resp != NULL && json_array_size(resp) > 0)
				json_object_set(rec, "responsible", resp);
			json_decref(resp);
			snprintf(paths[i], STORE_PATH_MAX, "tasks/%s.json", id);
			if (prepare(paths[i], rec, &canon[i], &clen[i], why,
			            sizeof(why)) != 0) {
				cli_err("%s: %s", where, why);
				json_decref(rec);
				goto row_bad;
			}
			if (task_exists(&v, id)) {
				cli_err("%s: %s already has a task %s; use another --prefix",
				        where, v.self, id);
				json_decref(rec);
				goto row_bad;
			}
			json_array_append_new(recs, rec);
			ch[i] = (store_change){ paths[i], canon[i], clen[i] };
			bad = 0;
row_bad:
			if (bad) {
				json_decref(subs);
				rc = EXIT_NO;
				goto done;
			}
		}
		json_decref(subs);
	}
	out[0] = '\0';
	if (!dry) {
		snprintf(msg, sizeof(msg), "task import %s: %zu tasks",
		         strrchr(file, '/') ? strrchr(file, '/') + 1 : file, t.n);
		rc = commit_changes(&v, ch, t.n, msg, out);
		if (rc != 0)
			goto done;
	}
	{
		json_t *e;
		json_array_foreach(notes, i, e)
			cli_err("note: %s", json_string_value(e));
		json_array_foreach(unknown, i, e) {
			if (json_is_object(e))
				cli_err("note: no %s below %s is known here yet; the tasks "
				        "reach each one as it is enrolled",
				        str_of(e, "level"), v.self);
			else
				cli_err("note: %s is not known here yet; it counts as an "
				        "assignee that has not reported", json_string_value(e));
		}
	}
	if (json) {
		json_t *o = json_pack("{s:b,s:s,s:I,s:O,s:O}", "dry_run", dry,
		                      "file", file, "count", (json_int_t)t.n, "tasks",
		                      recs, "notes", notes);
		json_object_set_new(o, "commit", dry ? json_null() : json_string(out));
		print_json(o);
		json_decref(o);
	} else {
		json_t *e;
		json_array_foreach(recs, i, e) {
			const json_t *dl = json_object_get(e, "deadline");
			printf("%s%s  %s%s  %s  %s\n", dry ? "would assign " : "",
			       str_of(e, "id"),
			       str_of(dl, "due") ? "due " : "no due day",
			       str_of(dl, "due") ? str_of(dl, "due") : "",
			       str_of(dl, "text"), str_of(e, "title"));
		}
		if (dry)
			printf("%zu tasks checked; nothing written (--dry-run)\n", t.n);
		else if (out[0] == '\0')
			printf("unchanged: these %zu tasks are already assigned\n", t.n);
		else
			printf("committed %s: %zu tasks from %s\n", out, t.n, file);
	}
	rc = EXIT_OK;
done:
	if (canon)
		for (i = 0; i < t.n; i++)
			free(canon[i]);
	free(canon);
	free(clen);
	free(paths);
	free(ch);
	free(data);
	table_free(&t);
	json_decref(to);
	json_decref(unknown);
	json_decref(as);
	json_decref(recs);
	json_decref(notes);
	view_close(&v);
	return rc;
}

/* ---- report ---------------------------------------------------------------------- */

/* --evidence KIND:REF → {kind, ref}, checked against what this node holds.
 * NULL after printing why (rc the exit code). */
static json_t *evidence_make(view *v, const char *arg, int *rc)
{
	const char *colon = strchr(arg, ':'), *ref;
	char kind[16], path[STORE_PATH_MAX], blob[STORE_OID_HEX];
	size_t kl;

	*rc = EXIT_USAGE;
	if (colon == NULL || (kl = (size_t)(colon - arg)) == 0 ||
	    kl >= sizeof(kind)) {
		cli_err("--evidence '%s' is not KIND:REF (catalog:AREA/ID, "
		        "document:ID, task:NODE/TASK, url:https://..., note:TEXT)", arg);
		return NULL;
	}
	memcpy(kind, arg, kl);
	kind[kl] = '\0';
	ref = colon + 1;
	if (ref[0] == '\0' || strlen(ref) > 1024 || text_check(ref, 0) != 0) {
		cli_err("--evidence %s: the reference must be 1-1024 bytes of UTF-8 "
		        "on one line", kind);
		return NULL;
	}
	*rc = EXIT_NO;
	if (strcmp(kind, "catalog") == 0) {
		const char *slash = strchr(ref, '/');
		char r2[1100];
		if (slash == NULL || slash == ref || !rid_ok(slash + 1) ||
		    strchr(slash + 1, '/') != NULL) {
			cli_err("--evidence catalog:%s is not AREA/ID", ref);
			*rc = EXIT_USAGE;
			return NULL;
		}
		snprintf(path, sizeof(path), "catalog/%.*s/%s.json",
		         (int)(slash - ref), ref, slash + 1);
		if (store_record_stat(v->h.st, NULL, path, blob, NULL) != 0) {
			cli_err("--evidence catalog:%s: %s has no such catalog item; "
			        "publish it first (govfed catalog put)", ref, v->self);
			return NULL;
		}
		/* the item's version as of this report */
		snprintf(r2, sizeof(r2), "%s@%s", ref, blob);
		return json_pack("{s:s,s:s}", "kind", "catalog", "ref", r2);
	}
	if (strcmp(kind, "document") == 0) {
		if (!rid_ok(ref)) {
			cli_err("--evidence document:%s is not a document id", ref);
			*rc = EXIT_USAGE;
			return NULL;
		}
		snprintf(path, sizeof(path), "documents/%.64s/meta.json", ref);
		if (store_record_stat(v->h.st, NULL, path, blob, NULL) != 0) {
			cli_err("--evidence document:%s: %s has published no such "
			        "document", ref, v->self);
			return NULL;
		}
		return json_pack("{s:s,s:s}", "kind", "document", "ref", ref);
	}
	if (strcmp(kind, "task") == 0) {
		char n[KEYS_ID_MAX + 1], tk[RID_MAX];
		json_t *x;
		int r;
		if (task_ref_parse(ref, v->self, n, tk) != 0) {
			cli_err("--evidence task:%s is not NODE/TASK", ref);
			*rc = EXIT_USAGE;
			return NULL;
		}
		x = task_read(v, n, tk, &r);
		if (x == NULL) {
			cli_err("--evidence task:%s: no such task held here", ref);
			return NULL;
		}
		json_decref(x);
		{
			char r2[100];
			snprintf(r2, sizeof(r2), "%s/%s", n, tk);
			return json_pack("{s:s,s:s}", "kind", "task", "ref", r2);
		}
	}
	if (strcmp(kind, "url") == 0) {
		if (strncmp(ref, "https://", 8) != 0 && strncmp(ref, "http://", 7) != 0) {
			cli_err("--evidence url:%s: give an http:// or https:// address",
			        ref);
			*rc = EXIT_USAGE;
			return NULL;
		}
		return json_pack("{s:s,s:s}", "kind", "url", "ref", ref);
	}
	if (strcmp(kind, "note") == 0)
		return json_pack("{s:s,s:s}", "kind", "note", "ref", ref);
	cli_err("--evidence '%s': the kind is one of catalog, document, task, "
	        "url, note", arg);
	*rc = EXIT_USAGE;
	return NULL;
}

static int report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },     /* 0 */
		{ "task", required_argument, NULL, 0 },     /* 1 */
		{ "status", required_argument, NULL, 0 },   /* 2 */
		{ "date", required_argument, NULL, 0 },     /* 3 */
		{ "note", required_argument, NULL, 0 },     /* 4 */
		{ "evidence", required_argument, NULL, 0 }, /* 5 */
		{ "json", no_argument, NULL, 0 },           /* 6 */
		{ "help", no_argument, NULL, 0 },           /* 7 */
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *task = NULL, *status = NULL, *date_s = NULL,
	           *note = NULL;
	char anode[KEYS_ID_MAX + 1], tid[RID_MAX], path[STORE_PATH_MAX];
	char why[700], out[STORE_OID_HEX], msg[200], buf[11], b2[11];
	json_t *evargs = json_array(), *ev = json_array(), *t = NULL, *rec = NULL;
	char *canon = NULL;
	size_t clen, i;
	int idx, c, json = 0, rc, st, has_due;
	int32_t date = 0;
	store_change ch;
	view v = { 0 };

	calendar_init(&v.cal);
	while ((c = cli_getopt("task report", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: task = optarg; break;
		case 2: status = optarg; break;
		case 3: date_s = optarg; break;
		case 4: note = optarg; break;
		case 5: json_array_append_new(evargs, json_string(optarg)); break;
		case 6: json = 1; break;
		case 7: fputs(usage, stdout); rc = EXIT_OK; goto done;
		}
	}
	if (c == -2) {
		rc = EXIT_USAGE;
		goto done;
	}
	if (!home || !task || !status) {
		rc = cli_usage("task report", "--home, --task and --status are "
		                              "required");
		goto done;
	}
	if (task_ref_parse(task, NULL, anode, tid) != 0) {
		rc = cli_usage("task report",
		               "--task '%s' is not ASSIGNER/TASK (a node id, '/', a "
		               "task id)", task);
		goto done;
	}
	if (strcmp(status, "done") && strcmp(status, "in_progress") &&
	    strcmp(status, "not_applicable")) {
		rc = cli_usage("task report", "--status '%s' is not done, "
		                              "in_progress or not_applicable", status);
		goto done;
	}
	if (date_s && date_parse(&date, date_s) != 0) {
		rc = cli_usage("task report", "--date '%s' is not a date like "
		                              "2020-10-23", date_s);
		goto done;
	}
	if (note && (note[0] == '\0' || strlen(note) > 8192 ||
	             text_check(note, 1) != 0)) {
		rc = cli_usage("task report", "--note must be 1-8192 bytes of UTF-8 "
		                              "text");
		goto done;
	}
	if (!strcmp(status, "not_applicable") && !note) {
		rc = cli_usage("task report", "--status not_applicable needs --note "
		                              "saying why the task does not apply here");
		goto done;
	}
	if (json_array_size(evargs) > 64) {
		rc = cli_usage("task report", "at most 64 --evidence");
		goto done;
	}
	rc = view_open(&v, home, HOME_KEY);
	if (rc != 0)
		goto done;
	if (!date_s)
		date = v.today;
	if (strcmp(anode, v.self) == 0) {
		cli_err("--task %s: the task is %s's own; a node reports on tasks "
		        "its ancestors assigned to it", task, v.self);
		rc = EXIT_NO;
		goto done;
	}
	if (!is_ancestor(&v, anode)) {
		cli_err("--task %s: %s is not an ancestor of %s; a node reports on "
		        "tasks its ancestors assigned to it", task, anode, v.self);
		rc = EXIT_NO;
		goto done;
	}
	t = task_read(&v, anode, tid, &rc);
	if (t == NULL) {
		if (rc == STORE_ENOTFOUND)
			cli_err("--task %s: %s's history as held here has no task %s; "
			        "let the node sync with its parent, or check the id",
			        task, anode, tid);
		else
			cli_err("--task %s: %s", task, store_errmsg());
		rc = rc == STORE_ENOTFOUND ? EXIT_NO : cli_exit_for(rc);
		goto done;
	}
	if (!assigns(&v, anode, t, v.self)) {
		char a[256];
		assign_text(a, sizeof(a), json_object_get(t, "assignees"));
		cli_err("--task %s: that task is not assigned to %s (it goes to %s)",
		        task, v.self, a);
		rc = EXIT_NO;
		goto done;
	}
	if (json_object_get(t, "withdrawn")) {
		cli_err("--task %s: that task was withdrawn on %s (%s); there is "
		        "nothing to report", task,
		        str_of(json_object_get(t, "withdrawn"), "at"),
		        str_of(json_object_get(t, "withdrawn"), "reason"));
		rc = EXIT_NO;
		goto done;
	}
	if (date > v.today) {
		cli_err("--date %s is after today (%s); a report is dated when it "
		        "is made", fmt_date(date, buf), fmt_date(v.today, b2));
		rc = EXIT_NO;
		goto done;
	}
	if (date < date_of(t, "assigned", 0)) {
		cli_err("--date %s is before the task was assigned (%s)",
		        fmt_date(date, buf), str_of(t, "assigned"));
		rc = EXIT_NO;
		goto done;
	}
	{
		json_t *e;
		json_array_foreach(evargs, i, e) {
			json_t *x = evidence_make(&v, json_string_value(e), &rc);
			if (x == NULL)
				goto done;
			json_array_append_new(ev, x);
		}
	}
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s}", "task", tid, "assigner", anode,
	                "node", v.self, "status", status, "date",
	                fmt_date(date, buf));
	if (note)
		json_object_set_new(rec, "note", json_string(note));
	if (json_array_size(ev) > 0)
		json_object_set(rec, "evidence", ev);
	snprintf(path, sizeof(path), "reports/%s/%s.json", anode, tid);
	rc = prepare(path, rec, &canon, &clen, why, sizeof(why));
	if (rc != 0) {
		cli_err("report on %s: %s", task, why);
		rc = cli_exit_for(rc);
		goto done;
	}
	snprintf(msg, sizeof(msg), "task report %s/%s: %s", anode, tid, status);
	ch = (store_change){ path, canon, clen };
	rc = commit_changes(&v, &ch, 1, msg, out);
	if (rc != 0)
		goto done;
	has_due = str_of(json_object_get(t, "deadline"), "due") != NULL;
	st = state_of(rec, date_of(json_object_get(t, "deadline"), "due", 0),
	              has_due, v.today);
	if (json) {
		json_t *o = json_pack("{s:s,s:O,s:s,s:o,s:s}", "path", path, "report",
		                      rec, "commit", out, "due",
		                      has_due ? json_string(str_of(json_object_get(t, "deadline"), "due"))
		                              : json_null(),
		                      "state", state_names[st]);
		print_json(o);
		json_decref(o);
	} else if (out[0] == '\0') {
		printf("unchanged: %s already holds this report\n", path);
	} else {
		printf("committed %s %s: %s on %s (%s%s%s)\n", out, path, status,
		       fmt_date(date, buf), state_names[st],
		       has_due ? ", due " : ", no due day",
		       has_due ? str_of(json_object_get(t, "deadline"), "due") : "");
	}
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(evargs);
	json_decref(ev);
	json_decref(t);
	json_decref(rec);
	view_close(&v);
	return rc;
}

/* ---- list and show --------------------------------------------------------------- */

/* every task visible here: [[assigner, task], ...] (own first, then the
 * ancestors', nearest first) */
static int visible_tasks(view *v, json_t **out)
{
	json_t *all = json_array(), *vis = json_array(), *p;
	size_t i;
	int rc;

	*out = NULL;
	rc = tasks_of(v, v->self, all);
	for (size_t a = 0; rc == 0 && a < v->nanc; a++) {
		store_head head;
		if (store_head_get(v->h.st, v->anc[a], &head) != 0)
			continue;
		rc = tasks_of(v, v->anc[a], all);
	}
	if (rc != 0) {
		json_decref(all);
		json_decref(vis);
		return rc;
	}
	json_array_foreach(all, i, p) {
		const char *as = json_string_value(json_array_get(p, 0));
		json_t *t = json_array_get(p, 1);
		if (strcmp(as, v->self) == 0 || reaches_here(v, as, t))
			json_array_append(vis, p);
	}
	json_decref(all);
	*out = vis;
	return 0;
}

static int today_opt(view *v, const char *s, const char *name)
{
	if (s == NULL)
		return 0;
	if (date_parse(&v->today, s) != 0)
		return cli_usage(name, "--today '%s' is not a date like 2020-10-23", s);
	return 0;
}

static int list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },  /* 0 */
		{ "overdue", no_argument, NULL, 0 },     /* 1 */
		{ "today", required_argument, NULL, 0 }, /* 2 */
		{ "json", no_argument, NULL, 0 },        /* 3 */
		{ "help", no_argument, NULL, 0 },        /* 4 */
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *today = NULL;
	int idx, c, json = 0, overdue = 0, rc;
	int32_t d;
	json_t *vis = NULL, *arr = json_array(), *p;
	size_t i;
	char buf[11];
	view v = { 0 };

	calendar_init(&v.cal);
	while ((c = cli_getopt("task list", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: overdue = 1; break;
		case 2: today = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(usage, stdout); rc = EXIT_OK; goto done;
		}
	}
	if (c == -2) {
		rc = EXIT_USAGE;
		goto done;
	}
	if (!home) {
		rc = cli_usage("task list", "--home is required");
		goto done;
	}
	if (today && date_parse(&d, today) != 0) {
		rc = cli_usage("task list", "--today '%s' is not a date like "
		                            "2020-10-23", today);
		goto done;
	}
	rc = view_open(&v, home, 0);
	if (rc != 0)
		goto done;
	if ((rc = today_opt(&v, today, "task list")) != 0)
		goto done;
	rc = visible_tasks(&v, &vis);
	if (rc != 0) {
		cli_err("cannot read the tasks: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	json_array_foreach(vis, i, p) {
		json_t *r = rollup(&v, json_string_value(json_array_get(p, 0)),
		                   json_array_get(p, 1), 0);
		if (r == NULL) {
			cli_err("out of memory");
			rc = EXIT_RUNTIME;
			goto done;
		}
		if (overdue && (json_array_size(json_object_get(r, "overdue")) == 0 ||
		                json_is_true(json_object_get(r, "withdrawn")))) {
			json_decref(r);
			continue;
		}
		json_array_append_new(arr, r);
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:b,s:O}", "node", v.self, "today",
		                      fmt_date(v.today, buf), "overdue_only", overdue,
		                      "tasks", arr);
		print_json(o);
		json_decref(o);
	} else {
		json_t *r;
		if (json_array_size(arr) == 0)
			printf(overdue ? "no task visible at %s has an overdue assignee "
			                 "as of %s\n"
			               : "no tasks visible at %s as of %s\n",
			       v.self, fmt_date(v.today, buf));
		json_array_foreach(arr, i, r)
			rollup_text(&v, r, overdue);
	}
	rc = EXIT_OK;
done:
	json_decref(vis);
	json_decref(arr);
	view_close(&v);
	return rc;
}

static int show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },  /* 0 */
		{ "task", required_argument, NULL, 0 },  /* 1 */
		{ "today", required_argument, NULL, 0 }, /* 2 */
		{ "json", no_argument, NULL, 0 },        /* 3 */
		{ "help", no_argument, NULL, 0 },        /* 4 */
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *task = NULL, *today = NULL;
	char anode[KEYS_ID_MAX + 1], tid[RID_MAX];
	int idx, c, json = 0, rc;
	int32_t d;
	json_t *t = NULL, *r = NULL;
	view v = { 0 };

	calendar_init(&v.cal);
	while ((c = cli_getopt("task show", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: task = optarg; break;
		case 2: today = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(usage, stdout); rc = EXIT_OK; goto done;
		}
	}
	if (c == -2) {
		rc = EXIT_USAGE;
		goto done;
	}
	if (!home || !task) {
		rc = cli_usage("task show", "--home and --task are required");
		goto done;
	}
	if (today && date_parse(&d, today) != 0) {
		rc = cli_usage("task show", "--today '%s' is not a date like "
		                            "2020-10-23", today);
		goto done;
	}
	if (strchr(task, '/') && task_ref_parse(task, NULL, anode, tid) != 0) {
		rc = cli_usage("task show", "--task '%s' is not NODE/TASK", task);
		goto done;
	}
	if (!strchr(task, '/') && !rid_ok(task)) {
		rc = cli_usage("task show", "--task '%s' is not a task id", task);
		goto done;
	}
	rc = view_open(&v, home, 0);
	if (rc != 0)
		goto done;
	if ((rc = today_opt(&v, today, "task show")) != 0)
		goto done;
	if (!strchr(task, '/'))
		task_ref_parse(task, v.self, anode, tid);
	if (strcmp(anode, v.self) != 0) {
		store_head head;
		if (store_head_get(v.h.st, anode, &head) != 0) {
			cli_err("--task %s: %s's history is not held here; a node sees "
			        "its own tasks, its ancestors' and its descendants'",
			        task, anode);
			rc = EXIT_NO;
			goto done;
		}
	}
	t = task_read(&v, anode, tid, &rc);
	if (t == NULL) {
		if (rc == STORE_ENOTFOUND)
			cli_err("--task %s: %s has no task %s (as held here)", task,
			        anode, tid);
		else
			cli_err("--task %s: %s", task, store_errmsg());
		rc = rc == STORE_ENOTFOUND ? EXIT_NO : cli_exit_for(rc);
		goto done;
	}
	r = rollup(&v, anode, t, 1);
	if (r == NULL) {
		cli_err("out of memory");
		rc = EXIT_RUNTIME;
		goto done;
	}
	if (json) {
		print_json(r);
	} else {
		const json_t *resp = json_object_get(t, "responsible"), *e;
		size_t i;
		rollup_text(&v, r, 0);
		if (str_of(t, "requirement"))
			printf("  requirement: %s\n", str_of(t, "requirement"));
		json_array_foreach(resp, i, e)
			printf("  %s: %s\n", str_of(e, "role"), str_of(e, "unit"));
		if (json_object_get(t, "from"))
			printf("  passed down from %s/%s\n",
			       str_of(json_object_get(t, "from"), "node"),
			       str_of(json_object_get(t, "from"), "task"));
		printf("  as of %s:\n", str_of(r, "today"));
		json_array_foreach(json_object_get(r, "assignees"), i, e) {
			const json_t *rp = json_object_get(e, "report");
			printf("    %-12s %-16s %-14s", str_of(e, "node"), str_of(e, "name"),
			       str_of(e, "state"));
			if (json_is_object(rp))
				printf(" %s %s%s%s", str_of(rp, "status"), str_of(rp, "date"),
				       str_of(rp, "note") ? " — " : "",
				       str_of(rp, "note") ? str_of(rp, "note") : "");
			else
				printf(" no report%s", json_is_true(json_object_get(e, "held"))
				                               ? ""
				                               : " (history not held here)");
			printf("\n");
		}
	}
	rc = EXIT_OK;
done:
	json_decref(t);
	json_decref(r);
	view_close(&v);
	return rc;
}

int cmd_task(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "assign", assign },
		{ "import", do_import },
		{ "report", report },
		{ "list", list },
		{ "show", show },
	};

	return cli_dispatch("task", usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}
