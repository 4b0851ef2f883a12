"""The training engine: the loop, devices, precision, distribution, accumulation, the LR
schedule, logging, checkpoints, resume and failure handling. Recipes own the maths.

Entry points: ``Trainer(recipe, cfg, run_dir, data).fit(resume=False) -> RunResult`` and
``load_parts_for_export``. Lightning Fabric is imported only when a run starts.
"""

from soundry.train.checkpoint import (best_checkpoint, latest_checkpoint, list_checkpoints,
                                      load_weights, read_checkpoint_config, resolve_checkpoint)
from soundry.train.config import TrainConfig
from soundry.train.data import ResumableBatchSampler, SamplerPosition, SeededDataset
from soundry.train.protocol import Parts, Recipe, RecipeParts, StepContext
from soundry.train.schedule import lr_factor, lr_lambda
from soundry.train.seeding import seed_everything
from soundry.train.trainer import RunResult, Trainer, load_parts_for_export

__all__ = [
    "TrainConfig", "Recipe", "Parts", "RecipeParts", "StepContext", "Trainer", "RunResult",
    "load_parts_for_export", "seed_everything", "lr_factor", "lr_lambda",
    "latest_checkpoint", "best_checkpoint", "list_checkpoints", "resolve_checkpoint",
    "load_weights", "read_checkpoint_config", "ResumableBatchSampler", "SamplerPosition",
    "SeededDataset",
]
