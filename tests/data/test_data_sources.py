"""Data sources: folders, CSV tables, TTS JSONL manifests, DataFrames."""

import json

import pandas as pd
import pytest

from soundry.data import from_dataframe, open_source, read_csv, read_jsonl, scan_folder
from soundry.errors import DataError


def test_scan_folder_labels_nesting_sidecars_and_hidden(tmp_path, write_tone):
    write_tone(tmp_path / "alice" / "a1.wav")
    write_tone(tmp_path / "alice" / "deep" / "er" / "a2.flac")
    (tmp_path / "alice" / "a1.txt").write_text(" hello world \n")
    (tmp_path / "alice" / "deep" / "er" / "a2.lab").write_text("second")
    write_tone(tmp_path / "bob" / "b1.wav")
    write_tone(tmp_path / "bob" / ".hidden.wav")
    write_tone(tmp_path / ".cache" / "c.wav")
    write_tone(tmp_path / "bob" / ".git" / "x.wav")
    scan = scan_folder(tmp_path)
    by_rel = {r.relpath: r for r in scan.records}
    assert sorted(by_rel) == ["alice/a1.wav", "alice/deep/er/a2.flac", "bob/b1.wav"]
    assert by_rel["alice/a1.wav"].transcript == "hello world"
    assert by_rel["alice/deep/er/a2.flac"].transcript == "second"
    assert by_rel["bob/b1.wav"].transcript is None
    assert {r.label for r in scan.records} == {"alice", "bob"}
    assert all(r.path.startswith(str(tmp_path)) for r in scan.records)
    assert scan.warnings == [] and scan.root == str(tmp_path.absolute())


def test_scan_folder_root_audio_warns_and_stray_files_become_candidates(tmp_path, write_tone):
    write_tone(tmp_path / "spk" / "ok.wav")
    write_tone(tmp_path / "loose.wav")
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / "spk" / "notes.txt").write_text("not a sidecar")
    (tmp_path / "spk" / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    scan = scan_folder(tmp_path)
    assert [w["path"] for w in scan.warnings] == ["loose.wav"]
    assert "move it into a folder named after its label/speaker" in scan.warnings[0]["reason"]
    assert sorted(r.relpath for r in scan.records) == ["spk/cover.jpg", "spk/notes.txt", "spk/ok.wav"]


def test_scan_folder_errors_are_clear(tmp_path, write_tone):
    with pytest.raises(DataError, match="not found"):
        scan_folder(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_text("")
    with pytest.raises(DataError, match=r"is empty: put each speaker's/class's files in .*/<label>/"):
        scan_folder(empty)
    flat = tmp_path / "flat"
    write_tone(flat / "a.wav")
    with pytest.raises(DataError, match=r"no label sub-folders.*<label>/"):
        scan_folder(flat)
    no_audio = tmp_path / "noaudio"
    (no_audio / "lbl").mkdir(parents=True)
    (no_audio / "lbl" / "x.txt").write_text("x")
    with pytest.raises(DataError, match="no audio files found"):
        scan_folder(no_audio)


def test_read_csv_resolves_relative_paths_and_keeps_columns(tmp_path, write_tone):
    write_tone(tmp_path / "audio" / "dog.wav")
    table = tmp_path / "meta.csv"
    table.write_text("path,label,fold,split,text\naudio/dog.wav,dog,3,Val,woof\n"
                     f"{tmp_path / 'audio' / 'cat.wav'},cat,1,,\n")
    scan = read_csv(table)
    dog, cat = scan.records
    assert dog.path == str(tmp_path / "audio" / "dog.wav") and dog.relpath == "audio/dog.wav"
    assert (dog.label, dog.split, dog.transcript, dog.extra) == ("dog", "val", "woof", {"fold": "3"})
    assert cat.relpath == "audio/cat.wav" and cat.split is None and cat.transcript is None
    assert scan.root == str(tmp_path)


def test_read_csv_custom_columns_root_and_missing_columns(tmp_path):
    table = tmp_path / "meta" / "t.csv"
    table.parent.mkdir()
    table.write_text("filename,category\nx.wav,rain\n")
    scan = read_csv(table, path_column="filename", label_column="category", root=tmp_path / "audio")
    assert scan.records[0].path == str(tmp_path / "audio" / "x.wav")
    with pytest.raises(DataError, match=r"no column 'path', 'label'; its columns are: filename, category"):
        read_csv(table)
    assert read_csv(table, path_column="filename", label_column=None).records[0].label == ""
    with pytest.raises(DataError, match="table not found"):
        read_csv(tmp_path / "missing.csv")


def test_read_jsonl_tts_manifest(tmp_path):
    man = tmp_path / "train.jsonl"
    rows = [{"transcript": "Hello.", "language": "en", "wav_path": "wavs/1.wav", "duration": 1.25,
             "sample_rate": 24000, "speaker": "ann"},
            {"transcript": "Bye.", "language": "en", "wav_path": "wavs/2.wav", "duration": 0.5,
             "sample_rate": 24000}]
    man.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    a, b = read_jsonl(man).records
    assert (a.label, a.speaker, a.transcript, a.language, a.duration, a.sample_rate) == (
        "ann", "ann", "Hello.", "en", 1.25, 24000)
    assert b.label == "" and b.speaker is None and b.path == str(tmp_path / "wavs" / "2.wav")
    man.write_text(json.dumps(rows[0]) + "\nnot json\n")
    with pytest.raises(DataError, match="line 2"):
        read_jsonl(man)


def test_from_dataframe_and_open_source_dispatch(tmp_path, write_tone):
    write_tone(tmp_path / "data" / "spk" / "a.wav")
    df = pd.DataFrame({"path": ["data/spk/a.wav"], "label": ["spk"], "speaker": ["s1"]})
    scan = from_dataframe(df, root=tmp_path)
    assert scan.records[0].relpath == "data/spk/a.wav" and scan.records[0].speaker == "s1"
    assert open_source(df, root=tmp_path).records[0].id == scan.records[0].id
    assert open_source(tmp_path / "data").kind == "folder"
    (tmp_path / "t.csv").write_text("path,label\ndata/spk/a.wav,spk\n")
    assert open_source(tmp_path / "t.csv").kind == "csv"
    (tmp_path / "m.jsonl").write_text('{"wav_path": "data/spk/a.wav", "transcript": "x"}\n')
    assert open_source(tmp_path / "m.jsonl").kind == "jsonl"
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(DataError, match="cannot use"):
        open_source(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="not found"):
        open_source(tmp_path / "missing")
    with pytest.raises(DataError, match="no column 'label'"):
        from_dataframe(pd.DataFrame({"path": ["a.wav"]}))
