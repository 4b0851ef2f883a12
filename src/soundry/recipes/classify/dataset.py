"""Segments of a prepared folder as labelled waveform crops."""

from __future__ import annotations

import numpy as np
import torch

from soundry.recipes.classify.augment import add_noise, random_crop, random_gain, spec_mask
from soundry.recipes.classify.labels import LabelEncoder


class ClipDataset(torch.utils.data.Dataset):
    """Map-style dataset of ``(wave (T,), length, target (K,) float32)`` from prepared segments.

    Training items are random crops of ``crop`` samples with the task's augmentations; evaluation
    items are the first ``crop`` samples, unaugmented. ``task`` is the ``TaskConfig`` (augmentation
    settings); ``encoder`` maps segment labels to target vectors.
    """

    def __init__(self, data, segments: list, encoder: LabelEncoder, sample_rate: int, crop: int,
                 train: bool, task=None):
        self.data, self.segments = data, list(segments)
        self.encoder = encoder
        self.rate, self.crop, self.train = sample_rate, crop, train
        self.task = task
        # A recording's label never changes: encode once.
        self.targets = [encoder.encode(s.label) for s in self.segments]

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, i: int):
        seg = self.segments[i]
        wave = self.data.audio(seg, self.rate)[0].astype(np.float32)
        t = self.task
        if self.train:
            wave = random_crop(wave, self.crop)
            if t is not None:
                if t.gain_db:
                    wave = random_gain(wave, t.gain_db)
                if t.noise_snr_db:
                    wave = add_noise(wave, t.noise_snr_db)
                if t.time_masks or t.freq_masks:
                    wave = spec_mask(wave, self.rate, t.time_masks, t.time_mask_s, t.freq_masks,
                                     t.freq_mask_hz)
        else:
            wave = wave[: self.crop]
        return torch.from_numpy(np.ascontiguousarray(wave)), wave.shape[0], torch.from_numpy(self.targets[i])


def collate_clips(items):
    """Pad dataset items into ``(wave (B, T), lengths (B,), targets (B, K))``."""
    longest = max(int(n) for _, n, _ in items)
    wave = torch.zeros(len(items), longest)
    for k, (w, n, _) in enumerate(items):
        wave[k, :n] = w
    lengths = torch.tensor([int(n) for _, n, _ in items], dtype=torch.long)
    targets = torch.stack([y for _, _, y in items]).float()
    return wave, lengths, targets
