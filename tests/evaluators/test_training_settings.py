"""The training evaluator's typed groups and the flat form that the CLI, TOML files and stored
studies use map one to one, so a study stored before the groups existed rebuilds unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators import Hardware, Limits, Recipe, TrainingEvaluator, make_evaluator
from nasforge.evaluators.training_settings import flat_defaults
from nasforge.study.record import StudyView

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_groups_and_the_flat_form_round_trip() -> None:
    evaluator = TrainingEvaluator(
        data="digits",
        recipe=Recipe(epochs=3, augment="shift", mixup=0.2),
        limits=Limits(max_flops=10_000),
        hardware=Hardware(threads=1),
    )
    flat = evaluator.config()
    assert flat["epochs"] == 3 and flat["augment"] == ("shift",) and flat["data"] == "digits"
    assert set(flat) - {"name"} == set(flat_defaults())
    again = make_evaluator(flat)
    assert isinstance(again, TrainingEvaluator) and again.groups() == evaluator.groups()


@pytest.mark.parametrize("stored", ["study_v1_digits.db", "study_v2_ensemble.db"])
def test_a_study_stored_by_an_earlier_release_rebuilds_its_evaluator_unchanged(stored: str) -> None:
    with StudyView(FIXTURES / stored) as view:
        config = dict(view.config.evaluator or {})
    rebuilt = make_evaluator(config).config()
    assert {k: rebuilt[k] for k in config} == {
        k: tuple(v) if isinstance(v, list) else v for k, v in config.items()
    }


def test_a_wrong_setting_is_named_with_what_is_allowed() -> None:
    with pytest.raises(InvalidArgumentError, match=r"no parameter epoch; allowed: data, .*epochs"):
        TrainingEvaluator.from_params(epoch=3)
    with pytest.raises(
        InvalidArgumentError, match="optimizer must be one of 'adamw', 'adam', 'sgd'; got 'lbfgs'"
    ):
        Recipe(optimizer="lbfgs")
    with pytest.raises(InvalidArgumentError, match="threads must be >= 1, got 0"):
        Hardware(threads=0)
