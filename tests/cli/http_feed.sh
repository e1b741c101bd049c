#!/usr/bin/env bash
# http_feed.sh — the checkpoints and the feed over HTTP (node/http_feed.c),
# served by `govfed feed serve` on loopback and asked with curl: every
# status code (200, 400, 404, 405, 503), every content type, the exact
# bytes of a checkpoint, paging by cursor, and a tombstone.
# Usage: http_feed.sh path/to/govfed
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

federation # P C D S: 福建省, 福州市, 仓山区, 上渡街道
put_at() { g 0 "$GOVFED" catalog put --home "$1" --file "$(item_json "$2" 义务教育 "$3")"; }
put_at "$C" YWJY.02.03 招生范围
put_at "$C" YWJY.02.04 学区划分
put_at "$S" YWJY.04.01 控辍保学
# every history up to the province, parents first
carry "$C" "$P"
carry "$D" "$P"
carry "$S" "$P"

PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
"$GOVFED" feed serve --home "$P" --listen "127.0.0.1:$PORT" >>"$LOGS/serve.log" 2>&1 &
echo $! >"$PIDS/serve"
up_now() { curl -s -o /dev/null "$BASE/checkpoints/latest"; }
wait_for 10 "feed serve listening" up_now || { show_logs; finish; }

# ask WANT_STATUS [curl args...] URL: the answer's body in $T/body, its
# headers in $T/hdr; checks the status and that it is JSON, UTF-8
ask() {
	local want=$1 got ct
	shift
	got=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@")
	ct=$(tr -d '\r' <"$T/hdr" | awk -F': ' 'tolower($1)=="content-type"{print $2}')
	checks=$((checks + 2))
	[ "$got" = "$want" ] || { fail "$*: status $got, want $want"; head -c 300 "$T/body" >&2; echo >&2; }
	[ "$ct" = "application/json; charset=utf-8" ] || fail "$*: content type '$ct'"
}
# an error answer: {"error": CODE, "message": ...} and nothing else
error_is() {
	checks=$((checks + 1))
	python3 - "$T/body" "$1" <<'EOF' || fail "error body $(head -c 200 "$T/body"), want code $1"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert set(d) == {"error", "message"}, d
assert d["error"] == sys.argv[2], d
assert isinstance(d["message"], str) and len(d["message"]) > 10, d
EOF
}
header_is() {
	local v
	v=$(tr -d '\r' <"$T/hdr" | awk -F': ' -v h="$1" 'tolower($1)==tolower(h){print $2}')
	same "$v" "$2" "header $1"
}

# ---- no checkpoint yet: 503 -------------------------------------------------
ask 503 "$BASE/checkpoints/latest"
error_is no_checkpoint
header_is Retry-After 1
ask 503 "$BASE/checkpoints/1"
error_is no_checkpoint
ask 503 "$BASE/feed?after=0"
error_is no_checkpoint
# bad parameters are 400 even then
ask 400 "$BASE/feed?after=x"
error_is bad_parameter

# ---- checkpoints ---------------------------------------------------------------
g 0 "$GOVFED" checkpoint cut --home "$P"
ask 200 "$BASE/checkpoints/latest"
git --git-dir="$P/store.git" cat-file blob refs/checkpoints/0000000001 >"$T/cp1"
checks=$((checks + 1))
cmp -s "$T/body" "$T/cp1" || fail "/checkpoints/latest is not checkpoint 1's stored bytes"
header_is Cache-Control no-cache
ask 200 "$BASE/checkpoints/1"
checks=$((checks + 1))
cmp -s "$T/body" "$T/cp1" || fail "/checkpoints/1 is not its stored bytes"
same "$(sha256sum <"$T/body" | cut -c1-64)" "$(sha256sum <"$T/cp1" | cut -c1-64)" "checkpoint hash"
header_is Cache-Control "public, max-age=31536000, immutable"
ask 404 "$BASE/checkpoints/2"
error_is not_found
ask 404 "$BASE/checkpoints/0"
error_is not_found
ask 404 "$BASE/checkpoints/9999999999"
error_is not_found
for bad in abc 01 -1 1.0 +1 99999999999 ' 1' 1%20 latest2; do
	ask 400 "$BASE/checkpoints/$(printf %s "$bad" | sed 's/ /%20/g')"
	error_is bad_parameter
done
ask 400 "$BASE/checkpoints/1?x=1"
error_is bad_parameter
ask 404 "$BASE/checkpoints/"
error_is not_found
ask 404 "$BASE/checkpoints/1/2"
error_is not_found

