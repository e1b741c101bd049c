#!/usr/bin/env bash
# cli_docs.sh — reviewers and documents with 三级审核, with the real binary
# and real stores: people and their keys, draft, three signatures, one
# publishing commit; every way a review can fail is refused and moves
# nothing; retire (a validity change) and withdraw (a tombstone, the body
# gone from the head); the ancestors see it all; govfed and stock git
# verify every commit.
# Usage: cli_docs.sh GOVFED [PEER] (the peer binary is not used here)
source "$(dirname "$0")/lib.sh"

EX=$ROOT/examples/documents
BODY80="$EX/CZB-2020-80/长政办〔2020〕80号.txt"
K=$T/keys
mkdir -p "$K"

# the system python when there is one (a pyenv shim costs seconds a call)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# jq-like helpers on $T/out (python3, as the other tests use)
# jget EXPR: prints the value of a python expression over the JSON `d`
jget() {
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v, ensure_ascii=False, sort_keys=True))' "$T/out" "$1"
}
# jedit FILE EXPR: d is the JSON in FILE; EXPR changes it in place
jedit() {
	"$PY" -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); exec(sys.argv[2]); json.dump(d, open(p,"w"), ensure_ascii=False, indent=2)' "$1" "$2"
}

# unmoved HOME what: the store's refs and packs are what they were ($before)
unmoved() {
	same "$(state_of "$1")" "$before" "$2: nothing moved"
}

federation
H=$D # 350104 仓山区 publishes; the city and the province hold its history

# ---- people ---------------------------------------------------------------
g 0 "$GOVFED" person add --help
out_has "--keygen OUT"
g 0 "$GOVFED" person add --home "$H" --id lin.wei --name 林伟 --roles 拟稿人 \
	--keygen "$K/lin"
out_has "added lin.wei 林伟"
same "$(stat -c %a "$K/lin")" 600 "a generated person key is mode 0600"
g 0 ssh-keygen -l -f "$K/lin.pub"
g 0 "$GOVFED" person add --home "$H" --id chen.fang --name 陈芳 --roles 审核人 \
	--keygen "$K/chen" --json
same "$(jget 'd["roles"]')" '["审核人"]' "roles in the answer"
g 0 "$GOVFED" person add --home "$H" --id zheng.hui --name 郑辉 --roles 发布人 \
	--keygen "$K/zheng"
# a person who made their own key with ssh-keygen, holding two roles
g 0 ssh-keygen -q -t ed25519 -N '' -C wang -f "$K/wang"
g 0 "$GOVFED" person add --home "$H" --id wang.li --name 王丽 \
	--roles '审核人，发布人' --pubkey "$K/wang.pub"
g 0 "$GOVFED" person add --home "$H" --id liu.yang --name 刘洋 --roles 拟稿人 \
	--keygen "$K/liu"
g 0 "$GOVFED" person add --home "$H" --id he.min --name 何敏 --roles 拟稿人 \
	--keygen "$K/he"
g 0 "$GOVFED" person list --home "$H" --json
same "$(jget 'len(d)')" 6 "six people"
same "$(jget '[p["roles"] for p in d if p["id"]=="wang.li"][0]')" \
	'["审核人", "发布人"]' "wang.li's two roles"
g 0 git --git-dir="$H/store.git" show refs/heads/main:people/lin.wei.json
out_has '"node": "350104"'

# refused, and nothing written
before=$(state_of "$H")
g 2 "$GOVFED" person add --home "$H" --id x1 --name X --roles 校对人 --keygen "$K/x1"
err_has "'校对人' is not a role"
g 2 "$GOVFED" person add --home "$H" --id x1 --name X --roles 拟稿人
err_has "--pubkey FILE.pub"
g 2 "$GOVFED" person add --home "$H" --id 'bad id' --name X --roles 拟稿人 \
	--keygen "$K/x1"
g 1 "$GOVFED" person add --home "$H" --id lin.wei --name 林伟 --roles 拟稿人 \
	--keygen "$K/x1"
err_has "person 'lin.wei' exists already"
g 1 "$GOVFED" person add --home "$H" --id lin2 --name 林伟 --roles 拟稿人 \
	--pubkey "$K/lin.pub"
