#!/usr/bin/env bash
# e2e_hostile.sh — a hostile peer. A province P (350000) has two enrolled
# cities: an honest one C (350100, its daemon running) and a compromised
# one X (350200): the attacker holds X's real key and runs govfed-peer
# instead of a daemon. Every attack — garbage, an oversized message, a
# forged signature, a replayed or misaddressed request, an unauthorized
# write, a non-fast-forward history, a push or fetch it is not entitled
# to, a flood, a stranger's key — is refused with the expected error, P
# logs why, nothing is accepted, and P keeps serving C meanwhile. Then a
# hostile parent: a district D (350104) whose parent_url points at a
# govfed-peer sending forged, replayed and garbage announcements and
# replies; D refuses them, logs why, keeps its store and stays up.
#
# Usage: e2e_hostile.sh path/to/govfed [path/to/govfed-peer]
# (the peer defaults to $GOVFED_PEER, then to govfed-peer in the build
# tree beside govfed: BUILD/node/govfed -> BUILD/tests/govfed-peer)
source "$(dirname "$0")/lib.sh"

PEER=${2:-${GOVFED_PEER:-$(dirname "$GOVFED")/../tests/govfed-peer}}
[ -x "$PEER" ] || { echo "govfed-peer not found at '$PEER'" >&2; exit 1; }
PEER=$(realpath "$PEER")
START=$(date +%s%N)

P=$T/350000
PLOG=$LOGS/350000.log
DLOG=$LOGS/350104.log

# ---- the federation ---------------------------------------------------------
node 350000 province 福建省
node 350100 city 福州市 350000
node 350200 city 厦门市 350000 # X: enrolled, never runs a daemon
# D sits under C but dials a fake parent (govfed-peer) instead of C
read -r FAKE DPORT < <(python3 -c 'import socket
a = [socket.socket() for _ in range(2)]
for s in a: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in a])')
g 0 "$GOVFED" init --home "$T/350104" --id 350104 --level district --name 仓山区 \
	--parent 350100 --root-key "$ROOTPUB" --parent-url "127.0.0.1:$FAKE" \
	--listen "127.0.0.1:$DPORT"
g 0 "$GOVFED" enroll --home "$T/350100" --child-pub "$T/350104/node.pub" \
	--id 350104 --level district --name 仓山区
# a fast beacon, as lib.sh's node() sets it
sed -i '1a\  "beacon_ms": 300,\n  "stale_ms": 3000,' "$T/350104/config.json"
# D learns its ancestors the offline way: P's and C's histories by bundle
carry "$P" "$T/350100"
carry "$T/350100" "$T/350104" 350000 350100

# the attacker's keys: X's real one, C's (for the hostile parent), a stranger's
mkdir -p "$T/keys"
cp "$T/350200/node.key" "$T/keys/x.key"
cp "$T/350100/node.key" "$T/keys/c.key"
chmod 600 "$T/keys/x.key" "$T/keys/c.key"
g 0 ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/keys/stranger"

start 350000
start 350100
wait_for 15 "P holds C's history" head_is "$P" 350100 "$(own_head 350100)"
wait_for 15 "C holds P's history" head_is "$T/350100" 350000 "$(own_head 350000)"

X=("$PEER" child --parent "127.0.0.1:${PORT[350000]}" --to 350000 --id 350200 \
	--key "$T/keys/x.key")
STRANGER=("$PEER" child --parent "127.0.0.1:${PORT[350000]}" --to 350000 \
	--id 350300 --key "$T/keys/stranger")

