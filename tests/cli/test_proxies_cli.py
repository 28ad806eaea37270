from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge import Study, TrialState
from nasforge.analysis.proxy_agreement import fidelity_correlations
from nasforge.evaluators import Measurements, Recipe, TrainingEvaluator
from nasforge.spaces import make_space
from nasforge.task import Task
from tests.helpers import run


def test_proxies_nb201_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["proxies", "nb201", "--sample", "4", "--proxies", "params,synflow", "--json"]
    code, out, _ = run(capsys, *argv)
    data = json.loads(out)
    assert code == 0 and data["sample"] == 4 and data["data"] == "gaussian"
    assert set(data["proxies"]) == {"params", "synflow"}
    for entry in data["proxies"].values():
        assert -1 <= entry["spearman_test"] <= 1 and entry["sec_per_arch"] > 0


def test_proxies_nb201_bad_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "proxies", "nb201", "--sample", "3", "--proxies", "synflow,oracle")
    assert code == 2 and "oracle" in err


def test_analyze_correlates_proxies_with_trained_metrics(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    space = make_space({"name": "macro", "max_blocks": 2, "choices": {"channels": [16]}})
    path = tmp_path / "a.db"
    study = Study.create(space, "random", seed=0, objective="valid_accuracy", path=path)
    study.optimize(
        TrainingEvaluator(
            data="digits", recipe=Recipe(epochs=1), measurements=Measurements(proxies=("synflow", "params"))
        ),
        5,
    )
    result = fidelity_correlations(study)
    # proxies are stored as proxy_<name>: the trained model's params and flops are not proxies
    assert set(result) == {"proxy_synflow", "proxy_params"}
    assert result["proxy_params"]["valid_accuracy"]["n"] == 5
    assert "test_accuracy" not in result["proxy_params"]  # search trials do not look at the test split
    study.close()
    code, out, _ = run(capsys, "analyze", str(path), "--json")
    assert code == 0 and json.loads(out)["correlations"]["proxy_synflow"]["valid_accuracy"]["n"] == 5
    code, out, _ = run(capsys, "analyze", "--study", str(path))
    assert code == 0 and "synflow" in out


def test_search_with_a_zero_cost_warmup(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db, config = tmp_path / "w.db", tmp_path / "w.toml"
    config.write_text('[space]\nname = "nb201"\nchannels = 4\ncells_per_stage = 1\n')  # small proxy networks
    argv = [
        "search",
        "--config",
        str(config),
        "--table",
        "--study",
        str(db),
        "--budget",
        "12",
        "--warmup",
        "30",
    ]
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0 and json.loads(out)["finished"] == 12
    study = Study.load(db)
    warm = study.config.warm_start
    assert len(warm) == 10
    assert [study.space.format(t.genotype) for t in study.trials[:10]] == warm
    code, _, err = run(
        capsys, "search", "--table", "--study", str(tmp_path / "x.db"), "--warmup-proxy", "oracle"
    )
    assert code == 2 and "oracle" in err


def test_the_warmup_keeps_to_the_size_caps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "caps.db"  # synflow favours big networks; the cap refuses most of the space
    argv = ["search", "--data", "digits", "--epochs", "1", "--study", str(db), "--budget", "2"]
    code, out, _ = run(capsys, *argv, "--warmup", "40", "--max-params", "3000", "--json")
    assert code == 0 and json.loads(out)["finished"] == 2
    study = Study.load(db)
    warm = [study.space.parse(spec) for spec in study.config.warm_start]
    assert len(warm) == 10
    params = [sum(p.numel() for p in study.space.build(g, Task((1, 8, 8), 10)).parameters()) for g in warm]
    assert max(params) <= 3000
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_proxies_on_data_of_another_dimension_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["proxies", "nb201", "--sample", "3", "--proxies", "synflow", "--data", "mnist1d"]
    code, _, err = run(capsys, *argv)  # MNIST-1D is 1-D; the NB201 task is 3x32x32 images
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "data must have 2D inputs" in err and "'mnist1d' has 1D inputs" in err
