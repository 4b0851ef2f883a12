"""Test-signal helpers: frequencies, lengths, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from soundry.testing import chirp, impulse, noise, silence, sine, stereo, tone_bursts


def _dominant_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1])))
    return float(np.fft.rfftfreq(x.shape[-1], 1 / sr)[np.argmax(spec)])


def test_sine_noise_silence_impulse():
    x = sine(440.0, 0.5, 16000, amplitude=0.25)
    assert x.shape == (8000,) and x.dtype == np.float32
    assert _dominant_hz(x, 16000) == pytest.approx(440, abs=2)
    assert np.max(np.abs(x)) == pytest.approx(0.25, abs=1e-3)
    np.testing.assert_array_equal(noise(0.1, 8000, seed=3), noise(0.1, 8000, seed=3))
    assert not np.array_equal(noise(0.1, 8000, seed=3), noise(0.1, 8000, seed=4))
    assert not np.any(silence(0.1, 8000))
    imp = impulse(0.1, 8000, at=0.05)
    assert imp.sum() == 1.0 and imp[400] == 1.0
    assert stereo(x, x).shape == (2, 8000)


def test_chirp_sweeps_from_f0_to_f1():
    sr = 16000
    x = chirp(200.0, 2000.0, 2.0, sr)
    assert _dominant_hz(x[:1600], sr) < 300
    assert _dominant_hz(x[-1600:], sr) > 1500


def test_tone_bursts_are_where_asked():
    sr = 8000
    x = tone_bursts([(0.2, 0.4), (0.7, 0.9)], 1.0, sr)
    assert x.shape == (8000,)
    assert not np.any(x[:1600]) and not np.any(x[3200:5600]) and not np.any(x[7200:])
    assert np.abs(x[2000:3000]).max() > 0.1
    floor = tone_bursts([], 1.0, sr, noise_db=-60)
    assert 20 * np.log10(np.sqrt(np.mean(floor.astype(np.float64) ** 2))) == pytest.approx(
        -60, abs=1)
