"""Levels: RMS and peak in dBFS, BS.1770 loudness in LUFS, and normalisation.

dB values use full scale (a sine of amplitude 1 has peak 0 dBFS and RMS -3.01 dBFS). Digital
silence reports :data:`SILENCE_DB` rather than ``-inf`` so results stay valid JSON.
"""

from __future__ import annotations

import warnings

import numpy as np

#: dBFS reported for digital silence (all zeros).
SILENCE_DB = -200.0
_EPS_POWER = 10.0 ** (SILENCE_DB / 10.0)
_BLOCK_S = 0.4  # BS.1770 gating block; pyloudnorm refuses shorter input
_MIN_RATE = 8000


def _power_db(power: np.ndarray | float) -> np.ndarray | float:
    return 10.0 * np.log10(np.maximum(power, _EPS_POWER))


def rms_db(audio: np.ndarray) -> float:
    """RMS over all channels and samples of ``(C, T)`` or ``(T,)``, in dBFS (NaN stays NaN)."""
    arr = np.asarray(audio, dtype=np.float64)
    if arr.size == 0:
        return SILENCE_DB
    return float(_power_db(np.mean(arr * arr)))


def peak_db(audio: np.ndarray) -> float:
    """Largest absolute sample of ``(C, T)`` or ``(T,)``, in dBFS (NaN stays NaN)."""
    arr = np.asarray(audio)
    if arr.size == 0:
        return SILENCE_DB
    peak = float(np.max(np.abs(arr)))
    return float(20.0 * np.log10(max(peak, 10.0 ** (SILENCE_DB / 20.0)))) if peak == peak else peak


def frame_rms_db(audio: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS per frame in dBFS, shape ``(1 + T // hop,)``.

    Frame ``i`` is centred on sample ``i * hop`` and spans ``frame`` samples (zero-padded at
    the edges). For ``(C, T)`` input the power is averaged over channels. Frames holding a
    NaN or infinite sample are NaN.
    """
    arr = np.asarray(audio, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    frame, hop = int(frame), int(hop)
    if frame <= 0 or hop <= 0:
        raise ValueError(f"frame and hop must be positive, got {frame}, {hop}")
    power = np.mean(arr * arr, axis=0)
    finite = np.isfinite(power)
    n_frames = 1 + power.shape[0] // hop
    # Running sums give every frame's energy in O(T) however long the frame is; non-finite
    # samples are counted apart so one NaN only spoils the frames that contain it.
    csum = np.concatenate([[0.0], np.cumsum(np.where(finite, power, 0.0))])
    cbad = np.concatenate([[0], np.cumsum(~finite)])
    starts = np.arange(n_frames) * hop - frame // 2
    lo = np.clip(starts, 0, power.shape[0])
    hi = np.clip(starts + frame, 0, power.shape[0])
    db = _power_db(np.maximum(csum[hi] - csum[lo], 0.0) / frame)
    return np.where(cbad[hi] - cbad[lo] > 0, np.nan, db)


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4, gated) of ``(C, T)`` or ``(T,)`` in LUFS.

    Audio shorter than the 400 ms gating block is measured as if looped to that length.
    Silence gives ``-inf``. More than 5 channels are down-mixed first (BS.1770 weights
    stop at 5.0 surround); rates below 8 kHz are measured after upsampling to 8 kHz.
    """
    import pyloudnorm

    arr = np.asarray(audio, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.shape[0] > 5:
        arr = arr.mean(axis=0, keepdims=True)
    if arr.shape[1] == 0 or not np.any(arr):
        return float("-inf")
    if sample_rate < _MIN_RATE:
        # The K-weighting shelf sits at 1.5 kHz: below ~4 kHz its filter design breaks down.
        # Upsampling changes no content, so measure at 8 kHz instead.
        from .dsp import resample
        arr, sample_rate = resample(arr, sample_rate, _MIN_RATE).astype(np.float64), _MIN_RATE
    need = int(np.ceil(_BLOCK_S * sample_rate)) + 1
    if arr.shape[1] < need:
        arr = np.tile(arr, (1, int(np.ceil(need / arr.shape[1]))))
    meter = pyloudnorm.Meter(int(sample_rate))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # log10(0) on fully gated input
        value = meter.integrated_loudness(arr.T)
    return float(value)


def normalize_peak(audio: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    """Scale so the largest absolute sample sits at ``peak_db`` dBFS; silence is unchanged."""
    arr = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(arr))) if arr.size else 0.0
    if not np.isfinite(peak) or peak == 0.0:
        return arr.copy()
    return (arr * np.float32(10.0 ** (peak_db / 20.0) / peak)).astype(np.float32)


def normalize_loudness(audio: np.ndarray, sample_rate: int, target_lufs: float = -23.0,
                       peak_db: float = -1.0) -> np.ndarray:
    """Gain ``(C, T)`` or ``(T,)`` to ``target_lufs`` LUFS, never letting peaks pass ``peak_db``.

    One gain for the whole array (no compression). When the peak ceiling binds, the result is
    quieter than the target. Silent or non-finite audio is returned unchanged (a copy).
    """
    arr = np.asarray(audio, dtype=np.float32)
    if arr.size == 0 or not np.isfinite(arr).all():
        return arr.copy()
    lufs = loudness_lufs(arr, sample_rate)
    if not np.isfinite(lufs):
        return arr.copy()
    gain = 10.0 ** ((target_lufs - lufs) / 20.0)
    peak = float(np.max(np.abs(arr)))
    ceiling = 10.0 ** (peak_db / 20.0)
    if peak * gain > ceiling:
        gain = ceiling / peak
    return (arr * np.float32(gain)).astype(np.float32)
