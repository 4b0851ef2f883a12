"""prepare(): outputs, report schema, bad files, read-only source, cache re-use."""

import json

import numpy as np
import pytest
import soundfile as sf

from soundry.data import DataConfig, PreparedData, format_report, prepare, report_table
from soundry.errors import DataError
from soundry.progress import EventLog, read_events
from soundry.testing import BAD_FILE_KINDS, make_bad_files, make_demo_corpus

LABEL_KEYS = {"files", "seconds", "kept_seconds", "dropped_seconds", "segments", "quality", "ready",
              "problems", "skipped", "dropped_silence_seconds", "dropped_short_seconds",
              "segment_seconds"}
# make_bad_files kind -> the words its skip reason must start with
REASONS = {"unreadable": "unreadable", "not_audio": "not audio", "empty": "empty",
           "too_short": "too short", "silent": "silent", "non_finite": "non-finite samples",
           "extreme_rate": "extreme rate"}


@pytest.fixture
def corpus(tmp_path):
    make_demo_corpus(tmp_path / "data", speakers=2, sentences=3, engine="numpy", progress=False)
    return tmp_path / "data"


def _cfg(**kw) -> DataConfig:
    return DataConfig(workers=kw.pop("workers", 1), **kw)


def test_prepare_writes_segments_manifest_and_report(corpus, tmp_path):
    res = prepare(corpus, tmp_path / "out", _cfg(sample_rates=[16000, 8000]), progress=False)
    out = tmp_path / "out"
    assert res.ready and res.files == 6 and res.skipped == 0 and res.segments > 0
    report = json.loads((out / "report.json").read_text())
    assert set(report) >= {"labels", "skipped", "warnings", "totals", "ready", "readiness"}
    assert list(report["labels"]) == ["arthur", "bruno"]
    for row in report["labels"].values():
        assert set(row) == LABEL_KEYS
        assert row["files"] == 3 and row["ready"] and 0.0 <= row["quality"] <= 1.0
        # no silent drop: every second of an accepted file is kept or dropped, with a reason
        assert row["kept_seconds"] + row["dropped_seconds"] == pytest.approx(row["seconds"], abs=2e-3)
        assert row["dropped_seconds"] == pytest.approx(
            row["dropped_silence_seconds"] + row["dropped_short_seconds"], abs=2e-3)
    assert report["totals"]["files"] == 6 and report["totals"]["segments"] == res.segments
    info = json.loads((out / "prepared.json").read_text())
    assert info["params"]["sample_rates"] == [16000, 8000] and info["soundry_version"]
    assert info["source"] == str(corpus.absolute())
    segs = [json.loads(line) for line in (out / "segments.jsonl").read_text().splitlines()]
    assert len(segs) == res.segments and len({s["id"] for s in segs}) == len(segs)
    for seg in segs[:4]:
        assert seg["end"] - seg["start"] == pytest.approx(seg["duration"])
        for rate, rel in seg["files"].items():
            wav = sf.info(str(out / rel))
            assert (wav.samplerate, wav.channels, wav.subtype) == (int(rate), 1, "PCM_16")
            assert wav.duration == pytest.approx(seg["duration"], abs=1e-3)
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 6


def test_prepared_data_loads_segments_and_audio(corpus, tmp_path):
    prepare(corpus, tmp_path / "out", _cfg(), progress=False)
    data = PreparedData.load(tmp_path / "out")
    assert data.labels == ["arthur", "bruno"] and data.sample_rates == [16000]
    assert data.label_index() == {"arthur": 0, "bruno": 1}
    seg = data.segments[0]
    x = data.audio(seg, 16000)
    assert x.dtype == np.float32 and x.shape == (1, round(seg.duration * 16000))
    assert np.isfinite(x).all() and 0.05 < np.abs(x).max() <= 1.0
    assert data.audio(seg.id).shape == x.shape
    with pytest.raises(DataError, match="not prepared at 44100 Hz"):
        data.audio(seg, 44100)
    with pytest.raises(DataError, match="not a prepared data folder"):
        PreparedData.load(corpus)


def test_every_bad_file_is_skipped_with_its_reason_and_source_is_untouched(
        corpus, tmp_path, tree_snapshot):
    files = make_bad_files(corpus / "bad")
    (corpus / "bad" / ".hidden.wav").write_bytes(b"junk")
    before = tree_snapshot(corpus)
    res = prepare(corpus, tmp_path / "out", _cfg(workers=2), progress=False)
    assert tree_snapshot(corpus) == before
    skipped = {s["path"]: s["reason"] for s in res.report["skipped"]}
    warned = {w["path"]: w["reason"] for w in res.report["warnings"]}
    for name, kind in BAD_FILE_KINDS.items():
        rel = files[name].relative_to(corpus).as_posix()
        if kind == "good":
            assert rel not in skipped, (name, skipped.get(rel))
        elif kind == "clipped":
            assert rel not in skipped and warned[rel].startswith("clipped")
        else:
            assert skipped[rel].startswith(REASONS[kind]), (name, skipped[rel])
    assert res.files == 6 + 4 and res.ready
    assert res.report["labels"]["bad"]["skipped"] == 9


