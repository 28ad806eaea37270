"""Registered classes: their configuration is their keyword-only parameters, kept by name."""

from __future__ import annotations

import pytest

from nasforge._registry import init_params


class Kept:
    def __init__(self, *, width: int = 8, depth: int = 2) -> None:
        self.width, self.depth = width, depth


class Renamed:
    def __init__(self, *, width: int = 8) -> None:
        self._width = width


def test_the_parameters_are_read_back_by_name() -> None:
    assert init_params(Kept(width=16)) == {"width": 16, "depth": 2}


def test_a_parameter_kept_under_another_name_is_named_in_the_error() -> None:
    with pytest.raises(TypeError, match="Renamed keeps no attribute for its parameter\\(s\\) width"):
        init_params(Renamed())
