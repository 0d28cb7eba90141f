#!/usr/bin/env python3
"""The userops functions in DataFusion (and on a Ballista cluster) against DuckDB, from Parquet.

Outside CI (it needs duckdb, see README.md). On the time-ordered log that
`compare_duckdb.py` writes (same generator, same files, reused from --dir):

1. Parity: our SQL functions' results against DuckDB's SQL for the same job (RFM segment
   counts, lifecycle stage counts per month, every recurring retention cell).
2. Whole process, Parquet, K alternating pairs per job (ours, then DuckDB, ...): one fresh
   process each, wall time and peak RSS, ratio = DuckDB seconds / ours, median over pairs:
   * `userops-sql QUERY --table ev=FILE --partitions 2` against DuckDB at 2 threads;
   * with --ballista: the same query on a local cluster (a scheduler and two executors of one
     task slot each, started by this script) against the in-process run: the cluster's
     overhead.

Usage:
    python3 scripts/compare/compare_datafusion.py --users 1000000 --pairs 3
    python3 scripts/compare/compare_datafusion.py --users 1000000 --pairs 3 --ballista
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_duckdb as cd  # noqa: E402 - the DuckDB SQL, the data and the launcher

REPO = cd.REPO

# Our SQL for each job. Each returns a small table that the parity check compares.
OURS = {
    "rfm": """SELECT r['segment'] AS segment, count(*) AS customers
FROM (SELECT unnest(rfm("user", "time", amount, TIMESTAMP '{as_of}')) AS r FROM ev)
GROUP BY 1 ORDER BY 1""",
    # The same RFM with the per-customer part done by the engine's GROUP BY (rfm_customer, a
    # grouped accumulator) and only customer rows reaching rfm_score.
    "rfm_grouped": """SELECT r['segment'] AS segment, count(*) AS customers
FROM (SELECT unnest(rfm_score("user", c['recency_days'], c['frequency'], c['monetary'])) AS r
      FROM (SELECT "user", rfm_customer("time", amount, TIMESTAMP '{as_of}') AS c FROM ev GROUP BY "user"))
GROUP BY 1 ORDER BY 1""",
    "lifecycle": """SELECT r['period'] AS t, r['new'] AS new, r['retained'] AS retained,
  r['retained_new'] AS retained_new, r['woken'] AS woken, r['returned'] AS returned,
  r['dormant'] AS dormant, r['churned'] AS churned
FROM (SELECT unnest(lifecycle("user", "time", TIMESTAMP '{first}', TIMESTAMP '{cal_end} 00:00:00')) AS r FROM ev)
ORDER BY 1""",
    "retention": """SELECT r['cohort'] AS cohort, r['period_offset'] AS k, r['users'] AS users
