"""SIGTERM / Ctrl-C: the engine checkpoints the finished steps, then stops; resume continues."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("train_toy_script.py")


def _events(run: Path) -> list[dict]:
    p = run / "events.jsonl"
    lines = p.read_text().splitlines() if p.is_file() else []
    return [json.loads(line) for line in lines[:-1]]  # the last line may be half written


def test_sigterm_checkpoints_then_stops_and_resume_finishes(tmp_path):
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(run), "--sleep", "0.03"],
                            cwd=SCRIPT.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(e["stage"] == "train" and e.get("step", 0) >= 5 for e in _events(run)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "TrainingStopped" in err and "resume with -r" in err
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    stopped = [e for e in events if e["stage"] == "stopped"]
    assert len(stopped) == 1 and not [e for e in events if e["stage"] in ("error", "done")]
    step = stopped[0]["step"]
    assert 5 <= step < 10
    assert (run / "checkpoints" / "latest").read_text().strip() == f"step-{step:08d}"

    done = subprocess.run([sys.executable, str(SCRIPT), str(run), "--resume"], cwd=SCRIPT.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[-1]["stage"] == "done" and events[-1]["step"] == 10
