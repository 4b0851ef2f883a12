"""Live conversion without a device: the DSP core on numpy "device" streams, controls, and a
fake sounddevice module for the device glue."""

import sys
import types

import numpy as np
import pytest
from vc_bundle_helpers import session_bundle

from soundry.audio import resample
from soundry.errors import MissingDependencyError
from soundry.runtime import AudioDeviceError, SampleFifo, StreamProcessor, VoiceConverter, apply_control
from soundry.runtime import live


@pytest.fixture(scope="module")
def vc(tmp_path_factory):
    return VoiceConverter(session_bundle(tmp_path_factory))


def _speech_like(sr, seconds=1.0):
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(1)
    return (0.3 * np.sin(2 * np.pi * 150 * t * (1 + 0.3 * t)) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def test_processor_at_48k_matches_offline_conversion(vc):
    x = _speech_like(48000)
    proc = StreamProcessor(vc, "clara", 48000, 48000, block_frames=2)
    live_out = np.concatenate([proc.push(x[i:i + 480]) for i in range(0, len(x), 480)])
    offline = resample(vc.convert(x, 48000, "clara")[0], 24000, 48000)
    lag = round(vc.latency_ms * 48)  # soxr's streams stay aligned; the graph's latency remains
    n = min(len(offline), len(live_out) - lag)
    assert n > 0.8 * len(x)
    err = np.sqrt(np.mean((live_out[lag:lag + n] - offline[:n]) ** 2)) / np.sqrt(np.mean(offline[:n] ** 2))
    assert err < 0.1  # LQ streaming resamplers vs HQ whole-file resampling
    lat = proc.latency_ms()
    assert lat["algorithmic"] == 10.0 and lat["block"] == 20.0 and lat["total"] >= 30.0


def test_processor_without_resampling_is_the_graph(vc):
    x = _speech_like(16000, 0.3)
    proc = StreamProcessor(vc, "arthur", 16000, 24000, pitch_shift=3.0)
    got = np.concatenate([proc.push(x[i:i + 100]) for i in range(0, len(x), 100)])  # odd callback size
    state, ref = vc.new_state(), []
    for s in range(0, len(x) // 160 * 160, 160):
        y, state = vc.process(x[s:s + 160], state, "arthur", pitch_shift=3.0)
        ref.append(y)
    assert np.array_equal(got, np.concatenate(ref)) and proc.latency_ms()["resampling"] == 0.0


def test_controls(vc):
    proc = StreamProcessor(vc, "clara", 16000, 24000)
    assert apply_control("+2", proc) == "pitch shift +2.0 semitones" and proc.pitch_shift == 2.0
    apply_control("-1", proc)
    assert proc.pitch_shift == 1.0
    apply_control("0", proc)
    assert proc.pitch_shift == 0.0
    apply_control("f -1.5", proc)
    apply_control("i 3", proc)
    assert proc.formant_shift == -1.5 and proc.index_rate == 1.0
    assert apply_control("v arthur", proc) == "voice arthur" and proc.voice.index == 1
    assert apply_control("  ", proc) is None and apply_control("q", proc) == "quit"
    with pytest.raises(ValueError, match="controls"):
        apply_control("louder", proc)


def test_fifo_prefills_and_counts_underruns():
    fifo = SampleFifo(prefill=4, max_samples=10)
    fifo.write(np.ones(5, np.float32))
    assert not fifo.read(2).any()  # 5 < prefill + 2: still buffering
    fifo.write(np.ones(3, np.float32))
    assert fifo.read(2).all() and len(fifo) == 6
    assert fifo.read(8)[:6].all() and fifo.underruns == 1
    fifo.write(np.ones(15, np.float32))
    assert len(fifo) == 10 and fifo.dropped == 5


class _FakeStream:
    def __init__(self, kind, samplerate, blocksize, callback, source, sink, **_):
        self.kind, self.rate, self.n, self.callback = kind, samplerate, blocksize, callback
        self.source, self.sink, self.latency = source, sink, 0.005

    def __enter__(self):
        if self.kind == "output":  # drive both callbacks from the fake "device clock"
            inp = self.source["stream"]
            for i in range(0, len(self.source["x"]) - inp.n + 1, inp.n):
                inp.callback(self.source["x"][i:i + inp.n, None], inp.n, None, None)
                buf = np.zeros((self.n, 1), np.float32)
                self.callback(buf, self.n, None, None)
                self.sink.append(buf[:, 0].copy())
        else:
            self.source["stream"] = self
        return self

    def __exit__(self, *exc):
        return False


def _fake_sounddevice(devices, source, sink):
    sd = types.SimpleNamespace()
    sd.query_devices = lambda: devices
    sd.query_hostapis = lambda: [{"name": "FakeAPI"}]
    sd.default = types.SimpleNamespace(device=(0, 1))

    def check(device, samplerate, channels):
        if samplerate != 48000:
            raise ValueError("only 48 kHz")

    sd.check_input_settings = sd.check_output_settings = check
    sd.InputStream = lambda **kw: _FakeStream("input", source=source, sink=sink, **kw)
    sd.OutputStream = lambda **kw: _FakeStream("output", source=source, sink=sink, **kw)
    return sd


def _devices(with_input=True):
    return [{"name": "Fake Mic", "hostapi": 0, "max_input_channels": 1 if with_input else 0,
             "max_output_channels": 0, "default_samplerate": 48000.0},
            {"name": "Fake Speaker", "hostapi": 0, "max_input_channels": 0, "max_output_channels": 2,
             "default_samplerate": 48000.0}]


def test_live_stream_with_a_fake_device(vc, monkeypatch):
    source, sink, logs = {"x": _speech_like(48000, 0.5)}, [], []
    monkeypatch.setattr(live, "sounddevice_module", lambda: _fake_sounddevice(_devices(), source, sink))
    stats = live.live_stream(vc, "clara", "mic", 1, duration=0.0, log=logs.append)
    out = np.concatenate(sink)
    assert len(out) == 24000 and np.all(np.isfinite(out)) and np.abs(out).max() > 1e-3
    assert 45 <= stats["blocks"] <= 50  # soxr holds back ~20 ms
    assert stats["latency_ms"]["input_device_ms"] == 5.0
    assert "Fake Mic at 48000 Hz" in logs[0] and logs[1].startswith("latency ")


def test_device_errors(monkeypatch):
    monkeypatch.setattr(live, "sounddevice_module", lambda: _fake_sounddevice(_devices(False), {}, []))
    devices = live.list_audio_devices()
    with pytest.raises(AudioDeviceError, match="no audio input device.*--list-devices"):
        live.resolve_device(None, "input", devices)
    with pytest.raises(AudioDeviceError, match="matches no output device"):
        live.resolve_device("usb", "output", devices)
    assert live.resolve_device("speaker", "output", devices)["index"] == 1
    assert live.resolve_device(1, "output", devices)["name"] == "Fake Speaker"


def test_missing_portaudio_is_one_clear_error(monkeypatch):
    class _Finder:
        def find_spec(self, name, *a):
            if name == "sounddevice":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Finder(), *sys.meta_path])
    with pytest.raises(MissingDependencyError, match="libportaudio2") as exc:
        live.sounddevice_module()
    assert "\n" not in str(exc.value)