err_has "already 'lin.wei''s"
g 1 "$GOVFED" person add --home "$H" --id x2 --name X --roles 拟稿人 \
	--keygen "$K/lin"
err_has "exists already"
echo 'ssh-ed25519 AAAAnotakey x' >"$K/bad.pub"
g 1 "$GOVFED" person add --home "$H" --id x3 --name X --roles 拟稿人 \
	--pubkey "$K/bad.pub"
unmoved "$H" "refused person adds"
checks=$((checks + 1))
[ ! -e "$K/x1" ] && [ ! -e "$K/x1.pub" ] || fail "a refused add left key files"

# ---- draft, sign, publish: 长政办〔2020〕80号 --------------------------------
sign() { # sign DRAFT ROLE PERSON KEY [more args]
	local d=$1 role=$2 p=$3 key=$4
	shift 4
	"$GOVFED" doc sign --draft "$d" --role "$role" --person "$p" --key "$K/$key" "$@"
}

g 0 "$GOVFED" doc draft --home "$H" --file "$EX/CZB-2020-80/meta.json" \
	--body "$BODY80" --out "$T/80.draft"
out_has "CZB-2020-80"
# --out is never overwritten without --force
g 1 "$GOVFED" doc draft --home "$H" --file "$EX/CZB-2020-80/meta.json" \
	--body "$BODY80" --out "$T/80.draft"
err_has "--force"
cp "$T/80.draft" "$T/80.blank"
before=$(state_of "$H")
# order: the 审核人 does not sign before the 拟稿人
g 1 sign "$T/80.draft" 审核人 chen.fang chen --home "$H"
err_has "the 拟稿人 signs first"
g 0 sign "$T/80.draft" 拟稿人 lin.wei lin --home "$H"
out_has "next: the 审核人 signs"
cp "$T/80.draft" "$T/80.one"
# missing 审核人 (and 发布人): refused
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/80.one"
err_has "the 审核人 review is missing"
unmoved "$H" "a draft with one review"
# a role signs once
g 1 sign "$T/80.draft" 拟稿人 liu.yang liu --home "$H"
err_has "the 拟稿人 review of this draft is signed already"
# a person lacking the role, checked at once with --home
g 1 sign "$T/80.draft" 审核人 zheng.hui zheng --home "$H"
err_has "'zheng.hui' does not hold the role 审核人"
# a key that is not the person's
g 1 sign "$T/80.draft" 审核人 chen.fang zheng --home "$H"
err_has "not with 'chen.fang''s key"
g 0 sign "$T/80.draft" 审核人 chen.fang chen --home "$H"
g 0 sign "$T/80.draft" 发布人 zheng.hui zheng --home "$H" --json
same "$(jget 'd["reviews"]')" 3 "three reviews in the draft"
same "$(jget 'd["checked_against_people"]')" true "checked against people/"
g 1 sign "$T/80.draft" 发布人 wang.li wang --home "$H"
err_has "signed already"
unmoved "$H" "signing touches no store"
g 0 "$GOVFED" doc publish --home "$H" --draft "$T/80.draft" --json
same "$(jget 'd["files"]')" 1 "one body file published"
pub80=$(jget 'd["commit"]')
same "$(head_of "$H")" "$pub80" "the head is the publishing commit"
# meta and body in ONE commit
same "$(git --git-dir="$H/store.git" diff-tree --no-commit-id --name-only -r \
	--root "$pub80" -z | tr '\0' '\n' | sort | tr '\n' ' ')" \
	"documents/CZB-2020-80/files/长政办〔2020〕80号.txt documents/CZB-2020-80/meta.json " \
	"meta and body in one commit"
git --git-dir="$H/store.git" cat-file blob \
	"refs/heads/main:documents/CZB-2020-80/files/长政办〔2020〕80号.txt" >"$T/body.out"
checks=$((checks + 1))
cmp -s "$T/body.out" "$BODY80" || fail "the stored body is not the file"
g 0 "$GOVFED" doc show --home "$H" --id CZB-2020-80 --json
same "$(jget '[(r["role"], r["person"], r["verified"]) for r in d["reviews"]]')" \
	'[["拟稿人", "lin.wei", true], ["审核人", "chen.fang", true], ["发布人", "zheng.hui", true]]' \
	"three verified reviews"
