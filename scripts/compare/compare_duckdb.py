#!/usr/bin/env python3
"""Compare userops with DuckDB on the same time-ordered log, in memory and from files.

Outside CI (it needs duckdb and pyarrow, see README.md). Steps:

1. `export_sample --order time` writes the sample generator's log as CSV (user,time,amount,event,
   time in UTC); DuckDB converts it to Parquet (snappy). Both files are kept in --dir.
2. Parity: on that log, DuckDB's SQL and ours (`scale --input ... --dump DIR`) compute every job;
   the script compares lifecycle counts per stage and month, every retention cell, the RFM
   score and segment distribution and the BTYD summary, and prints what differs.
3. Timing, K alternating pairs per measurement (ours, then DuckDB, then ours, ...), ratio =
   DuckDB seconds / our seconds, median over the pairs:
   * in memory, 1 core vs DuckDB 1 thread (and 2 vs 2): DuckDB loads the Parquet file into a
     table first and times each job's query; ours is `scale --input FILE.parquet --threads 1,2`
     and its per-stage seconds (read excluded);
   * whole process, CSV and Parquet, 2 cores vs DuckDB 2 threads: one fresh process per job
     (`scale --input FILE --stages X --threads 2`; `python -c` running DuckDB on
     read_csv/read_parquet), wall time and peak RSS of that process (os.wait4 in a small
     launcher process, see LAUNCHER).

Usage:
    python3 scripts/compare/compare_duckdb.py                      # 20k users, quick
    python3 scripts/compare/compare_duckdb.py --users 200000 --pairs 5
    python3 scripts/compare/compare_duckdb.py --users 1000000 --events-per-user 9 --pairs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Our stage name -> the job's name in the table.
JOBS = ["rfm", "lifecycle", "retention", "btyd_summary"]

# ---------------------------------------------------------------------------------------------
# DuckDB's SQL for each job. `{ev}` is the events relation (a table, or read_csv/read_parquet);
# `{as_of}` the as-of instant (midnight after the log), `{cal_end}` the BTYD calibration end
# day (the day before), `{months}` the number of calendar months of the window.
# ---------------------------------------------------------------------------------------------

# RFM as `scale` runs it (userops::rfm, Method::Quantile, 5 bins, SegmentRules::standard()):
# recency = exact days (to the millisecond) from the last event to as-of; frequency = events;
# monetary = total amount. Breaks = type-7 sample quantiles at 0.2..0.8 (DuckDB's
# quantile_cont), score = 1 + #{breaks < value}; recency reversed (6 - score). First matching
# rule of the standard 11-segment map, "Others" otherwise.
RFM_SQL = """
CREATE OR REPLACE TEMP TABLE rfm_out AS
WITH s AS (
  SELECT "user",
         date_diff('millisecond', max("time"), TIMESTAMP '{as_of}') / 86400000.0 AS recency,
         count(*) AS frequency,
         sum(amount) AS monetary
  FROM {ev} GROUP BY "user"
), b AS (
  SELECT quantile_cont(recency, [0.2, 0.4, 0.6, 0.8]) AS rb,
         quantile_cont(frequency::DOUBLE, [0.2, 0.4, 0.6, 0.8]) AS fb,
         quantile_cont(monetary, [0.2, 0.4, 0.6, 0.8]) AS mb
  FROM s
), sc AS (
  SELECT s.*,
    6 - (1 + (rb[1] < recency)::INT + (rb[2] < recency)::INT + (rb[3] < recency)::INT + (rb[4] < recency)::INT) AS r,
    1 + (fb[1] < frequency)::INT + (fb[2] < frequency)::INT + (fb[3] < frequency)::INT + (fb[4] < frequency)::INT AS f,
    1 + (mb[1] < monetary)::INT + (mb[2] < monetary)::INT + (mb[3] < monetary)::INT + (mb[4] < monetary)::INT AS m
  FROM s, b
)
SELECT "user", recency, frequency, monetary, r, f, m,
  CASE
    WHEN r BETWEEN 4 AND 5 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Champions'
    WHEN r BETWEEN 2 AND 4 AND f BETWEEN 3 AND 4 AND m BETWEEN 4 AND 5 THEN 'Loyal Customers'
    WHEN r BETWEEN 4 AND 5 AND f = 1 AND m = 1 THEN 'New Customers'
    WHEN r BETWEEN 3 AND 4 AND f = 1 AND m = 1 THEN 'Promising'
    WHEN r BETWEEN 3 AND 5 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 3 THEN 'Potential Loyalist'
    WHEN r BETWEEN 3 AND 4 AND f BETWEEN 3 AND 4 AND m BETWEEN 3 AND 4 THEN 'Need Attention'
    WHEN r BETWEEN 2 AND 3 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'About To Sleep'
    WHEN r = 1 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Can''t Lose Them'
    WHEN r BETWEEN 2 AND 3 AND f BETWEEN 2 AND 3 AND m BETWEEN 2 AND 3 THEN 'Hibernating'
    WHEN r BETWEEN 1 AND 2 AND f BETWEEN 2 AND 5 AND m BETWEEN 2 AND 5 THEN 'At Risk'
    WHEN r = 1 AND f = 1 AND m = 1 THEN 'Lost'
    ELSE 'Others'
  END AS segment
