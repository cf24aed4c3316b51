#!/bin/sh
# Runs inside the testbed VM (started by `WEFT_PERF_FLOOR=ROUNDS scripts/perf-softroce.sh`): ReadFloorMain from
# provider-softroce's tests measures 8-byte RDMA reads on rxe0 through Weft's API, through the bare downcalls in the
# same JVM and with ib_read_lat, in rotating order, so that the gap to perftest splits into Weft's own code
# (weft / bare) and what a Java program pays in this testbed (bare / perftest). Needs the host's compiled tests.
set -u
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
find_jdk || exit 1
taskset -c 1 "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$floor_cp" dev.weft.provider.softroce.perf.ReadFloorMain \
  "${WEFT_PERF_FLOOR:-5}" "${WEFT_PERF_ITERATIONS:-10000}" "${WEFT_PERF_WARMUP:-100000}"
rc=$?
for f in hs_err_pid*.log; do
  [ -f "$f" ] && { echo "== $f"; sed -n 1,40p "$f"; }
done
exit $rc
