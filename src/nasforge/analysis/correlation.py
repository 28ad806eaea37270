"""Rank correlations (scipy) between score vectors, ignoring non-finite entries."""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau, spearmanr


def rank_correlations(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Spearman ρ, Kendall τ) over the entries finite in both; NaN with fewer than 3 such."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3 or np.ptp(a[keep]) == 0 or np.ptp(b[keep]) == 0:
        return float("nan"), float("nan")
    return float(spearmanr(a[keep], b[keep]).statistic), float(kendalltau(a[keep], b[keep]).statistic)
