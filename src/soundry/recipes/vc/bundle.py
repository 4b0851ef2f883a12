"""``vc`` export: retrieval codebooks from the training audio, the streaming ONNX graph with a
parity check, ``meta.json``, ``voices.toml`` (Beatrice-style) and the weights for fine-tuning.

Layout (docs/formats/vc-bundle.md): ``model.onnx``, ``meta.json``, ``voices.toml``, optional
``portraits/``; plus ``generator.safetensors`` and ``config.yaml`` (``init_from`` takes them).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import torch

from soundry.audio.dsp import HIGHPASS_ORDER, highpass_sos
from soundry.config import save_config
from soundry.data import PreparedData, split_by_recording
from soundry.errors import DataError, SoundryError
from soundry.export import write_meta
from soundry.export.onnx import round_to_half_
from soundry.export.vc import check_streaming_parity, compress_streaming_onnx, export_streaming_onnx, streaming_error
from soundry.models.vc import build_codebook, frame_energy_db
from soundry.recipes.vc.voices import voice_segments


def _toml_str(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False)      # a JSON string is a valid TOML basic string


def voices_toml(cfg, portraits: dict[str, str]) -> str:
    """``voices.toml`` text: ``[model]`` name/description, ``[voice.N]`` name, description,
    ``average_pitch`` (MIDI note), ``[voice.N.portrait]`` when a portrait was copied."""
    desc = cfg.bundle.description or f"trained with soundry vc ({cfg.model.size})"
    lines = ["[model]", f"name = {_toml_str(cfg.bundle.name)}", f"description = {_toml_str(desc)}", ""]
    for i, voice in enumerate(cfg.task.voices):
        pitch = cfg.task.average_pitch[i] if i < len(cfg.task.average_pitch) else 0.0
        lines += [f"[voice.{i}]", f"name = {_toml_str(voice)}",
                  f"description = {_toml_str(cfg.bundle.voice_descriptions.get(voice, ''))}",
                  f"average_pitch = {float(pitch) if math.isfinite(pitch) else 0.0:.2f}", ""]
        if voice in portraits:
            lines += [f"[voice.{i}.portrait]", f"path = {_toml_str(portraits[voice])}",
                      f"description = {_toml_str('')}", ""]
    return "\n".join(lines)


def speaker_codebooks(converter, cfg, data: PreparedData | None = None) -> torch.Tensor:
    """``(n_speakers, K, D)`` k-means codebooks of each voice's content features over up to
    ``task.codebook_seconds`` of its training segments (silent frames left out)."""
    if data is None:
        if not cfg.task.prepared or not (Path(cfg.task.prepared) / "prepared.json").is_file():
            raise DataError(f"the run's prepared data ({cfg.task.prepared or 'unknown'}) is gone; the export "
                            "builds each voice's retrieval codebook from it: prepare the data again there")
        data = PreparedData.load(cfg.task.prepared)
    train, _, _ = split_by_recording(data.segments, cfg.data.val_fraction, cfg.data.split_seed)
    size = converter.retrieval.codebooks.shape[1]
    books = []
    for voice in cfg.task.voices:
        feats = []
        for seg in voice_segments(train, voice, cfg.task.codebook_seconds):
            wave = torch.from_numpy(data.audio(seg, 16000))
            with torch.no_grad():
                f = converter.content.features(wave)[0]
                loud = frame_energy_db(wave[..., :f.shape[0] * 160], 160)[0] > -50.0
            feats.append(f[loud] if int(loud.sum()) >= 4 else f)
        if not feats:
            raise DataError(f"voice '{voice}' has no training segments for its retrieval codebook")
        books.append(build_codebook(torch.cat(feats), k=size, iters=10, seed=0))
    return torch.stack(books)


def _probe(cfg, data: PreparedData | None) -> np.ndarray:
    """2 s of real training audio for the parity check (noise when the data is gone)."""
    try:
        data = data or PreparedData.load(cfg.task.prepared)
        wave = data.audio(data.segments[0], 16000)[0][:32000]
        if wave.shape[0] >= 1600:
            return wave.astype(np.float32)
    except Exception:   # the check still runs on noise
        pass
    return (0.05 * np.random.default_rng(0).standard_normal(32000)).astype(np.float32)


def _half_if_exact(t: torch.Tensor) -> torch.Tensor:
    """``t`` as float16 when that loses nothing (rounded weights), else a float32 copy."""
    if t.dtype == torch.float32 and torch.equal(t.half().float(), t):
        return t.half()
    return t.clone()


def export_bundle(parts, out_dir: Path) -> list[Path]:
    """Write the bundle (see the module doc) and return its files."""
    from safetensors.torch import save_file

    cfg = parts.cfg
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    converter = getattr(parts.modules["gen"], "module", parts.modules["gen"]).eval()
    data = parts.extras.get("data")
    # Weights (and codebooks) are kept at float16 precision, as Beatrice and RVC ship theirs: the
    # bundle is half the size, and rounding first makes torch, the graph and the saved weights agree.
    converter.set_codebooks(speaker_codebooks(converter, cfg, data).half().float())
    round_to_half_(converter)
    path = out / "model.onnx"
    stream_meta = export_streaming_onnx(converter, path)            # float32 first: it must match torch
    probe = _probe(cfg, data)
    controls = dict(speaker=len(cfg.task.voices) - 1, index_rate=0.5)
    diff = check_streaming_parity(converter, path, probe, chunk_frames=3, atol=math.inf, **controls)
    with torch.no_grad():
        peak = float(converter.convert(torch.from_numpy(probe[None]), **controls).abs().max())
    # The pitch tracker's voicing and lag choices are discrete: on real speech a borderline frame
    # may fall the other way in onnxruntime's FFT than in torch's, so the bound is relative.
    if not diff <= 1e-2 * max(peak, 0.1):
        raise SoundryError(f"the exported graph differs from torch by {diff:.2e} (output peak {peak:.2e}); "
                           "this is a bug: please report it with the run's config.yaml")
    quant = {}
    if cfg.bundle.int8:
        compress_streaming_onnx(path, stream_meta, int8=True, half_storage=False)
        # 8-bit weights change the numbers a little (~0.5% rms); retrieval off, so a nearest code
        # that flips does not count against them
        quant = streaming_error(converter, path, probe, chunk_frames=3, speaker=controls["speaker"])
        if not (quant["rel_rms"] <= 0.05 or quant["max_abs"] <= 1e-3):
            raise SoundryError(f"8-bit weights changed the output by {100 * quant['rel_rms']:.1f}% rms; export "
                               "with bundle.int8=false and please report it with the run's config.yaml")
    compress_streaming_onnx(path, stream_meta, int8=False, half_storage=True)
    state = {k: _half_if_exact(v.detach()).contiguous() for k, v in converter.state_dict().items()}
    save_file(state, str(out / "generator.safetensors"))
    save_config(cfg, out / "config.yaml")
    portraits: dict[str, str] = {}
    for voice, src in cfg.bundle.portraits.items():
        if voice in cfg.task.voices and Path(src).is_file():
            (out / "portraits").mkdir(exist_ok=True)
            shutil.copyfile(src, out / "portraits" / f"{voice}.png")
            portraits[voice] = f"portraits/{voice}.png"
    (out / "voices.toml").write_text(voices_toml(cfg, portraits), encoding="utf-8")
    files = {"onnx": "model.onnx", "voices": "voices.toml", "weights": "generator.safetensors",
             "config": "config.yaml"}
    # what the training input had before it reached the graph; hosts apply the same to live input
    hz = float(cfg.data.highpass_hz)
    input_filter = {"highpass_hz": hz, "order": HIGHPASS_ORDER, "design": "butterworth",
                    "sos": highpass_sos(16000, hz).tolist() if hz > 0 else []}
    meta = write_meta(out, "vc", files, **stream_meta, voices=list(cfg.task.voices), size=cfg.model.size,
                      input_filter=input_filter, onnx_max_abs_diff=diff, onnx_check_peak=peak,
                      int8_rel_rms=quant.get("rel_rms"))
    written = [out / "model.onnx", meta, out / "voices.toml", out / "generator.safetensors", out / "config.yaml"]
    return written + [out / p for p in portraits.values()]
