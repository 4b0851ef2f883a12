"""ESC-50 and UrbanSound8K readers on small fabricated copies of the official layouts."""

import numpy as np
import pytest
import soundfile as sf

from soundry.data.corpora import prepare_esc50, prepare_urbansound8k
from soundry.errors import DataError


def _wav(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (0.1 * np.sin(np.arange(4410) / 5)).astype(np.float32), 44100)


def _esc50(root):
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    for i, (cat, target, esc10) in enumerate([("dog", 0, True), ("rain", 10, True), ("crow", 9, False)] * 2):
        name = f"{i % 5 + 1}-{100 + i}-A-{target}.wav"
        _wav(root / "audio" / name)
        rows.append(f"{name},{i % 5 + 1},{target},{cat},{esc10},{100 + i},A")
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")


def test_esc50_reads_the_official_layout(tmp_path):
    _esc50(tmp_path / "ESC-50")
    scan = prepare_esc50(tmp_path / "ESC-50")
    assert len(scan.records) == 6 and {r.label for r in scan.records} == {"dog", "rain", "crow"}
    rec = scan.records[0]
    assert rec.path.endswith("audio/1-100-A-0.wav") and rec.extra["fold"] == 1
    assert {"target", "esc10", "src_file", "take"} <= set(rec.extra)
    assert all(r.split is None for r in scan.records)
    assert {r.label for r in prepare_esc50(tmp_path / "ESC-50", esc10=True).records} == {"dog", "rain"}


def test_esc50_layout_errors(tmp_path):
    with pytest.raises(DataError, match="meta/esc50.csv"):
        prepare_esc50(tmp_path)
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "esc50.csv").write_text("filename,category\na.wav,dog\n")
    with pytest.raises(DataError, match="fold"):
        prepare_esc50(tmp_path)


def test_urbansound8k_reads_the_official_layout(tmp_path):
    root = tmp_path / "UrbanSound8K"
    rows = ["slice_file_name,fsID,start,end,salience,fold,classID,class"]
    for i, (cls, cid) in enumerate([("dog_bark", 3), ("siren", 8)] * 3):
        fold = i % 10 + 1
        name = f"{1000 + i}-{cid}-0-{i}.wav"
        _wav(root / "audio" / f"fold{fold}" / name)
        rows.append(f"{name},{1000 + i},0.0,0.1,1,{fold},{cid},{cls}")
    (root / "metadata").mkdir(parents=True)
    (root / "metadata" / "UrbanSound8K.csv").write_text("\n".join(rows) + "\n")
    scan = prepare_urbansound8k(root)
    assert [r.label for r in scan.records][:2] == ["dog_bark", "siren"]
    assert scan.records[2].path.endswith("audio/fold3/1002-3-0-2.wav")
    assert scan.records[2].extra["fold"] == 3 and scan.records[2].extra["classID"] == 3
    with pytest.raises(DataError, match="UrbanSound8K.csv"):
        prepare_urbansound8k(tmp_path)
