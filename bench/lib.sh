# shellcheck shell=bash
# bench/lib.sh: helpers shared by the bench/*.sh parts; source it, do not run it.
# Stable interface (other parts use it: add functions, do not change these):
#   bench_smoke              true when BENCH_SMOKE=1 (tiny counts, 1 round: the test suite's smoke run)
#   bench_require_root       exit 1 with a message unless root
#   bench_have CMD           true when CMD is on PATH (a missing peer is reported, never fatal)
#   bench_cpu_agent          CPU for the agent or peer tool (0)
#   bench_cpu_load           CPU for the load generator (the last one; 0 on a 1-CPU machine)
#   bench_pin CPU CMD...     exec CMD pinned to CPU (taskset): run it as a background job,
#                            "bench_pin 0 cmd &", and $! is CMD's own pid (or inside "( ... )")
#   bench_wait_for FILE RE [SECS [PID]]  wait until a line of FILE matches the ERE RE; 1 on timeout
#                            (default 30 s) or, when PID is given, as soon as PID has exited
#   bench_wait_epoll PID [SECS]  wait until PID sleeps in epoll_wait: a BPF tool (bpftrace, libbpf-tools)
#                            has attached every probe and reached its event loop; 1 if PID exits first
#   bench_libbpf_tool NAME   path of libbpf-tools' NAME (opensnoop, tcpconnect...), empty when not installed
#   bench_cpu_ticks PID      utime+stime of PID in clock ticks (/proc/PID/stat); "getconf CLK_TCK" a second
#   bench_hwm_kb PID         peak RSS of PID in kB (VmHWM from /proc/PID/status)
#   bench_plus A B           "A (+A-B)": a measurement with what it adds over baseline B
#   bench_ratio A B          A/B to 2 decimals, "-" when B is not a positive number
#   bench_table_head TITLE   print TITLE and the header: what / baseline / aisec-rt / peer / ratio
#   bench_row WHAT BASE AISEC PEER RATIO   one row of that table ("-" for an empty cell)
#   bench_json PART KEY=VALUE...   append {"part":PART,KEY:VALUE,...} to $BENCH_JSON when set;
#                            values that look like numbers are written unquoted, "-", "n/a" or "" as null
#   bench_machine            one line: CPUs, kernel, CPU model, load average
#   bench_check_quiet        warn (stdout, "note: ...") when tracing BPF programs of other tools are
#                            loaded or kernel.bpf_stats_enabled is on: both add to every timing
# Every part prints its table(s) with bench_table_head/bench_row, then notes, then bench_machine.

bench_smoke() { [ "${BENCH_SMOKE:-0}" = 1 ]; }

bench_require_root() {
	[ "$(id -u)" = 0 ] || {
		echo "bench: run as root (the agent and the peers load BPF programs)" >&2
		exit 1
	}
}

bench_have() { command -v "$1" >/dev/null 2>&1; }

bench_cpu_agent() { echo 0; }

bench_cpu_load() { echo $(($(nproc) - 1)); }

# exec: a function run with & is a subshell, and $! must be the tool itself
# (its CPU time and RSS are read from /proc/$!).
bench_pin() {
	local cpu=$1
	shift
	exec taskset -c "$cpu" "$@"
}

bench_wait_for() {
	local file=$1 re=$2 secs=${3:-30} pid=${4:-} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

# The wait channel, not the output: the tools print their header into a
# stdio buffer, and forcing line buffering would add a write(2) per event.
bench_wait_epoll() {
	local pid=$1 secs=${2:-60} i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		case $(cat "/proc/$pid/wchan" 2>/dev/null) in
		do_epoll_wait | ep_poll) return 0 ;;
		esac
		sleep 0.05
	done
	return 1
}

# Debian installs them as /usr/sbin/NAME; other packagings prefix or suffix
# the name (bpf-NAME, NAME-bpfcc...), so the package's file list decides.
bench_libbpf_tool() {
	local f
	if f=$(command -v "$1" 2>/dev/null) && [ -x "$f" ]; then
		echo "$f"
		return
	fi
	dpkg -L libbpf-tools 2>/dev/null | grep -E "/(bpf-|libbpf-)?$1(-bpfcc)?\$" | while read -r f; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f" && break
	done
}

# Fields 14 and 15 of /proc/PID/stat, counted after the ")" closing comm
# (comm may hold spaces).
bench_cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

bench_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

bench_plus() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^-?[0-9.]+$/ || b !~ /^-?[0-9.]+$/) print a; else printf "%s (%+d)\n", a, a - b }'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^-?[0-9.]+$/ || b !~ /^[0-9.]+$/ || b <= 0) print "-"; else printf "%.2f\n", a / b }'
}

bench_table_head() {
	printf '\n%s\n%-44s %12s %18s %24s %8s\n' "$1" what baseline aisec-rt peer ratio
}

bench_row() {
	printf '%-44s %12s %18s %24s %8s\n' "$1" "${2:--}" "${3:--}" "${4:--}" "${5:--}"
}

bench_json() {
	[ -n "${BENCH_JSON:-}" ] || return 0
	local part=$1 kv k v line
	shift
	line="{\"part\":\"$part\""
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
			line+=",\"$k\":$v"
		elif [ "$v" = - ] || [ "$v" = n/a ] || [ -z "$v" ]; then
			line+=",\"$k\":null"
		else
			v=${v//\\/\\\\}
			v=${v//\"/\\\"}
			line+=",\"$k\":\"$v\""
		fi
	done
	echo "$line}" >>"$BENCH_JSON"
}

bench_machine() {
	echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_check_quiet() {
	local n stats
	stats=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
	[ "$stats" = 1 ] && echo "note: kernel.bpf_stats_enabled is on: every BPF program run costs ~20-40 ns more"
	bench_have bpftool || return 0
	n=$(bpftool prog show --json 2>/dev/null | grep -o '"type":"[a-z_]*"' |
		grep -cE '"(tracepoint|raw_tracepoint|tracing|kprobe|perf_event|lsm)"' || true)
	[ "${n:-0}" -gt 0 ] &&
		echo "note: $n tracing BPF programs of other tools are loaded now; their cost is in every number below"
	return 0
}
