#!/bin/sh
# How often the client's CPU switches to ksoftirqd and back per 8-byte RDMA read, for Weft and for ib_read_lat, with no
# plugin or tracer slowing the guest: boots the testbed (rxe) and runs scripts/perf-softroce-switches-guest.sh, which
# reads the client thread's involuntary context switches and ksoftirqd/1's voluntary ones (/proc/PID/sched) and the
# reads (rxe's packet counter, two packets per read) over WEFT_SWITCHES_WINDOWS (default 4) windows of
# WEFT_SWITCHES_SECONDS (default 20), from WEFT_SWITCHES_DELAY (default 60) seconds after the weft client's start (C2
# has compiled its loop by then) and 5 s after perftest's. WEFT_SWITCHES_TRACE=1 also records 1 s of ib_read_lat with
# ftrace (wake-ups of ksoftirqd, context switches, softirq runs and write() entries, one per read) and reports the
# reads that went without a switch (docs/provider-softroce.md, "Why the client switches"). Needs python3, perftest and
# the packages of `./weft testbed info`; results stay in provider-softroce/target/switches/.
set -eu
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
need_commands perf-softroce-switches.sh "python3 perftest" python3 ib_read_lat
need_seconds WEFT_SWITCHES_DELAY "${WEFT_SWITCHES_DELAY:-60}"
need_seconds WEFT_SWITCHES_SECONDS "${WEFT_SWITCHES_SECONDS:-20}"
case "${WEFT_SWITCHES_WINDOWS:-4}" in
  ''|*[!0-9]*|0) echo "WEFT_SWITCHES_WINDOWS: a number of counting windows (1 or more), not '$WEFT_SWITCHES_WINDOWS'" >&2; exit 2 ;;
esac
case "${WEFT_SWITCHES_TRACE:-0}" in
  0|1) ;;
  *) echo "WEFT_SWITCHES_TRACE: 1 to trace 1 s of ib_read_lat too, or 0 (default), not '$WEFT_SWITCHES_TRACE'" >&2; exit 2 ;;
esac
./weft testbed info >/dev/null
run=$PWD/provider-softroce/target/switches/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
# Both sides spin on their own CPU: multi-threaded TCG, as scripts/perf-softroce.sh.
WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 ./weft testbed exec --device rxe --timeout 1800 --share "$run" -- \
  env WEFT_SWITCHES_DELAY="${WEFT_SWITCHES_DELAY:-60}" WEFT_SWITCHES_SECONDS="${WEFT_SWITCHES_SECONDS:-20}" \
  WEFT_SWITCHES_WINDOWS="${WEFT_SWITCHES_WINDOWS:-4}" WEFT_SWITCHES_TRACE="${WEFT_SWITCHES_TRACE:-0}" \
  sh scripts/perf-softroce-switches-guest.sh
python3 scripts/perf-softroce-switches-report.py "$run"
