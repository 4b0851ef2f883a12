"""estimate_pitch (pyworld dio / harvest) and pitch unit helpers."""

import numpy as np
import pytest

from soundry.errors import AudioError
from soundry.features import (estimate_pitch, frame_count, hz_to_midi, mean_pitch_midi,
                              midi_to_hz, voiced_mask)

SR = 16000


def _tone(f0, seconds=0.5, harmonics=1, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return sum(0.4 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, harmonics + 1)).astype(
        np.float32)


def test_dio_finds_a_220_hz_sine():
    f0 = estimate_pitch(_tone(220.0), SR, method="dio")
    assert f0.dtype == np.float32 and f0.shape == (50,)
    voiced = f0[voiced_mask(f0)]
    assert len(voiced) >= 45
    assert np.all(np.abs(voiced / 220.0 - 1) < 0.02)


def test_harvest_finds_a_harmonic_220_hz_tone():
    # Harvest reports a mathematically pure sine as unvoiced, so give the tone harmonics.
    f0 = estimate_pitch(_tone(220.0, seconds=0.3, harmonics=5), SR, method="harvest")
    voiced = f0[voiced_mask(f0)]
    assert len(voiced) >= 0.9 * len(f0)
    assert abs(np.median(voiced) / 220.0 - 1) < 0.02


@pytest.mark.parametrize("method", ["dio", "harvest"])
def test_silence_and_noise_are_unvoiced(method):
    rng = np.random.default_rng(1)
    silence = np.zeros(SR // 4, np.float32)
    noise = (0.3 * rng.standard_normal(SR // 4)).astype(np.float32)
    assert not voiced_mask(estimate_pitch(silence, SR, method=method)).any()
    assert voiced_mask(estimate_pitch(noise, SR, method=method)).mean() < 0.1


@pytest.mark.parametrize("samples", [0, 1, 159, 160, 161, 4000, 4001])
def test_frame_count_is_ceil_of_samples_over_hop(samples):
    audio = np.zeros(samples, np.float32)
    assert len(estimate_pitch(audio, SR, hop_s=0.01)) == frame_count(samples, 160)
    assert frame_count(samples, 160) == -(-samples // 160)


def test_other_rates_and_hops_and_channel_first_input():
    audio = _tone(330.0, seconds=0.25, sr=22050)[None, :]  # (1, T)
    f0 = estimate_pitch(audio, 22050, hop_s=0.005)
    assert len(f0) == frame_count(audio.shape[1], 110)
    assert abs(np.median(f0[f0 > 0]) / 330.0 - 1) < 0.02


def test_bad_arguments_raise_audio_errors():
    x = _tone(220.0, seconds=0.1)
    with pytest.raises(AudioError, match="method"):
        estimate_pitch(x, SR, method="crepe")
    with pytest.raises(AudioError, match="fmin"):
        estimate_pitch(x, SR, fmin=500.0, fmax=100.0)
    with pytest.raises(AudioError, match="half the sample rate"):
        estimate_pitch(x, 2000, fmax=1100.0)
    with pytest.raises(AudioError, match="mono"):
        estimate_pitch(np.zeros((2, 100), np.float32), SR)
    with pytest.raises(AudioError, match="NaN"):
        estimate_pitch(np.full(100, np.nan, np.float32), SR)


def test_midi_conversions():
    assert hz_to_midi(440.0) == pytest.approx(69.0)
    assert hz_to_midi(880.0) == pytest.approx(81.0)
    assert midi_to_hz(69) == pytest.approx(440.0)
    np.testing.assert_allclose(midi_to_hz(hz_to_midi(np.array([55.0, 261.63]))), [55.0, 261.63])
    assert np.isnan(hz_to_midi(0.0))


def test_mean_pitch_midi_over_voiced_frames():
    assert mean_pitch_midi(np.array([440.0, 0.0, 440.0], np.float32)) == pytest.approx(69.0)
    # A log-frequency mean: 220 Hz and 880 Hz average to 440 Hz (MIDI 69), not 550 Hz.
    assert mean_pitch_midi([np.array([220.0, 0.0]), np.array([880.0])]) == pytest.approx(69.0)
    assert np.isnan(mean_pitch_midi(np.zeros(5)))
    f0 = estimate_pitch(_tone(440.0, seconds=0.3), SR)
    assert mean_pitch_midi(f0) == pytest.approx(69.0, abs=0.3)
