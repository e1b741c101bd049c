#!/usr/bin/env bash
# cli_catalog.sh — catalog items with the real binary: every malformed
# field refused with a message naming it and nothing written; local
# adaptation across homes through bundles: derive, drift, rederive,
# withdraw and coverage.
source "$(dirname "$0")/lib.sh"

# the system python when there is one: a version manager's shim can cost
# a second or more per call, and these tests call it often
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

E=$ROOT/examples/catalog

# jis EXPR WANT: the JSON document on stdout, as `d`, evaluated by the
# python expression EXPR, equals the JSON value WANT; it(ITEM) is the entry
# of "drifted" or "items" for ITEM
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

# item FILE KEY=JSON...: an example item with fields replaced (KEY=- removes)
item() {
	local src=$1 out=$2
	shift 2
	"$PY" - "$src" "$out" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    if v == "-":
        d.pop(k, None)
    else:
        d[k] = json.loads(v)
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
}

# refused HOME WHAT CMD...: exit 1, stderr names WHAT, nothing changed
refused() {
	local home=$1 what=$2 before
	shift 2
	before=$(state_of "$home")
	run 1 "$@"
	err_has "$what"
	same "$(state_of "$home")" "$before" "refused ($what): the store did not change"
}

federation
A=义务教育/YWJY.02.03