# P's refs, without C's (C's updates are legitimately accepted all along)
# and without the checkpoints P cuts of them (they name only heads the
# acceptance rules let in; what the attacks did not move is the rest)
prefs() {
	git --git-dir="$P/store.git" for-each-ref --format='%(refname) %(objectname)' |
		grep -v '^refs/nodes/350100 ' | grep -v '^refs/checkpoints/'
}
# mark: remember where P's log ends; logged TEXT WHAT: P logged TEXT
# since (logged_re: an extended regex)
mark() { MARK=$(stat -c %s "$PLOG"); }
log_since() { tail -c +$((MARK + 1)) "$PLOG" | grep -q "$@"; }
logged_any() {
	local flag=$1 text=$2 what=${3:-}
	checks=$((checks + 1))
	# the line is written before the reply is sent; allow for buffering
	for _ in $(seq 1 20); do log_since "$flag" -- "$text" && return 0; sleep 0.05; done
	fail "P's log lacks '$text' ($what)"
	tail -c +$((MARK + 1)) "$PLOG" | tail -n 5 | sed 's/^/  log: /' >&2
}
logged() { logged_any -F "$@"; }
logged_re() { logged_any -E "$@"; }
alive() {
	checks=$((checks + 1))
	kill -0 "$(cat "$PIDS/$1")" 2>/dev/null || fail "$1's daemon died ($2)"
}
# only_errors: every reply line in $T/out is an error
only_errors() {
	checks=$((checks + 1))
	if grep -E '^reply ' "$T/out" | grep -vqE '^reply error '; then
		fail "$1: something other than an error came back"
		grep -E '^reply ' "$T/out" | grep -vE '^reply error ' | head -5 | sed 's/^/  out: /' >&2
	fi
}
unchanged() { same "$(prefs)" "$before" "$1: P's refs"; }
# section NAME: a heading with the time since the start
section() { echo "== $1 ($((($(date +%s%N) - START) / 1000000)) ms)"; }
# said WHAT: show what the peer tool got back (its first reply line)
said() {
	echo "  $1: $(grep -m1 -E '^(reply|timeout|closed|oversize|garbage|flood)' "$T/out")"
}
# P's store: the head it holds of X
xheld() { head_of "$P" refs/nodes/350200; }

section "attacks on P from X (350200), which holds X's real key"
# the honest baseline: X's summary is answered
g 0 "${X[@]}" summary
out_has "reply summary"
said "honest summary"

# ---- garbage ----------------------------------------------------------------
before=$(prefs)
mark
g 0 "${X[@]}" garbage 70
out_has "garbage 70 sent: 70 error"
only_errors "garbage"
out_has "reply error bad-frame: not a govfed frame"
out_has "reply error bad-frame: header length"
out_has "reply error bad-frame: header is not a JSON object"
said "garbage"
echo "    $(grep -E '^reply error' "$T/out" | sed -E 's/^reply error ([a-z-]+):.*/\1/' | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
logged "WARN  350000 bad-frame:" "garbage"
# every rejection has its reason in the log (a bit flipped in a signature
# must not leave "bad signature: " and nothing after it)
checks=$((checks + 1))
if grep -qE 'bad signature: $' "$PLOG"; then
	fail "P logged $(grep -cE 'bad signature: $' "$PLOG") rejection(s) with an empty reason ('bad signature: ')"
fi
unchanged "garbage"
alive 350000 "garbage"

# ---- an oversized message: nng drops it, P lives on --------------------------
mark
g 0 "${X[@]}" --timeout 2000 oversize 70
said "oversize"
checks=$((checks + 1))
grep -qE '^oversize 70 MB: (timeout|closed)' "$T/out" || fail "oversize: $(cat "$T/out")"
alive 350000 "oversize"
g 0 "${X[@]}" summary
out_has "reply summary"
unchanged "oversize"

# ---- a forged signature: X's id, another key ----------------------------------
mark
g 0 "${X[@]}" badsig
out_has "reply error bad-signature: the request is not signed by 350200's key"
said "badsig"
logged "rejected: ? from 350200: bad signature" "badsig"
unchanged "badsig"

