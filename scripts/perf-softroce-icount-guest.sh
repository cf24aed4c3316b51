#!/bin/sh
# Runs inside the testbed guest (started by scripts/perf-softroce-icount.sh, with QEMU's block-count plugin loaded):
# 8-byte reads of `weft perf`, then of ib_read_lat, over rxe0, each tool's client on CPU 1 and server on CPU 0 as in
# scripts/perf-softroce-guest.sh. For each tool it asks the plugin for a snapshot of the counts before and after
# WEFT_ICOUNT_SECONDS (default 10) of steady reads, and leaves in the share what the report needs to name the code:
# the client's memory map, the JIT's symbol map (weft) and the kernel's symbols. WEFT_ICOUNT_FLOOR=1 adds the two
# loops of ReadFloorMain (below).
set -u
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
export WEFT_NO_BUILD=1
share=${WEFT_TESTBED_SHARE:?perf-softroce-icount-guest.sh runs from scripts/perf-softroce-icount.sh, which sets WEFT_TESTBED_SHARE}
delay=${WEFT_ICOUNT_DELAY:-90}
seconds=${WEFT_ICOUNT_SECONDS:-10}
find_jdk || exit 1
cp /proc/kallsyms "$share/kallsyms"

# snapshot NAME: the plugin writes counts.N and removes the trigger; NAME is recorded with N's order in order.txt
snapshot() {
  touch "$share/snapshot"
  for _ in $(seq 1 600); do [ -e "$share/snapshot" ] || break; sleep 0.05; done
  [ -e "$share/snapshot" ] && { echo "the QEMU plugin took no snapshot within 30 s: is it loaded?"; exit 1; }
  echo "$1" >> "$share/order.txt"
}

measure() { # TOOL CLIENT_PID CLIENT_LOG
  kill -0 "$2" 2>/dev/null || { echo "the $1 client ended before the counting:"; cat "$3"; exit 1; }
  cat "/proc/$2/maps" > "$share/maps-$1"
  snapshot "$1-start"
  sleep "$seconds"
  snapshot "$1-end"
  echo "$1: counted $seconds s of reads"
}

taskset -c 0 ./weft perf server --uri verbs://192.0.2.1:7471 --wait block >/tmp/weft-server.log 2>&1 &
server=$!
wait_listen 7471
taskset -c 1 ./weft perf client --uri verbs://192.0.2.1:7471 --op read --size 8 --iterations 5000000 --warmup 0 \
  >/tmp/weft-client.log 2>&1 &
client=$!
sleep "$delay"
measure weft $client /tmp/weft-client.log
"$jdk/bin/jcmd" $client Compiler.perfmap >/dev/null && cp /tmp/perf-$client.map "$share/perfmap-weft"
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null

# WEFT_ICOUNT_FLOOR=1: also ReadFloorMain's two loops (provider-softroce's tests; both ends in one JVM on CPU 1), the
# bare downcalls ("bare", the floor of a Java program) and Weft's API without the perf tool ("floor-weft").
if [ "${WEFT_ICOUNT_FLOOR:-0}" = 1 ]; then
  for name in bare floor-weft; do
    loop=${name#floor-} # ReadFloorMain's profile=bare or profile=weft
    taskset -c 1 "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$floor_cp" dev.weft.provider.softroce.perf.ReadFloorMain \
      profile=$loop 60 10000 100000 >/tmp/floor-$loop.log 2>&1 &
    pid=$!
    for _ in $(seq 1 1200); do grep -q profiling /tmp/floor-$loop.log && break; sleep 0.5; done
    grep -q profiling /tmp/floor-$loop.log || { echo "ReadFloorMain profile=$loop did not start:"; cat /tmp/floor-$loop.log; exit 1; }
    sleep 5
    measure $name $pid /tmp/floor-$loop.log
    "$jdk/bin/jcmd" $pid Compiler.perfmap >/dev/null && cp /tmp/perf-$pid.map "$share/perfmap-$name"
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
  done
fi

taskset -c 0 ib_read_lat -d rxe0 -x 1 -s 8 -n 5000000 >/tmp/perftest-server.log 2>&1 &
server=$!
wait_listen 18515
taskset -c 1 ib_read_lat -d rxe0 -x 1 -s 8 -n 5000000 192.0.2.1 >/tmp/perftest-client.log 2>&1 &
client=$!
sleep 5
measure perftest $client /tmp/perftest-client.log
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null

exit 0
