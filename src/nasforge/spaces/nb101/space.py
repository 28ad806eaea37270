"""The NAS-Bench-101 cell space: up to 7 nodes and 9 edges, ops conv1x1 / conv3x3 / maxpool3x3."""

from __future__ import annotations

import hashlib
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.errors import InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.task import Task
from nasforge.validation import check_int

if TYPE_CHECKING:
    from torch import nn

OPS = ("conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3")
INPUT, OUTPUT = "input", "output"
Matrix = tuple[tuple[int, ...], ...]


def prune(matrix: np.ndarray, ops: list[str]) -> tuple[np.ndarray, list[str]] | None:
    """Drop nodes not on an input→output path; None when no such path exists."""
    n = len(ops)
    reach_from_input, reach_output = {0}, {n - 1}
    for j in range(1, n):
        if any(matrix[i, j] and i in reach_from_input for i in range(j)):
            reach_from_input.add(j)
    for i in range(n - 2, -1, -1):
        if any(matrix[i, j] and j in reach_output for j in range(i + 1, n)):
            reach_output.add(i)
    keep = sorted(reach_from_input & reach_output)
    if 0 not in keep or n - 1 not in keep:
        return None
    return matrix[np.ix_(keep, keep)], [ops[i] for i in keep]


def graph_hash(matrix: np.ndarray, ops: list[str]) -> str:
    """NAS-Bench-101's isomorphism-invariant hash: iterated hashing of degrees, op and neighbours."""
    n = len(ops)
    labels = [-1 if op == INPUT else -2 if op == OUTPUT else OPS.index(op) for op in ops]
    hashes = [
        hashlib.md5(str((int(matrix[:, v].sum()), int(matrix[v].sum()), labels[v])).encode()).hexdigest()
        for v in range(n)
    ]
    for _ in range(n):
        hashes = [
            hashlib.md5(
                (
                    "".join(sorted(hashes[w] for w in range(n) if matrix[w, v]))
                    + "|"
                    + "".join(sorted(hashes[w] for w in range(n) if matrix[v, w]))
                    + "|"
                    + hashes[v]
                ).encode()
            ).hexdigest()
            for v in range(n)
        ]
    return hashlib.md5(str(sorted(hashes)).encode()).hexdigest()


