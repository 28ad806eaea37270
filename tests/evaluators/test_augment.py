from __future__ import annotations

import torch

from nasforge.evaluators import Recipe, TrainingEvaluator
from nasforge.evaluators.augment import augment, max_shift, mixup
from nasforge.spaces import MacroSpace
from tests.evaluators.test_training import ARCH


def dots(n: int, shape: tuple[int, ...]) -> tuple[torch.Tensor, tuple[int, ...]]:
    """n copies of a one-hot example (one channel) with its single 1 at the centre."""
    centre = tuple(size // 2 for size in shape)
    x = torch.zeros(n, 1, *shape)
    x[(slice(None), 0, *centre)] = 1.0
    return x, centre


def test_each_example_is_flipped_or_not_on_its_own() -> None:
    x = torch.arange(64 * 3 * 5, dtype=torch.float32).view(64, 3, 5)
    out = augment(x, ("hflip",), torch.Generator().manual_seed(0))
    flipped = [bool(torch.equal(o, e.flip(-1))) for o, e in zip(out, x, strict=True)]
    kept = [bool(torch.equal(o, e)) for o, e in zip(out, x, strict=True)]
    assert all(f != k for f, k in zip(flipped, kept, strict=True))
    assert 16 < sum(flipped) < 48


def test_shift_moves_images_by_at_most_the_limit_in_each_axis() -> None:
    x, (cy, cx) = dots(200, (9, 11))
    out = augment(x, ("shift",), torch.Generator().manual_seed(0))
    assert out.shape == x.shape and torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(200))
    where = out[:, 0].flatten(1).argmax(1)
    dy, dx = where // 11 - cy, where % 11 - cx
    assert max_shift(9) == max_shift(11) == 1 and max_shift(28) == 2
    assert dy.abs().max() == 1 and dx.abs().max() == 1
    assert len({(int(a), int(b)) for a, b in zip(dy, dx, strict=True)}) == 9


def test_shift_works_on_sequences_and_content_falls_off_the_edge() -> None:
    x = torch.ones(100, 2, 24)  # shifts of up to 2 steps
    out = augment(x, ("shift",), torch.Generator().manual_seed(1))
    assert out.shape == x.shape
    lost = 24 - out[:, 0].sum(1)
    assert set(lost.tolist()) == {0.0, 1.0, 2.0}
    assert torch.equal(out[:, 0], out[:, 1])


def test_erase_zeroes_one_box_in_about_half_the_images_across_all_channels() -> None:
    x = torch.ones(400, 3, 28, 20)
    out = augment(x, ("erase",), torch.Generator().manual_seed(0))
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 0], out[:, 2])
    erased = out[:, 0] == 0
    touched = erased.flatten(1).any(1)
    assert 150 < int(touched.sum()) < 250
    for mask in erased[touched]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        height, width = len(rows), len(cols)
        assert 7 <= height <= 14 and 5 <= width <= 10  # a quarter to a half of each side
        assert rows[-1] - rows[0] + 1 == height and cols[-1] - cols[0] + 1 == width  # one box
        assert int(mask.sum()) == height * width
    sequences = augment(torch.ones(200, 1, 40), ("erase",), torch.Generator().manual_seed(1))
    lengths = (sequences[:, 0] == 0).sum(1)
    assert set(lengths.tolist()) <= {0, *range(10, 21)} and 60 < int((lengths > 0).sum()) < 140


def test_augmentation_is_seeded() -> None:
    x = torch.randn(32, 1, 8, 8)
    first = augment(x, ("hflip", "shift", "erase"), torch.Generator().manual_seed(3))
    again = augment(x, ("hflip", "shift", "erase"), torch.Generator().manual_seed(3))
    other = augment(x, ("hflip", "shift", "erase"), torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_mixup_blends_each_example_with_a_partner_by_one_weight() -> None:
    x = torch.randn(64, 2, 10)
    blended, partner, lam = mixup(x, 0.2, torch.Generator().manual_seed(0))
    assert 0.0 <= lam <= 1.0 and sorted(partner.tolist()) == list(range(64))
    assert torch.allclose(blended, lam * x + (1 - lam) * x[partner])
    weights = [mixup(x, 0.2, torch.Generator().manual_seed(s))[2] for s in range(200)]
    extreme = sum(w < 0.1 or w > 0.9 for w in weights)  # Beta(0.2, 0.2) piles up near 0 and 1
    assert extreme > 100 and len(set(weights)) == 200
    again = mixup(x, 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(again[0], blended) and again[2] == lam


def test_training_with_mixup_learns_and_differs_from_without() -> None:
    space = MacroSpace()
    plain = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, seed=1)).evaluate(
        space.parse(ARCH), space
    )
    mixed = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, seed=1, mixup=0.2)).evaluate(
        space.parse(ARCH), space
    )
    assert mixed.error is None and mixed.metrics["valid_accuracy"] > 0.5
    assert mixed.artifacts.curves["train_loss"] != plain.artifacts.curves["train_loss"]


def test_training_with_augmentation_learns_and_differs_from_without() -> None:
    space = MacroSpace()
    plain = TrainingEvaluator(data="digits", recipe=Recipe(epochs=3, seed=1)).evaluate(
        space.parse(ARCH), space
    )
    augmented = TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=3, seed=1, augment=("shift",))
    ).evaluate(space.parse(ARCH), space)
    assert augmented.error is None and augmented.metrics["valid_accuracy"] > 0.5
    assert augmented.artifacts.curves["train_loss"] != plain.artifacts.curves["train_loss"]


def test_augment_option_takes_a_list_or_a_comma_separated_string() -> None:
    assert TrainingEvaluator(recipe=Recipe(augment="hflip, shift")).recipe.augment == ("hflip", "shift")
    assert TrainingEvaluator(recipe=Recipe(augment=["shift"])).recipe.augment == ("shift",)  # type: ignore[arg-type]
