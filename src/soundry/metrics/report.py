"""The evaluation report: ``report.html`` (self-contained) and ``metrics.json`` in one folder.

The page has a summary (means of every numeric column), then one table row per evaluated
item -- typically (source speaker, utterance, target voice) -- with its metrics, audio players
and spectrograms. Audio and images are linked by relative paths inside the folder, so the
folder can be zipped, moved or served as it is; the page loads nothing from the internet.
Every string from the caller is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import math
import numbers
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from soundry.audio import load_audio
from soundry.errors import DataError
from soundry.metrics.spectrogram import spectrogram_png

KEY_COLUMNS = ("source_speaker", "utterance", "target_voice")
_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0 0 6px 0; } figcaption { font-size: 0.85em; color: #555; }
img { display: block; max-width: 480px; image-rendering: pixelated; } audio { width: 300px; }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _is_number(v: Any) -> bool:
    # numbers.Real covers Python and numpy scalars; bools are shown as yes/no instead.
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _fmt(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if _is_number(v):
        f = float(v)
        if math.isnan(f):
            return "n/a"
        if isinstance(v, numbers.Integral):
            return str(int(v))
        return f"{f:.1f}" if abs(f) >= 100 else f"{f:.3f}"
    return str(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, str):
        return None if v is None else (v if isinstance(v, str) else bool(v))
    if _is_number(v):
        f = float(v)
        return int(v) if isinstance(v, numbers.Integral) else (f if math.isfinite(f) else None)
    return str(v)


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: list[str] = [k for k in KEY_COLUMNS if any(k in r for r in rows)]
    for r in rows:
        seen += [str(k) for k in r if str(k) not in seen]
    return seen


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean of each numeric column over the rows where it is finite (NaN if none is)."""
    out: dict[str, float] = {}
    for col in _columns(rows):
        values = [float(r[col]) for r in rows if col in r and _is_number(r[col])]
        if values:
            finite = [v for v in values if math.isfinite(v)]
            out[col] = sum(finite) / len(finite) if finite else math.nan
    return out


def _place(path: str | os.PathLike, out_dir: Path) -> str:
    """Relative POSIX path of ``path`` inside ``out_dir``; copies it in if it lies outside."""
    p = Path(path)
    p = (out_dir / p if not p.is_absolute() else p).resolve()
    if not p.is_file():
        raise DataError(f"The evaluation audio file {p} does not exist.")
    try:
        return p.relative_to(out_dir).as_posix()
    except ValueError:
        target, n = out_dir / p.name, 1
        while target.exists() and not target.samefile(p):
            target, n = out_dir / f"{p.stem}-{n}{p.suffix}", n + 1
        shutil.copy2(p, target)  # copied, never moved: the caller's file stays where it was
        return target.name


def _media_cell(files: Mapping[str, Any], out_dir: Path, spectrograms: bool) -> tuple[str, dict]:
    parts, placed = [], {}
    for label, path in files.items():
        rel = _place(path, out_dir)
        placed[str(label)] = rel
        img = ""
        if spectrograms:
            png = Path(rel).with_suffix(".png").as_posix()
            audio, sr = load_audio(out_dir / rel)
            spectrogram_png(audio, sr, out_dir / png, title=f"{label}: {rel}")
            img = f'<img src="{_esc(quote(png))}" alt="{_esc(f"spectrogram of {label}")}">'
        parts.append(f'<figure><figcaption>{_esc(label)}</figcaption>'
                     f'<audio controls preload="none" src="{_esc(quote(rel))}"></audio>{img}</figure>')
    return "".join(parts), placed


def _table(header: Sequence[str], body: Sequence[Sequence[tuple[str, bool]]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f'<td{" class=num" if num else ""}>{cell}</td>'
                                    for cell, num in row) + "</tr>" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def write_eval_report(out_dir: str | os.PathLike, rows: Sequence[Mapping[str, Any]],
                      audio_files: Sequence[Mapping[str, Any] | None] | None = None,
                      title: str = "soundry evaluation", summary: Mapping[str, Any] | None = None,
                      notes: Sequence[str] = (), spectrograms: bool = True) -> Path:
    """Write ``out_dir/report.html`` and ``out_dir/metrics.json``; return the HTML path.

    ``rows``: one dict per item, e.g. ``{"source_speaker": "arthur", "utterance": "u1",
    "target_voice": "clara", "f0_corr": 0.93, "spk_sim": 0.81, "dnsmos_ovrl": 2.9}``;
    ``KEY_COLUMNS`` come first, other columns in first-seen order. ``audio_files``: one mapping
    per row (or None), label -> audio file, e.g. ``{"input": "u1.wav", "output":
    "u1-to-clara.wav"}``; relative paths are taken inside ``out_dir`` and files elsewhere are
    copied in, so the page's relative links always work. With ``spectrograms`` a PNG is drawn
    next to each audio file. ``summary``: figures for the top of the page (default: the mean
    of every numeric column); ``notes``: lines of text shown under the title.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [dict(r) for r in rows]
    if audio_files is not None and len(audio_files) != len(rows):
        raise DataError(f"write_eval_report got {len(rows)} rows but {len(audio_files)} audio entries.")
    summary = dict(summarize(rows) if summary is None else summary)
    columns = _columns(rows)
    body, placed_all = [], []
    for i, row in enumerate(rows):
        cells = [(_esc(_fmt(row[c])) if c in row else "", _is_number(row.get(c))) for c in columns]
        files = audio_files[i] if audio_files is not None else None
        if audio_files is not None:
            media, placed = _media_cell(files or {}, out_dir, spectrograms)
            cells.append((media, False))
            placed_all.append(placed)
        body.append(cells)
    header = columns + (["audio"] if audio_files is not None else [])
    page = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_esc(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{_esc(title)}</h1>"]
    page += [f"<p>{_esc(n)}</p>" for n in notes]
    if summary:
        page.append("<h2>Summary</h2>" + _table(
            ["measure", "value"], [[(_esc(k), False), (_esc(_fmt(v)), _is_number(v))]
                                   for k, v in summary.items()]))
    page.append(f"<h2>Items ({len(rows)})</h2>" + _table(header, body) + "</body></html>\n")
    record = {"title": title, "summary": summary, "notes": list(notes), "rows": rows}
    if audio_files is not None:
        record["audio"] = placed_all
    _write_text(out_dir / "metrics.json", json.dumps(_jsonable(record), indent=1, ensure_ascii=False))
    return _write_text(out_dir / "report.html", "".join(page))


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