same "$(jget '[r["name"] for r in d["reviews"]]')" '["林伟", "陈芳", "郑辉"]' \
	"reviewers' names"
same "$(jget 'd["meta"]["doc_no"]')" "长政办〔2020〕80号" "文号"
same "$(jget 'd["state"]')" published "state"
same "$(jget 'd["meta"]["validity"]')" '{"status": "有效"}' "有效 by default"
g 0 "$GOVFED" doc show --home "$H" --id CZB-2020-80
out_has "review     审核人 chen.fang"
out_has "verified"
# the same draft again: the document exists
before=$(state_of "$H")
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/80.draft"
err_has "already published here"
unmoved "$H" "publishing twice"

# ---- every way a review can fail is refused at publish --------------------
# each starts from a fresh draft of a second document
g 0 "$GOVFED" doc draft --home "$H" --file "$EX/CZB-2020-80-JD/meta.json" \
	--body "$EX/CZB-2020-80-JD/解读.txt" --out "$T/jd.blank"
before=$(state_of "$H")

# two roles by the same person (the CLI refuses the second signature; a
# draft assembled by hand is refused at publish)
cp "$T/jd.blank" "$T/a.draft"
g 0 sign "$T/a.draft" 拟稿人 lin.wei lin
g 0 sign "$T/a.draft" 审核人 wang.li wang
g 1 sign "$T/a.draft" 发布人 wang.li wang
err_has "'wang.li' signed this draft already as 审核人"
cp "$T/jd.blank" "$T/b.draft"
g 0 sign "$T/b.draft" 拟稿人 lin.wei lin
g 0 sign "$T/b.draft" 审核人 chen.fang chen
g 0 sign "$T/b.draft" 发布人 wang.li wang
jedit "$T/a.draft" "
import json
b = json.load(open('$T/b.draft'))
d['meta']['review'].append(b['meta']['review'][2])"
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/a.draft"
err_has "'wang.li' signed both as 审核人 and as 发布人"
unmoved "$H" "two roles by one person"

# a signature by a person without the role (signed away from the store,
# so only publish can tell)
cp "$T/jd.blank" "$T/c.draft"
g 0 sign "$T/c.draft" 拟稿人 lin.wei lin
g 0 sign "$T/c.draft" 审核人 liu.yang liu
g 0 sign "$T/c.draft" 发布人 zheng.hui zheng
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/c.draft"
err_has "'liu.yang' does not hold the role 审核人"
unmoved "$H" "a reviewer without the role"

# a person who is not one of this node's people
cp "$T/jd.blank" "$T/n.draft"
ssh-keygen -q -t ed25519 -N '' -f "$K/stranger"
g 0 sign "$T/n.draft" 拟稿人 stranger stranger
g 0 sign "$T/n.draft" 审核人 chen.fang chen
g 0 sign "$T/n.draft" 发布人 zheng.hui zheng
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/n.draft"
err_has "'stranger' is not one of this node's people"
unmoved "$H" "a stranger's review"

# the metadata changed after signing
cp "$T/b.draft" "$T/t.draft"
jedit "$T/t.draft" "d['meta']['title'] += '（修改）'"
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/t.draft"
err_has "the metadata changed after it was signed"
unmoved "$H" "a tampered draft"
cp "$T/jd.blank" "$T/t2.draft"
g 0 sign "$T/t2.draft" 拟稿人 lin.wei lin
jedit "$T/t2.draft" "d['meta']['published'] = '2020-09-15'"
g 1 sign "$T/t2.draft" 审核人 chen.fang chen
err_has "the metadata changed after it was signed"
# a changed body file
cp "$EX/CZB-2020-80-JD/解读.txt" "$T/解读.txt"
g 0 "$GOVFED" doc draft --home "$H" --file "$EX/CZB-2020-80-JD/meta.json" \
	--body "$T/解读.txt" --out "$T/f.draft"
