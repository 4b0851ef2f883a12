"""Shared input handling for the metrics: any mono/multichannel array -> mono float32 at a rate."""

from __future__ import annotations

import numpy as np

from soundry.audio import resample, to_mono
from soundry.errors import AudioError


def mono_at(audio: np.ndarray, sample_rate: int, target_rate: int, what: str = "audio") -> np.ndarray:
    """``(T,)``, ``(1, T)`` or ``(C, T)`` audio at ``sample_rate`` Hz -> ``(T',)`` float32 at
    ``target_rate`` Hz (channels mixed down first). Raises AudioError for other shapes, a
    non-positive rate, or NaN / infinite samples."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 2 and x.shape[0] > 1:
        x = to_mono(x)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 1:
        raise AudioError(f"{what} must have shape (T,) or (C, T), got {x.shape}.")
    if int(sample_rate) <= 0:
        raise AudioError(f"{what}: sample rate must be a positive number of Hz, got {sample_rate}.")
    if not np.all(np.isfinite(x)):
        raise AudioError(f"{what} contains NaN or infinite samples.")
    if int(sample_rate) != int(target_rate):
        x = resample(x, int(sample_rate), int(target_rate))
    return np.ascontiguousarray(x, dtype=np.float32)
