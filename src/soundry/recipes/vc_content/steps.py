"""The maths of ``vc-content``: CTC phone training and/or SSL distillation of the content encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from soundry.config import merge, save_config
from soundry.data import split_by_recording
from soundry.errors import DataError
from soundry.export import write_meta
from soundry.recipes.vc_content.checkpoint import ContentStudent, encoder_kwargs, save_content
from soundry.recipes.vc_content.config import Config
from soundry.recipes.vc_content.dataset import UtteranceDataset, collate_utterances
from soundry.recipes.vc_content.teacher import teacher_dim, teacher_store
from soundry.train import RecipeParts


def _vocab(cfg: Config):
    from soundry.features import PhonemeVocab

    if not cfg.content.units or cfg.content.ctc_weight <= 0:
        return None
    return PhonemeVocab(cfg.content.units, cfg.content.unit_settings)


def resolve_config(cfg: Config, data) -> Config:
    """Build the CTC vocabulary from the transcripts and measure the teacher's feature size."""
    from soundry.features import Phonemizer, PhonemeVocab

    texts = [s.transcript for s in data.segments if s.transcript]
    use_ctc = cfg.content.ctc_weight > 0 and bool(texts)
    if not use_ctc and not cfg.content.teacher:
        hint = (" (segments only keep their transcript when data.slice=false)" if cfg.data.slice else "")
        raise DataError("vc-content needs transcripts (a <name>.txt beside each audio file) or an SSL "
                        f"teacher (content.teacher=<Hugging Face folder or id>); found no transcripts{hint}")
    overlay: dict[str, Any] = {}
    if use_ctc and not cfg.content.units:
        vocab = PhonemeVocab.from_texts(texts, Phonemizer(cfg.content.phonemizer, cfg.content.language))
        overlay.update(units=vocab.units, unit_settings=vocab.settings)
    if cfg.content.teacher:
        store = teacher_store(data, data.segments, cfg.content.teacher, cfg.content.teacher_layer,
                              progress=cfg.train.progress)
        overlay["teacher_dim"] = teacher_dim(store)
    return merge(cfg, {"content": overlay}) if overlay else cfg


def build(cfg: Config, data, fabric=None) -> RecipeParts:
    """The student, an AdamW optimizer and (with ``data``) whole-utterance datasets."""
    vocab = _vocab(cfg)
    kwargs = encoder_kwargs(cfg.model.size, cfg.model.lookahead_frames, len(vocab) if vocab else 0)
    dim = cfg.content.teacher_dim if cfg.content.teacher else 0
    student = ContentStudent(kwargs, dim)
    opt = torch.optim.AdamW(student.parameters(), lr=cfg.train.lr, betas=(0.9, 0.98), weight_decay=0.01)
    parts = RecipeParts(cfg=cfg, modules={"content": student}, optimizers={"content": opt},
                        collate=collate_utterances, extras={"kwargs": kwargs, "vocab": vocab})
    if data is not None:
        store = None
        if cfg.content.teacher:
            store = teacher_store(data, data.segments, cfg.content.teacher, cfg.content.teacher_layer)
        train, val, _ = split_by_recording(data.segments, cfg.data.val_fraction, cfg.data.split_seed)
        parts.train_set = UtteranceDataset(data, train, cfg.content.max_s, vocab, store, cfg.augment)
        parts.val_set = UtteranceDataset(data, val, cfg.content.max_s, vocab, store) if val else None
    return parts


