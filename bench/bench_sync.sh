#!/usr/bin/env bash
# bench_sync.sh — sync latency, bytes and catch-up on an 85-node tree, against
# a stock-git chain of the same shape in the same run.
#
# The tree: the province 350000 → 4 cities → 16 districts (4 per city) → 64
# townships (4 per district), one `govfed node run` each on loopback
# (beacon_ms 1000, the default). Measured:
#   down     a catalog item put at the province, until each of the 64
#            townships holds the province's new head (first / last leaf)
#   up       a township puts an item, until the province holds its new head,
#            and until the province's first checkpoint that includes it (the
#            province cuts one at most every checkpoint_ms, default 500)
#   bytes    per single-record update: the pack payload per hop (the daemons'
#            serve lines), and every TCP payload byte on the tree's
#            connections (ss -ti), beacons subtracted
#   catch-up the tree stopped, N commits put at the province (one CLI put
#            each), the tree but one township started (it catches up: timed
#            too), then that township started: until it holds the head
# then the same with stock git: 85 bare repos, each update fanned out by
# post-receive hooks that push (file://) to the children in parallel, and up
# to the parent; signed commits (commit-tree -S, gpg.format=ssh, the node's
# own ed25519 key) carrying the very same record blobs, in repos seeded with
# the very same histories; the catch-up is `git fetch` of the same commits
# from the township's parent.
#
# Arrival is seen through inotify on each watched refs/ folder (no polling),
# by a watcher at SCHED_FIFO priority (children reset to normal), so its
# wake-up is not queued behind 85 daemons; times are from just before the
# publishing command starts, so they include it (its own time is reported).
#
# It builds nothing: GOVFED (default build/node/govfed) is copied and run.
# It works in a mkdtemp directory under /tmp, removed at the end (--keep to
# keep it); every process it starts is stopped by pid on exit.
#
# usage: bench/bench_sync.sh [-n UPDATES] [--catchup N] [--quick] [--keep]
#   -n N          updates per direction (default 20)
#   --catchup N   commits for the catch-up (default 1000)
#   --quick       -n 5 --catchup 100: a smoke run
#   --keep        keep the work directory (daemon logs, stores, results.json;
#                 GOVFED_BENCH_KEEP=1 too)
# environment:
#   GOVFED          the govfed binary (default <repo>/build/node/govfed)
#   BENCH_GIT_FSYNC core.fsync for the git chain (default: git's own default,
#                   which does not fsync loose objects or refs; govfed's
#                   stores fsync every write; "all" makes git do the same)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UPDATES=20
CATCHUP=1000
KEEP=${GOVFED_BENCH_KEEP:-0}
while [ $# -gt 0 ]; do
	case "$1" in
	-n) UPDATES=$2; shift 2 ;;
	--catchup) CATCHUP=$2; shift 2 ;;
	--quick) UPDATES=5; CATCHUP=100; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "bench_sync.sh: unknown option '$1' (see --help)" >&2
		exit 2 ;;
	esac
done

GOVFED_SRC=${GOVFED:-$ROOT/build/node/govfed}
[ -x "$GOVFED_SRC" ] || {
	echo "bench_sync.sh: no govfed at $GOVFED_SRC (build it, or set GOVFED)" >&2
	exit 2
}

T=$(mktemp -d /tmp/govfed-bench-sync-XXXXXX)
export T
PIDS=$T/pids
LOGS=$T/logs
mkdir -p "$PIDS" "$LOGS" "$T/n" "$T/g" "$T/items" "$T/home"
# git and ssh-keygen see only this run's configuration
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1
# a private copy: a rebuild meanwhile does not change what runs
cp "$GOVFED_SRC" "$T/govfed"
GOVFED=$T/govfed
DRIVER=$T/driver.py
# the interpreter itself, not a version manager's shim (pyenv's costs
# 0.6 s a call)
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
		echo "$(basename "$1") (pid $pid) did not stop on SIGTERM within 5 s: killed" >>"$T/bad_exits"
	fi
	# a daemon of this shell's: a clean stop exits 0 (127: not a child)
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 127 ]; then
		echo "$(basename "$1") (pid $pid) exited with status $rc on SIGTERM" >>"$T/bad_exits"
	fi
	rm -f "$1"
}

