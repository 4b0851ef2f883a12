"""VoiceConverter on a tiny random-weight bundle: voices, block invariance, alignment, controls."""

import shutil

import numpy as np
import pytest
from vc_bundle_helpers import session_bundle

from soundry.errors import CheckpointError, SoundryError
from soundry.runtime import VoiceConverter
from soundry.runtime.pitch import average_pitch, estimate_f0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return session_bundle(tmp_path_factory)


@pytest.fixture(scope="module")
def vc(bundle):
    return VoiceConverter(bundle)


def _voice_like(seconds=0.6, sr=16000, f0=150.0):
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(0)
    return (0.3 * np.sin(2 * np.pi * f0 * t * (1 + 0.2 * t)) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def test_voices_and_lookup(vc):
    assert [(v.index, v.name, v.average_pitch) for v in vc.voices] == [(0, "clara", 60.0), (1, "arthur", 45.0)]
    assert vc.voice("Arthur").index == 1 and vc.voice(0).name == "clara" and vc.voice("1").name == "arthur"
    with pytest.raises(SoundryError, match="0: clara, 1: arthur"):
        vc.voice("bob")
    with pytest.raises(SoundryError):
        vc.voice(2)


def test_block_size_does_not_change_the_output(vc):
    x = _voice_like()
    x[1600:3200] = 0.0  # digital silence mid-stream must not poison the state
    n = len(x) // 160 * 160

    def run(frames):
        state, out = vc.new_state(), []
        for s in range(0, n, frames * 160):
            y, state = vc.process(x[s:s + frames * 160], state, "clara", pitch_shift=2.0)
            out.append(y)
        return np.concatenate(out)

    one, hundred, whole = run(1), run(100), run(n // 160)
    assert one.shape == (n // 160 * 240,) and np.all(np.isfinite(one)) and np.abs(one).max() > 1e-3
    assert np.abs(one - hundred).max() < 1e-4 and np.abs(one - whole).max() < 1e-4


def test_process_rejects_partial_frames(vc):
    with pytest.raises(ValueError, match="multiple of 160"):
        vc.process(np.zeros(100, np.float32), vc.new_state(), 0)


def test_convert_keeps_duration_and_alignment(vc):
    stereo = np.stack([_voice_like(0.77, 22050), _voice_like(0.77, 22050)])
    y, rate = vc.convert(stereo, 22050, "arthur")
    assert rate == 24000 and y.shape == (round(stereo.shape[1] * 24000 / 22050),)
    assert y.dtype == np.float32 and np.all(np.isfinite(y))
    y1, _ = vc.convert(stereo, 22050, "arthur", block_frames=1)
    assert np.abs(y - y1).max() < 1e-4
    # latency compensation: the streamed output shifted by latency_ms is what convert returns
    x16 = _voice_like(0.5)
    state, raw = vc.new_state(), []
    padded = np.pad(x16, (0, 320))
    for s in range(0, len(padded), 160):
        out, state = vc.process(padded[s:s + 160], state, "arthur")
        raw.append(out)
    raw = np.concatenate(raw)
    got, _ = vc.convert(x16, 16000, "arthur")
    assert np.abs(got - raw[vc.latency_out:vc.latency_out + len(got)]).max() < 1e-4


def test_pitch_shift_moves_the_output_pitch(vc):
    x = (0.3 * np.sin(2 * np.pi * 150 * np.arange(16000) / 16000)).astype(np.float32)
    medians = []
    for shift in (0.0, 12.0):
        y, rate = vc.convert(x, 16000, "clara", pitch_shift=shift)
        f0 = estimate_f0(y, rate, fmin=40)
        assert (f0 > 0).mean() > 0.8
        medians.append(np.median(f0[f0 > 0]))
    assert medians[1] / medians[0] == pytest.approx(2.0, rel=0.05)
    # the other controls reach the graph too
    base, _ = vc.convert(x, 16000, "clara")
    for kw in ({"formant_shift": 2.0}, {"index_rate": 1.0}):
        assert np.abs(vc.convert(x, 16000, "clara", **kw)[0] - base).max() > 1e-3


def test_auto_pitch_uses_the_voice_average(vc):
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(8000) / 16000)).astype(np.float32)  # MIDI 57
    assert vc.suggest_pitch_shift(x, 16000, "clara") == pytest.approx(3.0, abs=0.1)
    assert vc.suggest_pitch_shift(np.zeros(8000, np.float32), 16000, "clara") == 0.0
    auto, _ = vc.convert(x, 16000, "clara", auto_pitch=True)
    manual, _ = vc.convert(x, 16000, "clara", pitch_shift=vc.suggest_pitch_shift(x, 16000, "clara"))
    assert np.abs(auto - manual).max() < 1e-5


def test_yin_estimate():
    sr = 16000
    t = np.arange(sr) / sr
    for f in (80.0, 220.0, 700.0):
        f0 = estimate_f0(np.sign(np.sin(2 * np.pi * f * t)) * 0.2, sr)
        assert f0.shape == (100,) and np.median(f0[f0 > 0]) == pytest.approx(f, rel=0.01)
    assert not estimate_f0(np.random.default_rng(0).standard_normal(sr) * 0.1, sr).any()
    assert average_pitch(np.zeros(sr), sr) is None
    assert average_pitch(0.3 * np.sin(2 * np.pi * 440 * t), sr) == pytest.approx(69.0, abs=0.05)


def test_live_input_gets_the_training_high_pass(vc, bundle, tmp_path):
    """The runtime filters input like prepare filtered the training data (causal Butterworth,
    block by block), so DC and rumble from a live microphone never reach the model."""
    import json

    from soundry.audio import highpass

    x = _voice_like() + np.float32(0.2)              # a DC offset, as cheap interfaces have
    n = len(x) // 160 * 160
    state, out = vc.new_state(), []
    for s in range(0, n, 320):
        y, state = vc.process(x[s:s + 320], state, "clara")
        out.append(y)
    raw = _copy(bundle, tmp_path)
    meta = json.loads((raw / "meta.json").read_text())
    del meta["input_filter"]
    (raw / "meta.json").write_text(json.dumps(meta))
    plain = VoiceConverter(raw)
    assert "input_filter" not in plain.new_state()
    ref, _ = plain.process(highpass(x[:n], 16000, 48.0), plain.new_state(), "clara")
    assert np.abs(np.concatenate(out) - ref).max() < 1e-4


def _copy(bundle, tmp_path):
    dst = tmp_path / "b"
    shutil.copytree(bundle, dst)
    return dst


@pytest.mark.parametrize("damage, needle", [
    (lambda b: (b / "voices.toml").unlink(), "no voices.toml"),
    (lambda b: (b / "voices.toml").write_text("[voice.0\nname=", encoding="utf-8"), "not valid TOML"),
    (lambda b: (b / "voices.toml").write_text('[voice.5]\nname = "x"\n', encoding="utf-8"), "out of range"),
    (lambda b: (b / "voices.toml").write_text('[voice.0]\nname = "x"\n[voice.1]\nname = "x"\n',
                                              encoding="utf-8"), "used twice"),
    (lambda b: (b / "model.onnx").unlink(), "has no model.onnx"),
    (lambda b: (b / "model.onnx").write_bytes(b"not onnx"), "cannot be loaded"),
    (lambda b: (b / "meta.json").unlink(), "no meta.json"),
])
def test_broken_bundles_give_clear_errors(bundle, tmp_path, damage, needle):
    b = _copy(bundle, tmp_path)
    damage(b)
    with pytest.raises(CheckpointError, match=needle):
        VoiceConverter(b)