FROM (SELECT unnest(retention("user", "time", TIMESTAMP '{first}', TIMESTAMP '{cal_end} 00:00:00', 'recurring')) AS r FROM ev)
ORDER BY 1, 2""",
}

# What DuckDB's tables hold, in the same shape.
DUCK_RESULT = {
    "rfm": "SELECT segment, customers FROM rfm_segments ORDER BY 1",
    "rfm_grouped": "SELECT segment, customers FROM rfm_segments ORDER BY 1",
    "lifecycle": "SELECT t, new, retained, retained_new, woken, returned, dormant, churned FROM lc_out ORDER BY 1",
    "retention": "SELECT cohort, k, users FROM ret_out ORDER BY 1, 2",
}


# DuckDB's job for each of ours.
DUCK_JOB = {"rfm_grouped": "rfm"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build() -> Path:
    cmd = ["cargo", "build", "--quiet", "--release", "-p", "userops-datafusion",
           "--bin", "userops-sql", "--bin", "userops-ballista-scheduler",
           "--bin", "userops-ballista-executor"]
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release"


def ours_cmd(binary: Path, job: str, parquet: Path, ctx: dict, extra: list[str]) -> list[str]:
    return [str(binary / "userops-sql"), OURS[job].format(**ctx), "--table", f"ev={parquet}",
            "--format", "csv", *extra]


def parse_csv(text: str) -> list[tuple]:
    rows = []
    for line in text.strip().splitlines()[1:]:
        rows.append(tuple(_num(v) for v in line.split(",")))
    return rows


def _num(v: str):
    try:
        f = float(v)
        return int(f) if f == int(f) else f
    except ValueError:
        return v


def _month_index(label: str, first: str) -> int:
    y, m = (int(x) for x in str(label).split("-")[:2])
    fy, fm = int(first[:4]), int(first[5:7])
    return (y - fy) * 12 + m - fm


def parity(binary: Path, parquet: Path, ctx: dict, jobs: list[str]) -> dict:
    import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE TABLE ev AS SELECT * FROM read_parquet('{parquet}')")
    res = {}
    for job in jobs:
        con.execute(cd.sql_for(DUCK_JOB.get(job, job), "ev", ctx))
        duck = [tuple(_num(str(v)) for v in row) for row in con.execute(DUCK_RESULT[job]).fetchall()]
        out = subprocess.run(ours_cmd(binary, job, parquet, ctx, ["--partitions", "2"]),
                             cwd=REPO, text=True, capture_output=True)
        if out.returncode != 0:
            sys.exit(f"ours failed on {job}: {out.stderr}")
        ours = parse_csv(out.stdout)
        if job in ("lifecycle", "retention"):
            # Our periods are labelled 'YYYY-MM'; DuckDB's are months since the first.
            ours = [(_month_index(r[0], ctx["first"]), *r[1:]) for r in ours]
        same = ours == duck
        res[job] = {"rows": len(duck), "equal": same}
        log(f"  parity {job:<10} {len(duck)} rows: {'equal' if same else 'DIFFERENT'}")
        if not same:
            for a, b in list(zip(ours, duck))[:5]:
                if a != b:
                    log(f"    ours {a}  duckdb {b}")
    return res


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and two executors of one task slot each, on free local ports."""

    def __init__(self, binary: Path):
        self.port = free_port()
        self.procs = [subprocess.Popen([str(binary / "userops-ballista-scheduler"), "--bind-port", str(self.port)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        time.sleep(1.0)
        for _ in range(2):
            self.procs.append(subprocess.Popen(
                [str(binary / "userops-ballista-executor"), "--scheduler-port", str(self.port),
                 "--port", str(free_port()), "--grpc-port", str(free_port()),
                 "--concurrent-tasks", "1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(3.0)
        self.url = f"df://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)


def timing(binary: Path, parquet: Path, ctx: dict, jobs: list[str], pairs: int,
           ballista: bool) -> dict:
    res = {}
    threads = 2
    base = cd.run_rss([sys.executable, "-c", "import duckdb"])
    log(f"whole process from Parquet, 2 partitions vs DuckDB {threads} threads "
        f"(python + import duckdb alone: {base[0]:.2f} s)")
    cluster = Cluster(binary) if ballista else None
    try:
        for job in jobs:
            o_t, o_m, d_t, d_m, b_t = [], [], [], [], []
            code = cd.DUCK_PROCESS.format(
                threads=threads, sql=cd.sql_for(DUCK_JOB.get(job, job), cd.relation(parquet), ctx))
            for _ in range(pairs):
                w, m, _ = cd.run_rss(ours_cmd(binary, job, parquet, ctx, ["--partitions", "2"]))
                o_t.append(w)
                o_m.append(m)
                w, m, _ = cd.run_rss([sys.executable, "-c", code])
                d_t.append(w)
                d_m.append(m)
                if cluster:
                    w, _, _ = cd.run_rss(ours_cmd(binary, job, parquet, ctx,
                                                  ["--partitions", "2", "--scheduler", cluster.url]))
                    b_t.append(w)
            ratios = [a / b for a, b in zip(d_t, o_t)]
            r = {"ours": o_t, "duckdb": d_t, "ratio": statistics.median(ratios),
                 "ours_rss": max(o_m), "duckdb_rss": max(d_m)}
            line = (f"  {job:<10} ours {statistics.median(o_t):6.2f} s {max(o_m) / 1e6:6.0f} MB"
                    f"   duckdb {statistics.median(d_t):6.2f} s {max(d_m) / 1e6:6.0f} MB"
                    f"   ratio {r['ratio']:.2f}")
            if cluster:
                r["ballista"] = b_t
                r["ballista_over_inprocess"] = statistics.median(
                    [b / a for a, b in zip(o_t, b_t)])
                line += (f"   ballista {statistics.median(b_t):6.2f} s"
                         f" ({r['ballista_over_inprocess']:.2f}x in-process)")
            log(line)
            res[job] = r
    finally:
        if cluster:
            cluster.stop()
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--events-per-user", type=float, default=9.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--dir", type=Path, default=Path("/tmp/userops-duckdb"))
    p.add_argument("--jobs", default="rfm,rfm_grouped,lifecycle,retention")
    p.add_argument("--skip-timing", action="store_true")
    p.add_argument("--ballista", action="store_true", help="also time a local Ballista cluster")
    p.add_argument("--skip-parity", action="store_true")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]

    stem = f"sample-{args.users}-{args.events_per_user:g}-{args.seed}-{args.months}-time"
    parquet = args.dir / f"{stem}.parquet"
    if not parquet.exists():
        sys.exit(f"{parquet} is missing: run compare_duckdb.py with the same --users, "
                 "--events-per-user, --seed and --months first (it writes the files)")
    binary = build()
    first = dt.date(2024, 1, 1)
    as_of = dt.date(2024 + args.months // 12, 1 + args.months % 12, 1)
    cal_end = as_of - dt.timedelta(days=1)
    ctx = {"as_of": f"{as_of} 00:00:00", "first": f"{first} 00:00:00",
           "cal_end": str(cal_end), "months": args.months}
    results: dict = {"users": args.users, "pairs": args.pairs}
    if not args.skip_parity:
        results["parity"] = parity(binary, parquet, ctx, jobs)
    if not args.skip_timing:
        results["timing"] = timing(binary, parquet, ctx, jobs, args.pairs, args.ballista)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
