#!/usr/bin/env bash
# e2e_lossy.sh — convergence never hangs on an announcement: a late
# subscriber, and nodes that drop every announcement they receive (a
# test-only switch), converge through the periodic summaries alone.
source "$(dirname "$0")/lib.sh"

node 350000 province 福建省
node 350100 city 福州市 350000
node 350104 district 仓山区 350100
start 350000
# the city and the district drop all announcements
start 350100 GOVFED_TEST_DROP_ANNOUNCE=1
put 350000 "$ROOT/examples/catalog/YWJY.02.03.json"
p=$(own_head 350000)
wait_for 5 "the city converges without announcements" head_is "$T/350100" 350000 "$p"
echo "  city: ${WAITED_MS} ms"
# a late subscriber: started after the fact, dropping announcements too
start 350104 GOVFED_TEST_DROP_ANNOUNCE=1
wait_for 5 "the late district converges" head_is "$T/350104" 350000 "$p"
echo "  late district: ${WAITED_MS} ms"
put 350000 "$ROOT/examples/catalog/CXGH.01.01.json"
p=$(own_head 350000)
wait_for 5 "a second update reaches the district" head_is "$T/350104" 350000 "$p"
echo "  second update: ${WAITED_MS} ms"
checks=$((checks + 1))
grep -q "dropping 100% of incoming announcements" "$LOGS/350104.log" ||
	fail "the test switch did not announce itself in the log"
for n in 350000 350100 350104; do stop "$n"; done
[ "$fails" = 0 ] || show_logs
finish
