"""resample, to_mono, highpass."""

from __future__ import annotations

import numpy as np
import pytest

from soundry.audio import highpass, resample, rms_db, to_mono
from soundry.testing import impulse, noise, sine, stereo


def _dominant_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1])))
    return float(np.fft.rfftfreq(x.shape[-1], 1 / sr)[np.argmax(spec)])


@pytest.mark.parametrize("sr_in, sr_out", [(44100, 16000), (16000, 48000), (22050, 11025),
                                           (48000, 44100)])
def test_resample_length_and_frequency(sr_in, sr_out):
    x = sine(1000.0, 0.5, sr_in)
    y = resample(x, sr_in, sr_out)
    assert y.dtype == np.float32 and y.ndim == 1
    assert y.shape[0] == int(np.floor(x.shape[0] * sr_out / sr_in + 0.5))
    assert _dominant_hz(y, sr_out) == pytest.approx(1000.0, abs=3)
    core = y[len(y) // 4: 3 * len(y) // 4]             # away from the filter's edge effects
    assert rms_db(core) == pytest.approx(rms_db(x), abs=0.2)


def test_resample_multichannel_same_rate_and_empty():
    x = stereo(sine(500.0, 0.1, 16000), sine(700.0, 0.1, 16000))
    y = resample(x, 16000, 8000)
    assert y.shape == (2, 800)
    assert _dominant_hz(y[1], 8000) == pytest.approx(700, abs=15)
    same = resample(x, 16000, 16000)
    np.testing.assert_array_equal(same, x)
    assert same is not x
    assert resample(np.zeros((2, 0), np.float32), 16000, 8000).shape == (2, 0)


def test_to_mono_averages_ordinary_stereo():
    left, right = sine(300.0, 0.2, 16000), noise(0.2, 16000, 0.2)
    y = to_mono(stereo(left, right))
    assert y.shape == (1, left.shape[0])
    np.testing.assert_allclose(y[0], (left + right) / 2, atol=1e-7)


def test_to_mono_out_of_phase_stereo_is_not_silent():
    s = sine(300.0, 0.2, 16000, 0.5)
    y = to_mono(stereo(s, -0.9 * s))
    assert rms_db(y) > rms_db(s) - 1.0               # the louder channel, not the near-silent mean
    np.testing.assert_array_equal(y[0], s)


def test_to_mono_edge_cases():
    one = sine(300.0, 0.1, 8000)[None, :]
    np.testing.assert_array_equal(to_mono(one), one)
    assert not np.any(to_mono(np.zeros((2, 50), np.float32)))
    # Many uncorrelated channels lose energy in the mean but are not "cancelling".
    many = np.stack([noise(0.1, 8000, 0.3, seed=c) for c in range(8)])
    np.testing.assert_allclose(to_mono(many)[0], many.mean(0), atol=1e-6)


def test_highpass_attenuates_rumble_and_passes_speech_band():
    sr = 16000
    low, mid = sine(20.0, 2.0, sr), sine(1000.0, 2.0, sr)
    settle = sr // 2                                   # skip the filter's start-up transient
    assert rms_db(highpass(low, sr)[settle:]) < rms_db(low) - 20
    assert rms_db(highpass(mid, sr)[settle:]) == pytest.approx(rms_db(mid), abs=0.1)


def test_highpass_is_causal_and_keeps_shape():
    sr = 16000
    x = impulse(0.2, sr, at=0.1)
    y = highpass(x, sr)
    k = int(0.1 * sr)
    assert y.shape == x.shape and y.dtype == np.float32
    assert not np.any(y[:k]) and y[k] != 0
    two = highpass(np.stack([x, x]), sr, cutoff_hz=100.0, order=3)
    assert two.shape == (2, x.shape[0])
    with pytest.raises(ValueError, match="cutoff"):
        highpass(x, 1000, cutoff_hz=600.0)
