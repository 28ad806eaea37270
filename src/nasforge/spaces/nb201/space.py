"""The NAS-Bench-201 cell space: 4 nodes, 6 edges, 5 operations per edge (15,625 cells)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.errors import InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.task import Task
from nasforge.validation import check_int

if TYPE_CHECKING:
    from torch import nn

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))  # (to, from) in the benchmark's order
_BITS_PER_EDGE = 3
_NODE_RE = re.compile(r"^([a-z_0-9x]+)~(\d+)$")


class NB201Space(SearchSpace):
    """NAS-Bench-201 / NATS-Bench topology cells.

    Args:
        channels: channels of the first stage (C); later stages use 2C and 4C.
        cells_per_stage: cells per stage (N); the benchmark's networks use C=16, N=5.

    Example:
        >>> space = NB201Space()
        >>> g = space.parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|")
        >>> space.format(g).startswith("|nor_conv_3x3~0|")
        True
    """

    name = "nb201"
    fidelities = (12.0, 200.0)  # the NAS-Bench-201 table's two training lengths

    def __init__(self, *, channels: int = 16, cells_per_stage: int = 5) -> None:
        self.channels = check_int("channels", channels, minimum=1)
        self.cells_per_stage = check_int("cells_per_stage", cells_per_stage, minimum=1)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "channels": self.channels, "cells_per_stage": self.cells_per_stage}

    def make(self, ops: tuple[str, ...] | list[str]) -> Genotype:
        """The genotype with these six edge operations (benchmark edge order)."""
        genotype = Genotype(self.name, tuple(ops))
        self.validate(genotype)
        return genotype

    def sample(self, rng: np.random.Generator) -> Genotype:
        return Genotype(self.name, tuple(OPS[i] for i in rng.integers(len(OPS), size=len(EDGES))))

    def enumerate(self) -> Iterator[Genotype]:
        return (Genotype(self.name, ops) for ops in itertools.product(OPS, repeat=len(EDGES)))

    def _moves(self, genotype: Genotype) -> list[Genotype]:
        self.validate(genotype)
        ops = genotype.spec
        return [
            Genotype(self.name, (*ops[:edge], op, *ops[edge + 1 :]))
            for edge in range(len(EDGES))
            for op in OPS
            if op != ops[edge]
        ]

    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        take_a = rng.random(len(EDGES)) < 0.5
        return Genotype(
            self.name, tuple(x if t else y for x, y, t in zip(a.spec, b.spec, take_a, strict=True))
        )

    def encode(self, genotype: Genotype) -> np.ndarray:
        vector = np.zeros((len(EDGES), len(OPS)))
        vector[np.arange(len(EDGES)), [OPS.index(op) for op in genotype.spec]] = 1.0
        return vector.ravel()

    def features(self, genotype: Genotype) -> dict[str, Any]:
        self.validate(genotype)
        return {f"edge {to}<-{src}": op for (to, src), op in zip(EDGES, genotype.spec, strict=True)}

    def from_features(self, features: dict[str, Any]) -> Genotype:
        return self.make([features[f"edge {to}<-{src}"] for to, src in EDGES])

    def feature_choices(self, allowed: bool = False) -> dict[str, tuple[Any, ...]]:
        return {f"edge {to}<-{src}": OPS for to, src in EDGES}

    @property
    def bit_length(self) -> int:
        return len(EDGES) * _BITS_PER_EDGE

    def to_bits(self, genotype: Genotype) -> np.ndarray:
        codes = np.array([OPS.index(op) for op in genotype.spec])
        shifts = np.arange(_BITS_PER_EDGE - 1, -1, -1)
        return ((codes[:, None] >> shifts) & 1).astype(bool).ravel()

    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        weights = 1 << np.arange(_BITS_PER_EDGE - 1, -1, -1)
        codes = np.asarray(bits, dtype=int).reshape(len(EDGES), _BITS_PER_EDGE) @ weights
        return Genotype(
            self.name,
            tuple(OPS[c] if c < len(OPS) else OPS[int(rng.integers(len(OPS)))] for c in codes),
        )

    def key(self, genotype: Genotype) -> str:
        """Isomorphism-invariant form: `none` edges vanish, `skip_connect` passes its input on."""
        nodes = ["0"]
        for target in range(1, 4):
            terms = []
            for edge, (to, source) in enumerate(EDGES):
                if to != target:
                    continue
                op, x = genotype.spec[edge], nodes[source]
                if op == "none" or x == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(x)
                else:
                    terms.append(f"({x})@{op}")
            nodes.append("+".join(sorted(terms)))
        return nodes[3]

    def validate(self, genotype: Genotype) -> None:
        self._check_space(genotype)
        spec = genotype.spec
        if not isinstance(spec, tuple) or len(spec) != len(EDGES):
            raise InvalidGenotypeError(f"an nb201 genotype has {len(EDGES)} edge ops, got {spec!r}")
        for edge, op in enumerate(spec):
            if op not in OPS:
                raise InvalidGenotypeError(f"edge {edge} op must be one of {', '.join(OPS)}; got {op!r}")

    def format(self, genotype: Genotype) -> str:
        ops = genotype.spec
        groups, start = [], 0
        for target in range(1, 4):
            groups.append("|" + "|".join(f"{ops[start + s]}~{s}" for s in range(target)) + "|")
            start += target
        return "+".join(groups)

    def parse(self, text: str) -> Genotype:
        """Read the benchmark's arch string, e.g. `|nor_conv_3x3~0|+|…~0|…~1|+|…~0|…~1|…~2|`."""
        if not isinstance(text, str):
            raise InvalidGenotypeError(f"arch string must be text, got {type(text).__name__}")
        example = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"
        groups = text.strip().split("+")
        if len(groups) != 3:
            raise InvalidGenotypeError(
                f"arch string must have 3 node groups joined by '+', like {example}; got {text!r}"
            )
        ops: list[str] = []
        for target, group in enumerate(groups, start=1):
            if not (group.startswith("|") and group.endswith("|")):
                raise InvalidGenotypeError(f"node group {group!r} must start and end with '|' in {text!r}")
            items = group[1:-1].split("|")
            if len(items) != target:
                raise InvalidGenotypeError(
                    f"node {target} must have {target} input edge(s), got {len(items)} in {group!r}"
                )
            for source, item in enumerate(items):
                match = _NODE_RE.match(item)
                if not match or int(match.group(2)) != source:
                    raise InvalidGenotypeError(
                        f"edge {item!r} of node {target} must read 'OP~{source}' in {text!r}"
                    )
                ops.append(match.group(1))
        return self.make(ops)

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        from nasforge.spaces.nb201.network import NB201Network

        self.validate(genotype)
        return NB201Network(genotype.spec, EDGES, task, self.channels, self.cells_per_stage)