g 0 sign "$T/f.draft" 拟稿人 lin.wei lin
g 0 sign "$T/f.draft" 审核人 chen.fang chen
g 0 sign "$T/f.draft" 发布人 zheng.hui zheng
echo "多了一行" >>"$T/解读.txt"
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/f.draft"
err_has "changed after the draft was made"
unmoved "$H" "a changed body"

# a revoked person's signature made after the revocation
g 0 "$GOVFED" person revoke --home "$H" --id he.min --reason "调离岗位"
out_has "revoked he.min"
g 1 "$GOVFED" person revoke --home "$H" --id he.min --reason again
err_has "was revoked already"
g 1 "$GOVFED" person revoke --home "$H" --id nobody --reason x
err_has "no person 'nobody'"
g 0 "$GOVFED" person list --home "$H"
out_has "revoked"
before=$(state_of "$H")
cp "$T/jd.blank" "$T/r.draft"
g 1 sign "$T/r.draft" 拟稿人 he.min he --home "$H"
err_has "'he.min' was revoked at"
g 0 sign "$T/r.draft" 拟稿人 he.min he
g 0 sign "$T/r.draft" 审核人 chen.fang chen
g 0 sign "$T/r.draft" 发布人 zheng.hui zheng
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/r.draft"
err_has "'he.min' was revoked at"
unmoved "$H" "a revoked reviewer"

# a review dated in the future, and out of order
cp "$T/jd.blank" "$T/o.draft"
g 0 sign "$T/o.draft" 拟稿人 lin.wei lin --at 2099-01-01T00:00:00Z
g 1 sign "$T/o.draft" 审核人 chen.fang chen
err_has "三级审核 goes"
g 0 sign "$T/o.draft" 审核人 chen.fang chen --at 2099-01-01T00:00:01Z
g 0 sign "$T/o.draft" 发布人 zheng.hui zheng --at 2099-01-01T00:00:02Z
g 1 "$GOVFED" doc publish --home "$H" --draft "$T/o.draft"
err_has "after now"
g 2 sign "$T/o.draft" 发布人 zheng.hui zheng --at 2099-01-01
unmoved "$H" "future reviews"

# the draft belongs to its node
g 1 "$GOVFED" doc publish --home "$C" --draft "$T/b.draft"
err_has "the draft was made for node 350104"

# with the right three it publishes
g 0 "$GOVFED" doc publish --home "$H" --draft "$T/b.draft"
out_has "published CZB-2020-80-JD"
g 0 "$GOVFED" doc show --home "$H" --id CZB-2020-80-JD --json
same "$(jget 'all(r["verified"] for r in d["reviews"]) and len(d["reviews"])')" \
	3 "the 解读's three reviews verify"
same "$(jget 'd["meta"]["interprets"]')" CZB-2020-80 "interprets"

# ---- the metadata is validated before anything ---------------------------
before=$(state_of "$H")
meta() { # meta NAME PYTHON: a copy of the 80 meta, changed
	cp "$EX/CZB-2020-80/meta.json" "$T/$1.json"
	jedit "$T/$1.json" "d['id'] = 'X-$1'; $2"
}
bad_meta() { # bad_meta NAME MESSAGE
	g 1 "$GOVFED" doc draft --home "$H" --file "$T/$1.json" --body "$BODY80" \
		--out "$T/$1.draft"
	err_has "$2"
	checks=$((checks + 1))
	[ ! -e "$T/$1.draft" ] || fail "a refused draft was written ($1)"
}
meta withheld "d['attribute'] = '不予公开'"
bad_meta withheld "不予公开 needs attribute_reason"
meta badcode "d['attribute'] = '不予公开'; d['attribute_reason'] = {'code': 'A99_其他', 'text': '内部'}"
bad_meta badcode "attribute_reason: field 'code' must be one of"
meta reason "d['attribute_reason'] = {'code': 'A16_内部事务', 'text': '内部'}"
bad_meta reason "attribute_reason is only for 不予公开"
meta d1 "d['written'] = '2020-9-10'"
bad_meta d1 "'written'"
meta d2 "d['published'] = '2020-02-30'"
bad_meta d2 "'published'"
meta d3 "d['published'] = '2020-09-01'"
bad_meta d3 "is before written"
meta d4 "d['published'] = '10 September 2020'"
bad_meta d4 "'published'"
meta v1 "d['validity'] = {'status': '废止'}"
bad_meta v1 "validity 废止 needs its date 'at'"
meta v2 "d['validity'] = {'status': '已修订', 'at': '2021-01-01'}"
bad_meta v2 "successor"
meta v3 "d['validity'] = {'status': '有效吗'}"
bad_meta v3 "validity"
meta i1 "d['interprets'] = 'NOPE-1'"
bad_meta i1 "'NOPE-1' is not a published document of this node"
meta i2 "d['catalog_items'] = ['义务教育/YWJY.02.03']"
bad_meta i2 "not in this node's catalog"
meta i3 "d['tasks'] = ['T-404']"
bad_meta i3 "'T-404' is not a task"
meta r1 "d['review'] = []"
bad_meta r1 "reviews are added by 'govfed doc sign'"
meta u1 "d['colour'] = 'red'"
bad_meta u1 "colour"
meta idx "d['id'] = 'has space'"
bad_meta idx "id"
meta dup "pass"
g 1 "$GOVFED" doc draft --home "$H" --file "$T/dup.json" --body "$BODY80" \
	--body "$BODY80" --out "$T/dup.draft"
