"""Fixtures for the data tests: small synthetic wav files written under tmp_path."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from soundry.audio import save_audio


def _tone(path: Path, seconds: float = 1.0, sample_rate: int = 16000, freq: float = 220.0,
          amplitude: float = 0.3) -> Path:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_audio(path, x, sample_rate)
    return path


@pytest.fixture
def write_tone():
    """``write_tone(path, seconds=1.0, sample_rate=16000, freq=220.0)`` -> path of a sine wav."""
    return _tone


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """relpath -> (sha1, size, mtime_ns) of every file and folder under ``root``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.stat()
            digest = hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            out[p.relative_to(root).as_posix()] = (digest, st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def tree_snapshot():
    """``tree_snapshot(root)`` -> {relpath: (sha1, size, mtime_ns)} for byte-for-byte checks."""
    return snapshot
