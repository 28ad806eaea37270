"""Trained models beside a study: safetensors weights and a model card (JSON), loaded without pickle.

A model folder holds `model.safetensors` and `card.json`: the genotype, the space's
configuration, the task (input shape, classes), the data's normalisation and class names,
metrics with their split, and library versions.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nasforge.errors import NasforgeError
from nasforge.genotype import Genotype

if TYPE_CHECKING:
    from torch import nn

WEIGHTS, CARD = "model.safetensors", "card.json"


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


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: str | Path) -> None:
    """Check every file listed in an exported folder's `manifest.json` against its sha256.

    Raises:
        NasforgeError: a listed file is missing or was changed.
    """
    manifest = Path(folder) / "manifest.json"
    if not manifest.exists():
        return
    try:
        listed = json.loads(manifest.read_text())["sha256"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise NasforgeError(f"cannot read {manifest}: {exc}") from None
    for name, digest in listed.items():
        path = Path(folder) / name
        if not path.is_file() or sha256(path) != digest:
            raise NasforgeError(f"{path} does not match its sha256 in manifest.json; refusing to load it")


def load_model(folder: str | Path) -> nn.Module:
    """Rebuild the network described by the card and load its weights (safetensors, no pickle).

    In an exported folder every file is first checked against the manifest's sha256.

    Example:
        >>> # model = load_model("runs/mnist1d-macro.db.artifacts/model-trial40-f40")
    """
    from safetensors.torch import load_file

    from nasforge.spaces import make_space
    from nasforge.task import Task

    verify(folder)
    card = read_card(folder)
    space = make_space(card["space"])
    task = Task(tuple(card["task"]["input_shape"]), int(card["task"]["num_classes"]))
    model = space.build(Genotype.from_dict(card["genotype"]), task)
    state = load_file(str(Path(folder) / WEIGHTS))
    transforms = card.get("transforms", [])  # the saved weights belong to the transformed structure
    if "fold_bn" in transforms:
        from nasforge.folding import fold_batchnorm

        fold_batchnorm(model)
    if "prune" in transforms:
        from nasforge.channel_pruning import restore_shapes

        restore_shapes(model, card["pruned_shapes"], state)
    model.load_state_dict(state)
    model.eval()
    return model
