"""A small ensemble of multilayer perceptrons in NumPy, trained together (full batch, Adam).

Used by predictor-based strategies on at most a few hundred encoded architectures, where fitting
several scikit-learn networks per ask would cost far more than the search itself.
"""

from __future__ import annotations

import itertools

import numpy as np

HIDDEN = 32
STEPS = 200
LEARNING_RATE = 0.01
WEIGHT_DECAY = 1e-4


class EnsembleMLP:
    """`members` two-hidden-layer ReLU networks with their own initialisation, fitted at once."""

    def __init__(self, members: int, rng: np.random.Generator) -> None:
        self.members, self.rng = members, rng
        self.weights: list[np.ndarray] = []

    def fit(self, x: np.ndarray, y: np.ndarray) -> EnsembleMLP:
        """Fit every member to (x, y) by mean squared error."""
        sizes = [x.shape[1], HIDDEN, HIDDEN, 1]
        self.weights = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            self.weights.append(self.rng.normal(0, np.sqrt(2 / fan_in), (self.members, fan_in, fan_out)))
            self.weights.append(np.zeros((self.members, 1, fan_out)))
        moments = [np.zeros_like(w) for w in self.weights]
        squares = [np.zeros_like(w) for w in self.weights]
        target = np.broadcast_to(y[None, :, None], (self.members, len(y), 1))
        for step in range(1, STEPS + 1):
            grads = self._gradients(x, target)
            for i, (w, g) in enumerate(zip(self.weights, grads, strict=True)):
                g = g + WEIGHT_DECAY * w
                moments[i] = 0.9 * moments[i] + 0.1 * g
                squares[i] = 0.999 * squares[i] + 0.001 * g * g
                corrected = moments[i] / (1 - 0.9**step), squares[i] / (1 - 0.999**step)
                w -= LEARNING_RATE * corrected[0] / (np.sqrt(corrected[1]) + 1e-8)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions of every member: shape (members, len(x))."""
        return self._forward(x)[-1][..., 0]

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        w1, b1, w2, b2, w3, b3 = self.weights
        h1 = np.maximum(x @ w1 + b1, 0)
        h2 = np.maximum(h1 @ w2 + b2, 0)
        return [h1, h2, h2 @ w3 + b3]

    def _gradients(self, x: np.ndarray, target: np.ndarray) -> list[np.ndarray]:
        _, _, w2, _, w3, _ = self.weights
        h1, h2, out = self._forward(x)
        d3 = 2 * (out - target) / len(x)
        d2 = (d3 @ w3.transpose(0, 2, 1)) * (h2 > 0)
        d1 = (d2 @ w2.transpose(0, 2, 1)) * (h1 > 0)
        return [
            x.T @ d1,
            d1.sum(axis=1, keepdims=True),
            h1.transpose(0, 2, 1) @ d2,
            d2.sum(axis=1, keepdims=True),
            h2.transpose(0, 2, 1) @ d3,
            d3.sum(axis=1, keepdims=True),
        ]
