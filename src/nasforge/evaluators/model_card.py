"""A saved model: safetensors weights and a model card (JSON); written by evaluators, read by deploy.

A model folder holds `model.safetensors`, `card.json` (the genotype, the space's configuration,
the task (input shape, classes), the data's normalisation and class names, metrics with their
split, and library versions) and `manifest.json`, the sha256 of both, checked when it is loaded.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from nasforge.errors import NasforgeError

if TYPE_CHECKING:
    from torch import nn

    from nasforge.data import Dataset
    from nasforge.evaluators.schema import MetricSpec

WEIGHTS, CARD, MANIFEST = "model.safetensors", "card.json", "manifest.json"


class CardTask(BaseModel):
    """What the network maps: inputs of `input_shape` (no batch axis) to `num_classes` outputs."""

    model_config = ConfigDict(frozen=True)
    input_shape: tuple[int, ...]
    num_classes: int


class CardData(BaseModel):
    """The data the model learnt from: its normalisation, class names and kind of task (and the
    rest of `Dataset.describe()`: name, sizes, modality, a regression's target statistics)."""

    model_config = ConfigDict(frozen=True, extra="allow")
    name: str | None = None
    mean: list[float] | None = None
    std: list[float] | None = None
    class_names: list[str] | None = None
    task: Literal["classification", "regression"] = "classification"
    target_mean: float = 0.0  # a regression's target, in its own units: mean and spread
    target_std: float = 1.0


class CardMetric(BaseModel):
    """One measured figure and the split it was measured on ("valid", "test", "none")."""

    model_config = ConfigDict(frozen=True)
    value: float
    split: str = "none"


class CardBlend(BaseModel):
    """An ensemble's linear member: the `baseline` it is (e.g. "linear regression"), its `share`
    of the average, and the study's cross-validation that chose it (`folds`, `metric` of the
    networks alone and `blended`, on the held-out folds)."""

    model_config = ConfigDict(frozen=True)
    baseline: str
    share: float
    folds: int
    metric: str
    networks: float
    blended: float


class ModelCard(BaseModel):
    """What a saved model is: its architecture (`genotype`, or an ensemble's `members`, in
    `space`), task, data, training recipe, metrics, and what was done to it since (`transforms`,
    `pruned_shapes`, `compression`); read from `card.json` by `read_card`, which also opens the
    cards of earlier releases (`_migrated`).

    Example:
        >>> card = ModelCard(space={"name": "nb201"}, genotype={"space": "nb201", "spec": []},
        ...                  task=CardTask(input_shape=(1, 8, 8), num_classes=10))
        >>> card.classes()[:3], card.regression
        (['0', '1', '2'], False)
    """

    model_config = ConfigDict(frozen=True, extra="allow")
    space: dict[str, Any]
    task: CardTask
    genotype: dict[str, Any] | None = None
    members: list[dict[str, Any]] | None = None
    mirror: bool = False
    blend: CardBlend | None = None
    data: CardData = CardData()
    training: dict[str, Any] = {}
    metrics: dict[str, CardMetric] = {}
    fit: Literal["train", "train+valid"] = "train"
    transforms: list[str] = []
    pruned_shapes: dict[str, dict[str, int]] = {}
    fold_bn_report: list[Any] = []
    compression: dict[str, Any] | None = None
    source_file: str | None = None
    versions: dict[str, str] = {}

    @property
    def regression(self) -> bool:
        """True when the model predicts numbers rather than classes."""
        return self.data.task == "regression"

    @property
    def learnt_from_valid(self) -> bool:
        """True when the model trained on the validation split too: a figure it scores there is
        not a validation figure."""
        return self.fit == "train+valid"

    def classes(self) -> list[str]:
        """The class names, or "0", "1", ... when the data named none."""
        return self.data.class_names or [str(i) for i in range(self.task.num_classes)]

    def metric_values(self) -> dict[str, float]:
        """The metrics' values by name."""
        return {name: metric.value for name, metric in self.metrics.items()}

    @model_validator(mode="before")
    @classmethod
    def _migrated(cls, card: Any) -> Any:
        """Cards of earlier releases: `data` missing, empty or null; metrics as bare numbers."""
        if not isinstance(card, dict):
            return card
        card = {k: v for k, v in card.items() if v is not None or k in ("genotype", "members")}
        card["data"] = card.get("data") or {}
        metrics = card.get("metrics") or {}
        card["metrics"] = {
            k: v if isinstance(v, dict | CardMetric) else {"value": v} for k, v in metrics.items()
        }
        return card


def save_model(folder: str | Path, model: nn.Module, card: ModelCard) -> Path:
    """Write `model`'s weights and `card` (plus library versions) into `folder`."""
    import torch
    from safetensors.torch import save_file

    from nasforge import __version__

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS))
    versions = {"nasforge": __version__, "torch": torch.__version__, "python": platform.python_version()}
    written = card.model_copy(update={"versions": versions}).model_dump(mode="json", exclude_none=True)
    (out / CARD).write_text(json.dumps(written, indent=2) + "\n")
    digests = {name: sha256(out / name) for name in (WEIGHTS, CARD)}
    manifest = {"format": "nasforge-model/1", "sha256": digests}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def read_card(folder: str | Path) -> ModelCard:
    """The model card of a saved model (of this release or an earlier one)."""
    path = Path(folder) / CARD
    try:
        card = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise NasforgeError(f"cannot read model card {path}: {exc}") from None
    if not isinstance(card, dict):
        raise NasforgeError(f"model card {path} must hold a JSON object")
    try:
        return ModelCard.model_validate(card)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise NasforgeError(f"model card {path} is not one nasforge wrote: {problems}") from None


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_metrics(schema: list[MetricSpec], metrics: dict[str, float]) -> dict[str, CardMetric]:
    """`metrics` with the split each was measured on, from the evaluator's `schema`."""
    splits = {s.name: s.split for s in schema}
    return {k: CardMetric(value=v, split=splits.get(k, "none")) for k, v in metrics.items()}


def training_card(
    data: Dataset, training: dict[str, Any], schema: list[MetricSpec], metrics: dict[str, float]
) -> dict[str, Any]:
    """What a trained model's card says besides its architecture and space: the task, the data
    (sizes, normalisation, class names), the training configuration, and each metric's split."""
    return {
        "task": CardTask(input_shape=tuple(data.input_shape), num_classes=data.num_classes),
        "data": CardData.model_validate(data.describe()),
        "training": training,
        "metrics": card_metrics(schema, metrics),
    }
