"""Validation: measure a decoded file once, then decide whether to skip it or keep it with warnings.

Measurements (:func:`measure`) depend only on the file's content, so they are cached by content
hash; the verdict (:func:`classify`) applies the current thresholds of ``DataConfig`` and is
recomputed on every run without decoding anything.

Skip reasons (the file is left out, listed in the report): ``missing``, ``not audio``,
``unreadable``, ``empty``, ``non-finite samples``, ``extreme rate``, ``too short``, ``silent``.
Warnings (the file is kept): ``clipped``, ``low level``, ``low quality``, ``mostly silence``.

Quality score (0..1), a signal-level estimate that needs no model and makes no perceptual claim::

    frames  = RMS in dBFS of 30 ms frames every 15 ms of the mono mix-down
    snr_db  = P95(frames) - P10(frames)          (loud frames vs the quiet floor; 0..80)
              if that is below 6 dB (a steady sound: no quiet floor to measure), use instead
              max(snr_db, -10 log10(spectral flatness of 50 Hz..8 kHz)): a steady tone is
              peaky (high), steady noise is flat (near 0 dB)
    snr     = clip((snr_db - 6) / 24, 0, 1)      (6 dB -> 0, 30 dB or more -> 1)
    clip    = 1 - 0.5 * min(1, clip_fraction / 0.01)   (1 % of samples at full scale halves it)
    dc      = 1 - 0.5 * clip((|mean| / rms - 0.1) / 0.4, 0, 1)
    band    = 0.75 + 0.25 * min(1, bandwidth_hz / 8000)
    quality = snr * clip * dc * band

``bandwidth_hz`` is the highest frequency whose long-term (Welch) power is within 50 dB of the
spectrum's maximum. Known limits: speech without pauses has no quiet floor, so its SNR (and
score) is underestimated; stationary music can look noisy for the same reason.
"""

from __future__ import annotations

import numpy as np

from soundry.audio import frame_rms_db, to_mono
from soundry.data.config import DataConfig

#: Bumped when a measurement changes meaning, so cached measurements are recomputed.
ANALYSIS_VERSION = 2
CLIP_LEVEL = 0.999
LOW_LEVEL_DB = -40.0
LOW_QUALITY = 0.35
MOSTLY_SILENCE = 0.6
STEADY_DB = 6.0

# Leading bytes of the containers soundry decodes: used to tell "not audio" from "corrupt audio".
_MAGIC = (b"RIFF", b"RF64", b"BW64", b"fLaC", b"OggS", b"ID3", b"FORM", b"caff", b".snd",
          b"\x30\x26\xb2\x75", b"\x1a\x45\xdf\xa3", b"wvpk", b"MAC ", b"riff")


def looks_like_audio(head: bytes) -> bool:
    """Whether the first bytes of a file look like a known audio container (or an MPEG frame)."""
    if any(head.startswith(m) for m in _MAGIC):
        return True
    if len(head) >= 8 and head[4:8] == b"ftyp":  # mp4 / m4a
        return True
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0  # MPEG/AAC sync


