#!/usr/bin/env bash
# golden.sh — signify-style regression: a committed store fixture (made by
# tests/golden/make-fixture.sh from committed TEST keys at fixed times)
# must verify with the expected report, stock git must agree on every
# signature, rebuilding it must give the very same commits, and forgeries
# made with stock git must fail, each named with its commit.
source "$(dirname "$0")/lib.sh"
GOLD=$ROOT/tests/golden
ROOTKEY=$GOLD/keys/province.pub

fresh() { # a fresh bare store from the fixture, at $T/$1
	rm -rf "$T/$1"
	git clone -q --mirror "$GOLD/fixture.bundle" "$T/$1"
	git --git-dir="$T/$1" config core.logAllRefUpdates always
}

# -- the fixture verifies, with exactly the expected report
fresh s.git
g 0 "$GOVFED" verify --store "$T/s.git" --root-key "$ROOTKEY"
checks=$((checks + 1))
diff -u "$GOLD/expected-verify.txt" "$T/out" >&2 || fail "verify report differs from tests/golden/expected-verify.txt"

# -- stock git agrees on every signature
n=0
for c in $(git --git-dir="$T/s.git" rev-list --all); do
	g 0 git --git-dir="$T/s.git" -c gpg.ssh.allowedSignersFile="$GOLD/allowed_signers" \
		verify-commit "$c"
	err_has 'Good "git" signature'
	n=$((n + 1))
done
same "$n" 13 "commits checked with stock git"

# -- rebuilt from the same keys and times: the same commits, byte for byte
g 0 bash "$GOLD/make-fixture.sh" "$GOVFED" "$T/rebuilt"
rm -rf "$T/r.git"
git clone -q --mirror "$T/rebuilt/fixture.bundle" "$T/r.git"
same "$(git --git-dir="$T/r.git" for-each-ref)" "$(git --git-dir="$T/s.git" for-each-ref)" \
	"rebuilt fixture refs"
checks=$((checks + 1))
cmp -s "$T/rebuilt/allowed_signers" "$GOLD/allowed_signers" || fail "allowed_signers differ"

# -- forgeries: each must fail, and the report must name the commit
G() { git --git-dir="$T/f.git" "$@"; }
rewrite() { # rewrite REF SED: the head commit of REF, edited, as the new head
	local ref=$1 expr=$2 new
	new=$(G cat-file commit "$ref" | sed "$expr" | G hash-object -t commit -w --stdin)
	G update-ref "$ref" "$new"
	echo "$new"
}
expect_forgery() { # expect_forgery COMMIT REASON
	g 1 "$GOVFED" verify --store "$T/f.git" --root-key "$ROOTKEY"
	out_has "commit ${1:0:12}: "
	out_has "$2"
	out_has "FAILED"
}

# a character of the signature changed
fresh f.git
# (line 8 holds signature bytes; the first lines are SSHSIG's header)
c=$(rewrite refs/nodes/350100 '8s/^\(.\{30\}\)\(.\)/\1#\2/; 8s/#A/B/; 8s/#./A/')
expect_forgery "$c" "does not verify"

# the message changed under the signature
fresh f.git
c=$(rewrite refs/nodes/350104 '$s/$/ (edited)/')
expect_forgery "$c" "does not verify"

# the tree changed under the signature
fresh f.git
other=$(G rev-parse 'refs/nodes/350104~1^{tree}')
c=$(rewrite refs/nodes/350104 "1s/^tree .*/tree $other/")
expect_forgery "$c" "does not verify"

# appended and signed by another node's key (stock git, ssh signing)
fresh f.git
cp "$GOLD/keys/district-next.key" "$T/dk" && chmod 600 "$T/dk"
c=$(echo forged | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x G -c gpg.format=ssh -c user.signingkey="$T/dk" \
	commit-tree -S "$(G rev-parse 'refs/nodes/350100^{tree}')" -p refs/nodes/350100)
G update-ref refs/nodes/350100 "$c"
expect_forgery "$c" "350104's key, not 350100's"

# signed by the city's rotated-out key after the rotation
fresh f.git
cp "$GOLD/keys/city.key" "$T/ck" && chmod 600 "$T/ck"
c=$(echo forged | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x G -c gpg.format=ssh -c user.signingkey="$T/ck" \
	commit-tree -S "$(G rev-parse 'refs/nodes/350100^{tree}')" -p refs/nodes/350100)
G update-ref refs/nodes/350100 "$c"
expect_forgery "$c" "rotated out"

# signed by the district's revoked key after the revocation
fresh f.git
cp "$GOLD/keys/district.key" "$T/dk0" && chmod 600 "$T/dk0"
c=$(echo forged | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x G -c gpg.format=ssh -c user.signingkey="$T/dk0" \
	commit-tree -S "$(G rev-parse 'refs/nodes/350104^{tree}')" -p refs/nodes/350104)
G update-ref refs/nodes/350104 "$c"
expect_forgery "$c" "revoked"

# signed by a key nobody certified
fresh f.git
g 0 ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
c=$(echo forged | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x G -c gpg.format=ssh -c user.signingkey="$T/stranger" \
	commit-tree -S "$(G rev-parse 'refs/heads/main^{tree}')" -p refs/heads/main)
G update-ref refs/heads/main "$c"
expect_forgery "$c" "not the root key in effect"

# history rewound: the reflog shows a move that is not a fast-forward
fresh f.git
head=$(G rev-parse refs/nodes/350100)
G update-ref refs/nodes/350100 refs/nodes/350100~2
g 1 "$GOVFED" verify --store "$T/f.git" --root-key "$ROOTKEY"
out_has "history rewritten"

# the wrong root key
fresh f.git
g 1 "$GOVFED" verify --store "$T/f.git" --root-key "$GOLD/keys/city.pub"
out_has "not the root key in effect"

# a damaged pack
fresh f.git
pack=$(ls "$T/f.git/objects/pack/"*.pack)
chmod u+w "$pack"
python3 - "$pack" <<'EOF'
import sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
for i in range(len(d) // 3, len(d) // 3 + 64):
    d[i] ^= 0x5a
open(p, 'wb').write(d)
EOF
g 1 "$GOVFED" verify --store "$T/f.git" --root-key "$ROOTKEY"
out_has "FAILED"

finish
