#!/usr/bin/env bash
# make-fixture.sh — builds the golden fixture from the committed test keys
# (tests/golden/keys, TEST KEYS, never use them for anything else) at fixed
# times. The same script and keys always give the same commits, byte for
# byte: golden.sh rebuilds it and compares every ref with the fixture.
#
# usage: make-fixture.sh GOVFED OUTDIR
#   writes OUTDIR/fixture.bundle (a git bundle of the province's store:
#   its own history and every replica) and OUTDIR/allowed_signers
set -euo pipefail

GOVFED=$(realpath "$1")
OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/govfed-fixture-XXXXXX")
trap 'rm -rf "$W"' EXIT
EX=$HERE/../../examples/catalog

key() { # a private copy with the mode a key must have
	cp "$HERE/keys/$1.key" "$W/$1.key"
	chmod 600 "$W/$1.key"
	echo "$W/$1.key"
}
at() { export GOVFED_NOW="$1"; }
q() { "$GOVFED" "$@" >/dev/null; }
carry() { # carry FROM TO IDS...
	local from=$1 to=$2 b=$W/b.$RANDOM
	shift 2
	local a=()
	for i in "$@"; do a+=(--id "$i"); done
	q export --home "$from" "${a[@]}" --out "$b"
	q import --home "$to" --file "$b"
	rm -f "$b"
}

P=$W/p C=$W/c D=$W/d
at 2026-11-23T09:00:00Z
q init --home "$P" --id 350000 --level province --name 福建省 --key "$(key province)"
q init --home "$C" --id 350100 --level city --name 福州市 --parent 350000 \
	--root-key "$P/node.pub" --key "$(key city)"
q init --home "$D" --id 350104 --level district --name 仓山区 --parent 350100 \
	--root-key "$P/node.pub" --key "$(key district)"
at 2026-11-23T09:10:00Z
q enroll --home "$P" --child-pub "$C/node.pub" --id 350100 --level city --name 福州市
at 2026-11-23T09:20:00Z
q enroll --home "$C" --child-pub "$D/node.pub" --id 350104 --level district --name 仓山区
at 2026-11-23T09:30:00Z
q catalog put --home "$P" --file "$EX/YWJY.02.03.json"
q catalog put --home "$C" --file "$EX/CXGH.01.01.json"
q catalog put --home "$D" --file "$EX/SHJZ.01.01.json"
carry "$P" "$C"
carry "$C" "$D" 350000 350100
# the city rotates its key; the district's key is revoked and renewed
at 2026-11-23T10:00:00Z
q keys rotate --home "$C" --key "$(key city-next)"
q catalog put --home "$C" --file "$EX/JYFW.01.01.json"
carry "$D" "$C"
at 2026-11-23T10:30:00Z
q keys revoke --home "$C" --id 350104 --reason "密钥遗失 (test)"
at 2026-11-23T10:40:00Z
q enroll --home "$C" --child-pub "$HERE/keys/district-next.pub" --id 350104 \
	--level district --name 仓山区
carry "$C" "$D" 350100
cp "$(key district-next)" "$D/node.key"
at 2026-11-23T11:00:00Z
q catalog put --home "$D" --file "$EX/SHJZ.02.01.json"
carry "$D" "$C"
carry "$C" "$P" 350100 350104

mkdir -p "$OUT"
rm -f "$OUT/fixture.bundle"
git --git-dir="$P/store.git" bundle create -q "$OUT/fixture.bundle" \
	refs/heads/main refs/nodes/350100 refs/nodes/350104
"$GOVFED" keys show --home "$P" --allowed-signers >"$OUT/allowed_signers"
