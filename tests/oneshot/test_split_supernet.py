"""Few-shot supernets: after the shared training, a copy of the supernet per choice of one knob,
each trained further on the paths with that choice alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import make_space
from nasforge.errors import InvalidArgumentError
from nasforge.oneshot.evaluator import SupernetEvaluator
from nasforge.oneshot.supernet_training import UniformPaths
from nasforge.oneshot.supernets import SplitSupernet, make_supernet
from nasforge.task import Task

SPACE = {
    "name": "families",
    "max_blocks": 2,
    "choices": {"family": ["vgg", "resnet", "mobilenet"], "channels": [8]},
}


@pytest.mark.parametrize("sampling", ["uniform", "sandwich", "fair"])
def test_a_pinned_knob_holds_on_every_drawn_path(sampling: str) -> None:
    space = make_space(SPACE)
    paths = UniformPaths(make_supernet(space, Task((1, 8, 8), 10)), 0, sampling, {"stage1.family": "resnet"})
    drawn = [space.features(paths.draw()) for _ in range(24)]
    assert {f["stage1.family"] for f in drawn} == {"resnet"}
    assert {f["blocks"] for f in drawn} == {1, 2} and len(
        {f["stage1.depth"] for f in drawn}
    ) > 1  # the rest drawn


def test_each_choice_gets_its_own_copy_trained_on_its_paths_alone(tmp_path: Path) -> None:
    space = make_space(SPACE)
    epochs: list[tuple[int, int]] = []
    evaluator = SupernetEvaluator(data="digits", epochs=1, split="stage1.family", split_epochs=1, threads=1)
    checkpoint = tmp_path / "supernet.safetensors"
    split = evaluator.train(space, checkpoint, lambda done, total, _: epochs.append((done, total)))
    assert isinstance(split, SplitSupernet) and split.choices == ["vgg", "resnet", "mobilenet"]
    assert epochs == [(0, 4), (1, 4), (1, 4), (2, 4), (2, 4), (3, 4), (3, 4), (4, 4)]  # shared, 3 copies
    assert checkpoint.exists() and not list(tmp_path.glob("*split*"))
    vgg, resnet, mobilenet = (dict(m.named_parameters()) for m in split.members)
    untouched = [k for k in vgg if k.startswith("stage0/resnet/")]
    assert untouched and all(torch.equal(vgg[k], mobilenet[k]) for k in untouched)  # neither trained resnet
    assert not torch.equal(vgg["stem/0/0/weight"], resnet["stem/0/0/weight"])  # shared layers trained apart
    genotype = space.from_features(
        {**space.features(space.sample(np.random.default_rng(0))), "stage1.family": "resnet"}
    )
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(split(x, genotype), split.members[1](x, genotype))


def test_saved_few_shot_supernets_score_as_the_trained_ones(tmp_path: Path) -> None:
    space = make_space(SPACE)
    options = {"data": "digits", "epochs": 1, "split": "stage1.family", "split_epochs": 1, "threads": 1}
    trained = SupernetEvaluator(**options)  # type: ignore[arg-type]
    genotypes = [space.sample(np.random.default_rng(seed)) for seed in range(3)]
    scores = [trained.evaluate(g, space).metrics for g in genotypes]
    trained.save(trained.supernet(space), tmp_path / "supernet.safetensors")
    loaded = SupernetEvaluator(**options)  # type: ignore[arg-type]
    loaded.weights = trained.weights
    assert [loaded.evaluate(g, space).metrics for g in genotypes] == scores


def test_a_split_on_a_knob_some_architectures_lack_or_with_darts_is_refused_in_one_line() -> None:
    space = make_space(SPACE)
    every = (
        r"split must name a knob every architecture of the families space has: one of blocks, stage1.family, "
    )
    with pytest.raises(InvalidArgumentError, match=every + r".*; got 'family'"):
        SupernetEvaluator(data="digits", split="family").check(space)
    with pytest.raises(
        InvalidArgumentError, match=every + r".*; got 'stage2.family'"
    ):  # a one-stage path has none
        SupernetEvaluator(data="digits", split="stage2.family").check(space)
    with pytest.raises(InvalidArgumentError, match="split must name a knob"):
        SupernetEvaluator(split=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="DARTS trains one supernet"):
        SupernetEvaluator(data="digits", method="darts", split="edge0").check()


def test_few_shot_training_stopped_in_a_copy_continues_to_the_weights_of_an_unbroken_run(
    tmp_path: Path,
) -> None:
    space = make_space(SPACE)
    options = {"data": "digits", "epochs": 1, "split": "stage1.family", "split_epochs": 2, "threads": 1}
    checkpoint = tmp_path / "supernet.safetensors"

    def stop_in_the_second_copy(done: int, total: int, values: dict[str, float]) -> None:
        if done == 5:  # the second copy's second epoch ran, and is not saved
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        SupernetEvaluator(**options).train(space, checkpoint, stop_in_the_second_copy)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "supernet-split0.safetensors",
        "supernet-split1.safetensors",
        "supernet.safetensors",
    ]
    epochs: list[int] = []
    continued = SupernetEvaluator(**options).train(space, checkpoint, lambda done, _, __: epochs.append(done))  # type: ignore[arg-type]
    assert epochs == [1, 3, 4, 5, 5, 6, 7]  # where each training starts, and the epochs run: none done twice
    whole = SupernetEvaluator(**options).train(space)  # type: ignore[arg-type]
    for (name, a), (_, b) in zip(continued.state_dict().items(), whole.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
