"""classify training paths: multi-label from a CSV, fold columns, cross-validation, best metrics."""

import json

import numpy as np
import pytest

from soundry import api
from soundry.errors import DataError
from soundry.runtime import Classifier

FAST = ["train.steps=2", "train.eval_every=2", "train.checkpoint_every=2"]


def _csv(tiny_corpus, tmp_path, label_of, extra_cols=None):
    rows = ["path,label" + "".join("," + c for c in (extra_cols or {}))]
    for i, wav in enumerate(sorted(tiny_corpus.glob("*/*.wav"))):
        extra = "".join(f",{f(i, wav)}" for f in (extra_cols or {}).values())
        rows.append(f"{wav},{label_of(i, wav)}{extra}")
    path = tmp_path / "table.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_multi_label_from_a_csv(tiny_corpus, tmp_path):
    table = _csv(tiny_corpus, tmp_path, lambda i, w: w.parent.name + (";noise" if i % 2 else ""))
    run = tmp_path / "run"
    result = api.train("classify", table, run, config=["tiny"], progress=False,
                       overrides=FAST + ["task.multi_label=true", "task.mixup=0.3"])
    assert "val/mAP" in result.metrics
    cfg = (run / "config.yaml").read_text()
    assert "monitor: val/mAP" in cfg and "- noise" in cfg
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["labels"] == ["arthur", "bruno", "noise"] and "mAP" in metrics
    bundle = api.export(run)
    assert json.loads((bundle / "meta.json").read_text())["multi_label"] is True
    pred = Classifier(bundle).predict(sorted(tiny_corpus.glob("*/*.wav"))[0])
    assert pred.multi_label and len(pred.probs) == 3 and all(0 <= p <= 1 for p in pred.probs)
    assert all(p >= 0.5 for _, p in pred.positive())


def test_val_fold_column_and_cross_validation(tiny_corpus, tmp_path):
    table = _csv(tiny_corpus, tmp_path, lambda i, w: w.parent.name, {"fold": lambda i, w: i % 2 + 1})
    with pytest.raises(DataError, match="found: 1, 2"):
        api.train("classify", table, tmp_path / "bad", config=["tiny"], progress=False,
                  overrides=FAST + ["task.val_fold=3"])
    summary = api.cross_validate("classify", table, tmp_path / "cv", folds_from="fold", config=["tiny"],
                                 overrides=FAST, progress=False)
    assert [r["fold"] for r in summary["folds"]] == ["1", "2"]
    for row in summary["folds"]:
        assert row["count"] == 4 and 0 <= row["accuracy"] <= 1
    acc = [r["accuracy"] for r in summary["folds"]]
    assert summary["accuracy"]["mean"] == pytest.approx(np.mean(acc))
    assert summary["accuracy"]["std"] == pytest.approx(np.std(acc))
    assert json.loads((tmp_path / "cv" / "cv.json").read_text())["accuracy"] == summary["accuracy"]


def test_metrics_json_follows_the_best_checkpoint(tiny_corpus, tmp_path):
    run = tmp_path / "run"
    result = api.train("classify", tiny_corpus, run, config=["tiny"], progress=False,
                       overrides=["train.steps=6", "train.eval_every=2", "train.checkpoint_every=2",
                                  "train.monitor=val/loss", "train.monitor_mode=min"])
    evals = [e for e in map(json.loads, (run / "events.jsonl").read_text().splitlines())
             if e["stage"] == "eval"]
    assert all({"val/macro_f1", "val/mAP", "val/accuracy"} <= set(e) for e in evals)
    metrics = json.loads((run / "metrics.json").read_text())
    best_name = (run / "checkpoints" / "best").read_text().strip()
    assert result.best_checkpoint is not None and best_name.endswith(f"{metrics['step']:08d}")
    assert (run / "confusion.png").read_bytes()[:4] == b"\x89PNG"
