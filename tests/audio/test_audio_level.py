"""rms_db, peak_db, frame_rms_db, loudness and normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from soundry.audio import (SILENCE_DB, frame_rms_db, loudness_lufs, normalize_loudness,
                           normalize_peak, peak_db, rms_db)
from soundry.testing import noise, sine, stereo


def test_rms_and_peak_of_a_sine():
    x = sine(1000.0, 1.0, 16000, amplitude=1.0)
    assert rms_db(x) == pytest.approx(-3.01, abs=0.01)
    assert peak_db(x) == pytest.approx(0.0, abs=0.01)
    assert rms_db(np.zeros(10)) == SILENCE_DB and peak_db(np.zeros(10)) == SILENCE_DB
    assert np.isnan(rms_db(np.array([np.nan, 0.0])))


def test_frame_rms_db_shape_and_levels():
    sr, hop = 16000, 160
    x = np.concatenate([np.zeros(sr // 2), sine(500.0, 0.5, sr, 1.0)])
    db = frame_rms_db(x, 640, hop)
    assert db.shape == (1 + x.shape[0] // hop,)
    assert np.all(db[:40] == SILENCE_DB)
    assert db[70] == pytest.approx(-3.01, abs=0.1)
    both = frame_rms_db(np.stack([x, np.zeros_like(x)]), 640, hop)
    assert both[70] == pytest.approx(db[70] - 3.01, abs=0.1)   # power averaged over channels


def test_loudness_of_full_scale_1k_sine():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS.
    x = sine(997.0, 2.0, 48000, amplitude=1.0)
    assert loudness_lufs(x, 48000) == pytest.approx(-3.01, abs=0.05)


@pytest.mark.parametrize("rate", [2000, 8000, 96000])
def test_loudness_at_odd_rates_and_many_channels(rate):
    x = sine(200.0, 1.0, rate, amplitude=0.5)
    assert loudness_lufs(x, rate) == pytest.approx(-10.0, abs=0.5)
    assert np.isfinite(loudness_lufs(np.stack([x] * 7), rate))


def test_frame_rms_db_nan_spoils_only_its_frames():
    x = sine(500.0, 1.0, 16000)
    x[8000] = np.nan
    db = frame_rms_db(x, 400, 100)
    assert np.isnan(db[80]) and np.isfinite(db[:75]).all() and np.isfinite(db[85:]).all()


def test_loudness_short_and_silent_audio():
    short = sine(997.0, 0.1, 16000, amplitude=0.5)       # shorter than the 400 ms block
    long = sine(997.0, 2.0, 16000, amplitude=0.5)
    assert loudness_lufs(short, 16000) == pytest.approx(loudness_lufs(long, 16000), abs=0.3)
    assert loudness_lufs(np.zeros(8000), 16000) == float("-inf")
    assert loudness_lufs(np.zeros((2, 0)), 16000) == float("-inf")


@pytest.mark.parametrize("target", [-23.0, -16.0, -30.0])
def test_normalize_loudness_hits_target(target):
    x = stereo(noise(1.5, 22050, 0.05, seed=1), noise(1.5, 22050, 0.05, seed=2))
    y = normalize_loudness(x, 22050, target_lufs=target, peak_db=0.0)
    assert y.shape == x.shape and y.dtype == np.float32
    assert loudness_lufs(y, 22050) == pytest.approx(target, abs=0.5)


def test_normalize_loudness_respects_peak_ceiling_and_short_audio():
    x = sine(440.0, 1.0, 16000, 0.01)
    y = normalize_loudness(x, 16000, target_lufs=0.0, peak_db=-1.0)
    assert peak_db(y) == pytest.approx(-1.0, abs=0.01)
    short = sine(440.0, 0.2, 16000, 0.01)
    assert loudness_lufs(normalize_loudness(short, 16000, -20.0), 16000) == pytest.approx(
        -20.0, abs=0.5)


def test_normalize_leaves_silence_and_nan_alone():
    z = np.zeros((1, 1000), np.float32)
    np.testing.assert_array_equal(normalize_loudness(z, 16000), z)
    np.testing.assert_array_equal(normalize_peak(z), z)
    bad = np.array([np.nan, 0.5], np.float32)
    assert np.isnan(normalize_loudness(bad, 16000)[0])


def test_normalize_peak():
    x = sine(440.0, 0.1, 16000, 0.2)
    assert peak_db(normalize_peak(x, -6.0)) == pytest.approx(-6.0, abs=0.01)
