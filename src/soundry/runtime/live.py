"""Live voice conversion between audio devices (``sounddevice`` / PortAudio, imported lazily).

Input device -> mono -> :class:`~soundry.runtime.streaming.StreamProcessor` (resample to the
model's rate, 10 ms frames, convert, resample to the output's rate) -> :class:`SampleFifo` ->
output device. Each device is opened at the model's own rate when it supports it (no
resampling), else at its default rate. Controls arrive as text lines (:func:`apply_control`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from soundry.errors import MissingDependencyError, SoundryError
from soundry.runtime.streaming import SampleFifo, StreamProcessor
from soundry.runtime.vc import VoiceConverter

_PORTAUDIO_HINT = ("install PortAudio (Debian/Ubuntu: `apt-get install libportaudio2`, macOS: "
                   "`brew install portaudio`); `soundry convert` works on files without it")
CONTROL_HELP = ("controls (type a line, then Enter): +N / -N pitch up/down N semitones, N set pitch, "
                "f N formant shift, i R index rate, v NAME voice, q quit")


class AudioDeviceError(SoundryError):
    """No usable audio device, or the device refused the stream settings."""


def sounddevice_module():
    """``import sounddevice``, turning a missing package or PortAudio into one clear error."""
    try:
        import sounddevice
    except ImportError:
        raise MissingDependencyError("live streaming needs the sounddevice package: "
                                     "pip install sounddevice") from None
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise MissingDependencyError(f"live streaming needs the PortAudio library ({exc}): "
                                     f"{_PORTAUDIO_HINT}") from None
    return sounddevice


def list_audio_devices() -> list[dict[str, Any]]:
    """The audio devices: ``index, name, hostapi, inputs, outputs`` (channels),
    ``default_samplerate`` (Hz), ``default_input`` / ``default_output`` (bool)."""
    sd = sounddevice_module()
    try:
        devices = sd.query_devices()
        default_in, default_out = (sd.default.device if sd.default.device is not None else (-1, -1))
        apis = sd.query_hostapis()
    except Exception as exc:  # PortAudioError and friends
        raise AudioDeviceError(f"cannot list audio devices ({exc}); {_PORTAUDIO_HINT}") from None
    return [{"index": i, "name": d["name"], "hostapi": apis[d["hostapi"]]["name"],
             "inputs": int(d["max_input_channels"]), "outputs": int(d["max_output_channels"]),
             "default_samplerate": float(d["default_samplerate"]),
             "default_input": i == default_in, "default_output": i == default_out}
            for i, d in enumerate(devices)]


def resolve_device(query: int | str | None, kind: str, devices: list[dict[str, Any]]) -> dict[str, Any]:
    """The device for ``kind`` ("input"/"output"): by index, by name (exact, then a unique
    case-insensitive part), or the default when ``query`` is None. Raises ``AudioDeviceError``."""
    channels = "inputs" if kind == "input" else "outputs"
    usable = [d for d in devices if d[channels] > 0]
    if not usable:
        raise AudioDeviceError(f"no audio {kind} device found; check `soundry stream --list-devices` "
                               f"and that a microphone/speaker is connected; {_PORTAUDIO_HINT}")
    if query is None or query == "":
        chosen = [d for d in usable if d[f"default_{kind}"]] or usable
        return chosen[0]
    if isinstance(query, int) or str(query).strip().isdigit():
        found = [d for d in usable if d["index"] == int(query)]
    else:
        q = str(query).strip().casefold()
        found = [d for d in usable if d["name"].casefold() == q] or \
                [d for d in usable if q in d["name"].casefold()]
    if len(found) == 1:
        return found[0]
    names = ", ".join(f"{d['index']}: {d['name']}" for d in (found or usable))
    what = "matches several" if found else "matches no"
    raise AudioDeviceError(f"{kind} device {query!r} {what} {kind} device ({names}); "
                           "pass an index from `soundry stream --list-devices`")


def apply_control(line: str, proc: StreamProcessor) -> str | None:
    """Apply one control line to ``proc``; returns a short confirmation, "quit" for ``q``, or
    None for an empty line. Bad lines raise ``ValueError`` with the syntax."""
    text = line.strip()
    if not text:
        return None
    if text in ("q", "quit", "exit"):
        return "quit"
    head, _, rest = text.partition(" ")
    try:
        if head in ("f", "formant"):
            proc.formant_shift = float(rest)
            return f"formant shift {proc.formant_shift:+.1f} semitones"
        if head in ("i", "index"):
            proc.index_rate = min(1.0, max(0.0, float(rest)))
            return f"index rate {proc.index_rate:.2f}"
        if head in ("v", "voice"):
            return f"voice {proc.set_voice(rest.strip()).name}"
        value = float(text)
    except ValueError:
        raise ValueError(f"not a control: {text!r}; {CONTROL_HELP}") from None
    proc.pitch_shift = proc.pitch_shift + value if text[0] in "+-" else value
    return f"pitch shift {proc.pitch_shift:+.1f} semitones"


def _pick_rate(sd, device: dict[str, Any], kind: str, wanted: int) -> int:
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device["index"], samplerate=wanted, channels=1)
        return wanted
    except Exception:
        return int(device["default_samplerate"])


def live_stream(converter: VoiceConverter, voice, input_device: int | str | None = None,
                output_device: int | str | None = None, block_frames: int = 1,
                pitch_shift: float = 0.0, formant_shift: float = 0.0, index_rate: float = 0.0,
                duration: float | None = None, controls: TextIO | None = None,
                log: Callable[[str], None] = print, quality: str = "LQ") -> dict[str, Any]:
    """Convert the input device into the output device until ``q``, Ctrl-C or ``duration`` s.

    ``controls``: a text stream of control lines (stdin by default on a terminal; None to
    ignore). Logs the devices, rates and the latency budget first; returns the latency figures
    and counts of underruns and dropped samples.
    """
    sd = sounddevice_module()
    devices = list_audio_devices()
    dev_in = resolve_device(input_device, "input", devices)
    dev_out = resolve_device(output_device, "output", devices)
    rate_in = _pick_rate(sd, dev_in, "input", converter.in_rate)
    rate_out = _pick_rate(sd, dev_out, "output", converter.out_rate)
    proc = StreamProcessor(converter, voice, rate_in, rate_out, block_frames, pitch_shift,
                           formant_shift, index_rate, quality=quality)
    block_s = proc.block_size / converter.in_rate
    n_in, n_out = round(block_s * rate_in), round(block_s * rate_out)
    fifo = SampleFifo(prefill=n_out, max_samples=int(0.25 * rate_out) + 2 * n_out)
    stop = threading.Event()
    errors: list[str] = []

    def on_input(indata, frames, t, status):
        try:
            fifo.write(proc.push(indata.mean(axis=1)))
        except Exception as exc:  # never let an exception kill the audio thread silently
            errors.append(str(exc))
            stop.set()

    def on_output(outdata, frames, t, status):
        outdata[:] = fifo.read(frames)[:, None]

    try:
        with sd.InputStream(device=dev_in["index"], samplerate=rate_in, channels=1, blocksize=n_in,
                            dtype="float32", latency="low", callback=on_input) as ins, \
             sd.OutputStream(device=dev_out["index"], samplerate=rate_out, channels=1, blocksize=n_out,
                             dtype="float32", latency="low", callback=on_output) as outs:
            lat = proc.latency_ms()
            lat.update(fifo_ms=1000.0 * n_out / rate_out, input_device_ms=1000.0 * float(ins.latency),
                       output_device_ms=1000.0 * float(outs.latency))
            lat["total"] += lat["fifo_ms"] + lat["input_device_ms"] + lat["output_device_ms"]
            log(f"input: [{dev_in['index']}] {dev_in['name']} at {rate_in} Hz; output: "
                f"[{dev_out['index']}] {dev_out['name']} at {rate_out} Hz; voice {proc.voice.name}")
            log("latency " + ", ".join(f"{k} {v:.1f} ms" for k, v in lat.items()))
            if controls is not None:
                log(CONTROL_HELP)
                threading.Thread(target=_read_controls, args=(controls, proc, stop, log), daemon=True).start()
            end = None if duration is None else time.monotonic() + duration
            while not stop.is_set() and (end is None or time.monotonic() < end):
                stop.wait(0.05)
    except SoundryError:
        raise
    except Exception as exc:  # PortAudioError: device busy, unsupported settings...
        raise AudioDeviceError(f"the audio device refused the stream ({exc}); pick others with "
                               "--input/--output (see `soundry stream --list-devices`)") from None
    if errors:
        raise AudioDeviceError(f"live conversion stopped: {errors[0]}")
    return {"latency_ms": lat, "underruns": fifo.underruns, "dropped": fifo.dropped, "blocks": proc.blocks}


def _read_controls(stream: TextIO, proc: StreamProcessor, stop: threading.Event,
                   log: Callable[[str], None]) -> None:
    for line in stream:
        try:
            msg = apply_control(line, proc)
        except (ValueError, SoundryError) as exc:
            log(str(exc))
            continue
        if msg == "quit":
            break
        if msg:
            log(msg)
    stop.set()  # end of input (or q) ends the session


def default_controls() -> TextIO | None:
    """stdin when it is a terminal (interactive control), else None."""
    return sys.stdin if sys.stdin is not None and sys.stdin.isatty() else None
