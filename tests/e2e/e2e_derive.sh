#!/usr/bin/env bash
# e2e_derive.sh — local adaptation over real sync (daemons on loopback):
# province → city → district. The province publishes; the city derives an
# item overriding `subject`; the district derives the city's item
# overriding `channels`. The province changes `content` and `subject`: at
# the city `content` follows and `subject` conflicts, kept local by a
# re-derive; when that reaches the district, its item has drifted
# (`content` changed at the city) and `rederive --all` follows it. A second
# item conflicts at the district and is resolved by taking the upstream's
# value. Coverage counts at the district and, through --children, at the
# city.
source "$(dirname "$0")/lib.sh"

# the system python when there is one: a version manager's shim can cost
# a second or more per call, and these tests call it often
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

E=$ROOT/examples/catalog
A=义务教育/YWJY.02.03
B=义务教育/YWJY.02.01

# jis EXPR WANT: the JSON on stdout, as `d`, evaluated by the python
# expression EXPR, equals the JSON value WANT; it(ITEM) is the entry of
# "drifted" or "items" for ITEM
jis() {
	checks=$((checks + 1))
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
def it(name):
    arr = d["drifted"] if "drifted" in d else d["items"]
    return next(x for x in arr if x["item"] == name)
got = json.dumps(eval(sys.argv[2]), ensure_ascii=False, sort_keys=True)
want = json.dumps(json.loads(sys.argv[3]), ensure_ascii=False, sort_keys=True)
if got != want:
    sys.exit("FAIL: %s: got %s, want %s" % (sys.argv[2], got, want))' \
		"$T/out" "$1" "$2" || fails=$((fails + 1))
}

# edit SRC OUT KEY=JSON...: an example item with fields replaced
edit() {
	local src=$1 out=$2
	shift 2
	"$PY" - "$src" "$out" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    d[k] = json.loads(v)
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
}

# field HOME ITEM EXPR: prints EXPR of the item as committed at HOME
field() {
	"$GOVFED" catalog show --home "$T/$1" --item "$2" --stored --json |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), ensure_ascii=False))' "$3"
}

blob_of() { git --git-dir="$T/$1/store.git" rev-parse "refs/heads/main:catalog/$2.json"; }

node 350000 province 福建省
node 350100 city 福州市 350000
node 350104 district 仓山区 350100
ALL="350000 350100 350104"
for n in $ALL; do start "$n"; done
wait_for 20 "350104 holds its ancestors" head_is "$T/350104" 350100 "$(own_head 350100)"

# -- the province publishes four items ---------------------------------------
for f in YWJY.02.03 YWJY.02.01 YWJY.02.02 YWJY.03.01; do
	put 350000 "$E/$f.json"
done
want=$(own_head 350000)
wait_for 10 "the city receives the province's items" head_is "$T/350100" 350000 "$want"
wait_for 10 "the district receives the province's items" head_is "$T/350104" 350000 "$want"

# -- the city adopts them, localizing A's subject -----------------------------
echo '{"subject": "福州市教育局"}' >"$T/subject.json"
g 0 "$GOVFED" catalog derive --home "$T/350100" --from "350000/$A" --file "$T/subject.json" --json
jis 'd["from"], d["overrides"], d["pin"]' \
	"[\"350000\",[\"subject\"],{\"commit\":\"$want\",\"blob\":\"$(blob_of 350000 "$A")\"}]"
for i in YWJY.02.01 YWJY.02.02 YWJY.03.01; do
	g 0 "$GOVFED" catalog derive --home "$T/350100" --from "350000/$i"
done
want=$(own_head 350100)
wait_for 10 "the district receives the city's derived items" head_is "$T/350104" 350100 "$want"

# -- the district adopts from the city ----------------------------------------
echo '{"channels": ["政府网站", "社区/企事业单位/村公示栏(电子屏)"]}' >"$T/channels.json"
g 0 "$GOVFED" catalog derive --home "$T/350104" --from "350100/$A" --file "$T/channels.json" --json
jis 'd["from"], d["overrides"]' '["350100",["channels"]]'
g 0 "$GOVFED" catalog derive --home "$T/350104" --from "350100/$B" --file "$T/channels.json"
g 0 "$GOVFED" catalog derive --home "$T/350104" --from 350100/YWJY.02.02 \
	--not-applicable "本区无民办学校，不适用"
# the district adopts the city's subject, not the province's
same "$(field 350104 "$A" 'd["subject"]')" '"福州市教育局"' "the district's subject is the city's"
same "$(field 350104 "$A" 'd["derived"]["node"]')" '"350100"' "the district pins the city"

