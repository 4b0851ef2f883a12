"""Embeddings: batch invariance, pooling modes, windows, output files, sources."""

import numpy as np
import pytest
import torch

from soundry import api
from soundry.errors import CheckpointError, ConfigError
from soundry.models.beats import BEATs, beats_preset, save_beats_checkpoint
from soundry.recipes.classify.backbones import BEATsBackbone, CNNBackbone
from soundry.recipes.classify.embed import Embedder, Embeddings, write_embeddings


def _beats_embedder(pooling="mean", layer=None, window_s=10.0):
    torch.manual_seed(0)
    return Embedder(BEATsBackbone(BEATs(**beats_preset("tiny").model_kwargs())), 16000, window_s,
                    pooling, layer)


@pytest.mark.parametrize("pooling", ["mean", "max", "first", "last"])
def test_beats_embedding_does_not_depend_on_batch_mates(pooling):
    emb = _beats_embedder(pooling, layer=-1)
    rng = np.random.default_rng(0)
    clip = (0.1 * rng.standard_normal(9000)).astype(np.float32)
    mates = [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in (24000, 17000)]
    alone = emb.embed_waves([clip])[0]
    among = emb.embed_waves([mates[0], clip, mates[1]])[1]
    assert alone.shape == (64,)
    assert np.max(np.abs(alone - among)) < 1e-5


def test_cnn_embedding_does_not_depend_on_batch_mates():
    torch.manual_seed(0)
    emb = Embedder(CNNBackbone(16000, n_mels=32, channels=(8, 16), embed_dim=16), 16000, 2.0)
    rng = np.random.default_rng(1)
    clip = rng.standard_normal(7000).astype(np.float32)
    alone = emb.embed_waves([clip])[0]
    among = emb.embed_waves([clip, rng.standard_normal(20000).astype(np.float32)])[0]
    assert np.max(np.abs(alone - among)) < 1e-5


def test_long_files_are_windowed_and_none_keeps_tokens():
    rng = np.random.default_rng(2)
    wave = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
    tokens = _beats_embedder("none", window_s=1.0).embed_waves([wave])[0]
    # 3 windows of 1 s: 98 frames -> 6 time patches x 8 mel patches each
    assert tokens.shape == (3 * 6 * 8, 64)
    mean = _beats_embedder("mean", window_s=1.0).embed_waves([wave])[0]
    np.testing.assert_allclose(mean, tokens.mean(0), atol=1e-5)
    # a clip shorter than one patch is zero-padded, never an error or NaN
    short = _beats_embedder().embed_waves([wave[:1000]])[0]
    assert np.all(np.isfinite(short))


def test_unknown_pooling_and_cnn_layer_are_refused():
    with pytest.raises(ConfigError, match="pooling"):
        _beats_embedder("median")
    with pytest.raises(ConfigError, match="CNN"):
        Embedder(CNNBackbone(16000, n_mels=32, channels=(8,), embed_dim=8), 16000, 1.0, "max")


def test_write_npy_and_parquet(tmp_path):
    e = Embeddings(["a.wav", "sub/b.wav"], ["/x/a.wav", "/x/sub/b.wav"],
                   [np.ones(4, np.float32), np.zeros(4, np.float32)])
    files = write_embeddings(e, tmp_path / "emb.npy")
    assert np.load(files[0]).shape == (2, 4)
    assert files[1].read_text().splitlines() == ["a.wav", "sub/b.wav"]
    ragged = Embeddings(["a"], ["a"], [np.ones((3, 4), np.float32)])
    with pytest.raises(ConfigError, match="parquet"):
        write_embeddings(ragged, tmp_path / "tokens.npy")
    with pytest.raises(ConfigError, match=".npy or .parquet"):
        write_embeddings(e, tmp_path / "emb.csv")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    write_embeddings(ragged, tmp_path / "tokens.parquet")
    df = pd.read_parquet(tmp_path / "tokens.parquet")
    assert df["id"].tolist() == ["a"] and np.stack(df["embedding"][0]).shape == (3, 4)


def test_api_embed_from_checkpoint_file_and_cache(tiny_corpus, tmp_path):
    torch.manual_seed(0)
    ckpt = save_beats_checkpoint(BEATs(**beats_preset("tiny").model_kwargs()), tmp_path / "tiny.pt")
    out = api.embed(ckpt, [tiny_corpus / "arthur"], out=tmp_path / "e.npy", progress=False)
    ids = (tmp_path / "e.ids.txt").read_text().splitlines()
    assert ids == out.ids and len(ids) == 4 and all(i.endswith(".wav") for i in ids)
    assert np.load(tmp_path / "e.npy").shape == (4, 64)
    # registry names are fetched from the cache only; offline and not cached -> instructions
    with pytest.raises(CheckpointError, match="save it as"):
        api.embed("beats-iter3", [tiny_corpus / "arthur"], cache_dir=tmp_path / "cache", progress=False)
