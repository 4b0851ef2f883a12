"""The frame convention shared by every frame-level feature in soundry.

For ``T`` samples at hop ``H`` samples there are ``ceil(T / H)`` frames, and frame ``i`` is
centred on sample ``i * H`` (time ``i * H / sample_rate`` seconds). Analysis windows reach past
the ends of the signal, which count as zeros. So a segment of exactly ``n * H`` samples gives
``n`` frames, matching a strided (causal) model with stride ``H`` and the pitch/loudness labels
line up with each other frame for frame.
"""

from __future__ import annotations

import numpy as np

from soundry.errors import AudioError


def hop_samples_for(sample_rate: int, hop_s: float) -> int:
    """Hop in whole samples for ``hop_s`` seconds at ``sample_rate`` Hz (rounded, at least 1)."""
    if sample_rate <= 0:
        raise AudioError(f"sample_rate must be positive, got {sample_rate}.")
    if not hop_s > 0:
        raise AudioError(f"hop_s must be positive seconds, got {hop_s}.")
    return max(1, int(round(hop_s * sample_rate)))


def frame_count(num_samples: int, hop_samples: int) -> int:
    """``ceil(num_samples / hop_samples)``: frames of a signal of ``num_samples`` samples."""
    return -(-int(num_samples) // int(hop_samples))


def frame_times(frames: int, hop_samples: int, sample_rate: int) -> np.ndarray:
    """``(frames,) float64`` centre time of each frame in seconds."""
    return np.arange(frames, dtype=np.float64) * (hop_samples / sample_rate)


def as_signal(audio: np.ndarray, what: str = "audio") -> np.ndarray:
    """``(T,)`` float64 from ``(T,)`` or ``(1, T)`` audio; rejects multichannel and non-finite."""
    x = np.asarray(audio)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 1:
        raise AudioError(
            f"{what} must be mono with shape (T,) or (1, T), got shape {x.shape}; "
            "mix it down first (soundry.audio.to_mono).")
    x = x.astype(np.float64, copy=False)
    if not np.all(np.isfinite(x)):
        raise AudioError(f"{what} contains NaN or infinite samples.")
    return x
