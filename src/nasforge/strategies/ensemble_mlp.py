"""A small ensemble of multilayer perceptrons, trained together in torch (one batched network).

Used by predictor-based strategies on at most a few hundred encoded architectures. The members
are one network whose weights carry a leading member axis (batched matrix products), so a fit is
a few hundred full-batch Adam steps of a handful of small tensor operations on one thread
(about 0.4 ms a step), and a refit on more data continues from the last weights.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

HIDDEN = 32
STEPS = 200
LEARNING_RATE = 0.01
WEIGHT_DECAY = 1e-4


class EnsembleMLP:
    """`members` two-hidden-layer ReLU networks with their own initialisation, fitted at once
    by mean squared error (each member on every example: they differ by initialisation).

    The first `fit` starts from the initialisation; a later one continues from the weights (and
    the optimiser's state) it left, as a predictor refitted on a growing data set can.
    """

    def __init__(self, members: int, rng: np.random.Generator) -> None:
        self.members = members
        self.seed = int(rng.integers(2**31))
        self.weights: list[torch.Tensor] = []
        self._optimizer: torch.optim.Optimizer | None = None

    def fit(self, x: np.ndarray, y: np.ndarray, steps: int = STEPS) -> EnsembleMLP:
        import torch

        if self._optimizer is None:
            self._initialise(x.shape[1])
        assert self._optimizer is not None
        inputs = torch.as_tensor(x, dtype=torch.float32)
        target = torch.as_tensor(y, dtype=torch.float32).view(1, -1, 1).expand(self.members, -1, 1)
        with _one_thread():  # tiny tensors: threads only add overhead
            for _ in range(steps):
                self._optimizer.zero_grad(set_to_none=True)
                loss = ((_forward(self.weights, inputs) - target) ** 2).mean(dim=(1, 2)).sum()
                loss.backward()  # type: ignore[no-untyped-call]
                self._optimizer.step()
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions of every member: shape (members, len(x))."""
        import torch

        with torch.no_grad(), _one_thread():
            out = _forward(self.weights, torch.as_tensor(x, dtype=torch.float32))
        return out[..., 0].double().numpy()

    def _initialise(self, inputs: int) -> None:
        import torch

        generator = torch.Generator().manual_seed(self.seed)
        sizes = [inputs, HIDDEN, HIDDEN, 1]
        self.weights = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            scale = (2 / fan_in) ** 0.5
            self.weights.append(torch.randn(self.members, fan_in, fan_out, generator=generator) * scale)
            self.weights.append(torch.zeros(self.members, 1, fan_out))
        for w in self.weights:
            w.requires_grad_(True)
        # fused: one kernel per step for every tensor (about 1.5x faster than the default here)
        self._optimizer = torch.optim.AdamW(
            self.weights, lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY, fused=True
        )


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _forward(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    import torch

    w1, b1, w2, b2, w3, b3 = weights
    h1 = torch.relu(torch.matmul(x, w1) + b1)
    h2 = torch.relu(torch.matmul(h1, w2) + b2)
    return torch.matmul(h2, w3) + b3
