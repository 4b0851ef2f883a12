"""Feature-store headers: what a shard of features holds and how it was made.

A header is a JSON-serialisable dict stored in every shard's safetensors metadata. The part a
caller chooses (``sample_rate``, ``hop_samples``/``hop_s``, ``producer``: function and params, and
anything else) must agree across all shards of a store; the writer adds ``format``,
``format_version``, ``features`` (name -> dtype, ndim, trailing shape), ``created`` (UTC ISO time),
``shard_index`` and ``keys``. ``make_header`` builds the caller's part in the usual shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from soundry.errors import DataError

FORMAT = "soundry.features"
FORMAT_VERSION = 1
# Key of the JSON header inside the safetensors metadata (a str -> str dict).
METADATA_KEY = "soundry.features"
# Fields that legitimately differ between shards of one store.
PER_SHARD_FIELDS = frozenset({"created", "shard_index", "keys"})
# Fields the writer fills in; a caller's header may not set them.
WRITER_FIELDS = frozenset({"format", "format_version"}) | PER_SHARD_FIELDS

# Dtypes safetensors stores natively, plus complex128, kept as float64 pairs on disk.
_NATIVE_DTYPES = frozenset(np.dtype(d) for d in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64"))
_PAIR_DTYPES = {np.dtype("complex128"): np.dtype("float64")}


class FeatureStoreError(DataError):
    """A feature store folder is malformed, or its shards disagree."""


def make_header(producer: str | Callable[..., Any], params: Mapping[str, Any] | None = None,
                sample_rate: int | None = None, hop_samples: int | None = None,
                **extra: Any) -> dict[str, Any]:
    """The caller's part of a store header.

    ``producer`` is the function that computed the features (or its dotted name); ``params`` its
    keyword arguments. ``sample_rate`` in Hz and ``hop_samples`` (frame hop in samples) describe
    frame-level features; ``hop_s`` is derived. Leave both ``None`` for per-segment vectors
    (embeddings). ``extra`` fields are kept as they are and must be JSON-serialisable.
    """
    if callable(producer):
        producer = f"{producer.__module__}.{producer.__qualname__}"
    header: dict[str, Any] = {"producer": {"function": str(producer),
                                           "params": dict(params or {})}}
    if sample_rate is not None:
        header["sample_rate"] = int(sample_rate)
    if hop_samples is not None:
        header["hop_samples"] = int(hop_samples)
        if sample_rate is not None:
            header["hop_s"] = int(hop_samples) / int(sample_rate)
    header.update(extra)
    return normalize_header(header)


def normalize_header(header: Mapping[str, Any]) -> dict[str, Any]:
    """``header`` as it will read back from JSON (tuples -> lists, keys -> str); checks it."""
    if not isinstance(header, Mapping):
        raise FeatureStoreError(f"A feature header must be a dict, got {type(header).__name__}.")
    reserved = sorted(WRITER_FIELDS & set(header))
    if reserved:
        raise FeatureStoreError(
            f"Feature header fields {reserved} are set by the writer; remove them from the header.")
    try:
        return json.loads(json.dumps(dict(header), sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise FeatureStoreError(
            f"The feature header must be JSON-serialisable (str, numbers, lists, dicts): {exc}. "
            "Convert numpy scalars and paths with int()/float()/str().") from exc


def comparable(header: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that must agree across the shards of one store (everything but per-shard ones)."""
    return {k: v for k, v in header.items() if k not in PER_SHARD_FIELDS}


def header_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Names of the top-level fields on which two headers differ, sorted."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def params_hash(params: Mapping[str, Any]) -> str:
    """8 hex digits of the SHA-1 of ``params`` as canonical JSON (sorted keys)."""
    try:
        text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise FeatureStoreError(f"Feature params must be JSON-serialisable: {exc}.") from exc
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def store_dir_for(root: str | Path, name: str, params: Mapping[str, Any]) -> Path:
    """``root/<name>-<8 hex of params hash>``: one store folder per set of parameters.

    Changing any parameter gives a new folder, so a resumed computation never mixes features
    made with different settings, and the old ones stay until the user deletes them.
    """
    if not name or "/" in name or "\\" in name:
        raise FeatureStoreError(f"Feature store name {name!r} must be a non-empty folder name.")
    return Path(root) / f"{name}-{params_hash(params)}"


def storage_dtype(dtype: np.dtype, name: str) -> np.dtype:
    """The dtype ``dtype`` is written as (itself, or float64 for complex128); raises if none."""
    dtype = np.dtype(dtype).newbyteorder("=")
    if dtype in _NATIVE_DTYPES:
        return dtype
    if dtype in _PAIR_DTYPES:
        return _PAIR_DTYPES[dtype]
    kinds = sorted(str(d) for d in _NATIVE_DTYPES | set(_PAIR_DTYPES))
    raise FeatureStoreError(
        f"Feature {name!r} has dtype {dtype}, which the feature store cannot hold; "
        f"convert it to one of {', '.join(kinds)}.")


def feature_spec(array: np.ndarray) -> dict[str, Any]:
    """``{"dtype", "ndim", "trailing_shape"}`` of one feature array; axis 0 may vary in length."""
    return {"dtype": np.dtype(array.dtype).newbyteorder("=").name, "ndim": int(array.ndim),
            "trailing_shape": [int(n) for n in array.shape[1:]]}


def check_spec(name: str, key: str, spec: Mapping[str, Any], array: np.ndarray) -> None:
    """Raise if ``array`` (for segment ``key``) does not match the feature's recorded ``spec``."""
    got = feature_spec(array)
    if got != dict(spec):
        raise FeatureStoreError(
            f"Feature {name!r} of {key!r} has dtype {got['dtype']} and shape {array.shape}, but "
            f"this store holds {spec['dtype']} arrays with {spec['ndim']} dims and trailing shape "
            f"{tuple(spec['trailing_shape'])}; only the first axis may change between segments.")
