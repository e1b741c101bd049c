/*
 * clock.h — the province's working-day calendar and the statutory clocks
 * counted on it (clock.c).
 *
 * Working days are Monday to Friday, minus the holidays, plus the
 * adjusted working weekends (调休) of the calendar the province publishes
 * (calendar/<year>.json, from the State Council's yearly notice). A year
 * the calendar does not cover is counted Monday to Friday, and the
 * `uncovered` flags say so.
 *
 * Counting convention (every clock here): a period of N working days
 * "自…之日起" starts the day AFTER the day of its event — the day of
 * receipt, publication, 补正 arrival does not count (民法典 art 201:
 * "按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算", the
 * general rule for 期间, which the 条例 does not set aside) — and its last day
 * is the N-th working day after that event day (calendar_add_workdays).
 * Something done on that last day is on time; on the next day it is late.
 */
#ifndef GOVFED_CLOCK_H
#define GOVFED_CLOCK_H

#include "dates.h"
#include "store.h"

/* ---- the calendar ----------------------------------------------------------- */

/*
 * Adds one calendar/<year>.json record (store/README.md "Calendar") to c:
 * {year, holidays: [{name, from, to}], workdays: [dates], source?}. It
 * refuses (STORE_ESCHEMA, the reason in `why`) what the store refuses:
 * an unknown field, a year outside 1990–2200, a holiday with no name or
 * whose `from` is after `to` or outside the year, a working day that is
 * not a Saturday or Sunday of the year or that lies inside a holiday,
 * more than 64 holidays or working days; STORE_EJSON for bad JSON;
 * STORE_EINVAL when c already holds that year. c is unchanged on error.
 */
int clock_calendar_from_json(calendar *c, const char *data, size_t len,
                             char *why, size_t whylen);

/*
 * Every calendar/<year>.json of the province's history as this store
 * holds it: the own history at the province, else the replica of the
 * node whose node.json level is "province". 0 with an empty calendar
 * (c->nyears == 0) when the province has published none or its history is
 * not held; callers then say "Monday–Friday assumed" (calendar_covers).
 * c must be calendar_init'ed; on error it holds what was read so far and
 * `why` says which record failed.
 */
int clock_calendar_load(store *st, calendar *c, char *why, size_t whylen);

/* ---- 解读 ------------------------------------------------------------------ */

/* The 解读 of a policy document is published within 3 working days of the
 * document (seed 000, 上渡街道 2019: "政策解读材料在政策文件印发的3个工作日
 * 内…公开"): its last day, counted from the day after `published`. */
#define CLOCK_INTERP_WORKDAYS 3
int32_t clock_interp_due(const calendar *c, int32_t published,
                         int *uncovered);

/* ---- 依申请公开: the clock of one application ------------------------------------ */

/*
 * From a requests/<id>.json record (received, events [{type, date}]),
 * under the 2019 条例 (国务院令第711号):
 *
 *  - art 31: `received` is the day of receipt (in person: the day handed
 *    in; registered post: the day signed for; ordinary post, internet,
 *    fax: the day receipt was confirmed). The operator records it.
 *  - art 30, 补正: the one-time 补正 notice (补正告知) is due within 7
 *    working days of receipt (correction_due). Once it is sent the answer
 *    period waits; it starts afresh from the day the corrected application
 *    arrives (补正收到): "答复期限自行政机关收到补正的申请之日起计算".
 *    While waiting there is no due date (due = 0) and nothing is overdue.
 *  - art 33, the answer (答复): 20 working days from receipt (or from the
 *    补正's arrival). An extension (延期批准) adds at most 20 working days;
 *    it counts only if approved no later than the last day of the
 *    unextended period (an extension approved after that day cannot save
 *    an answer already late: extension_late, due stays unextended).
 *  - art 33 ¶2 with arts 32 and 34: the time spent consulting a third
 *    party (第三方征求 … 第三方回复) or another agency (他机关征求 …
 *    他机关回复) is not counted. The working days in (征求, 回复] — from
 *    the day after the request went out up to and including the day the
 *    reply came — are skipped when counting the period; days of
 *    consultations that overlap are skipped once. Several 征求 of a kind
 *    stay open until as many 回复 of that kind have come. A consultation
 *    still open is taken to last until `today` (the due date moves on with
 *    each working day it stays open), or until the 答复 if one was given.
 *    A third party or agency has 15 working days to reply (arts 32, 34):
 *    past them `consult_overdue` is set (the agency decides without the
 *    reply); the pause is not cut short.
 *  - the due date is therefore the day on which the 20th (40th when
 *    extended) counted working day after `start` falls.
 *  - answered: the first 答复's date; `late` if after `due`. Not answered
 *    and `today` after `due`: `overdue`.
 *
 * Events are taken in the order recorded (the store keeps them
 * append-only and never decreasing in date); one that makes no sense in
 * its place (补正收到 with no 补正 asked, a 回复 with nothing open) is
 * ignored and named in `state`.
 */
#define CLOCK_ANSWER_WORKDAYS 20
#define CLOCK_EXTENSION_WORKDAYS 20
#define CLOCK_CORRECTION_WORKDAYS 7
#define CLOCK_CONSULT_WORKDAYS 15

typedef enum clock_correction {
	CLOCK_CORR_OPEN = 0, /* no 补正告知, and one may still be sent */
	CLOCK_CORR_NONE,     /* none, and its 7 working days are over (or the
	                      * application was answered) */
	CLOCK_CORR_ASKED,    /* sent within the 7 working days */
	CLOCK_CORR_LATE      /* sent after them */
} clock_correction;

typedef struct clock_request {
	char id[65];
	int32_t received;            /* day of receipt (art 31) */
	int32_t correction_due;      /* last day for the 补正告知 (art 30) */
	clock_correction correction;
	int32_t correction_asked;    /* day of the 补正告知, 0 if none */
	int32_t correction_received; /* day of the 补正收到, 0 if none */
	int awaiting_correction;     /* asked, not arrived, not answered */
	int32_t start;               /* the answer period counts from the day
	                              * after: received or correction_received */
	int paused_workdays;         /* working days not counted in
	                              * (start, due] (consultations) */
	int consulting;              /* a consultation open at `today` */
	int consult_overdue;         /* one open past its 15 working days */
	int extended;                /* 延期批准 in time: +20 working days */
	int extension_late;          /* 延期批准 after the unextended due */
	int32_t due;                 /* last day to answer; 0 while waiting */
	int answered;
	int32_t answered_on;         /* day of the first 答复 */
	int late;                    /* answered after due */
	int overdue;                 /* not answered, today after due */
	int workdays_late;           /* working days in (due, answer or today]
	                              * when late or overdue */
	int workdays_left;           /* working days in (today, due] when open */
	int ignored_events;          /* events that made no sense in place */
	int uncovered;               /* a day counted lies in a year the
	                              * calendar does not cover */
	char state[384];             /* one line for operators */
} clock_request;

/*
 * Evaluates the clock of the request record `json` (len bytes) as of
 * `today`. 0, or STORE_EJSON / STORE_ESCHEMA with the reason in `why` (a
 * missing or bad id, received or event; an unknown event type).
 */
int clock_request_eval(const calendar *c, const char *json, size_t len,
                       int32_t today, clock_request *out, char *why,
                       size_t whylen);

/* Today's date in China (UTC+8, no daylight saving), from store_now()
 * (which honours $GOVFED_NOW). */
int32_t clock_today(void);

#endif
