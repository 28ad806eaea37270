"""The macro, families and joint spaces beyond the shared conformance suite."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge import InvalidArgumentError, InvalidGenotypeError, Task
from nasforge.spaces import FamiliesSpace, JointSpace, MacroSpace, make_space

BLOCK = "conv(kernel=7,stride=2,channels=16,dilation=2,activation={act},batchnorm=true,pool=max,pool_size=3)"
HEAD = "head(global_pool=flatten,hidden=64,dropout=0.25)"


def test_macro_repairs_reductions_that_would_collapse_the_input() -> None:
    space = MacroSpace()
    g = space.parse(" > ".join([BLOCK.format(act="relu")] * 6 + [HEAD]))
    model = space.build(g, Task((1, 8), 4))
    assert model.repairs, "a length-8 input cannot take six stride-2 blocks with pooling"
    out = model(torch.randn(3, 1, 8))
    assert out.shape == (3, 4)


@pytest.mark.parametrize("act", ["relu", "prelu", "elu", "selu", "leaky_relu"])
def test_macro_builds_every_activation(act: str) -> None:
    space = MacroSpace()
    model = space.build(space.parse(f"{BLOCK.format(act=act)} > {HEAD}"), Task((3, 12, 12), 3))
    assert model(torch.randn(2, 3, 12, 12)).shape == (2, 3)
    names = {type(m).__name__.lower() for m in model.modules()}
    assert act.replace("_", "") in names


def test_macro_key_ignores_pool_size_without_pooling() -> None:
    space = MacroSpace()
    block = (
        "conv(kernel=3,stride=1,channels=16,dilation=1,activation=relu,batchnorm=true,pool=none,pool_size={})"
    )
    a, b = (space.parse(f"{block.format(p)} > {HEAD}") for p in (2, 3))
    assert a != b and space.key(a) == space.key(b)


def test_macro_choices_narrow_the_space_and_reject_unknown_values() -> None:
    space = MacroSpace(choices={"kernel": [3], "channels": [16, 32]})
    rng = np.random.default_rng(0)
    for _ in range(20):
        blocks, _ = space.blocks(space.sample(rng))
        assert all(b[0] == 3 and b[2] in (16, 32) for b in blocks)
    with pytest.raises(InvalidArgumentError, match="kernel"):
        MacroSpace(choices={"kernel": [4]})
    with pytest.raises(InvalidArgumentError, match="unknown knob"):
        MacroSpace(choices={"width": [1]})
    with pytest.raises(InvalidGenotypeError, match="kernel"):
        space.parse(f"{BLOCK.format(act='relu')} > {HEAD}")


@pytest.mark.parametrize("family", ["vgg", "resnet", "bottleneck", "mobilenet", "densenet"])
@pytest.mark.parametrize("shape", [(1, 24), (3, 16, 16)], ids=["1d", "2d"])
def test_every_family_builds_and_trains_a_step(family: str, shape: tuple[int, ...]) -> None:
    space = FamiliesSpace(choices={"family": [family]})
    g = space.sample(np.random.default_rng(1))
    model = space.build(g, Task(shape, 5))
    out = model(torch.randn(4, *shape))
    out.sum().backward()
    assert out.shape == (4, 5)


def test_families_key_ignores_knobs_a_family_does_not_use() -> None:
    space = FamiliesSpace()
    text = "stage(family=resnet,channels=16,depth=1,kernel=3,expansion={},growth={}) > head(dropout=0.0)"
    assert space.key(space.parse(text.format(1, 8))) == space.key(space.parse(text.format(6, 32)))
    mobile = text.replace("resnet", "mobilenet")
    assert space.key(space.parse(mobile.format(1, 8))) != space.key(space.parse(mobile.format(6, 8)))


def test_joint_space_carries_training_hyperparameters() -> None:
    space = make_space(
        {"name": "joint", "space": {"name": "macro", "max_blocks": 2}, "hyperparameters": {"epochs": [3]}}
    )
    assert isinstance(space, JointSpace)
    g = space.sample(np.random.default_rng(0))
    overrides = space.training_overrides(g)
    assert overrides["epochs"] == 3 and overrides["optimizer"] in ("adamw", "adam", "sgd")
    assert make_space(space.config()).config() == space.config()
    with pytest.raises(InvalidArgumentError, match="momentum"):
        JointSpace(hyperparameters={"momentum": [0.9]})


def test_a_label_leaves_out_the_knobs_a_block_does_not_use() -> None:
    from nasforge import make_space

    macro = make_space("macro")
    conv = "conv(kernel=3,stride=1,channels=16,dilation=1,activation=relu,batchnorm=true,"
    head = "head(global_pool=avg,hidden=0,dropout=0.0)"
    text = f"{conv}pool=none,pool_size=3) > {conv}pool=max,pool_size=3) > {head}"
    label = macro.label(macro.parse(text))
    assert "pool=none)" in label and "pool=max,pool_size=3)" in label
    families = make_space("families")
    genotype = families.parse(
        "stage(family=vgg,channels=16,depth=1,kernel=3,expansion=6,growth=32) > head(dropout=0.0)"
    )
    assert families.label(genotype) == "stage(family=vgg,channels=16,depth=1,kernel=3) > head(dropout=0.0)"
