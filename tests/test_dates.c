/*
 * test_dates.c — dates, the working-day calendar, deadlines as work plans
 * write them, and the statutory clocks (store/dates.h, store/clock.h).
 *
 * Every expected date below was worked out by hand, day by day, from the
 * State Council's holiday notices (examples/calendar/<year>.json); the
 * working is in the comment beside each. "WD n" is the n-th working day
 * counted; the day of the event itself never counts (clock.h).
 *
 * The calendars are read from examples/calendar/, found from this file's
 * path (__FILE__), so the example files themselves are what is tested.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "clock.h"
#include "dates.h"
#include "store.h"

#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------ */

static int32_t D(const char *s)
{
	int32_t d = 0;

	if (date_parse(&d, s) != 0)
		fail_msg("test bug: '%s' is not a date", s);
	return d;
}

#define assert_date(day, want)                                            \
	do {                                                                  \
		char got_[11];                                                    \
		date_format(got_, (day));                                         \
		assert_string_equal(got_, (want));                                \
	} while (0)

/* the repository's root, from this file's path */
static const char *root_dir(void)
{
	static char root[4096];

	if (root[0] == '\0') {
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s", __FILE__);
		snprintf(root, sizeof(root), "%s/..", dirname(buf));
	}
	return root;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (the tests read the repository's "
		         "examples/)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *example_calendar(int year, size_t *len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/examples/calendar/%d.json", root_dir(),
	         year);
	return slurp(path, len);
}

static void add_year(calendar *c, int year)
{
	char why[256] = "";
	size_t len;
	char *data = example_calendar(year, &len);
	int rc = clock_calendar_from_json(c, data, len, why, sizeof(why));

	if (rc != 0)
		fail_msg("examples/calendar/%d.json: %s", year, why);
	free(data);
}

/* ---- dates -------------------------------------------------------------------- */

static void test_date_parse(void **state)
{
	static const char *const good[] = {
		"2024-02-29", "2000-02-29", "1970-01-01", "1949-01-01",
		"2200-12-31", "2020-12-31", "2024-10-12", NULL
	};
	static const char *const bad[] = {
		"2023-02-29",   /* not a leap year */
		"1900-02-29",   /* divisible by 100, not by 400 */
		"2100-02-29",
		"2024-13-01", "2024-00-10", "2024-04-31", "2024-06-00",
		"2024-4-01", "2024-04-1", "24-04-01", "20240401",
		"2024/04/01", "2024.04.01", "2024-04-01 ", " 2024-04-01",
		"2024-04-01T00:00:00Z", "+024-04-01", "-024-04-01", "2024-0a-01",
		"2024-04-0a", "2024-04--1", "2024- 4-01", "２０２４-04-01",
		"1948-12-31", "2201-01-01", "", "2024-04-01\n", NULL
	};
	int32_t d;
	char out[11];

	(void)state;
	for (const char *const *p = good; *p; p++) {
		assert_int_equal(date_parse(&d, *p), 0);
		date_format(out, d);
		assert_string_equal(out, *p);
	}
	for (const char *const *p = bad; *p; p++) {
		d = 12345;
		if (date_parse(&d, *p) == 0)
			fail_msg("'%s' was taken for a date", *p);
		assert_int_equal(d, 12345); /* untouched */
	}
	assert_int_not_equal(date_parse(&d, NULL), 0);
	/* "2024-04-01\0junk" is the string "2024-04-01": fine */
	assert_int_equal(date_parse(&d, "2024-04-01\0junk"), 0);

	assert_int_equal(D("1970-01-01"), 0);
	assert_int_equal(D("1970-01-02"), 1);
	assert_int_equal(D("1969-12-31"), -1);
	assert_int_equal(D("2000-03-01") - D("2000-02-28"), 2); /* 2000 leap */
	assert_int_equal(date_ymd(1900, 3, 1) - date_ymd(1900, 2, 28), 1);
	assert_int_equal(D("2025-01-01") - D("2024-01-01"), 366);
}

static void test_date_weekday(void **state)
{
	(void)state;
	assert_int_equal(date_weekday(D("1970-01-01")), 4); /* a Thursday */
	assert_int_equal(date_weekday(D("1969-12-31")), 3); /* Wednesday */
	assert_int_equal(date_weekday(D("1949-10-01")), 6); /* a Saturday */
	assert_int_equal(date_weekday(D("2000-01-01")), 6); /* Saturday */
	assert_int_equal(date_weekday(D("2024-09-29")), 7); /* Sunday */
	assert_int_equal(date_weekday(D("2024-09-30")), 1); /* Monday */
	assert_int_equal(date_weekday(D("2024-10-12")), 6); /* Saturday */
	assert_int_equal(date_weekday(D("2020-02-01")), 6);
	assert_int_equal(date_year(D("1969-12-31")), 1969);
	assert_int_equal(date_year(D("2024-12-31")), 2024);
	assert_int_equal(date_year(D("2025-01-01")), 2025);
	assert_date(date_ymd(2024, 2, 29), "2024-02-29");
	assert_date(date_month_end(2024, 2), "2024-02-29");
	assert_date(date_month_end(2023, 2), "2023-02-28");
	assert_date(date_month_end(2020, 9), "2020-09-30");
	assert_date(date_month_end(2020, 12), "2020-12-31");
}

/* ---- the calendar ---------------------------------------------------------------- */

/* Every 调休 day of the example calendars is a Saturday or Sunday, every
 * holiday lies in its year, and the days the notices name are as they
 * should be. */
