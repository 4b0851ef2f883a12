import math

import numpy as np
import torch

from soundry.models.vc import HarmonicNoiseSynth, PitchTracker, VoiceGenerator, band_noise_table
from soundry.models.vc.presets import vc_preset


def _tiny_generator(seed: int = 0) -> VoiceGenerator:
    torch.manual_seed(seed)
    kw = vc_preset("tiny")["generator"]
    gen = VoiceGenerator(content_dim=8, n_speakers=2, **kw)
    torch.nn.init.normal_(gen.head.weight, std=0.3)
    return gen


def _dominant_f0(wave24: np.ndarray) -> float:
    x16 = torch.from_numpy(np.interp(np.arange(0, wave24.size, 1.5), np.arange(wave24.size), wave24)
                           .astype(np.float32))[None]
    f0, _ = PitchTracker().track(x16)
    f0 = f0[0, 10:].numpy()
    return float(np.median(f0[f0 > 0]))


def _envelope_synth(f0_hz: float, formant: float, frames: int = 60):
    """Harmonics from a fixed envelope with one formant peak near 1 kHz, via VoiceGenerator maths."""
    gen = _tiny_generator()
    env_pos = torch.arange(gen.n_envelope, dtype=torch.float32)
    peak = float(gen.n_envelope) * 0.3
    envelope = (-0.5 * ((env_pos - peak) / 1.5) ** 2).expand(1, frames, -1)
    f0 = torch.full((1, frames), f0_hz)
    amps = gen.harmonic_amplitudes(envelope, torch.zeros(1, frames), f0, torch.tensor([formant]))
    wave, _ = gen.synth(f0, amps, torch.zeros(1, frames, gen.n_noise_bands), gen.synth.init_state(1))
    return amps, wave[0].numpy()


def test_pitch_shift_octave_doubles_f0():
    base = 2 ** (0 / 12) * 140.0
    _, low = _envelope_synth(base, 0.0)
    _, high = _envelope_synth(base * 2 ** (12 / 12), 0.0)
    assert abs(_dominant_f0(low) / 140.0 - 1) < 0.02
    assert abs(_dominant_f0(high) / _dominant_f0(low) - 2.0) < 0.04


def test_formant_shift_moves_envelope_not_f0():
    amps0, w0 = _envelope_synth(150.0, 0.0)
    amps1, w1 = _envelope_synth(150.0, 4.0)
    peak0 = int(amps0[0, 5].argmax())
    peak1 = int(amps1[0, 5].argmax())
    assert peak1 > peak0                       # formants up -> the strongest harmonic moves up
    assert abs(_dominant_f0(w0) - _dominant_f0(w1)) / 150.0 < 0.02


def test_harmonics_above_nyquist_are_silent():
    gen = _tiny_generator()
    f0 = torch.full((1, 3), 1000.0)
    amps = gen.harmonic_amplitudes(torch.zeros(1, 3, gen.n_envelope), torch.zeros(1, 3), f0, torch.zeros(1))
    k = torch.arange(1, gen.n_harmonics + 1)
    assert torch.all(amps[0, :, k * 1000 >= 12000] == 0) and torch.all(amps[0, :, k * 1000 < 12000] > 0)


def test_synth_chunked_equals_whole_over_long_signal():
    synth = HarmonicNoiseSynth(24000, 240, n_harmonics=40, n_noise_bands=4, noise_length=1000)
    torch.manual_seed(0)
    frames = 400
    f0 = 200 + 100 * torch.sin(torch.linspace(0, 20, frames))[None]
    f0[:, 100:120] = 0.0
    harm, noise = torch.rand(1, frames, 40) * 0.1, torch.rand(1, frames, 4) * 0.01
    whole, _ = synth(f0, harm, noise, synth.init_state(1))
    state, outs = synth.init_state(1), []
    for t in range(frames):
        y, state = synth(f0[:, t:t + 1], harm[:, t:t + 1], noise[:, t:t + 1], state)
        outs.append(y)
    assert torch.max(torch.abs(torch.cat(outs, 1) - whole)) < 1e-5


def test_band_noise_table_is_deterministic_and_unit_rms():
    a = band_noise_table(24000, 8, 2048, seed=3)
    assert a.shape == (8, 2048) and np.array_equal(a, band_noise_table(24000, 8, 2048, seed=3))
    assert np.allclose(np.sqrt((a ** 2).mean(1)), 1.0, atol=1e-4)


def test_generator_batches_are_differentiable():
    gen = _tiny_generator()
    content = torch.randn(2, 20, 8, requires_grad=True)
    f0 = torch.full((2, 20), 180.0)
    f0[:, :5] = 0
    wave = gen.synthesize(content, f0, torch.full((2, 20), -20.0), torch.tensor([0, 1]))
    assert wave.shape == (2, 20 * 240) and torch.isfinite(wave).all()
    wave.pow(2).mean().backward()
    assert content.grad.abs().sum() > 0
    assert gen.post.weight.grad is not None and gen.speaker.weight.grad.abs().sum() > 0
    assert math.isfinite(float(gen.head.weight.grad.abs().sum()))
