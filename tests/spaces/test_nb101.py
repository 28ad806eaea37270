from __future__ import annotations

import itertools

import numpy as np
import pytest

from nasforge import InvalidGenotypeError
from nasforge.spaces import NB101Space
from nasforge.spaces.nb101.space import OPS, graph_hash, prune


def canonical(matrix: np.ndarray, ops: list[str]) -> str:
    """Brute-force canonical form: the smallest encoding over every order of the inner nodes."""
    n = len(ops)
    best = None
    for perm in itertools.permutations(range(1, n - 1)):
        order = [0, *perm, n - 1]
        m = matrix[np.ix_(order, order)]
        if np.tril(m).any():
            continue  # keep only topological orders, so the matrix stays upper-triangular
        code = "".join(map(str, m.ravel())) + "|" + ",".join(ops[i] for i in order)
        best = code if best is None or code < best else best
    assert best is not None
    return best


@pytest.mark.parametrize("nodes", [3, 4, 5])
def test_hash_classes_match_exhaustive_isomorphism_classes(nodes: int) -> None:
    hashes, canon = set(), set()
    pairs = list(itertools.combinations(range(nodes), 2))
    for edges in itertools.product((0, 1), repeat=len(pairs)):
        matrix = np.zeros((nodes, nodes), dtype=int)
        for (i, j), e in zip(pairs, edges, strict=True):
            matrix[i, j] = e
        for inner in itertools.product(OPS, repeat=nodes - 2):
            ops = ["input", *inner, "output"]
            pruned = prune(matrix, ops)
            if pruned is None:
                continue
            hashes.add(graph_hash(*pruned))
            canon.add(canonical(*pruned))
    assert len(hashes) == len(canon)
    assert len(hashes) > {3: 3, 4: 10, 5: 50}[nodes]


def test_isomorphic_matrices_share_a_key() -> None:
    space = NB101Space()
    a = space.make(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
        ["input", "conv3x3-bn-relu", "maxpool3x3", "output"],
    )
    b = space.make(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
        ["input", "maxpool3x3", "conv3x3-bn-relu", "output"],
    )
    c = space.make(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
        ["input", "maxpool3x3", "conv1x1-bn-relu", "output"],
    )
    assert space.key(a) == space.key(b) != space.key(c)


def test_nodes_off_the_path_are_pruned_from_the_key() -> None:
    space = NB101Space()
    direct = space.make([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
    dangling = space.make(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
        ["input", "conv3x3-bn-relu", "maxpool3x3", "output"],
    )
    assert space.key(direct) == space.key(dangling)


@pytest.mark.parametrize(
    ("matrix", "ops", "message"),
    [
        ([[0, 1], [1, 0]], ["input", "output"], "upper-triangular"),
        ([[0, 0, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"], "no path"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv7x7", "output"], "ops must be"),
    ],
)
def test_invalid_cells_are_rejected(matrix: list[list[int]], ops: list[str], message: str) -> None:
    with pytest.raises(InvalidGenotypeError, match=message):
        NB101Space().make(matrix, ops)


def test_too_many_edges_are_rejected() -> None:
    full = np.triu(np.ones((7, 7), dtype=int), k=1)
    with pytest.raises(InvalidGenotypeError, match="edges"):
        NB101Space().make(full, ["input", *["conv3x3-bn-relu"] * 5, "output"])
