"""classify end to end on the tiny preset: train, checkpoint, resume, export, reload, run."""

import json
import subprocess
import sys

import numpy as np

from soundry import api
from soundry.runtime import Classifier


def test_train_resume_export_predict(tiny_corpus, tmp_path):
    run = tmp_path / "run"
    result = api.train("classify", tiny_corpus, run, config=["tiny"], overrides=["train.steps=6"])
    assert result.steps == 6
    assert {p.name for p in (run / "checkpoints").iterdir()} >= {"latest", "step-00000004", "step-00000006"}
    # resume continues from step 6 to the new total, without re-preparing the data
    again = api.train("classify", None, run, config=[], overrides=["train.steps=8"], resume=True)
    assert again.steps == 8
    steps = [e["step"] for e in map(json.loads, (run / "events.jsonl").read_text().splitlines())
             if e["stage"] == "train" and "loss" in e]
    assert steps == sorted(steps) and steps[-1] == 8 and len(steps) == len(set(steps))

    bundle = api.export(run)
    assert {p.name for p in bundle.iterdir()} == {"model.onnx", "model.safetensors", "config.yaml", "meta.json"}
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["recipe"] == "classify" and meta["labels"] == ["arthur", "bruno"]
    assert meta["onnx_max_abs_diff"] < 1e-4

    preds = api.predict(bundle, sorted(tiny_corpus.glob("*/*.wav"))[:2])
    for p in preds:
        assert sorted(p.labels) == ["arthur", "bruno"]
        assert abs(sum(p.probs) - 1) < 1e-5 and all(np.isfinite(p.probs))
    # a long input is windowed, an array works too
    clf = Classifier(bundle)
    # the runtime conditions input like prepare did, so the level of a file does not matter
    assert meta["conditioning"] == {"highpass_hz": 48.0, "loudness_lufs": -23.0, "peak_db": -1.0}
    from soundry.audio import load_audio
    x, sr = load_audio(sorted(tiny_corpus.glob("*/*.wav"))[0])
    loud, quiet = clf.predict(x, sr), clf.predict(x * 0.05, sr)
    assert loud.labels == quiet.labels and np.allclose(loud.probs, quiet.probs, atol=1e-3)
    long = np.random.default_rng(0).standard_normal(16000 * 5).astype(np.float32) * 0.1
    assert len(clf.predict(long, 16000).probs) == 2
    assert clf.embed(long, 16000).shape == (meta["embedding_dim"],)


def test_runtime_runs_without_torch(tiny_corpus, tmp_path):
    run = tmp_path / "run"
    api.train("classify", tiny_corpus, run, config=["tiny"], overrides=["train.steps=2", "train.eval_every=0", "train.monitor="])
    bundle = api.export(run)
    wav = sorted(tiny_corpus.glob("*/*.wav"))[0]
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name == 'torch' or name.startswith('torch.'):\n"
        "        raise ImportError('torch is blocked in this test')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        "from soundry.cli.main import main\n"
        f"sys.exit(main(['classify', {str(bundle)!r}, {str(wav)!r}, '--json']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["path"] == str(wav) and len(line["labels"]) == 2
