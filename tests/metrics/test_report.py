"""Spectrogram PNGs and the self-contained evaluation report."""

import json
import math
import struct
import zlib

import numpy as np
import pytest

from soundry.audio import save_audio
from soundry.errors import DataError
from soundry.metrics import encode_png, spectrogram_png, write_eval_report
from soundry.testing.signals import chirp


def _read_png(path_or_bytes):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        chunks.setdefault(kind, []).append(body)
        pos += 12 + n
    w, h = struct.unpack(">II", chunks[b"IHDR"][0][:8])
    pixels = np.frombuffer(zlib.decompress(b"".join(chunks[b"IDAT"])), np.uint8)
    return w, h, pixels.reshape(h, 1 + 3 * w)[:, 1:].reshape(h, w, 3), chunks


def test_png_encoder_round_trip():
    img = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    w, h, pixels, chunks = _read_png(encode_png(img, {"Title": "ünïcode"}))
    assert (w, h) == (7, 5) and np.array_equal(pixels, img)
    assert chunks[b"iTXt"][0].endswith("ünïcode".encode())
    with pytest.raises(ValueError):
        encode_png(np.zeros((0, 3, 3), np.uint8))


def test_spectrogram_png_shows_a_rising_chirp(tmp_path):
    sr = 16000
    path = spectrogram_png(chirp(200, 6000, 1.0, sr), sr, tmp_path / "sub" / "c.png", title="chirp")
    w, h, pixels, _ = _read_png(path)
    assert (w, h) == (100, 160)
    # brightest row moves up the picture (towards high frequency) as time goes on
    bright = pixels.astype(int).sum(axis=2)
    assert bright[:, 10].argmax() > bright[:, 90].argmax()
    wide = spectrogram_png(np.zeros(sr * 30, np.float32), sr, tmp_path / "long.png", max_width=500)
    assert _read_png(wide)[0] <= 500


def test_report_lists_rows_escapes_strings_and_links_audio(tmp_path):
    sr = 16000
    eval_dir = tmp_path / "eval"
    save_audio(eval_dir / "u1.wav", chirp(200, 800, 0.5, sr), sr)
    save_audio(eval_dir / "u1 to clara.wav", chirp(300, 900, 0.5, sr), sr)
    outside = tmp_path / "elsewhere" / "ref.wav"
    save_audio(outside, chirp(100, 400, 0.5, sr), sr)
    rows = [
        {"source_speaker": "arthur", "utterance": "<script>alert(1)</script>",
         "target_voice": "clara", "f0_corr": 0.9321, "spk_sim": 0.8, "n": 3},
        {"target_voice": "diana", "source_speaker": "bruno", "utterance": "u2",
         "f0_corr": float("nan"), "spk_sim": 0.6, "n": 4},
    ]
    audio = [{"input": "u1.wav", "output": eval_dir / "u1 to clara.wav"}, {"reference": outside}]
    page = write_eval_report(eval_dir, rows, audio, title="VC <eval>", notes=["step 10 & more"])
    assert page == eval_dir / "report.html"
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "VC &lt;eval&gt;" in text and "step 10 &amp; more" in text
    items = text[text.index("<h2>Items"):]
    assert items.index("source_speaker") < items.index("utterance") < items.index("f0_corr")
    for value in ("arthur", "bruno", "clara", "diana", "0.932", "n/a"):
        assert value in text
    assert 'src="u1%20to%20clara.wav"' in text and 'src="u1%20to%20clara.png"' in text
    assert "http" not in text
    # a file from elsewhere is copied in (and left where it was), and every link resolves
    assert (eval_dir / "ref.wav").is_file() and outside.is_file()
    for name in ("u1.png", "u1 to clara.png", "ref.png"):
        assert _read_png(eval_dir / name)[1] == 160
    record = json.loads((eval_dir / "metrics.json").read_text(encoding="utf-8"))
    assert record["rows"][1]["f0_corr"] is None and record["rows"][0]["n"] == 3
    assert math.isclose(record["summary"]["spk_sim"], 0.7) and record["summary"]["f0_corr"] == 0.9321
    assert record["audio"][1] == {"reference": "ref.wav"}


def test_report_without_audio_and_bad_inputs(tmp_path):
    page = write_eval_report(tmp_path, [{"utterance": "a", "dnsmos_ovrl": 2.5}])
    assert "2.500" in page.read_text() and "<audio" not in page.read_text()
    with pytest.raises(DataError, match="does not exist"):
        write_eval_report(tmp_path, [{"utterance": "a"}], [{"output": "missing.wav"}])
    with pytest.raises(DataError, match="1 rows but 2"):
        write_eval_report(tmp_path, [{"utterance": "a"}], [None, None])
