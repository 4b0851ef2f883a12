"""Causal DDSP-style synthesis at the output rate: harmonic bank + fixed band noise + FIR post-filter.

Everything is sample-accurate streaming: f0 and amplitudes are interpolated linearly from the
previous frame's values to the current frame's inside each hop, so no lookahead is needed. The
previous frame's values, the oscillator phase and the noise-table position are the state.

The oscillator phase is accumulated in float64 (a cumulative sum over a whole file in float32
drifts by ~1e-3 cycles after 20 s, which would make whole-file and chunked output differ). It is
stored in the float32 state as a (hi, lo) pair so the exported state stays one float32 buffer.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from soundry.nn.streaming import State


def band_noise_table(sample_rate: int, n_bands: int, length: int, seed: int = 0) -> np.ndarray:
    """Fixed looped noise split into ``n_bands`` mel-spaced bands: ``(n_bands, length)`` float32.

    Made in the frequency domain from one white noise, so the bands sum to white noise, each band
    loops seamlessly (circular) and has unit RMS.
    """
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length, 1.0 / sample_rate)
    mel = 2595.0 * np.log10(1.0 + freqs / 700.0)
    edges = np.linspace(0.0, mel[-1] + 1e-6, n_bands + 1)
    table = np.zeros((n_bands, length))
    for b in range(n_bands):
        mask = (mel >= edges[b]) & (mel < edges[b + 1])
        band = np.fft.irfft(spec * mask, n=length)
        table[b] = band / max(float(np.sqrt(np.mean(band ** 2))), 1e-9)
    return table.astype(np.float32)


def mel_position(freq_hz: torch.Tensor, nyquist: float, n_points: int) -> torch.Tensor:
    """Fractional index of ``freq_hz`` on an ``n_points`` mel grid spanning 0..nyquist."""
    top = 2595.0 * math.log10(1.0 + nyquist / 700.0)
    return 2595.0 * torch.log10(1.0 + freq_hz / 700.0) / top * (n_points - 1)


class HarmonicNoiseSynth(nn.Module):
    """Frame controls -> ``(B, T * hop)`` samples; amplitudes are linear (not dB).

    Inputs per frame: ``f0 (B, T)`` Hz (0 = unvoiced), ``harm (B, T, K)`` amplitude of harmonics
    1..K, ``noise (B, T, N)`` gain of each noise band. State: previous f0 ``(B, 1)``, previous
    harmonic amplitudes ``(B, K)``, previous noise gains ``(B, N)``, phase (hi, lo) ``(B, 2)`` in
    cycles, noise-table position ``(B, 1)`` in samples.
    """

    def __init__(self, sample_rate: int = 24000, hop: int = 240, n_harmonics: int = 120,
                 n_noise_bands: int = 32, noise_length: int = 8192, seed: int = 0):
        super().__init__()
        self.sample_rate, self.hop = sample_rate, hop
        self.n_harmonics, self.n_noise_bands, self.noise_length = n_harmonics, n_noise_bands, noise_length
        table = band_noise_table(sample_rate, n_noise_bands, noise_length, seed)
        self.register_buffer("noise_table", torch.from_numpy(table))
        self.register_buffer("k", torch.arange(1, n_harmonics + 1, dtype=torch.float32), persistent=False)
        # ramp[n] = (n + 1) / hop: the last sample of a hop reaches the current frame's value
        self.register_buffer("ramp", torch.arange(1, hop + 1, dtype=torch.float32) / hop, persistent=False)
        self.n_states = 5

    def init_state(self, batch: int) -> State:
        z = self.noise_table.new_zeros
        return [z(batch, 1), z(batch, self.n_harmonics), z(batch, self.n_noise_bands), z(batch, 2), z(batch, 1)]

    @staticmethod
    def _with_prev(prev: torch.Tensor, cur: torch.Tensor) -> torch.Tensor:
        """Values of the previous frame for each frame: ``prev (B, ...) + cur (B, T, ...)``."""
        return torch.cat([prev.unsqueeze(1), cur[:, :-1]], dim=1)

    def _interp_sum(self, sig: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
        """sum_k sig[..., n, k] * (start_k + (end_k - start_k) * ramp[n]): ``(B, T, hop)``.

        Two small matmuls instead of materialising per-sample amplitudes (hop x K per frame).
        """
        coef = torch.stack([start, end - start], dim=-1)            # (B, T, K, 2)
        both = torch.matmul(sig, coef)                              # (B, T, hop, 2)
        return both[..., 0] + both[..., 1] * self.ramp

    def forward(self, f0: torch.Tensor, harm: torch.Tensor, noise: torch.Tensor,
                state: State) -> tuple[torch.Tensor, State]:
        prev_f0, prev_harm, prev_noise, phase, pos = state
        b, t = f0.shape
        f0_prev = torch.cat([prev_f0, f0[:, :-1]], dim=1)
        # glide only between voiced frames; at on/offsets hold the voiced frame's f0
        start = torch.where(f0_prev > 0, f0_prev, f0)
        end = torch.where(f0 > 0, f0, f0_prev)
        f_inst = start.unsqueeze(-1) + (end - start).unsqueeze(-1) * self.ramp       # (B, T, hop) Hz

        inc = (f_inst.reshape(b, t * self.hop) / self.sample_rate).to(torch.float64)
        phase0 = phase[:, :1].to(torch.float64) + phase[:, 1:].to(torch.float64)
        cycles = phase0 + torch.cumsum(inc, dim=1)
        cycles = cycles - torch.floor(cycles)                                          # [0, 1)
        last = cycles[:, -1:]
        hi = last.to(torch.float32)
        lo = (last - hi.to(torch.float64)).to(torch.float32)
        phi = cycles.to(torch.float32).reshape(b, t, self.hop, 1)

        sines = torch.sin((2 * math.pi) * phi * self.k)                                 # (B, T, hop, K)
        harm_prev = self._with_prev(prev_harm, harm)
        voiced = self._interp_sum(sines, harm_prev, harm)

        n = t * self.hop
        idx = torch.remainder(pos.to(torch.int64) + torch.arange(n, device=f0.device), self.noise_length)
        bands = self.noise_table[:, idx.reshape(-1)].reshape(self.n_noise_bands, b, t, self.hop)
        bands = bands.permute(1, 2, 3, 0)                                                # (B, T, hop, N)
        noise_prev = self._with_prev(prev_noise, noise)
        unvoiced = self._interp_sum(bands, noise_prev, noise)

        # from idx, not `pos + n`: a Python int of the chunk length would be frozen at export
        new_pos = torch.remainder(idx[:, -1:] + 1, self.noise_length).to(pos.dtype)
        out = (voiced + unvoiced).reshape(b, n)
        new_state = [f0[:, -1:], harm[:, -1], noise[:, -1], torch.cat([hi, lo], dim=1), new_pos]
        return out, new_state


class FIRPostFilter(nn.Module):
    """Learned causal FIR ``(B, T) -> (B, T)``, initialised to the identity; state: last taps-1 samples."""

    def __init__(self, taps: int = 256):
        super().__init__()
        self.taps = taps
        weight = torch.zeros(1, 1, taps)
        weight[..., -1] = 1.0                      # the newest sample sits at the kernel's end
        self.weight = nn.Parameter(weight)
        self.n_states = 1

    def init_state(self, batch: int) -> State:
        return [self.weight.new_zeros(batch, self.taps - 1)]

    def forward(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        full = torch.cat([state[0], x], dim=1)
        y = nn.functional.conv1d(full.unsqueeze(1), self.weight).squeeze(1)
        return y, [full[:, full.shape[1] - (self.taps - 1):]]
