#!/usr/bin/env bash
# e2e_tasks.sh — a work-plan task across real daemons on loopback: a city
# assigns a task to every township beneath it; the townships report (in
# time, late, never, in progress) and the reports flow up; the roll-ups at
# each district (its own subtree only) and at the city (per child subtree)
# come out exact once sync has converged.
source "$(dirname "$0")/lib.sh"

node 350000 province 福建省
node 350100 city 福州市 350000
node 350104 district 仓山区 350100
node 350112 district 长乐区 350100
node 350104004 township 上渡街道 350104
node 350104005 township 下渡街道 350104
node 350104006 township 城门镇 350104
node 350112001 township 吴航街道 350112
node 350112002 township 航城街道 350112
TOWNS="350104004 350104005 350104006 350112001 350112002"
ALL="350000 350100 350104 350112 $TOWNS"
for n in $ALL; do start "$n"; done

# everyone learns its ancestors
for n in $TOWNS; do
	wait_for 30 "$n holds the city's history" head_is "$T/$n" 350100 "$(own_head 350100)"
done

# the city assigns a task to every township beneath it
g 0 "$GOVFED" task assign --home "$T/350100" --id GK2025-03 \
	--title 编制完成乡镇政务公开事项标准目录 --requirement 逐项明确名称、内容、依据、时限、主体、方式、渠道、公开对象等要素 \
	--deadline 2025年10月中旬 --assigned 2025-09-01 --level township \
	--unit 各乡镇人民政府、街道办事处 --json
same "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["deadline"])' <"$T/out")" \
	"{'due': '2025-10-20', 'kind': 'date', 'text': '2025年10月中旬'}" "the deadline"
# ... and another to one township only
g 0 "$GOVFED" task assign --home "$T/350100" --id GK2025-04 --title 专题专栏 \
	--deadline 2025年11月15日前 --assigned 2025-09-01 --to 350104004
want=$(own_head 350100)
for n in 350104 350112 $TOWNS; do
	wait_for 15 "$n receives the city's tasks" head_is "$T/$n" 350100 "$want"
done

# the townships report
rep() { g "$1" "$GOVFED" task report --home "$T/$2" --task "350100/$3" "${@:4}"; }
rep 0 350104004 GK2025-03 --status done --date 2025-10-15 --note 已编制并公开 \
	--evidence url:https://www.example.gov.cn/gk/ml
out_has "(done, due 2025-10-20)"
rep 0 350104005 GK2025-03 --status done --date 2025-10-28
out_has "(late, due 2025-10-20)"
rep 0 350112001 GK2025-03 --status in_progress --date 2025-10-10 --note 正在梳理
rep 0 350112002 GK2025-03 --status done --date 2025-10-20 # on the due day
# 350104006 never reports; a township not assigned cannot report
before=$(own_head 350112001)
rep 1 350112001 GK2025-04 --status done --date 2025-10-10
err_has "that task is not assigned to 350112001"
same "$(own_head 350112001)" "$before" "a refused report writes nothing"

# the reports flow up: wait until the city holds every township's head
for n in 350104004 350104005 350112001 350112002; do
	want=$(own_head "$n")
	wait_for 15 "the city receives $n's report" head_is "$T/350100" "$n" "$want"
	wait_for 15 "${PARENT[$n]} receives $n's report" head_is "$T/${PARENT[$n]}" "$n" "$want"
done