# -- the schema of a catalog item: each malformed field refused ----------
Y=$E/YWJY.02.03.json
item "$Y" "$T/bad.json" name=-
refused "$P" "field 'name' is required" "$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'area="义务/教育"'
refused "$P" "field 'area'" "$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'area=".教育"'
refused "$P" "field 'area'" "$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'attribute="公开"'
refused "$P" "field 'attribute' must be one of 主动公开, 依申请公开, 不予公开" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'attribute="不予公开"'
refused "$P" "field 'attribute_reason' is required when attribute is 不予公开" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'attribute="主动公开"' 'attribute_reason={"code":"A16_内部事务","text":"内部"}'
refused "$P" "field 'attribute_reason' is only for attribute 不予公开" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'attribute="不予公开"' 'attribute_reason={"code":"A99_其他","text":"内部"}'
refused "$P" "attribute_reason: field 'code' must be one of" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'levels=["县级","省级"]'
refused "$P" "field 'levels'" "$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'levels=[]'
refused "$P" "field 'levels' may not be empty" "$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'stage="公开"'
refused "$P" "field 'stage' must be one of 决策, 执行, 管理, 服务, 结果" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
Z40=0000000000000000000000000000000000000000
item "$Y" "$T/bad.json" "derived={\"node\":\"350000\",\"commit\":\"$Z40\",\"blob\":\"$Z40\",\"overrides\":[]}"
refused "$P" "field 'derived.node' names this node (350000)" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" "derived={\"node\":\"350100\",\"commit\":\"$Z40\",\"blob\":\"$Z40\",\"overrides\":[\"id\"]}"
refused "$P" "derived: field 'overrides' names 'id', which is not a field an item may override" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" "derived={\"node\":\"350100\",\"commit\":\"$Z40\",\"blob\":\"xyz\",\"overrides\":[]}"
refused "$P" "derived: field 'blob' must be a git object id" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'foo=1'
refused "$P" "unknown field 'foo'" "$GOVFED" catalog put --home "$P" --file "$T/bad.json"
item "$Y" "$T/bad.json" 'withdrawn={"at":"2024-01-01T00:00:00Z","reason":"x"}'
refused "$P" "field 'withdrawn' is written by 'govfed catalog withdraw'" \
	"$GOVFED" catalog put --home "$P" --file "$T/bad.json"
# derived from a node that is not an ancestor, at the city
item "$Y" "$T/bad.json" "derived={\"node\":\"350104\",\"commit\":\"$Z40\",\"blob\":\"$Z40\",\"overrides\":[]}"
refused "$C" "field 'derived.node': 350104 is not an ancestor of 350100" \
	"$GOVFED" catalog put --home "$C" --file "$T/bad.json"
# the new fields, well formed, are accepted
item "$Y" "$T/ok.json" 'attribute="主动公开"' 'levels=["县级","乡级"]' 'stage="服务"'
g 0 "$GOVFED" catalog put --home "$P" --file "$T/ok.json"
g 0 "$GOVFED" catalog show --home "$P" --item "$A" --json
jis 'd["levels"], d["stage"], d["attribute"]' '[["县级","乡级"],"服务","主动公开"]'
item "$E/YWJY.04.01.json" "$T/ok.json" 'attribute="不予公开"' \
	'attribute_reason={"code":"A16_过程性信息","text":"讨论记录"}'
g 0 "$GOVFED" catalog put --home "$P" --file "$T/ok.json" --json
jis 'd["path"]' '"catalog/义务教育/YWJY.04.01.json"'

# -- the province's catalog ------------------------------------------------
# A, B, G: adopted below; CC: not applicable at the district; W: withdrawn
# before anyone adopts it; H: withdrawn after the city adopted it
g 0 "$GOVFED" catalog put --home "$P" --file "$Y"   # A, back without levels
for f in YWJY.02.01 YWJY.02.02 YWJY.03.01 CXGH.01.01 CXGH.01.02 SHBX.01.01; do
	g 0 "$GOVFED" catalog put --home "$P" --file "$E/$f.json"
done
g 0 "$GOVFED" catalog withdraw --home "$P" --item CXGH.01.01 --reason "发布有误" --json
jis 'd["item"], d["withdrawn"]["reason"]' '["城乡规划/CXGH.01.01","发布有误"]'
g 1 "$GOVFED" catalog withdraw --home "$P" --item 城乡规划/CXGH.01.01 --reason again
err_has "already withdrawn"
g 0 "$GOVFED" catalog list --home "$P"
out_has "[withdrawn "
g 0 "$GOVFED" catalog show --home "$P" --item CXGH.01.01 --json
jis 'd["withdrawn"]["reason"]' '"发布有误"'
# a withdrawn item stays as it is
item "$E/CXGH.01.01.json" "$T/w.json" 'name="新名称"'
refused "$P" "was withdrawn on" "$GOVFED" catalog put --home "$P" --file "$T/w.json"
g 2 "$GOVFED" catalog withdraw --home "$P" --item CXGH.01.01
g 1 "$GOVFED" catalog withdraw --home "$P" --item NOPE.1 --reason x
err_has "no catalog item 'NOPE.1'"

# -- the city adopts: through a bundle of the province's history -----------
h=$(head_of "$C")
refused "$C" "350000's history is not held here yet" \
	"$GOVFED" catalog derive --home "$C" --from 350000/$A
carry "$P" "$C" 350000
echo '{"subject": "福州市教育局"}' >"$T/subject.json"
g 0 "$GOVFED" catalog derive --home "$C" --from 350000/$A --file "$T/subject.json" --json
jis 'd["item"], d["from"], d["overrides"], d["not_applicable"]' \
	'["义务教育/YWJY.02.03","350000",["subject"],null]'
jis 'd["pin"]["commit"]' "\"$(head_of "$P")\""
jis 'd["pin"]["blob"]' "\"$(git --git-dir="$P/store.git" rev-parse "refs/heads/main:catalog/义务教育/YWJY.02.03.json")\""
g 0 "$GOVFED" catalog show --home "$C" --item YWJY.02.03 --stored --json
jis 'd["subject"], d["derived"]["node"], d["derived"]["overrides"]' '["福州市教育局","350000",["subject"]]'
jis 'd["content"]' "$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["content"]))' "$Y")"
# NODE/ID finds the area
g 0 "$GOVFED" catalog derive --home "$C" --from 350000/YWJY.02.01
out_has "derived from 350000"
g 0 "$GOVFED" catalog derive --home "$C" --from 350000/义务教育/YWJY.02.02
g 0 "$GOVFED" catalog derive --home "$C" --from 350000/YWJY.03.01
g 0 "$GOVFED" catalog derive --home "$C" --from 350000/CXGH.01.02
# refusals: nothing written
refused "$C" "350104 is not an ancestor of 350100" \
	"$GOVFED" catalog derive --home "$C" --from 350104/$A
refused "$C" "350100 is not an ancestor of 350100" \
	"$GOVFED" catalog derive --home "$C" --from 350100/$A
refused "$C" "no catalog item 'NOPE.01' in 350000's catalog" \
	"$GOVFED" catalog derive --home "$C" --from 350000/NOPE.01
refused "$C" "350000 withdrew 城乡规划/CXGH.01.01" \
	"$GOVFED" catalog derive --home "$C" --from 350000/CXGH.01.01
refused "$C" "already derives 义务教育/YWJY.02.03 from 350000; use 'govfed catalog rederive" \
	"$GOVFED" catalog derive --home "$C" --from 350000/$A
g 0 "$GOVFED" catalog put --home "$C" --file "$E/SHBX.01.01.json"
refused "$C" "350100 already has its own item 社会保险/SHBX.01.01" \
	"$GOVFED" catalog derive --home "$C" --from 350000/SHBX.01.01
echo '{"id": "YWJY.99"}' >"$T/chg.json"
refused "$C" "field 'id' cannot change" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '{"area": "教育"}' >"$T/chg.json"
refused "$C" "field 'area' cannot change" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '{"subjects": "x"}' >"$T/chg.json"
refused "$C" "unknown field 'subjects'" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '{"derived": {}}' >"$T/chg.json"
refused "$C" "field 'derived' is written by govfed" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '["subject"]' >"$T/chg.json"
refused "$C" "must be a JSON object of item fields" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '{"stage": "公开"}' >"$T/chg.json"
refused "$C" "field 'stage' must be one of" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '{"attribute": "主动公开"}' >"$T/chg.json"
refused "$C" "field 'attribute_reason' is only for attribute 不予公开" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
echo '{"name": null}' >"$T/chg.json"
refused "$C" "field 'name' is required" \
	"$GOVFED" catalog derive --home "$C" --from 350000/YWJY.04.01 --file "$T/chg.json"
g 2 "$GOVFED" catalog derive --home "$C" --from nope/$A
g 2 "$GOVFED" catalog derive --home "$C" --from 350000
# a derived item edited by hand: an override may change, a pinned field not
g 0 "$GOVFED" catalog show --home "$C" --item "$A" --stored --json
"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1])); d["subject"] = "福州市教育局（基础教育处）"
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)' "$T/out" "$T/edit.json"
g 0 "$GOVFED" catalog put --home "$C" --file "$T/edit.json"
"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1])); d["content"] = "改了"
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)' "$T/edit.json" "$T/bad.json"
refused "$C" "field 'content' differs from the upstream's at the pin but is not listed in derived.overrides" \
	"$GOVFED" catalog put --home "$C" --file "$T/bad.json"
