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
    with pytest.raises(
        NasforgeError,
        match=r"names code to import .*tests.spaces.user_spaces:cnn.*shipped as space/user_spaces.py",
    ):
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


FAMILY = """
from torch import nn

ACTS = {"relu": nn.ReLU, "silu": nn.SiLU}


def family(k, task):
    c = k.choice("channels", [4, 8])
    act = ACTS[k.choice("act", ["relu", "silu"])]()
    return nn.Sequential(nn.Conv2d(task.input_shape[0], c, 3), act, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(c, task.num_classes))
"""


@pytest.fixture
def family_model(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A model of a space written in a file of its own, exported, the file then deleted and the
    working folder changed: only the exported folder is left."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    Path("fam.py").write_text(FAMILY)
    search = ["search", "--space", "fam.py:family", "--data", "digits", "--epochs", "1", "--budget", "2"]
    code, _, err = run(capsys, *search, "--final-epochs", "1", "--study", "f.db", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "export", "f.db", "--out", str(tmp_path / "shipped"), "--trust-code")
    assert code == 0, err
    Path("fam.py").unlink()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "shipped"


def test_an_exported_folder_carries_its_source(family_model: Path) -> None:
    assert (family_model / "space" / "fam.py").read_text() == FAMILY
    manifest = json.loads((family_model / "manifest.json").read_text())
    assert "space/fam.py" in manifest["sha256"]
    with pytest.raises(NasforgeError, match=r"fam.py:family'?, shipped as space/fam.py"):
        load(family_model)
    model = load(family_model, trust_code=True)
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_a_changed_source_is_refused_naming_both_hashes(family_model: Path) -> None:
    copy = family_model / "space" / "fam.py"
    copy.chmod(0o644)
    copy.write_text(
        FAMILY.replace("nn.Conv2d(task.input_shape[0], c, 3)", "nn.Conv2d(task.input_shape[0], c, 5)")
    )
    with pytest.raises(NasforgeError, match=r"space/fam.py does not match its sha256"):
        load(family_model, trust_code=True)
    with pytest.raises(NasforgeError, match=r"does not match the model's: sha256 \w+… found, \w+… trained"):
        load(family_model, trust_code=True, check_integrity=False)


def test_onnx_serving_needs_no_code(family_model: Path) -> None:
    (family_model / "space" / "fam.py").chmod(0o644)
    (family_model / "space" / "fam.py").write_text("raise SystemExit('the code ran')\n")
    with serving(family_model, "--runtime", "onnx", "--skip-integrity-check") as url:
        status, answer = call(
            f"{url}/v2/models/shipped/infer", tensor(np.zeros((1, 1, 8, 8), "float32")), token=None
        )
    assert status == 200 and len(answer["outputs"][0]["data"]) == 10
