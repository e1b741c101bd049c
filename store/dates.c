/*
 * dates.c — dates, the working-day calendar and deadlines.
 *
 * Days are counted from 1970-01-01 (day 0), proleptic Gregorian. The
 * calendar the province publishes (calendar/<year>.json) names holidays
 * (ranges) and adjusted working days (调休: weekend days worked); a day is
 * a working day if it is an adjusted working day, or a Monday to Friday
 * that no holiday covers. A year the calendar does not cover falls back
 * to Monday to Friday, and says so.
 *
 * Statutory clocks count working days *after* the day that starts them
 * (条例 art. 33: "自收到申请之日起20个工作日内"): the due day is the n-th
 * working day after the start.
 */
#include "store_int.h"
#include "dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* days from civil, after Howard Hinnant's public-domain algorithm */
static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

static void civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
	int era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int days_in_month(int y, unsigned m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int date_parse(int32_t *out, const char *s)
{
	int y, n = 0;
	unsigned m, d;

	if (s == NULL || strlen(s) != 10 ||
	    sscanf(s, "%4d-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    s[4] != '-' || s[7] != '-' || y < 1949 || y > 2200 || m < 1 ||
	    m > 12 || d < 1 || (int)d > days_in_month(y, m))
		return STORE_EINVAL;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return STORE_EINVAL;
	*out = days_from_civil(y, m, d);
	return 0;
}

void date_format(char out[11], int32_t day)
{
	int y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02u-%02u", y, m, d);
}

int date_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday; 1 = Monday .. 7 = Sunday */
	int w = (int)((day % 7 + 7 + 3) % 7);
	return w + 1;
}

int date_year(int32_t day)
{
	int y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	return y;
}

int32_t date_ymd(int y, int m, int d)
{
	return days_from_civil(y, (unsigned)m, (unsigned)d);
}

int32_t date_month_end(int y, int m)
{
	return days_from_civil(y, (unsigned)m, (unsigned)days_in_month(y, (unsigned)m));
}

/* ---- the calendar ------------------------------------------------------ */

void calendar_init(calendar *c)
{
	memset(c, 0, sizeof(*c));
}

void calendar_free(calendar *c)
{
	free(c->off);
	free(c->on);
	memset(c, 0, sizeof(*c));
}

static int push_day(int32_t **v, size_t *n, size_t *cap, int32_t day)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		int32_t *nv = realloc(*v, ncap * sizeof(*nv));
		if (nv == NULL)
			return STORE_ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = day;
	return 0;
}

