from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nasforge.data import load_dataset, prepare
from nasforge.data.builtin import FASHION_DIR
from nasforge.errors import DataError


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def toy(
    n: int = 60, classes: int = 3, shape: tuple[int, ...] = (6, 6), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    return rng.random((n, *shape)) + y.reshape(-1, *[1] * len(shape)), y


def test_mnist1d_is_generated_split_and_normalised() -> None:
    data = load_dataset("mnist1d")
    assert data.input_shape == (1, 40) and data.num_classes == 10
    assert (len(data.train), len(data.valid), len(data.test)) == (3600, 400, 1000)
    assert abs(float(data.train.x.mean())) < 1e-3 and abs(float(data.train.x.std()) - 1) < 1e-3
    again = load_dataset("mnist1d")
    assert np.array_equal(again.valid.y, data.valid.y)


@pytest.mark.skipif(
    not FASHION_DIR.is_dir(), reason="the Debian package dataset-fashion-mnist is not installed"
)
@pytest.mark.slow
def test_fashion_mnist_reads_the_original_idx_files() -> None:
    data = load_dataset("fashion-mnist")
    assert data.input_shape == (1, 28, 28) and data.num_classes == 10
    assert (len(data.train), len(data.valid), len(data.test)) == (54000, 6000, 10000)


def test_missing_fashion_files_name_the_package_and_option(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"dataset-fashion-mnist.*--data-dir"):
        load_dataset("fashion-mnist", data_dir=str(tmp_path))


def test_digits() -> None:
    data = load_dataset("digits")
    assert data.input_shape == (1, 8, 8)
    assert len(data.train) + len(data.valid) + len(data.test) == 1797


def test_normalisation_uses_train_statistics_only() -> None:
    x, y = toy()
    x_test = x + 100.0  # a shifted test set must not move the statistics
    data = prepare("toy", x, y, x_test, y, seed=0)
    assert abs(float(data.train.x.mean())) < 1e-5  # exactly centred on train
    assert float(data.valid.x.mean()) != pytest.approx(0.0, abs=1e-5)  # valid only approximately
    assert data.mean[0] < 2.5 and float(data.test.x.mean()) > 50
    assert data.describe()["sizes"]["valid"] == len(data.valid)


def test_npz_with_and_without_test_arrays(tmp_path: Path) -> None:
    x, y = toy()
    np.savez(tmp_path / "a.npz", x=x, y=y)
    np.savez(tmp_path / "b.npz", x=x, y=y, x_test=x[:9], y_test=y[:9])
    a, b = load_dataset(str(tmp_path / "a.npz")), load_dataset(str(tmp_path / "b.npz"))
    assert len(a.train) + len(a.valid) + len(a.test) == 60
    assert len(b.test) == 9 and b.input_shape == (1, 6, 6) and b.num_classes == 3


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.full((10, 4), np.nan), "y": np.arange(10) % 2}, "NaN or Inf"),
        ({"x": np.ones((10, 4)), "y": np.ones((10, 2))}, "vector of 10 labels"),
        (
            {"x": np.ones((10, 4)), "y": np.arange(10) % 2, "x_test": np.ones((2, 4)), "y_test": [5, 5]},
            "no training example",
        ),
        ({"x": np.ones((10, 4))}, "lacks array"),
        ({"x": np.ones(10), "y": np.arange(10) % 2}, "must be"),
        ({"x": np.ones((10, 4)), "y": np.arange(10) % 2 + 0.5j}, "integers or text"),
    ],
)
def test_broken_npz_files_get_clear_errors(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_dataset(str(path))


def test_csv_with_last_or_named_label_column(tmp_path: Path) -> None:
    x, y = toy(shape=(5,))
    rows = ["a,b,c,d,e,label"] + [
        ",".join(f"{v:.4f}" for v in row) + f",{label}" for row, label in zip(x, y, strict=True)
    ]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    data = load_dataset(str(tmp_path / "t.csv"))
    assert data.input_shape == (1, 5) and data.num_classes == 3
    moved = ["label,a,b,c,d,e"] + [
        f"{label}," + ",".join(f"{v:.4f}" for v in row) for row, label in zip(x, y, strict=True)
    ]
    (tmp_path / "m.csv").write_text("\n".join(moved) + "\n")
    assert load_dataset(str(tmp_path / "m.csv"), label_column="label").num_classes == 3
    with pytest.raises(DataError, match="label column 'target'"):
        load_dataset(str(tmp_path / "m.csv"), label_column="target")
    (tmp_path / "bad.csv").write_text("a,label\nx,1\n")
    with pytest.raises(DataError, match="line 2: feature value 'x' is not a number"):
        load_dataset(str(tmp_path / "bad.csv"))


def test_csv_features_are_standardised_one_by_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    scales = np.array([1.0, 100.0, 1000.0])  # like wine: features on very different scales
    x = rng.normal(size=(90, 3)) * scales + scales
    y = (x[:, 0] > 1).astype(int)
    rows = ["a,b,c,label"] + [f"{a},{b},{c},{label}" for (a, b, c), label in zip(x, y, strict=True)]
    (tmp_path / "w.csv").write_text("\n".join(rows) + "\n\n")  # a trailing blank line is fine
    data = load_dataset(str(tmp_path / "w.csv"))
    assert len(data.mean) == 3 and len(data.std) == 3
    assert np.allclose(data.train.x.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(data.train.x.std(axis=0), 1, atol=1e-3)


def test_text_and_one_based_labels_become_classes(tmp_path: Path) -> None:
    body = "".join(f"{i},{name}\n" for i, name in enumerate(["cat", "dog", "emu"] * 10))
    (tmp_path / "t.csv").write_text("v,kind\n" + body)
    data = load_dataset(str(tmp_path / "t.csv"))
    assert data.num_classes == 3 and data.class_names == ("cat", "dog", "emu")
    assert data.describe()["class_names"] == ["cat", "dog", "emu"]
    np.savez(tmp_path / "one.npz", x=np.arange(40.0).reshape(20, 2), y=np.arange(20) % 2 + 1)
    data = load_dataset(str(tmp_path / "one.npz"))
    assert data.num_classes == 2 and data.class_names == ("1", "2")
    huge = "".join(f"{i},{1e9 if i % 2 else 0}\n" for i in range(20))  # once a MemoryError
    (tmp_path / "h.csv").write_text("v,label\n" + huge)
    assert load_dataset(str(tmp_path / "h.csv")).class_names == ("0", "1000000000")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,label\n1,\xff\xfe\n", "not UTF-8"),
        (b"a,b,label\n1,2,0\n3,1\n", "line 3: 2 values, the header has 3"),
    ],
)
def test_unreadable_csv_gets_a_one_line_error(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "x.csv").write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_dataset(str(tmp_path / "x.csv"))


