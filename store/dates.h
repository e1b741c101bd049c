/* dates.h — dates, the working-day calendar and deadlines (dates.c). */
#ifndef GOVFED_DATES_H
#define GOVFED_DATES_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 (proleptic Gregorian). date_parse takes exactly
 * "YYYY-MM-DD", a real day of a year from 1949 to 2200; 0 or
 * STORE_EINVAL (nothing else accepted: no blanks, signs or times). */
int date_parse(int32_t *out, const char *s);
void date_format(char out[11], int32_t day);
int date_weekday(int32_t day); /* 1 Monday .. 7 Sunday */
int date_year(int32_t day);
/* y-m-d must be a real day (callers check). */
int32_t date_ymd(int y, int m, int d);
int32_t date_month_end(int y, int m);

/* The working-day calendar: a day is a working day if it is an adjusted
 * working day (调休), or a Monday to Friday that no holiday covers. Years
 * it does not cover count Monday to Friday. */
typedef struct calendar {
	int years[64];     /* the years it covers */
	size_t nyears;
	int32_t *off;      /* holiday days, sorted */
	size_t noff, capoff;
	int32_t *on;       /* adjusted working days (调休), sorted */
	size_t non, capon;
} calendar;

void calendar_init(calendar *c);
void calendar_free(calendar *c);
/* Adds one year's holiday days and adjusted working days (any order; the
 * caller has checked them). STORE_EINVAL if the year is there already,
 * STORE_ETOOBIG past 64 years; the calendar is unchanged then. */
int calendar_add_year(calendar *c, int year, const int32_t *holidays,
                      size_t nh, const int32_t *workdays, size_t nw);
int calendar_covers(const calendar *c, int year);
int calendar_is_workday(const calendar *c, int32_t day);

/* Counting: a period of n working days starts the day after `start` (the
 * day of the event that starts it does not count) and ends on the n-th
 * working day after it, which is what this returns (start itself when
 * n <= 0). *uncovered (may be NULL) is set when a day on the way lies in
 * a year the calendar does not cover (Monday to Friday was assumed
 * there). n is capped at CALENDAR_WORKDAYS_MAX. */
#define CALENDAR_WORKDAYS_MAX 20000
int32_t calendar_add_workdays(const calendar *c, int32_t start, int n,
                              int *uncovered);
/* Working days in (from, to]: 0 when to <= from. At most
 * CALENDAR_SPAN_MAX days are looked at. */
#define CALENDAR_SPAN_MAX 40000
int calendar_workdays_between(const calendar *c, int32_t from, int32_t to);

/* Deadlines as work plans write them, with the day each one means:
 *   "2020年10月23日前", "2020年10月23日" (also 号, 之前, 以前, 内, 完成)
 *                                 → that day
 *   "2020年9月上旬|中旬|下旬"      → the 10th | the 20th | the month's end
 *   "2020年9月", "2020年12月底|末" → the month's end ("2020年9中旬" too)
 *   "2022年上半年"                 → 06-30
 *   "2020年底", "2020年下半年|年内", "2020年" → 12-31
 *   "2020年第一季度" .. "第四季度" (or 一季度 ..) → the quarter's end
 *   "长期", "长期坚持", "持续推进"  → ongoing, no date
 *   "2020年9月起", "2021年起"     → ongoing from the 1st (date = start)
 *   "20个工作日内"                 → DEADLINE_WORKDAYS, 1 to 366 days
 * Blanks around the text are ignored; anything else is STORE_EINVAL. */
typedef enum deadline_kind {
	DEADLINE_DATE = 1,     /* a last day (date) */
	DEADLINE_WORKDAYS,     /* n working days from the assignment */
	DEADLINE_ONGOING       /* 长期 (date 0), or "from ... on" (date = the
	                        * start) */
} deadline_kind;

#define DEADLINE_WORKDAYS_MAX 366

typedef struct deadline {
	deadline_kind kind;
	int32_t date;
	int workdays;
	char text[128];        /* the text, less surrounding blanks */
} deadline;

int deadline_parse(deadline *out, const char *text);

#endif
