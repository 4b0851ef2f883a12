"""``DataConfig``: the ``data`` section of every recipe config, and readiness thresholds.

Defaults follow the RVC/Applio preprocessing that users know (48 Hz causal high-pass, a
silence slicer at -42 dBFS, 3.7 s segments with 0.3 s overlap) with loudness normalisation
to -23 LUFS instead of plain peak normalisation. Output is always mono.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal


@dataclass
class Readiness:
    """Thresholds a label must meet to count as ready for training.

    ``min_files`` accepted files and ``min_minutes`` kept minutes (after silence removal) per
    label, a duration-weighted mean quality of at least ``min_quality`` (0..1), and at least
    ``min_labels`` ready labels overall.
    """

    min_labels: int = 1
    min_files: int = 1
    min_minutes: float = 0.0
    min_quality: float = 0.0


@dataclass
class DataConfig:
    """How ``prepare`` validates and preprocesses a data source.

    Levels are dBFS, times seconds, rates Hz. ``loudness_lufs=None`` normalises the peak only.
    ``slice=False`` keeps every file whole as one segment (classification clips, TTS utterances
    whose transcript must stay aligned). ``workers=0`` uses every core.
    """

    sample_rates: list[int] = field(default_factory=lambda: [16000])
    highpass_hz: float = 48.0              # 0 disables the high-pass
    loudness_lufs: float | None = -23.0
    peak_db: float = -1.0
    slice: bool = True
    silence_db: float = -42.0
    min_length_s: float = 1.5
    min_interval_s: float = 0.4
    hop_s: float = 0.015
    max_silence_kept_s: float = 0.5
    max_segment_s: float = 3.7
    overlap_s: float = 0.3
    min_segment_s: float = 0.5
    vad: Literal["none", "silero"] = "none"
    # validation
    min_file_s: float = 0.2
    max_rate: int = 192000
    min_rate: int = 8000
    silent_peak_db: float = -60.0
    clip_fraction_warn: float = 0.001
    # tables
    path_column: str = "path"
    label_column: str = "label"
    # splits
    val_fraction: float = 0.1
    split_seed: int = 0
    workers: int = 0
    readiness: Readiness = field(default_factory=Readiness)

    def worker_count(self) -> int:
        """Processes to use: ``workers``, or every core when 0."""
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)

    def preprocess_params(self) -> dict:
        """The parameters that change the content of prepared segments (the cache key).

        Validation thresholds, table columns, workers and split settings are left out on
        purpose: changing them must not recompute any audio. Sample rates are left out too:
        each rate has its own cache folder, so adding one only writes the new rate.
        """
        keys = ["highpass_hz", "loudness_lufs", "peak_db", "slice"]
        if self.slice:
            keys += ["vad", "silence_db", "min_length_s", "min_interval_s", "hop_s", "max_silence_kept_s",
                     "max_segment_s", "overlap_s", "min_segment_s"]
        return {k: getattr(self, k) for k in keys}


__all__ = ["Readiness", "DataConfig"]