FROM sc;
CREATE OR REPLACE TEMP TABLE rfm_segments AS
SELECT segment, count(*) AS customers, sum(frequency) AS orders, sum(monetary) AS revenue
FROM rfm_out GROUP BY segment;
"""

# Lifecycle stages (userops::lifecycle, StageParams::default(): churn_after c = 2), monthly in
# UTC, from the first event's month (period 0) to the month before as-of (period {months}-1).
# For a user first active in f: period f is new; an active period t after an active t-1 is
# retained_new (t-1 = f) or retained; after a gap of g inactive periods it is woken (g < c) or
# returned (g >= c); an inactive period t, run r periods into a gap, is dormant (r < c) or
# churned. Inactive runs are counted with a difference array over the months.
LIFECYCLE_SQL = """
CREATE OR REPLACE TEMP TABLE lc_out AS
WITH a AS (
  SELECT DISTINCT "user",
         (year("time") - year(TIMESTAMP '{first}')) * 12 + month("time") - month(TIMESTAMP '{first}') AS t
  FROM {ev} WHERE "time" < TIMESTAMP '{as_of}'
), l AS (
  SELECT "user", t,
         lag(t) OVER (PARTITION BY "user" ORDER BY t) AS p,
         coalesce(lead(t) OVER (PARTITION BY "user" ORDER BY t), {months}) AS n,
         min(t) OVER (PARTITION BY "user") AS f
  FROM a
), active AS (
  SELECT t,
    count(*) FILTER (WHERE p IS NULL) AS new,
    count(*) FILTER (WHERE p = t - 1 AND p <> f) AS retained,
    count(*) FILTER (WHERE p = t - 1 AND p = f) AS retained_new,
    count(*) FILTER (WHERE p < t - 1 AND t - p - 1 < 2) AS woken,
    count(*) FILTER (WHERE p < t - 1 AND t - p - 1 >= 2) AS returned
  FROM l GROUP BY t
), gaps AS (
  -- dormant: periods p+1 .. min(p+c, n)-1; churned: p+c .. n-1 (c = 2)
  SELECT t + 1 AS pos, 1 AS dd, 0 AS dc FROM l WHERE n > t + 1
  UNION ALL SELECT least(t + 2, n), -1, 0 FROM l WHERE n > t + 1
  UNION ALL SELECT t + 2, 0, 1 FROM l WHERE n > t + 2
  UNION ALL SELECT n, 0, -1 FROM l WHERE n > t + 2
), deltas AS (
  SELECT pos AS t, sum(dd) AS dd, sum(dc) AS dc FROM gaps GROUP BY pos
), months AS (SELECT range AS t FROM range({months}))
SELECT m.t,
  coalesce(a.new, 0) AS new, coalesce(a.retained, 0) AS retained,
  coalesce(a.retained_new, 0) AS retained_new, coalesce(a.woken, 0) AS woken,
  coalesce(a.returned, 0) AS returned,
  sum(coalesce(d.dd, 0)) OVER (ORDER BY m.t) AS dormant,
  sum(coalesce(d.dc, 0)) OVER (ORDER BY m.t) AS churned
