#!/usr/bin/env bash
# cli_basic.sh — the operator's path through four levels with the real
# binary: init, enroll, publish, carry histories both ways, verify with
# govfed and with stock git, rotate, revoke.
source "$(dirname "$0")/lib.sh"

federation

# -- publishing: the province and the township put real catalog items
g 0 "$GOVFED" catalog put --home "$P" --file "$ROOT/examples/catalog/YWJY.02.03.json"
out_has "catalog/义务教育/YWJY.02.03.json"
g 0 "$GOVFED" catalog put --home "$P" --file "$ROOT/examples/catalog/CXGH.01.01.json" --json
out_has '"unchanged":false'
g 0 "$GOVFED" catalog put --home "$S" --file "$ROOT/examples/catalog/SHJZ.01.01.json"
# the same item again: no commit
before=$(head_of "$P")
g 0 "$GOVFED" catalog put --home "$P" --file "$ROOT/examples/catalog/YWJY.02.03.json"
out_has "unchanged"
same "$(head_of "$P")" "$before" "an unchanged put made no commit"
g 0 "$GOVFED" catalog list --home "$P"
out_has "YWJY.02.03"
g 0 "$GOVFED" catalog show --home "$P" --item CXGH.01.01 --json
out_has '"area": "城乡规划"'
g 1 "$GOVFED" catalog show --home "$P" --item NOPE.01.01
err_has "no catalog item 'NOPE.01.01'"

# -- ancestors down, descendants up, through bundles
carry "$P" "$C"
carry "$C" "$D" 350000 350100
carry "$D" "$S" 350000 350100 350104
carry "$S" "$D"
carry "$D" "$C" 350104 350104004
carry "$C" "$P" 350100 350104 350104004
same "$(head_of "$P" refs/nodes/350104004)" "$(head_of "$S")" "the province holds the township's head"
same "$(head_of "$S" refs/nodes/350000)" "$(head_of "$P")" "the township holds the province's head"
g 0 "$GOVFED" catalog list --home "$P" --node 350104004
out_has "SHJZ.01.01"
# importing the same bundle again changes nothing
carry "$C" "$P" 350100

# -- the auditor: every store verifies, and stock git agrees
for h in "$P" "$C" "$D" "$S"; do
	g 0 "$GOVFED" verify --store "$h/store.git" --root-key "$P/node.pub"
	out_has "verified:"
	g 0 git --git-dir="$h/store.git" fsck --strict --no-dangling
done
g 0 "$GOVFED" verify --store "$P/store.git" --root-key "$P/node.pub" --json
out_has '"ok": true'
out_has '"histories": 4'
g 0 "$GOVFED" keys show --home "$P" --allowed-signers
cp "$T/out" "$T/allowed"
n=0
for c in $(git --git-dir="$P/store.git" rev-list refs/heads/main refs/nodes/350100 \
		refs/nodes/350104 refs/nodes/350104004); do
	g 0 git --git-dir="$P/store.git" -c gpg.ssh.allowedSignersFile="$T/allowed" \
		verify-commit "$c"
	err_has 'Good "git" signature'
	n=$((n + 1))
done
checks=$((checks + 1))
[ "$n" -ge 8 ] || fail "only $n commits checked with stock git"
# the records carry their certificate chain: the city's cert in the province
g 0 git --git-dir="$P/store.git" show refs/heads/main:certs/350100.json
out_has '"type": "cert"'
g 0 "$GOVFED" log --home "$P" --node 350104004
out_has "genesis: 350104004 上渡街道 (township)"

# -- keys show
g 0 "$GOVFED" keys show --home "$C"
out_has "certificate  certified by 350000"
out_has "child        350104"
g 0 "$GOVFED" keys show --home "$C" --json
out_has '"state": "certified"'

# -- rotation: the city replaces its key; the province accepts what the new
#    key signs, and everything verifies
old_pub=$(cat "$C/node.pub")
g 0 "$GOVFED" keys rotate --home "$C"
out_has "rotated 350100"
differ "$(cat "$C/node.pub")" "$old_pub" "node.pub changed"
checks=$((checks + 1))
[ "$(stat -c %a "$C/node.key")" = 600 ] || fail "rotated node.key is not 0600"
g 0 "$GOVFED" catalog put --home "$C" --file "$ROOT/examples/catalog/JYFW.01.01.json"
carry "$C" "$P" 350100
g 0 "$GOVFED" verify --store "$P/store.git" --root-key "$P/node.pub"
g 0 "$GOVFED" keys show --home "$C"
out_has "rotation"

# -- re-enrolling an active child with a new key needs --force, which
#    revokes the old key; the old key then signs nothing more
g 0 ssh-keygen -q -t ed25519 -N '' -C 350104004 -f "$T/s-new.key"
g 1 "$GOVFED" enroll --home "$D" --child-pub "$T/s-new.key.pub" --id 350104004 \
	--level township --name 上渡街道
err_has "--force"
g 0 "$GOVFED" enroll --home "$D" --child-pub "$T/s-new.key.pub" --id 350104004 \
	--level township --name 上渡街道 --force
carry "$D" "$S" 350104
cp "$S/node.key" "$T/s-old.key"
cp "$T/s-new.key" "$S/node.key"
g 0 "$GOVFED" catalog put --home "$S" --file "$ROOT/examples/catalog/SHJZ.02.01.json"
carry "$S" "$D"
g 0 "$GOVFED" verify --store "$D/store.git" --root-key "$P/node.pub"
cp "$T/s-old.key" "$S/node.key"
g 1 "$GOVFED" catalog put --home "$S" --file "$ROOT/examples/catalog/SHJZ.03.01.json"
err_has "revoked"

# -- revocation: the city revokes the district; what the district signs
#    afterwards is refused, what it signed before stays valid
g 0 "$GOVFED" keys revoke --home "$C" --id 350104 --reason "密钥遗失 key lost"
out_has "revoked 350104"
g 0 "$GOVFED" keys revoke --home "$C" --id 350104 --reason "again"
out_has "already revoked"
d_before=$(head_of "$C" refs/nodes/350104)
# the district, not yet aware, commits with its revoked key
g 0 "$GOVFED" catalog put --home "$D" --file "$ROOT/examples/catalog/ZHZF.01.01.json"
g 0 "$GOVFED" export --home "$D" --out "$T/revoked.bundle"
g 1 "$GOVFED" import --home "$C" --file "$T/revoked.bundle"
err_has "revoked"
same "$(head_of "$C" refs/nodes/350104)" "$d_before" "refused import moved nothing"
g 0 "$GOVFED" verify --store "$C/store.git" --root-key "$P/node.pub"

# -- after a revocation, enrolling a new key needs no --force
g 0 ssh-keygen -q -t ed25519 -N '' -C 350104 -f "$T/d-new.key"
g 0 "$GOVFED" enroll --home "$C" --child-pub "$T/d-new.key.pub" --id 350104 \
	--level district --name 仓山区
finish
