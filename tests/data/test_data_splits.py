"""Recording-grouped, label-stratified train/val splits."""

import pytest

from soundry.data import Segment, split_by_recording
from soundry.errors import DataError


def _segments(recs_per_label: dict[str, int], segs_per_rec: int = 3, split=None) -> list[dict]:
    out = []
    for label, n in recs_per_label.items():
        for r in range(n):
            for s in range(segs_per_rec):
                out.append({"id": f"{label}/r{r}/{s:03d}", "recording_id": f"{label}/r{r}",
                            "label": label, "split": split})
    return out


def _recs(items) -> set[str]:
    return {it["recording_id"] for it in items}


def test_split_groups_recordings_and_stratifies_labels():
    segs = _segments({"a": 10, "b": 2, "c": 1, "d": 5})
    s = split_by_recording(segs, val_fraction=0.2, seed=0)
    assert not _recs(s.train) & _recs(s.val)
    assert len(s.train) + len(s.val) == len(segs) and s.test == []
    val_labels = {it["label"]: 0 for it in s.val}
    for it in s.val:
        val_labels[it["label"]] += 1
    # 10 recordings -> 2 in val; 2 -> 1; 1 -> none (stays in training); 5 -> 1
    assert {k: v // 3 for k, v in val_labels.items()} == {"a": 2, "b": 1, "d": 1}
    assert {it["label"] for it in s.train} == {"a", "b", "c", "d"}


def test_split_is_deterministic_and_seed_dependent():
    segs = _segments({"a": 20})
    first = _recs(split_by_recording(segs, 0.25, seed=1).val)
    assert first == _recs(split_by_recording(list(reversed(segs)), 0.25, seed=1).val)
    assert any(_recs(split_by_recording(segs, 0.25, seed=k).val) != first for k in range(2, 6))


def test_adding_a_label_does_not_change_another_labels_split():
    before = split_by_recording(_segments({"a": 8}), 0.25, seed=3)
    after = split_by_recording(_segments({"a": 8, "b": 4}), 0.25, seed=3)
    assert _recs(before.val) == {r for r in _recs(after.val) if r.startswith("a/")}


def test_unstratified_split_pools_recordings():
    s = split_by_recording(_segments({"a": 3, "b": 3}), val_fraction=0.5, stratify=False)
    assert len(_recs(s.val)) == 3 and not _recs(s.train) & _recs(s.val)


def test_user_split_column_wins_and_accepts_objects():
    segs = [Segment(id=f"x/{i}", recording_id=f"x{i}", label="x", start=0, end=1, duration=1,
                    files={}, split=sp) for i, sp in enumerate(["train", "Validation", "test", None])]
    s = split_by_recording(segs, val_fraction=0.5)
    assert [g.id for g in s.train] == ["x/0", "x/3"]
    assert [g.id for g in s.val] == ["x/1"] and [g.id for g in s.test] == ["x/2"]
    train, val, test = s
    assert train is s.train


def test_bad_split_values_fail():
    with pytest.raises(DataError, match="unknown split 'holdout'"):
        split_by_recording(_segments({"a": 2}, split="holdout"))
    with pytest.raises(DataError, match="val_fraction"):
        split_by_recording(_segments({"a": 2}), val_fraction=1.0)
