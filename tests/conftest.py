from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

from nasforge import NB201Space, TabularEvaluator
from tests.helpers import run

# Property-based tests: a quick default for the suite, a long profile for nightly-style runs
# (HYPOTHESIS_PROFILE=long); derandomized by default, so that the suite is reproducible.
settings.register_profile("default", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("long", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# A quick training search on digits (two 1-epoch trials).
SEARCH = ["search", "--data", "digits", "--epochs", "1", "--space", "macro", "--budget", "2"]
BEST_ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that write runs/<name>.db by default write it under the test's own folder."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def nb201() -> NB201Space:
    return NB201Space()


@pytest.fixture(scope="session")
def table_evaluator() -> TabularEvaluator:
    return TabularEvaluator()


@pytest.fixture
def exported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """A model folder exported from a quick search on digits (retrained one epoch)."""
    code, _, err = run(capsys, *SEARCH, "--final-epochs", "1", "--study", "s.db", "--json")
    assert code == 0, err
    code, out, err = run(capsys, "export", "s.db", "--out", "model", "--json")
    assert code == 0, err
    assert json.loads(out)["onnx_max_abs_difference"] <= 1e-4
    return tmp_path / "model"
