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
 * (条例 art. 33: "自收到申请之日起20个工作日内"; the starting day itself does
 * not count, 民法典 art. 201): the due day is the n-th working day after
 * the start. store/clock.h has the clocks.
 */
#include "store_int.h"
#include "dates.h"

#include <stdint.h>
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

/* Room for `more` days in *v. */
static int reserve_days(int32_t **v, size_t n, size_t *cap, size_t more)
{
	size_t ncap = *cap ? *cap : 64;
	int32_t *nv;

	if (more > SIZE_MAX / sizeof(**v) / 2 - n)
		return STORE_ENOMEM;
	while (ncap < n + more)
		ncap *= 2;
	if (ncap == *cap)
		return 0;
	nv = realloc(*v, ncap * sizeof(*nv));
	if (nv == NULL)
		return STORE_ENOMEM;
	*v = nv;
	*cap = ncap;
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
	if (calendar_covers(c, year))
		return STORE_EINVAL;
	if (c->nyears >= sizeof(c->years) / sizeof(c->years[0]))
		return STORE_ETOOBIG;
	/* room first, so that a failure leaves the calendar as it was */
	if (reserve_days(&c->off, c->noff, &c->capoff, nh) ||
	    reserve_days(&c->on, c->non, &c->capon, nw))
		return STORE_ENOMEM;
	c->years[c->nyears++] = year;
	if (nh > 0)
		memcpy(c->off + c->noff, holidays, nh * sizeof(*holidays));
	c->noff += nh;
	if (nw > 0)
		memcpy(c->on + c->non, workdays, nw * sizeof(*workdays));
	c->non += nw;
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
	if (n > CALENDAR_WORKDAYS_MAX)
		n = CALENDAR_WORKDAYS_MAX;
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

	if (to - from > CALENDAR_SPAN_MAX)
		to = from + CALENDAR_SPAN_MAX;

	for (int32_t day = from + 1; day <= to; day++)
		n += calendar_is_workday(c, day);
	return n;
}

/* ---- deadlines as people write them ------------------------------------ */

/* Reads up to `max` ASCII digits; returns how many it read (0: none). */
static int read_int(const char *s, int max, int *out)
{
	int n = 0, v = 0;

	while (n < max && s[n] >= '0' && s[n] <= '9')
		v = v * 10 + (s[n++] - '0');
	if (n > 0)
		*out = v;
	return n;
}

/* Consumes `word` at *p if it is there. */
static int eat(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* Consumes the first of `words` found at *p; 1 if one was. */
static int eat_any(const char **p, const char *const *words)
{
	for (; *words; words++)
		if (eat(p, *words))
			return 1;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int deadline_parse(deadline *out, const char *text)
{
	static const char *const q1[] = { "第一季度", "一季度", NULL };
	static const char *const q2[] = { "第二季度", "二季度", NULL };
	static const char *const q3[] = { "第三季度", "三季度", NULL };
	static const char *const q4[] = { "第四季度", "四季度", NULL };
	static const char *const year_end[] = { "下半年", "年底", "年末", "年内",
		                                "底", "末", "内", NULL };
	static const char *const month_end[] = { "下旬", "底", "末", NULL };
	/* what may follow a date: an optional 完成, then 前 or 内 in one of
	 * their spellings (longest first), then an optional 完成 */
	static const char *const before[] = { "之前", "以前", "前", "以内", "内",
		                              NULL };
	char buf[sizeof(out->text)];
	const char *p;
	size_t len;
	int y = 0, m = 0, d = 0, n;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return STORE_EINVAL;
	/* the text as written, less surrounding blanks */
	while (is_space(*text))
		text++;
	len = strlen(text);
	while (len > 0 && is_space(text[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return STORE_EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	snprintf(out->text, sizeof(out->text), "%s", buf);
	p = buf;

	if (!strcmp(p, "长期") || !strcmp(p, "长期坚持") ||
	    !strcmp(p, "持续推进") || !strcmp(p, "长期推进")) {
		out->kind = DEADLINE_ONGOING;
		return 0;
	}
	/* "N个工作日内": counted from the assignment */
	n = read_int(p, 4, &d);
	if (n > 0 && strncmp(p + n, "个工作日", strlen("个工作日")) == 0) {
		p += n + strlen("个工作日");
		if (!eat(&p, "内"))
			eat(&p, "以内");
		if (*p != '\0' || d < 1 || d > DEADLINE_WORKDAYS_MAX)
			return STORE_EINVAL;
		out->kind = DEADLINE_WORKDAYS;
		out->workdays = d;
		return 0;
	}
	/* a year: "2020年" */
	n = read_int(p, 5, &y);
	if (n != 4 || y < 1949 || y > 2200)
		return STORE_EINVAL;
	p += n;
	if (!eat(&p, "年"))
		return STORE_EINVAL;
	if (eat(&p, "起")) {
		/* "from 2021 on": a start, no end */
		if (*p != '\0')
			return STORE_EINVAL;
		out->kind = DEADLINE_ONGOING;
		out->date = date_ymd(y, 1, 1);
		return 0;
	}
	if (*p == '\0') {
		out->date = date_ymd(y, 12, 31); /* "2021年": within the year */
	} else if (eat(&p, "上半年")) {
		out->date = date_ymd(y, 6, 30);
	} else if (eat_any(&p, year_end)) {
		out->date = date_ymd(y, 12, 31);
	} else if (eat_any(&p, q1)) {
		out->date = date_ymd(y, 3, 31);
	} else if (eat_any(&p, q2)) {
		out->date = date_ymd(y, 6, 30);
	} else if (eat_any(&p, q3)) {
		out->date = date_ymd(y, 9, 30);
	} else if (eat_any(&p, q4)) {
		out->date = date_ymd(y, 12, 31);
	} else {
		/* a month, perhaps without its 月 ("2020年9中旬") */
		n = read_int(p, 3, &m);
		if (n == 0 || m < 1 || m > 12)
			return STORE_EINVAL;
		p += n;
		eat(&p, "月");
		n = read_int(p, 3, &d);
		if (n > 0) {
			p += n;
			if (!eat(&p, "日") && !eat(&p, "号"))
				return STORE_EINVAL;
			if (d < 1 || d > days_in_month(y, (unsigned)m))
				return STORE_EINVAL;
			out->date = date_ymd(y, m, d);
		} else if (eat(&p, "上旬")) {
			out->date = date_ymd(y, m, 10);
		} else if (eat(&p, "中旬")) {
			out->date = date_ymd(y, m, 20);
		} else if (eat_any(&p, month_end)) {
			out->date = date_month_end(y, m);
		} else if (eat(&p, "起")) {
			/* "from September on": a start, no end */
			if (*p != '\0')
				return STORE_EINVAL;
			out->kind = DEADLINE_ONGOING;
			out->date = date_ymd(y, m, 1);
			return 0;
		} else {
			out->date = date_month_end(y, m); /* "2020年9月" */
		}
	}
	eat(&p, "完成");
	eat_any(&p, before);
	eat(&p, "完成");
	if (*p != '\0')
		return STORE_EINVAL;
	out->kind = DEADLINE_DATE;
	return 0;
}
