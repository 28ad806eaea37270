"""Tabular evaluation: look an architecture up in a NAS-Bench-201-style table."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.base import EvalOptions, Evaluator, Result
from nasforge.evaluators.schema import MetricSpec
from nasforge.evaluators.table import (
    DEFAULT_SEED_TABLE,
    DEFAULT_TABLE,
    load_proxy_scores,
    load_seed_table,
    load_table,
)
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.validation import check_choice, check_int

NB201_CELLS = 15_625
FULL_EPOCHS = 200
LOW_EPOCHS = 12


class TabularEvaluator(Evaluator):
    """Looks architectures up in the NB201 CIFAR-10 table (shipped) or any table with its columns.

    Metrics are the table's columns (`valid`, `test`, `params`, `lat_*`, …); the cost is the
    table's `train_time_s`, scaled by epochs/200 at a lower fidelity. At `epochs=12` (or
    fidelity 12) `valid` and `test` are the 12-epoch figures. With `noisy=True`, `valid` is one
    training seed's result drawn at random (the draw is seeded by `seed` and the architecture).

    Args:
        table: path of a CSV(.gz) with columns `arch`, `valid`, `test` and optionally `valid_12`,
            `test_12`, `params`, `train_time_s`, `lat_*`; default: the shipped CIFAR-10 table.
        epochs: default fidelity, 200 or 12.
        noisy: draw one seed's `valid` per query from the per-seed table.
        seed_table: per-seed table (`index`, `accuracy` rows) for the noisy mode.
        seed: seeds the noisy draws.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> space = NB201Space()
        >>> g = space.make(["nor_conv_3x3"] * 3 + ["skip_connect", "nor_conv_3x3", "nor_conv_1x1"])
        >>> round(TabularEvaluator().evaluate(g, space).metrics["valid"], 2)  # search on this
        91.61
        >>> from nasforge.evaluators import EvalOptions
        >>> round(TabularEvaluator().evaluate(g, space, options=EvalOptions(test=True)).metrics["test"], 2)
        94.37
    """

    name = "table"
    objective = "valid"

    def __init__(
        self,
        *,
        table: str | None = None,
        epochs: int = FULL_EPOCHS,
        noisy: bool = False,
        seed_table: str | None = None,
        seed: int = 0,
    ) -> None:
        self.table = table
        self.epochs = check_choice("epochs", epochs, (FULL_EPOCHS, LOW_EPOCHS))
        self.noisy = bool(noisy)
        self.seed_table = seed_table
        self.seed = check_int("seed", seed, minimum=0)
        if noisy and table is not None and seed_table is None:
            raise InvalidArgumentError(
                "noisy=True with a custom table needs seed_table (per-seed rows: index, accuracy)"
            )
        self._table = load_table(Path(table) if table else DEFAULT_TABLE)
        if epochs == LOW_EPOCHS and "valid_12" not in self._table.columns:
            raise InvalidArgumentError(f"epochs=12 needs a valid_12 column in table {self._table.path}")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_table"]  # reloaded (and cached) in the receiving process
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._table = load_table(Path(self.table) if self.table else DEFAULT_TABLE)

    def metric_schema(self) -> list[MetricSpec]:
        """The table's columns: accuracies (%) on valid and test, parameters, time, latencies."""
        out = []
        for column in self._table.columns:
            if column.startswith(("valid", "test")):
                split = "valid" if column.startswith("valid") else "test"
                out.append(MetricSpec(column, split, "maximize", "%"))
            elif column not in ("valid_12", "test_12"):
                unit = "s" if column.endswith("_s") or column.startswith("lat") else ""
                out.append(MetricSpec(column, "none", "minimize", unit))
        return [*out, MetricSpec("epochs", "none", "maximize")]

    def check(self, space: SearchSpace | None = None) -> None:
        """Refuse a table that lacks cells of the NB201 space (every query of a missing cell would fail)."""
        if space is not None and space.name == "nb201" and len(self._table.archs) < NB201_CELLS:
            raise InvalidArgumentError(
                f"table {self._table.path} has {len(self._table.archs):,} of the {NB201_CELLS:,} NB201 "
                "cells; a search over the NB201 space would query cells it lacks (give a full table)"
            )

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        arch = space.format(genotype)
        metrics = self._table.row(arch)
        epochs = int(fidelity) if fidelity is not None else self.epochs
        if epochs == LOW_EPOCHS:
            metrics["valid"], metrics["test"] = metrics["valid_12"], metrics["test_12"]
        elif epochs != FULL_EPOCHS:
            raise InvalidArgumentError(
                f"fidelity must be {LOW_EPOCHS} or {FULL_EPOCHS} epochs, got {fidelity!r}"
            )
        if self.noisy and epochs == FULL_EPOCHS:
            metrics["valid"] = self._noisy_valid(arch, metrics["valid"])
        cost = metrics.get("train_time_s", 0.0) * epochs / FULL_EPOCHS
        metrics["epochs"] = float(epochs)  # the fidelity it answered at, also when none was asked
        if not (options and options.test):  # test figures only for the final pick
            metrics = {k: v for k, v in metrics.items() if not k.startswith("test")}
        return Result(metrics=metrics, cost_s=cost)

    def proxy_scores(self, proxy: str) -> dict[str, float] | None:
        """`proxy`'s score of every cell by arch string, where nasforge ships it for this table
        (the shipped one; synflow): a zero-cost warm-up then builds no network."""
        return load_proxy_scores(proxy) if self.table is None else None

    def _noisy_valid(self, arch: str, mean: float) -> float:
        runs = load_seed_table(self.seed_table or DEFAULT_SEED_TABLE, self.table or DEFAULT_TABLE).get(arch)
        if runs is None or len(runs) == 0:
            return mean
        rng = np.random.default_rng([self.seed, zlib.crc32(arch.encode())])
        return float(runs[int(rng.integers(len(runs)))])
