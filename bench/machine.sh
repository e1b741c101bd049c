# shellcheck shell=bash
# machine.sh — sourced by the benchmark scripts: bench_machine prints the
# "== machine" block (date, kernel, cpus, load, memory, /tmp's disk).
bench_machine() {
	echo "== machine"
	echo "date        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel      $(uname -srm)"
	echo "cpus        $(nproc) online; $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "load        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
	echo "memory      $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "/tmp        $(df -PT /tmp | awk 'NR == 2 {print $2 " on " $1}')"
}