class NB101Space(SearchSpace):
    """NAS-Bench-101 cells: an upper-triangular adjacency matrix and an op per inner node.

    Genotype spec: `(matrix, ops)` with the matrix as a tuple of 0/1 rows and ops starting with
    `input` and ending with `output`. `key` prunes nodes off every input→output path and hashes
    the graph like NAS-Bench-101, so isomorphic cells share a key.

    Args:
        max_nodes: nodes including input and output (at most 7 in the benchmark).
        max_edges: edges allowed (9 in the benchmark).
        stem_channels: channels after the stem (128 in the benchmark).
        stacks: stacks of cells, downsampling between them.
        cells_per_stack: cells per stack.

    Example:
        >>> import numpy as np
        >>> space = NB101Space()
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.parse(space.format(g)) == g
        True
    """

    name = "nb101"

    def __init__(
        self,
        *,
        max_nodes: int = 7,
        max_edges: int = 9,
        stem_channels: int = 128,
        stacks: int = 3,
        cells_per_stack: int = 3,
    ) -> None:
        self.max_nodes = check_int("max_nodes", max_nodes, minimum=2, maximum=7)
        self.max_edges = check_int("max_edges", max_edges, minimum=1)
        self.stem_channels = check_int("stem_channels", stem_channels, minimum=1)
        self.stacks = check_int("stacks", stacks, minimum=1)
        self.cells_per_stack = check_int("cells_per_stack", cells_per_stack, minimum=1)

    def config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "max_nodes": self.max_nodes,
            "max_edges": self.max_edges,
            "stem_channels": self.stem_channels,
            "stacks": self.stacks,
            "cells_per_stack": self.cells_per_stack,
        }

    def make(self, matrix: Any, ops: Any) -> Genotype:
        """A genotype from a 0/1 matrix and its op list, validated."""
        genotype = Genotype(
            self.name, (tuple(tuple(int(v) for v in row) for row in np.asarray(matrix)), tuple(ops))
        )
        self.validate(genotype)
        return genotype

    def arrays(self, genotype: Genotype) -> tuple[np.ndarray, list[str]]:
        """The matrix as a numpy array and the ops as a list."""
        return np.array(genotype.spec[0], dtype=int), list(genotype.spec[1])

    def sample(self, rng: np.random.Generator) -> Genotype:
        n = self.max_nodes
        while True:
            matrix = np.triu(rng.integers(0, 2, size=(n, n)), k=1)
            ops = [INPUT, *(OPS[i] for i in rng.integers(len(OPS), size=n - 2)), OUTPUT]
            if self._is_valid(matrix, ops):
                return Genotype(self.name, (tuple(map(tuple, matrix.tolist())), tuple(ops)))

    def _is_valid(self, matrix: np.ndarray, ops: list[str]) -> bool:
        return int(matrix.sum()) <= self.max_edges and prune(matrix, ops) is not None

    def _moves(self, genotype: Genotype) -> list[Genotype]:
        matrix, ops = self.arrays(genotype)
        n = len(ops)
        out = []
        for i, j in itertools.combinations(range(n), 2):
            flipped = matrix.copy()
            flipped[i, j] ^= 1
            if self._is_valid(flipped, ops):
                out.append(Genotype(self.name, (tuple(map(tuple, flipped.tolist())), tuple(ops))))
        for v in range(1, n - 1):
            for op in OPS:
                if op != ops[v]:
                    changed = [*ops[:v], op, *ops[v + 1 :]]
                    out.append(Genotype(self.name, (genotype.spec[0], tuple(changed))))
        return out

    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        bits = self.to_bits(a), self.to_bits(b)
        n = self.max_nodes
        edges = n * (n - 1) // 2
        # Uniform over genes: each edge, and each node's op (its two bits travel together).
        mask = np.concatenate([rng.random(edges) < 0.5, np.repeat(rng.random(n - 2) < 0.5, 2)])
        return self.from_bits(np.where(mask, bits[0], bits[1]), rng)

    def encode(self, genotype: Genotype) -> np.ndarray:
        matrix, ops = self.arrays(genotype)
        n = self.max_nodes
        padded = np.zeros((n, n))
        padded[: len(ops), : len(ops)] = matrix
        one_hot = np.zeros((n - 2, len(OPS)))
        for v, op in enumerate(ops[1:-1]):
            one_hot[v, OPS.index(op)] = 1
        return np.concatenate([padded[np.triu_indices(n, k=1)], one_hot.ravel()])

    @property
    def bit_length(self) -> int:
        n = self.max_nodes
        return n * (n - 1) // 2 + 2 * (n - 2)

    def to_bits(self, genotype: Genotype) -> np.ndarray:
        matrix, ops = self.arrays(genotype)
        if len(ops) != self.max_nodes:  # cells smaller than max_nodes are padded with unused nodes
            matrix, ops = self._pad(matrix, ops)
        codes = [OPS.index(op) for op in ops[1:-1]]
        op_bits = [bool(c >> s & 1) for c in codes for s in (1, 0)]
        return np.array([*matrix[np.triu_indices(self.max_nodes, k=1)].astype(bool), *op_bits])

    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        n = self.max_nodes
        edges = n * (n - 1) // 2
        matrix = np.zeros((n, n), dtype=int)
        matrix[np.triu_indices(n, k=1)] = np.asarray(bits[:edges], dtype=int)
        codes = [int(bits[edges + 2 * v]) * 2 + int(bits[edges + 2 * v + 1]) for v in range(n - 2)]
        ops = [INPUT, *(OPS[c] if c < len(OPS) else OPS[int(rng.integers(len(OPS)))] for c in codes), OUTPUT]
        limit = self.max_edges
        while True:  # repair: too many edges lose random ones; a cut-off output gets a direct edge
            while matrix.sum() > limit:
                on = np.argwhere(matrix)
                i, j = on[int(rng.integers(len(on)))]
                matrix[i, j] = 0
            if prune(matrix, ops) is not None:
                break
            if matrix.sum() < self.max_edges:
                matrix[0, n - 1] = 1
            else:
                limit = self.max_edges - 1
        return Genotype(self.name, (tuple(map(tuple, matrix.tolist())), tuple(ops)))

    def _pad(self, matrix: np.ndarray, ops: list[str]) -> tuple[np.ndarray, list[str]]:
        n, m = self.max_nodes, len(ops)
        padded = np.zeros((n, n), dtype=int)
        padded[: m - 1, : m - 1] = matrix[: m - 1, : m - 1]
        padded[: m - 1, n - 1] = matrix[: m - 1, m - 1]
        return padded, [*ops[:-1], *[OPS[0]] * (n - m), OUTPUT]

    def key(self, genotype: Genotype) -> str:
        matrix, ops = self.arrays(genotype)
        pruned = prune(matrix, ops)
        if pruned is None:
            raise InvalidGenotypeError("cell has no path from input to output")
        return graph_hash(*pruned)

    def validate(self, genotype: Genotype) -> None:
        self._check_space(genotype)
        spec = genotype.spec
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise InvalidGenotypeError(f"an nb101 genotype is (matrix, ops), got {spec!r}")
        try:
            matrix = np.array(spec[0], dtype=int)
        except (TypeError, ValueError):
            raise InvalidGenotypeError(f"nb101 matrix must be rows of 0/1, got {spec[0]!r}") from None
        ops = list(spec[1]) if isinstance(spec[1], tuple) else []
        n = len(ops)
        if not 2 <= n <= self.max_nodes or matrix.shape != (n, n):
            raise InvalidGenotypeError(
                f"nb101 needs 2..{self.max_nodes} ops and an n x n matrix; got {n} ops, matrix {matrix.shape}"
            )
        if ops[0] != INPUT or ops[-1] != OUTPUT or any(op not in OPS for op in ops[1:-1]):
            raise InvalidGenotypeError(
                f"nb101 ops must be input, then any of {', '.join(OPS)}, then output; got {ops}"
            )
        if not np.isin(matrix, (0, 1)).all() or np.tril(matrix).any():
            raise InvalidGenotypeError("nb101 matrix must be 0/1 and strictly upper-triangular (a DAG)")
        if matrix.sum() > self.max_edges:
            raise InvalidGenotypeError(
                f"nb101 cell has {int(matrix.sum())} edges, at most {self.max_edges} allowed"
            )
        if prune(matrix, ops) is None:
            raise InvalidGenotypeError("nb101 cell has no path from input to output")

    def knob_values(self) -> dict[str, tuple[Any, ...]]:
        return {"inner node op": OPS}

    def format(self, genotype: Genotype) -> str:
        matrix, ops = genotype.spec
        rows = ",".join("".join(str(v) for v in row) for row in matrix)
        return f"matrix={rows} ops={','.join(ops)}"

    def parse(self, text: str) -> Genotype:
        if not isinstance(text, str):
            raise InvalidGenotypeError(f"nb101 text must be a string, got {type(text).__name__}")
        parts = dict(p.partition("=")[::2] for p in text.split())
        if set(parts) != {"matrix", "ops"}:
            raise InvalidGenotypeError(f"nb101 text must read 'matrix=ROW,ROW,… ops=OP,…'; got {text!r}")
        rows = parts["matrix"].split(",")
        if not all(set(r) <= {"0", "1"} for r in rows):
            raise InvalidGenotypeError(f"nb101 matrix rows must be 0/1 digits, got {parts['matrix']!r}")
        matrix = tuple(tuple(int(c) for c in r) for r in rows)
        genotype = Genotype(self.name, (matrix, tuple(parts["ops"].split(","))))
        self.validate(genotype)
        return genotype

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        from nasforge.spaces.nb101.network import NB101Network

        matrix, ops = self.arrays(genotype)
        pruned = prune(matrix, ops)
        if pruned is None:
            raise InvalidGenotypeError("nb101 cell has no path from input to output")
        return NB101Network(*pruned, task, self.stem_channels, self.stacks, self.cells_per_stack)
