"""Helpers shared by the job server tests (not fixtures)."""

import io
import os
import shutil
import time
from pathlib import Path

import numpy as np


def wav_bytes(seconds: float = 1.0, freq: float = 440.0, rate: int = 16000, seed: int = 0) -> bytes:
    """A mono 16-bit WAV of a tone with a little noise (distinct content per ``freq``/``seed``)."""
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(seed).standard_normal(t.size)
    buf = io.BytesIO()
    sf.write(buf, x.astype(np.float32), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def wait_for(predicate, timeout: float, every: float = 0.2, what: str = "condition"):
    """Poll ``predicate()`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def save_artifact(path: Path) -> None:
    """Copy a screenshot or log to $SOUNDRY_ARTIFACTS when set (CI keeps that folder)."""
    target = os.environ.get("SOUNDRY_ARTIFACTS")
    if target and path.exists():
        dest = Path(target) / "serve"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / path.name)


def upload(c, h, project_id, files, label="alice"):
    """POST files (list of (name, bytes)) with one label; returns the response."""
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return c.post(f"/api/projects/{project_id}/samples", headers=h, data={"label": label}, files=parts)


def upload_corpus(c, h, project_id, root: Path) -> int:
    n = 0
    for spk in sorted(p for p in root.iterdir() if p.is_dir()):
        r = upload(c, h, project_id, [(f.name, f.read_bytes()) for f in sorted(spk.glob("*.wav"))], spk.name)
        assert r.status_code == 201, r.text
        n += r.json()["added"]
    return n
