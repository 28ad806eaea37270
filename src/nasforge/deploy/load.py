"""Loading a saved or exported model folder: integrity check, rebuild from the card, weights
without pickle (and the structure compression changed, where it did)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nasforge.deploy.source_copy import is_user_space, space_config
from nasforge.errors import NasforgeError
from nasforge.evaluators.model_card import MANIFEST, WEIGHTS, ModelCard, read_card, sha256
from nasforge.genotype import Genotype
from nasforge.study.record import StudyRecord
from nasforge.trial import Trial

if TYPE_CHECKING:
    from torch import nn

    from nasforge.spaces.base import SearchSpace
    from nasforge.task import Task


def check_trusted(card: ModelCard, trust_code: bool) -> None:
    """Refuse a card whose space is a user's function (to be imported) unless the code is trusted.

    Raises:
        NasforgeError: the card names code to import and `trust_code` is False.
    """
    if is_user_space(card) and not trust_code:
        shipped = f", shipped as {card.source_file}" if card.source_file else ""
        raise NasforgeError(
            f"the model card names code to import to rebuild the model ({card.space.get('function')!r}"
            f"{shipped}); load it only if you trust that code: nasforge.load(..., trust_code=True), or "
            "--trust-code (serve --runtime onnx needs no code)"
        )


def verify(folder: str | Path) -> None:
    """Check every file listed in a model folder's `manifest.json` against its sha256.

    Raises:
        NasforgeError: the manifest is missing, or a listed file is missing or was changed.
    """
    manifest = Path(folder) / MANIFEST
    if not manifest.is_file():
        raise NasforgeError(
            f"{folder} has no {MANIFEST}, so its files cannot be checked; refusing to load it "
            "(to load it unchecked: nasforge.load(..., check_integrity=False), or --skip-integrity-check)"
        )
    try:
        listed = json.loads(manifest.read_text())["sha256"]
        names = list(listed)
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise NasforgeError(f"cannot read {manifest}: {exc}") from None
    for name in names:  # every entry checked before any file is read
        _inside(Path(folder), name)
    for name, digest in listed.items():
        path = Path(folder) / name
        if sha256(path) != digest:
            raise NasforgeError(f"{path} does not match its sha256 in manifest.json; refusing to load it")


def _inside(folder: Path, name: Any) -> None:
    """A manifest entry must name a plain file of the folder itself: no absolute path, no `..`, no
    link that leads out of it, nothing but a regular file.

    Raises:
        NasforgeError: the entry points elsewhere (the folder is refused before anything is read).
    """
    path = folder / str(name)
    base = folder.resolve()
    escapes = not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts
    if escapes or not path.resolve().is_relative_to(base) or not path.is_file():
        raise NasforgeError(
            f"manifest.json lists {name!r}, which is not a file inside {folder}; refusing to load the folder"
        )


def load_model(
    source: str | Path | StudyRecord,
    trial: Trial | int | None = None,
    *,
    raw_input: bool = True,
    trust_code: bool = False,
    check_integrity: bool = True,
) -> nn.Module:
    """Rebuild a saved network and load its weights (safetensors, no pickle).

    `source` is a model folder (kept beside a study, or exported: every file is then first
    checked against the manifest's sha256), or a study, whose newest kept model of `trial`
    (default: the best trial) is loaded. The model takes the data as the user has it: it
    standardises its input with the training data's mean and std itself (`Standardized`);
    `raw_input=False` gives the bare network, for inputs standardised already (as in training).
    A model of a user-defined space is rebuilt by importing the space's function, which the card
    names (the folder's copy of its source, where export put one), checked against the source hash
    the model was trained with: only with `trust_code=True`, never by default.
    `check_integrity=False` loads a folder whose manifest is gone (its files unchecked).

    Raises:
        NasforgeError: the study kept no model of that trial, the folder has no manifest, a file
            does not match its sha256 or cannot be read, or the card names code to import and
            `trust_code` is False.

    Example:
        >>> # model = load_model("runs/mnist1d-macro.db.artifacts/model-trial40-f40")
        >>> # model = load_model(study)            # the best trial's retrained model
    """
    if isinstance(source, StudyRecord):
        kept = source.model_folder(trial)
        if kept is None:
            which = (
                "the best trial"
                if trial is None
                else f"trial {trial if isinstance(trial, int) else trial.number}"
            )
            raise NasforgeError(f"the study kept no model of {which}; retrain it first (Study.retrain)")
        source = kept
    folder = source

    from nasforge.spaces import make_space
    from nasforge.task import Task

    if check_integrity:
        verify(folder)
    card = read_card(folder)
    check_trusted(card, trust_code)
    space = make_space(space_config(card, Path(folder)))
    task = Task(card.task.input_shape, card.task.num_classes)
    model = _network(card, space, task)
    state = _weights(Path(folder) / WEIGHTS)
    transforms = card.transforms  # the saved weights belong to the transformed structure
    if "fold_bn" in transforms:
        from nasforge.deploy.transforms.fold_bn import fold_batchnorm

        fold_batchnorm(model)
    if "prune" in transforms:
        from nasforge.deploy.transforms.channels import restore_shapes

        restore_shapes(model, card.pruned_shapes, state)
    model.load_state_dict(state)
    data = card.data
    if raw_input and data.mean and data.std:
        from nasforge.deploy.standardize import Standardized

        target = (data.target_mean, data.target_std)
        model = Standardized(model, task.input_shape, data.mean, data.std, target)
    model.eval()
    return model


def _network(card: ModelCard, space: SearchSpace, task: Task) -> nn.Module:
    """The untrained network the card describes: one architecture, or an ensemble of several."""
    if not card.members:
        if card.genotype is None:
            raise NasforgeError("the model card names neither a genotype nor ensemble members")
        return space.build(Genotype.from_dict(card.genotype), task)
    from nasforge.evaluators.ensemble import Ensemble

    networks = [space.build(Genotype.from_dict(g), task) for g in card.members]
    if card.blend is None:
        return Ensemble(networks, regression=card.regression, mirror=card.mirror)
    from nasforge.evaluators.ensemble import blend_weights, linear_member

    linear = linear_member(task.input_shape, task.num_classes)
    weights = blend_weights(len(networks), card.blend.share)
    return Ensemble([*networks, linear], regression=card.regression, mirror=card.mirror, weights=weights)


def _weights(path: Path) -> dict[str, Any]:
    """The tensors of a safetensors file, or one line naming the file when it cannot be read."""
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for a truncated or foreign file
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasforgeError(f"cannot read the weights {path}: {first_line}") from None