# ---- a replayed request (an hour old) and a misaddressed one -----------------
mark
g 0 "${X[@]}" old-summary
out_has "reply error bad-frame: the message is dated -3600 s from this node's clock"
said "old-summary"
logged "rejected: ? from 350200: the message is dated -3600 s" "old-summary"
mark
g 0 "${X[@]}" wrong-to 350100
out_has "reply error bad-frame: the message is addressed to 350100, not 350000"
said "wrong-to"
logged "rejected: ? from 350200: the message is addressed to 350100, not 350000" "wrong-to"
unchanged "replay, wrong-to"

# ---- a stranger with an unenrolled key ----------------------------------------
mark
g 0 "${STRANGER[@]}" summary
out_has "reply error not-enrolled: 350300 is not an enrolled child of 350000"
said "stranger"
logged "rejected: ? from 350300: 350300 is not an enrolled child of 350000" "stranger"
unchanged "stranger"

# ---- a lie in a summary: X says C's district D (350104) sits under X ---------
# (P holds nothing of D yet; D's history, arriving later through C, must
# place it — checked at the end)
g 0 "${X[@]}" seen 350104 350200
said "seen 350104 under 350200"
out_has "reply summary"
unchanged "seen"

# ---- X's own history, honestly: accepted ---------------------------------------
cp -a "$T/350200" "$T/xfork" # X at its first commit, for the fork below
put 350200 "$(item_json SHJZ.20.01 社会救助 厦门救助)"
H1=$(own_head 350200)
g 0 "$GOVFED" export --home "$T/350200" --out "$T/x1.bundle"
g 0 "${X[@]}" push 350200 - "$T/x1.bundle" 2
out_has "reply ok 350200 $H1 2 commits"
said "honest push"
same "$(xheld)" "$H1" "P holds X's honest history"
g 0 "${X[@]}" fetch 350000
out_has "reply pack"

# ---- an unauthorized write, validly signed by X: calendar.txt -----------------
# forge X's next commit with stock git in a copy of its store
forge_commit() { # forge_commit STORE TREE MESSAGE: a commit on main signed by X
	GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@x \
		git --git-dir="$1" -c gpg.format=ssh -c user.signingkey="$T/keys/x.key" \
		commit-tree -S "$2" -p refs/heads/main -m "$3"
}
cp -a "$T/350200" "$T/xbad"
XG=$T/xbad/store.git
blob=$(printf '2026 holidays\n' | git --git-dir="$XG" hash-object -w --stdin)
GIT_INDEX_FILE=$T/xbad.idx git --git-dir="$XG" read-tree refs/heads/main
GIT_INDEX_FILE=$T/xbad.idx git --git-dir="$XG" update-index --add --cacheinfo "100644,$blob,calendar.txt"
tree=$(GIT_INDEX_FILE=$T/xbad.idx git --git-dir="$XG" write-tree)
bad=$(forge_commit "$XG" "$tree" "a calendar")
git --git-dir="$XG" update-ref refs/heads/main "$bad"
g 0 "$GOVFED" export --home "$T/xbad" --out "$T/xbad.bundle"
before=$(prefs)
mark
g 0 "${X[@]}" push 350200 - "$T/xbad.bundle" 3
out_has "reply error refused:"
out_has "calendar.txt"
said "calendar.txt"
logged "rejected: 350200 from 350200:" "calendar.txt"
logged "calendar.txt" "calendar.txt"
unchanged "unauthorized write (calendar.txt)"
same "$(xheld)" "$H1" "P's head of X after calendar.txt"