"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1])); d["derived"]["blob"] = "1" * 40
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)' "$T/edit.json" "$T/bad.json"
refused "$C" "field 'derived.blob': 1111111111111111111111111111111111111111 is not a catalog record held here" \
	"$GOVFED" catalog put --home "$C" --file "$T/bad.json"
# an item derived stays derived: a put may not drop the derivation
refused "$C" "义务教育/YWJY.02.01 is derived from 350000; a put keeps its field 'derived'" \
	"$GOVFED" catalog put --home "$C" --file "$E/YWJY.02.01.json"

# the city's own items: one for districts, one for townships only, one
# withdrawn
item "$E/SHBX.01.01.json" "$T/own.json" 'levels=["县级"]'
g 0 "$GOVFED" catalog put --home "$C" --file "$T/own.json"
item "$E/SHJZ.01.01.json" "$T/own.json" 'levels=["乡级","村级"]'
g 0 "$GOVFED" catalog put --home "$C" --file "$T/own.json"
g 0 "$GOVFED" catalog put --home "$C" --file "$E/ZHZF.01.01.json"
g 0 "$GOVFED" catalog withdraw --home "$C" --item ZHZF.01.01 --reason "职能调整"

# the province withdraws an item the city adopted (H = CXGH.01.02)
g 0 "$GOVFED" catalog withdraw --home "$P" --item CXGH.01.02 --reason "已合并至CXGH.01.01"

# -- the city's coverage of the province -----------------------------------
carry "$P" "$C" 350000
g 0 "$GOVFED" catalog coverage --home "$C" --json
jis 'd["node"], d["upstream"], d["counts"]' \
	'["350100","350000",{"applicable":6,"adopted":3,"localized":1,"not_applicable":0,"pending":2,"not_required":0,"withdrawn":2}]'
