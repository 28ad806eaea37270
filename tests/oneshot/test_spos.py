"""Single-path one-shot: the supernet learns, its paths are scored with their own BatchNorm
statistics, and a search runs on it as on any evaluator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import nasforge
from nasforge import Study, make_space
from nasforge.errors import InvalidArgumentError
from nasforge.evaluators import profiling as prof
from nasforge.oneshot.evaluator import SupernetEvaluator, recalibrate
from nasforge.oneshot.macro_supernet import MacroSupernet
from nasforge.task import Task
from nasforge.workflows.retrain import final_retrain

# A space of per-block operation choices, as one-shot papers search (on 1,300 small images a
# supernet over every knob of the macro space, heads included, stays near chance for 20 epochs).
SPACE = {
    "name": "macro",
    "min_blocks": 2,
    "max_blocks": 3,
    "choices": {
        "kernel": [3, 5],
        "channels": [8, 16],
        "stride": [1],
        "dilation": [1],
        "activation": ["relu", "elu"],
        "batchnorm": [True],
        "pool": ["none", "max"],
        "global_pool": ["avg"],
        "hidden": [0],
        "dropout": [0.0],
    },
}


def test_a_trained_supernet_scores_paths_far_above_chance_and_the_untrained_one_near_it() -> None:
    space = make_space(SPACE)
    rng = np.random.default_rng(0)
    genotypes = [space.sample(rng) for _ in range(6)]
    untrained = SupernetEvaluator(data="digits", epochs=1, threads=1)
    untrained._trained = (space.config(), MacroSupernet(space, untrained.training.dataset().task).eval())
    trained = SupernetEvaluator(data="digits", epochs=20, learning_rate=0.01, threads=1)
    score = lambda ev: np.mean([ev.evaluate(g, space).metrics["supernet_valid_accuracy"] for g in genotypes])  # noqa: E731
    assert score(untrained) < 0.3 < 0.45 < score(trained)


def test_recalibration_gives_a_path_the_statistics_of_its_own_activations() -> None:
    space = make_space(
        {"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16], "batchnorm": [True]}}
    )
    task = Task((1, 20), 4)
    supernet = MacroSupernet(space, task)
    genotype = space.sample(np.random.default_rng(2))
    x = torch.randn(64, 1, 20)
    recalibrate(supernet, genotype, x, count=1, batch_size=64)
    step = genotype.spec[0][0]
    channels = step[2]
    network = supernet.extract(genotype)
    with torch.no_grad():
        first_conv = network.features[0](x)
    torch.testing.assert_close(
        supernet.running_mean[0, :channels], first_conv.mean((0, 2)), rtol=1e-4, atol=1e-5
    )
    assert not supernet.training


def test_recalibration_draws_its_batches_from_a_shuffle_not_the_first_ones() -> None:
    space = make_space(SPACE)
    task = Task((1, 20), 10)
    supernet = MacroSupernet(space, task)
    genotype = space.sample(np.random.default_rng(2))
    x = torch.cat([torch.zeros(256, 1, 20), torch.randn(256, 1, 20) + 3.0])  # sorted: the zeros first
    recalibrate(supernet, genotype, x, count=1, batch_size=64, seed=0)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:64]
    channels = genotype.spec[0][0][2]
    with torch.no_grad():
        drawn = supernet.extract(genotype).features[0](x[order]).mean((0, 2))
        first = supernet.extract(genotype).features[0](x[:64]).mean((0, 2))
    assert 0 < int((order >= 256).sum()) < 64  # the batch mixes both halves
    torch.testing.assert_close(supernet.running_mean[0, :channels], drawn, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(drawn, first, atol=1e-2)


def test_options_the_supernet_cannot_honour_are_refused_in_one_line() -> None:
    space = make_space(SPACE)
    with pytest.raises(InvalidArgumentError, match="device 'cuda': the supernet evaluator trains"):
        SupernetEvaluator(data="digits", device="cuda").check(space)
    for options in ({"precision": "bfloat16"}, {"mixup": 0.2}):
        with pytest.raises(InvalidArgumentError, match="DARTS trains in float32 without mixup"):
            SupernetEvaluator(data="digits", method="darts", **options).check(make_space("nb201"))


def test_training_the_supernet_leaves_the_callers_torch_generator_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SupernetEvaluator(data="digits", epochs=1, threads=1).train(make_space(SPACE))
    torch.testing.assert_close(torch.rand(3), expected)


def test_a_space_without_a_supernet_is_refused_in_one_line() -> None:
    evaluator = SupernetEvaluator(data="digits", epochs=1)
    message = "space 'nasnet' has no supernet; one-shot search works on: families, macro, nb201"
    with pytest.raises(InvalidArgumentError, match=message):
        evaluator.check(make_space({"name": "nasnet"}))


def test_an_evolution_search_on_the_supernet_is_a_study_like_any_other(tmp_path: Path) -> None:
    space = make_space(SPACE)
    evaluator = SupernetEvaluator(data="digits", epochs=3, learning_rate=0.01, threads=1)
    study = Study.create(
        space,
        "evolution",
        objective=evaluator.objective,
        path=tmp_path / "spos.db",
        evaluator=evaluator,
        settings={"final_epochs": 2, "ensemble": 1},
    )
    study.optimize(evaluator, 12)
    scores = [t.metrics["supernet_valid_accuracy"] for t in study.trials if t.metrics]
    assert len(scores) == 12 and len(set(scores)) > 1
    for trial in study.trials:  # the size of each candidate, which the rerank's shortlist weighs
        network = space.build(trial.genotype, evaluator.data_task())
        assert trial.metrics["flops"] == prof.flops(network, torch.zeros(1, 1, 8, 8)) > 0
    best = study.best_trial
    assert best is not None and best.metrics["supernet_valid_accuracy"] == max(scores)
    # The winner is retrained on its own, as after any search, and kept as an ordinary model.
    [(trial, record)] = final_retrain(study, evaluator)
    assert trial.number == best.number and record.error is None
    assert 0.0 <= record.metrics["test_accuracy"] <= 1.0 and "supernet_valid_accuracy" not in record.metrics
    network = nasforge.load(study.model_folder(best))
    assert network(torch.zeros(1, 1, 8, 8)).shape == (1, 10)


def test_candidates_trained_on_their_own_put_the_supernet_score_beside_trained_accuracy() -> None:
    from nasforge.analysis.proxy_agreement import fidelity_correlations

    evaluator = SupernetEvaluator(
        data="digits",
        epochs=3,
        candidate_epochs=1,
        train_candidates=True,
        proxies=("synflow",),
        threads=1,
        learning_rate=0.01,
    )
    study = Study.create(make_space(SPACE), "random", objective=evaluator.objective, evaluator=evaluator)
    study.optimize(evaluator, 6)
    for trial in study.trials:
        assert {"supernet_valid_accuracy", "valid_accuracy", "proxy_synflow", "params"} <= set(trial.metrics)
        assert trial.metrics["epochs"] == 1
    correlations = fidelity_correlations(study)
    assert correlations["supernet_valid_accuracy"]["valid_accuracy"]["n"] == 6
    assert correlations["proxy_synflow"]["valid_accuracy"]["n"] == 6
    assert -1.0 <= correlations["supernet_valid_accuracy"]["valid_accuracy"]["kendall"] <= 1.0
