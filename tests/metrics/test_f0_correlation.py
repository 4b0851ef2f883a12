"""F0 correlation on synthetic harmonic voices with known pitch contours."""

import math

import numpy as np

from soundry.metrics import compare_f0, f0_correlation


def _contour(seconds, seed, base=150.0, frames_per_s=100):
    # A smooth random intonation contour (Hz), one value per 10 ms, within +-30 % of base.
    rng = np.random.default_rng(seed)
    n = int(seconds * frames_per_s)
    knots = rng.uniform(-0.3, 0.3, size=int(seconds * 4) + 2)
    return base * (1 + np.interp(np.linspace(0, len(knots) - 1, n), np.arange(len(knots)), knots))


def _voice(contour_hz, sr, shift=1.0, delay_s=0.0):
    # Harmonic series with 1/k amplitudes, following the contour (given at 100 frames/s).
    n = int(len(contour_hz) / 100 * sr)
    f0 = np.interp(np.arange(n) / sr * 100, np.arange(len(contour_hz)), contour_hz) * shift
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 8) if k * f0.max() < sr / 2 * 0.9)
    x = 0.3 * x / np.abs(x).max()
    x = np.concatenate([np.zeros(int(delay_s * sr)), x])
    return x.astype(np.float32)


def test_identical_and_pitch_shifted_signals_correlate_fully():
    c = _contour(2.0, seed=1)
    ref = _voice(c, 16000)
    assert f0_correlation(ref, 16000, ref, 16000) > 0.99
    # another rate and an octave up: the contour is still followed exactly
    m = compare_f0(ref, 16000, _voice(c, 22050, shift=2.0), 22050)
    assert m.correlation > 0.97 and m.voiced_both > 150 and not m.reason
    assert abs(m.rmse_cents - 1200) < 60
    # told the output was shifted an octave, the error is measured from the shifted input
    asked = compare_f0(ref, 16000, _voice(c, 22050, shift=2.0), 22050, shift_semitones=12.0)
    assert asked.correlation == m.correlation and asked.rmse_cents < 60


def _wave_contour(fn, seconds=2.0):
    t = np.arange(int(seconds * 100)) / 100
    return 150.0 * 2.0 ** (0.3 * fn(t))


def test_unrelated_contours_correlate_poorly():
    # log-f0 contours orthogonal over the 2 s clip: the correlation should be near 0
    ref = _voice(_wave_contour(lambda t: np.sin(2 * np.pi * t)), 16000)
    assert f0_correlation(ref, 16000, ref, 16000) > 0.99
    for fn in (lambda t: np.sin(2 * np.pi * 2.5 * t), lambda t: np.cos(2 * np.pi * 1.5 * t)):
        assert abs(f0_correlation(ref, 16000, _voice(_wave_contour(fn), 16000), 16000)) < 0.3


def test_output_delay_is_applied_or_found():
    c = _contour(2.0, seed=5)
    ref, late = _voice(c, 16000), _voice(c, 16000, delay_s=0.08)
    plain = f0_correlation(ref, 16000, late, 16000)
    assert f0_correlation(ref, 16000, late, 16000, lag_s=0.08) > max(0.99, plain + 0.02)
    found = compare_f0(ref, 16000, late, 16000, search_lag_s=0.12)
    assert math.isclose(found.lag_s, 0.08, abs_tol=0.011) and found.correlation > 0.99


def test_too_few_voiced_frames_or_flat_pitch_give_nan_with_a_reason():
    ref = _voice(_contour(1.0, seed=1), 16000)
    m = compare_f0(ref, 16000, np.zeros_like(ref), 16000)
    assert math.isnan(m.correlation) and "voiced in both" in m.reason and m.voiced_out == 0
    flat = _voice(np.full(100, 140.0), 16000)
    m = compare_f0(flat, 16000, flat, 16000)
    assert math.isnan(m.correlation) and "constant" in m.reason and m.rmse_cents < 1