jis 'd["complete"], d["percent"]' '[4,66]'
jis '[(i["item"], i["status"], i.get("note")) for i in d["items"]]' \
	'[["义务教育/YWJY.02.01","adopted",null],["义务教育/YWJY.02.02","adopted",null],["义务教育/YWJY.02.03","localized",null],["义务教育/YWJY.03.01","adopted",null],["义务教育/YWJY.04.01","pending",null],["社会保险/SHBX.01.01","pending","has an item of its own under this id"]]'
jis '[i["diff"] for i in d["items"] if i["status"] == "localized"]' \
	'[[{"field":"subject","upstream":"长乐区教育局","local":"福州市教育局（基础教育处）"}]]'
g 0 "$GOVFED" catalog coverage --home "$C"
out_has "350100 covers 350000: 4 of 6 applicable items (66%)"
g 1 "$GOVFED" catalog coverage --home "$C" --from 350104
err_has "350104 is not an ancestor of 350100"
g 1 "$GOVFED" catalog coverage --home "$P"
err_has "350000 has no parent"
g 2 "$GOVFED" catalog coverage --home "$C" --from 350000 --children

# -- drift at the city: the province changes A's content and subject, and
#    B's channels
item "$Y" "$T/a2.json" 'content="各学校招生片区（学区划分）\n对应的街道、社区和村"' \
	'subject="福建省教育厅"'
g 0 "$GOVFED" catalog put --home "$P" --file "$T/a2.json"
item "$E/YWJY.02.01.json" "$T/b2.json" 'channels=["政府网站","两微一端"]'
g 0 "$GOVFED" catalog put --home "$P" --file "$T/b2.json"
# before the bundle arrives only H has drifted (withdrawn upstream);
# after it, A and B too
g 0 "$GOVFED" catalog list --home "$C" --drifted --json
jis '[(x["item"], x["upstream_withdrawn"], x["fields"]) for x in d["drifted"]]' \
	'[["城乡规划/CXGH.01.02",true,[]]]'
carry "$P" "$C" 350000
g 0 "$GOVFED" catalog list --home "$C" --drifted --json
jis 'd["count"]' '3'
jis '[(x["item"], x["upstream_withdrawn"]) for x in d["drifted"]]' \
	'[["义务教育/YWJY.02.01",false],["义务教育/YWJY.02.03",false],["城乡规划/CXGH.01.02",true]]'
jis 'it("义务教育/YWJY.02.03")["fields"]' '[
 {"field":"content","old":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明","new":"各学校招生片区（学区划分）\n对应的街道、社区和村","local":"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明","overridden":false,"status":"follows"},
 {"field":"subject","old":"长乐区教育局","new":"福建省教育厅","local":"福州市教育局（基础教育处）","overridden":true,"status":"conflict"}]'
jis 'it("义务教育/YWJY.02.03")["conflicts"], it("义务教育/YWJY.02.03")["follows"]' '[["subject"],["content"]]'
jis 'it("义务教育/YWJY.02.01")["fields"]' '[{"field":"channels","old":["政府网站","两微一端","纸质媒体","精准推送"],"new":["政府网站","两微一端"],"local":["政府网站","两微一端","纸质媒体","精准推送"],"overridden":false,"status":"follows"}]'
jis 'it("义务教育/YWJY.02.03")["upstream_head"]["commit"]' "\"$(head_of "$P")\""
g 0 "$GOVFED" catalog list --home "$C" --drifted
out_has "subject          conflict upstream \"长乐区教育局\" -> \"福建省教育厅\"; local \"福州市教育局（基础教育处）\""
g 0 "$GOVFED" catalog list --home "$C"
out_has "[drifted]"
# show: the fields that follow carry the upstream's current values
g 0 "$GOVFED" catalog show --home "$C" --item "$A" --json
jis 'd["content"], d["subject"], d["drift"]["conflicts"]' \
	'["各学校招生片区（学区划分）\n对应的街道、社区和村","福州市教育局（基础教育处）",["subject"]]'
g 0 "$GOVFED" catalog show --home "$C" --item "$A" --stored --json
jis '"drift" in d, d["content"]' '[false,"各学校招生片区（学区划分）\n对应的街道、社区和村\n学区调整说明"]'

# -- resolution at the city
h=$(head_of "$C")
g 0 "$GOVFED" catalog rederive --home "$C" --all --json
jis 'd["rederived"]' '["义务教育/YWJY.02.01"]'
jis '[(s["item"], s.get("conflicts")) for s in d["skipped"]]' \
	'[["义务教育/YWJY.02.03",["subject"]],["城乡规划/CXGH.01.02",[]]]'
