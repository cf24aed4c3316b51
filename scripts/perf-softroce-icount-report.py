#!/usr/bin/env python3
"""Prints the guest instructions per 8-byte read that scripts/perf-softroce-icount.sh counted.

Usage: perf-softroce-icount-report.py RUN_DIR

RUN_DIR holds the plugin's snapshots (counts.N, named in order.txt), the kernel's symbols (kallsyms), each client's
memory map (maps-TOOL) and weft's JIT symbol map (perfmap-weft). A read is one run of the kernel's
ib_uverbs_post_send entry on CPU 1, the client's CPU, between a tool's two snapshots.
"""
import bisect
import collections
import os
import sys

KERNEL_START = 0xFFFF800000000000
DOORBELL = "ib_uverbs_post_send"
SWITCH = "__switch_to_asm"  # one run per context switch
# How a read's context switches come about (docs/provider-softroce.md, "Why the client switches"): rxe schedules
# the responder's tasklet for every RDMA read request, from the client's system call, which wakes ksoftirqd.
WAKE_PATH = [
    ("__tasklet_schedule", "tasklets scheduled"),
    ("__do_softirq", "softirq runs in the client's context"),
    ("run_ksoftirqd", "softirq runs by ksoftirqd"),
    ("try_to_wake_up", "wake-ups"),
    ("ttwu_do_activate", "of them finding the task asleep"),
    ("ksoftirqd_should_run", "ksoftirqd's loop"),
]


def kernel_symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in ("t", "T", "w", "W"):
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def counts(path):
    """pc -> (instructions, runs on CPU 0, runs on CPU 1); a block translated twice adds up under one pc and size."""
    c = collections.defaultdict(lambda: [0, 0])
    with open(path) as f:
        for line in f:
            pc, insns, r0, r1 = line.split()
            k = (int(pc, 16), int(insns))
            c[k][0] += int(r0)
            c[k][1] += int(r1)
    return c


def user_map(run, tool):
    regions = []
    with open(os.path.join(run, "maps-" + tool)) as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            regions.append((lo, hi, os.path.basename(parts[5]) if len(parts) > 5 else "anonymous memory"))
    jit = []
    path = os.path.join(run, "perfmap-" + tool)
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                start, size, name = line.rstrip("\n").split(" ", 2)
                jit.append((int(start, 16), int(start, 16) + int(size, 16), name))
    jit.sort()
    return regions, ([j[0] for j in jit], jit)


def place(pc, ksyms, regions, jit):
    """(area, function) of a block's address: the kernel and its function, or a user-space mapping (compiled Java by method)."""
    if pc >= KERNEL_START:
        i = bisect.bisect_right(ksyms[0], pc) - 1
        return "kernel", ksyms[1][i] if i >= 0 else "?"
    starts, methods = jit
    i = bisect.bisect_right(starts, pc) - 1
    if i >= 0 and pc < methods[i][1]:
        return "compiled Java and JDK stubs", methods[i][2]
    for lo, hi, name in regions:
        if lo <= pc < hi:
            return name, ""
    return "unmapped", ""


def measure(run, order, tool, ksyms):
    start = counts(os.path.join(run, "counts.%d" % order.index(tool + "-start")))
    end = counts(os.path.join(run, "counts.%d" % order.index(tool + "-end")))
    regions, jit = user_map(run, tool)

    def entries(function):  # runs of the function's first block on CPU 1 between the snapshots; None if not in this kernel
        if function not in ksyms[1]:
            return None
        pc = ksyms[0][ksyms[1].index(function)]
        return sum(v[1] for k, v in end.items() if k[0] == pc) - sum(v[1] for k, v in start.items() if k[0] == pc)
    reads = entries(DOORBELL)
    switches = entries(SWITCH)
    path = [(label, entries(function)) for function, label in WAKE_PATH]
    if reads <= 0:
        sys.exit("%s: no call of %s on CPU 1 between the snapshots; did the reads run?" % (tool, DOORBELL))
    areas, functions = collections.Counter(), collections.Counter()
    cpu0 = 0
    for k, v in end.items():
        before = start.get(k, (0, 0))
        cpu0 += (v[0] - before[0]) * k[1]
        ran = (v[1] - before[1]) * k[1]
        if ran <= 0:
            continue
        area, function = place(k[0], ksyms, regions, jit)
        areas[area] += ran
        functions[(area, function)] += ran
    return reads, areas, functions, cpu0, switches, path


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: perf-softroce-icount-report.py RUN_DIR (a run directory of scripts/perf-softroce-icount.sh)")
    run = sys.argv[1]
    with open(os.path.join(run, "order.txt")) as f:
        order = f.read().split()
    tools = [name[:-len("-start")] for name in order if name.endswith("-start")]
    if "perftest" not in tools or not (order.count("perftest-end") == 1):
        sys.exit("%s: no complete perftest window in order.txt; did the run finish?" % run)
    ksyms = kernel_symbols(os.path.join(run, "kallsyms"))
    results = {}
    for tool in tools:
        reads, areas, functions, cpu0, switches, path = measure(run, order, tool, ksyms)
        results[tool] = (reads, functions)
        user = sum(v for a, v in areas.items() if a != "kernel")
        print("== %s: %d reads counted; guest instructions per read on CPU 1 (the client's): %.0f, of them kernel %.0f, "
              "user space %.0f; on CPU 0 (the server's): %.0f; context switches on CPU 1 per read: %.2f"
              % (tool, reads, sum(areas.values()) / reads, areas["kernel"] / reads, user / reads, cpu0 / reads, switches / reads))
        print("  per read on CPU 1: " + ", ".join("%s %s" % (label, "-" if n is None else "%.3f" % (n / reads))
                                                 for label, n in path))
        for area, v in areas.most_common():
            if area != "kernel" and v / reads >= 0.5:
                print("  %8.1f  %s" % (v / reads, area))
        java = [(f, v) for (a, f), v in functions.items() if a == "compiled Java and JDK stubs"]
        for f, v in sorted(java, key=lambda x: -x[1])[:8]:
            if v / reads >= 0.5:
                print("  %8.1f      %s" % (v / reads, f[:120]))
    per_read = {t: {f: v / r for (a, f), v in fn.items() if a == "kernel"} for t, (r, fn) in results.items()}
    kernel = set().union(*per_read.values())
    rows = sorted(kernel, key=lambda f: -max(p.get(f, 0) for p in per_read.values()))
    print("== the kernel's largest functions, instructions per read: " + ", ".join(tools))
    for f in rows[:15]:
        print("  " + " ".join("%8.1f" % per_read[t].get(f, 0) for t in tools) + "  " + f)
    base = per_read["perftest"]
    for tool in tools:
        if tool == "perftest":
            continue
        diff = sorted(kernel, key=lambda f: base.get(f, 0) - per_read[tool].get(f, 0))
        print("== where the kernel differs most (%s minus perftest, per read)" % tool)
        for f in diff[:10] + diff[-3:]:
            w, p = per_read[tool].get(f, 0), base.get(f, 0)
            print("  %+8.1f  %s (%.1f against %.1f)" % (w - p, f, w, p))


if __name__ == "__main__":
    main()
