"""Kaldi-compatible log-mel filterbank written with torch ops (the BEATs front end).

Follows the semantics of Kaldi's ``compute-fbank-feats`` as exposed by
``torchaudio.compliance.kaldi.fbank`` with its defaults (dither 0, remove DC offset,
pre-emphasis 0.97, povey window, FFT size rounded up to a power of two, power spectrum,
triangular filters on the Kaldi mel scale from 20 Hz to Nyquist, natural log floored at the
float32 machine epsilon, ``snip_edges=True``). torchaudio is not a dependency: BEATs checkpoints
were trained on these features, so the maths here must stay exactly this.
"""

from __future__ import annotations

import math

import torch

# BEATs scales [-1, 1] audio to the 16-bit integer range before the fbank and normalises the
# result with these dataset statistics (values published with the official code).
BEATS_SAMPLE_RATE = 16000
BEATS_NUM_MEL_BINS = 128
BEATS_FBANK_MEAN = 15.41663
BEATS_FBANK_STD = 6.55582
BEATS_WAVE_SCALE = 2 ** 15


def _mel(freq_hz):
    """Kaldi's mel scale of a float or a tensor of frequencies in Hz."""
    if isinstance(freq_hz, torch.Tensor):
        return 1127.0 * (1.0 + freq_hz / 700.0).log()
    return 1127.0 * math.log(1.0 + freq_hz / 700.0)


def frame_geometry(sample_rate: int = BEATS_SAMPLE_RATE, frame_length_ms: float = 25.0,
                   frame_shift_ms: float = 10.0) -> tuple[int, int, int]:
    """``(window, shift, n_fft)`` in samples: Kaldi truncates the ms values and rounds the FFT up."""
    window = int(sample_rate * frame_length_ms * 0.001)
    shift = int(sample_rate * frame_shift_ms * 0.001)
    n_fft = 1 << (window - 1).bit_length()
    return window, shift, n_fft


def num_frames(num_samples: int | torch.Tensor, sample_rate: int = BEATS_SAMPLE_RATE,
               frame_length_ms: float = 25.0, frame_shift_ms: float = 10.0):
    """Frames Kaldi produces (``snip_edges=True``) for ``num_samples`` samples: 0 when too short.

    Works on ints and on integer tensors of lengths ``(B,)``.
    """
    window, shift, _ = frame_geometry(sample_rate, frame_length_ms, frame_shift_ms)
    if isinstance(num_samples, torch.Tensor):
        n = (num_samples - window).div(shift, rounding_mode="floor") + 1
        return n.clamp(min=0)
    return 0 if num_samples < window else 1 + (num_samples - window) // shift


def povey_window(length: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Kaldi's povey window ``(length,)``: a symmetric Hann window raised to the power 0.85.

    Computed in ``dtype`` (float32 for the checkpoints): low-energy mel bins of a pure tone are
    sensitive to the window's last bits, and the official features were made this way.
    """
    return torch.hann_window(length, periodic=False, dtype=dtype).pow(0.85)


def kaldi_mel_banks(num_bins: int, n_fft: int, sample_rate: int, low_freq: float = 20.0,
                    high_freq: float = 0.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Triangular mel filters ``(num_bins, n_fft // 2 + 1)`` with Kaldi's conventions.

    ``high_freq <= 0`` counts back from Nyquist (0 means Nyquist). Filters are triangles in the
    mel domain (not in Hz), evaluated at the FFT bin centres ``k * rate / n_fft`` for
    ``k < n_fft / 2``; the Nyquist bin always gets weight 0, as in Kaldi.
    """
    nyquist = 0.5 * sample_rate
    if high_freq <= 0.0:
        high_freq += nyquist
    if not 0.0 <= low_freq < high_freq <= nyquist:
        raise ValueError(f"mel range {low_freq}-{high_freq} Hz does not fit in 0-{nyquist} Hz")
    # Python-float edges and float32 tensors in this order reproduce the reference features to
    # the last bit; float64 here would move the filters by ~1e-5.
    mel_low, mel_high = _mel(low_freq), _mel(high_freq)
    delta = (mel_high - mel_low) / (num_bins + 1)
    index = torch.arange(num_bins, dtype=torch.float32).unsqueeze(1)
    left = mel_low + index * delta
    center = mel_low + (index + 1.0) * delta
    right = mel_low + (index + 2.0) * delta
    bin_mel = _mel(sample_rate / n_fft * torch.arange(n_fft // 2, dtype=torch.float32)).unsqueeze(0)
    up = (bin_mel - left) / (center - left)
    down = (right - bin_mel) / (right - center)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    banks = torch.nn.functional.pad(banks, (0, 1))  # the Nyquist bin
    return banks.to(dtype)


def kaldi_fbank(wave: torch.Tensor, sample_rate: int = BEATS_SAMPLE_RATE,
                num_mel_bins: int = BEATS_NUM_MEL_BINS, frame_length_ms: float = 25.0,
                frame_shift_ms: float = 10.0, preemphasis: float = 0.97, low_freq: float = 20.0,
                high_freq: float = 0.0) -> torch.Tensor:
    """Log-mel filterbank ``(B, frames, num_mel_bins)`` of ``wave`` ``(B, T)`` (or ``(T,)``).

    ``frames = 1 + (T - window) // shift`` (0 when ``T < window``); each frame only sees its own
    samples, so the frames of a clip are the same whatever is appended after it. The amplitude
    scale is the caller's: Kaldi-style features expect 16-bit integer range input.
    """
    squeeze = wave.dim() == 1
    if squeeze:
        wave = wave.unsqueeze(0)
    if wave.dim() != 2:
        raise ValueError(f"kaldi_fbank expects (B, T) or (T,), got shape {tuple(wave.shape)}")
    window, shift, n_fft = frame_geometry(sample_rate, frame_length_ms, frame_shift_ms)
    dtype = wave.dtype if wave.is_floating_point() else torch.float32
    wave = wave.to(dtype)
    if wave.shape[-1] < window:
        out = wave.new_zeros(wave.shape[0], 0, num_mel_bins)
        return out[0] if squeeze else out
    frames = wave.unfold(-1, window, shift)  # (B, F, window)
    frames = frames - frames.mean(dim=-1, keepdim=True)
    if preemphasis:
        # Kaldi pre-emphasises the first sample against itself (a replicate pad of one sample).
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
        frames = frames - preemphasis * previous
    frames = frames * povey_window(window, dtype).to(frames.device)
    spectrum = torch.fft.rfft(frames, n=n_fft).abs().pow(2.0)  # (B, F, n_fft // 2 + 1)
    banks = kaldi_mel_banks(num_mel_bins, n_fft, sample_rate, low_freq, high_freq, dtype)
    mel = torch.matmul(spectrum, banks.to(spectrum.device).T)
    out = torch.clamp(mel, min=torch.finfo(dtype).eps).log()
    return out[0] if squeeze else out


def beats_fbank(wave: torch.Tensor, mean: float = BEATS_FBANK_MEAN,
                std: float = BEATS_FBANK_STD) -> torch.Tensor:
    """BEATs input features ``(B, frames, 128)`` from 16 kHz audio ``(B, T)`` in [-1, 1].

    Scales to the 16-bit range, takes the Kaldi fbank (25 ms / 10 ms, 128 mel) and normalises
    it as ``(x - mean) / (2 * std)``, exactly as the official checkpoints were trained.
    """
    fbank = kaldi_fbank(wave * BEATS_WAVE_SCALE, BEATS_SAMPLE_RATE, BEATS_NUM_MEL_BINS)
    return (fbank - mean) / (2 * std)