# coverage at the district: one not applicable with its reason, one pending
g 0 "$GOVFED" catalog coverage --home "$T/350104" --json
jis 'd["node"], d["upstream"], d["counts"], d["complete"], d["percent"]' \
	'["350104","350100",{"applicable":4,"adopted":0,"localized":2,"not_applicable":1,"pending":1,"not_required":0,"withdrawn":0},3,75]'
jis '[(i["item"], i["status"], i.get("reason"), i.get("overrides")) for i in d["items"]]' \
	'[["义务教育/YWJY.02.01","localized",null,["channels"]],["义务教育/YWJY.02.02","not_applicable","本区无民办学校，不适用",null],["义务教育/YWJY.02.03","localized",null,["channels"]],["义务教育/YWJY.03.01","pending",null,null]]'
jis 'it("义务教育/YWJY.02.03")["diff"]' \
	'[{"field":"channels","upstream":["政府网站","两微一端","社区/企事业单位/村公示栏(电子屏)","精准推送"],"local":["政府网站","社区/企事业单位/村公示栏(电子屏)"]}]'

# ... and the city sees it once the district's history has synced up
want=$(own_head 350104)
wait_for 10 "the city receives the district's items" head_is "$T/350100" 350104 "$want"
g 0 "$GOVFED" catalog coverage --home "$T/350100" --children --json
jis '[(c["node"], c["name"], c["held"], c["counts"]["pending"], c["percent"]) for c in d["children"]]' \
	'[["350104","仓山区",true,1,75]]'

# -- the province changes A's content and subject, and B's channels -----------
edit "$E/YWJY.02.03.json" "$T/a2.json" \
	'content="各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明\n学区划分听证情况"' \
	'subject="福建省教育厅"'
put 350000 "$T/a2.json"
edit "$E/YWJY.02.01.json" "$T/b2.json" 'channels=["政府网站","两微一端","政务服务中心"]'
put 350000 "$T/b2.json"
want=$(own_head 350000)
wait_for 10 "the city receives the province's change" head_is "$T/350100" 350000 "$want"

# at the city: A has drifted, content follows, subject conflicts
g 0 "$GOVFED" catalog list --home "$T/350100" --drifted --json
jis 'd["node"], d["count"], [x["item"] for x in d["drifted"]]' \
	'["350100",2,["义务教育/YWJY.02.01","义务教育/YWJY.02.03"]]'
jis 'it("义务教育/YWJY.02.03")["fields"]' '[
 {"field":"content","old":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明","new":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明\n学区划分听证情况","local":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明","overridden":false,"status":"follows"},
 {"field":"subject","old":"长乐区教育局","new":"福建省教育厅","local":"福州市教育局","overridden":true,"status":"conflict"}]'
jis 'it("义务教育/YWJY.02.03")["conflicts"], it("义务教育/YWJY.02.03")["follows"], it("义务教育/YWJY.02.03")["upstream"]' \
	'[["subject"],["content"],"350000"]'
jis 'it("义务教育/YWJY.02.03")["upstream_head"]' \
	"{\"commit\":\"$want\",\"blob\":\"$(blob_of 350000 "$A")\"}"
jis 'it("义务教育/YWJY.02.01")["fields"]' \
	'[{"field":"channels","old":["政府网站","两微一端","纸质媒体","精准推送"],"new":["政府网站","两微一端","政务服务中心"],"local":["政府网站","两微一端","纸质媒体","精准推送"],"overridden":false,"status":"follows"}]'
# show: content already follows the province, subject stays local
g 0 "$GOVFED" catalog show --home "$T/350100" --item "$A" --json
jis 'd["content"], d["subject"], d["drift"]["conflicts"]' \
	'["各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明\n学区划分听证情况","福州市教育局",["subject"]]'

# resolution at the city: --all follows B; A needs a decision
g 0 "$GOVFED" catalog rederive --home "$T/350100" --all --json
jis 'd["rederived"], [(s["item"], s["conflicts"]) for s in d["skipped"]]' \
	'[["义务教育/YWJY.02.01"],[["义务教育/YWJY.02.03",["subject"]]]]'
h=$(own_head 350100)
run 1 "$GOVFED" catalog rederive --home "$T/350100" --item "$A"
err_has "'subject' conflicts: 350000 changed it from \"长乐区教育局\" to \"福建省教育厅\""
same "$(own_head 350100)" "$h" "an unresolved conflict commits nothing"
g 0 "$GOVFED" catalog rederive --home "$T/350100" --item "$A" --keep-local subject --json
jis 'd["kept_local"], d["took_upstream"], d["followed"], d["overrides"], d["from"]' \
	'[["subject"],[],["content"],["subject"],"350000"]'
