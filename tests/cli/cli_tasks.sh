#!/usr/bin/env bash
# cli_tasks.sh — govfed task: assign, import, report, list, show with real
# stores; histories carried between them as bundles. Every refusal is
# checked for its exit code, its message, and an unmoved head.
source "$(dirname "$0")/lib.sh"

federation # P 350000, C 350100, D 350104, S 350104004
S2=$T/s2   # a second township under D
g 0 "$GOVFED" init --home "$S2" --id 350104005 --level township --name 下渡街道 \
	--parent 350104 --root-key "$P/node.pub"
g 0 "$GOVFED" enroll --home "$D" --child-pub "$S2/node.pub" --id 350104005 \
	--level township --name 下渡街道

# the district holds its ancestors' histories (as sync would carry them)
carry "$P" "$D"
carry "$C" "$D"

# jq-free JSON reads: jget FILE EXPR (python expression over d)
jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
# refused WANT_RC HOME MESSAGE cmd...: refused with MESSAGE, head unmoved
refused() {
	local want=$1 home=$2 msg=$3 before
	shift 3
	before=$(state_of "$home")
	g "$want" "$@"
	err_has "$msg"
	same "$(state_of "$home")" "$before" "nothing written by: $*"
}

# ---- assign: validation --------------------------------------------------------
A=(task assign --home "$D")
refused 1 "$D" "is not a deadline" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 2020年13月底 --level township --assigned 2020-09-10
refused 1 "$D" "is not a deadline" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 下个月 --level township
refused 1 "$D" "a district assigns tasks to levels below it" "$GOVFED" "${A[@]}" \
	--id t1 --title 部署 --deadline 长期 --level district
refused 1 "$D" "a district assigns tasks to levels below it" "$GOVFED" "${A[@]}" \
	--id t1 --title 部署 --deadline 长期 --level city
refused 2 "$D" "is not a level" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期 --level province
refused 1 "$D" "no such task" "$GOVFED" "${A[@]}" --id t1 --from 350100/NOPE \
	--level township
refused 1 "$D" "is not an ancestor" "$GOVFED" "${A[@]}" --id t1 \
	--from 350104004/x --level township
refused 2 "$D" "is not NODE/TASK" "$GOVFED" "${A[@]}" --id t1 --from nope \
	--level township
refused 2 "$D" "is not a task id" "$GOVFED" "${A[@]}" --id -t1 --title 部署 \
	--deadline 长期 --level township
refused 2 "$D" "one of them" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期 --level township --to 350104004
refused 2 "$D" "one of them" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期
refused 1 "$D" "is this node" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期 --to 350104
refused 1 "$D" "is not below 350104" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期 --to 350100
refused 2 "$D" "is not a node id" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期 --to 35010400
refused 1 "$D" "not the division code of a level below district" "$GOVFED" \
	"${A[@]}" --id t1 --title 部署 --deadline 长期 --to 350112
refused 1 "$D" "is before the assignment date 2020-10-01" "$GOVFED" "${A[@]}" \
	--id t1 --title 部署 --deadline 2020年9月中旬 --assigned 2020-10-01 \
	--level township
refused 2 "$D" "is not a date" "$GOVFED" "${A[@]}" --id t1 --title 部署 \
	--deadline 长期 --assigned 2020-9-1 --level township
refused 2 "$D" "--title must be" "$GOVFED" "${A[@]}" --id t1 --title "" \
	--deadline 长期 --level township
refused 2 "$D" "--title must be" "$GOVFED" "${A[@]}" --id t1 \
	--title "$(printf 'a\nb')" --deadline 长期 --level township
refused 1 "$S" "a township assigns tasks to levels below it" "$GOVFED" task assign \
	--home "$S" --id t1 --title x --deadline 长期 --level district
g 2 "$GOVFED" task assign --home "$D"
g 0 "$GOVFED" task --help
out_has "task import"

# ---- assign: deadlines normalised, text kept ---------------------------------------
g 0 "$GOVFED" "${A[@]}" --id T.1 --title 建立依申请公开工作机制 \
	--requirement 制定依申请公开流程图 --deadline 2020年10月23日前 \
	--assigned 2020-09-10 --level township --lead 区政府办 --support 区司法局 --json
cp "$T/out" "$T/t1.json"
same "$(jget "$T/t1.json" 'd["task"]["deadline"]')" \
	"{'due': '2020-10-23', 'kind': 'date', 'text': '2020年10月23日前'}" "date deadline"
