#!/bin/sh
# Runs inside the testbed guest (started by scripts/perf-softroce-switches.sh): 8-byte reads of `weft perf`, then of
# ib_read_lat, over rxe0, each tool's client on CPU 1 and server on CPU 0 as in scripts/perf-softroce-guest.sh. Writes
# one line per counting window to windows.txt in the share (tool, then at the window's start and end: time, rxe's
# sent packets, ksoftirqd/1's voluntary switches, the client thread's involuntary switches) and, with
# WEFT_SWITCHES_TRACE=1, ftrace's record of 1 s of ib_read_lat to trace.txt.
set -u
cd "$(dirname "$0")/.."
. scripts/softroce-guest-common.sh
export WEFT_NO_BUILD=1
share=${WEFT_TESTBED_SHARE:?perf-softroce-switches-guest.sh runs from scripts/perf-softroce-switches.sh, which sets WEFT_TESTBED_SHARE}
delay=$WEFT_SWITCHES_DELAY
seconds=$WEFT_SWITCHES_SECONDS
windows=$WEFT_SWITCHES_WINDOWS
# enough reads for the delay and the windows at 50,000 reads a second, faster than either tool runs here
reads=$(( (delay + windows * seconds + 30) * 50000 ))
ksoftirqd=$(pgrep -x ksoftirqd/1)
packets=/sys/class/infiniband/rxe0/ports/1/hw_counters/sent_pkts

# switches DIR KEY: the count KEY (nr_voluntary_switches, nr_involuntary_switches) of the task at DIR (/proc/...)
switches() {
  awk -v key="$2" '$1 == key { print $3 }' "$1/sched"
}

# reader PID: the thread of PID preempted most often so far, which is the one that posts (a JVM has more threads)
reader() {
  for task in /proc/$1/task/*; do
    echo "$(switches "$task" nr_involuntary_switches) ${task##*/}"
  done | sort -n | tail -1 | cut -d' ' -f2
}

# count TOOL PID LOG: the windows of one tool's client
count() {
  kill -0 "$2" 2>/dev/null || { echo "the $1 client ended before the counting:"; cat "$3"; exit 1; }
  task=/proc/$2/task/$(reader "$2")
  for _ in $(seq 1 "$windows"); do
    start="$(date +%s.%N) $(cat $packets) $(switches /proc/$ksoftirqd nr_voluntary_switches) $(switches "$task" nr_involuntary_switches)"
    sleep "$seconds"
    end="$(date +%s.%N) $(cat $packets) $(switches /proc/$ksoftirqd nr_voluntary_switches) $(switches "$task" nr_involuntary_switches)"
    kill -0 "$2" 2>/dev/null || { echo "the $1 client ended during the counting:"; cat "$3"; exit 1; }
    echo "$1 $start $end" >> "$share/windows.txt"
  done
  echo "$1: counted $windows windows of $seconds s"
}

find_jdk || exit 1
taskset -c 0 ./weft perf server --uri verbs://192.0.2.1:7471 --wait block >/tmp/weft-server.log 2>&1 &
server=$!
wait_listen 7471
taskset -c 1 ./weft perf client --uri verbs://192.0.2.1:7471 --op read --size 8 --iterations $reads --warmup 0 \
  >/tmp/weft-client.log 2>&1 &
client=$!
sleep "$delay"
count weft $client /tmp/weft-client.log
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null

taskset -c 0 ib_read_lat -d rxe0 -x 1 -s 8 -n $reads >/tmp/perftest-server.log 2>&1 &
server=$!
wait_listen 18515
taskset -c 1 ib_read_lat -d rxe0 -x 1 -s 8 -n $reads 192.0.2.1 >/tmp/perftest-client.log 2>&1 &
client=$!
sleep 5
count perftest $client /tmp/perftest-client.log

if [ "$WEFT_SWITCHES_TRACE" = 1 ]; then
  # Few events, so that tracing slows each read little: with every event of the path traced, each read slows
  # enough that every wake-up preempts.
  tracing=/sys/kernel/tracing
  [ -d $tracing/events ] || mount -t tracefs nodev $tracing || { echo "no tracefs in the guest"; exit 1; }
  echo 0 > $tracing/tracing_on
  echo > $tracing/trace
  echo 8192 > $tracing/buffer_size_kb
  echo "id == 1" > $tracing/events/raw_syscalls/sys_enter/filter
  for event in sched/sched_waking sched/sched_switch irq/softirq_entry raw_syscalls/sys_enter; do
    echo 1 > $tracing/events/$event/enable
  done
  echo 1 > $tracing/tracing_on
  sleep 1
  echo 0 > $tracing/tracing_on
  cat $tracing/trace > "$share/trace.txt"
  echo "perftest: traced 1 s"
fi
kill $client $server 2>/dev/null
wait $client $server 2>/dev/null
exit 0
