"""Training that grows: checkpoints continued to more epochs, early stopping, kept models."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import EvalOptions, InvalidArgumentError, Study, TrialState, load
from nasforge.deploy.standardize import unstandardize
from nasforge.evaluators import DataSource, Hardware, Measurements, ProxyEvaluator, Recipe, TrainingEvaluator
from nasforge.evaluators.model_card import read_card
from nasforge.evaluators.stop_rule import StopRule
from nasforge.spaces import MacroSpace
from nasforge.study.early_stopping import median_rule

ARCH = (
    "conv(kernel=3,stride=1,channels=16,dilation=1,activation=relu,batchnorm=true,pool=max,pool_size=2) > "
    "head(global_pool=flatten,hidden=0,dropout=0.25)"
)


def test_a_continued_run_equals_one_trained_from_scratch(tmp_path: Path) -> None:
    space = MacroSpace()
    genotype = space.parse(ARCH)
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=4, schedule_epochs=4, seed=2))
    checkpoint = str(tmp_path / "two.safetensors")
    evaluator.evaluate(genotype, space, 2, EvalOptions(checkpoint_to=checkpoint))
    continued = evaluator.evaluate(genotype, space, 4, EvalOptions(resume_from=checkpoint))
    scratch = evaluator.evaluate(genotype, space, 4)
    assert continued.metrics["epochs"] == scratch.metrics["epochs"] == 4
    assert continued.metrics["valid_loss"] == pytest.approx(scratch.metrics["valid_loss"], abs=1e-6)
    assert continued.artifacts.curves_start == 2 and len(continued.artifacts.curves["valid_loss"]) == 2
    assert continued.metrics["resumed_epochs"] == 2  # two epochs trained, two continued (speed: benchmarks)


def test_a_study_promotion_continues_from_the_stored_checkpoint(tmp_path: Path) -> None:
    space = MacroSpace(max_blocks=2)
    study = Study.create(
        space,
        "random",
        seed=0,
        objective="valid_accuracy",
        path=tmp_path / "p.db",
        settings={"checkpoints": True},
    )
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=2, schedule_epochs=6))
    study.optimize(evaluator, 3)
    best = study.leaderboard(1)[0]
    promoted = study.promote(best, 6)
    study.optimize(evaluator, 4)
    assert promoted.state is TrialState.COMPLETE and promoted.metrics["epochs"] == 6
    curves = study.storage.load_curves(promoted.number)
    parent = study.storage.load_curves(best.number)["valid_accuracy"]
    assert len(curves["valid_accuracy"]) == 6 and curves["valid_accuracy"][:2] == parent
    assert promoted.metrics["resumed_epochs"] == 2
    kinds = {a["kind"] for a in study.storage.load_artifacts()}
    assert kinds == {"checkpoint"}
    with pytest.raises(InvalidArgumentError, match="must be above"):
        study.promote(best, 1)


def test_a_corrupted_checkpoint_is_said_and_the_promotion_trains_from_scratch(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    space = MacroSpace(max_blocks=2)
    settings = {"checkpoints": True}
    study = Study.create(
        space, "random", seed=0, objective="valid_accuracy", path=tmp_path / "c.db", settings=settings
    )
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=2, schedule_epochs=6))
    study.optimize(evaluator, 1)
    checkpoint = tmp_path / "c.db.artifacts" / study.storage.load_artifacts()[0]["path"]
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])  # truncated, as by a full disk
    promoted = study.promote(study.trials[0], 6)
    study.optimize(evaluator, 2)
    assert promoted.state is TrialState.COMPLETE and promoted.metrics["epochs"] == 6
    assert promoted.metrics["resumed_epochs"] == 0
    assert len(study.storage.load_curves(promoted.number)["valid_accuracy"]) == 6
    err = capfd.readouterr().err
    assert f"warning: cannot read checkpoint {checkpoint}" in err and "training from scratch instead" in err


def test_median_rule_prunes_a_trial_and_records_the_step() -> None:
    rule = median_rule("valid_accuracy", "maximize", [[0.5, 0.9, 0.95]] * 5, min_trials=5)
    assert rule is not None and rule.thresholds == {1: 0.9, 2: 0.95}
    assert median_rule("valid_accuracy", "maximize", [[0.5]] * 2, min_trials=5) is None
    space = MacroSpace()
    stop = StopRule("valid_accuracy", "maximize", {0: 2.0})  # nothing reaches 2.0: stop after epoch 0
    result = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3)).evaluate(
        space.parse(ARCH), space, None, EvalOptions(stop=stop)
    )
    assert result.pruned_at == 0 and result.metrics["epochs"] == 1 and result.error is None


def test_pruned_trials_are_stored_as_pruned(tmp_path: Path) -> None:
    space = MacroSpace(max_blocks=1)
    study = Study.create(
        space,
        "random",
        seed=1,
        objective="valid_accuracy",
        path=tmp_path / "m.db",
        settings={"pruner": "median", "prune_after": 2},
    )
    study.optimize(TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, learning_rate=0.01)), 10)
    states = {t.state for t in study.trials}
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    for trial in study.trials:
        if trial.state is TrialState.PRUNED:
            assert trial.step is not None and trial.metrics["epochs"] == trial.step + 1 < 3


def test_retrained_models_are_kept_and_load_without_pickle(tmp_path: Path) -> None:
    space = MacroSpace(max_blocks=2)
    study = Study.create(space, "random", seed=0, objective="valid_accuracy", path=tmp_path / "r.db")
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=1))
    study.optimize(evaluator, 2)
    best = study.leaderboard(1)[0]
    result = study.retrain(evaluator, best, 2)
    (artifact,) = study.storage.load_artifacts()
    folder = tmp_path / "r.db.artifacts" / artifact["path"]
    card = read_card(folder)
    assert card.genotype == best.genotype.to_dict() and card.task.num_classes == 10
    assert card.metrics["test_accuracy"].split == "test" and "torch" in card.versions
    assert card.data.mean is not None and len(card.data.mean) == 1 and card.data.class_names is None
    data = evaluator.dataset()
    raw = unstandardize(data.test.x, card)  # the data in its own units, as a user has it
    with torch.no_grad():
        bare = load(folder, raw_input=False)(torch.from_numpy(data.test.x)).argmax(1).numpy()
        predicted = load(folder)(torch.from_numpy(raw)).argmax(1).numpy()
    assert float(np.mean(bare == data.test.y)) == pytest.approx(result.metrics["test_accuracy"], abs=1e-9)
    assert float(np.mean(predicted == data.test.y)) == pytest.approx(
        result.metrics["test_accuracy"], abs=1.5 / len(raw)
    )
    assert not any(p.suffix in (".pt", ".pkl", ".pth") for p in folder.iterdir())


def test_test_split_does_not_move_with_the_search_seed() -> None:
    a = TrainingEvaluator(data="digits", recipe=Recipe(seed=0)).dataset()
    b = TrainingEvaluator(data="digits", recipe=Recipe(seed=7)).dataset()
    assert np.array_equal(a.test.y, b.test.y) and np.array_equal(a.test.x, b.test.x)
    c = TrainingEvaluator(data=DataSource(dataset="digits", split_seed=1)).dataset()
    assert not np.array_equal(a.test.y, c.test.y)


def test_ensembles_are_refused_where_one_architecture_is_scored() -> None:
    for make in (
        lambda: ProxyEvaluator(proxies=("vote",)),
        lambda: TrainingEvaluator(measurements=Measurements(proxies=("mean_rank",))),
    ):
        with pytest.raises(InvalidArgumentError, match="ranks a whole population"):
            make()


def test_a_proxy_that_cannot_score_a_network_does_not_fail_the_trial(monkeypatch: pytest.MonkeyPatch) -> None:
    from nasforge.evaluators import proxies

    monkeypatch.setitem(proxies.PROXIES, "naswot", lambda model, batch: -math.inf)
    space = MacroSpace()
    result = TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=1), measurements=Measurements(proxies=("naswot", "synflow"))
    ).evaluate(space.parse(ARCH), space)
    assert result.error is None and "proxy_naswot" not in result.metrics and "proxy_synflow" in result.metrics


def test_training_threads_leave_the_cores_that_others_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from nasforge.evaluators import resources

    monkeypatch.setattr(resources, "busy_cores_elsewhere", lambda: 1.0)  # one other CPU-bound process
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    space = MacroSpace()
    result = TrainingEvaluator(data="digits", recipe=Recipe(epochs=1)).evaluate(space.parse(ARCH), space)
    assert result.metrics["threads"] == 1 and result.metrics["latency_threads"] == 1
    forced = TrainingEvaluator(data="digits", recipe=Recipe(epochs=1), hardware=Hardware(threads=2)).evaluate(
        space.parse(ARCH), space
    )
    assert forced.metrics["threads"] == 2


def test_busy_cores_of_other_processes_are_measured() -> None:
    import multiprocessing as mp

    from nasforge.evaluators.resources import busy_cores_elsewhere

    busy_cores_elsewhere()
    spinner = mp.get_context("fork").Process(target=_spin, args=(1.5,))
    spinner.start()
    spinner.join()
    assert busy_cores_elsewhere() >= 0.4  # about one core for most of the window


def _spin(seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
