"""frame_loudness: levels in dB, A-weighting, and the frame grid shared with pitch."""

import numpy as np
import pytest

from soundry.errors import AudioError
from soundry.features import a_weighting_db, estimate_pitch, frame_count, frame_loudness

SR = 16000


def _sine(freq, amplitude=1.0, seconds=0.25):
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_sine_levels_in_dbfs():
    db = frame_loudness(_sine(1000.0, 0.5), SR)
    assert db.dtype == np.float32 and db.shape == (25,)
    # 0.5 amplitude: 20 log10(0.5 / sqrt 2) = -9.03 dB away from the half-empty edge frames.
    np.testing.assert_allclose(db[2:-2], -9.03, atol=0.05)
    assert db[0] < db[5] - 2.0  # first window is half zeros (centred on sample 0)


def test_silence_reads_the_floor():
    db = frame_loudness(np.zeros(1000, np.float32), SR, floor_db=-90.0)
    assert np.all(db == -90.0)


def test_a_weighting_curve_and_frames():
    assert a_weighting_db(np.array([1000.0]))[0] == pytest.approx(0.0, abs=0.01)
    assert a_weighting_db(np.array([100.0]))[0] == pytest.approx(-19.1, abs=0.1)
    plain = frame_loudness(_sine(1000.0, 0.5), SR)
    weighted = frame_loudness(_sine(1000.0, 0.5), SR, weighting="A")
    np.testing.assert_allclose(weighted[3:-3], plain[3:-3], atol=0.2)
    low = frame_loudness(_sine(100.0, 0.5), SR, weighting="A", win_s=0.05)
    assert np.median(low) == pytest.approx(-9.03 - 19.1, abs=1.0)


def test_step_in_level_lands_on_the_right_frame():
    x = np.zeros(SR // 2, np.float32)
    x[1600:] = _sine(1000.0, 0.5, seconds=1.0)[: len(x) - 1600]  # starts at frame 10's centre
    db = frame_loudness(x, SR, win_s=0.01)
    assert np.all(db[:9] == -100.0) and np.all(db[11:] > -10.0)


@pytest.mark.parametrize("samples", [0, 1, 159, 160, 161, 2399, 2400])
def test_frame_counts_match_pitch(samples):
    audio = np.random.default_rng(samples).standard_normal(samples).astype(np.float32) * 0.1
    loud = frame_loudness(audio, SR, hop_s=0.01)
    f0 = estimate_pitch(audio, SR, hop_s=0.01)
    assert len(loud) == len(f0) == frame_count(samples, 160)


def test_bad_weighting_is_an_error():
    with pytest.raises(AudioError, match="weighting"):
        frame_loudness(_sine(440.0), SR, weighting="C")