# ---- methods: 405 ------------------------------------------------------------------
for m in POST PUT DELETE PATCH; do
	ask 405 -X "$m" "$BASE/checkpoints/latest"
	error_is method_not_allowed
	header_is Allow "GET, HEAD"
	ask 405 -X "$m" "$BASE/feed?after=0"
	error_is method_not_allowed
done
# HEAD: the headers of a GET, no body (asked by hand: the answer must end
# with its headers)
checks=$((checks + 1))
python3 - "$PORT" "$(stat -c %s "$T/cp1")" <<'EOF' || fail "HEAD /checkpoints/1"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD /checkpoints/1 HTTP/1.0\r\nHost: x\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode().split("\r\n")
assert lines[0].startswith("HTTP/1.1 200"), lines
h = {l.split(": ", 1)[0].lower(): l.split(": ", 1)[1] for l in lines[1:]}
assert h["content-type"] == "application/json; charset=utf-8", h
assert h["content-length"] == sys.argv[2], h
assert body == b"", body
EOF

# ---- the feed ------------------------------------------------------------------------
ask 200 "$BASE/feed?after=0"
header_is Cache-Control no-cache
cp "$T/body" "$T/all1"
checks=$((checks + 1))
python3 - "$T/all1" <<'EOF' || fail "the feed from 0 to 1: $(head -c 400 "$T/all1")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert list(d) == ["from", "to", "changes", "next"], list(d)
assert d["from"] == 0 and d["to"] == 1 and d["next"] is None, d
ch = d["changes"]
keys = [(c["node"], c["path"]) for c in ch]
assert keys == sorted(keys, key=lambda k: (k[0].encode(), k[1].encode())), keys
assert len(set(keys)) == len(keys)
for c in ch:
    assert set(c) == {"kind", "node", "level", "path", "record", "commit", "signer"}, c
    assert c["kind"] == "added", c
    assert len(c["commit"]) == 40 and c["signer"].startswith("SHA256:"), c
paths = {(c["node"], c["path"]): c for c in ch}
for n, p in [("350100", "catalog/义务教育/YWJY.02.03.json"),
             ("350100", "catalog/义务教育/YWJY.02.04.json"),
             ("350104004", "catalog/义务教育/YWJY.04.01.json"),
             ("350000", "node.json"), ("350104", "certs/350104004.json")]:
    assert (n, p) in paths, (n, p)
assert paths[("350100", "catalog/义务教育/YWJY.02.03.json")]["record"]["name"] == "招生范围"
assert paths[("350104004", "node.json")]["level"] == "township"
EOF
TOTAL=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["changes"]))' "$T/all1")

# paging: every limit, following `next`, gives the same changes as one page
for limit in 1 2 3 5 $TOTAL; do
	url="$BASE/feed?after=0&limit=$limit"
	: >"$T/joined"
	for _ in $(seq 1 $((TOTAL + 2))); do
		ask 200 "$url"
		next=$(python3 - "$T/body" "$T/joined" "$limit" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(d["changes"]) <= int(sys.argv[3])
with open(sys.argv[2], "a", encoding="utf-8") as f:
    for c in d["changes"]:
        f.write(json.dumps(c, sort_keys=True, ensure_ascii=False) + "\n")
print(d["next"] or "")
EOF
)
		[ -n "$next" ] || break
		url="$BASE/feed?cursor=$next&limit=$limit"
	done
	checks=$((checks + 1))
	python3 - "$T/all1" "$T/joined" <<'EOF' || fail "pages of $limit joined differ from one page"
import json, sys
whole = [json.dumps(c, sort_keys=True, ensure_ascii=False) for c in json.load(open(sys.argv[1], encoding="utf-8"))["changes"]]
joined = open(sys.argv[2], encoding="utf-8").read().splitlines()
assert whole == joined, (len(whole), len(joined))
EOF
done
# many at once (nng answers on several threads): the same bytes each time
mkdir -p "$T/par"
seq 1 48 | xargs -P 8 -I{} sh -c '
	case $(({} % 3)) in
	0) u="$1/feed?after=0" ;;
	1) u="$1/checkpoints/1" ;;
	2) u="$1/feed?cursor=0.1.1&limit=2" ;;
	esac
	curl -s -o "$2/{}.body" -w "%{http_code}" "$u" >"$2/{}.code"' _ "$BASE" "$T/par"
curl -s -o "$T/page012" "$BASE/feed?cursor=0.1.1&limit=2"
for i in $(seq 1 48); do
	checks=$((checks + 2))
	[ "$(cat "$T/par/$i.code")" = 200 ] || fail "parallel request $i: $(cat "$T/par/$i.code")"
	case $((i % 3)) in
	0) want=$T/all1 ;;
	1) want=$T/cp1 ;;
	2) want=$T/page012 ;;
	esac
	cmp -s "$T/par/$i.body" "$want" || fail "parallel request $i: other bytes than alone"
