"""Categorical knobs and variable-length chains of knob blocks, shared by the chain spaces.

A block is a tuple of values, one per knob; a chain is a tuple of blocks (between a minimum and
maximum count) followed by one head block. These helpers give the sampling, neighbourhoods,
one-hot encodings and bit strings that such spaces need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasforge.errors import InvalidGenotypeError

ACTIVATIONS = ("relu", "prelu", "elu", "selu", "leaky_relu")

Block = tuple[Any, ...]


@dataclass(frozen=True)
class Knob:
    """One categorical choice: its name, the values searched by default (in a fixed order) and,
    where a space can build more, every value `choices` may be set to (`allowed`)."""

    name: str
    choices: tuple[Any, ...]
    allowed: tuple[Any, ...] = ()

    @property
    def values(self) -> tuple[Any, ...]:
        """Every value the knob may take: `allowed`, or the default `choices`."""
        return self.allowed or self.choices

    @property
    def bits(self) -> int:
        """Bits needed to code an index into `choices`."""
        return max(1, math.ceil(math.log2(len(self.choices))))


def sample_block(knobs: tuple[Knob, ...], rng: np.random.Generator) -> Block:
    """One block with every knob drawn uniformly."""
    return tuple(k.choices[int(rng.integers(len(k.choices)))] for k in knobs)


def validate_block(knobs: tuple[Knob, ...], block: Any, where: str) -> None:
    """Raise naming the knob, the allowed values and the value found."""
    if not isinstance(block, tuple) or len(block) != len(knobs):
        raise InvalidGenotypeError(f"{where} must have {len(knobs)} values ({_names(knobs)}), got {block!r}")
    for knob, value in zip(knobs, block, strict=True):
        if value not in knob.choices or type(value) is not type(knob.choices[0]):
            raise InvalidGenotypeError(
                f"{where} {knob.name} must be one of {list(knob.choices)}; got {value!r}"
            )


def block_neighbors(knobs: tuple[Knob, ...], block: Block) -> list[Block]:
    """Every block differing from `block` in exactly one knob."""
    return [
        (*block[:i], choice, *block[i + 1 :])
        for i, knob in enumerate(knobs)
        for choice in knob.choices
        if choice != block[i]
    ]


def one_hot(knobs: tuple[Knob, ...], block: Block | None) -> list[float]:
    """Concatenated one-hot vectors of the knobs (all zeros for an absent block)."""
    out: list[float] = []
    for i, knob in enumerate(knobs):
        out.extend(float(block is not None and block[i] == c) for c in knob.choices)
    return out


def to_bits(knobs: tuple[Knob, ...], block: Block | None) -> list[bool]:
    """Binary code of each knob's choice index (zeros for an absent block)."""
    out: list[bool] = []
    for i, knob in enumerate(knobs):
        index = 0 if block is None else knob.choices.index(block[i])
        out.extend(bool(index >> s & 1) for s in range(knob.bits - 1, -1, -1))
    return out


def from_bits(knobs: tuple[Knob, ...], bits: np.ndarray, rng: np.random.Generator) -> Block:
    """Decode `to_bits`; an index past a knob's choices is repaired by a random valid one."""
    values, at = [], 0
    for knob in knobs:
        index = int("".join("1" if b else "0" for b in bits[at : at + knob.bits]), 2)
        at += knob.bits
        values.append(
            knob.choices[index]
            if index < len(knob.choices)
            else knob.choices[int(rng.integers(len(knob.choices)))]
        )
    return tuple(values)


def block_bits(knobs: tuple[Knob, ...]) -> int:
    """Bits of one block's code."""
    return sum(k.bits for k in knobs)


def format_block(knobs: tuple[Knob, ...], block: Block) -> str:
    """`name=value,…` text of a block."""
    return ",".join(f"{k.name}={_text(v)}" for k, v in zip(knobs, block, strict=True))


def parse_block(knobs: tuple[Knob, ...], text: str, where: str) -> Block:
    """Read `format_block` output; every knob must be given."""
    given: dict[str, str] = {}
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise InvalidGenotypeError(f"{where}: expected NAME=VALUE items, got {item!r} in {text!r}")
        given[name] = value
    unknown = sorted(set(given) - {k.name for k in knobs})
    if unknown:
        raise InvalidGenotypeError(f"{where}: unknown knob(s) {', '.join(unknown)}; knobs: {_names(knobs)}")
    values = []
    for knob in knobs:
        if knob.name not in given:
            raise InvalidGenotypeError(f"{where}: missing {knob.name} (knobs: {_names(knobs)})")
        match = [c for c in knob.choices if _text(c) == given[knob.name]]
        if not match:
            raise InvalidGenotypeError(
                f"{where} {knob.name} must be one of {[_text(c) for c in knob.choices]}; "
                f"got {given[knob.name]!r}"
            )
        values.append(match[0])
    return tuple(values)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _names(knobs: tuple[Knob, ...]) -> str:
    return ", ".join(k.name for k in knobs)
