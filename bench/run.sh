#!/usr/bin/env bash
# run.sh — build and run the govfed benchmarks, then print a summary.
#
# The benchmarks print figures; they are not pass/fail tests. Each works in
# its own mkdtemp directory under /tmp and removes it when done (set
# GOVFED_BENCH_KEEP=1 to keep it for looking into).
#
# usage: bench/run.sh [--quick] [-n N] [--git-n N] [--git-sample N] [--sync]
#                     [--feed]
#   -n N            commits for both benchmarks (default 2000)
#   --git-n N       stock-git commits in bench_commit (default 200)
#   --git-sample N  time git verify-commit on N commits and extrapolate
#                   (default: all of them, about 30-60 s)
#   --quick         -n 300 --git-n 30 --git-sample 100: a smoke run (and
#                   bench_sync.sh --quick with --sync, bench_feed.sh --quick
#                   with --feed)
#   --sync          also bench_sync.sh: sync latency, bytes and catch-up on
#                   an 85-node tree of daemons against a stock-git chain
#                   (10-20 min; see its --help)
#   --feed          also bench_feed.sh: the province's HTTP feed served and
#                   pulled into SQLite (100,000 records over 10 histories),
#                   against stock git clone + read of the same store
#                   (6-10 min, --quick under 1 min; see its --help)
# environment:
#   BUILD_DIR       build directory (default <repo>/build); it is configured
#                   with -DGOVFED_BENCH=ON plus $CMAKE_ARGS
#   COMMIT_ARGS, VERIFY_ARGS, SYNC_ARGS, FEED_ARGS   more options for
#                   bench_commit, bench_verify, bench_sync.sh, bench_feed.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
commit_args=()
verify_args=()
sync=0
sync_args=()
feed=0
feed_args=()

while [ $# -gt 0 ]; do
	case "$1" in
	-n)
		commit_args+=(-n "$2")
		verify_args+=(-n "$2")
		shift 2 ;;
	--git-n)
		commit_args+=(--git-n "$2")
		shift 2 ;;
	--git-sample)
		verify_args+=(--git-sample "$2")
		shift 2 ;;
	--quick)
		commit_args+=(-n 300 --git-n 30)
		verify_args+=(-n 300 --git-sample 100)
		sync_args+=(--quick)
		feed_args+=(--quick)
		shift ;;
	--sync)
		sync=1
		shift ;;
	--feed)
		feed=1
		shift ;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "run.sh: unknown option '$1' (see --help)" >&2
		exit 2 ;;
	esac
done
# shellcheck disable=SC2206
commit_args+=(${COMMIT_ARGS:-})
# shellcheck disable=SC2206
verify_args+=(${VERIFY_ARGS:-})
# shellcheck disable=SC2206
sync_args+=(${SYNC_ARGS:-})
# shellcheck disable=SC2206
feed_args+=(${FEED_ARGS:-})

log=$(mktemp /tmp/govfed-bench-log-XXXXXX)
# bench_feed.sh's output apart: the sync summary runs to the end of $log
feedlog=$(mktemp /tmp/govfed-bench-feedlog-XXXXXX)
trap 'rm -f "$log" "$feedlog"' EXIT

# shellcheck source=bench/machine.sh
source "$ROOT/bench/machine.sh"
bench_machine
echo "== versions"
echo "git         $(git --version)"
echo "ssh-keygen  $(ssh -V 2>&1 || true)"
for lib in libgit2 libsodium jansson; do
	printf '%-11s %s (pkg-config)\n' "$lib" \
		"$(pkg-config --modversion "$lib" 2>/dev/null || echo unknown)"
done

echo "== build ($BUILD_DIR)"
# shellcheck disable=SC2086
cmake -S "$ROOT" -B "$BUILD_DIR" -DGOVFED_BENCH=ON ${CMAKE_ARGS:-} >/dev/null
targets=(bench_commit bench_verify)
if [ "$sync" = 1 ] || [ "$feed" = 1 ]; then
	targets+=(govfed)
fi
cmake --build "$BUILD_DIR" --target "${targets[@]}" -j"$(nproc)" >/dev/null
echo "built ${targets[*]}"

echo "== bench_commit ${commit_args[*]}"
"$BUILD_DIR/bench/bench_commit" "${commit_args[@]}" | tee -a "$log"
echo "== bench_verify ${verify_args[*]}"
"$BUILD_DIR/bench/bench_verify" "${verify_args[@]}" | tee -a "$log"

if [ "$sync" = 1 ]; then
	echo "== bench_sync.sh ${sync_args[*]}"
	GOVFED=$BUILD_DIR/node/govfed "$ROOT/bench/bench_sync.sh" "${sync_args[@]}" |
		tee -a "$log"
fi

if [ "$feed" = 1 ]; then
	echo "== bench_feed.sh ${feed_args[*]}"
	GOVFED=$BUILD_DIR/node/govfed "$ROOT/bench/bench_feed.sh" "${feed_args[@]}" |
		tee -a "$feedlog"
fi

echo "== summary"
grep -E '^(commit|verify|ratio) ' "$log"
if [ "$sync" = 1 ]; then
	sed -n '/^== summary (85 nodes/,$p' "$log" | sed 1d
fi
if [ "$feed" = 1 ]; then
	grep -E '^feed ' "$feedlog"
fi
echo "(load at the end: $(cut -d' ' -f1-3 /proc/loadavg); a shared VM is noisy:"
echo " compare runs, not single figures)"
