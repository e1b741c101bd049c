#!/usr/bin/env bash
# e2e_feed.sh — govfed feed pull: the province's feed mirrored into SQLite.
#
# A. Against a reference feed computed from a real store with git and
#    served by a small python server (so that every answer can be
#    crafted): the mirror equals the union of the heads' records at its
#    checkpoint, across incremental pulls with changes and withdrawals;
#    pulls killed (SIGKILL) at random points resume to a mirror byte-equal
#    to an uninterrupted pull, consistent after every kill; forged,
#    reordered, forked and rolled-back checkpoints and bad pages are
#    refused with nothing of them applied; usage and network errors.
# B. Against real daemons and `govfed feed serve`: while a city and two
#    district and two townships publish concurrently and the province cuts
#    checkpoints, every
#    pull leaves a mirror equal to the union of the held heads' records at
#    its checkpoint; killed pulls resume byte-equal; a store whose
#    checkpoint blob was altered is refused; malformed queries get 400.
#
# FEED_PARTS=A or B runs one part only (default: both); FEED_VERBOSE=1
# prints the reason of every refusal.
source "$(dirname "$0")/lib.sh"

PARTS=${FEED_PARTS:-AB}
PY=/usr/bin/python3
mkdir -p "$T/py"

# ---- python helpers ---------------------------------------------------------

# craft.py STORE OUTDIR [LIMIT]: the reference feed of a store (every
# checkpoint; the changes from each checkpoint and from 0 to the latest)
# as files and a map.json for serve.py
cat >"$T/py/craft.py" <<'EOF'
import base64, hashlib, json, os, subprocess, sys
store, out = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
os.makedirs(out, exist_ok=True)
def git(*a):
    return subprocess.run(["git", "-c", "core.quotePath=false", "--git-dir=" + store]
                          + list(a), check=True, capture_output=True).stdout
cps = {}
for r in git("for-each-ref", "--format=%(refname)", "refs/checkpoints/").decode().split():
    cps[int(r.rsplit("/", 1)[1])] = git("cat-file", "blob", r)
def tree(commit):
    res = {}
    for e in git("ls-tree", "-r", "-z", commit).decode().split("\0"):
        if not e:
            continue
        meta, path = e.split("\t", 1)
        if path.startswith("documents/") and "/files/" in path:
            continue
        res[path] = meta.split()[2]
    return res
def signer(commit):
    node = json.loads(git("show", commit + ":node.json"))
    blob = base64.b64decode(node["key"].split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
def heads(seq):
    return {h["node"]: h for h in json.loads(cps[seq])["heads"]} if seq else {}
m = {}
seqs = sorted(cps)
for seq in seqs:
    open(os.path.join(out, "cp%d" % seq), "wb").write(cps[seq])
    m["/checkpoints/%d" % seq] = "cp%d" % seq
if seqs:
    m["/checkpoints/latest"] = "cp%d" % seqs[-1]
T = seqs[-1] if seqs else 0
for n in [0] + seqs[:-1]:
    a, b = heads(n), heads(T)
    changes = []
    for node in sorted(b):
        tb = tree(b[node]["commit"])
        ta = tree(a[node]["commit"]) if node in a else {}
        for path in sorted(tb):
            if ta.get(path) == tb[path]:
                continue
            rec = json.loads(git("cat-file", "blob", tb[path]))
            if path not in ta:
                kind = "added"
            else:
                old = json.loads(git("cat-file", "blob", ta[path]))
                o2, r2 = dict(old), dict(rec)
                o2.pop("validity", None); r2.pop("validity", None)
                if "withdrawn" in rec and "withdrawn" not in old:
                    kind = "withdrawn"
                elif o2 == r2:
                    kind = "validity"
                else:
                    kind = "changed"
            commit = git("log", "-1", "--format=%H", b[node]["commit"], "--", path).decode().strip()
            changes.append({"kind": kind, "node": node, "level": b[node]["level"],
                            "path": path, "record": rec, "commit": commit,
                            "signer": signer(commit)})
    k = 0
    while True:
        page = changes[k:k + limit]
        nk = k + len(page)
        nxt = "%d.%d.%d" % (n, T, nk) if nk < len(changes) else None
        fn = "feed_%d_%d_%d" % (n, T, k)
        open(os.path.join(out, fn), "w").write(json.dumps(
            {"from": n, "to": T, "changes": page, "next": nxt}, ensure_ascii=False))
        m["/feed?after=%d" % n if k == 0 else "/feed?cursor=%d.%d.%d" % (n, T, k)] = fn
        if nxt is None:
            break
        k = nk
json.dump(m, open(os.path.join(out, "map.json"), "w"), indent=1)
EOF

# serve.py DIR PORTFILE: serves DIR/map.json's files (map re-read on every
# request; the limit parameter is ignored); SERVE_DELAY seconds per answer
cat >"$T/py/serve.py" <<'EOF'
import http.server, json, os, sys, time, urllib.parse
root, portfile = sys.argv[1], sys.argv[2]
delay = float(os.environ.get("SERVE_DELAY", "0"))
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_GET(self):
        m = json.load(open(os.path.join(root, "map.json")))
        u = urllib.parse.urlsplit(self.path)
        q = [kv for kv in u.query.split("&") if kv and not kv.startswith("limit=")]
        key = u.path + ("?" + "&".join(q) if q else "")
        if delay:
            time.sleep(delay)
        if key in m:
            code, body = 200, open(os.path.join(root, m[key]), "rb").read()
        else:
            code, body = 404, b'{"error":"not_found","message":"no such thing"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
EOF

# resign.py KEY IN OUT [CODE]: checkpoint IN, edited by CODE (python on
# `c`), signed again with KEY (so the chain rules, not the signature,
# must refuse it)
cat >"$T/py/resign.py" <<'EOF'
import json, os, subprocess, sys, tempfile
key, src, dst = sys.argv[1:4]
c = json.load(open(src))
if len(sys.argv) > 4:
    exec(sys.argv[4])
c.pop("sig", None)
compact = json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
with tempfile.TemporaryDirectory() as d:
    f = os.path.join(d, "m")
    open(f, "wb").write(compact)
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "govfed-checkpoint",
                    "-f", key, f], check=True, capture_output=True)
    armor = open(f + ".sig").read().splitlines()
