"""Run an exported ``vc`` bundle (docs/formats/vc-bundle.md) with numpy + onnxruntime (never torch).

:class:`VoiceConverter` streams 10 ms frames through the graph (:meth:`~VoiceConverter.process`,
the building block of live use) and converts whole recordings (:meth:`~VoiceConverter.convert`).

Offline alignment: the graph's output lags its input by ``latency_ms`` (one frame of buffering +
the content encoder's lookahead). :meth:`~VoiceConverter.convert` feeds enough zero frames after
the input to flush that tail, drops the first ``latency_ms`` of output and cuts to the input's
duration, so output sample ``j`` lines up with input time ``j / out_rate`` and a file of ``T``
samples at ``sr`` gives ``round(T * out_rate / sr)`` samples.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from soundry.errors import AudioError, CheckpointError
from soundry.runtime.bundle import read_meta
from soundry.runtime.pitch import average_pitch
from soundry.runtime.voices import Voice, find_voice, read_voices

_REQUIRED = ("in_rate", "out_rate", "in_hop", "out_hop", "latency_ms", "n_speakers", "inputs",
             "outputs", "state_shapes")


def _session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(threads))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for broken files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path} cannot be loaded by onnxruntime ({first}); re-export the run") from None


class VoiceConverter:
    """An exported streaming voice converter.

    ``bundle``: the export folder; ``threads``: onnxruntime intra-op threads (1 is best for
    10 ms blocks). Attributes: ``meta``, ``voices`` (list of :class:`Voice`), ``in_rate`` /
    ``out_rate`` (Hz), ``in_hop`` / ``out_hop`` (samples per 10 ms frame), ``latency_ms``.
    """

    def __init__(self, bundle: str | Path, threads: int = 1):
        self.root = Path(bundle)
        if not self.root.is_dir():
            raise CheckpointError(f"no bundle folder at {self.root}; make one with `soundry export RUN`")
        self.meta: dict[str, Any] = read_meta(self.root, recipe="vc")
        missing = [k for k in _REQUIRED if k not in self.meta]
        if missing:
            raise CheckpointError(f"{self.root / 'meta.json'} lacks {', '.join(missing)}; re-export the run")
        m = self.meta
        self.in_rate, self.out_rate = int(m["in_rate"]), int(m["out_rate"])
        self.in_hop, self.out_hop = int(m["in_hop"]), int(m["out_hop"])
        self.latency_ms = float(m["latency_ms"])
        self.n_speakers = int(m["n_speakers"])
        self.model_info, self.voices = read_voices(self.root, self.n_speakers)
        onnx = self.root / m.get("files", {}).get("onnx", "model.onnx")
        if not onnx.is_file():
            raise CheckpointError(f"{self.root} has no {onnx.name}; re-export the run")
        self.session = _session(onnx, threads)
        self._state_names = [n for n in m["inputs"] if n.startswith("state_in_")]
        if len(self._state_names) != len(m["state_shapes"]):
            raise CheckpointError(f"{self.root / 'meta.json'}: {len(self._state_names)} state inputs but "
                                  f"{len(m['state_shapes'])} state shapes; re-export the run")
        graph_inputs = {i.name for i in self.session.get_inputs()}
        if graph_inputs != set(m["inputs"]):
            raise CheckpointError(f"{onnx} does not match meta.json (graph inputs "
                                  f"{sorted(graph_inputs ^ set(m['inputs']))} differ); re-export the run")
        self._outputs = list(m["outputs"])
        # the training input's causal high-pass (older bundles have none): rows b0 b1 b2 a0 a1 a2
        sos = (m.get("input_filter") or {}).get("sos") or []
        self._sos = np.asarray(sos, np.float64).reshape(-1, 6) if len(sos) else None

    # ---- voices and state ------------------------------------------------------------------
    def voice(self, choice: Voice | str | int) -> Voice:
        """The :class:`Voice` with this name or index; unknown -> ``SoundryError`` listing them."""
        return find_voice(self.voices, choice)

    def new_state(self) -> dict[str, np.ndarray]:
        """Zero streaming state for a new stream: ``{state_in_i: (1, *shape) float32}`` for the
        graph, plus ``input_filter`` (the high-pass's ``(sections, 2)`` float64 memory) when the
        bundle has one."""
        state = {n: np.zeros((1, *s), np.float32) for n, s in zip(self._state_names, self.meta["state_shapes"])}
        if self._sos is not None:
            state["input_filter"] = np.zeros((self._sos.shape[0], 2))
        return state

    @property
    def latency_out(self) -> int:
        """Algorithmic latency in output samples (``latency_ms`` at ``out_rate``)."""
        return int(round(self.latency_ms * self.out_rate / 1000.0))

    # ---- streaming ---------------------------------------------------------------------------
    def process(self, block: np.ndarray, state: dict[str, np.ndarray], voice: Voice | str | int,
                pitch_shift: float = 0.0, formant_shift: float = 0.0,
                index_rate: float = 0.0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One call of the graph: ``block (n * in_hop,)`` float32 at ``in_rate`` -> ``(out
        (n * out_hop,) at out_rate, next state)``. ``pitch_shift``/``formant_shift`` in
        semitones, ``index_rate`` 0..1; all may change on any call."""
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        if x.size == 0 or x.size % self.in_hop:
            raise ValueError(f"block must be a positive multiple of {self.in_hop} samples, got {x.size}")
        v = self.voice(voice)
        new_state: dict[str, np.ndarray] = {}
        if self._sos is not None:
            from scipy.signal import sosfilt

            x, new_state["input_filter"] = sosfilt(self._sos, x.astype(np.float64), zi=state["input_filter"])
            x = x.astype(np.float32)
        feed = {"wave": x[None], "speaker": np.array([v.index], np.int64),
                "pitch_shift": np.array([pitch_shift], np.float32),
                "formant_shift": np.array([formant_shift], np.float32),
                "index_rate": np.array([index_rate], np.float32),
                **{n: state[n] for n in self._state_names}}
        out, *new = self.session.run(self._outputs, feed)
        new_state.update(zip(self._state_names, new))
        return out[0], new_state

    # ---- files -------------------------------------------------------------------------------
    def input_pitch(self, audio: np.ndarray, sample_rate: int) -> float | None:
        """Average pitch of ``audio (C, T)`` or ``(T,)`` as a MIDI note (numpy YIN at ``in_rate``);
        None when too little of it is voiced."""
        return average_pitch(self._to_input(audio, sample_rate), self.in_rate)

    def suggest_pitch_shift(self, audio: np.ndarray, sample_rate: int, voice: Voice | str | int,
                            source_pitch: float | None = None) -> float:
        """Semitones that move ``audio``'s average pitch to the voice's (``average_pitch`` in
        voices.toml minus :meth:`input_pitch`); 0.0 when either is unknown. ``source_pitch``: the
        input's MIDI note when the caller already has it (one estimate for many voices)."""
        v = self.voice(voice)
        src = self.input_pitch(audio, sample_rate) if source_pitch is None else source_pitch
        if v.average_pitch is None or src is None:
            return 0.0
        return float(v.average_pitch - src)

    def _to_input(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        from soundry.audio import resample, to_mono

        x = np.asarray(audio, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2:
            raise AudioError(f"audio must be (C, T) or (T,), got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise AudioError("the input audio contains NaN or infinite samples; re-encode it")
        x = to_mono(x)
        if int(sample_rate) != self.in_rate:
            x = resample(x, int(sample_rate), self.in_rate)
        return x[0]

    def convert(self, audio: np.ndarray, sample_rate: int, voice: Voice | str | int,
                pitch_shift: float = 0.0, formant_shift: float = 0.0, index_rate: float = 0.0,
                auto_pitch: bool = False, block_frames: int = 100) -> tuple[np.ndarray, int]:
        """Convert a recording: ``audio (C, T)`` or ``(T,)`` at ``sample_rate`` Hz -> ``(out
        (round(T * out_rate / sample_rate),) float32, out_rate)``, aligned with the input.

        Mono mix, resample to ``in_rate``, stream in blocks of ``block_frames`` frames (the
        result does not depend on it), latency compensated (module doc). ``auto_pitch`` adds
        :meth:`suggest_pitch_shift` to ``pitch_shift``.
        """
        v = self.voice(voice)
        x = self._to_input(audio, sample_rate)
        if auto_pitch:
            pitch_shift = pitch_shift + self.suggest_pitch_shift(x, self.in_rate, v)
        n_in = np.asarray(audio).shape[-1]
        want = int(round(n_in * self.out_rate / int(sample_rate)))
        drop = self.latency_out
        frames = max(1, math.ceil((want + drop) / self.out_hop), math.ceil(len(x) / self.in_hop))
        x = np.pad(x, (0, frames * self.in_hop - len(x)))
        step = max(1, int(block_frames)) * self.in_hop
        state = self.new_state()
        out = []
        for start in range(0, len(x), step):
            y, state = self.process(x[start:start + step], state, v, pitch_shift, formant_shift, index_rate)
            out.append(y)
        y = np.concatenate(out)[drop:drop + want]
        return np.ascontiguousarray(y, dtype=np.float32), self.out_rate

    def convert_file(self, path: str | Path, out_path: str | Path, voice: Voice | str | int,
                     **kwargs: Any) -> Path:
        """Read ``path`` (any format ``soundry.audio`` decodes), convert, write ``out_path``
        (wav/flac by suffix, 16-bit) at ``out_rate``; returns ``out_path``."""
        from soundry.audio import load_audio, save_audio

        audio, sr = load_audio(path)
        y, rate = self.convert(audio, sr, voice, **kwargs)
        return save_audio(out_path, y, rate)
