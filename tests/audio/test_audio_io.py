"""load_audio / save_audio / audio_info: round trips, formats, odd rates, errors."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from soundry.audio import AUDIO_EXTENSIONS, audio_info, load_audio, rms_db, save_audio
from soundry.errors import AudioError
from soundry.testing import encode_with_pyav, make_bad_files, pyav_can_encode, sine, stereo


def _two_tone(sr: int, seconds: float = 0.25) -> np.ndarray:
    return stereo(sine(440.0, seconds, sr, 0.5), sine(660.0, seconds, sr, -0.3))


def _dominant_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1])))
    return float(np.fft.rfftfreq(x.shape[-1], 1 / sr)[np.argmax(spec)])


@pytest.mark.parametrize("subtype, tol", [("PCM_16", 2 / 32768), ("PCM_24", 2 / 2**23),
                                          ("PCM_32", 1e-7), ("FLOAT", 0.0)])
def test_wav_round_trip_bit_depths(tmp_path, subtype, tol):
    x = _two_tone(16000)
    path = save_audio(tmp_path / "a.wav", x, 16000, subtype=subtype)
    y, sr = load_audio(path)
    assert sr == 16000 and y.dtype == np.float32 and y.shape == x.shape
    assert np.max(np.abs(y - x)) <= tol
    info = audio_info(path)
    assert (info.sample_rate, info.channels, info.frames, info.subtype) == (16000, 2, 4000, subtype)
    assert info.duration == pytest.approx(0.25)


@pytest.mark.parametrize("rate", [8000, 11025, 44100, 96000])
def test_flac_odd_rates_and_mono_1d_input(tmp_path, rate):
    x = sine(300.0, 0.1, rate)
    y, sr = load_audio(save_audio(tmp_path / "a.flac", x, rate, subtype="PCM_24"))
    assert sr == rate and y.shape == (1, x.shape[0])
    assert np.max(np.abs(y[0] - x)) < 1e-6


def test_multichannel_wav(tmp_path):
    x = np.stack([sine(100.0 * (c + 1), 0.1, 22050, 0.1 * (c + 1)) for c in range(6)])
    y, _ = load_audio(save_audio(tmp_path / "six.wav", x, 22050, subtype="FLOAT"))
    np.testing.assert_array_equal(y, x)


def test_float_wav_keeps_nan_and_out_of_range(tmp_path):
    x = sine(200.0, 0.1, 16000, amplitude=1.5)
    x[10] = np.nan
    x[20] = np.inf
    sf.write(str(tmp_path / "f.wav"), x, 16000, subtype="FLOAT")
    y, _ = load_audio(tmp_path / "f.wav")
    assert np.isnan(y[0, 10]) and np.isinf(y[0, 20])
    assert np.nanmax(np.abs(y[np.isfinite(y)])) == pytest.approx(1.5, abs=1e-3)


def test_ogg_vorbis_via_soundfile(tmp_path):
    x = _two_tone(44100, 0.5)
    y, sr = load_audio(save_audio(tmp_path / "a.ogg", x, 44100))
    assert sr == 44100 and y.shape[0] == 2
    assert abs(y.shape[1] - x.shape[1]) < 2048
    assert _dominant_hz(y[0], sr) == pytest.approx(440, abs=5)


@pytest.mark.parametrize("suffix", [".mp3", ".m4a", ".opus"])
def test_compressed_formats_through_pyav(tmp_path, suffix):
    if not pyav_can_encode(suffix):
        pytest.skip(f"this PyAV build cannot encode {suffix}")
    x = _two_tone(48000, 0.5)
    path = encode_with_pyav(tmp_path / f"a{suffix}", x, 48000)
    y, sr = load_audio(path)
    assert sr == 48000 and y.shape[0] == 2 and y.dtype == np.float32
    assert abs(y.shape[1] - x.shape[1]) < 4096           # codec delay and padding only
    assert _dominant_hz(y[0], sr) == pytest.approx(440, abs=5)
    assert _dominant_hz(y[1], sr) == pytest.approx(660, abs=5)
    assert abs(rms_db(y[0]) - rms_db(x[0])) < 1.5
    info = audio_info(path)
    assert (info.sample_rate, info.channels) == (48000, 2)
    assert info.duration == pytest.approx(0.5, abs=0.1)


def test_load_with_resample_and_mono(tmp_path):
    path = save_audio(tmp_path / "a.wav", _two_tone(44100), 44100)
    y, sr = load_audio(path, sample_rate=16000, mono=True)
    assert sr == 16000 and y.shape == (1, 4000)


def test_save_is_atomic_and_clips_integers(tmp_path):
    path = save_audio(tmp_path / "sub" / "a.wav", np.array([2.0, -3.0, 0.5], np.float32), 8000)
    assert sorted(os.listdir(path.parent)) == ["a.wav"]   # no temporary file left behind
    y, _ = load_audio(path)
    np.testing.assert_allclose(y[0], [1.0, -1.0, 0.5], atol=1e-4)


def test_save_errors(tmp_path):
    with pytest.raises(AudioError, match="cannot write '.mp3'"):
        save_audio(tmp_path / "a.mp3", np.zeros(10), 8000)
    with pytest.raises(AudioError, match="NaN"):
        save_audio(tmp_path / "a.wav", np.array([np.nan, 0.0]), 8000)
    with pytest.raises(AudioError, match="subtype FLOAT"):
        save_audio(tmp_path / "a.flac", np.zeros(10), 8000, subtype="FLOAT")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, reason", [
    ("unreadable", "corrupt"), ("not_audio", "not an audio file"),
    ("not_audio_pdf", "not an audio file"), ("empty", "empty"),
])
def test_bad_files_raise_audio_error_naming_the_file(tmp_path, name, reason):
    path = make_bad_files(tmp_path)[name]
    for fn in (load_audio, audio_info):
        with pytest.raises(AudioError, match=reason) as err:
            fn(path)
        assert str(path) in str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_audio_extensions():
    assert {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aiff"} <= AUDIO_EXTENSIONS
    assert all(e == e.lower() and e.startswith(".") for e in AUDIO_EXTENSIONS)
    assert ".txt" not in AUDIO_EXTENSIONS and ".pdf" not in AUDIO_EXTENSIONS
