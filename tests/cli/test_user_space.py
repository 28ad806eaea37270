"""Your own model family from the command line: search, list, resume (warned when it changed),
export and load with consent."""

from __future__ import annotations

import json
import re
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


FAMILY_SEARCH = [
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


def test_search_list_and_resume_a_space_given_by_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "family.py").write_text("KERNELS = [3, 5]\n" + SPACE)
    argv = FAMILY_SEARCH
    code, out, err = run(capsys, *argv, "--budget", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["study"] == "runs/digits-tiny_cnn.db" and json.loads(out)["finished"] == 3
    code, out, err = run(capsys, "spaces", "--space", "family.py:tiny_cnn", "--json")
    assert code == 0 and [e["name"] for e in json.loads(out)] == ["family.py:tiny_cnn"]  # only that one
    mine = json.loads(out)[-1]
    assert mine["knobs"]["b0.kernel"] == [3, 5]
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


def test_a_resume_compares_only_the_options_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "family.py").write_text("KERNELS = [3, 5]\n" + SPACE)
    code, _, err = run(capsys, *FAMILY_SEARCH, "--budget", "2", "--study", "r.db", "--threads", "2")
    assert code == 0, err
    for options, budget in ((["--threads", "1"], 3), (["--epochs", "1"], 4), (["--device", "cpu"], 5)):
        resume = ["search", "--study", "r.db", "--final-epochs", "0", "--budget", str(budget)]
        code, out, err = run(capsys, *resume, *options, "--json")
        assert code == 0, err
        assert json.loads(out)["finished"] == budget
    code, _, err = run(capsys, "search", "--study", "r.db", "--epochs", "2", "--budget", "6")
    assert code == 2 and "evaluator.epochs = 2 contradicts the stored study r.db" in err
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the study stored the family's absolute path
    code, out, err = run(
        capsys, "search", "--study", "../r.db", "--budget", "6", "--final-epochs", "0", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["finished"] == 6


def test_a_narrowed_knob_names_the_change_and_the_stored_trial(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "family.py").write_text("KERNELS = [3, 5]\n" + SPACE)
    code, _, err = run(capsys, *FAMILY_SEARCH, "--budget", "6", "--study", "n.db", "--seed", "1")
    assert code == 0, err
    (tmp_path / "family.py").write_text("KERNELS = [3]\n" + SPACE)
    code, _, err = run(capsys, "search", "--study", "n.db", "--budget", "8")
    assert code == 2 and "function changed since the study was created (knob b0.kernel: 3, 5 -> 3" in err
    assert "no longer fits it: knob 'b" in err and "Restore the range" in err


BROKEN = """
from torch import nn


def returns_a_list(k, task):
    width = k.choice("width", [4, 8])
    return [nn.Linear(width, task.num_classes)]


def raises(k, task):
    width = k.choice("width", [4, 8])
    if not k.tracing:
        raise ValueError("no such layer")
    return nn.Linear(width, 2)


def sequences_only(k, task):
    channels, length = task.input_shape
    return nn.Sequential(nn.Flatten(), nn.Linear(channels * length, task.num_classes))
"""


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (
            "returns_a_list",
            r"broken.py:returns_a_list \(.*broken.py:5\) must return a torch.nn.Module, got list",
        ),
        ("raises", r"broken.py:raises failed at .*broken.py:13: ValueError: no such layer"),
    ],
)
def test_a_space_whose_model_cannot_be_built_leaves_no_study(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, function: str, message: str
) -> None:
    (tmp_path / "broken.py").write_text(BROKEN)
    argv = [
        "search",
        "--space",
        f"broken.py:{function}",
        "--data",
        "digits",
        "--epochs",
        "1",
        "--study",
        "b.db",
    ]
    code, _, err = run(capsys, *argv)
    assert code == 2 and re.search(message, err), err
    assert not list(tmp_path.glob("b.db*")) and "Traceback" not in err


def test_a_sequence_family_is_traced_with_the_data_it_trains_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "broken.py").write_text(BROKEN)
    argv = [
        "search",
        "--space",
        "broken.py:sequences_only",
        "--data",
        "mnist1d",
        "--epochs",
        "1",
        "--budget",
        "1",
    ]
    code, out, err = run(capsys, *argv, "--final-epochs", "0", "--json")
    assert code == 0, err
    assert json.loads(out)["finished"] == 1


def test_a_toml_file_names_a_space_by_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "family.py").write_text("KERNELS = [3]\n" + SPACE)
    (tmp_path / "conf" / "search.toml").write_text(
        'space = "family.py:tiny_cnn"\nbudget = 2\nfinal_epochs = 0\n'
        '[evaluator]\ndata = "digits"\nepochs = 1\n'
    )
    code, out, err = run(capsys, "search", "--config", "conf/search.toml", "--json")
    assert code == 0, err
    assert json.loads(out)["study"] == "runs/digits-tiny_cnn.db" and json.loads(out)["finished"] == 2
