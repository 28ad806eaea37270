"""A model of a user-defined space ships like any other, but its card names code to import:
load, export and serve rebuild it only with the user's consent, never from a tampered card."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import NasforgeError, load
from tests.helpers import call, run, serving, tensor

SEARCH = ["search", "--space", "tests.spaces.user_spaces:cnn", "--data", "digits", "--epochs", "1"]
EVIL = """
from pathlib import Path

Path("imported.txt").write_text("code ran")


def anything(k, task):
    pass
"""


@pytest.fixture
def shipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    code, _, err = run(capsys, *SEARCH, "--budget", "2", "--final-epochs", "1", "--study", "u.db", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "export", "u.db", "--out", "refused")
    assert code == 2 and "--trust-code" in err and not (tmp_path / "refused").exists()
    code, _, err = run(capsys, "export", "u.db", "--out", "model", "--trust-code")
    assert code == 0, err
    return tmp_path / "model"


def test_load_and_serve_need_consent(shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(NasforgeError, match=r"names code to import .*tests.spaces.user_spaces:cnn"):
        load(shipped)
    model = load(shipped, trust_code=True)
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    code, _, err = run(capsys, "serve", str(shipped))
    assert code == 2 and "trust_code=True), or --trust-code" in err
    with serving(shipped, "--trust-code") as url:
        status, answer = call(
            f"{url}/v2/models/model/infer", tensor(np.zeros((1, 1, 8, 8), "float32")), token=None
        )
    assert status == 200 and len(answer["outputs"][0]["data"]) == 10


def test_a_tampered_card_imports_nothing(
    shipped: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "evil.py").write_text(EVIL)
    card = json.loads((shipped / "card.json").read_text())
    card["space"]["function"] = "evil.py:anything"
    (shipped / "card.json").write_text(json.dumps(card))
    manifest = json.loads((shipped / "manifest.json").read_text())
    manifest["sha256"]["card.json"] = hashlib.sha256((shipped / "card.json").read_bytes()).hexdigest()
    (shipped / "manifest.json").write_text(json.dumps(manifest))  # the attacker fixed the digest too
    with pytest.raises(NasforgeError, match=r"names code to import .*evil.py:anything"):
        load(shipped)
    code, _, err = run(capsys, "serve", str(shipped))
    assert code == 2 and "evil.py:anything" in err
    code, _, err = run(capsys, "compress", str(shipped), "--fold-bn", "--out", "small")
    assert code == 2 and "--trust-code" in err
    assert not (tmp_path / "imported.txt").exists()