static void test_calendar_examples(void **state)
{
	static const char *const weekend_workdays[] = {
		/* 2020 */ "2020-01-19", "2020-04-26", "2020-05-09", "2020-06-28",
		"2020-09-27", "2020-10-10",
		/* 2024 */ "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28",
		"2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12",
		/* 2025 */ "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
		"2025-10-11", NULL
	};
	calendar c;

	(void)state;
	calendar_init(&c);
	add_year(&c, 2020);
	add_year(&c, 2024);
	add_year(&c, 2025);
	assert_int_equal(c.nyears, 3);
	assert_true(calendar_covers(&c, 2024));
	assert_false(calendar_covers(&c, 2023));
	for (const char *const *p = weekend_workdays; *p; p++) {
		assert_true(date_weekday(D(*p)) >= 6);
		if (!calendar_is_workday(&c, D(*p)))
			fail_msg("%s should be an adjusted working day", *p);
	}
	/* exactly these are the adjusted working days */
	assert_int_equal(c.non, 19);

	/* 2024 国庆: 10-01 .. 10-07 off; 9-29 (Sun) and 10-12 (Sat) worked */
	assert_false(calendar_is_workday(&c, D("2024-10-01")));
	assert_false(calendar_is_workday(&c, D("2024-10-05"))); /* Sat, holiday */
	assert_false(calendar_is_workday(&c, D("2024-10-07"))); /* Mon */
	assert_true(calendar_is_workday(&c, D("2024-10-08")));
	assert_false(calendar_is_workday(&c, D("2024-10-13"))); /* plain Sun */
	assert_false(calendar_is_workday(&c, D("2024-09-28"))); /* plain Sat */
	/* 2024 春节: 除夕 2-09 (Fri) is a working day in the notice (rest is
	 * only encouraged); 2-10 .. 2-17 off; 2-04 and 2-18 (Suns) worked */
	assert_true(calendar_is_workday(&c, D("2024-02-09")));
	assert_false(calendar_is_workday(&c, D("2024-02-12"))); /* Mon */
	assert_false(calendar_is_workday(&c, D("2024-02-16"))); /* Fri */
	/* 2020: 春节 extended to 2-02, so Saturday 2-01 was not worked */
	assert_false(calendar_is_workday(&c, D("2020-02-01")));
	assert_false(calendar_is_workday(&c, D("2020-01-31")));
	assert_true(calendar_is_workday(&c, D("2020-02-03")));
	/* 2025: 除夕 1-28 is a holiday (the 2024 revision of the 放假办法) */
	assert_false(calendar_is_workday(&c, D("2025-01-28")));
	assert_false(calendar_is_workday(&c, D("2025-02-04")));
	assert_true(calendar_is_workday(&c, D("2025-02-05")));
	/* a year not covered: Monday to Friday */
	assert_true(calendar_is_workday(&c, D("2026-10-01"))); /* Thu */
	assert_false(calendar_is_workday(&c, D("2026-10-03"))); /* Sat */
	calendar_free(&c);
}

/* 解读 due: 3 working days after publication, across long holidays. */
static void test_interp_due(void **state)
{
	calendar c;
	int unc = -1;

	(void)state;
	calendar_init(&c);
	add_year(&c, 2024);

	/* published Mon 2024-09-30, the day before 国庆:
	 * 10-01..10-07 holiday; WD1 10-08 Tue, WD2 10-09, WD3 10-10 Thu */
	assert_date(clock_interp_due(&c, D("2024-09-30"), &unc), "2024-10-10");
	assert_int_equal(unc, 0);
	/* published on the working Sunday 2024-09-29:
	 * WD1 09-30 Mon; 10-01..07 off; WD2 10-08; WD3 10-09 */
	assert_date(clock_interp_due(&c, D("2024-09-29"), &unc), "2024-10-09");
	/* published Fri 2024-09-27: 09-28 Sat off; WD1 09-29 Sun (调休);
	 * WD2 09-30; 10-01..07 off; WD3 10-08 */
	assert_date(clock_interp_due(&c, D("2024-09-27"), &unc), "2024-10-08");
	/* published Fri 2024-10-11: WD1 10-12 Sat (调休); 10-13 Sun off;
	 * WD2 10-14 Mon; WD3 10-15 (Monday to Friday alone would say 10-16) */
	assert_date(clock_interp_due(&c, D("2024-10-11"), &unc), "2024-10-15");
	/* 春节 2024: published Thu 02-08: WD1 02-09 Fri (除夕, worked);
	 * 02-10..17 off; WD2 02-18 Sun (调休); WD3 02-19 Mon */
	assert_date(clock_interp_due(&c, D("2024-02-08"), &unc), "2024-02-19");
	/* published Fri 02-02: 02-03 Sat off; WD1 02-04 Sun (调休);
	 * WD2 02-05 Mon; WD3 02-06 */
	assert_date(clock_interp_due(&c, D("2024-02-02"), &unc), "2024-02-06");
	/* S4: the day before a 3-day holiday, 清明 2024 (04-04..06, 04-07 Sun
	 * worked): published Wed 04-03: WD1 04-07 Sun; WD2 04-08; WD3 04-09 */
	assert_date(clock_interp_due(&c, D("2024-04-03"), &unc), "2024-04-09");
	/* 劳动节 2024 (05-01..05, 04-28 Sun and 05-11 Sat worked): published
	 * Sat 04-27: WD1 04-28 Sun; WD2 04-29 Mon; WD3 04-30 Tue */
	assert_date(clock_interp_due(&c, D("2024-04-27"), &unc), "2024-04-30");
	/* published Tue 04-30: 05-01..05 off; WD1 05-06 Mon; WD2 05-07;
	 * WD3 05-08 */
	assert_date(clock_interp_due(&c, D("2024-04-30"), &unc), "2024-05-08");
	assert_int_equal(unc, 0);
	calendar_free(&c);
}