def test_second_run_reuses_everything_and_rates_are_cached_separately(corpus, tmp_path, tree_snapshot):
    out = tmp_path / "out"
    first = prepare(corpus, out, _cfg(), progress=False)
    assert first.decoded == 6 and first.written == 6
    cache_before = tree_snapshot(out / "cache")
    again = prepare(corpus, out, _cfg(min_file_s=0.3, clip_fraction_warn=0.01), progress=False)
    assert (again.decoded, again.written) == (0, 0)
    assert tree_snapshot(out / "cache") == cache_before
    assert again.report["labels"] == first.report["labels"]
    more = prepare(corpus, out, _cfg(sample_rates=[16000, 24000]), progress=False)
    assert more.written == 6
    after = tree_snapshot(out / "cache")
    # every file written before is untouched (folders gain entries, so their mtimes move)
    old_files = {k: v for k, v in cache_before.items() if v[0] != "dir"}
    assert {k: v for k, v in after.items() if k in old_files} == old_files
    new = [k for k in after if k not in cache_before]
    assert new and all("/24000" in k for k in new)


def test_changed_slicing_parameter_recomputes_into_a_new_cache_folder(corpus, tmp_path):
    out = tmp_path / "out"
    prepare(corpus, out, _cfg(), progress=False)
    changed = prepare(corpus, out, _cfg(max_segment_s=1.0, overlap_s=0.2), progress=False)
    assert changed.written == 6
    assert len([p for p in (out / "cache").iterdir() if p.name.startswith("p-")]) == 2
    data = PreparedData.load(out)
    assert max(s.duration for s in data.segments) <= 1.0 + 1e-6
    assert all(s.files["16000"].startswith(data.info["cache"]) for s in data.segments)


def test_whole_files_keep_their_transcript(corpus, tmp_path):
    res = prepare(corpus, tmp_path / "out", _cfg(slice=False, loudness_lufs=None), progress=False)
    data = PreparedData.load(tmp_path / "out")
    assert res.segments == 6 and all(s.start == 0.0 for s in data.segments)
    seg = next(s for s in data.segments if s.recording_id.startswith("arthur/arthur-001"))
    assert seg.transcript == (corpus / "arthur" / "arthur_001.txt").read_text().strip()
    assert res.report["labels"]["arthur"]["dropped_seconds"] == 0.0
    assert float(np.abs(data.audio(seg)).max()) == pytest.approx(10 ** (-1 / 20), abs=2e-3)


def test_readiness_thresholds_explain_what_is_missing(corpus, tmp_path):
    cfg = _cfg()
    cfg.readiness.min_minutes = 10.0
    cfg.readiness.min_labels = 3
    res = prepare(corpus, tmp_path / "out", cfg, progress=False)
    assert not res.ready and not res.report["labels"]["arthur"]["ready"]
    reasons = " ".join(res.report["readiness"]["reasons"])
    assert "readiness.min_minutes" in reasons and "0 ready labels (needs 3" in reasons
    text = format_report(res.report)
    assert "arthur" in text and text.splitlines()[-1].startswith("not ready:")
    assert report_table(res.report).row_count == 2


def test_csv_source_reports_missing_files_and_events(corpus, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("path,label\ndata/arthur/arthur_001.wav,a\ndata/nope.wav,a\n")
    log = EventLog(tmp_path / "events.jsonl")
    res = prepare(table, tmp_path / "out", _cfg(), progress=False, events=log)
    assert res.files == 1 and res.report["skipped"] == [
        {"path": "data/nope.wav", "label": "a", "reason": "missing: file not found"}]
    events = read_events(tmp_path / "events.jsonl")
    assert events[0]["stage"] == "prepare" and events[-1]["status"] == "done"
    assert events[-1]["step"] == events[-1]["total_steps"] == 2


def test_root_audio_warning_and_output_inside_data_refused(corpus, tmp_path):
    sf.write(str(corpus / "stray.wav"), np.zeros(1600, np.float32), 16000)
    res = prepare(corpus, tmp_path / "out", _cfg(), progress=False)
    assert {"path": "stray.wav", "reason": "file at the data root: move it into a folder named "
            "after its label/speaker"} in res.report["warnings"]
    with pytest.raises(DataError, match="inside the data folder"):
        prepare(corpus, corpus / "prepared", _cfg(), progress=False)
    assert not (corpus / "prepared").exists()


def test_duplicate_content_is_warned_and_processed_once(corpus, tmp_path):
    copy = corpus / "bruno" / "copy_of_arthur.wav"
    copy.write_bytes((corpus / "arthur" / "arthur_001.wav").read_bytes())
    res = prepare(corpus, tmp_path / "out", _cfg(), progress=False)
    assert {"path": "bruno/copy_of_arthur.wav",
            "reason": "duplicate: same content as arthur/arthur_001.wav"} in res.report["warnings"]
    assert res.files == 7 and res.written == 6  # same bytes share one cache entry
