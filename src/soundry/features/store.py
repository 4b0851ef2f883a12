"""Read a sharded feature store and merge its shards into ``index.json``.

Layout of a store folder::

    dir/shard-00000.safetensors   # written by FeatureWriter, one per worker / chunk
    dir/shard-00001.safetensors
    dir/index.json                # merge_index(dir): key -> shard file, plus the merged header

``FeatureStore`` opens shards lazily (safetensors ``safe_open``, numpy) and keeps a small
cache of open files per process; pickling it (to send to DataLoader workers or a process pool)
sends only the folder and the index, never an open file.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from soundry.features.header import (FORMAT, FORMAT_VERSION, METADATA_KEY, FeatureStoreError,
                                     comparable, header_diff, normalize_header)
from soundry.features.writer import SHARD_GLOB, from_storage, tensor_name

INDEX_NAME = "index.json"


class MissingFeatureError(FeatureStoreError, KeyError):
    """A key or feature name is not in the store."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


def read_shard_header(path: str | Path) -> dict[str, Any]:
    """The JSON header stored in one shard's safetensors metadata."""
    from safetensors import safe_open

    path = Path(path)
    try:
        with safe_open(str(path), framework="numpy") as fh:
            metadata = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise FeatureStoreError(
            f"Cannot read feature shard {path}: {exc}. Delete it and compute again.") from exc
    if METADATA_KEY not in metadata:
        raise FeatureStoreError(f"{path} is not a soundry feature shard (no header in metadata).")
    header = json.loads(metadata[METADATA_KEY])
    if header.get("format") != FORMAT or int(header.get("format_version", 0)) > FORMAT_VERSION:
        raise FeatureStoreError(
            f"{path} has feature format {header.get('format')!r} version "
            f"{header.get('format_version')}; this soundry reads {FORMAT!r} up to version "
            f"{FORMAT_VERSION}. Upgrade soundry or compute the features again.")
    return header


def _shard_files(dir: Path) -> list[Path]:
    return sorted(p for p in dir.glob(SHARD_GLOB) if p.is_file())


