"""Compute features for many segments in parallel into a store, resumably.

``compute_features(items, fn, dir, header)`` calls ``fn(item)`` for every item whose key is not
in the store yet, in a pool of processes. Items are cut into chunks; each chunk becomes one new
shard written by one worker, so a crash or Ctrl-C loses at most the chunks in flight and the
next call carries on. Keep one folder per set of parameters (``store_dir_for``): a folder
computed with other settings is refused rather than mixed.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soundry.features.header import FeatureStoreError, comparable, header_diff, normalize_header
from soundry.features.store import FeatureStore, build_index, merge_index
from soundry.features.writer import SHARD_GLOB, FeatureWriter
from soundry.progress import ProgressBar

# Set in each pool worker by _init_worker (inherited for free under fork, pickled under spawn).
_WORKER: dict[str, Any] = {}
_SHARD_NUMBER = re.compile(r"shard-(\d+)\.safetensors$")


@dataclass
class ComputeResult:
    """What ``compute_features`` did: counts of segments and the shards it added."""

    dir: Path
    computed: int = 0          # fn called and arrays stored
    skipped: int = 0           # already in the store
    empty: int = 0             # fn returned None (retried on the next call)
    shards: list[Path] = field(default_factory=list)

    def store(self) -> FeatureStore:
        """Open the store that was written."""
        return FeatureStore(self.dir)


def default_key(item: Any) -> str:
    """Key of an item: the item if it is a string, else its ``id`` attribute or ``"id"`` field."""
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping) and "id" in item:
        return str(item["id"])
    if hasattr(item, "id"):
        return str(item.id)
    raise FeatureStoreError(
        f"Cannot tell the key of item {item!r}; pass key=... to compute_features "
        "(a function item -> segment id).")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _next_shard_index(dir: Path) -> int:
    numbers = [int(m.group(1)) for p in dir.glob(SHARD_GLOB)
               if (m := _SHARD_NUMBER.search(p.name))]
    return max(numbers, default=-1) + 1


def _check_same_settings(dir: Path, wanted: dict[str, Any], stored: dict[str, Any]) -> None:
    stored = {k: v for k, v in comparable(stored).items()
              if k not in ("format", "format_version") and (k != "features" or "features" in wanted)}
    fields = header_diff(comparable(wanted), stored)
    if fields:
        raise FeatureStoreError(
            f"{dir} holds features computed with other settings (differing: {', '.join(fields)}). "
            "Compute into a folder per settings, e.g. store_dir_for(root, name, params), or "
            "delete the old folder if you no longer need it.")


def _init_worker(fn: Callable[[Any], Any], dir: Path, header: dict[str, Any]) -> None:
    _WORKER.update(fn=fn, dir=dir, header=header)


def _arrays_of(key: str, result: Any) -> Mapping[str, Any] | None:
    if result is None:
        return None
    if isinstance(result, tuple) and len(result) == 2:
        got, result = result
        if got != key:
            raise FeatureStoreError(f"fn returned key {got!r} for the item keyed {key!r}.")
    if not isinstance(result, Mapping):
        raise FeatureStoreError(
            f"fn must return (key, {{name: array}}), {{name: array}} or None; got "
            f"{type(result).__name__} for {key!r}.")
    return result


def _run_chunk(task: tuple[int, list[tuple[str, Any]]],
               on_item: Callable[[], None] | None = None) -> tuple[int, int, str | None]:
    """Compute one chunk into shard ``shard_index``; returns (stored, empty, shard path)."""
    shard_index, chunk = task
    fn, dir, header = _WORKER["fn"], _WORKER["dir"], _WORKER["header"]
    empty = 0
    with FeatureWriter(dir, shard_index, header) as writer:
        for key, item in chunk:
            try:
                arrays = _arrays_of(key, fn(item))
            except Exception as exc:
                exc.add_note(f"while computing features for {key!r}")
                raise
            if arrays is None:
                empty += 1
            else:
                writer.add(key, **arrays)
            if on_item is not None:
                on_item()
    path = writer.close()
    return len(writer), empty, str(path) if path else None


def compute_features(items: Iterable[Any], fn: Callable[[Any], Any], dir: str | Path,
                     header: Mapping[str, Any], workers: int = 0, progress: bool = True,
                     key: Callable[[Any], str] | None = None, items_per_shard: int = 1000,
                     listeners: list[Callable[[dict[str, Any]], None]] | None = None,
                     mp_context: str | None = None) -> ComputeResult:
    """Compute ``fn(item)`` for every item not yet in the store at ``dir``; merge the index.

    ``fn(item)`` returns ``(key, {name: array})``, ``{name: array}`` or ``None`` (nothing to
    store; retried next time). ``key(item)`` gives an item's segment id without computing it
    (default: ``default_key``), so items already stored are skipped. ``header``: see
    ``make_header``; it must match what the folder already holds. ``workers``: 0 = all cores,
    1 = in this process. ``items_per_shard`` bounds the memory a worker holds before writing.
    ``listeners`` receive progress snapshots (count, rate, ETA), e.g. for ``events.jsonl``.
    Under the default ``fork`` start method ``fn`` may be any callable; under ``spawn`` it must
    be picklable (a module-level function).
    """
    dir = Path(dir)
    wanted = normalize_header(header)
    key_fn = key or default_key
    dir.mkdir(parents=True, exist_ok=True)
    existing: set[str] = set()
    if any(dir.glob(SHARD_GLOB)):
        index = build_index(dir)
        _check_same_settings(dir, wanted, index["header"])
        existing = set(index["keys"])
    result = ComputeResult(dir=dir)
    pending: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        k = key_fn(item)
        if k in seen:
            raise FeatureStoreError(f"Two items have the key {k!r}; segment keys must be unique.")
        seen.add(k)
        if k in existing:
            result.skipped += 1
        else:
            pending.append((k, item))
    workers = _cpu_count() if workers <= 0 else int(workers)
    per_chunk = max(1, int(items_per_shard))
    if workers > 1:  # several chunks per worker keeps the progress bar and load balance smooth
        per_chunk = max(1, min(per_chunk, math.ceil(len(pending) / (workers * 4))))
    first = _next_shard_index(dir)
    tasks = [(first + i, pending[start:start + per_chunk])
             for i, start in enumerate(range(0, len(pending), per_chunk))]
    workers = min(workers, len(tasks))
    delivered: dict[str, Any] = {}

    def relay(snapshot: dict[str, Any]) -> None:
        delivered.update(snapshot)
        for listener in listeners or []:
            listener(snapshot)

    with ProgressBar(f"features {dir.name}", total=len(pending), unit="seg",
                     enabled=None if progress else False, listeners=[relay]) as bar:
        if workers <= 1:
            _init_worker(fn, dir, wanted)
            try:
                outcomes = [_run_chunk(task, on_item=bar.advance) for task in tasks]
            finally:
                _WORKER.clear()
        else:
            method = mp_context or ("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            ctx = mp.get_context(method)
            outcomes = []
            with ctx.Pool(workers, initializer=_init_worker, initargs=(fn, dir, wanted)) as pool:
                for stored, empty, path in pool.imap_unordered(_run_chunk, tasks):
                    outcomes.append((stored, empty, path))
                    bar.advance(stored + empty)
    if delivered.get("done") != bar.meter.done:  # the bar throttles; always send the final count
        relay(bar.meter.snapshot())
    for stored, empty, path in outcomes:
        result.computed += stored
        result.empty += empty
        if path:
            result.shards.append(Path(path))
    result.shards.sort()
    merge_index(dir, wanted)
    return result
