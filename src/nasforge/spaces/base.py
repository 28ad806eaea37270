"""`SearchSpace`: an immutable description of what can vary, with pure functions over genotypes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nasforge.errors import InvalidGenotypeError
from nasforge.genotype import Genotype
from nasforge.task import Task

if TYPE_CHECKING:
    from torch import nn


class SearchSpace(ABC):
    """Base class of every search space.

    Subclasses declare `name`, implement the abstract methods, and are registered in
    `nasforge.spaces.SPACES`. All methods are pure: randomness comes only from the `rng` passed in.
    """

    name: ClassVar[str]
    # Fidelities (e.g. training epochs) at which this space's candidates are known to be measured,
    # lowest first: multi-fidelity strategies use them as rungs unless told otherwise.
    fidelities: ClassVar[tuple[float, ...] | None] = None

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this space with `nasforge.spaces.make_space`."""
        return {"name": self.name}

    def changes(self) -> list[str]:
        """What changed in the space's definition since its configuration was stored (a user's
        function edited); empty when nothing did, as for every built-in space."""
        return []

    def training_overrides(self, genotype: Genotype) -> dict[str, Any]:
        """Training hyperparameters this genotype fixes (spaces that search them jointly)."""
        return {}

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Genotype:
        """Draw one architecture uniformly (or as the space defines)."""

    def enumerate(self) -> Iterator[Genotype] | None:
        """Every architecture, for finite spaces small enough to list; None otherwise."""
        return None

    def neighbors(self, genotype: Genotype) -> list[Genotype]:
        """Every architecture one elementary change away that is another network: its key differs
        from `genotype`'s and from every earlier neighbour's (a change to an unused edge or a
        switched-off block is no move at all). In a fixed order."""
        seen, out = {self.key(genotype)}, []
        for move in self._moves(genotype):
            if (key := self.key(move)) not in seen:
                seen.add(key)
                out.append(move)
        return out

    @abstractmethod
    def _moves(self, genotype: Genotype) -> list[Genotype]:
        """Every elementary change of `genotype`, in a fixed order (some may give the same network)."""

    def mutate(self, genotype: Genotype, rng: np.random.Generator) -> Genotype:
        """One random elementary change that gives another network; where no change does (an
        NB-101 cell whose edges all serve dead vertices, say), a fresh sample of another network."""
        options = self.neighbors(genotype)
        if options:
            return options[int(rng.integers(len(options)))]
        key = self.key(genotype)
        while self.key(fresh := self.sample(rng)) == key:
            pass
        return fresh

    @abstractmethod
    def crossover(self, a: Genotype, b: Genotype, rng: np.random.Generator) -> Genotype:
        """A child mixing the two parents."""

    @abstractmethod
    def encode(self, genotype: Genotype) -> np.ndarray:
        """A fixed-length float vector, for predictors."""

    def features(self, genotype: Genotype) -> dict[str, Any]:
        """Named knob values of a genotype, for analysis (which choices matter); None where a knob
        is absent (e.g. a block the chain does not have). Default: the encoding's entries."""
        return {f"x{i}": float(v) for i, v in enumerate(self.encode(genotype))}

    def values(self, genotype: Genotype) -> dict[str, Any]:
        """The genotype's knob values by name, as a function evaluator hands them to the user's
        function. Default: `features`; a user's own space gives its knobs' real values."""
        return self.features(genotype)

    def from_features(self, features: dict[str, Any]) -> Genotype:
        """The genotype with these knob values (inverse of `features`), for samplers that choose
        knob by knob (e.g. TPE).

        Raises:
            InvalidArgumentError: the space cannot be described knob by knob.
        """
        from nasforge.errors import InvalidArgumentError

        raise InvalidArgumentError(f"the {self.name} space cannot be built from knob values (from_features)")

    def feature_choices(self, allowed: bool = False) -> dict[str, tuple[Any, ...]]:
        """The values each feature is searched over, in order, where the space knows them; with
        `allowed`, every value the space could be configured to search instead."""
        return {}

    def bind_task(self, task: Task | None) -> None:
        """Learn the task the study's models are built for (a define-by-run space traces its
        function with it); other spaces need nothing."""
        del task

    def from_params(self, params: dict[str, Any]) -> Genotype:
        """The genotype with these knob values (`Study.enqueue_trial`); default: `from_features`."""
        return self.from_features(params)

    def params(self, genotype: Genotype) -> dict[str, Any]:
        """The genotype's knob values by name, absent knobs left out (`Study.best_params`)."""
        return {name: value for name, value in self.features(genotype).items() if value is not None}

    def suggest(self, trial: Any) -> Genotype:
        """The genotype an Optuna trial (`optuna.Trial`) chooses knob by knob (for TPE). Default:
        each feature as a categorical over `feature_choices`, built with `from_features`."""
        return self.from_features(
            {name: trial.suggest_categorical(name, values) for name, values in self.feature_choices().items()}
        )

    def suggested(self, genotype: Genotype) -> tuple[dict[str, Any], dict[str, Any]]:
        """The Optuna params and distributions `suggest` would have chosen for `genotype` (to tell
        a sampler about an architecture it did not propose). Default: every feature, an absent one
        as its first choice."""
        from optuna.distributions import CategoricalDistribution

        features = self.features(genotype)
        choices = self.feature_choices()
        params = {k: features[k] if features.get(k) is not None else v[0] for k, v in choices.items()}
        return params, {k: CategoricalDistribution(v) for k, v in choices.items()}

    def knob_values(self) -> dict[str, tuple[Any, ...]]:
        """Each knob a user can name (e.g. in `choices`) with every value it may take, for listings."""
        return self.feature_choices(allowed=True)

    @property
    @abstractmethod
    def bit_length(self) -> int:
        """Length of the binary encoding used by the genetic algorithm."""

    @abstractmethod
    def to_bits(self, genotype: Genotype) -> np.ndarray:
        """The binary encoding (a bool array of `bit_length`)."""

    @abstractmethod
    def from_bits(self, bits: np.ndarray, rng: np.random.Generator) -> Genotype:
        """Decode bits, repairing invalid patterns into a valid genotype."""

    @abstractmethod
    def key(self, genotype: Genotype) -> str:
        """Canonical identity: equal for architectures that compute the same function."""

    @abstractmethod
    def validate(self, genotype: Genotype) -> None:
        """Raise `InvalidGenotypeError` saying what is wrong, or return None."""

    @abstractmethod
    def format(self, genotype: Genotype) -> str:
        """A readable one-line text form, accepted back by `parse`."""

    @abstractmethod
    def parse(self, text: str) -> Genotype:
        """Read the text form written by `format`."""

    def label(self, genotype: Genotype) -> str:
        """The architecture as a person reads it: `format`, less the knobs it does not use (a pool
        size without pooling); `format` keeps them, so that `parse` gives the genotype back."""
        return self.format(genotype)

    @abstractmethod
    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        """The PyTorch network for `task` (torch is imported lazily)."""

    def _check_space(self, genotype: Genotype) -> None:
        if not isinstance(genotype, Genotype):
            raise InvalidGenotypeError(f"expected a Genotype, got {type(genotype).__name__}")
        if genotype.space != self.name:
            raise InvalidGenotypeError(f"genotype belongs to space {genotype.space!r}, not {self.name!r}")
