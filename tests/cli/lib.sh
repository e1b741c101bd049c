# lib.sh — shared by the CLI tests: a temp dir, checks, a summary.
# Usage: source it with the govfed binary as $1.
set -u

GOVFED=$(realpath "${1:?usage: $0 path/to/govfed}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/govfed-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
checks=0
fails=0
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
mkdir -p "$HOME"

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# run WANT_RC cmd...: runs cmd, keeps stdout/stderr in $T/out, $T/err
run() {
	local want=$1 rc
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	checks=$((checks + 1))
	if [ "$rc" != "$want" ]; then
		fail "exit $rc, want $want: $*"
		sed 's/^/  out: /' "$T/out" | head -20 >&2
		sed 's/^/  err: /' "$T/err" | head -20 >&2
	fi
}

g() { run "$@"; }

out_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$T/out" || {
		fail "stdout lacks '$1'"
		sed 's/^/  out: /' "$T/out" | head -20 >&2
	}
}

err_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$T/err" || {
		fail "stderr lacks '$1'"
		sed 's/^/  err: /' "$T/err" | head -20 >&2
	}
}

same() { # same A B what
	checks=$((checks + 1))
	[ "$1" = "$2" ] || fail "$3: '$1' != '$2'"
}

differ() {
	checks=$((checks + 1))
	[ "$1" != "$2" ] || fail "$3: both '$1'"
}

# head HOME [REF]: a ref of a home's store
head_of() {
	git --git-dir="$1/store.git" rev-parse -q --verify "${2:-refs/heads/main}" 2>/dev/null || echo none
}

# all refs and packs of a store, to show nothing changed
state_of() {
	git --git-dir="$1/store.git" for-each-ref --format='%(refname) %(objectname)'
	ls "$1/store.git/objects/pack" 2>/dev/null
	ls -d "$1/store.git/objects/incoming-"* 2>/dev/null
}

finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" = 0 ]
	exit $?
}

# A small federation: province P, city C, district D, township S, each
# enrolled by its parent. Sets P C D S to their homes.
federation() {
	P=$T/p C=$T/c D=$T/d S=$T/s
	g 0 "$GOVFED" init --home "$P" --id 350000 --level province --name 福建省
	g 0 "$GOVFED" init --home "$C" --id 350100 --level city --name 福州市 \
		--parent 350000 --root-key "$P/node.pub"
	g 0 "$GOVFED" init --home "$D" --id 350104 --level district --name 仓山区 \
		--parent 350100 --root-key "$P/node.pub"
	g 0 "$GOVFED" init --home "$S" --id 350104004 --level township \
		--name 上渡街道 --parent 350104 --root-key "$P/node.pub"
	g 0 "$GOVFED" enroll --home "$P" --child-pub "$C/node.pub" --id 350100 \
		--level city --name 福州市
	g 0 "$GOVFED" enroll --home "$C" --child-pub "$D/node.pub" --id 350104 \
		--level district --name 仓山区
	g 0 "$GOVFED" enroll --home "$D" --child-pub "$S/node.pub" \
		--id 350104004 --level township --name 上渡街道
}

# carry FROM TO [IDS...]: export histories from FROM, import into TO
carry() {
	local from=$1 to=$2 b
	shift 2
	b=$T/bundle.$$.$RANDOM
	local args=()
	for id in "$@"; do args+=(--id "$id"); done
	g 0 "$GOVFED" export --home "$from" "${args[@]}" --out "$b"
	g 0 "$GOVFED" import --home "$to" --file "$b"
	rm -f "$b"
}
