"""Train/validation splits that never leak a recording across splits.

Segments cut from one recording overlap in time and share its voice, room and microphone; a
split that puts some in training and others in validation measures memorisation. So whole
recordings are assigned to a split, stratified by label so every label is validated.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from soundry.errors import DataError

_ALIASES = {"train": "train", "training": "train", "val": "val", "valid": "val",
            "validation": "val", "dev": "val", "test": "test", "eval": "test"}


@dataclass
class Splits:
    """Segments (dicts or ``Segment`` objects, as given) per split."""

    train: list[Any] = field(default_factory=list)
    val: list[Any] = field(default_factory=list)
    test: list[Any] = field(default_factory=list)

    def __iter__(self):
        return iter((self.train, self.val, self.test))


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def split_name(value: Any) -> str | None:
    """Normalise a user split value (``"Validation"`` -> ``"val"``); None when empty."""
    if value is None or str(value).strip() == "":
        return None
    name = _ALIASES.get(str(value).strip().lower())
    if name is None:
        raise DataError(f"unknown split {value!r}: use train, val or test in the split column")
    return name


def split_by_recording(segments: list[Any], val_fraction: float = 0.1, seed: int = 0,
                       stratify: bool = True) -> Splits:
    """Assign whole recordings to train/val, stratified by label.

    A segment's ``split`` field (from a user's split column) wins: ``train``/``val``/``test``
    are kept as given. Segments without one are split automatically, unless the user already
    named a validation set, in which case they go to training. Automatically, each label's
    recordings are shuffled with ``seed`` and ``round(val_fraction * n)`` of them go to
    validation, at least one when the label has two or more recordings and never all of them.
    A label with a single recording stays in training. With ``stratify=False`` the same rule
    applies to all recordings pooled together. The result is deterministic for a given seed
    and does not change for one label when another label is added.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction must be in [0, 1), got {val_fraction}")
    out = Splits()
    pending: list[Any] = []
    for seg in segments:
        name = split_name(_get(seg, "split"))
        if name is None:
            pending.append(seg)
        else:
            getattr(out, name).append(seg)
    if out.val or not pending:
        out.train.extend(pending)
        return out
    # recording id -> its segments, and label -> recording ids, in first-seen order
    by_rec: dict[str, list[Any]] = defaultdict(list)
    groups: dict[str, list[str]] = defaultdict(list)
    for seg in pending:
        rid = str(_get(seg, "recording_id"))
        if rid not in by_rec:
            groups[str(_get(seg, "label") or "") if stratify else ""].append(rid)
        by_rec[rid].append(seg)
    val_ids: set[str] = set()
    for label in sorted(groups):
        recs = sorted(groups[label])
        random.Random(f"{seed}:{label}").shuffle(recs)
        n_val = round(val_fraction * len(recs))
        if len(recs) >= 2 and val_fraction > 0:
            n_val = min(max(1, n_val), len(recs) - 1)
        val_ids.update(recs[:n_val])
    for seg in pending:
        (out.val if str(_get(seg, "recording_id")) in val_ids else out.train).append(seg)
    return out


__all__ = ["Splits", "split_by_recording", "split_name"]
