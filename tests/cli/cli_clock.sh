#!/usr/bin/env bash
# cli_clock.sh — govfed calendar (the province's working-day calendar) and
# govfed request (依申请公开 applications and their statutory clock) with
# real stores; histories carried between homes as bundles. Every refusal
# is checked for its exit code, its message and an unmoved store.
source "$(dirname "$0")/lib.sh"

federation # P 350000, C 350100, D 350104, S 350104004
CAL=$ROOT/examples/calendar

jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
# refused WANT_RC HOME MESSAGE cmd...: refused with MESSAGE, store unmoved
refused() {
	local want=$1 home=$2 msg=$3 before
	shift 3
	before=$(state_of "$home")
	g "$want" "$@"
	err_has "$msg"
	same "$(state_of "$home")" "$before" "nothing written by: $*"
}

# -- help
for sub in put show add-workdays; do
	g 0 "$GOVFED" calendar "$sub" --help
	out_has "usage: govfed calendar put"
done
for sub in open event show list; do
	g 0 "$GOVFED" request "$sub" --help
	out_has "usage: govfed request open"
done
g 2 "$GOVFED" calendar frob --home "$P"
err_has "'frob' is not a calendar command"
g 2 "$GOVFED" request frob --home "$P"
err_has "'frob' is not a request command"

# -- calendar put: the province publishes; the store holds the record
g 0 "$GOVFED" calendar put --home "$P" --file "$CAL/2024.json"
out_has "calendar/2024.json"
g 0 "$GOVFED" calendar put --home "$P" --file "$CAL/2025.json" --json
out_has '"unchanged":false'
g 0 "$GOVFED" calendar put --home "$P" --file "$CAL/2020.json"
g 0 git --git-dir="$P/store.git" show HEAD:calendar/2024.json
out_has '"2024-10-12"'
out_has '国办发明电〔2023〕7号'
# the same again: no commit
before=$(head_of "$P")
g 0 "$GOVFED" calendar put --home "$P" --file "$CAL/2024.json"
out_has "unchanged"
same "$(head_of "$P")" "$before" "an unchanged put made no commit"

# refused below the province, before anything is written
refused 1 "$C" "published by the province" \
	"$GOVFED" calendar put --home "$C" --file "$CAL/2024.json"
err_has "350100 (city)"
refused 1 "$S" "published by the province" \
	"$GOVFED" calendar put --home "$S" --file "$CAL/2024.json"

# bad calendars, refused with the reason and nothing written
bad() { # bad NAME JSON
	printf '%s\n' "$2" >"$T/$1.json"
}
bad tue '{"year":2024,"holidays":[],"workdays":["2024-10-08"]}'
refused 1 "$P" "2024-10-08 is not a Saturday or Sunday" \
	"$GOVFED" calendar put --home "$P" --file "$T/tue.json"
bad order '{"year":2024,"holidays":[{"name":"国庆节","from":"2024-10-07","to":"2024-10-01"}],"workdays":[]}'
refused 1 "$P" "ends before it starts" \
	"$GOVFED" calendar put --home "$P" --file "$T/order.json"
bad outside '{"year":2024,"holidays":[{"name":"元旦","from":"2023-12-30","to":"2024-01-01"}],"workdays":[]}'
refused 1 "$P" "dates of 2024" \
	"$GOVFED" calendar put --home "$P" --file "$T/outside.json"
bad inside '{"year":2024,"holidays":[{"name":"国庆节","from":"2024-10-01","to":"2024-10-07"}],"workdays":["2024-10-05"]}'
refused 1 "$P" "both a holiday and a working day" \
	"$GOVFED" calendar put --home "$P" --file "$T/inside.json"
bad unknown '{"year":2024,"holidays":[],"workdays":[],"notice":"x"}'
refused 1 "$P" "notice" \
	"$GOVFED" calendar put --home "$P" --file "$T/unknown.json"
bad notjson '{"year":2024,'
refused 1 "$P" "notjson.json" \
	"$GOVFED" calendar put --home "$P" --file "$T/notjson.json"
refused 1 "$P" "cannot open calendar file" \
	"$GOVFED" calendar put --home "$P" --file "$T/missing.json"
refused 2 "$P" "--home and --file are required" \
	"$GOVFED" calendar put --home "$P"

