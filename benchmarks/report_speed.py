"""Time and size of `nasforge report` on a 200-trial training study.

Builds a 200-trial study on digits (random search over a small macro space, 2 epochs per trial,
curves, weight norms and inference timings stored, winner retrained), then times the HTML
report and prints its size. Target: under 5 s and under 10 MB.

    python benchmarks/report_speed.py [--trials 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nasforge.report.build import write_report
from nasforge.workflows.config import load_config
from nasforge.workflows.search import open_search

STUDY = {
    "space": {"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16]}},
    "strategy": {"name": "random"},
    "evaluator": {"name": "training", "data": "digits", "epochs": 2, "proxies": ["synflow"]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "s.db"
        started = time.perf_counter()
        opened = open_search(load_config(None, {**STUDY, "study": str(path), "budget": args.trials}))
        study, evaluator = opened.study, opened.evaluator
        with study:
            study.optimize(evaluator, args.trials)
            best = study.best_trial
            assert best is not None
            study.retrain(evaluator, best, 5)
        print(f"study: {args.trials} trials in {time.perf_counter() - started:.0f} s")
        for fmt in ("html", "md"):
            began = time.perf_counter()
            out = write_report(path, Path(scratch) / f"report.{fmt}", fmt)
            seconds = time.perf_counter() - began
            size = out.stat().st_size
            print(f"report --format {fmt}: {seconds:.2f} s, {size / 1e6:.2f} MB (targets: < 5 s, < 10 MB)")


if __name__ == "__main__":
    main()
