"""An image folder's class names travel from the data to the card, the manifest and the server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import call, run, serving, tensor

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def write_digits_as_pngs(root: Path) -> None:
    """scikit-learn's digits (8x8, 0-16) as 8-bit PNG files, one sub-folder per class name."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i, (image, label) in enumerate(zip(digits.images, digits.target, strict=True)):
        folder = root / NAMES[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * 15).astype(np.uint8), mode="L").save(folder / f"{i}.png")


@pytest.mark.slow
def test_a_served_image_from_zero_comes_back_as_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_digits_as_pngs(tmp_path / "digits")
    argv = [
        "search",
        "--data",
        str(tmp_path / "digits"),
        "--space",
        "macro",
        "--budget",
        "2",
        "--epochs",
        "3",
    ]
    code, _, err = run(capsys, *argv, "--epochs", "3", "--final-epochs", "6", "--study", "f.db", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "export", "f.db", "--out", "model", "--json")
    assert code == 0, err
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["class_names"] == sorted(NAMES)
    from PIL import Image

    zeros = sorted((tmp_path / "digits" / "zero").glob("*.png"))[:20]
    batch = np.stack([np.asarray(Image.open(f), dtype=np.float32)[None] for f in zeros])  # as the user has it
    with serving(tmp_path / "model") as url:
        status, answer = call(f"{url}/v2/models/model/infer", tensor(batch), token=None)
    assert status == 200
    labels = answer["outputs"][1]["data"]
    assert set(labels) <= set(NAMES) and labels.count("zero") >= 15, labels
