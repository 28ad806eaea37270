"""`joint`: any space searched together with training hyperparameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.errors import InvalidArgumentError, InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.chain import blocks as kb
from nasforge.spaces.chain.blocks import Knob
from nasforge.task import Task

if TYPE_CHECKING:
    from torch import nn

HYPERPARAMETERS = (
    Knob("learning_rate", (1e-3, 3e-3, 1e-2)),
    Knob("weight_decay", (0.0, 1e-4, 1e-3)),
    Knob("batch_size", (64, 128, 256)),
    Knob("optimizer", ("adamw", "adam", "sgd")),
    Knob("epochs", (5, 10, 20)),
)
SEPARATOR = " || "


class JointSpace(SearchSpace):
    """An architecture space plus training hyperparameters, searched as one.

    The training evaluator trains each candidate with the hyperparameters it carries.

    Args:
        space: the architecture space (name or config).
        hyperparameters: the values to search per hyperparameter (learning_rate, weight_decay,
            batch_size, optimizer, epochs); a hyperparameter left out keeps its default values.

    Example:
        >>> import numpy as np
        >>> space = JointSpace(space="nb201", hyperparameters={"epochs": [2, 4]})
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.training_overrides(g)["epochs"] in (2, 4)
        True
    """

    name = "joint"

    def __init__(
        self, *, space: dict[str, Any] | str = "macro", hyperparameters: dict[str, list[Any]] | None = None
    ) -> None:
        from nasforge.spaces import make_space

        self.inner = make_space(space)
        if isinstance(self.inner, JointSpace):
            raise InvalidArgumentError("space of a joint space cannot itself be joint")
        self.hyperparameters = {k: list(v) for k, v in (hyperparameters or {}).items()}
        known = {k.name for k in HYPERPARAMETERS}
        unknown = sorted(set(self.hyperparameters) - known)
        if unknown:
            raise InvalidArgumentError(
                f"hyperparameters has unknown name(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        for name, values in self.hyperparameters.items():
            if not values or len(set(values)) != len(values):
                raise InvalidArgumentError(
                    f"hyperparameters[{name!r}] must list distinct values, got {values!r}"
                )
        self.knobs = tuple(
            Knob(k.name, tuple(self.hyperparameters.get(k.name, k.choices))) for k in HYPERPARAMETERS
        )

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "space": self.inner.config(), "hyperparameters": self.hyperparameters}

    def split(self, genotype: Genotype) -> tuple[Genotype, tuple[Any, ...]]:
        """The architecture genotype and the hyperparameter values."""
        self.validate(genotype)
        return Genotype(self.inner.name, genotype.spec[0]), genotype.spec[1]

    def _join(self, inner: Genotype, hp: tuple[Any, ...]) -> Genotype:
        return Genotype(self.name, (inner.spec, hp))

    def training_overrides(self, genotype: Genotype) -> dict[str, Any]:
        _, hp = self.split(genotype)
        return {k.name: v for k, v in zip(self.knobs, hp, strict=True)}

    def sample(self, rng: np.random.Generator) -> Genotype:
        return self._join(self.inner.sample(rng), kb.sample_block(self.knobs, rng))

    def enumerate(self) -> None:
        return None

    def _moves(self, genotype: Genotype) -> list[Genotype]:
        inner, hp = self.split(genotype)
        return [self._join(n, hp) for n in self.inner.neighbors(inner)] + [
            self._join(inner, h) for h in kb.block_neighbors(self.knobs, hp)
        ]

    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        (ia, ha), (ib, hb) = self.split(a), self.split(b)
        hp = tuple(x if rng.random() < 0.5 else y for x, y in zip(ha, hb, strict=True))
        return self._join(self.inner.crossover(ia, ib, rng), hp)

    def encode(self, genotype: Genotype) -> np.ndarray:
        inner, hp = self.split(genotype)
        return np.concatenate([self.inner.encode(inner), kb.one_hot(self.knobs, hp)])

    def features(self, genotype: Genotype) -> dict[str, Any]:
        inner, hp = self.split(genotype)
        training = {f"train.{k.name}": v for k, v in zip(self.knobs, hp, strict=True)}
        return {**self.inner.features(inner), **training}

    def feature_choices(self, allowed: bool = False) -> dict[str, tuple[Any, ...]]:
        return {**self.inner.feature_choices(allowed), **{f"train.{k.name}": k.choices for k in self.knobs}}

    def knob_values(self) -> dict[str, tuple[Any, ...]]:
        return {**self.inner.knob_values(), **{f"train.{k.name}": k.choices for k in self.knobs}}

    @property
    def bit_length(self) -> int:
        return self.inner.bit_length + kb.block_bits(self.knobs)

    def to_bits(self, genotype: Genotype) -> np.ndarray:
        inner, hp = self.split(genotype)
        return np.concatenate([self.inner.to_bits(inner), np.array(kb.to_bits(self.knobs, hp), dtype=bool)])

    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        n = self.inner.bit_length
        return self._join(self.inner.from_bits(bits[:n], rng), kb.from_bits(self.knobs, bits[n:], rng))

    def key(self, genotype: Genotype) -> str:
        inner, hp = self.split(genotype)
        return self.inner.key(inner) + SEPARATOR + kb.format_block(self.knobs, hp)

    def validate(self, genotype: Genotype) -> None:
        self._check_space(genotype)
        spec = genotype.spec
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise InvalidGenotypeError(f"a joint genotype is (architecture, hyperparameters), got {spec!r}")
        self.inner.validate(Genotype(self.inner.name, spec[0]))
        kb.validate_block(self.knobs, spec[1], "hyperparameters")

    def format(self, genotype: Genotype) -> str:
        inner, hp = self.split(genotype)
        return self.inner.format(inner) + SEPARATOR + kb.format_block(self.knobs, hp)

    def parse(self, text: str) -> Genotype:
        if not isinstance(text, str) or SEPARATOR not in text:
            raise InvalidGenotypeError(
                f"joint text must read 'ARCHITECTURE{SEPARATOR}name=value,…'; got {text!r}"
            )
        arch, _, hp = text.rpartition(SEPARATOR)
        return self._join(self.inner.parse(arch), kb.parse_block(self.knobs, hp, "hyperparameters"))

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        inner, _ = self.split(genotype)
        return self.inner.build(inner, task)
