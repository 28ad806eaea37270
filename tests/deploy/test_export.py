"""`nasforge export`: a verified model folder that reloads bit-identically and refuses tampering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import NasforgeError, load
from nasforge.deploy.load import verify
from nasforge.evaluators.model_card import read_card
from tests.conftest import SEARCH
from tests.helpers import run

pytestmark = pytest.mark.slow  # trains and exports models, ONNX checked, a fresh process

RELOAD = """
import sys, numpy as np, torch
from nasforge import load
x = torch.from_numpy(np.load(sys.argv[2]))
with torch.no_grad():
    np.save(sys.argv[3], load(sys.argv[1])(x).numpy())
"""


def test_export_writes_every_file_and_a_checked_onnx(exported: Path) -> None:
    names = {p.name for p in exported.iterdir()}
    assert {"config.json", "model.safetensors", "model.onnx", "manifest.json", "README.md"} <= names
    manifest = json.loads((exported / "manifest.json").read_text())
    assert manifest["input"] == {"shape": [-1, 1, 8, 8], "dtype": "float32"}
    assert manifest["metrics"]["test_accuracy"]["split"] == "test" and "torch" in manifest["versions"]
    assert set(manifest["sha256"]) >= {"model.safetensors", "model.onnx", "config.json"}
    import onnxruntime

    session = onnxruntime.InferenceSession(str(exported / "model.onnx"), providers=["CPUExecutionProvider"])
    batch = np.random.default_rng(0).normal(size=(7, 1, 8, 8)).astype(np.float32)  # another batch size
    (logits,) = session.run(None, {"input": batch})
    with torch.no_grad():
        expected = load(exported)(torch.from_numpy(batch)).numpy()
    assert logits.shape == (7, 10) and np.max(np.abs(logits - expected)) <= 1e-4


def test_a_fresh_process_reloads_bit_identical_outputs(exported: Path, tmp_path: Path) -> None:
    x = np.random.default_rng(1).normal(size=(16, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    subprocess.run(
        [sys.executable, "-c", RELOAD, str(exported), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
        check=True,
    )
    with torch.no_grad():
        here = load(exported)(torch.from_numpy(x)).numpy()
    assert np.array_equal(np.load(tmp_path / "y.npy"), here)


def test_a_tampered_weight_file_is_refused(exported: Path) -> None:
    weights = exported / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(NasforgeError, match="does not match its sha256"):
        verify(exported)
    with pytest.raises(NasforgeError, match="refusing to load"):
        load(exported)


def test_export_mistakes_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *SEARCH, "--final-epochs", "0", "--study", "n.db", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "export", "n.db", "--out", "m")
    assert code == 2 and "has no kept model; give --retrain-epochs" in err
    code, _, err = run(capsys, "export", "n.db", "--trial", "99", "--out", "m")
    assert code == 2 and "--trial must be" in err
    code, out, err = run(capsys, "export", "n.db", "--retrain-epochs", "1", "--out", "m", "--json")
    assert code == 0, err
    metrics = json.loads(out)["metrics"]  # trained on train+valid: no validation figure to report
    assert "test_accuracy" in metrics and not any(name.startswith("valid_") for name in metrics)
    seen = metrics["train_samples_per_s"]["value"] * metrics["train_seconds"]["value"]
    assert seen == pytest.approx(1797 * 0.8, rel=0.02)  # digits: all but the 20% test split
    code, _, err = run(capsys, "export", "n.db", "--retrain-epochs", "1", "--out", "m")
    assert code == 2 and "new or empty folder" in err


def test_a_study_loads_its_final_pick_and_each_kept_model(exported: Path, tmp_path: Path) -> None:
    from nasforge import StudyView

    with StudyView(tmp_path / "s.db") as view:
        best = view.best_trial
        assert best is not None and view.model_folder(best.number) == view.model_folder(best)
        folder = view.model_folder()  # the final pick: the two retrained trials averaged
        assert folder is not None and folder.name == "ensemble-top2-f1" and folder.is_dir()
        x = torch.randn(3, 1, 8, 8)
        with torch.no_grad():
            assert torch.equal(load(view)(x), load(folder)(x))
            members = [load(view, t.number)(x).softmax(1) for t in view.trials]  # both were retrained
            mean = torch.stack(members).mean(0)
            assert torch.allclose(load(view)(x).softmax(1), mean, atol=1e-6)
        with pytest.raises(NasforgeError, match="kept no model of trial 5"):
            load(view, 5)


def test_members_trained_with_flips_also_answer_the_mirrored_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from nasforge import StudyView

    flipped = ["--augment", "hflip", "--final-epochs", "1", "--study", "f.db", "--json"]
    code, _, err = run(capsys, *SEARCH, *flipped)
    assert code == 0, err
    with StudyView(tmp_path / "f.db") as view:
        folder = view.model_folder()
        assert folder is not None and read_card(folder).mirror is True
        x = torch.randn(5, 1, 8, 8)
        with torch.no_grad():
            views = [load(view, t.number)(v).softmax(1) for t in view.trials for v in (x, x.flip(-1))]
            assert torch.allclose(load(view)(x).softmax(1), torch.stack(views).mean(0), atol=1e-6)
            assert torch.allclose(load(view)(x), load(view)(x.flip(-1)), atol=1e-5)  # blind to mirroring
    code, out, err = run(capsys, "export", "f.db", "--out", "m", "--json")
    assert code == 0, err
    assert json.loads(out)["onnx_max_abs_difference"] <= 1e-4  # the ONNX graph mirrors too
    with StudyView(tmp_path / "f.db") as view, torch.no_grad():
        assert torch.equal(load(tmp_path / "m")(x), load(view)(x))
    assert json.loads((tmp_path / "m" / "config.json").read_text())["mirror"] is True
    assert "on the input and on its mirror image" in (tmp_path / "m" / "README.md").read_text()


def test_export_is_all_or_nothing_with_ordinary_file_modes(
    exported: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed export leaves no folder behind, so the same command can simply be run again."""
    assert {oct(p.stat().st_mode & 0o777) for p in exported.iterdir()} == {"0o644"}
    assert oct(exported.stat().st_mode & 0o777) == "0o755"
    from nasforge.deploy import export

    def broken(*args: object) -> float:
        raise NasforgeError("the ONNX model differs from PyTorch by 1.00e+00 (allowed 0.0001)")

    with monkeypatch.context() as patched:
        patched.setattr(export, "export_onnx", broken)
        code, _, err = run(capsys, "export", "s.db", "--out", "again")
    assert code == 2 and "differs from PyTorch" in err
    assert not (tmp_path / "again").exists() and not list(tmp_path.glob(".again*"))
    code, _, err = run(capsys, "export", "s.db", "--out", "again")
    assert code == 0, err
    assert (tmp_path / "again" / "model.onnx").is_file()


