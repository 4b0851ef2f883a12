"""Streaming VC speed on one CPU thread: RTF, per-block latency, algorithmic latency, model size.

    python benchmarks/vc_stream.py                       # random `small` model, exported to a temp dir
    python benchmarks/vc_stream.py --preset tiny --seconds 5
    python benchmarks/vc_stream.py --bundle runs/x/export  # an exported bundle (model.onnx + meta.json)

Runs onnxruntime with intra_op_num_threads=1, inter_op_num_threads=1, sequential execution, over
``--seconds`` of synthetic speech (the numpy demo synthesiser) in blocks of ``--block-frames``
10 ms frames; pitch estimation is part of the graph, so it is included.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def speech_like(seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """About ``seconds`` of synthetic speech ``(T,)`` float32 at ``sample_rate`` (several voices)."""
    from soundry.audio import resample
    from soundry.testing.synth import DEMO_SPEAKERS, synthesize

    texts = ["the quick brown fox jumps over the lazy dog", "she sells sea shells by the sea shore",
             "how much wood would a woodchuck chuck", "peter piper picked a peck of pickled peppers"]
    parts, total, i = [], 0, 0
    while total < seconds * 22050:
        wave = synthesize(texts[i % len(texts)], DEMO_SPEAKERS[i % len(DEMO_SPEAKERS)], 22050, seed=i)
        parts.append(wave)
        total += len(wave)
        i += 1
    audio = np.concatenate(parts)[: int(seconds * 22050)]
    return resample(audio[None], 22050, sample_rate)[0].astype(np.float32)


def export_preset(preset: str, out_dir: Path) -> tuple[Path, dict]:
    """Export a randomly initialised converter of ``preset`` -> (model path, meta)."""
    import torch

    from soundry.export.onnx import round_to_half_
    from soundry.export.vc import export_streaming_onnx
    from soundry.models.vc import build_vc_model

    torch.manual_seed(0)
    model = build_vc_model(preset).eval()
    # random heads so the synthesiser does real work (a fresh generator is silent by design)
    torch.nn.init.normal_(model.generator.head.weight, std=0.05)
    path = out_dir / "model.onnx"
    round_to_half_(model)
    meta = export_streaming_onnx(model, path, int8=True, half_storage=True)   # as `soundry export` writes it
    meta["parameters"] = sum(p.numel() for p in model.parameters())
    return path, meta


def measure(path: Path, meta: dict, wave: np.ndarray, block_frames: int, repeats: int = 1) -> dict:
    """Stream ``wave`` through ``path`` ``repeats`` times; per-call times in ms and the real-time
    factor (median, best and worst pass)."""
    from soundry.export.vc import ort_session, zero_states

    sess = ort_session(path, threads=1)
    hop = meta["in_hop"] * block_frames
    outs = meta["outputs"]
    state = zero_states(meta)
    names = list(state)
    ctl = {"speaker": np.zeros(1, np.int64), "pitch_shift": np.array([2.0], np.float32),
           "formant_shift": np.zeros(1, np.float32), "index_rate": np.array([0.5], np.float32)}
    n_blocks = len(wave) // hop
    for i in range(min(20, n_blocks)):          # warm-up: first runs allocate
        sess.run(outs, {"wave": wave[None, i * hop:(i + 1) * hop], **ctl, **state})
    audio_s = n_blocks * hop / meta["in_rate"]
    rtfs, all_times = [], []
    for _ in range(repeats):                    # whole passes from zero state; a shared VM is noisy
        state = zero_states(meta)
        times = np.zeros(n_blocks)
        start = time.perf_counter()
        for i in range(n_blocks):
            t0 = time.perf_counter()
            _, *new = sess.run(outs, {"wave": wave[None, i * hop:(i + 1) * hop], **ctl, **state})
            state = dict(zip(names, new))
            times[i] = time.perf_counter() - t0
        rtfs.append((time.perf_counter() - start) / audio_s)
        all_times.append(times)
    times = np.concatenate(all_times)
    return {"rtf": float(np.median(rtfs)), "rtf_best": min(rtfs), "rtf_worst": max(rtfs), "repeats": repeats,
            "block_ms_p50": 1000 * float(np.percentile(times, 50)),
            "block_ms_p95": 1000 * float(np.percentile(times, 95)), "block_ms_max": 1000 * float(times.max()),
            "audio_s": audio_s, "block_ms": 1000 * hop / meta["in_rate"]}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="small")
    ap.add_argument("--bundle", type=Path, help="folder with model.onnx and meta.json (skips export)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--block-frames", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="passes over the audio (RTF: median, best, worst)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.bundle:
            path = args.bundle / "model.onnx"
            meta = json.loads((args.bundle / "meta.json").read_text())
        else:
            t0 = time.perf_counter()
            path, meta = export_preset(args.preset, Path(tmp))
            print(f"exported {args.preset} in {time.perf_counter() - t0:.1f} s "
                  f"({meta['parameters'] / 1e6:.2f} M parameters)")
        wave = speech_like(args.seconds, meta["in_rate"])
        res = measure(path, meta, wave, args.block_frames, args.repeats)
        res.update(latency_ms=meta["latency_ms"], onnx_mb=path.stat().st_size / 1e6, state_floats=meta["state_size"])
    print(f"RTF {res['rtf']:.3f} (median of {res['repeats']} passes; best {res['rtf_best']:.3f}, worst "
          f"{res['rtf_worst']:.3f}) over {res['audio_s']:.1f} s in {res['block_ms']:.0f} ms blocks (1 thread)")
    print(f"per-block ms: p50 {res['block_ms_p50']:.2f}  p95 {res['block_ms_p95']:.2f}  max {res['block_ms_max']:.2f}")
    print(f"algorithmic latency {res['latency_ms']:.0f} ms (+ one block of buffering in the host)")
    print(f"ONNX size {res['onnx_mb']:.1f} MB, state {res['state_floats']} floats")
    if args.bundle:
        files = [f for f in args.bundle.rglob("*") if f.is_file() and "eval" not in f.relative_to(args.bundle).parts]
        runtime = sum(f.stat().st_size for f in files if f.name in ("model.onnx", "meta.json", "voices.toml")
                      or "portraits" in f.parts)
        res.update(bundle_mb=sum(f.stat().st_size for f in files) / 1e6, runtime_mb=runtime / 1e6)
        print(f"bundle {res['bundle_mb']:.1f} MB in all ({res['runtime_mb']:.1f} MB what the runtime loads; "
              "the rest is the fine-tuning copy of the weights and config.yaml)")
    return res


if __name__ == "__main__":
    main()
