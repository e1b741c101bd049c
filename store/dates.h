/* dates.h — dates, the working-day calendar and deadlines (dates.c). */
#ifndef GOVFED_DATES_H
#define GOVFED_DATES_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01. "YYYY-MM-DD", strictly; 0 or STORE_EINVAL. */
int date_parse(int32_t *out, const char *s);
void date_format(char out[11], int32_t day);
int date_weekday(int32_t day); /* 1 Monday .. 7 Sunday */
int date_year(int32_t day);
int32_t date_ymd(int y, int m, int d);
int32_t date_month_end(int y, int m);

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
int calendar_add_year(calendar *c, int year, const int32_t *holidays,
                      size_t nh, const int32_t *workdays, size_t nw);
int calendar_covers(const calendar *c, int year);
int calendar_is_workday(const calendar *c, int32_t day);
/* The n-th working day after `start`. *uncovered is set when a day on
 * the way lies in a year the calendar does not cover (Monday to Friday
 * was assumed there). */
int32_t calendar_add_workdays(const calendar *c, int32_t start, int n,
                              int *uncovered);
/* Working days in (from, to]. */
int calendar_workdays_between(const calendar *c, int32_t from, int32_t to);

/* Deadlines as work plans write them: "2020年10月23日前", "2020年9月中旬",
 * "2022年上半年", "2020年12月底", "长期", "20个工作日内", ... */
typedef enum deadline_kind {
	DEADLINE_DATE = 1,     /* a last day (date) */
	DEADLINE_WORKDAYS,     /* n working days from the assignment */
	DEADLINE_ONGOING       /* 长期, or "from ... on" (date = the start) */
} deadline_kind;

typedef struct deadline {
	deadline_kind kind;
	int32_t date;
	int workdays;
	char text[128];
} deadline;

int deadline_parse(deadline *out, const char *text);

#endif
