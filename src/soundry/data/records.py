"""Recordings and manifests: what a data source found, one ``Recording`` per audio file.

A manifest is a JSONL file with one recording per line. Recording ids are stable across runs
and machines: they depend only on the label and the path relative to the data root, never on
absolute paths, timestamps or scan order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soundry.errors import DataError

_SLUG_BAD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_len: int = 40) -> str:
    """Lower-case ASCII slug of ``text`` (``"Hello World!"`` -> ``"hello-world"``), filesystem-safe.

    Accents are stripped; anything else that is not a letter or digit becomes ``-``. An empty
    result becomes ``"x"`` so a slug is never empty.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_BAD.sub("-", ascii_text.lower()).strip("-")[:max_len].strip("-")
    return slug or "x"


def recording_id(label: str, relpath: str) -> str:
    """Stable id ``<label-slug>/<stem-slug>-<8 hex>`` for the file at ``relpath`` with ``label``.

    The hex part is the start of ``sha1(label + "\\0" + relpath)``, so two files whose slugs
    collide (``a b.wav`` and ``a-b.wav``) still get different ids, and the same file listed
    under two labels (a multi-label table) gets one id per label. An empty label (a TTS
    manifest without speakers) uses ``_`` as its folder part.
    """
    rel = relpath.replace(os.sep, "/")
    digest = hashlib.sha1(f"{label}\0{rel}".encode("utf-8")).hexdigest()[:8]
    stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    label_part = slugify(label) if label else "_"
    return f"{label_part}/{slugify(stem)}-{digest}"


@dataclass
class Recording:
    """One audio file of a data source.

    ``path`` is absolute; ``relpath`` is relative to the data root in POSIX form (the key that
    reports and ids use). ``duration`` (seconds) and ``sample_rate`` (Hz) are filled by
    validation when the source did not give them. ``split`` is a user-given split name
    (``train``/``val``/``test``) or ``None``. ``extra`` keeps any other columns of a table.
    """

    id: str
    path: str
    relpath: str
    label: str = ""
    transcript: str | None = None
    language: str | None = None
    duration: float | None = None
    sample_rate: int | None = None
    speaker: str | None = None
    split: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, path: str | Path, root: str | Path, label: str = "", **kw: Any) -> Recording:
        """A recording for ``path`` under data root ``root``, with its stable id."""
        rel = relative_path(path, root)
        return cls(id=recording_id(label, rel), path=str(Path(path).absolute()), relpath=rel,
                   label=label, **kw)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recording:
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        extra = dict(known.pop("extra", None) or {})
        extra.update({k: v for k, v in data.items() if k not in names})
        for key in ("id", "path", "relpath"):
            if key not in known:
                raise DataError(f"manifest entry is missing '{key}': {json.dumps(data)[:200]}")
        return cls(**known, extra=extra)


def relative_path(path: str | Path, root: str | Path) -> str:
    """``path`` relative to ``root`` in POSIX form; the absolute POSIX path if it is outside."""
    p = Path(path).absolute()
    r = Path(root).absolute()
    try:
        return p.relative_to(r).as_posix()
    except ValueError:
        return p.as_posix()


def _plain(v: Any) -> Any:
    """JSON-safe value: numpy scalars to Python, non-finite floats to ``None``."""
    if hasattr(v, "item") and callable(v.item) and not isinstance(v, (dict, list, str)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Path):
        return str(v)
    return v


@dataclass
class Manifest:
    """A list of recordings and the data root their ``relpath`` is relative to."""

    records: list[Recording]
    root: str

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)


def write_jsonl(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write one JSON object per line to a temporary name, then rename (never a torn file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(_plain(row), ensure_ascii=False) + "\n")
    tmp.replace(p)


def read_jsonl_rows(path: str | Path) -> list[dict[str, Any]]:
    """Objects of a JSONL file; a malformed line raises DataError with its line number."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"file not found: {p}")
    rows = []
    with p.open("r", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}, line {n}: not valid JSON ({exc.msg}); "
                                "each line must be one JSON object") from None
            if not isinstance(row, dict):
                raise DataError(f"{p}, line {n}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return rows


def write_manifest(path: str | Path, recs: list[Recording] | Manifest) -> None:
    """Write recordings as JSONL, one ``Recording.to_dict()`` per line (atomic)."""
    write_jsonl(path, [r.to_dict() for r in recs])


def read_manifest(path: str | Path) -> list[Recording]:
    """Read the recordings written by :func:`write_manifest`."""
    return [Recording.from_dict(row) for row in read_jsonl_rows(path)]


def write_json(path: str | Path, obj: Any) -> None:
    """Pretty JSON written to a temporary name, then renamed."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(_plain(obj), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(p)


__all__ = ["Recording", "Manifest", "recording_id", "slugify", "relative_path", "write_manifest",
           "read_manifest", "write_jsonl", "read_jsonl_rows", "write_json"]