same "$(git --git-dir="$C/store.git" rev-list --count "$h..refs/heads/main")" 1 "rederive --all made one commit"
g 0 "$GOVFED" catalog show --home "$C" --item YWJY.02.01 --stored --json
jis 'd["channels"], d["derived"]["overrides"]' '[["政府网站","两微一端"],[]]'
jis 'd["derived"]["blob"]' "\"$(git --git-dir="$P/store.git" rev-parse "refs/heads/main:catalog/义务教育/YWJY.02.01.json")\""
# a conflict needs a decision; wrong decisions are refused
refused "$C" "'subject' conflicts: 350000 changed it from \"长乐区教育局\" to \"福建省教育厅\", and it is overridden here as \"福州市教育局（基础教育处）\"; resolve it with --take-upstream subject or --keep-local subject" \
	"$GOVFED" catalog rederive --home "$C" --item "$A"
refused "$C" "'content' is not overridden here" \
	"$GOVFED" catalog rederive --home "$C" --item "$A" --take-upstream content
refused "$C" "350000 withdrew 城乡规划/CXGH.01.02" \
	"$GOVFED" catalog rederive --home "$C" --item CXGH.01.02 --all-upstream
g 2 "$GOVFED" catalog rederive --home "$C" --item "$A" --keep-local subjekt
g 2 "$GOVFED" catalog rederive --home "$C" --item "$A" --keep-local subject --take-upstream subject
g 2 "$GOVFED" catalog rederive --home "$C" --all --keep-all-local
g 2 "$GOVFED" catalog rederive --home "$C"
g 0 "$GOVFED" catalog rederive --home "$C" --item "$A" --keep-local subject --json
jis 'd["kept_local"], d["took_upstream"], d["followed"], d["overrides"]' \
	'[["subject"],[],["content"],["subject"]]'
g 0 "$GOVFED" catalog show --home "$C" --item "$A" --stored --json
jis 'd["content"], d["subject"]' '["各学校招生片区（学区划分）\n对应的街道、社区和村","福州市教育局（基础教育处）"]'
jis 'd["derived"]["commit"]' "\"$(head_of "$P")\""
g 0 "$GOVFED" catalog rederive --home "$C" --item "$A" --keep-local subject --json
jis 'd["unchanged"]' 'true'
# the city withdraws the item its upstream withdrew
g 0 "$GOVFED" catalog withdraw --home "$C" --item CXGH.01.02 --reason "上级已撤回"
g 0 "$GOVFED" catalog list --home "$C" --drifted --json
jis 'd["count"]' '0'

# -- the district adopts from the city -------------------------------------
carry "$C" "$D" 350000 350100
echo '{"channels": ["政府网站", "社区/企事业单位/村公示栏(电子屏)"]}' >"$T/ch.json"
g 0 "$GOVFED" catalog derive --home "$D" --from 350100/$A --file "$T/ch.json" --json
jis 'd["from"], d["overrides"]' '["350100",["channels"]]'
g 0 "$GOVFED" catalog show --home "$D" --item "$A" --stored --json
# the city's subject comes along; the city's derivation does not
jis 'd["subject"], d["derived"]["node"], d["channels"]' \
	'["福州市教育局（基础教育处）","350100",["政府网站","社区/企事业单位/村公示栏(电子屏)"]]'
g 0 "$GOVFED" catalog derive --home "$D" --from 350100/YWJY.02.01 --file "$T/ch.json"
g 0 "$GOVFED" catalog derive --home "$D" --from 350100/YWJY.02.02 --not-applicable "本区无此类学校" --json
jis 'd["not_applicable"], d["overrides"]' '["本区无此类学校",[]]'
g 0 "$GOVFED" catalog derive --home "$D" --from 350100/YWJY.03.01
refused "$D" "350100 withdrew 城市综合执法/ZHZF.01.01" \
	"$GOVFED" catalog derive --home "$D" --from 350100/ZHZF.01.01
