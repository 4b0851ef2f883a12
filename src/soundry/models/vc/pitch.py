"""A streaming YIN pitch tracker written in torch ops that export to ONNX (no training needed).

For each 10 ms frame it looks at the last ``window`` samples (default 40 ms at 16 kHz, enough for
two periods of 60 Hz), computes the cumulative-mean-normalised difference function (CMND, the
"YIN" function) for every lag from ``sr / fmax`` to ``sr / fmin``, takes the first local minimum
under ``threshold`` (else the global minimum), refines it by parabolic interpolation and calls the
frame voiced when the CMND there is under ``voicing`` and the frame is louder than ``min_db``.

``voicing`` is 0.6, looser than YIN's usual 0.3: with 0.3 a third of the frames pyworld's harvest
calls voiced came out unvoiced (over 40% for low male voices), and the generator can only fill
those with noise. On held-out male -> female conversions that noise cost the output its pitch
(F0 correlation 0.54 -> 0.90 and DNSMOS 1.40 -> 1.59 going from 0.3 to 0.6, same weights).

The cross term of the difference function is computed with real FFTs of ``n_fft >= window``
(ONNX ``DFT``): a grouped conv with the frame as kernel cannot export with a dynamic number of
frames, and building the lag matrix with a gather costs ~10x more on one thread.

Octave guard (stateful): YIN's typical error is picking twice the true period. If the previous
frame's raw estimate is close to half the current period and the CMND at half the period is
almost as low, the half period wins. The reference is the previous *raw* estimate, not the
guarded output, so the whole-file path stays a vectorised computation.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from soundry.nn.streaming import State


class PitchTracker(nn.Module):
    """``(B, hop * T)`` samples at ``sample_rate`` -> f0 ``(B, T)`` Hz (0 = unvoiced), periodicity ``(B, T)``.

    Frame ``t`` ends at sample ``(t + 1) * hop``; its analysis window is the ``window`` samples
    before that, so the estimate describes the signal about ``window / 2`` samples in the past.
    State: the last ``window - hop`` input samples ``(B, window - hop)`` and the previous raw
    period ``(B, 1)`` in samples (0 = none).
    """

    def __init__(self, sample_rate: int = 16000, hop: int = 160, fmin: float = 60.0,
                 fmax: float = 1000.0, window_ms: float = 40.0, threshold: float = 0.15,
                 voicing: float = 0.6, min_db: float = -55.0, octave_tolerance: float = 0.1):
        super().__init__()
        self.sample_rate, self.hop = sample_rate, hop
        self.min_lag = max(2, int(math.floor(sample_rate / fmax)))
        self.max_lag = int(math.ceil(sample_rate / fmin))
        window = max(int(round(window_ms * sample_rate / 1000)), 2 * self.max_lag + 2)
        window = int(math.ceil(window / hop) * hop)
        self.window = window
        self.span = window - self.max_lag - 1      # samples summed per lag (lags up to max_lag + 1)
        self.n_fft = 2 ** int(math.ceil(math.log2(window)))
        self.threshold, self.voicing, self.min_db = threshold, voicing, min_db
        self.octave_tolerance = octave_tolerance
        self.n_states = 2
        self.register_buffer("offsets", torch.tensor([-1, 0, 1]), persistent=False)
        # columns: parabola vertex numerator 0.5*(y0 - y2), denominator y0 - 2*y1 + y2, centre y1
        self.register_buffer("parabola", torch.tensor([[0.5, 1.0, 0.0], [0.0, -2.0, 1.0], [-0.5, 1.0, 0.0]]),
                             persistent=False)
        self.register_buffer("lags", torch.arange(1, self.max_lag + 2, dtype=torch.float32), persistent=False)

    def init_state(self, batch: int) -> State:
        return [torch.zeros(batch, self.window - self.hop), torch.zeros(batch, 1)]

    def _frames(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, window - hop + hop*T)`` -> overlapping windows ``(B, T, window)``.

        Shifted slices of the hop grid rather than ``unfold``, which exports as an index Gather.
        """
        b, per = x.shape[0], self.window // self.hop
        grid = x.reshape(b, -1, self.hop)
        t = grid.shape[1] - per + 1
        return torch.cat([grid[:, i:i + t] for i in range(per)], dim=-1)

    def _cross(self, frames: torch.Tensor) -> torch.Tensor:
        """``cross[t, tau] = sum_{j<span} x_t[j] * x_t[j + tau]`` for tau = 0..max_lag+1 via FFT.

        ``(B, T, window)`` -> ``(B, T, max_lag + 2)``. No circular wrap: span + max_lag + 1 <= window.
        """
        n = self.n_fft
        both = torch.stack([nn.functional.pad(frames[..., :self.span], (0, self.window - self.span)), frames])
        spec = torch.view_as_real(torch.fft.rfft(nn.functional.pad(both, (0, n - self.window))))
        ar, ai, br, bi = spec[0, ..., 0], spec[0, ..., 1], spec[1, ..., 0], spec[1, ..., 1]
        prod = torch.complex(ar * br + ai * bi, ar * bi - ai * br)         # conj(A) * B
        return torch.fft.irfft(prod, n=n)[..., :self.max_lag + 2]

    def _cmnd(self, frames: torch.Tensor) -> torch.Tensor:
        """CMND for lags ``1..max_lag+1`` -> ``(B, T, max_lag + 1)`` (index i = lag i+1)."""
        n_lags = self.max_lag + 2
        csum = torch.cumsum(nn.functional.pad(frames * frames, (1, 0)), dim=-1)
        energy_tau = csum[..., self.span:self.span + n_lags] - csum[..., :n_lags]   # tau = 0..max_lag+1
        diff = (energy_tau[..., :1] + energy_tau - 2 * self._cross(frames))[..., 1:].clamp_min(0.0)
        running = torch.cumsum(diff, dim=-1) / self.lags
        return diff / running.clamp_min(1e-7)

    def forward(self, x: torch.Tensor, state: State) -> tuple[tuple[torch.Tensor, torch.Tensor], State]:
        """Streaming step: ``x (B, hop*T)`` -> ``((f0 (B, T), periodicity (B, T)), new_state)``."""
        full = torch.cat([state[0], x], dim=1)
        new_buf = full[:, full.shape[1] - (self.window - self.hop):]
        frames = self._frames(full)
        cmnd = self._cmnd(frames)                                  # index i <-> lag i + 1
        lo, hi = self.min_lag - 1, self.max_lag - 1                 # indices of min/max lag
        mid = cmnd[..., lo:hi + 1]
        is_min = (mid <= cmnd[..., lo - 1:hi]) & (mid <= cmnd[..., lo + 1:hi + 2]) & (mid < self.threshold)
        first = torch.argmax(is_min.to(torch.float32), dim=-1)
        best = torch.argmin(mid, dim=-1)
        idx = torch.where(is_min.any(dim=-1), first, best) + lo        # (B, T) index into cmnd
        # octave guard candidate: half the period (YIN's usual error is the double period)
        half = torch.clamp(torch.div(idx + 1, 2, rounding_mode="floor") - 1, lo, hi)
        # one gather for both candidates' neighbourhoods, one matmul for the parabola terms
        near = torch.stack([idx, half], dim=-1).unsqueeze(-1) + self.offsets      # (B, T, 2, 3)
        y = torch.gather(cmnd.unsqueeze(2).expand(-1, -1, 2, -1), -1, near)
        terms = torch.matmul(y, self.parabola)                                  # (B, T, 2, 3)
        num, den, value = terms.unbind(-1)
        shift = (num / torch.where(den.abs() > 1e-6, den, torch.ones_like(den))).clamp(-1.0, 1.0)
        period = torch.stack([idx, half], dim=-1).to(torch.float32) + 1.0 + shift   # (B, T, 2)
        raw, value_raw = period[..., 0], value[..., 0]

        # the previous frame's raw period (state[1]) is the reference; 0 means none
        prev = torch.cat([state[1], raw[:, :-1]], dim=1)
        near_half = torch.abs(prev / (0.5 * raw) - 1.0) < self.octave_tolerance
        use_half = near_half & (value[..., 1] < value_raw + 0.1) & (value[..., 1] < self.voicing)
        period_out = torch.where(use_half, period[..., 1], raw)
        value_out = torch.where(use_half, value[..., 1], value_raw)

        tail = frames[..., self.window - self.hop:]
        db = 10 * torch.log10((tail * tail).mean(-1).clamp_min(1e-10))
        voiced = (value_out < self.voicing) & (db > self.min_db)
        f0 = torch.where(voiced, self.sample_rate / period_out, torch.zeros_like(period_out))
        periodicity = (1.0 - value_out).clamp(0.0, 1.0)
        return (f0, periodicity), [new_buf, raw[:, -1:]]

    def track(self, wave: torch.Tensor, chunk_frames: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole signal ``(B, T_samples)`` -> f0 ``(B, T_samples // hop)`` Hz and periodicity."""
        n = wave.shape[-1] // self.hop * self.hop
        state, f0s, pers = self.init_state(wave.shape[0]), [], []
        step = self.hop * chunk_frames    # streaming in chunks bounds memory; results are identical
        for start in range(0, n, step):
            (f0, per), state = self(wave[..., start:min(start + step, n)], state)
            f0s.append(f0)
            pers.append(per)
        if not f0s:
            return wave.new_zeros(wave.shape[0], 0), wave.new_zeros(wave.shape[0], 0)
        return torch.cat(f0s, 1), torch.cat(pers, 1)
