#!/usr/bin/env bash
# layering.sh — dependencies point down only (see ../shared conventions):
#   keys/      libsodium only: no git, JSON, nng or higher modules
#   store/     libgit2, jansson, zlib and keys: no nng, no protocol or node
#   protocol/  nng, jansson and keys: no libgit2, no store or node
#   node/      everything
# Headers all live in /usr/include, so CMake cannot enforce this; the
# #include lines can.
source "$(dirname "$0")/lib.sh"

check() { # check DIR PATTERN-THAT-MUST-NOT-MATCH what
	local hits
	hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" \
		"$ROOT/$1"/*.[ch] 2>/dev/null)
	checks=$((checks + 1))
	if [ -n "$hits" ]; then
		fail "$1/ includes what it may not use ($3):"
		echo "$hits" | sed 's/^/  /' >&2
	fi
}

check keys 'git2|jansson|nng/|zlib|store|proto|cli\.h|node' "libsodium only"
check store 'nng/|proto|cli\.h|node' "libgit2, jansson, zlib, keys"
check protocol 'git2|store|cli\.h|node|zlib' "nng, jansson, keys"
# and the libraries link the same way
for lib in keys store protocol; do
	checks=$((checks + 1))
	[ -f "$ROOT/$lib/CMakeLists.txt" ] || fail "$lib/CMakeLists.txt missing"
done
checks=$((checks + 1))
grep -qE 'govfed_store|GIT2|nng' "$ROOT/keys/CMakeLists.txt" &&
	fail "keys/CMakeLists.txt links more than libsodium"
checks=$((checks + 1))
grep -qE 'nng|govfed_proto' "$ROOT/store/CMakeLists.txt" &&
	fail "store/CMakeLists.txt links nng or protocol"
checks=$((checks + 1))
grep -qE 'GIT2|govfed_store' "$ROOT/protocol/CMakeLists.txt" &&
	fail "protocol/CMakeLists.txt links libgit2 or the store"
finish