# ... and a node.json naming another node
git --git-dir="$XG" update-ref refs/heads/main "$H1"
git --git-dir="$XG" cat-file blob "$H1:node.json" | sed 's/"id": "350200"/"id": "350100"/' >"$T/node.json"
checks=$((checks + 1))
grep -q '"id": "350100"' "$T/node.json" || fail "could not rewrite node.json"
blob=$(git --git-dir="$XG" hash-object -w "$T/node.json")
rm -f "$T/xbad.idx"
GIT_INDEX_FILE=$T/xbad.idx git --git-dir="$XG" read-tree refs/heads/main
GIT_INDEX_FILE=$T/xbad.idx git --git-dir="$XG" update-index --cacheinfo "100644,$blob,node.json"
tree=$(GIT_INDEX_FILE=$T/xbad.idx git --git-dir="$XG" write-tree)
bad=$(forge_commit "$XG" "$tree" "I am Fuzhou now")
git --git-dir="$XG" update-ref refs/heads/main "$bad"
# (the copy's own id is now 350100, so that is what it exports)
g 0 "$GOVFED" export --home "$T/xbad" --id 350100 --out "$T/xbad2.bundle"
mark
g 0 "${X[@]}" push 350200 - "$T/xbad2.bundle" 3
out_has "reply error refused:"
out_has "node.json"
said "node.json naming 350100"
logged "rejected: 350200 from 350200:" "node.json"
unchanged "unauthorized write (node.json)"
same "$(xheld)" "$H1" "P's head of X after node.json"

# ---- a non-fast-forward history, validly signed: kept as evidence, refused --
put xfork "$(item_json SHJZ.20.02 社会救助 另一个历史)"
F1=$(own_head xfork)
g 0 "$GOVFED" export --home "$T/xfork" --out "$T/xfork.bundle"
mark
g 0 "${X[@]}" push 350200 - "$T/xfork.bundle" 2
out_has "reply error refused:"
said "fork"
logged "rejected: 350200 from 350200:" "fork"
same "$(xheld)" "$H1" "P's head of X after the fork"
same "$(head_of "$P" "refs/evidence/350200/$F1")" "$F1" "the fork kept as evidence"
# the only change: the evidence ref
same "$(prefs | grep -v '^refs/evidence/')" "$(echo "$before" | grep -v '^refs/evidence/')" "fork: P's refs but the evidence"
before=$(prefs)

# ---- C's history, pushed or fetched by X: not entitled ------------------------
# a C commit P does not hold yet (X relays what it intercepted)
cp -a "$T/350100" "$T/cnext"
put cnext "$(item_json YWJY.40.01 义务教育 截获的)"
g 0 "$GOVFED" export --home "$T/cnext" --out "$T/cnext.bundle"
mark
g 0 "${X[@]}" push 350100 - "$T/cnext.bundle" 4
out_has "reply error"
out_has "is not 350200 or below it"
said "push of C's history"
logged "rejected: 350100 from 350200:" "push of C's history"
unchanged "push of C's history"
# C's history as P holds it: nothing to import, but X is still not entitled
chead=$(head_of "$P" refs/nodes/350100)
g 0 "$GOVFED" export --home "$T/350100" --out "$T/c.bundle"
git --git-dir="$T/350100/store.git" rev-parse refs/heads/main >"$T/c.head"
if [ "$(cat "$T/c.head")" = "$chead" ]; then
	mark
	g 0 "${X[@]}" push 350100 - "$T/c.bundle" 3
	said "push of C's held head"
	checks=$((checks + 1))
	grep -q '^reply error' "$T/out" || fail "X's push of C's history (the head P holds) was answered: $(head -n 1 "$T/out")"
	unchanged "push of C's held head"
fi
mark
g 0 "${X[@]}" fetch 350100
out_has "reply error not-entitled: 350100 is not an ancestor of 350200"
said "fetch of C's history"
logged_re "350100 from 350200: .*(not-entitled|not an ancestor of 350200)" "fetch of C's history: not-entitled"
unchanged "fetch of C's history"

