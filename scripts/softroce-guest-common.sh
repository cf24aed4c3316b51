# Sourced (". scripts/softroce-guest-common.sh") from the project root by the scripts that run inside the testbed
# guest: scripts/perf-softroce-guest.sh, -floor-guest.sh, -asm-guest.sh and -profile-guest.sh. It only defines the
# names below and runs nothing.

# wait_listen PORT: returns once something listens on PORT, a TCP socket (perftest's exchange, weft perf's server)
# or an rdma_cm id (perftest -R and weft's servers on siw listen through rdma_cm only), or after 30 s.
wait_listen() {
  for _ in $(seq 1 300); do
    if ss -ltn 2>/dev/null | grep -q ":$1 " || rdma res show cm_id 2>/dev/null | grep -q "LISTEN.*$1"; then return 0; fi
    sleep 0.1
  done
}

# ReadFloorMain (provider-softroce's tests) runs from the host's compiled classes: their class path, and the JDK the
# build found (.mvn/find-jdk.sh prints its home). floor_java sets $java or fails with find-jdk's message.
floor_cp=provider-softroce/target/test-classes:provider-softroce/target/classes:provider-verbs-ffm/target/classes:api/target/classes
floor_java() {
  java="$(.mvn/find-jdk.sh)/bin/java"
}
