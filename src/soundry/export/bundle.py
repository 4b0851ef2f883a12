"""Bundle metadata: every export folder is self-describing through ``meta.json``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import soundry

BUNDLE_FORMAT_VERSION = 1


def write_meta(out_dir: str | Path, recipe: str, files: dict[str, str], **fields: Any) -> Path:
    """Write ``out_dir/meta.json``: format version, recipe, soundry version, files, and ``fields``.

    ``files`` maps a role (``"onnx"``, ``"weights"``, ``"config"``) to a path relative to ``out_dir``.
    """
    out = Path(out_dir)
    meta = {"format": f"soundry.{recipe}", "format_version": BUNDLE_FORMAT_VERSION, "recipe": recipe,
            "soundry_version": soundry.__version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": files, **fields}
    tmp = out / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "meta.json")
    return out / "meta.json"
