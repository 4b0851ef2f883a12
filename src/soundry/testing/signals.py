"""Small deterministic test signals, all float32 ``(T,)`` unless stated, amplitudes in [-1, 1].

Also :func:`encode_with_pyav`, which writes compressed files (mp3, m4a/aac, opus)
with the FFmpeg encoders bundled in PyAV's wheel, so decoders can be tested without fixtures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _n(seconds: float, sample_rate: int) -> int:
    return int(round(seconds * sample_rate))


def sine(freq: float, seconds: float, sample_rate: int, amplitude: float = 0.5,
         phase: float = 0.0) -> np.ndarray:
    """A sine of ``freq`` Hz lasting ``seconds`` s: ``(T,)`` float32."""
    t = np.arange(_n(seconds, sample_rate)) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def noise(seconds: float, sample_rate: int, amplitude: float = 0.1, seed: int = 0) -> np.ndarray:
    """Gaussian white noise with standard deviation ``amplitude``: ``(T,)`` float32."""
    rng = np.random.default_rng(seed)
    return (amplitude * rng.standard_normal(_n(seconds, sample_rate))).astype(np.float32)


def chirp(f0: float, f1: float, seconds: float, sample_rate: int,
          amplitude: float = 0.5) -> np.ndarray:
    """A sweep whose frequency moves exponentially from ``f0`` to ``f1`` Hz: ``(T,)`` float32."""
    n = _n(seconds, sample_rate)
    t = np.arange(n) / sample_rate
    if f0 == f1 or seconds <= 0:
        return sine(f0, seconds, sample_rate, amplitude)
    k = np.log(f1 / f0) / seconds
    phase = 2 * np.pi * f0 * (np.exp(k * t) - 1.0) / k
    return (amplitude * np.sin(phase)).astype(np.float32)


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    """Digital silence: ``(T,)`` float32 zeros."""
    return np.zeros(_n(seconds, sample_rate), np.float32)


def impulse(seconds: float, sample_rate: int, at: float = 0.0) -> np.ndarray:
    """A unit impulse at ``at`` seconds: ``(T,)`` float32."""
    x = silence(seconds, sample_rate)
    x[_n(at, sample_rate)] = 1.0
    return x


def tone_bursts(bursts: list[tuple[float, float]], seconds: float, sample_rate: int,
                freq: float = 220.0, amplitude: float = 0.3,
                noise_db: float | None = None, seed: int = 0) -> np.ndarray:
    """Tone bursts in silence: ``bursts`` lists ``(start_s, end_s)``; ``(T,)`` float32.

    Each burst is a ``freq`` Hz tone (plus a few harmonics, speech-like) with 5 ms ramps.
    ``noise_db`` adds a white-noise floor at that RMS in dBFS (None: clean silence).
    """
    n = _n(seconds, sample_rate)
    t = np.arange(n) / sample_rate
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    envelope = np.zeros(n)
    ramp = max(1, _n(0.005, sample_rate))
    for start, end in bursts:
        a, b = _n(start, sample_rate), min(_n(end, sample_rate), n)
        env = np.ones(b - a)
        r = min(ramp, (b - a) // 2)
        if r:
            env[:r] = np.linspace(0, 1, r)
            env[-r:] = np.linspace(1, 0, r)
        envelope[a:b] = env
    out = amplitude * tone * envelope / 1.5
    if noise_db is not None:
        rng = np.random.default_rng(seed)
        out = out + 10 ** (noise_db / 20) * rng.standard_normal(n)
    return out.astype(np.float32)


def stereo(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Stack two ``(T,)`` signals into ``(2, T)`` float32."""
    return np.stack([left, right]).astype(np.float32)


# suffix -> (container format, encoder, sample format, rates it accepts)
_PYAV_ENCODERS = {
    ".mp3": ("mp3", "libmp3lame", "fltp", (44100, 48000, 32000, 22050, 24000, 16000)),
    ".m4a": ("ipod", "aac", "fltp", (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050,
                                      16000)),
    ".opus": ("ogg", "libopus", "flt", (48000, 24000, 16000, 12000, 8000)),
}


def pyav_can_encode(suffix: str) -> bool:
    """Whether :func:`encode_with_pyav` can write ``suffix`` with this PyAV build."""
    if suffix not in _PYAV_ENCODERS:
        return False
    import av

    try:
        av.Codec(_PYAV_ENCODERS[suffix][1], "w")
    except Exception:
        return False
    return True


def encode_with_pyav(path: str | Path, audio: np.ndarray, sample_rate: int,
                     bit_rate: int = 128_000) -> Path:
    """Encode ``(C, T)`` or ``(T,)`` float audio to ``path`` (.mp3, .m4a, .opus).

    (Ogg Vorbis: use ``save_audio(path.ogg, ...)``; FFmpeg's own vorbis encoder is experimental.)

    ``sample_rate`` must be one the encoder accepts (opus: 8/12/16/24/48 kHz). Test helper:
    lossy codecs add delay and change samples, so compare levels or spectra, not samples.
    """
    import av

    path = Path(path)
    fmt, codec, sample_fmt, rates = _PYAV_ENCODERS[path.suffix]
    if sample_rate not in rates:
        raise ValueError(f"{codec} cannot encode at {sample_rate} Hz; use one of {rates}")
    arr = np.asarray(audio, dtype=np.float32)
    arr = arr[None, :] if arr.ndim == 1 else arr
    layout = {1: "mono", 2: "stereo"}[arr.shape[0]]
    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=sample_rate)
        stream.layout = layout
        stream.format = sample_fmt
        stream.bit_rate = bit_rate
        block = 1024
        for start in range(0, arr.shape[1], block):
            part = np.ascontiguousarray(arr[:, start:start + block])
            data = part if sample_fmt.endswith("p") else part.T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=sample_fmt,
                                               layout=layout)
            frame.sample_rate = sample_rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path