# roll_up HOME TASK TODAY: counts in all, per child, per assignee, overdue
roll_up() {
	"$GOVFED" task show --home "$T/$1" --task "$2" --today "$3" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
k = ("assignees", "done", "late", "overdue", "pending", "not_applicable", "missing")
c = lambda o: "/".join(str(o[x]) for x in k)
print("all", c(d["counts"]))
for ch in d["children"]:
    print(ch["node"], c(ch["counts"]))
print("states", " ".join(a["node"] + ":" + a["state"] for a in d["assignees"]))
print("overdue", " ".join(d["overdue"]))'
}
#                  n/done/late/overdue/pending/na/missing
want_city="all 5/2/1/2/0/0/1
350104 3/1/1/1/0/0/1
350112 2/1/0/1/0/0/0
states 350104004:done 350104005:late 350104006:overdue 350112001:overdue 350112002:done
overdue 350104006 350112001"
got=$(roll_up 350100 GK2025-03 2025-11-01)
same "$got" "$want_city" "the city's roll-up (per child subtree)"
same "$(roll_up 350104 350100/GK2025-03 2025-11-01)" "all 3/1/1/1/0/0/1
350104004 1/1/0/0/0/0/0
350104005 1/0/1/0/0/0/0
350104006 1/0/0/1/0/0/1
states 350104004:done 350104005:late 350104006:overdue
overdue 350104006" "仓山区's roll-up: its own subtree only"
same "$(roll_up 350112 350100/GK2025-03 2025-11-01)" "all 2/1/0/1/0/0/0
350112001 1/0/0/1/0/0/0
350112002 1/1/0/0/0/0/0
states 350112001:overdue 350112002:done
overdue 350112001" "长乐区's roll-up: its own subtree only"
# in progress (or no report) is pending until the due day, overdue after it
same "$(roll_up 350112001 350100/GK2025-03 2025-10-20 | sed -n 1p)" "all 1/0/0/0/1/0/0" \
	"in progress on the due day"
same "$(roll_up 350112001 350100/GK2025-03 2025-10-21 | sed -n 1p)" "all 1/0/0/1/0/0/0" \
	"in progress the day after"
same "$(roll_up 350104 350100/GK2025-03 2025-10-20 | sed -n '1p;4p')" "all 3/1/1/0/1/0/1
350104006 1/0/0/0/1/0/1" "no report on the due day"
# a township sees the task over itself
same "$(roll_up 350104005 350100/GK2025-03 2025-11-01 | sed -n 1p)" "all 1/0/1/0/0/0/0" \
	"a township's own view"

# list --overdue names the laggards, at the city and at each district
g 0 "$GOVFED" task list --home "$T/350100" --overdue --today 2025-11-01 --json
same "$(python3 -c 'import json,sys; print([(t["ref"], t["overdue"]) for t in json.load(sys.stdin)["tasks"]])' <"$T/out")" \
	"[('350100/GK2025-03', ['350104006', '350112001'])]" "the city's --overdue"
g 0 "$GOVFED" task list --home "$T/350100" --overdue --today 2025-11-01
out_has "overdue: 350104006 城门镇, 350112001 吴航街道"
GOVFED_NOW=2025-11-20T02:00:00Z g 0 "$GOVFED" task list --home "$T/350104" --overdue --json
same "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["today"], [(t["ref"], t["overdue"]) for t in d["tasks"]])' <"$T/out")" \
	"2025-11-20 [('350100/GK2025-03', ['350104006']), ('350100/GK2025-04', ['350104004'])]" \
	"仓山区's --overdue (today from GOVFED_NOW)"
g 0 "$GOVFED" task list --home "$T/350112" --overdue --today 2025-11-20 --json
same "$(python3 -c 'import json,sys; print([(t["ref"], t["overdue"]) for t in json.load(sys.stdin)["tasks"]])' <"$T/out")" \
	"[('350100/GK2025-03', ['350112001'])]" "长乐区 sees neither 仓山区's townships nor GK2025-04"

# the laggard reports late; the roll-ups follow once it has flowed up
rep 0 350104006 GK2025-03 --status done --date 2025-11-05
want=$(own_head 350104006)
wait_for 15 "the city receives 350104006's report" head_is "$T/350100" 350104006 "$want"
same "$(roll_up 350100 GK2025-03 2025-11-10 | sed -n 1,3p)" "all 5/2/2/1/0/0/0
350104 3/1/2/0/0/0/0
350112 2/1/0/1/0/0/0" "the city's roll-up after the late report"

for n in $ALL; do stop "$n"; done
for n in 350100 350104 350112 350104006; do intact "$n"; done
[ "$fails" = 0 ] || show_logs
finish
