#!/bin/sh
# Runs inside the testbed guest (started by scripts/perf-softroce-profile.sh): samples both CPUs during 8-byte writes
# (a ping-pong) or reads of `weft perf` over rxe0, then during ib_write_lat's or ib_read_lat's, and prints for each the
# time per round trip on each CPU and on both, by where it was spent. A write round trip is two writes and a read round
# trip one read, each posted with one doorbell (a write() system call into the rxe driver), so the doorbells counted
# in the sampled seconds give the round trips.
set -u
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
export WEFT_NO_BUILD=1
delay=${WEFT_PROFILE_DELAY:-70}
seconds=${WEFT_PROFILE_SECONDS:-8}
op=${WEFT_PROFILE_OP:-write}
# How the weft server waits, as in scripts/perf-softroce-guest.sh: a write ping-pong's server spins for the client's
# writes; a read's server only waits, as perftest's sleeps in a socket read.
case "$op" in
  write) doorbells=2; server_wait=spin ;;
  read) doorbells=1; server_wait=block ;;
  *) echo "WEFT_PROFILE_OP must be write or read, not $op" >&2; exit 2 ;;
esac
find_jdk || exit 1
echo -1 > /proc/sys/kernel/perf_event_paranoid
out=/tmp/weft-profile
mkdir -p "$out"

sample() { # name: perf record on both CPUs and the doorbells counted over the same seconds
  perf stat -a -x, -e syscalls:sys_enter_write -o "$out/$1.stat" -- sleep "$seconds" &
  stat=$!
  perf record -q -a -e cpu-clock -F 5000 -o "$out/$1.data" -- sleep "$seconds" 2>/dev/null
  wait $stat
}

# Prints the table of one sampled run: microseconds per round trip on CPU 0 (the server), CPU 1 (the client) and both;
# $2 tells which samples are the tool's own loop. Each CPU's samples are scaled to that CPU's time: the guest loses some
# samples, and more of a CPU that idles (a read's server), so shares of all samples would misstate a busy CPU.
report() { # name loop-pattern
  writes=$(awk -F, '/sys_enter_write/ {print $1}' "$out/$1.stat")
  perf report -i "$out/$1.data" --no-children --sort cpu,dso,sym --stdio -g none 2>/dev/null | awk -v name="$1" -v loop="$2" \
    -v writes="$writes" -v seconds="$seconds" -v doorbells="$doorbells" '
    /^#/ || !/%/ {next}
    {
      pct = $1; sub(/%/, "", pct); cpu = $2 + 0; k = 0
      for (i = 3; i <= NF; i++) if ($i == "[k]" || $i == "[.]") {k = i; break}
      if (!k) next
      dso = $3; for (i = 4; i < k; i++) dso = dso " " $i
      sym = $(k + 1); for (i = k + 2; i <= NF; i++) sym = sym " " $i
      if (dso == "[kernel.kallsyms]") c = (sym ~ /safe_halt|_idle/) ? "idle" : "kernel"
      else if (index(dso " " sym, loop)) c = "the tool'"'"'s loop (weft perf'"'"'s includes the Weft code C2 inlined into it)"
      else if (dso ~ /^\[JIT\]/) c = "Weft and the JDK (compiled Java, downcall stubs)"
      else if (dso ~ /^librxe/) c = "rxe user-space driver (librxe)"
      else if (dso ~ /^libc/) c = "libc (write(), the driver'"'"'s spin locks)"
      else c = "other (" dso ")"
      classes[c] = 1; byCpu[c, cpu] += pct; sum[cpu] += pct
      if (c != "kernel" && c != "idle") { names[dso " " sym] = 1; s[dso " " sym, cpu] += pct }
    }
    END {
      trips = writes / doorbells
      if (trips <= 0) { printf "%s: no doorbells counted; was the benchmark running?\n", name; exit 1 }
      trip = seconds * 1e6 / trips # microseconds
      printf "== %s: %d round trips in %d s, %.1f us each on average; us per round trip on CPU 0 (server), CPU 1 (client), both\n",
        name, trips, seconds, seconds * 1e6 / trips
      for (c in classes) {
        u0 = sum[0] ? byCpu[c, 0] / sum[0] * trip : 0; u1 = sum[1] ? byCpu[c, 1] / sum[1] * trip : 0
        if (u0 + u1 >= 0.05) printf "  %8.1f %8.1f %8.1f  %s\n", u0, u1, u0 + u1, c | "sort -k3 -rn"
      }
      close("sort -k3 -rn")
      printf "  largest outside the kernel (both CPUs):\n"
      for (x in names) {
        u = (sum[0] ? s[x, 0] / sum[0] : 0) + (sum[1] ? s[x, 1] / sum[1] : 0)
        if (u * trip >= 0.5) printf "  %8.1f us  %s\n", u * trip, substr(x, 1, 110) | "sort -rn | head -12"
      }
      close("sort -rn | head -12")
    }'
}

# Weft: a fresh server and client, as in scripts/perf-softroce-guest.sh; the client's iterations bound the run (about
# 5 minutes at most); it is ended after sampling.
taskset -c 0 ./weft perf server --uri verbs://192.0.2.1:7471 --wait $server_wait >/tmp/weft-server.log 2>&1 &
server=$!
wait_listen 7471
taskset -c 1 ./weft perf client --uri verbs://192.0.2.1:7471 --op $op --size 8 --iterations 3000000 --warmup 0 \
  >/tmp/weft-client.log 2>&1 &
client=$!
sleep "$delay"
kill -0 $client 2>/dev/null || { echo "the weft client ended before the sampling:"; cat /tmp/weft-client.log /tmp/weft-server.log; exit 1; }
sample weft
# perf resolves compiled Java code through /tmp/perf-PID.map, written on request by each JVM.
"$jdk/bin/jcmd" $client Compiler.perfmap >/dev/null
"$jdk/bin/jcmd" $server Compiler.perfmap >/dev/null
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null

taskset -c 0 ib_${op}_lat -d rxe0 -x 1 -s 8 -n 2000000 >/tmp/perftest-server.log 2>&1 &
server=$!
wait_listen 18515
taskset -c 1 ib_${op}_lat -d rxe0 -x 1 -s 8 -n 2000000 192.0.2.1 >/tmp/perftest-client.log 2>&1 &
client=$!
sleep 3
sample perftest
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null

report weft dev.weft.tools.PerfCommand
report perftest ib_${op}_lat
