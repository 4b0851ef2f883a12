"""One label encoder for every split, and the train/validation split rules of ``classify``.

The encoder is built once from all prepared segments (never per split), saved in the config as
``task.labels`` and exported in ``meta.json``, so class index ``i`` means the same everywhere.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import numpy as np

from soundry.data import split_by_recording
from soundry.errors import DataError


class LabelEncoder:
    """Label strings <-> target vectors ``(K,)`` float32.

    Single-label: a one-hot vector. Multi-label: a segment's label ``"dog;rain"`` is split on
    ``separator`` into a multi-hot vector; an empty label is a clip with no positive class.
    """

    def __init__(self, labels: list[str], multi_label: bool = False, separator: str = ";"):
        self.labels = list(labels)
        self.multi_label, self.separator = multi_label, separator
        self.index = {name: i for i, name in enumerate(self.labels)}

    def split(self, label: str) -> list[str]:
        """The class names in one segment label."""
        if not self.multi_label:
            return [label]
        return [p.strip() for p in str(label).split(self.separator) if p.strip()]

    def encode(self, label: str) -> np.ndarray:
        """Target vector ``(K,)``; DataError naming the label when it is not known."""
        out = np.zeros(len(self.labels), dtype=np.float32)
        for name in self.split(label):
            if name not in self.index:
                raise DataError(f"label {name!r} is not one of the model's labels {self.labels}")
            out[self.index[name]] = 1.0
        return out

    @classmethod
    def from_segment_labels(cls, labels: list[str], multi_label: bool = False,
                            separator: str = ";") -> LabelEncoder:
        """Sorted class names found in the segments' label strings."""
        enc = cls([], multi_label, separator)
        names = sorted({n for lb in labels for n in enc.split(lb)})
        return cls(names, multi_label, separator)


def _get(seg: Any, name: str) -> Any:
    return seg.get(name) if isinstance(seg, dict) else getattr(seg, name, None)


def _fold_of(seg: Any, column: str) -> str | None:
    extra = _get(seg, "extra") or {}
    value = extra.get(column)
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") else text  # "1.0" from a numeric column is fold "1"


def assign_folds(segments: list[Any], k: int, seed: int = 0) -> dict[str, int]:
    """Recording id -> fold in ``range(k)``: recordings shuffled per label with ``seed`` and dealt
    round-robin, so every fold gets each label's recordings in proportion (stratified)."""
    if k < 2:
        raise DataError(f"cross-validation needs at least 2 folds, got {k}")
    groups: dict[str, list[str]] = defaultdict(list)
    for seg in segments:
        rid, label = str(_get(seg, "recording_id")), str(_get(seg, "label"))
        if rid not in groups[label]:
            groups[label].append(rid)
    folds: dict[str, int] = {}
    offset = 0
    for label in sorted(groups):
        recs = sorted(groups[label])
        random.Random(f"{seed}:{label}").shuffle(recs)
        for i, rid in enumerate(recs):
            folds.setdefault(rid, (offset + i) % k)
        offset += len(recs)  # rotate so small labels do not all land in fold 0
    return folds


def fold_values(segments: list[Any], column: str) -> list[str]:
    """Distinct values of the fold column, numerically sorted when they are numbers."""
    values = {v for v in (_fold_of(s, column) for s in segments) if v is not None}
    return sorted(values, key=lambda v: (0, float(v), v) if _is_number(v) else (1, 0.0, v))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def split_segments(segments: list[Any], task, val_fraction: float, seed: int) -> tuple[list, list]:
    """``(train, val)`` segments by the rules in :class:`TaskConfig` (user split column first,
    then ``val_fold`` on ``fold_column`` or drawn folds, then a stratified random split).
    Test-split segments are left out of both."""
    if any(_get(s, "split") for s in segments):
        parts = split_by_recording(segments, val_fraction=val_fraction, seed=seed)
        return parts.train, parts.val
    if task.val_fold != "":
        want = str(task.val_fold).strip()
        if task.folds and task.folds > 1:
            folds = assign_folds(segments, task.folds, seed)
            is_val = [str(folds[str(_get(s, "recording_id"))]) == want for s in segments]
        else:
            found = fold_values(segments, task.fold_column)
            if not found:
                raise DataError(f"task.val_fold={want!r} but the data has no '{task.fold_column}' "
                                "column; give a table with that column, set task.fold_column, or "
                                "set task.folds=K to draw K folds")
            if want not in found:
                raise DataError(f"task.val_fold={want!r} is not a value of the "
                                f"'{task.fold_column}' column (found: {', '.join(found)})")
            is_val = [_fold_of(s, task.fold_column) == want for s in segments]
        train = [s for s, v in zip(segments, is_val) if not v]
        val = [s for s, v in zip(segments, is_val) if v]
        return train, val
    parts = split_by_recording(segments, val_fraction=val_fraction, seed=seed)
    return parts.train, parts.val
