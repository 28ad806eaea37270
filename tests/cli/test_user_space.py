"""Your own model family from the command line: search, list, resume (warned when it changed),
export and load with consent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run

SPACE = '''
import nasforge
from torch import nn


@nasforge.space
def tiny_cnn(k, task):
    """A small CNN family: depth, width, kernel and an optional pooling per block."""
    layers, c_in = [], task.input_shape[0]
    for i in k.range("blocks", 1, 2):
        c = k.choice(f"b{i}.channels", [8, 16])
        layers += [nn.Conv2d(c_in, c, k.choice(f"b{i}.kernel", KERNELS), padding="same"), nn.ReLU()]
        if k.bool(f"b{i}.pool"):
            layers.append(nn.MaxPool2d(2))
        c_in = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, task.num_classes))
'''


def test_search_list_and_resume_a_space_given_by_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "family.py").write_text("KERNELS = [3, 5]\n" + SPACE)
    argv = [
        "search",
        "--space",
        "family.py:tiny_cnn",
        "--data",
        "digits",
        "--epochs",
        "1",
        "--final-epochs",
        "0",
    ]
    code, out, err = run(capsys, *argv, "--budget", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["study"] == "runs/digits-tiny_cnn.db" and json.loads(out)["finished"] == 3
    code, out, err = run(capsys, "spaces", "--space", "family.py:tiny_cnn", "--json")
    mine = json.loads(out)[-1]
    assert code == 0 and mine["name"] == "family.py:tiny_cnn" and mine["knobs"]["b0.kernel"] == [3, 5]
    assert mine["summary"].startswith("A small CNN family")
    (tmp_path / "family.py").write_text("KERNELS = [3, 5, 7]\n" + SPACE)  # the family changes
    code, out, err = run(capsys, *argv, "--budget", "5", "--json")
    assert code == 0, err
    assert "tiny_cnn changed since the study was created" in err and "knob b0.kernel: 3, 5 -> 3, 5, 7" in err
    assert json.loads(out)["finished"] == 5
    code, _, err = run(
        capsys, "search", "--space", "family.py:nothing", "--data", "digits", "--study", "x.db"
    )
    assert code == 2 and "family.py has no 'nothing'" in err and not (tmp_path / "x.db").exists()
