"""DARTS' collapse toward parameter-free operations, and DARTS+'s early stop against it.

For each seed, runs `nasforge search --one-shot darts` on an NB201 cell space (C=16, one cell per
stage by default) over MNIST-1D twice, each in a fresh study: plain DARTS for `--epochs`, and
with `max_skip = 2` (stop once the derived cell holds two skip connections, Liang et al. 2019).
Prints per run the derived cell, its skip connections and parameter-free operations (skip or
pooling) out of 6 edges, the epoch it stopped at, the derived skip count after every epoch, the
derived cell retrained on its own (`--final-epochs`) with its validation and test accuracy, and
the wall time; then the share of skip and parameter-free operations over all seeds.

    python benchmarks/darts_collapse.py --seeds 41 42 43 [--epochs 50] [--cells 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nasforge.cli.results import valid_and_test

CONFIG = """
[space]
name = "nb201"
channels = 16
cells_per_stage = {cells}
[evaluator]
name = "supernet"
method = "darts"
data = "mnist1d"
learning_rate = 0.01
epochs = {epochs}
max_skip = {max_skip}
"""
PARAMETER_FREE = ("skip_connect", "avg_pool_3x3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--cells", type=int, default=1)
    parser.add_argument("--final-epochs", type=int, default=20)
    args = parser.parse_args()
    totals: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            for label, max_skip in (("DARTS", 0), ("DARTS+ (max_skip=2)", 2)):
                config = Path(scratch) / f"{seed}-{max_skip}.toml"
                config.write_text(CONFIG.format(cells=args.cells, epochs=args.epochs, max_skip=max_skip))
                study = Path(scratch) / f"{seed}-{max_skip}.db"
                start = time.perf_counter()
                out = search(config, study, seed, args.final_epochs)
                seconds = time.perf_counter() - start
                cell = out["best"]["arch"]
                ops = [part.split("~")[0] for part in cell.replace("+", "").split("|") if "~" in part]
                skips, free = ops.count("skip_connect"), sum(ops.count(op) for op in PARAMETER_FREE)
                totals.setdefault(label, []).extend([skips, free])
                per_epoch = derived_skips(study)
                (retrain,) = out["retrains"]
                m = retrain["metrics"]
                print(
                    f"seed {seed} {label}: {cell}\n  skip {skips}/6, parameter-free {free}/6, stopped after "
                    f"epoch {len(per_epoch)} of {args.epochs}; derived skips per epoch {per_epoch}\n"
                    f"  retrained {args.final_epochs} epochs: {valid_and_test(m)}; {seconds:.0f} s",
                    flush=True,
                )
    for label, counts in totals.items():
        skips, free = counts[0::2], counts[1::2]
        edges = 6 * len(skips)
        print(
            f"{label}: skip connections {sum(skips)}/{edges}, "
            f"parameter-free {sum(free)}/{edges} of derived edges"
        )


def search(config: Path, study: Path, seed: int, final_epochs: int) -> dict:  # type: ignore[type-arg]
    argv = [
        sys.executable,
        "-m",
        "nasforge.cli.main",
        "search",
        "--config",
        str(config),
        "--study",
        str(study),
    ]
    argv += [
        "--seed",
        str(seed),
        "--final-epochs",
        str(final_epochs),
        "--ensemble",
        "1",
        "--json",
        "--no-progress",
    ]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def derived_skips(path: Path) -> list[int]:
    """The derived cell's skip connections after each epoch, from the study's supernet curves."""
    from nasforge import Study
    from nasforge.oneshot.workflow import supernet_curves

    study = Study.load(path)
    try:
        return [int(v) for v in supernet_curves(study)["derived_skips"]]
    finally:
        study.close()


if __name__ == "__main__":
    main()
