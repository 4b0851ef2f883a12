"""F0 correlation: does the converted voice follow the input's intonation?

Both signals go to 16 kHz (so both pitch tracks share one exact 10 ms grid whatever the two
sample rates are), their f0 is estimated with WORLD (:func:`soundry.features.estimate_pitch`),
and the Pearson correlation of log-f0 is taken over frames voiced in both. Log-f0 makes the
measure indifferent to a constant pitch shift (a male-to-female conversion still scores 1 if
it follows the contour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from soundry.features.pitch import estimate_pitch, voiced_mask
from soundry.metrics._audio import mono_at

ANALYSIS_RATE = 16000
# A contour that varies by less than this (standard deviation, cents) is flat: its tiny
# estimation jitter would otherwise give a meaningless correlation.
_FLAT_CENTS = 1.0


@dataclass(frozen=True)
class F0Match:
    """What :func:`compare_f0` found. ``correlation`` (Pearson of log-f0, -1..1) and
    ``rmse_cents`` (log-f0 error, 100 cents = one semitone) are NaN when they cannot be
    computed, and then ``reason`` says why. Counts are 10 ms frames; ``lag_s`` is the delay of
    the output that was applied (seconds)."""

    correlation: float
    rmse_cents: float
    frames: int
    voiced_ref: int
    voiced_out: int
    voiced_both: int
    lag_s: float
    reason: str = ""


def _log_f0(audio, sample_rate, hop_s, method, fmin, fmax, what):
    x = mono_at(audio, sample_rate, ANALYSIS_RATE, what)
    return estimate_pitch(x, ANALYSIS_RATE, hop_s=hop_s, method=method, fmin=fmin, fmax=fmax)


def _match(ref: np.ndarray, out: np.ndarray, lag: int, min_voiced: int, hop_s: float,
           shift: float = 0.0) -> F0Match:
    # Output frame i + lag is compared with input frame i (a streaming model's latency).
    if lag >= 0:
        out = out[lag:]
    else:
        ref = ref[-lag:]
    n = min(len(ref), len(out))
    ref, out = ref[:n], out[:n]
    vr, vo = voiced_mask(ref), voiced_mask(out)
    both = vr & vo
    counts = dict(frames=n, voiced_ref=int(vr.sum()), voiced_out=int(vo.sum()),
                  voiced_both=int(both.sum()), lag_s=lag * hop_s)
    if counts["voiced_both"] < min_voiced:
        return F0Match(math.nan, math.nan, **counts,
                       reason=f"only {counts['voiced_both']} frames are voiced in both "
                              f"(need {min_voiced}; input {counts['voiced_ref']}, output "
                              f"{counts['voiced_out']} of {n})")
    a, b = np.log2(ref[both].astype(np.float64)), np.log2(out[both].astype(np.float64))
    rmse = float(1200.0 * np.sqrt(np.mean((a + shift / 12.0 - b) ** 2)))
    if min(np.std(a), np.std(b)) * 1200.0 < _FLAT_CENTS:
        return F0Match(math.nan, rmse, **counts, reason="the pitch is constant in one of the "
                       "signals, so a correlation is undefined")
    return F0Match(float(np.corrcoef(a, b)[0, 1]), rmse, **counts)


def compare_f0(ref_audio: np.ndarray, ref_sr: int, out_audio: np.ndarray, out_sr: int,
               hop_s: float = 0.01, method: str = "dio", fmin: float = 50.0,
               fmax: float = 1100.0, lag_s: float = 0.0, search_lag_s: float = 0.0,
               min_voiced: int = 10, shift_semitones: float = 0.0) -> F0Match:
    """Compare the f0 tracks of ``ref_audio`` (input, ``(T,)`` or ``(C, T)`` at ``ref_sr`` Hz)
    and ``out_audio`` (output, at ``out_sr`` Hz) on frames voiced in both.

    ``lag_s``: the output's delay in seconds (a streaming converter's latency);
    ``search_lag_s``: also try delays within +- this many seconds of it and keep the best
    correlation. ``shift_semitones``: the pitch shift the output was asked for; the error in
    cents is measured from the shifted input (the correlation does not depend on it).
    ``method``: ``"dio"`` (fast) or ``"harvest"`` (slower, more robust);
    ``fmin``/``fmax`` bound the pitch search (Hz). Fewer than ``min_voiced`` frames voiced in
    both gives NaN with the reason.
    """
    ref = _log_f0(ref_audio, ref_sr, hop_s, method, fmin, fmax, "reference audio")
    out = _log_f0(out_audio, out_sr, hop_s, method, fmin, fmax, "output audio")
    centre = int(round(lag_s / hop_s))
    spread = int(round(abs(search_lag_s) / hop_s))
    best = None
    for lag in range(centre - spread, centre + spread + 1):
        m = _match(ref, out, lag, min_voiced, hop_s, shift_semitones)
        if best is None or (not math.isnan(m.correlation) and (
                math.isnan(best.correlation) or m.correlation > best.correlation)):
            best = m
    return best


def f0_correlation(ref_audio: np.ndarray, ref_sr: int, out_audio: np.ndarray, out_sr: int,
                   hop_s: float = 0.01, **kwargs) -> float:
    """Pearson correlation of log-f0 between input and output on frames voiced in both.

    About 1 when the output follows the input's intonation (at any constant pitch shift),
    near 0 for unrelated contours. NaN when fewer than ``min_voiced`` (10) frames are voiced
    in both or a contour is flat; :func:`compare_f0` (same arguments) tells why, and gives the
    error in cents and the voiced-frame counts.
    """
    return compare_f0(ref_audio, ref_sr, out_audio, out_sr, hop_s=hop_s, **kwargs).correlation
