"""Named sizes of the streaming VC model (plain keyword arguments for ``StreamingConverter``).

``tiny`` is for tests (trains in seconds), ``small`` is the default and the benchmark target
(one CPU thread: RTF about 0.11 in 10 ms blocks, 6.7 MB graph with 8-bit matrices), ``base``
trades speed for capacity.
"""

from __future__ import annotations

import copy
from typing import Any

VC_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {
        "content": {"content_dim": 16, "n_units": 8, "channels": 16, "n_blocks": 1, "mult": 2,
                    "frontend": (4, 8, 16)},
        "generator": {"channels": 16, "n_blocks": 1, "mult": 2, "n_envelope": 16, "n_noise_bands": 4,
                      "n_harmonics": 16, "fir_taps": 16, "noise_length": 512},
        "n_speakers": 2, "codebook_size": 8, "top_k": 2,
    },
    "small": {
        "content": {"content_dim": 128, "n_units": 64, "channels": 192, "n_blocks": 6, "mult": 3,
                    "frontend": (32, 64, 128)},
        "generator": {"channels": 256, "n_blocks": 5, "mult": 3, "n_envelope": 96, "n_noise_bands": 32,
                      "n_harmonics": 120, "fir_taps": 256, "noise_length": 8192},
        "n_speakers": 8, "codebook_size": 512, "top_k": 4,
    },
    "base": {
        "content": {"content_dim": 128, "n_units": 64, "channels": 256, "n_blocks": 8, "mult": 3,
                    "frontend": (48, 96, 192)},
        "generator": {"channels": 320, "n_blocks": 8, "mult": 3, "n_envelope": 128, "n_noise_bands": 48,
                      "n_harmonics": 160, "fir_taps": 512, "noise_length": 16384},
        "n_speakers": 8, "codebook_size": 512, "top_k": 4,
    },
}


def vc_preset(name: str) -> dict[str, Any]:
    """Keyword arguments of the named size (a deep copy); unknown names raise KeyError listing sizes."""
    if name not in VC_PRESETS:
        raise KeyError(f"unknown VC size '{name}' (choose one of {', '.join(VC_PRESETS)})")
    return copy.deepcopy(VC_PRESETS[name])


def build_vc_model(name: str = "small", **overrides: Any):
    """A ``StreamingConverter`` of the named size; ``overrides`` replace top-level keys."""
    from soundry.models.vc.converter import StreamingConverter

    kwargs = vc_preset(name)
    kwargs.update(overrides)
    return StreamingConverter(**kwargs)
