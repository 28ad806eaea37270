"""`SearchConfig`: everything a search needs, from defaults, a TOML file and flags, validated by pydantic.

There is one source of defaults: `StudySettings` (how a study runs), `SearchConfig`'s own
fields and the three `DEFAULT_*` sections below (the main job). A TOML file and flags are
layered on top; a section that keeps the default's `name` (or gives none) is merged into it
key by key, one that names another kind replaces it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nasforge.errors import InvalidArgumentError
from nasforge.study.settings import StudySettings
from nasforge.validation import pydantic_problems

# The main job, sized to finish in a few minutes on two CPU cores. Stride 1 throughout (pooling
# still downsamples): on a development split, 40-epoch accuracy of random chains fell with
# stride 2 and searches that could choose it ended lower on 2 of 5 seeds (see the README).
DEFAULT_SPACE = {
    "name": "macro",
    "max_blocks": 4,
    "choices": {"channels": [16, 32, 64], "stride": [1], "batchnorm": [True]},
}
DEFAULT_STRATEGY = {"name": "evolution", "population_size": 10}
DEFAULT_EVALUATOR = {"name": "training", "data": "mnist1d", "epochs": 5, "learning_rate": 0.01}
WARMUP_CANDIDATES = 500
# The NB201 table's default: local search from the best 10 of 3,000 cells by synflow (shipped with
# the table, so free); chosen on runs 0-99 among local search, evolution, BANANAS and TPE with and
# without it, as the best at 50 queries (benchmarks/results/nb201_warmup.md).
TABLE_STRATEGY = {"name": "local"}
TABLE_WARMUP = {"candidates": 3000}

Direction = Literal["maximize", "minimize"]
SECTIONS = {"space": DEFAULT_SPACE, "strategy": DEFAULT_STRATEGY, "evaluator": DEFAULT_EVALUATOR}


class WarmupConfig(BaseModel):
    """Zero-cost warm-up: score `candidates` random architectures with `proxy`, start from the `keep` best."""

    model_config = ConfigDict(extra="forbid")

    proxy: str = "synflow"
    candidates: int = Field(WARMUP_CANDIDATES, ge=1)
    keep: int = Field(10, ge=1)


class SearchConfig(StudySettings):
    """A search: space, strategy, evaluator (each `{"name": …, **parameters}`), the study file
    and how it runs (`StudySettings`).

    Example TOML (every key optional; these are the defaults of the main job)::

        budget = 100
        seed = 0
        final_epochs = 40     # retrain the winner this long at the end (0: do not)
        final_fit = "train+valid"  # what the final retraining learns from ("train": keep valid out)
        [space]
        name = "macro"
        max_blocks = 4
        choices = { channels = [16, 32, 64], stride = [1], batchnorm = [true] }
        [strategy]
        name = "evolution"
        population_size = 10  # sample_size: half the population unless given
        [evaluator]
        name = "training"
        data = "mnist1d"
        epochs = 5
        learning_rate = 0.01
    """

    name: str | None = None
    study: str | None = None
    seed: int = Field(0, ge=0)
    metric: list[str] | None = None
    direction: list[Direction] | None = None  # None: each metric's own (loss, params: minimize)
    constraints: list[str] = Field(default_factory=list)
    warmup: WarmupConfig | None = None  # `false` in TOML: none (the table's default has one)
    space: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_SPACE))
    strategy: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_STRATEGY))
    evaluator: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_EVALUATOR))

    @field_validator("space", "strategy", "evaluator")
    @classmethod
    def _named(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value.get("name"), str):
            raise ValueError("needs a 'name' (text) naming one of the registered choices")
        return value

    @field_validator("warmup", mode="before")
    @classmethod
    def _no_warmup(cls, value: Any) -> Any:
        return None if value is False else value

    @field_validator("metric", "direction", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [v.strip() for v in value.split(",")] if isinstance(value, str) else value

    @property
    def default_name(self) -> str:
        """`<data>-<space>`, e.g. mnist1d-macro, iris-macro, table-nb201."""
        evaluator = self.evaluator
        data = evaluator.get("data", "gaussian") if evaluator["name"] != "table" else "table"
        space = self.space["name"]
        if space == "user":  # your own space: by its function's name
            space = str(self.space.get("function", "user")).rpartition(":")[2]
        return f"{Path(str(data)).stem}-{space}"

    @property
    def study_path(self) -> Path:
        """The study file: `study`, else runs/<name>.db (name: `name`, else data and space)."""
        return Path(self.study or f"runs/{self.name or self.default_name}.db")

    def settings(self) -> StudySettings:
        """What is stored with the study to resume it as started."""
        return StudySettings(**{k: getattr(self, k) for k in StudySettings.model_fields})


def layered(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge config dicts in order over the defaults' sections (see the module docstring); a
    search of a CSV table that names no space searches the `mlp` space; one on the NB201 table
    that names no strategy runs local search, and the shipped table gets a synflow warm-up unless
    a source says otherwise."""
    data: dict[str, Any] = {key: dict(default) for key, default in SECTIONS.items()}
    for source in sources:
        for key, value in source.items():
            old = data.get(key)
            if (
                isinstance(value, dict)
                and isinstance(old, dict)
                and value.get("name", old.get("name")) == old.get("name")
            ):
                data[key] = {**old, **value}
            else:
                data[key] = value
    evaluator = data.get("evaluator")
    tabular = isinstance(evaluator, dict) and str(evaluator.get("data", "")).lower().endswith(".csv")
    if tabular and not any("space" in source for source in sources):
        data["space"] = {"name": "mlp"}  # a table of features gets a model family for tables
    if isinstance(evaluator, dict) and evaluator.get("name") == "table":
        if not any("strategy" in source for source in sources):
            data["strategy"] = dict(TABLE_STRATEGY)
        if shipped_table(evaluator) and not any("warmup" in source for source in sources):
            data["warmup"] = dict(TABLE_WARMUP)
    return data


