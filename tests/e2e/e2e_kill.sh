#!/usr/bin/env bash
# e2e_kill.sh — a city is killed with SIGKILL in the middle of transfers
# (the province and a district publishing the while); its store stays
# intact (git fsck, govfed verify), and restarted it catches up.
source "$(dirname "$0")/lib.sh"

node 350000 province 福建省
node 350100 city 福州市 350000
node 350104 district 仓山区 350100
ALL="350000 350100 350104"
for n in $ALL; do start "$n"; done
wait_for 20 "the district holds its ancestors" head_is "$T/350104" 350100 "$(own_head 350100)"

# publish at both ends while the city is killed mid-stream
(
	for i in $(seq -w 1 30); do
		"$GOVFED" catalog put --home "$T/350000" --file "$(item_json "CXGH.20.$i" 城乡规划 "规划$i")" >/dev/null
		"$GOVFED" catalog put --home "$T/350104" --file "$(item_json "SHBX.20.$i" 社会保险 "社保$i")" >/dev/null
	done
) &
writer=$!
sleep 1.5
stop 350100 KILL
echo "  killed 350100 mid-transfer"
wait "$writer"
# the store is intact without any repair
intact 350100
start 350100
p=$(own_head 350000)
d=$(own_head 350104)
wait_for 20 "the city catches up with the province" head_is "$T/350100" 350000 "$p"
wait_for 20 "the district catches up through the city" head_is "$T/350104" 350000 "$p"
wait_for 20 "the province gets the district's work" head_is "$T/350000" 350104 "$d"
for n in $ALL; do stop "$n"; done
for n in $ALL; do intact "$n"; done
[ "$fails" = 0 ] || show_logs
finish
