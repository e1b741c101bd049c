#!/usr/bin/env bash
# e2e_demo.sh — the main job, as the README runs it (with --once): eight
# daemons, the item at every node, the report at the province; and the
# docker-compose setup it shares.
source "$(dirname "$0")/lib.sh"

# three consecutive free ports
base=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    b = random.randint(20000, 60000)
    ok = True
    for p in range(b, b + 3):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        s.close()
    if ok:
        print(b)
        break
PY
)
g 0 timeout 120 "$GOVFED" demo --once --dir "$T/demo" --base-port "$base"
out_has "all linked and in sync"
for n in 350100 350200 350104 350112 350104004 350104005 350104006; do
	grep -qE "^  $n .* has it after +[0-9]+ ms" "$T/out" || fail "$n did not report the province's item"
	checks=$((checks + 1))
done
grep -A4 "files a report" "$T/out" | grep -qE "^  350000 .* has it after" || fail "the report did not reach the province"
checks=$((checks + 1))
out_has "verified: 4 histories"
checks=$((checks + 1))
grep -q "did NOT get it" "$T/out" && fail "something did not arrive"
# no daemon left running
checks=$((checks + 1))
pgrep -f "node run --home $T/demo" >/dev/null && fail "a demo daemon outlived the demo"
# started again on the same directory, it reuses the federation
g 0 timeout 120 "$GOVFED" demo --once --dir "$T/demo" --base-port "$base"
out_has "reusing the federation"

# the docker-compose setup: homes that listen on :7400 and dial n<parent>
g 0 "$GOVFED" demo --setup-only --docker --dir "$T/docker"
g 0 python3 - "$T/docker" <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/350104004/config.json"))
assert c["parent_url"] == "n350104:7400", c
c = json.load(open(d + "/350104/config.json"))
assert c["listen"] == "0.0.0.0:7400", c
PY
if command -v docker-compose >/dev/null; then
	(cd "$ROOT" && g 0 docker-compose config -q)
else
	fail "docker-compose is not installed (scripts/setup.sh installs it)"
fi
finish
