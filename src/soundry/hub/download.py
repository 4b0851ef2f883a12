"""``fetch(name)``: the cached file of a named checkpoint, downloaded and verified if needed.

Sources are tried in registry order: Hugging Face files through ``huggingface_hub`` at their
pinned revision, plain URLs through urllib with a progress bar. Every download lands in a
``.part`` file that is checked (published sha256, or the lock record) before it is renamed
into place; a first download with nothing to check against is recorded in the lock file.
Offline (``SOUNDRY_OFFLINE=1``, ``HF_HUB_OFFLINE=1``) or when every source fails, the error
names the file, the exact path to put it at by hand, and where to download it.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
import warnings
from pathlib import Path

from soundry.errors import CheckpointError
from soundry.hub.cache import (check_file, checkpoint_path, read_lock, record_lock,
                               resolve_cache_dir, verify)
from soundry.hub.registry import Checkpoint, Source, get_checkpoint
from soundry.progress import ProgressBar

_TRUE = {"1", "true", "yes", "on"}
USER_AGENT = "soundry-checkpoint-fetch"


def is_offline() -> bool:
    """True when ``SOUNDRY_OFFLINE`` or ``HF_HUB_OFFLINE`` is set to a true value."""
    return any(os.environ.get(var, "").strip().lower() in _TRUE
               for var in ("SOUNDRY_OFFLINE", "HF_HUB_OFFLINE"))


def manual_instructions(entry: Checkpoint, path: Path) -> str:
    """One line: where to download ``entry`` by hand and the exact path to put it at."""
    places = " or ".join(s.location() for s in entry.sources) or "(no known source)"
    check = (f"it must have sha256 {entry.sha256}" if entry.sha256 else
             "its sha256 is recorded in the lock file at first use")
    return f"download {entry.filename} from {places} and save it as {path} ({check})"


def _hf_hub_download(**kwargs) -> str:
    """``huggingface_hub.hf_hub_download``, imported only when a Hugging Face source is used."""
    try:
        import huggingface_hub
    except ImportError as exc:
        raise RuntimeError("huggingface_hub is not installed (pip install huggingface_hub)") from exc
    return huggingface_hub.hf_hub_download(**kwargs)


def _download_hf(source: Source, part: Path) -> None:
    if not source.pinned:
        warnings.warn(f"{source.repo}/{source.filename} has no pinned revision; the lock file "
                      "is all that guards against a changed file", stacklevel=3)
    staging = part.with_name(part.name + ".hf")
    try:
        local = _hf_hub_download(
            repo_id=source.repo, filename=source.filename, revision=source.revision,
            repo_type=None if source.repo_type == "model" else source.repo_type,
            local_dir=staging)
        os.replace(local, part)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download_url(source: Source, part: Path, label: str) -> None:
    request = urllib.request.Request(str(source.url), headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=60) as response:
        header = response.headers.get("Content-Length") if response.headers else None
        total = int(header) if header and header.isdigit() else None
        done = 0
        with open(part, "wb") as fh, ProgressBar(f"download {label}", total, unit="B") as bar:
            while block := response.read(1 << 20):
                fh.write(block)
                done += len(block)
                bar.advance(len(block))
    if total is not None and done != total:
        raise OSError(f"connection closed after {done} of {total} bytes")


def _try_source(entry: Checkpoint, source: Source, part: Path) -> None:
    if source.kind == "hf":
        _download_hf(source, part)
    else:
        _download_url(source, part, entry.name)


def fetch(name: str, cache_dir: str | os.PathLike | None = None,
          offline: bool | None = None) -> Path:
    """Path of checkpoint ``name`` in the cache, downloading and verifying it if needed.

    Returns ``<cache>/<name>/<filename>`` and nothing else: another checkpoint's file, or any
    other file in the folder, is never substituted. A file already there is verified (sha256
    against the registry or the lock file). ``offline=None`` reads ``SOUNDRY_OFFLINE`` /
    ``HF_HUB_OFFLINE``. Raises CheckpointError with manual instructions when it cannot deliver.
    """
    entry = get_checkpoint(name)
    cache = resolve_cache_dir(cache_dir)
    path = checkpoint_path(name, cache)
    if path.is_file():
        verify(name, path, cache)
        return path
    if offline is None:
        offline = is_offline()
    how = manual_instructions(entry, path)
    if offline:
        raise CheckpointError(f"checkpoint '{name}' is not in the cache and downloads are off "
                              f"(offline mode); {how}")
    sources = [s for s in entry.sources if s.automatic]
    if not sources:
        raise CheckpointError(f"checkpoint '{name}' is not in the cache and has no automatic "
                              f"download source; {how}")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    failures = []
    for source in sources:
        try:
            _try_source(entry, source, part)
        except Exception as exc:  # any failure of one source (network, HTTP, missing file) -> next
            failures.append(f"{source.location()}: {type(exc).__name__}: {exc}")
            part.unlink(missing_ok=True)
            continue
        try:
            digest, _ = check_file(name, part, cache, fresh=True)
        except CheckpointError:
            part.unlink(missing_ok=True)
            raise
        if name not in read_lock(cache):
            record_lock(name, digest, part.stat().st_size, source=source.location(),
                        revision=source.revision, cache_dir=cache)
        os.replace(part, path)
        return path
    raise CheckpointError(f"could not download checkpoint '{name}' ({'; '.join(failures)}); {how}")
