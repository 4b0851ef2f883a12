"""Whole utterances with CTC targets and/or cached SSL-teacher features, augmented per sample."""

from __future__ import annotations

import numpy as np
import torch

from soundry.recipes.vc_content.augment import AugmentConfig, augment_input, stretch_frames

HOP = 160          # 10 ms at 16 kHz: the content encoder's frame


class UtteranceDataset(torch.utils.data.Dataset):
    """Items ``{"wave": (T',) float32 at 16 kHz, "ids": CTC target ids (maybe empty),
    "teacher": (T' // 160, D) float32 or None}``.

    ``augment`` (training only) disguises the input; the speed factor of its pitch/formant
    shift is applied to the teacher frames so they stay aligned. Utterances longer than
    ``max_s`` are cut at a random (training) or zero (evaluation) offset and lose their targets
    for CTC, which cannot align part of a transcript.
    """

    def __init__(self, data, segments: list, max_s: float, vocab=None, teacher_store=None,
                 augment: AugmentConfig | None = None):
        self.data, self.segments = data, list(segments)
        self.max_len = int(max_s * 16000) // HOP * HOP
        self.vocab, self.teacher, self.augment = vocab, teacher_store, augment
        self.ids = [self._ids(s) for s in self.segments]

    def _ids(self, seg) -> list[int]:
        if self.vocab is None or not seg.transcript:
            return []
        return self.vocab.text_to_ids(seg.transcript)

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, i: int) -> dict:
        seg = self.segments[i]
        wave = self.data.audio(seg, 16000)[0].astype(np.float32)
        ids = self.ids[i]
        teacher = None
        if self.teacher is not None:
            teacher = torch.from_numpy(self.teacher.get(seg.id, "units").astype(np.float32))
        start = 0
        if wave.shape[0] > self.max_len:
            start = np.random.randint(0, (wave.shape[0] - self.max_len) // HOP + 1) * HOP if self.augment else 0
            wave, ids = wave[start:start + self.max_len], []
        if teacher is not None:
            teacher = teacher[start // HOP: start // HOP + wave.shape[0] // HOP]
        if self.augment is not None:
            wave, _ = augment_input(wave, 16000, self.augment)
        wave = wave[: wave.shape[0] // HOP * HOP]
        if teacher is not None:
            teacher = stretch_frames(teacher, wave.shape[0] // HOP)
        return {"wave": torch.from_numpy(np.ascontiguousarray(wave)), "ids": ids, "teacher": teacher}


def collate_utterances(items: list[dict]) -> dict:
    """Pad items into ``wave (B, T)``, ``frames (B,)`` valid frames, ``targets`` (concatenated
    ids), ``target_lengths (B,)`` and, with a teacher, ``teacher (B, F, D)``."""
    longest = max(int(it["wave"].shape[0]) for it in items)
    wave = torch.zeros(len(items), max(longest, HOP))
    for k, it in enumerate(items):
        wave[k, :it["wave"].shape[0]] = it["wave"]
    frames = torch.tensor([it["wave"].shape[0] // HOP for it in items], dtype=torch.long)
    batch = {"wave": wave, "frames": frames,
             "targets": torch.tensor([i for it in items for i in it["ids"]], dtype=torch.long),
             "target_lengths": torch.tensor([len(it["ids"]) for it in items], dtype=torch.long)}
    if items[0]["teacher"] is not None:
        dim = items[0]["teacher"].shape[-1]
        teacher = torch.zeros(len(items), wave.shape[1] // HOP, dim)
        for k, it in enumerate(items):
            teacher[k, :it["teacher"].shape[0]] = it["teacher"]
        batch["teacher"] = teacher
    return batch