done

ask 200 "$BASE/feed?after=0&limit=2"
next=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$T/body")
same "$next" "0.1.2" "the first cursor"
ask 200 "$BASE/feed?cursor=0.1.2&limit=1"
header_is Cache-Control "public, max-age=31536000, immutable"
# the end of a list is a page of nothing
ask 200 "$BASE/feed?cursor=0.1.$TOTAL"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["changes"]==[] and d["next"] is None' "$T/body" \
	|| fail "a cursor at the end is not an empty last page"
# the latest: nothing more
ask 200 "$BASE/feed?after=1"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d=={"from":1,"to":1,"changes":[],"next":None}, d' "$T/body" \
	|| fail "after the latest is not empty: $(cat "$T/body")"

# ---- bad parameters: 400 --------------------------------------------------------------
for q in "" "?" "?after=" "?after" "?after=abc" "?after=-1" "?after=01" "?after=+1" \
	"?after=1.0" "?after=0x1" "?after=99999999999" "?after=0&after=0" \
	"?after=0&cursor=0.1.0" "?after=0&limit=0" "?after=0&limit=10001" \
	"?after=0&limit=abc" "?after=0&limit=" "?after=0&limit=010" "?x=1" \
	"?after=0&x=1" "?after=0&" "?&after=0" "?after=0&&limit=1" "?AFTER=0" \
	"?after=%30" "?limit=5" "?cursor=" "?cursor=0.1" "?cursor=1.0.0" \
	"?cursor=0.0.0" "?cursor=0.1.x" "?cursor=00.1.0" "?cursor=0.1.0.0" \
	"?cursor=0.1.$((TOTAL + 1))" "?cursor=0.1.99999999999999999999" \
	"?after=0%26limit=1" "?after=%E4%B8%AD"; do
	ask 400 "$BASE/feed$q"
	error_is bad_parameter
done
# a checkpoint that is not there: 404
ask 404 "$BASE/feed?after=2"
error_is not_found
ask 404 "$BASE/feed?cursor=0.2.0"
error_is not_found
# no such resource: a JSON 404 too, whatever the method
for path in /feed/ / /nothing /checkpoints /feedx /status; do
	ask 404 "$BASE$path"
	error_is not_found
done
ask 404 -X POST "$BASE/nothing"
error_is not_found
ask 200 "$BASE/feed?limit=10000&after=0"

# ---- a withdrawal, then the next checkpoint --------------------------------------------
g 0 "$GOVFED" catalog withdraw --home "$C" --item 义务教育/YWJY.02.04 --reason 事项调整至教育服务领域目录
put_at "$C" YWJY.02.03 "招生范围（2024年）"
carry "$C" "$P"
g 0 "$GOVFED" checkpoint cut --home "$P"
ask 200 "$BASE/checkpoints/latest"
git --git-dir="$P/store.git" cat-file blob refs/checkpoints/0000000002 >"$T/cp2"
checks=$((checks + 1))
cmp -s "$T/body" "$T/cp2" || fail "/checkpoints/latest is not checkpoint 2"
ask 200 "$BASE/feed?after=1"
checks=$((checks + 1))
python3 - "$T/body" <<'EOF' || fail "the feed from 1 to 2: $(head -c 600 "$T/body")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["from"] == 1 and d["to"] == 2 and d["next"] is None, d
got = [(c["kind"], c["node"], c["path"]) for c in d["changes"]]
assert got == [("changed", "350100", "catalog/义务教育/YWJY.02.03.json"),
               ("withdrawn", "350100", "catalog/义务教育/YWJY.02.04.json")], got
w = d["changes"][1]["record"]["withdrawn"]
assert w["reason"] == "事项调整至教育服务领域目录", w
EOF
# an old cursor still pages its old list, to checkpoint 1
ask 200 "$BASE/feed?cursor=0.1.0&limit=10000"
checks=$((checks + 1))
python3 - "$T/body" "$T/all1" <<'EOF' || fail "cursor 0.1.0 changed after checkpoint 2"
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
b = json.load(open(sys.argv[2], encoding="utf-8"))
assert a["changes"] == b["changes"] and a["to"] == 1
EOF

# ---- the command line ---------------------------------------------------------------------
run 2 "$GOVFED" feed serve --home "$P" --listen nonsense
run 2 "$GOVFED" feed serve --home "$P" --listen 127.0.0.1:99999
run 3 "$GOVFED" feed serve --home "$P" --listen "127.0.0.1:$PORT"
err_has "127.0.0.1:$PORT"

stop serve
checks=$((checks + 1))
grep -q "serving the checkpoints and the feed" "$LOGS/serve.log" || fail "no line when listening"
finish
