from __future__ import annotations

import pickle

import numpy as np
import pytest

from nasforge import EvalOptions, Study, TrialState
from nasforge.evaluators import Limits, Recipe, TrainingEvaluator
from nasforge.evaluators.metrics import classification_metrics
from nasforge.spaces import MacroSpace, make_space

ARCH = (
    "conv(kernel=3,stride=1,channels=16,dilation=1,activation=relu,batchnorm=true,pool=max,pool_size=2) > "
    "head(global_pool=flatten,hidden=0,dropout=0.0)"
)


@pytest.fixture(scope="module")
def trained() -> tuple[TrainingEvaluator, object]:
    space = MacroSpace()
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, seed=1))
    return evaluator, evaluator.evaluate(space.parse(ARCH), space, options=EvalOptions(test=True))


def test_training_reports_every_metric(trained: tuple[TrainingEvaluator, object]) -> None:
    _, result = trained
    m = result.metrics  # type: ignore[attr-defined]
    for split in ("valid", "test"):
        for name in ("accuracy", "precision", "recall", "f1", "auc", "kl", "loss"):
            assert f"{split}_{name}" in m, name
    assert m["valid_accuracy"] > 0.5 and m["test_auc"] > 0.8  # far above chance (0.1) after 3 epochs
    assert m["test_kl"] >= 0 and m["valid_kl"] >= 0
    for name in (
        "params",
        "flops",
        "size_bytes",
        "activation_bytes",
        "latency_batch_ms",
        "latency_sample_ms",
        "latency_batch_p95_ms",
        "peak_rss_mb",
        "test_accuracy_noise_0.1",
        "test_accuracy_noise_0.5",
    ):
        assert m[name] > 0, name
    assert m["latency_batch_p95_ms"] >= m["latency_batch_ms"]
    assert m["test_accuracy_noise_0.5"] <= m["test_accuracy"] + 0.05
    assert m["size_bytes"] >= 4 * m["params"]


def test_training_curves_cover_every_epoch_and_parameter(trained: tuple[TrainingEvaluator, object]) -> None:
    _, result = trained
    curves = result.artifacts.curves  # type: ignore[attr-defined]
    for name in ("train_loss", "train_accuracy", "valid_loss", "valid_accuracy"):
        assert len(curves[name]) == 3
    assert curves["train_loss"][-1] < curves["train_loss"][0]
    norms = [k for k in curves if k.startswith("norm/")]
    assert any(k.endswith(".weight") for k in norms) and any(k.endswith(".bias") for k in norms)
    assert len(result.artifacts.timings["inference_ms"]) == 30  # type: ignore[attr-defined]


def test_same_seed_same_result(trained: tuple[TrainingEvaluator, object]) -> None:
    evaluator, result = trained
    space = MacroSpace()
    again = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, seed=1)).evaluate(
        space.parse(ARCH), space
    )
    assert again.metrics["valid_accuracy"] == result.metrics["valid_accuracy"]  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(evaluator)).config() == evaluator.config()


def test_metrics_match_hand_computed_values() -> None:
    y = np.array([0, 0, 1, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    m = classification_metrics(y, probs, "")
    assert m["accuracy"] == 0.75
    # predictions 0,1,1,2: precision per class 1, 0.5, 1; recall 0.5, 1, 1
    assert m["precision"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert m["recall"] == pytest.approx((0.5 + 1 + 1) / 3)
    f1 = [2 * p * r / (p + r) for p, r in ((1, 0.5), (0.5, 1), (1, 1))]
    assert m["f1"] == pytest.approx(np.mean(f1))
    true, pred = np.array([0.5, 0.25, 0.25]), probs.mean(axis=0)
    assert m["kl"] == pytest.approx(float(np.sum(true * np.log(true / pred))), rel=1e-6)
    assert m["loss"] == pytest.approx(-np.mean(np.log([0.8, 0.3, 0.7, 0.8])))


def test_divergence_and_size_cap_fail_trials_and_the_study_goes_on() -> None:
    space = make_space({"name": "macro", "max_blocks": 1, "choices": {"channels": [16], "kernel": [3]}})
    diverging = TrainingEvaluator(data="digits", recipe=Recipe(epochs=2, learning_rate=1e12, optimizer="sgd"))
    study = Study.create(space, "random", seed=0, objective="valid_accuracy")
    study.optimize(diverging, 3)
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 3
    assert all("diverged" in (t.reason or "") for t in study.trials)
    tiny_cap = TrainingEvaluator(data="digits", recipe=Recipe(epochs=1), limits=Limits(max_params=10))
    result = tiny_cap.evaluate(study.trials[0].genotype, space)
    assert result.error is not None and "max_params" in result.error
    study.optimize(TrainingEvaluator(data="digits", recipe=Recipe(epochs=1)), 5)
    assert [t.state for t in study.trials[3:]] == [TrialState.COMPLETE] * 2
    assert study.best_trial is not None and study.best_trial.number >= 3


@pytest.mark.parametrize(
    ("option", "metric"),
    [("max_params", "params"), ("max_flops", "flops"), ("max_activation_bytes", "activation_bytes")],
)
def test_a_size_cap_refuses_before_training_and_names_the_measure(option: str, metric: str) -> None:
    space = MacroSpace()
    genotype = space.parse(ARCH)
    measured = (
        TrainingEvaluator(data="digits", recipe=Recipe(epochs=1)).evaluate(genotype, space).metrics[metric]
    )
    capped = TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=50), limits=Limits(**{option: int(measured) - 1})
    )
    result = capped.evaluate(genotype, space)
    assert result.error is not None and f"above {option}={int(measured) - 1:,}" in result.error
    assert result.metrics[metric] == measured and "valid_accuracy" not in result.metrics
    allowed = TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=1), limits=Limits(**{option: int(measured)})
    )
    assert allowed.evaluate(genotype, space).error is None


def test_joint_space_hyperparameters_reach_the_training() -> None:
    space = make_space(
        {
            "name": "joint",
            "space": {"name": "macro", "max_blocks": 1},
            "hyperparameters": {"epochs": [2], "batch_size": [32]},
        }
    )
    g = space.sample(np.random.default_rng(0))
    result = TrainingEvaluator(data="digits", recipe=Recipe(epochs=7)).evaluate(g, space)
    assert result.metrics["epochs"] == 2
    assert len(result.artifacts.curves["train_loss"]) == 2


def test_bfloat16_training_learns_as_float32_does(trained: tuple[TrainingEvaluator, object]) -> None:
    space = MacroSpace()
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, seed=1, precision="bfloat16"))
    m = evaluator.evaluate(space.parse(ARCH), space, options=EvalOptions(test=True)).metrics
    float32 = trained[1].metrics  # type: ignore[attr-defined]
    assert m["valid_accuracy"] > 0.5
    assert abs(m["test_accuracy"] - float32["test_accuracy"]) < 0.1  # same recipe, same seed


def test_fidelity_sets_the_epochs() -> None:
    space = MacroSpace()
    result = TrainingEvaluator(data="digits", recipe=Recipe(epochs=5)).evaluate(
        space.parse(ARCH), space, fidelity=1
    )
    assert result.metrics["epochs"] == 1


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("epochs", 0),
        ("optimizer", "lbfgs"),
        ("learning_rate", -1.0),
        ("device", "tpu"),
        ("max_params", 0),
        ("max_activation_bytes", 0),
        ("augment", ("rotate",)),
        ("precision", "float16"),
        ("mixup", -0.2),
    ],
)
def test_bad_options_are_named(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        TrainingEvaluator.from_params(**{option: value})
