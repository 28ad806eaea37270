"""Zero-cost proxies: training-free scores of a freshly initialised network, by name."""

from __future__ import annotations

import copy
import time

from torch import nn

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.proxies.base import ProxyBatch, ProxyFn
from nasforge.evaluators.proxies.batches import make_batch
from nasforge.evaluators.proxies.ensembles import ENSEMBLES, mean_rank, vote
from nasforge.evaluators.proxies.fisher import fisher
from nasforge.evaluators.proxies.flops import flops
from nasforge.evaluators.proxies.grad_norm import grad_norm
from nasforge.evaluators.proxies.grasp import grasp
from nasforge.evaluators.proxies.jacob_cov import jacob_cov
from nasforge.evaluators.proxies.naswot import naswot
from nasforge.evaluators.proxies.params import params
from nasforge.evaluators.proxies.snip import snip
from nasforge.evaluators.proxies.synflow import synflow
from nasforge.evaluators.proxies.zen import zen

PROXIES: dict[str, ProxyFn] = {
    "params": params,
    "flops": flops,
    "synflow": synflow,
    "snip": snip,
    "grasp": grasp,
    "fisher": fisher,
    "grad_norm": grad_norm,
    "jacob_cov": jacob_cov,
    "naswot": naswot,
    "zen": zen,
}
DATA_FREE = ("params", "flops", "synflow", "zen")


def check_proxies(
    names: list[str] | tuple[str, ...], *, ensembles: bool = True, what: str = "proxies"
) -> tuple[str, ...]:
    """The names if all are known proxies (and ensembles, where they can apply), else a clear error.

    The ensembles (`vote`, `mean_rank`) rank a whole population, so they cannot score one
    architecture on its own: `ensembles=False` refuses them by name.
    """
    if not ensembles and (refused := [n for n in names if n in ENSEMBLES]):
        raise InvalidArgumentError(
            f"{what} cannot be {', '.join(refused)}: an ensemble ranks a whole population and cannot "
            f"score one architecture; use one of {', '.join(PROXIES)} (ensembles work in `nasforge proxies`)"
        )
    known = [*PROXIES, *ENSEMBLES] if ensembles else list(PROXIES)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise InvalidArgumentError(
            f"{what} must be among {', '.join(known)}; got {', '.join(unknown) or 'none'}"
        )
    return tuple(names)


def compute_proxies(
    model: nn.Module, batch: ProxyBatch, names: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    """Each proxy's (score, seconds) on a private copy of `model`, which is left untouched."""
    out = {}
    for name in names:
        start = time.perf_counter()
        out[name] = (PROXIES[name](copy.deepcopy(model), batch), time.perf_counter() - start)
    return out


__all__ = [
    "DATA_FREE",
    "ENSEMBLES",
    "PROXIES",
    "ProxyBatch",
    "check_proxies",
    "compute_proxies",
    "make_batch",
    "mean_rank",
    "vote",
]