err_has "given twice"
printf '{"id": "X", "id": "Y"}' >"$T/twice.json"
g 1 "$GOVFED" doc draft --home "$H" --file "$T/twice.json" --out "$T/twice.draft"
err_has "line 1"
# 不予公开 with its reason is a valid draft
meta withheld_ok "d['attribute'] = '不予公开'; d['attribute_reason'] = {'code': 'A16_过程性信息', 'text': '研究讨论中的过程稿'}"
g 0 "$GOVFED" doc draft --home "$H" --file "$T/withheld_ok.json" \
	--body "$BODY80" --out "$T/withheld_ok.draft"
unmoved "$H" "refused metadata"

# ---- retire: only the validity changes ---------------------------------------
meta succ "d['title'] = '长乐区全面推进基层政务公开标准化规范化工作实施方案（2022年修订）'; d['written'] = '2022-06-20'; d['published'] = '2022-06-20'; d['doc_no'] = '长政办〔2022〕35号'; del d['interpretation_required']"
g 0 "$GOVFED" doc draft --home "$H" --file "$T/succ.json" --body "$BODY80" \
	--out "$T/succ.draft"
g 0 sign "$T/succ.draft" 拟稿人 liu.yang liu --home "$H"
g 0 sign "$T/succ.draft" 审核人 wang.li wang --home "$H"
g 0 sign "$T/succ.draft" 发布人 zheng.hui zheng --home "$H"
g 0 "$GOVFED" doc publish --home "$H" --draft "$T/succ.draft"
g 0 "$GOVFED" doc show --home "$H" --id CZB-2020-80 --json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["meta"]; d.pop("validity"); print(json.dumps(d, sort_keys=True))' "$T/out" >"$T/80.before"
before=$(state_of "$H")
g 2 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 已修订 --at 2022-06-20
err_has "--successor"
g 2 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 作废 --at 2022-06-20
g 2 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 废止 --at 2022-6-20
g 1 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 废止 --at 2022-06-20 \
	--successor NOPE-9
err_has "'NOPE-9' is not a published document"
g 1 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 废止 --at 2019-01-01
err_has "before the document was written"
g 1 "$GOVFED" doc retire --home "$H" --id NOPE-9 --status 废止 --at 2022-06-20
err_has "no document 'NOPE-9'"
unmoved "$H" "refused retirements"
g 0 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 废止 --at 2022-06-20 \
	--successor X-succ --note "被长政办〔2022〕35号替代" --json
retired=$(jget 'd["commit"]')
same "$(head_of "$H")" "$retired" "the retirement is the head"
g 0 "$GOVFED" doc show --home "$H" --id CZB-2020-80 --json
same "$(jget 'd["meta"]["validity"]')" \
	'{"at": "2022-06-20", "note": "被长政办〔2022〕35号替代", "status": "废止", "successor": "X-succ"}' \
	"validity 废止 with its successor"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["meta"]; d.pop("validity"); print(json.dumps(d, sort_keys=True))' "$T/out" >"$T/80.after"