def shipped_table(evaluator: dict[str, Any]) -> bool:
    """True for the evaluator section of the shipped NB201 table, whose synflow scores ship with
    it (a warm-up there looks them up: free)."""
    return evaluator.get("name") == "table" and not evaluator.get("table")


def space_section(text: str, folder: Path | None = None) -> dict[str, Any]:
    """The space section a name stands for: a registered space (`macro`), or your own function
    (`file.py:function`, a `file.py` relative to `folder` when given, or `package.module:function`).

    Example:
        >>> space_section("macro"), space_section("pkg.mod:fn")
        ({'name': 'macro'}, {'name': 'user', 'function': 'pkg.mod:fn'})
    """
    if ":" not in text:
        return {"name": text}
    where, _, name = text.rpartition(":")
    if folder is not None and where.endswith(".py") and not Path(where).is_absolute():
        where = str(folder / where)
    return {"name": "user", "function": f"{where}:{name}"}


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML config file as a dict, with a clear error for a missing, unreadable or invalid one;
    `space = "file.py:function"` (relative to the file's folder) names your own space."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InvalidArgumentError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise InvalidArgumentError(f"--config must be a TOML file, got the folder {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"config file {path} is not valid TOML: {exc}") from None
    if isinstance(data.get("space"), str):
        data["space"] = space_section(data["space"], Path(path).parent)
    return data


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> SearchConfig:
    """Defaults, then a TOML file (if given), then `overrides` (flags), validated.

    Raises:
        InvalidArgumentError: unreadable TOML, unknown keys or wrong types, each named.
    """
    return validated_config(layered([read_toml(path) if path is not None else {}, overrides]), path)


def validated_config(data: dict[str, Any], path: str | Path | None = None) -> SearchConfig:
    """`data` (already layered over the defaults) as a `SearchConfig`; errors name the TOML file
    at `path` when the options came from one."""
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as exc:
        where = f"config file {path}" if path else "search options"
        raise InvalidArgumentError(f"{where}: {pydantic_problems(exc)}") from None
