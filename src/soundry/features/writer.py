"""Write one shard of a feature store: ``dir/shard-00003.safetensors``.

A shard holds the arrays of many segments. Tensor names are ``<key>/<feature>``: feature names
may not contain ``/`` and keys may contain anything (``spk1/utt-0001:0``, spaces, unicode), so
the name splits unambiguously at its last ``/``. The header (see :mod:`soundry.features.header`)
is stored as JSON in the safetensors metadata under ``"soundry.features"``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from soundry.features.header import (FORMAT, FORMAT_VERSION, METADATA_KEY, FeatureStoreError,
                                     check_spec, feature_spec, normalize_header, storage_dtype)

SHARD_GLOB = "shard-*.safetensors"


def shard_name(shard_index: int) -> str:
    """``3`` -> ``'shard-00003.safetensors'``."""
    return f"shard-{int(shard_index):05d}.safetensors"


def tensor_name(key: str, feature: str) -> str:
    """Name of one segment's feature inside a shard file."""
    return f"{key}/{feature}"


def to_storage(array: np.ndarray, name: str) -> np.ndarray:
    """A contiguous little-endian array safetensors accepts (complex128 -> float64 pairs)."""
    native = np.asarray(array)
    target = storage_dtype(native.dtype, name)
    if native.dtype.kind == "c" and target.kind == "f":
        native = native.astype(np.complex128).reshape(native.shape + (1,)).view(target)
    # Big-endian input is converted; safetensors files are little-endian.
    # np.asarray keeps 0-d scalars 0-d (np.ascontiguousarray would make them (1,)).
    return np.asarray(native, dtype=target.newbyteorder("<"), order="C")


def from_storage(array: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Undo :func:`to_storage` using the feature's recorded ``spec``."""
    dtype = np.dtype(spec["dtype"])
    if dtype != array.dtype:
        array = np.ascontiguousarray(array).view(dtype).reshape(array.shape[:-1])
    return array


class FeatureWriter:
    """Collect per-segment arrays and write them as one shard when closed.

    ``dir``: the store folder (created if missing). ``shard_index``: this writer's shard number;
    parallel writers use different ones. ``header``: the caller's header (see ``make_header``);
    it must be the same for every shard of a store. The file appears atomically on ``close()``
    (written to a hidden temporary name, then renamed). Leaving the ``with`` block through an
    exception writes nothing. A writer that received no segments writes no file.

    ``add(key, **arrays)``: arrays of any supported dtype; axis 0 (frames) may differ between
    segments, the dtype, number of dims and trailing shape of each feature may not, and every
    segment must have the same feature names.
    """

    def __init__(self, dir: str | Path, shard_index: int, header: dict[str, Any]):
        if int(shard_index) < 0:
            raise FeatureStoreError(f"shard_index must be >= 0, got {shard_index}.")
        self.dir = Path(dir)
        self.shard_index = int(shard_index)
        self.header = normalize_header(header)
        self.path = self.dir / shard_name(self.shard_index)
        declared = self.header.get("features")
        self._specs: dict[str, dict[str, Any]] | None = dict(declared) if declared else None
        self._tensors: dict[str, np.ndarray] = {}
        self._keys: list[str] = []
        self._seen: set[str] = set()
        self._closed = False

    def __enter__(self) -> FeatureWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        """Segment keys added so far, in order."""
        return list(self._keys)

    def add(self, key: str, **arrays: np.ndarray) -> None:
        """Store the arrays of segment ``key`` (e.g. ``f0=(frames,) float32``)."""
        if self._closed:
            raise FeatureStoreError(f"Shard {self.path.name} is already closed; open a new writer.")
        if not isinstance(key, str) or not key:
            raise FeatureStoreError(f"A feature key must be a non-empty string, got {key!r}.")
        if key in self._seen:
            raise FeatureStoreError(f"Key {key!r} was added twice to shard {self.path.name}.")
        if not arrays:
            raise FeatureStoreError(f"No arrays given for key {key!r}; pass them as name=array.")
        for name in arrays:
            if not name or "/" in name:
                raise FeatureStoreError(f"Feature name {name!r} must be non-empty without '/'.")
        arrays = {name: np.asarray(a) for name, a in arrays.items()}
        # The first segment defines the features; nothing is kept unless every array is valid.
        specs = self._specs or {name: feature_spec(a) for name, a in sorted(arrays.items())}
        if set(arrays) != set(specs):
            raise FeatureStoreError(
                f"Key {key!r} has features {sorted(arrays)}, but this store holds "
                f"{sorted(specs)}; every segment needs the same feature names.")
        stored = {}
        for name, array in arrays.items():
            check_spec(name, key, specs[name], array)
            stored[tensor_name(key, name)] = to_storage(array, name)
        self._specs = specs
        self._tensors.update(stored)
        self._keys.append(key)
        self._seen.add(key)

    def full_header(self) -> dict[str, Any]:
        """The header as written to the shard, with the writer's fields filled in."""
        header = dict(self.header)
        header.update({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "features": self._specs or {},
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "shard_index": self.shard_index, "keys": list(self._keys)})
        return header

    def close(self) -> Path | None:
        """Write the shard (atomically) and return its path; ``None`` if nothing was added."""
        if self._closed:
            return self.path if self.path.exists() and self._keys else None
        self._closed = True
        if not self._keys:
            return None
        from safetensors.numpy import save_file

        self.dir.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            raise FeatureStoreError(
                f"{self.path} already exists; each writer needs its own shard_index "
                "(an existing shard is never overwritten).")
        tmp = self.dir / f".{self.path.name}.tmp-{os.getpid()}"
        metadata = {METADATA_KEY: json.dumps(self.full_header(), sort_keys=True)}
        try:
            save_file(self._tensors, str(tmp), metadata=metadata)
            _publish(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            self._tensors = {}
        return self.path

    def discard(self) -> None:
        """Drop everything added; no file is written."""
        self._closed = True
        self._tensors = {}


def _publish(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` atomically, refusing to replace an existing shard."""
    try:
        # A hard link fails if ``path`` exists, so two writers given the same shard_index
        # cannot silently replace each other's work.
        os.link(tmp, path)
    except FileExistsError:
        raise FeatureStoreError(
            f"{path} already exists; each writer needs its own shard_index.") from None
    except OSError:
        os.replace(tmp, path)  # filesystems without hard links
    else:
        tmp.unlink()
