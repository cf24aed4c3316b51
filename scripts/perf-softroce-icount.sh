#!/bin/sh
# Counts the guest instructions of an 8-byte RDMA read, for Weft and for ib_read_lat, exactly: boots the testbed (rxe)
# with a QEMU plugin (provider-softroce/src/test/c/qemu_block_counts.c) that counts how often each block of guest code
# runs, lets scripts/perf-softroce-icount-guest.sh run each tool's reads for WEFT_ICOUNT_SECONDS (default 10) with
# snapshots before and after, and prints what the client's CPU executed per read: kernel and user space, user space by
# library and by compiled Java method, the kernel's largest functions and where the two tools differ. A read is one
# call of the kernel's ib_uverbs_post_send (the doorbell) on the client's CPU. Unlike a time, a count does not move
# with the emulator's speed; the plugin slows the guest about 1.5x. WEFT_ICOUNT_FLOOR=1 also counts ReadFloorMain's
# bare-downcall loop and its Weft loop (needs the compiled tests: ./mvnw -B install -DskipTests). Needs gcc, python3,
# perftest and the packages of `./weft testbed info`; results stay in provider-softroce/target/icount/
# (docs/provider-softroce.md, "Instructions per read").
set -eu
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
need_commands perf-softroce-icount.sh "gcc python3 perftest" gcc python3 ib_read_lat
need_seconds WEFT_ICOUNT_DELAY "${WEFT_ICOUNT_DELAY:-90}"
need_seconds WEFT_ICOUNT_SECONDS "${WEFT_ICOUNT_SECONDS:-10}"
case "${WEFT_ICOUNT_FLOOR:-0}" in
  0|1) ;;
  *) echo "WEFT_ICOUNT_FLOOR: 1 to count ReadFloorMain's loops too, or 0 (default), not '$WEFT_ICOUNT_FLOOR'" >&2; exit 2 ;;
esac
./weft testbed info >/dev/null
out=provider-softroce/target/icount
run=$PWD/$out/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out/bin" "$run"
gcc -O2 -Wall -shared -fPIC -fvisibility=hidden -o "$out/libqemu-block-counts.so" provider-softroce/src/test/c/qemu_block_counts.c -lpthread
qemu=$(command -v qemu-system-x86_64)
# The testbed finds QEMU on the PATH: a wrapper first on it loads the plugin.
printf '#!/bin/sh\nexec %s -plugin %s,dir=%s "$@"\n' "$qemu" "$PWD/$out/libqemu-block-counts.so" "$run" > "$out/bin/qemu-system-x86_64"
chmod +x "$out/bin/qemu-system-x86_64"
PATH=$PWD/$out/bin:$PATH WEFT_TESTBED_ACCEL=tcg,thread=multi WEFT_NO_BUILD=1 ./weft testbed exec --device rxe --timeout 900 \
  --share "$run" -- env ${WEFT_ICOUNT_DELAY:+WEFT_ICOUNT_DELAY=$WEFT_ICOUNT_DELAY} ${WEFT_ICOUNT_FLOOR:+WEFT_ICOUNT_FLOOR=$WEFT_ICOUNT_FLOOR} \
  ${WEFT_ICOUNT_SECONDS:+WEFT_ICOUNT_SECONDS=$WEFT_ICOUNT_SECONDS} sh scripts/perf-softroce-icount-guest.sh
python3 scripts/perf-softroce-icount-report.py "$run"