def test_empty_npz_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "e.npz").write_bytes(b"")
    with pytest.raises(DataError, match="cannot read"):
        load_dataset(str(tmp_path / "e.npz"))


def test_idx_folder_plain_and_gzipped(tmp_path: Path) -> None:
    x, y = toy(n=30, shape=(5, 5))
    write_idx(tmp_path / "train-images-idx3-ubyte", (x * 40).astype(np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", y)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", (x[:6] * 40).astype(np.uint8), compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y[:6], compress=True)
    data = load_dataset(str(tmp_path))
    assert data.input_shape == (1, 5, 5) and len(data.test) == 6


def test_broken_idx_files(tmp_path: Path) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x12\x34\x56\x78rest")
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        write_idx(tmp_path / name, np.zeros(3))
    with pytest.raises(DataError, match="bad magic"):
        load_dataset(str(tmp_path))
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 2, 2)))
    truncated = (tmp_path / "train-images-idx3-ubyte").read_bytes()[:-3]
    (tmp_path / "train-images-idx3-ubyte").write_bytes(truncated)
    with pytest.raises(DataError, match="promises shape"):
        load_dataset(str(tmp_path))


def test_image_folder_and_its_errors(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(6):
            pixels = (rng.random((7, 7, 3)) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    data = load_dataset(str(tmp_path))
    assert data.input_shape == (3, 7, 7) and data.num_classes == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no PNG"):
        load_dataset(str(tmp_path))
    (tmp_path / "empty" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match="cannot read image"):
        load_dataset(str(tmp_path))


def test_unknown_names_and_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="mnist1d, fashion-mnist, digits"):
        load_dataset("cifar-100")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match=r"\.npz or \.csv"):
        load_dataset(str(tmp_path / "x.txt"))
