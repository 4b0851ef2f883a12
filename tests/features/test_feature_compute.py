"""compute_features: parallel shards, resume, settings kept apart per folder."""

import json
from pathlib import Path

import numpy as np
import pytest

from soundry.features import (FeatureStore, FeatureStoreError, compute_features, make_header,
                              params_hash, store_dir_for)


def _ramp(item):
    """Features of item ``"seg-<n>"``: a ramp of n frames (module level: picklable)."""
    n = int(item.rsplit("-", 1)[1])
    return item, {"f0": np.arange(n, dtype=np.float32), "rms": np.full((n, 2), n, np.int32)}


def _ramp_logged(item, log_dir):
    # Each call leaves a file, so calls made in pool workers can be counted too.
    (Path(log_dir) / f"{item}.called").touch()
    return _ramp(item)


def _header(scale=1.0):
    return make_header(_ramp, {"scale": scale}, sample_rate=16000, hop_samples=160)


def test_resume_computes_nothing_new(tmp_path):
    calls = []

    def fn(item):
        calls.append(item)
        return _ramp(item)

    items = [f"seg-{n}" for n in range(1, 8)]
    first = compute_features(items[:4], fn, tmp_path, _header(), workers=1, progress=False)
    assert (first.computed, first.skipped) == (4, 0) and len(calls) == 4
    again = compute_features(items, fn, tmp_path, _header(), workers=1, progress=False)
    assert (again.computed, again.skipped) == (3, 4)
    assert calls == items  # each item computed exactly once over both runs
    third = compute_features(items, fn, tmp_path, _header(), workers=1, progress=False)
    assert (third.computed, third.skipped, third.shards) == (0, 7, [])
    assert len(calls) == 7
    store = FeatureStore(tmp_path)
    assert sorted(store.keys()) == sorted(items)
    np.testing.assert_array_equal(store.get("seg-5", "f0"), np.arange(5, dtype=np.float32))


def test_pool_writes_one_shard_per_chunk_and_resumes(tmp_path):
    log = tmp_path / "log"
    log.mkdir()
    store_dir = tmp_path / "store"
    items = [f"seg-{n}" for n in range(1, 11)]

    def fn(item):  # a closure: fine under the default fork start method
        return _ramp_logged(item, log)

    result = compute_features(items, fn, store_dir, _header(), workers=2, progress=False)
    assert result.computed == 10 and len(result.shards) >= 2
    assert len(list(log.iterdir())) == 10
    index = json.loads((store_dir / "index.json").read_text())
    assert sorted(index["keys"]) == sorted(items) and len(set(index["keys"].values())) >= 2
    again = compute_features(items + ["seg-11"], fn, store_dir, _header(), workers=2,
                             progress=False)
    assert (again.computed, again.skipped) == (1, 10)
    assert len(list(log.iterdir())) == 11
    assert FeatureStore(store_dir).get("seg-11")["rms"].shape == (11, 2)


def test_changed_params_are_refused_in_the_same_folder(tmp_path):
    compute_features(["seg-2"], _ramp, tmp_path, _header(1.0), workers=1, progress=False)
    with pytest.raises(FeatureStoreError, match="other settings.*producer.*store_dir_for"):
        compute_features(["seg-3"], _ramp, tmp_path, _header(2.0), workers=1, progress=False)


def test_store_dir_for_separates_params(tmp_path):
    a = store_dir_for(tmp_path, "f0", {"fmin": 50.0, "method": "dio"})
    b = store_dir_for(tmp_path, "f0", {"method": "dio", "fmin": 50.0})
    c = store_dir_for(tmp_path, "f0", {"fmin": 60.0, "method": "dio"})
    assert a == b != c
    assert a.parent == tmp_path and a.name == f"f0-{params_hash({'fmin': 50.0, 'method': 'dio'})}"
    assert len(a.name) == len("f0-") + 8


def test_keys_from_items_and_empty_results(tmp_path):
    items = [{"id": "a/1", "n": 3}, {"id": "a/2", "n": 0}, {"id": "b/1", "n": 2}]

    def fn(item):  # returns just the arrays, or None when there is nothing to store
        return {"f0": np.ones(item["n"], np.float32)} if item["n"] else None

    result = compute_features(items, fn, tmp_path, _header(), workers=1, progress=False)
    assert (result.computed, result.empty) == (2, 1)
    assert sorted(FeatureStore(tmp_path).keys()) == ["a/1", "b/1"]
    with pytest.raises(FeatureStoreError, match="key=..."):
        compute_features([3.5], fn, tmp_path, _header(), workers=1, progress=False)
    with pytest.raises(FeatureStoreError, match="unique"):
        compute_features(["x", "x"], _ramp, tmp_path / "dup", _header(), progress=False)


def test_failure_keeps_finished_shards_and_names_the_item(tmp_path):
    def fn(item):
        if item == "seg-4":
            raise ValueError("bad audio")
        return _ramp(item)

    items = ["seg-1", "seg-2", "seg-3", "seg-4"]
    with pytest.raises(ValueError, match="bad audio") as info:
        compute_features(items, fn, tmp_path, _header(), workers=1, progress=False,
                         items_per_shard=2)
    assert any("seg-4" in note for note in info.value.__notes__)
    # The first chunk's shard survived; a retry only computes the second chunk.
    result = compute_features(items, _ramp, tmp_path, _header(), workers=1, progress=False)
    assert (result.computed, result.skipped) == (2, 2)


def test_empty_input_gives_an_empty_store(tmp_path):
    result = compute_features([], _ramp, tmp_path, _header(), progress=False)
    store = result.store()
    assert len(store) == 0 and store.header["sample_rate"] == 16000


def test_progress_listeners_receive_counts(tmp_path):
    snaps = []
    compute_features([f"seg-{n}" for n in range(1, 4)], _ramp, tmp_path, _header(), workers=1,
                     progress=False, listeners=[snaps.append])
    assert snaps and snaps[-1]["done"] == 3 and snaps[-1]["total"] == 3
