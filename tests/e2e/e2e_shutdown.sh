#!/usr/bin/env bash
# e2e_shutdown.sh — daemons stopped with SIGTERM at random moments, over
# and over, while the province keeps publishing: on connect, during a
# summary, in the middle of an import or of serving a fetch. Every stop
# must exit 0 with nothing from the sanitizers or glibc in its log, every
# store must pass git fsck and govfed verify, and in the end everyone
# still converges.
#
# A daemon with a parent once freed, at shutdown, a reply message it had
# already freed ("free(): corrupted unsorted chunks" in the 85-daemon
# benchmark). nng is not instrumented, so ASan cannot see that; when
# valgrind is here and the binary is not built with the sanitizers, one
# city also runs its stops under valgrind, which does.
#
# GOVFED_SHUTDOWN_SECONDS (default 20) bounds the stress; GOVFED_SHUTDOWN_SEED
# replays a run (the seed is printed); GOVFED_SHUTDOWN_VALGRIND=0 leaves
# valgrind out.
source "$(dirname "$0")/lib.sh"

SECONDS_MAX=${GOVFED_SHUTDOWN_SECONDS:-20}
SEED=${GOVFED_SHUTDOWN_SEED:-$$}
RANDOM=$SEED
echo "  seed $SEED, ${SECONDS_MAX} s of stops"

# nng 1.5.2 loses what a peer's connection holds when that connection
# closes in the middle of an exchange, which this test does all the time:
# pub0_pipe_close and rep0_pipe_close close the pipe's send aio before they
# take the socket's lock, so a publish or a reply in between hands that aio
# a message the transport refuses and nobody frees (seen here with a bare
# nng PUB and nothing of govfed: 400 subscribers dropping, 14 messages
# lost); now and then a whole pipe (ws connection, buffers, the reply it
# carried) is lost too. LeakSanitizer reports those at the exit of the
# daemon whose peer dropped, at random. So here, and only here, what was
# allocated through libnng is excused; every other leak still fails, and
# the gentler e2e tests check nng's objects as well.
printf 'leak:libnng.so\n' >"$T/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp:print_suppressions=0"

# what a clean stop must never print
BAD='AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error|free\(\)|malloc\(\)|double free|corrupted|Aborted|Segmentation|== *Invalid|definitely lost'

# one province, five cities under it, a district under the first city:
# 350100 both serves (its district) and fetches (from the province)
node 350000 province 福建省
CITIES=""
for c in 1 2 3 4 5; do
	node "350${c}00" city "市$c" 350000
	CITIES="$CITIES 350${c}00"
done
node 350102 district 鼓楼区 350100
KIDS="$CITIES 350102"
ALL="350000 $KIDS"
# catch-ups in steps of 3 commits: a daemon stopped while it catches up is
# likely between two steps or inside one
for n in $KIDS; do
	sed -i 's/"stale_ms": 3000/"stale_ms": 3000, "sync_step": 3/' "$T/$n/config.json"
	grep -q '"sync_step": 3' "$T/$n/config.json" || fail "$n: sync_step not set"
done

