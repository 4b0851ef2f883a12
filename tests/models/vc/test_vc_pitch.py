import numpy as np
import pytest
import torch

from soundry.models.vc.pitch import PitchTracker


def _harmonic(f0: np.ndarray, sr: int = 16000, n_harm: int = 12) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(f0) / sr
    return (0.3 * sum(np.sin(k * phase) / k for k in range(1, n_harm + 1))).astype(np.float32)


def _vibrato_glide(seconds: float = 1.0, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return 110.0 * np.linspace(1.0, 3.0, t.size) * 2 ** (0.5 * np.sin(2 * np.pi * 5 * t) / 12)


def test_matches_harvest_on_vibrato_glide():
    pyworld = pytest.importorskip("pyworld")
    sr, f_true = 16000, _vibrato_glide()
    x = _harmonic(f_true)
    tracker = PitchTracker()
    f0, per = tracker.track(torch.from_numpy(x)[None])
    f0 = f0[0].numpy()
    ref, _ = pyworld.harvest(x.astype(np.float64), sr, f0_floor=60, f0_ceil=1000, frame_period=10)
    # our frame t describes the window ending at (t + 1) * hop: centre ~ window/2 earlier than its end
    centre_s = ((np.arange(f0.size) + 1) * tracker.hop - tracker.window / 2) / sr
    ref_at = np.interp(centre_s, np.arange(ref.size) * 0.01, ref)
    voiced = (f0 > 0) & (ref_at > 0)
    voiced[:5] = False                     # the first frames still hold the zero start state
    assert voiced.sum() > 0.9 * (f0.size - 5)
    err = np.abs(f0[voiced] / ref_at[voiced] - 1)
    assert np.median(err) < 0.01 and np.percentile(err, 95) < 0.03
    assert float(per[0, 10:].min()) > 0.7


@pytest.mark.parametrize("freq", [65.0, 220.0, 900.0])
def test_steady_tones_across_range(freq):
    x = _harmonic(np.full(8000, freq), n_harm=3)
    f0, _ = PitchTracker().track(torch.from_numpy(x)[None])
    assert np.allclose(f0[0, 5:].numpy(), freq, rtol=0.02)


def test_silence_and_noise_are_unvoiced():
    tracker = PitchTracker()
    f0, _ = tracker.track(torch.zeros(1, 3200))
    assert torch.all(f0 == 0)
    noise = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 8000)).astype(np.float32) * 0.1)
    f0, _ = tracker.track(noise)
    assert (f0 > 0).float().mean() < 0.2


def test_chunked_equals_whole():
    x = torch.from_numpy(_harmonic(_vibrato_glide(0.5)))[None]
    tracker = PitchTracker()
    whole, _ = tracker.track(x, chunk_frames=1000)
    state, outs = tracker.init_state(1), []
    for i in range(0, x.shape[1], 160):
        (f0, _), state = tracker(x[:, i:i + 160], state)
        outs.append(f0)
    assert torch.allclose(torch.cat(outs, 1), whole, rtol=1e-5)


def test_on_demo_speech_agrees_with_harvest():
    pyworld = pytest.importorskip("pyworld")
    synth = pytest.importorskip("soundry.testing.synth")
    from soundry.audio import resample

    wave = synth.synthesize("a quiet morning on the river", synth.DEMO_SPEAKERS[2], 22050, seed=0)
    x = resample(wave[None], 22050, 16000)[0].astype(np.float32)
    tracker = PitchTracker()
    f0 = tracker.track(torch.from_numpy(x)[None])[0][0].numpy()
    ref, _ = pyworld.harvest(x.astype(np.float64), 16000, f0_floor=60, f0_ceil=1000, frame_period=10)
    centre_s = ((np.arange(f0.size) + 1) * tracker.hop - tracker.window / 2) / 16000
    ref_at = np.interp(centre_s, np.arange(ref.size) * 0.01, ref)
    both = (f0 > 0) & (ref_at > 0)
    assert both.sum() > 50
    err = np.abs(f0[both] / ref_at[both] - 1)
    assert np.median(err) < 0.03
