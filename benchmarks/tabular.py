"""Tables get tabular models: the main job's form (`nasforge search --data FILE.csv`) on
scikit-learn's wine and iris (classification) and diabetes (regression) sets, written to CSV,
against reference baselines fitted on the same split.

Configuration, frozen before any test figure was looked at: the mlp space and 5-fold
cross-validation (both the defaults for small tables), regularized evolution, 40 trials of 30
epochs, the winner retrained 60 epochs on the training split; seeds 1, 2, 3. Prints each run's wall
time, the retrained winner's test figure (accuracy, or R² for diabetes) and the baselines'.

    python benchmarks/tabular.py [--seeds 1 2 3] [--budget 40]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EPOCHS, FINAL_EPOCHS = 30, 60


def write_csv(name: str, folder: Path) -> Path:
    from sklearn import datasets

    data = getattr(datasets, f"load_{name}")()
    path = folder / f"{name}.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*data.feature_names, "target"])
        writer.writerows([*x, y] for x, y in zip(data.data, data.target, strict=True))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--budget", type=int, default=40)
    args = parser.parse_args()
    print(
        "| data | seed | wall s | network test | linear/logistic test | boosted trees test | network - best |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("wine", "iris", "diabetes"):
            path = write_csv(name, Path(scratch))
            for seed in args.seeds:
                argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--data", str(path), "--json"]
                argv += ["--seed", str(seed), "--budget", str(args.budget), "--epochs", str(EPOCHS)]
                argv += ["--final-epochs", str(FINAL_EPOCHS), "--study", f"{scratch}/{name}-{seed}.db"]
                start = time.perf_counter()
                done = subprocess.run(argv, capture_output=True, text=True, check=True)
                wall = time.perf_counter() - start
                result = json.loads(done.stdout)
                metric = "test_r2" if name == "diabetes" else "test_accuracy"
                network = result["retrains"][-1]["metrics"][metric]
                baselines = [b[metric] for b in result["baselines"]]
                figures = " | ".join(f"{v:.4f}" for v in (network, *baselines))
                print(
                    f"| {name} | {seed} | {wall:.0f} | {figures} | {network - max(baselines):+.4f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
