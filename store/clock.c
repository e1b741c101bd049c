/*
 * clock.c — the province's calendar from its records, and the statutory
 * clocks counted on it. clock.h states the counting convention and the
 * articles of the 条例 each rule comes from.
 */
#include "clock.h"
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the calendar ------------------------------------------------------------ */

#define CAL_LIST_MAX 64 /* holidays, working days: as the store's schema */

static int only_keys(const json_t *o, const char *const *keys,
                     const char **bad)
{
	const char *k;
	json_t *x;

	json_object_foreach((json_t *)o, k, x) {
		const char *const *p;
		for (p = keys; *p; p++)
			if (strcmp(*p, k) == 0)
				break;
		if (*p == NULL) {
			*bad = k;
			return 0;
		}
	}
	return 1;
}

/* A date field of the year; its day of the year (0-based) in *doy. */
static int day_of_year(const json_t *v, int year, int32_t *day, int *doy)
{
	if (!json_is_string(v) || date_parse(day, json_string_value(v)) != 0 ||
	    date_year(*day) != year)
		return -1;
	*doy = (int)(*day - date_ymd(year, 1, 1));
	return 0;
}

int clock_calendar_from_json(calendar *c, const char *data, size_t len,
                             char *why, size_t whylen)
{
	static const char *const top[] = { "year", "holidays", "workdays",
		                           "source", NULL };
	static const char *const hol[] = { "name", "from", "to", NULL };
	unsigned char off[366], on[366];
	int32_t days[366], a, b, d;
	json_t *v = NULL, *hs, *ws, *h, *w, *yv;
	const char *bad = NULL;
	json_int_t year = 0;
	size_t i, noff = 0, non = 0;
	int rc = STORE_ESCHEMA, da, db;

	if (store_json_parse(&v, data, len, STORE_RECORD_MAX, "calendar") != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return STORE_EJSON;
	}
	if (!json_is_object(v)) {
		snprintf(why, whylen, "a calendar is a JSON object {year, holidays, "
		         "workdays, source}");
		goto done;
	}
	if (!only_keys(v, top, &bad)) {
		snprintf(why, whylen, "unknown field '%.64s' (a calendar has year, "
		         "holidays, workdays and source)", bad);
		goto done;
	}
	yv = json_object_get(v, "year");
	hs = json_object_get(v, "holidays");
	ws = json_object_get(v, "workdays");
	if (!json_is_integer(yv) || json_integer_value(yv) < 1990 ||
	    json_integer_value(yv) > 2200) {
		snprintf(why, whylen, "field 'year' must be a year from 1990 to "
		         "2200");
		goto done;
	}
	year = json_integer_value(yv);
	if (!json_is_array(hs) || json_array_size(hs) > CAL_LIST_MAX) {
		snprintf(why, whylen, "field 'holidays' must be a list of at most %d "
		         "{name, from, to}", CAL_LIST_MAX);
		goto done;
	}
	if (!json_is_array(ws) || json_array_size(ws) > CAL_LIST_MAX) {
		snprintf(why, whylen, "field 'workdays' must be a list of at most %d "
		         "dates", CAL_LIST_MAX);
		goto done;
	}
	if (json_object_get(v, "source") &&
	    !json_is_string(json_object_get(v, "source"))) {
		snprintf(why, whylen, "field 'source' must be text (the notice)");
		goto done;
	}
	memset(off, 0, sizeof(off));
	memset(on, 0, sizeof(on));
	json_array_foreach(hs, i, h) {
		const char *name = json_string_value(json_object_get(h, "name"));
		if (!json_is_object(h) || !only_keys(h, hol, &bad) || name == NULL ||
		    name[0] == '\0') {
			snprintf(why, whylen, "holiday %zu must be {name, from, to} with "
			         "a name", i + 1);
			goto done;
		}
		if (day_of_year(json_object_get(h, "from"), (int)year, &a, &da) ||
		    day_of_year(json_object_get(h, "to"), (int)year, &b, &db)) {
			snprintf(why, whylen, "holiday %zu (%s): 'from' and 'to' must be "
			         "dates of %d like %d-10-01", i + 1, name, (int)year,
			         (int)year);
			goto done;
		}
		if (a > b) {
			snprintf(why, whylen, "holiday %zu (%s) ends before it starts",
			         i + 1, name);
			goto done;
		}
		for (int k = da; k <= db; k++)
			off[k] = 1;
	}
	json_array_foreach(ws, i, w) {
		if (day_of_year(w, (int)year, &d, &da)) {
			snprintf(why, whylen, "working day %zu must be a date of %d like "
			         "%d-09-29", i + 1, (int)year, (int)year);
			goto done;
		}
		if (date_weekday(d) < 6) {
			snprintf(why, whylen, "working day %s is not a Saturday or "
			         "Sunday (only weekend days are adjusted working days, "
			         "调休)", json_string_value(w));
			goto done;
		}
		if (off[da]) {
			snprintf(why, whylen, "%s is both a holiday and a working day",
			         json_string_value(w));
			goto done;
		}
		on[da] = 1;
	}
	/* the days, each once: holidays, then working days (no day is both) */
	for (int k = 0; k < 366; k++)
		if (off[k])
			days[noff++] = date_ymd((int)year, 1, 1) + k;
	for (int k = 0; k < 366; k++)
		if (on[k])
			days[noff + non++] = date_ymd((int)year, 1, 1) + k;
	rc = calendar_add_year(c, (int)year, days, noff, days + noff, non);
	if (rc == STORE_EINVAL)
		snprintf(why, whylen, "the calendar of %d is there already",
		         (int)year);
	else if (rc != 0)
		snprintf(why, whylen, "the calendar of %d cannot be added: %s",
		         (int)year, store_strerror(rc));
done:
	json_decref(v);
	return rc;
}

