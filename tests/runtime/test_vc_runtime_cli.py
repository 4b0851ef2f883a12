"""`soundry convert` / `soundry eval` on a tiny bundle: torch-free conversion, one-line errors, report."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from vc_bundle_helpers import session_bundle

from soundry import api
from soundry.audio import audio_info, save_audio
from soundry.cli.main import main


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return session_bundle(tmp_path_factory)


def _wav(path, seconds=0.5, sr=22050, f0=140.0):
    t = np.arange(int(seconds * sr)) / sr
    return save_audio(path, (0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), sr)


def test_convert_runs_without_torch(bundle, tmp_path):
    src, dst = _wav(tmp_path / "in.wav"), tmp_path / "out.wav"
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name == 'torch' or name.startswith('torch.'):\n"
        "        raise ImportError('torch is blocked in this test')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        "from soundry.cli.main import main\n"
        f"sys.exit(main(['convert', {str(bundle)!r}, '--voice', 'clara', {str(src)!r}, {str(dst)!r},"
        " '--pitch-shift', '2', '--auto-pitch']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    info = audio_info(dst)
    assert info.sample_rate == 24000 and info.frames == 12000 and "clara" in out.stdout


@pytest.mark.parametrize("argv, needle", [
    (["--voice", "bob", "IN", "OUT"], "unknown voice 'bob'; this bundle has 0: clara, 1: arthur"),
    (["--voice", "clara", "BAD", "OUT"], "cannot decode audio"),
    (["--voice", "clara", "MISSING", "OUT"], "no such audio file"),
    (["--voice", "clara", "IN"], "give IN.wav OUT.wav"),
])
def test_convert_errors_are_one_line(bundle, tmp_path, capsys, argv, needle):
    _wav(tmp_path / "in.wav")
    (tmp_path / "bad.wav").write_text("not audio", encoding="utf-8")
    names = {"IN": tmp_path / "in.wav", "OUT": tmp_path / "out.wav", "BAD": tmp_path / "bad.wav",
             "MISSING": tmp_path / "nope.wav"}
    assert main(["convert", str(bundle), *[str(names.get(a, a)) for a in argv]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
    assert not (tmp_path / "out.wav").exists()


def test_convert_many_into_a_folder(bundle, tmp_path):
    files = [_wav(tmp_path / f"u{i}.wav", seconds=0.2 + 0.1 * i, sr=16000) for i in range(2)]
    done = api.convert(bundle, files, tmp_path / "out", voice=1, formant_shift=1.0)
    assert [d["output"] for d in done] == [str(tmp_path / "out" / f"u{i}-arthur.wav") for i in range(2)]
    assert [audio_info(d["output"]).frames for d in done] == [4800, 7200]


def test_eval_writes_a_row_per_utterance_and_voice(bundle, tmp_path):
    b = tmp_path / "bundle"
    shutil.copytree(bundle, b)
    (b / "voices.toml").write_text('[voice.0]\nname = "<i>x&y</i>"\n[voice.1]\nname = "bob"\naverage_pitch = 45.0\n',
                                   encoding="utf-8")      # MIDI 45 = 110 Hz
    data = tmp_path / "data"
    for spk, f0 in (("bob", 110.0), ("ann", 220.0)):
        _wav(data / spk / "s1.wav", 0.4, 16000, f0)
    data.joinpath("ann", "notes.txt").write_text("ignored", encoding="utf-8")
    assert main(["eval", str(b), "--data", str(data), "-o", str(tmp_path / "ev"), "--measures", "f0"]) == 0
    page = (tmp_path / "ev" / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text(encoding="utf-8"))
    pairs = {(r["source_speaker"], r["target_voice"]) for r in metrics["rows"]}
    assert pairs == {(s, v) for s in ("bob", "ann") for v in ("<i>x&y</i>", "bob")}
    assert "&lt;i&gt;x&amp;y&lt;/i&gt;" in page and "<i>x" not in page
    assert all("f0_corr" in r for r in metrics["rows"]) and page.count("<audio") == 8
    # each conversion is shifted from the utterance's average pitch to the voice's (if known)
    shifts = {(r["source_speaker"], r["target_voice"]): r["pitch_shift_st"] for r in metrics["rows"]}
    assert abs(shifts["ann", "bob"] + 12) < 0.5 and abs(shifts["bob", "bob"]) < 0.5
    assert shifts["ann", "<i>x&y</i>"] == 0.0
    assert main(["eval", str(b), "--data", str(data), "-o", str(tmp_path / "ev0"), "--measures", "f0",
                 "--no-auto-pitch"]) == 0
    plain = json.loads((tmp_path / "ev0" / "metrics.json").read_text(encoding="utf-8"))
    assert all(r["pitch_shift_st"] == 0.0 for r in plain["rows"])
    assert main(["eval", str(b), "--data", str(data), "--measures", "loudness"]) == 2


def test_eval_with_relative_paths(bundle, tmp_path, monkeypatch):
    shutil.copytree(bundle, tmp_path / "bundle")
    _wav(tmp_path / "data" / "bob" / "s1.wav", 0.4, 16000, 110.0)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "bundle", "--data", "data", "--measures", "f0"]) == 0
    assert (tmp_path / "bundle" / "eval" / "report.html").is_file()


def test_stream_without_devices_is_one_line(bundle, monkeypatch, capsys):
    import types

    from soundry.runtime import live

    sd = types.SimpleNamespace(query_devices=lambda: [], query_hostapis=lambda: [],
                               default=types.SimpleNamespace(device=(-1, -1)))
    monkeypatch.setattr(live, "sounddevice_module", lambda: sd)
    assert main(["stream", str(bundle), "--voice", "clara"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no audio input device" in err[0] and "--list-devices" in err[0]
