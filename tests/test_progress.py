import io
import json
import math

from soundry.progress import EventLog, ProgressBar, format_duration, read_events


def test_event_log_writes_valid_json_lines(tmp_path):
    log = EventLog(tmp_path / "run" / "events.jsonl")
    log.write("train", step=1, total_steps=10, loss=math.nan, lr=0.1)
    log.write("done", step=10, total_steps=10)
    lines = (tmp_path / "run" / "events.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["stage"] == "train" and first["loss"] is None and "time" in first
    assert [e["stage"] for e in read_events(tmp_path / "run" / "events.jsonl")] == ["train", "done"]


def test_read_events_ignores_torn_last_line(tmp_path):
    p = tmp_path / "events.jsonl"
    p.write_text('{"stage": "train", "step": 1}\n{"stage": "tr')
    assert len(read_events(p)) == 1


def test_plain_progress_prints_count_rate_and_eta():
    out = io.StringIO()
    seen = []
    with ProgressBar("work", total=4, unit="files", stream=out, every_s=0.0, listeners=[seen.append],
                     enabled=True) as bar:
        for _ in range(4):
            bar.advance()
    text = out.getvalue()
    assert "work: 4/4" in text and "ETA" in text
    assert seen and seen[-1]["done"] == 4 and seen[-1]["total"] == 4


def test_format_duration():
    assert format_duration(83.2) == "1:23"
    assert format_duration(4000) == "1:06:40"
    assert format_duration(float("nan")) == "?"
