"""One file for every problem the data validator must report, plus files it must accept.

:func:`make_bad_files` writes them into one folder and returns ``{name: path}``;
:data:`BAD_FILE_KINDS` maps each name to the problem it shows (``"good"`` for the good ones),
so validator tests can loop over the cases instead of naming them one by one.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from soundry.audio import save_audio

from .signals import sine
from .synth import DEMO_SPEAKERS, synthesize

#: file name (key of :func:`make_bad_files`) -> the problem it must be reported for.
BAD_FILE_KINDS: dict[str, str] = {
    "unreadable": "unreadable",          # RIFF/WAVE start, then garbage: no fmt/data chunks
    "not_audio": "not_audio",            # a .wav that is really text
    "not_audio_pdf": "not_audio",        # a document next to the audio
    "empty": "empty",                    # 0 bytes
    "too_short": "too_short",            # 50 ms
    "silent": "silent",                  # 2 s of digital zeros
    "clipped": "clipped",                # sine driven far past full scale, stored as 16-bit
    "non_finite": "non_finite",          # float32 wav holding NaN and +-inf
    "extreme_rate_low": "extreme_rate",  # 2000 Hz
    "extreme_rate_high": "extreme_rate",  # 384000 Hz
    "good": "good",                      # 2 s of synthetic speech, 16-bit wav, 22.05 kHz
    "good_flac": "good",                 # 1.5 s stereo flac, 44.1 kHz
    "good_float": "good",                # 1.5 s float32 wav, 48 kHz
}


def _garbage_riff(path: Path, seed: int) -> Path:
    # The header claims a large file; what follows is random bytes with no chunk structure.
    body = np.random.default_rng(seed).bytes(512)
    path.write_bytes(b"RIFF" + struct.pack("<I", 1_000_000) + b"WAVE" + body)
    return path


def make_bad_files(directory: str | Path, seed: int = 0) -> dict[str, Path]:
    """Write every case of :data:`BAD_FILE_KINDS` into ``directory``; return name -> path.

    File names are ``<name>.wav`` except ``good_flac.flac`` and ``not_audio_pdf.pdf``.
    Deterministic for a given ``seed``.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    out["unreadable"] = _garbage_riff(d / "unreadable.wav", seed)
    out["not_audio"] = d / "not_audio.wav"
    out["not_audio"].write_text("These are my notes, not a recording.\n" * 20, encoding="utf-8")
    out["not_audio_pdf"] = d / "not_audio_pdf.pdf"
    out["not_audio_pdf"].write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    out["empty"] = d / "empty.wav"
    out["empty"].write_bytes(b"")
    out["too_short"] = save_audio(d / "too_short.wav", sine(220.0, 0.05, 16000), 16000)
    out["silent"] = save_audio(d / "silent.wav", np.zeros(32000, np.float32), 16000)
    driven = np.clip(sine(220.0, 2.0, 16000, amplitude=4.0), -1.0, 1.0)
    out["clipped"] = save_audio(d / "clipped.wav", driven, 16000)
    bad = sine(220.0, 2.0, 16000)
    bad[1000:1010] = np.nan
    bad[5000] = np.inf
    bad[6000] = -np.inf
    out["non_finite"] = d / "non_finite.wav"
    # Written directly: save_audio is right to refuse such data for PCM, and FLOAT keeps it.
    sf.write(str(out["non_finite"]), bad, 16000, subtype="FLOAT")
    out["extreme_rate_low"] = save_audio(d / "extreme_rate_low.wav", sine(200.0, 2.0, 2000), 2000)
    out["extreme_rate_high"] = save_audio(d / "extreme_rate_high.wav",
                                          sine(1000.0, 1.0, 384000), 384000)
    speech = synthesize("The quick brown fox jumps over the lazy dog.", DEMO_SPEAKERS[0],
                        22050, seed=seed)
    out["good"] = save_audio(d / "good.wav", speech[:44100], 22050)
    stereo = np.stack([sine(330.0, 1.5, 44100, 0.4), sine(440.0, 1.5, 44100, 0.3)])
    out["good_flac"] = save_audio(d / "good_flac.flac", stereo, 44100)
    out["good_float"] = save_audio(d / "good_float.wav", sine(262.0, 1.5, 48000, 0.5), 48000,
                                   subtype="FLOAT")
    return out
