"""Data sources: a folder of label sub-folders, a CSV table, a TTS JSONL manifest, a DataFrame.

Every reader returns a :class:`SourceScan` (recordings, warnings, root) and only reads: nothing
under the data root is ever written. Files are not decoded here; validation does that once.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soundry.audio import AUDIO_EXTENSIONS
from soundry.data.records import Recording, read_jsonl_rows
from soundry.errors import DataError

SIDECAR_EXTENSIONS = (".txt", ".lab")
_LAYOUT_HINT = "put each speaker's/class's files in {root}/<label>/ (one sub-folder per label)"
_JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
# Table columns that map onto Recording fields; everything else goes to Recording.extra.
_TEXT_COLUMNS = ("transcript", "text")


@dataclass
class SourceScan:
    """What a source holds: ``records`` to validate, ``warnings`` (dicts with ``path`` relative
    to ``root`` and ``reason``), and the data ``root`` (absolute) that relpaths refer to."""

    records: list[Recording]
    warnings: list[dict[str, str]] = field(default_factory=list)
    root: str = ""
    kind: str = "folder"


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in _JUNK_NAMES


def _is_audio_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS


def _read_sidecar(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace").strip()


def scan_folder(root: str | Path) -> SourceScan:
    """Scan ``root/<label>/**/<file>``: one sub-folder per label, files nested at any depth.

    Transcripts come from a sidecar ``<stem>.txt`` or ``<stem>.lab`` beside the audio file.
    Hidden files and folders are ignored. An audio file directly in ``root`` gives a warning
    (it has no label). Any other file in a label folder that is not a sidecar becomes a record
    so that validation reports it as "not audio" instead of dropping it silently.
    Raises DataError for a missing or empty folder, or one without label sub-folders.
    """
    base = Path(root).expanduser().absolute()
    if not base.exists():
        raise DataError(f"data folder not found: {base}")
    if not base.is_dir():
        raise DataError(f"{base} is not a folder; give a folder, a .csv or a .jsonl file")
    entries = sorted((e for e in os.scandir(base) if not _hidden(e.name)), key=lambda e: e.name)
    if not entries:
        raise DataError(f"data folder {base} is empty: " + _LAYOUT_HINT.format(root=base))
    label_dirs = [e for e in entries if e.is_dir()]
    warnings = [{"path": e.name, "reason": "file at the data root: move it into a folder named "
                 "after its label/speaker"} for e in entries if e.is_file() and _is_audio_name(e.name)]
    if not label_dirs:
        raise DataError(f"data folder {base} has no label sub-folders, only files: "
                        + _LAYOUT_HINT.format(root=base))
    records: list[Recording] = []
    for entry in label_dirs:
        found = _scan_label(base, Path(entry.path), entry.name)
        if not found:
            warnings.append({"path": entry.name + "/", "reason": "label folder has no files"})
        records.extend(found)
    if not any(_is_audio_name(r.relpath) for r in records):
        exts = ", ".join(sorted(AUDIO_EXTENSIONS))
        raise DataError(f"no audio files found under {base} (looked for {exts}): "
                        + _LAYOUT_HINT.format(root=base))
    return SourceScan(records=records, warnings=warnings, root=str(base), kind="folder")


def _scan_label(base: Path, folder: Path, label: str) -> list[Recording]:
    records = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        names = sorted(f for f in filenames if not _hidden(f))
        audio_stems = {os.path.splitext(f)[0] for f in names if _is_audio_name(f)}
        for name in names:
            stem, ext = os.path.splitext(name)
            if ext.lower() in SIDECAR_EXTENSIONS and stem in audio_stems:
                continue
            path = Path(dirpath) / name
            transcript = None
            if _is_audio_name(name):
                for side in SIDECAR_EXTENSIONS:
                    if (Path(dirpath) / (stem + side)).is_file():
                        transcript = _read_sidecar(Path(dirpath) / (stem + side))
                        break
            records.append(Recording.make(path, base, label=label, transcript=transcript))
    return records


# ---------------------------------------------------------------- tables

def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _number(value: Any, kind: type) -> Any:
    """``value`` as int/float, or None when it is missing or not a number."""
    try:
        return None if value is None else kind(float(value))
    except (TypeError, ValueError):
        return None


def _clean(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str):
        value = value.item()
    return None if _missing(value) else value


def _rows_to_records(rows: list[dict[str, Any]], columns: list[str], where: str, path_column: str,
                     label_column: str | None, root: Path, kind: str) -> SourceScan:
    if path_column not in columns or (label_column and label_column not in columns):
        need = [c for c in (path_column, label_column) if c and c not in columns]
        raise DataError(f"{where} has no column {', '.join(repr(c) for c in need)}; its columns are: "
                        f"{', '.join(map(str, columns)) or 'none'}. Name the right ones with "
                        "path_column=/label_column= (data.path_column, data.label_column)")
    records, warnings = [], []
    for n, raw in enumerate(rows, 1):
        row = {str(k): _clean(v) for k, v in raw.items()}
        ref = row.pop(path_column, None)
        if ref is None:
            warnings.append({"path": f"{where}, row {n}", "reason": f"empty '{path_column}'"})
            continue
        p = Path(os.path.expanduser(str(ref)))
        path = p if p.is_absolute() else root / p
        label = "" if not label_column else str(row.pop(label_column, None) or "")
        text = next((row.pop(c) for c in _TEXT_COLUMNS if row.get(c) is not None), None)
        for c in _TEXT_COLUMNS:
            row.pop(c, None)
        speaker = row.pop("speaker", None)
        rate = row.pop("sample_rate", None)
        duration = row.pop("duration", None)
        split = row.pop("split", None)
        rec = Recording.make(
            path, root, label=label,
            transcript=None if text is None else str(text),
            language=None if row.get("language") is None else str(row.pop("language")),
            duration=_number(duration, float),
            sample_rate=_number(rate, int),
            speaker=str(speaker) if speaker is not None else (label or None),
            split=None if split is None else str(split).strip().lower(),
            extra={k: v for k, v in row.items() if v is not None})
        records.append(rec)
    if not records:
        raise DataError(f"{where} lists no files")
    return SourceScan(records=records, warnings=warnings, root=str(root), kind=kind)


def from_dataframe(df: Any, path_column: str = "path", label_column: str | None = "label",
                   root: str | Path | None = None) -> SourceScan:
    """Recordings from a pandas DataFrame: one row per file.

    Relative paths resolve against ``root`` (default: the current folder). ``label_column=None``
    (or ``""``) reads a table without labels. Columns ``transcript``/``text``, ``speaker``,
    ``language``, ``duration``, ``sample_rate`` and ``split`` fill those fields; any other
    column is kept in ``Recording.extra`` (for example ESC-50's ``fold``).
    """
    base = Path(root).expanduser().absolute() if root is not None else Path.cwd()
    columns = [str(c) for c in df.columns]
    rows = df.to_dict(orient="records")
    return _rows_to_records(rows, columns, "the DataFrame", path_column, label_column or None, base,
                            "dataframe")


def read_csv(path: str | Path, path_column: str = "path", label_column: str | None = "label",
             root: str | Path | None = None) -> SourceScan:
    """Recordings from a CSV (or ``.tsv``) table; relative paths resolve against ``root``,
    by default the folder that holds the table. See :func:`from_dataframe` for the columns."""
    import pandas as pd

    p = Path(path).expanduser().absolute()
    if not p.is_file():
        raise DataError(f"table not found: {p}")
    try:
        df = pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",", dtype=object,
                         keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read table {p}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    base = Path(root).expanduser().absolute() if root is not None else p.parent
    return _rows_to_records(df.to_dict(orient="records"), [str(c) for c in df.columns], str(p),
                            path_column, label_column or None, base, "csv")


def read_jsonl(path: str | Path, root: str | Path | None = None) -> SourceScan:
    """Recordings from a TTS manifest: one JSON object per line with ``wav_path`` (or ``path``,
    ``audio_filepath``), ``transcript`` (or ``text``), ``language``, ``duration`` (s),
    ``sample_rate`` (Hz) and an optional ``speaker``. The label is the speaker, or ``""``.
    Relative paths resolve against ``root``, by default the manifest's folder."""
    p = Path(path).expanduser().absolute()
    if not p.is_file():
        raise DataError(f"manifest not found: {p}")
    rows = read_jsonl_rows(p)
    if not rows:
        raise DataError(f"manifest {p} is empty")
    for row in rows:
        for alias in ("wav_path", "audio_filepath", "audio_path"):
            if alias in row and "path" not in row:
                row["path"] = row.pop(alias)
        row["label"] = str(row.get("speaker") or "")
    columns = sorted({k for row in rows for k in row})
    base = Path(root).expanduser().absolute() if root is not None else p.parent
    return _rows_to_records(rows, columns, str(p), "path", "label", base, "jsonl")


def open_source(source: Any, path_column: str = "path", label_column: str | None = "label",
                root: str | Path | None = None) -> SourceScan:
    """Open any supported source: a folder, a ``.csv``/``.tsv``, a ``.jsonl``, a DataFrame, or an
    existing :class:`SourceScan` (returned as is)."""
    if isinstance(source, SourceScan):
        return source
    if hasattr(source, "columns") and hasattr(source, "to_dict"):
        return from_dataframe(source, path_column, label_column, root)
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(f"cannot use {type(source).__name__} as a data source; give a folder, "
                        "a .csv, a .jsonl or a pandas DataFrame")
    p = Path(source).expanduser()
    if not p.exists():
        raise DataError(f"data source not found: {p.absolute()}")
    if p.is_dir():
        return scan_folder(p)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return read_csv(p, path_column, label_column, root)
    if suffix in (".jsonl", ".json"):
        return read_jsonl(p, root)
    raise DataError(f"cannot use {p} as a data source: give a folder of label sub-folders, "
                    "a .csv table or a .jsonl manifest")


__all__ = ["SourceScan", "scan_folder", "read_csv", "read_jsonl", "from_dataframe", "open_source",
           "SIDECAR_EXTENSIONS"]
