"""BEATs audio transformer (microsoft/unilm), loading the official checkpoint files exactly."""

from soundry.models.beats.checkpoint import (beats_state_dict, load_beats_checkpoint,
                                             save_beats_checkpoint)
from soundry.models.beats.config import BEATS_PRESETS, BEATsConfig, beats_preset
from soundry.models.beats.fbank import (BEATS_FBANK_MEAN, BEATS_FBANK_STD, BEATS_SAMPLE_RATE,
                                        beats_fbank, kaldi_fbank, kaldi_mel_banks, num_frames)
from soundry.models.beats.model import BEATs
from soundry.models.beats.pooling import POOL_MODES, pool

__all__ = [
    "BEATS_FBANK_MEAN", "BEATS_FBANK_STD", "BEATS_PRESETS", "BEATS_SAMPLE_RATE", "BEATs",
    "BEATsConfig", "POOL_MODES", "beats_fbank", "beats_preset", "beats_state_dict",
    "kaldi_fbank", "kaldi_mel_banks", "load_beats_checkpoint", "num_frames", "pool",
    "save_beats_checkpoint",
]