checks=$((checks + 1))
cmp -s "$T/80.before" "$T/80.after" || fail "retire changed more than the validity"
same "$(jget 'all(r["verified"] for r in d["reviews"])')" true \
	"the reviews still verify after a validity change"
same "$(git --git-dir="$H/store.git" diff-tree --no-commit-id --name-only -r "$retired")" \
	"documents/CZB-2020-80/meta.json" "retire changes only meta.json"
g 0 "$GOVFED" doc retire --home "$H" --id CZB-2020-80 --status 废止 --at 2022-06-20 \
	--successor X-succ --note "被长政办〔2022〕35号替代"
out_has "unchanged"
same "$(head_of "$H")" "$retired" "an unchanged retirement made no commit"
g 0 "$GOVFED" doc list --home "$H" --json
same "$(jget 'sorted((r["id"], r["validity"]) for r in d)')" \
	'[["CZB-2020-80", "废止"], ["CZB-2020-80-JD", "有效"], ["X-succ", "有效"]]' \
	"doc list"

# ---- withdraw: a tombstone, the body gone from the head ----------------------
printf '内部名单（误发）：张三 13800000000\nMARKER-7f3c9\n' >"$T/名单.txt"
meta wd "d['title'] = '关于公布2020年低保对象名单的公告'; d['doc_no'] = '长民〔2020〕12号'; del d['interpretation_required']; d['class'] = '非公文信息'"
g 0 "$GOVFED" doc draft --home "$H" --file "$T/wd.json" --body "$T/名单.txt" \
	--body "$EX/CZB-2020-80-JD/解读.txt" --out "$T/wd.draft"
g 0 sign "$T/wd.draft" 拟稿人 lin.wei lin --home "$H"
g 0 sign "$T/wd.draft" 审核人 chen.fang chen --home "$H"
g 0 sign "$T/wd.draft" 发布人 zheng.hui zheng --home "$H"
g 0 "$GOVFED" doc publish --home "$H" --draft "$T/wd.draft"
g 0 git --git-dir="$H/store.git" grep -l MARKER-7f3c9 refs/heads/main
before=$(state_of "$H")
g 2 "$GOVFED" doc withdraw --home "$H" --id X-wd --reason ""
g 1 "$GOVFED" doc withdraw --home "$H" --id NOPE-9 --reason 误发
unmoved "$H" "refused withdrawals"
g 0 "$GOVFED" doc withdraw --home "$H" --id X-wd --reason "含个人信息，误发" --json
same "$(jget 'd["files_removed"]')" 2 "both body files removed"
wd=$(jget 'd["commit"]')
g 0 "$GOVFED" doc show --home "$H" --id X-wd --json
same "$(jget 'd["state"]')" withdrawn "withdrawn"
same "$(jget 'd["meta"]["withdrawn"]["reason"]')" "含个人信息，误发" "the reason"
same "$(jget 'd["files_present"]')" "[]" "no body file in the head"
same "$(jget 'sorted(f["name"] for f in d["meta"]["files"])')" \
	'["名单.txt", "解读.txt"]' "the meta keeps the files' list"
same "$(jget 'len([f for f in d["meta"]["files"] if len(f["sha256"]) == 64])')" 2 \
	"and their hashes"
same "$(git --git-dir="$H/store.git" ls-tree -r --name-only refs/heads/main \
	documents/X-wd/)" "documents/X-wd/meta.json" "only the meta is left"
g 1 git --git-dir="$H/store.git" grep -l MARKER-7f3c9 refs/heads/main
same "$(git --git-dir="$H/store.git" log --format=%H --diff-filter=D \
	refs/heads/main)" "$wd" "the one commit that removes files is the withdrawal"
