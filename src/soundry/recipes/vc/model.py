"""The ``StreamingConverter`` a ``vc`` config describes, and loading weights into it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from soundry.errors import CheckpointError
from soundry.models.vc import StreamingConverter, vc_preset
from soundry.nn.discriminators import MultiDiscriminator


def converter_kwargs(cfg) -> dict[str, Any]:
    """Keyword arguments for ``StreamingConverter``: the size preset, the content encoder's own
    architecture (``content.arch``), one speaker per voice and the output rate."""
    kwargs = vc_preset(cfg.model.size)
    if cfg.content.arch:
        kwargs["content"] = dict(cfg.content.arch)
    kwargs["pitch"] = {**kwargs.get("pitch", {}), "voicing": float(cfg.pitch.voicing)}
    kwargs["n_speakers"] = max(1, len(cfg.task.voices))
    kwargs["out_rate"] = cfg.model.out_rate
    kwargs["out_hop"] = cfg.model.out_rate // 100
    return kwargs


def build_converter(cfg) -> StreamingConverter:
    return StreamingConverter(**converter_kwargs(cfg))


def build_discriminator(cfg) -> MultiDiscriminator:
    return MultiDiscriminator(period_channels=tuple(cfg.loss.disc_channels),
                              stft_channels=cfg.loss.disc_stft_channels)


def _weights_of(path: str | Path, name: str) -> dict[str, torch.Tensor] | None:
    """Weights of module ``name`` from a run folder, checkpoint folder or vc export folder."""
    from safetensors.torch import load_file

    from soundry.train import latest_checkpoint

    folder = Path(path).expanduser()
    candidates = [folder / f"model-{name}.safetensors"]
    if name == "gen":
        candidates += [folder / "generator.safetensors", folder / "export" / "generator.safetensors"]
    if folder.is_dir() and (found := latest_checkpoint(folder)) is not None:
        candidates.append(found / f"model-{name}.safetensors")
    for c in candidates:
        if c.is_file():
            return load_file(str(c))
    return None


def load_matching(module: torch.nn.Module, weights: dict[str, torch.Tensor]) -> list[str]:
    """Load every tensor whose name and shape match; returns the names left as they were
    (e.g. speaker embeddings and codebooks when the number of voices changed)."""
    own = module.state_dict()
    usable = {k: v for k, v in weights.items() if k in own and own[k].shape == v.shape}
    module.load_state_dict(usable, strict=False)
    return sorted(set(own) - set(usable))


def init_from(cfg, converter: torch.nn.Module, disc: torch.nn.Module) -> dict[str, list[str]]:
    """Fine-tuning: start from ``cfg.init_from`` (vc run / checkpoint / export). Returns the
    names not loaded per module. Raises CheckpointError when no generator weights are there."""
    gen = _weights_of(cfg.init_from, "gen")
    if gen is None:
        raise CheckpointError(f"init_from={cfg.init_from}: no vc generator weights there (expected a vc "
                              "run folder, one of its checkpoints, or its export folder)")
    skipped = {"gen": load_matching(converter, gen)}
    d = _weights_of(cfg.init_from, "disc")
    if d is not None:
        skipped["disc"] = load_matching(disc, d)
    return skipped
