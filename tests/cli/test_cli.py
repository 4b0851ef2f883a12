"""The command line: --help everywhere, and user errors as one line without a traceback."""

import json
import subprocess
import sys

import pytest

from soundry.cli.main import build_parser, main

SUBCOMMANDS = [["prepare"], ["train"], ["export"], ["classify"], ["convert"], ["stream"], ["eval"], ["embed"],
               ["cv"], ["download"], ["corpus"], ["corpus", "synth"], ["serve"], ["demo"]]


@pytest.mark.parametrize("argv", SUBCOMMANDS)
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--help"])
    assert exc.value.code == 0
    assert "usage: soundry" in capsys.readouterr().out


def test_parser_lists_all_commands():
    text = build_parser().format_help()
    for name in ("prepare", "train", "export", "classify", "corpus", "demo"):
        assert name in text


def test_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "no-such-recipe", "-o", "x"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "no-such-recipe" in err[0]


def _run(argv, tmp_path):
    return subprocess.run([sys.executable, "-m", "soundry.cli.main", *argv], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


@pytest.mark.parametrize("argv, needle", [
    (["prepare", "-d", "missing-folder", "-o", "out"], "missing-folder"),
    (["train", "classify", "-d", "missing-folder", "-o", "run", "train.stepz=3"], "train.stepz"),
    (["train", "classify", "-d", "x", "-o", "run", "-c", "no-such-preset"], "no-such-preset"),
    (["train", "classify", "-o", "nowhere", "-r"], "no data given"),
    (["export", "not-a-run"], "not a soundry run folder"),
    (["classify", "not-a-bundle", "a.wav"], "not a soundry bundle"),
])
def test_user_errors_are_one_line(argv, needle, tmp_path):
    out = _run(argv, tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("soundry: error:") and needle in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_prepare_prints_table_and_writes_report(tiny_corpus, tmp_path, capsys):
    code = main(["prepare", "-d", str(tiny_corpus), "-o", str(tmp_path / "prep")])
    printed = capsys.readouterr().out
    assert code == 0 and "arthur" in printed and "bruno" in printed
    report = json.loads((tmp_path / "prep" / "report.json").read_text())
    assert set(report["labels"]) == {"arthur", "bruno"}
    assert all(v["files"] == 4 for v in report["labels"].values())


def test_corpus_synth_cli(tmp_path, capsys):
    assert main(["corpus", "synth", str(tmp_path / "c"), "--speakers", "2", "--sentences", "2",
                 "--engine", "numpy"]) == 0
    assert len(list((tmp_path / "c").glob("*/*.wav"))) == 4
    assert len(list((tmp_path / "c").glob("*/*.txt"))) == 4


def test_demo_classify_runs_end_to_end(tmp_path, capsys):
    code = main(["demo", "-o", str(tmp_path / "d"), "--recipe", "classify", "-c", "tiny", "--engine", "numpy",
                 "train.steps=4", "train.eval_every=2"])
    printed = capsys.readouterr().out
    assert code == 0 and "held-out speaker accuracy" in printed
    summary = json.loads((tmp_path / "d" / "demo-summary.json").read_text())
    assert summary["heldout_files"] == 20 and 0 <= summary["heldout_accuracy"] <= 1
    assert (tmp_path / "d" / "classify" / "export" / "model.onnx").is_file()
