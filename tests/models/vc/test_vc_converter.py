import numpy as np
import pytest
import torch

from soundry.models.vc import ContentEncoder, Retrieval, build_codebook, build_vc_model, vc_preset


def _converter(**over):
    torch.manual_seed(0)
    model = build_vc_model("tiny", **over).eval()
    torch.nn.init.normal_(model.generator.head.weight, std=0.3)
    return model


def _speechy(seconds: float = 0.5) -> torch.Tensor:
    t = np.arange(int(16000 * seconds)) / 16000
    f = 150 * (1 + 0.2 * np.sin(2 * np.pi * 3 * t))
    x = 0.3 * np.sin(2 * np.pi * np.cumsum(f) / 16000) + 0.02 * np.random.default_rng(0).standard_normal(t.size)
    return torch.from_numpy(x.astype(np.float32))[None]


@pytest.mark.parametrize("lookahead", [0, 2])
def test_converter_blocks_equal_whole(lookahead):
    model = _converter(content={**vc_preset("tiny")["content"], "lookahead_frames": lookahead})
    model.set_codebooks(torch.randn(2, 8, 16))
    x = _speechy()
    controls = [torch.tensor([1]), torch.tensor([3.0]), torch.tensor([1.0]), torch.tensor([0.5])]
    with torch.no_grad():
        whole = model(x, *controls, *model.init_state())[0]
        state, outs = model.init_state(), []
        for i in range(0, x.shape[1], 160):
            wave, *state = model(x[:, i:i + 160], *controls, *state)
            outs.append(wave)
    assert whole.shape == (1, x.shape[1] // 160 * 240)
    assert torch.max(torch.abs(torch.cat(outs, 1) - whole)) < 1e-5
    assert float(whole.abs().max()) > 1e-3
    assert model.latency_ms() == 10.0 * (1 + lookahead)
    assert len(state) == len(model.state_layout)
    assert all(tuple(s.shape[1:]) == shape for s, shape in zip(state, model.state_layout))


def test_retrieval_rate_zero_and_one():
    torch.manual_seed(0)
    r = Retrieval(2, 4, codebook_size=6, top_k=2)
    books = torch.randn(2, 6, 4)
    r.set_codebooks(books)
    c = torch.randn(1, 5, 4)
    assert torch.equal(r(c, torch.tensor([1]), torch.tensor([0.0])), c)
    snapped = r(c, torch.tensor([1]), torch.tensor([1.0]))
    dist = torch.cdist(c[0], books[1])
    expect = books[1][dist.topk(2, largest=False).indices].mean(1)
    assert torch.allclose(snapped[0], expect, atol=1e-5)


def test_set_codebooks_checks_shape():
    r = Retrieval(2, 4, codebook_size=6, top_k=2)
    with pytest.raises(ValueError):
        r.set_codebooks(torch.zeros(3, 6, 4))


def test_build_codebook_finds_clusters():
    torch.manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    pts = torch.cat([c + 0.1 * torch.randn(50, 2) for c in centres])
    book = build_codebook(pts, k=3, iters=10, seed=0)
    assert book.shape == (3, 2)
    assert torch.cdist(centres, book).min(1).values.max() < 0.2
    few = build_codebook(pts[:2], k=5)
    assert few.shape == (5, 2)


def test_content_encoder_features_and_logits():
    enc = ContentEncoder(content_dim=8, n_units=5, channels=8, n_blocks=1, frontend=(4, 4, 8), lookahead_frames=1)
    feats = enc.features(torch.randn(2, 1600 + 50))
    assert feats.shape == (2, 10, 8)
    assert enc.logits(feats).shape == (2, 10, 5)
    with pytest.raises(ValueError):
        ContentEncoder(lookahead_frames=4)


def test_analyze_gives_aligned_frame_features():
    model = _converter()
    feats = model.analyze(_speechy(0.3))
    assert feats["content"].shape == (1, 30, 16)
    assert all(feats[k].shape == (1, 30) for k in ("f0", "periodicity", "energy_db"))
    assert float(feats["f0"][0, 10:].median()) == pytest.approx(150, rel=0.25)


def test_presets_sizes():
    assert 3e6 < sum(p.numel() for p in build_vc_model("small").parameters()) < 5e6
    assert sum(p.numel() for p in build_vc_model("tiny").parameters()) < 20_000
    with pytest.raises(KeyError):
        vc_preset("huge")
