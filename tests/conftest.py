from __future__ import annotations

import pytest

from nasforge import NB201Space, TabularEvaluator

BEST_ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="session")
def nb201() -> NB201Space:
    return NB201Space()


@pytest.fixture(scope="session")
def table_evaluator() -> TabularEvaluator:
    return TabularEvaluator()
