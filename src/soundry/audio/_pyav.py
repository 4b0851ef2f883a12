"""Fallback decoding through FFmpeg (PyAV) for formats libsndfile cannot read.

Frames are converted to float32 by their own sample format rather than through FFmpeg's
resampler, so float streams keep NaN/inf and out-of-range values exactly as stored.
Errors are raised as :class:`AudioError` with a short reason; the caller adds the path.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from soundry.errors import AudioError

# Integer sample formats and the divisor that maps them to [-1, 1).
_INT_SCALE = {"s16": 32768.0, "s32": 2147483648.0, "s64": 9223372036854775808.0}


def short_message(exc: BaseException) -> str:
    """The useful part of a libsndfile/FFmpeg message, without the path it repeats."""
    lines = str(exc).strip().splitlines()
    text = lines[-1] if lines else ""
    text = re.sub(r"^Error opening '.*?': ", "", text)   # libsndfile prefix
    text = re.sub(r"^\[Errno -?\d+\] ", "", text)        # FFmpeg error number
    text = re.sub(r": '[^']*'$", "", text)                # FFmpeg path suffix
    return text.rstrip(".") or type(exc).__name__


def _open(path: Path):
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a hard dependency
        raise AudioError(f"PyAV is not installed ({exc})") from None
    try:
        container = av.open(str(path), mode="r")
    except Exception as exc:  # av raises many FFmpeg error classes (InvalidDataError, ...)
        raise AudioError(short_message(exc)) from None
    if not container.streams.audio:
        container.close()
        raise AudioError("no audio stream in the file")
    return container


def _frame_to_array(frame) -> np.ndarray:
    """One decoded frame -> float32 ``(C, n)`` scaled by its sample format."""
    fmt = frame.format
    channels = len(frame.layout.channels)
    raw = frame.to_ndarray()
    if fmt.is_planar:
        arr = raw.reshape(channels, -1)
    else:  # packed/interleaved: (1, n * C)
        arr = raw.reshape(-1, channels).T
    base = fmt.name.rstrip("p")
    if base == "u8":
        return (arr.astype(np.float32) - 128.0) / 128.0
    if base in _INT_SCALE:
        return (arr.astype(np.float64) / _INT_SCALE[base]).astype(np.float32)
    return arr.astype(np.float32)


def decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode the first audio stream of ``path`` -> (float32 ``(C, T)``, rate in Hz)."""
    container = _open(path)
    chunks: list[np.ndarray] = []
    rate = None
    try:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            arr = _frame_to_array(frame)
            if rate is None:
                rate = int(frame.sample_rate)
            elif int(frame.sample_rate) != rate or arr.shape[0] != chunks[0].shape[0]:
                raise AudioError("the sample rate or channel count changes inside the stream")
            chunks.append(arr)
    except AudioError:
        raise
    except Exception as exc:
        raise AudioError(f"decoding failed: {short_message(exc)}") from None
    finally:
        container.close()
    if not chunks:
        raise AudioError("no audio could be decoded")
    return np.ascontiguousarray(np.concatenate(chunks, axis=1)), rate


def probe(path: Path) -> dict:
    """Header fields of the first audio stream, as keyword arguments for ``AudioInfo``."""
    container = _open(path)
    try:
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        rate = int(ctx.sample_rate or stream.rate or 0)
        channels = int(ctx.channels or 0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000.0  # FFmpeg's AV_TIME_BASE is microseconds
        else:
            duration = 0.0
        if rate <= 0 or channels <= 0:
            raise AudioError("the audio stream has no sample rate or channel count")
        return {"sample_rate": rate, "channels": channels, "frames": int(round(duration * rate)),
                "duration": duration, "format": container.format.name,
                "subtype": ctx.name or None}
    finally:
        container.close()
