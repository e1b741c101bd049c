# lib.sh — end-to-end federations: real govfed processes on loopback.
# Every process a test starts is recorded by pid and stopped by pid when
# the test ends, whatever happens; every wait is bounded in time.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

PIDS=$T/pids
LOGS=$T/logs
mkdir -p "$PIDS" "$LOGS"

stop_all() {
	local f pid
	for f in "$PIDS"/*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null
	done
	for f in "$PIDS"/*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
		rm -f "$f"
	done
}
trap 'stop_all; rm -rf "$T"' EXIT

# a free TCP port on loopback, never one this test handed out already
# (a port is only bound when its daemon starts, so the kernel may offer
# the same free port twice meanwhile)
USED_PORTS=" "
free_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
		case "$USED_PORTS" in
		*" $p "*) continue ;;
		esac
		USED_PORTS="$USED_PORTS$p "
		echo "$p"
		return 0
	done
	echo "free_port: no new free port in 10 tries" >&2
	return 1
}

declare -A PORT PARENT LEVEL NAME

# node ID LEVEL NAME PARENT: init a home in $T/ID (listening, dialing its
# parent) and have the parent enroll it
node() {
	local id=$1 level=$2 name=$3 parent=${4:-}
	free_port >"$T/.port" || exit 1
	PORT[$id]=$(cat "$T/.port")
	LEVEL[$id]=$level
	NAME[$id]=$name
	PARENT[$id]=$parent
	if [ -z "$parent" ]; then
		g 0 "$GOVFED" init --home "$T/$id" --id "$id" --level "$level" \
			--name "$name" --listen "127.0.0.1:${PORT[$id]}"
		ROOTPUB=$T/$id/node.pub
	else
		g 0 "$GOVFED" init --home "$T/$id" --id "$id" --level "$level" \
			--name "$name" --parent "$parent" --root-key "$ROOTPUB" \
			--parent-url "127.0.0.1:${PORT[$parent]}" \
			--listen "127.0.0.1:${PORT[$id]}"
		g 0 "$GOVFED" enroll --home "$T/$parent" --child-pub "$T/$id/node.pub" \
			--id "$id" --level "$level" --name "$name"
	fi
	# a fast beacon keeps the tests short
	python3 - "$T/$id/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["beacon_ms"] = 300
c["stale_ms"] = 3000
open(p, "w").write(json.dumps(c, indent=2) + "\n")
EOF
}

# start ID [ENV=VALUE...]: run its daemon in the background
start() {
	local id=$1
	shift
	env "$@" "$GOVFED" node run --home "$T/$id" >>"$LOGS/$id.log" 2>&1 &
	echo $! >"$PIDS/$id"
}

# stop ID [SIGNAL]: stop its daemon by pid and wait for it (bounded)
stop() {
	local id=$1 sig=${2:-TERM} pid
	pid=$(cat "$PIDS/$id")
	kill "-$sig" "$pid" 2>/dev/null
	for _ in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	checks=$((checks + 1))
	if kill -0 "$pid" 2>/dev/null; then
		fail "$id (pid $pid) did not stop on SIG$sig within 10 s"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	# a clean stop exits 0 (under the sanitizers, a leak or an error at
	# exit would not)
	if [ "$sig" = TERM ]; then
		checks=$((checks + 1))
		[ "$rc" = 0 ] || { fail "$id exited $rc on SIGTERM"; tail -5 "$LOGS/$id.log" >&2; }
	fi
	rm -f "$PIDS/$id"
}

# wait_for SECONDS WHAT CMD...: poll CMD every 50 ms until it succeeds
wait_for() {
	local limit=$1 what=$2 start now
	shift 2
	start=$(date +%s%N)
	while :; do
		if "$@" >/dev/null 2>&1; then
			WAITED_MS=$((($(date +%s%N) - start) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		if [ $(((now - start) / 1000000)) -ge $((limit * 1000)) ]; then
			fail "$what: not within ${limit} s"
			return 1
		fi
		sleep 0.05
	done
}

# head_is HOME NODE COMMIT: HOME holds NODE's history at COMMIT
head_is() {
	local ref=refs/nodes/$2
	[ "$(basename "$1")" = "$2" ] && ref=refs/heads/main
	[ "$(git --git-dir="$1/store.git" rev-parse -q --verify "$ref" 2>/dev/null)" = "$3" ]
}

own_head() { git --git-dir="$T/$1/store.git" rev-parse refs/heads/main; }

# put ID ITEM-FILE: publish a catalog item at ID
put() { g 0 "$GOVFED" catalog put --home "$T/$1" --file "$2"; }

# item_json ID AREA NAME: a small catalog item file, printed as its path
item_json() {
	local f=$T/item-$1.json
	printf '{"id":"%s","area":"%s","name":"%s","method":"主动公开"}\n' "$1" "$2" "$3" >"$f"
	echo "$f"
}

# intact ID: the store passes git fsck and govfed verify
intact() {
	g 0 git --git-dir="$T/$1/store.git" fsck --strict --no-dangling
	g 0 "$GOVFED" verify --store "$T/$1/store.git" --root-key "$ROOTPUB"
}

show_logs() {
	for f in "$LOGS"/*.log; do
		echo "--- $f" >&2
		tail -n "${1:-15}" "$f" >&2
	done
}

# fresh_at HOME NODE: HOME's status says NODE is fresh
fresh_at() {
	"$GOVFED" status --home "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(n["id"] == sys.argv[1] and n.get("fresh") is True
                  for n in d["nodes"]) else 1)' "$2"
}
# stale_at HOME NODE: HOME's status says NODE is stale
stale_at() {
	"$GOVFED" status --home "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(n["id"] == sys.argv[1] and n.get("fresh") is False
                  for n in d["nodes"]) else 1)' "$2"
}