static void test_add_workdays(void **state)
{
	calendar c, none;
	int unc = -1;

	(void)state;
	calendar_init(&c);
	calendar_init(&none);
	add_year(&c, 2024);

	/* 20 WD from Fri 2024-09-20: 09-23..27 (WD1-5), 09-29 Sun (6),
	 * 09-30 (7), 10-08..11 (8-11), 10-12 Sat (12), 10-14..18 (13-17),
	 * 10-21 (18), 10-22 (19), 10-23 (20) */
	assert_date(calendar_add_workdays(&c, D("2024-09-20"), 20, &unc),
	            "2024-10-23");
	assert_int_equal(unc, 0);
	/* n = 0: the day itself; n < 0 too */
	assert_date(calendar_add_workdays(&c, D("2024-10-05"), 0, &unc),
	            "2024-10-05");
	assert_date(calendar_add_workdays(&c, D("2024-10-05"), -3, &unc),
	            "2024-10-05");
	/* from a holiday: Sat 10-05: 10-06, 10-07 off; WD1 10-08 */
	assert_date(calendar_add_workdays(&c, D("2024-10-05"), 1, NULL),
	            "2024-10-08");
	/* (from, to]: 09-30 .. 10-12 holds 10-08, 09, 10, 11, 12 */
	assert_int_equal(calendar_workdays_between(&c, D("2024-09-30"),
	                                           D("2024-10-12")), 5);
	assert_int_equal(calendar_workdays_between(&c, D("2024-10-12"),
	                                           D("2024-09-30")), 0);
	assert_int_equal(calendar_workdays_between(&c, D("2024-10-01"),
	                                           D("2024-10-07")), 0);

	/* into a year the calendar does not cover: from Mon 2024-12-30,
	 * WD1 12-31; 2025-01-01 is a Wednesday and, uncovered, a working
	 * day (WD2); WD3 01-02 */
	assert_date(calendar_add_workdays(&c, D("2024-12-30"), 3, &unc),
	            "2025-01-02");
	assert_int_equal(unc, 1);
	/* with 2025 published: 01-01 元旦 off; WD2 01-02, WD3 01-03 */
	add_year(&c, 2025);
	assert_date(calendar_add_workdays(&c, D("2024-12-30"), 3, &unc),
	            "2025-01-03");
	assert_int_equal(unc, 0);
	/* 春节 2025 (01-28..02-04; 01-26 Sun and 02-08 Sat worked): from Fri
	 * 01-24: 01-25 Sat off; WD1 01-26 Sun; WD2 01-27 Mon; 01-28..02-04
	 * off; WD3 02-05 Wed */
	assert_date(calendar_add_workdays(&c, D("2025-01-24"), 3, &unc),
	            "2025-02-05");

	/* 2020: 春节 01-24..02-02 (extended), 01-19 Sun worked. From Thu
	 * 01-23: off to 02-02; WD1 02-03 Mon, WD2 02-04, WD3 02-05 */
	add_year(&c, 2020);
	assert_date(calendar_add_workdays(&c, D("2020-01-23"), 3, &unc),
	            "2020-02-05");
	/* from Fri 01-17: 01-18 Sat off; WD1 01-19 Sun (调休); WD2 01-20;
	 * WD3 01-21 */
	assert_date(calendar_add_workdays(&c, D("2020-01-17"), 3, &unc),
	            "2020-01-21");

	/* no calendar at all: Monday to Friday, and said so. From Mon
	 * 2024-09-30: 10-01, 10-02, 10-03 */
	assert_date(calendar_add_workdays(&none, D("2024-09-30"), 3, &unc),
	            "2024-10-03");
	assert_int_equal(unc, 1);
	/* a huge n is capped, not looped on for ever */
	assert_true(calendar_add_workdays(&none, D("2024-01-01"), 1 << 30,
	                                  NULL) <
	            D("2024-01-01") + CALENDAR_WORKDAYS_MAX * 2);
	calendar_free(&none);
	calendar_free(&c);
}

/* what the store refuses, clock_calendar_from_json refuses too, and the
 * calendar stays as it was */
static void test_calendar_refusals(void **state)
{
	static const struct {
		const char *json, *word;
	} bad[] = {
		/* a working day that is not a weekend day: Tue 2024-10-08 */
		{ "{\"year\":2024,\"holidays\":[],\"workdays\":[\"2024-10-08\"]}",
		  "not a Saturday or Sunday" },
		/* a holiday that ends before it starts */
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"国庆节\",\"from\":"
		  "\"2024-10-07\",\"to\":\"2024-10-01\"}],\"workdays\":[]}",
		  "ends before it starts" },
		/* a holiday outside the year */
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"元旦\",\"from\":"
		  "\"2023-12-30\",\"to\":\"2024-01-01\"}],\"workdays\":[]}",
		  "dates of 2024" },
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"x\",\"from\":"
		  "\"2024-12-31\",\"to\":\"2025-01-01\"}],\"workdays\":[]}",
		  "dates of 2024" },
		/* a working day outside the year (a Saturday of 2023) */
		{ "{\"year\":2024,\"holidays\":[],\"workdays\":[\"2023-12-30\"]}",
		  "a date of 2024" },
		/* a working day inside a holiday: Sat 2024-10-05 */
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"国庆节\",\"from\":"
		  "\"2024-10-01\",\"to\":\"2024-10-07\"}],\"workdays\":"
		  "[\"2024-10-05\"]}", "both a holiday and a working day" },
		/* not dates */
		{ "{\"year\":2024,\"holidays\":[],\"workdays\":[\"2024-9-29\"]}",
		  "a date of 2024" },
		{ "{\"year\":2024,\"holidays\":[],\"workdays\":[20240929]}",
		  "a date of 2024" },
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"x\",\"from\":"
		  "\"2024-02-30\",\"to\":\"2024-03-01\"}],\"workdays\":[]}",
		  "dates of 2024" },
		/* shapes */
		{ "{\"year\":2024,\"holidays\":[],\"workdays\":[],\"note\":\"x\"}",
		  "unknown field 'note'" },
		{ "{\"year\":1989,\"holidays\":[],\"workdays\":[]}", "1990 to 2200" },
		{ "{\"year\":\"2024\",\"holidays\":[],\"workdays\":[]}",
		  "1990 to 2200" },
		{ "{\"holidays\":[],\"workdays\":[]}", "1990 to 2200" },
		{ "{\"year\":2024,\"workdays\":[]}", "holidays" },
		{ "{\"year\":2024,\"holidays\":[]}", "workdays" },
		{ "{\"year\":2024,\"holidays\":{},\"workdays\":[]}", "holidays" },
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"\",\"from\":"
		  "\"2024-10-01\",\"to\":\"2024-10-01\"}],\"workdays\":[]}",
		  "with a name" },
		{ "{\"year\":2024,\"holidays\":[{\"name\":\"x\",\"from\":"
		  "\"2024-10-01\",\"to\":\"2024-10-01\",\"days\":1}],"
		  "\"workdays\":[]}", "with a name" },
		{ "{\"year\":2024,\"holidays\":[],\"workdays\":[],\"source\":7}",
		  "source" },
		{ "[2024]", "JSON object" },
	};
	calendar c;
	char why[256];

	(void)state;
	calendar_init(&c);
	add_year(&c, 2020);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		int rc = clock_calendar_from_json(&c, bad[i].json, strlen(bad[i].json),
		                                  why, sizeof(why));
		if (rc != STORE_ESCHEMA || strstr(why, bad[i].word) == NULL)
			fail_msg("case %zu: rc %d, why '%s' (want '%s')", i, rc, why,
			         bad[i].word);
		assert_int_equal(c.nyears, 1);
		assert_false(calendar_covers(&c, 2024));
	}
	/* not JSON */
	assert_int_equal(clock_calendar_from_json(&c, "{\"year\":", 8, why,
	                                          sizeof(why)),
	                 STORE_EJSON);
	assert_int_equal(clock_calendar_from_json(&c, "\xff\xfe", 2, why,
	                                          sizeof(why)),
	                 STORE_EJSON);
	/* the same year twice */
	{
		size_t len;
		char *data = example_calendar(2020, &len);
		assert_int_equal(clock_calendar_from_json(&c, data, len, why,
		                                          sizeof(why)),
		                 STORE_EINVAL);
		assert_non_null(strstr(why, "there already"));
		free(data);
	}
	assert_int_equal(c.nyears, 1);
	/* overlapping holidays count each day once; an empty year is fine */
	{
		const char *ok = "{\"year\":2024,\"holidays\":[{\"name\":\"a\","
		                 "\"from\":\"2024-10-01\",\"to\":\"2024-10-05\"},"
		                 "{\"name\":\"b\",\"from\":\"2024-10-03\",\"to\":"
		                 "\"2024-10-07\"}],\"workdays\":[\"2024-10-12\","
		                 "\"2024-10-12\"],\"source\":\"test\"}";
		size_t off = c.noff;
		assert_int_equal(clock_calendar_from_json(&c, ok, strlen(ok), why,
		                                          sizeof(why)), 0);
		assert_int_equal(c.noff - off, 7);
		assert_true(calendar_is_workday(&c, D("2024-10-12")));
		const char *empty = "{\"year\":2023,\"holidays\":[],"
		                    "\"workdays\":[]}";
		assert_int_equal(clock_calendar_from_json(&c, empty, strlen(empty),
		                                          why, sizeof(why)), 0);
		assert_true(calendar_covers(&c, 2023));
	}
	calendar_free(&c);
}