@pytest.mark.parametrize("entry", ["../outside.bin", "/dev/zero", "link-out", "."])
def test_a_manifest_naming_files_outside_the_folder_is_refused_before_reading(
    exported: Path, tmp_path: Path, entry: str
) -> None:
    import hashlib

    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"not part of the model")
    (exported / "link-out").symlink_to(outside)
    manifest = json.loads((exported / "manifest.json").read_text())
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()  # even a matching digest is refused
    manifest["sha256"][entry] = digest
    (exported / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(NasforgeError, match=f"lists {entry!r}, which is not a file inside"):
        load(exported)  # /dev/zero would never finish hashing: it is refused before any read


def test_a_folder_without_its_manifest_is_refused_unless_asked(exported: Path) -> None:
    """Deleting the manifest does not turn the check off: a flipped byte would then load unseen."""
    (exported / "manifest.json").unlink()
    with pytest.raises(NasforgeError, match=r"has no manifest\.json.*check_integrity=False"):
        load(exported)
    assert isinstance(load(exported, check_integrity=False), torch.nn.Module)


def test_a_truncated_weights_file_is_one_line_naming_it(exported: Path, tmp_path: Path) -> None:
    weights = exported / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(NasforgeError, match=r"model\.safetensors does not match its sha256"):
        load(exported)
    with pytest.raises(NasforgeError, match=r"cannot read the weights .*model.safetensors: ") as refused:
        load(exported, check_integrity=False)
    assert "\n" not in str(refused.value)
