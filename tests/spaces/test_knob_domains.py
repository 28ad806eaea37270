"""Generated knob domains: Hypothesis writes define-by-run functions with unusual domains (ranges
whose step does not divide them, log ranges, choices with None, 1 and 1.0 or text holding ", ",
knobs behind a middle value) and checks that every operation the space derives round-trips."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nasforge import InvalidArgumentError, InvalidGenotypeError
from nasforge.spaces.define_by_run import UserSpace
from nasforge.spaces.define_by_run.domains import Integer, Real

TEXTS = st.sampled_from(["a", "x, y", 'say "hi"', "", "b=c", "ü"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False), TEXTS)


@st.composite
def int_knobs(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(-50, 50))
    log = draw(st.booleans())
    if log:
        low = max(low, 1)
    return {
        "kind": "int",
        "low": low,
        "high": low + draw(st.integers(0, 2000)),
        "step": 1 if log else draw(st.integers(1, 7)),
        "log": log,
    }


@st.composite
def float_knobs(draw: st.DrawFn) -> dict[str, Any]:
    log = draw(st.booleans())
    low = draw(st.floats(1e-4, 10)) if log else draw(st.floats(-10, 10))
    high = low + draw(st.floats(0, 100))
    step = None if log or draw(st.booleans()) else draw(st.sampled_from([0.1, 0.25, 0.6, 0.3, 7.0]))
    return {"kind": "float", "low": low, "high": high, "step": step, "log": log}


@st.composite
def choice_knobs(draw: st.DrawFn) -> dict[str, Any]:
    values = draw(st.lists(SCALARS, min_size=1, max_size=5, unique_by=lambda v: (type(v) is bool, v)))
    return {"kind": "choice", "values": values}


KNOBS = st.one_of(int_knobs(), float_knobs(), choice_knobs())


@st.composite
def families(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Knob specs in order; some are asked for only when an earlier int knob takes one middle value."""
    specs = draw(st.lists(KNOBS, min_size=1, max_size=5))
    for i, spec in enumerate(specs):
        ints = [j for j in range(i) if specs[j]["kind"] == "int" and not specs[j]["log"]]
        if ints and draw(st.booleans()):
            j = draw(st.sampled_from(ints))
            levels = Integer.of("x", specs[j]["low"], specs[j]["high"], specs[j]["step"]).grid()
            spec["behind"] = (j, levels[len(levels) // 2])
    return specs


def function_of(specs: list[dict[str, Any]]) -> Any:
    def family(k: Any) -> None:
        asked: dict[int, Any] = {}
        for i, spec in enumerate(specs):
            if "behind" in spec and asked.get(spec["behind"][0]) != spec["behind"][1]:
                continue
            name = f"k{i}"
            if spec["kind"] == "int":
                asked[i] = k.int(name, spec["low"], spec["high"], step=spec["step"], log=spec["log"])
            elif spec["kind"] == "float":
                asked[i] = k.float(name, spec["low"], spec["high"], step=spec["step"], log=spec["log"])
            else:
                asked[i] = k.choice(name, spec["values"])

    return family


def space_of(specs: list[dict[str, Any]]) -> UserSpace:
    try:
        return UserSpace(function=function_of(specs))
    except InvalidArgumentError:
        pytest.skip("not a valid family")


@given(specs=families(), seed=st.integers(0, 2**32 - 1))
def test_every_derived_operation_round_trips(specs: list[dict[str, Any]], seed: int) -> None:
    space = space_of(specs)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        genotype = space.sample(rng)
        space.validate(genotype)
        assert space.parse(space.format(genotype)) == genotype
        assert json.loads(json.dumps(genotype.to_json())) == genotype.to_json()
        assert space.from_features(space.features(genotype)) == genotype
        bits = space.to_bits(genotype)
        decoded = space.from_bits(bits, rng)
        assert (space.to_bits(decoded) == bits).all()
        for neighbor in space.neighbors(genotype):
            space.validate(neighbor)
            assert space.key(neighbor) != space.key(genotype)
            assert not np.array_equal(space.encode(neighbor), space.encode(genotype))


@given(specs=families())
def test_a_knob_behind_a_middle_value_is_found(specs: list[dict[str, Any]]) -> None:
    space = space_of(specs)
    assert sorted(space.domains) == sorted(f"k{i}" for i in range(len(specs)))


@pytest.mark.parametrize(
    ("low", "high", "step", "log", "top"),
    [(0.0, 1.0, 0.6, False, 0.6), (0.0, 1.0, 0.3, False, 0.9), (-1.0, 1.0, None, False, 1.0)],
)
def test_a_float_range_ends_on_its_step_grid(
    low: float, high: float, step: float, log: bool, top: float
) -> None:
    domain = Real.of("x", low, high, step, log)
    assert domain.high == top and max(domain.levels()) == top


def test_an_int_range_ends_on_its_step_grid() -> None:
    assert Integer.of("units", 0, 1001, step=3).high == 999
    assert max(Integer.of("units", 0, 1001, step=3).levels()) == 999


@pytest.mark.parametrize(
    "make", [lambda: Integer.of("n", 1, 12, step=3, log=True), lambda: Real.of("lr", 1e-4, 1.0, 0.1, True)]
)
def test_step_with_log_is_refused_as_in_optuna(make: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot go with log=True"):
        make()


def test_a_continuous_log_float_is_drawn_log_uniformly() -> None:
    domain = Real.of("lr", 1e-3, 10.0, log=True)
    draws = np.array([domain.sample(np.random.default_rng(i)) for i in range(2000)])
    assert 0.45 < np.mean(draws < 0.1) < 0.55  # half the log range lies below 0.1
    assert len(set(draws)) == 2000  # continuous: not a grid


def test_none_as_a_value_differs_from_a_knob_not_asked() -> None:
    def family(k: Any) -> None:
        if k.bool("norm_on"):
            k.choice("norm", [None, "layer", "batch"])

    space = UserSpace(function=family)
    with_none = space.parse("norm_on=true, norm=null")
    absent = space.parse("norm_on=false")
    assert space.from_features(space.features(with_none)) == with_none
    assert space.features(absent)["norm"] is not None and space.features(with_none)["norm"] is None
    assert not np.array_equal(
        space.encode(with_none), space.encode(space.parse('norm_on=true, norm="layer"'))
    )


def test_one_and_one_point_zero_in_one_choice_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="knob 'x': choices must be distinct"):
        UserSpace(function=lambda k: k.choice("x", [1, 1.0])).domains  # noqa: B018


def test_a_knob_discovery_never_reached_is_refused_in_one_line() -> None:
    def family(k: Any) -> None:
        if k.int("n", 1, 1000) == 517:
            k.bool("hidden")

    space = UserSpace(function=family)
    assert list(space.domains) == ["n"]
    with pytest.raises(InvalidArgumentError, match=r"knob 'hidden' .* behind n=517"):
        space.parse("n=517, hidden=true")


def test_a_text_value_holding_a_comma_round_trips() -> None:
    space = UserSpace(function=lambda k: (k.choice("a", ["x, y", "z"]), k.int("b", 0, 3)))
    genotype = space.parse('a="x, y", b=2')
    assert space.format(genotype) == 'a="x, y", b=2' and space.parse(space.format(genotype)) == genotype
    with pytest.raises(InvalidGenotypeError, match="name=JSON"):
        space.parse("a=x, y")


def test_a_model_building_function_is_known_by_its_task_parameter() -> None:
    from tests.spaces import user_spaces

    assert not UserSpace(function=user_spaces.recipe_with_option).builds_model  # verbose=False is no task
    assert UserSpace(function=user_spaces.cnn).builds_model
    with pytest.raises(
        InvalidArgumentError, match=r"a parameter named 'task' if it builds a model.*got \(k, t\)"
    ):
        UserSpace(function=lambda k, t: None)


def test_a_sequence_family_is_traced_with_its_task() -> None:
    from nasforge import Task
    from tests.spaces import user_spaces

    with pytest.raises(InvalidArgumentError, match="placeholder task"):
        UserSpace(function=user_spaces.sequences).domains  # noqa: B018
    space = UserSpace(function=user_spaces.sequences, task=Task((1, 40), 10))
    assert list(space.domains) == ["width"]
    assert space.build(space.parse("width=8"), Task((1, 40), 10))[0].out_channels == 8
