"""Classification metrics over a whole evaluation set (numpy) and the confusion-matrix picture.

``probs`` ``(N, K)`` are softmax (single-label) or sigmoid (multi-label) outputs; ``targets``
``(N, K)`` are one-/multi-hot (mixup never reaches evaluation).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the precision-recall curve of one class (mean precision at each positive,
    ties broken by order); NaN when there is no positive."""
    positive = positive.astype(bool)
    if not positive.any():
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    hits = positive[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, ...]:
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
    recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return precision, recall, f1


def classification_metrics(probs: np.ndarray, targets: np.ndarray, labels: list[str],
                           multi_label: bool = False, threshold: float = 0.5) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support, mAP and a confusion matrix.

    Single-label: the prediction is the arg-max; ``confusion[i][j]`` counts clips of true class
    ``i`` predicted as ``j``. Multi-label: a class is predicted when its probability reaches
    ``threshold``; ``accuracy`` is the exact-match rate and ``confusion[i][j]`` counts clips with
    true class ``i`` and predicted class ``j``. Macro averages run over classes that occur in the
    targets or the predictions; mAP over classes with at least one positive.
    """
    probs = np.asarray(probs, dtype=np.float64)
    targets = np.asarray(targets) > 0.5
    n, k = probs.shape
    if multi_label:
        pred = probs >= threshold
        accuracy = float((pred == targets).all(axis=1).mean()) if n else 0.0
        confusion = targets.T.astype(np.int64) @ pred.astype(np.int64)
    else:
        pred = np.zeros_like(targets)
        pred[np.arange(n), probs.argmax(axis=1)] = True
        true_idx = targets.argmax(axis=1)
        accuracy = float((probs.argmax(axis=1) == true_idx).mean()) if n else 0.0
        confusion = np.zeros((k, k), dtype=np.int64)
        np.add.at(confusion, (true_idx, probs.argmax(axis=1)), 1)
    tp = (pred & targets).sum(0).astype(float)
    fp = (pred & ~targets).sum(0).astype(float)
    fn = (~pred & targets).sum(0).astype(float)
    precision, recall, f1 = _prf(tp, fp, fn)
    present = (targets.any(0) | pred.any(0))
    ap = np.array([average_precision(probs[:, c], targets[:, c]) for c in range(k)])
    per_class = {lb: {"precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c]),
                      "support": int(targets[:, c].sum()),
                      "ap": None if np.isnan(ap[c]) else float(ap[c])}
                 for c, lb in enumerate(labels)}
    return {
        "count": int(n),
        "accuracy": accuracy,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "macro_precision": float(precision[present].mean()) if present.any() else 0.0,
        "macro_recall": float(recall[present].mean()) if present.any() else 0.0,
        "mAP": float(np.nanmean(ap)) if not np.isnan(ap).all() else 0.0,
        "per_class": per_class,
        "labels": list(labels),
        "confusion": confusion.tolist(),
    }


def confusion_image(confusion: np.ndarray, cell: int | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8 picture of a ``(K, K)`` count matrix: rows are true classes (top to
    bottom in label order), columns predictions; colour is the row-normalised count."""
    from soundry.metrics.spectrogram import colorize

    m = np.asarray(confusion, dtype=np.float64)
    k = m.shape[0]
    cell = cell or int(np.clip(480 // max(k, 1), 4, 40))
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1.0)
    image = colorize(norm)
    image = np.repeat(np.repeat(image, cell, axis=0), cell, axis=1)
    if cell >= 6:  # thin grid lines keep neighbouring cells apart
        image[::cell, :, :] = 255
        image[:, ::cell, :] = 255
    return image


def write_confusion_png(confusion, labels: list[str], path: str | os.PathLike) -> Path:
    """Write the confusion matrix as a PNG (labels in its text metadata, in row order); atomic."""
    from soundry.metrics import encode_png

    path = Path(path)
    text = {"Title": "confusion matrix (rows: true, columns: predicted)",
            "Labels": json.dumps(list(labels))}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(encode_png(confusion_image(np.asarray(confusion)), text))
    os.replace(tmp, path)
    return path


def write_metrics_json(metrics: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``metrics`` as indented JSON, atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def summarize_folds(rows: list[dict[str, Any]], keys: tuple[str, ...] = ("accuracy", "macro_f1", "mAP")
                    ) -> dict[str, dict[str, float]]:
    """Mean and standard deviation (over folds, ``ddof=0``) of each metric in ``keys``:
    ``{"accuracy": {"mean": .., "std": .., "n": ..}, ...}``; folds without a value are skipped."""
    out = {}
    for key in keys:
        values = np.array([r[key] for r in rows if isinstance(r.get(key), (int, float))], dtype=np.float64)
        if values.size:
            out[key] = {"mean": float(values.mean()), "std": float(values.std()), "n": int(values.size)}
    return out