# -- calendar show
g 0 "$GOVFED" calendar show --home "$P"
out_has "2024  published by 350000"
out_has "working  2024-09-29  Sunday (调休)"
out_has "holiday  2024-10-01 .. 2024-10-07  国庆节"
g 0 "$GOVFED" calendar show --home "$P" --json
cp "$T/out" "$T/cal.json"
same "$(jget "$T/cal.json" 'd["province"], [c["year"] for c in d["calendars"]]')" \
	"('350000', [2020, 2024, 2025])" "calendar show --json"
g 0 "$GOVFED" calendar show --home "$P" --year 2025 --json
same "$(jget "$T/out" '[c["year"] for c in d["calendars"]]')" "[2025]" "--year"
g 1 "$GOVFED" calendar show --home "$P" --year 2023
err_has "no calendar of 2023"
g 2 "$GOVFED" calendar show --home "$P" --year 20x4
err_has "--year '20x4'"
# the city holds no province history yet: Monday to Friday
g 0 "$GOVFED" calendar show --home "$C"
out_has "not held here yet"

# -- add-workdays: the operator's calculator
# Mon 2024-09-30 + 3: 10-01..07 off; 10-08, 09, 10
g 0 "$GOVFED" calendar add-workdays --home "$P" --from 2024-09-30 --days 3
out_has "2024-10-10 (Thursday)"
# Fri 2024-10-11 + 1: Sat 10-12 is a working day (调休)
g 0 "$GOVFED" calendar add-workdays --home "$P" --from 2024-10-11 --days 1 --json
same "$(jget "$T/out" 'd["date"], d["weekday"], d["uncovered"]')" \
	"('2024-10-12', 'Saturday', False)" "the working Saturday"
# into 2026, which has no calendar: said so
g 0 "$GOVFED" calendar add-workdays --home "$P" --from 2025-12-30 --days 3
out_has "2026-01-02"
out_has "not covered by the province's calendar: 2026"
# at the city, before and after it holds the province's history
g 0 "$GOVFED" calendar add-workdays --home "$C" --from 2024-09-30 --days 3 --json
same "$(jget "$T/out" 'd["date"], d["uncovered_years"]')" "('2024-10-03', [2024])" \
	"Monday to Friday without a calendar"
carry "$P" "$C"
g 0 "$GOVFED" calendar add-workdays --home "$C" --from 2024-09-30 --days 3 --json
same "$(jget "$T/out" 'd["date"], d["uncovered_years"]')" "('2024-10-10', [])" \
	"the province's calendar at the city"
g 0 "$GOVFED" calendar show --home "$C"
out_has "2025  published by 350000"
g 2 "$GOVFED" calendar add-workdays --home "$P" --from 2024-9-30 --days 3
err_has "--from '2024-9-30' is not a date"
g 2 "$GOVFED" calendar add-workdays --home "$P" --from 2024-09-30 --days -1
err_has "--days '-1'"
g 2 "$GOVFED" calendar add-workdays --home "$P" --from 2024-09-30 --days 3x
g 2 "$GOVFED" calendar add-workdays --home "$P" --from 2024-09-30

# -- the district and the township hold their ancestors' histories
carry "$C" "$D" 350000 350100
carry "$D" "$S" 350000 350100 350104

# -- a request's life at the township: scenario S7 (domain.md §4)
R=(request event --home "$S" --id YSQ-2024-001)
g 0 "$GOVFED" request open --home "$S" --id YSQ-2024-001 --received 2024-09-13 \
	--channel 网络 --summary "申请公开某地块征收补偿方案"
out_has "requests/YSQ-2024-001.json"
g 0 git --git-dir="$S/store.git" show HEAD:requests/YSQ-2024-001.json
out_has '"channel": "网络"'
out_has '"events": []'
g 0 "$GOVFED" request show --home "$S" --id YSQ-2024-001 --today 2024-09-20 --json
same "$(jget "$T/out" 'd["clock"]["correction_due"], d["clock"]["due"], d["clock"]["state"][:4]')" \
	"('2024-09-25', '2024-10-17', 'open')" "just received"
