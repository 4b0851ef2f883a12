"""Named sizes for AudioCNN (plain keyword arguments; ``tiny`` exists for tests)."""

from __future__ import annotations

from typing import Any

CNN_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"n_mels": 32, "channels": (8, 16, 32), "embed_dim": 32},
    "small": {"n_mels": 64, "channels": (32, 64, 128, 256), "embed_dim": 256},
    "base": {"n_mels": 128, "channels": (64, 128, 256, 512), "embed_dim": 512},
}


def cnn_preset(name: str) -> dict[str, Any]:
    """Keyword arguments of the named size; unknown names raise KeyError listing the sizes."""
    if name not in CNN_PRESETS:
        raise KeyError(f"unknown CNN size '{name}' (choose one of {', '.join(CNN_PRESETS)})")
    return dict(CNN_PRESETS[name])
