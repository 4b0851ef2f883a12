"""The conditioning every recipe's data gets, shared by preparation and by runtimes.

A model trained on conditioned segments must see the same conditioning at run time, or a file
that is 10 dB louder than the training level is, to the model, a different sound.
"""

from __future__ import annotations

import numpy as np

from .dsp import highpass, to_mono
from .level import normalize_loudness, normalize_peak


def condition(audio: np.ndarray, sample_rate: int, highpass_hz: float = 48.0,
              loudness_lufs: float | None = -23.0, peak_db: float = -1.0) -> np.ndarray:
    """Mono ``(1, T)``, causal high-pass at ``highpass_hz`` (0 = off), then loudness normalisation
    of the whole signal to ``loudness_lufs`` (None = peak normalisation to ``peak_db``) with a
    ``peak_db`` ceiling."""
    x = to_mono(np.asarray(audio, dtype=np.float32).reshape(-1, np.shape(audio)[-1]))
    if 0 < highpass_hz < sample_rate / 2:
        x = highpass(x, sample_rate, highpass_hz)
    if loudness_lufs is None:
        return normalize_peak(x, peak_db)
    return normalize_loudness(x, sample_rate, loudness_lufs, peak_db)
