"""Check that an uploaded file is audio by decoding it, and measure it.

``soundry.api.inspect_audio(path)`` (decode + the data package's measurements, quality
included) is used when the API has it. Until then a plain decode with soundfile, then PyAV,
gives duration, rate and channels, and quality stays unknown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from soundry import api
from soundry.errors import SoundryError
from soundry.serve.settings import ServeError


def probe_audio(path: str | Path) -> dict[str, Any]:
    """``{"duration" (s), "sample_rate" (Hz), "channels", "quality" (0..1 or None)}``; 415 if not audio."""
    inspect = getattr(api, "inspect_audio", None)
    try:
        info = inspect(path) if inspect is not None else _decode(Path(path))
    except SoundryError as exc:
        raise ServeError(415, f"not a readable audio file: {_short(exc, path)}") from None
    if not info or not info.get("duration"):
        raise ServeError(415, "the file decodes to no audio (0 samples); record or export it again")
    return {"duration": float(info["duration"]), "sample_rate": int(info["sample_rate"]),
            "channels": int(info.get("channels") or 1), "quality": info.get("quality")}


def _short(exc: Exception, path: str | Path) -> str:
    return str(exc).replace(str(path), "the file").replace(": :", ":")


def _decode(path: Path) -> dict[str, Any]:
    """Decode every frame (a header alone can lie) and count them."""
    import soundfile as sf

    try:
        with sf.SoundFile(path) as fh:
            frames = 0
            for block in fh.blocks(blocksize=65536, always_2d=True):
                frames += block.shape[0]
            return {"duration": frames / fh.samplerate, "sample_rate": fh.samplerate,
                    "channels": fh.channels, "quality": None}
    except Exception:  # noqa: BLE001 - try the next decoder
        pass
    try:
        import av

        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise ServeError(415, "the file holds no audio stream; upload wav, flac, ogg, mp3 or m4a")
            stream = streams[0]
            rate, channels, frames = stream.rate or stream.codec_context.sample_rate, stream.channels, 0
            for frame in container.decode(stream):
                frames += frame.samples
            return {"duration": frames / rate if rate else 0.0, "sample_rate": rate,
                    "channels": channels, "quality": None}
    except ServeError:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure means "not audio" to the client
        raise ServeError(415, "the content is not audio that soundry can decode; "
                              "upload wav, flac, ogg, mp3 or m4a") from None
