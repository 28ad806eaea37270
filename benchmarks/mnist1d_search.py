"""The default search (`nasforge search` with no options) on MNIST-1D: time, accuracy, memory.

Runs the main job's configuration in a fresh in-memory study and prints the wall time, the best
architecture (picked by validation accuracy) with its test accuracy, and the process's peak
memory. Target: test accuracy >= 97% within 10 minutes on 2 CPU cores (published CNN: 94%).

    python benchmarks/mnist1d_search.py [--budget N] [--seed S]
"""

from __future__ import annotations

import argparse
import resource
import time

from nasforge.workflows.config import load_config
from nasforge.workflows.search import open_search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, help="trials (default: the main job's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    overrides = {"study": ":memory:", "seed": args.seed, **({"budget": args.budget} if args.budget else {})}
    config = load_config(None, overrides)
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
    best = study.best_trial
    assert best is not None
    final = study.retrain(evaluator, best, config.final_epochs)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"space {config.space}, strategy {config.strategy}, evaluator {config.evaluator}")
    print(f"search: {search_seconds:.0f} s for {study.n_finished} trials")
    print(
        f"best (trial {best.number}) as searched ({config.evaluator['epochs']} epochs): "
        f"valid {best.metrics['valid_accuracy']:.4f}, params {best.metrics['params']:.0f} "
        "(the test split is looked at once, for the retrained winner)"
    )
    print(
        f"best retrained for {config.final_epochs} epochs: valid {final.metrics['valid_accuracy']:.4f}, "
        f"test {final.metrics['test_accuracy']:.4f} (target >= 0.97)"
    )
    print(f"total time: {seconds:.0f} s ({seconds / 60:.1f} min; target <= 10 min)")
    print(f"best genotype: {study.space.format(best.genotype)}")
    print(f"peak memory (max RSS of this process): {peak_mb:.0f} MB (target <= 2048 MB)")


if __name__ == "__main__":
    main()
