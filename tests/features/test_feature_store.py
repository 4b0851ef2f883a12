"""FeatureWriter / merge_index / FeatureStore: round trips, headers, shards, failures."""

import json
import multiprocessing as mp
import pickle

import numpy as np
import pytest

from soundry.errors import SoundryError
from soundry.features import (FeatureStore, FeatureStoreError, FeatureWriter, MissingFeatureError,
                              make_header, merge_index, read_shard_header, shard_name)


def _header(**params):
    return make_header("tests.fake_producer", params or {"fmin": 50.0}, sample_rate=16000,
                       hop_samples=160)


def _write_shard(args):
    """Write one shard from a separate process (module level so the pool can run it)."""
    dir, index, keys = args
    with FeatureWriter(dir, index, _header()) as w:
        for i, key in enumerate(keys):
            w.add(key, f0=np.full(3 + i, float(index), np.float32))
    return str(w.path)


def _read_f0(args):
    store, key = args
    return store.get(key, "f0")


def test_round_trip_many_dtypes_and_shapes(tmp_path):
    rng = np.random.default_rng(0)
    segments = {}
    for i, n in enumerate([0, 1, 7, 31]):  # variable length, including an empty segment
        segments[f"spk{i}/utt-{i:04d}:0"] = dict(
            f0=rng.random(n, dtype=np.float32) * 400,
            emb=rng.standard_normal((n, 5)).astype(np.float16),
            codes=rng.integers(0, 1024, (n, 2, 3)).astype(np.int16),
            voiced=rng.random(n) > 0.5,
            tokens=rng.integers(0, 2**40, n, dtype=np.uint64),
            spec=(rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex128),
            gain=np.float64(i * 0.5),  # a 0-d scalar per segment
            big_endian=np.arange(n, dtype=">i4"),
        )
    with FeatureWriter(tmp_path, 3, _header()) as w:
        for key, arrays in segments.items():
            w.add(key, **arrays)
    assert w.path == tmp_path / "shard-00003.safetensors" and w.path.is_file()
    store = FeatureStore(tmp_path)
    assert store.keys() == list(segments)
    for key, arrays in segments.items():
        got = store.get(key)
        assert sorted(got) == sorted(arrays)
        for name, want in arrays.items():
            want = np.asarray(want)
            assert got[name].dtype == want.dtype.newbyteorder("="), name
            assert got[name].shape == want.shape, name
            np.testing.assert_array_equal(got[name], want)
    np.testing.assert_array_equal(store.get("spk3/utt-0003:0", "f0"), segments["spk3/utt-0003:0"]["f0"])
    assert store.features["codes"] == {"dtype": "int16", "ndim": 3, "trailing_shape": [2, 3]}


def test_keys_with_odd_characters_round_trip(tmp_path):
    keys = ["a b/ü:0", 'quote"and\\slash', "line\nbreak", "__metadata__", "x/f0", "x", "日本/1"]
    with FeatureWriter(tmp_path, 0, _header()) as w:
        for i, key in enumerate(keys):
            w.add(key, f0=np.full(i + 1, i, np.float32))
    store = FeatureStore(tmp_path)
    assert store.keys() == keys
    for i, key in enumerate(keys):
        assert key in store
        np.testing.assert_array_equal(store.get(key, "f0"), np.full(i + 1, i, np.float32))


def test_header_is_readable_back(tmp_path):
    with FeatureWriter(tmp_path, 0, _header(fmin=60.0)) as w:
        w.add("k1", f0=np.zeros(4, np.float32))
        w.add("k2", f0=np.zeros(2, np.float32))
    h = read_shard_header(w.path)
    assert h["format"] == "soundry.features" and h["format_version"] == 1
    assert h["keys"] == ["k1", "k2"] and h["shard_index"] == 0 and h["created"]
    assert h["sample_rate"] == 16000 and h["hop_samples"] == 160 and h["hop_s"] == 0.01
    assert h["producer"] == {"function": "tests.fake_producer", "params": {"fmin": 60.0}}
    assert h["features"]["f0"] == {"dtype": "float32", "ndim": 1, "trailing_shape": []}
    merged = FeatureStore(tmp_path).header
    assert merged["producer"]["params"] == {"fmin": 60.0} and "keys" not in merged


def test_two_processes_write_shards_that_merge(tmp_path):
    jobs = [(tmp_path, 0, ["a/1", "a/2"]), (tmp_path, 1, ["b/1"])]
    with mp.get_context("fork").Pool(2) as pool:
        paths = pool.map(_write_shard, jobs)
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == [shard_name(0), shard_name(1)]
    index_path = merge_index(tmp_path)
    index = json.loads(index_path.read_text())
    assert index["keys"] == {"a/1": shard_name(0), "a/2": shard_name(0), "b/1": shard_name(1)}
    store = FeatureStore(tmp_path)
    assert len(store) == 3
    np.testing.assert_array_equal(store.get("b/1", "f0"), np.ones(3, np.float32))
    store.get("a/1")  # holds a shard open; workers must get a store without it
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map(_read_f0, [(store, "a/2"), (store, "b/1")])
    np.testing.assert_array_equal(got[0], np.zeros(4, np.float32))
    np.testing.assert_array_equal(got[1], np.ones(3, np.float32))


