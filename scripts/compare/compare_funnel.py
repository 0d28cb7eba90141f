#!/usr/bin/env python3
"""A 4-step funnel with a 7-day window: userops against DuckDB at one thread, in memory.

Outside CI (it needs duckdb, see README.md). Steps:

1. `export_sample --order time` writes the sample generator's log as CSV (user,time,amount,
   event; time in UTC), kept in --dir and reused.
2. DuckDB loads it into a table (`SET threads = 1`) and runs FUNNEL_SQL; ours is
   `examples/funnel.rs --input FILE ... --timing`, which reads the CSV into an EventTable and
   prints the seconds of the fold and the report (the read excluded), as DuckDB's query is
   timed on a loaded table. K alternating pairs; ratio = DuckDB seconds / ours (above 1: ours
   is faster), median over the pairs.
3. Parity: the users at each step must be equal.

Usage:
    python3 scripts/compare/compare_funnel.py                        # 20k users, quick
    python3 scripts/compare/compare_funnel.py --users 1000000 --pairs 3   # the issue's size
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STEPS = ["signup", "browse", "search", "order"]

# The funnel as userops computes it (userops::funnel, StepOrder::Ordered, Entry::Every,
# window 7 days inclusive): every sign-up is an entry; from it, each next step is the first
# event of that step at the same instant or later (ASOF JOIN, `>=`), every step within 7 days
# of the entry; a user counts once, by the entry that got furthest.
FUNNEL_SQL = """
WITH s0 AS (SELECT "user", "time" AS t0 FROM ev WHERE event = 'signup'),
s1 AS (SELECT "user", "time" AS t FROM ev WHERE event = 'browse'),
s2 AS (SELECT "user", "time" AS t FROM ev WHERE event = 'search'),
s3 AS (SELECT "user", "time" AS t FROM ev WHERE event = 'order'),
a1 AS (SELECT s0."user", s0.t0, s1.t AS t1
       FROM s0 ASOF LEFT JOIN s1 ON s0."user" = s1."user" AND s1.t >= s0.t0),
a2 AS (SELECT a1.*, s2.t AS t2
       FROM a1 ASOF LEFT JOIN s2 ON a1."user" = s2."user" AND s2.t >= a1.t1),
a3 AS (SELECT a2.*, s3.t AS t3
       FROM a2 ASOF LEFT JOIN s3 ON a2."user" = s3."user" AND s3.t >= a2.t2),
attempts AS (
  SELECT "user",
    CASE WHEN t1 IS NULL OR t1 > t0 + INTERVAL 7 DAY THEN 1
         WHEN t2 IS NULL OR t2 > t0 + INTERVAL 7 DAY THEN 2
         WHEN t3 IS NULL OR t3 > t0 + INTERVAL 7 DAY THEN 3
         ELSE 4 END AS steps
  FROM a3
), users AS (SELECT "user", max(steps) AS steps FROM attempts GROUP BY "user")
SELECT count(*) FILTER (WHERE steps >= 1), count(*) FILTER (WHERE steps >= 2),
       count(*) FILTER (WHERE steps >= 3), count(*) FILTER (WHERE steps >= 4)
FROM users
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--events-per-user", type=float, default=9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/userops-compare")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import duckdb

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"sample-{args.users}-{args.events_per_user:g}-{args.seed}-time.csv"
    log("building the examples (release)...")
    subprocess.run(["cargo", "build", "--release", "--example", "funnel", "--example", "export_sample"],
                   cwd=REPO, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO,
                          check=True, capture_output=True, text=True).stdout
    bin_dir = Path(json.loads(meta)["target_directory"]) / "release" / "examples"
    if not csv.exists():
        subprocess.run([str(bin_dir / "export_sample"), "--users", str(args.users), "--events-per-user",
                        str(args.events_per_user), "--seed", str(args.seed), "--order", "time", "--out", str(csv)],
                       check=True)

    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute(f"""CREATE TABLE ev AS SELECT * FROM read_csv('{csv}', header = true,
        columns = {{'user': 'BIGINT', 'time': 'TIMESTAMP', 'amount': 'DOUBLE', 'event': 'VARCHAR'}})""")
    events = con.execute("SELECT count(*) FROM ev").fetchone()[0]
    log(f"{events} events of {args.users} users")

    ours_cmd = [str(bin_dir / "funnel"), "--input", str(csv), "--user", "user", "--time", "time",
                "--event", "event", "--steps", ",".join(STEPS), "--window", "7d", "--format", "json", "--timing"]
    pairs = []
    ours_counts = duck_counts = None
    for k in range(args.pairs):
        run = subprocess.run(ours_cmd, check=True, capture_output=True, text=True)
        stage = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
        ours_s = stage[0]["seconds"]
        ours_counts = [s["count"] for s in json.loads(run.stdout)["funnel"]["steps"]]
        t = time.perf_counter()
        duck_counts = list(con.execute(FUNNEL_SQL).fetchone())
        duck_s = time.perf_counter() - t
        pairs.append((ours_s, duck_s))
        log(f"pair {k + 1}: ours {ours_s:.3f} s, DuckDB {duck_s:.3f} s, ratio {duck_s / ours_s:.2f}")
    ratio = statistics.median(d / o for o, d in pairs)
    parity = "equal" if ours_counts == duck_counts else f"DIFFERENT: ours {ours_counts}, DuckDB {duck_counts}"
    print(f"funnel {' -> '.join(STEPS)}, 7 days, {events} events, {args.users} users, 1 thread")
    print(f"users per step: ours {ours_counts}, DuckDB {duck_counts}: {parity}")
    print(f"ours s (min) {min(o for o, _ in pairs):.3f}, DuckDB s (min) {min(d for _, d in pairs):.3f}, "
          f"ratio DuckDB/ours (median of {len(pairs)}) {ratio:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"events": events, "users": args.users, "pairs": pairs,
                                               "ratio": ratio, "ours": ours_counts, "duckdb": duck_counts}))


if __name__ == "__main__":
    main()
