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
from typing import TYPE_CHECKING, Any

from nasforge.errors import NasforgeError

if TYPE_CHECKING:
    from torch import nn

    from nasforge.data import Dataset
    from nasforge.evaluators.schema import MetricSpec

WEIGHTS, CARD, MANIFEST = "model.safetensors", "card.json", "manifest.json"


def save_model(folder: str | Path, model: nn.Module, card: dict[str, Any]) -> Path:
    """Write `model`'s weights and `card` (plus library versions) into `folder`."""
    import torch
    from safetensors.torch import save_file

    from nasforge import __version__

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS))
    versions = {"nasforge": __version__, "torch": torch.__version__, "python": platform.python_version()}
    (out / CARD).write_text(json.dumps({**card, "versions": versions}, indent=2, default=float) + "\n")
    digests = {name: sha256(out / name) for name in (WEIGHTS, CARD)}
    manifest = {"format": "nasforge-model/1", "sha256": digests}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def read_card(folder: str | Path) -> dict[str, Any]:
    """The model card of a saved model."""
    path = Path(folder) / CARD
    try:
        card = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise NasforgeError(f"cannot read model card {path}: {exc}") from None
    if not isinstance(card, dict):
        raise NasforgeError(f"model card {path} must hold a JSON object")
    return card


def learnt_from_valid(card: dict[str, Any]) -> bool:
    """True when the model trained on the validation split too (its card's `fit`): a figure it
    scores there is not a validation figure."""
    return card.get("fit") == "train+valid"


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def training_card(
    data: Dataset, training: dict[str, Any], schema: list[MetricSpec], metrics: dict[str, float]
) -> dict[str, Any]:
    """What a trained model's card says besides its genotype and space: the task, the data
    (sizes, normalisation, class names), the training configuration, and each metric's split."""
    splits = {s.name: s.split for s in schema}
    return {
        "task": {"input_shape": list(data.input_shape), "num_classes": data.num_classes},
        "data": data.describe(),
        "training": training,
        "metrics": {k: {"value": v, "split": splits.get(k, "none")} for k, v in metrics.items()},
    }