def _losses(parts: RecipeParts, batch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
    cfg = parts.cfg.content
    student = getattr(parts.modules["content"], "module", parts.modules["content"])   # Fabric-unwrapped
    encoder = student.encoder
    feats = encoder.features(batch["wave"])                                  # (B, F, D)
    frames = batch["frames"].clamp(max=feats.shape[1])
    total = feats.new_zeros(())
    out: dict[str, torch.Tensor] = {}
    log_probs = None
    if parts.extras["vocab"] is not None:
        log_probs = encoder.logits(feats).log_softmax(-1)
        keep = batch["target_lengths"] > 0
        if bool(keep.any()):
            offsets = torch.cumsum(batch["target_lengths"], 0) - batch["target_lengths"]
            targets = torch.cat([batch["targets"][o:o + n] for o, n, k in
                                 zip(offsets.tolist(), batch["target_lengths"].tolist(), keep.tolist()) if k])
            ctc = F.ctc_loss(log_probs[keep].transpose(0, 1), targets, frames[keep],
                             batch["target_lengths"][keep], blank=0, reduction="mean", zero_infinity=True)
            out["ctc"] = ctc
            total = total + cfg.ctc_weight * ctc
    if "teacher" in batch:
        pred = student.proj(feats)
        teacher = batch["teacher"][:, :pred.shape[1]]
        mask = (torch.arange(pred.shape[1], device=pred.device)[None] < frames[:, None]).to(pred.dtype)
        cos = F.cosine_similarity(pred, teacher, dim=-1)
        distill = ((1 - cos) * mask).sum() / mask.sum().clamp_min(1)
        out["distill"] = distill
        total = total + cfg.distill_weight * distill
    return total, out, log_probs


def train_step(parts: RecipeParts, batch, ctx) -> dict[str, Any]:
    """CTC on the phone sequence and/or cosine distance to the teacher's features."""
    loss, parts_out, _ = _losses(parts, batch)
    ctx.optimize(loss, "content")
    return {"loss": loss.detach(), **{k: v.detach() for k, v in parts_out.items()}}


def _edit_distance(a: list[int], b: list[int]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def eval_step(parts: RecipeParts, batch) -> dict[str, Any]:
    """Losses plus the greedy-decoded phone error rate (``per``) on transcribed utterances."""
    loss, out, log_probs = _losses(parts, batch)
    metrics: dict[str, Any] = {"loss": loss, **out}
    vocab = parts.extras["vocab"]
    if log_probs is not None and int(batch["target_lengths"].sum()) > 0:
        errors, total, pos = 0, 0, 0
        best = log_probs.argmax(-1)
        for k, n in enumerate(batch["target_lengths"].tolist()):
            ref = batch["targets"][pos:pos + n].tolist()
            pos += n
            if n:
                hyp = vocab.ctc_collapse(best[k, :int(batch["frames"][k])].tolist())
                errors += _edit_distance(hyp, ref)
                total += n
        metrics["per"] = errors / max(total, 1)
    return metrics


def export(parts: RecipeParts, out_dir: Path) -> list[Path]:
    """Write the reusable encoder (``content.safetensors``, ``content.json``, ``vocab.json``),
    ``config.yaml`` and ``meta.json``; pass this folder to ``vc`` as ``content.checkpoint``."""
    cfg = parts.cfg
    out = Path(out_dir)
    encoder = getattr(parts.modules["content"], "module", parts.modules["content"]).encoder.eval()
    vocab = parts.extras["vocab"]
    trained = [name for name, on in (("ctc", vocab is not None), ("distill", bool(cfg.content.teacher))) if on]
    files = save_content(encoder, parts.extras["kwargs"], out, vocab, size=cfg.model.size,
                         trained_with=trained, teacher=cfg.content.teacher or None,
                         teacher_layer=cfg.content.teacher_layer)
    save_config(cfg, out / "config.yaml")
    names = {"weights": files[0].name, "info": files[1].name, "config": "config.yaml"}
    if vocab is not None:
        names["vocab"] = files[2].name
    meta = write_meta(out, "vc-content", names, sample_rate=16000, hop=160,
                      content_dim=int(encoder.out.out_features), lookahead_frames=encoder.lookahead_frames,
                      trained_with=trained, n_units=len(vocab) if vocab is not None else 0)
    return [*files, out / "config.yaml", meta]
