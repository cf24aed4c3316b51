#!/bin/sh
# Where an 8-byte RDMA write round trip spends its time, for Weft and for ib_write_lat: boots the testbed (rxe) and runs
# scripts/perf-softroce-profile-guest.sh, which samples both guest CPUs with `perf record -a -e cpu-clock` during a
# `weft perf` write ping-pong and then during ib_write_lat, counts the doorbells (write() calls, one per RDMA op posted)
# in the same seconds, and prints the time per round trip (on each CPU and both) by kernel, each tool's own loop, the
# rest of Weft's compiled code, libc and the rxe user-space driver (docs/provider-softroce.md, "Where a round trip's time
# goes"). Needs the packages of `./weft testbed info`, perftest and linux-perf (the guest runs the host's programs).
# WEFT_PROFILE_DELAY: seconds from the weft client's start to the sampling (default 70: the guest JVM has compiled
# the ping-pong loop with C2 by then on this project's 2-core host); WEFT_PROFILE_SECONDS: seconds sampled (default 8);
# WEFT_PROFILE_OP=read: 8-byte reads and ib_read_lat instead.
set -eu
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
need_commands perf-softroce-profile.sh linux-perf perf
need_commands perf-softroce-profile.sh perftest ib_write_lat
need_seconds WEFT_PROFILE_DELAY "${WEFT_PROFILE_DELAY:-70}"
need_seconds WEFT_PROFILE_SECONDS "${WEFT_PROFILE_SECONDS:-8}"
case "${WEFT_PROFILE_OP:-write}" in
  read|write) ;;
  *) echo "WEFT_PROFILE_OP: write (default) or read, not '$WEFT_PROFILE_OP'" >&2; exit 2 ;;
esac
./weft testbed info >/dev/null
# Both sides spin on their own CPU: multi-threaded TCG, as scripts/perf-softroce.sh.
WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 exec ./weft testbed exec --device rxe --timeout 900 -- \
  env ${WEFT_PROFILE_DELAY:+WEFT_PROFILE_DELAY=$WEFT_PROFILE_DELAY} ${WEFT_PROFILE_SECONDS:+WEFT_PROFILE_SECONDS=$WEFT_PROFILE_SECONDS} \
  ${WEFT_PROFILE_OP:+WEFT_PROFILE_OP=$WEFT_PROFILE_OP} \
  sh scripts/perf-softroce-profile-guest.sh
