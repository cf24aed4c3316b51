#!/usr/bin/env python3
"""Prints what scripts/perf-softroce-switches.sh counted: per 8-byte read, how often each tool's client was preempted
and ksoftirqd/1 went back to sleep, and, for a traced run, how the reads without a switch came about.

Usage: perf-softroce-switches-report.py RUN_DIR

RUN_DIR holds windows.txt (one line per window: tool, then at the window's start and at its end the time, rxe's sent
packets, ksoftirqd/1's voluntary switches and the client thread's involuntary switches) and, if traced, trace.txt
(ftrace's text record of ib_read_lat). A read is two sent packets: the request and the response, both on rxe0.
"""
import os
import statistics
import sys


def windows(path):
    by_tool = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            tool, (t0, p0, k0, c0, t1, p1, k1, c1) = parts[0], parts[1:9]
            reads = (int(p1) - int(p0)) / 2
            if reads <= 0:
                sys.exit("%s: a %s window counted no reads; did the client run?" % (path, tool))
            by_tool.setdefault(tool, []).append(
                (reads, (float(t1) - float(t0)) * 1e6 / reads, (int(c1) - int(c0)) / reads, (int(k1) - int(k0)) / reads))
    return by_tool


def trace(path):
    """Splits the client CPU's record at each write() entry (a read's doorbell) and classifies the reads."""
    events = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or "[001]" not in line:
                continue
            fields = line.split()
            stamp = next(x for x in fields if x.endswith(":") and x[:-1].replace(".", "").isdigit())
            events.append((float(stamp[:-1]), line))
    starts = [i for i, (_, line) in enumerate(events) if "sys_enter" in line]
    if len(starts) < 2:
        sys.exit("%s: no reads in the trace" % path)
    reads = []  # (time, woke ksoftirqd, switched)
    for a, b in zip(starts, starts[1:]):
        lines = [line for _, line in events[a:b]]
        reads.append((events[a][0], any("sched_waking: comm=ksoftirqd/1" in l for l in lines),
                      any("sched_switch" in l and "next_comm=ksoftirqd/1" in l for l in lines)))
    runs, current = [], []
    for r in reads:
        if not r[1] and not r[2]:
            current.append(r)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)  # the last run, cut short by the end of the record
    wakeups = sum(1 for r in reads if r[1])
    preempting = sum(1 for r in reads if r[1] and r[2])
    print("== trace of ib_read_lat: %d reads in %.2f s; %d wake-ups of ksoftirqd, %d of them preempting the client"
          % (len(reads), reads[-1][0] - reads[0][0], wakeups, preempting))
    if runs:
        lengths = [len(run) for run in runs]
        spans = [(run[-1][0] - run[0][0]) * 1e3 for run in runs]
        print("   reads without a wake-up or a switch: %d (%.0f %%) in %d runs; a run's reads: median %d, most %d; "
              "its length: median %.1f ms, longest %.1f ms"
              % (sum(lengths), 100.0 * sum(lengths) / len(reads), len(runs), statistics.median(lengths), max(lengths),
                 statistics.median(spans), max(spans)))
    else:
        print("   every read woke ksoftirqd")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: perf-softroce-switches-report.py RUN_DIR (a run directory of scripts/perf-softroce-switches.sh)")
    run = sys.argv[1]
    path = os.path.join(run, "windows.txt")
    if not os.path.exists(path):
        sys.exit("%s: no windows.txt; did the run finish?" % run)
    for tool, rows in windows(path).items():
        print("== %s, per 8 B read (one line per window): client preempted, ksoftirqd back to sleep, time" % tool)
        for reads, micros, preempted, slept in rows:
            print("   %.3f  %.3f  %6.1f us  (%d reads)" % (preempted, slept, micros, reads))
    traced = os.path.join(run, "trace.txt")
    if os.path.exists(traced):
        trace(traced)


if __name__ == "__main__":
    main()
