#!/usr/bin/env bash
# federation.sh — the main job: builds govfed and runs a local federation
# (see README). Until the sync daemon lands, histories travel as bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
G=$PWD/build/node/govfed
W=${1:-$(mktemp -d /tmp/govfed-federation-XXXXXX)}
mkdir -p "$W"
say() { printf '\n== %s\n' "$*"; }
q() { "$G" "$@" >/dev/null; }

say "federation in $W"
q init --home "$W/350000" --id 350000 --level province --name 福建省
R=$W/350000/node.pub
node() { # id level name parent
	q init --home "$W/$1" --id "$1" --level "$2" --name "$3" --parent "$4" --root-key "$R"
	q enroll --home "$W/$4" --child-pub "$W/$1/node.pub" --id "$1" --level "$2" --name "$3"
	echo "  enrolled $1 $3 ($2) under $4"
}
node 350100 city 福州市 350000
node 350200 city 厦门市 350000
node 350104 district 仓山区 350100
node 350112 district 长乐区 350100
node 350104004 township 上渡街道 350104
node 350104005 township 下渡街道 350104
node 350104006 township 城门镇 350104
carry() { # carry FROM TO IDS...: one bundle; the importer applies parents first
	local from=$1 to=$2 b=$W/.b.$RANDOM a=()
	shift 2
	for i in "$@"; do a+=(--id "$i"); done
	q export --home "$W/$from" "${a[@]}" --out "$b"
	q import --home "$W/$to" --file "$b"
	rm -f "$b"
}

say "the province publishes a catalog item; it travels down to every township"
q catalog put --home "$W/350000" --file examples/catalog/YWJY.02.03.json
start=$(date +%s%N)
for c in 350100 350200; do carry 350000 $c 350000; done
for d in 350104 350112; do carry 350100 $d 350000 350100; done
for t in 350104004 350104005 350104006; do carry 350104 $t 350000 350100 350104; done
for t in 350104004 350104005 350104006; do
	"$G" catalog show --home "$W/$t" --node 350000 --item YWJY.02.03 >/dev/null &&
		echo "  $t holds 350000's item YWJY.02.03"
done
echo "  took $(( ($(date +%s%N) - start) / 1000000 )) ms (as bundles)"

say "a township files, and it travels up to the province"
q catalog put --home "$W/350104004" --file examples/catalog/SHJZ.01.01.json
carry 350104004 350104 350104004
carry 350104 350100 350104 350104004
carry 350100 350000 350100 350104 350104004
"$G" catalog list --home "$W/350000" --node 350104004

say "the auditor checks the province's store against the root key"
"$G" verify --store "$W/350000/store.git" --root-key "$R"