g 0 git --git-dir="$H/store.git" -c core.quotePath=false log -1 --name-status --format=%s refs/heads/main
out_has "doc withdraw X-wd"
out_has "D	documents/X-wd/files/"
out_has "M	documents/X-wd/meta.json"
before=$(state_of "$H")
g 1 "$GOVFED" doc withdraw --home "$H" --id X-wd --reason again
err_has "withdrawn already"
g 1 "$GOVFED" doc retire --home "$H" --id X-wd --status 失效 --at 2021-01-01
err_has "a tombstone does not change"
unmoved "$H" "a tombstone stays"

# ---- usage -----------------------------------------------------------------------
g 0 "$GOVFED" doc --help
out_has "三级审核"
for s in draft sign publish show list retire withdraw; do
	g 0 "$GOVFED" doc "$s" --help
done
g 2 "$GOVFED" doc frobnicate
g 2 "$GOVFED" doc show --home "$H"
g 1 "$GOVFED" doc show --home "$H" --id NOPE-9
g 1 "$GOVFED" doc show --home "$H" --id CZB-2020-80 --node 350999
err_has "not held here"

# ---- 解读 within 3 working days: doc list --overdue ---------------------------
publish_doc() { # publish_doc NAME: drafts $T/NAME.json, three signatures, publish
	g 0 "$GOVFED" doc draft --home "$H" --file "$T/$1.json" --body "$BODY80" \
		--out "$T/$1.draft"
	g 0 sign "$T/$1.draft" 拟稿人 lin.wei lin --home "$H"
	g 0 sign "$T/$1.draft" 审核人 chen.fang chen --home "$H"
	g 0 sign "$T/$1.draft" 发布人 zheng.hui zheng --home "$H"
	g 0 "$GOVFED" doc publish --home "$H" --draft "$T/$1.draft"
}
# a policy of Thursday 2020-09-10 is due a 解读 by Tuesday 2020-09-15
meta late "d['title'] = '关于进一步做好政务公开工作的若干措施'; d['doc_no'] = '长政办〔2020〕81号'"
publish_doc late
meta late-jd "d['title'] = '《关于进一步做好政务公开工作的若干措施》解读'; d.pop('doc_no'); d.pop('interpretation_required'); d['interprets'] = 'X-late'; d['published'] = '2020-09-18'"
publish_doc late-jd
meta miss "d['title'] = '长乐区政务公开工作考核办法'; d['doc_no'] = '长政办〔2020〕82号'"
publish_doc miss
meta fresh "d['title'] = '今天印发的政策'; d['doc_no'] = '长政办〔$(TZ=UTC-8 date +%Y)〕1号'; d['written'] = '$(TZ=UTC-8 date +%F)'; d['published'] = '$(TZ=UTC-8 date +%F)'"
publish_doc fresh
g 0 "$GOVFED" doc list --home "$H" --overdue --json
same "$(jget 'sorted((r["node"], r["id"], r["due"], r["status"], r["interpreted"]) for r in d)')" \
	'[["350104", "X-late", "2020-09-15", "late", "2020-09-18"], ["350104", "X-miss", "2020-09-15", "missing", null]]' \
	"overdue: the late 解读 and the missing one; not the one on time, not one not yet due"
same "$(jget '[r["workdays_late"] for r in d if r["id"] == "X-late"][0]')" 3 \
	"three working days late (09-16, 09-17, 09-18)"
g 0 "$GOVFED" doc list --home "$H" --overdue
out_has "X-miss"
out_has "none yet"
# the province's calendar counts: a policy of Tuesday 2020-09-29 is due
# its 解读 on Saturday 2020-10-10 (国庆节、中秋节 10-01..10-08; 10-10 a 调休
# working day), not on Friday 10-02 as Monday to Friday would have it
meta cal "d['title'] = '关于做好国庆中秋期间政务公开工作的通知'; d['doc_no'] = '长政办〔2020〕90号'; d['written'] = '2020-09-29'; d['published'] = '2020-09-29'"
publish_doc cal
meta cal-jd "d['title'] = '《关于做好国庆中秋期间政务公开工作的通知》解读'; d.pop('doc_no'); d.pop('interpretation_required'); d['interprets'] = 'X-cal'; d['written'] = '2020-09-29'; d['published'] = '2020-10-10'"
publish_doc cal-jd
g 0 "$GOVFED" doc list --home "$H" --overdue --json
same "$(jget '[(r["due"], r["status"]) for r in d if r["id"] == "X-cal"]')" \
	'[["2020-10-02", "late"]]' "without the province's calendar: Monday to Friday"
