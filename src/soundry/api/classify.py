"""Using classify bundles and checkpoints: load, predict, embed, download."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from soundry.errors import CheckpointError, DataError


def load(bundle: str | Path):
    """Open an exported bundle for inference (numpy + onnxruntime; no torch): a
    :class:`soundry.runtime.Classifier` or :class:`soundry.runtime.VoiceConverter`."""
    from soundry.runtime import Classifier, VoiceConverter, read_meta

    recipe = read_meta(bundle).get("recipe")
    if recipe == "classify":
        return Classifier(bundle)
    if recipe == "vc":
        return VoiceConverter(bundle)
    raise CheckpointError(f"{bundle}: no runtime for recipe '{recipe}'")


def predict(bundle: str | Path, files: Iterable[str | Path]):
    """Labels with probabilities for each file, best first (``classify`` bundles)."""
    model = load(bundle)
    out = []
    for f in files:
        if not Path(f).is_file():
            raise DataError(f"no such audio file: {f}")
        out.append(model.predict(f))
    return out


classify = predict


# ---- classify: embeddings, checkpoints, cross-validation

def _audio_files(files: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders expanded to the audio files under them (sorted)."""
    from soundry.audio import AUDIO_EXTENSIONS

    out: list[Path] = []
    for f in files:
        p = Path(f)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in AUDIO_EXTENSIONS
                           and not any(part.startswith(".") for part in q.relative_to(p).parts))
            if not found:
                raise DataError(f"no audio files under {p}")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise DataError(f"no such audio file or folder: {p}")
    return out


def embed(source: str | Path, files: Iterable[str | Path], out: str | Path | None = None,
          pooling: str = "mean", layer: int | None = None, window_s: float | None = None,
          batch: int = 8, cache_dir: str | Path | None = None, progress: bool = True):
    """Per-file embeddings from a BEATs checkpoint (registry name, fetched on first use, or an
    official ``.pt``) or a ``classify`` bundle folder.

    ``files``: audio files or folders (searched recursively). ``pooling``: mean, max, first, last
    over each file's valid tokens, or none (token features ``(N, D)``); ``layer``: BEATs layer
    (0-based, negative from the end; None = last). Long files are embedded in windows of
    ``window_s`` seconds (default 10 s for BEATs, the training crop for bundles). With ``out``
    (``.npy`` + ``.ids.txt``, or ``.parquet``) the result is also written there. Returns an
    ``Embeddings`` (``ids``, ``paths``, ``vectors``, ``stack()``).
    """
    from soundry.recipes.classify.embed import Embedder, write_embeddings

    paths = _audio_files(files)
    embedder = Embedder.from_source(source, pooling=pooling, layer=layer, window_s=window_s,
                                    batch=batch, cache_dir=None if cache_dir is None else str(cache_dir))
    result = embedder.embed_files(paths, progress=progress)
    result.info["source"] = str(source)
    if out is not None:
        result.info["files"] = [str(p) for p in write_embeddings(result, out)]
    return result


def list_checkpoints(family: str | None = None, cache_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """The named pretrained checkpoints (``soundry download --list``): name, family,
    description, license, sha256 (published or None), whether it is cached and where."""
    from soundry.hub import checkpoint_path
    from soundry.hub import list_checkpoints as entries

    out = []
    for c in entries(family):
        path = checkpoint_path(c.name, cache_dir)
        out.append({"name": c.name, "family": c.family, "description": c.description,
                    "license": c.license, "sha256": c.sha256, "cached": path.is_file(),
                    "path": str(path)})
    return out


def download(name: str, cache_dir: str | Path | None = None) -> Path:
    """Fetch checkpoint ``name`` into the cache (verified; nothing else is ever returned) and
    return its path. Offline or unreachable: CheckpointError with manual instructions."""
    from soundry.hub import fetch

    return fetch(name, cache_dir=cache_dir)
