#!/bin/sh
# Runs inside the testbed (see scripts/perf-softroce.sh): Weft's `weft perf` over verbs on one
# soft device and perftest's ib_write_lat / ib_read_lat / ib_write_bw on the same device, in the
# same VM run, so the figures can be compared. Prints one table row per measurement.
# WEFT_PERF_DEVICE=rxe0 (default, Soft-RoCE) or siw0 (Soft-iWARP: perftest through rdma_cm, -R;
# no atomics).
set -u
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
export WEFT_NO_BUILD=1
device=${WEFT_PERF_DEVICE:-rxe0}
# server_wait: how the weft server waits where it only waits (reads, atomics, bandwidth), as
# perftest's server does in the same mode: with its TCP exchange (rxe0) it sleeps in a socket read
# (no CPU time, checked in /proc/PID/stat during ib_read_lat); through rdma_cm (-R, siw0) it uses
# about 70 % of its CPU during ib_read_lat, so its CPU never idles.
case "$device" in
  rxe0) addr=192.0.2.1; cm="-x 1"; server_wait=block ;;
  siw0) addr=203.0.113.1; cm="-R"; server_wait=spin ;;
  *) echo "WEFT_PERF_DEVICE must be rxe0 or siw0, not $device" >&2; exit 2 ;;
esac
iters=${WEFT_PERF_ITERATIONS:-10000}
# Latency sizes, comma-separated: 8 B is the size the verbs issue's latency target names, 2 B is
# perftest's default. weft perf runs them in one client JVM in this order.
sizes=${WEFT_PERF_SIZES:-8,2,64,4096}
# The guest CPU is emulated (TCG) and each JVM is pinned to one CPU, which its compiler threads
# share: C2 finished the post and poll paths only 5-6 s into a write ping-pong (-XX:+PrintCompilation),
# so a shorter warm-up measures partly C1 code. 300,000 rounds take 7-10 s.
warmup=${WEFT_PERF_WARMUP:-300000}
# Bandwidth: 64 KiB writes take 0.75 ms each here, so fewer rounds warm the same code as long.
bw_warmup=${WEFT_PERF_BW_WARMUP:-10000}
# Server on CPU 0, client on CPU 1, for weft and perftest alike (as perftest's documentation
# advises). It also keeps each JVM's compiler thread on the CPU that runs the code it compiles:
# multi-threaded TCG sometimes misses code written on one CPU and run on another (a JVM crash).
server_cpu="taskset -c 0"
client_cpu="taskset -c 1"

perftest() { # tool size extra...
  tool=$1; size=$2; shift 2
  $server_cpu $tool -d "$device" $cm -s "$size" -n "$iters" "$@" >/tmp/srv.log 2>&1 &
  srv=$!
  wait_listen 18515 # perftest's default port (its TCP exchange, or rdma_cm with -R)
  out=$($client_cpu $tool -d "$device" $cm -s "$size" -n "$iters" "$@" $addr 2>&1)
  wait $srv
  echo "$out" | awk -v t="$tool" -v s="$size" '
    /^ *[0-9]+ +[0-9]+ / { if (t ~ /_bw/) printf "perftest %-12s %8s B  %10s MB/s\n", t, s, $4*1.048576; else printf "perftest %-12s %8s B  typical %8s us  p99 %8s us\n", t, s, $5, $8 }'
}

# A fresh weft server for every client run, so that runs (and rounds) are independent: a server JVM
# kept across runs deoptimizes its data path at the end of each run (the control messages take
# branches the measured loop never took) and recompiles it with that profile.
server=
start_server() {
  $server_cpu ./weft perf server --uri verbs://$addr:7471 --wait $server_wait >/tmp/weft-server.log 2>&1 &
  server=$!
  wait_listen 7471
}
# Ends the server start_server started, once: a later call finds no server and signals no process (its id may
# belong to another process by then).
stop_server() {
  [ -n "$server" ] || return 0
  kill $server 2>/dev/null
  wait $server 2>/dev/null
  server=
}

