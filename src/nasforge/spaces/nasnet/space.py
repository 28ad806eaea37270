"""`nasnet`: NASNet / DARTS-style normal and reduction cells stacked into a network."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.errors import InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.task import Task
from nasforge.validation import check_int

if TYPE_CHECKING:
    from torch import nn

OPS = (
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
)
CELLS = ("normal", "reduce")
Node = tuple[tuple[int, str], tuple[int, str]]


class NASNetSpace(SearchSpace):
    """Two cells (normal, reduction); each of `nodes` nodes picks two inputs and an op for each.

    Inputs are numbered like DARTS: 0 and 1 are the two previous cells' outputs, 2.. are the
    earlier nodes of the same cell. The cell's output concatenates every node. Genotype spec:
    `(normal, reduce)`, each a tuple of nodes `((input, op), (input, op))`. `key` sorts the two
    inputs of each node (addition commutes).

    Args:
        nodes: intermediate nodes per cell (DARTS: 4).
        channels: initial channels C.
        layers: cells in the network; reductions at 1/3 and 2/3 of the depth (DARTS: 8 / 20).

    Example:
        >>> import numpy as np
        >>> space = NASNetSpace()
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.parse(space.format(g)) == g
        True
    """

    name = "nasnet"

    def __init__(self, *, nodes: int = 4, channels: int = 16, layers: int = 5) -> None:
        self.nodes = check_int("nodes", nodes, minimum=1)
        self.channels = check_int("channels", channels, minimum=1)
        self.layers = check_int("layers", layers, minimum=1)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "nodes": self.nodes, "channels": self.channels, "layers": self.layers}

    def _slots(self) -> list[tuple[int, int, int]]:
        """(cell, node, side) of every (input, op) choice, in a fixed order."""
        return [(c, n, s) for c in range(2) for n in range(self.nodes) for s in range(2)]

    def _get(self, spec: Any, slot: tuple[int, int, int]) -> tuple[int, str]:
        c, n, s = slot
        return spec[c][n][s]

    def _set(self, spec: Any, slot: tuple[int, int, int], value: tuple[int, str]) -> Genotype:
        c, n, s = slot
        cell = [list(node) for node in spec[c]]
        cell[n][s] = value
        cells = list(spec)
        cells[c] = tuple(tuple(node) for node in cell)
        return Genotype(self.name, tuple(cells))

    def sample(self, rng: np.random.Generator) -> Genotype:
        cells = []
        for _ in CELLS:
            cell = []
            for n in range(self.nodes):
                cell.append(
                    tuple((int(rng.integers(n + 2)), OPS[int(rng.integers(len(OPS)))]) for _ in range(2))
                )
            cells.append(tuple(cell))
        return Genotype(self.name, tuple(cells))

    def _moves(self, genotype: Genotype) -> list[Genotype]:
        self.validate(genotype)
        out = []
        for slot in self._slots():
            source, op = self._get(genotype.spec, slot)
            out += [self._set(genotype.spec, slot, (source, o)) for o in OPS if o != op]
            out += [self._set(genotype.spec, slot, (i, op)) for i in range(slot[1] + 2) if i != source]
        return out

    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        spec = a.spec
        for slot in self._slots():  # uniform crossover of whole (input, op) choices
            if rng.random() < 0.5:
                spec = self._set(spec, slot, self._get(b.spec, slot)).spec
        return Genotype(self.name, spec)

    def encode(self, genotype: Genotype) -> np.ndarray:
        vector: list[float] = []
        for slot in self._slots():
            source, op = self._get(genotype.spec, slot)
            vector += [float(source == i) for i in range(self.nodes + 1)] + [float(op == o) for o in OPS]
        return np.array(vector)

    def _source_bits(self) -> int:
        return max(1, int(np.ceil(np.log2(self.nodes + 1))))

    @property
    def bit_length(self) -> int:
        return len(self._slots()) * (self._source_bits() + 3)

    def to_bits(self, genotype: Genotype) -> np.ndarray:
        width = self._source_bits()
        bits: list[bool] = []
        for slot in self._slots():
            source, op = self._get(genotype.spec, slot)
            bits += [bool(source >> s & 1) for s in range(width - 1, -1, -1)]
            bits += [bool(OPS.index(op) >> s & 1) for s in (2, 1, 0)]
        return np.array(bits)

    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        width = self._source_bits()
        spec = self.sample(rng).spec
        at = 0
        for slot in self._slots():
            source = int("".join("1" if b else "0" for b in bits[at : at + width]), 2)
            code = int("".join("1" if b else "0" for b in bits[at + width : at + width + 3]), 2)
            at += width + 3
            source = source if source < slot[1] + 2 else int(rng.integers(slot[1] + 2))
            op = OPS[code] if code < len(OPS) else OPS[int(rng.integers(len(OPS)))]
            spec = self._set(spec, slot, (source, op)).spec
        return Genotype(self.name, spec)

    def key(self, genotype: Genotype) -> str:
        self.validate(genotype)
        return " | ".join(
            ";".join(",".join(f"{op}~{i}" for i, op in sorted(node)) for node in cell)
            for cell in genotype.spec
        )

    def validate(self, genotype: Genotype) -> None:
        self._check_space(genotype)
        spec = genotype.spec
        if not isinstance(spec, tuple) or len(spec) != 2 or any(len(cell) != self.nodes for cell in spec):
            raise InvalidGenotypeError(f"a nasnet genotype is (normal, reduce) with {self.nodes} nodes each")
        for c, cell in enumerate(spec):
            for n, node in enumerate(cell):
                if len(node) != 2:
                    raise InvalidGenotypeError(
                        f"{CELLS[c]} node {n} needs two (input, op) pairs, got {node!r}"
                    )
                for source, op in node:
                    if not isinstance(source, int) or not 0 <= source < n + 2:
                        raise InvalidGenotypeError(
                            f"{CELLS[c]} node {n} input must be 0..{n + 1}; got {source!r}"
                        )
                    if op not in OPS:
                        raise InvalidGenotypeError(
                            f"{CELLS[c]} node {n} op must be one of {', '.join(OPS)}; got {op!r}"
                        )

    def knob_values(self) -> dict[str, tuple[Any, ...]]:
        return {"op of each node input": OPS}

    def format(self, genotype: Genotype) -> str:
        return " | ".join(
            f"{name}: " + "; ".join(f"{a[1]}~{a[0]} {b[1]}~{b[0]}" for a, b in cell)
            for name, cell in zip(CELLS, genotype.spec, strict=True)
        )

    def parse(self, text: str) -> Genotype:
        if not isinstance(text, str):
            raise InvalidGenotypeError(f"nasnet text must be a string, got {type(text).__name__}")
        example = "normal: sep_conv_3x3~0 skip_connect~1; … | reduce: max_pool_3x3~0 …"
        parts = [p.strip() for p in text.split("|")]
        if len(parts) != 2 or not parts[0].startswith("normal:") or not parts[1].startswith("reduce:"):
            raise InvalidGenotypeError(f"nasnet text must read {example!r}; got {text!r}")
        cells = []
        for part in parts:
            nodes = []
            for node in part.split(":", 1)[1].split(";"):
                items = node.split()
                if len(items) != 2 or not all("~" in i and i.rsplit("~", 1)[1].isdigit() for i in items):
                    raise InvalidGenotypeError(
                        f"nasnet node must read 'OP~INPUT OP~INPUT', got {node.strip()!r}"
                    )
                nodes.append(tuple((int(i.rsplit("~", 1)[1]), i.rsplit("~", 1)[0]) for i in items))
            cells.append(tuple(nodes))
        genotype = Genotype(self.name, tuple(cells))
        self.validate(genotype)
        return genotype

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        from nasforge.spaces.nasnet.network import NASNetwork

        self.validate(genotype)
        return NASNetwork(genotype.spec, task, self.channels, self.layers)
