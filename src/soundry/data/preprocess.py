"""Per-file work of ``prepare``: hash, decode, validate and preprocess in one pass.

Cache layout under ``OUT/cache/`` (all keyed by content, so renaming or moving a source file
re-uses its work, and identical files are processed once)::

    files/<content>.json                      measurements (validation), any parameters
    <params>/<content>/spans.json             segment spans in source samples + accounting
    <params>/<content>/<rate>/seg-000.wav     16-bit mono segments at each sample rate
    <params>/<content>/<rate>/done.json       written last: the rate is complete

``<content>`` is the start of the sha1 of the file's bytes; ``<params>`` hashes only the
parameters that change segment audio (:meth:`DataConfig.preprocess_params`). Sample rates are
sub-folders, so adding a rate writes only that rate, and changing a validation threshold
writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from soundry.audio import (AUDIO_EXTENSIONS, find_speech, load_audio, partition_spans, resample,
                           save_audio)
from soundry.audio import condition as condition_audio
from soundry.data.config import DataConfig
from soundry.data.records import write_json
from soundry.data.validate import (ANALYSIS_VERSION, MOSTLY_SILENCE, classify, looks_like_audio,
                                   measure)
from soundry.errors import AudioError

#: Bumped when preprocessing changes its output for the same parameters.
PREPROCESS_VERSION = 1


@dataclass
class FileResult:
    """What happened to one file. Times are seconds of the source file; ``segments`` are
    ``(start, end)`` seconds; ``files`` maps rate (Hz) to segment paths relative to OUT."""

    index: int
    status: str = "ok"                    # "ok" or "skipped"
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    content_hash: str | None = None
    measures: dict[str, Any] = field(default_factory=dict)
    segments: list[tuple[float, float]] = field(default_factory=list)
    files: dict[int, list[str]] = field(default_factory=dict)
    kept_s: float = 0.0
    dropped_silence_s: float = 0.0
    dropped_short_s: float = 0.0
    decoded: bool = False
    written_rates: list[int] = field(default_factory=list)


def params_key(cfg: DataConfig) -> str:
    """Cache folder name for ``cfg``'s audio-changing parameters: ``p-<12 hex>``."""
    blob = json.dumps({"v": PREPROCESS_VERSION, **cfg.preprocess_params()}, sort_keys=True)
    return "p-" + hashlib.sha1(blob.encode()).hexdigest()[:12]


def content_hash(path: Path) -> str:
    """First 24 hex digits of the sha1 of the file's bytes."""
    h = hashlib.sha1()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:24]


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _precheck(path: Path) -> str | None:
    """A skip reason found without decoding, or None."""
    if not path.exists():
        return "missing: file not found"
    if not path.is_file():
        return "not audio: not a regular file"
    if path.stat().st_size == 0:
        return "empty: 0 bytes"
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        with path.open("rb") as fh:
            if not looks_like_audio(fh.read(16)):
                return f"not audio: '{path.suffix or path.name}' is not an audio file type"
    return None


def _decode(path: Path) -> tuple[np.ndarray | None, int, str | None]:
    try:
        audio, rate = load_audio(path)
        return audio, rate, None
    except AudioError as exc:
        with path.open("rb") as fh:
            head = fh.read(16)
        if not looks_like_audio(head):
            return None, 0, "not audio: the content is not a known audio format"
        return None, 0, "unreadable: " + str(exc).replace(str(path) + ": ", "")


def condition(audio: np.ndarray, sample_rate: int, cfg: DataConfig) -> np.ndarray:
    """Mono ``(1, T)``, causal high-pass, then loudness (or peak) normalisation of the whole file."""
    return condition_audio(audio, sample_rate, cfg.highpass_hz, cfg.loudness_lufs, cfg.peak_db)


def _speech_spans(x: np.ndarray, sample_rate: int, cfg: DataConfig) -> list[tuple[int, int]]:
    if cfg.vad == "silero":
        from soundry.data.vad import silero_spans

        return silero_spans(x[0], sample_rate, min_interval_s=cfg.min_interval_s,
                            pad_s=cfg.max_silence_kept_s)
    return find_speech(x[0], sample_rate, threshold_db=cfg.silence_db, min_length=cfg.min_length_s,
                       min_interval=cfg.min_interval_s, hop_s=cfg.hop_s,
                       max_silence_kept=cfg.max_silence_kept_s)


