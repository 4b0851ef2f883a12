"""The trained part of the converter: frame features -> source-filter controls -> 24 kHz waveform.

Per frame the generator sees the content features, log-f0 and a voiced flag (after pitch shift),
the input frame energy (dB), the target speaker's embedding and the formant-shift amount. A causal
ConvNeXt prenet at the frame rate predicts a harmonic spectral envelope on a mel grid (log
magnitude) plus a harmonic gain, and the gains of the noise bands. Harmonic ``k``'s amplitude is
the envelope read at ``k * f0 / formant_ratio`` (so a formant shift needs no extra network) and
zero at or above Nyquist. The signal path after the network is pure DSP, which is why it learns a
usable voice quickly: the network only has to learn envelopes, never waveforms or phases.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from soundry.models.vc.synth import FIRPostFilter, HarmonicNoiseSynth, mel_position
from soundry.nn.streaming import CausalConv1d, CausalConvNeXtBlock, State, StreamingStack, split_state

LOG_F0_REF = math.log(200.0)   # log-f0 is fed as log(f0 / 200 Hz): zero-centred for most voices


class VoiceGenerator(nn.Module):
    """Frame features ``(B, T, ...)`` -> waveform ``(B, T * hop)`` at ``sample_rate``.

    Streaming state: prenet convs, synthesiser (previous controls, phase, noise position) and
    the FIR post-filter, concatenated in that order.
    """

    def __init__(self, content_dim: int = 128, n_speakers: int = 8, channels: int = 256,
                 n_blocks: int = 6, mult: int = 3, n_envelope: int = 96, n_noise_bands: int = 32,
                 n_harmonics: int = 120, sample_rate: int = 24000, hop: int = 240,
                 fir_taps: int = 256, noise_length: int = 8192):
        super().__init__()
        self.sample_rate, self.hop = sample_rate, hop
        self.n_envelope, self.n_noise_bands, self.n_harmonics = n_envelope, n_noise_bands, n_harmonics
        self.content_proj = nn.Linear(content_dim, channels)
        self.control_proj = nn.Linear(5, channels)      # log-f0, voiced, energy, formant, periodicity
        self.speaker = nn.Embedding(n_speakers, channels)
        nn.init.normal_(self.speaker.weight, std=0.1)
        self.input_conv = CausalConv1d(channels, channels, 3, channels_last=True)
        self.prenet = StreamingStack([CausalConvNeXtBlock(channels, mult) for _ in range(n_blocks)])
        self.out_norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, n_envelope + 1 + n_noise_bands)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            # start quiet: harmonic gain ~ -40 dB, noise ~ -60 dB, flat envelope
            self.head.bias.zero_()
            self.head.bias[n_envelope] = math.log(0.01)
            self.head.bias[n_envelope + 1:] = math.log(0.001)
        self.synth = HarmonicNoiseSynth(sample_rate, hop, n_harmonics, n_noise_bands, noise_length)
        self.post = FIRPostFilter(fir_taps)
        self.parts = [self.input_conv, self.prenet, self.synth, self.post]
        self.n_states = sum(m.n_states for m in self.parts)

    def init_state(self, batch: int) -> State:
        return [s for m in self.parts for s in m.init_state(batch)]

    def controls(self, content: torch.Tensor, f0: torch.Tensor, energy_db: torch.Tensor,
                 speaker: torch.Tensor, formant_shift: torch.Tensor, periodicity: torch.Tensor,
                 state: State) -> tuple[dict[str, torch.Tensor], State]:
        """Network part: returns ``envelope (B, T, n_envelope)`` (log magnitude), ``gain (B, T)``
        (log), ``noise (B, T, n_noise_bands)`` (log) and the new prenet state."""
        voiced = (f0 > 0).to(content.dtype)
        log_f0 = torch.where(f0 > 0, torch.log(f0.clamp_min(1.0)) - LOG_F0_REF, torch.zeros_like(f0))
        formant = formant_shift.reshape(-1, 1).expand_as(f0) / 12.0
        ctrl = torch.stack([log_f0, voiced, (energy_db + 40.0) / 20.0, formant, periodicity], dim=-1)
        h = self.content_proj(content) + self.control_proj(ctrl) + self.speaker(speaker).unsqueeze(1)
        s_in, s_pre = split_state(state, [self.input_conv, self.prenet])
        h, s_in = self.input_conv(h, s_in)                                # channels-last throughout
        h, s_pre = self.prenet(h, s_pre)
        out = self.head(self.out_norm(h))
        env, gain, noise = out.split([self.n_envelope, 1, self.n_noise_bands], dim=-1)
        return {"envelope": env, "gain": gain.squeeze(-1), "noise": noise}, s_in + s_pre

    def harmonic_amplitudes(self, envelope: torch.Tensor, gain: torch.Tensor, f0: torch.Tensor,
                            formant_shift: torch.Tensor) -> torch.Tensor:
        """Envelope ``(B, T, E)`` log-mag read at ``k * f0 / formant_ratio`` -> linear ``(B, T, K)``."""
        ratio = torch.pow(2.0, formant_shift.reshape(-1, 1, 1) / 12.0)
        freqs = f0.unsqueeze(-1) * self.synth.k                                # (B, T, K) Hz
        nyquist = self.sample_rate / 2
        pos = mel_position((freqs / ratio).clamp(0.0, nyquist), nyquist, self.n_envelope)
        lo = pos.floor().clamp(0, self.n_envelope - 2)
        frac = pos - lo
        lo_i = lo.to(torch.int64)
        a = torch.gather(envelope, -1, lo_i)
        b = torch.gather(envelope, -1, lo_i + 1)
        log_amp = (a + (b - a) * frac + gain.unsqueeze(-1)).clamp(max=4.0)
        audible = ((freqs < nyquist) & (f0.unsqueeze(-1) > 0)).to(envelope.dtype)
        return torch.exp(log_amp) * audible

    def forward(self, content: torch.Tensor, f0: torch.Tensor, energy_db: torch.Tensor,
                speaker: torch.Tensor, formant_shift: torch.Tensor, periodicity: torch.Tensor,
                state: State) -> tuple[torch.Tensor, State]:
        """``content (B, T, D)``, ``f0 (B, T)`` Hz (0 = unvoiced, already pitch-shifted),
        ``energy_db (B, T)``, ``speaker (B,)`` int64, ``formant_shift (B,)`` semitones,
        ``periodicity (B, T)`` in [0, 1] -> ``(wave (B, T * hop), new_state)``."""
        s_net, s_syn, s_post = self._split(state)
        c, s_net = self.controls(content, f0, energy_db, speaker, formant_shift, periodicity, s_net)
        harm = self.harmonic_amplitudes(c["envelope"], c["gain"], f0, formant_shift)
        noise = torch.exp(c["noise"].clamp(max=4.0))
        wave, s_syn = self.synth(f0, harm, noise, s_syn)
        wave, s_post = self.post(wave, s_post)
        return wave, s_net + s_syn + s_post

    def _split(self, state: State) -> tuple[State, State, State]:
        n_net = self.input_conv.n_states + self.prenet.n_states
        n_syn = self.synth.n_states
        return state[:n_net], state[n_net:n_net + n_syn], state[n_net + n_syn:]

    def synthesize(self, content: torch.Tensor, f0: torch.Tensor, energy_db: torch.Tensor,
                   speaker: torch.Tensor, formant_shift: torch.Tensor | None = None,
                   periodicity: torch.Tensor | None = None) -> torch.Tensor:
        """Training entry point: whole segments from zero state -> ``(B, T * hop)``."""
        b = content.shape[0]
        formant_shift = formant_shift if formant_shift is not None else content.new_zeros(b)
        periodicity = periodicity if periodicity is not None else (f0 > 0).to(content.dtype)
        wave, _ = self(content, f0, energy_db, speaker, formant_shift, periodicity, self.init_state(b))
        return wave
