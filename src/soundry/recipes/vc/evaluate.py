"""The ``evaluate`` hook of ``vc``: convert a few held-out utterances into every voice and score.

Metrics (all NaN-robust; a metric whose package is missing is left out):
- ``val/f0_corr``: log-f0 correlation input/output on frames voiced in both (WORLD dio), with
  the output delayed by the model's latency: does the conversion keep the intonation?
- ``val/spk_sim_gain``: Resemblyzer similarity of the output to the target voice's reference
  (mean embedding of its training clips) minus its similarity to the source voice (targets
  other than the source only): does it sound like the target rather than the source?
- ``val/spk_sim_target``: the similarity to the target alone; ``val/dnsmos_ovrl``: DNSMOS P.835.
The wavs go to ``RUN/eval/step-XXXXXXXX/<utterance>-to-<voice>.wav``.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch

from soundry.errors import MissingDependencyError


def _pick(segments: list, count: int) -> list:
    """Up to ``count`` segments, one per voice first (in voice order), then the rest."""
    chosen, seen = [], set()
    for seg in segments:
        if seg.label not in seen and len(chosen) < count:
            chosen.append(seg)
            seen.add(seg.label)
    for seg in segments:
        if len(chosen) >= count:
            break
        if seg not in chosen:
            chosen.append(seg)
    return chosen


def _nanmean(values: list[float]) -> float:
    good = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(good)) if good else math.nan


def _references(parts, encoder) -> dict[str, np.ndarray]:
    """Mean speaker embedding per voice over ``eval.reference_clips`` training clips (cached)."""
    if "references" not in parts.extras:
        cfg, data = parts.cfg, parts.extras["data"]
        refs = {}
        for voice in cfg.task.voices:
            clips = [data.audio(s, 16000)[0] for s in parts.extras["train_segments"]
                     if s.label == voice][:cfg.eval.reference_clips]
            refs[voice] = encoder.embed_speaker(clips, 16000)
        parts.extras["references"] = refs
    return parts.extras["references"]


def evaluate(parts, run_dir: Path, step: int, log) -> None:
    """Convert ``eval.utterances`` held-out utterances into each voice; log the means."""
    cfg = parts.cfg
    if not cfg.eval.metrics or not parts.extras.get("val_segments"):
        return
    from soundry.audio import save_audio
    from soundry.metrics import SpeakerEncoder, compare_f0, dnsmos, speaker_similarity

    conv = getattr(parts.modules["gen"], "module", parts.modules["gen"])
    was_training = conv.training
    conv.eval()
    data, rate = parts.extras["data"], conv.out_rate
    folder = Path(run_dir) / "eval" / f"step-{step:08d}"
    folder.mkdir(parents=True, exist_ok=True)
    encoder = parts.extras.setdefault("speaker_encoder", SpeakerEncoder()) if cfg.eval.speaker_similarity else None
    refs = None
    f0s, gains, targets, quality = [], [], [], []
    try:
        if encoder is not None:
            try:
                refs = _references(parts, encoder)
            except MissingDependencyError as exc:
                warnings.warn(f"vc evaluation: no speaker similarity ({exc})", stacklevel=2)
        for seg in _pick(parts.extras["val_segments"], cfg.eval.utterances):
            wave = data.audio(seg, 16000)[0][: int(cfg.eval.max_s * 16000)]
            source = seg.label
            pitch = dict(zip(cfg.task.voices, cfg.task.average_pitch))
            for v, voice in enumerate(cfg.task.voices):
                # the shift a host would suggest: otherwise male -> female keeps the male pitch and
                # the similarity measures the pitch rather than the voice
                delta = pitch.get(voice, math.nan) - pitch.get(source, math.nan)
                shift = float(round(delta)) if math.isfinite(delta) else 0.0
                with torch.no_grad():
                    out = conv.convert(torch.from_numpy(wave[None].copy()), v, pitch_shift=shift)[0].numpy()
                out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
                name = f"{seg.id.replace('/', '_')}-to-{voice}.wav"
                save_audio(folder / name, np.clip(out, -1, 1), rate)
                f0s.append(compare_f0(wave, 16000, out, rate, lag_s=conv.latency_ms() / 1000).correlation)
                if refs is not None:
                    emb = encoder.embed(out, rate)
                    sim_t = float(speaker_similarity(emb, refs[voice]))
                    targets.append(sim_t)
                    if voice != source and source in refs:
                        gains.append(sim_t - float(speaker_similarity(emb, refs[source])))
                if cfg.eval.dnsmos:
                    try:
                        quality.append(dnsmos(out, rate).get("ovrl", math.nan))
                    except MissingDependencyError:
                        pass
    finally:
        conv.train(was_training)
    scores = {"f0_corr": _nanmean(f0s), "spk_sim_gain": _nanmean(gains),
              "spk_sim_target": _nanmean(targets), "dnsmos_ovrl": _nanmean(quality)}
    log(**{k: v for k, v in scores.items() if math.isfinite(v)})
