"""Tables get tabular models: `nasforge search --data FILE.csv` on scikit-learn's wine, iris and
breast cancer (classification), diabetes and `make_friedman1(n_samples=800, noise=1.0)`
(regression), written to CSV, against reference baselines fitted on the same split.

By default the main job's form: no option but the data and the seed (the mlp space, 5-fold
cross-validation below 2,000 examples, the default budget and epochs, the five best retrained
as the cross-validation says and averaged). `--budget B --epochs E --final-epochs F` gives the
earlier configuration (40 trials of 30 epochs, the winner retrained 60 epochs). Prints each
run's wall time, the final pick's test figure (accuracy, or R² for a regression) and the
baselines', and the linear model's share where the final pick blends one in ("-": none).

    python benchmarks/tabular.py [--seeds 11 12 13] [--data wine diabetes ...]
                                 [--budget 40 --epochs 30 --final-epochs 60] [--ensemble K]
                                 [--split-seed K]  # another test partition, for development
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

DATA = ("wine", "iris", "breast_cancer", "diabetes", "friedman")
REGRESSION = ("diabetes", "friedman")


def write_csv(name: str, folder: Path) -> Path:
    from sklearn import datasets

    if name == "friedman":
        x, y = datasets.make_friedman1(n_samples=800, noise=1.0, random_state=0)
        columns = [f"x{i}" for i in range(x.shape[1])]
    else:
        data = getattr(datasets, f"load_{name}")()
        x, y, columns = data.data, data.target, list(data.feature_names)
    path = folder / f"{name}.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "target"])
        writer.writerows([*row, target] for row, target in zip(x, y, strict=True))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--data", nargs="+", default=list(DATA), choices=DATA)
    parser.add_argument("--budget", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--final-epochs", type=int)
    parser.add_argument("--ensemble", type=int)
    parser.add_argument(
        "--split-seed",
        type=int,
        default=0,
        help="another test partition of each table (default 0, the reported one): for development",
    )
    args = parser.parse_args()
    options = [
        f"--{flag}={value}"
        for flag, value in (
            ("budget", args.budget),
            ("epochs", args.epochs),
            ("final-epochs", args.final_epochs),
            ("ensemble", args.ensemble),
        )
        if value is not None
    ]
    print(
        "| data | seed | wall s | network test | linear/logistic test | boosted trees test | network - best "
        "| linear share |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        if args.split_seed:
            config = Path(scratch) / "partition.toml"
            config.write_text(f"[evaluator]\nsplit_seed = {args.split_seed}\n")
            options += ["--config", str(config)]
        for name in args.data:
            path = write_csv(name, Path(scratch))
            for seed in args.seeds:
                argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--data", str(path), "--json"]
                argv += ["--seed", str(seed), "--study", f"{scratch}/{name}-{seed}.db", *options]
                start = time.perf_counter()
                done = subprocess.run(argv, capture_output=True, text=True, check=True)
                wall = time.perf_counter() - start
                result = json.loads(done.stdout)
                metric = "test_r2" if name in REGRESSION else "test_accuracy"
                ensemble = (result["final_pick"] or {}).get("ensemble")
                network = (
                    ensemble["metrics"][metric] if ensemble else result["retrains"][-1]["metrics"][metric]
                )
                baselines = [b[metric] for b in result["baselines"]]
                figures = " | ".join(f"{v:.4f}" for v in (network, *baselines))
                blend = (ensemble or {}).get("blend")
                share = f"{blend['share']:.1f}" if blend else "-"
                gap = network - max(baselines)
                print(f"| {name} | {seed} | {wall:.0f} | {figures} | {gap:+.4f} | {share} |", flush=True)


if __name__ == "__main__":
    main()
