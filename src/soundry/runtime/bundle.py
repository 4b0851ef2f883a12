"""Open an export folder: read and check ``meta.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from soundry.errors import CheckpointError

SUPPORTED_FORMAT_VERSION = 1


def read_meta(bundle: str | Path, recipe: str | None = None) -> dict[str, Any]:
    """The bundle's ``meta.json`` as a dict; checks the format version and, if given, the recipe."""
    root = Path(bundle)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise CheckpointError(f"{root} is not a soundry bundle (no meta.json); "
                              "make one with `soundry export RUN`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{meta_path} is not valid JSON ({exc.msg}); re-export the run") from None
    version = meta.get("format_version")
    if not isinstance(version, int) or version > SUPPORTED_FORMAT_VERSION:
        raise CheckpointError(f"{root} has bundle format version {version!r}; this soundry reads up to "
                              f"{SUPPORTED_FORMAT_VERSION}: upgrade soundry")
    if recipe is not None and meta.get("recipe") != recipe:
        raise CheckpointError(f"{root} is a '{meta.get('recipe')}' bundle, not a '{recipe}' one")
    return meta
