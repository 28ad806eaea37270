"""`SearchConfig`: everything a search needs, from a TOML file and/or flags, validated by pydantic."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nasforge.errors import InvalidArgumentError

# The main job: sized to finish in a few minutes on two CPU cores.
DEFAULT_SPACE = {"name": "macro", "max_blocks": 4, "choices": {"channels": [16, 32, 64], "batchnorm": [True]}}
DEFAULT_STRATEGY = {"name": "evolution", "population_size": 10, "sample_size": 5}
DEFAULT_EVALUATOR = {"name": "training", "data": "mnist1d", "epochs": 5, "learning_rate": 0.01}


class WarmupConfig(BaseModel):
    """Zero-cost warm-up: score `candidates` random architectures with `proxy`, start from the `keep` best."""

    model_config = ConfigDict(extra="forbid")

    proxy: str = "synflow"
    candidates: int = Field(3000, ge=1)
    keep: int = Field(10, ge=1)


class SearchConfig(BaseModel):
    """A search: space, strategy, evaluator (each `{"name": …, **parameters}`), budget and study.

    Example TOML (every key optional; these are the defaults of the main job)::

        name = "mnist1d-macro"
        budget = 100
        seed = 0
        final_epochs = 40     # retrain the winner this long at the end (0: do not)
        [space]
        name = "macro"
        max_blocks = 4
        choices = { channels = [16, 32, 64], batchnorm = [true] }
        [strategy]
        name = "evolution"
        population_size = 10
        sample_size = 5
        [evaluator]
        name = "training"
        data = "mnist1d"
        epochs = 5
        learning_rate = 0.01
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "mnist1d-macro"
    study: str | None = None
    budget: int = Field(100, ge=1)
    seed: int = Field(0, ge=0)
    metric: str | None = None
    direction: Literal["maximize", "minimize"] = "maximize"
    workers: int = Field(1, ge=1)
    final_epochs: int = Field(40, ge=0)
    warmup: WarmupConfig | None = None
    space: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_SPACE))
    strategy: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_STRATEGY))
    evaluator: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_EVALUATOR))

    @field_validator("space", "strategy", "evaluator")
    @classmethod
    def _named(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value.get("name"), str):
            raise ValueError("needs a 'name' (text) naming one of the registered choices")
        return value

    @property
    def study_path(self) -> Path:
        """The study file: `study`, else runs/<name>.db."""
        return Path(self.study or f"runs/{self.name}.db")


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> SearchConfig:
    """Read a TOML file (if given), apply `overrides` (flags) on top, and validate.

    Raises:
        InvalidArgumentError: unreadable TOML, unknown keys or wrong types, each named.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise InvalidArgumentError(f"config file {path} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidArgumentError(f"config file {path} is not valid TOML: {exc}") from None
    for key, value in overrides.items():
        old = data.get(key)
        if (
            isinstance(value, dict)
            and isinstance(old, dict)
            and value.get("name", old.get("name")) == old.get("name")
        ):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        where = f"config file {path}" if path else "search options"
        raise InvalidArgumentError(f"{where}: {problems}") from None
