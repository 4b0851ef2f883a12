"""Speaker similarity with Resemblyzer's shipped encoder, on the demo synthesiser's voices."""

import sys

import numpy as np
import pytest

from soundry.errors import MissingDependencyError
from soundry.metrics import SpeakerEncoder, speaker_similarity
from soundry.testing.synth import DEMO_SPEAKERS, synthesize

pytest.importorskip("resemblyzer", reason="optional: pip install --no-deps resemblyzer")

TEXT_A = "the quick brown fox jumps over the lazy dog"
TEXT_B = "a different sentence about a lazy cat"


@pytest.fixture(scope="module")
def encoder():
    return SpeakerEncoder()


def test_embedding_shape_norm_and_self_similarity(encoder):
    clip = synthesize(TEXT_A, DEMO_SPEAKERS[0], 16000)
    emb = encoder.embed(clip, 16000)
    assert emb.shape == (256,) and emb.dtype == np.float32
    assert np.isclose(np.linalg.norm(emb), 1.0, atol=1e-5)
    assert speaker_similarity(emb, emb) == pytest.approx(1.0, abs=1e-6)
    # the same clip at another rate (resampled inside) gives nearly the same embedding
    other_rate = encoder.embed(synthesize(TEXT_A, DEMO_SPEAKERS[0], 22050), 22050)
    assert speaker_similarity(emb, other_rate) > 0.95


def test_same_voice_is_closer_than_another_voice(encoder):
    arthur_a = encoder.embed(synthesize(TEXT_A, DEMO_SPEAKERS[0], 16000), 16000)
    arthur_b = encoder.embed(synthesize(TEXT_B, DEMO_SPEAKERS[0], 16000), 16000)
    clara_a = encoder.embed(synthesize(TEXT_A, DEMO_SPEAKERS[2], 16000), 16000)
    assert speaker_similarity(arthur_a, arthur_b) > speaker_similarity(arthur_a, clara_a) + 0.1
    sims = speaker_similarity(np.stack([arthur_a, clara_a]), np.stack([arthur_b, clara_a, arthur_a]))
    assert sims.shape == (2, 3) and np.isclose(sims[1, 1], 1.0, atol=1e-5)
    assert speaker_similarity(arthur_a, np.stack([arthur_b, clara_a])).shape == (2,)


def test_silent_clip_gives_nan_not_an_error(encoder):
    emb = encoder.embed(np.zeros((2, 8000), np.float32), 16000)
    assert emb.shape == (256,) and np.all(np.isnan(emb))
    assert np.isnan(speaker_similarity(emb, np.ones(256)))


def test_missing_resemblyzer_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "resemblyzer", None)
    with pytest.raises(MissingDependencyError, match="pip install .*resemblyzer"):
        SpeakerEncoder().embed(np.zeros(16000, np.float32), 16000)
