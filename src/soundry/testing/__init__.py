"""Synthetic audio, tiny corpora and problem files for tests and the demo (shipped code).

- :mod:`.signals`: sines, noise, chirps, tone bursts, and PyAV encoders for compressed files.
- :mod:`.synth`: a deterministic numpy source-filter speech synthesiser (:class:`SpeakerSpec`).
- :mod:`.corpus`: :func:`make_demo_corpus`, a speaker-labelled folder of utterances.
- :mod:`.badfiles`: :func:`make_bad_files`, one file per problem the validator must report.
"""

from .badfiles import BAD_FILE_KINDS, make_bad_files
from .corpus import CorpusInfo, demo_speakers, make_demo_corpus
from .sentences import SENTENCES
from .signals import (chirp, encode_with_pyav, impulse, noise, pyav_can_encode, silence, sine,
                      stereo, tone_bursts)
from .synth import DEMO_SPEAKERS, SpeakerSpec, synthesize

__all__ = [
    "BAD_FILE_KINDS", "CorpusInfo", "DEMO_SPEAKERS", "SENTENCES", "SpeakerSpec", "chirp",
    "demo_speakers", "encode_with_pyav", "impulse", "make_bad_files", "make_demo_corpus",
    "noise", "pyav_can_encode", "silence", "sine", "stereo", "synthesize", "tone_bursts",
]
