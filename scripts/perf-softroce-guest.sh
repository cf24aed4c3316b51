#!/bin/sh
# Runs inside the testbed (see scripts/perf-softroce.sh): Weft's `weft perf` over verbs on one
# soft device and perftest's ib_write_lat / ib_read_lat / ib_write_bw on the same device, in the
# same VM run, so the figures can be compared. Prints one table row per measurement.
# WEFT_PERF_DEVICE=rxe0 (default, Soft-RoCE) or siw0 (Soft-iWARP: perftest through rdma_cm, -R;
# no atomics).
set -u
cd "$(dirname "$0")/.."
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
# The guest CPU is emulated (TCG): the JIT needs many more warm-up rounds than on hardware.
warmup=${WEFT_PERF_WARMUP:-30000}
# Server on CPU 0, client on CPU 1, for weft and perftest alike (as perftest's documentation
# advises). It also keeps each JVM's compiler thread on the CPU that runs the code it compiles:
# multi-threaded TCG sometimes misses code written on one CPU and run on another (a JVM crash).
server_cpu="taskset -c 0"
client_cpu="taskset -c 1"

wait_listen() { # port
  for _ in $(seq 1 100); do
    if ss -ltn 2>/dev/null | grep -q ":$1 " || rdma res show cm_id 2>/dev/null | grep -q "LISTEN.*$1"; then return 0; fi
    sleep 0.1
  done
}

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

$server_cpu ./weft perf server --uri verbs://$addr:7471 --wait $server_wait >/tmp/weft-server.log 2>&1 &
server=$!
sleep 3
for op in write read; do
  $client_cpu ./weft perf client --uri verbs://$addr:7471 --op $op --size 2,64,4096 --iterations "$iters" --warmup "$warmup" --json | sed "s/^/weft /"
done
[ "$device" = rxe0 ] && $client_cpu ./weft perf client --uri verbs://$addr:7471 --op fetch-add --size 8 --iterations "$iters" --warmup "$warmup" --json | sed "s/^/weft /"
$client_cpu ./weft perf client --uri verbs://$addr:7471 --op write --size 65536 --iterations "$iters" --warmup "$warmup" --bandwidth --json | sed "s/^/weft /"
kill $server 2>/dev/null
wait $server 2>/dev/null

for s in 2 64 4096; do perftest ib_write_lat $s; done
for s in 2 64 4096; do perftest ib_read_lat $s; done
perftest ib_write_bw 65536

# A guest JVM that crashed leaves its report in the working directory (the guest's overlay).
for f in hs_err_pid*.log; do
  [ -f "$f" ] && { echo "== $f"; sed -n 1,40p "$f"; }
done
exit 0