same "$(jget "$T/t1.json" 'd["task"]["responsible"]')" \
	"[{'role': '牵头', 'unit': '区政府办'}, {'role': '配合', 'unit': '区司法局'}]" "units"
same "$(git --git-dir="$D/store.git" show HEAD:tasks/T.1.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["assignees"])')" \
	"{'level': 'township'}" "committed record"
refused 1 "$D" "already has a task T.1" "$GOVFED" "${A[@]}" --id T.1 --title x \
	--deadline 长期 --level township
g 0 "$GOVFED" "${A[@]}" --id T.2 --title 上报 --deadline 20个工作日内 \
	--assigned 2020-09-10 --to 350104004,350104005 --json
# no calendar published: Monday to Friday, said so
same "$(jget "$T/out" 'd["task"]["deadline"]')" \
	"{'due': '2020-10-08', 'kind': 'workdays', 'text': '20个工作日内', 'workdays': 20}" \
	"working-day deadline"
err_has "Monday–Friday"
g 0 "$GOVFED" "${A[@]}" --id T.3 --title 长期公开 --deadline 长期 \
	--assigned 2020-09-10 --to 350104005,350104009
err_has "350104009 is not known here"
same "$(git --git-dir="$D/store.git" show HEAD:tasks/T.3.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["deadline"])')" \
	"{'kind': 'ongoing', 'text': '长期'}" "ongoing deadline"

# the province's calendar counts its holidays and 调休 (国庆节 2020: Oct 1-8
# off, Sunday Sep 27 and Saturday Oct 10 worked)
g 0 "$GOVFED" calendar put --home "$P" --file "$ROOT/examples/calendar/2020.json"
carry "$P" "$D" 350000
g 0 "$GOVFED" "${A[@]}" --id T.4 --title 报送 --deadline 20个工作日内 \
	--assigned 2020-09-10 --to 350104004 --json
same "$(jget "$T/out" 'd["task"]["deadline"]["due"], "note" in d')" "('2020-10-14', False)" \
	"working days on the province's calendar"
same "$(cat "$T/err")" "" "no note when the calendar covers the days"
g 0 "$GOVFED" "${A[@]}" --id T.5 --title 报送 --deadline 20个工作日内 \
	--assigned 2020-12-20 --to 350104004 --json
same "$(jget "$T/out" 'd["task"]["deadline"]["due"]')" "2021-01-15" \
	"working days into a year the calendar does not cover"
err_has "does not cover every day up to 2021-01-15: Monday–Friday assumed"

# ---- import: the example work plan -------------------------------------------------
CSV=$ROOT/examples/workplan-changle-2020.csv
before=$(head_of "$D")
refused 1 "$D" "row 1 (line 2), column 完成时限" "$GOVFED" task import --home "$D" \
	--file "$CSV" --level township --prefix CL2020-
err_has "give --assigned"
g 0 "$GOVFED" task import --home "$D" --file "$CSV" --level township \
	--prefix CL2020- --assigned 2020-09-10 --plan 长政办〔2020〕80号 --dry-run
out_has "30 tasks checked; nothing written"
same "$(head_of "$D")" "$before" "--dry-run wrote nothing"
g 0 "$GOVFED" task import --home "$D" --file "$CSV" --level township \
	--prefix CL2020- --assigned 2020-09-10 --plan 长政办〔2020〕80号 --json
cp "$T/out" "$T/import.json"
same "$(jget "$T/import.json" 'd["count"]')" 30 "imported rows"
# one commit, thirty records
same "$(git --git-dir="$D/store.git" rev-list --count "$before..HEAD")" 1 "one commit"
same "$(git --git-dir="$D/store.git" diff --name-only "$before" HEAD | grep -c '^tasks/CL2020-')" 30 \
	"records in it"
