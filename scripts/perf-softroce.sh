#!/bin/sh
# Reproduces the Soft-RoCE performance table of docs/provider-softroce.md: boots the testbed VM
# once and runs scripts/perf-softroce-guest.sh inside it (weft perf over verbs on rxe0, then
# perftest on the same device). Needs the packages of `./weft testbed info` plus perftest.
set -eu
cd "$(dirname "$0")/.."
./weft testbed info >/dev/null
# Both sides spin on their own CPU: run the guest CPUs on two host threads (multi-threaded TCG).
# Rarely, a guest JVM dies in freshly compiled code in this mode; the guest script then prints
# the crash report, and a second run is the remedy.
WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 ./weft testbed exec --timeout 900 -- sh scripts/perf-softroce-guest.sh
