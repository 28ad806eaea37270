"""A search's final pick as the study keeps it: artifact records of kind `ensemble` (an average of
the best retrained models) and `pick` (the folder `load`, `export` and `serve` use)."""

from __future__ import annotations

from typing import Any

from nasforge.evaluators.model_card import read_card
from nasforge.study.record import StudyRecord

ENSEMBLE, PICK = "ensemble", "pick"


def pick_summary(record: StudyRecord) -> dict[str, Any] | None:
    """What a search's final pick is, from what the study keeps: `{"pick", "ensemble"}` where
    `ensemble` is the newest ensemble's `{"folder", "members", "metrics", "blend"}` (None
    without one; `blend`: its linear member, `CardBlend`, or None)."""
    folder = record.artifact_dir
    picks = [a for a in record.artifact_records() if a["kind"] == PICK]
    if not picks or folder is None:
        return None
    ensembles = [a for a in record.artifact_records() if a["kind"] == ENSEMBLE]
    ensemble = None
    if ensembles and (folder / ensembles[-1]["path"]).is_dir():
        card = read_card(folder / ensembles[-1]["path"])
        ensemble = {
            "folder": ensembles[-1]["path"],
            "members": len(card.members or []),
            "metrics": card.metric_values(),
            "blend": None if card.blend is None else card.blend.model_dump(),
        }
    return {"pick": picks[-1]["path"], "ensemble": ensemble}
