"""Main-job choices judged without MNIST-1D's test split: two held-out protocols.

- `fresh` (the better one): the main job's own 4,000 training sequences, and 10,000 new ones
  drawn from MNIST-1D's generator with another seed (7), normalised with the official data's
  constants, as the held-out set. The script replays the official generator and checks that it
  reproduces the training sequences exactly. Ten times the official test split: a figure's
  sampling error is about 0.1 point instead of 0.3.
- `carved`: the 4,000 training sequences shuffled (seed 12345) into 3,000 to search and train
  on and 1,000 held out (how the main job's space and final fit were first chosen).

For each variant and seed it runs the main job as `nasforge search` does (search, then the five
best retrained for 40 epochs on train+valid and averaged) and prints each member's and the
ensemble's held-out accuracy and the wall time.

    python benchmarks/mnist1d_dev_split.py --protocol fresh --variants default --seeds 400 401
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.data.builtin import mnist1d
from nasforge.study.picks import pick_summary
from nasforge.workflows.config import DEFAULT_SPACE, load_config
from nasforge.workflows.retrain import final_retrain
from nasforge.workflows.search import open_search

SEARCHABLE_STRIDE = {"choices": {k: v for k, v in DEFAULT_SPACE["choices"].items() if k != "stride"}}
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "stride-searchable": {"space": SEARCHABLE_STRIDE},
    "population-20": {"strategy": {"population_size": 20}},
    "deeper-decay": {"space": {"min_blocks": 3}, "evaluator": {"weight_decay": 0.01}},
    "valid-quarter": {"evaluator": {"valid_fraction": 0.25}},
    "mixup": {"evaluator": {"mixup": 0.2}},
}
FRESH_SEED, FRESH_SEQUENCES = 7, 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("fresh", "carved"), default="fresh")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=["default"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[400, 401, 402])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / f"mnist1d_{args.protocol}.npz"
        np.savez(data, **(fresh_heldout() if args.protocol == "fresh" else carved_split()))
        for seed in args.seeds:
            for name in args.variants:
                run(name, seed, data, Path(scratch) / f"{name}-{seed}")


def carved_split() -> dict[str, np.ndarray]:
    x, y, _, _ = mnist1d()  # the test arrays are dropped unread
    order = np.random.default_rng(12345).permutation(len(y))
    kept, held = order[:3000], order[3000:]
    return {"x": x[kept], "y": y[kept], "x_test": x[held], "y_test": y[held]}


def fresh_heldout() -> dict[str, np.ndarray]:
    x, y, _, _ = mnist1d()  # the test arrays are dropped unread
    new_x, new_y = normalised_sequences(FRESH_SEED, FRESH_SEQUENCES, like=x)
    return {"x": x, "y": y, "x_test": new_x, "y_test": new_y}


def normalised_sequences(seed: int, count: int, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`count` new sequences of MNIST-1D's generator, normalised as the official ones are; exits
    unless replaying the generator reproduces `like`, the normalised official training split."""
    official, _ = generated(seed=42, count=5000)  # the official arguments: 5,000, then split 4:1
    mean, std = official.mean(), official.std()
    if not np.allclose((official[: len(like)] - mean) / std, like):
        raise SystemExit("replaying MNIST-1D's generator did not reproduce its training split")
    new_x, new_y = generated(seed, count)
    return ((new_x - mean) / std).astype(like.dtype), new_y


def generated(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` raw (not yet normalised) sequences of MNIST-1D's generator, as `make_dataset` draws them."""
    from mnist1d.data import get_dataset_args, get_templates, transform
    from mnist1d.utils import set_seed

    args, templates = get_dataset_args(), get_templates()
    args.seed, args.num_samples = seed, count
    set_seed(seed)
    xs, ys = [], []
    for label, template in zip(templates["y"], templates["x"], strict=True):
        for _ in range(count // len(templates["y"])):
            xs.append(transform(template, templates["t"], args)[0])
            ys.append(label)
    order = np.random.permutation(len(ys))
    return np.stack(xs)[order], np.stack(ys)[order]


def run(name: str, seed: int, data: Path, folder: Path) -> None:
    variant = VARIANTS[name]
    overrides = {"study": str(folder / "s.db"), "seed": seed, "evaluator": {"data": str(data)}}
    sections = {key: {**overrides.get(key, {}), **value} for key, value in variant.items()}
    config = load_config(None, {**overrides, **sections})
    start = time.perf_counter()
    opened = open_search(config)
    study, evaluator = opened.study, opened.evaluator
    study.optimize(evaluator, config.budget)
    searched = time.perf_counter() - start
    members = [record.metrics["test_accuracy"] for _, record in final_retrain(study, evaluator)]
    summary = pick_summary(study)
    ensemble = summary["ensemble"]["metrics"]["test_accuracy"] if summary and summary["ensemble"] else None
    print(
        f"{name} seed {seed}: search {searched:.0f} s, total {time.perf_counter() - start:.0f} s; "
        f"top 5 valid {[round(t.metrics['valid_accuracy'], 3) for t in study.leaderboard(5)]}; "
        f"held-out: members {[round(a, 4) for a in members]} mean {np.mean(members):.4f}, "
        f"ensemble {ensemble}",
        flush=True,
    )
    study.close()


if __name__ == "__main__":
    main()
