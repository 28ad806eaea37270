"""Planted studies with a known answer: the diagnosis must find exactly what was planted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nasforge import Study
from nasforge.analysis.diagnosis import diagnose
from nasforge.genotype import Genotype
from nasforge.spaces import make_space
from nasforge.study.record import StudyView

SPACE = {"name": "macro", "max_blocks": 3, "choices": {"channels": [4, 8, 16], "dropout": [0.0, 0.25, 0.5]}}
Outcome = Callable[
    [Genotype, dict[str, Any], np.random.Generator], tuple[dict[str, float], dict[str, list[float]]]
]


def planted(tmp_path: Path, outcome: Outcome, n: int = 80, seed: int = 0) -> dict[str, Any]:
    """A random-search study whose metrics and curves come from `outcome`, then its diagnosis."""
    space = make_space(SPACE)
    path = tmp_path / "planted.db"
    study = Study.create(space, "random", seed=seed, objective="valid_accuracy", path=path)
    rng = np.random.default_rng(seed)
    for _ in range(n):
        trial = study.ask()
        metrics, curves = outcome(trial.genotype, space.features(trial.genotype), rng)
        study.tell(trial, metrics, curves=curves)
    study.close()
    with StudyView(path) as view:
        return diagnose(view)


def flat_curves(valid: float, train: float, epochs: int = 6) -> dict[str, list[float]]:
    """Curves that have converged: the last epochs do not move."""
    return {
        "valid_accuracy": [valid - 0.1, valid - 0.02, *[valid] * (epochs - 2)],
        "train_accuracy": [train - 0.1, train - 0.02, *[train] * (epochs - 2)],
    }


def kinds(result: dict[str, Any]) -> list[str]:
    return [d["kind"] for d in result["directions"]]


def test_an_overfitting_study_gets_the_overfitting_direction(tmp_path: Path) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        valid = 0.80 + 0.02 * rng.standard_normal()
        return {"valid_accuracy": valid}, flat_curves(valid, 0.99)  # 19 points above validation

    result = planted(tmp_path, outcome)
    overfit = [d for d in result["directions"] if d["kind"] == "overfitting"]
    assert overfit and "training accuracy 0.990" in overfit[0]["evidence"]
    assert overfit[0]["action"]["widen"]["dropout"] and overfit[0]["aim"] == "objective"


def test_one_knob_that_decides_the_metric_ranks_first(tmp_path: Path) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        valid = {0.0: 0.6, 0.25: 0.75, 0.5: 0.9}[f["head.dropout"]] + 0.005 * rng.standard_normal()
        return {"valid_accuracy": valid}, {}

    importance = planted(tmp_path, outcome)["importance"]
    assert importance["knobs"][0]["knob"] == "head.dropout" and importance["knobs"][0]["best_value"] == 0.5
    assert importance["r2"] > 0.9 and "permutation" in importance["method"]
    assert importance["knobs"][0]["importance"] > 10 * max(k["importance"] for k in importance["knobs"][1:])


def test_best_trials_at_the_top_of_a_range_yield_widen(tmp_path: Path) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        widths = [v for k, v in f.items() if k.endswith(".channels") and v is not None]
        valid = 0.5 + 0.02 * float(np.mean(widths)) + 0.01 * rng.standard_normal()
        return {"valid_accuracy": valid}, {}

    result = planted(tmp_path, outcome)
    widen = [d for d in result["directions"] if d["kind"] == "widen"]
    assert widen and widen[0]["action"]["widen"] == {"channels": [32, 64]}  # the space allows more
    assert "16, the top of its range" in widen[0]["evidence"]


def test_a_proxy_that_is_a_monotone_function_of_accuracy_has_rho_one(tmp_path: Path) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        valid = float(rng.uniform(0.5, 0.95))
        return {"valid_accuracy": valid, "proxy_synflow": float(np.exp(10 * valid))}, {}

    correlations = planted(tmp_path, outcome)["correlations"]["proxy_synflow"]["valid_accuracy"]
    assert correlations["spearman"] == pytest.approx(1.0) and correlations["kendall"] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pure_noise_yields_no_direction(tmp_path: Path, seed: int) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        valid = float(rng.uniform(0.5, 0.95))
        train = valid + float(rng.uniform(-0.01, 0.01))
        return {"valid_accuracy": valid, "proxy_synflow": float(rng.normal())}, flat_curves(valid, train)

    result = planted(tmp_path, outcome, seed=seed)
    assert result["directions"] == [] and result["importance"]["r2"] < 0.2


def test_still_rising_curves_yield_train_longer(tmp_path: Path) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        valid = 0.7 + 0.05 * rng.random()
        curve = [valid - 0.02 * (5 - e) for e in range(6)]  # +2 points per epoch up to the end
        return {"valid_accuracy": valid}, {
            "valid_accuracy": curve,
            "train_accuracy": [c + 0.01 for c in curve],
        }

    result = planted(tmp_path, outcome)
    assert kinds(result)[0] == "train_longer"
    assert result["directions"][0]["action"] == {"epochs_factor": 2}


def test_accuracy_flat_in_width_but_rising_with_depth_yields_depth_over_width(tmp_path: Path) -> None:
    def outcome(g: Genotype, f: dict[str, Any], rng: np.random.Generator) -> Any:
        valid = 0.5 + 0.1 * f["blocks"] + 0.01 * rng.standard_normal()
        return {"valid_accuracy": valid}, {}

    result = planted(tmp_path, outcome)
    assert "depth_over_width" in kinds(result)
    assert (
        "mean channels"
        in next(d for d in result["directions"] if d["kind"] == "depth_over_width")["evidence"]
    )