c["sig"] = "".join(l for l in armor if not l.startswith("-----"))
open(dst, "w").write(json.dumps(c, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
EOF

# expect.py STORE DUMP: the mirror (feed dump --json) equals the union of
# the records of the heads of its checkpoint in STORE: the same
# (node, path) set, each record equal to the blob, its commit the last one
# to change the path at or before the head, its level the head's; the
# tombstones exactly the withdrawn records; the checkpoint's hash right
cat >"$T/py/expect.py" <<'EOF'
import hashlib, json, subprocess, sys
store, dump = sys.argv[1], sys.argv[2]
d = json.load(open(dump))
def git(*a):
    return subprocess.run(["git", "-c", "core.quotePath=false", "--git-dir=" + store]
                          + list(a), check=True, capture_output=True).stdout
bad = []
cp = d["checkpoint"]
if cp is None:
    sys.exit("no checkpoint in the mirror")
blob = git("cat-file", "blob", "refs/checkpoints/%010d" % cp["seq"])
if hashlib.sha256(blob).hexdigest() != cp["hash"]:
    bad.append("checkpoint %d: hash differs" % cp["seq"])
want = {}
for h in json.loads(blob)["heads"]:
    last = {}
    cur = None
    for line in git("log", "--format=commit %H", "--name-only", h["commit"]).decode().splitlines():
        if line.startswith("commit "):
            cur = line[7:]
        elif line and line not in last:
            last[line] = cur
    for e in git("ls-tree", "-r", "-z", h["commit"]).decode().split("\0"):
        if not e:
            continue
        meta, path = e.split("\t", 1)
        if path.startswith("documents/") and "/files/" in path:
            continue
        want[(h["node"], path)] = (h["level"], meta.split()[2], last.get(path))
got = {(r["node"], r["path"]): r for r in d["records"]}
for k in sorted(want.keys() - got.keys()):
    bad.append("missing %s %s" % k)
for k in sorted(got.keys() - want.keys()):
    bad.append("extra %s %s" % k)
oids = [(k, want[k][1]) for k in sorted(want.keys() & got.keys())]
if oids:
    out = subprocess.run(["git", "--git-dir=" + store, "cat-file", "--batch"],
                         input="".join(o + "\n" for _, o in oids).encode(),
                         check=True, capture_output=True).stdout
    pos = 0
    for k, o in oids:
        nl = out.index(b"\n", pos)
        size = int(out[pos:nl].split()[2])
        rec = json.loads(out[nl + 1:nl + 1 + size])
        pos = nl + 1 + size + 1
        r = got[k]
        if rec != r["record"]:
            bad.append("record differs: %s %s" % k)
        if r["level"] != want[k][0]:
            bad.append("level differs: %s %s" % k)
        if r["commit"] != want[k][2]:
            bad.append("commit %s, want %s: %s %s" % (r["commit"], want[k][2], *k))
wt = {k for k, r in got.items() if "withdrawn" in r["record"]}
tt = {(t["node"], t["path"]): t for t in d["tombstones"]}
if wt != set(tt):
    bad.append("tombstones %s, want %s" % (sorted(tt), sorted(wt)))
for k in wt & set(tt):
    w = got[k]["record"]["withdrawn"]
    if (tt[k]["at"], tt[k]["reason"]) != (w["at"], w["reason"]):
        bad.append("tombstone differs: %s %s" % k)
for b in bad[:20]:
    print(b, file=sys.stderr)
print("%d records, %d tombstones at checkpoint %d" % (len(got), len(tt), cp["seq"]))
sys.exit(1 if bad else 0)
EOF

# consistent.py DIR: the mirror's state is one a committed page leaves:
# the cursor N or N.T.K with exactly K changes of N→T in the history,
# every record's latest change in the history, no change twice
cat >"$T/py/consistent.py" <<'EOF'
import os, sqlite3, sys
# killed before its first transaction: no file, or a file without tables
if not os.path.exists(sys.argv[1] + "/feed.sqlite"):
    sys.exit(0)
# (read-write: a killed transaction's journal is recovered, as the next
# pull or dump would; nothing is written)
db = sqlite3.connect(sys.argv[1] + "/feed.sqlite")
if not db.execute("SELECT 1 FROM sqlite_master WHERE name='state'").fetchone():
    sys.exit(0)
cur = db.execute("SELECT value FROM state WHERE key='cursor'").fetchone()[0]
bad = []
if "." in cur:
    n, t, k = map(int, cur.split("."))
    got = db.execute("SELECT count(*) FROM history WHERE after=? AND checkpoint=?",
                     (n, t)).fetchone()[0]
    if got != k:
        bad.append("cursor %s but %d changes of %d->%d applied" % (cur, got, n, t))
    if not db.execute("SELECT 1 FROM checkpoints WHERE seq=?", (t,)).fetchone():
        bad.append("cursor %s names an unverified checkpoint" % cur)
nrec = db.execute("SELECT count(*) FROM records").fetchone()[0]
nkeys = db.execute("SELECT count(*) FROM (SELECT DISTINCT node, path FROM history)").fetchone()[0]
if nrec != nkeys:
    bad.append("%d records but %d distinct paths in the history" % (nrec, nkeys))
lost = db.execute("""SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM history h
    WHERE h.node = r.node AND h.path = r.path AND h.checkpoint = r.checkpoint
    AND h.record = r.record)""").fetchone()[0]
if lost:
    bad.append("%d records without their change in the history" % lost)
seqs = [r[0] for r in db.execute("SELECT seq FROM checkpoints ORDER BY seq")]
if seqs != list(range(1, len(seqs) + 1)):
    bad.append("checkpoints not 1..n: %s" % seqs[:10])
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# records.py DUMP: the records alone (node, path, record, commit), sorted —
# what two mirrors pulled along different paths must agree on
cat >"$T/py/records.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["records"]:
    print(json.dumps([r["node"], r["path"], r["commit"], r["record"]],
                     sort_keys=True, ensure_ascii=False))
for t in d["tombstones"]:
    print(json.dumps(["tombstone", t["node"], t["path"], t["at"], t["reason"]],
                     ensure_ascii=False))
EOF

# ---- helpers -------------------------------------------------------------

# serve NAME DIR [ENV...]: run serve.py on DIR; sets URL
serve() {
	local name=$1 dir=$2
	shift 2
	rm -f "$T/$name.port"
	env "$@" "$PY" "$T/py/serve.py" "$dir" "$T/$name.port" 2>>"$LOGS/$name.log" &
	echo $! >"$PIDS/$name"
	wait_for 10 "$name listens" test -s "$T/$name.port"
	URL=http://127.0.0.1:$(cat "$T/$name.port")
}

# mapset DIR KEY FILE: serve FILE for KEY ("": nothing, a 404)
mapset() {
	"$PY" - "$1/map.json" "$2" "$3" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
if sys.argv[3]:
    m[sys.argv[2]] = sys.argv[3]
else:
    m.pop(sys.argv[2], None)
json.dump(m, open(sys.argv[1], "w"))
EOF
}

# dump DIR FILE: the mirror as JSON
dump() { "$GOVFED" feed dump --out "$1" --json >"$2"; }

# matches STORE DIR: the mirror equals the union of the heads' records
matches() {
	dump "$2" "$T/m.json"
	checks=$((checks + 1))
	if ! "$PY" "$T/py/expect.py" "$1" "$T/m.json" >"$T/expect.out" 2>"$T/expect.err"; then
		fail "mirror $2 differs from the heads of its checkpoint in $1:"
		sed 's/^/  /' "$T/expect.err" | head -20 >&2
	fi
}

consistent() {
	# feed dump reads it as it is (recovering a killed transaction's
	# journal): a mirror (0) or none yet (1)
	"$GOVFED" feed dump --out "$1" --json >/dev/null 2>"$T/cons.err"
	local rc=$?
	checks=$((checks + 1))
	[ "$rc" = 0 ] || [ "$rc" = 1 ] ||
		{ fail "feed dump after a kill: exit $rc: $(cat "$T/cons.err")"; }
	checks=$((checks + 1))
	"$PY" "$T/py/consistent.py" "$1" 2>"$T/cons.err" ||
		{ fail "mirror $1 inconsistent after a kill:"; sed 's/^/  /' "$T/cons.err" >&2; }
}

# refused_unchanged WHAT DIR CMD...: CMD is refused (exit 1) and the
# mirror's dump is byte-equal before and after (FEED_VERBOSE=1 prints why)
refused_unchanged() {
	local what=$1 dir=$2
	shift 2
	dump "$dir" "$T/before.json"
	run 1 "$@"
	[ -n "${FEED_VERBOSE:-}" ] && sed "s/^/    /" "$T/err" | cut -c1-220
	dump "$dir" "$T/after.json"
	checks=$((checks + 1))
	cmp -s "$T/before.json" "$T/after.json" || fail "$what changed the mirror"
}

# killed_pulls DIR MS ARGS...: 10 pulls into DIR, each SIGKILLed after a
# random delay below MS/3 ms (MS: an uninterrupted pull's time); the
# mirror is consistent after each; then a pull to the end. Sets KILLED
# (how many were still running when killed).
killed_pulls() {
	local dir=$1 ms=$2 i pid d
	shift 2
	KILLED=0
	for i in $(seq 1 10); do
		"$GOVFED" feed pull --out "$dir" "$@" >/dev/null 2>>"$LOGS/killed.log" &
		pid=$!
		echo "$pid" >"$PIDS/pull"
		d=$((RANDOM % (ms / 3 + 1)))
		sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
		if kill -KILL "$pid" 2>/dev/null; then
			KILLED=$((KILLED + 1))
		fi
		wait "$pid" 2>/dev/null
		rm -f "$PIDS/pull"
		consistent "$dir"
	done
	g 0 "$GOVFED" feed pull --out "$dir" "$@"
	consistent "$dir"
}

# ---- A: a reference feed, crafted answers -------------------------------------

part_a() {
	echo "A: against a reference feed"
	federation   # $P $C $D $S: province, city, district, township
	local ex=$ROOT/examples/catalog f n
	for f in AQSC.01.01 AQSC.02.01 BZZF.01.01 CXGH.01.01 CZYJ.01.01; do
		g 0 "$GOVFED" catalog put --home "$P" --file "$ex/$f.json"
	done
	for f in FPGZ.01.01 FPGZ.02.01 GGFL.01.01; do
		g 0 "$GOVFED" catalog put --home "$C" --file "$ex/$f.json"
	done
	for f in GGWH.01.01 GGWH.02.01 HJGL.01.01 HJGL.02.01; do
		g 0 "$GOVFED" catalog put --home "$S" --file "$ex/$f.json"
	done
	carry "$C" "$P" 350100
	carry "$D" "$P" 350104
	carry "$S" "$P" 350104004
	g 0 "$GOVFED" checkpoint cut --home "$P"
	# a second checkpoint: one more item at the province
	g 0 "$GOVFED" catalog put --home "$P" --file "$ex/GGZY.01.01.json"
	g 0 "$GOVFED" checkpoint cut --home "$P"
	"$PY" "$T/py/craft.py" "$P/store.git" "$T/fa" 3 || fail "craft.py"
	serve feedA "$T/fa"
	local A=$URL

	# a first pull, in pages of 3 (the reference feed's page size)
	g 0 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/m1" --json
	out_has '"seq": 2'
	out_has '"checkpoints_pulled": 2'
	out_has '"added": 20'
	matches "$P/store.git" "$T/m1"
	checks=$((checks + 1))
	grep -q '20 records, 0 tombstones at checkpoint 2' "$T/expect.out" ||
		fail "m1: $(cat "$T/expect.out")"
	# nothing new: a second pull changes nothing
	dump "$T/m1" "$T/m1a.json"
	g 0 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/m1" --json
	out_has '"changes": 0'
	dump "$T/m1" "$T/m1b.json"
	checks=$((checks + 1))
	cmp -s "$T/m1a.json" "$T/m1b.json" || fail "a pull with nothing new changed the mirror"

	# changes: the township withdraws an item and changes another, the city
	# adds one; checkpoint 3
	g 0 "$GOVFED" catalog withdraw --home "$S" --item GGWH.01.01 --reason "事项调整，不再适用"
	"$PY" - "$ex/HJGL.01.01.json" "$T/hjgl.json" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
v["time_limit"] = "信息形成或变更之日起10个工作日内"
json.dump(v, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
	g 0 "$GOVFED" catalog put --home "$S" --file "$T/hjgl.json"
	g 0 "$GOVFED" catalog put --home "$C" --file "$ex/GGFL.02.01.json"
	carry "$C" "$P" 350100
	carry "$S" "$P" 350104004
	g 0 "$GOVFED" checkpoint cut --home "$P"
	"$PY" "$T/py/craft.py" "$P/store.git" "$T/fa" 3 || fail "craft.py"
	g 0 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/m1" --json
	out_has '"checkpoints_pulled": 1'
	out_has '"withdrawn": 1'
	out_has '"changed": 1'
	out_has '"added": 1'
	matches "$P/store.git" "$T/m1"
	checks=$((checks + 1))
	grep -q '21 records, 1 tombstones at checkpoint 3' "$T/expect.out" ||
		fail "m1: $(cat "$T/expect.out")"
	g 0 "$GOVFED" feed dump --out "$T/m1"
	out_has "tombstone 350104004 catalog/"
	out_has "事项调整，不再适用"
	out_has "checkpoint 3 "

	# the same from nothing, in one range 0 -> 3, agrees on every record
	g 0 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/m2"
	out_has "at checkpoint 3"
	matches "$P/store.git" "$T/m2"
	dump "$T/m1" "$T/m1.json"
	dump "$T/m2" "$T/m2.json"
	same "$("$PY" "$T/py/records.py" "$T/m1.json" | sha256sum)" \
		"$("$PY" "$T/py/records.py" "$T/m2.json" | sha256sum)" \
		"records of an incremental and a one-range pull"

	# killed at random points (10 SIGKILLs) and resumed: byte-equal to an
	# uninterrupted pull; consistent after every kill
	"$PY" "$T/py/craft.py" "$P/store.git" "$T/fa1" 1 || fail "craft.py"
	serve feedSlow "$T/fa1" SERVE_DELAY=0.02
	local SLOW=$URL t0 t1
	t0=$(date +%s%N)
	g 0 "$GOVFED" feed pull --url "$SLOW" --root-key "$P/node.pub" --out "$T/m3"
	t1=$(date +%s%N)
	killed_pulls "$T/mk" $(((t1 - t0) / 1000000)) --url "$SLOW" \
		--root-key "$P/node.pub"
	echo "  uninterrupted pull $(((t1 - t0) / 1000000)) ms; $KILLED of 10 pulls killed while running"
	checks=$((checks + 1))
	[ "$KILLED" -ge 5 ] || fail "only $KILLED of 10 kills hit a running pull"
	dump "$T/m3" "$T/m3.json"
	dump "$T/mk" "$T/mk.json"
	checks=$((checks + 1))
	cmp -s "$T/m3.json" "$T/mk.json" || fail "a killed and resumed pull differs from an uninterrupted one"
	g 0 "$GOVFED" feed dump --out "$T/m3"
	cp "$T/out" "$T/m3.txt"
	g 0 "$GOVFED" feed dump --out "$T/mk"
	checks=$((checks + 1))
	cmp -s "$T/out" "$T/m3.txt" || fail "feed dump differs after kills"

	# one pull at a time per mirror
	serve feedSlower "$T/fa" SERVE_DELAY=0.5
	"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/m4" >/dev/null 2>&1 &
	echo $! >"$PIDS/pull4"
	wait_for 10 "a slow pull locks its mirror" test -e "$T/m4/feed.lock"
	run 3 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/m4"
	err_has "another pull is writing the mirror"
	kill -KILL "$(cat "$PIDS/pull4")"; wait "$(cat "$PIDS/pull4")" 2>/dev/null; rm -f "$PIDS/pull4"
	stop feedSlower KILL 2>/dev/null

	# ---- refusals. The mirror r is pulled up to checkpoint 2 (from feeds
	# that stop there); the feeds below then offer a checkpoint 3.
	mkdir -p "$T/r2feed"
	cp "$T"/fa/cp1 "$T"/fa/cp2 "$T/r2feed/"
	"$PY" - "$T/r2feed" <<'EOF'
import json, sys
json.dump({"/checkpoints/1": "cp1", "/checkpoints/2": "cp2",
           "/checkpoints/latest": "cp2"}, open(sys.argv[1] + "/map.json", "w"))
EOF
	serve feedR "$T/r2feed"
	local R=$URL
	# a feed with checkpoints and no pages: the verified checkpoints are
	# stored, no record
	g 3 "$GOVFED" feed pull --url "$R" --root-key "$P/node.pub" --out "$T/r"
	err_has "/feed?after=0 answered 404"
	g 0 "$GOVFED" feed dump --out "$T/r"
	out_has "checkpoint 2 "
	checks=$((checks + 1))
	grep -q '^record' "$T/out" && fail "records without a page"
	# the reference feed of the store as it was at checkpoint 2
	git clone -q --mirror "$P/store.git" "$T/p2.git"
	git --git-dir="$T/p2.git" update-ref -d refs/checkpoints/0000000003
	"$PY" "$T/py/craft.py" "$T/p2.git" "$T/f2" 1000 || fail "craft.py p2"
	serve feed2 "$T/f2"
	g 0 "$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	out_has "at checkpoint 2"
	matches "$T/p2.git" "$T/r"
	local F2=$URL

	# a forged checkpoint 3: one head's commit altered, signature unchanged
	mkdir -p "$T/ff"
	cp "$T"/fa/* "$T/ff/"
	"$PY" - "$T/ff/cp3" <<'EOF'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
i = b.index(b'"commit": "') + 11
b = b[:i] + (b"0" if b[i:i+1] != b"0" else b"1") + b[i+1:]
open(p, "wb").write(b)
EOF
	serve feedF "$T/ff"
	refused_unchanged "a forged checkpoint" "$T/r" \
		"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	err_has "checkpoint 3 from the feed is refused"
	# and signed by another key than the root
	"$GOVFED" init --home "$T/other" --id 350000 --level province --name 福建省 >/dev/null
	"$PY" "$T/py/resign.py" "$T/other/node.key" "$T/fa/cp3" "$T/ff/cp3" \
		'c["key"] = " ".join(open(sys.argv[1].replace("node.key", "node.pub")).read().split()[:2])'
	refused_unchanged "a checkpoint signed by another key" "$T/r" \
		"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	err_has "checkpoint 3 from the feed is refused"
	# the mirror is of the root key it started with
	refused_unchanged "another root key" "$T/r" \
		"$GOVFED" feed pull --url "$A" --root-key "$T/other/node.pub" --out "$T/r"
	err_has "another root key"

	# validly signed by the root key, but breaking the chain:
	# a wrong prev, a dropped node, a head rolled back, time going back
	# (S's first commit; S's height at checkpoint 2)
	export GENESIS HEIGHT2
	GENESIS=$(git --git-dir="$P/store.git" rev-list --max-parents=0 refs/nodes/350104004)
	HEIGHT2=$("$PY" -c 'import json,sys; print([h for h in json.load(open(sys.argv[1]))["heads"] if h["node"] == "350104004"][0]["height"])' "$T/fa/cp2")
	local code
	for code in 'c["prev"] = "0" * 64' \
		'c["heads"] = [h for h in c["heads"] if h["node"] != "350100"]' \
		'h = [h for h in c["heads"] if h["node"] == "350104004"][0]; h["commit"] = os.environ["GENESIS"]; h["height"] = 1' \
		'h = [h for h in c["heads"] if h["node"] == "350104004"][0]; h["commit"] = "%040x" % 7; h["height"] = int(os.environ["HEIGHT2"])' \
		'c["time"] = "2000-01-01T00:00:00Z"'; do
		"$PY" "$T/py/resign.py" "$P/node.key" "$T/fa/cp3" "$T/ff/cp3" "$code" ||
			fail "resign $code"
		refused_unchanged "a checkpoint breaking the chain ($code)" "$T/r" \
			"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
		err_has "checkpoint 3 from the feed is refused"
	done
	# reordered: /checkpoints/3 answers checkpoint 2 (latest: 3)
	cp "$T/fa/cp3" "$T/ff/cp3real"
	cp "$T/fa/cp2" "$T/ff/cp3"
	mapset "$T/ff" /checkpoints/latest cp3real
	refused_unchanged "a reordered checkpoint" "$T/r" \
		"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	err_has "reordered"
	# latest and /checkpoints/3 disagree
	cp "$T/fa/cp3" "$T/ff/cp3"
	"$PY" "$T/py/resign.py" "$P/node.key" "$T/fa/cp3" "$T/ff/cp3x" 'c["time"] = c["time"][:-3] + ("58Z" if c["time"].endswith("59Z") else "59Z")'
	mapset "$T/ff" /checkpoints/latest cp3x
	refused_unchanged "latest differing from its seq" "$T/r" \
		"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	err_has "differ"
	# nothing of checkpoint 3 was stored by any of these
	g 0 "$GOVFED" feed dump --out "$T/r"
	out_has "checkpoint 2 "

	# rolled back: m1 holds 3, the feed's latest is 2
	refused_unchanged "a rolled-back feed" "$T/m1" \
		"$GOVFED" feed pull --url "$F2" --root-key "$P/node.pub" --out "$T/m1"
	err_has "rolled back"
	# forked: m1 holds 3, the feed serves another validly signed 3
	cp "$T/ff/cp3x" "$T/ff/cp3"
	refused_unchanged "a forked checkpoint" "$T/m1" \
		"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/m1"
	err_has "differs from the one the mirror holds"

	# bad pages, each refused whole: r (at 2, no changes after) against the
	# reference feed's checkpoint 3 with its page 2->3 altered
	rm -rf "$T/ff"
	mkdir -p "$T/ff"
	cp "$T"/fa/* "$T/ff/"
	local page
	page=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["/feed?after=2"])' "$T/fa/map.json")
	# first without the page: checkpoint 3 is verified and stored, the
	# cursor stays at 2
	mapset "$T/ff" "/feed?after=2" ""
	g 3 "$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	err_has "answered 404"
	g 0 "$GOVFED" feed dump --out "$T/r" --json
	out_has '"cursor": "2"'
	out_has '"seq": 3'
	mapset "$T/ff" "/feed?after=2" "$page"
	for code in 'p["changes"].append(p["changes"][-1])' \
		'p["changes"][0]["kind"] = "added"; p["changes"][0]["path"] = "node.json"; p["changes"][0]["node"] = "350000"; p["changes"][0]["level"] = "province"' \
		'p["changes"][-1]["node"] = "350200"' \
		'p["changes"][-1]["level"] = "city"' \
		'p["changes"][-1]["commit"] = "xyz"' \
		'p["changes"][-1]["path"] = "../etc/passwd"' \
		'p["changes"][-1]["kind"] = "deleted"' \
		'[c.__setitem__("kind", "withdrawn") for c in p["changes"] if "withdrawn" not in c["record"]]' \
		'p["changes"][-1]["kind"] = "validity"' \
		'p["to"] = 2' \
		'p["from"] = 1' \
		'p["next"] = "2.3.99"' \
		'p["changes"] = "x"'; do
		"$PY" - "$T/fa/$page" "$T/ff/$page" "$code" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(p, ensure_ascii=False))
EOF
		refused_unchanged "a bad page ($code)" "$T/r" \
			"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
		checks=$((checks + 1))
		grep -qE "refused|not a feed page|answered the changes|does not follow" "$T/err" ||
			fail "bad page ($code): $(cat "$T/err")"
		# its cursor stayed at 2 (checkpoint 3, verified, may be stored)
		checks=$((checks + 1))
		grep -q '"cursor": "2"' "$T/after.json" || fail "bad page moved the cursor"
	done
	# not JSON at all
	printf 'oops' >"$T/ff/$page"
	refused_unchanged "a page that is not JSON" "$T/r" \
		"$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	err_has "not JSON"
	# a page ahead of the latest checkpoint (cut meanwhile): its checkpoint
	# is fetched and verified first. m6 holds checkpoints 1-2 and no
	# record; the feed's latest says 2, its page after 0 goes to 3
	g 3 "$GOVFED" feed pull --url "$R" --root-key "$P/node.pub" --out "$T/m6"
	mkdir -p "$T/fc"
	cp "$T"/fa/* "$T/fc/"
	mapset "$T/fc" /checkpoints/latest cp2
	serve feedC "$T/fc"
	g 0 "$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/m6" --json
	out_has '"seq": 3'
	out_has '"checkpoints_pulled": 1'
	matches "$P/store.git" "$T/m6"
	stop feedC KILL
	URL=$(cat "$T/feedF.port"); URL=http://127.0.0.1:$URL

	# and with the good page, r catches up and equals the store again
	cp "$T/fa/$page" "$T/ff/$page"
	mapset "$T/ff" "/feed?after=2" "$page"
	g 0 "$GOVFED" feed pull --url "$URL" --root-key "$P/node.pub" --out "$T/r"
	matches "$P/store.git" "$T/r"

	# usage and network errors
	g 2 "$GOVFED" feed pull --root-key "$P/node.pub" --out "$T/u"
	err_has "--url is required"
	g 2 "$GOVFED" feed pull --url "$A" --out "$T/u"
	g 2 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub"
	g 2 "$GOVFED" feed pull --url "https://127.0.0.1:1" --root-key "$P/node.pub" --out "$T/u"
	err_has "https"
	g 2 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/u" --limit 0
	g 2 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/u" --limit 10001
	g 2 "$GOVFED" feed pull --url "$A/x?y=1" --root-key "$P/node.pub" --out "$T/u"
	g 2 "$GOVFED" feed pull --url "$A" --root-key "$P/node.pub" --out "$T/u" --bogus
	g 3 "$GOVFED" feed pull --url "$A" --root-key "$T/nope.pub" --out "$T/u"
	err_has "root key"
	g 3 "$GOVFED" feed pull --url "http://127.0.0.1:$(free_port)" --root-key "$P/node.pub" --out "$T/u"
	err_has "cannot connect"
	g 1 "$GOVFED" feed dump --out "$T/nothing"
	err_has "no mirror"
	g 0 "$GOVFED" feed --help
	out_has "govfed feed pull"
	g 2 "$GOVFED" feed frobnicate
	for n in feedA feedSlow feedR feed2 feedF; do stop "$n" KILL; done
}

# ---- B: real daemons, govfed feed serve --------------------------------------

part_b() {
	echo "B: against real daemons and govfed feed serve"
	local P0=350000 id n f i pid
	node 350000 province 福建省
	node 350100 city 福州市 350000
	node 350104 district 仓山区 350100
	node 350104004 township 上渡街道 350104
	node 350104005 township 下渡街道 350104
	"$PY" - "$T/350000/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["checkpoint_ms"] = 300
open(sys.argv[1], "w").write(json.dumps(c, indent=2) + "\n")
EOF
	local NODES="350000 350100 350104 350104004 350104005"
	for id in $NODES; do start "$id"; done
	# (the townships have no commit before they publish)
	for id in 350100 350104; do
		wait_for 30 "the province holds $id" head_is "$T/350000" "$id" "$(own_head "$id")"
	done

	# the feed: on the daemon's port when it serves it, else `feed serve`
	local code FEED CUTS=test
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[350000]}/checkpoints/latest")
	if [ "$code" = 200 ] || [ "$code" = 503 ]; then
		FEED=http://127.0.0.1:${PORT[350000]}
		echo "  the daemon serves the feed on its port"
	else
		local fp
		fp=$(free_port)
		"$GOVFED" feed serve --home "$T/350000" --listen "127.0.0.1:$fp" \
			>>"$LOGS/feedserve.log" 2>&1 &
		echo $! >"$PIDS/feedserve"
		FEED=http://127.0.0.1:$fp
		wait_for 10 "govfed feed serve listens" curl -s -o /dev/null "$FEED/checkpoints/latest"
		echo "  the feed served by govfed feed serve (the daemon's port answers $code)"
	fi
	# does the daemon cut checkpoints by itself?
	for i in $(seq 1 40); do
		git --git-dir="$T/350000/store.git" rev-parse -q --verify refs/checkpoints/0000000001 >/dev/null && { CUTS=daemon; break; }
		sleep 0.1
	done
	echo "  checkpoints cut by: $CUTS"
	cut_cp() { [ "$CUTS" = daemon ] || "$GOVFED" checkpoint cut --home "$T/350000" >>"$LOGS/cut.log" 2>&1; }
	cut_cp

	# publishers: the city, the district and both townships, concurrently,
	# each its own items (every fourth one then changed, every fifth
	# withdrawn)
	local items=("$ROOT"/examples/catalog/*.json)
	publisher() { # publisher ID FIRST COUNT
		local id=$1 first=$2 count=$3 k f
		for k in $(seq "$first" $((first + count - 1))); do
			f=${items[$k]}
			"$GOVFED" catalog put --home "$T/$id" --file "$f" >/dev/null 2>>"$LOGS/pub-$id.log" ||
				echo "put $f at $id" >>"$T/pub.fail"
			if [ $((k % 4)) = 0 ]; then
				"$PY" - "$f" "$T/chg-$id.json" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
v["time_limit"] = "信息形成或者变更之日起10个工作日内"
json.dump(v, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
				"$GOVFED" catalog put --home "$T/$id" --file "$T/chg-$id.json" >/dev/null 2>>"$LOGS/pub-$id.log" ||
					echo "change $f at $id" >>"$T/pub.fail"
			fi
			if [ $((k % 5)) = 0 ]; then
				"$GOVFED" catalog withdraw --home "$T/$id" \
					--item "$(basename "$f" .json)" --reason "事项调整" >/dev/null 2>>"$LOGS/pub-$id.log" ||
					echo "withdraw $f at $id" >>"$T/pub.fail"
			fi
		done
	}
	publisher 350100 0 25 & echo $! >"$PIDS/pub1"
	publisher 350104 25 25 & echo $! >"$PIDS/pub4"
	publisher 350104004 50 25 & echo $! >"$PIDS/pub2"
	publisher 350104005 75 25 & echo $! >"$PIDS/pub3"

	# meanwhile: cut (unless the daemon does), pull, and compare the mirror
	# with the heads of its checkpoint, again and again (bounded)
	local pulls=0 seqs=""
	for i in $(seq 1 40); do
		cut_cp
		run 0 "$GOVFED" feed pull --url "$FEED" --root-key "$T/350000/node.pub" --out "$T/mb" --json
		pulls=$((pulls + 1))
		matches "$T/350000/store.git" "$T/mb"
		seqs="$seqs $(sed -n 's/.* at checkpoint \([0-9]*\)$/\1/p' "$T/expect.out")"
		local alive=0
		for f in pub1 pub2 pub3 pub4; do kill -0 "$(cat "$PIDS/$f")" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break
		sleep 0.2
	done
	for f in pub1 pub2 pub3 pub4; do
		wait "$(cat "$PIDS/$f")"
		rm -f "$PIDS/$f"
	done
	echo "  $pulls pulls while publishing, each equal to its checkpoint (checkpoints:$seqs)"
	checks=$((checks + 1))
	[ -e "$T/pub.fail" ] && fail "publishing failed: $(head -3 "$T/pub.fail")"
	checks=$((checks + 1))
	[ "$pulls" -ge 3 ] || fail "only $pulls pulls while publishing"

	# the end: once the province holds every final head and a checkpoint
	# names them, the mirror holds everything
	for id in 350100 350104 350104004 350104005; do
		wait_for 30 "the province holds $id's last commit" head_is "$T/350000" "$id" "$(own_head "$id")"
	done
	cut_cp
	local want
	want=$(for id in 350100 350104 350104004 350104005; do echo "$id $(own_head "$id")"; done)
	cp_heads() {
		git --git-dir="$T/350000/store.git" cat-file blob \
			"$(git --git-dir="$T/350000/store.git" for-each-ref --sort=-refname --count=1 --format='%(refname)' refs/checkpoints/)" |
			"$PY" -c 'import json,sys; [print(h["node"], h["commit"]) for h in json.load(sys.stdin)["heads"] if h["node"] in ("350100","350104","350104004","350104005")]'
	}
	cp_final() { [ "$(cp_heads)" = "$want" ]; }  # evaluated on every try
	wait_for 20 "a checkpoint names every final head" cp_final
	g 0 "$GOVFED" feed pull --url "$FEED" --root-key "$T/350000/node.pub" --out "$T/mb" --json
	matches "$T/350000/store.git" "$T/mb"
	echo "  final: $(cat "$T/expect.out")"
	# every published item is in the mirror, withdrawn ones as tombstones
	local nitems ntomb
	nitems=$("$PY" -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1]))["records"] if r["path"].startswith("catalog/")))' "$T/m.json")
	same "$nitems" 100 "catalog items in the mirror"
	ntomb=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tombstones"]))' "$T/m.json")
	same "$ntomb" 20 "tombstones in the mirror"

	# the daemon's feed and `govfed feed serve` on the same store agree
	# byte for byte
	if [ ! -e "$PIDS/feedserve" ]; then
		local sp
		sp=$(free_port)
		"$GOVFED" feed serve --home "$T/350000" --listen "127.0.0.1:$sp" \
			>>"$LOGS/feedserve.log" 2>&1 &
		echo $! >"$PIDS/feedserve"
		wait_for 10 "govfed feed serve listens" curl -s -o /dev/null "http://127.0.0.1:$sp/checkpoints/latest"
		g 0 "$GOVFED" feed pull --url "http://127.0.0.1:$sp" --root-key "$T/350000/node.pub" --out "$T/bs"
		g 0 "$GOVFED" feed pull --url "$FEED" --root-key "$T/350000/node.pub" --out "$T/bd"
		dump "$T/bs" "$T/bs.json"
		dump "$T/bd" "$T/bd.json"
		checks=$((checks + 1))
		cmp -s "$T/bs.json" "$T/bd.json" || fail "the daemon's feed and feed serve's differ"
		stop feedserve
	fi

	# killed at random points and resumed, against the real server: byte-
	# equal to an uninterrupted pull (nothing is published meanwhile, so the
	# latest checkpoint stays)
	local t0 t1
	t0=$(date +%s%N)
	g 0 "$GOVFED" feed pull --url "$FEED" --root-key "$T/350000/node.pub" --out "$T/bu" --limit 1
	t1=$(date +%s%N)
	killed_pulls "$T/bk" $(((t1 - t0) / 1000000)) --url "$FEED" \
		--root-key "$T/350000/node.pub" --limit 1
	echo "  uninterrupted pull $(((t1 - t0) / 1000000)) ms; $KILLED of 10 pulls killed while running"
	dump "$T/bu" "$T/bu.json"
	dump "$T/bk" "$T/bk.json"
	checks=$((checks + 1))
	cmp -s "$T/bu.json" "$T/bk.json" || fail "a killed and resumed pull differs from an uninterrupted one (real server)"
	matches "$T/350000/store.git" "$T/bk"

	# progress on a terminal (script(1) gives the pull a pty), none when
	# stderr is a file
	local pcmd
	pcmd="$(printf '%q ' "$GOVFED" feed pull --url "$FEED" --root-key "$T/350000/node.pub" --out "$T/bt" --limit 5)"
	g 0 script -qec "$pcmd" /dev/null
	out_has "govfed: pull: checkpoint latest"
	out_has "complete at checkpoint"
	checks=$((checks + 1))
	grep -q $'\rgovfed: pull:' "$T/out" || fail "no progress line redrawn (CR) on a terminal"
	local nprog
	nprog=$(tr '\r' '\n' <"$T/out" | grep -c 'govfed: pull:')
	g 0 "$GOVFED" feed pull --url "$FEED" --root-key "$T/350000/node.pub" --out "$T/bt2" --limit 5
	checks=$((checks + 1))
	[ ! -s "$T/err" ] || fail "a pull whose stderr is a file printed progress: $(head -c 200 "$T/err")"
	echo "  progress on a terminal: $nprog updates; none to a file"

	# malformed queries get 400 with a JSON error; no such checkpoint 404
	local q
	for q in "feed?after=abc" "feed?after=-1" "feed?after=1&limit=0" \
		"feed?after=1&limit=10001" "feed?after=1&limit=x" "feed?cursor=garbage" \
		"feed?cursor=1.2" "feed?after=1&after=2" "feed?bogus=1" "feed" \
		"feed?after=" "checkpoints/abc" "checkpoints/01" "checkpoints/-1"; do
		code=$(curl -s -o "$T/body" -w '%{http_code} %{content_type}' "$FEED/$q")
		same "$code" "400 application/json; charset=utf-8" "GET /$q"
		checks=$((checks + 1))
		"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["error"] and d["message"] else 1)' "$T/body" ||
			fail "GET /$q: not a JSON error: $(head -c 200 "$T/body")"
	done
	code=$(curl -s -o /dev/null -w '%{http_code}' "$FEED/checkpoints/9999999")
	same "$code" 404 "GET /checkpoints/9999999"
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$FEED/feed?after=0")
	same "$code" 405 "POST /feed"
	echo "  14 malformed queries: 400 with a JSON error; 404, 405"

	# a copy of the province whose checkpoint blobs were altered, served by
	# govfed feed serve: refused by the pull
	for id in $NODES; do stop "$id"; done
	[ -e "$PIDS/feedserve" ] && stop feedserve
	cp -a "$T/350000" "$T/forged"
	local G="git --git-dir=$T/forged/store.git" last blob fp
	last=$($G for-each-ref --sort=-refname --count=1 --format='%(refname)' refs/checkpoints/)
	blob=$($G cat-file blob "$last" | sed '0,/"commit": "\(.\)/s//"commit": "X\1/' | sed 's/"commit": "X0/"commit": "1/; s/"commit": "X\(.\)/"commit": "0/' |
		$G hash-object -w --stdin)
	$G update-ref "$last" "$blob"
	fp=$(free_port)
	"$GOVFED" feed serve --home "$T/forged" --listen "127.0.0.1:$fp" >>"$LOGS/forged.log" 2>&1 &
	echo $! >"$PIDS/forged"
	wait_for 10 "the forged store is served" curl -s -o /dev/null "http://127.0.0.1:$fp/checkpoints/1"
	run 1 "$GOVFED" feed pull --url "http://127.0.0.1:$fp" --root-key "$T/350000/node.pub" --out "$T/bf"
	err_has "checkpoint $((10#${last##*/})) from the feed is refused"
	echo "  a forged checkpoint blob: $(cat "$T/err")"
	g 0 "$GOVFED" feed dump --out "$T/bf" --json
	out_has '"cursor": "0"'
	out_has '"records": []'
	# and one whose latest checkpoint is gone: rolled back for a mirror at it
	stop forged
	$G update-ref -d "$last"
	"$GOVFED" feed serve --home "$T/forged" --listen "127.0.0.1:$fp" >>"$LOGS/forged.log" 2>&1 &
	echo $! >"$PIDS/forged"
	wait_for 10 "the rolled-back store is served" curl -s -o /dev/null "http://127.0.0.1:$fp/checkpoints/1"
	refused_unchanged "a rolled-back feed (real server)" "$T/mb" \
		"$GOVFED" feed pull --url "http://127.0.0.1:$fp" --root-key "$T/350000/node.pub" --out "$T/mb"
	err_has "rolled back"
	echo "  a rolled-back store: $(cat "$T/err")"
	stop forged
}

case $PARTS in *A*) part_a ;; esac
case $PARTS in *B*) part_b ;; esac
[ "$fails" = 0 ] || show_logs 5
finish
