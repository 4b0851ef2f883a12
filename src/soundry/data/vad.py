"""Optional voice activity detection with silero-vad (``data.vad: silero``).

silero-vad ships its ONNX model inside its wheel, so this works offline. It costs more than
the whole rest of preprocessing (about 90x realtime per thread), which is why the default is
the dB slicer. Audio is passed as arrays: silero's own ``read_audio`` needs torchaudio I/O.
"""

from __future__ import annotations

import numpy as np

from soundry.errors import MissingDependencyError

_MODEL = None  # one model per process, loaded on first use
VAD_RATE = 16000


def _model():
    global _MODEL
    if _MODEL is None:
        try:
            import silero_vad
        except ImportError:
            raise MissingDependencyError(
                "data.vad is 'silero' but silero-vad is not installed: pip install "
                "'soundry[vad]' (or set data.vad=none to use the dB slicer)") from None
        _MODEL = silero_vad.load_silero_vad(onnx=True)
    return _MODEL


def silero_spans(audio: np.ndarray, sample_rate: int, min_interval_s: float = 0.4,
                 pad_s: float = 0.1) -> list[tuple[int, int]]:
    """Speech spans of mono ``audio`` ``(T,)`` at ``sample_rate`` Hz, in samples of that rate.

    Detection runs at 16 kHz; pauses shorter than ``min_interval_s`` stay inside a span and
    each span is padded by up to ``pad_s`` seconds (at most 0.2 s, silero's padding is
    symmetric and may otherwise merge neighbours).
    """
    import torch
    from silero_vad import get_speech_timestamps

    from soundry.audio import resample

    x = np.asarray(audio, dtype=np.float32)
    x16 = resample(x, sample_rate, VAD_RATE) if sample_rate != VAD_RATE else x
    stamps = get_speech_timestamps(
        torch.from_numpy(np.ascontiguousarray(x16)), _model(), sampling_rate=VAD_RATE,
        min_silence_duration_ms=int(1000 * min_interval_s),
        speech_pad_ms=int(1000 * min(pad_s, 0.2)))
    scale = sample_rate / VAD_RATE
    n = x.shape[-1]
    return [(min(n, int(round(s["start"] * scale))), min(n, int(round(s["end"] * scale))))
            for s in stamps]


__all__ = ["silero_spans"]
