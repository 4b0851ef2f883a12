"""Per-voice facts from the prepared data: f0 labels (cached), average pitch, reference clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from soundry.features import (FeatureStore, compute_features, estimate_pitch, make_header,
                              mean_pitch_midi, store_dir_for)

PITCH_PARAMS = {"hop_s": 0.01, "fmin": 50.0, "fmax": 1100.0, "sample_rate": 16000}


def pitch_store(data, method: str = "harvest", progress: bool = False) -> FeatureStore:
    """f0 (Hz, 0 = unvoiced) of every segment on the 10 ms grid (``ceil(T / 160)`` frames, frame
    ``i`` centred on sample ``160 i``), computed once with pyworld into ``PREPARED/features/``."""
    params = {"method": method, **PITCH_PARAMS}
    folder = store_dir_for(Path(data.root) / "features", "vc-pitch", params)

    def fn(seg):
        wave = data.audio(seg, 16000)[0]
        return {"f0": estimate_pitch(wave, 16000, hop_s=0.01, method=method, fmin=50.0, fmax=1100.0)}

    header = make_header("soundry.features.estimate_pitch", params, sample_rate=16000, hop_samples=160)
    workers = 1 if len(data.segments) < 32 else 0
    compute_features(data.segments, fn, folder, header, workers=workers, progress=progress)
    return FeatureStore(folder)


def average_pitches(store: FeatureStore, segments: list, voices: list[str]) -> list[float]:
    """MIDI note of each voice's mean voiced f0 over its segments (NaN-free: 0.0 if never voiced)."""
    out = []
    for voice in voices:
        tracks = [store.get(s.id, "f0") for s in segments if s.label == voice]
        value = mean_pitch_midi(tracks) if tracks else float("nan")
        out.append(round(float(value), 2) if np.isfinite(value) else 0.0)
    return out


def voice_segments(segments: list, voice: str, limit_s: float) -> list:
    """The first segments of ``voice`` (in order) until ``limit_s`` seconds are covered."""
    chosen, total = [], 0.0
    for seg in segments:
        if seg.label == voice and total < limit_s:
            chosen.append(seg)
            total += float(seg.duration)
    return chosen
