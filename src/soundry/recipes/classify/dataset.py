"""Segments of a prepared folder as labelled waveform crops."""

from __future__ import annotations

import numpy as np
import torch


class ClipDataset(torch.utils.data.Dataset):
    """Map-style dataset of ``(wave (T,), length, label_index)`` from prepared segments.

    Training items are random crops of ``crop`` samples with a random gain (and optional noise);
    evaluation items are the first ``crop`` samples, unaugmented. Randomness comes from numpy's
    global generator, which the engine seeds per sample so runs and resumes are reproducible.
    """

    def __init__(self, data, segments: list, labels: list[str], sample_rate: int, crop: int,
                 train: bool, gain_db: float = 0.0, noise_snr_db: float = 0.0):
        self.data, self.segments = data, list(segments)
        self.index = {label: i for i, label in enumerate(labels)}
        self.rate, self.crop, self.train = sample_rate, crop, train
        self.gain_db, self.noise_snr_db = gain_db, noise_snr_db

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, i: int):
        seg = self.segments[i]
        wave = self.data.audio(seg, self.rate)[0].astype(np.float32)
        if self.train and wave.shape[0] > self.crop:
            start = np.random.randint(0, wave.shape[0] - self.crop + 1)
            wave = wave[start:start + self.crop]
        else:
            wave = wave[: self.crop]
        if self.train:
            if self.gain_db:
                wave = wave * np.float32(10 ** (np.random.uniform(-self.gain_db, self.gain_db) / 20))
            if self.noise_snr_db:
                snr = np.random.uniform(self.noise_snr_db, self.noise_snr_db + 20)
                power = float(np.mean(wave ** 2)) + 1e-12
                noise = np.random.randn(wave.shape[0]).astype(np.float32)
                wave = wave + noise * np.float32(np.sqrt(power / 10 ** (snr / 10)))
        label = self.index[seg.label]
        return torch.from_numpy(np.ascontiguousarray(wave)), wave.shape[0], label


def collate_clips(items):
    """Pad a list of dataset items into ``(wave (B, T), lengths (B,), labels (B,))``."""
    longest = max(int(n) for _, n, _ in items)
    wave = torch.zeros(len(items), longest)
    for k, (w, n, _) in enumerate(items):
        wave[k, :n] = w
    lengths = torch.tensor([int(n) for _, n, _ in items], dtype=torch.long)
    labels = torch.tensor([int(y) for _, _, y in items], dtype=torch.long)
    return wave, lengths, labels