cleanup() {
	local f pid
	# all at once first (each is its own pid), then wait for each
	for f in "$PIDS"/*; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null || true
	done
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

# ---- the measuring side (python3: inotify, timing, statistics) -------------
cat >"$DRIVER" <<'PY'
"""driver.py — the measuring side of bench_sync.sh (see its header)."""
import calendar, ctypes, json, os, random, re, resource, select, statistics, struct
import subprocess, sys, time, zlib

T = os.environ["T"]
GOVFED = os.path.join(T, "govfed")
RESULTS = os.path.join(T, "results.json")
IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x8, 0x80, 0x100
libc = ctypes.CDLL(None, use_errno=True)
HZ = os.sysconf("SC_CLK_TCK")


def tree():
    nodes = []
    with open(os.path.join(T, "tree.txt")) as f:
        for line in f:
            i, level, parent, port = line.split()
            nodes.append({"id": i, "level": level,
                          "parent": None if parent == "-" else parent,
                          "port": None if port == "-" else int(port)})
    return nodes


def ancestors(nodes, i):
    by = {n["id"]: n for n in nodes}
    out, p = [], by[i]["parent"]
    while p:
        out.append(p)
        p = by[p]["parent"]
    return out


def leaves(nodes):
    return [n["id"] for n in nodes if n["level"] == "township"]


def up_leaf(nodes, i):
    lv = leaves(nodes)
    return lv[(i * 13 + 5) % len(lv)]


def gf(i):
    return os.path.join(T, "n", i, "store.git")


def gg(i):
    return os.path.join(T, "g", i + ".git")


def read_ref(gitdir, ref):
    try:
        with open(os.path.join(gitdir, ref), "rb") as f:
            v = f.read().strip().decode()
        return v if len(v) == 40 else None
    except FileNotFoundError:
        pass
    try:
        with open(os.path.join(gitdir, "packed-refs")) as f:
            for line in f:
                if line.rstrip("\n").endswith(" " + ref):
                    return line[:40]
    except FileNotFoundError:
        pass
    return None


def save(key, value):
    r = {}
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            r = json.load(f)
    r[key] = value
    with open(RESULTS, "w") as f:
        json.dump(r, f, indent=1)


def load():
    with open(RESULTS) as f:
        return json.load(f)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def realtime():
    """The watcher wakes at once on an event: SCHED_FIFO, reset to normal
    in every child (so the measured processes run as usual)."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK,
                              os.sched_param(10))
        return "SCHED_FIFO"
    except (OSError, AttributeError):
        return "normal priority (SCHED_FIFO refused)"


def read_object(gitdir, oid):
    """A loose object's content (the checkpoints a daemon just wrote are
    loose); `git cat-file` otherwise."""
    try:
        with open(os.path.join(gitdir, "objects", oid[:2], oid[2:]), "rb") as f:
            raw = zlib.decompress(f.read())
        return raw[raw.index(b"\0") + 1:]
    except (OSError, ValueError, zlib.error):
        return subprocess.run(["git", "--git-dir=" + gitdir, "cat-file",
                               "blob", oid], capture_output=True).stdout


def checkpoint_head(gitdir, node):
    """The head of `node` in the latest checkpoint of gitdir, or None."""
    d = os.path.join(gitdir, "refs", "checkpoints")
    try:
        names = [n for n in os.listdir(d) if n.isdigit()]
    except FileNotFoundError:
        return None
    if not names:
        return None
    oid = read_ref(gitdir, "refs/checkpoints/" + max(names))
    if not oid:
        return None
    try:
        cp = json.loads(read_object(gitdir, oid))
    except ValueError:
        return None
    for h in cp.get("heads", []):
        if h.get("node") == node:
            return h.get("commit")
    return None


class Watcher:
    """Records, for a set of (gitdir, ref), every value the ref takes and
    when (time.monotonic_ns, time.time_ns), through inotify on the ref's
    folder; polls every 2 ms instead if inotify is not available. A ref
    "checkpoints:<node>" stands for <node>'s head in gitdir's latest
    checkpoint (refs/checkpoints/<seq>), seen when a checkpoint is cut."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.hist = {k: [] for k in self.keys}
        self.cur = {}
        self.byname = {}
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        dirs = {}
        for k in self.keys:
            if k[1].startswith("checkpoints:"):
                d, name = os.path.join(k[0], "refs", "checkpoints"), "*"
            else:
                path = os.path.join(k[0], k[1])
                d, name = os.path.dirname(path), os.path.basename(path)
            os.makedirs(d, exist_ok=True)
            self.byname.setdefault((d, name), []).append(k)
            dirs[d] = 1
        self.wd = {}
        if self.fd >= 0:
            for d in dirs:
                wd = libc.inotify_add_watch(self.fd, d.encode(),
                                            IN_MOVED_TO | IN_CLOSE_WRITE |
                                            IN_CREATE)
                if wd < 0:
                    os.close(self.fd)
                    self.fd = -1
                    break
                self.wd[wd] = d
        self.mode = "inotify" if self.fd >= 0 else "polling every 2 ms"
        for k in self.keys:
            self.note(k)

    def note(self, k):
        mono, wall = time.monotonic_ns(), time.time_ns()
        if k[1].startswith("checkpoints:"):
            v = checkpoint_head(k[0], k[1].split(":", 1)[1])
        else:
            v = read_ref(*k)
        if v and v != self.cur.get(k):
            self.cur[k] = v
            self.hist[k].append((mono, wall, v))

    def drain(self):
        if self.fd < 0:
            for k in self.keys:
                self.note(k)
            return
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            off = 0
            while off < len(buf):
                wd, _mask, _cookie, ln = struct.unpack_from("iIII", buf, off)
                name = buf[off + 16:off + 16 + ln].rstrip(b"\0").decode()
                off += 16 + ln
                d = self.wd.get(wd)
                for k in self.byname.get((d, name), ()):
                    self.note(k)
                if name.isdigit():
                    for k in self.byname.get((d, "*"), ()):
                        self.note(k)

    def arrival(self, k, target, since_mono):
        for mono, wall, v in self.hist[k]:
            if v == target and mono >= since_mono:
                return mono, wall
        return None

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)


def pids():
    out = []
    for f in os.listdir(os.path.join(T, "pids")):
        try:
            with open(os.path.join(T, "pids", f)) as fh:
                out.append(int(fh.read()))
        except (OSError, ValueError):
            pass
    return out


def daemon_cpu_ms():
    total = 0
    for p in pids():
        try:
            with open("/proc/%d/stat" % p) as f:
                s = f.read()
            fields = s[s.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            pass
    return total * 1000.0 / HZ


def tcp_bytes(ports):
    """Every TCP payload byte sent on connections to or from these ports:
    each end counts what it sent, so both directions are summed once."""
    out = subprocess.run(["ss", "-tinH", "state", "established"],
                         capture_output=True, text=True).stdout.splitlines()
    total, cur = 0, False
    for line in out:
        if line and not line[0].isspace():
            f = line.split()
            try:
                lp = int(f[2].rsplit(":", 1)[1])
                rp = int(f[3].rsplit(":", 1)[1])
                cur = lp in ports or rp in ports
            except (IndexError, ValueError):
                cur = False
            m = re.search(r"bytes_sent:(\d+)", line)
            if cur and m:
                total += int(m.group(1))
                cur = False
        elif cur:
            m = re.search(r"bytes_sent:(\d+)", line)
            if m:
                total += int(m.group(1))
            cur = False
    return total


def ports():
    return {n["port"] for n in tree() if n["port"]}


def item(kind, i):
    with open(os.path.join(T, "items", "%s-%d.json" % (kind, i))) as f:
        v = json.load(f)
    return v, "catalog/%s/%s.json" % (v["area"], v["id"])


def cmd_items(ex_dir, kind, count, offset=0):
    """count item files kind-i.json: the examples, each with a new id."""
    ex = sorted(os.listdir(ex_dir))
    for i in range(int(count)):
        with open(os.path.join(ex_dir, ex[(i + int(offset)) % len(ex)])) as f:
            v = json.load(f)
        v["id"] = "%s.%s%d" % (v["id"], kind[0], i)
        with open(os.path.join(T, "items", "%s-%d.json" % (kind, i)), "w") as f:
            json.dump(v, f, ensure_ascii=False, indent=2)


def cmd_ports(n):
    import socket
    socks = []
    for _ in range(int(n)):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def cmd_putloop(home, kind, count):
    """count puts at home of items kind-0..count-1, one CLI process each."""
    t0 = time.monotonic()
    for i in range(int(count)):
        subprocess.run([GOVFED, "catalog", "put", "--home", home, "--file",
                        os.path.join(T, "items", "%s-%d.json" % (kind, i))],
                       check=True, stdout=subprocess.DEVNULL)
    dt = time.monotonic() - t0
    save("putloop_" + kind, {"count": int(count), "s": dt})
    print("  %d puts in %.1f s (%.1f ms each)" % (int(count), dt,
                                                  dt * 1000 / int(count)))


def want_state(nodes, skip=()):
    """(gitdir, ref, what it must equal) for a converged govfed tree."""
    by = {n["id"]: n for n in nodes}
    heads = {n["id"]: read_ref(gf(n["id"]), "refs/heads/main") for n in nodes}
    out = []
    for n in nodes:
        if n["id"] in skip:
            continue
        for a in ancestors(nodes, n["id"]):
            out.append((gf(n["id"]), "refs/nodes/" + a, heads[a]))
    for n in nodes:
        if n["id"] in skip or not heads[n["id"]]:
            continue
        for a in ancestors(nodes, n["id"]):
            if a not in skip:
                out.append((gf(a), "refs/nodes/" + n["id"], heads[n["id"]]))
    del by
    return out


def cmd_converge(timeout, label, *skip):
    """Waits (bounded) until every node holds its ancestors' and its
    descendants' heads (as their authors hold them)."""
    nodes = tree()
    t0 = time.time()
    if os.environ.get("CONVERGE_T0"):
        t0 = int(os.environ["CONVERGE_T0"]) / 1e9
    while True:
        missing = [w for w in want_state(nodes, skip)
                   if read_ref(w[0], w[1]) != w[2]]
        if not missing:
            dt = time.time() - t0
            print("  converged in %.1f s (%s)" % (dt, label))
            save("converge_" + label, dt)
            return 0
        if time.time() - t0 > float(timeout):
            print("  NOT converged within %s s (%s): %d refs behind, e.g. %s"
                  % (timeout, label, len(missing), missing[:3]))
            return 1
        time.sleep(0.1)


class Update:
    def __init__(self, publish, trigger, target, watch, env=None, cpwatch=()):
        self.publish, self.trigger = publish, trigger
        self.target, self.watch, self.env = target, watch, env
        self.cpwatch = list(cpwatch)  # checkpoints that must include it


def run_update(w, u, timeout_s):
    """Runs u.publish, then u.trigger (if any, with 'old new ref' on its
    stdin, in the target repo) and waits until every watched ref holds the
    publisher's new head. Returns a dict of times in ms from the start."""
    old = read_ref(*u.target)
    w.drain()
    t0 = time.monotonic_ns()
    errf = open(os.path.join(T, "publish.err"), "ab")
    p = subprocess.Popen(u.publish, stdout=subprocess.DEVNULL, stderr=errf,
                         env=u.env)
    pfd = os.pidfd_open(p.pid)
    po = select.poll()
    if w.fd >= 0:
        po.register(w.fd, select.POLLIN)
    po.register(pfd, select.POLLIN)
    r = {"publish_ms": None, "cpu_publish_ms": 0.0, "cpu_trigger_ms": 0.0}
    target, trig, tfd = None, None, None
    deadline = t0 + int(timeout_s * 1e9)
    done, cpdone = False, not u.cpwatch
    while True:
        ev = po.poll(2 if w.fd < 0 else 50)
        now = time.monotonic_ns()
        w.drain()
        for fd, _ in ev:
            if fd == pfd:
                po.unregister(pfd)
                os.close(pfd)
                pfd = None  # its number is free for the trigger's
                _, st, ru = os.wait4(p.pid, 0)
                # Popen must know, or it would wait for the pid again
                # later (by then, perhaps another process's)
                p.returncode = os.waitstatus_to_exitcode(st)
                r["publish_ms"] = (now - t0) / 1e6
                r["cpu_publish_ms"] = (ru.ru_utime + ru.ru_stime) * 1000
                if st != 0:
                    raise SystemExit("publish failed: %s (exit %d)"
                                     % (" ".join(u.publish), st))
                target = read_ref(*u.target)
                r["commit"] = target
                if u.trigger:
                    env = dict(os.environ, GIT_DIR=".")
                    trig = subprocess.Popen(u.trigger, stdin=subprocess.PIPE,
                                            cwd=u.target[0], env=env,
                                            stderr=errf)
                    tfd = os.pidfd_open(trig.pid)
                    po.register(tfd, select.POLLIN)
                    trig.stdin.write(("%s %s %s\n" % (old, target,
                                                      u.target[1])).encode())
                    trig.stdin.close()
            elif fd == tfd:
                po.unregister(tfd)
                os.close(tfd)
                tfd = None
                _, st, ru = os.wait4(trig.pid, 0)
                trig.returncode = os.waitstatus_to_exitcode(st)
                r["trigger_ms"] = (now - t0) / 1e6
                r["cpu_trigger_ms"] = (ru.ru_utime + ru.ru_stime) * 1000
                trig = None
        if target and not done:
            arr = [w.arrival(k, target, t0) for k in u.watch]
            if all(arr):
                done = True
                ms = sorted((a[0] - t0) / 1e6 for a in arr)
                r["first_ms"], r["last_ms"] = ms[0], ms[-1]
                r["median_leaf_ms"] = statistics.median(ms)
        if target and not cpdone:
            arr = [w.arrival(k, target, t0) for k in u.cpwatch]
            if all(arr):
                cpdone = True
                if arr:
                    r["checkpoint_ms"] = max((a[0] - t0) / 1e6 for a in arr)
        if done and cpdone and trig is None:
            break
        if now > deadline:
            if not done:
                arr = [w.arrival(k, target, t0) for k in u.watch]
                r["missing"] = sum(1 for a in arr if not a)
                r["last_ms"] = None
            if not cpdone:
                r["checkpoint_ms"] = None
            if trig is not None:  # a stuck chain: stop it, report it
                trig.kill()
                trig.wait()
            break
    errf.close()
    return r


def git_commit_argv(nodeid, path, blobfile, msg):
    return [os.path.join(T, "gitcommit.sh"), gg(nodeid), path, blobfile, msg]


def blob_of(store, path, out):
    data = subprocess.run(["git", "--git-dir=" + store, "cat-file", "blob",
                           "refs/heads/main:" + path], check=True,
                          capture_output=True).stdout
    with open(out, "wb") as f:
        f.write(data)
    return out


def plan(mode, direction, n):
    nodes = tree()
    lv = leaves(nodes)
    root = "350000"
    ups = []
    os.makedirs(os.path.join(T, "blobs"), exist_ok=True)
    for i in range(n):
        cpwatch = ()
        if direction == "down":
            v, path = item("down", i)
            who, watch = root, None
            if mode == "govfed":
                watch = [(gf(x), "refs/nodes/" + root) for x in lv]
            else:
                watch = [(gg(x), "refs/nodes/" + root) for x in lv]
        else:
            v, path = item("up", i)
            who = up_leaf(nodes, i)
            if mode == "govfed":
                watch = [(gf(root), "refs/nodes/" + who)]
                # and the province's first checkpoint that includes it
                cpwatch = [(gf(root), "checkpoints:" + who)]
            else:
                watch = [(gg(root), "refs/nodes/" + who)]
        if mode == "govfed":
            ups.append(Update([GOVFED, "catalog", "put", "--home",
                               os.path.join(T, "n", who), "--file",
                               os.path.join(T, "items", "%s-%d.json"
                                            % (direction, i))],
                              None, (gf(who), "refs/heads/main"), watch,
                              cpwatch=cpwatch))
        else:
            # the very blob govfed committed for this update
            blob = blob_of(gf(who), path, os.path.join(
                T, "blobs", "%s-%d" % (direction, i)))
            ups.append(Update(git_commit_argv(who, path, blob,
                                              "catalog put %s" % v["id"]),
                              [os.path.join(gg(who), "hooks", "post-receive")],
                              (gg(who), "refs/heads/main"), watch))
    return ups


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "median": statistics.median(xs), "max": max(xs),
            "min": min(xs)}


def cmd_measure(mode, direction, n):
    n = int(n)
    prio = realtime()
    ups = plan(mode, direction, n)
    keys = sorted({k for u in ups for k in u.watch + u.cpwatch})
    w = Watcher(keys)
    prt = ports() if mode == "govfed" else set()
    base = None
    if mode == "govfed":
        # the idle cost of the running tree (beacons), to subtract
        q = 8.0
        b0, c0, t0 = tcp_bytes(prt), daemon_cpu_ms(), time.monotonic()
        time.sleep(q)
        b1, c1, t1 = tcp_bytes(prt), daemon_cpu_ms(), time.monotonic()
        base = {"bytes_per_s": (b1 - b0) / (t1 - t0),
                "cpu_ms_per_s": (c1 - c0) / (t1 - t0)}
    load0 = loadavg()
    wall0 = time.time()
    b0, c0, t0 = (tcp_bytes(prt), daemon_cpu_ms(), time.monotonic())
    rows = []
    cpcol = any(u.cpwatch for u in ups)
    print("  %-3s %-10s %9s %9s %9s %9s%s" % ("#", "from", "publish", "first",
                                             "last", "cpu",
                                             "  checkpoint" if cpcol else ""))
    for i, u in enumerate(ups):
        r = run_update(w, u, 30.0)
        who = u.publish[4] if mode == "govfed" else u.publish[1]
        r["from"] = os.path.basename(who).replace(".git", "")
        rows.append(r)
        cpv = ""
        if cpcol:
            cpv = ("  %7.1f ms" % r["checkpoint_ms"]
                   if r.get("checkpoint_ms") is not None else "  MISS")
        print("  %-3d %-10s %7.1f ms %7.1f ms %7s ms %7.0f ms%s" % (
            i, r["from"][-9:], r["publish_ms"] or -1, r.get("first_ms") or -1,
            "%.1f" % r["last_ms"] if r.get("last_ms") is not None
            else "MISS(%d)" % r.get("missing", -1),
            r["cpu_publish_ms"] + r["cpu_trigger_ms"], cpv), flush=True)
        # a pause, so that updates do not overlap, at a random phase
        # against the beacons
        time.sleep(0.4 + random.random() * 0.6)
    b1, c1, t1 = (tcp_bytes(prt), daemon_cpu_ms(), time.monotonic())
    w.close()
    res = {"mode": mode, "direction": direction, "n": n, "rows": rows,
           "priority": prio, "watch": w.mode, "load_before": load0,
           "load_after": loadavg(), "wall": [wall0, time.time()],
           "last": stats([r.get("last_ms") for r in rows]),
           "first": stats([r.get("first_ms") for r in rows]),
           "publish": stats([r["publish_ms"] for r in rows]),
           "sync_last": stats([r["last_ms"] - r["publish_ms"] for r in rows
                               if r.get("last_ms") is not None])}
    if cpcol:
        # commit -> the province's first checkpoint holding it; and the part
        # after the province received it (the wait for the next cut)
        res["checkpoint"] = stats([r.get("checkpoint_ms") for r in rows])
        res["checkpoint_after_root"] = stats(
            [r["checkpoint_ms"] - r["last_ms"] for r in rows
             if r.get("checkpoint_ms") is not None
             and r.get("last_ms") is not None])
        res["checkpoint_missed"] = sum(1 for r in rows
                                       if r.get("checkpoint_ms") is None)
    if mode == "govfed":
        dur = t1 - t0
        res["baseline"] = base
        res["tcp_bytes_per_update"] = ((b1 - b0) - base["bytes_per_s"] * dur) / n
        res["daemon_cpu_ms_per_update"] = ((c1 - c0) -
                                           base["cpu_ms_per_s"] * dur) / n
        res["cpu_ms_per_update"] = (res["daemon_cpu_ms_per_update"] +
                                    statistics.mean(r["cpu_publish_ms"]
                                                    for r in rows))
    else:
        res["cpu_ms_per_update"] = statistics.mean(
            r["cpu_publish_ms"] + r["cpu_trigger_ms"] for r in rows)
    save("%s_%s" % (mode, direction), res)
    s = res["last"]
    if s["n"]:
        print("  %s %s: last %s median %.1f ms, max %.1f ms; first leaf median "
              "%.1f ms; publish median %.1f ms (watcher: %s, %s)" % (
                  mode, direction, "leaf" if direction == "down" else "(root)",
                  s["median"], s["max"], res["first"]["median"],
                  res["publish"]["median"], w.mode, prio))
    c = res.get("checkpoint") or {}
    if c.get("n"):
        print("  %s %s: township commit -> province checkpoint median %.1f ms, "
              "max %.1f ms (after the province held it: median %.1f ms); "
              "%d missed" % (mode, direction, c["median"], c["max"],
                             res["checkpoint_after_root"]["median"],
                             res["checkpoint_missed"]))


def cmd_start_wait(node, ref, target, timeout, label):
    """Starts node's daemon (its pid in pids/, as bench_sync.sh's start
    does) and waits until its ref holds target: the time from just before
    the start (the watch is set up first)."""
    prio = realtime()
    k = (gf(node), ref)
    w = Watcher([k])
    po = select.poll()
    if w.fd >= 0:
        po.register(w.fd, select.POLLIN)
    log = open(os.path.join(T, "logs", node + ".log"), "ab")
    t0, t0_wall = time.monotonic_ns(), time.time_ns()
    p = subprocess.Popen([GOVFED, "node", "run", "--home",
                          os.path.join(T, "n", node), "--verbose"],
                         stdout=log, stderr=subprocess.STDOUT)
    with open(os.path.join(T, "pids", node), "w") as f:
        f.write("%d\n" % p.pid)
    log.close()
    while True:
        w.drain()
        a = w.arrival(k, target, t0)
        if a:
            ms = (a[0] - t0) / 1e6
            save(label, {"ms": ms, "priority": prio, "load": loadavg(),
                         "t0_ns": t0_wall})
            print("  %s: %.0f ms from the daemon's start to the head" % (
                label, ms))
            return 0
        if (time.monotonic_ns() - t0) / 1e9 > float(timeout):
            print("  %s: NOT within %s s" % (label, timeout))
            save(label, {"ms": None, "t0_ns": t0_wall})
            return 1
        po.poll(2 if w.fd < 0 else 100)


def cmd_save(key, value):
    try:
        value = json.loads(value)
    except ValueError:
        pass
    save(key, value)


LOGLINE = re.compile(r"^(\S+)Z (\S+)\s+(\d+) (\S+): (.*)$")


def log_lines(node):
    with open(os.path.join(T, "logs", node + ".log"), errors="replace") as f:
        for line in f:
            m = LOGLINE.match(line.rstrip("\n"))
            if m:
                t = calendar.timegm(time.strptime(m.group(1)[:19],
                                                  "%Y-%m-%dT%H:%M:%S"))
                t += float("0" + m.group(1)[19:])
                yield t, m.group(2), m.group(4), m.group(5)


def cmd_serve_bytes():
    """The pack payload of each one-commit fetch of 350000's history served
    during the govfed down phase (the daemons' DEBUG serve lines)."""
    r = load()["govfed_down"]
    w0, w1 = r["wall"]
    sizes = []
    for n in tree():
        if n["level"] == "township":
            continue
        for t, _lvl, what, msg in log_lines(n["id"]):
            if what != "serve" or not (w0 - 1 <= t <= w1 + 1):
                continue
            m = re.match(r"350000's history to \d+: 1 commits from \w+ "
                         r"\((\d+) bytes", msg)
            if m:
                sizes.append(int(m.group(1)))
    save("govfed_pack_bytes", {"n": len(sizes),
                               "mean": statistics.mean(sizes) if sizes else None,
                               "min": min(sizes) if sizes else None,
                               "max": max(sizes) if sizes else None})
    print("  govfed: %d one-commit packs served, %.0f bytes each on average "
          "(%d..%d)" % (len(sizes), statistics.mean(sizes), min(sizes),
                        max(sizes)) if sizes else "  govfed: no serve lines")


def cmd_git_bytes():
    """git's thin pack for each down update (what push sends a child that
    holds the previous head)."""
    r = load()["git_down"]
    sizes = []
    prev = None
    for row in r["rows"]:
        new = row["commit"]
        if prev:
            p = subprocess.run(["git", "--git-dir=" + gg("350000"),
                                "pack-objects", "--thin", "--stdout", "--revs",
                                "-q"], input=("%s\n^%s\n" % (new, prev)).encode(),
                               capture_output=True, check=True)
            sizes.append(len(p.stdout))
        prev = new
    save("git_pack_bytes", {"n": len(sizes), "mean": statistics.mean(sizes),
                            "min": min(sizes), "max": max(sizes)})
    print("  git: thin pack per one-record update %.0f bytes on average "
          "(%d..%d)" % (statistics.mean(sizes), min(sizes), max(sizes)))


def cmd_catchup_log(node):
    """From the started node's log: start → link up → last import."""
    t0 = load()["govfed_catchup"]["t0_ns"] / 1e9
    up = last = None
    steps = 0
    for t, _lvl, what, msg in log_lines(node):
        if t < t0 - 1:
            continue
        if what == "parent" and msg.endswith(" up") and up is None:
            up = t
        if what == "import" and msg.startswith("350000 +"):
            last = t
            steps += 1
    res = {"link_up_ms": (up - t0) * 1000 if up else None,
           "import_after_link_ms": (last - up) * 1000 if up and last else None,
           "steps": steps}
    save("govfed_catchup_log", res)
    print("  from the log: link up after %s ms, then %s ms to the last of %d "
          "import step(s)" % (
              "%.0f" % res["link_up_ms"] if up else "?",
              "%.0f" % res["import_after_link_ms"] if up and last else "?",
              steps))


def fmt(x, unit="ms", nd=0):
    if x is None:
        return "n/a"
    return ("%." + str(nd) + "f %s") % (x, unit)


def ratio(a, b):
    if a is None or b is None or not b:
        return "n/a"
    r = a / b
    return "%.3f" % r if r < 1 else "%.2f" % r


def cmd_summary():
    r = load()
    gd, gu = r.get("govfed_down", {}), r.get("govfed_up", {})
    xd, xu = r.get("git_down", {}), r.get("git_up", {})
    gpb, xpb = r.get("govfed_pack_bytes", {}), r.get("git_pack_bytes", {})
    proto = r.get("git_proto_bytes") or {}

    def g(d, a, b):
        return (d.get(a) or {}).get(b)

    print("== summary (85 nodes: 1 -> 4 -> 16 -> 64, loopback)")
    for k in ("machine", "nproc", "cpu", "git", "load_start", "load_end",
              "load_peak"):
        if k in r:
            print("%-12s %s" % (k, r[k]))
    print("%-40s %14s %14s %10s" % ("", "govfed", "git chain", "govfed/git"))
    rows = [
        ("down: last leaf, median", g(gd, "last", "median"),
         g(xd, "last", "median")),
        ("down: last leaf, max", g(gd, "last", "max"), g(xd, "last", "max")),
        ("down: first leaf, median", g(gd, "first", "median"),
         g(xd, "first", "median")),
        ("down: publish alone, median", g(gd, "publish", "median"),
         g(xd, "publish", "median")),
        ("down: last leaf minus publish, median", g(gd, "sync_last", "median"),
         g(xd, "sync_last", "median")),
        ("up: root, median", g(gu, "last", "median"), g(xu, "last", "median")),
        ("up: root, max", g(gu, "last", "max"), g(xu, "last", "max")),
        ("up: publish alone, median", g(gu, "publish", "median"),
         g(xu, "publish", "median")),
        ("up: commit -> checkpoint, median", g(gu, "checkpoint", "median"),
         None),
        ("up: commit -> checkpoint, max", g(gu, "checkpoint", "max"), None),
        ("catch-up of one leaf (%s commits)" % r.get("catchup_n", "?"),
         (r.get("govfed_catchup") or {}).get("ms"),
         (r.get("git_catchup") or {}).get("median_ms")),
    ]
    for name, a, b in rows:
        print("%-40s %14s %14s %10s" % (name, fmt(a, "ms", 1), fmt(b, "ms", 1),
                                        ratio(a, b)))
    print("%-40s %14s %14s %10s" % (
        "bytes: pack payload per hop", fmt(gpb.get("mean"), "B"),
        fmt(xpb.get("mean"), "B"), ratio(gpb.get("mean"), xpb.get("mean"))))
    tb = gd.get("tcp_bytes_per_update")
    pt = proto.get("tree")
    print("%-40s %14s %14s %10s" % (
        "bytes: whole protocol, mean per hop", fmt(tb / 84 if tb else None, "B"),
        fmt(pt / 84 if pt else None, "B"), ratio(tb, pt)))
    print("%-40s %14s %14s %10s" % (
        "bytes: whole tree (84 hops) per update", fmt(tb, "B"), fmt(pt, "B"),
        ratio(tb, pt)))
    print("%-40s %14s %14s %10s" % (
        "cpu per down update, all processes", fmt(gd.get("cpu_ms_per_update")),
        fmt(xd.get("cpu_ms_per_update")),
        ratio(gd.get("cpu_ms_per_update"), xd.get("cpu_ms_per_update"))))
    print("%-40s %14s %14s %10s" % (
        "  the same per hop (/84)",
        fmt((gd.get("cpu_ms_per_update") or 0) / 84, "ms", 1),
        fmt((xd.get("cpu_ms_per_update") or 0) / 84, "ms", 1), ""))
    print("%-40s %14s %14s %10s" % (
        "cpu per up update, all processes", fmt(gu.get("cpu_ms_per_update")),
        fmt(xu.get("cpu_ms_per_update")),
        ratio(gu.get("cpu_ms_per_update"), xu.get("cpu_ms_per_update"))))
    cl = r.get("govfed_catchup_log") or {}
    if cl:
        print("catch-up, govfed: daemon start -> link up %s, link up -> last "
              "import %s (%s steps)" % (fmt(cl.get("link_up_ms")),
                                        fmt(cl.get("import_after_link_ms")),
                                        cl.get("steps")))
    gc = r.get("git_catchup") or {}
    if gc:
        print("catch-up, git: fetch times %s" % ", ".join(
            "%.0f ms" % x for x in gc.get("all_ms", [])))
    if "putloop_catch" in r:
        p = r["putloop_catch"]
        print("catch-up commits: %d govfed puts at the stopped root took "
              "%.1f s; the other 83 nodes, started, all held them %.1f s "
              "later" % (p["count"], p["s"],
                         r.get("converge_catchup-tree", float("nan"))))
    print("goals: down median <= 100 ms: %s; down >= 10x faster than git: %s;"
          " catch-up <= 0.5x git: %s; bytes <= 1.5x git's thin pack: %s;"
          " township commit -> checkpoint <= 1 s (max): %s" % (
              yes(g(gd, "last", "median"), lambda a: a <= 100),
              yes2(g(gd, "last", "median"), g(xd, "last", "median"),
                   lambda a, b: a * 10 <= b),
              yes2((r.get("govfed_catchup") or {}).get("ms"),
                   (r.get("git_catchup") or {}).get("median_ms"),
                   lambda a, b: a * 2 <= b),
              yes2(gpb.get("mean"), xpb.get("mean"),
                   lambda a, b: a <= 1.5 * b),
              yes(g(gu, "checkpoint", "max"), lambda a: a <= 1000)))
    for k in ("govfed_down", "govfed_up", "git_down", "git_up"):
        d = r.get(k)
        if d:
            print("%-12s load %s -> %s; watcher %s, %s" % (
                k, d["load_before"], d["load_after"], d["watch"],
                d["priority"]))
    if gd.get("baseline"):
        b = gd["baseline"]
        print("govfed idle tree (beacons): %.0f B/s on the wire, %.0f ms/s "
              "cpu over 85 daemons" % (b["bytes_per_s"], b["cpu_ms_per_s"]))


def yes(a, f):
    return "n/a" if a is None else ("met" if f(a) else "MISSED")


def yes2(a, b, f):
    return "n/a" if a is None or b is None else ("met" if f(a, b) else "MISSED")


if __name__ == "__main__":
    cmd = sys.argv[1]
    args = sys.argv[2:]
    rc = globals()["cmd_" + cmd.replace("-", "_")](*args)
    sys.exit(rc or 0)
PY

# ---- helpers -------------------------------------------------------------------
drv() { "$PY" "$DRIVER" "$@"; }

declare -A PORT PARENT LEVEL
NODES=()

# start ID: its daemon in the background, --verbose (the serve lines)
start() {
	"$GOVFED" node run --home "$T/n/$1" --verbose >>"$LOGS/$1.log" 2>&1 &
	echo $! >"$PIDS/$1"
}

head_of() { git --git-dir="$T/n/$1/store.git" rev-parse -q --verify "${2:-refs/heads/main}"; }

loadpeak=0
note_load() {
	local l
	l=$(cut -d' ' -f1 /proc/loadavg)
	if "$PY" -c "import sys; sys.exit(0 if $l > $loadpeak else 1)"; then
		loadpeak=$l
	fi
}

echo "== machine"
echo "cpus        $(nproc) online; $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
echo "git         $(git --version)"
echo "govfed      $GOVFED_SRC ($(stat -c %y "$GOVFED_SRC" | cut -d. -f1))"
echo "work dir    $T"
echo "busiest processes now (others' share the 2 cores):"
top -bn1 -o %CPU 2>/dev/null | sed -n '8,11p' | sed 's/^/    /' || true
drv save machine "$(uname -srm)"
drv save nproc "$(nproc)"
drv save cpu "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
drv save git "$(git --version)"
drv save load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
drv save catchup_n "$CATCHUP"

# ---- the tree ----------------------------------------------------------------------
echo "== setup: 85 nodes"
read -r -a ports <<<"$(drv ports 21)"
pi=0
add() { # add ID LEVEL PARENT LISTENS(0|1)
	NODES+=("$1")
	LEVEL[$1]=$2
	PARENT[$1]=$3
	PORT[$1]=-
	if [ "$4" = 1 ]; then
		PORT[$1]=${ports[$pi]}
		pi=$((pi + 1))
	fi
}
add 350000 province - 1
for c in 1 2 3 4; do
	city=$(printf '35%02d00' "$c")
	add "$city" city 350000 1
	for d in 1 2 3 4; do
		dist=$(printf '35%02d%02d' "$c" "$d")
		add "$dist" district "$city" 1
		for s in 1 2 3 4; do
			add "$(printf '%s%03d' "$dist" "$s")" township "$dist" 0
		done
	done
done
: >"$T/tree.txt"
for n in "${NODES[@]}"; do
	echo "$n ${LEVEL[$n]} ${PARENT[$n]} ${PORT[$n]}" >>"$T/tree.txt"
done

t_setup=$(date +%s%N)
"$GOVFED" init --home "$T/n/350000" --id 350000 --level province --name 福建省 \
	--listen "127.0.0.1:${PORT[350000]}" >/dev/null
ROOTPUB=$T/n/350000/node.pub
for n in "${NODES[@]}"; do
	[ "$n" = 350000 ] && continue
	p=${PARENT[$n]}
	listen=()
	[ "${PORT[$n]}" != - ] && listen=(--listen "127.0.0.1:${PORT[$n]}")
	"$GOVFED" init --home "$T/n/$n" --id "$n" --level "${LEVEL[$n]}" \
		--name "节点$n" --parent "$p" --root-key "$ROOTPUB" \
		--parent-url "127.0.0.1:${PORT[$p]}" "${listen[@]}" >/dev/null
	"$GOVFED" enroll --home "$T/n/$p" --child-pub "$T/n/$n/node.pub" \
		--id "$n" --level "${LEVEL[$n]}" --name "节点$n" >/dev/null
done
# the default, written down: the benchmark is about the defaults
"$PY" - "$T"/n/*/config.json <<'EOF'
import json, sys
for p in sys.argv[1:]:
    c = json.load(open(p))
    c["beacon_ms"] = 1000
    open(p, "w").write(json.dumps(c, indent=2) + "\n")
EOF
echo "  85 homes initialized and enrolled in $((($(date +%s%N) - t_setup) / 1000000)) ms"

# items: the 107 example items, each under a new id (same sizes and areas)
EX=$ROOT/examples/catalog
drv items "$EX" seed 300 0
drv items "$EX" leaf 64 7
drv items "$EX" down "$UPDATES" 11
drv items "$EX" up "$UPDATES" 23
drv items "$EX" catch "$CATCHUP" 31
# the province's store holds hundreds of records; each township one
drv putloop "$T/n/350000" seed 300
i=0
for n in "${NODES[@]}"; do
	[ "${LEVEL[$n]}" = township ] || continue
	"$GOVFED" catalog put --home "$T/n/$n" --file "$T/items/leaf-$i.json" >/dev/null
	i=$((i + 1))
done

echo "== govfed: start 85 daemons"
for n in "${NODES[@]}"; do start "$n"; done
drv converge 300 initial || {
	tail -n 5 "$LOGS/350000.log" "$LOGS/350404004.log" >&2
	exit 1
}
note_load

# ---- the git chain's repos, seeded now with the very same histories -------------
echo "== git chain: 85 bare repos, seeded from the govfed stores"
for n in "${NODES[@]}"; do
	git init -q --bare "$T/g/$n.git"
	{
		printf '[user]\n\tname = %s\n\temail = %s@bench.invalid\n' "$n" "$n"
		printf '\tsigningkey = %s\n[gpg]\n\tformat = ssh\n' "$T/n/$n/node.key"
		# no `gc --auto` after every push: one process less per hop
		printf '[receive]\n\tautogc = false\n'
		if [ -n "${BENCH_GIT_FSYNC:-}" ]; then
			printf '[core]\n\tfsync = %s\n' "$BENCH_GIT_FSYNC"
		fi
	} >>"$T/g/$n.git/config"
	git --git-dir="$T/n/$n/store.git" push -q --no-verify "$T/g/$n.git" \
		'+refs/heads/*:refs/heads/*' '+refs/nodes/*:refs/nodes/*'
done
# the commit a publisher makes: the record's blob, a tree, a signed commit
cat >"$T/gitcommit.sh" <<'EOF'
#!/bin/sh
# gitcommit.sh GITDIR PATH BLOBFILE MSG: one signed commit on main
set -e
export GIT_DIR="$1" GIT_INDEX_FILE="$1/bench-index"
old=$(git rev-parse refs/heads/main)
blob=$(git hash-object -w "$3")
git read-tree "$old"
git update-index --add --cacheinfo "100644,$blob,$2"
tree=$(git write-tree)
new=$(git commit-tree -S -p "$old" -m "$4" "$tree")
git update-ref refs/heads/main "$new" "$old"
EOF
chmod +x "$T/gitcommit.sh"
# post-receive: a received update goes on at once, to every child in
# parallel (an ancestor's history, or the own one) and to the parent (a
# descendant's, or the own one)
for n in "${NODES[@]}"; do
	kids=""
	anc=""
	for c in "${NODES[@]}"; do
		[ "${PARENT[$c]}" = "$n" ] && kids="$kids $T/g/$c.git"
	done
	a=${PARENT[$n]}
	while [ "$a" != - ]; do
		anc="$anc $a"
		a=${PARENT[$a]}
	done
	up=""
	[ "${PARENT[$n]}" != - ] && up=$T/g/${PARENT[$n]}.git
	cat >"$T/g/$n.git/hooks/post-receive" <<EOF
#!/bin/sh
ME=$n
PARENT="$up"
CHILDREN="$kids"
ANCESTORS=" $anc "
EOF
	cat >>"$T/g/$n.git/hooks/post-receive" <<'EOF'
push() { # REPO NEW REF (a repo marked offline is skipped)
	[ -e "$1/offline" ] && return 0
	git push -q --no-verify "$1" "$2:$3" 2>>"$GIT_DIR/push.err"
}
while read -r old new ref; do
	: "$old"
	case "$ref" in
	refs/heads/main) down=refs/nodes/$ME up=refs/nodes/$ME ;;
	refs/nodes/*)
		id=${ref#refs/nodes/}
		case "$ANCESTORS" in
		*" $id "*) down=$ref up= ;;
		*) down= up=$ref ;;
		esac ;;
	*) continue ;;
	esac
	if [ -n "$down" ]; then
		for c in $CHILDREN; do push "$c" "$new" "$down" & done
	fi
	if [ -n "$up" ] && [ -n "$PARENT" ]; then
		push "$PARENT" "$new" "$up" &
	fi
done
wait
EOF
	chmod +x "$T/g/$n.git/hooks/post-receive"
done
echo "  done"

# ---- govfed -------------------------------------------------------------------------
echo "== govfed down: $UPDATES items put at 350000 -> all 64 townships"
drv measure govfed down "$UPDATES"
note_load
echo "== govfed up: $UPDATES items put at townships -> 350000"
drv measure govfed up "$UPDATES"
note_load
echo "== govfed bytes"
drv serve-bytes

LEAF=350404004
LEAFP=${PARENT[$LEAF]}
stop_all() {
	local f
	for f in "$PIDS"/*; do kill -TERM "$(cat "$f")" 2>/dev/null || true; done
	for f in "$PIDS"/*; do stop_pid "$f"; done
}
# The commits are put while the tree is stopped: put one by one into a
# running tree, each is fetched and imported by all 84 other daemons before
# the next (the puts crawl at ~1.4 s each on 2 cores, CPU-bound). Then the
# tree (all but $LEAF) is started and catches up; then $LEAF is started.
echo "== govfed catch-up: tree stopped, $CATCHUP commits put at 350000"
drv converge 60 before-catchup || exit 1
stop_all
H_BEFORE=$(head_of "$LEAF" refs/nodes/350000)
drv putloop "$T/n/350000" catch "$CATCHUP"
H_AFTER=$(head_of 350000)
t0=$(date +%s%N)
for n in "${NODES[@]}"; do
	[ "$n" = "$LEAF" ] || start "$n"
done
CONVERGE_T0=$t0 drv converge 900 catchup-tree "$LEAF" || exit 1
note_load
sleep 2
echo "  start $LEAF ($(git --git-dir="$T/n/350000/store.git" rev-list --count "$H_BEFORE..$H_AFTER") commits behind its parent)"
drv start-wait "$LEAF" refs/nodes/350000 "$H_AFTER" 300 govfed_catchup
drv catchup-log "$LEAF"

echo "== govfed: stop 85 daemons (the git chain runs alone)"
stop_all
sleep 2

# ---- git ------------------------------------------------------------------------------
echo "== git down: $UPDATES commits at 350000 -> all 64 townships (hook push chain)"
drv measure git down "$UPDATES"
note_load
echo "== git up: $UPDATES commits at townships -> 350000"
drv measure git up "$UPDATES"
note_load
echo "== git bytes"
drv git-bytes
# one more root commit, pushed to one city through a byte-counting
# receive-pack: git's whole protocol for one hop
cat >"$T/count.py" <<'EOF'
import os, select, subprocess, sys
p = subprocess.Popen(["git-receive-pack"] + sys.argv[1:],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     env=dict(os.environ, GIT_CONFIG_PARAMETERS=
                              "'core.hookspath'='/dev/null'"))
n = 0
fds = {0: p.stdin.fileno(), p.stdout.fileno(): 1}
while fds:
    r, _, _ = select.select(list(fds), [], [])
    for fd in r:
        b = os.read(fd, 65536)
        if not b:
            if fds[fd] != 1:
                os.close(fds[fd])
            del fds[fd]
            continue
        n += len(b)
        os.write(fds[fd], b)
p.wait()
with open(os.environ["COUNT_OUT"], "w") as f:
    f.write(str(n))
EOF
# a new item (its JSON file as the blob), committed at the root and pushed
# hop by hop down one branch, root -> city -> district -> township, each
# through a byte-counting receive-pack (no hooks): git's whole protocol
# per hop at each level (ref advertisement, commands, thin pack, report)
drv items "$EX" extra 1 57
ITEM_PATH=$("$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); print("catalog/%s/%s.json" % (v["area"], v["id"]))' "$T/items/extra-0.json")
"$T/gitcommit.sh" "$T/g/350000.git" "$ITEM_PATH" "$T/items/extra-0.json" extra
EXTRA=$(git --git-dir="$T/g/350000.git" rev-parse refs/heads/main)
hop_bytes=()
for hop in 350000:350100 350100:350101 350101:350101001; do
	from=${hop%:*}
	to=${hop#*:}
	COUNT_OUT=$T/proto.count git --git-dir="$T/g/$from.git" push -q --no-verify \
		--receive-pack="$PY $T/count.py" "$T/g/$to.git" \
		"$EXTRA:refs/nodes/350000"
	hop_bytes+=("$(cat "$T/proto.count")")
done
echo "  git: one hop, whole protocol: ${hop_bytes[0]} B to a city, ${hop_bytes[1]} B to a district, ${hop_bytes[2]} B to a township"
drv save git_proto_bytes "{\"city\": ${hop_bytes[0]}, \"district\": ${hop_bytes[1]}, \"township\": ${hop_bytes[2]}, \"tree\": $((4 * hop_bytes[0] + 16 * hop_bytes[1] + 64 * hop_bytes[2]))}"

echo "== git catch-up: $LEAF fetches the same $CATCHUP commits from $LEAFP"
# the township holds the province's history as govfed's township did
# before; its parent as govfed's parent did after (the very same commits)
G=$T/g
git --git-dir="$T/n/350000/store.git" push -q --no-verify -f \
	--receive-pack="git -c core.hooksPath=/dev/null receive-pack" \
	"$G/$LEAFP.git" "$H_AFTER:refs/nodes/350000"
git --git-dir="$T/n/350000/store.git" push -q --no-verify -f \
	--receive-pack="git -c core.hooksPath=/dev/null receive-pack" \
	"$G/$LEAF.git" "$H_BEFORE:refs/nodes/350000"
git --git-dir="$G/$LEAF.git" gc -q --prune=now 2>/dev/null || true
git_ms=()
for k in 1 2 3; do
	cp -a "$G/$LEAF.git" "$G/catchup-$k.git"
	sync
	t0=$(date +%s%N)
	git --git-dir="$G/catchup-$k.git" fetch -q --no-auto-gc "$G/$LEAFP.git" \
		refs/nodes/350000:refs/nodes/350000
	t1=$(date +%s%N)
	[ "$(git --git-dir="$G/catchup-$k.git" rev-parse refs/nodes/350000)" = "$H_AFTER" ] ||
		echo "  git catch-up $k: wrong head" >&2
	git_ms+=("$(((t1 - t0) / 1000000))")
	rm -rf "$G/catchup-$k.git"
done
echo "  git fetch of $CATCHUP commits: ${git_ms[*]} ms"
drv save git_catchup "$("$PY" -c 'import json,statistics,sys; x=[int(a) for a in sys.argv[1:]]; print(json.dumps({"all_ms": x, "median_ms": statistics.median(x)}))' "${git_ms[@]}")"

note_load
drv save load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
drv save load_peak "$loadpeak (1-min, sampled between phases)"
drv summary
if [ -s "$T/bad_exits" ]; then
	echo "daemons that did not stop cleanly:"
	sed 's/^/  /' "$T/bad_exits"
fi