/* ---- deadlines ---------------------------------------------------------------------- */

static void want_date(const char *text, const char *date)
{
	deadline d;

	if (deadline_parse(&d, text) != 0)
		fail_msg("'%s' was refused", text);
	assert_int_equal(d.kind, DEADLINE_DATE);
	assert_date(d.date, date);
}

static void test_deadline_forms(void **state)
{
	deadline d;

	(void)state;
	/* the forms of the 长乐区 plan (seed 002) */
	want_date("2020年10月23日前", "2020-10-23");
	want_date("2020年11月15日前", "2020-11-15");
	want_date("2020年10月10日前", "2020-10-10");
	want_date("2020年11月5日", "2020-11-05");
	want_date("2020年12月底", "2020-12-31");
	want_date("2020年9月中旬", "2020-09-20");
	want_date("2020年9中旬", "2020-09-20"); /* as the plan misprints it */
	want_date("2022年上半年", "2022-06-30");
	/* and of the other seeds and plans */
	want_date("2021年底前", "2021-12-31");
	want_date("2020年底", "2020-12-31");
	want_date("2020年年底", "2020-12-31");
	want_date("2020年年底前完成", "2020-12-31");
	want_date("2020年下半年", "2020-12-31");
	want_date("2020年内", "2020-12-31");
	want_date("2021年", "2021-12-31");
	want_date("2020年9月上旬", "2020-09-10");
	want_date("2020年2月下旬", "2020-02-29");
	want_date("2021年2月底", "2021-02-28");
	want_date("2020年6月末", "2020-06-30");
	want_date("2020年9月", "2020-09-30");
	want_date("2020年第一季度", "2020-03-31");
	want_date("2020年二季度", "2020-06-30");
	want_date("2020年第三季度", "2020-09-30");
	want_date("2020年四季度", "2020-12-31");
	want_date("2020年10月23号前", "2020-10-23");
	want_date("2020年10月23日之前", "2020-10-23");
	want_date("2020年10月23日以前", "2020-10-23");
	want_date("2020年10月23日前完成", "2020-10-23");
	want_date("2020年10月23日完成", "2020-10-23");
	want_date("2020年12月底前", "2020-12-31");
	want_date(" 2020年10月23日前 ", "2020-10-23");

	assert_int_equal(deadline_parse(&d, "长期"), 0);
	assert_int_equal(d.kind, DEADLINE_ONGOING);
	assert_int_equal(d.date, 0);
	assert_string_equal(d.text, "长期");
	assert_int_equal(deadline_parse(&d, "持续推进"), 0);
	assert_int_equal(d.kind, DEADLINE_ONGOING);
	/* "from September on": ongoing, from the 1st */
	assert_int_equal(deadline_parse(&d, "2020年9月起"), 0);
	assert_int_equal(d.kind, DEADLINE_ONGOING);
	assert_date(d.date, "2020-09-01");
	assert_int_equal(deadline_parse(&d, "2021年起"), 0);
	assert_int_equal(d.kind, DEADLINE_ONGOING);
	assert_date(d.date, "2021-01-01");
	/* working days, counted later from the assignment */
	assert_int_equal(deadline_parse(&d, "20个工作日内"), 0);
	assert_int_equal(d.kind, DEADLINE_WORKDAYS);
	assert_int_equal(d.workdays, 20);
	assert_int_equal(deadline_parse(&d, "3个工作日内"), 0);
	assert_int_equal(d.workdays, 3);
	assert_int_equal(deadline_parse(&d, "1个工作日"), 0);
	assert_int_equal(d.workdays, 1);
	assert_int_equal(deadline_parse(&d, "366个工作日以内"), 0);
	assert_int_equal(d.workdays, 366);
	/* the text is kept, less blanks around it */
	assert_int_equal(deadline_parse(&d, "\t2020年9月中旬 \n"), 0);
	assert_string_equal(d.text, "2020年9月中旬");
}

static void test_deadline_refusals(void **state)
{
	static const char *const bad[] = {
		"", "   ", "尽快", "按要求", "长期有效", "2020", "20年9月",
		"2020年13月", "2020年0月1日", "2020年2月30日", "2021年2月29日",
		"2020年9月32日", "2020年10月23", "2020年10月23日x",
		"2020年9月中旬后", "2020年10月23日前前", "2020年10月23日前完成了",
		"2020年9月起至12月", "2020年上半", "2020年第五季度", "0个工作日内",
		"367个工作日内", "20个工作日左右", "20个工作", "个工作日内",
		"二〇二〇年十月", "2020年十月", "1948年12月31日", "2201年1月1日",
		"20200年1月1日", "2020年1月1日\x01", "2020-10-23",
		"2020年10月-23日",
		NULL
	};
	char longtext[200];
	deadline d;

	(void)state;
	for (const char *const *p = bad; *p; p++)
		if (deadline_parse(&d, *p) == 0)
			fail_msg("'%s' was taken for a deadline (kind %d)", *p,
			         (int)d.kind);
	assert_int_not_equal(deadline_parse(&d, NULL), 0);
	/* at most 127 bytes */
	memset(longtext, ' ', sizeof(longtext));
	memcpy(longtext, "2020年10月23日前", strlen("2020年10月23日前"));
	longtext[150] = 'x';
	longtext[151] = '\0';
	assert_int_not_equal(deadline_parse(&d, longtext), 0);
}

