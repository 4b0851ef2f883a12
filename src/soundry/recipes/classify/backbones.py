"""The two backbones of ``classify`` behind one interface, the head, and pretrained loading.

A backbone maps ``(wave (B, T), lengths (B,) samples)`` to clip embeddings ``(B, D)``, counting
only each clip's own samples (a clip's embedding does not depend on its batch mates), and lists
its parameters by depth (``layer_groups``) for layer-wise learning-rate decay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from soundry.errors import CheckpointError, ConfigError, DataError
from soundry.models.beats import BEATs, beats_preset, load_beats_checkpoint, pool
from soundry.models.cnn import AudioCNN, cnn_preset


class CNNBackbone(nn.Module):
    """:class:`AudioCNN` without its classification layer: ``(B, T), (B,) -> (B, embed_dim)``."""

    def __init__(self, sample_rate: int = 16000, **kwargs: Any):
        super().__init__()
        kwargs["channels"] = tuple(kwargs.get("channels", (32, 64, 128, 256)))
        self.net = AudioCNN(1, sample_rate=sample_rate, dropout=0.0, **kwargs)
        self.net.head = nn.Identity()  # the recipe's own head replaces it
        self.dim = int(self.net.proj[0].out_features)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.net.embed(wave, lengths)

    def layer_groups(self) -> list[list[nn.Parameter]]:
        """Parameters from input to output: input norm, each conv block, the projection."""
        net = self.net
        return ([list(net.frontend.parameters()) + list(net.norm.parameters())]
                + [list(b.parameters()) for b in net.blocks] + [list(net.proj.parameters())])


class BEATsBackbone(nn.Module):
    """BEATs features of one layer pooled over each clip's valid tokens: ``(B, T) 16 kHz -> (B, D)``.

    Written with plain tensor ops (no data-dependent branches) so the same code trains and
    exports to ONNX; ``check_lengths`` (off while exporting) rejects clips too short for a patch.
    """

    def __init__(self, beats: BEATs, pooling: str = "mean", layer: int | None = None):
        super().__init__()
        self.beats = beats
        self.pooling, self.layer = pooling, layer
        self.dim = int(beats.embed_dim)
        self.check_lengths = True

    def features(self, wave: torch.Tensor, lengths: torch.Tensor | None = None,
                 layer: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Token features ``(B, N, D)`` of ``layer`` (default: the configured one) and the padding
        mask ``(B, N)`` (True = padding)."""
        m = self.beats
        if lengths is None:
            lengths = torch.full((wave.shape[0],), wave.shape[1], dtype=torch.long, device=wave.device)
        if self.check_lengths:
            short = (m.valid_tokens(lengths) == 0).nonzero().flatten().tolist()
            if short:
                need = 400 + 160 * (m.patch - 1)
                raise DataError(f"clip(s) {short} are shorter than {need} samples "
                                f"({need / 16000:.3f} s at 16 kHz), the least BEATs can use")
        layer = self.layer if layer is None else layer
        x = m.fbank(wave.float()).to(m.patch_embedding.weight.dtype).unsqueeze(1)
        x = m.layer_norm(m.patch_embedding(x).flatten(2).transpose(1, 2))
        mask = m.token_padding_mask(lengths, x.shape[1])
        if m.post_extract_proj is not None:
            x = m.post_extract_proj(x)
        x = m.encoder(m.dropout_input(x), mask, layer=layer, use_sdpa=m.use_sdpa)
        return x, mask

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x, mask = self.features(wave, lengths)
        return pool(x, mask, self.pooling)

    def layer_groups(self) -> list[list[nn.Parameter]]:
        """Patch embedding and positional conv first, then each transformer layer."""
        m = self.beats
        first = [m.patch_embedding, m.layer_norm, m.encoder.pos_conv, m.encoder.layer_norm]
        if m.post_extract_proj is not None:
            first.append(m.post_extract_proj)
        groups = [[p for mod in first for p in mod.parameters()]]
        groups += [list(layer.parameters()) for layer in m.encoder.layers]
        return groups


class ClassifierHead(nn.Module):
    """Dropout + linear: ``(B, D) -> logits (B, K)``."""

    def __init__(self, dim: int, n_classes: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(dim, n_classes)

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(emb))


# ------------------------------------------------------------------ architectures and checkpoints

