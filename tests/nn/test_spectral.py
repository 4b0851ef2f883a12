import numpy as np
import torch

from soundry.nn.spectral import ConvSTFT, LogMel, mel_filterbank


def test_conv_stft_peak_at_sine_frequency():
    sr, f = 16000, 1000.0
    t = torch.arange(sr) / sr
    mag = ConvSTFT(n_fft=512, hop=160)(torch.sin(2 * np.pi * f * t)[None])
    assert mag.shape == (1, 257, sr // 160)
    peak_bin = int(mag[0, :, 50].argmax())
    assert abs(peak_bin * sr / 512 - f) <= sr / 512


def test_conv_stft_is_causal():
    x = torch.zeros(1, 3200)
    x[0, 2000] = 1.0
    mag = ConvSTFT(n_fft=512, hop=160)(x)
    # frame k only sees samples before (k + 1) * hop
    assert torch.all(mag[0, :, : 2000 // 160] < 1e-3)


def test_mel_filterbank_shape_and_coverage():
    fb = mel_filterbank(16000, 512, 40)
    assert fb.shape == (40, 257) and np.all(fb >= 0) and np.all(fb.sum(1) > 0)


def test_logmel_finite_on_silence():
    out = LogMel(16000, n_mels=32)(torch.zeros(1, 1600))
    assert out.shape == (1, 32, 10) and torch.isfinite(out).all()