def plan_segments(x: np.ndarray, sample_rate: int, cfg: DataConfig) -> dict:
    """Segment spans of conditioned audio ``(1, T)`` and where every second went.

    Returns ``{"spans": [[start, end], ...] (samples), "kept_s", "dropped_silence_s",
    "dropped_short_s", "silence_fraction"}`` with ``kept + dropped_silence + dropped_short``
    equal to the file's duration (overlapping segments are counted once).
    """
    n = x.shape[-1]
    if not cfg.slice:
        spans, dropped = [(0, n)], []
        speech = [(0, n)]
    else:
        speech = _speech_spans(x, sample_rate, cfg)
        spans, dropped = partition_spans(speech, sample_rate, cfg.max_segment_s, cfg.overlap_s,
                                         cfg.min_segment_s)
    covered = np.zeros(n, dtype=bool)
    for s, e in spans:
        covered[s:e] = True
    kept = int(covered.sum())
    short = int(sum(e - s for s, e in dropped))
    return {"spans": [[int(s), int(e)] for s, e in spans], "kept_s": kept / sample_rate,
            "dropped_short_s": short / sample_rate,
            "dropped_silence_s": (n - kept - short) / sample_rate,
            "silence_fraction": (n - sum(e - s for s, e in speech)) / n if n else 0.0}


def _write_rate(x: np.ndarray, sample_rate: int, spans: list, rate: int, folder: Path) -> list[str]:
    y = resample(x, sample_rate, rate) if rate != sample_rate else x
    names = []
    for i, (s, e) in enumerate(spans):
        a, b = int(round(s * rate / sample_rate)), int(round(e * rate / sample_rate))
        name = f"seg-{i:03d}.wav"
        save_audio(folder / name, y[:, a:b], rate, subtype="PCM_16")
        names.append(name)
    write_json(folder / "done.json", {"rate": rate, "files": names})
    return names


def process_file(index: int, path: str, cfg: DataConfig, out_dir: str) -> FileResult:
    """Validate and preprocess one file into ``out_dir/cache``; never raises for a bad file.

    Any unexpected exception becomes a skip whose reason names it, so one strange file can
    never stop a whole ``prepare``.
    """
    try:
        return _process(index, Path(path), cfg, Path(out_dir))
    except Exception as exc:  # noqa: BLE001 - a bad file must not end the run
        return FileResult(index, status="skipped",
                          reason=f"unreadable: {type(exc).__name__}: {str(exc)[:200]}")


def _process(index: int, path: Path, cfg: DataConfig, out: Path) -> FileResult:
    res = FileResult(index)
    res.reason = _precheck(path)
    if res.reason:
        res.status = "skipped"
        return res
    res.content_hash = key = content_hash(path)
    cache = out / "cache"
    info_path = cache / "files" / f"{key}.json"
    audio = None
    info = _read_json(info_path)
    if info is None or info.get("version") != ANALYSIS_VERSION:
        audio, rate, err = _decode(path)
        res.decoded = True
        if err:
            res.status, res.reason = "skipped", err
            return res
        info = measure(audio, rate)
        write_json(info_path, info)
    res.measures = info
    res.reason, res.warnings = classify(info, cfg)
    if res.reason:
        res.status = "skipped"
        return res
    rate = int(info["sample_rate"])
    folder = cache / params_key(cfg) / key
    plan = _read_json(folder / "spans.json")
    missing = [r for r in cfg.sample_rates if _read_json(folder / str(r) / "done.json") is None]
    if plan is None or missing:
        if audio is None:
            audio, rate, err = _decode(path)
            res.decoded = True
            if err:
                res.status, res.reason = "skipped", err
                return res
        x = condition(audio, rate, cfg)
        if plan is None:
            plan = plan_segments(x, rate, cfg)
            write_json(folder / "spans.json", plan)
        for r in missing:
            _write_rate(x, rate, plan["spans"], int(r), folder / str(r))
        res.written_rates = [int(r) for r in missing]
    rel = folder.relative_to(out).as_posix()
    for r in cfg.sample_rates:
        done = _read_json(folder / str(r) / "done.json") or {"files": []}
        res.files[int(r)] = [f"{rel}/{r}/{name}" for name in done["files"]]
    res.segments = [(s / rate, e / rate) for s, e in plan["spans"]]
    res.kept_s, res.dropped_silence_s = plan["kept_s"], plan["dropped_silence_s"]
    res.dropped_short_s = plan["dropped_short_s"]
    if cfg.slice and plan["silence_fraction"] > MOSTLY_SILENCE:
        res.warnings.append(f"mostly silence: {100 * plan['silence_fraction']:.0f}% below "
                            f"{cfg.silence_db:.0f} dBFS was removed")
    return res


__all__ = ["FileResult", "process_file", "params_key", "content_hash", "condition",
           "plan_segments", "PREPROCESS_VERSION"]
