"""Recipe ``vc``: streaming voice conversion into any of the trained voices (Beatrice 2 style).

16 kHz in, 24 kHz out, 10 ms frames, causal. The content encoder comes from a ``vc-content``
run (``content.checkpoint``, frozen) or is trained here jointly with CTC on transcripts. f0
labels are pyworld's, cached per segment; the in-graph YIN tracker sometimes replaces them so
the generator also sees run-time f0. The generator learns self-reconstruction of each voice
from a disguised input with mel + loudness losses, then LSGAN + feature matching against
multi-period and multi-resolution discriminators. The export is the streaming ONNX bundle of
docs/formats/vc-bundle.md with per-voice retrieval codebooks.
"""

from __future__ import annotations

from soundry.recipes.vc.bundle import export_bundle as export
from soundry.recipes.vc.config import (BundleConfig, Config, ContentConfig, EvalConfig, LossConfig,
                                       ModelConfig, PitchConfig, TaskConfig)
from soundry.recipes.vc.evaluate import evaluate
from soundry.recipes.vc.steps import build, eval_step, resolve_config, train_step

name = "vc"

__all__ = ["name", "Config", "ModelConfig", "ContentConfig", "PitchConfig", "LossConfig", "TaskConfig",
           "EvalConfig", "BundleConfig", "build", "train_step", "eval_step", "export",
           "resolve_config", "evaluate"]
