"""Streaming ONNX export of a ``StreamingConverter`` (contract: docs/formats/vc-bundle.md).

Graph inputs: ``wave`` (1, in_hop * n) float32, ``speaker`` (1,) int64, ``pitch_shift`` (1,),
``formant_shift`` (1,), ``index_rate`` (1,) float32, ``state_in_0 .. state_in_{N-1}`` float32.
Graph outputs: ``wave_out`` (1, out_hop * n) float32, ``state_out_0 .. state_out_{N-1}``.
``n`` (frames per call) is dynamic; states start at zeros and each ``state_out_i`` is fed back as
``state_in_i``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from soundry.export.onnx import fold_constants, quantize_weights, quiet_export, store_half


CONTROL_NAMES = ["wave", "speaker", "pitch_shift", "formant_shift", "index_rate"]
VC_FORMAT_VERSION = 1


def state_names(converter) -> tuple[list[str], list[str]]:
    """Names of the state inputs and outputs, in ``converter.state_layout`` order."""
    n = len(converter.state_layout)
    return [f"state_in_{i}" for i in range(n)], [f"state_out_{i}" for i in range(n)]


def zero_states(meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """The initial state feed ``{state_in_i: zeros((1, *shape))}`` from ``streaming_meta``."""
    return {f"state_in_{i}": np.zeros((1, *shape), np.float32) for i, shape in enumerate(meta["state_shapes"])}


def example_inputs(converter, chunk_frames: int = 1) -> dict[str, np.ndarray]:
    """Zero-state inputs for one call of ``chunk_frames`` frames (a quiet noise chunk)."""
    rng = np.random.default_rng(0)
    return {
        "wave": (0.01 * rng.standard_normal((1, converter.in_hop * chunk_frames))).astype(np.float32),
        "speaker": np.zeros(1, dtype=np.int64),
        "pitch_shift": np.zeros(1, dtype=np.float32),
        "formant_shift": np.zeros(1, dtype=np.float32),
        "index_rate": np.zeros(1, dtype=np.float32),
        **{name: np.zeros((1, *shape), np.float32)
           for name, shape in zip(state_names(converter)[0], converter.state_layout)},
    }


def streaming_meta(converter) -> dict[str, Any]:
    """JSON-able description of the graph for ``meta.json`` (rates, hop, latency, state layout)."""
    return {
        "format_version": VC_FORMAT_VERSION,
        "in_rate": converter.in_rate, "out_rate": converter.out_rate,
        "in_hop": converter.in_hop, "out_hop": converter.out_hop,
        "latency_ms": converter.latency_ms(),
        "lookahead_frames": converter.content.lookahead_frames,
        "n_speakers": int(converter.retrieval.codebooks.shape[0]),
        "inputs": CONTROL_NAMES + state_names(converter)[0],
        "outputs": ["wave_out"] + state_names(converter)[1],
        "state_size": converter.state_size,
        "state_shapes": [list(s) for s in converter.state_layout],
        "state_dtype": "float32",
    }


def export_streaming_onnx(converter, path: str | Path, chunk_frames: int = 1, opset: int = 18,
                          half_storage: bool = False, int8: bool = False) -> dict[str, Any]:
    """Write ``converter`` as a streaming ONNX graph to ``path``; returns ``streaming_meta``.

    The traced example uses ``chunk_frames`` frames; any positive whole number of frames per call
    works at run time. Written to a temporary name and renamed. ``half_storage``: weights that
    float16 holds exactly (``soundry.export.onnx.round_to_half_``) are stored as float16 and cast
    back when onnxruntime loads the graph (same arithmetic, half the file). ``int8``: the large
    weight matrices (the ConvNeXt projections) become 8-bit ``com.microsoft.MatMulNBits``
    (``soundry.export.onnx.quantize_weights``): at one frame per call they are limited by the
    bytes read, so a quarter of the bytes is ~20% of the run time; the graph then needs
    onnxruntime (>= 1.20) rather than any ONNX runtime.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inputs = example_inputs(converter, max(chunk_frames, 2))
    args = tuple(torch.from_numpy(v) for v in inputs.values())
    frames = torch.export.Dim("frames", min=1, max=100_000)
    dynamic = {"wave16": {1: converter.in_hop * frames}, "speaker": None, "pitch_shift": None,
               "formant_shift": None, "index_rate": None, "states": tuple(None for _ in args[5:])}
    in_states, out_states = state_names(converter)
    tmp = path.with_name(path.name + ".tmp")
    converter.eval()
    with quiet_export():
        # export first ourselves: torch.onnx turns the tuple of *states shapes into a list and fails
        exported = torch.export.export(converter, args, dynamic_shapes=dynamic, strict=False)
        program = torch.onnx.export(exported, args, input_names=CONTROL_NAMES + in_states,
                                    output_names=["wave_out"] + out_states, opset_version=opset,
                                    dynamo=True, verbose=False, optimize=True)
        program.save(str(tmp))
    fold_constants(tmp)
    meta = streaming_meta(converter)
    meta.update(weight_storage="float32", int8_matmuls=0)
    compress_streaming_onnx(tmp, meta, int8=int8, half_storage=half_storage)
    os.replace(tmp, path)
    return meta


