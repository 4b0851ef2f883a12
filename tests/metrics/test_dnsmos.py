"""DNSMOS through speechmos's shipped ONNX models."""

import math
import sys

import numpy as np
import pytest

from soundry.errors import MissingDependencyError
from soundry.metrics import dnsmos
from soundry.metrics import quality
from soundry.testing.synth import DEMO_SPEAKERS, synthesize

pytest.importorskip("speechmos", reason="optional: pip install speechmos")


def test_speech_like_audio_scores_in_range_and_above_white_noise():
    speech = synthesize("the quick brown fox jumps over the lazy dog", DEMO_SPEAKERS[2], 22050)
    scores = dnsmos(speech, 22050)
    assert set(scores) == {"ovrl", "sig", "bak", "p808"}
    assert all(math.isfinite(v) and 1.0 <= v <= 5.0 for v in scores.values())
    noise = np.random.default_rng(0).standard_normal(2 * 16000).astype(np.float32) * 0.3
    noisy = dnsmos(noise, 16000)
    assert all(1.0 <= v <= 5.0 for v in noisy.values())
    assert noisy["ovrl"] < scores["ovrl"] - 0.5 and noisy["bak"] < scores["bak"]


def test_short_clips_are_looped_to_one_window_and_silence_is_nan():
    x = np.arange(5, dtype=np.float32)
    looped = quality.loop_to_window(x)
    assert len(looped) == 144160 and np.array_equal(looped[:10], np.r_[x, x])
    assert all(math.isnan(v) for v in dnsmos(np.zeros(800, np.float32), 16000).values())


def test_missing_speechmos_names_the_install_command(monkeypatch):
    monkeypatch.setattr(quality, "_MODELS", {})
    monkeypatch.setitem(sys.modules, "speechmos", None)
    monkeypatch.setitem(sys.modules, "speechmos.dnsmos", None)
    with pytest.raises(MissingDependencyError, match="pip install speechmos"):
        dnsmos(np.ones(1600, np.float32) * 0.1, 16000)
