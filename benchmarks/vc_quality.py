"""Voice-conversion quality on the built-in 4-speaker corpus: train, export, convert, score.

    .venv/bin/python benchmarks/vc_quality.py --minutes 30 --out /tmp/vc-bench

Synthesises the 4 x 30 demo corpus (espeak-ng voices when installed, else numpy; printed),
trains ``vc-content`` (phones by CTC) and then the ``small`` ``vc`` preset within ``--minutes``
of training in all (steps are estimated from the measured step time: a few steps first, then
the run is resumed to fill its share), exports the streaming bundle, converts held-out sentences
(``make_demo_corpus(..., seed=1)``) male -> female and female -> male through onnxruntime in
40 ms blocks with the pitch shift a host would suggest (target minus source ``average_pitch``),
and prints mean F0 correlation input/output, speaker similarity to the target minus to the
source (Resemblyzer, references = mean of 8 training clips per voice) and DNSMOS OVRL.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import tomllib
from pathlib import Path

import numpy as np

MALE, FEMALE = ("arthur", "bruno"), ("clara", "diana")


def _train_for(recipe: str, data: Path, run: Path, seconds: float, overrides: list[str], probe_steps: int) -> int:
    """Train a few steps, measure the step rate, resume to fill ``seconds``; returns the steps."""
    from soundry import api

    start = time.time()
    if not (run / "checkpoints").is_dir():
        api.train(recipe, data, run, config=["small"], overrides=overrides + [f"train.steps={probe_steps}"],
                  progress=False)
    rates = [e["steps_per_s"] for e in map(json.loads, (run / "events.jsonl").read_text().splitlines())
             if e.get("stage") == "train" and "steps_per_s" in e]
    rate = float(np.median(rates[-3:])) if rates else 0.5
    left = max(0.0, seconds - (time.time() - start))
    steps = probe_steps + int(left * rate * 0.9)       # 10% for evals, checkpoints and set-up
    api.train(recipe, None, run, overrides=[f"train.steps={steps}"], resume=True, progress=False)
    print(f"{recipe}: {steps} steps at {rate:.2f} steps/s in {time.time() - start:.0f} s", flush=True)
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/vc-bench"))
    ap.add_argument("--minutes", type=float, default=30.0, help="training time of both phases together")
    ap.add_argument("--content-share", type=float, default=0.35, help="part of the time for vc-content")
    ap.add_argument("--engine", default="auto", choices=["auto", "espeak", "numpy"])
    ap.add_argument("--content", type=Path, default=None,
                    help="reuse this vc-content export instead of training one (the time is then all vc's)")
    ap.add_argument("--vc-steps", type=int, default=0, help="train vc for exactly this many steps (0: fill the time)")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="extra vc config overrides")
    args = ap.parse_args()

    from soundry import api
    from soundry.audio import load_audio
    from soundry.export.vc import ort_session, run_streaming
    from soundry.metrics import SpeakerEncoder, compare_f0, dnsmos, speaker_similarity
    from soundry.testing import make_demo_corpus

    out = args.out
    info = make_demo_corpus(out / "data", engine=args.engine, progress=False)
    make_demo_corpus(out / "heldout", sentences=3, seed=1, engine=args.engine, progress=False)
    print(f"corpus: {info.engine} engine, {len(info.speakers)} speakers, {info.utterances} utterances, "
          f"{info.total_seconds / 60:.1f} min", flush=True)
    budget = args.minutes * 60
    t0 = time.time()
    if args.content is None:
        _train_for("vc-content", out / "data", out / "content", budget * args.content_share,
                   ["train.eval_every=100000", "train.checkpoint_every=200", "train.warmup_steps=20",
                    "train.lr=0.002", "train.lr_decay=0.999"], probe_steps=10)
        content = api.export(out / "content")
    else:
        content = args.content
    left = budget - (time.time() - t0)
    vc_steps_hint = ["train.eval_every=100000", "train.checkpoint_every=200", "eval.metrics=false",
                     f"content.checkpoint={content}", "loss.adv_start_step=100000", "train.warmup_steps=20",
                     "train.lr=0.001", "train.lr_decay=0.9995"] + list(args.set)
    if args.vc_steps:
        api.train("vc", out / "data", out / "vc", config=["small"], resume=(out / "vc" / "checkpoints").is_dir(),
                  overrides=vc_steps_hint + [f"train.steps={args.vc_steps}"], progress=False)
        steps = args.vc_steps
    else:
        steps = _train_for("vc", out / "data", out / "vc", left, vc_steps_hint, probe_steps=10)
    print(f"training took {(time.time() - t0) / 60:.1f} min", flush=True)
    bundle = api.export(out / "vc")
    meta = json.loads((bundle / "meta.json").read_text())
    voices = tomllib.loads((bundle / "voices.toml").read_text())["voice"]
    names = [voices[str(i)]["name"] for i in range(len(voices))]
    pitch = {v["name"]: v["average_pitch"] for v in voices.values()}

    enc = SpeakerEncoder()
    refs = {}
    for v in names:
        clips = [load_audio(p, 16000, mono=True)[0][0] for p in sorted((out / "data" / v).glob("*.wav"))[:8]]
        refs[v] = enc.embed_speaker(clips, 16000)
    session = ort_session(bundle / "model.onnx")
    rows = []
    conv_dir = out / "converted"
    conv_dir.mkdir(exist_ok=True)
    from soundry.audio import save_audio
    for direction, sources, targets in (("male->female", MALE, FEMALE), ("female->male", FEMALE, MALE)):
        for src in sources:
            for wav in sorted((out / "heldout" / src).glob("*.wav")):
                x = load_audio(wav, 16000, mono=True)[0][0]
                for tgt in targets:
                    shift = round(pitch[tgt] - pitch[src])
                    y = run_streaming(session, x, meta, chunk_frames=4, speaker=names.index(tgt),
                                      pitch_shift=float(shift), index_rate=0.0)
                    save_audio(conv_dir / f"{wav.stem}-to-{tgt}.wav", np.clip(y, -1, 1), meta["out_rate"])
                    emb = enc.embed(y, meta["out_rate"])
                    rows.append({"dir": direction,
                                 "f0": compare_f0(x, 16000, y, meta["out_rate"], lag_s=meta["latency_ms"] / 1000).correlation,
                                 "sim": float(speaker_similarity(emb, refs[tgt]) - speaker_similarity(emb, refs[src])),
                                 "sim_src_in": float(speaker_similarity(enc.embed(x, 16000), refs[tgt])
                                                     - speaker_similarity(enc.embed(x, 16000), refs[src])),
                                 "ovrl": dnsmos(y, meta["out_rate"])["ovrl"]})

    def mean(key, d=None):
        vals = [r[key] for r in rows if (d is None or r["dir"] == d) and math.isfinite(r[key])]
        return float(np.mean(vals)) if vals else math.nan

    print(f"\nvc small: {steps} generator steps; {len(rows)} conversions; latency {meta['latency_ms']} ms")
    print(f"{'direction':<14}{'F0 corr':>9}{'sim tgt-src':>13}{'(input)':>9}{'DNSMOS ovrl':>13}")
    for d in ("male->female", "female->male", None):
        print(f"{d or 'all':<14}{mean('f0', d):>9.3f}{mean('sim', d):>13.3f}{mean('sim_src_in', d):>9.3f}"
              f"{mean('ovrl', d):>13.2f}")
    print(f"(input) = the unconverted input's similarity to the target minus to the source; wavs in {conv_dir}")


if __name__ == "__main__":
    main()