/* Every 完成时限 of examples/workplan-changle-2020.csv (长政办〔2020〕80号). */
static void test_deadline_workplan(void **state)
{
	char path[4200], *data, *line, *save = NULL;
	size_t len;
	int rows = 0, dates = 0, ongoing = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/examples/workplan-changle-2020.csv",
	         root_dir());
	data = slurp(path, &len);
	for (line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *last = strrchr(line, ',');
		deadline d;
		size_t n;
		if (rows++ == 0)
			continue; /* the header */
		assert_non_null(last);
		last++;
		n = strlen(last);
		if (n > 0 && last[n - 1] == '\r')
			last[n - 1] = '\0';
		if (deadline_parse(&d, last) != 0)
			fail_msg("row %d: deadline '%s' refused", rows, last);
		if (d.kind == DEADLINE_DATE) {
			dates++;
			assert_true(d.date >= D("2020-09-01") &&
			            d.date <= D("2022-06-30"));
		} else {
			assert_int_equal(d.kind, DEADLINE_ONGOING);
			ongoing++;
		}
	}
	free(data);
	/* 30 tasks: 24 dated, 5 长期 and one 2020年9月起 */
	assert_int_equal(rows - 1, 30);
	assert_int_equal(dates, 24);
	assert_int_equal(ongoing, 6);
}

/* ---- the request clock ------------------------------------------------------------ */

typedef struct req_fx {
	calendar c;
} req_fx;

static int req_setup(void **state)
{
	req_fx *f = calloc(1, sizeof(*f));

	calendar_init(&f->c);
	add_year(&f->c, 2024);
	add_year(&f->c, 2025);
	*state = f;
	return 0;
}

static int req_teardown(void **state)
{
	req_fx *f = *state;

	calendar_free(&f->c);
	free(f);
	return 0;
}

/* A request record: received, then "type date" pairs. */
static char *req_json(const char *received, ...)
{
	static char buf[8192];
	const char *t;
	va_list ap;
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "{\"id\":\"R-1\",\"received\":"
	                     "\"%s\",\"channel\":\"网络\",\"events\":[",
	                     received);
	va_start(ap, received);
	for (int i = 0; (t = va_arg(ap, const char *)) != NULL; i++) {
		const char *date = va_arg(ap, const char *);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		                      "%s{\"type\":\"%s\",\"date\":\"%s\"}",
		                      i ? "," : "", t, date);
	}
	va_end(ap);
	snprintf(buf + n, sizeof(buf) - n, "]}");
	return buf;
}

static void eval(req_fx *f, const char *json, const char *today,
                 clock_request *out)
{
	char why[256] = "";

	if (clock_request_eval(&f->c, json, strlen(json), D(today), out, why,
	                       sizeof(why)) != 0)
		fail_msg("eval: %s", why);
}

/*
 * S7 (domain.md §4): an online application confirmed on Friday
 * 2024-09-13; the 补正 notice on WD 5; the 补正 arrives 4 days later; a
 * third party is consulted for 12 WD; an extension is approved.
 *
 * By hand, on the 2024 notice (中秋 09-15..17 with Sat 09-14 worked; 国庆
 * 10-01..07 with Sun 09-29 and Sat 10-12 worked):
 *   received Fri 09-13. WD1 09-14 Sat (调休); 09-15..17 off; WD2 09-18,
 *   WD3 09-19, WD4 09-20, WD5 09-23 Mon, WD6 09-24, WD7 09-25.
 *   → the 补正 notice is due 09-25; it went out on WD5, 09-23: on time.
 *   补正 arrives 4 days later: Fri 09-27. The 20 WD start again after it:
 *   WD1 09-29 Sun (调休), WD2 09-30; 10-01..07 off; WD3 10-08, 4 10-09,
 *   5 10-10, 6 10-11, 7 10-12 Sat (调休), 8 10-14 Mon.
 *   第三方征求 Mon 10-14 (WD8). 12 WD later: 10-15 (1), 16, 17, 18 (4),
 *   21..25 (9), 28 (10), 29 (11), 30 (12) → 第三方回复 Wed 10-30.
 *   Those 12 do not count. Counting goes on from 10-31: WD9 10-31,
 *   10 11-01, 11..15 11-04..08, 16..19 11-11..14, 20 11-15 Fri.
 *   → without the extension the answer is due Fri 2024-11-15.
 *   延期批准 Tue 11-05 (before 11-15: it counts); 20 WD more: 21..25
 *   11-18..22, 26..30 11-25..29, 31..35 12-02..06, 36..39 12-09..12,
 *   40 12-13 Fri.
 *   → the answer is due Fri 2024-12-13.
 */
