#!/usr/bin/env bash
# e2e_tree.sh — four levels of real daemons on loopback: a catalog item
# published at the province reaches every township; a township's item
# reaches the province; every store stays intact.
source "$(dirname "$0")/lib.sh"

node 350000 province 福建省
node 350100 city 福州市 350000
node 350200 city 厦门市 350000
node 350104 district 仓山区 350100
node 350104004 township 上渡街道 350104
node 350104005 township 下渡街道 350104
ALL="350000 350100 350200 350104 350104004 350104005"
for n in $ALL; do start "$n"; done

# everyone learns its ancestors
wait_for 20 "350104004 holds its ancestors" head_is "$T/350104004" 350100 "$(own_head 350100)"

# down: province -> city -> district -> township
put 350000 "$ROOT/examples/catalog/YWJY.02.03.json"
want=$(own_head 350000)
for n in 350100 350200 350104 350104004 350104005; do
	wait_for 10 "$n receives the province's item" head_is "$T/$n" 350000 "$want"
	echo "  350000 -> $n: ${WAITED_MS} ms"
done
g 0 "$GOVFED" catalog show --home "$T/350104005" --node 350000 --item YWJY.02.03
out_has "招生范围"

# up: township -> district -> city -> province
put 350104004 "$ROOT/examples/catalog/SHJZ.01.01.json"
want=$(own_head 350104004)
for n in 350104 350100 350000; do
	wait_for 10 "$n receives the township's item" head_is "$T/$n" 350104004 "$want"
	echo "  350104004 -> $n: ${WAITED_MS} ms"
done
# replication scope: a sibling subtree never receives it
checks=$((checks + 1))
head_is "$T/350200" 350104004 "$want" && fail "350200 holds 350104004's history"
checks=$((checks + 1))
head_is "$T/350104005" 350104004 "$want" && fail "a sibling township holds 350104004's history"

# the province sees every node fresh, and its status page says so
wait_for 10 "the province sees the township fresh" fresh_at "$T/350000" 350104004
# ... and stale once it stops beaconing
stop 350104005
wait_for 10 "the province sees a silent township stale" stale_at "$T/350000" 350104005
start 350104005
wait_for 10 "... and fresh again when it returns" fresh_at "$T/350000" 350104005
g 0 curl -sf "http://127.0.0.1:${PORT[350000]}/status"
out_has '"node": "350000"'
g 0 "$GOVFED" status --home "$T/350104"
out_has "daemon running"
out_has "link up"

for n in $ALL; do stop "$n"; done
for n in $ALL; do intact "$n"; done
# a clean stop leaves no quarantine and a status saying so
g 0 "$GOVFED" status --home "$T/350000"
out_has "daemon not running"
checks=$((checks + 1))
ls -d "$T"/*/store.git/objects/incoming-* >/dev/null 2>&1 && fail "a quarantine was left behind"
[ "$fails" = 0 ] || show_logs
finish
