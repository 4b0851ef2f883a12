"""Reading a prepared data folder: segments, labels, report and segment audio."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from soundry.data.records import Recording, read_jsonl_rows, read_manifest
from soundry.errors import DataError

PREPARED_FILES = ("prepared.json", "report.json", "manifest.jsonl", "segments.jsonl")


@dataclass
class Segment:
    """One training segment: ``start``/``end``/``duration`` in seconds of the source recording;
    ``files`` maps a sample rate (Hz, as a string key like ``"16000"``) to a wav path relative
    to the prepared folder. ``transcript`` is set only when the segment is the whole recording."""

    id: str
    recording_id: str
    label: str
    start: float
    end: float
    duration: float
    files: dict[str, str]
    transcript: str | None = None
    speaker: str | None = None
    language: str | None = None
    split: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class PreparedData:
    """What :func:`soundry.data.prepare` wrote to ``root``.

    ``segments`` (list of :class:`Segment`), ``labels`` (sorted, labels with at least one
    segment), ``recordings`` (accepted recordings), ``report`` and ``info`` (the dicts of
    ``report.json`` and ``prepared.json``), ``sample_rates`` (Hz).
    """

    def __init__(self, root: Path, segments: list[Segment], recordings: list[Recording],
                 report: dict, info: dict):
        self.root = root
        self.segments = segments
        self.recordings = recordings
        self.report = report
        self.info = info
        self.sample_rates = [int(r) for r in info.get("params", {}).get("sample_rates", [])]
        self.labels = sorted({s.label for s in segments})
        self._by_id = {s.id: s for s in segments}

    @classmethod
    def load(cls, out_dir: str | Path) -> PreparedData:
        """Read a prepared folder; DataError when ``out_dir`` is not one (or is incomplete)."""
        root = Path(out_dir).expanduser().absolute()
        missing = [n for n in PREPARED_FILES if not (root / n).is_file()]
        if missing:
            raise DataError(f"{root} is not a prepared data folder (missing {', '.join(missing)}): "
                            "run `soundry prepare DATA OUT` and pass OUT")
        try:
            info = json.loads((root / "prepared.json").read_text(encoding="utf-8"))
            report = json.loads((root / "report.json").read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DataError(f"{root}: prepared.json or report.json is corrupt ({exc}); "
                            "run prepare again") from None
        segments = [Segment.from_dict(r) for r in read_jsonl_rows(root / "segments.jsonl")]
        return cls(root, segments, read_manifest(root / "manifest.jsonl"), report, info)

    def __len__(self) -> int:
        return len(self.segments)

    def segment(self, segment_id: str) -> Segment:
        try:
            return self._by_id[segment_id]
        except KeyError:
            raise DataError(f"no segment '{segment_id}' in {self.root}") from None

    def path(self, segment: Segment | dict | str, rate: int | None = None) -> Path:
        """Absolute wav path of ``segment`` at ``rate`` Hz (default: the first prepared rate)."""
        seg = self.segment(segment) if isinstance(segment, str) else segment
        files = seg.files if isinstance(seg, Segment) else seg["files"]
        key = str(rate if rate is not None else (self.sample_rates or [next(iter(files))])[0])
        if key not in files:
            raise DataError(f"segments were not prepared at {key} Hz (prepared rates: "
                            f"{', '.join(files) or 'none'}); add it to data.sample_rates and "
                            "run prepare again (only the new rate is computed)")
        return self.root / files[key]

    def audio(self, segment: Segment | dict | str, rate: int | None = None) -> np.ndarray:
        """Samples of ``segment`` at ``rate`` Hz as float32 ``(1, T)``."""
        import soundfile as sf

        path = self.path(segment, rate)
        try:
            data, _ = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise DataError(f"cannot read prepared segment {path} ({exc}); the cache is damaged: "
                            "run prepare again to rebuild it") from None
        return np.ascontiguousarray(data.T[:1])

    def label_index(self) -> dict[str, int]:
        """Label -> class index in sorted label order (stable for a given label set)."""
        return {label: i for i, label in enumerate(self.labels)}


__all__ = ["Segment", "PreparedData", "PREPARED_FILES"]
