# Sourced (". scripts/softroce-guest-common.sh") from the project root by the scripts that run inside the testbed
# guest: scripts/perf-softroce-guest.sh, -floor-guest.sh, -asm-guest.sh, -profile-guest.sh, -icount-guest.sh and
# -switches-guest.sh; need_seconds and need_commands also by the host scripts perf-softroce-profile.sh,
# perf-softroce-icount.sh and perf-softroce-switches.sh. It only defines the names below and runs nothing.

# need_seconds NAME VALUE: exits (code 2) with a message unless VALUE, the setting NAME, is whole seconds, 1 or more.
need_seconds() {
  case "$2" in
    ''|*[!0-9]*|0) echo "$1: a number of seconds (1 or more), not '$2'" >&2; exit 2 ;;
  esac
}

# need_commands SCRIPT PACKAGES COMMAND...: exits (code 2) with a message naming the Debian PACKAGES to install unless
# every COMMAND is on the PATH.
need_commands() {
  need_commands_script=$1
  need_commands_packages=$2
  shift 2
  for need_commands_name in "$@"; do
    command -v "$need_commands_name" >/dev/null || {
      echo "$need_commands_script needs $need_commands_name (apt-get install $need_commands_packages)" >&2
      exit 2
    }
  done
}

# wait_listen PORT: returns once something listens on PORT, a TCP socket (perftest's own exchange) or an rdma_cm id
# (weft perf's verbs server, perftest -R), or after 30 s.
wait_listen() {
  for _ in $(seq 1 300); do
    if ss -ltn 2>/dev/null | grep -q ":$1 " || rdma res show cm_id 2>/dev/null | grep -q "LISTEN.*$1"; then return 0; fi
    sleep 0.1
  done
}

# find_jdk: sets $jdk to the home of the JDK the build uses (.mvn/find-jdk.sh), or fails with find-jdk's message.
find_jdk() {
  jdk="$(.mvn/find-jdk.sh)"
}

# ReadFloorMain (provider-softroce's tests) runs from the host's compiled classes: their class path.
floor_cp=provider-softroce/target/test-classes:provider-softroce/target/classes:provider-verbs-ffm/target/classes:api/target/classes
