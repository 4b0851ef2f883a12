"""Kaldi fbank front end: reference values, framing, and the properties Kaldi guarantees."""

import math

import pytest
import torch

from soundry.models.beats.fbank import (beats_fbank, kaldi_fbank, kaldi_mel_banks, num_frames,
                                        povey_window)


def _test_signal(n: int = 4000) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / 16000
    wave = 0.5 * torch.sin(2 * math.pi * 440 * t) + 0.25 * torch.sin(2 * math.pi * (300 * t + 3000 * t * t)) + 0.1
    return wave.float()


def test_matches_reference_values():
    # Values computed once with torchaudio.compliance.kaldi.fbank(wave * 32768, num_mel_bins=128,
    # sample_frequency=16000, frame_length=25, frame_shift=10), the official BEATs front end.
    expected = {
        0: [13.0934, 7.9855, 23.1084, 8.5975, 1.6203, -3.509],
        7: [10.547, 8.0714, 19.6195, 21.1194, 1.6509, -3.6399],
        22: [10.9632, 7.9007, 19.6151, 8.6232, 6.8318, -1.3584],
    }
    out = kaldi_fbank(_test_signal() * 32768)
    assert out.shape == (23, 128)
    for frame, values in expected.items():
        got = out[frame, [0, 5, 20, 40, 80, 127]]
        assert torch.allclose(got, torch.tensor(values), atol=2e-3), (frame, got)


def test_ten_seconds_gives_998_frames():
    assert beats_fbank(torch.zeros(1, 160000)).shape == (1, 998, 128)
    assert num_frames(160000) == 998
    assert num_frames(399) == 0 and num_frames(400) == 1
    assert num_frames(torch.tensor([399, 400, 560, 160000])).tolist() == [0, 1, 2, 998]


def test_frames_do_not_depend_on_what_follows():
    wave = _test_signal(8000)
    longer = torch.cat([wave, torch.randn(3000)])
    a, b = kaldi_fbank(wave * 32768), kaldi_fbank(longer * 32768)
    assert torch.equal(a, b[: a.shape[0]])


def test_dc_offset_is_removed_and_silence_hits_the_floor():
    wave = _test_signal() * 32768
    ref, shifted = kaldi_fbank(wave), kaldi_fbank(wave + 1000.0)
    loud = ref > 8.0  # quiet bins only carry float32 rounding noise of the subtraction
    assert loud.float().mean() > 0.3
    assert torch.allclose(ref[loud], shifted[loud], atol=2e-3)
    silence = kaldi_fbank(torch.zeros(1000))
    assert torch.allclose(silence, torch.full_like(silence, math.log(torch.finfo(torch.float32).eps)))


def test_tone_peaks_in_the_right_mel_bin():
    t = torch.arange(16000) / 16000
    banks = kaldi_mel_banks(128, 512, 16000)
    for freq in (300.0, 1000.0, 4000.0):
        out = kaldi_fbank(torch.sin(2 * math.pi * freq * t) * 10000).mean(0)
        fft_bin = round(freq / 16000 * 512)
        # Low filters are only a couple of FFT bins wide, so window leakage may move the peak
        # by a filter or two; a wrong mel scale would move it by many.
        assert abs(out.argmax().item() - banks[:, fft_bin].argmax().item()) <= 2


def test_mel_banks_and_window_follow_kaldi_conventions():
    banks = kaldi_mel_banks(128, 512, 16000)
    assert banks.shape == (128, 257)
    assert banks.min() >= 0 and banks.max() <= 1
    assert banks[:, 256].abs().sum() == 0          # Nyquist bin unused
    assert banks[:, 0].abs().sum() == 0            # 0 Hz is below the 20 Hz low edge
    win = povey_window(400)
    assert win[0] == 0 and torch.allclose(win, win.flip(0), atol=1e-6)
    assert torch.allclose(win[200], torch.tensor(1.0), atol=1e-4)


def test_batch_equals_single_and_short_input():
    wave = torch.randn(3, 5000) * 0.1
    batch = beats_fbank(wave)
    for i in range(3):
        assert torch.allclose(batch[i], beats_fbank(wave[i : i + 1])[0], atol=1e-5)
    assert kaldi_fbank(torch.zeros(2, 100)).shape == (2, 0, 128)
    with pytest.raises(ValueError):
        kaldi_fbank(torch.zeros(1, 2, 3))
