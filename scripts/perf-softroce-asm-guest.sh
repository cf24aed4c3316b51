#!/bin/sh
# Runs inside the testbed guest (started by scripts/perf-softroce-asm.sh): ReadFloorMain's Weft loop alone for a few
# seconds, pinned to CPU 1, with the C2 code of the read path's methods printed. Writes the machine code, then for
# each method the instructions from its verified entry to its first return (the path C2 lays out first: the path a
# read takes, with any slow path C2 placed before the return).
set -u
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
find_jdk || exit 1
methods="dev.weft.provider.verbs.internal.VerbsEndpoint::rma dev.weft.provider.verbs.internal.VerbsEndpoint::postSendLocked"
methods="$methods dev.weft.provider.verbs.internal.VerbsCompletionQueue::drain"
print=""
for m in $methods; do
  print="$print -XX:CompileCommand=print,$m"
done
log=/tmp/weft-asm.log
# shellcheck disable=SC2086 # $print is a list of options
LD_LIBRARY_PATH="$(pwd)/provider-softroce/target/hsdis" taskset -c 1 "$jdk/bin/java" --enable-native-access=ALL-UNNAMED \
  -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=quiet $print -cp "$floor_cp" dev.weft.provider.softroce.perf.ReadFloorMain \
  profile=weft 5 10000 100000 > "$log" 2>&1
rc=$?
awk '/C2-compiled nmethod/ {p = 1} /C1-compiled nmethod/ {p = 0} p' "$log"
grep '^ReadFloorMain' "$log"
echo "== C2 code of the read path (instructions from the verified entry to the first return; those with a memory operand; locked)"
for m in $methods; do
  awk -v m="$m" '
    index($0, "Compiled method (c2)") && index($0, m " ") {p = 1; q = 0; n = 0; mem = 0; lk = 0; size = ""; next}
    p && /main code/ {size = $NF}
    p && /Verified Entry Point/ {q = 1; next}
    p && q && /^  0x[0-9a-f]+:  / {
      n++; if (index($0, "(")) mem++; if (index($0, "lock ")) lk++
      if (index($0, "retq")) {printf "%-70s %4d instructions, %4d with memory, %d locked; code %s bytes\n", m, n, mem, lk, size; p = 0}
    }' "$log" | tail -1
done
[ $rc -eq 0 ] || { echo "java exited with $rc; its output:"; tail -40 "$log"; }
exit $rc