dl() { git --git-dir="$D/store.git" show "HEAD:tasks/$1.json" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["deadline"])'; }
same "$(dl CL2020-1.1)" "{'due': '2020-09-20', 'kind': 'date', 'text': '2020年9月中旬'}" "中旬"
same "$(dl CL2020-2.1)" "{'due': '2020-09-20', 'kind': 'date', 'text': '2020年9中旬'}" "中旬 without 月, kept"
same "$(dl CL2020-1.2)" "{'kind': 'ongoing', 'text': '2020年9月起'}" "起"
same "$(dl CL2020-2.3)" "{'due': '2022-06-30', 'kind': 'date', 'text': '2022年上半年'}" "上半年"
same "$(dl CL2020-2.5)" "{'due': '2020-12-31', 'kind': 'date', 'text': '2020年12月底'}" "年底"
same "$(dl CL2020-6.2)" "{'kind': 'ongoing', 'text': '长期'}" "长期"
same "$(dl CL2020-4.3)" "{'due': '2020-10-23', 'kind': 'date', 'text': '2020年10月23日前'}" "日前"
t73=$(git --git-dir="$D/store.git" show HEAD:tasks/CL2020-7.3.json)
same "$(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print(t["title"], t["plan"], [u["unit"] for u in t["responsible"]])' "$t73")" \
	"不断优化政务服务 {'doc': '长政办〔2020〕80号', 'seq': '7'} ['区行政服务中心', '区直各有关单位', '各乡镇人民政府', '街道办事处']" \
	"row 7.3: title, plan, units"
# the same ids again: refused, nothing written
refused 1 "$D" "already has a task CL2020-1.1" "$GOVFED" task import --home "$D" \
	--file "$CSV" --level township --prefix CL2020- --assigned 2020-09-10
# the JSON form gives the same tasks (its plan and date are in the file)
g 0 "$GOVFED" task import --home "$D" --file "$ROOT/examples/workplan-changle-2020.json" \
	--level township --prefix J- --dry-run --json
same "$(jget "$T/out" '[(t["id"][2:], t["deadline"], t["title"], t.get("requirement"), t["plan"]) for t in d["tasks"]]')" \
	"$(jget "$T/import.json" '[(t["id"][7:], t["deadline"], t["title"], t.get("requirement"), t["plan"]) for t in d["tasks"]]')" \
	"JSON and CSV forms agree"

# ---- import: malformed tables, nothing written ---------------------------------------
bad() { # bad NAME: a copy of the example with line 6 changed by sed EXPR
	sed "$2" "$CSV" >"$T/$1.csv"
}
IMP=(task import --home "$D" --level township --prefix X- --assigned 2020-09-10)
bad deadline '6s/,2022年上半年/,11月中旬左右/'
refused 1 "$D" "row 5 (line 6), column 完成时限: '11月中旬左右' is not a deadline" \
	"$GOVFED" "${IMP[@]}" --file "$T/deadline.csv"
bad columns '6s/,2022年上半年/,2022年上半年,多余/'
refused 1 "$D" "row 5 (line 6) has 6 columns, not 5" "$GOVFED" "${IMP[@]}" \
	--file "$T/columns.csv"
bad quote '6s/^2,/"2,/'
refused 1 "$D" "a quoted field is not closed" "$GOVFED" "${IMP[@]}" --file "$T/quote.csv"
bad seq '6s/^2,/第二,/'
refused 1 "$D" "row 5 (line 6), column 序号" "$GOVFED" "${IMP[@]}" --file "$T/seq.csv"
bad header '1s/完成时限/截止日期/'
refused 1 "$D" "line 1, column 5: '截止日期' is not a column of a work plan" \
	"$GOVFED" "${IMP[@]}" --file "$T/header.csv"
bad empty '6s/,2022年上半年/,/'
refused 1 "$D" "row 5 (line 6), column 完成时限: empty" "$GOVFED" "${IMP[@]}" \
	--file "$T/empty.csv"
iconv -f UTF-8 -t GBK "$CSV" >"$T/gbk.csv"
refused 1 "$D" "not UTF-8" "$GOVFED" "${IMP[@]}" --file "$T/gbk.csv"
printf '序号,工作任务,具体要求,责任单位,完成时限\r\n' >"$T/none.csv"
refused 1 "$D" "has no rows" "$GOVFED" "${IMP[@]}" --file "$T/none.csv"
printf '{"rows":[{"序号":"1","工作任务":"a","完成时限":"长期","截止":"x"}]}' >"$T/bad.json"
refused 1 "$D" "row 1: '截止' is not a column" "$GOVFED" "${IMP[@]}" --file "$T/bad.json"
refused 1 "$D" "cannot open work plan" "$GOVFED" "${IMP[@]}" --file "$T/missing.csv"
# merged cells: an empty 序号 continues the row above, an empty 工作任务 and
# 责任单位 repeat it; quoted fields may hold commas, quotes and line breaks
cat >"$T/merged.csv" <<'EOF'
序号,工作任务,具体要求,责任单位,完成时限
1,组织保障,"成立领导小组, 配齐""专职""人员
并部署",区政府办（牵头）、各乡镇人民政府,2020年9月中旬
,,推进“两化”工作,,2020年9月起
2,明确标准,细化分类,,2020年10月23日前
EOF
sed -i 's/$/\r/' "$T/merged.csv" # CRLF, also inside the quoted field
g 0 "$GOVFED" task import --home "$D" --file "$T/merged.csv" --to 350104004 \
	--prefix M- --assigned 2020-09-10 --json