# WEFT_PERF_PAIRS=N: instead of the table, N alternating rounds of weft and perftest at 8 B (write,
# then read), each round a weft measurement after its warm-up and a fresh perftest pair, printing
# each round's ratio and at the end the median of the round ratios per operation. The testbed's
# speed drifts by 10-20 % between VM runs and within one, more than the 10 % this compares;
# rounds seconds apart see nearly the same machine. Some runs of either tool land on a slow level,
# 1.5-2x its usual figure (the emulator or the host, not the tool: perftest has it too), which
# makes that round's ratio meaningless: a round where either tool's figure exceeds 1.3x that
# tool's median over all rounds is marked "disturbed" and left out of the headline median (the
# median of all rounds is printed beside it), which is given with its distribution-free 95 %
# interval (the order statistics whose binomial tails hold at most 2.5 % each; with WEFT_PERF_PASSES
# above 1 also over one value per client JVM, since a JVM's rounds share its phases). Because either tool
# lands on any level, a second figure compares the tools on the same level: each tool's rounds
# within 1.3x of its own fastest round (its fastest level), their median per tool, and the ratio
# of those medians, with how many rounds each had there. WEFT_PERF_OPS="read" (or "write") runs
# one operation's rounds only.
# WEFT_PERF_PASSES=P (default 1): each weft client JVM measures P rounds, one pass each (each
# with the full warm-up), and perftest runs after each pass while both weft processes are stopped
# (SIGSTOP; a stopped JVM uses no CPU). A round then takes one pass and one perftest pair instead
# of two JVM starts besides, and one JVM's rounds show how its figure moves through the testbed's
# phases (docs/provider-softroce.md, "Rounds from one JVM"). Each client first makes one pass that
# is not counted; a stop lands in the next pass's control exchange or warm-up, never in its
# measured iterations. With P=1 each round is a fresh client and server JVM, and perftest runs
# after they exited.
pairs=${WEFT_PERF_PAIRS:-0}
passes=${WEFT_PERF_PASSES:-1}
if [ "$pairs" -gt 0 ]; then
  for op in ${WEFT_PERF_OPS:-write read}; do
    : >/tmp/rounds.$op
    r=0
    jvm=0
    while [ $r -lt "$pairs" ]; do
      n=$((pairs - r))
      [ $n -gt "$passes" ] && n=$passes
      sizes=8
      [ "$passes" -gt 1 ] && for _ in $(seq 1 $n); do sizes="$sizes,8"; done
      before=$r
      jvm=$((jvm + 1))
      start_server
      rm -f /tmp/weft-passes; mkfifo /tmp/weft-passes
      $client_cpu ./weft perf client --uri verbs://$addr:7471 --op $op --size "$sizes" --iterations "$iters" --warmup "$warmup" \
        --json >/tmp/weft-passes &
      client=$!
      k=0
      while read -r line; do
        w=$(echo "$line" | sed -n 's/.*"p50_us":\([0-9.]*\).*/\1/p')
        [ -n "$w" ] || continue
        k=$((k + 1))
        [ "$passes" -gt 1 ] && [ $k -eq 1 ] && continue # the uncounted first pass
        r=$((r + 1))
        if [ "$passes" -gt 1 ]; then kill -STOP $client $server; else wait $client; stop_server; fi
        p=$(perftest ib_${op}_lat 8 | awk '{print $6}')
        [ "$passes" -gt 1 ] && kill -CONT $server $client
        [ -n "$p" ] || { echo "round $r: ib_${op}_lat printed no result (/tmp/srv.log: $(tail -1 /tmp/srv.log))"; exit 1; }
        echo "$w $p" | awk -v op=$op -v r=$r '{ printf "round %d %-5s 8 B  weft p50 %7.2f us  perftest typical %7.2f us  ratio %.3f\n", r, op, $1, $2, $1/$2 }'
        echo "$w $p $jvm" >>/tmp/rounds.$op
      done </tmp/weft-passes
      wait $client 2>/dev/null
      stop_server
      [ $r -gt "$before" ] || { echo "the weft client measured no round; its server said: $(tail -3 /tmp/weft-server.log)"; exit 1; }
    done
    awk -v op=$op -v passes="$passes" '
      function sort(b, n,   i, j, t) { for (i = 2; i <= n; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j+1] = b[j]; b[j+1] = t } }
      function median(a, n,   i, b) { for (i = 1; i <= n; i++) b[i] = a[i]; sort(b, n)
        return n % 2 ? b[(n+1)/2] : (b[n/2] + b[n/2+1]) / 2 }
      { w[NR] = $1; p[NR] = $2; all[NR] = $1 / $2; jvm[NR] = $3 }
      END { mw = median(w, NR); mp = median(p, NR); k = 0; lo = 1e9; hi = 0
        for (i = 1; i <= NR; i++) {
          if (w[i] > 1.3 * mw || p[i] > 1.3 * mp) { printf "%s round %d disturbed (weft %.2f us, median %.2f; perftest %.2f us, median %.2f)\n", op, i, w[i], mw, p[i], mp; continue }
          calm[i] = 1; kept[++k] = all[i]; if (all[i] < lo) lo = all[i]; if (all[i] > hi) hi = all[i] }
        if (k == 0) { printf "%s 8 B: every round disturbed; median of all %d round ratios %.3f\n", op, NR, median(all, NR); exit }
        printf "%s 8 B: median of %d undisturbed round ratios %.3f (lowest %.3f, highest %.3f); of all %d rounds %.3f\n", op, k, median(kept, k), lo, hi, NR, median(all, NR)
        sort(kept, k); j = lower(k) # its 95 % interval, none below 6 rounds
        if (j > 0) printf "%s 8 B: 95 %% interval of that median %.3f to %.3f (ratios %d and %d of %d); %d of %d undisturbed rounds within 1.10\n", op, kept[j], kept[k+1-j], j, k+1-j, k, within(kept, k), k
        if (passes > 1) {
          # rounds of one JVM share its phases: one value per client JVM (the median of its undisturbed rounds)
          # and the same interval over those values
          for (i = 1; i <= NR; i++) if (calm[i]) { g = jvm[i]; if (!(g in cnt)) order[++ng] = g; v[g, ++cnt[g]] = all[i] }
          for (x = 1; x <= ng; x++) { g = order[x]; for (i = 1; i <= cnt[g]; i++) one[i] = v[g, i]; per[x] = median(one, cnt[g]) }
          sort(per, ng); j = lower(ng)
          printf "%s 8 B: one value per client JVM (the median of its undisturbed rounds): median of %d JVMs %.3f", op, ng, median(per, ng)
          if (j > 0) printf ", 95 %% interval %.3f to %.3f; %d of %d JVMs within 1.10", per[j], per[ng+1-j], within(per, ng), ng
          printf "\n"
        }
        fw = w[1]; fp = p[1]
        for (i = 2; i <= NR; i++) { if (w[i] < fw) fw = w[i]; if (p[i] < fp) fp = p[i] }
        nw = 0; np = 0
        for (i = 1; i <= NR; i++) { if (w[i] <= 1.3 * fw) lw[++nw] = w[i]; if (p[i] <= 1.3 * fp) lp[++np] = p[i] }
        printf "%s 8 B: fastest level (each tool'"'"'s rounds within 1.3x of its fastest): weft median %.2f us over %d rounds, perftest median %.2f us over %d rounds, ratio %.3f\n", op, median(lw, nw), nw, median(lp, np), np, median(lw, nw) / median(lp, np) }
      function within(a, n,   i, c) { c = 0; for (i = 1; i <= n; i++) if (a[i] <= 1.10) c++; return c }
      # the largest j with P(Binomial(n, 1/2) < j) <= 0.025: the j-th smallest and j-th largest of n values bound a
      # distribution-free 95 % interval of their median (0 below 6 values)
      function lower(n,   c, pr, i, j) { c = 0; pr = 0.5 ^ n; j = 0
        for (i = 0; i < n; i++) { if (c + pr > 0.025) break; c += pr; pr = pr * (n - i) / (i + 1); j = i + 1 }
        return j }' /tmp/rounds.$op
  done
  exit 0
fi

for op in write read; do
  start_server
  $client_cpu ./weft perf client --uri verbs://$addr:7471 --op $op --size "$sizes" --iterations "$iters" --warmup "$warmup" --json | sed "s/^/weft /"
  stop_server
done
if [ "$device" = rxe0 ]; then
  start_server
  $client_cpu ./weft perf client --uri verbs://$addr:7471 --op fetch-add --size 8 --iterations "$iters" --warmup "$warmup" --json | sed "s/^/weft /"
  stop_server
fi
start_server
$client_cpu ./weft perf client --uri verbs://$addr:7471 --op write --size 65536 --iterations "$iters" --warmup "$bw_warmup" --bandwidth --json | sed "s/^/weft /"
stop_server

for s in $(echo "$sizes" | tr ',' '\n' | sort -nu); do perftest ib_write_lat "$s"; done
for s in $(echo "$sizes" | tr ',' '\n' | sort -nu); do perftest ib_read_lat "$s"; done
perftest ib_write_bw 65536

# A guest JVM that crashed leaves its report in the working directory (the guest's overlay).
for f in hs_err_pid*.log; do
  [ -f "$f" ] && { echo "== $f"; sed -n 1,40p "$f"; }
done
exit 0
