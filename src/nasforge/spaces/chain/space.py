"""`ChainSpace`: a variable-length chain of knob blocks plus a head block (macro and families spaces)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np

from nasforge.errors import InvalidArgumentError, InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.chain import blocks as kb
from nasforge.spaces.chain.blocks import Block, Knob
from nasforge.validation import check_int

_ITEM = re.compile(r"^\s*(\w+)\((.*)\)\s*$")


class ChainSpace(SearchSpace):
    """Genotype spec: `(blocks, head)`, each block a tuple of knob values.

    Subclasses set `block_knobs`, `head_knobs`, `block_label` and implement `build`; they may
    override `canonical_block` so that knobs a block ignores do not change its `key`.
    """

    block_label: ClassVar[str] = "block"
    default_block_knobs: ClassVar[tuple[Knob, ...]]
    default_head_knobs: ClassVar[tuple[Knob, ...]]

    def __init__(self, *, min_blocks: int, max_blocks: int, choices: dict[str, list[Any]] | None) -> None:
        self.min_blocks = check_int("min_blocks", min_blocks, minimum=1)
        self.max_blocks = check_int("max_blocks", max_blocks, minimum=self.min_blocks)
        self.choices = {k: list(v) for k, v in (choices or {}).items()}
        self.block_knobs = self._with_choices(self.default_block_knobs)
        self.head_knobs = self._with_choices(self.default_head_knobs)
        known = {k.name for k in self.default_block_knobs + self.default_head_knobs}
        unknown = sorted(set(self.choices) - known)
        if unknown:
            raise InvalidArgumentError(
                f"choices has unknown knob(s) {', '.join(unknown)}; knobs: {', '.join(sorted(known))}"
            )

    def _with_choices(self, knobs: tuple[Knob, ...]) -> tuple[Knob, ...]:
        out = tuple(Knob(k.name, tuple(self.choices.get(k.name, k.choices)), k.values) for k in knobs)
        for knob in out:
            if not knob.choices or len(set(knob.choices)) != len(knob.choices):
                raise InvalidArgumentError(
                    f"choices[{knob.name!r}] must list distinct values, got {list(knob.choices)}"
                )
            bad = [c for c in knob.choices if c not in dict.fromkeys(_default(knobs, knob.name))]
            if bad:
                raise InvalidArgumentError(
                    f"choices[{knob.name!r}] may only use {list(_default(knobs, knob.name))}; got {bad}"
                )
        return out

    def config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "min_blocks": self.min_blocks,
            "max_blocks": self.max_blocks,
            "choices": self.choices,
        }

    def canonical_block(self, block: Block) -> Block:
        """The block with knobs it ignores set to their first choice (for `key`)."""
        return block

    def unused_knobs(self, block: Block) -> set[str]:
        """The names of the knobs `block` ignores (left out of `label`)."""
        return set()

    def label(self, genotype: Genotype) -> str:
        blocks, head = self.blocks(genotype)
        items = []
        for block in blocks:
            unused = self.unused_knobs(block)
            used = [(k, v) for k, v in zip(self.block_knobs, block, strict=True) if k.name not in unused]
            text = kb.format_block(tuple(k for k, _ in used), tuple(v for _, v in used))
            items.append(f"{self.block_label}({text})")
        return " > ".join([*items, f"head({kb.format_block(self.head_knobs, head)})"])

    def blocks(self, genotype: Genotype) -> tuple[tuple[Block, ...], Block]:
        """(blocks, head) of a genotype, checked."""
        self.validate(genotype)
        return genotype.spec[0], genotype.spec[1]

    def _make(self, blocks: tuple[Block, ...], head: Block) -> Genotype:
        return Genotype(self.name, (tuple(blocks), head))

    def sample(self, rng: np.random.Generator) -> Genotype:
        n = int(rng.integers(self.min_blocks, self.max_blocks + 1))
        blocks = tuple(kb.sample_block(self.block_knobs, rng) for _ in range(n))
        return self._make(blocks, kb.sample_block(self.head_knobs, rng))

    def _moves(self, genotype: Genotype) -> list[Genotype]:
        blocks, head = self.blocks(genotype)
        out = []
        for i, block in enumerate(blocks):
            for changed in kb.block_neighbors(self.block_knobs, block):
                out.append(self._make((*blocks[:i], changed, *blocks[i + 1 :]), head))
        if len(blocks) < self.max_blocks:
            out.append(self._make((*blocks, blocks[-1]), head))
        if len(blocks) > self.min_blocks:
            out.extend(self._make(blocks[:i] + blocks[i + 1 :], head) for i in range(len(blocks)))
        out.extend(self._make(blocks, h) for h in kb.block_neighbors(self.head_knobs, head))
        return list(dict.fromkeys(out))

    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        (blocks_a, head_a), (blocks_b, head_b) = self.blocks(a), self.blocks(b)
        n = len(blocks_a) if rng.random() < 0.5 else len(blocks_b)
        child = []
        for i in range(n):
            options = [x[i] for x in (blocks_a, blocks_b) if i < len(x)]
            child.append(options[int(rng.integers(len(options)))])
        head = tuple(x if rng.random() < 0.5 else y for x, y in zip(head_a, head_b, strict=True))
        return self._make(tuple(child), head)

    def encode(self, genotype: Genotype) -> np.ndarray:
        blocks, head = self.blocks(genotype)
        vector: list[float] = []
        for slot in range(self.max_blocks):
            block = blocks[slot] if slot < len(blocks) else None
            vector += [float(block is not None), *kb.one_hot(self.block_knobs, block)]
        return np.array(vector + kb.one_hot(self.head_knobs, head))

    def features(self, genotype: Genotype) -> dict[str, Any]:
        blocks, head = self.blocks(genotype)
        out: dict[str, Any] = {"blocks": len(blocks)}
        for slot in range(self.max_blocks):
            for i, knob in enumerate(self.block_knobs):
                out[f"{self.block_label}{slot + 1}.{knob.name}"] = (
                    blocks[slot][i] if slot < len(blocks) else None
                )
        out.update({f"head.{knob.name}": value for knob, value in zip(self.head_knobs, head, strict=True)})
        return out

    def from_features(self, features: dict[str, Any]) -> Genotype:
        """Blocks 1..`blocks` from their knob values (later positions are ignored), then the head."""
        blocks = tuple(
            tuple(features[f"{self.block_label}{slot + 1}.{k.name}"] for k in self.block_knobs)
            for slot in range(int(features["blocks"]))
        )
        genotype = self._make(blocks, tuple(features[f"head.{k.name}"] for k in self.head_knobs))
        self.validate(genotype)
        return genotype

    def feature_choices(self, allowed: bool = False) -> dict[str, tuple[Any, ...]]:
        top = self.max_blocks + 2 if allowed else self.max_blocks  # deeper chains can always be asked for
        out: dict[str, tuple[Any, ...]] = {"blocks": tuple(range(self.min_blocks, top + 1))}
        for slot in range(self.max_blocks):
            out.update(
                {
                    f"{self.block_label}{slot + 1}.{k.name}": k.values if allowed else k.choices
                    for k in self.block_knobs
                }
            )
        out.update({f"head.{k.name}": k.values if allowed else k.choices for k in self.head_knobs})
        return out

    def knob_values(self) -> dict[str, tuple[Any, ...]]:
        """Every knob `choices` may narrow (each block's and the head's), with its allowed values."""
        defaults = (*self.default_block_knobs, *self.default_head_knobs)
        return {k.name: tuple(dict.fromkeys(k.values)) for k in defaults}

    @property
    def bit_length(self) -> int:
        return self.max_blocks * (1 + kb.block_bits(self.block_knobs)) + kb.block_bits(self.head_knobs)

    def to_bits(self, genotype: Genotype) -> np.ndarray:
        blocks, head = self.blocks(genotype)
        bits: list[bool] = []
        for slot in range(self.max_blocks):
            block = blocks[slot] if slot < len(blocks) else None
            bits += [block is not None, *kb.to_bits(self.block_knobs, block)]
        return np.array(bits + kb.to_bits(self.head_knobs, head), dtype=bool)

    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        width = 1 + kb.block_bits(self.block_knobs)
        slots = [
            (
                bool(bits[s * width]),
                kb.from_bits(self.block_knobs, bits[s * width + 1 : (s + 1) * width], rng),
            )
            for s in range(self.max_blocks)
        ]
        present = [block for on, block in slots if on]
        absent = [block for on, block in slots if not on]
        blocks = (present + absent[: max(0, self.min_blocks - len(present))])[: self.max_blocks]
        head = kb.from_bits(self.head_knobs, bits[self.max_blocks * width :], rng)
        return self._make(tuple(blocks), head)

    def key(self, genotype: Genotype) -> str:
        blocks, head = self.blocks(genotype)
        return self.format(self._make(tuple(self.canonical_block(b) for b in blocks), head))

    def validate(self, genotype: Genotype) -> None:
        self._check_space(genotype)
        spec = genotype.spec
        if not isinstance(spec, tuple) or len(spec) != 2 or not isinstance(spec[0], tuple):
            raise InvalidGenotypeError(f"a {self.name} genotype is (blocks, head), got {spec!r}")
        blocks, head = spec
        if not self.min_blocks <= len(blocks) <= self.max_blocks:
            raise InvalidGenotypeError(
                f"{self.name} needs {self.min_blocks}..{self.max_blocks} {self.block_label} blocks, "
                f"got {len(blocks)}"
            )
        for i, block in enumerate(blocks):
            kb.validate_block(self.block_knobs, block, f"{self.block_label} {i}")
        kb.validate_block(self.head_knobs, head, "head")

    def format(self, genotype: Genotype) -> str:
        blocks, head = genotype.spec
        items = [f"{self.block_label}({kb.format_block(self.block_knobs, b)})" for b in blocks]
        return " > ".join([*items, f"head({kb.format_block(self.head_knobs, head)})"])

    def parse(self, text: str) -> Genotype:
        if not isinstance(text, str):
            raise InvalidGenotypeError(f"architecture text must be a string, got {type(text).__name__}")
        items = [_ITEM.match(part) for part in text.split(">")]
        if not all(items) or len(items) < 2:
            raise InvalidGenotypeError(
                f"{self.name} text must read '{self.block_label}(k=v,…) > … > head(k=v,…)'; got {text!r}"
            )
        labels = [m.group(1) for m in items if m]
        if labels[-1] != "head" or any(label != self.block_label for label in labels[:-1]):
            raise InvalidGenotypeError(f"expected {self.block_label}(…) items then head(…), got {labels}")
        blocks = tuple(
            kb.parse_block(self.block_knobs, m.group(2), f"{self.block_label} {i}")
            for i, m in enumerate(items[:-1])
            if m
        )
        head = kb.parse_block(self.head_knobs, items[-1].group(2), "head") if items[-1] else ()
        genotype = self._make(blocks, head)
        self.validate(genotype)
        return genotype


def _default(knobs: tuple[Knob, ...], name: str) -> tuple[Any, ...]:
    return next(k.values for k in knobs if k.name == name)