typedef struct load_ctx {
	calendar *c;
	char *why;
	size_t whylen;
} load_ctx;

static int load_one(void *ctx, const char *path, const char *data,
                    size_t len)
{
	load_ctx *lc = ctx;
	char inner[256];
	int rc;

	rc = clock_calendar_from_json(lc->c, data, len, inner, sizeof(inner));
	if (rc != 0)
		snprintf(lc->why, lc->whylen, "%s: %s", path, inner);
	return rc;
}

int clock_calendar_load(store *st, calendar *c, char *why, size_t whylen)
{
	store_head *hs = NULL;
	size_t n = 0;
	load_ctx lc = { c, why, whylen };
	int rc;

	if (whylen > 0)
		why[0] = '\0';
	rc = store_heads_list(st, &hs, &n);
	if (rc != 0) {
		snprintf(why, whylen, "cannot list the histories: %s",
		         store_errmsg());
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		store_identity id;
		const char *node = hs[i].own ? NULL : hs[i].id;
		if (store_identity_get(st, node, &id) != 0 ||
		    id.level != STORE_LEVEL_PROVINCE)
			continue;
		rc = store_record_foreach(st, node, "calendar/", load_one, &lc);
		if (rc != 0 && lc.why[0] == '\0')
			snprintf(why, whylen, "cannot read %s's calendar/: %s", id.id,
			         store_errmsg());
		break;
	}
	free(hs);
	return rc;
}

/* ---- 解读 ------------------------------------------------------------------------ */

int32_t clock_interp_due(const calendar *c, int32_t published,
                         int *uncovered)
{
	return calendar_add_workdays(c, published, CLOCK_INTERP_WORKDAYS,
	                             uncovered);
}

