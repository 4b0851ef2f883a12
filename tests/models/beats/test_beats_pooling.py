"""Padding-aware pooling of token features."""

import pytest
import torch

from soundry.models.beats import POOL_MODES, pool


def _batch():
    torch.manual_seed(0)
    feats = torch.randn(3, 5, 4)
    mask = torch.tensor([[False] * 5,
                         [False, False, True, True, True],
                         [True] * 5])
    return feats, mask


def test_modes_only_see_valid_tokens():
    feats, mask = _batch()
    poisoned = feats.clone()
    poisoned[mask] = 1e6  # whatever sits under the padding must not matter
    assert torch.allclose(pool(poisoned, mask, "mean")[1], feats[1, :2].mean(0))
    assert torch.allclose(pool(poisoned, mask, "max")[1], feats[1, :2].amax(0))
    assert torch.equal(pool(poisoned, mask, "first")[1], feats[1, 0])
    assert torch.equal(pool(poisoned, mask, "last")[1], feats[1, 1])
    assert torch.equal(pool(poisoned, mask, "last")[0], feats[0, 4])
    none = pool(poisoned, mask, "none")
    assert none.shape == feats.shape and none[mask].abs().sum() == 0


def test_no_mask_and_empty_clip():
    feats, mask = _batch()
    assert torch.allclose(pool(feats), feats.mean(1))
    for mode in POOL_MODES[:-1]:
        out = pool(feats, mask, mode)
        assert out.shape == (3, 4) and torch.isfinite(out).all() and out[2].abs().sum() == 0


def test_bad_arguments():
    feats, mask = _batch()
    with pytest.raises(ValueError, match="median"):
        pool(feats, mask, "median")
    with pytest.raises(ValueError):
        pool(feats, mask[:, :3])
    with pytest.raises(ValueError):
        pool(feats[0])