def beats_checkpoint_file(spec: str, cache: str = "") -> Path:
    """The BEATs file a ``model.checkpoint`` value names: a registry name (fetched and verified
    on first use) or a path to an official ``.pt`` file."""
    from soundry.hub import REGISTRY, fetch

    if spec in REGISTRY:
        family = REGISTRY[spec].family
        if family not in ("beats", "openbeats"):
            raise ConfigError(f"checkpoint '{spec}' is a {family} model, not a BEATs backbone")
        return fetch(spec, cache_dir=cache or None)
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    raise CheckpointError(f"model.checkpoint '{spec}' is neither a known checkpoint name "
                          f"({', '.join(sorted(REGISTRY))}) nor an existing file or bundle folder")


def beats_arch_of(path: Path) -> dict[str, Any]:
    """The official cfg of a BEATs checkpoint file, read lazily (memory-mapped), without the
    AudioSet predictor (the recipe trains its own head)."""
    from soundry.models.beats import BEATsConfig

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        cfg = (BEATsConfig.from_official(ckpt["cfg"])
               if isinstance(ckpt, dict) and isinstance(ckpt.get("cfg"), dict) else None)
    except Exception:  # not a zip checkpoint, or unsafe pickles: the strict loader explains
        cfg = None
    if cfg is None:
        _, cfg, _ = load_beats_checkpoint(path)  # raises CheckpointError saying what is wrong
    arch = cfg.model_kwargs()
    arch["finetuned_model"] = False
    return arch


def default_arch(model_cfg) -> dict[str, Any]:
    """Architecture keyword arguments for a scratch backbone of ``model.size``."""
    try:
        if model_cfg.backbone == "cnn":
            arch = cnn_preset(model_cfg.size)
            arch["channels"] = list(arch["channels"])
            return arch
        return beats_preset(model_cfg.size).model_kwargs()
    except (KeyError, ConfigError) as exc:
        raise ConfigError(f"model.size: {exc.args[0] if exc.args else exc}") from None


def make_backbone(model_cfg, sample_rate: int, arch: dict[str, Any]) -> nn.Module:
    """A randomly initialised backbone with architecture ``arch``."""
    if model_cfg.backbone == "cnn":
        return CNNBackbone(sample_rate=sample_rate, **arch)
    if sample_rate != 16000:
        raise ConfigError(f"BEATs needs 16 kHz audio but data.sample_rates[0] is {sample_rate}; "
                          "set data.sample_rates=[16000]")
    return BEATsBackbone(BEATs(**arch), model_cfg.pooling, model_cfg.layer)


def load_pretrained(backbone: nn.Module, model_cfg) -> None:
    """Load ``model.checkpoint`` into ``backbone`` strictly (CheckpointError naming bad keys)."""
    spec = model_cfg.checkpoint
    path = Path(spec).expanduser()
    if path.is_dir():
        from safetensors.torch import load_file

        weights = path / "model.safetensors"
        if not weights.is_file():
            raise CheckpointError(f"{path} is not a classify bundle (no model.safetensors)")
        state = {k[len("backbone."):]: v for k, v in load_file(str(weights)).items()
                 if k.startswith("backbone.")}
        missing, unexpected = backbone.load_state_dict(state, strict=False)
        if missing or unexpected or not state:
            raise CheckpointError(f"bundle {path} does not fit this backbone (missing "
                                  f"{sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}): "
                                  "use the same model.backbone and model.size as the bundle")
        return
    if model_cfg.backbone != "beats":
        raise ConfigError("a CNN backbone can only start from a classify bundle folder "
                          f"(model.checkpoint={spec!r}); use model.mode=scratch otherwise")
    beats, _, _ = load_beats_checkpoint(beats_checkpoint_file(spec, model_cfg.checkpoint_cache))
    state = {k: v for k, v in beats.state_dict().items() if not k.startswith("predictor")}
    backbone.beats.load_state_dict(state, strict=True)


def bundle_arch(path: Path) -> tuple[str, dict[str, Any]]:
    """``(backbone, arch)`` recorded in a classify bundle's config."""
    from soundry.config import read_config_file

    cfg = read_config_file(path / "config.yaml")
    model = cfg.get("model", {})
    return model.get("backbone", "cnn"), dict(model.get("arch") or {})