g 0 "$GOVFED" catalog coverage --home "$D" --json
jis 'd["upstream"], d["level_tag"], d["counts"], d["complete"], d["percent"]' \
	'["350100","县级",{"applicable":5,"adopted":1,"localized":2,"not_applicable":1,"pending":1,"not_required":1,"withdrawn":2},4,80]'
jis '[(i["item"], i["status"], i.get("reason")) for i in d["items"]]' \
	'[["义务教育/YWJY.02.01","localized",null],["义务教育/YWJY.02.02","not_applicable","本区无此类学校"],["义务教育/YWJY.02.03","localized",null],["义务教育/YWJY.03.01","adopted",null],["社会保险/SHBX.01.01","pending",null],["社会救助/SHJZ.01.01","not_required",null]]'
# against the province, through the city
g 0 "$GOVFED" catalog coverage --home "$D" --from 350000 --json
jis 'd["counts"]["applicable"], d["counts"]["pending"], [i.get("via") for i in d["items"] if i["status"] != "pending"]' \
	'[6,2,["350100","350100","350100","350100"]]'
# the city sees its district's completeness
carry "$D" "$C" 350104
g 0 "$GOVFED" catalog coverage --home "$C" --children --json
jis '[(c["node"], c["held"], c["percent"], c["counts"]["not_applicable"]) for c in d["children"]]' \
	'[["350104",true,80,1]]'
g 0 "$GOVFED" catalog coverage --home "$C" --children
out_has "350104 covers 350100: 4 of 5 applicable items (80%)"
out_has "本区无此类学校"
# the district's township is certified but its history not held at the district
g 0 "$GOVFED" catalog coverage --home "$D" --children --json
jis '[(c["node"], c["held"]) for c in d["children"]]' '[["350104004",false]]'

# -- drift at the district after the city re-derives ------------------------
# the city's A changed content (it followed the province); B's channels
# changed at the city, and the district overrides them: a conflict
carry "$C" "$D" 350000 350100
g 0 "$GOVFED" catalog list --home "$D" --drifted --json
jis '[x["item"] for x in d["drifted"]]' '[]'
# (the district derived after the city's re-derive: nothing moved since)
item "$E/YWJY.02.01.json" "$T/b3.json" 'channels=["政府网站"]' 'content="招生入学政策"'
g 0 "$GOVFED" catalog put --home "$P" --file "$T/b3.json"
carry "$P" "$C" 350000
g 0 "$GOVFED" catalog rederive --home "$C" --all --json
jis 'd["rederived"]' '["义务教育/YWJY.02.01"]'
carry "$C" "$D" 350000 350100
g 0 "$GOVFED" catalog list --home "$D" --drifted --json
jis '[(x["item"], x["conflicts"], x["follows"]) for x in d["drifted"]]' \
	'[["义务教育/YWJY.02.01",["channels"],["content"]]]'
jis 'd["drifted"][0]["fields"][1]' '{"field":"channels","old":["政府网站","两微一端"],"new":["政府网站"],"local":["政府网站","社区/企事业单位/村公示栏(电子屏)"],"overridden":true,"status":"conflict"}'
g 0 "$GOVFED" catalog rederive --home "$D" --all --json
jis 'd["rederived"], d["commit"]' '[[],null]'
g 0 "$GOVFED" catalog rederive --home "$D" --item YWJY.02.01 --all-upstream --json
jis 'd["took_upstream"], d["overrides"], d["followed"]' '[["channels"],[],["content"]]'
g 0 "$GOVFED" catalog show --home "$D" --item YWJY.02.01 --stored --json
jis 'd["channels"], d["content"], d["derived"]["overrides"]' '[["政府网站"],"招生入学政策",[]]'
# dropping an override that does not conflict
g 0 "$GOVFED" catalog rederive --home "$D" --item "$A" --take-upstream channels --json
jis 'd["took_upstream"], d["overrides"]' '[["channels"],[]]'
g 0 "$GOVFED" catalog coverage --home "$D" --json
jis 'd["counts"]["adopted"], d["counts"]["localized"]' '[3,0]'

# -- every store still verifies -------------------------------------------
for home in "$P" "$C" "$D"; do
	g 0 "$GOVFED" verify --store "$home/store.git" --root-key "$P/node.pub"
done
for sub in put show list derive rederive withdraw coverage; do
	g 0 "$GOVFED" catalog "$sub" --help
	out_has "govfed catalog rederive"
done
finish