static int cmp_day(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

int calendar_add_year(calendar *c, int year, const int32_t *holidays,
                      size_t nh, const int32_t *workdays, size_t nw)
{
	for (size_t i = 0; i < c->nyears; i++)
		if (c->years[i] == year)
			return STORE_EINVAL;
	if (c->nyears >= sizeof(c->years) / sizeof(c->years[0]))
		return STORE_ETOOBIG;
	c->years[c->nyears++] = year;
	for (size_t i = 0; i < nh; i++)
		if (push_day(&c->off, &c->noff, &c->capoff, holidays[i]))
			return STORE_ENOMEM;
	for (size_t i = 0; i < nw; i++)
		if (push_day(&c->on, &c->non, &c->capon, workdays[i]))
			return STORE_ENOMEM;
	if (c->noff > 1)
		qsort(c->off, c->noff, sizeof(*c->off), cmp_day);
	if (c->non > 1)
		qsort(c->on, c->non, sizeof(*c->on), cmp_day);
	return 0;
}

static int has_day(const int32_t *v, size_t n, int32_t day)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == day)
			return 1;
		if (v[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int calendar_covers(const calendar *c, int year)
{
	for (size_t i = 0; i < c->nyears; i++)
		if (c->years[i] == year)
			return 1;
	return 0;
}

int calendar_is_workday(const calendar *c, int32_t day)
{
	if (has_day(c->on, c->non, day))
		return 1;
	if (has_day(c->off, c->noff, day))
		return 0;
	return date_weekday(day) <= 5;
}

int32_t calendar_add_workdays(const calendar *c, int32_t start, int n,
                              int *uncovered)
{
	int32_t day = start;

	if (uncovered)
		*uncovered = 0;
	while (n > 0) {
		day++;
		if (uncovered && !calendar_covers(c, date_year(day)))
			*uncovered = 1;
		if (calendar_is_workday(c, day))
			n--;
	}
	return day;
}

int calendar_workdays_between(const calendar *c, int32_t from, int32_t to)
{
	int n = 0;

	for (int32_t day = from + 1; day <= to; day++)
		n += calendar_is_workday(c, day);
	return n;
}

/* ---- deadlines as people write them ------------------------------------ */

/* Reads an integer of ASCII digits; returns chars used or 0. */
static int read_int(const char *s, int *out)
{
	int n = 0, v = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 6)
		v = v * 10 + (s[n++] - '0');
	if (n > 0)
		*out = v;
	return n;
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int deadline_parse(deadline *out, const char *text)
{
	const char *p = text;
	int y = 0, m = 0, d = 0, n;

	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%s", text ? text : "");
	if (text == NULL || *text == '\0')
		return STORE_EINVAL;
	if (!strcmp(text, "长期") || !strcmp(text, "持续推进") ||
	    !strcmp(text, "长期坚持")) {
		out->kind = DEADLINE_ONGOING;
		return 0;
	}
	/* "N个工作日内" */
	n = read_int(p, &d);
	if (n > 0 && starts(p + n, "个工作日")) {
		out->kind = DEADLINE_WORKDAYS;
		out->workdays = d;
		return d > 0 && d <= 3650 ? 0 : STORE_EINVAL;
	}
	/* a year: "2020年" */
	n = read_int(p, &y);
	if (n != 4 || !starts(p + n, "年"))
		return STORE_EINVAL;
	p += n + strlen("年");
	if (y < 1949 || y > 2200)
		return STORE_EINVAL;
	if (starts(p, "上半年")) {
		out->date = date_ymd(y, 6, 30);
		p += strlen("上半年");
	} else if (starts(p, "下半年") || starts(p, "年底") ||
	           starts(p, "底") || starts(p, "年内") || starts(p, "内")) {
		out->date = date_ymd(y, 12, 31);
		p += starts(p, "下半年") ? strlen("下半年")
		     : starts(p, "年底") ? strlen("年底")
		     : starts(p, "年内") ? strlen("年内")
		     : starts(p, "底")   ? strlen("底")
		                         : strlen("内");
	} else if (starts(p, "第一季度") || starts(p, "一季度")) {
		out->date = date_ymd(y, 3, 31);
		p += strlen(starts(p, "第") ? "第一季度" : "一季度");
	} else if (starts(p, "第二季度") || starts(p, "二季度")) {
		out->date = date_ymd(y, 6, 30);
		p += strlen(starts(p, "第") ? "第二季度" : "二季度");
	} else if (starts(p, "第三季度") || starts(p, "三季度")) {
		out->date = date_ymd(y, 9, 30);
		p += strlen(starts(p, "第") ? "第三季度" : "三季度");
	} else if (starts(p, "第四季度") || starts(p, "四季度")) {
		out->date = date_ymd(y, 12, 31);
		p += strlen(starts(p, "第") ? "第四季度" : "四季度");
	} else {
		/* a month, perhaps without its 月 ("2020年9中旬") */
		n = read_int(p, &m);
		if (n == 0 || m < 1 || m > 12)
			return STORE_EINVAL;
		p += n;
		if (starts(p, "月"))
			p += strlen("月");
		n = read_int(p, &d);
		if (n > 0) {
			p += n;
			if (!starts(p, "日") && !starts(p, "号"))
				return STORE_EINVAL;
			p += strlen("日");
			if (d < 1 || d > days_in_month(y, (unsigned)m))
				return STORE_EINVAL;
			out->date = date_ymd(y, m, d);
		} else if (starts(p, "上旬")) {
			out->date = date_ymd(y, m, 10);
			p += strlen("上旬");
		} else if (starts(p, "中旬")) {
			out->date = date_ymd(y, m, 20);
			p += strlen("中旬");
		} else if (starts(p, "下旬") || starts(p, "底") || starts(p, "末")) {
			out->date = date_month_end(y, m);
			p += strlen(starts(p, "下旬") ? "下旬" : "底");
		} else if (starts(p, "起")) {
			/* "from September on": a start, no end */
			out->kind = DEADLINE_ONGOING;
			out->date = date_ymd(y, m, 1);
			return 0;
		} else {
			out->date = date_month_end(y, m);
		}
	}
	/* what may follow: 前, 之前, 以前, 内, 完成 ... */
	while (*p) {
		static const char *const tails[] = { "之前", "以前", "前", "内",
			                             "完成", "底前", NULL };
		const char *const *t;
		for (t = tails; *t; t++)
			if (starts(p, *t)) {
				p += strlen(*t);
				break;
			}
		if (*t == NULL)
			return STORE_EINVAL;
	}
	out->kind = DEADLINE_DATE;
	return 0;
}