g 0 "$GOVFED" "${R[@]}" --type 补正告知 --date 2024-09-23
out_has "waiting for the 补正"
g 0 "$GOVFED" "${R[@]}" --type 补正收到 --date 2024-09-27
g 0 "$GOVFED" "${R[@]}" --type 第三方征求 --date 2024-10-14
g 0 "$GOVFED" "${R[@]}" --type 第三方回复 --date 2024-10-30
g 0 "$GOVFED" "${R[@]}" --type 延期批准 --date 2024-11-05 --json
same "$(jget "$T/out" 'd["due"]')" "2024-12-13" "S7: the due date"
g 0 "$GOVFED" request show --home "$S" --id YSQ-2024-001 --today 2024-11-20 --json
cp "$T/out" "$T/s7.json"
same "$(jget "$T/s7.json" 'd["node"], d["clock"]["due"], d["clock"]["paused_workdays"], d["clock"]["extended"], d["clock"]["overdue"]')" \
	"('350104004', '2024-12-13', 12, True, False)" "S7 clock"
same "$(jget "$T/s7.json" 'len(d["request"]["events"]), d["request"]["summary"]')" \
	"(5, '申请公开某地块征收补偿方案')" "S7 record"
g 0 "$GOVFED" request show --home "$S" --id YSQ-2024-001 --today 2024-11-20
out_has "answer due      2024-12-13"
out_has "2024-10-14  第三方征求"
# overdue the Monday after the due date, not on it
g 0 "$GOVFED" request list --home "$S" --overdue --today 2024-12-13 --json
same "$(jget "$T/out" 'len(d["requests"])')" "0" "not overdue on the last day"
g 0 "$GOVFED" request list --home "$S" --overdue --today 2024-12-16 --json
same "$(jget "$T/out" '[(r["node"], r["id"], r["clock"]["workdays_late"]) for r in d["requests"]]')" \
	"[('350104004', 'YSQ-2024-001', 1)]" "overdue at the township"
# $GOVFED_NOW sets today when --today is not given (08:00 in China)
GOVFED_NOW=2024-12-16T00:00:00Z g 0 "$GOVFED" request list --home "$S" --json
same "$(jget "$T/out" 'd["today"], d["requests"][0]["clock"]["overdue"]')" \
	"('2024-12-16', True)" "GOVFED_NOW"

# -- bad events: refused, nothing written
refused 1 "$S" "before 2024-11-05, the last event" \
	"$GOVFED" "${R[@]}" --type 答复 --date 2024-11-01
refused 1 "$S" "the 补正 has arrived already" \
	"$GOVFED" "${R[@]}" --type 补正收到 --date 2024-12-01
refused 1 "$S" "one notice" \
	"$GOVFED" "${R[@]}" --type 补正告知 --date 2024-12-01
refused 1 "$S" "no third party is being consulted" \
	"$GOVFED" "${R[@]}" --type 第三方回复 --date 2024-12-01
refused 1 "$S" "no other agency is being consulted" \
	"$GOVFED" "${R[@]}" --type 他机关回复 --date 2024-12-01
refused 1 "$S" "an extension was approved already" \
	"$GOVFED" "${R[@]}" --type 延期批准 --date 2024-12-01
refused 1 "$S" "is after today" \
	"$GOVFED" "${R[@]}" --type 答复 --date 2199-01-01
refused 2 "$S" "--type '催办' must be one of" \
	"$GOVFED" "${R[@]}" --type 催办 --date 2024-12-01
refused 2 "$S" "--date '2024-12-1' is not a date" \
	"$GOVFED" "${R[@]}" --type 答复 --date 2024-12-1
refused 1 "$S" "no request YSQ-9" \
	"$GOVFED" request event --home "$S" --id YSQ-9 --type 答复 --date 2024-12-01
refused 2 "$S" "--home, --id, --type and --date are required" \
	"$GOVFED" request event --home "$S" --id YSQ-2024-001 --type 答复
# the answer closes the clock
g 0 "$GOVFED" "${R[@]}" --type 答复 --date 2024-12-13
out_has "answered 2024-12-13, on time (due 2024-12-13)"
refused 1 "$S" "its clock is closed" \
	"$GOVFED" "${R[@]}" --type 第三方征求 --date 2024-12-14

