"""Per-segment features (pitch, loudness, embeddings, codec codes) and their sharded store.

Store: ``FeatureWriter`` writes one ``shard-XXXXX.safetensors`` per worker, ``merge_index``
checks the shards agree and writes ``index.json``, ``FeatureStore`` reads them back, and
``compute_features`` runs a function over many segments in parallel, resumably. Frame-level
features follow one grid (``soundry.features.frames``): ``ceil(T / hop)`` frames, frame ``i``
centred on sample ``i * hop``. Importing this package loads neither pyworld nor torch.
"""

from soundry.features.compute import ComputeResult, compute_features, default_key
from soundry.features.frames import frame_count, frame_times, hop_samples_for
from soundry.features.header import (FeatureStoreError, make_header, params_hash,
                                     store_dir_for)
from soundry.features.loudness import a_weighting_db, frame_loudness
from soundry.features.pitch import (estimate_pitch, hz_to_midi, mean_pitch_midi, midi_to_hz,
                                    voiced_mask)
from soundry.features.store import (FeatureStore, MissingFeatureError, build_index,
                                    load_index, merge_index, read_shard_header)
from soundry.features.phonemes import Phonemizer, PhonemeVocab, espeak_path
from soundry.features.ssl import SSLFeatures, load_ssl_model
from soundry.features.writer import FeatureWriter, shard_name

__all__ = [
    "ComputeResult", "FeatureStore", "FeatureStoreError", "FeatureWriter", "MissingFeatureError",
    "a_weighting_db", "build_index", "compute_features", "default_key", "estimate_pitch",
    "frame_count", "frame_loudness", "frame_times", "hop_samples_for", "hz_to_midi",
    "load_index", "make_header", "mean_pitch_midi", "merge_index", "midi_to_hz", "params_hash",
    "read_shard_header", "shard_name", "store_dir_for", "voiced_mask",
    "Phonemizer", "PhonemeVocab", "espeak_path", "SSLFeatures", "load_ssl_model",
]
