#!/usr/bin/env bash
# cli_badinput.sh — bad input from the command line, from files and from
# bundles: a clear error, the documented exit code, and nothing changed.
source "$(dirname "$0")/lib.sh"

# -- the command line (exit 2)
g 2 "$GOVFED"
g 2 "$GOVFED" frobnicate
err_has "'frobnicate' is not a govfed command"
g 0 "$GOVFED" --help
out_has "usage: govfed <command>"
g 0 "$GOVFED" init --help
out_has "usage: govfed init"
g 2 "$GOVFED" init --bogus
err_has "unknown option '--bogus'"
g 2 "$GOVFED" init --home
err_has "needs a value"
g 2 "$GOVFED" init --home "$T/x" --id 35 --level city --name x --parent 350000 --root-key /dev/null
err_has "--id '35' is not a division code"
g 2 "$GOVFED" init --home "$T/x" --id 350100 --level town --name x
err_has "--level 'town'"
g 2 "$GOVFED" init --home "$T/x" --id 350104001 --level district --name x --parent 350100 --root-key /dev/null
err_has "6 digits"
g 2 "$GOVFED" init --home "$T/x" --id 350100 --level city --name 福州市
err_has "needs --parent ID and --root-key"
g 2 "$GOVFED" init --home "$T/x" --id 350000 --level province --name p --parent-url nohost
err_has "a province has no parent"
g 2 "$GOVFED" init --home "$T/x" --id 350000 --level province --name p --listen "127.0.0.1:99999"
err_has "HOST:PORT"
g 2 "$GOVFED" verify --store "$T/x"
err_has "--store and --root-key are required"
g 2 "$GOVFED" catalog frob
g 2 "$GOVFED" keys show --home "$T/x" stray
err_has "unexpected argument 'stray'"
checks=$((checks + 1))
[ ! -e "$T/x" ] || fail "a refused init left $T/x behind"

federation
carry "$P" "$C"

# -- a key file with loose permissions or the wrong length (exit 3)
before=$(state_of "$C")
chmod 644 "$C/node.key"
g 3 "$GOVFED" catalog put --home "$C" --file "$ROOT/examples/catalog/YWJY.02.03.json"
err_has "chmod 600"
chmod 600 "$C/node.key"
cp "$C/node.key" "$T/key.bak"
head -c 200 "$T/key.bak" >"$C/node.key"
g 3 "$GOVFED" catalog put --home "$C" --file "$ROOT/examples/catalog/YWJY.02.03.json"
err_has "truncated or wrong length"
head -c 64 /dev/urandom >"$C/node.key"
g 3 "$GOVFED" catalog put --home "$C" --file "$ROOT/examples/catalog/YWJY.02.03.json"
err_has "not an OpenSSH private key"
cp "$T/key.bak" "$C/node.key"
chmod 600 "$C/node.key"
same "$(state_of "$C")" "$before" "key errors changed nothing"
# init refuses a key file with loose permissions too, before writing
chmod 644 "$T/key.bak"
g 1 "$GOVFED" init --home "$T/y" --id 350200 --level city --name 厦门市 \
	--parent 350000 --root-key "$P/node.pub" --key "$T/key.bak"
err_has "chmod 600"
checks=$((checks + 1))
[ ! -e "$T/y" ] || fail "a refused init left $T/y behind"

# -- records that must be refused (exit 1), nothing written
before=$(state_of "$C")
printf '{"id":"A","area":"义务教育",' >"$T/trunc.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/trunc.json"
err_has "not valid JSON"
err_has "line 1"
printf '{"id":"A","area":"\xe4\xb9","name":"n"}' >"$T/utf8.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/utf8.json"
err_has "not valid UTF-8"
printf '{"id":"A","area":"义务教育","name":"n","method":"随便"}' >"$T/schema.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/schema.json"
err_has "'method' must be one of 主动公开, 依申请公开"
printf '{"id":"A","area":"义务教育","name":"n","id":"B"}' >"$T/dup.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/dup.json"
err_has "duplicate"
printf '{"id":"../../x","area":"义务教育","name":"n"}' >"$T/path.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/path.json"
err_has "field 'id'"
truncate -s 100M "$T/big.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/big.json"
err_has "too large"
rm -f "$T/big.json"
g 1 "$GOVFED" catalog put --home "$C" --file "$T/missing.json"
err_has "cannot open item file"
g 1 "$GOVFED" catalog put --home "$T/nowhere" --file "$ROOT/examples/catalog/YWJY.02.03.json"
err_has "is not a govfed home"
same "$(state_of "$C")" "$before" "refused records changed nothing"