static void test_request_s7(void **state)
{
	req_fx *f = *state;
	clock_request r;
	const char *j;

	/* on WD 6, after the notice: waiting for the 补正, no due date */
	j = req_json("2024-09-13", "补正告知", "2024-09-23", NULL);
	eval(f, j, "2024-09-24", &r);
	assert_date(r.received, "2024-09-13");
	assert_date(r.correction_due, "2024-09-25");
	assert_int_equal(r.correction, CLOCK_CORR_ASKED);
	assert_date(r.correction_asked, "2024-09-23");
	assert_true(r.awaiting_correction);
	assert_int_equal(r.due, 0);
	assert_false(r.overdue);
	assert_non_null(strstr(r.state, "waiting for the 补正"));
	/* waiting long is not overdue either (the applicant's turn) */
	eval(f, j, "2025-03-01", &r);
	assert_false(r.overdue);
	assert_true(r.awaiting_correction);

	/* the 补正 arrives Fri 09-27: 20 WD from it: 09-29 Sun 1, 09-30 2,
	 * 10-08..11 3-6, 10-12 Sat 7, 10-14..18 8-12, 10-21..25 13-17,
	 * 10-28 18, 10-29 19, 10-30 20 → due 2024-10-30 */
	j = req_json("2024-09-13", "补正告知", "2024-09-23", "补正收到",
	             "2024-09-27", NULL);
	eval(f, j, "2024-10-08", &r);
	assert_false(r.awaiting_correction);
	assert_date(r.correction_received, "2024-09-27");
	assert_date(r.start, "2024-09-27");
	assert_date(r.due, "2024-10-30");
	/* as of 10-08 (WD3): 10-09 .. 10-30 hold 17 working days left */
	assert_int_equal(r.workdays_left, 17);

	/* consultation open since 10-14, as of Fri 10-18: paused 10-15..18
	 * (4 WD), so due moves 4 WD: 10-30 → 10-31, 11-01, 11-04, 11-05 */
	j = req_json("2024-09-13", "补正告知", "2024-09-23", "补正收到",
	             "2024-09-27", "第三方征求", "2024-10-14", NULL);
	eval(f, j, "2024-10-18", &r);
	assert_true(r.consulting);
	assert_false(r.consult_overdue);
	assert_date(r.due, "2024-11-05");
	assert_int_equal(r.paused_workdays, 4);
	assert_non_null(strstr(r.state, "paused"));
	/* still open on 11-05 (16 WD after 10-14: 10-15 1 … 10-30 12, 10-31
	 * 13, 11-01 14, 11-04 15, 11-05 16): past its 15 WD; the pause runs
	 * to today, so the answer is not overdue */
	eval(f, j, "2024-11-05", &r);
	assert_true(r.consult_overdue);
	assert_false(r.overdue);
	assert_non_null(strstr(r.state, "past its 15 working days"));

	/* the reply on 10-30 (12 WD), then the extension on 11-05 */
	j = req_json("2024-09-13", "补正告知", "2024-09-23", "补正收到",
	             "2024-09-27", "第三方征求", "2024-10-14", "第三方回复",
	             "2024-10-30", NULL);
	eval(f, j, "2024-11-04", &r);
	assert_false(r.consulting);
	assert_int_equal(r.paused_workdays, 12);
	assert_date(r.due, "2024-11-15");
	assert_false(r.extended);

	j = req_json("2024-09-13", "补正告知", "2024-09-23", "补正收到",
	             "2024-09-27", "第三方征求", "2024-10-14", "第三方回复",
	             "2024-10-30", "延期批准", "2024-11-05", NULL);
	eval(f, j, "2024-11-20", &r);
	assert_true(r.extended);
	assert_false(r.extension_late);
	assert_date(r.due, "2024-12-13");
	assert_int_equal(r.paused_workdays, 12);
	assert_false(r.overdue);
	assert_int_equal(r.correction, CLOCK_CORR_ASKED);
	assert_int_equal(r.ignored_events, 0);
	assert_int_equal(r.uncovered, 0);
	/* the last day itself: not overdue, nothing left */
	eval(f, j, "2024-12-13", &r);
	assert_false(r.overdue);
	assert_int_equal(r.workdays_left, 0);
	/* Sat 12-14: overdue, 0 working days late; Mon 12-16: 1 */
	eval(f, j, "2024-12-14", &r);
	assert_true(r.overdue);
	assert_int_equal(r.workdays_late, 0);
	eval(f, j, "2024-12-16", &r);
	assert_true(r.overdue);
	assert_int_equal(r.workdays_late, 1);
	assert_non_null(strstr(r.state, "OVERDUE"));
	assert_non_null(strstr(r.state, "2024-12-13"));

	/* answered on the last day: on time; the day after: late */
	j = req_json("2024-09-13", "补正告知", "2024-09-23", "补正收到",
	             "2024-09-27", "第三方征求", "2024-10-14", "第三方回复",
	             "2024-10-30", "延期批准", "2024-11-05", "答复", "2024-12-13",
	             NULL);
	eval(f, j, "2025-06-01", &r);
	assert_true(r.answered);
	assert_date(r.answered_on, "2024-12-13");
	assert_false(r.late);
	assert_false(r.overdue);
	assert_non_null(strstr(r.state, "on time"));
	j = req_json("2024-09-13", "补正告知", "2024-09-23", "补正收到",
	             "2024-09-27", "第三方征求", "2024-10-14", "第三方回复",
	             "2024-10-30", "延期批准", "2024-11-05", "答复", "2024-12-16",
	             NULL);
	eval(f, j, "2025-06-01", &r);
	assert_true(r.late);
	assert_int_equal(r.workdays_late, 1);
	assert_false(r.overdue);
}

/*
 * The plain clock, and when it is overdue. Received Mon 2024-09-30
 * (online, confirmed that day). 20 WD: 10-01..07 off; 10-08..11 WD1-4,
 * 10-12 Sat WD5, 10-14..18 6-10, 10-21..25 11-15, 10-28..31 16-19,
 * 11-01 Fri WD20 → due 2024-11-01. The 补正 notice is due on WD7:
 * 10-08 1 … 10-12 5, 10-14 6, 10-15 7 → 2024-10-15.
 */
static void test_request_overdue(void **state)
{
	req_fx *f = *state;
	clock_request r;
	const char *j = req_json("2024-09-30", NULL);

	eval(f, j, "2024-10-08", &r);
	assert_date(r.due, "2024-11-01");
	assert_date(r.correction_due, "2024-10-15");
	assert_int_equal(r.correction, CLOCK_CORR_OPEN);
	assert_false(r.overdue);
	assert_int_equal(r.workdays_left, 19);
	assert_non_null(strstr(r.state, "open: answer due 2024-11-01"));
	/* the 补正 window has closed by 10-16 */
	eval(f, j, "2024-10-16", &r);
	assert_int_equal(r.correction, CLOCK_CORR_NONE);
	eval(f, j, "2024-11-01", &r);
	assert_false(r.overdue);
	eval(f, j, "2024-11-04", &r); /* Mon; 11-02, 03 weekend */
	assert_true(r.overdue);
	assert_int_equal(r.workdays_late, 1);
	eval(f, j, "2024-12-02", &r); /* 11-04..29 = 20, 12-02 = 21 */
	assert_int_equal(r.workdays_late, 21);

	/* a 补正 notice after its 7 WD is late (10-16 > 10-15) */
	j = req_json("2024-09-30", "补正告知", "2024-10-16", NULL);
	eval(f, j, "2024-10-16", &r);
	assert_int_equal(r.correction, CLOCK_CORR_LATE);
	assert_non_null(strstr(r.state, "after its 7 working days"));
	/* on 10-15, the last day, it is on time */
	j = req_json("2024-09-30", "补正告知", "2024-10-15", NULL);
	eval(f, j, "2024-10-16", &r);
	assert_int_equal(r.correction, CLOCK_CORR_ASKED);

	/* an extension approved after the due date does not count */
	j = req_json("2024-09-30", "延期批准", "2024-11-04", NULL);
	eval(f, j, "2024-11-05", &r);
	assert_true(r.extension_late);
	assert_false(r.extended);
	assert_date(r.due, "2024-11-01");
	assert_true(r.overdue);
	assert_non_null(strstr(r.state, "does not count"));
	/* approved on the last day, it does: 20 more WD from 11-01:
	 * 11-04..08 1-5, 11-11..15 6-10, 11-18..22 11-15, 11-25..29 16-20
	 * → 2024-11-29 */
	j = req_json("2024-09-30", "延期批准", "2024-11-01", NULL);
	eval(f, j, "2024-11-05", &r);
	assert_true(r.extended);
	assert_date(r.due, "2024-11-29");
	assert_false(r.overdue);

	/* a consultation begun when the answer was already late saves
	 * nothing: the 20 WD were used up by 11-01 */
	j = req_json("2024-09-30", "第三方征求", "2024-11-05", "第三方回复",
	             "2024-11-08", NULL);
	eval(f, j, "2024-11-11", &r);
	assert_date(r.due, "2024-11-01");
	assert_int_equal(r.paused_workdays, 0);
	assert_true(r.overdue);
}

