"""The numpy speech synthesiser: determinism, pitch per speaker, timbre, durations."""

from __future__ import annotations

import numpy as np
import pytest

from soundry.audio import find_speech
from soundry.testing import DEMO_SPEAKERS, SENTENCES, SpeakerSpec, synthesize
from soundry.testing.phonemes import PAUSE_END, PAUSE_PHRASE, PAUSE_WORD, text_to_words

SR = 16000


def _median_f0(x: np.ndarray, sr: int, fmin: float = 60.0, fmax: float = 400.0) -> float:
    """Median f0 (Hz) of the voiced frames, by normalised autocorrelation."""
    frame, hop = int(0.04 * sr), int(0.01 * sr)
    frames = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), frame)[::hop]
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = np.sum(frames ** 2, axis=1)
    loud = energy > 0.05 * energy.max()
    spec = np.fft.rfft(frames[loud], n=2 * frame, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :frame]
    ac = ac / ac[:, :1]
    lo, hi = int(sr / fmax), int(sr / fmin)
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    voiced = ac[np.arange(len(lags)), lags] > 0.5
    return float(np.median(sr / lags[voiced]))


def test_same_inputs_same_samples():
    text = SENTENCES[0]
    a = synthesize(text, DEMO_SPEAKERS[0], SR, seed=1)
    b = synthesize(text, DEMO_SPEAKERS[0], SR, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, synthesize(text, DEMO_SPEAKERS[0], SR, seed=2))
    assert a.dtype == np.float32 and np.isfinite(a).all() and np.max(np.abs(a)) <= 0.9


@pytest.mark.parametrize("spec", DEMO_SPEAKERS, ids=lambda s: s.name)
def test_median_f0_matches_the_speaker(spec):
    x = np.concatenate([synthesize(SENTENCES[i], spec, SR, seed=i) for i in (3, 17)])
    assert _median_f0(x, SR) == pytest.approx(spec.f0_hz, rel=0.15)


def test_male_and_female_voices_are_clearly_apart():
    text = SENTENCES[5]
    f0 = {s.name: _median_f0(synthesize(text, s, SR), SR) for s in DEMO_SPEAKERS}
    males = [f0[s.name] for s in DEMO_SPEAKERS if s.f0_hz < 150]
    females = [f0[s.name] for s in DEMO_SPEAKERS if s.f0_hz > 150]
    assert len(males) == 2 and len(females) == 2
    assert max(males) * 1.4 < min(females)
    assert len({round(v / 10) for v in f0.values()}) == 4     # all four differ


def _centroid_hz(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.shape[0], 1 / sr)
    band = freqs < 4000
    return float(np.sum(freqs[band] * spec[band]) / np.sum(spec[band]))


def test_shorter_vocal_tract_raises_the_spectrum():
    base = dict(name="x", f0_hz=120.0, breathiness=0.0)
    long_tract = synthesize(SENTENCES[8], SpeakerSpec(vtl_factor=1.1, **base), SR)
    short_tract = synthesize(SENTENCES[8], SpeakerSpec(vtl_factor=0.8, **base), SR)
    assert _centroid_hz(short_tract, SR) > 1.15 * _centroid_hz(long_tract, SR)


@pytest.mark.parametrize("spec", [min(DEMO_SPEAKERS, key=lambda s: s.rate),
                                  max(DEMO_SPEAKERS, key=lambda s: s.rate)], ids=["slow", "fast"])
def test_every_sentence_lasts_1_5_to_4_seconds(spec):
    for i, text in enumerate(SENTENCES):
        seconds = synthesize(text, spec, 8000, seed=i).shape[0] / 8000
        assert 1.5 <= seconds <= 4.0, (text, seconds)


def test_speech_has_pauses_and_is_found_by_the_slicer():
    x = synthesize("Fresh bread, warm soup, and cold milk.", DEMO_SPEAKERS[2], SR)
    spans = find_speech(x, SR, min_interval=0.1, min_length=0.2, max_silence_kept=0.0)
    assert len(spans) >= 2                            # the commas make pauses
    voiced = sum(e - s for s, e in spans) / x.shape[0]
    assert 0.4 < voiced < 0.95


def test_text_to_words_units_and_pauses():
    words = text_to_words("She sells fish, quickly. Yes!")
    assert [w.pause for w in words] == [PAUSE_WORD, PAUSE_WORD, PAUSE_PHRASE, PAUSE_END,
                                        PAUSE_END]
    assert words[0].units == ("sh", "e")
    assert words[1].units == ("s", "e", "l", "s")      # doubled l sounds once
    assert words[3].units[:2] == ("k", "w")
    assert words[4].units[0] == "j"
    assert text_to_words("123 ...") == []