same "$(jget "$T/out" '[(t["id"], t["title"], t.get("requirement"), [(u["unit"], u["role"]) for u in t.get("responsible", [])]) for t in d["tasks"]]')" \
	"[('M-1.1', '组织保障', '成立领导小组, 配齐\"专职\"人员\\n并部署', [('区政府办', '牵头'), ('各乡镇人民政府', '落实')]), ('M-1.2', '组织保障', '推进“两化”工作', [('区政府办', '牵头'), ('各乡镇人民政府', '落实')]), ('M-2.1', '明确标准', '细化分类', [])]" \
	"merged cells"

# ---- report ----------------------------------------------------------------------
# S learns its ancestors' histories (as sync would carry them)
carry "$P" "$S"
carry "$C" "$S"
carry "$D" "$S"
R=(task report --home "$S")
refused 1 "$S" "is not assigned to 350104004" "$GOVFED" "${R[@]}" \
	--task 350104/T.3 --status done
refused 1 "$S" "has no task NOPE" "$GOVFED" "${R[@]}" --task 350104/NOPE --status done
refused 1 "$S" "is not an ancestor of 350104004" "$GOVFED" "${R[@]}" \
	--task 350104005/T.1 --status done
refused 2 "$S" "is not done, in_progress or not_applicable" "$GOVFED" "${R[@]}" \
	--task 350104/T.1 --status finished
refused 2 "$S" "needs --note" "$GOVFED" "${R[@]}" --task 350104/T.1 \
	--status not_applicable
refused 1 "$S" "is after today" "$GOVFED" "${R[@]}" --task 350104/T.1 \
	--status done --date 2100-01-01
refused 1 "$S" "before the task was assigned" "$GOVFED" "${R[@]}" \
	--task 350104/T.1 --status done --date 2020-09-01
refused 1 "$S" "has no such catalog item" "$GOVFED" "${R[@]}" --task 350104/T.1 \
	--status done --date 2020-10-20 --evidence catalog:义务教育/YWJY.02.03
refused 2 "$S" "is not KIND:REF" "$GOVFED" "${R[@]}" --task 350104/T.1 \
	--status done --evidence nothing
refused 2 "$S" "give an http:// or https:// address" "$GOVFED" "${R[@]}" \
	--task 350104/T.1 --status done --evidence url:ftp://x
g 0 "$GOVFED" catalog put --home "$S" --file "$ROOT/examples/catalog/YWJY.02.03.json"
blob=$(git --git-dir="$S/store.git" rev-parse "HEAD:catalog/义务教育/YWJY.02.03.json")
g 0 "$GOVFED" "${R[@]}" --task 350104/T.1 --status done --date 2020-10-20 \
	--note 已制定流程图 --evidence catalog:义务教育/YWJY.02.03 \
	--evidence url:https://www.example.gov.cn/ysq --json
same "$(jget "$T/out" 'd["state"], d["report"]["evidence"][0]["ref"]')" \
	"('done', '义务教育/YWJY.02.03@$blob')" "report, evidence pinned"
g 0 "$GOVFED" "${R[@]}" --task 350104/T.2 --status in_progress --date 2020-10-01
g 0 "$GOVFED" "${R[@]}" --task 350104/CL2020-1.1 --status done --date 2020-09-25
out_has "(late, due 2020-09-20)"
g 0 "$GOVFED" "${R[@]}" --task 350104/CL2020-6.2 --status not_applicable \
	--note 本街道无此项 --date 2020-10-01
# a later report supersedes: T.2 in progress, then done in time
g 0 "$GOVFED" "${R[@]}" --task 350104/T.2 --status done --date 2020-10-08
out_has "(done, due 2020-10-08)"
g 0 "$GOVFED" task list --home "$S" --today 2020-10-30
out_has "350104/T.1  建立依申请公开工作机制"

