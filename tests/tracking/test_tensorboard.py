"""TensorBoard: each trial's curves as scalars over steps and the HParams plugin's record (knobs
against final metrics), written once per trial however often the study is resumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge import Study, TabularEvaluator
from nasforge.spaces import NB201Space
from nasforge.tracking import TensorBoardCallback
from tests.helpers import run

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def hparams_of(folder: Path) -> tuple[dict[str, object], list[str]]:
    """The knob values of a trial's session, and the metric names its experiment declares."""
    events = EventAccumulator(str(folder))
    events.Reload()
    content = events.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    values = {k: v.string_value or v.number_value for k, v in start.session_start_info.hparams.items()}
    return values, [m.name.tag for m in experiment.experiment.metric_infos]


def test_trials_are_written_with_their_hparams_once(
    tmp_path: Path, nb201: NB201Space, table_evaluator: TabularEvaluator
) -> None:
    study = Study.create(nb201, "random", seed=0, path=tmp_path / "s.db")
    study.optimize(table_evaluator, 4, callback=TensorBoardCallback(tmp_path / "tb"))
    folders = sorted((tmp_path / "tb").iterdir())
    assert [f.name for f in folders] == [f"trial-{n:04d}" for n in range(4)]
    values, metrics = hparams_of(folders[2])
    knobs, _ = nb201.suggested(study.trials[2].genotype)
    assert {k: values[k] for k in knobs} == knobs and values["nasforge/strategy"] == "random"
    assert "final/valid" in metrics

    stamp = {f: f.stat().st_mtime_ns for f in (tmp_path / "tb").rglob("events.*")}
    Study.load(tmp_path / "s.db").optimize(table_evaluator, 6, callback=TensorBoardCallback(tmp_path / "tb"))
    assert len(list((tmp_path / "tb").iterdir())) == 6
    assert {f: f.stat().st_mtime_ns for f in stamp} == stamp  # the first four are not written again


def test_search_writes_each_trials_curves_over_epochs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "search", "--data", "digits", "--epochs", "3", "--budget", "2", "--final-epochs", "0",
        "--study", "d.db", "--tensorboard", "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    assert "tensorboard --logdir" in err
    events = EventAccumulator(str(tmp_path / "d.tensorboard" / "trial-0001"))
    events.Reload()
    assert [e.step for e in events.Scalars("valid_accuracy")] == [0, 1, 2]
    assert len(events.Scalars("final/valid_accuracy")) == 1
    assert any(tag.startswith("norm/") for tag in events.Tags()["scalars"])  # weight norms too
