#!/bin/sh
# Runs inside the testbed guest (started by scripts/perf-softroce-profile.sh): samples both CPUs during an 8-byte write
# ping-pong of `weft perf` over rxe0, then during ib_write_lat's, and prints for each the time per round trip, summed
# over both CPUs, by where it was spent. A round trip is two writes, each posted with one doorbell (a write() system
# call into the rxe driver), so the doorbells counted in the sampled seconds give the round trips.
set -u
cd "$(dirname "$0")/.."
export WEFT_NO_BUILD=1
delay=${WEFT_PROFILE_DELAY:-70}
seconds=${WEFT_PROFILE_SECONDS:-8}
jdk="$(.mvn/find-jdk.sh)" || exit 1
echo -1 > /proc/sys/kernel/perf_event_paranoid
out=/tmp/weft-profile
mkdir -p "$out"

wait_listen() { # port
  for _ in $(seq 1 300); do
    ss -ltn 2>/dev/null | grep -q ":$1 " && return 0
    sleep 0.1
  done
}

sample() { # name: perf record on both CPUs and the doorbells counted over the same seconds
  perf stat -a -x, -e syscalls:sys_enter_write -o "$out/$1.stat" -- sleep "$seconds" &
  stat=$!
  perf record -q -a -e cpu-clock -F 5000 -o "$out/$1.data" -- sleep "$seconds" 2>/dev/null
  wait $stat
}

# Prints the table of one sampled run; $2 tells which samples are the tool's own loop.
report() { # name loop-pattern
  writes=$(awk -F, '/sys_enter_write/ {print $1}' "$out/$1.stat")
  perf report -i "$out/$1.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | awk -v name="$1" -v loop="$2" \
    -v writes="$writes" -v seconds="$seconds" '
    /^#/ || !/%/ {next}
    {
      pct = $1; sub(/%/, "", pct); k = 0
      for (i = 2; i <= NF; i++) if ($i == "[k]" || $i == "[.]") {k = i; break}
      if (!k) next
      dso = $2; for (i = 3; i < k; i++) dso = dso " " $i
      sym = $(k + 1); for (i = k + 2; i <= NF; i++) sym = sym " " $i
      if (dso == "[kernel.kallsyms]") c = (sym ~ /safe_halt|_idle/) ? "idle" : "kernel"
      else if (index(dso " " sym, loop)) c = "the tool'"'"'s loop (weft perf'"'"'s includes the Weft code C2 inlined into it)"
      else if (dso ~ /^\[JIT\]/) c = "Weft and the JDK (compiled Java, downcall stubs)"
      else if (dso ~ /^librxe/) c = "rxe user-space driver (librxe)"
      else if (dso ~ /^libc/) c = "libc (write(), the driver'"'"'s spin locks)"
      else c = "other (" dso ")"
      t[c] += pct
      if (c != "kernel" && c != "idle") { s[dso " " sym] += pct; cls[dso " " sym] = c }
    }
    END {
      trips = writes / 2
      if (trips <= 0) { printf "%s: no doorbells counted; was the ping-pong running?\n", name; exit 1 }
      per = 2 * seconds * 1e6 / trips / 100 # microseconds per round trip, both CPUs, per percent of the samples
      printf "== %s: %d round trips in %d s, %.1f us each on average\n", name, trips, seconds, seconds * 1e6 / trips
      for (c in t) if (t[c] * per >= 0.05) printf "  %8.1f us  %s\n", t[c] * per, c | "sort -rn"
      close("sort -rn")
      # The kernel runs the same path for both tools (two doorbells per round trip and the requester,
      # responder and completer), so its time per round trip follows the speed level the emulator ran at.
      printf "  round trip / kernel time per round trip: %.3f\n", seconds * 1e6 / trips / (t["kernel"] * per)
      printf "  largest outside the kernel:\n"
      for (x in s) if (s[x] * per >= 0.5) printf "  %8.1f us  %s\n", s[x] * per, substr(x, 1, 110) | "sort -rn | head -12"
      close("sort -rn | head -12")
    }'
}

# Weft: a fresh server and client, as in scripts/perf-softroce-guest.sh; the client's iterations bound the run (about
# 5 minutes at most); it is ended after sampling.
taskset -c 0 ./weft perf server --uri verbs://192.0.2.1:7471 --wait spin >/tmp/weft-server.log 2>&1 &
server=$!
wait_listen 7471
taskset -c 1 ./weft perf client --uri verbs://192.0.2.1:7471 --op write --size 8 --iterations 3000000 --warmup 0 \
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

taskset -c 0 ib_write_lat -d rxe0 -x 1 -s 8 -n 2000000 >/tmp/perftest-server.log 2>&1 &
server=$!
wait_listen 18515
taskset -c 1 ib_write_lat -d rxe0 -x 1 -s 8 -n 2000000 192.0.2.1 >/tmp/perftest-client.log 2>&1 &
client=$!
sleep 3
sample perftest
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null

report weft dev.weft.tools.PerfCommand
report perftest ib_write_lat
