#!/bin/sh
# The tcp provider's bandwidth against its baseline, a plain Java socket stream, as
# docs/provider-tcp.md records it: PAIRS alternating runs of each (two processes on loopback,
# manual progress), then the medians and their ratio. Single runs on a shared 2-core machine swing
# by a factor of two, so only the medians of many pairs are comparable.
#
#   scripts/perf-tcp-bandwidth.sh [SIZE] [PAIRS] [ITERATIONS] [manual|auto]   defaults: 64K 20 20000 manual
#
# manual: both sides in progress=manual, spinning on poll (the provider's fastest mode).
# auto:   the default progress=auto, both sides blocking in await where they only wait (--wait block).
#
# Starts its own servers on free loopback ports and stops them (and only them) at the end.
set -eu
cd "$(dirname "$0")/.."
size=${1:-64K}
pairs=${2:-20}
iterations=${3:-20000}
progress=${4:-manual}
case "$progress" in
  manual) params='?progress=manual'; wait=spin ;;
  auto) params=''; wait=block ;;
  *) echo "progress must be manual or auto, not $progress" >&2; exit 2 ;;
esac
export WEFT_NO_BUILD=${WEFT_NO_BUILD:-}
[ -n "$WEFT_NO_BUILD" ] || ./mvnw -B -q install -DskipTests >/dev/null
export WEFT_NO_BUILD=1

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
socket_port=$(free_port)
tcp_port=$(free_port)
./weft perf socket-server --port "$socket_port" >/dev/null 2>&1 &
socket_server=$!
./weft perf server --uri "tcp://127.0.0.1:$tcp_port$params" --wait "$wait" >/dev/null 2>&1 &
tcp_server=$!
trap 'kill $socket_server $tcp_server 2>/dev/null; wait $socket_server $tcp_server 2>/dev/null || true' EXIT
sleep 4

results=$(mktemp)
i=0
while [ "$i" -lt "$pairs" ]; do
  s=$(./weft perf socket-client --port "$socket_port" --size "$size" --iterations "$iterations" --warmup 5000 --bandwidth --json \
      | sed -n 's/.*"mb_per_s":\([0-9.]*\).*/\1/p')
  t=$(./weft perf client --uri "tcp://127.0.0.1:$tcp_port$params" --op write --size "$size" --iterations "$iterations" \
      --warmup 5000 --bandwidth --wait "$wait" --json | sed -n 's/.*"mb_per_s":\([0-9.]*\).*/\1/p')
  echo "pair $((i + 1)): socket stream $s MB/s, tcp write $t MB/s"
  echo "$s $t" >>"$results"
  i=$((i + 1))
done
median() { # column
  awk -v c="$1" '{print $c}' "$results" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ms=$(median 1)
mt=$(median 2)
awk -v s="$ms" -v t="$mt" -v n="$pairs" -v z="$size" -v p="$progress" \
  'BEGIN {printf "%s, %s progress, %d pairs: median socket stream %.0f MB/s, median tcp write %.0f MB/s, ratio %.1f %%\n", z, p, n, s, t, 100 * t / s}'
rm -f "$results"
