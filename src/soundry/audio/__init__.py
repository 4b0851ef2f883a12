"""Audio in and out, and the signal operations every recipe's data preparation shares.

Arrays are ``numpy.float32`` of shape ``(C, T)`` (channels, samples) with a separate sample
rate in Hz. This package imports only numpy, scipy, soundfile, soxr, av and pyloudnorm (and
those lazily where they are heavy); never torch.
"""

from .condition import condition
from .dsp import highpass, resample, to_mono
from .io import AUDIO_EXTENSIONS, AudioInfo, audio_info, load_audio, save_audio
from .level import (SILENCE_DB, frame_rms_db, loudness_lufs, normalize_loudness, normalize_peak,
                    peak_db, rms_db)
from .slicing import find_speech, partition_spans, split_spans

__all__ = [
    "condition",
    "AUDIO_EXTENSIONS", "AudioInfo", "SILENCE_DB", "audio_info", "find_speech", "frame_rms_db",
    "highpass", "load_audio", "loudness_lufs", "normalize_loudness", "normalize_peak",
    "partition_spans", "peak_db", "resample", "rms_db", "save_audio", "split_spans", "to_mono",
]