def test_duplicate_keys_across_shards_are_an_error(tmp_path):
    _write_shard((tmp_path, 0, ["same", "a"]))
    _write_shard((tmp_path, 1, ["same"]))
    with pytest.raises(FeatureStoreError, match=r"'same' in shard-00000.safetensors and shard-00001"):
        merge_index(tmp_path)


def test_mismatched_headers_are_an_error_naming_the_shards(tmp_path):
    with FeatureWriter(tmp_path, 0, _header(fmin=50.0)) as w:
        w.add("a", f0=np.zeros(2, np.float32))
    with FeatureWriter(tmp_path, 7, _header(fmin=70.0)) as w:
        w.add("b", f0=np.zeros(2, np.float32))
    with pytest.raises(SoundryError) as info:
        merge_index(tmp_path)
    message = str(info.value)
    assert "shard-00000.safetensors" in message and "shard-00007.safetensors" in message
    assert "producer" in message


def test_mismatched_feature_dtypes_are_an_error(tmp_path):
    with FeatureWriter(tmp_path, 0, _header()) as w:
        w.add("a", f0=np.zeros(2, np.float32))
    with FeatureWriter(tmp_path, 1, _header()) as w:
        w.add("b", f0=np.zeros(2, np.float64))
    with pytest.raises(FeatureStoreError, match="features"):
        FeatureStore(tmp_path)


def test_exception_inside_writer_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        with FeatureWriter(tmp_path, 0, _header()) as w:
            w.add("a", f0=np.zeros(2, np.float32))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_removes_temporary_file(tmp_path, monkeypatch):
    import safetensors.numpy

    def failing_save(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.numpy, "save_file", failing_save)
    w = FeatureWriter(tmp_path, 0, _header())
    w.add("a", f0=np.zeros(2, np.float32))
    with pytest.raises(OSError, match="disk full"):
        w.close()
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_inconsistent_segments(tmp_path):
    w = FeatureWriter(tmp_path, 0, _header())
    w.add("a", f0=np.zeros(3, np.float32), emb=np.zeros((3, 4), np.float32))
    with pytest.raises(FeatureStoreError, match="trailing shape"):
        w.add("b", f0=np.zeros(3, np.float32), emb=np.zeros((3, 5), np.float32))
    with pytest.raises(FeatureStoreError, match="same feature names"):
        w.add("c", f0=np.zeros(3, np.float32))
    with pytest.raises(FeatureStoreError, match="added twice"):
        w.add("a", f0=np.zeros(3, np.float32), emb=np.zeros((3, 4), np.float32))
    fresh = FeatureWriter(tmp_path, 2, _header())
    with pytest.raises(FeatureStoreError, match="cannot hold"):
        fresh.add("d", f0=np.array(["x"] * 3))
    fresh.add("d", f0=np.zeros(3, np.int8))  # the failed add defined nothing
    assert fresh.full_header()["features"]["f0"]["dtype"] == "int8"
    with pytest.raises(FeatureStoreError, match="set by the writer"):
        FeatureWriter(tmp_path, 1, {"keys": []})


def test_existing_shard_is_never_overwritten(tmp_path):
    _write_shard((tmp_path, 0, ["a"]))
    before = (tmp_path / shard_name(0)).read_bytes()
    with pytest.raises(FeatureStoreError, match="already exists"):
        _write_shard((tmp_path, 0, ["b"]))
    assert (tmp_path / shard_name(0)).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [shard_name(0)]


def test_store_rebuilds_stale_index_and_pickles_without_handles(tmp_path):
    _write_shard((tmp_path, 0, ["a"]))
    merge_index(tmp_path)
    _write_shard((tmp_path, 1, ["b"]))  # index.json now misses shard 1
    store = FeatureStore(tmp_path)
    assert store.keys() == ["a", "b"]
    store.get("a")  # opens a shard
    clone = pickle.loads(pickle.dumps(store))
    assert not clone._handles
    np.testing.assert_array_equal(clone.get("b", "f0"), np.ones(3, np.float32))
    with pytest.raises(MissingFeatureError, match="'nope' is not in"):
        store.get("nope")
    with pytest.raises(KeyError):
        store.get("a", "loudness")


def test_missing_folder_and_empty_folder_are_clear_errors(tmp_path):
    with pytest.raises(FeatureStoreError, match="does not exist"):
        FeatureStore(tmp_path / "nope")
    with pytest.raises(FeatureStoreError, match="no feature shards"):
        FeatureStore(tmp_path)
