"""ASHA against the default search on MNIST-1D: wall time to reach the default search's final
validation accuracy.

For each seed: the default search (`nasforge search` with no options: regularized evolution,
100 trials of 5 epochs) runs first; its best validation accuracy V and wall time T are noted.
Then each ASHA variant (rungs of 2 and 5 epochs derived from the same 5 epochs, eta 3,
promoted trials continued from their checkpoints) runs until its best 5-epoch trial reaches V,
or for 2T at most. Only validation accuracy is looked at.

    python benchmarks/asha_mnist1d.py [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from nasforge import Study, Trial
from nasforge.workflows.config import load_config
from nasforge.workflows.search import open_search

# Frozen before the first run.
VARIANTS: dict[str, dict[str, Any]] = {
    "asha (random base)": {"name": "asha"},
    "asha (evolution base)": {"name": "asha", "base": "evolution"},
}


class Reached(Exception):
    """Raised from the callback to end a search once it has what it needed."""


def run(
    strategy: dict[str, Any], seed: int, path: Path, target: float | None, limit: float
) -> tuple[float, float, int]:
    """(seconds until the best full-fidelity valid accuracy reached `target` (or the search ended),
    that best accuracy, trials run)."""
    overrides = {"strategy": strategy, "seed": seed, "final_epochs": 0, "study": str(path)}
    overrides["budget"] = 100 if target is None else 10_000
    opened = open_search(load_config(None, overrides))
    study, evaluator = opened.study, opened.evaluator
    start, best = time.perf_counter(), [0.0, 0.0]

    def on_trial(study: Study, trial: Trial) -> None:
        full = trial.fidelity is None or trial.fidelity >= 5
        if full and trial.score is not None and trial.metrics["valid_accuracy"] > best[0]:
            best[:] = [trial.metrics["valid_accuracy"], time.perf_counter() - start]
        if target is not None and (best[0] >= target or time.perf_counter() - start > limit):
            raise Reached

    with contextlib.suppress(Reached):
        study.optimize(evaluator, study.settings.budget, callback=on_trial)
    seconds = best[1] if target is None or best[0] >= target else time.perf_counter() - start
    trials = study.n_finished
    study.close()
    return seconds, best[0], trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            start = time.perf_counter()
            _, target, trials = run({"name": "evolution"}, seed, folder / "default.db", None, 0.0)
            total = time.perf_counter() - start
            print(f"seed {seed}: default search: best valid {target:.4f}, {trials} trials in {total:.0f} s")
            for name, strategy in VARIANTS.items():
                path = folder / f"{name.split()[0]}-{len(name)}.db"
                seconds, best, trials = run(strategy, seed, path, target, 2 * total)
                verdict = "reached" if best >= target else "NOT reached"
                print(
                    f"seed {seed}: {name}: {verdict} {target:.4f} in {seconds:.0f} s "
                    f"({seconds / total:.2f} x the default search's time; best {best:.4f}, {trials} trials)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
