"""CLI for classify extras: download, embed, cv; errors are one line."""

import json

import numpy as np
import torch

from soundry.cli.main import main
from soundry.models.beats import BEATs, beats_preset, save_beats_checkpoint


def test_download_list_and_offline_error(tmp_path, capsys):
    assert main(["download", "--list", "--cache", str(tmp_path), "--json"]) == 0
    names = [e["name"] for e in json.loads(capsys.readouterr().out)]
    assert "beats-iter3-plus-as2m" in names
    assert main(["download", "no-such-model", "--cache", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown checkpoint 'no-such-model'" in err and len(err.splitlines()) == 1
    assert main(["download", "beats-iter3", "--cache", str(tmp_path)]) == 2
    assert "save it as" in capsys.readouterr().err


def test_embed_cli_writes_npy_with_ids(tiny_corpus, tmp_path, capsys):
    torch.manual_seed(0)
    ckpt = save_beats_checkpoint(BEATs(**beats_preset("tiny").model_kwargs()), tmp_path / "t.pt")
    wavs = sorted(tiny_corpus.glob("*/*.wav"))[2:5]  # both speakers: ids keep the folder
    out = tmp_path / "emb.npy"
    assert main(["embed", str(ckpt), *map(str, wavs), "-o", str(out), "--pooling", "max", "--layer", "0"]) == 0
    assert "3 embeddings (dim 64, pooling max)" in capsys.readouterr().out
    assert np.load(out).shape == (3, 64)
    assert (tmp_path / "emb.ids.txt").read_text().splitlines()[0] == "arthur/" + wavs[0].name
    assert main(["embed", str(ckpt), str(tmp_path / "missing.wav"), "-o", str(out)]) == 2


def test_cv_cli_help_and_errors(capsys, tmp_path):
    assert main(["cv", "classify", "-d", str(tmp_path / "nope"), "-o", str(tmp_path / "cv")]) == 2
    assert "not found" in capsys.readouterr().err