/* Consultations: open ones last until today; overlapping ones count once;
 * replies close them by kind. */
static void test_request_consultations(void **state)
{
	req_fx *f = *state;
	clock_request r;
	const char *j;

	/* received Fri 2024-11-01; 第三方征求 Mon 11-04 (WD1), no reply.
	 * As of Fri 11-22: paused 11-05..22 (14 WD). Counting: WD1 11-04;
	 * 2..6 11-25..29; 7..11 12-02..06; 12..16 12-09..13; 17..20
	 * 12-16..19 → due 2024-12-19. The third party's 15 WD run to 11-25
	 * (11-05..08 1-4, 11..15 5-9, 18..22 10-14, 25 15): not past yet. */
	j = req_json("2024-11-01", "第三方征求", "2024-11-04", NULL);
	eval(f, j, "2024-11-22", &r);
	assert_true(r.consulting);
	assert_false(r.consult_overdue);
	assert_date(r.due, "2024-12-19");
	assert_int_equal(r.paused_workdays, 14);
	/* As of Fri 11-29: paused through 11-29; WD1 11-04; 2..6 12-02..06;
	 * 7..11 12-09..13; 12..16 12-16..20; 17..20 12-23..26 → 12-26;
	 * and past the 15 WD (11-25) */
	eval(f, j, "2024-11-29", &r);
	assert_date(r.due, "2024-12-26");
	assert_true(r.consult_overdue);
	assert_false(r.overdue);

	/* two kinds overlapping: third party 10-08..10-15, another agency
	 * 10-10..10-18, received Mon 09-30: paused (10-08, 10-18] = 10-09,
	 * 10, 11, 12 (Sat, 调休), 14, 15, 16, 17, 18 = 9 WD, once.
	 * Counting: 10-08 WD1; 10-21..25 2-6; 10-28..11-01 7-11; 11-04..08
	 * 12-16; 11-11..14 17-20 → due 2024-11-14 */
	j = req_json("2024-09-30", "第三方征求", "2024-10-08", "他机关征求",
	             "2024-10-10", "第三方回复", "2024-10-15", "他机关回复",
	             "2024-10-18", NULL);
	eval(f, j, "2024-10-21", &r);
	assert_int_equal(r.paused_workdays, 9);
	assert_date(r.due, "2024-11-14");
	assert_false(r.consulting);

	/* two third parties asked; one reply leaves the pause open */
	j = req_json("2024-09-30", "第三方征求", "2024-10-08", "第三方征求",
	             "2024-10-08", "第三方回复", "2024-10-10", NULL);
	eval(f, j, "2024-10-11", &r);
	assert_true(r.consulting);
	/* paused (10-08, 10-11]: 10-09, 10, 11 = 3 WD; due 11-01 + 3 WD
	 * = 11-04, 05, 06 → 2024-11-06 */
	assert_date(r.due, "2024-11-06");

	/* a reply with nothing open, a 补正收到 with no 补正 asked, a second
	 * 补正 notice and a second extension are ignored, and said so */
	j = req_json("2024-09-30", "第三方回复", "2024-10-08", "补正收到",
	             "2024-10-08", NULL);
	eval(f, j, "2024-10-09", &r);
	assert_int_equal(r.ignored_events, 2);
	assert_date(r.due, "2024-11-01");
	assert_date(r.start, "2024-09-30");
	assert_non_null(strstr(r.state, "2 events out of place ignored"));

	/* answered while a consultation is open: the pause ends there */
	j = req_json("2024-09-30", "第三方征求", "2024-10-08", "答复",
	             "2024-10-10", NULL);
	eval(f, j, "2024-12-01", &r);
	assert_true(r.answered);
	assert_false(r.consulting);
	assert_false(r.late);
	assert_int_equal(r.paused_workdays, 2);

	/* answered while still waiting for the 补正 */
	j = req_json("2024-09-30", "补正告知", "2024-10-08", "答复", "2024-12-20",
	             NULL);
	eval(f, j, "2025-01-10", &r);
	assert_true(r.answered);
	assert_int_equal(r.due, 0);
	assert_false(r.late);
	assert_false(r.overdue);
	assert_non_null(strstr(r.state, "while still waiting"));
}

/* A year the calendar does not cover is counted Monday to Friday, and
 * the clock says so. */
static void test_request_uncovered(void **state)
{
	req_fx *f = *state;
	clock_request r;

	/* received Mon 2026-09-28: Mon–Fri only (no 2026 notice here), so
	 * 10-01 counts: 09-29 1, 09-30 2, 10-01 3, 10-02 4, 10-05..09 5-9,
	 * 10-12..16 10-14, 10-19..23 15-19, 10-26 20 → 2026-10-26 */
	eval(f, req_json("2026-09-28", NULL), "2026-10-01", &r);
	assert_true(r.uncovered);
	assert_date(r.due, "2026-10-26");
	assert_non_null(strstr(r.state, "Monday–Friday assumed"));
	/* a 2024 request, all within 2024: covered */
	eval(f, req_json("2024-09-30", NULL), "2024-10-01", &r);
	assert_false(r.uncovered);
}

