"""Directions: what to change next, each with the evidence from the study that triggered it.

Every rule reads only what the study stored (trials, per-epoch curves, the final retraining) and
fires only when its evidence clears a threshold set well above the noise of that measurement;
a study without such evidence gets no direction. `action` is what `nasforge improve` applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nasforge.analysis import importance as imp
from nasforge.analysis.knob_data import KnobData
from nasforge.trial import Trial

TOP = 5
OVERFIT_GAP = 0.05  # train minus validation accuracy of the best trials
RISING = 0.005  # validation accuracy gained per epoch over the last epochs
UNFIT = 0.95  # training accuracy below which a short training has not fit the data
NOISE_DROP = 0.10  # accuracy lost at the largest noise level
NORM_RATIO = 10.0  # a layer's weight norm growing (or shrinking) this much over training
WEAK_PROXY = 0.2

Curves = Callable[[int], dict[str, list[float]]]


@dataclass(frozen=True)
class Action:
    """What a follow-up study (`nasforge improve`) changes; empty: nothing (advice only).

    Args:
        fix: knob -> the only values left (a chain space's knob, or "blocks").
        widen: knob -> values to add ("blocks": two more blocks allowed).
        epochs_factor: train this many times longer (search and final training).
        learning_rate_factor: scale the learning rate.
        weight_decay_factor: scale the weight decay.
        augment: train with these augmentations.
    """

    fix: dict[str, list[Any]] = field(default_factory=dict)
    widen: dict[str, list[Any]] = field(default_factory=dict)
    epochs_factor: float | None = None
    learning_rate_factor: float | None = None
    weight_decay_factor: float | None = None
    augment: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(v for v in asdict(self).values())

    @property
    def recipe(self) -> dict[str, Any]:
        """The training changes by name (`epochs_factor`, …, `augment`), without those not set."""
        names = ("epochs_factor", "learning_rate_factor", "weight_decay_factor", "augment")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: only what is set."""
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        """From `to_dict`'s form."""
        return cls(**data)


@dataclass(frozen=True)
class Direction:
    """One recommendation: `kind`, `advice`, the `evidence`, a `confidence` in [0, 1], the
    `action` that `nasforge improve` applies (empty: advice only) and its `aim`: "objective"
    (improve applies it), or "robustness" / "search" (advice for another goal)."""

    kind: str
    advice: str
    evidence: str
    confidence: float
    action: Action = field(default_factory=Action)
    aim: str = "objective"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "action": self.action.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Direction:
        """From `to_dict`'s form (the diagnosis' JSON)."""
        return cls(**{**data, "action": Action.from_dict(data.get("action") or {})})


def find_directions(
    data: KnobData,
    best: list[Trial],
    curves: Curves,
    importance: dict[str, Any],
    edges: list[dict[str, Any]],
    correlations: dict[str, dict[str, dict[str, float]]],
    retrain: dict[str, float] | None,
) -> list[Direction]:
    """Every direction whose evidence holds, most confident first."""
    top_curves = [curves(t.number) for t in best[:TOP]]
    found = [
        overfitting(top_curves),
        undertrained(top_curves),
        *widen(edges),
        depth_over_width(data),
        *unimportant(importance),
        *weak_proxies(correlations, importance),
        noise_fragile(retrain),
        exploding_norms(top_curves),
    ]
    kept = [d for d in found if d is not None]
    changed = {k for d in kept if d.kind != "fix_knob" for k in d.action.widen}
    kept = [d for d in kept if not (d.kind == "fix_knob" and set(d.action.fix) & changed)]
    return sorted(kept, key=lambda d: -d.confidence)  # fixing a knob another direction widens: dropped


def _last(curves: list[dict[str, list[float]]], name: str) -> list[float]:
    return [c[name][-1] for c in curves if c.get(name)]


def overfitting(curves: list[dict[str, list[float]]]) -> Direction | None:
    train, valid = _last(curves, "train_accuracy"), _last(curves, "valid_accuracy")
    if len(train) < 2 or len(train) != len(valid):
        return None
    gaps = np.subtract(train, valid)
    gap = float(np.median(gaps))
    if gap < OVERFIT_GAP or np.min(gaps) < OVERFIT_GAP / 2:
        return None
    return Direction(
        "overfitting",
        "regularise: more dropout, stronger weight decay, data augmentation, or a smaller model",
        f"the {len(gaps)} best trials end with training accuracy {np.median(train):.3f} against "
        f"validation {np.median(valid):.3f} (median gap {gap:.3f}, smallest {np.min(gaps):.3f})",
        min(1.0, gap / (3 * OVERFIT_GAP)),
        Action(weight_decay_factor=10, widen={"dropout": [0.25, 0.5]}),
    )


def undertrained(curves: list[dict[str, list[float]]]) -> Direction | None:
    valid = [c["valid_accuracy"] for c in curves if c.get("valid_accuracy")]
    if len(valid) < 2:
        return None
    epochs = int(np.median([len(v) for v in valid]))
    if epochs >= 3:
        slopes = [(v[-1] - v[-3]) / 2 for v in valid if len(v) >= 3]
        slope = float(np.median(slopes))
        if slope < RISING or sum(s > 0 for s in slopes) < 0.8 * len(slopes):
            return None
        evidence = (
            f"validation accuracy of the {len(slopes)} best trials still rises {slope:.4f} per epoch "
            f"at epoch {epochs}"
        )
        confidence = min(1.0, slope / (4 * RISING))
    else:
        train = _last(curves, "train_accuracy")
        fit = float(np.median(train)) if train else 1.0
        if fit >= UNFIT:
            return None
        evidence = (
            f"the best trials trained {epochs} epoch(s) and reach only {fit:.3f} training accuracy "
            "(mean over their last epoch)"
        )
        confidence = min(1.0, (UNFIT - fit) / 0.1)
    return Direction(
        "train_longer",
        "train longer (a higher fidelity): the best candidates have not converged",
        evidence,
        confidence,
        Action(epochs_factor=3 if epochs <= 2 else 2),
    )


def widen(edges: list[dict[str, Any]]) -> list[Direction]:
    out = []
    for e in edges:
        larger = e["edge"] == "top"
        example = e["beyond"][0] if larger else e["beyond"][-1]
        out.append(
            Direction(
                "widen",
                f"widen the space: allow {'larger' if larger else 'smaller'} values of {e['knob']} "
                f"(e.g. {example})",
                f"{e['share_best']:.0%} of the best trials' {e['knob']} values are {e['value']}, the "
                f"{e['edge']} of its range, against {e['share_all']:.0%} of all; the objective "
                f"{'rises' if larger else 'falls'} with {e['knob']} (Spearman ρ = {e['rho']:.2f}, "
                f"p = {e['p']:.1e})",
                round(min(1.0, 0.5 + abs(e["rho"])), 2),
                Action(widen={e["knob"]: e["beyond"][:2] if larger else e["beyond"][-2:]}),
            )
        )
    return out


def depth_over_width(data: KnobData) -> Direction | None:
    """Accuracy flat against width but rising with depth: spend capacity on depth."""
    from scipy.stats import spearmanr

    groups = data.knobs()
    if "blocks" not in groups or "channels" not in groups or len(data.y) < 20:
        return None
    widths = [np.mean(v) if v else np.nan for v in data.values_by_trial(groups["channels"])]
    width_rho, width_p = spearmanr(widths, data.y, nan_policy="omit")
    depth_rho, depth_p = spearmanr(data.column("blocks"), data.y)
    if not (depth_rho > 0 and depth_p < 0.01 and abs(width_rho) < 0.1 and width_p > 0.2):
        return None
    return Direction(
        "depth_over_width",
        "spend capacity on depth rather than width: allow more blocks",
        f"the objective rises with the number of blocks (Spearman ρ = {depth_rho:.2f}, p = {depth_p:.1e}) "
        f"but not with the mean channels (ρ = {width_rho:.2f}, p = {width_p:.2f})",
        round(min(1.0, 0.5 + depth_rho), 2),
        Action(widen={"blocks": []}),
    )


def unimportant(importance: dict[str, Any]) -> list[Direction]:
    r2 = importance.get("r2") or float("nan")
    if not r2 >= imp.MIN_EXPLAINED:
        return []
    out = []
    for k in importance["knobs"]:
        if (
            k["importance"] < 0.01 * r2
            and k["importance"] < 2 * k["std"] + 1e-3
            and k["best_value"] is not None
        ):
            out.append(
                Direction(
                    "fix_knob",
                    f"fix {k['knob']} to {k['best_value']!r} and shrink the space",
                    f"the knobs explain R² = {r2:.2f} of the objective; {k['knob']} adds "
                    f"{k['importance']:.4f} ± {k['std']:.4f} ({imp.METHOD})",
                    round(min(0.8, r2), 2),
                    Action(fix={k["knob"]: [k["best_value"]]}),
                )
            )
    return out


def weak_proxies(
    correlations: dict[str, dict[str, dict[str, float]]], importance: dict[str, Any]
) -> list[Direction]:
    if not (importance.get("r2") or float("nan")) >= imp.MIN_EXPLAINED:
        return []  # an objective the architecture does not explain is no test of a proxy
    out = []
    for proxy, metrics in correlations.items():
        for metric, c in metrics.items():
            if metric.startswith("valid") and c["n"] >= 20 and abs(c["spearman"]) < WEAK_PROXY:
                out.append(
                    Direction(
                        "weak_proxy",
                        f"do not pre-filter with {proxy} on this task",
                        f"Spearman ρ = {c['spearman']:.2f} between {proxy} and {metric} over {c['n']} trials",
                        round(min(0.9, c["n"] / 100), 2),
                        aim="search",
                    )
                )
    return out


def noise_fragile(retrain: dict[str, float] | None) -> Direction | None:
    if not retrain or "test_accuracy" not in retrain:
        return None
    noisy = {
        float(k.rsplit("_", 1)[1]): v for k, v in retrain.items() if k.startswith("test_accuracy_noise_")
    }
    if not noisy:
        return None
    sigma = max(noisy)
    drop = retrain["test_accuracy"] - noisy[sigma]
    if drop < NOISE_DROP:
        return None
    return Direction(
        "augment",
        "train with augmentation (shifts, noise) so the model holds up under perturbed inputs",
        f"the retrained winner loses {drop:.3f} accuracy under input noise σ = {sigma:g}",
        min(1.0, drop / (3 * NOISE_DROP)),
        Action(augment=["shift"]),
        aim="robustness",
    )


def exploding_norms(curves: list[dict[str, list[float]]]) -> Direction | None:
    worst: tuple[float, str] = (1.0, "")
    for c in curves[:1]:
        for name, series in c.items():
            if name.startswith("norm/") and name.endswith("weight") and len(series) >= 2 and series[0] > 0:
                ratio = series[-1] / series[0]
                if max(ratio, 1 / max(ratio, 1e-12)) > max(worst[0], 1 / max(worst[0], 1e-12)):
                    worst = (ratio, name.removeprefix("norm/"))
    ratio, layer = worst
    if not layer or 1 / NORM_RATIO < ratio < NORM_RATIO:
        return None
    change = "grows" if ratio > 1 else "shrinks"
    return Direction(
        "norms",
        "add normalisation (BatchNorm) or lower the learning rate",
        f"in the best trial the weight norm of {layer} {change} {max(ratio, 1 / ratio):.1f}x over training",
        0.6,
        Action(learning_rate_factor=1 / 3),
    )
