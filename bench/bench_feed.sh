#!/usr/bin/env bash
# bench_feed.sh — throughput of the province's consolidated feed (HTTP
# /feed and `govfed feed pull` into SQLite), against stock git reading the
# very same store in the same run.
#
# The data: the province 350000 福建省 and its 9 cities (350100 福州市 …
# 350900 宁德市), each a home of its own, enrolled at the province. The
# province publishes the working-day calendar and catalog items; each city
# imports the province's history, derives some of its items (a local
# subject) and publishes a few of its own. Then every node assigns work-
# plan tasks with `govfed task import` (generated plans: 序号, 工作任务,
# 具体要求, 责任单位, 完成时限 in the style of the seeds' work plans), as
# many rows per signed commit as govfed accepts (the first plan tries
# 10,000 rows; a refusal that names the limit sets the batch). The cities'
# histories reach the province by `govfed export` + `govfed import`, and
# the province cuts checkpoint 1 (`govfed checkpoint cut`, timed). About N
# records in all (-n), spread evenly over the 10 histories.
#
# Measured, with `govfed feed serve` on 127.0.0.1:
#   served   the whole feed from 0, page by page with curl (`/feed?after=0`,
#            then each page's `next` cursor until it is null), at
#            limit=10000 and at the server's default limit, each from a
#            fresh server (its first page computes the list of changes):
#            records/s from the sum of curl's time_total, bytes, pages, the
#            server's cpu and rss
#   pulled   `govfed feed pull --json` into a fresh directory (fetches and
#            verifies the checkpoint chain, writes SQLite with
#            synchronous=FULL): records/s from its own "ms"; 3 rounds from
#            one fresh server (the first computes the list, the others find
#            it cached), median; and one pull with --limit 10000; the cpu
#            of the pull and of the server
#   git      in each round too: `git clone --mirror --no-local` of the
#            province's store, then every record of every node ref
#            (refs/heads/main, refs/nodes/*) read with `git ls-tree -r -z`
#            + `git cat-file --batch`: bytes read, not parsed, verified or
#            stored, so a lower bound of what a platform would spend
#   incr     then a second batch (M more task rows, half at the province
#            and half at 350100, 3 changed and 3 withdrawn province items,
#            2 changed and 1 withdrawn 350100 items; M = N/10, 100..1000),
#            checkpoint 2, and `feed pull` into each of the 3 mirrors:
#            changes/s and ms (median); against `git fetch` + `git diff-tree
#            -r` + `git cat-file --batch` of the changed blobs in each of
#            the 3 git mirrors
# The summary's lines start with "feed " (bench/run.sh --feed greps them);
# results.json in the work directory holds every figure. A run takes 6-10
# min on 2 cores, most of it seeding (task import slows down as a node's
# tasks grow); --quick under 1 min.
#
# It builds nothing: GOVFED (default build/node/govfed) is copied into the
# work directory and run from there. It works in a mkdtemp directory under
# /tmp, removed at the end (--keep to keep it); every process it starts is
# stopped by pid on exit.
#
# usage: bench/bench_feed.sh [-n N] [--quick] [--keep]
#   -n N      records in all (default 100000; at least 1000)
#   --quick   -n 10000 and fewer catalog items: a smoke run
#   --keep    keep the work directory (stores, mirrors, server log,
#             results.json; GOVFED_BENCH_KEEP=1 too)
# environment:
#   GOVFED    the govfed binary (default <repo>/build/node/govfed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=100000
QUICK=0
KEEP=${GOVFED_BENCH_KEEP:-0}
while [ $# -gt 0 ]; do
	case "$1" in
	-n)
		[ $# -ge 2 ] || { echo "bench_feed.sh: -n needs a number" >&2; exit 2; }
		N=$2; shift 2 ;;
	--quick) N=10000; QUICK=1; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "bench_feed.sh: unknown option '$1' (see --help)" >&2
		exit 2 ;;
	esac
done
case "$N" in
'' | *[!0-9]*) echo "bench_feed.sh: -n '$N' is not a number" >&2; exit 2 ;;
esac
if [ "$N" -lt 1000 ] || [ "$N" -gt 5000000 ]; then
	echo "bench_feed.sh: -n $N: give 1000 to 5000000 records" >&2
	exit 2
fi
for tool in git curl python3; do
	command -v "$tool" >/dev/null || {
		echo "bench_feed.sh: $tool is needed and not found" >&2
		exit 2
	}
done

GOVFED_SRC=${GOVFED:-$ROOT/build/node/govfed}
[ -x "$GOVFED_SRC" ] || {
	echo "bench_feed.sh: no govfed at $GOVFED_SRC (build it, or set GOVFED)" >&2
	exit 2
}

T=$(mktemp -d /tmp/govfed-bench-feed-XXXXXX)
export T
PIDS=$T/pids
LOGS=$T/logs
mkdir -p "$PIDS" "$LOGS" "$T/n" "$T/home" "$T/plans" "$T/items" "$T/pull" "$T/git"
# git sees only this run's configuration
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1
# a private copy: a rebuild meanwhile does not change what runs
cp "$GOVFED_SRC" "$T/govfed"
GOVFED=$T/govfed
export EXAMPLES=$ROOT/examples
DRIVER=$T/driver.py
# the interpreter itself, not a version manager's shim
PY=$(python3 -c 'import sys; print(sys.executable)')

stop_pid() { # stop_pid PIDFILE: TERM, wait (bounded), then KILL
	local pid rc=0
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -KILL "$pid" 2>/dev/null; then
		echo "bench_feed.sh: $(basename "$1") (pid $pid) did not stop on SIGTERM within 5 s: killed" >&2
	fi
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 127 ] && [ "$rc" != 143 ]; then
		echo "bench_feed.sh: $(basename "$1") (pid $pid) exited with status $rc on SIGTERM" >&2
	fi
	rm -f "$1"
}

