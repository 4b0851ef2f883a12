"""Training items for ``vc``: aligned 16 kHz input, output-rate target and f0 labels.

Self-reconstruction (Beatrice / RVC): the target is the original recording at the output rate,
the input is the same recording disguised (pitch/formant shift, EQ, low-pass, noise), so the
generator must rebuild the voice from speaker-independent content + f0 + energy + speaker id.
Frame ``t`` covers input samples ``[160 t, 160 (t + 1))`` and output samples
``[hop t, hop (t + 1))``; its f0 label is pyworld's frame ``t + 1`` (centred on the frame's end,
where the synthesiser reaches the frame's f0).
"""

from __future__ import annotations

import numpy as np
import torch

from soundry.recipes.vc_content.augment import AugmentConfig, augment_input

IN_HOP = 160


class VCDataset(torch.utils.data.Dataset):
    """Items: a span of ``span`` frames of one segment, and the crop inside it the losses use.

    ``span_frames``: frames of input the content encoder sees (context before the crop);
    ``crop_frames``: frames the generator synthesises; ``joint``: spans are whole utterances
    (up to ``span_frames``) with CTC ids. ``augment=None`` means evaluation: no disguise, no
    random gain, fixed positions.
    """

    def __init__(self, data, segments: list, voices: list[str], f0_store, out_rate: int,
                 crop_frames: int, span_frames: int, joint: bool = False, vocab=None,
                 augment: AugmentConfig | None = None, gain_db: float = 0.0, tracker_prob: float = 0.0):
        self.data, self.segments, self.store = data, list(segments), f0_store
        self.index = {v: i for i, v in enumerate(voices)}
        self.out_rate, self.out_hop = out_rate, out_rate // 100
        self.crop, self.span, self.joint = crop_frames, max(span_frames, crop_frames), joint
        self.vocab, self.augment, self.gain_db, self.tracker_prob = vocab, augment, gain_db, tracker_prob

    def __len__(self) -> int:
        return len(self.segments)

    def __getitem__(self, i: int) -> dict:
        seg = self.segments[i]
        train = self.augment is not None
        w16 = self.data.audio(seg, 16000)[0]
        w24 = self.data.audio(seg, self.out_rate)[0]
        f0 = self.store.get(seg.id, "f0").astype(np.float32)
        total = min(w16.shape[0] // IN_HOP, w24.shape[0] // self.out_hop)
        span = min(total, self.span) if self.joint else self.span
        span = max(span, self.crop)
        need = max(total, span)
        w16 = _fit(w16, need * IN_HOP)
        w24 = _fit(w24, need * self.out_hop)
        labels = _fit(f0[1:], need)                    # frame t <- pyworld frame t + 1
        start = np.random.randint(0, total - span + 1) if train and total > span else 0
        ids: list[int] = []
        if self.joint and self.vocab is not None and seg.transcript and start == 0 and span >= total:
            ids = self.vocab.text_to_ids(seg.transcript)
        if self.joint:
            offset = np.random.randint(0, span - self.crop + 1) if train else 0
        else:
            offset = span - self.crop                  # all earlier frames are context
        clean = w16[start * IN_HOP:(start + span) * IN_HOP].copy()
        target = w24[start * self.out_hop:(start + span) * self.out_hop].copy()
        if train and self.gain_db:
            g = np.float32(10 ** (np.random.uniform(-self.gain_db, self.gain_db) / 20))
            clean, target = clean * g, target * g
        aug = clean
        if train:
            aug, _ = augment_input(clean, 16000, self.augment)
            aug = aug[: max(aug.shape[0] // IN_HOP, 1) * IN_HOP]
            aug = _fit(aug, max(aug.shape[0], IN_HOP))
        tracker = bool(train and np.random.rand() < self.tracker_prob)
        t = torch.from_numpy
        return {"aug": t(np.ascontiguousarray(aug, dtype=np.float32)), "clean": t(clean),
                "target": t(target), "f0": t(labels[start:start + span].copy()), "speaker": self.index[seg.label],
                "offset": int(offset), "ids": ids, "tracker": tracker}


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` cut or zero-padded to ``n`` samples/frames."""
    if x.shape[0] >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - x.shape[0], x.dtype)])


def collate_vc(items: list[dict]) -> dict:
    """Pad to ``aug (B, T')`` + ``aug_frames``, ``clean (B, 160 S)``, ``target (B, hop S)``,
    ``f0 (B, S)``, ``span (B,)``, ``offset (B,)``, ``speaker (B,)``, ``tracker (B,)`` and CTC
    ``targets``/``target_lengths``."""
    def pad(key: str) -> torch.Tensor:
        longest = max(it[key].shape[0] for it in items)
        out = torch.zeros(len(items), longest)
        for k, it in enumerate(items):
            out[k, :it[key].shape[0]] = it[key]
        return out

    return {"aug": pad("aug"), "clean": pad("clean"), "target": pad("target"), "f0": pad("f0"),
            "aug_frames": torch.tensor([it["aug"].shape[0] // IN_HOP for it in items]),
            "span": torch.tensor([it["f0"].shape[0] for it in items]),
            "offset": torch.tensor([it["offset"] for it in items]),
            "speaker": torch.tensor([it["speaker"] for it in items], dtype=torch.long),
            "tracker": torch.tensor([it["tracker"] for it in items]),
            "targets": torch.tensor([i for it in items for i in it["ids"]], dtype=torch.long),
            "target_lengths": torch.tensor([len(it["ids"]) for it in items], dtype=torch.long)}
