"""StreamingConverter: 16 kHz input chunk + one flat state -> 24 kHz output chunk + new state.

Content encoder + pitch tracker + frame energy -> (optional retrieval blend) -> voice generator.
All parts share the streaming contract of ``soundry.nn.streaming``. The state crosses the graph
boundary as separate float32 tensors (one per state leaf, ~40): packing them into one flat buffer
costs two or three extra nodes per leaf, which on one thread at 10 ms blocks was ~15% of the RTF.
"""

from __future__ import annotations

import torch
from torch import nn

from soundry.models.vc.content import ContentEncoder
from soundry.models.vc.generator import VoiceGenerator
from soundry.models.vc.pitch import PitchTracker
from soundry.models.vc.retrieval import Retrieval
from soundry.nn.streaming import FrameDelay, State, state_shapes, state_size


def frame_energy_db(wave: torch.Tensor, hop: int) -> torch.Tensor:
    """Mean-square level of each hop of ``wave (B, hop * T)`` in dBFS -> ``(B, T)`` (floor -100 dB)."""
    frames = wave.reshape(wave.shape[0], -1, hop)
    return 10 * torch.log10((frames * frames).mean(-1).clamp_min(1e-10))


class StreamingConverter(nn.Module):
    """Streaming voice conversion, ``forward(wave16, speaker, pitch_shift, formant_shift,
    index_rate, *state) -> (wave24, *state)``.

    ``wave16 (1, in_hop * n)`` float32, ``speaker (1,)`` int64, ``pitch_shift (1,)`` and
    ``formant_shift (1,)`` semitones float32, ``index_rate (1,)`` in [0, 1], then the state
    tensors (``state_layout``; zeros at the start) -> ``wave24 (1, out_hop * n)`` and the next
    state tensors in the same order.
    """

    def __init__(self, content: dict, generator: dict, pitch: dict | None = None,
                 n_speakers: int = 8, codebook_size: int = 512, top_k: int = 4,
                 in_rate: int = 16000, out_rate: int = 24000, in_hop: int = 160, out_hop: int = 240):
        super().__init__()
        self.in_rate, self.out_rate, self.in_hop, self.out_hop = in_rate, out_rate, in_hop, out_hop
        self.content = ContentEncoder(**content)
        if self.content.hop != in_hop:
            raise ValueError(f"content encoder strides give hop {self.content.hop}, expected {in_hop}")
        self.pitch = PitchTracker(sample_rate=in_rate, hop=in_hop, **(pitch or {}))
        content_dim = self.content.out.out_features
        self.generator = VoiceGenerator(content_dim=content_dim, n_speakers=n_speakers,
                                        sample_rate=out_rate, hop=out_hop, **generator)
        self.retrieval = Retrieval(n_speakers, content_dim, codebook_size, top_k)
        # pitch, periodicity and energy wait for the content encoder's lookahead
        self.delay = FrameDelay(3, self.content.lookahead_frames)
        self.parts = [self.content, self.pitch, self.delay, self.generator]
        self._shapes = state_shapes(self.init_state(1))

    # ---- state -----------------------------------------------------------------------------
    def init_state(self, batch: int = 1) -> State:
        """Zero state: a list of float32 tensors ``(batch, *shape)`` in ``state_layout`` order."""
        return [s for m in self.parts for s in m.init_state(batch)]

    @property
    def state_layout(self) -> list[tuple[int, ...]]:
        """Per-item shapes of the state tensors, in the order ``forward`` takes and returns them."""
        return list(self._shapes)

    @property
    def state_size(self) -> int:
        """Floats of state per batch item (all tensors together)."""
        return state_size(self._shapes)

    def latency_ms(self) -> float:
        """Algorithmic latency: one frame of buffering + the content encoder's lookahead."""
        return 1000.0 * self.in_hop * (1 + self.content.lookahead_frames) / self.in_rate

    def set_codebooks(self, codebooks: torch.Tensor) -> None:
        """Per-speaker retrieval codebooks ``(n_speakers, K, content_dim)``."""
        self.retrieval.set_codebooks(codebooks)

    # ---- analysis (also used by training recipes) --------------------------------------------
    def analyze(self, wave16: torch.Tensor) -> dict[str, torch.Tensor]:
        """Whole signals ``(B, in_hop * T)`` -> frame-aligned ``content (B, T, D)``, ``f0 (B, T)`` Hz,
        ``periodicity (B, T)``, ``energy_db (B, T)`` (no retrieval, no pitch shift)."""
        n = wave16.shape[-1] // self.in_hop * self.in_hop
        wave16 = wave16[..., :n]
        f0, per = self.pitch.track(wave16)
        return {"content": self.content.features(wave16), "f0": f0, "periodicity": per,
                "energy_db": frame_energy_db(wave16, self.in_hop)}

    # ---- streaming step -----------------------------------------------------------------------
    def forward(self, wave16: torch.Tensor, speaker: torch.Tensor, pitch_shift: torch.Tensor,
                formant_shift: torch.Tensor, index_rate: torch.Tensor,
                *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        pos, chunks = 0, []
        for m in self.parts:
            chunks.append(states[pos:pos + m.n_states])
            pos += m.n_states
        s_content, s_pitch, s_delay, s_gen = chunks

        content, s_content = self.content(wave16, s_content)
        (f0, per), s_pitch = self.pitch(wave16, s_pitch)
        energy = frame_energy_db(wave16, self.in_hop)
        frame = torch.stack([f0, per, energy], dim=1)                          # (B, 3, T)
        frame, s_delay = self.delay(frame, s_delay)
        f0, per, energy = frame.unbind(1)

        content = self.retrieval(content, speaker, index_rate)
        f0 = f0 * torch.pow(2.0, pitch_shift.reshape(-1, 1) / 12.0)
        wave24, s_gen = self.generator(content, f0, energy, speaker, formant_shift, per, s_gen)
        return (wave24, *s_content, *s_pitch, *s_delay, *s_gen)

    def convert(self, wave16: torch.Tensor, speaker: int, pitch_shift: float = 0.0,
                formant_shift: float = 0.0, index_rate: float = 0.0) -> torch.Tensor:
        """Whole file ``(1, T)`` -> ``(1, T // in_hop * out_hop)`` through the streaming path."""
        n = wave16.shape[-1] // self.in_hop * self.in_hop
        f = torch.tensor
        out = self(wave16[..., :n], f([speaker]), f([float(pitch_shift)]), f([float(formant_shift)]),
                   f([float(index_rate)]), *self.init_state(wave16.shape[0]))
        return out[0]
