"""The study as a record: read-only views, migration, ask/tell, objectives, constraints, settings."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from nasforge import (
    InvalidArgumentError,
    NB201Space,
    SpaceExhaustedError,
    Study,
    StudyError,
    StudyView,
    TabularEvaluator,
    TrialState,
)
from nasforge.study.storage import SCHEMA_VERSION

FIXTURES = Path(__file__).parent.parent / "fixtures"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_study(path: Path, budget: int = 6, **kwargs: object) -> None:
    study = Study.create(NB201Space(), "random", seed=1, path=path, **kwargs)  # type: ignore[arg-type]
    study.optimize(TabularEvaluator(), budget)
    study.close()


def test_view_reads_without_writing_or_replaying(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    table_study(path)
    before = digest(path)
    with StudyView(path) as view:
        assert len(view.trials) == 6 and view.objective == "valid" and view.schema_version == SCHEMA_VERSION
        assert view.best_trial is not None and view.best_trial.score == max(t.score or 0 for t in view.trials)
    assert digest(path) == before


def test_view_shows_a_study_whose_space_or_strategy_is_unknown_here(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    table_study(path)
    with sqlite3.connect(path) as db:  # as if written by a release with other spaces and strategies
        config = json.loads(db.execute("SELECT config FROM study").fetchone()[0])
        config["space"]["name"] = "from_the_future"
        config["strategy"]["name"] = "unheard_of"
        db.execute("UPDATE study SET config = ?", (json.dumps(config),))
    with StudyView(path) as view:
        assert len(view.leaderboard()) == 6
        assert view.format(view.trials[0].genotype).startswith("{")  # JSON where the space is unknown
    with pytest.raises(InvalidArgumentError, match=r"space must be one of .*got 'from_the_future'"):
        Study.load(path)  # resuming needs the space and the strategy; reading does not


def test_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = digest(path)
    for opener in (StudyView, Study.load):
        with pytest.raises(StudyError, match="not a nasforge study"):
            opener(path)
    assert digest(path) == before
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("damage", ["pages", "json"])
def test_damaged_study_files_are_clear_errors(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "s.db"
    table_study(path)
    if damage == "pages":
        data = bytearray(path.read_bytes())
        data[4096:8192] = b"\x17" * 4096  # the second page onward
        path.write_bytes(bytes(data))
    else:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE trials SET genotype = '{not json' WHERE number = 0")
    with pytest.raises(StudyError, match=r"cannot read study file|malformed"):
        StudyView(path)


@pytest.mark.parametrize("name", ["study_v1_table.db", "study_v1_digits.db"])
def test_studies_of_release_0_1_open_and_migrate(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(FIXTURES / name, path)
    with StudyView(path) as view:  # read as they are
        assert view.schema_version == 1 and view.trials and all(t.values is None for t in view.trials)
        assert view.best_trial is not None
        count = len(view.trials)
    study = Study.load(path)  # opened for writing: migrated, and the search goes on
    if name == "study_v1_table.db":
        study.optimize(TabularEvaluator(), count + 2)
        assert len(study.trials) == count + 2 and study.trials[-1].values is not None
    study.close()
    with StudyView(path) as view:
        assert view.schema_version == SCHEMA_VERSION
        if name == "study_v1_digits.db":  # a training study: its per-epoch curves survived
            assert len(view.curves(0)["valid_accuracy"]) >= 1


def test_ask_and_tell_in_a_user_loop_keeps_the_guarantees(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    study = Study.create(NB201Space(), "evolution", seed=2, path=path, strategy_params={"population_size": 4})
    evaluator = TabularEvaluator()
    for _ in range(8):
        trial = study.ask()
        result = evaluator.evaluate(trial.genotype, study.space)
        study.tell(trial, result.metrics)
    failing = study.ask()
    study.tell(failing, error="out of memory")
    running = study.ask()  # asked, never told: the process "dies"
    with pytest.raises(InvalidArgumentError, match="RUNNING trial"):
        study.tell(study.trials[0], {"valid": 1.0})
    study.close()

    resumed = Study.load(path)
    assert resumed.ask().key == running.key  # the unfinished trial comes back first
    reference = Study.create(NB201Space(), "evolution", seed=2, strategy_params={"population_size": 4})
    reference.optimize(evaluator, 9)
    assert [t.key for t in resumed.trials[:9]] == [t.key for t in reference.trials]
    assert resumed.trials[8].state is TrialState.FAILED and resumed.trials[8].reason == "out of memory"
    assert len({t.key for t in resumed.trials}) == len(resumed.trials)


def test_ask_on_an_exhausted_space_is_a_clear_error() -> None:
    space = NB201Space()
    study = Study.create(space, "random")
    study.strategy._seen = {(space.key(g), None) for g in space.enumerate() or ()}
    with pytest.raises(SpaceExhaustedError):
        study.ask()


def test_two_objectives_give_a_pareto_front_and_constraints_mark_feasibility() -> None:
    study = Study.create(
        NB201Space(),
        "random",
        seed=0,
        objective=["valid", "params"],
        direction=["maximize", "minimize"],
        constraints=["params<=4e5"],
        evaluator=TabularEvaluator(),
    )
    study.optimize(TabularEvaluator(), 40)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert all(t.values == [t.metrics["valid"], t.metrics["params"]] for t in done)
    assert {t.feasible for t in done} == {True, False}
    assert all(t.feasible == (t.metrics["params"] <= 4e5) for t in done)
    front = study.pareto_front()
    assert front and all(t.feasible for t in front)
    feasible = [t for t in done if t.feasible]
    for t in front:  # nothing feasible is better on both objectives
        assert not any(
            o.metrics["valid"] >= t.metrics["valid"]
            and o.metrics["params"] <= t.metrics["params"]
            and (o.metrics["valid"], o.metrics["params"]) != (t.metrics["valid"], t.metrics["params"])
            for o in feasible
        )
    assert study.leaderboard()[0].feasible is True  # feasible trials rank first


def test_objective_and_direction_mistakes_are_named() -> None:
    with pytest.raises(InvalidArgumentError, match="one per objective"):
        Study.create(NB201Space(), "random", objective=["valid", "params"], direction=["maximize"] * 3)
    with pytest.raises(InvalidArgumentError, match="constraint must be a metric"):
        Study.create(NB201Space(), "random", constraints=["nosuch<=3"], evaluator=TabularEvaluator())
    with pytest.raises(InvalidArgumentError, match="NAME<=VALUE"):
        Study.create(NB201Space(), "random", constraints=["params < 3"])


def test_api_study_resumes_from_the_stored_settings(tmp_path: Path) -> None:
    path = tmp_path / "api.db"
    study = Study.create(NB201Space(), "random", seed=3, path=path, settings={"budget": 7})
    study.optimize(TabularEvaluator(noisy=True), 4)  # the evaluator is stored on first use
    study.close()
    with StudyView(path) as view:
        assert view.config.evaluator["noisy"] is True and view.config.settings["budget"] == 7
    from nasforge.cli.main import main

    assert main(["search", "--study", str(path), "--json"]) == 0  # once: TypeError on a NoneType
    with StudyView(path) as view:
        assert view.n_finished == 7 and view.config.evaluator["noisy"] is True


def test_intermediate_values_reported_from_a_user_loop_drive_pruning(tmp_path: Path) -> None:
    study = Study.create(NB201Space(), "random", seed=0, objective="valid", path=tmp_path / "r.db")
    for value in (80.0, 82.0, 84.0, 86.0, 88.0):
        trial = study.ask()
        for step in range(3):
            study.report(trial, step, {"valid": value + step})
        study.tell(trial, {"valid": value + 2}, curves=None)
    assert study.storage.load_curves(0)["valid"] == [80.0, 81.0, 82.0]
    trial = study.ask()
    assert study.should_prune(trial, 1, 83.0) and not study.should_prune(
        trial, 1, 86.0
    )  # median at step 1: 85
    study.tell(trial, {"valid": 83.0}, pruned_at=1)
    assert trial.state is TrialState.PRUNED and trial.step == 1 and study.best_trial is not trial


def test_a_promotion_ranks_above_its_lower_fidelity_trial_whatever_the_scores() -> None:
    """A trial run at the evaluator's default 12 epochs (fidelity None) and its promotion to 200:
    the 200-epoch result leads, as it does for promotion (both read the fidelity the same way)."""
    study = Study.create(NB201Space(), "random", seed=0)
    study.optimize(TabularEvaluator(epochs=12), 5)
    low = study.leaderboard(1)[0]
    assert low.fidelity is None and low.metrics["epochs"] == 12
    promoted = study.promote(low, 200)
    study.optimize(TabularEvaluator(epochs=12), 6)
    assert promoted.state is TrialState.COMPLETE
    study.trials[low.number].score = 1e9  # even a far better score at 12 epochs ranks below
    assert study.leaderboard(1)[0].number == promoted.number
    with pytest.raises(InvalidArgumentError, match=r"must be above trial .*'s 200"):
        study.promote(promoted, 12)
