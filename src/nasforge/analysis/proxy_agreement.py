"""Rank correlations between zero-cost proxies and trained metrics within a study."""

from __future__ import annotations

import numpy as np

from nasforge.analysis.correlation import rank_correlations
from nasforge.evaluators.proxies import ENSEMBLES, PROXIES
from nasforge.objectives import from_supernet
from nasforge.study.record import StudyRecord
from nasforge.trial import TrialState

TRAINED_PREFIXES = ("valid", "test")
COMPLEXITY = ("params", "flops", "activation_bytes", "latency_sample_ms")  # measured before training


def proxy_name(metric: str) -> str | None:
    """The proxy a metric holds: `proxy_synflow` (or, in studies of release 0.1, `synflow`), or
    the supernet's score (`supernet_valid_accuracy`: itself)."""
    if from_supernet(metric):
        return metric
    name = metric.removeprefix("proxy_")
    if metric.startswith("proxy_") and (name in PROXIES or name in ENSEMBLES):
        return name
    return metric if metric in PROXIES and metric not in ("params", "flops") else None


def fidelity_correlations(
    study: StudyRecord, complexity: bool = False
) -> dict[str, dict[str, dict[str, float]]]:
    """For every proxy metric and supernet score (and, with `complexity`, every complexity
    measure: parameters, FLOPs, activation memory, latency) and every trained (valid_* / test_*)
    metric of the COMPLETE trials: Spearman ρ, Kendall τ and the number of trials both are known for.

    Example:
        >>> from nasforge import NB201Space, Study
        >>> study = Study.create(NB201Space(), "random")
        >>> fidelity_correlations(study)
        {}
    """
    trials = [t for t in study.trials if t.state is TrialState.COMPLETE]
    names = {name for t in trials for name in t.metrics}
    proxies = sorted(n for n in names if proxy_name(n) is not None)
    proxies += [n for n in COMPLEXITY if complexity and n in names]
    trained = sorted(n for n in names if n.startswith(TRAINED_PREFIXES) and n not in proxies)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for proxy in proxies:
        x = np.array([t.metrics.get(proxy, np.nan) for t in trials])
        out[proxy] = {}
        for metric in trained:
            y = np.array([t.metrics.get(metric, np.nan) for t in trials])
            rho, tau = rank_correlations(x, y)
            out[proxy][metric] = {
                "spearman": rho,
                "kendall": tau,
                "n": int(np.sum(np.isfinite(x) & np.isfinite(y))),
            }
    return out
