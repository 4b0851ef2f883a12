"""The checkpoint cache folder, its lock file, and checksum verification.

Layout: ``<cache>/<name>/<filename>`` per registry entry, so a name can only ever resolve to its
own file, and ``<cache>/soundry-checkpoints.lock.json`` mapping each name to the sha256, size,
source, revision and time of its first download. The lock outlives the file: a later download
from any mirror must produce the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from soundry.errors import CheckpointError
from soundry.hub.registry import get_checkpoint

LOCK_FILENAME = "soundry-checkpoints.lock.json"


def default_cache_dir() -> Path:
    """``$SOUNDRY_CACHE/checkpoints`` if set, else ``${XDG_CACHE_HOME:-~/.cache}/soundry/checkpoints``."""
    root = os.environ.get("SOUNDRY_CACHE")
    if root:
        return Path(root).expanduser() / "checkpoints"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "soundry" / "checkpoints"


def resolve_cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def checkpoint_path(name: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where checkpoint ``name`` lives in the cache (whether or not it is there yet)."""
    entry = get_checkpoint(name)
    return resolve_cache_dir(cache_dir) / entry.name / entry.filename


def lock_path(cache_dir: str | os.PathLike | None = None) -> Path:
    return resolve_cache_dir(cache_dir) / LOCK_FILENAME


def read_lock(cache_dir: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """The lock file's records by name (empty when there is no lock file yet)."""
    path = lock_path(cache_dir)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read the checkpoint lock file {path}: {exc}; fix or delete "
                              "it (checksums are then recorded again at the next use)") from exc
    if not isinstance(data, dict):
        raise CheckpointError(f"checkpoint lock file {path} is not a JSON object; fix or delete it")
    return data


def record_lock(name: str, sha256: str, size: int, source: str, revision: str | None,
                cache_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Add ``name``'s record to the lock file (written to a temporary name and renamed)."""
    path = lock_path(cache_dir)
    data = read_lock(cache_dir)
    record = {"sha256": sha256, "size": size, "source": source, "revision": revision,
              "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    data[name] = record
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return record


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def check_file(name: str, path: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
               fresh: bool = False) -> tuple[str, bool]:
    """``(sha256, known)``: verify ``path`` against the registry's published sha256 and the lock
    record. ``known`` is False when neither exists (the caller records it). ``fresh`` words the
    error for a file that was just downloaded rather than one already in the cache."""
    entry, path = get_checkpoint(name), Path(path)
    size = path.stat().st_size
    target = checkpoint_path(name, cache_dir)
    redo = (f"the download was not kept; try again later or another source with "
            f"`soundry download {name}`" if fresh else
            f"delete {path} and run `soundry download {name}` to fetch it again")
    if entry.size_bytes is not None and size != entry.size_bytes:
        raise CheckpointError(f"checkpoint '{name}' at {path} has {size} bytes, expected "
                              f"{entry.size_bytes} (truncated or a different file); {redo}")
    digest = sha256_file(path)
    if entry.sha256 is not None and digest != entry.sha256:
        raise CheckpointError(f"checkpoint '{name}' at {path} has sha256 {digest}, but the "
                              f"published one is {entry.sha256} (corrupt or a different file); {redo}")
    record = read_lock(cache_dir).get(name)
    if record is not None and record.get("sha256") != digest:
        raise CheckpointError(
            f"checkpoint '{name}' at {path} has sha256 {digest}, but {lock_path(cache_dir)} "
            f"recorded {record.get('sha256')} when it was first fetched from {record.get('source')} "
            f"on {record.get('fetched_at')}; the source may have changed the file. {redo[0].upper()}"
            f"{redo[1:]}, or, if you trust the new file, remove the '{name}' entry from the lock "
            f"file so it is recorded again (expected location: {target})")
    return digest, entry.sha256 is not None or record is not None


def verify(name: str, path: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> str:
    """Check ``path`` is checkpoint ``name`` (published sha256, else the lock record) and return its
    sha256; a file never seen before is recorded in the lock file. CheckpointError on mismatch."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} does not exist")
    digest, _ = check_file(name, path, cache_dir)
    if name not in read_lock(cache_dir):
        record_lock(name, digest, path.stat().st_size, source=f"local file {path}", revision=None,
                    cache_dir=cache_dir)
    return digest