# ---- a flood and garbage at once; meanwhile C and P still sync ----------------
section "a flood and garbage from X; C and P keep syncing"
mark
before=$(prefs)
"${X[@]}" --timeout 10000 flood 6000 16 >"$T/flood.out" 2>&1 &
echo $! >"$PIDS/flood"
"${X[@]}" --timeout 10000 garbage 1000 >"$T/garbage.out" 2>&1 &
echo $! >"$PIDS/garbage"
sleep 0.3
put 350100 "$(item_json YWJY.30.01 义务教育 福州招生)"
cnew=$(own_head 350100)
put 350000 "$(item_json YWJY.30.02 义务教育 全省招生)"
pnew=$(own_head 350000)
wait_for 20 "C's new item reaches P during the flood" head_is "$P" 350100 "$cnew"
echo "  C -> P during the flood: ${WAITED_MS} ms"
kill -0 "$(cat "$PIDS/flood")" 2>/dev/null && echo "  (the flood was still running)"
wait_for 20 "P's new item reaches C during the flood" head_is "$T/350100" 350000 "$pnew"
echo "  P -> C during the flood: ${WAITED_MS} ms"
wait_for 30 "the flood ends" bash -c "! kill -0 $(cat "$PIDS/flood") 2>/dev/null"
wait_for 30 "the garbage ends" bash -c "! kill -0 $(cat "$PIDS/garbage") 2>/dev/null"
rm -f "$PIDS/flood" "$PIDS/garbage"
cat "$T/flood.out"
tail -n 1 "$T/garbage.out"
checks=$((checks + 1))
grep -qE '^flood 6000 .* busy [1-9]' "$T/flood.out" || fail "the flood got no busy replies"
checks=$((checks + 1))
grep -qE '^flood 6000 .* summary [1-9]' "$T/flood.out" || fail "the flood got no summaries at all"
checks=$((checks + 1))
grep -q 'flood first error' "$T/flood.out" && fail "the flood got other errors"
checks=$((checks + 1))
grep -qE '^garbage 1000 sent: 1000 error$' "$T/garbage.out" || fail "garbage during the flood: $(tail -n 1 "$T/garbage.out")"
logged "bad-frame" "garbage during the flood"
logged_re "busy|rate.limit|too many requests" "the flood (rate limited)"
alive 350000 "flood"
# nothing of the flood was accepted; P's own head moved by its own put
same "$(prefs | grep -v '^refs/heads/main ')" "$(echo "$before" | grep -v '^refs/heads/main ')" "flood: P's refs"
# and X is still served after it
sleep 1
g 0 "${X[@]}" summary
out_has "reply summary"

before=$(prefs)
# a flood of bad signatures: refused, and logged at a bounded rate (one
# line per request would let any peer fill P's disk)
mark
g 0 "${X[@]}" --timeout 10000 flood-badsig 2000 16
said "flood-badsig"
checks=$((checks + 1))
grep -qE '^flood-badsig 2000 .* summary 0 pack 0 ok 0 ' "$T/out" || fail "flood-badsig: $(head -n 1 "$T/out")"
lines=$(tail -c +$((MARK + 1)) "$PLOG" | wc -l)
echo "    P logged $lines lines for it"
checks=$((checks + 1))
[ "$lines" -le 100 ] || fail "P logged $lines lines for 2000 badly signed requests (not rate limited)"
unchanged "flood-badsig"
alive 350000 "flood-badsig"

# ---- a hostile parent: forged, replayed and garbage announcements -------------
section "a hostile parent for D (350104)"
D=$T/350104
dstate() { git --git-dir="$D/store.git" for-each-ref --format='%(refname) %(objectname)'; }
dbefore=$(dstate)
CHELD=$(head_of "$D" refs/nodes/350100)
CH=$(git --git-dir="$D/store.git" rev-list --count "$CHELD")
COLD=$(git --git-dir="$D/store.git" rev-list --max-parents=0 "$CHELD")
NOWHERE=0123456789abcdef0123456789abcdef01234567
"$GOVFED" node run --home "$D" --verbose >>"$DLOG" 2>&1 &
echo $! >"$PIDS/350104"
g 0 "$PEER" parent --listen "127.0.0.1:$FAKE" --id 350100 --key "$T/keys/c.key" \
	forge 350100 "$NOWHERE" 999 1 \
	forge 350000 "$NOWHERE" 999 1 \
	announce 350100 "$COLD" 1 1 \
	announce 350100 "$CHELD" "$CH" 1 \
	garbage 1 sync \
	garbage 1 pub
