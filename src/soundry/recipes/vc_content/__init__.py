"""Recipe ``vc-content``: the causal content encoder that ``vc`` converts from.

It learns speaker-independent content features from 16 kHz speech two ways, alone or together:
CTC against phoneme sequences of the transcripts (``soundry.features.Phonemizer``: espeak-ng when
installed, else graphemes), and distillation of a self-supervised teacher's 100 Hz features
(``content.teacher``: HuBERT / ContentVec / WavLM). Its input is disguised (pitch/formant shift,
EQ, low-pass, noise) so the features forget the speaker. The export is a folder that a ``vc`` run
takes as ``content.checkpoint``.
"""

from __future__ import annotations

from soundry.recipes.vc_content.config import Config, ContentModelConfig, ContentTaskConfig
from soundry.recipes.vc_content.steps import (build, eval_step, export, resolve_config,
                                              train_step)

name = "vc-content"

__all__ = ["name", "Config", "ContentModelConfig", "ContentTaskConfig", "build",
           "train_step", "eval_step", "export", "resolve_config"]