err_has "does not cover"
g 0 "$GOVFED" calendar put --home "$P" --file "$ROOT/examples/calendar/2020.json"
carry "$P" "$C"
carry "$C" "$D" 350000 350100
g 0 "$GOVFED" doc list --home "$H" --overdue --json
same "$(jget 'sorted(r["id"] for r in d)')" '["X-late", "X-miss"]' \
	"with the calendar the 解读 of 10-10 is on time"
same "$(jget '[r["due"] for r in d if r["id"] == "X-miss"]')" '["2020-09-15"]' \
	"and the others keep their due date"

# ---- the ancestors hold it, and everything verifies -------------------------------
carry "$P" "$C"
carry "$C" "$D" 350000 350100
carry "$D" "$C"
carry "$C" "$P" 350100 350104
g 0 "$GOVFED" doc show --home "$P" --id CZB-2020-80 --node 350104 --json
same "$(jget '[r["verified"] for r in d["reviews"]]')" "[true, true, true]" \
	"the province verifies the district's reviews"
g 0 "$GOVFED" doc list --home "$P" --node 350104
out_has "X-wd"
# the overdue list shows at every ancestor, with the descendant's documents
for a in "$C" "$P"; do
	g 0 "$GOVFED" doc list --home "$a" --overdue --json
	same "$(jget 'sorted((r["node"], r["id"]) for r in d)')" \
		'[["350104", "X-late"], ["350104", "X-miss"]]' "overdue at $a"
done
g 0 "$GOVFED" doc list --home "$P" --overdue --node 350104 --json
same "$(jget 'len(d)')" 2 "overdue of one held node"
# an ancestor's documents are not the township's to answer for: it holds
# 350104's history, and lists nothing overdue
carry "$D" "$S" 350000 350100 350104
g 0 "$GOVFED" doc list --home "$S" --node 350104
out_has "X-miss"
g 0 "$GOVFED" doc list --home "$S" --overdue --json
same "$(jget 'len(d)')" 0 "nothing overdue at or below the township"
for h in "$P" "$C" "$D"; do
	g 0 "$GOVFED" verify --store "$h/store.git" --root-key "$P/node.pub"
	out_has "verified:"
done
g 0 "$GOVFED" keys show --home "$P" --allowed-signers
cp "$T/out" "$T/allowed"
n=0
for c in $(git --git-dir="$P/store.git" rev-list refs/nodes/350104); do
	g 0 git --git-dir="$P/store.git" -c gpg.ssh.allowedSignersFile="$T/allowed" \
		verify-commit "$c"
	n=$((n + 1))
done
checks=$((checks + 1))
[ "$n" -ge 12 ] || fail "only $n commits checked with stock git"
# a review signature checks with stock ssh-keygen over the canonical bytes
"$PY" - "$D/store.git" "$T" <<'EOF'
import base64, json, subprocess, sys
git, t = sys.argv[1], sys.argv[2]
m = json.loads(subprocess.run(["git", "--git-dir=" + git, "show",
    "refs/heads/main:documents/CZB-2020-80/meta.json"], capture_output=True,
    check=True).stdout)
r = [x for x in m["review"] if x["role"] == "审核人"][0]
for k in ("review", "validity", "withdrawn"):
    m.pop(k, None)
open(t + "/msg", "wb").write(json.dumps(m, ensure_ascii=False, sort_keys=True,
    separators=(",", ":")).encode())
b = base64.b64encode(base64.b64decode(r["sig"])).decode()
open(t + "/msg.sig", "w").write("-----BEGIN SSH SIGNATURE-----\n" +
    "\n".join(b[i:i + 70] for i in range(0, len(b), 70)) +
    "\n-----END SSH SIGNATURE-----\n")
EOF
g 0 ssh-keygen -Y check-novalidate -n govfed-review -s "$T/msg.sig" -f /dev/null \
	<"$T/msg"
out_has "Good \"govfed-review\" signature"

finish
