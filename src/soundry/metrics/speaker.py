"""Speaker similarity with Resemblyzer's pretrained d-vector encoder (shipped in its wheel).

The encoder (3-layer LSTM over 40-band mel frames, 256-d output) sees 16 kHz audio. Clips are
mixed to mono, resampled with soxr, raised to -30 dBFS if quieter (Resemblyzer's own
preparation, because its mel input is not log-compressed and so depends on level) and, by
default, long pauses are trimmed with WebRTC VAD. Arrays only: none of Resemblyzer's file
readers are used.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from soundry.errors import MissingDependencyError
from soundry.metrics._audio import mono_at

SAMPLE_RATE = 16000
EMBEDDING_DIM = 256
_INSTALL = ("pip install librosa webrtcvad 'setuptools<81' && pip install --no-deps resemblyzer "
            "(--no-deps keeps it from pulling another torch or the old 'typing' backport)")
# Clips quieter than this are treated as silence: no voice to describe.
_SILENCE_RMS = 1e-5
# After VAD trimming, keep the untrimmed clip if less than this (s) would remain.
_MIN_TRIMMED_S = 0.3


def _resemblyzer():
    try:
        with warnings.catch_warnings():
            # webrtcvad imports pkg_resources; resemblyzer uses scipy.ndimage.morphology.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*pkg_resources.*")
            import resemblyzer
            from resemblyzer import audio as rz_audio
    except ImportError as exc:
        raise MissingDependencyError(
            f"Speaker similarity needs Resemblyzer ({exc}): {_INSTALL}.") from exc
    return resemblyzer, rz_audio


class SpeakerEncoder:
    """Resemblyzer's speaker encoder: audio -> ``(256,)`` L2-normalised float32 embedding.

    ``device``: torch device for the LSTM; ``weights``: another Resemblyzer checkpoint
    (default: the ``pretrained.pt`` in its wheel); ``trim_silence``: drop long pauses with
    WebRTC VAD first. The model loads on the first call to :meth:`embed`.
    """

    sample_rate = SAMPLE_RATE
    dim = EMBEDDING_DIM

    def __init__(self, device: str = "cpu", weights: str | None = None, trim_silence: bool = True):
        self.device = device
        self.weights = weights
        self.trim_silence = trim_silence
        self._encoder = None
        self._audio = None

    def _load(self):
        if self._encoder is None:
            rz, rz_audio = _resemblyzer()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._encoder = rz.VoiceEncoder(self.device, verbose=False,
                                                weights_fpath=self.weights)
            self._audio = rz_audio
        return self._encoder

    def prepare(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """``(T,)`` or ``(C, T)`` at ``sample_rate`` Hz -> the ``(T',)`` 16 kHz clip the encoder sees."""
        self._load()
        x = mono_at(audio, sample_rate, SAMPLE_RATE, "audio for the speaker encoder")
        if x.size == 0 or float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) < _SILENCE_RMS:
            return np.zeros(0, np.float32)
        x = self._audio.normalize_volume(x, -30, increase_only=True).astype(np.float32)
        if self.trim_silence:
            trimmed = self._audio.trim_long_silences(np.clip(x, -1.0, 1.0))
            if len(trimmed) >= _MIN_TRIMMED_S * SAMPLE_RATE:
                x = trimmed.astype(np.float32)
        return x

    def embed(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """``(256,)`` float32 unit-length embedding of one clip (any length; short clips are
        zero-padded to 1.6 s by Resemblyzer). A silent or empty clip gives all-NaN rather than
        an error, so an untrained model's silent output shows up as NaN in an evaluation."""
        encoder = self._load()
        x = self.prepare(audio, sample_rate)
        if x.size == 0:
            return np.full(EMBEDDING_DIM, np.nan, np.float32)
        import torch

        with torch.no_grad():
            emb = encoder.embed_utterance(x)
        return np.asarray(emb, dtype=np.float32)

    def embed_speaker(self, clips: Iterable[np.ndarray], sample_rate: int) -> np.ndarray:
        """``(256,)`` embedding of a speaker: the normalised mean of its clips' embeddings
        (NaN clips skipped; all-NaN if none is usable)."""
        embs = [e for e in (self.embed(c, sample_rate) for c in clips) if np.all(np.isfinite(e))]
        if not embs:
            return np.full(EMBEDDING_DIM, np.nan, np.float32)
        mean = np.mean(embs, axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)


def speaker_similarity(a_emb: np.ndarray, b_emb: np.ndarray) -> float | np.ndarray:
    """Cosine similarity of speaker embeddings: ``(D,)`` and ``(D,)`` -> float in -1..1 (about
    0.85 for the same voice, 0.6 for different ones with Resemblyzer); ``(N, D)`` and
    ``(M, D)`` -> ``(N, M)``. NaN where an embedding is NaN (a silent clip)."""
    a, b = np.asarray(a_emb, np.float64), np.asarray(b_emb, np.float64)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"embedding sizes differ: {a.shape} vs {b.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        a = a / np.linalg.norm(a, axis=-1, keepdims=True)
        b = b / np.linalg.norm(b, axis=-1, keepdims=True)
        sim = np.atleast_2d(a) @ np.atleast_2d(b).T
    if a.ndim == 1 and b.ndim == 1:
        return float(sim[0, 0])
    if a.ndim == 1 or b.ndim == 1:
        return sim.reshape(-1)
    return sim