# -- bad applications: refused, nothing written
O=(request open --home "$S")
refused 1 "$S" "recorded already" \
	"$GOVFED" "${O[@]}" --id YSQ-2024-001 --received 2024-09-13 --channel 网络
refused 2 "$S" "--id '../x' must be" \
	"$GOVFED" "${O[@]}" --id ../x --received 2024-09-13 --channel 网络
refused 2 "$S" "--id" \
	"$GOVFED" "${O[@]}" --id "$(printf 'A%.0s' {1..65})" --received 2024-09-13 --channel 网络
refused 2 "$S" "--channel '微信' must be one of" \
	"$GOVFED" "${O[@]}" --id YSQ-2 --received 2024-09-13 --channel 微信
refused 2 "$S" "--received '2024-02-30' is not a date" \
	"$GOVFED" "${O[@]}" --id YSQ-2 --received 2024-02-30 --channel 网络
refused 1 "$S" "is after today" \
	"$GOVFED" "${O[@]}" --id YSQ-2 --received 2199-01-01 --channel 网络
refused 1 "$S" "summary" \
	"$GOVFED" "${O[@]}" --id YSQ-2 --received 2024-09-13 --channel 网络 \
	--summary "$(printf 'a\001b')"
refused 1 "$S" "summary" \
	"$GOVFED" "${O[@]}" --id YSQ-2 --received 2024-09-13 --channel 网络 \
	--summary "$(printf 'x%.0s' {1..2100})"
refused 2 "$S" "--home, --id, --received and --channel are required" \
	"$GOVFED" "${O[@]}" --id YSQ-2 --received 2024-09-13
g 2 "$GOVFED" request list --home "$S" --today 2024-13-01
err_has "--today '2024-13-01' is not a date"
g 2 "$GOVFED" request show --home "$S"
err_has "--id is required"
g 1 "$GOVFED" request show --home "$S" --id YSQ-9
err_has "no request YSQ-9 at this node"

# -- two more: one at the township left unanswered (overdue), one at the
#    district answered in time
g 0 "$GOVFED" "${O[@]}" --id YSQ-2024-002 --received 2024-09-30 --channel 邮寄
g 0 "$GOVFED" request open --home "$D" --id DQ-2024-07 --received 2024-09-30 \
	--channel 当面
g 0 "$GOVFED" request event --home "$D" --id DQ-2024-07 --type 答复 --date 2024-10-25
out_has "on time (due 2024-11-01)"

# -- every ancestor sees its descendants' applications, overdue ones too
carry "$S" "$D"
carry "$D" "$C" 350104 350104004
carry "$C" "$P" 350100 350104 350104004
for h in "$D" "$C" "$P"; do
	g 0 "$GOVFED" request list --home "$h" --overdue --today 2024-11-04 --json
	same "$(jget "$T/out" 'sorted((r["node"], r["id"], r["clock"]["due"]) for r in d["requests"])')" \
		"[('350104004', 'YSQ-2024-002', '2024-11-01')]" "overdue at $h"
done
g 0 "$GOVFED" request list --home "$C" --today 2024-11-04
out_has "350104004    YSQ-2024-002"
out_has "350104       DQ-2024-07"
out_has "OVERDUE: the answer was due 2024-11-01, 1 working day ago"
err_has "3 requests"
g 0 "$GOVFED" request list --home "$S" --today 2024-11-04 --json
same "$(jget "$T/out" 'sorted(r["id"] for r in d["requests"])')" \
	"['YSQ-2024-001', 'YSQ-2024-002']" "a township sees its own only"
g 0 "$GOVFED" request show --home "$P" --id YSQ-2024-002 --node 350104004 \
	--today 2024-11-04 --json
same "$(jget "$T/out" 'd["node"], d["clock"]["overdue"]')" "('350104004', True)" \
	"show --node"
g 1 "$GOVFED" request show --home "$P" --id YSQ-2024-002
err_has "it is recorded at 350104004: give --node"
g 1 "$GOVFED" request show --home "$P" --id YSQ-2024-002 --node 350200
err_has "350200's history is not held here"

# -- the auditor: every store verifies with the new records in it
for h in "$P" "$C" "$D" "$S"; do
	g 0 "$GOVFED" verify --store "$h/store.git" --root-key "$P/node.pub"
	out_has "verified:"
done

finish
