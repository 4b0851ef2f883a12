"""A tiny random-weight ``vc`` bundle for runtime tests, exported once per test session."""

import json
from pathlib import Path

VOICES_TOML = """\
[model]
name = "tiny-test"
description = "random weights"

[voice.0]
name = "clara"
description = "bright <b>&</b> clear"
average_pitch = 60.0

[voice.1]
name = "arthur"
description = "low"
average_pitch = 45.0
"""


def make_tiny_vc_bundle(root: Path) -> Path:
    """Export ``build_vc_model("tiny")`` (seeded random weights, audible output) into ``root``."""
    import torch

    from soundry.export.vc import export_streaming_onnx
    from soundry.models.vc import build_vc_model

    torch.manual_seed(0)
    model = build_vc_model("tiny").eval()
    # a random init is near-silent; a louder head gives an output whose changes tests can see
    torch.nn.init.normal_(model.generator.head.weight, std=0.3)
    model.set_codebooks(torch.randn(2, 8, 16))
    root.mkdir(parents=True, exist_ok=True)
    meta = export_streaming_onnx(model, root / "model.onnx")
    from soundry.audio.dsp import highpass_sos

    meta.update({"recipe": "vc", "format": "soundry.vc", "format_version": 1, "files": {"onnx": "model.onnx"},
                 "input_filter": {"highpass_hz": 48.0, "order": 5, "design": "butterworth",
                                  "sos": highpass_sos(16000, 48.0).tolist()}})
    (root / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    (root / "voices.toml").write_text(VOICES_TOML, encoding="utf-8")
    return root


def session_bundle(tmp_path_factory) -> Path:
    """The shared tiny bundle (built on first use in this pytest session; do not modify it)."""
    root = tmp_path_factory.getbasetemp() / "tiny-vc-bundle"
    if not (root / "meta.json").is_file():
        make_tiny_vc_bundle(root)
    return root
