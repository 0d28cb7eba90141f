#!/usr/bin/env python3
"""Two-thread speed-up of `scale`'s stages, read from back-to-back pairs.

On a machine whose speed drifts (a shared VM), separate one- and two-thread processes can
land in different phases. `scale --threads 1,2` runs every stage on one thread and then on
two, seconds apart; this script runs it ROUNDS times and prints, per stage (and per command
when several are given, e.g. two builds for an A/B):

  * the min and median seconds on one and on two threads, and the ratio of the mins;
  * the median and quartiles of the per-pair ratios (one-thread seconds / two-thread seconds).

Usage (from the repository root):

    cargo build --release --features parallel --example scale
    python3 scripts/thread_pairs.py 5 \\
        "target/release/examples/scale --users 1000000 --events 10000000 --stages rfm,lifecycle --repeat 4 --threads 1,2"
"""
import json
import statistics
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds, cmds = int(sys.argv[1]), sys.argv[2:]
    res = {}
    for _ in range(rounds):
        for i, cmd in enumerate(cmds):
            out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True).stdout
            one = {}
            for line in out.splitlines():
                j = json.loads(line)
                key = (j["stage"], i)
                d = res.setdefault(key, {1: [], 2: [], "ratio": []})
                if j["threads"] not in (1, 2):
                    sys.exit("run scale with --threads 1,2")
                d[j["threads"]].append(j["seconds"])
                if j["threads"] == 1:
                    one[key] = j["seconds"]
                elif key in one:
                    d["ratio"].append(one.pop(key) / j["seconds"])
    for (stage, i), d in sorted(res.items()):
        r = sorted(d["ratio"])
        if not d[1] or not d[2] or not r:
            continue
        print(
            "%-14s cmd%d  1 thread min %.4f med %.4f | 2 threads min %.4f med %.4f | "
            "ratio of mins %.2f | pair ratios med %.2f q1 %.2f q3 %.2f (n %d)"
            % (stage, i, min(d[1]), statistics.median(d[1]), min(d[2]), statistics.median(d[2]),
               min(d[1]) / min(d[2]), statistics.median(r), r[len(r) // 4], r[3 * len(r) // 4], len(r))
        )


if __name__ == "__main__":
    main()
