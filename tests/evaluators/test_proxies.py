"""Each proxy on tiny networks against values computed by hand or by an independent formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from nasforge import InvalidArgumentError
from nasforge.evaluators.proxies import PROXIES, ProxyBatch, check_proxies, compute_proxies, mean_rank, vote
from nasforge.evaluators.proxies.batches import gaussian_batch
from nasforge.evaluators.proxy import ProxyEvaluator
from nasforge.spaces import NB201Space
from nasforge.task import Task


def linear_case(seed: int = 0) -> tuple[nn.Module, ProxyBatch, np.ndarray, np.ndarray, np.ndarray]:
    """A bias-free linear classifier, a batch, and numpy copies of W, X and the one-hot Y."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4, bias=False)).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, 1])
    w = model[0].weight.detach().numpy().copy()
    return model, ProxyBatch(x, y, 4), w, x.numpy(), np.eye(4)[y.numpy()]


def softmax_grad(w: np.ndarray, x: np.ndarray, onehot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dL/dlogits and dL/dW of the mean cross-entropy of logits = x Wᵀ."""
    logits = x @ w.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    d_logits = (p - onehot) / len(x)
    return d_logits, d_logits.T @ x


def test_params_and_flops_by_hand() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 5))
    batch = ProxyBatch(torch.zeros(2, 1, 6, 6), torch.zeros(2, dtype=torch.long), 5)
    assert PROXIES["params"](model, batch) == (2 * 9 + 2) + (32 * 5 + 5)
    assert PROXIES["flops"](model, batch) == 2 * (2 * 9 * 16) + 2 * (32 * 5)


def test_synflow_of_a_two_layer_linear_network_is_twice_its_output() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))
    w1, w2 = (np.abs(m.weight.detach().numpy().astype(np.float64)) for m in model)
    batch = ProxyBatch(torch.zeros(1, 3), torch.zeros(1, dtype=torch.long), 2)
    # R(θ) is linear in each layer's weights, so Σ θ ∂R/∂θ = R per layer (Euler)
    assert PROXIES["synflow"](model, batch) == pytest.approx(2 * (w2 @ w1 @ np.ones(3)).sum(), rel=1e-9)


def test_snip_and_grad_norm_match_the_closed_form_gradient() -> None:
    model, batch, w, x, onehot = linear_case()
    _, grad_w = softmax_grad(w, x, onehot)
    assert PROXIES["snip"](model, batch) == pytest.approx(np.abs(w * grad_w).sum(), rel=1e-9)
    model, batch, *_ = linear_case()
    assert PROXIES["grad_norm"](model, batch) == pytest.approx(np.linalg.norm(grad_w), rel=1e-9)


def test_fisher_matches_the_closed_form_activation_gradient() -> None:
    model, batch, w, x, onehot = linear_case()
    d_logits, _ = softmax_grad(w, x, onehot)
    logits = x @ w.T
    expected = (0.5 * (logits * d_logits) ** 2).mean(0).sum()
    assert PROXIES["fisher"](model, batch) == pytest.approx(expected, rel=1e-9)


def test_grasp_matches_a_full_hessian() -> None:
    model, batch, w, *_ = linear_case()
    flat = torch.tensor(w.ravel(), dtype=torch.float64)

    def loss(theta: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(batch.x @ theta.reshape(4, 3).T, batch.y)

    hessian = torch.autograd.functional.hessian(loss, flat)
    gradient = torch.autograd.functional.jacobian(loss, flat)
    expected = float(-(flat * (hessian @ gradient)).sum())
    assert PROXIES["grasp"](model, batch) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_jacob_cov_of_a_linear_map_has_identical_jacobians() -> None:
    model, batch, *_ = linear_case()
    n, k = len(batch.x), 1e-5
    # every example's Jacobian is Wᵀ1: the correlation matrix is all ones, eigenvalues n, 0, …, 0
    expected = -((math.log(n + k) + 1 / (n + k)) + (n - 1) * (math.log(k) + 1 / k))
    assert PROXIES["jacob_cov"](model, batch) == pytest.approx(expected, rel=1e-6)


def test_naswot_kernel_by_hand() -> None:
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
    x = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    # codes: [1,1], [1,0], [0,0]; K[i,j] = number of units where codes agree
    kernel = np.array([[2, 1, 0], [1, 2, 1], [0, 1, 2]], dtype=float)
    batch = ProxyBatch(x, torch.zeros(3, dtype=torch.long), 2)
    assert PROXIES["naswot"](model, batch) == pytest.approx(np.linalg.slogdet(kernel)[1])


def test_zen_is_finite_deterministic_and_tells_networks_apart() -> None:
    space = NB201Space(channels=4, cells_per_stage=1)
    task = Task((3, 8, 8), 10)
    batch = gaussian_batch(task, 8, 0)
    scores = []
    for ops in (["nor_conv_3x3"] * 6, ["skip_connect"] * 6):
        torch.manual_seed(0)
        model = space.build(space.make(ops), task)
        scores.append(PROXIES["zen"](model, batch))
        torch.manual_seed(0)
        assert PROXIES["zen"](space.build(space.make(ops), task), batch) == scores[-1]
    assert all(math.isfinite(s) for s in scores) and scores[0] != scores[1]


def test_proxies_leave_the_model_unchanged_and_are_deterministic() -> None:
    space = NB201Space(channels=4, cells_per_stage=1)
    task = Task((3, 8, 8), 10)
    genotype = space.make(
        ["nor_conv_3x3", "avg_pool_3x3", "nor_conv_1x1", "skip_connect", "nor_conv_3x3", "none"]
    )
    torch.manual_seed(0)
    model = space.build(genotype, task)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batch = gaussian_batch(task, 8, 0)
    first = compute_proxies(model, batch, tuple(PROXIES))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    again = compute_proxies(model, batch, tuple(PROXIES))
    assert {k: v[0] for k, v in first.items()} == {k: v[0] for k, v in again.items()}
    evaluator = ProxyEvaluator(proxies=("synflow", "snip"), input_shape=(3, 8, 8), batch_size=8)
    metrics = evaluator.evaluate(genotype, space).metrics
    again_metrics = evaluator.evaluate(genotype, space).metrics
    assert (metrics["synflow"], metrics["snip"]) == (again_metrics["synflow"], again_metrics["snip"])
    assert metrics["synflow_seconds"] >= 0 and evaluator.objective == "synflow"


def test_ensembles_by_hand() -> None:
    scores = {
        "synflow": np.array([3.0, 2.0, 1.0]),
        "jacob_cov": np.array([1.0, 3.0, 2.0]),
        "snip": np.array([3.0, 1.0, 2.0]),
    }
    # by majority: 0 beats 1 (synflow, snip), 0 beats 2 (synflow, snip), 1 beats 2 (synflow, jacob_cov)
    assert vote(scores).tolist() == [2, 1, 0]
    assert mean_rank(scores).tolist() == pytest.approx([(3 + 1 + 3) / 3, (2 + 3 + 1) / 3, (1 + 2 + 2) / 3])


def test_unknown_proxy_is_named() -> None:
    with pytest.raises(InvalidArgumentError, match="zen"):
        check_proxies(("synflow", "magic"))
