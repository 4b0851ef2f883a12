"""The maths of ``vc``: resolve the voices and the content encoder, build, one GAN step, eval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from soundry.config import from_dict, merge, read_config_file
from soundry.data import split_by_recording
from soundry.errors import ConfigError, DataError
from soundry.models.vc import frame_energy_db
from soundry.nn.losses import (MultiResolutionMelLoss, discriminator_loss, feature_matching_loss,
                               generator_adversarial_loss, loudness_loss)
from soundry.recipes.vc.config import Config
from soundry.recipes.vc.dataset import IN_HOP, VCDataset, collate_vc
from soundry.recipes.vc.model import build_converter, build_discriminator, init_from
from soundry.recipes.vc.voices import average_pitches, pitch_store
from soundry.recipes.vc_content.augment import stretch_frames
from soundry.recipes.vc_content.checkpoint import encoder_kwargs, read_content
from soundry.train import RecipeParts

NEED_CONTENT = ("vc needs a content encoder. Train one first: `soundry train vc-content -d DATA -o "
                "RUN_C` then `soundry export RUN_C` and pass content.checkpoint=RUN_C/export; or train it "
                "jointly here from transcripts (<name>.txt beside each file) with data.slice=false")


def is_joint(cfg: Config) -> bool:
    """True when the content encoder is trained here (no checkpoint and no base run)."""
    return not cfg.content.checkpoint and not cfg.init_from


def _base_config(path: str) -> Config:
    folder = Path(path).expanduser()
    from soundry.train import latest_checkpoint

    for c in (folder / "config.yaml", folder / "export" / "config.yaml"):
        if c.is_file():
            return from_dict(Config, read_config_file(c))
    found = latest_checkpoint(folder) if folder.is_dir() else None
    if found is not None:
        return from_dict(Config, read_config_file(found / "config.yaml"))
    raise ConfigError(f"init_from={path}: not a vc run, checkpoint or export folder (no config.yaml)")


def resolve_config(cfg: Config, data) -> Config:
    """Voices from the labels, the content encoder's architecture (and CTC units), the f0 cache
    and each voice's average pitch, and the prepared folder (for export's codebooks)."""
    from soundry.features import Phonemizer, PhonemeVocab

    voices = list(data.labels)
    if not voices:
        raise DataError("vc found no voices: put each target voice's recordings in DATA/<voice>/")
    if cfg.task.voices and cfg.task.voices != voices:
        raise DataError(f"the data's voices {voices} differ from the configured task.voices {cfg.task.voices}; "
                        "remove task.voices from the config or fix the data")
    if cfg.model.out_rate not in cfg.data.sample_rates or 16000 not in cfg.data.sample_rates:
        raise ConfigError(f"data.sample_rates {cfg.data.sample_rates} must include 16000 (input) and "
                          f"model.out_rate {cfg.model.out_rate}")
    content: dict[str, Any] = {}
    if cfg.content.checkpoint:
        content["arch"] = read_content(cfg.content.checkpoint)[0]
    elif cfg.init_from:
        content["arch"] = cfg.content.arch or _base_config(cfg.init_from).content.arch
    elif not cfg.content.arch:
        texts = [s.transcript for s in data.segments if s.transcript]
        if not texts or cfg.content.ctc_weight <= 0:
            raise DataError(NEED_CONTENT)
        vocab = PhonemeVocab.from_texts(texts, Phonemizer(cfg.content.phonemizer, cfg.content.language))
        content.update(units=vocab.units, unit_settings=vocab.settings,
                       arch=encoder_kwargs(cfg.model.size, cfg.model.lookahead_frames, len(vocab)))
    store = pitch_store(data, cfg.pitch.method, progress=cfg.train.progress)
    task = {"voices": voices, "prepared": str(data.root),
            "average_pitch": average_pitches(store, data.segments, voices)}
    return merge(cfg, {"task": task, "content": content})


def _vocab(cfg: Config):
    from soundry.features import PhonemeVocab

    return PhonemeVocab(cfg.content.units, cfg.content.unit_settings) if cfg.content.units else None


def build(cfg: Config, data, fabric=None) -> RecipeParts:
    """Converter + discriminator, AdamW optimizers (betas 0.8, 0.99) and the datasets."""
    if not cfg.content.arch:
        raise ConfigError("content.arch is empty: vc configs are resolved from the data at train time; "
                          + NEED_CONTENT)
    converter, disc = build_converter(cfg), build_discriminator(cfg)
    joint = is_joint(cfg)
    extras: dict[str, Any] = {"joint": joint, "vocab": _vocab(cfg) if joint else None}
    if data is not None:
        if cfg.init_from:
            extras["init_skipped"] = init_from(cfg, converter, disc)
        if cfg.content.checkpoint:
            from soundry.recipes.vc_content.checkpoint import load_content_encoder

            encoder, _, _ = load_content_encoder(cfg.content.checkpoint)
            converter.content.load_state_dict(encoder.state_dict())
    if not joint:
        converter.content.requires_grad_(False)
    trainable = [p for p in converter.parameters() if p.requires_grad]
    opt_g = torch.optim.AdamW(trainable, lr=cfg.train.lr, betas=(0.8, 0.99), weight_decay=0.0)
    opt_d = torch.optim.AdamW(disc.parameters(), lr=cfg.loss.disc_lr or cfg.train.lr, betas=(0.8, 0.99),
                              weight_decay=0.0)
    out_rate = cfg.model.out_rate
    extras["mel"] = MultiResolutionMelLoss(out_rate)
    extras["crop"] = crop = max(8, int(round(cfg.task.crop_s * 100)))      # frames of 10 ms
    parts = RecipeParts(cfg=cfg, modules={"gen": converter, "disc": disc},
                        optimizers={"gen": opt_g, "disc": opt_d}, collate=collate_vc, extras=extras)
    if data is not None:
        store = pitch_store(data, cfg.pitch.method)
        train, val, _ = split_by_recording(data.segments, cfg.data.val_fraction, cfg.data.split_seed)
        span = int(round(cfg.task.max_s * 100)) if joint else crop + 40
        common = dict(voices=cfg.task.voices, f0_store=store, out_rate=out_rate, crop_frames=crop,
                      span_frames=span, joint=joint, vocab=extras["vocab"])
        parts.train_set = VCDataset(data, train, augment=cfg.augment, gain_db=cfg.task.gain_db,
                                    tracker_prob=cfg.pitch.tracker_prob, **common)
        parts.val_set = VCDataset(data, val, **common) if val else None
        extras.update(data=data, train_segments=train, val_segments=val)
    return parts


def _inner(module: torch.nn.Module) -> torch.nn.Module:
    return getattr(module, "module", module)


def _crop(x: torch.Tensor, offsets: torch.Tensor, n: int, scale: int = 1) -> torch.Tensor:
    """Rows of ``x (B, L, ...)`` from ``offsets * scale`` for ``n * scale`` entries."""
    return torch.stack([x[b, int(o) * scale:(int(o) + n) * scale] for b, o in enumerate(offsets.tolist())])


def _forward(parts: RecipeParts, batch: dict, train: bool) -> dict[str, torch.Tensor]:
    """Content (+ CTC), controls and the generated crop ``fake (B, hop * crop)``."""
    conv = _inner(parts.modules["gen"])
    joint, crop = parts.extras["joint"], parts.extras["crop"]
    out: dict[str, torch.Tensor] = {}
    with torch.set_grad_enabled(joint and train):
        feats = conv.content.features(batch["aug"])                          # (B, F', D)
    if joint and parts.extras["vocab"] is not None and int(batch["target_lengths"].sum()) > 0:
        keep = batch["target_lengths"] > 0
        log_probs = conv.content.logits(feats).log_softmax(-1)
        frames = batch["aug_frames"].clamp(max=feats.shape[1])
        offsets = (torch.cumsum(batch["target_lengths"], 0) - batch["target_lengths"]).tolist()
        targets = torch.cat([batch["targets"][o:o + n] for o, n, k in
                             zip(offsets, batch["target_lengths"].tolist(), keep.tolist()) if k])
        out["ctc"] = F.ctc_loss(log_probs[keep].transpose(0, 1), targets, frames[keep],
                                batch["target_lengths"][keep], blank=0, zero_infinity=True)
    feats = feats.detach()                 # the generator's losses never reach the content encoder
    content = torch.stack([stretch_frames(feats[b, :int(batch["aug_frames"][b])], int(batch["span"][b]))
                           [int(o):int(o) + crop] for b, o in enumerate(batch["offset"].tolist())])
    with torch.no_grad():
        f0_t, per = conv.pitch.track(batch["clean"])
    f0 = torch.where(batch["tracker"][:, None], f0_t, batch["f0"][:, :f0_t.shape[1]])
    f0, per = _crop(f0, batch["offset"], crop), _crop(per, batch["offset"], crop)
    clean = _crop(batch["clean"], batch["offset"], crop, IN_HOP)
    hop = conv.out_hop
    out["target"] = _crop(batch["target"], batch["offset"], crop, hop)
    energy = frame_energy_db(clean, IN_HOP)
    out["fake"] = conv.generator.synthesize(content, f0, energy, batch["speaker"], periodicity=per)
    return out


def train_step(parts: RecipeParts, batch, ctx) -> dict[str, Any]:
    """Mel + loudness (+ CTC when joint); after ``loss.adv_start_step`` also the LSGAN
    discriminator step and the generator's adversarial + feature-matching terms."""
    cfg = parts.cfg
    out = _forward(parts, batch, train=True)
    fake, real = out["fake"], out["target"]
    mel_loss = parts.extras["mel"].to(fake.device)
    mel = mel_loss(fake, real)
    loud = loudness_loss(fake, real, hop=_inner(parts.modules["gen"]).out_hop)
    total = cfg.loss.mel * mel + cfg.loss.loudness * loud
    logs: dict[str, Any] = {"mel": mel.detach(), "loudness": loud.detach()}
    if "ctc" in out:
        total = total + cfg.content.ctc_weight * out["ctc"]
        logs["ctc"] = out["ctc"].detach()
    if ctx.step >= cfg.loss.adv_start_step:
        disc = parts.modules["disc"]
        real_scores, _ = disc(real)
        fake_scores, _ = disc(fake.detach())
        d_loss = discriminator_loss(real_scores, fake_scores)
        ctx.optimize(d_loss, "disc")
        disc.requires_grad_(False)
        fake_scores, fake_feats = disc(fake)
        with torch.no_grad():
            _, real_feats = disc(real)
        disc.requires_grad_(True)
        adv = generator_adversarial_loss(fake_scores)
        fm = feature_matching_loss(real_feats, fake_feats)
        total = total + cfg.loss.adversarial * adv + cfg.loss.feature_matching * fm
        logs.update(disc=d_loss.detach(), adv=adv.detach(), fm=fm.detach())
    ctx.optimize(total, "gen")
    return {"loss": total.detach(), **logs}


def eval_step(parts: RecipeParts, batch) -> dict[str, Any]:
    """Reconstruction of held-out crops from their own (undisguised) input: mel and loudness."""
    out = _forward(parts, batch, train=False)
    fake, real = out["fake"], out["target"]
    metrics = {"mel": parts.extras["mel"].to(fake.device)(fake, real),
               "loudness": loudness_loss(fake, real, hop=_inner(parts.modules["gen"]).out_hop)}
    if "ctc" in out:
        metrics["ctc"] = out["ctc"]
    return metrics
