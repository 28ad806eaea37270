"""The families space's supernet: every path computes what the space's own network computes,
paths share their weights and statistics, and a trained supernet tells paths apart."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge import make_space
from nasforge.oneshot.evaluator import SupernetEvaluator, recalibrate
from nasforge.oneshot.families_supernet import FamiliesSupernet
from nasforge.oneshot.supernets import make_supernet
from nasforge.task import Task

SPACES = {
    "1d": ({"name": "families"}, Task((1, 40), 10)),
    "2d": ({"name": "families", "max_blocks": 3, "choices": {"channels": [8, 16]}}, Task((3, 12, 12), 5)),
    "tiny": ({"name": "families", "min_blocks": 3, "choices": {"channels": [8, 16]}}, Task((2, 3), 3)),
}


@pytest.mark.parametrize("kind", sorted(SPACES))
def test_every_path_equals_the_network_extracted_from_it(kind: str) -> None:
    config, task = SPACES[kind]
    space = make_space(config)
    torch.manual_seed(0)
    supernet = make_supernet(space, task)
    assert isinstance(supernet, FamiliesSupernet)
    with torch.no_grad():  # statistics other than their initial values
        for name, buffer in supernet.named_buffers():
            if name.endswith("running_mean") or name.endswith("running_var"):
                buffer.uniform_(0.5, 2.0)
    supernet.eval()
    x = torch.randn(7, *task.input_shape)
    rng = np.random.default_rng(1)
    families = set()
    for _ in range(30):
        genotype = space.sample(rng)
        families |= {stage[0] for stage in genotype.spec[0]}
        network = supernet.extract(genotype).eval()
        assert type(network) is type(space.build(genotype, task))
        with torch.no_grad():
            path, alone = supernet(x, genotype), network(x)
        assert path.shape == (7, task.num_classes)
        assert torch.equal(path, alone), space.format(genotype)
    assert families == {"vgg", "resnet", "bottleneck", "mobilenet", "densenet"}


def test_paths_share_weights_and_statistics() -> None:
    space = make_space({"name": "families", "max_blocks": 2})
    task = Task((1, 40), 10)
    supernet = FamiliesSupernet(space, task)
    a = space.parse(
        "stage(family=resnet,channels=32,depth=2,kernel=5,expansion=1,growth=8) > head(dropout=0.0)"
    )
    b = space.parse(
        "stage(family=resnet,channels=16,depth=1,kernel=3,expansion=1,growth=8) > "
        "stage(family=vgg,channels=64,depth=1,kernel=3,expansion=1,growth=8) > head(dropout=0.5)"
    )
    # b's first conv is the first 16 filters and the centre 3 taps of a's first conv
    shared = supernet.extract(b).features[1].body[0][0].weight
    torch.testing.assert_close(shared, supernet.extract(a).features[1].body[0][0].weight[:16, :16, 1:4])
    before = shared.detach().clone()
    supernet.train()
    supernet(torch.randn(8, *task.input_shape), a).sum().backward()
    torch.optim.SGD(supernet.parameters(), lr=0.1).step()
    assert not torch.equal(before, supernet.extract(b).features[1].body[0][0].weight)
    # a training pass on a path updates the statistics stored in the supernet
    x = torch.randn(64, *task.input_shape)
    recalibrate(supernet, b, x, count=1, batch_size=64)
    with torch.no_grad():
        stem_conv = supernet.extract(b).features[0][0](x)
    torch.testing.assert_close(supernet.get_buffer("stem/0/1/running_mean")[:16], stem_conv.mean((0, 2)))
    assert not supernet.training


@pytest.mark.slow
def test_a_trained_families_supernet_scores_paths_far_above_chance() -> None:
    space = make_space(
        {"name": "families", "max_blocks": 2, "choices": {"channels": [8, 16], "depth": [1], "growth": [8]}}
    )
    rng = np.random.default_rng(0)
    genotypes = [space.sample(rng) for _ in range(5)]
    # Families share only the stem and the classifier, so each learns from a fifth of the steps:
    # slower than a single network (which reaches ~0.9 in 20 epochs here).
    # Scored in evaluation mode: the trained weights themselves, no path's dropout in the way.
    evaluator = SupernetEvaluator(
        data="digits", epochs=60, learning_rate=0.01, threads=1, score_dropout=False
    )
    scores = [evaluator.evaluate(g, space).metrics["supernet_valid_accuracy"] for g in genotypes]
    assert min(scores) > 0.3, scores  # ten classes: chance is 0.1
