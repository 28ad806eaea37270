"""A command that needs an extra that is not installed says, in one line, which one to install
(the extra's modules are blocked from import here, as if they were not installed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nasforge.extras import EXTRAS
from tests.helpers import run


def block(monkeypatch: pytest.MonkeyPatch, extra: str) -> None:
    for module in EXTRAS[extra]:
        for name in [n for n in sys.modules if n == module or n.startswith(f"{module}.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    for name in [n for n in sys.modules if n.startswith("nasforge.deploy.serve")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize(
    ("extra", "argv"),
    [
        ("serve", ["serve", "model"]),
        ("onnx", ["export", "s.db", "--out", "out"]),
        ("compress", ["compress", "model", "--fold-bn", "--out", "small"]),
        ("report", ["report", "s.db"]),
        ("ray", ["search", "--table", "--budget", "2", "--executor", "ray", "--study", "r.db"]),
    ],
)
def test_a_missing_extra_is_named_in_one_line(
    extra: str, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    code, _, err = run(capsys, "search", "--table", "--budget", "3", "--study", "s.db", "--final-epochs", "0")
    assert code == 0, err
    (tmp_path / "model").mkdir()
    block(monkeypatch, extra)
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.strip().endswith(f"pip install 'nasforge[{extra}]'") and len(err.strip().splitlines()) == 1


def test_the_mnist1d_data_names_its_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nasforge.data import builtin
    from nasforge.errors import MissingExtraError

    monkeypatch.setattr(builtin, "cache_dir", lambda: tmp_path)  # nothing generated before
    block(monkeypatch, "mnist1d")
    with pytest.raises(MissingExtraError, match=r"MNIST-1D data .* pip install 'nasforge\[mnist1d\]'"):
        builtin.mnist1d()