def _spectrum(mono: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """``(bandwidth_hz, flatness_db)`` of the long-term (Welch) power spectrum."""
    from scipy.signal import welch

    n = mono.shape[-1]
    if n < 64:
        return 0.0, 0.0
    freqs, psd = welch(mono, fs=sample_rate, nperseg=min(2048, n))
    top = float(np.max(psd))
    if top <= 0:
        return 0.0, 0.0
    bandwidth = float(freqs[np.flatnonzero(psd >= top * 1e-5)[-1]])
    band = psd[(freqs >= 50.0) & (freqs <= 8000.0)] + top * 1e-12
    if band.size == 0:
        return bandwidth, 0.0
    flatness = float(np.exp(np.mean(np.log(band))) / np.mean(band))
    return bandwidth, float(min(80.0, -10.0 * np.log10(max(flatness, 1e-12))))


def quality_score(snr_db: float, clip_fraction: float, dc_ratio: float, bandwidth_hz: float) -> float:
    """The 0..1 score of the module docstring from its four measurements."""
    snr = float(np.clip((snr_db - 6.0) / 24.0, 0.0, 1.0))
    clip = 1.0 - 0.5 * min(1.0, clip_fraction / 0.01)
    dc = 1.0 - 0.5 * float(np.clip((dc_ratio - 0.1) / 0.4, 0.0, 1.0))
    band = 0.75 + 0.25 * min(1.0, bandwidth_hz / 8000.0)
    return round(snr * clip * dc * band, 4)


def measure(audio: np.ndarray, sample_rate: int) -> dict:
    """Content measurements of a decoded file ``(C, T)`` at ``sample_rate`` Hz.

    Returns a JSON-ready dict: ``sample_rate``, ``channels``, ``frames`` (samples per channel),
    ``duration`` (s), ``finite``, ``peak_db`` (dBFS), ``clip_fraction`` (0..1), and for finite,
    non-empty audio also ``active_db``/``floor_db`` (P95/P10 frame RMS, dBFS), ``snr_db``,
    ``dc_ratio``, ``bandwidth_hz`` and ``quality`` (0..1).
    """
    arr = np.asarray(audio, dtype=np.float32)
    channels, frames = (int(arr.shape[0]), int(arr.shape[1])) if arr.ndim == 2 else (1, arr.size)
    out = {"version": ANALYSIS_VERSION, "sample_rate": int(sample_rate), "channels": channels,
           "frames": frames, "duration": frames / float(sample_rate) if sample_rate > 0 else 0.0,
           "finite": bool(np.isfinite(arr).all())}
    if frames == 0 or not out["finite"]:
        return out
    absx = np.abs(arr)
    peak = float(absx.max())
    out["peak_db"] = float(20 * np.log10(max(peak, 1e-10)))
    out["clip_fraction"] = float(np.count_nonzero(absx >= CLIP_LEVEL)) / absx.size
    mono = to_mono(arr)[0].astype(np.float64)
    hop = max(1, int(round(0.015 * sample_rate)))
    db = frame_rms_db(mono, 2 * hop, hop)
    active, floor = float(np.percentile(db, 95)), float(np.percentile(db, 10))
    rms = float(np.sqrt(np.mean(mono * mono)))
    bandwidth, flatness_db = _spectrum(mono, sample_rate)
    snr = float(np.clip(active - floor, 0.0, 80.0))
    if snr < STEADY_DB:
        snr = max(snr, flatness_db)
    out.update(active_db=active, floor_db=floor, snr_db=snr, flatness_db=flatness_db,
               dc_ratio=abs(float(mono.mean())) / rms if rms > 0 else 0.0, bandwidth_hz=bandwidth)
    out["quality"] = quality_score(out["snr_db"], out["clip_fraction"], out["dc_ratio"],
                                   out["bandwidth_hz"])
    return out


def classify(m: dict, cfg: DataConfig) -> tuple[str | None, list[str]]:
    """``(skip_reason or None, warnings)`` for measurements ``m`` under ``cfg``'s thresholds."""
    rate = m["sample_rate"]
    if m["frames"] == 0:
        return "empty: the file holds no samples", []
    if not m["finite"]:
        return "non-finite samples: the file holds NaN or infinite values", []
    if not cfg.min_rate <= rate <= cfg.max_rate:
        return (f"extreme rate: {rate} Hz is outside {cfg.min_rate}..{cfg.max_rate} Hz "
                "(data.min_rate, data.max_rate)"), []
    if m["duration"] < cfg.min_file_s:
        return f"too short: {m['duration']:.3f} s (data.min_file_s is {cfg.min_file_s} s)", []
    if m["peak_db"] < cfg.silent_peak_db:
        return f"silent: peak {m['peak_db']:.0f} dBFS (below {cfg.silent_peak_db:.0f} dBFS)", []
    warnings = []
    if m["clip_fraction"] > cfg.clip_fraction_warn:
        warnings.append(f"clipped: {100 * m['clip_fraction']:.2f}% of samples at full scale")
    if m["active_db"] < LOW_LEVEL_DB:
        warnings.append(f"low level: loud parts at {m['active_db']:.0f} dBFS; normalisation "
                        "raises the noise with it")
    if m["quality"] < LOW_QUALITY:
        warnings.append(f"low quality: score {m['quality']:.2f} (estimated SNR "
                        f"{m['snr_db']:.0f} dB, bandwidth {m['bandwidth_hz'] / 1000:.1f} kHz)")
    return None, warnings


__all__ = ["measure", "classify", "quality_score", "looks_like_audio", "ANALYSIS_VERSION"]
