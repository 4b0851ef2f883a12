"""Reading and writing audio files.

Every loader returns ``(audio, sample_rate)`` with ``audio`` a C-contiguous ``float32`` array
of shape ``(C, T)`` (channels, samples) and ``sample_rate`` in Hz. Values are never clipped or
cleaned: a float file holding NaN or values beyond +-1 comes back exactly so, because the data
validator has to see and report such files.

Decoding tries libsndfile (``soundfile``) first, which is fast and exact for wav/flac/ogg/aiff
(and mp3 with libsndfile >= 1.1), and falls back to FFmpeg through PyAV (``av``) for everything
else (opus, m4a/aac, wma, video containers with an audio track, ...).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from soundry.errors import AudioError

from . import _pyav
from ._pyav import short_message as _short

#: File suffixes (lower case, with the dot) that soundry treats as audio when scanning folders.
AUDIO_EXTENSIONS: frozenset[str] = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aif",
    ".aiff", ".aifc", ".wma", ".webm", ".mka", ".caf", ".w64", ".rf64", ".au", ".snd",
})

# Suffix -> (libsndfile container, subtype forced by the container or None to use the caller's).
_WRITE_FORMATS: dict[str, tuple[str, str | None]] = {
    ".wav": ("WAV", None), ".wave": ("WAV", None), ".flac": ("FLAC", None),
    ".ogg": ("OGG", "VORBIS"), ".aif": ("AIFF", None), ".aiff": ("AIFF", None),
}


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, read without decoding the samples where possible.

    ``frames`` is the number of samples per channel; for compressed files decoded through
    PyAV it is estimated from the container's duration and may be off by a few milliseconds.
    """

    sample_rate: int
    channels: int
    frames: int
    duration: float      # seconds
    format: str          # e.g. "WAV", "FLAC", "mp3", "mov,mp4,m4a,3gp,3g2,mj2"
    subtype: str | None  # e.g. "PCM_16", "FLOAT", "aac"; None when unknown


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: file not found; check the path.")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file.")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: file is empty (0 bytes); remove it or replace it with audio.")


def load_audio(path: str | os.PathLike, sample_rate: int | None = None,
               mono: bool = False) -> tuple[np.ndarray, int]:
    """Decode an audio file into ``float32`` of shape ``(C, T)`` and its rate in Hz.

    Integer PCM of any bit depth is scaled to [-1, 1); float files are returned as stored
    (not clipped, NaN/inf kept). ``sample_rate`` resamples with soxr when given and different
    from the file's rate; ``mono=True`` down-mixes with :func:`soundry.audio.to_mono` to
    ``(1, T)``. Raises :class:`AudioError` naming the file and the reason when it cannot be
    decoded (missing, empty, corrupt, not audio, no audio stream).
    """
    path = Path(path)
    _check_file(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        audio = np.ascontiguousarray(data.T)
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as sf_exc:
        try:
            audio, rate = _pyav.decode(path)
        except AudioError as av_exc:
            raise AudioError(
                f"{path}: cannot decode audio (libsndfile: {_short(sf_exc)}; "
                f"ffmpeg: {av_exc}). The file is corrupt, truncated or not an audio file."
            ) from None
    if mono and audio.shape[0] != 1:
        from .dsp import to_mono
        audio = to_mono(audio)
    if sample_rate is not None and int(sample_rate) != rate:
        from .dsp import resample
        audio = resample(audio, rate, int(sample_rate))
        rate = int(sample_rate)
    return audio, int(rate)


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Read rate, channels, length and format from the header (cheap; no full decode).

    Raises :class:`AudioError` for missing, empty or unreadable files.
    """
    path = Path(path)
    _check_file(path)
    try:
        info = sf.info(str(path))
        return AudioInfo(sample_rate=int(info.samplerate), channels=int(info.channels),
                         frames=int(info.frames), duration=float(info.duration),
                         format=str(info.format), subtype=str(info.subtype) or None)
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as sf_exc:
        try:
            return AudioInfo(**_pyav.probe(path))
        except AudioError as av_exc:
            raise AudioError(
                f"{path}: cannot read the audio header (libsndfile: {_short(sf_exc)}; "
                f"ffmpeg: {av_exc}). The file is corrupt, truncated or not an audio file."
            ) from None


def save_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int,
               subtype: str = "PCM_16") -> Path:
    """Write ``audio`` of shape ``(C, T)`` or ``(T,)`` at ``sample_rate`` Hz; return the path.

    The container follows the suffix: ``.wav`` / ``.flac`` (also ``.ogg`` Vorbis, ``.aiff``).
    ``subtype`` is a libsndfile subtype: ``PCM_16`` (default), ``PCM_24``, ``PCM_32``,
    ``FLOAT``, ``DOUBLE``... Integer subtypes clip to [-1, 1] (libsndfile would wrap around)
    and refuse non-finite samples; float subtypes store values as given. The file is written
    under a temporary name in the same folder and renamed, so readers never see half a file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _WRITE_FORMATS:
        raise AudioError(f"{path}: cannot write '{suffix}' files; use one of "
                         f"{', '.join(sorted(_WRITE_FORMATS))}.")
    container, forced = _WRITE_FORMATS[suffix]
    subtype = forced or subtype.upper()
    arr = np.asarray(audio)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"audio must have shape (C, T) or (T,), got {arr.shape}")
    if not sf.check_format(container, subtype):
        raise AudioError(f"{path}: {container} files cannot hold subtype {subtype}.")
    integer = subtype.startswith("PCM") or subtype in ("ULAW", "ALAW")
    data = arr.T.astype(np.float64 if subtype == "DOUBLE" else np.float32)
    if integer or subtype == "VORBIS":
        if not np.isfinite(data).all():
            raise AudioError(f"{path}: audio contains NaN or infinite samples; "
                             f"{subtype} cannot store them.")
        data = np.clip(data, -1.0, 1.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        sf.write(str(tmp), data, int(sample_rate), subtype=subtype, format=container)
        os.replace(tmp, path)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"{path}: cannot write audio ({_short(exc)}).") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