FROM months m LEFT JOIN active a ON a.t = m.t LEFT JOIN deltas d ON d.t = m.t
ORDER BY m.t;
"""

# Recurring monthly retention (userops::retention, RetentionMode::Recurring, start and return
# "*" = any event, "on" not "on or after"), {months} months ending with the month before as-of:
# cohort i = users active in month i; cell k = those of them active in month i + k.
RETENTION_SQL = """
CREATE OR REPLACE TEMP TABLE ret_out AS
WITH a AS (
  SELECT DISTINCT "user",
         (year("time") - year(TIMESTAMP '{first}')) * 12 + month("time") - month(TIMESTAMP '{first}') AS t
  FROM {ev} WHERE "time" < TIMESTAMP '{as_of}'
)
SELECT x.t AS cohort, y.t - x.t AS k, count(*) AS users
FROM a x JOIN a y ON x."user" = y."user" AND y.t >= x.t
GROUP BY ALL ORDER BY ALL;
"""

# The BTYD summary (userops::ltv::BtydSummary, TimeUnit::Week, calibration end = the day
# before as-of), as lifetimes' summary_data_from_transaction_data: purchases by distinct UTC
# day; frequency = purchase days after the first; recency = days first -> last purchase day,
# T = days first purchase day -> calibration end, both / 7; monetary = mean spend of the
# repeat days (a day's amounts summed), 0 without repeat days.
BTYD_SQL = """
CREATE OR REPLACE TEMP TABLE btyd_out AS
WITH d AS (
  SELECT "user", CAST("time" AS DATE) AS day, sum(amount) AS spend
  FROM {ev} WHERE CAST("time" AS DATE) <= DATE '{cal_end}'
  GROUP BY ALL
), c AS (
  SELECT "user", min(day) AS first, max(day) AS last, count(*) - 1 AS frequency,
         sum(spend) AS total, arg_min(spend, day) AS first_spend
  FROM d GROUP BY "user"
)
SELECT "user", frequency,
       date_diff('day', first, last) / 7.0 AS recency,
       date_diff('day', first, DATE '{cal_end}') / 7.0 AS "T",
       CASE WHEN frequency > 0 THEN (total - first_spend) / frequency ELSE 0 END AS monetary
