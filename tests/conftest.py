from __future__ import annotations

from pathlib import Path

import pytest

from nasforge import NB201Space, TabularEvaluator

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