int32_t clock_today(void)
{
	int64_t t = store_now() + 8 * 3600; /* China Standard Time */

	return (int32_t)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

/* ---- 依申请公开 ------------------------------------------------------------------- */

#define EVENTS_MAX 256 /* as the store's schema */

/* working days not counted: (from, to] */
typedef struct pause {
	int32_t from, to;
} pause;

typedef struct pauses {
	pause p[EVENTS_MAX + 2];
	size_t n;
} pauses;

static void pause_add(pauses *ps, int32_t from, int32_t to)
{
	if (to > from && ps->n < sizeof(ps->p) / sizeof(ps->p[0]))
		ps->p[ps->n++] = (pause){ from, to };
}

static int paused(const pauses *ps, int32_t day)
{
	for (size_t i = 0; i < ps->n; i++)
		if (day > ps->p[i].from && day <= ps->p[i].to)
			return 1;
	return 0;
}

/* The day of the n-th working day after `start` that no pause covers. */
static int32_t count_from(const calendar *c, const pauses *ps, int32_t start,
                          int n, int *uncovered)
{
	int32_t day = start;

	while (n > 0 && day - start < CALENDAR_SPAN_MAX) {
		day++;
		if (!calendar_covers(c, date_year(day)))
			*uncovered = 1;
		if (calendar_is_workday(c, day) && !paused(ps, day))
			n--;
	}
	return day;
}

static int paused_in(const calendar *c, const pauses *ps, int32_t from,
                     int32_t to)
{
	int n = 0;

	for (int32_t day = from + 1; day <= to && day - from < CALENDAR_SPAN_MAX;
	     day++)
		n += calendar_is_workday(c, day) && paused(ps, day);
	return n;
}

static void say(clock_request *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(clock_request *out, const char *fmt, ...)
{
	size_t used = strlen(out->state);
	va_list ap;

	if (used + 1 >= sizeof(out->state))
		return;
	va_start(ap, fmt);
	vsnprintf(out->state + used, sizeof(out->state) - used, fmt, ap);
	va_end(ap);
}

static int is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* one kind of consultation: how many are open, since when */
typedef struct consult {
	int open;
	int32_t since;
} consult;

static void consult_ask(consult *k, int32_t d)
{
	if (k->open++ == 0)
		k->since = d;
}

static int consult_reply(consult *k, pauses *ps, int32_t d)
{
	if (k->open == 0)
		return -1;
	if (--k->open == 0)
		pause_add(ps, k->since, d);
	return 0;
}

int clock_request_eval(const calendar *c, const char *json, size_t len,
                       int32_t today, clock_request *out, char *why,
                       size_t whylen)
{
	json_t *v = NULL, *evs, *e;
	const char *id;
	consult third = { 0, 0 }, agency = { 0, 0 };
	int32_t extended_on = 0, base, end, d;
	pauses *ps = NULL;
	char s1[11], s2[11], since_s[11] = "";
	size_t i;
	int unc = 0, rc = STORE_ESCHEMA;

	memset(out, 0, sizeof(*out));
	if (store_json_parse(&v, json, len, STORE_RECORD_MAX, "request") != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return STORE_EJSON;
	}
	id = json_string_value(json_object_get(v, "id"));
	evs = json_object_get(v, "events");
	if (id == NULL || strlen(id) == 0 || strlen(id) >= sizeof(out->id)) {
		snprintf(why, whylen, "a request has an id of 1-64 characters");
		goto done;
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	if (date_parse(&out->received,
	               json_string_value(json_object_get(v, "received"))) != 0) {
		snprintf(why, whylen, "request %s: 'received' must be a date like "
		         "2024-09-13", id);
		goto done;
	}
	if (!json_is_array(evs) || json_array_size(evs) > EVENTS_MAX) {
		snprintf(why, whylen, "request %s: 'events' must be a list of at "
		         "most %d {type, date}", id, EVENTS_MAX);
		goto done;
	}
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		rc = STORE_ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	out->start = out->received;
	out->correction_due = calendar_add_workdays(
	        c, out->received, CLOCK_CORRECTION_WORKDAYS, &unc);

	json_array_foreach(evs, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		if (date_parse(&d, json_string_value(json_object_get(e, "date")))) {
			snprintf(why, whylen, "request %s: event %zu has no date like "
			         "2024-09-13", id, i + 1);
			goto done;
		}
		if (is(t, "补正告知")) {
			if (out->correction_asked || out->answered) {
				out->ignored_events++; /* one notice only (art 30) */
				continue;
			}
			out->correction_asked = d;
			out->awaiting_correction = 1;
			out->correction = d > out->correction_due ? CLOCK_CORR_LATE
			                                          : CLOCK_CORR_ASKED;
		} else if (is(t, "补正收到")) {
			if (!out->awaiting_correction) {
				out->ignored_events++;
				continue;
			}
			out->awaiting_correction = 0;
			out->correction_received = d;
			out->start = d;
		} else if (is(t, "第三方征求")) {
			consult_ask(&third, d);
		} else if (is(t, "他机关征求")) {
			consult_ask(&agency, d);
		} else if (is(t, "第三方回复")) {
			if (consult_reply(&third, ps, d) != 0)
				out->ignored_events++;
		} else if (is(t, "他机关回复")) {
			if (consult_reply(&agency, ps, d) != 0)
				out->ignored_events++;
		} else if (is(t, "延期批准")) {
			if (extended_on != 0) {
				out->ignored_events++; /* one extension (art 33) */
				continue;
			}
			extended_on = d;
		} else if (is(t, "答复")) {
			if (!out->answered) {
				out->answered = 1;
				out->answered_on = d;
			}
		} else {
			snprintf(why, whylen, "request %s: event %zu has an unknown type "
			         "'%.32s'", id, i + 1, t ? t : "");
			goto done;
		}
	}
	rc = 0;

	/* consultations still open last until the answer, or until today */
	end = out->answered ? out->answered_on : today;
	if (third.open)
		pause_add(ps, third.since, end);
	if (agency.open)
		pause_add(ps, agency.since, end);
	if (!out->answered && (third.open || agency.open)) {
		int32_t since = third.open && agency.open
		                        ? (third.since < agency.since ? third.since
		                                                      : agency.since)
		                        : third.open ? third.since : agency.since;
		int u;
		out->consulting = 1;
		if ((third.open && calendar_add_workdays(c, third.since,
		                                         CLOCK_CONSULT_WORKDAYS,
		                                         &u) < today) ||
		    (agency.open && calendar_add_workdays(c, agency.since,
		                                          CLOCK_CONSULT_WORKDAYS,
		                                          &u) < today))
			out->consult_overdue = 1;
		date_format(since_s, since);
	}
	if (out->correction_asked == 0)
		out->correction = out->answered || today > out->correction_due
		                          ? CLOCK_CORR_NONE
		                          : CLOCK_CORR_OPEN;

	if (out->awaiting_correction) {
		date_format(s2, out->correction_asked);
		if (out->answered) {
			date_format(s1, out->answered_on);
			say(out, "answered %s while still waiting for the 补正 asked on "
			    "%s", s1, s2);
		} else {
			say(out, "waiting for the 补正 asked on %s: the answer period "
			    "starts again when it arrives", s2);
		}
		goto notes;
	}

	base = count_from(c, ps, out->start, CLOCK_ANSWER_WORKDAYS, &unc);
	out->due = base;
	if (extended_on != 0) {
		if (extended_on <= base) {
			out->extended = 1;
			out->due = count_from(c, ps, out->start,
			                      CLOCK_ANSWER_WORKDAYS +
			                              CLOCK_EXTENSION_WORKDAYS,
			                      &unc);
		} else {
			out->extension_late = 1;
		}
	}
	out->paused_workdays = paused_in(c, ps, out->start, out->due);
	date_format(s2, out->due);
	if (out->answered) {
		date_format(s1, out->answered_on);
		out->late = out->answered_on > out->due;
		if (out->late) {
			out->workdays_late = calendar_workdays_between(
			        c, out->due, out->answered_on);
			say(out, "answered %s, %d working day%s late (due %s)", s1,
			    out->workdays_late, out->workdays_late == 1 ? "" : "s", s2);
		} else {
			say(out, "answered %s, on time (due %s)", s1, s2);
		}
	} else if (today > out->due) {
		out->overdue = 1;
		out->workdays_late = calendar_workdays_between(c, out->due, today);
		say(out, "OVERDUE: the answer was due %s, %d working day%s ago", s2,
		    out->workdays_late, out->workdays_late == 1 ? "" : "s");
	} else {
		out->workdays_left = calendar_workdays_between(c, today, out->due) -
		                     paused_in(c, ps, today, out->due);
		say(out, "open: answer due %s, %d working day%s left", s2,
		    out->workdays_left, out->workdays_left == 1 ? "" : "s");
	}
	if (out->extended) {
		date_format(s2, extended_on);
		say(out, "; extended by %d working days (延期批准 %s)",
		    CLOCK_EXTENSION_WORKDAYS, s2);
	}
	if (out->extension_late) {
		date_format(s2, extended_on);
		say(out, "; the 延期批准 of %s came after the answer was due and "
		    "does not count", s2);
	}
	if (out->paused_workdays > 0)
		say(out, "; %d working day%s of consultation not counted",
		    out->paused_workdays, out->paused_workdays == 1 ? "" : "s");
notes:
	if (out->consulting)
		say(out, "; consultation under way since %s: the clock is paused%s",
		    since_s, out->awaiting_correction ? "" : " and the due date moves on");
	if (out->consult_overdue)
		say(out, "; a consultation is past its %d working days (arts 32, "
		    "34): decide without the reply", CLOCK_CONSULT_WORKDAYS);
	if (out->correction == CLOCK_CORR_LATE) {
		date_format(s1, out->correction_asked);
		date_format(s2, out->correction_due);
		say(out, "; the 补正 notice of %s came after its 7 working days (due "
		    "%s)", s1, s2);
	}
	if (out->ignored_events)
		say(out, "; %d event%s out of place ignored", out->ignored_events,
		    out->ignored_events == 1 ? "" : "s");
	out->uncovered = unc;
	if (unc)
		say(out, "; the calendar does not cover every day counted "
		    "(Monday–Friday assumed)");
done:
	free(ps);
	json_decref(v);
	return rc;
}
