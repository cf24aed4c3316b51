#!/bin/sh
# Prints the machine code C2 makes of the read path (VerbsEndpoint.rma and postSendLocked, VerbsCompletionQueue.drain)
# in the testbed guest while ReadFloorMain's Weft loop runs, and each method's path length in instructions: the count
# of guest instructions is what an emulated CPU pays for one by one (docs/provider-softroce.md, "The floor of a Java
# program"). Needs Debian's HotSpot disassembler (apt-get install libhsdis0-fcml), gcc and the compiled tests
# (./mvnw -B install -DskipTests); the plugin's entry point is adapted to JDK 25 by provider-softroce/src/test/c/hsdis_shim.c.
set -eu
cd "$(dirname "$0")/.."
[ -f /usr/lib/x86_64-linux-gnu/libhsdis.so.0 ] \
  || { echo "perf-softroce-asm.sh needs Debian's HotSpot disassembler: apt-get install libhsdis0-fcml" >&2; exit 2; }
[ -f provider-softroce/target/test-classes/dev/weft/provider/softroce/perf/ReadFloorMain.class ] \
  || { echo "perf-softroce-asm.sh needs provider-softroce's compiled tests: ./mvnw -B install -DskipTests" >&2; exit 2; }
mkdir -p provider-softroce/target/hsdis
gcc -O2 -Wall -shared -fPIC -o provider-softroce/target/hsdis/hsdis-amd64.so provider-softroce/src/test/c/hsdis_shim.c -ldl
WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 exec ./weft testbed exec --device rxe --timeout 900 -- \
  sh scripts/perf-softroce-asm-guest.sh