def compress_streaming_onnx(path: str | Path, meta: dict[str, Any], int8: bool = True,
                            half_storage: bool = True) -> dict[str, Any]:
    """Shrink an exported graph in place: ``int8`` stores the large weight matrices in 8 bits
    (``quantize_weights``; changes the numbers slightly), ``half_storage`` the float32 weights
    that float16 holds exactly as float16 (``store_half``; lossless). Records both in ``meta``."""
    if int8:
        meta["int8_matmuls"] = meta.get("int8_matmuls", 0) + quantize_weights(path)
    if half_storage:
        store_half(path)
        meta["weight_storage"] = "float16"
    return meta


def ort_session(path: str | Path, threads: int = 1):
    """An onnxruntime CPU session on ``threads`` intra-op threads, sequential execution."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_streaming(session, wave16: np.ndarray, meta: dict[str, Any], chunk_frames: int = 1,
                  speaker: int = 0, pitch_shift: float = 0.0, formant_shift: float = 0.0,
                  index_rate: float = 0.0) -> np.ndarray:
    """Feed ``wave16 (T,)`` through ``session`` in blocks of ``chunk_frames`` frames -> ``(T_out,)``.

    This is the reference loop a runtime implements: zero state, then feed ``state_out`` back.
    """
    in_hop = meta["in_hop"]
    block = in_hop * chunk_frames
    n = len(wave16) // in_hop * in_hop
    state = zero_states(meta)
    in_names, out_names = list(state), meta["outputs"]
    controls = {"speaker": np.array([speaker], np.int64),
                "pitch_shift": np.array([pitch_shift], np.float32),
                "formant_shift": np.array([formant_shift], np.float32),
                "index_rate": np.array([index_rate], np.float32)}
    out = []
    for start in range(0, n, block):
        chunk = wave16[start:min(start + block, n)].astype(np.float32)[None]
        y, *new = session.run(out_names, {"wave": chunk, **controls, **state})
        state = dict(zip(in_names, new))
        out.append(y[0])
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def streaming_error(converter, path: str | Path, wave16: np.ndarray, chunk_frames: int = 1,
                    **controls) -> dict[str, float]:
    """Stream ``wave16 (T,)`` through the graph at ``path`` and compare with torch on the whole
    signal: ``max_abs`` difference and ``rel_rms`` (rms of the difference / rms of torch's output)."""
    session = ort_session(path)
    got = run_streaming(session, wave16, streaming_meta(converter), chunk_frames, **controls)
    with torch.no_grad():
        ref = converter.convert(torch.from_numpy(wave16[None].astype(np.float32)), **controls)[0].numpy()
    if not ref.size:
        return {"max_abs": 0.0, "rel_rms": 0.0}
    err = ref - got
    rms = float(np.sqrt(np.mean(ref.astype(np.float64) ** 2)))
    return {"max_abs": float(np.max(np.abs(err))),
            "rel_rms": float(np.sqrt(np.mean(err.astype(np.float64) ** 2))) / max(rms, 1e-12)}


def check_streaming_parity(converter, path: str | Path, wave16: np.ndarray, chunk_frames: int = 1,
                           atol: float = 1e-4, **controls) -> float:
    """Stream ``wave16 (T,)`` through onnxruntime and compare with torch on the whole signal.

    Returns the max abs difference; raises ``AssertionError`` above ``atol``.
    """
    worst = streaming_error(converter, path, wave16, chunk_frames, **controls)["max_abs"]
    if worst > atol:
        raise AssertionError(f"streamed ONNX output differs from torch by {worst:.2e} (> {atol:.0e})")
    return worst
