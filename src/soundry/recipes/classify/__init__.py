"""Recipe ``classify``: audio classification and clip embeddings with a small CNN or BEATs.

Labels are the data's label folders (or a table's label column; ``a;b`` for multi-label).
Modes: ``scratch`` (random init), ``linear`` (frozen pretrained backbone, head only) and
``finetune`` (everything, layer-wise LR decay). Training uses augmented random crops of the
prepared segments; evaluation uses fixed crops and writes ``metrics.json`` and
``confusion.png``; the export is an ONNX model mapping a padded batch of waveforms plus their
lengths to class probabilities and embeddings, beside the torch weights and the config.
"""

from __future__ import annotations

from soundry.recipes.classify.config import Config, ModelConfig, TaskConfig
from soundry.recipes.classify.exporting import export
from soundry.recipes.classify.steps import (build, eval_step, evaluate, resolve_config,
                                            train_step)

name = "classify"

__all__ = ["name", "Config", "ModelConfig", "TaskConfig", "build", "train_step", "eval_step",
           "evaluate", "export", "resolve_config"]
