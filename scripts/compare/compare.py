#!/usr/bin/env python3
"""Compare userops with pandas and the `lifetimes` package on the same generated data.

Outside CI (it needs pandas and lifetimes, see README.md). Steps:

1. `cargo run --release --example export_sample` writes the sample generator's log to CSV
   (the same generator, settings and seed as the `scale` example uses);
2. pandas reads it and runs RFM (groupby + qcut scores + segments); `lifetimes` builds the
   BTYD summary and fits BG/NBD, Pareto/NBD and Gamma-Gamma, then CLV for every customer;
   each job is timed on its own (the CSV load is timed but not compared: ours generates in
   memory);
3. `cargo run --release --example scale -- --users N --events M [--threads T]` runs ours and
   prints one JSON line per stage: {"stage": ..., "seconds": ...};
4. a table of seconds and ratios (Python seconds / userops seconds) per stage.

Usage:
    python3 scripts/compare/compare.py --users 100000 --events-per-user 10 --seed 1
    python3 scripts/compare/compare.py --users 1000000 --skip-pareto --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Stages in the order of the issue's table; names match the `scale` example's "stage" keys.
STAGES = [
    ("rfm", "pandas groupby + qcut + segments"),
    ("btyd_summary", "lifetimes summary_data_from_transaction_data"),
    ("bgnbd_fit", "lifetimes BetaGeoFitter.fit"),
    ("pareto_nbd_fit", "lifetimes ParetoNBDFitter.fit"),
    ("gamma_gamma_fit", "lifetimes GammaGammaFitter.fit"),
    ("clv_predict", "lifetimes customer_lifetime_value"),
]

REPO = Path(__file__).resolve().parents[2]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cargo_example(name: str, args: list[str], capture: bool) -> subprocess.CompletedProcess:
    cmd = ["cargo", "run", "--quiet", "--release", "--example", name, "--", *args]
    log("$ " + " ".join(cmd))
    return subprocess.run(
        cmd,
        cwd=REPO,
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )


def export_csv(users: int, events_per_user: float, seed: int, months: int, out: Path) -> None:
    done = cargo_example(
        "export_sample",
        [
            "--users", str(users),
            "--events-per-user", str(events_per_user),
            "--seed", str(seed),
            "--months", str(months),
            "--out", str(out),
        ],
        capture=False,
    )
    if done.returncode != 0:
        sys.exit(f"export_sample failed with exit code {done.returncode}")


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.failed: dict[str, str] = {}

    def run(self, stage: str, fn, may_fail: bool = False):
        """Times fn(). With may_fail, an exception (lifetimes' ConvergenceError) is recorded
        with the time spent until it was raised, and None is returned."""
        t0 = time.perf_counter()
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - any failure of the Python job is reported
            if not may_fail:
                raise
            self.seconds[stage] = time.perf_counter() - t0
            self.failed[stage] = f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
            log(f"  {stage:<16} {self.seconds[stage]:9.3f} s  FAILED ({self.failed[stage]})")
            return None
        self.seconds[stage] = time.perf_counter() - t0
        log(f"  {stage:<16} {self.seconds[stage]:9.3f} s")
        return result


def run_python(csv: Path, args) -> tuple[dict[str, float], dict]:
    import numpy as np
    import pandas as pd

    timer = Timer()
    info: dict = {}

    def load():
        df = pd.read_csv(
            csv,
            usecols=["user", "time", "amount"],
            dtype={"user": "int64", "amount": "float64"},
        )
        df["time"] = pd.to_datetime(df["time"], format="%Y-%m-%d %H:%M:%S")
        if args.orders_only:
            df = df[df["amount"] > 0]
        return df

    df = timer.run("load_csv", load)
    info["rows"] = int(len(df))
    info["users"] = int(df["user"].nunique())
    as_of = df["time"].max().normalize() + pd.Timedelta(days=1)
    info["as_of"] = str(as_of)
    log(f"  {info['rows']} rows, {info['users']} users, as of {as_of}")

    def rfm():
        g = df.groupby("user", sort=False).agg(
            last=("time", "max"), frequency=("time", "size"), monetary=("amount", "sum")
        )
        g["recency"] = (as_of - g["last"]).dt.days
        # Quintile scores as the common pandas recipe does: qcut on ranks (ties broken by
        # order) so that every bin is filled; recency scores reversed (recent = 5).
        g["r"] = pd.qcut(g["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
        g["f"] = pd.qcut(g["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
        g["m"] = pd.qcut(g["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
        fm = (g["f"] + g["m"]) / 2
        conditions = [
            (g["r"] >= 4) & (fm >= 4),
            (g["r"] >= 3) & (fm >= 3),
            (g["r"] >= 4) & (fm <= 2),
            (g["r"] <= 2) & (fm >= 4),
            (g["r"] <= 2) & (fm <= 2),
        ]
        names = ["champions", "loyal", "new", "at_risk", "lost"]
        g["segment"] = np.select(conditions, names, default="others")
        return g["segment"].value_counts()

    segments = timer.run("rfm", rfm)
    info["segments"] = {k: int(v) for k, v in segments.items()}

    if args.skip_lifetimes:
        return timer.seconds, info
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data

    summary = timer.run(
        "btyd_summary",
        lambda: summary_data_from_transaction_data(
            df,
            "user",
            "time",
            monetary_value_col="amount",
            observation_period_end=as_of,
            freq=args.unit,
        ),
    )
    info["customers"] = int(len(summary))
    f, r, t = summary["frequency"], summary["recency"], summary["T"]

    info["failed"] = timer.failed
    bgf = BetaGeoFitter(penalizer_coef=args.penalizer)
    if timer.run("bgnbd_fit", lambda: bgf.fit(f, r, t), may_fail=True) is None:
        # lifetimes refuses to return a fit that did not converge; the time until it gave up
        # is kept, and CLV below uses a slightly penalized refit (not timed).
        log("  (refitting BG/NBD with penalizer 0.001 for the CLV stage, not timed)")
        bgf = BetaGeoFitter(penalizer_coef=max(args.penalizer, 0.001))
        bgf.fit(f, r, t)
    info["bgnbd"] = {k: float(v) for k, v in bgf.params_.items()}

    if not args.skip_pareto:
        pnbd = ParetoNBDFitter(penalizer_coef=args.penalizer)
        if timer.run("pareto_nbd_fit", lambda: pnbd.fit(f, r, t), may_fail=True) is not None:
            info["pareto_nbd"] = {k: float(v) for k, v in pnbd.params_.items()}

    buyers = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    info["repeat_buyers"] = int(len(buyers))
    ggf = GammaGammaFitter(penalizer_coef=args.penalizer)
    if timer.run(
        "gamma_gamma_fit",
        lambda: ggf.fit(buyers["frequency"], buyers["monetary_value"]),
        may_fail=True,
    ) is None:
        log("  (refitting Gamma-Gamma with penalizer 0.001 for the CLV stage, not timed)")
        ggf = GammaGammaFitter(penalizer_coef=max(args.penalizer, 0.001))
        ggf.fit(buyers["frequency"], buyers["monetary_value"])
    info["gamma_gamma"] = {k: float(v) for k, v in ggf.params_.items()}

    def clv():
        return ggf.customer_lifetime_value(
            bgf,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            summary["monetary_value"],
            time=args.clv_months,
            discount_rate=args.discount,
            freq=args.unit,
        )

    values = timer.run("clv_predict", clv)
    info["clv_mean"] = float(np.nanmean(values))
    return timer.seconds, info


def run_ours(users: int, events: int, args) -> dict[str, float]:
    extra = ["--threads", str(args.threads)] if args.threads else []
    extra += args.scale_args
    done = cargo_example("scale", ["--users", str(users), "--events", str(events), *extra], True)
    if done.returncode != 0:
        log(f"scale example failed (exit {done.returncode}); ours is left out")
        return {}
    return parse_stage_lines(done.stdout)


def parse_stage_lines(text: str) -> dict[str, float]:
    """{"stage": ..., "seconds": ...} JSON lines -> {stage: seconds}; other lines are ignored.

    >>> parse_stage_lines('{"stage": "rfm", "users": 10, "seconds": 0.5}\\nnoise\\n{"stage": "clv_predict", "seconds": 2}')
    {'rfm': 0.5, 'clv_predict': 2.0}
    """
    seconds: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            log(f"not JSON, ignored: {line}")
            continue
        if "stage" in row and "seconds" in row:
            seconds[str(row["stage"])] = float(row["seconds"])
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--events-per-user", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--threads", type=int, default=1, help="threads for ours (default 1: one core)")
    p.add_argument("--unit", default="D", help="lifetimes time unit: D (days) or W (weeks)")
    p.add_argument("--penalizer", type=float, default=0.0)
    p.add_argument("--clv-months", type=int, default=12)
    p.add_argument("--discount", type=float, default=0.01, help="monthly discount rate for CLV")
    p.add_argument("--orders-only", action="store_true",
                   help="Python jobs use only rows with an amount (ours: whatever `scale` does)")
    p.add_argument("--skip-lifetimes", action="store_true")
    p.add_argument("--skip-pareto", action="store_true", help="Pareto/NBD in lifetimes takes minutes at 1M")
    p.add_argument("--skip-ours", action="store_true")
    p.add_argument("--csv", type=Path, help="reuse or keep the exported CSV at this path")
    p.add_argument("--json", type=Path, help="also write all figures as JSON here")
    p.add_argument("--scale-args", nargs=argparse.REMAINDER, default=[],
                   help="further arguments passed to the scale example (put last)")
    args = p.parse_args()

    if shutil.which("cargo") is None:
        sys.exit("cargo is not on PATH")
    # The sample generator adds one sign-up event per user to `events_per_user`.
    events = int(round(args.users * args.events_per_user))

    tmp = None
    csv = args.csv
    if csv is None:
        tmp = tempfile.TemporaryDirectory(prefix="userops-compare-")
        csv = Path(tmp.name) / "sample.csv"
    if not csv.exists():
        log(f"exporting {args.users} users x {args.events_per_user} events (seed {args.seed}) to {csv}")
        export_csv(args.users, args.events_per_user, args.seed, args.months, csv)
    else:
        log(f"reusing {csv}")

    log("python:")
    py, info = run_python(csv, args)
    ours: dict[str, float] = {}
    if not args.skip_ours:
        log("userops (scale example):")
        ours = run_ours(args.users, events, args)

    print()
    print(f"{args.users} users, {info['rows']} rows ({os.path.basename(str(csv))}), "
          f"load_csv {py.get('load_csv', float('nan')):.2f} s (not compared)")
    print(f"{'stage':<16} {'python job':<46} {'python s':>10} {'userops s':>10} {'ratio':>9}")
    rows = []
    for stage, tool in STAGES:
        a, b = py.get(stage), ours.get(stage)
        ratio = a / b if (a is not None and b) else None
        rows.append({"stage": stage, "python_tool": tool, "python_seconds": a,
                     "userops_seconds": b, "ratio": ratio})
        fmt = lambda v, spec: format(v, spec) if v is not None else "-"
        note = "  (python did not converge)" if stage in info.get("failed", {}) else ""
        print(f"{stage:<16} {tool:<46} {fmt(a, '10.3f'):>10} {fmt(b, '10.4f'):>10} "
              f"{(fmt(ratio, '8.1f') + 'x') if ratio else '-':>9}{note}")
    for stage in sorted(set(ours) - {s for s, _ in STAGES}):
        print(f"{stage:<16} {'(userops only)':<46} {'-':>10} {ours[stage]:10.4f} {'-':>9}")

    if args.json:
        args.json.write_text(json.dumps({
            "users": args.users, "events_per_user": args.events_per_user, "seed": args.seed,
            "threads": args.threads, "python": py, "userops": ours, "stages": rows, "info": info,
        }, indent=2))
        log(f"wrote {args.json}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
