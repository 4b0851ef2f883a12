"""The device-independent core of live conversion: resample, block, convert, resample back.

:class:`StreamProcessor` takes whatever the input device delivers (mono, any rate, any callback
size) and returns what is ready for the output device; :class:`SampleFifo` carries it to the
output callback. Neither touches an audio device, so both are tested on numpy "device" streams.
"""

from __future__ import annotations

import threading

import numpy as np

from soundry.runtime.vc import VoiceConverter
from soundry.runtime.voices import Voice


class _Resampler:
    """soxr's streaming resampler, or a pass-through when the rates match. ``quality``: a soxr
    preset; "LQ" keeps the buffering short, "HQ" adds about 20 ms at 48 kHz."""

    def __init__(self, rate_in: int, rate_out: int, quality: str):
        self.rate_in, self.rate_out = int(rate_in), int(rate_out)
        self._stream = None
        if self.rate_in != self.rate_out:
            import soxr

            self._stream = soxr.ResampleStream(self.rate_in, self.rate_out, 1, dtype="float32", quality=quality)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        return x if self._stream is None else self._stream.resample_chunk(x)

    @property
    def delay_ms(self) -> float:
        """The filter's delay (soxr reports it in output samples)."""
        return 0.0 if self._stream is None else 1000.0 * float(self._stream.delay()) / self.rate_out


class StreamProcessor:
    """Live conversion without a device: ``push(samples at device_in_rate) -> samples at
    device_out_rate`` (mono ``(n,)`` float32 in and out; the output may be empty while the
    first block fills, and comes in whole blocks).

    ``block_frames``: 10 ms frames per graph call. ``pitch_shift``, ``formant_shift``,
    ``index_rate`` and ``voice`` are plain attributes: change them at any time (another thread
    may do it; the next block uses the new values).
    """

    def __init__(self, converter: VoiceConverter, voice: Voice | str | int, device_in_rate: int,
                 device_out_rate: int, block_frames: int = 1, pitch_shift: float = 0.0,
                 formant_shift: float = 0.0, index_rate: float = 0.0, quality: str = "LQ"):
        if block_frames < 1:
            raise ValueError("block_frames must be >= 1")
        self.converter = converter
        self.voice = converter.voice(voice)
        self.pitch_shift, self.formant_shift, self.index_rate = pitch_shift, formant_shift, index_rate
        self.block_frames = int(block_frames)
        self.device_in_rate, self.device_out_rate = int(device_in_rate), int(device_out_rate)
        self._down = _Resampler(device_in_rate, converter.in_rate, quality)
        self._up = _Resampler(converter.out_rate, device_out_rate, quality)
        self._pending = np.zeros(0, np.float32)
        self._state = converter.new_state()
        self.blocks = 0

    @property
    def block_size(self) -> int:
        """Samples per graph call at the model's input rate."""
        return self.block_frames * self.converter.in_hop

    def set_voice(self, voice: Voice | str | int) -> Voice:
        """Switch the target voice (unknown -> ``SoundryError``); the stream state carries on."""
        self.voice = self.converter.voice(voice)
        return self.voice

    def reset(self) -> None:
        """Start again from zero state (drops what is buffered in the block)."""
        self._state = self.converter.new_state()
        self._pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Feed ``samples (n,)`` from the input device; returns the converted samples now ready."""
        x = self._down(np.asarray(samples, np.float32).reshape(-1))
        self._pending = np.concatenate([self._pending, x]) if self._pending.size else x
        outs = []
        size = self.block_size
        while self._pending.size >= size:
            block, self._pending = self._pending[:size], self._pending[size:]
            y, self._state = self.converter.process(block, self._state, self.voice, self.pitch_shift,
                                                    self.formant_shift, self.index_rate)
            self.blocks += 1
            outs.append(self._up(y))
        return np.concatenate(outs) if outs else np.zeros(0, np.float32)

    def latency_ms(self) -> dict[str, float]:
        """Latency the processor adds, in ms: ``algorithmic`` (the graph), ``block`` (waiting
        for a whole block), ``resampling`` (both soxr filters), and their ``total``."""
        parts = {"algorithmic": self.converter.latency_ms,
                 "block": 1000.0 * self.block_size / self.converter.in_rate,
                 "resampling": self._down.delay_ms + self._up.delay_ms}
        parts["total"] = sum(parts.values())
        return parts


class SampleFifo:
    """Thread-safe FIFO of mono samples between the input and the output callbacks.

    ``read`` returns silence until ``prefill`` samples are queued (and again after an underrun),
    so soxr's bursty output never makes the output stutter. Beyond ``max_samples`` the oldest
    samples are dropped: two device clocks drift, and latency must not grow without bound.
    """

    def __init__(self, prefill: int, max_samples: int):
        self.prefill, self.max_samples = int(prefill), int(max(max_samples, prefill + 1))
        self._buf = np.zeros(0, np.float32)
        self._lock = threading.Lock()
        self._playing = False
        self.underruns = 0
        self.dropped = 0

    def __len__(self) -> int:
        return int(self._buf.size)

    def write(self, x: np.ndarray) -> None:
        if x.size == 0:
            return
        with self._lock:
            self._buf = np.concatenate([self._buf, x.astype(np.float32, copy=False)])
            extra = self._buf.size - self.max_samples
            if extra > 0:
                self._buf = self._buf[extra:]
                self.dropped += extra

    def read(self, n: int) -> np.ndarray:
        """Exactly ``n`` samples: queued audio, or zeros while (re)buffering."""
        with self._lock:
            if not self._playing:
                if self._buf.size < self.prefill + n:
                    return np.zeros(n, np.float32)
                self._playing = True
            out = np.zeros(n, np.float32)
            take = min(n, self._buf.size)
            out[:take], self._buf = self._buf[:take], self._buf[take:]
            if take < n:
                self.underruns += 1
                self._playing = False
            return out