jis 'd["pin"]' "{\"commit\":\"$want\",\"blob\":\"$(blob_of 350000 "$A")\"}"
same "$(field 350100 "$A" 'd["subject"]')" '"福州市教育局"' "the city kept its subject"
same "$(field 350100 "$A" 'd["content"]')" \
	'"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明\n学区划分听证情况"' \
	"the city's content follows the province"
g 0 "$GOVFED" catalog list --home "$T/350100" --drifted --json
jis 'd["count"]' '0'

# -- the city's re-derive syncs down: drift at the district ---------------------
want=$(own_head 350100)
wait_for 10 "the district receives the city's re-derive" head_is "$T/350104" 350100 "$want"
g 0 "$GOVFED" catalog list --home "$T/350104" --drifted --json
jis 'd["node"], [(x["item"], x["upstream"], x["conflicts"], x["follows"]) for x in d["drifted"]]' \
	'["350104",[["义务教育/YWJY.02.01","350100",["channels"],[]],["义务教育/YWJY.02.03","350100",[],["content"]]]]'
jis 'it("义务教育/YWJY.02.03")["fields"]' '[
 {"field":"content","old":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明","new":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明\n学区划分听证情况","local":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明","overridden":false,"status":"follows"}]'
jis 'it("义务教育/YWJY.02.01")["fields"]' \
	'[{"field":"channels","old":["政府网站","两微一端","纸质媒体","精准推送"],"new":["政府网站","两微一端","政务服务中心"],"local":["政府网站","社区/企事业单位/村公示栏(电子屏)"],"overridden":true,"status":"conflict"}]'

# --all follows A (no conflict) and leaves B
g 0 "$GOVFED" catalog rederive --home "$T/350104" --all --json
jis 'd["rederived"], [(s["item"], s["conflicts"]) for s in d["skipped"]]' \
	'[["义务教育/YWJY.02.03"],[["义务教育/YWJY.02.01",["channels"]]]]'
same "$(field 350104 "$A" 'd["content"], d["channels"], d["subject"], d["derived"]["overrides"]')" \
	'["各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明\n学区划分听证情况", ["政府网站", "社区/企事业单位/村公示栏(电子屏)"], "福州市教育局", ["channels"]]' \
	"the district's A follows the city's content and keeps its channels"
same "$(field 350104 "$A" 'd["derived"]["blob"]')" "\"$(blob_of 350100 "$A")\"" \
	"the district's A pins the city's current record"
# B: the district takes the upstream's channels
g 0 "$GOVFED" catalog rederive --home "$T/350104" --item "$B" --take-upstream channels --json
jis 'd["took_upstream"], d["kept_local"], d["overrides"], d["followed"]' \
	'[["channels"],[],[],[]]'
same "$(field 350104 "$B" 'd["channels"]')" '["政府网站", "两微一端", "政务服务中心"]' \
	"the district's B takes the upstream's channels"
g 0 "$GOVFED" catalog list --home "$T/350104" --drifted --json
jis 'd["count"]' '0'

# coverage at the district now: B adopted, A localized, one N/A, one pending
g 0 "$GOVFED" catalog coverage --home "$T/350104" --json
jis 'd["counts"], d["percent"]' \
	'[{"applicable":4,"adopted":1,"localized":1,"not_applicable":1,"pending":1,"not_required":0,"withdrawn":0},75]'
jis '[(i["item"], i["status"], i.get("drifted")) for i in d["items"]]' \
	'[["义务教育/YWJY.02.01","adopted",false],["义务教育/YWJY.02.02","not_applicable",false],["义务教育/YWJY.02.03","localized",false],["义务教育/YWJY.03.01","pending",null]]'
g 0 "$GOVFED" catalog coverage --home "$T/350104"
out_has "350104 covers 350100: 3 of 4 applicable items (75%)"
out_has "本区无民办学校，不适用"

# ... and the city sees the district's resolution
want=$(own_head 350104)
wait_for 10 "the city receives the district's re-derive" head_is "$T/350100" 350104 "$want"
g 0 "$GOVFED" catalog coverage --home "$T/350100" --children --json
jis '[(c["node"], c["counts"]["adopted"], c["counts"]["localized"], c["percent"]) for c in d["children"]]' \
	'[["350104",1,1,75]]'
# the province sees all of it too
wait_for 10 "the province receives the district's re-derive" head_is "$T/350000" 350104 "$want"
g 0 "$GOVFED" catalog show --home "$T/350000" --node 350104 --item "$B" --json
jis 'd["derived"]["node"], d["channels"]' '["350100",["政府网站","两微一端","政务服务中心"]]'

for n in $ALL; do stop "$n"; done
for n in $ALL; do intact "$n"; done
[ "$fails" = 0 ] || show_logs
finish
