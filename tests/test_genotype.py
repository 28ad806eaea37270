from __future__ import annotations

import pytest

from nasforge import Genotype, InvalidGenotypeError


def test_json_round_trip_keeps_nested_tuples_and_equality() -> None:
    g = Genotype("macro", (("conv", 3, True), ("pool", None, 0.5)))
    back = Genotype.from_json(g.to_json())
    assert back == g
    assert hash(back) == hash(g)
    assert isinstance(back.spec[0], tuple)


def test_lists_are_frozen_into_tuples() -> None:
    g = Genotype("x", [["a", 1], ["b", 2]])
    assert g.spec == (("a", 1), ("b", 2))
    with pytest.raises(AttributeError):
        g.spec = ()  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["not json", '{"space": "x"}', "[1, 2]"])
def test_from_json_rejects_malformed_text(bad: str) -> None:
    with pytest.raises(InvalidGenotypeError):
        Genotype.from_json(bad)


def test_spec_rejects_unhashable_values() -> None:
    with pytest.raises(InvalidGenotypeError, match="dict"):
        Genotype("x", ({"a": 1},))


def test_check_float_refuses_infinity_and_nan() -> None:
    import math

    import pytest

    from nasforge import InvalidArgumentError
    from nasforge.validation import check_float

    for value in (math.inf, -math.inf, math.nan):
        with pytest.raises(InvalidArgumentError, match="must be a finite number"):
            check_float("learning_rate", value)
    assert check_float("learning_rate", 0.5) == 0.5


def test_nasnet_refuses_an_unknown_operation_before_building() -> None:
    import numpy as np
    import pytest

    from nasforge import InvalidGenotypeError, Task
    from nasforge.genotype import Genotype
    from nasforge.spaces.nasnet.network import make_op
    from nasforge.spaces.nasnet.space import NASNetSpace

    space = NASNetSpace()
    normal, reduce = space.sample(np.random.default_rng(0)).spec
    (first, second), *rest = normal
    broken = Genotype(space.name, ((((first[0], "conv_9x9"), second), *rest), reduce))
    with pytest.raises(InvalidGenotypeError, match=r"normal node 0 op must be one of .*got 'conv_9x9'"):
        space.build(broken, Task((3, 8, 8), 10))
    with pytest.raises(InvalidGenotypeError, match="'conv_9x9' has no implementation"):
        make_op("conv_9x9", 2, 4, 1)
    assert type(make_op("skip_connect", 2, 4, 1)).__name__ == "Identity"
