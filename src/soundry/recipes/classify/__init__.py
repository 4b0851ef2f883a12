"""Recipe ``classify``: audio classification and clip embeddings (small CNN backbone).

Labels are the data's label folders (speakers or classes). Training uses random crops of the
prepared segments; evaluation uses fixed crops; the export is an ONNX model that maps a padded
batch of waveforms plus their lengths to class probabilities and embeddings.
"""

from __future__ import annotations

from soundry.recipes.classify.config import Config, ModelConfig, TaskConfig
from soundry.recipes.classify.steps import (Parts, build, eval_step, export, resolve_config,
                                            train_step)

name = "classify"

__all__ = ["name", "Config", "ModelConfig", "TaskConfig", "Parts", "build", "train_step", "eval_step",
           "export", "resolve_config"]
