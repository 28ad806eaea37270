"""The source of a user's own space inside a model folder: export copies the function's file
(`space/<file>.py`) so that the folder rebuilds its model anywhere; loading imports that copy (or
the original file, for a folder without one) and refuses a function whose source hash is not the
one the model was trained with."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

from nasforge.errors import NasforgeError
from nasforge.evaluators.model_card import ModelCard
from nasforge.spaces.define_by_run.loading import import_function, source_sha256

SOURCE_FOLDER = "space"


def is_user_space(card: ModelCard) -> bool:
    """Whether the card's model is of a user's own space (rebuilt by running its code)."""
    return card.space.get("name") == "user"


def copy_source(card: ModelCard, source: Path, out: Path) -> ModelCard:
    """Copy the space's file from the model folder `source` (its copy) or from where the card's
    function lives into `out/space/`; the card with `source_file` naming the copy.

    Raises:
        NasforgeError: the source file is neither in `source` nor where the card says.
    """
    if not is_user_space(card):
        return card
    where, _, _ = card.space["function"].rpartition(":")
    kept = source / card.source_file if card.source_file else None
    original = kept if kept is not None and kept.is_file() else _file_of(where)
    if original is None or not original.is_file():
        raise NasforgeError(
            f"the space's source {where} is not a file here, so the exported folder could not carry it; "
            "export on the machine where the study ran"
        )
    name = f"{SOURCE_FOLDER}/{original.name}"
    (out / SOURCE_FOLDER).mkdir(exist_ok=True)
    shutil.copyfile(original, out / name)
    return card.model_copy(update={"source_file": name})


def _file_of(where: str) -> Path | None:
    """The file of `file.py` or of an importable `package.module` (None where there is none)."""
    if where.endswith(".py"):
        return Path(where)
    try:
        spec = importlib.util.find_spec(where)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec is not None and spec.origin and spec.origin.endswith(".py") else None


def space_config(card: ModelCard, folder: Path) -> dict[str, Any]:
    """The card's space configuration, its function imported from the folder's copy of the source
    where there is one, checked against the source hash the model was trained with.

    Raises:
        NasforgeError: the function's source does not match that hash (both hashes named).
    """
    space = dict(card.space)
    if not is_user_space(card):
        return space
    where, _, name = space["function"].rpartition(":")
    copy = folder / card.source_file if card.source_file else None
    if copy is not None and copy.is_file():
        space["function"] = f"{copy.resolve()}:{name}"
        where = str(copy)
    trained, found = space.get("source_sha256"), source_sha256(import_function(space["function"]))
    if trained and found != trained:
        raise NasforgeError(
            f"the source of {name} in {where} does not match the model's: sha256 {found[:16]}… found, "
            f"{trained[:16]}… trained; refusing to rebuild it (restore the source the model was trained with)"
        )
    return space
