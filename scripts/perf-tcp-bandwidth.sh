#!/bin/sh
# The tcp provider's bandwidth against its baseline, a plain Java socket stream, as
# docs/provider-tcp.md records it: PAIRS alternating runs of each (two processes on loopback,
# manual progress), then the medians and their ratio. Single runs on a shared 2-core machine swing
# by a factor of two, so only the medians of many pairs are comparable.
#
#   scripts/perf-tcp-bandwidth.sh [SIZE] [PAIRS] [ITERATIONS] [manual|auto] [block|spin]
#   defaults: 64K 20 20000 manual block
#
# manual: both sides in progress=manual (polling drives the provider; its fastest mode).
# auto:   the default progress=auto (the provider's reader threads serve the target side).
# block:  where a side only waits (the server between requests, the client with a full window) it
#         waits in CompletionQueue.await (weft perf --wait block), as the socket baseline waits in
#         its blocking read and write. In manual progress await keeps polling and sleeps 20 µs
#         between empty sweeps.
# spin:   both sides spin on poll (weft perf --wait spin), as perftest does on hardware.
#
# WEFT_PERF_PIN=yes (where taskset exists and there are two CPUs or more): servers on
# CPU 1, clients on CPU 0, for the baseline and Weft alike, as network benchmarks are usually run;
# unpinned processes and their threads migrate between the two cores and the runs swing more.
# WEFT_PERF_PIN=no (the default) runs them where the scheduler puts them.
#
# Prints the median of each side and the median of the per-pair ratios (robust when the machine's
# speed drifts during the batch).
#
# Starts its own servers on free loopback ports and stops them (and only them) at the end.
set -eu
cd "$(dirname "$0")/.."
size=${1:-64K}
pairs=${2:-20}
iterations=${3:-20000}
progress=${4:-manual}
wait=${5:-block}
case "$progress" in
  manual) params='?progress=manual' ;;
  auto) params='' ;;
  *) echo "progress must be manual or auto, not $progress" >&2; exit 2 ;;
esac
case "$wait" in
  block|spin) ;;
  *) echo "the wait must be block or spin, not $wait" >&2; exit 2 ;;
esac
pin=${WEFT_PERF_PIN:-no}
server_cpu=""
client_cpu=""
if [ "$pin" = yes ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu="taskset -c 1"
  client_cpu="taskset -c 0"
elif [ "$pin" != no ] && [ "$pin" != yes ]; then
  echo "WEFT_PERF_PIN must be yes or no, not $pin" >&2; exit 2
fi
export WEFT_NO_BUILD=${WEFT_NO_BUILD:-}
[ -n "$WEFT_NO_BUILD" ] || ./mvnw -B -q install -DskipTests >/dev/null
export WEFT_NO_BUILD=1

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
socket_port=$(free_port)
tcp_port=$(free_port)
$server_cpu ./weft perf socket-server --port "$socket_port" >/dev/null 2>&1 &
socket_server=$!
$server_cpu ./weft perf server --uri "tcp://127.0.0.1:$tcp_port$params" --wait "$wait" >/dev/null 2>&1 &
tcp_server=$!
trap 'kill $socket_server $tcp_server 2>/dev/null; wait $socket_server $tcp_server 2>/dev/null || true' EXIT
sleep 4

results=$(mktemp)
i=0
while [ "$i" -lt "$pairs" ]; do
  s=$($client_cpu ./weft perf socket-client --port "$socket_port" --size "$size" --iterations "$iterations" --warmup 5000 --bandwidth --json \
      | sed -n 's/.*"mb_per_s":\([0-9.]*\).*/\1/p')
  t=$($client_cpu ./weft perf client --uri "tcp://127.0.0.1:$tcp_port$params" --op write --size "$size" --iterations "$iterations" \
      --warmup 5000 --bandwidth --wait "$wait" --json | sed -n 's/.*"mb_per_s":\([0-9.]*\).*/\1/p')
  echo "pair $((i + 1)): socket stream $s MB/s, tcp write $t MB/s"
  echo "$s $t" >>"$results"
  i=$((i + 1))
done
median() { # column
  awk -v c="$1" '{print $c}' "$results" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
awk '{print $2 / $1}' "$results" >"$results.ratio"
mr=$(sort -n "$results.ratio" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
ms=$(median 1)
mt=$(median 2)
placement=$([ -n "$client_cpu" ] && echo "pinned" || echo "unpinned")
awk -v s="$ms" -v t="$mt" -v r="$mr" -v n="$pairs" -v z="$size" -v p="$progress" -v w="$wait" -v c="$placement" \
  'BEGIN {printf "%s, %s progress, wait %s, %s, %d pairs: median socket stream %.0f MB/s, median tcp write %.0f MB/s, ratio of medians %.1f %%, median of pair ratios %.1f %%\n", z, p, w, c, n, s, t, 100 * t / s, 100 * r}'
rm -f "$results" "$results.ratio"
