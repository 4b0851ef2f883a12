"""classify building blocks: label encoder, splits and folds, metrics, augmentation, LR groups."""

import numpy as np
import pytest
import torch

from soundry.data import Segment
from soundry.errors import DataError
from soundry.recipes.classify.augment import mixup, spec_mask
from soundry.recipes.classify.config import TaskConfig
from soundry.recipes.classify.labels import LabelEncoder, assign_folds, split_segments
from soundry.recipes.classify.metrics import (average_precision, classification_metrics,
                                              confusion_image, summarize_folds, write_confusion_png)


def _segs(n_per_label=6, labels=("a", "b"), fold=None):
    out = []
    for lb in labels:
        for i in range(n_per_label):
            extra = {} if fold is None else {"fold": fold(i)}
            out.append(Segment(id=f"{lb}/{i}#0", recording_id=f"{lb}/{i}", label=lb, start=0, end=1,
                               duration=1, files={}, extra=extra))
    return out


def test_label_encoder_single_and_multi():
    enc = LabelEncoder.from_segment_labels(["dog;rain", "cat", "rain"], multi_label=True)
    assert enc.labels == ["cat", "dog", "rain"]
    assert enc.encode("rain; dog").tolist() == [0, 1, 1]
    single = LabelEncoder.from_segment_labels(["b", "a", "b"])
    assert single.labels == ["a", "b"] and single.encode("b").tolist() == [0, 1]
    with pytest.raises(DataError, match="'zebra'"):
        single.encode("zebra")


def test_val_fold_uses_the_fold_column_and_rejects_unknown_values():
    segs = _segs(fold=lambda i: i % 3 + 1)
    train, val = split_segments(segs, TaskConfig(val_fold="2"), 0.2, 0)
    assert {s.extra["fold"] for s in val} == {2} and 2 not in {s.extra["fold"] for s in train}
    assert len(train) + len(val) == len(segs)
    with pytest.raises(DataError, match="found: 1, 2, 3"):
        split_segments(segs, TaskConfig(val_fold="7"), 0.2, 0)
    with pytest.raises(DataError, match="no 'fold' column"):
        split_segments(_segs(), TaskConfig(val_fold="1"), 0.2, 0)


def test_drawn_folds_are_stratified_and_cover_everything():
    segs = _segs(n_per_label=6)
    folds = assign_folds(segs, 3, seed=1)
    assert set(folds.values()) == {0, 1, 2}
    for lb in ("a", "b"):
        counts = np.bincount([folds[s.recording_id] for s in segs if s.label == lb], minlength=3)
        assert counts.tolist() == [2, 2, 2]
    vals = [split_segments(segs, TaskConfig(folds=3, val_fold=str(k)), 0.2, 1)[1] for k in range(3)]
    assert sorted(s.id for v in vals for s in v) == sorted(s.id for s in segs)


def test_random_split_is_stratified_and_seeded():
    segs = _segs(n_per_label=10)
    a = split_segments(segs, TaskConfig(), 0.2, 3)
    b = split_segments(segs, TaskConfig(), 0.2, 3)
    assert [s.id for s in a[1]] == [s.id for s in b[1]]
    assert sorted(s.label for s in a[1]) == ["a", "a", "b", "b"]


def test_metrics_known_answers():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    targets = np.eye(3)[[0, 1, 1, 2]]
    m = classification_metrics(probs, targets, ["x", "y", "z"])
    assert m["accuracy"] == 0.75
    assert m["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert m["per_class"]["x"]["precision"] == 0.5 and m["per_class"]["y"]["recall"] == 0.5
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert average_precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1])) == pytest.approx((1 + 2 / 3) / 2)


def test_multi_label_metrics():
    probs = np.array([[0.9, 0.8], [0.2, 0.6], [0.7, 0.1]])
    targets = np.array([[1, 1], [0, 1], [1, 0]])
    m = classification_metrics(probs, targets, ["a", "b"], multi_label=True)
    assert m["accuracy"] == 1.0 and m["mAP"] == 1.0 and m["macro_f1"] == 1.0
    assert m["confusion"] == [[2, 1], [1, 2]]


def test_confusion_png(tmp_path):
    img = confusion_image(np.array([[3, 1], [0, 4]]), cell=10)
    assert img.shape == (20, 20, 3) and img.dtype == np.uint8
    path = write_confusion_png([[3, 1], [0, 4]], ["a", "b"], tmp_path / "c.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b'["a", "b"]' in data


def test_spec_mask_and_mixup():
    np.random.seed(0)
    wave = np.random.randn(16000).astype(np.float32)
    out = spec_mask(wave, 16000, time_masks=2, time_mask_s=0.1, freq_masks=0, freq_mask_hz=0)
    assert out.shape == wave.shape and (out == 0).sum() > 0 and not np.shares_memory(out, wave)
    band = spec_mask(np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32), 16000,
                     0, 0.0, 1, 8000.0)
    assert band.shape == (16000,)
    torch.manual_seed(0)
    w, lengths, t = mixup(torch.randn(4, 100), torch.tensor([100, 50, 80, 20]), torch.eye(4)[:, :3].clone(), 0.4)
    assert w.shape == (4, 100) and torch.all(lengths >= torch.tensor([100, 50, 80, 20]))


def test_summarize_folds():
    s = summarize_folds([{"accuracy": 0.8}, {"accuracy": 1.0}, {"accuracy": None}])
    assert s["accuracy"] == {"mean": pytest.approx(0.9), "std": pytest.approx(0.1), "n": 2}