static void test_request_refusals(void **state)
{
	static const struct {
		const char *json, *word;
		int rc;
	} bad[] = {
		{ "{\"id\":\"R-1\",\"received\":", "", STORE_EJSON },
		{ "[]", "id", STORE_ESCHEMA },
		{ "{\"received\":\"2024-09-30\",\"events\":[]}", "id",
		  STORE_ESCHEMA },
		{ "{\"id\":\"R-1\",\"events\":[]}", "received", STORE_ESCHEMA },
		{ "{\"id\":\"R-1\",\"received\":\"2024-9-30\",\"events\":[]}",
		  "received", STORE_ESCHEMA },
		{ "{\"id\":\"R-1\",\"received\":\"2024-09-30\"}", "events",
		  STORE_ESCHEMA },
		{ "{\"id\":\"R-1\",\"received\":\"2024-09-30\",\"events\":[{"
		  "\"type\":\"答复\"}]}", "event 1", STORE_ESCHEMA },
		{ "{\"id\":\"R-1\",\"received\":\"2024-09-30\",\"events\":[{"
		  "\"type\":\"催办\",\"date\":\"2024-10-08\"}]}", "unknown type",
		  STORE_ESCHEMA },
		{ "{\"id\":\"R-1\",\"received\":\"2024-09-30\",\"events\":[{"
		  "\"date\":\"2024-10-08\"}]}", "unknown type", STORE_ESCHEMA },
	};
	req_fx *f = *state;
	clock_request r;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		int rc = clock_request_eval(&f->c, bad[i].json, strlen(bad[i].json),
		                            D("2024-10-10"), &r, why, sizeof(why));
		if (rc != bad[i].rc || strstr(why, bad[i].word) == NULL)
			fail_msg("case %zu: rc %d, why '%s'", i, rc, why);
	}
}

/* ---- the calendar in a store ---------------------------------------------------- */

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void commit_calendar(store *st, keys_secret *sk, int year, int want)
{
	char *data, *canon = NULL, path[64], out[STORE_OID_HEX];
	size_t len, clen;
	store_change ch;

	data = example_calendar(year, &len);
	snprintf(path, sizeof(path), "calendar/%d.json", year);
	assert_int_equal(store_record_prepare(&canon, &clen, path, data, len), 0);
	ch = (store_change){ path, canon, clen };
	assert_int_equal(store_commit(st, sk, &ch, 1, "calendar", out), want);
	free(canon);
	free(data);
}

/* clock_calendar_load: the province's own history at the province, its
 * replica elsewhere; an empty calendar where it has none. */
static void test_calendar_load(void **state)
{
	char tmpl[] = "/tmp/govfed-dates-XXXXXX", path[256], why[256];
	char out[STORE_OID_HEX], head[STORE_OID_HEX];
	store *p = NULL, *c = NULL;
	keys_secret *pk = NULL, *ck = NULL;
	store_identity pid, cid;
	store_buf pack = { NULL, 0 };
	store_import_result res;
	calendar cal;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(keys_secret_generate(&pk), 0);
	assert_int_equal(keys_secret_generate(&ck), 0);
	memset(&pid, 0, sizeof(pid));
	snprintf(pid.id, sizeof(pid.id), "350000");
	pid.level = STORE_LEVEL_PROVINCE;
	snprintf(pid.name, sizeof(pid.name), "福建省");
	pid.key = *keys_secret_public(pk);
	memset(&cid, 0, sizeof(cid));
	snprintf(cid.id, sizeof(cid.id), "350100");
	cid.level = STORE_LEVEL_CITY;
	snprintf(cid.name, sizeof(cid.name), "福州市");
	snprintf(cid.parent, sizeof(cid.parent), "350000");
	cid.key = *keys_secret_public(ck);

	snprintf(path, sizeof(path), "%s/p.git", tmpl);
	assert_int_equal(store_create(&p, path, 0), 0);
	store_set_root(p, keys_secret_public(pk));
	assert_int_equal(store_genesis(p, pk, &pid, out), 0);
	snprintf(path, sizeof(path), "%s/c.git", tmpl);
	assert_int_equal(store_create(&c, path, 0), 0);
	assert_int_equal(store_genesis(c, ck, &cid, out), 0);

	/* nothing published yet: empty, no error */
	calendar_init(&cal);
	assert_int_equal(clock_calendar_load(p, &cal, why, sizeof(why)), 0);
	assert_int_equal(cal.nyears, 0);
	calendar_free(&cal);

	commit_calendar(p, pk, 2024, 0);
	commit_calendar(p, pk, 2025, 0);
	/* a city may not publish one */
	commit_calendar(c, ck, 2024, STORE_EREJECT);

	calendar_init(&cal);
	assert_int_equal(clock_calendar_load(p, &cal, why, sizeof(why)), 0);
	assert_int_equal(cal.nyears, 2);
	assert_date(clock_interp_due(&cal, D("2024-09-30"), NULL), "2024-10-10");
	calendar_free(&cal);

	/* the city, before it holds the province's history: empty */
	calendar_init(&cal);
	assert_int_equal(clock_calendar_load(c, &cal, why, sizeof(why)), 0);
	assert_int_equal(cal.nyears, 0);
	calendar_free(&cal);
	/* ... and after: the province's calendar */
	assert_int_equal(store_pack_build(p, NULL, NULL, &pack, head), 0);
	assert_int_equal(store_import(c, keys_secret_public(pk), "350000", head,
	                              pack.ptr, pack.len, &res), 0);
	store_buf_free(&pack);
	calendar_init(&cal);
	assert_int_equal(clock_calendar_load(c, &cal, why, sizeof(why)), 0);
	assert_int_equal(cal.nyears, 2);
	assert_true(calendar_covers(&cal, 2025));
	assert_date(calendar_add_workdays(&cal, D("2025-01-24"), 3, NULL),
	            "2025-02-05");
	calendar_free(&cal);

	store_free(p);
	store_free(c);
	keys_secret_free(pk);
	keys_secret_free(ck);
	nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_date_weekday),
		cmocka_unit_test(test_calendar_examples),
		cmocka_unit_test(test_interp_due),
		cmocka_unit_test(test_add_workdays),
		cmocka_unit_test(test_calendar_refusals),
		cmocka_unit_test(test_deadline_forms),
		cmocka_unit_test(test_deadline_refusals),
		cmocka_unit_test(test_deadline_workplan),
		cmocka_unit_test_setup_teardown(test_request_s7, req_setup,
		                                req_teardown),
		cmocka_unit_test_setup_teardown(test_request_overdue, req_setup,
		                                req_teardown),
		cmocka_unit_test_setup_teardown(test_request_consultations,
		                                req_setup, req_teardown),
		cmocka_unit_test_setup_teardown(test_request_uncovered, req_setup,
		                                req_teardown),
		cmocka_unit_test_setup_teardown(test_request_refusals, req_setup,
		                                req_teardown),
		cmocka_unit_test(test_calendar_load),
	};

	if (keys_init() != 0 || store_global_init() != 0) {
		fprintf(stderr, "cannot initialise keys/store\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