VG=""
if [ "${GOVFED_SHUTDOWN_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null &&
	! ldd "$GOVFED" | grep -q 'libasan\|libtsan'; then
	VG=350500
fi

declare -A OFF # log size at the last start: a stop checks what came after

# launch ID: start its daemon (the valgrind one under valgrind)
launch() {
	local id=$1
	OFF[$id]=$(stat -c %s "$LOGS/$id.log" 2>/dev/null || echo 0)
	if [ "$id" = "$VG" ]; then
		valgrind -q --error-exitcode=97 --leak-check=no \
			"$GOVFED" node run --home "$T/$id" >>"$LOGS/$id.log" 2>&1 &
		echo $! >"$PIDS/$id"
	else
		start "$id"
	fi
}

# up ID: its daemon, started last by launch, is past its start line (its
# signal handlers are in place: a SIGTERM before them is the default
# death, exit 143, which is not what this test is about)
up() { tail -c +"$((OFF[$1] + 1))" "$LOGS/$1.log" | grep -q " start: "; }

# reap ID: after its SIGTERM, wait (bounded) and check the exit and the log
reap() {
	local id=$1 pid rc
	pid=$(cat "$PIDS/$id")
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	checks=$((checks + 1))
	if kill -0 "$pid" 2>/dev/null; then
		fail "$id (pid $pid) did not stop on SIGTERM within 15 s"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	rm -f "$PIDS/$id"
	checks=$((checks + 1))
	[ "$rc" = 0 ] || fail "$id exited $rc on SIGTERM (round $round)"
	checks=$((checks + 1))
	if tail -c +"$((OFF[$id] + 1))" "$LOGS/$id.log" | grep -Eq "$BAD"; then
		fail "$id: the sanitizers or glibc spoke at its stop (round $round)"
		tail -c +"$((OFF[$id] + 1))" "$LOGS/$id.log" | grep -E -A8 "$BAD" | head -30 >&2
	fi
	[ "$rc" = 0 ] || tail -5 "$LOGS/$id.log" >&2
}

round=0
for n in $ALL; do launch "$n"; done
wait_for 30 "350102 holds its ancestors" head_is "$T/350102" 350100 "$(own_head 350100)"

# the province publishes all along (bounded: it stops at a file, or at 2000)
(
	for i in $(seq -w 1 2000); do
		[ -e "$T/writer.stop" ] && break
		"$GOVFED" catalog put --home "$T/350000" \
			--file "$(item_json "CXGH.20.$i" 城乡规划 "规划$i")" >/dev/null 2>&1
	done
) &
writer=$!
echo "$writer" >"$PIDS/writer"

# each round: up to three daemons (the province among the choices too)
# get SIGTERM at random moments, then restart. Every other round they are
# the ones just restarted, stopped again while they connect, swap
# summaries or catch up on what they missed; otherwise any, most of them
# idle after their imports (as the township of the benchmark was).
# (the valgrind city is slow to start: it is stopped in round 3 and at
# the end only)
kids=($(for n in $KIDS; do [ "$n" = "$VG" ] || echo "$n"; done))
deadline=$(($(date +%s) + SECONDS_MAX))
stops=0
victims=""
while [ "$(date +%s)" -lt "$deadline" ] && [ "$round" -lt 200 ]; do
	round=$((round + 1))
	if [ -z "$victims" ] || [ "$victims" = "$VG" ] || [ $((RANDOM % 2)) = 0 ]; then
		victims=""
		for _ in 1 2 3; do
			if [ $((RANDOM % 6)) = 0 ]; then v=350000; else v=${kids[$((RANDOM % ${#kids[@]}))]}; fi
			case " $victims " in *" $v "*) ;; *) victims="$victims $v" ;; esac
		done
	fi
	[ "$round" = 3 ] && [ -n "$VG" ] && victims="$VG"
	for v in $victims; do wait_for 20 "$v starts" up "$v"; done
	for v in $victims; do
		sleep "0.$(printf '%03d' $((RANDOM % 300)))"
		kill -TERM "$(cat "$PIDS/$v")" 2>/dev/null
	done
	for v in $victims; do
		reap "$v"
		stops=$((stops + 1))
	done
	# a stopped store is whole at once, without any repair (the
	# province's own store is still being written by the publisher);
	# govfed verify on one of them a round, to keep the rounds many
	checked=""
	for v in $victims; do
		[ "$v" = 350000 ] && continue
		g 0 git --git-dir="$T/$v/store.git" fsck --strict --no-dangling
		# (a city stopped before its first import holds no history yet)
		[ -z "$checked" ] && [ -n "$(git --git-dir="$T/$v/store.git" for-each-ref refs/nodes)" ] &&
			checked=$v && g 0 "$GOVFED" verify --store "$T/$v/store.git" --root-key "$ROOTPUB"
	done
	for v in $victims; do launch "$v"; done
done
touch "$T/writer.stop"
wait "$writer"
rm -f "$PIDS/writer"
echo "  $round rounds, $stops stops${VG:+ ($VG under valgrind)}"

# everyone still converges on the province's last head
want=$(own_head 350000)
for n in $KIDS; do
	wait_for 60 "$n catches up with the province" head_is "$T/$n" 350000 "$want"
done
for n in $ALL; do
	kill -TERM "$(cat "$PIDS/$n")" 2>/dev/null
done
round=final
for n in $ALL; do reap "$n"; done
for n in $ALL; do intact "$n"; done
[ "$fails" = 0 ] || show_logs 8
finish
