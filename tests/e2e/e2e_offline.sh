#!/usr/bin/env bash
# e2e_offline.sh — a township is offline while 50 updates are published
# above it and a sibling reports; restarted, it catches up fully by
# itself, and what it published while offline reaches the province.
source "$(dirname "$0")/lib.sh"

node 350000 province 福建省
node 350100 city 福州市 350000
node 350104 district 仓山区 350100
node 350104004 township 上渡街道 350104
node 350104005 township 下渡街道 350104
ALL="350000 350100 350104 350104004 350104005"
# small steps: the 40-update catch-up arrives in several fetches
python3 - "$T/350104004/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["sync_step"] = 7
open(sys.argv[1], "w").write(json.dumps(c) + "\n")
PY
for n in $ALL; do start "$n"; done
wait_for 20 "the townships hold their ancestors" head_is "$T/350104004" 350104 "$(own_head 350104)"

stop 350104004
for i in $(seq -w 1 40); do
	put 350000 "$(item_json "YWJY.10.$i" 义务教育 "更新$i")"
done
for i in $(seq -w 1 10); do
	put 350104 "$(item_json "ZHZF.10.$i" 城市综合执法 "执法$i")"
done
# the township works offline meanwhile
put 350104004 "$(item_json "SHJZ.10.01" 社会救助 "离线期间")"
p=$(own_head 350000)
d=$(own_head 350104)
s=$(own_head 350104004)
wait_for 20 "the online sibling has all 50" head_is "$T/350104005" 350000 "$p"

start 350104004
wait_for 15 "the township catches up with the province" head_is "$T/350104004" 350000 "$p"
echo "  caught up with 40 province updates ${WAITED_MS} ms after restart"
wait_for 15 "... and the district" head_is "$T/350104004" 350104 "$d"
wait_for 15 "its offline work reaches the province" head_is "$T/350000" 350104004 "$s"
g 0 "$GOVFED" catalog show --home "$T/350104004" --node 350000 --item YWJY.10.40
# the catch-up came in steps of at most 7 commits
checks=$((checks + 1))
steps=$(grep -cE "import: 350000 \+[1-7] commits? from 350104" "$LOGS/350104004.log")
[ "$steps" -ge 6 ] || fail "the catch-up came in $steps steps, want at least 6 of at most 7 commits"
checks=$((checks + 1))
grep -qE "import: 350000 \+([89]|[1-9][0-9]+) commits from 350104" "$LOGS/350104004.log" &&
	fail "a step larger than sync_step"
g 0 "$GOVFED" status --home "$T/350104004" --json
out_has '"lag": 0'

for n in $ALL; do stop "$n"; done
intact 350104004
intact 350000
[ "$fails" = 0 ] || show_logs
finish
