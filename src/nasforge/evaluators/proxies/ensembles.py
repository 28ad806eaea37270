"""Rank-aggregated proxy ensembles over a set of architectures."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

VOTE_MEMBERS = ("synflow", "jacob_cov", "snip")


def mean_rank(scores: dict[str, np.ndarray], members: tuple[str, ...] | None = None) -> np.ndarray:
    """Mean over the member proxies of each architecture's rank (higher = better); NaN ranks last."""
    names = members or tuple(scores)
    ranks = [rankdata(np.nan_to_num(scores[n], nan=-np.inf)) for n in names]
    return np.mean(ranks, axis=0)


def vote(scores: dict[str, np.ndarray], members: tuple[str, ...] = VOTE_MEMBERS) -> np.ndarray:
    """Abdelfattah et al. (2021): each pair of architectures is ordered by the majority of the
    member proxies; an architecture's score is the number of pairwise majority wins."""
    stacked = np.stack([np.nan_to_num(scores[n], nan=-np.inf) for n in members])  # (proxies, archs)
    wins = np.zeros(stacked.shape[1])
    for start in range(0, stacked.shape[1], 512):  # blocks keep the pairwise arrays small
        block = stacked[:, start : start + 512, None] > stacked[:, None, :]
        majority = block.sum(axis=0) * 2 > len(members)
        wins[start : start + 512] = majority.sum(axis=1)
    return wins


ENSEMBLES = {"vote": vote, "mean_rank": mean_rank}