def _describe(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def build_index(dir: str | Path, header: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The index of a store folder, computed from its shards (nothing is written).

    ``header``: the store header to record when the folder has no shards yet. Raises
    ``FeatureStoreError`` if shards disagree on their header (naming both shards and the
    fields) or if a key appears in two shards.
    """
    dir = Path(dir)
    if not dir.is_dir():
        raise FeatureStoreError(f"Feature store folder {dir} does not exist.")
    shards = _shard_files(dir)
    if not shards and header is None:
        raise FeatureStoreError(
            f"{dir} holds no feature shards ({SHARD_GLOB}); compute the features first.")
    # The first shard is the reference; the caller's header only describes an empty store.
    reference: dict[str, Any] | None = None
    reference_name = ""
    keys: dict[str, str] = {}
    shard_info: dict[str, dict[str, int]] = {}
    duplicates: list[str] = []
    for path in shards:
        shard_header = read_shard_header(path)
        mine = comparable(shard_header)
        if reference is None:
            reference, reference_name = mine, path.name
        elif mine != reference:
            fields = header_diff(reference, mine)
            details = "; ".join(f"{f}: {_describe(reference.get(f))} vs {_describe(mine.get(f))}"
                                for f in fields)
            raise FeatureStoreError(
                f"Feature shards {reference_name} and {path.name} in {dir} were made with "
                f"different settings ({details}). Keep one set of settings per folder: move the "
                "odd shards away, or compute into a new folder (see store_dir_for).")
        for key in shard_header.get("keys", []):
            if key in keys:
                duplicates.append(f"{key!r} in {keys[key]} and {path.name}")
            else:
                keys[key] = path.name
        shard_info[path.name] = {"keys": len(shard_header.get("keys", [])),
                                 "bytes": path.stat().st_size}
    if duplicates:
        shown = ", ".join(duplicates[:5]) + (f" and {len(duplicates) - 5} more"
                                             if len(duplicates) > 5 else "")
        raise FeatureStoreError(
            f"{len(duplicates)} key(s) appear in more than one shard of {dir}: {shown}. "
            "Two computations wrote the same segments; delete one of the shards named.")
    if reference is None:
        reference = comparable(normalize_header(header or {}))
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "header": reference,
            "shards": shard_info, "keys": keys}


def write_index(dir: str | Path, index: Mapping[str, Any]) -> Path:
    """Write ``dir/index.json`` atomically (temporary file, then rename)."""
    path = Path(dir) / INDEX_NAME
    tmp = path.with_name(f".{INDEX_NAME}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def merge_index(dir: str | Path, header: Mapping[str, Any] | None = None) -> Path:
    """Scan the shards of ``dir``, check they agree, and write ``dir/index.json``.

    Returns the index path. ``header`` is only used when ``dir`` has no shards yet (an empty
    store). Raises ``FeatureStoreError`` on mismatched headers or duplicate keys.
    """
    return write_index(dir, build_index(dir, header))


def _index_is_fresh(dir: Path, index: Mapping[str, Any]) -> bool:
    on_disk = {p.name: p.stat().st_size for p in _shard_files(dir)}
    listed = {name: info.get("bytes") for name, info in index.get("shards", {}).items()}
    return on_disk == listed


def load_index(dir: str | Path) -> dict[str, Any]:
    """``dir/index.json``, rebuilt from the shards when missing or out of date.

    The rebuilt index is written back when the folder is writable; a read-only store still
    opens (the index is then kept in memory).
    """
    dir = Path(dir)
    if not dir.is_dir():
        raise FeatureStoreError(f"Feature store folder {dir} does not exist.")
    path = dir / INDEX_NAME
    if path.is_file():
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = None  # a damaged index is rebuilt from the shards, which hold the truth
        if index is not None and _index_is_fresh(dir, index):
            return index
    index = build_index(dir)
    try:
        write_index(dir, index)
    except OSError:
        pass
    return index


class FeatureStore:
    """Read access to a feature store folder.

    ``store.get(key)`` -> ``{feature: array}``; ``store.get(key, "f0")`` -> one array, e.g.
    ``(frames,) float32`` Hz. ``store.header`` is the merged header (features with dtype and
    trailing shape, ``sample_rate``, ``hop_samples``, ``hop_s``, ``producer``).
    ``max_open`` bounds the number of shard files held open at once. Iterating gives the keys;
    ``store[key]`` is ``store.get(key)``. (Not a ``Mapping``: ``get``'s second argument names a
    feature, it is not a default, and a missing key raises ``MissingFeatureError``.)
    """

    def __init__(self, dir: str | Path, max_open: int = 64):
        self.dir = Path(dir)
        self.max_open = max(1, int(max_open))
        self._index = load_index(self.dir)
        self._keys: dict[str, str] = self._index["keys"]
        self._handles: OrderedDict[str, Any] = OrderedDict()
        self._pid = os.getpid()

    # ------------------------------------------------------------------ mapping
    def __getitem__(self, key: str) -> dict[str, np.ndarray]:
        return self.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> list[str]:
        """All segment keys, shard by shard in the order written."""
        return list(self._keys)

    # ------------------------------------------------------------------ header
    @property
    def header(self) -> dict[str, Any]:
        """The merged header (a copy); ``{}``-like fields absent for an empty store."""
        return json.loads(json.dumps(self._index["header"]))

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        """Feature name -> ``{"dtype", "ndim", "trailing_shape"}``."""
        return dict(self._index["header"].get("features", {}))

    @property
    def shards(self) -> list[Path]:
        """Shard files of this store."""
        return [self.dir / name for name in self._index["shards"]]

    # ------------------------------------------------------------------ reading
    def get(self, key: str, feature: str | None = None):
        """All arrays of ``key`` as a dict, or the one array named ``feature``."""
        shard = self._keys.get(key)
        if shard is None:
            raise MissingFeatureError(f"Key {key!r} is not in the feature store {self.dir}.")
        specs = self.features
        if feature is not None and feature not in specs:
            raise MissingFeatureError(
                f"Feature {feature!r} is not in the store {self.dir}; it holds {sorted(specs)}.")
        handle = self._handle(shard)
        names = [feature] if feature is not None else sorted(specs)
        arrays = {n: from_storage(handle.get_tensor(tensor_name(key, n)), specs[n])
                  for n in names}
        return arrays[feature] if feature is not None else arrays

    def _handle(self, shard: str):
        from safetensors import safe_open

        if self._pid != os.getpid():  # forked: do not share the parent's open files
            self._handles = OrderedDict()
            self._pid = os.getpid()
        handle = self._handles.get(shard)
        if handle is None:
            handle = safe_open(str(self.dir / shard), framework="numpy")
            self._handles[shard] = handle
            while len(self._handles) > self.max_open:
                self._handles.popitem(last=False)
        else:
            self._handles.move_to_end(shard)
        return handle

    def close(self) -> None:
        """Close the shard files held open (they reopen on the next ``get``)."""
        self._handles = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_handles"] = OrderedDict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pid = os.getpid()

    def __repr__(self) -> str:
        return (f"FeatureStore({str(self.dir)!r}, keys={len(self)}, "
                f"features={sorted(self.features)})")
