#!/bin/sh
# Reproduces the performance tables of docs/provider-softroce.md (rxe0, the default) and of
# docs/provider-verbs.md's iWARP section (`scripts/perf-softroce.sh siw`): boots the testbed VM
# once and runs scripts/perf-softroce-guest.sh inside it (weft perf over verbs on the device,
# then perftest on the same device). Needs the packages of `./weft testbed info` plus perftest.
# WEFT_PERF_PAIRS=N: N rounds alternating weft and perftest at 8 B instead of the table, with the
# median of the round ratios (the testbed's speed drifts between runs by more than 10 %);
# WEFT_PERF_OPS="read" limits the rounds to one operation; WEFT_PERF_PASSES=P makes each weft
# client JVM measure P rounds, with perftest run while the weft processes are stopped between passes
# (a round then costs one pass rather than two JVM starts as well; see scripts/perf-softroce-guest.sh).
# WEFT_PERF_FLOOR=N (rxe only): N rounds of 8 B reads through Weft's API, through the bare downcalls in the same JVM
# and with ib_read_lat, in rotating order (scripts/perf-softroce-floor-guest.sh; needs provider-softroce's compiled tests).
set -eu
cd "$(dirname "$0")/.."
device=${1:-rxe}
case "$device" in
  rxe|siw) ;;
  *) echo "usage: scripts/perf-softroce.sh [rxe|siw]" >&2; exit 2 ;;
esac
for op in ${WEFT_PERF_OPS:-}; do
  case "$op" in
    read|write) ;;
    *) echo "WEFT_PERF_OPS: unknown operation '$op'; use read, write or \"write read\"" >&2; exit 2 ;;
  esac
done
case "${WEFT_PERF_PAIRS:-0}" in
  ''|*[!0-9]*) echo "WEFT_PERF_PAIRS: a number of rounds, not '$WEFT_PERF_PAIRS'" >&2; exit 2 ;;
esac
case "${WEFT_PERF_PASSES:-1}" in
  ''|*[!0-9]*|0) echo "WEFT_PERF_PASSES: a number of measured passes per weft client (1 or more), not '$WEFT_PERF_PASSES'" >&2; exit 2 ;;
esac
if [ -n "${WEFT_PERF_FLOOR:-}" ]; then
  case "$WEFT_PERF_FLOOR" in
    *[!0-9]*|0) echo "WEFT_PERF_FLOOR: a number of rounds (1 or more), not '$WEFT_PERF_FLOOR'" >&2; exit 2 ;;
  esac
  [ "$device" = rxe ] || { echo "WEFT_PERF_FLOOR measures on rxe only" >&2; exit 2; }
  [ -f provider-softroce/target/test-classes/dev/weft/provider/softroce/perf/ReadFloorMain.class ] \
    || { echo "WEFT_PERF_FLOOR needs provider-softroce's compiled tests: ./mvnw -B install -DskipTests" >&2; exit 2; }
fi
./weft testbed info >/dev/null
if [ -n "${WEFT_PERF_FLOOR:-}" ]; then
  WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 exec ./weft testbed exec --device rxe --timeout 1500 -- \
    env WEFT_PERF_FLOOR="$WEFT_PERF_FLOOR" ${WEFT_PERF_ITERATIONS:+WEFT_PERF_ITERATIONS=$WEFT_PERF_ITERATIONS} \
    ${WEFT_PERF_WARMUP:+WEFT_PERF_WARMUP=$WEFT_PERF_WARMUP} sh scripts/perf-softroce-floor-guest.sh
fi
# The VM's time limit: the table takes 10-20 minutes; WEFT_PERF_PAIRS rounds take up to about 2 minutes
# each (one weft client's warm-up and run, one perftest pair) on a host that emulates the guest slowly.
timeout=1500
if [ "${WEFT_PERF_PAIRS:-0}" -gt 0 ]; then
  ops=$(echo ${WEFT_PERF_OPS:-write read} | wc -w)
  timeout=$((600 + WEFT_PERF_PAIRS * ops * 240))
fi
# Both sides spin on their own CPU: run the guest CPUs on two host threads (multi-threaded TCG).
# In this mode a guest JVM whose threads move between CPUs can die in freshly compiled code; the
# guest script pins each process to one CPU, which has avoided it so far. Should it happen, the
# guest script prints the crash report, and a second run is the remedy.
WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 ./weft testbed exec --device "$device" --timeout "$timeout" -- \
  env WEFT_PERF_DEVICE="${device}0" ${WEFT_PERF_ITERATIONS:+WEFT_PERF_ITERATIONS=$WEFT_PERF_ITERATIONS} \
  ${WEFT_PERF_WARMUP:+WEFT_PERF_WARMUP=$WEFT_PERF_WARMUP} ${WEFT_PERF_SIZES:+WEFT_PERF_SIZES=$WEFT_PERF_SIZES} \
  ${WEFT_PERF_PAIRS:+WEFT_PERF_PAIRS=$WEFT_PERF_PAIRS} ${WEFT_PERF_PASSES:+WEFT_PERF_PASSES=$WEFT_PERF_PASSES} \
  ${WEFT_PERF_OPS:+WEFT_PERF_OPS="$WEFT_PERF_OPS"} sh scripts/perf-softroce-guest.sh