# -- a broken config is printed with its file and line (exit 3)
cp "$C/config.json" "$T/config.bak"
sed -i '3s/.*/  "level": city,/' "$C/config.json"
g 3 "$GOVFED" catalog list --home "$C"
err_has "config.json:3:"
cp "$T/config.bak" "$C/config.json"
echo '{"id":"350100","level":"city","name":"x","root_key":"root.pub","parent":"350000","colour":1}' >"$C/config.json"
g 3 "$GOVFED" catalog list --home "$C"
err_has "unknown setting 'colour'"
cp "$T/config.bak" "$C/config.json"

# -- init never touches an existing node
g 1 "$GOVFED" init --home "$C" --id 350100 --level city --name 福州市 \
	--parent 350000 --root-key "$P/node.pub"
err_has "already holds a govfed node"
same "$(state_of "$C")" "$before" "a refused init changed nothing"

# -- bundles: malformed, truncated, forged (exit 1), nothing changed
g 0 "$GOVFED" catalog put --home "$C" --file "$ROOT/examples/catalog/YWJY.02.03.json"
g 0 "$GOVFED" export --home "$C" --out "$T/c.bundle"
g 1 "$GOVFED" export --home "$C" --out "$T/c.bundle"
err_has "must not exist yet"
before=$(state_of "$P")
echo "hello" >"$T/junk.bundle"
g 1 "$GOVFED" import --home "$P" --file "$T/junk.bundle"
err_has "is not a govfed bundle"
head -c $(($(stat -c %s "$T/c.bundle") - 30)) "$T/c.bundle" >"$T/short.bundle"
g 1 "$GOVFED" import --home "$P" --file "$T/short.bundle"
err_has "truncated"
cp "$T/c.bundle" "$T/long.bundle"
echo "trailing" >>"$T/long.bundle"
g 1 "$GOVFED" import --home "$P" --file "$T/long.bundle"
err_has "follow the last pack"
# flip a byte inside the pack
python3 - "$T/c.bundle" "$T/flip.bundle" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[len(d) - 60] ^= 0xff
open(sys.argv[2], 'wb').write(d)
EOF
g 1 "$GOVFED" import --home "$P" --file "$T/flip.bundle"
err_has "refused"
same "$(state_of "$P")" "$before" "refused bundles changed nothing"

# a commit forged with stock git (unsigned) on top of the city's history
CG="$C/store.git"
tree=$(git --git-dir="$CG" rev-parse 'refs/heads/main^{tree}')
forged=$(echo forged | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x git --git-dir="$CG" commit-tree "$tree" -p refs/heads/main)
real=$(head_of "$C")
git --git-dir="$CG" update-ref refs/heads/main "$forged"
g 0 "$GOVFED" export --home "$C" --out "$T/forged.bundle"
git --git-dir="$CG" update-ref refs/heads/main "$real"
g 1 "$GOVFED" import --home "$P" --file "$T/forged.bundle"
err_has "not signed"
# signed by another node's key (the district's, with ssh-keygen through git)
forged=$(echo forged2 | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x \
	GIT_COMMITTER_EMAIL=x@x git --git-dir="$CG" -c gpg.format=ssh \
	-c user.signingkey="$D/node.key" commit-tree -S "$tree" -p refs/heads/main)
git --git-dir="$CG" update-ref refs/heads/main "$forged"
rm -f "$T/forged.bundle"
g 0 "$GOVFED" export --home "$C" --out "$T/forged.bundle"
git --git-dir="$CG" update-ref refs/heads/main "$real"
g 1 "$GOVFED" import --home "$P" --file "$T/forged.bundle"
err_has "never certified"
same "$(state_of "$P")" "$before" "forged bundles changed nothing"
# the real one goes through
g 0 "$GOVFED" import --home "$P" --file "$T/c.bundle"
out_has "applied"

# -- verify: a wrong root key, a missing store, a damaged object
g 0 ssh-keygen -q -t ed25519 -N '' -f "$T/other"
g 1 "$GOVFED" verify --store "$P/store.git" --root-key "$T/other.pub"
out_has "FAILED"
g 3 "$GOVFED" verify --store "$T/nostore.git" --root-key "$P/node.pub"
err_has "cannot open store"
g 2 "$GOVFED" verify --store "$P/store.git" --root-key "$T/nokey.pub"
obj=$(git --git-dir="$CG" rev-parse refs/heads/main)
f="$CG/objects/${obj:0:2}/${obj:2}"
chmod u+w "$f"
head -c 10 "$f" >"$T/obj" && cp "$T/obj" "$f"
g 1 "$GOVFED" verify --store "$CG" --root-key "$P/node.pub"
out_has "unreadable"

finish