# ---- roll-ups at the district ---------------------------------------------------------
carry "$S" "$D" 350104004
counts() { # counts HOME TASK TODAY: the roll-up's counts as a tuple
	"$GOVFED" task show --home "$1" --task "$2" --today "$3" --json |
		python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(tuple(c[k] for k in ("assignees","done","late","overdue","pending","not_applicable","missing")))'
}
#                                   n  done late overdue pending na missing
same "$(counts "$D" T.1 2020-10-30)"        "(2, 1, 0, 1, 0, 0, 1)" "T.1 at D"
same "$(counts "$D" T.1 2020-10-01)"        "(2, 1, 0, 0, 1, 0, 1)" "T.1 at D before due"
same "$(counts "$D" T.2 2020-10-30)"        "(2, 1, 0, 1, 0, 0, 1)" "T.2 at D"
same "$(counts "$D" T.3 2020-10-30)"        "(2, 0, 0, 0, 2, 0, 2)" "T.3 (长期) at D"
same "$(counts "$D" CL2020-1.1 2020-10-30)" "(2, 0, 1, 1, 0, 0, 1)" "CL2020-1.1 at D"
same "$(counts "$D" CL2020-6.2 2020-10-30)" "(2, 0, 0, 0, 1, 1, 1)" "CL2020-6.2 at D"
g 0 "$GOVFED" task show --home "$D" --task 350104/CL2020-1.1 --today 2020-10-30 --json
same "$(jget "$T/out" '[(a["node"], a["state"], a["held"], a["child"]) for a in d["assignees"]]')" \
	"[('350104004', 'late', True, '350104004'), ('350104005', 'overdue', False, '350104005')]" \
	"CL2020-1.1 per assignee"
same "$(jget "$T/out" '[(c["node"], c["counts"]["late"], c["counts"]["overdue"]) for c in d["children"]]')" \
	"[('350104004', 1, 0), ('350104005', 0, 1)]" "CL2020-1.1 per child"
g 0 "$GOVFED" task list --home "$D" --overdue --today 2020-09-30 --json
same "$(jget "$T/out" 'sorted((t["id"], tuple(t["overdue"])) for t in d["tasks"])')" \
	"[('CL2020-1.1', ('350104005',)), ('CL2020-2.1', ('350104004', '350104005')), ('M-1.1', ('350104004',))]" \
	"--overdue"
g 0 "$GOVFED" task list --home "$D" --overdue --today 2020-09-30
out_has "overdue: 350104005 下渡街道"
# $GOVFED_NOW sets today when --today is not given
GOVFED_NOW=2020-09-30T04:00:00Z g 0 "$GOVFED" task list --home "$D" --overdue --json
same "$(jget "$T/out" 'd["today"], len(d["tasks"])')" "('2020-09-30', 3)" "GOVFED_NOW"
g 2 "$GOVFED" task list --home "$D" --today 2020-13-01
err_has "is not a date"
g 1 "$GOVFED" task show --home "$D" --task NOPE
err_has "has no task NOPE"

# ---- passing a task down, and what the city sees -----------------------------------------
carry "$P" "$C"
g 0 "$GOVFED" task assign --home "$C" --id C1 --title 编制标准目录 \
	--deadline 2020年10月23日前 --assigned 2020-09-01 --level district
carry "$C" "$D" 350100
g 0 "$GOVFED" task assign --home "$D" --id D1 --from 350100/C1 --to 350104004 \
	--assigned 2020-09-10 --json
same "$(jget "$T/out" 'd["task"]["title"], d["task"]["deadline"]["due"], d["task"]["from"]')" \
	"('编制标准目录', '2020-10-23', {'node': '350100', 'task': 'C1'})" "--from"
g 0 "$GOVFED" task assign --home "$C" --id C2 --title 另一区的任务 \
	--deadline 长期 --assigned 2020-09-01 --to 350112
carry "$C" "$D" 350100
refused 1 "$D" "that task is not assigned to 350104" "$GOVFED" task assign \
	--home "$D" --id D2 --from 350100/C2 --to 350104004
# the district sees the city's task over its own subtree: itself
same "$(counts "$D" 350100/C1 2020-10-30)" "(1, 0, 0, 1, 0, 0, 1)" "C1 at D"
g 0 "$GOVFED" task report --home "$D" --task 350100/C1 --status done --date 2020-10-20
carry "$D" "$C" 350104
carry "$S" "$C" 350104004
same "$(counts "$C" C1 2020-10-30)" "(1, 1, 0, 0, 0, 0, 0)" "C1 at C"
same "$(counts "$C" 350104/CL2020-1.1 2020-10-30)" "(2, 0, 1, 1, 0, 0, 1)" \
	"a descendant's task at C"

for h in "$P" "$C" "$D" "$S"; do
	g 0 "$GOVFED" verify --store "$h/store.git" --root-key "$P/node.pub"
done
finish