FROM c;
"""

SQL = {"rfm": RFM_SQL, "lifecycle": LIFECYCLE_SQL, "retention": RETENTION_SQL,
       "btyd_summary": BTYD_SQL}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def relation(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return (f"read_csv('{path}', header=true, "
            "columns={'user': 'BIGINT', 'time': 'TIMESTAMP', 'amount': 'DOUBLE', 'event': 'VARCHAR'})")


def sql_for(job: str, ev: str, ctx: dict) -> str:
    return SQL[job].format(ev=ev, **ctx)


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------



# Runs a command and reports its own peak RSS. On Linux a child's ru_maxrss starts from the
# high-water mark of the process that forked it (it is carried over at fork and exec), so a
# child of this script, which holds DuckDB's tables, would report at least this script's
# peak. A small fresh interpreter forks the command instead: its floor is its own ~10 MB.
LAUNCHER = r"""
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.stderr.write(f"\n@@measured {ru.ru_maxrss * 1024} {time.perf_counter() - t0} {code}\n")
sys.exit(code)
"""


def run_rss(cmd: list[str]) -> tuple[float, int, str]:
    """Runs cmd; returns (wall seconds, peak RSS bytes of cmd's process, stdout)."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], cwd=REPO, text=True,
                          capture_output=True)
    lines = [l for l in done.stderr.splitlines() if l.startswith("@@measured ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    _, rss, wall, _ = lines[-1].split()
    return float(wall), int(rss), done.stdout


def cargo_build(features: str) -> Path:
    cmd = ["cargo", "build", "--quiet", "--release", "--features", features,
           "--example", "scale", "--example", "export_sample"]
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "examples"


def stage_lines(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
    return rows


DUCK_PROCESS = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads={threads}")
con.execute({sql!r})
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--events-per-user", type=float, default=9.0,
                   help="mean events per user besides the sign-up (9 -> ~10 events a user)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--pairs", type=int, default=3, help="alternating pairs per measurement")
    p.add_argument("--dir", type=Path, default=Path("/tmp/userops-duckdb"),
                   help="where the CSV and Parquet files are written (and reused)")
    p.add_argument("--jobs", default=",".join(JOBS))
    p.add_argument("--skip-parity", action="store_true")
    p.add_argument("--skip-memory", action="store_true", help="no in-memory timing")
    p.add_argument("--skip-files", action="store_true", help="no whole-process timing")
    p.add_argument("--json", type=Path, help="also write every figure here")
    args = p.parse_args()
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]

    import duckdb  # noqa: F401 - fail early when missing

    if shutil.which("cargo") is None:
        sys.exit("cargo is not on PATH")
    bin_dir = cargo_build("arrow,parallel")
    scale = str(bin_dir / "scale")
    export = str(bin_dir / "export_sample")

    args.dir.mkdir(parents=True, exist_ok=True)
    stem = f"sample-{args.users}-{args.events_per_user:g}-{args.seed}-{args.months}-time"
    csv = args.dir / f"{stem}.csv"
    parquet = args.dir / f"{stem}.parquet"
    if not csv.exists():
        cmd = [export, "--users", str(args.users), "--events-per-user", str(args.events_per_user),
               "--seed", str(args.seed), "--months", str(args.months), "--order", "time",
               "--out", str(csv)]
        log("$ " + " ".join(cmd))
        subprocess.run(cmd, check=True)
    if not parquet.exists():
        con = duckdb.connect()
        con.execute(f"COPY (SELECT * FROM {relation(csv)}) TO '{parquet}' "
                    "(FORMAT parquet, COMPRESSION snappy)")
        con.close()
    # The window: the generator starts on 2024-01-01 and ends {months} months later.
    import datetime as dt
    first = dt.date(2024, 1, 1)
    end_year = 2024 + (args.months // 12)
    end_month = 1 + args.months % 12
    as_of = dt.date(end_year, end_month, 1)
    cal_end = as_of - dt.timedelta(days=1)
    ctx = {"as_of": f"{as_of} 00:00:00", "first": f"{first} 00:00:00",
           "cal_end": str(cal_end), "months": args.months}
    cols = ["--user", "user", "--time", "time", "--amount", "amount", "--event", "event",
            "--as-of", str(as_of)]
    rows = int(duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchall()[0][0])
    log(f"{rows} events; CSV {csv.stat().st_size / 1e6:.0f} MB, Parquet {parquet.stat().st_size / 1e6:.0f} MB")
    results: dict = {"users": args.users, "events": rows, "pairs": args.pairs, "seed": args.seed,
                     "duckdb": duckdb.__version__}

    if not args.skip_parity:
        results["parity"] = parity(scale, parquet, cols, ctx, jobs)

    if not args.skip_memory:
        results["memory"] = in_memory(scale, parquet, cols, ctx, jobs, args.pairs)

    if not args.skip_files:
        results["files"] = whole_process(scale, csv, parquet, cols, ctx, jobs, args.pairs)

    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        log(f"wrote {args.json}")


# ---------------------------------------------------------------------------------------------
# Parity
# ---------------------------------------------------------------------------------------------

def parity(scale: str, parquet: Path, cols: list[str], ctx: dict, jobs: list[str]) -> dict:
    import duckdb
    dump = parquet.parent / "dump"
    dump.mkdir(exist_ok=True)
    log("parity: ours (scale --dump) and DuckDB on the same Parquet file")
    cmd = [scale, "--input", str(parquet), *cols, "--stages", ",".join(jobs), "--dump", str(dump)]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE ev AS SELECT * FROM read_parquet('{parquet}')")
    out: dict = {}
    for job in jobs:
        con.execute(sql_for(job, "ev", ctx))
        ours = json.loads((dump / f"{job}.json").read_text())
        if job == "rfm":
            duck = {
                "r": dict(con.execute("SELECT r, count(*) FROM rfm_out GROUP BY r").fetchall()),
                "f": dict(con.execute("SELECT f, count(*) FROM rfm_out GROUP BY f").fetchall()),
                "m": dict(con.execute("SELECT m, count(*) FROM rfm_out GROUP BY m").fetchall()),
                "segments": dict(con.execute("SELECT segment, customers FROM rfm_segments").fetchall()),
            }
            mine = {k: {int(s) if k != "segments" else s: n for s, n in ours[k].items()}
                    for k in ("r", "f", "m")}
            mine["segments"] = ours["segments"]
            diff = {k: compare_counts(duck[k], mine[k]) for k in duck}
            # Per customer: scores of every user.
            duck_users = {str(u): (r, f, m) for u, r, f, m in
                          con.execute('SELECT "user", r, f, m FROM rfm_out').fetchall()}
            mismatched = sum(1 for u, s in ours["customers"].items() if duck_users.get(u) != tuple(s))
            out[job] = {"equal": all(not d for d in diff.values()) and mismatched == 0,
                        "differences": diff, "customers_with_other_scores": mismatched,
                        "customers": len(duck_users)}
        elif job == "lifecycle":
            names = ["new", "retained", "retained_new", "woken", "returned", "dormant", "churned"]
            duck = [dict(zip(["t", *names], r)) for r in
                    con.execute("SELECT * FROM lc_out ORDER BY t").fetchall()]
            diffs = []
            for t, (d, o) in enumerate(zip(duck, ours["rows"])):
                for n in names:
                    if int(d[n]) != int(o[n]):
                        diffs.append(f"month {t} {n}: duckdb {d[n]} ours {o[n]}")
            if len(duck) != len(ours["rows"]):
                diffs.append(f"months: duckdb {len(duck)} ours {len(ours['rows'])}")
            out[job] = {"equal": not diffs, "differences": diffs[:20],
                        "cells": len(duck) * len(names)}
        elif job == "retention":
            duck = {(c, k): n for c, k, n in con.execute("SELECT * FROM ret_out").fetchall()}
            mine = {(i, k): n for i, row in enumerate(ours["cohorts"]) for k, n in enumerate(row)}
            diffs = [f"cohort {c} cell {k}: duckdb {duck.get((c, k))} ours {mine.get((c, k))}"
                     for (c, k) in sorted(set(duck) | set(mine)) if duck.get((c, k), 0) != mine.get((c, k), 0)]
            out[job] = {"equal": not diffs, "differences": diffs[:20], "cells": len(mine)}
        elif job == "btyd_summary":
            duck = {str(u): (f, r, t, m) for u, f, r, t, m in
                    con.execute("SELECT * FROM btyd_out").fetchall()}
            mism = []
            for u, (f, r, t, m) in ours["customers"].items():
                d = duck.get(u)
                if d is None or d[0] != f or abs(d[1] - r) > 1e-9 or abs(d[2] - t) > 1e-9 \
                        or abs(d[3] - m) > 1e-6 * max(1.0, abs(m)):
                    mism.append(f"user {u}: duckdb {d} ours {(f, r, t, m)}")
            extra = len(set(duck) - set(ours["customers"]))
            out[job] = {"equal": not mism and extra == 0, "differences": mism[:10],
                        "customers_only_in_duckdb": extra, "customers": len(duck)}
        log(f"  {job:<13} {'equal' if out[job]['equal'] else 'DIFFERENT'}")
    return out


def compare_counts(a: dict, b: dict) -> list[str]:
    return [f"{k}: duckdb {a.get(k, 0)} ours {b.get(k, 0)}"
            for k in sorted(set(a) | set(b), key=str) if a.get(k, 0) != b.get(k, 0)]


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

def in_memory(scale: str, parquet: Path, cols: list[str], ctx: dict, jobs: list[str],
              pairs: int) -> dict:
    """Per job and thread count: ours' stage seconds (read excluded) and DuckDB's query seconds
    on a loaded table, K alternating pairs."""
    import duckdb
    log("in memory: ours (scale --input parquet --threads 1,2) and DuckDB (table loaded first)")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE ev AS SELECT * FROM read_parquet('{parquet}')")
    ours: dict = {(j, t): [] for j in jobs for t in (1, 2)}
    duck: dict = {(j, t): [] for j in jobs for t in (1, 2)}
    for k in range(pairs):
        out = subprocess.run([scale, "--input", str(parquet), *cols, "--stages", ",".join(jobs),
                              "--threads", "1,2"], cwd=REPO, check=True, text=True,
                             capture_output=True).stdout
        for row in stage_lines(out):
            if row["stage"] in jobs:
                ours[(row["stage"], row["threads"])].append(row["seconds"])
        for job in jobs:
            for t in (1, 2):
                con.execute(f"SET threads={t}")
                sql = sql_for(job, "ev", ctx)
                t0 = time.perf_counter()
                con.execute(sql)
                duck[(job, t)].append(time.perf_counter() - t0)
        log(f"  pair {k + 1}/{pairs} done")
    res = {}
    for (job, t), o in ours.items():
        d = duck[(job, t)]
        ratios = [a / b for a, b in zip(d, o)]
        res[f"{job}@{t}"] = {"job": job, "threads": t, "ours": o, "duckdb": d,
                             "ratio": statistics.median(ratios)}
    return res


def whole_process(scale: str, csv: Path, parquet: Path, cols: list[str], ctx: dict,
                  jobs: list[str], pairs: int) -> dict:
    """Per job and file: a fresh process each (2 threads both), wall seconds and peak RSS."""
    res = {}
    threads = 2
    base = run_rss([sys.executable, "-c", "import duckdb"])
    log(f"whole process, {threads} threads (python + import duckdb alone: {base[0]:.2f} s, "
        f"{base[1] / 1e6:.0f} MB)")
    for path in (csv, parquet):
        fmt = path.suffix.lstrip(".")
        for job in jobs:
            o_t, o_m, d_t, d_m = [], [], [], []
            code = DUCK_PROCESS.format(threads=threads, sql=sql_for(job, relation(path), ctx))
            for _ in range(pairs):
                w, m, _ = run_rss([scale, "--input", str(path), *cols, "--stages", job,
                                   "--threads", str(threads)])
                o_t.append(w)
                o_m.append(m)
                w, m, _ = run_rss([sys.executable, "-c", code])
                d_t.append(w)
                d_m.append(m)
            ratios = [a / b for a, b in zip(d_t, o_t)]
            res[f"{job}@{fmt}"] = {"job": job, "format": fmt, "threads": threads,
                                   "ours": o_t, "duckdb": d_t, "ratio": statistics.median(ratios),
                                   "ours_rss": max(o_m), "duckdb_rss": max(d_m)}
            log(f"  {fmt:<7} {job:<13} ours {statistics.median(o_t):6.2f} s "
                f"{max(o_m) / 1e6:6.0f} MB   duckdb {statistics.median(d_t):6.2f} s "
                f"{max(d_m) / 1e6:6.0f} MB   ratio {res[f'{job}@{fmt}']['ratio']:.2f}")
    res["python_import_duckdb"] = {"seconds": base[0], "rss": base[1]}
    return res


def print_report(r: dict) -> None:
    print(f"\n{r['users']} users, {r['events']} events in time order, DuckDB {r['duckdb']}, "
          f"medians of {r['pairs']} alternating pairs; ratio = DuckDB s / ours s")
    if "parity" in r:
        print("\nparity (DuckDB's SQL vs ours on the same file):")
        for job, p in r["parity"].items():
            print(f"  {job:<13} {'equal' if p['equal'] else 'DIFFERENT: ' + '; '.join(map(str, p['differences']))[:300]}")
    if "memory" in r:
        print(f"\nin memory (table loaded; query / fold+model seconds)")
        print(f"  {'job':<13} {'threads':>7} {'ours s':>9} {'duckdb s':>9} {'ratio':>7}")
        for key, m in r["memory"].items():
            print(f"  {m['job']:<13} {m['threads']:>7} {statistics.median(m['ours']):9.3f} "
                  f"{statistics.median(m['duckdb']):9.3f} {m['ratio']:7.2f}")
    if "files" in r:
        print("\nwhole process from a file (2 threads each; wall seconds, peak RSS)")
        print(f"  {'job':<13} {'file':<8} {'ours s':>8} {'duckdb s':>9} {'ratio':>7} "
              f"{'ours MB':>8} {'duckdb MB':>10}")
        for key, m in r["files"].items():
            if "job" not in m:
                continue
            print(f"  {m['job']:<13} {m['format']:<8} {statistics.median(m['ours']):8.2f} "
                  f"{statistics.median(m['duckdb']):9.2f} {m['ratio']:7.2f} "
                  f"{m['ours_rss'] / 1e6:8.0f} {m['duckdb_rss'] / 1e6:10.0f}")
        b = r["files"].get("python_import_duckdb")
        if b:
            print(f"  (DuckDB's figures include starting Python and importing duckdb: "
                  f"{b['seconds']:.2f} s, {b['rss'] / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