cleanup() {
	local f
	for f in "$PIDS"/*; do
		[ -e "$f" ] || continue
		stop_pid "$f"
	done
	if [ "$KEEP" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the seeding and measuring side (python3) -------------------------------
cat >"$DRIVER" <<'PY'
"""driver.py — seeding and measuring for bench_feed.sh (see its header)."""
import glob, json, os, random, re, resource, statistics, subprocess, sys, time
import urllib.parse

T = os.environ["T"]
GOVFED = os.path.join(T, "govfed")
EXAMPLES = os.environ["EXAMPLES"]
RESULTS = os.path.join(T, "results.json")
HZ = os.sysconf("SC_CLK_TCK")
PROVINCE = ("350000", "福建省", "闽")
CITIES = [("350100", "福州市", "榕"), ("350200", "厦门市", "厦"),
          ("350300", "莆田市", "莆"), ("350400", "三明市", "明"),
          ("350500", "泉州市", "泉"), ("350600", "漳州市", "漳"),
          ("350700", "南平市", "南"), ("350800", "龙岩市", "龙"),
          ("350900", "宁德市", "宁")]
FIRST_BATCH = 10000  # the first plan's rows; govfed's refusal names its limit
ROUNDS = 3


# ---- small helpers ----------------------------------------------------------
def die(msg):
    print("bench_feed.sh: " + msg, file=sys.stderr)
    sys.exit(1)


def tail(text, n=15):
    lines = text.strip().splitlines()
    return "\n".join("    " + s for s in lines[-n:]) or "    (no output)"


def run(cmd, what, timeout=1800, ok=(0,), stdin=None):
    """Runs cmd; on a failure, says what failed and shows its stderr."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout,
                           input=stdin)
    except subprocess.TimeoutExpired:
        die("%s: no end within %d s: %s" % (what, timeout, " ".join(cmd)))
    dt = time.perf_counter() - t0
    if p.returncode not in ok:
        die("%s failed (exit %d): %s\n%s" % (
            what, p.returncode, " ".join(cmd),
            tail(p.stderr.decode(errors="replace") or
                 p.stdout.decode(errors="replace"))))
    return p, dt


def home(i):
    return os.path.join(T, "n", i)


def save(key, value):
    r = load()
    r[key] = value
    with open(RESULTS + ".tmp", "w") as f:
        json.dump(r, f, indent=1, ensure_ascii=False)
    os.replace(RESULTS + ".tmp", RESULTS)


def load():
    if not os.path.exists(RESULTS):
        return {}
    with open(RESULTS) as f:
        return json.load(f)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def proc_cpu_ms(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / HZ


def children_cpu():
    """CPU seconds of the waited-for children so far (one runs at a time)."""
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def proc_rss_kb(pid):
    """VmRSS and VmHWM of a process, in kB."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def du(path):
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def git(gitdir, *args, what=None, stdin=None, timeout=1800):
    p, dt = run(["git", "--git-dir=" + gitdir] + list(args),
                what or ("git " + args[0]), timeout=timeout, stdin=stdin)
    return p.stdout, dt


def node_refs(gitdir):
    out, _ = git(gitdir, "for-each-ref", "--format=%(objectname) %(refname)",
                 "refs/heads/main", "refs/nodes/")
    refs = {}
    for line in out.decode().splitlines():
        oid, name = line.split(" ", 1)
        refs[name] = oid
    return refs


# ---- generated data ---------------------------------------------------------
AREAS = ["城乡规划", "重大建设项目", "公共资源交易", "财政预决算", "安全生产",
         "税收管理", "农村集体土地征收", "国有土地上房屋征收与补偿", "保障性住房",
         "农村危房改造", "生态环境", "公共文化服务", "公共法律服务", "扶贫", "救灾",
         "食品药品监管", "城市综合执法", "就业", "社会保险", "社会救助", "养老服务",
         "户籍管理", "涉农补贴", "义务教育", "卫生健康", "市政服务"]
TITLES = ["组织保障", "工作推进方法", "编制政务公开事项标准目录", "深入解读重要政策措施",
          "积极回应社会关切", "推进决策公开", "加强权力监管公开", "推进重点领域信息公开",
          "优化政务服务", "加强政府网站建设管理", "贯彻落实政府信息公开条例",
          "加强政府信息公开审查", "规范依申请公开工作", "加强政务新媒体管理",
          "推进政务公开专区建设", "开展政务公开业务培训", "强化监督考核",
          "完善政务公开制度", "推进基层政务公开标准化规范化", "做好政策发布解读"]
REQS = [
    "对照国务院部门制定的{a}领域基层政务公开标准指引，梳理细化权力运行和政务服务各"
    "环节产生的政府信息，于{d}前完成{a}领域政务公开事项标准目录编制工作，并在政府"
    "网站上公开。",
    "围绕{a}领域涉及群众切身利益的重要改革措施和政策文件，牵头起草部门要做好舆情风险"
    "评估研判，制定应对处置预案，政策解读材料在政策文件印发的{n}个工作日内通过政府"
    "门户网站公开。",
    "坚持“谁起草谁解读”，切实做到{a}领域政策性文件与解读方案、解读材料同步组织、"
    "同步审签、同步部署，主要负责同志要带头解读政策、及时释疑解惑。",
    "在政务服务中心设立政务公开专区，提供{a}领域政府信息查询、依申请公开受理、政策"
    "咨询等服务，{d}前完成专区标准化建设。",
    "及时更新{a}领域主动公开内容，{i}等信息自形成或者变更之日起{n}个工作日内予以"
    "公开，确保公开内容准确、完整、及时。",
    "组织开展{a}领域政务公开业务培训，全年不少于{k}次，提高工作人员的政策水平和业务"
    "能力，推动“两化”工作落地见效。",
    "健全依申请公开工作机制，规范{a}领域依申请公开受理、审查、办理、答复等环节，"
    "严格按照法定时限答复，按时答复率达到100%。",
    "将{a}领域政务公开工作纳入绩效考核，{d}前对各乡镇人民政府、街道办事处落实情况"
    "开展督促检查，并通报检查结果。",
    "通过政府网站、政务新媒体、政务公开栏等渠道公开{a}领域{i}，方便群众查询监督；"
    "涉及村（社区）的事项，在村务公开栏同步公开。",
    "加强{a}领域政府信息公开审查，严格执行“先审查、后公开”和“一事一审”制度，"
    "防止泄露国家秘密、商业秘密和个人隐私。",
    "对涉及{a}领域公共利益和公众权益的重大决策事项，除依法应当保密的外，通过听证"
    "座谈、网络征集等方式广泛听取意见，并公开意见采纳情况。",
    "推进{a}领域“一窗受理、一表申请”改革，编制办事指南，明确办理条件、申请材料、"
    "办理流程和办结时限，实现“最多跑一次”。",
]
DEADLINES = ["2020年12月底", "2020年10月23日前", "2020年11月15日前", "2021年上半年",
             "2020年第四季度", "长期", "20个工作日内", "2020年9月中旬", "2021年6月底",
             "2021年第一季度", "持续推进", "2020年10月10日前", "2021年12月底",
             "15个工作日内"]
DATES = ["2020年10月10日", "2020年10月23日", "2020年11月5日", "2020年11月15日",
         "2020年12月31日", "2021年3月31日", "2021年6月30日"]
PROV_UNITS = ["省政务公开办", "省数字办", "省财政厅", "省应急管理厅", "省生态环境厅",
              "省教育厅", "省卫健委", "省民政厅", "省人社厅", "省住建厅", "省自然资源厅",
              "省市场监管局", "省农业农村厅", "省医保局", "省司法厅", "省文旅厅",
              "各设区市人民政府", "平潭综合实验区管委会"]
CITY_UNITS = ["政务公开办", "数字办", "财政局", "应急管理局", "生态环境局", "教育局",
              "卫健委", "民政局", "人社局", "住建局", "自然资源和规划局", "市场监管局",
              "城管委", "农业农村局", "医保局", "司法局"]


def example_items():
    items = []
    for p in sorted(glob.glob(os.path.join(EXAMPLES, "catalog", "*.json"))):
        with open(p) as f:
            items.append(json.load(f))
    if len(items) < 40:
        die("expected the example catalog items in %s/catalog" % EXAMPLES)
    return items


def localize(item, name):
    """An example item (a 长乐区 catalog) as the node NAME's."""
    v = json.loads(json.dumps(item))
    for k in ("subject", "content", "time_limit"):
        if isinstance(v.get(k), str):
            v[k] = v[k].replace("长乐区", name)
    return v


def make_plan(rows, node, seed):
    """A work plan of ROWS rows for NODE (a (id, name, abbr) tuple)."""
    rnd = random.Random(seed)
    nid, name, abbr = node
    if nid == PROVINCE[0]:
        units = PROV_UNITS
    else:
        units = [name + u for u in CITY_UNITS] + ["各县（市、区）人民政府"]
    names = [it["name"] for it in example_items_cache]
    out, seq = [], 0
    while len(out) < rows:
        seq += 1
        area = rnd.choice(AREAS)
        title = "%s（%s）" % (rnd.choice(TITLES), area)
        us = rnd.sample(units, rnd.randint(1, 3))
        resp = "、".join([us[0] + "（牵头）"] + us[1:])
        for _ in range(rnd.randint(1, 6)):
            if len(out) >= rows:
                break
            req = rnd.choice(REQS).format(
                a=area, d=rnd.choice(DATES), n=rnd.choice([5, 7, 10, 15, 20]),
                k=rnd.randint(1, 4), i=rnd.choice(names))
            if rnd.random() < 0.3:
                req += rnd.choice(REQS).format(
                    a=rnd.choice(AREAS), d=rnd.choice(DATES), n=20, k=2,
                    i=rnd.choice(names))
            out.append({"序号": str(seq), "工作任务": title, "具体要求": req,
                        "责任单位": resp, "完成时限": rnd.choice(DEADLINES)})
    return {"plan": "%s政办〔2020〕%d号" % (abbr, seed % 180 + 20),
            "assigned": "2020-09-10", "rows": out}


example_items_cache = []

# ---- seeding ----------------------------------------------------------------
BATCH = [FIRST_BATCH, None]  # rows a commit; the refusal that set it


def import_tasks(node, rows, level, prefix, seed, stats):
    """Assigns ROWS generated task rows at NODE, BATCH[0] rows a commit."""
    done = b = tries = 0
    while done < rows:
        tries += 1
        if tries > 10000:
            die("task import: too many batches")
        k = min(BATCH[0], rows - done)
        plan = make_plan(k, node, seed * 1000 + b)
        path = os.path.join(T, "plans", "%s-%s%02d.json" % (node[0], prefix, b))
        with open(path, "w") as f:
            json.dump(plan, f, ensure_ascii=False, indent=1)
        cmd = [GOVFED, "task", "import", "--home", home(node[0]), "--file",
               path, "--level", level, "--prefix", "%s%02d-" % (prefix, b)]
        t0, c0 = time.perf_counter(), children_cpu()
        p = subprocess.run(cmd, capture_output=True, timeout=3600)
        dt, cpu = time.perf_counter() - t0, children_cpu() - c0
        err = p.stderr.decode(errors="replace")
        if p.returncode != 0:
            m = re.search(r"more than (\d+) rows", err)
            if m and 0 < int(m.group(1)) < k:
                BATCH[0] = int(m.group(1))
                print("  task import refuses %d rows a plan (\"%s\"): batch "
                      "%d" % (k, err.strip().splitlines()[-1], BATCH[0]))
                continue
            if re.search(r"too large|MiB|bytes; the limit", err) and k > 1:
                BATCH[0] = k // 2
                print("  task import refuses %d rows (\"%s\"): batch %d" % (
                    k, err.strip().splitlines()[-1], BATCH[0]))
                continue
            die("task import of %d rows at %s failed (exit %d): %s\n%s" % (
                k, node[0], p.returncode, " ".join(cmd), tail(err)))
        stats.append({"node": node[0], "rows": k, "before": done, "s": dt,
                      "cpu_s": cpu})
        done += k
        b += 1
        os.unlink(path)


def probe_batch(node):
    """The largest plan govfed takes in one commit: a dry run of
    FIRST_BATCH rows; a refusal that names the limit sets BATCH."""
    path = os.path.join(T, "plans", "probe.json")
    with open(path, "w") as f:
        json.dump(make_plan(FIRST_BATCH, node, 7), f, ensure_ascii=False,
                  indent=1)
    k = FIRST_BATCH
    for _ in range(20):
        p = subprocess.run([GOVFED, "task", "import", "--home", home(node[0]),
                            "--file", path, "--level", "city", "--dry-run"],
                           capture_output=True, timeout=600)
        err = p.stderr.decode(errors="replace").strip()
        if p.returncode == 0:
            break
        m = re.search(r"more than (\d+) rows", err)
        if m and 0 < int(m.group(1)) < k:
            k = int(m.group(1))
            BATCH[1] = err.splitlines()[-1]
            break
        if re.search(r"too large|MiB|bytes; the limit", err) and k > 1:
            k //= 2
            BATCH[1] = err.splitlines()[-1]
            with open(path, "w") as f:
                json.dump(make_plan(k, node, 7), f, ensure_ascii=False,
                          indent=1)
            continue
        die("task import --dry-run of a %d-row plan failed (exit %d):\n%s" %
            (k, p.returncode, tail(err)))
    BATCH[0] = k
    os.unlink(path)
    print("  task import takes %d rows a commit%s" % (
        k, " (%s)" % BATCH[1] if BATCH[1] else ""))


def put_item(node_id, item, what, stats, kind="put"):
    path = os.path.join(T, "items", "%s-%s.json" % (node_id, item["id"]))
    with open(path, "w") as f:
        json.dump(item, f, ensure_ascii=False, indent=2)
    _, dt = run([GOVFED, "catalog", "put", "--home", home(node_id), "--file",
                 path], what)
    stats.append({"node": node_id, "kind": kind, "s": dt})


def plan_counts(n, quick):
    """How many of each record: catalog items and tasks per history."""
    kp = 12 if quick else 40          # province items
    derive = 4 if quick else 12       # derived by each city
    own = 3 if quick else 4           # each city's own items
    overhead = (1 + 1 + len(CITIES) + kp) + len(CITIES) * (1 + derive + own)
    tasks = max(len(CITIES) + 1, n - overhead)
    return kp, derive, own, tasks


def cmd_seed(n, quick):
    n, quick = int(n), quick == "1"
    example_items_cache.extend(example_items())
    items = example_items_cache
    kp, nderive, nown, ntasks = plan_counts(n, quick)
    share = ntasks // (len(CITIES) + 1)
    rest = ntasks - share * (len(CITIES) + 1)
    cat, tasks, xfer = [], [], []
    t_all = time.perf_counter()
    pid, pname, _ = PROVINCE
    prov = home(pid)
    run([GOVFED, "init", "--home", prov, "--id", pid, "--level", "province",
         "--name", pname], "init of the province")
    run([GOVFED, "calendar", "put", "--home", prov, "--file",
         os.path.join(EXAMPLES, "calendar", "2020.json")], "calendar put")
    probe_batch(PROVINCE)
    t0 = time.perf_counter()
    for it in items[:kp]:
        put_item(pid, localize(it, pname), "catalog put at %s" % pid, cat)
    for cid, cname, _ in CITIES:
        run([GOVFED, "init", "--home", home(cid), "--id", cid, "--level",
             "city", "--name", cname, "--parent", pid, "--root-key",
             os.path.join(prov, "node.pub")], "init of %s" % cid)
        run([GOVFED, "enroll", "--home", prov, "--child-pub",
             os.path.join(home(cid), "node.pub"), "--id", cid, "--level",
             "city", "--name", cname], "enroll of %s at %s" % (cid, pid))
    # the cities hold the province's history: its calendar and catalog
    bundle = os.path.join(T, "province-1.bundle")
    run([GOVFED, "export", "--home", prov, "--out", bundle], "export at 350000")
    for ci, (cid, cname, _) in enumerate(CITIES):
        run([GOVFED, "import", "--home", home(cid), "--file", bundle],
            "import of the province's history at %s" % cid)
        for j in range(nderive):
            up = items[(ci * 3 + j) % (kp - 3)]     # never one withdrawn later
            ch = os.path.join(T, "items", "%s-derive-%s.json" % (cid, up["id"]))
            with open(ch, "w") as f:
                json.dump({"subject": localize(up, cname)["subject"]}, f,
                          ensure_ascii=False)
            _, dt = run([GOVFED, "catalog", "derive", "--home", home(cid),
                         "--from", "%s/%s/%s" % (pid, up["area"], up["id"]),
                         "--file", ch], "catalog derive at %s" % cid)
            cat.append({"node": cid, "kind": "derive", "s": dt})
        for j in range(nown):
            it = items[kp + (ci * nown + j) % (len(items) - kp)]
            put_item(cid, localize(it, cname), "catalog put at %s" % cid, cat)
    t_cat = time.perf_counter() - t0
    print("  %d homes, %d catalog commits (%d at the province, %d derived and "
          "%d own at each city) in %.1f s" % (
              len(CITIES) + 1, len(cat), kp, nderive, nown, t_cat))
    sys.stdout.flush()
    t0 = time.perf_counter()
    for i, node in enumerate([PROVINCE] + CITIES):
        rows = share + (rest if i == 0 else 0)
        level = "city" if i == 0 else "district"
        n0 = len(tasks)
        t1 = time.perf_counter()
        import_tasks(node, rows, level, "P", i + 1, tasks)
        b = tasks[n0:]
        print("  %s %s: %d task rows in %d commits, %.1f s (first %d rows "
              "%.1f s, last %.1f s)" % (
                  node[0], node[1], rows, len(b), time.perf_counter() - t1,
                  b[0]["rows"], b[0]["s"], b[-1]["s"]))
        sys.stdout.flush()
    t_tasks = time.perf_counter() - t0
    t0 = time.perf_counter()
    for cid, _, _ in CITIES:
        bundle = os.path.join(T, "%s-1.bundle" % cid)
        _, dte = run([GOVFED, "export", "--home", home(cid), "--id", cid,
                      "--out", bundle], "export at %s" % cid)
        _, dti = run([GOVFED, "import", "--home", prov, "--file", bundle],
                     "import of %s's history at the province" % cid)
        xfer.append({"node": cid, "bytes": os.path.getsize(bundle),
                     "export_s": dte, "import_s": dti})
        os.unlink(bundle)
    t_xfer = time.perf_counter() - t0
    print("  9 city histories exported and imported at the province in %.1f s "
          "(%.0f MB of bundles; import %.1f s at most)" % (
              t_xfer, sum(x["bytes"] for x in xfer) / 1e6,
              max(x["import_s"] for x in xfer)))
    save("seed", {"n": n, "quick": quick, "nodes": len(CITIES) + 1,
                  "task_rows": ntasks, "batch": BATCH[0], "batch_refusal": BATCH[1],
                  "task_commits": len(tasks), "catalog_commits": len(cat),
                  "catalog_s": t_cat, "tasks_s": t_tasks, "xfer_s": t_xfer,
                  "total_s": time.perf_counter() - t_all, "tasks": tasks,
                  "xfer": xfer, "province_items": kp,
                  "store_bytes": du(os.path.join(prov, "store.git"))})


def cmd_cut(label):
    p, dt = run([GOVFED, "checkpoint", "cut", "--home", home(PROVINCE[0]),
                 "--json"], "checkpoint cut at the province")
    try:
        o = json.loads(p.stdout)
    except ValueError:
        die("checkpoint cut printed no JSON:\n" + tail(p.stdout.decode()))
    if o.get("unchanged"):
        die("checkpoint cut (%s): nothing changed, no checkpoint cut" % label)
    save("cut_" + label, {"ms": dt * 1000, "seq": o.get("seq"),
                          "heads": o.get("heads")})
    print("  checkpoint %s: %s heads, cut in %.0f ms" % (
        o.get("seq"), o.get("heads"), dt * 1000))


# ---- the HTTP side ----------------------------------------------------------
def cmd_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def curl(url, out, what, timeout=600):
    p, _ = run(["curl", "-sS", "--max-time", str(timeout), "-o", out, "-w",
                "%{http_code} %{time_total} %{size_download} "
                "%{time_starttransfer}", url], what, timeout=timeout + 30)
    code, tt, size, ttfb = p.stdout.decode().split()
    if code != "200":
        body = ""
        if os.path.exists(out):
            with open(out, errors="replace") as f:
                body = f.read(600)
        die("%s: HTTP %s from %s: %s" % (what, code, url, body))
    return float(tt), int(size), float(ttfb)


def cmd_wait_http(base, pidfile, timeout):
    """Until GET /checkpoints/latest answers 200 (bounded)."""
    pid = int(open(pidfile).read())
    deadline = time.time() + float(timeout)
    last = ""
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            die("feed serve (pid %d) exited before answering; its log:\n%s" %
                (pid, tail(open(os.path.join(T, "logs", "serve.log")).read())))
        p = subprocess.run(["curl", "-s", "--max-time", "2", "-o", os.devnull,
                            "-w", "%{http_code}", base + "/checkpoints/latest"],
                           capture_output=True)
        last = p.stdout.decode()
        if last == "200":
            return
        time.sleep(0.1)
    die("feed serve at %s: no 200 on /checkpoints/latest within %s s (last: "
        "%r)" % (base, timeout, last))


def cmd_latest(base, want):
    out = os.path.join(T, "latest.json")
    curl(base + "/checkpoints/latest", out, "GET /checkpoints/latest")
    with open(out) as f:
        seq = json.load(f).get("seq")
    if str(seq) != want:
        print("  the running feed serve answers checkpoint %s, not %s" % (
            seq, want))
        return 1
    return 0


def cmd_served(base, limit, key, pidfile):
    """The whole feed from 0, page by page, curl's time_total summed."""
    expected = load()["seed"]["n"]
    lim = "" if limit == "default" else "&limit=%s" % limit
    per = 1000 if limit == "default" else int(limit)
    max_pages = expected // per + 200
    deadline = time.time() + 1800
    pid = int(open(pidfile).read())
    out = os.path.join(T, "page.json")
    url = base + "/feed?after=0" + lim
    pages = changes = nbytes = 0
    total = first = maxp = 0.0
    to = None
    cpu0 = proc_cpu_ms(pid)
    while True:
        if pages >= max_pages or time.time() > deadline:
            die("served (%s): more than %d pages or 30 min; stopped" % (
                key, max_pages))
        tt, size, ttfb = curl(url, out, "GET /feed page %d" % (pages + 1))
        with open(out) as f:
            try:
                d = json.load(f)
            except ValueError as e:
                die("GET %s: not JSON (%s)" % (url, e))
        pages += 1
        total += tt
        nbytes += size
        maxp = max(maxp, tt)
        if pages == 1:
            first = tt
            to = d.get("to")
        changes += len(d.get("changes") or [])
        nxt = d.get("next")
        if nxt is None:
            break
        url = base + "/feed?cursor=" + urllib.parse.quote(nxt, safe="") + lim
    cpu1 = proc_cpu_ms(pid)
    rss = proc_rss_kb(pid)
    r = {"limit": limit, "pages": pages, "changes": changes, "bytes": nbytes,
         "s": total, "first_page_s": first, "max_page_s": maxp, "to": to,
         "records_per_s": changes / total if total else None,
         "server_cpu_ms": (cpu1 - cpu0) if cpu0 is not None and
         cpu1 is not None else None, "load": loadavg(),
         "server_rss_kb": rss.get("VmRSS"), "server_hwm_kb": rss.get("VmHWM")}
    save(key, r)
    print("  limit %s: %d changes in %d pages, %.1f MB, %.2f s (first page "
          "%.0f ms, slowest %.0f ms): %.0f records/s; server cpu %.1f s, "
          "rss %.0f MB" % (
              limit, changes, pages, nbytes / 1e6, total, first * 1000,
              maxp * 1000, r["records_per_s"] or 0,
              (r["server_cpu_ms"] or 0) / 1000,
              (r["server_rss_kb"] or 0) / 1024))


def pull(base, out, what, limit=None, pidfile=None):
    """One feed pull; its own figures plus wall, client and server cpu."""
    spid = int(open(pidfile).read()) if pidfile else None
    s0 = proc_cpu_ms(spid) if spid else None
    c0 = children_cpu()
    cmd = [GOVFED, "feed", "pull", "--url", base, "--root-key",
           os.path.join(home(PROVINCE[0]), "node.pub"), "--out", out, "--json"]
    if limit:
        cmd += ["--limit", str(limit)]
    p, dt = run(cmd, what, timeout=3600)
    try:
        o = json.loads(p.stdout)
    except ValueError:
        die("%s: no JSON from feed pull:\n%s" % (what, tail(p.stdout.decode())))
    o["wall_ms"] = dt * 1000
    o["client_cpu_ms"] = (children_cpu() - c0) * 1000
    s1 = proc_cpu_ms(spid) if spid else None
    o["server_cpu_ms"] = s1 - s0 if s0 is not None and s1 is not None else None
    o["sqlite_bytes"] = du(out)
    return o


# ---- stock git --------------------------------------------------------------
def git_read_all(mirror):
    """Every record of every node ref: ls-tree -r -z, then cat-file --batch."""
    t0 = time.perf_counter()
    refs = node_refs(mirror)
    n = nbytes = 0
    for ref in sorted(refs):
        out, _ = git(mirror, "ls-tree", "-r", "-z", ref)
        oids = []
        for ent in out.split(b"\0"):
            if not ent:
                continue
            meta, _path = ent.split(b"\t", 1)
            mode, typ, oid = meta.split(b" ")
            if typ == b"blob":
                oids.append(oid)
        data, _ = git(mirror, "cat-file", "--batch",
                      stdin=b"\n".join(oids) + b"\n")
        n += len(oids)
        nbytes += len(data)
    return n, nbytes, time.perf_counter() - t0, len(refs)


def git_full(i, src):
    mirror = os.path.join(T, "git", "%d.git" % i)
    _, dt_clone = run(["git", "clone", "-q", "--mirror", "--no-local",
                       "file://" + src, mirror], "git clone --mirror")
    n, nbytes, dt_read, nrefs = git_read_all(mirror)
    return {"clone_s": dt_clone, "read_s": dt_read, "s": dt_clone + dt_read,
            "records": n, "bytes": nbytes, "refs": nrefs,
            "pack_bytes": du(os.path.join(mirror, "objects"))}


def git_incr(i):
    mirror = os.path.join(T, "git", "%d.git" % i)
    before = node_refs(mirror)
    _, dt_fetch = git(mirror, "fetch", "-q", "--prune", "origin")
    after = node_refs(mirror)
    t0 = time.perf_counter()
    oids, paths = [], 0
    for ref, new in sorted(after.items()):
        old = before.get(ref)
        if old == new:
            continue
        if old is None:
            # a history new to the mirror: all of it
            out, _ = git(mirror, "ls-tree", "-r", "-z", new)
            for ent in out.split(b"\0"):
                if ent:
                    meta, _ = ent.split(b"\t", 1)
                    oids.append(meta.split(b" ")[2])
                    paths += 1
            continue
        out, _ = git(mirror, "diff-tree", "-r", "-z", old, new)
        parts = out.split(b"\0")
        k = 0
        while k < len(parts) - 1:
            meta = parts[k]
            if not meta.startswith(b":"):
                k += 1
                continue
            f = meta[1:].split(b" ")
            status = f[4][:1]
            k += 3 if status in (b"R", b"C") else 2
            paths += 1
            if status != b"D":
                oids.append(f[3])
    dt_diff = time.perf_counter() - t0
    data, dt_cat = git(mirror, "cat-file", "--batch",
                       stdin=b"\n".join(oids) + b"\n") if oids else (b"", 0.0)
    return {"fetch_s": dt_fetch, "diff_s": dt_diff, "cat_s": dt_cat,
            "s": dt_fetch + dt_diff + dt_cat, "changes": paths,
            "bytes": len(data)}


def cmd_rounds(base, rounds, pidfile):
    """Full pulls and git clone+read, interleaved (the load hits both)."""
    src = os.path.join(home(PROVINCE[0]), "store.git")
    pulls, gits = [], []
    for i in range(1, int(rounds) + 1):
        o = pull(base, os.path.join(T, "pull", str(i)), "feed pull, round %d" % i,
                 pidfile=pidfile)
        o["load"] = loadavg()
        pulls.append(o)
        print("  round %d: govfed feed pull %d changes, %d pages, %d ms "
              "(%.0f ms wall; cpu: pull %.1f s, server %.1f s): %.0f "
              "records/s; SQLite %.1f MB" % (
                  i, o["changes"], o["pages"], o["ms"], o["wall_ms"],
                  o["client_cpu_ms"] / 1000, (o["server_cpu_ms"] or 0) / 1000,
                  o["changes"] / (o["ms"] / 1000.0), o["sqlite_bytes"] / 1e6))
        sys.stdout.flush()
        g = git_full(i, src)
        g["load"] = loadavg()
        gits.append(g)
        print("           git clone --mirror %.0f ms + read %d records of %d "
              "refs (%.1f MB) %.0f ms = %.0f ms: %.0f records/s" % (
                  g["clone_s"] * 1000, g["records"], g["refs"],
                  g["bytes"] / 1e6, g["read_s"] * 1000, g["s"] * 1000,
                  g["records"] / g["s"]))
        sys.stdout.flush()
    save("pull_full", pulls)
    save("git_full", gits)


def cmd_pull_limit(base, limit, pidfile):
    o = pull(base, os.path.join(T, "pull", "limit"), "feed pull --limit %s" %
             limit, limit=limit, pidfile=pidfile)
    o["load"] = loadavg()
    o["limit"] = limit
    save("pull_limit", o)
    print("  --limit %s: %d changes, %d pages, %d ms (cpu: pull %.1f s, "
          "server %.1f s): %.0f records/s" % (
              limit, o["changes"], o["pages"], o["ms"],
              o["client_cpu_ms"] / 1000, (o["server_cpu_ms"] or 0) / 1000,
              o["changes"] / (o["ms"] / 1000.0)))


def cmd_increment(rows):
    """The second batch: tasks at the province and 350100, items changed
    and withdrawn; 350100's new commits exported to the province."""
    rows = int(rows)
    example_items_cache.extend(example_items())
    items = example_items_cache
    seed = load()["seed"]
    kp = seed["province_items"]
    pid, pname, _ = PROVINCE
    cid, cname, _ = CITIES[0]
    city_head = run(["git", "--git-dir=" + os.path.join(home(cid), "store.git"),
                     "rev-parse", "refs/heads/main"], "rev-parse")[0].stdout
    city_head = city_head.decode().strip()
    t_all = time.perf_counter()
    tasks, cat = [], []
    import_tasks(PROVINCE, rows // 2, "city", "Q", 101, tasks)
    for it in items[:3]:
        v = localize(it, pname)
        v["time_limit"] = "信息形成或者变更之日起5个工作日内" if v.get(
            "time_limit") != "信息形成或者变更之日起5个工作日内" else "即时公开"
        put_item(pid, v, "catalog put (a changed item) at %s" % pid, cat,
                 "change")
    for it in items[kp - 3:kp]:
        _, dt = run([GOVFED, "catalog", "withdraw", "--home", home(pid),
                     "--item", "%s/%s" % (it["area"], it["id"]), "--reason",
                     "事项调整，并入其他事项公开"], "catalog withdraw at %s" % pid)
        cat.append({"node": pid, "kind": "withdraw", "s": dt})
    import_tasks(CITIES[0], rows - rows // 2, "district", "Q", 102, tasks)
    _, _, nown, _ = plan_counts(seed["n"], seed["quick"])
    own = [items[kp + j % (len(items) - kp)] for j in range(nown)]
    for it in own[:2]:
        v = localize(it, cname)
        v["content"] = (v.get("content") or "") + "\n年度执行情况"
        put_item(cid, v, "catalog put (a changed item) at %s" % cid, cat,
                 "change")
    it = own[2]
    _, dt = run([GOVFED, "catalog", "withdraw", "--home", home(cid), "--item",
                 "%s/%s" % (it["area"], it["id"]), "--reason", "职能划转"],
                "catalog withdraw at %s" % cid)
    cat.append({"node": cid, "kind": "withdraw", "s": dt})
    bundle = os.path.join(T, "%s-2.bundle" % cid)
    _, dte = run([GOVFED, "export", "--home", home(cid), "--id", cid,
                  "--since", city_head, "--out", bundle], "export --since at %s"
                 % cid)
    _, dti = run([GOVFED, "import", "--home", home(pid), "--file", bundle],
                 "import of %s's new commits at the province" % cid)
    expect = rows + 3 + 3 + 2 + 1
    save("increment", {"task_rows": rows, "catalog": len(cat),
                       "expected_changes": expect, "export_s": dte,
                       "import_s": dti, "tasks": tasks,
                       "s": time.perf_counter() - t_all})
    print("  %d task rows (%d at %s, %d at %s), 3+2 changed and 3+1 withdrawn "
          "items; %s's %.0f kB exported and imported in %.0f ms; %.1f s in "
          "all" % (rows, rows // 2, pid, rows - rows // 2, cid, cid,
                   os.path.getsize(bundle) / 1e3, (dte + dti) * 1000,
                   time.perf_counter() - t_all))


def cmd_incr_rounds(base, rounds, pidfile):
    """The second checkpoint pulled into each mirror of the rounds; git
    fetch + diff-tree + cat-file in each git mirror."""
    pulls, gits = [], []
    for i in range(1, int(rounds) + 1):
        o = pull(base, os.path.join(T, "pull", str(i)),
                 "incremental feed pull, round %d" % i, pidfile=pidfile)
        o["load"] = loadavg()
        pulls.append(o)
        g = git_incr(i)
        g["load"] = loadavg()
        gits.append(g)
        print("  round %d: govfed feed pull %d changes (%s), %d ms: %.0f "
              "changes/s; git fetch %.0f + diff-tree %.0f + cat-file %.0f = "
              "%.0f ms (%d paths)" % (
                  i, o["changes"], ", ".join("%s %d" % kv for kv in
                                             sorted(o["kinds"].items()) if kv[1]),
                  o["ms"], o["changes"] / max(o["ms"], 1) * 1000,
                  g["fetch_s"] * 1000, g["diff_s"] * 1000, g["cat_s"] * 1000,
                  g["s"] * 1000, g["changes"]))
        sys.stdout.flush()
    save("pull_incr", pulls)
    save("git_incr", gits)


# ---- the summary ------------------------------------------------------------
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def times(x):
    """A ratio as "0.62x"."""
    if x is None:
        return "n/a"
    return ("%.2fx" % x) if x < 10 else ("%.1fx" % x)


def cmd_summary():
    r = load()
    s = r["seed"]
    pf, gf_ = r.get("pull_full", []), r.get("git_full", [])
    pi, gi = r.get("pull_incr", []), r.get("git_incr", [])
    sv, sd = r.get("served_10000", {}), r.get("served_default", {})
    pl = r.get("pull_limit")
    recs = pf[-1]["records"] if pf else None
    warn = []
    pull_ms = med([o["ms"] for o in pf])
    pull_changes = pf[0]["changes"] if pf else None
    git_s = med([g["s"] for g in gf_])
    git_read_s = med([g["read_s"] for g in gf_])
    git_records = gf_[0]["records"] if gf_ else None
    inc_ms = med([o["ms"] for o in pi])
    inc_changes = pi[0]["changes"] if pi else None
    ginc_s = med([g["s"] for g in gi])
    for name, v in (("served (limit 10000)", sv.get("changes")),
                    ("served (default limit)", sd.get("changes")),
                    ("git records", git_records)):
        if v is not None and pull_changes is not None and v != pull_changes:
            warn.append("%s: %s, but the pull took %s changes" % (
                name, v, pull_changes))
    exp = (r.get("increment") or {}).get("expected_changes")
    for o in pi:
        if exp is not None and o["changes"] != exp:
            warn.append("incremental pull: %d changes, %d expected" % (
                o["changes"], exp))
    for g in gi:
        if exp is not None and g["changes"] != exp:
            warn.append("git incremental: %d changed paths, %d expected" % (
                g["changes"], exp))
    r["warnings"] = warn
    with open(RESULTS, "w") as f:
        json.dump(r, f, indent=1, ensure_ascii=False)

    print("== summary (feed: 350000 + %d cities, %s records, %s)" % (
        s["nodes"] - 1, recs, "checkpoint %s -> %s" % (
            (r.get("cut_first") or {}).get("seq"),
            (r.get("cut_second") or {}).get("seq"))))
    for k in ("machine", "cpu", "load_start", "load_end"):
        if k in r:
            print("%-12s %s" % (k, r[k]))
    print("feed seed    %d task rows in %d commits (%d rows a commit: govfed's "
          "limit), "
          "%.0f s; %d catalog commits %.0f s; 9 city exports+imports %.0f s; "
          "store %.0f MB" % (
              s["task_rows"], s["task_commits"], s["batch"], s["tasks_s"],
              s["catalog_commits"], s["catalog_s"], s["xfer_s"],
              s["store_bytes"] / 1e6))
    if s["tasks"]:
        # per 1000 rows, by the tasks the node held already (median over
        # the nodes): cpu is steadier than wall time on a shared machine
        by = {}
        for b in s["tasks"]:
            by.setdefault(b["before"], []).append(b)
        print("feed seed    task import per 1000 rows, by tasks held before "
              "(median over nodes): %s" % "; ".join(
                  "%d: %.1f s wall %.1f s cpu" % (
                      k, med([b["s"] * 1000 / b["rows"] for b in v]),
                      med([b.get("cpu_s", 0) * 1000 / b["rows"] for b in v]))
                  for k, v in sorted(by.items())))
    c1, c2 = r.get("cut_first") or {}, r.get("cut_second") or {}
    print("feed cut     checkpoint %s (%s heads) %.0f ms; incremental "
          "checkpoint %s %.0f ms" % (c1.get("seq"), c1.get("heads"),
                                     c1.get("ms", 0), c2.get("seq"),
                                     c2.get("ms", 0)))
    for d in (sv, sd):
        if d:
            print("feed served  %6.0f records/s  limit %s: %d changes, %d "
                  "pages, %.1f MB, %.2f s (first page %.0f ms, slowest %.0f "
                  "ms); server cpu %.1f s, rss %.0f MB" % (
                      d["records_per_s"], d["limit"], d["changes"],
                      d["pages"], d["bytes"] / 1e6, d["s"],
                      d["first_page_s"] * 1000, d["max_page_s"] * 1000,
                      (d.get("server_cpu_ms") or 0) / 1000,
                      (d.get("server_rss_kb") or 0) / 1024))
    if pf:
        print("feed pulled  %6.0f records/s  median of %d: %.2f s (%s; the "
              "first from a fresh server); %d changes, %d pages (server's "
              "default limit); cpu: pull %.1f s, server %.1f s; SQLite "
              "%.0f MB" % (
                  pull_changes / (pull_ms / 1000.0), len(pf), pull_ms / 1000,
                  ", ".join("%.2f" % (o["ms"] / 1000) for o in pf),
                  pull_changes, pf[0]["pages"],
                  med([o["client_cpu_ms"] for o in pf]) / 1000,
                  (med([o["server_cpu_ms"] for o in pf]) or 0) / 1000,
                  pf[0]["sqlite_bytes"] / 1e6))
    if pl:
        print("feed pulled  %6.0f records/s  --limit %s, 1 run: %.2f s, %d "
              "pages; cpu: pull %.1f s, server %.1f s" % (
                  pl["changes"] / (pl["ms"] / 1000.0), pl["limit"],
                  pl["ms"] / 1000, pl["pages"], pl["client_cpu_ms"] / 1000,
                  (pl["server_cpu_ms"] or 0) / 1000))
    if pi:
        print("feed incr    %6.0f changes/s  median of %d: %.0f ms (%s) for %d "
              "changes (%s)" % (
                  inc_changes / (inc_ms / 1000.0), len(pi), inc_ms,
                  ", ".join("%d" % o["ms"] for o in pi), inc_changes,
                  ", ".join("%s %d" % kv for kv in sorted(pi[0]["kinds"].items())
                            if kv[1])))
    if gf_:
        print("feed git     %6.0f records/s  median of %d: clone --mirror "
              "%.2f s + read %.2f s = %.2f s (%s); %d records of %d refs, "
              "%.0f MB" % (
                  git_records / git_s, len(gf_),
                  med([g["clone_s"] for g in gf_]), git_read_s, git_s,
                  ", ".join("%.2f" % g["s"] for g in gf_), git_records,
                  gf_[0]["refs"], gf_[0]["bytes"] / 1e6))
    if gi:
        print("feed git     %6.0f changes/s  incremental, median of %d: "
              "fetch %.0f + diff-tree %.0f + cat-file %.0f = %.0f ms (%s) for "
              "%d paths" % (
                  gi[0]["changes"] / ginc_s, len(gi),
                  med([g["fetch_s"] for g in gi]) * 1000,
                  med([g["diff_s"] for g in gi]) * 1000,
                  med([g["cat_s"] for g in gi]) * 1000, ginc_s * 1000,
                  ", ".join("%.0f" % (g["s"] * 1000) for g in gi),
                  gi[0]["changes"]))
    if pf and gf_:
        print("feed ratio   pull %s git's time (clone + read); pull %s "
              "git's read alone" % (
                  times(pull_ms / 1000 / git_s),
                  times(pull_ms / 1000 / git_read_s)))
    if sv and gf_:
        print("feed ratio   served (limit 10000) %s git's records/s "
              "(clone + read), %s git's read alone" % (
                  times(sv["records_per_s"] / (git_records / git_s)),
                  times(sv["records_per_s"] / (git_records / git_read_s))))
    if pi and gi:
        print("feed ratio   incremental pull %s git's time (fetch + diff-tree "
              "+ cat-file)" % times(inc_ms / 1000 / ginc_s))
    for w in warn:
        print("feed WARNING %s" % w)


if __name__ == "__main__":
    cmd = sys.argv[1]
    fn = globals().get("cmd_" + cmd.replace("-", "_"))
    if fn is None:
        die("driver: no command %s" % cmd)
    sys.exit(fn(*sys.argv[2:]) or 0)
PY

drv() { "$PY" "$DRIVER" "$@"; }
save() { "$PY" - "$RESULTS_FILE" "$1" "$2" <<'EOF'
import json, os, sys
path, key, value = sys.argv[1:]
r = json.load(open(path)) if os.path.exists(path) else {}
r[key] = value
json.dump(r, open(path, "w"), indent=1, ensure_ascii=False)
EOF
}
RESULTS_FILE=$T/results.json
t_start=$(date +%s)

# shellcheck source=bench/machine.sh
source "$ROOT/bench/machine.sh"
bench_machine
echo "busiest processes now (others' share the cores):"
top -bn1 -o %CPU 2>/dev/null | sed -n '8,11p' | sed 's/^/    /' || true
echo "== versions"
echo "govfed      $GOVFED_SRC ($(stat -c %y "$GOVFED_SRC" | cut -d. -f1))"
echo "git         $(git --version)"
echo "curl        $(curl --version | head -n1 | cut -d' ' -f1-2)"
echo "python      $("$PY" --version 2>&1)"
for lib in libgit2 sqlite3 libsodium jansson; do
	printf '%-11s %s (pkg-config)\n' "$lib" \
		"$(pkg-config --modversion "$lib" 2>/dev/null || echo unknown)"
done
echo "work dir    $T"
save machine "$(uname -srm)"
save cpu "$(nproc) x $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
save git "$(git --version)"
save load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

INCR=$((N / 10))
[ "$INCR" -gt 1000 ] && INCR=1000
[ "$INCR" -lt 100 ] && INCR=100

echo "== seed: 350000 福建省 + 9 cities, about $N records"
drv seed "$N" "$QUICK"
echo "== govfed checkpoint cut (the province)"
drv cut first

# start_server: feed serve on a fresh port (a new process: an empty cache
# of computed change lists), in the background; sets BASE
start_server() {
	local port
	[ -e "$PIDS/serve" ] && stop_pid "$PIDS/serve"
	port=$(drv port)
	BASE=http://127.0.0.1:$port
	"$GOVFED" feed serve --home "$T/n/350000" --listen "127.0.0.1:$port" \
		>>"$LOGS/serve.log" 2>&1 &
	echo $! >"$PIDS/serve"
	drv wait-http "$BASE" "$PIDS/serve" 20
	echo "  feed serve answering on 127.0.0.1:$port (pid $(cat "$PIDS/serve"))"
}

echo "== served: the whole feed from 0 with curl, page by page (a fresh server each)"
start_server
drv served "$BASE" 10000 served_10000 "$PIDS/serve"
start_server
drv served "$BASE" default served_default "$PIDS/serve"

echo "== pulled: govfed feed pull into a fresh mirror, and stock git, 3 rounds"
start_server
drv rounds "$BASE" 3 "$PIDS/serve"
drv pull-limit "$BASE" 10000 "$PIDS/serve"

echo "== increment: $INCR task rows and a few catalog changes, checkpoint 2"
drv increment "$INCR"
drv cut second
# the running server (not restarted) answers the new checkpoint
if ! drv latest "$BASE" 2; then
	echo "  (restarting feed serve so that the pulls see checkpoint 2)"
	save serve_restarted "the running server did not answer checkpoint 2"
	start_server
fi

echo "== incremental: govfed feed pull into each mirror, and git fetch"
drv incr-rounds "$BASE" 3 "$PIDS/serve"

save load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
save wall_s "$(($(date +%s) - t_start))"
drv summary
echo "(whole run $(($(date +%s) - t_start)) s; load at the end: $(cut -d' ' -f1-3 /proc/loadavg);"
echo " a shared machine is noisy: compare runs, not single figures)"
