"""The default search (`nasforge search` with no options) on MNIST-1D: time, accuracy, memory.

Runs the main job's configuration in a fresh study (a temporary file: the retrained models are
kept beside it) and prints the wall time, every retrained model's and the final pick's (the
ensemble's) accuracy, and the process's peak memory. Target: the final pick's test accuracy
>= 99% within 5 minutes on 2 idle CPU cores, set-up excluded (published CNN: 94%).

    python benchmarks/mnist1d_search.py [--budget N] [--seed S]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from nasforge.cli.results import pick_lines, retrain_lines
from nasforge.study.picks import pick_summary
from nasforge.workflows.config import load_config
from nasforge.workflows.retrain import final_retrain
from nasforge.workflows.search import open_search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, help="trials (default: the main job's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        study_path = str(Path(scratch) / "main.db")
        overrides = {
            "study": study_path,
            "seed": args.seed,
            **({"budget": args.budget} if args.budget else {}),
        }
        run(load_config(None, overrides))


def run(config: Any) -> None:
    start = time.perf_counter()
    opened = open_search(config)
    study, evaluator = opened.study, opened.evaluator
    study.optimize(
        evaluator,
        config.budget,
        callback=lambda s, t: print(
            f"{time.perf_counter() - start:6.0f}s trial {t.number} ({s.n_finished}/{config.budget}) "
            f"valid {t.metrics.get('valid_accuracy', float('nan')):.4f}",
            flush=True,
        ),
    )
    search_seconds = time.perf_counter() - start
    retrained = final_retrain(study, evaluator)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"space {config.space}, strategy {config.strategy}, evaluator {config.evaluator}")
    print(f"search: {search_seconds:.0f} s for {study.n_finished} trials")
    print_final(study, retrained, target=0.99)
    print(f"total time: {seconds:.0f} s ({seconds / 60:.1f} min; target <= 5 min)")
    print(f"peak memory (max RSS of this process): {peak_mb:.0f} MB (target <= 2048 MB)")
    study.close()


def print_final(study: Any, retrained: list[Any], target: float) -> None:
    """Each retrained member's and the final pick's (the ensemble's) accuracy, as the CLI prints them."""
    for line in retrain_lines([record for _, record in retrained]) + pick_lines(pick_summary(study)):
        print(line)
    print(f"(target: test accuracy >= {target})")


if __name__ == "__main__":
    main()