sed 's/^/  /' "$T/out"
out_has "subscriber connected"
checks=$((checks + 1))
grep -qE '^forge: published [1-9][0-9]* announcements of 350100' "$T/out" || fail "no forged announcements published"
# D fetched nothing on the strength of them
checks=$((checks + 1))
grep -qE '[1-9][0-9]* (fetch|push),' "$T/out" && fail "D sent the hostile parent a fetch or push"
dl() { # dl TEXT WHAT: D logged TEXT
	checks=$((checks + 1))
	grep -qF -- "$1" "$DLOG" || { fail "D's log lacks '$1' ($2)"; tail -n 5 "$DLOG" | sed 's/^/  log: /' >&2; }
}
dl "rejected: 350100 from 350100: forged announcement:" "forged announcement of C"
dl "rejected: 350000 from 350100: forged announcement:" "forged announcement of P"
dl "a reply not signed by 350100" "replies signed by a random key"
dl "replayed announcement: height 1, older than" "a replayed old announcement"
dl "bad-frame: an announcement from the parent:" "garbage announcements"
checks=$((checks + 1))
grep 'bad-frame' "$DLOG" | grep -vq 'an announcement from the parent' ||
	fail "D's log lacks a bad-frame line for a garbage reply"
alive 350104 "hostile parent"
same "$(dstate)" "$dbefore" "D's store after the hostile parent"
g 0 curl -sf "http://127.0.0.1:$DPORT/status"
out_has '"node": "350104"'
out_has "forged announcement"

# ---- D back under its real parent: its history reaches P through C -----------
section "D re-pointed at C"
stop 350104
sed -i "s/127.0.0.1:$FAKE/127.0.0.1:${PORT[350100]}/" "$D/config.json"
put 350104 "$(item_json ZHZF.50.01 城市综合执法 仓山执法)"
start 350104
wait_for 15 "D's item reaches P through C" head_is "$P" 350104 "$(own_head 350104)"
echo "  D -> C -> P: ${WAITED_MS} ms"
# P places D where its history says (under C), whatever X claimed
placed_at() {
	curl -sf "http://127.0.0.1:${PORT[350000]}/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(n.get("parent", "") for n in d["nodes"] if n["id"] == sys.argv[1]))' "$1"
}
wait_for 5 "P's status is written" bash -c "curl -sf http://127.0.0.1:${PORT[350000]}/status | grep -q 350104"
same "$(placed_at 350104)" "350100" "where P places D (X claimed it)"
# and D's history is not offered to X, a sibling of D's parent
g 0 "${X[@]}" summary
said "X's summary after D arrived"
checks=$((checks + 1))
grep -q '350104@' "$T/out" && fail "P lists D's head in its summary to X"

# ---- the end: everything stops cleanly, every store is intact ----------------
section "the end"
alive 350000 "the end"
alive 350100 "the end"
for n in 350104 350100 350000; do stop "$n"; done
# (under the sanitizers, a report would be in a daemon's log, or in the
# output of a peer run in the background)
checks=$((checks + 1))
grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$LOGS"/*.log \
	"$T/flood.out" "$T/garbage.out" >&2 &&
	fail "a sanitizer reported a problem"
intact 350100
intact 350104
# P's store is intact; its one problem is the proof that X equivocated
g 0 git --git-dir="$P/store.git" fsck --strict --no-dangling
g 1 "$GOVFED" verify --store "$P/store.git" --root-key "$ROOTPUB"
out_has "equivocation: 350200 signed a fork"
out_has ", 1 problem"
grep -c 'WARN' "$PLOG" | sed 's/^/  P logged /; s/$/ warnings/'
echo "  total: $((($(date +%s%N) - START) / 1000000)) ms"
[ "$fails" = 0 ] || show_logs 30
finish
